"""A tiny Sphinx extension of the book (listed in `_config.yml`): it serves MathJax 3 from the
files of the ``django-static-mathjax`` wheel, so the book renders offline, adds the script that
fits display maths wider than its box (``book/_static/natsparse-maths.js``: MathJax 3 cannot
break lines), and removes the duplicate inline script that Jupyter Book 1 registers on every
page."""

from __future__ import annotations

import shutil
from pathlib import Path

MATHJAX_SCRIPT = "mathjax/tex-mml-chtml.js"
#: The script in the book's static folder that breaks or shrinks display maths wider than its box.
FIT_MATHS_SCRIPT = "natsparse-maths.js"


def mathjax_dir() -> Path:
    """The MathJax 3 ``es5`` folder shipped by the ``django-static-mathjax`` wheel.

    Raises RuntimeError with the install command when the wheel is missing.
    """
    import importlib.util

    spec = importlib.util.find_spec("mathjax")
    locations = list(spec.submodule_search_locations or []) if spec else []
    for loc in locations:
        es5 = Path(loc) / "static" / "mathjax" / "es5"
        if (es5 / "tex-mml-chtml.js").is_file():
            return es5
    raise RuntimeError("MathJax 3 files not found: install the book extra "
                       "(pip install -e '.[book]', which brings django-static-mathjax)")


def _config_inited(app, config) -> None:
    mathjax_dir()  # fail early, with the install hint, when MathJax is missing
    config.mathjax_path = MATHJAX_SCRIPT


def _build_finished(app, exception) -> None:
    if exception is not None or app.builder.format != "html":
        return
    target = Path(app.outdir) / "_static" / "mathjax"
    if not (target / "tex-mml-chtml.js").is_file():
        shutil.copytree(mathjax_dir(), target, dirs_exist_ok=True)


def _dedupe_scripts(app, pagename, templatename, context, doctree) -> None:
    """Drop repeated <script> entries of a page (sphinx-thebe's inline ``const`` block is
    registered twice under Jupyter Book 1, a SyntaxError in the browser console)."""
    files = context.get("script_files")
    if not files:
        return
    seen, unique = set(), []
    for js in files:
        attrs = getattr(js, "attributes", {}) or {}
        # the same inline script is registered once with filename None and once with ''
        key = (str(getattr(js, "filename", js) or ""),
               tuple(sorted((k, str(v)) for k, v in attrs.items())))
        if key not in seen:
            seen.add(key)
            unique.append(js)
    files[:] = unique


def setup(app) -> dict:
    """Sphinx entry point: point ``mathjax_path`` at a local copy of MathJax 3, add the script
    that fits wide display maths, and keep each page's scripts free of duplicates."""
    app.add_js_file(FIT_MATHS_SCRIPT, loading_method="defer")
    app.connect("config-inited", _config_inited, priority=900)
    app.connect("build-finished", _build_finished)
    app.connect("html-page-context", _dedupe_scripts, priority=900)
    return {"version": "1", "parallel_read_safe": True, "parallel_write_safe": True}
