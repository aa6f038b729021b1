"""The book builds without a warning, and renders in a real browser the way a reader needs it.

One session-scoped build (`built_book`) feeds every test; with ``NATSPARSE_BOOK_BUILD=DIR`` the
tests read a book already built with ``jupyter-book build . --path-output DIR`` instead.

- `test_book_builds`: `jupyter-book build . -W -n --keep-going` into a temporary directory, with
  every notebook executed (a failing live check, a warning or a dangling reference fails it);
- the browser tests: headless Chromium (Debian's `chromium` + `chromium-driver`, installed with
  apt-get when missing and running as root) opens every page at 1280 px over http://127.0.0.1
  once (`browsed`) and checks that MathJax rendered the mathematics, that every theorem box and
  figure is there and no image is broken, that every link of the blueprint graph lands on an
  existing anchor, that no stderr output (progress bars) is shown, and that the console shows
  no error (`test_book_in_browser`); that no display
  formula is clipped in a theorem box; that tables show every column, keep numbers on one line
  and print no raw exponent, TeX or JSON; that status words are in neutral colours unless
  something failed; that the blueprint's boxes do not overlap, hold their ids, keep edges off
  other boxes, spread their arrowheads and match the legend, that the graph is scaled to its column
  (undistorted) and that its one full-size link opens the same SVG at its natural size with absolute
  links; that no code (input cell, output, code block of the prose) is wider than its box or the
  column (`test_code_is_never_cut_at_the_right_edge`); that no table header wraps inside a word or a
  relation such as "tau = 0" (`test_table_headers_break_between_words_only`); that every status word
  of the prose said of a result matches the status the blueprint's table shows
  (`test_prose_states_the_status_the_book_shows`, claims from test_prose_status.py); and that the
  figures of the Gaussian, asymptotics and kernel chapters are there at a readable size (legends off
  the data: test_figures.py). Full-page screenshots of every page go to ``screenshots/`` under the
  build (printed at the end).
"""

from __future__ import annotations

import functools
import http.server
import os
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from urllib.parse import urljoin, urlsplit

import pytest

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "tests" / "artifacts"
BUILD_TIMEOUT_S = 1500
CHROMIUM_FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update", "--disable-sync",
                  "--disable-dev-shm-usage", "--window-size=1280,1600")


def _toc_pages() -> list[str]:
    text = (ROOT / "_toc.yml").read_text(encoding="utf-8")
    return re.findall(r"^\s*(?:root|-\s*file):\s*(\S+)\s*$", text, flags=re.M)


@pytest.fixture(scope="session")
def built_book(tmp_path_factory) -> dict:
    """Build the book once per session: {html, screenshots, log, seconds, returncode, prebuilt}."""
    prebuilt = os.environ.get("NATSPARSE_BOOK_BUILD")
    if prebuilt:
        out = Path(prebuilt)
        if not (out / "_build" / "html" / "index.html").is_file():
            pytest.fail(f"NATSPARSE_BOOK_BUILD={prebuilt}: no built book there (_build/html/index.html)")
        return {"html": out / "_build" / "html", "screenshots": out / "screenshots", "log": "",
                "seconds": 0.0, "returncode": 0, "prebuilt": True}
    out = tmp_path_factory.mktemp("book")
    exe = Path(sys.executable).parent / "jupyter-book"
    cmd = [str(exe) if exe.exists() else "jupyter-book", "build", str(ROOT), "--path-output", str(out),
           "-W", "-n", "--keep-going"]
    t0 = time.perf_counter()
    proc = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=BUILD_TIMEOUT_S,
                          env={**os.environ, "PYDEVD_DISABLE_FILE_VALIDATION": "1"})
    seconds = time.perf_counter() - t0
    log = proc.stdout + proc.stderr
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    (ARTIFACTS / "book-build.log").write_text(log, encoding="utf-8")
    return {"html": out / "_build" / "html", "screenshots": out / "screenshots", "log": log,
            "seconds": seconds, "returncode": proc.returncode, "prebuilt": False}


def _problems(log: str) -> list[str]:
    """Warning and error lines of a build log (the kernel's notice about TCP transport aside)."""
    plain = re.sub(r"\x1b\[[0-9;]*m", "", log)
    return [line for line in plain.splitlines()
            if re.search(r"\b(WARNING|ERROR|CRITICAL|SEVERE)\b|Traceback|Exception occurred", line)
            and "Kernel is running over TCP without encryption" not in line]


@pytest.mark.book
@pytest.mark.slow
def test_book_builds(built_book):
    if built_book["prebuilt"]:
        pytest.skip("NATSPARSE_BOOK_BUILD names a book built elsewhere; its build log is not here")
    problems = _problems(built_book["log"])
    assert built_book["returncode"] == 0 and not problems, (
        "book build failed:\n" + "\n".join(problems[:40]) + "\n--- tail ---\n" + built_book["log"][-4000:])
    html = built_book["html"]
    for page in _toc_pages():
        assert (html / f"{page}.html").is_file(), f"{page}.html was not built"
    assert (html / "_static" / "mathjax" / "tex-mml-chtml.js").is_file(), "MathJax was not copied"
    print(f"book built in {built_book['seconds']:.1f} s")


# --- the browser -----------------------------------------------------------------------------

def _find_chromium() -> tuple[str | None, str | None]:
    names = ("chromium", "chromium-browser", "google-chrome")
    browser = next((p for p in map(shutil.which, names) if p), None)
    driver = shutil.which("chromedriver")
    return browser, driver


def _chromium() -> tuple[str, str]:
    """Paths of chromium and chromedriver; installs Debian's packages as root when missing."""
    browser, driver = _find_chromium()
    if (browser is None or driver is None) and hasattr(os, "geteuid") and os.geteuid() == 0 \
            and shutil.which("apt-get"):
        env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
        subprocess.run(["apt-get", "update", "-qq"], capture_output=True, timeout=600, env=env)
        subprocess.run(["apt-get", "install", "-y", "-qq", "chromium", "chromium-driver"],
                       capture_output=True, timeout=900, env=env)
        browser, driver = _find_chromium()
    if browser is None or driver is None:
        pytest.skip("headless Chromium is not available: install Debian's `chromium` and "
                    "`chromium-driver` (apt-get install -y chromium chromium-driver) to run the browser test")
    return browser, driver


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):  # keep pytest output clean
        pass


@pytest.fixture(scope="session")
def book_server(built_book):
    """The built HTML served on a free port of 127.0.0.1 by a threaded http.server."""
    if built_book["returncode"] != 0:
        pytest.fail("the book did not build; see test_book_builds")
    handler = functools.partial(_QuietHandler, directory=str(built_book["html"]))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/"
    server.shutdown()
    server.server_close()


@pytest.fixture(scope="session")
def driver(book_server):
    pytest.importorskip("selenium", reason="selenium is needed for the browser test (the `test` extra)")
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    browser, chromedriver = _chromium()
    profile = tempfile.mkdtemp(prefix="natsparse-chromium-")
    opts = webdriver.ChromeOptions()
    opts.binary_location = browser
    for flag in CHROMIUM_FLAGS:
        opts.add_argument(flag)
    opts.add_argument(f"--user-data-dir={profile}")
    opts.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    drv = webdriver.Chrome(service=Service(chromedriver), options=opts)
    drv.set_page_load_timeout(60)
    drv.set_script_timeout(60)
    yield drv
    drv.quit()
    shutil.rmtree(profile, ignore_errors=True)


_WAIT_MATHJAX = """
const done = arguments[arguments.length - 1];
if (!window.MathJax || !MathJax.startup || !MathJax.startup.promise) { done('none'); return; }
MathJax.startup.promise.then(() => window.natsparseMathsFitted)   // book/_static/natsparse-maths.js
  .then(() => done('ok')).catch(e => done('error: ' + e));
"""

_VISIBLE_TEXT = """
const clone = document.body.cloneNode(true);
clone.querySelectorAll('pre, code, script, style, mjx-container, .highlight, svg').forEach(e => e.remove());
return clone.textContent;
"""


_PAGE_INFO = """
const out = {
  mathjax: arguments[0],
  mjx: document.querySelectorAll('mjx-container').length,
  math_nodes: document.querySelectorAll('.math').length,
  raw_math: document.querySelectorAll('.math:not(:has(mjx-container))').length,
  proofs: Array.from(document.querySelectorAll('div.proof')).map(d => d.id || ''),
  ids: Array.from(document.querySelectorAll('[id]')).map(e => e.id),
  imgs: Array.from(document.images).map(i => ({src: i.currentSrc || i.src,
      ok: i.complete && i.naturalWidth > 0, natural: i.naturalWidth, shown: i.getBoundingClientRect().width,
      figure: i.closest('div.cell_output') !== null})),
  links: Array.from(document.querySelectorAll('svg.natsparse-blueprint a')).map(a => a.getAttribute('href')),
  text: (function() {""" + _VISIBLE_TEXT + """})(),
  stderr_outputs: document.querySelectorAll('div.cell_output .output.stderr').length,
  html_outputs: Array.from(document.querySelectorAll('div.cell_output .output.text_html')).map(
      e => e.textContent).join('\\n'),
};
// display maths inside theorem boxes: its box, whether it scrolls, and what clips it
out.maths = Array.from(document.querySelectorAll('div.proof mjx-container[display="true"]')).map(m => {
  const box = m.closest('div.proof'), r = m.getBoundingClientRect(), b = box.getBoundingClientRect();
  const cs = getComputedStyle(m);
  let clippedBy = null;
  for (let e = m.parentElement; e && e !== box.parentElement; e = e.parentElement) {
    const ox = getComputedStyle(e).overflowX, er = e.getBoundingClientRect();
    if ((ox === 'hidden' || ox === 'clip') && (r.right > er.right + 1 || r.left < er.left - 1)) {
      clippedBy = e.tagName.toLowerCase() + '.' + e.className.split(' ').join('.'); break;
    }
  }
  return {box: box.id, sw: m.scrollWidth, cw: m.clientWidth, sh: m.scrollHeight, ch: m.clientHeight,
          ox: cs.overflowX, oy: cs.overflowY, right: r.right, boxRight: b.right, clippedBy: clippedBy};
});
// tables of the chapters' outputs: every cell's text, class, colour and number of lines
out.tables = Array.from(document.querySelectorAll('div.cell_output table')).map((t, i) => {
  const r = t.getBoundingClientRect(), c = t.closest('div.cell_output').getBoundingClientRect();
  const heads = Array.from(t.querySelectorAll('thead th')).map(h => h.textContent.trim());
  const cells = Array.from(t.querySelectorAll('tbody td')).map(td => {
    const range = document.createRange(); range.selectNodeContents(td);
    const tops = new Set(Array.from(range.getClientRects()).filter(q => q.width > 0)
                               .map(q => Math.round(q.top)));
    return {text: td.textContent.trim(), cls: td.className, lines: tops.size,
            color: getComputedStyle(td).color, col: heads[td.cellIndex] || ''};
  });
  return {index: i, right: r.right, containerRight: c.right, heads: heads, cells: cells};
});
// status words and badges anywhere in the outputs, with their colours
out.words = Array.from(document.querySelectorAll(
    'div.cell_output td, div.cell_output span, div.cell_output b, div.cell_output code')).filter(e =>
    e.children.length === 0).map(e => ({text: e.textContent.trim().toLowerCase(), cls: e.className || '',
    color: getComputedStyle(e).color, background: getComputedStyle(e).backgroundColor}));
// code blocks (input cells, outputs, the prose's code) as shown: how wide their text is, how wide
// their box, and where they end against the article's column
const column = (document.querySelector('.bd-article') || document.querySelector('main'))
    .getBoundingClientRect();
out.code = Array.from(document.querySelectorAll('main pre')).filter(p => p.getClientRects().length > 0
    && p.clientWidth > 0).map(p => {
  const r = p.getBoundingClientRect();
  const where = p.closest('div.cell_input') ? 'input cell'
      : p.closest('div.cell_output') ? 'output' : 'prose';
  const longest = p.textContent.split('\\n').reduce((a, b) => b.length > a.length ? b : a, '');
  return {where: where, sw: p.scrollWidth, cw: p.clientWidth, right: r.right, columnRight: column.right,
          line: longest.slice(0, 70)};
});
// table headers: every character with the vertical middle of its box, to find where a header wraps
out.heads = Array.from(document.querySelectorAll('div.cell_output table thead th')).map(th => {
  const chars = [];
  const walker = document.createTreeWalker(th, NodeFilter.SHOW_TEXT);
  for (let n = walker.nextNode(); n; n = walker.nextNode()) {
    for (let i = 0; i < n.data.length; i++) {
      const range = document.createRange(); range.setStart(n, i); range.setEnd(n, i + 1);
      const q = Array.from(range.getClientRects()).find(x => x.width > 0);
      chars.push([n.data[i], q ? (q.top + q.bottom) / 2 : null]);
    }
  }
  return {text: th.textContent, fontSize: parseFloat(getComputedStyle(th).fontSize), chars: chars};
});
// the blueprint graph in SVG user units
const svg = document.querySelector('svg.natsparse-blueprint');
if (svg) {
  const attrs = r => ({stroke: r.getAttribute('stroke'), fill: r.getAttribute('fill'),
                       width: r.getAttribute('stroke-width'), dash: r.getAttribute('stroke-dasharray') || '',
                       rx: r.getAttribute('rx')});
  const box = b => [b.x, b.y, b.width, b.height];
  out.blueprint = {
    nodes: Array.from(svg.querySelectorAll('g.bp-node')).map(g => ({id: g.dataset.id,
        status: g.dataset.status, rect: box(g.querySelector('rect').getBBox()),
        text: box(g.querySelector('text').getBBox()),
        attrs: attrs(g.querySelector('rect'))})),
    legend: Array.from(svg.querySelectorAll('g.bp-legend')).map(g => ({status: g.dataset.status,
        attrs: attrs(g.querySelector('rect'))})),
    edges: Array.from(svg.querySelectorAll('path.bp-edge')).map(p => {
      const L = p.getTotalLength(), pts = [];
      for (let d = 0; d < L; d += 2) { const q = p.getPointAtLength(d); pts.push([q.x, q.y]); }
      const e = p.getPointAtLength(L); pts.push([e.x, e.y]);
      return {from: p.dataset.from, to: p.dataset.to, pts: pts};
    }),
    shown: svg.getBoundingClientRect().width, viewBox: svg.viewBox.baseVal.width,
    shownHeight: svg.getBoundingClientRect().height, viewBoxHeight: svg.viewBox.baseVal.height,
    right: svg.getBoundingClientRect().right, container: svg.parentElement.getBoundingClientRect().width,
    columnRight: column.right,
    full: Array.from(document.querySelectorAll('a.natsparse-blueprint-full')).map(a => a.href),
  };
}
return out;
"""

#: Theorem boxes that get a screenshot of their own (besides a full-page one of every page).
BOX_SHOTS = (("book/notation", "def:attention"), ("book/gaussian", "lem:partition-lower"),
             ("book/deterministic", "thm:output-error"))
#: Figures each chapter promises, and whether they follow the book's figure style (issue 17: the
#: Gaussian, asymptotics and kernel chapters; condensation and the real model keep their own sizes).
FIGURES = {"book/deterministic": (2, True), "book/gaussian": (2, True), "book/asymptotics": (3, True),
           "book/kernel": (2, True), "book/condensation": (2, False)}
#: Chapters whose promised figures are not all there yet (tracked by issue 17).
FIGURES_PENDING = {
    "book/gaussian": "issue 17: the failure frequency against delta with its intervals is not drawn yet "
                     "(the chapter has the sharp-bound figure; k_eps against n, the phase diagram and the "
                     "windows are in the asymptotics chapter)",
}
#: Words that name a status: neutral colours unless they report a failure.
STATUS_WORDS = {"yes", "no", "undecided", "stated", "encoded", "sampled", "verified", "proved",
                "fully-proved", "certified: undecided", "vacuous: no"}
NUMBER = re.compile(r"^[-−+]?(\d[\d,]*\.?\d*|\.\d+)(×10[⁻⁺]?[⁰¹²³⁴⁵⁶⁷⁸⁹]+|[eE][-+]?\d+)?%?$")
RAW_JSON = re.compile(r'\{\s*"[^"]+"\s*:')
RAW_EXPONENT = re.compile(r"^[-−+]?(\d+\.?\d*|\.\d+)[eE][-+]?\d+$")


def _wait_ready(drv) -> str:
    deadline = time.monotonic() + 20          # index.html redirects to the root chapter
    while time.monotonic() < deadline and not drv.execute_script(
            "return document.readyState === 'complete' && document.body !== null "
            "&& document.querySelector('main') !== null;"):
        time.sleep(0.1)
    return drv.execute_async_script(_WAIT_MATHJAX)


_FETCH = """
const done = arguments[arguments.length - 1];
fetch(arguments[0]).then(r => r.ok ? r.text() : 'HTTP ' + r.status).then(done)
  .catch(e => done('error: ' + e));
"""


def _full_page_screenshot(drv, path: Path) -> None:
    """The whole page at 1280 px wide (the window grows to the page's height, then shrinks back)."""
    height = drv.execute_script("return document.documentElement.scrollHeight;")
    drv.set_window_size(1280, min(int(height) + 120, 16000))
    time.sleep(0.3)
    drv.save_screenshot(str(path))
    drv.set_window_size(1280, 1600)


def _blueprint_screenshot(drv, path: Path) -> None:
    """The blueprint graph alone at its natural size (the page shows it scaled to the column)."""
    w, h = drv.execute_script("""
      const svg = document.querySelector('svg.natsparse-blueprint').cloneNode(true);
      svg.style.maxWidth = 'none'; svg.style.width = svg.getAttribute('width') + 'px';
      svg.style.height = svg.getAttribute('height') + 'px';
      document.body.innerHTML = ''; document.body.style.margin = '0'; document.body.appendChild(svg);
      const r = svg.getBoundingClientRect(); return [Math.ceil(r.width), Math.ceil(r.height)];""")
    drv.set_window_size(max(int(w) + 40, 800), int(h) + 160)
    time.sleep(0.3)
    drv.save_screenshot(str(path))
    drv.set_window_size(1280, 1600)


@pytest.fixture(scope="session")
def browsed(driver, book_server, built_book) -> dict:
    """Every page opened once at 1280 px: {"pages": {page: info}, "console": [...], "shots": Path}.
    Takes a full-page screenshot of each page, one of a few theorem boxes and one of the graph."""
    shots = built_book["screenshots"]
    shots.mkdir(parents=True, exist_ok=True)
    pages: dict[str, dict] = {}
    console: list[str] = []
    for page in ["index"] + _toc_pages():
        driver.get(urljoin(book_server, f"{page}.html"))
        mathjax = _wait_ready(driver)
        pages[page] = driver.execute_script(_PAGE_INFO, mathjax)
        for entry in driver.get_log("browser"):
            if entry.get("level") in ("SEVERE", "ERROR"):
                console.append(f"{page}: {entry.get('message')}")
        if page != "index":
            _full_page_screenshot(driver, shots / f"{page.rsplit('/', 1)[-1]}.png")
    for page, box_id in BOX_SHOTS:
        driver.get(urljoin(book_server, f"{page}.html"))
        _wait_ready(driver)
        box = driver.execute_script("return document.getElementById(arguments[0]);", box_id)
        if box is not None:
            driver.execute_script("arguments[0].scrollIntoView({block: 'center'});", box)
            box.screenshot(str(shots / f"box-{box_id.replace(':', '-')}.png"))
    if "book/blueprint" in pages and pages["book/blueprint"].get("blueprint"):
        driver.get(urljoin(book_server, "book/blueprint.html"))
        _wait_ready(driver)
        bp = pages["book/blueprint"]["blueprint"]
        bp["full_text"] = driver.execute_async_script(_FETCH, bp["full"][0]) if bp["full"] else None
        _blueprint_screenshot(driver, shots / "blueprint-graph.png")
    print(f"screenshots: {shots}")
    return {"pages": pages, "console": console, "shots": shots}


BROWSER = (pytest.mark.book, pytest.mark.browser, pytest.mark.slow)


def _browser(test):
    for mark in BROWSER:
        test = mark(test)
    return test


@_browser
def test_book_in_browser(browsed, book_server):
    from natsparse.blueprint import find_labels
    from natsparse.proofs import registry

    labels = find_labels(ROOT / "book")
    errors: list[str] = []
    pages = browsed["pages"]
    for page, info in pages.items():
        stem = page.rsplit("/", 1)[-1]
        if info["math_nodes"]:
            if info["mathjax"] != "ok":
                errors.append(f"{page}: MathJax did not start ({info['mathjax']})")
            if not info["mjx"] or info["raw_math"]:
                errors.append(f"{page}: {info['raw_math']} of {info['math_nodes']} math nodes not rendered")
        for raw in ("$$", "\\begin", "\\frac", "\\tau", "\\mathrm"):
            if raw in info["text"]:
                errors.append(f"{page}: raw TeX {raw!r} left in the visible text")
        expected = sorted(lab for lab, (p, _) in labels.items() if p == stem)
        missing = [lab for lab in expected if lab not in info["ids"]]
        if missing:
            errors.append(f"{page}: theorem boxes missing for {missing}")
        boxes = [pid for pid in info["proofs"] if pid in expected]
        if sorted(boxes) != expected:
            errors.append(f"{page}: div.proof boxes {sorted(boxes)} != labels {expected}")
        broken = [i["src"] for i in info["imgs"] if not i["ok"]]
        if broken:
            errors.append(f"{page}: broken images {broken}")
        if info["stderr_outputs"]:
            errors.append(f"{page}: {info['stderr_outputs']} stderr output(s) shown to the reader")

    # the blueprint graph: one node per result, every link lands on an existing anchor
    links = pages["book/blueprint"]["links"]
    if len(links) != sum(1 for rid in registry if rid in labels):
        errors.append(f"blueprint: {len(links)} links for {len(labels)} labelled results")
    for href in links:
        target = urlsplit(urljoin(urljoin(book_server, "book/blueprint.html"), href))
        page = target.path.lstrip("/").removesuffix(".html")
        if page not in pages:
            errors.append(f"blueprint link {href}: page {page} was not built")
        elif target.fragment not in pages[page]["ids"]:
            errors.append(f"blueprint link {href}: no anchor #{target.fragment} on {page}")
    if not (browsed["shots"] / "box-thm-output-error.png").is_file():
        errors.append("deterministic: no theorem box thm:output-error to screenshot")

    assert not errors, "\n".join(errors)
    assert not browsed["console"], "browser console errors:\n" + "\n".join(browsed["console"])


def math_problems(pages: dict[str, dict]) -> list[str]:
    """Display formulas of theorem boxes that a reader cannot see whole: clipped by an ancestor,
    wider than their box (even where it scrolls: a reader takes the cut edge for the end),
    taller than their box without scrolling, or sticking out of the box."""
    out = []
    for page, info in pages.items():
        for m in info["maths"]:
            where = f"{page} #{m['box']}"
            if m["clippedBy"]:
                out.append(f"{where}: display maths clipped by {m['clippedBy']}")
            if m["sw"] > m["cw"] + 1:
                hidden = "scrolls" if m["ox"] in ("auto", "scroll") else f"overflow-x {m['ox']}"
                out.append(f"{where}: display maths {m['sw']} px wide in {m['cw']} px ({hidden}): the "
                           f"reader sees it cut")
            if m["sh"] > m["ch"] + 1 and m["oy"] not in ("auto", "scroll"):
                out.append(f"{where}: display maths {m['sh']} px high in {m['ch']} px, overflow-y {m['oy']}")
            if m["right"] > m["boxRight"] + 1:
                out.append(f"{where}: display maths ends at {m['right']:.0f} px, outside its box "
                           f"({m['boxRight']:.0f} px)")
    return out


@_browser
def test_display_maths_is_never_clipped_in_a_theorem_box(browsed):
    boxes = sum(len(info["maths"]) for info in browsed["pages"].values())
    assert boxes > 20, f"only {boxes} display formulas found in theorem boxes"
    problems = math_problems(browsed["pages"])
    assert not problems, "\n".join(problems)


def table_problems(pages: dict[str, dict]) -> list[str]:
    """Tables a reader cannot read: a column beyond the page, a number wrapped onto two lines or
    printed with a raw exponent, a header in TeX or code; raw JSON in the text."""
    out = []
    for page, info in pages.items():
        for t in info["tables"]:
            where = f"{page} table {t['index']}"
            if t["right"] > t["containerRight"] + 1:
                out.append(f"{where}: columns cut off ({t['right']:.0f} px > {t['containerRight']:.0f} px); "
                           f"headers {t['heads']}")
            for head in t["heads"]:
                if any(raw in head for raw in ("^{", "_{", "\\")):
                    out.append(f"{where}: raw header {head!r}")
            for cell in t["cells"]:
                if RAW_EXPONENT.match(cell["text"]):
                    out.append(f"{where}, column {cell['col']!r}: raw exponent {cell['text']!r}")
                if NUMBER.match(cell["text"]) and cell["lines"] > 1:
                    out.append(f"{where}, column {cell['col']!r}: number {cell['text']!r} wraps "
                               f"onto {cell['lines']} lines")
        blob = RAW_JSON.search(info["html_outputs"])
        if blob:
            at = blob.start()
            out.append(f"{page}: raw JSON in an output: {info['html_outputs'][at:at + 60]!r}")
    return out


@_browser
def test_tables_show_every_column_and_keep_numbers_whole(browsed):
    tables = sum(len(info["tables"]) for info in browsed["pages"].values())
    assert tables > 20, f"only {tables} tables found in the chapters' outputs"
    problems = table_problems(browsed["pages"])
    assert not problems, "\n".join(problems)


def _alarming(css_colour: str) -> bool:
    """A red or orange that reads as a warning (saturated, neither pale nor near black)."""
    import colorsys

    m = re.match(r"rgba?\((\d+),\s*(\d+),\s*(\d+)(?:,\s*([\d.]+))?\)", css_colour)
    if not m or (m.group(4) is not None and float(m.group(4)) < 0.3):
        return False
    h, lum, sat = colorsys.rgb_to_hls(*(int(m.group(i)) / 255 for i in (1, 2, 3)))
    return sat >= 0.35 and 0.2 <= lum <= 0.75 and (h * 360 < 50 or h * 360 >= 330)


def status_colour_problems(pages: dict[str, dict]) -> list[str]:
    """Status words (yes/no/undecided, the ladder's statuses) shown in a warning colour although
    nothing failed, and failures that are not shown as such."""
    out = []
    for page, info in pages.items():
        for w in info["words"]:
            failed = "failed" in w["cls"] or w["text"] == "failed"
            if w["text"] in STATUS_WORDS and not failed and (
                    _alarming(w["color"]) or _alarming(w["background"])):
                out.append(f"{page}: {w['text']!r} ({w['cls'] or 'no class'}) in warning colours "
                           f"{w['color']} on {w['background']}")
            if failed and w["text"] in ("no", "failed") and not (
                    _alarming(w["color"]) or _alarming(w["background"])):
                out.append(f"{page}: a failure {w['text']!r} not in a warning colour ({w['color']})")
    return out


@_browser
def test_status_words_are_neutral_unless_something_failed(browsed):
    words = [w for info in browsed["pages"].values() for w in info["words"] if w["text"] in STATUS_WORDS]
    assert len(words) > 50, f"only {len(words)} status words found"
    problems = status_colour_problems(browsed["pages"])
    assert not problems, "\n".join(problems[:40])


def blueprint_problems(bp: dict) -> list[str]:
    """The graph as rendered: boxes apart, each id inside its box, edges off every box but at
    their ends, arrowheads of a box apart, the legend drawn like the nodes, text at full size."""
    out = []
    nodes = bp["nodes"]
    for i, a in enumerate(nodes):
        ax, ay, aw, ah = a["rect"]
        tx, ty, tw, th = a["text"]
        if not (ax + 2 <= tx and tx + tw <= ax + aw - 2 and ay <= ty and ty + th <= ay + ah):
            out.append(f"id {a['id']} not inside its box: text {a['text']} box {a['rect']}")
        for b in nodes[i + 1:]:
            bx, by, bw, bh = b["rect"]
            if ax < bx + bw and bx < ax + aw and ay < by + bh and by < ay + ah:
                out.append(f"boxes {a['id']} and {b['id']} overlap")
    heads: dict[str, list[float]] = {}
    for e in bp["edges"]:
        for x, y in e["pts"]:
            for n in nodes:
                nx, ny, nw, nh = n["rect"]
                if nx + 1 < x < nx + nw - 1 and ny + 1 < y < ny + nh - 1:
                    out.append(f"edge {e['from']} → {e['to']} passes through {n['id']} at ({x:.0f}, {y:.0f})")
                    break
            else:
                continue
            break
        heads.setdefault(e["to"], []).append(e["pts"][-1][0])
    for node, xs in heads.items():
        xs.sort()
        if any(b - a < 6 for a, b in zip(xs, xs[1:], strict=False)):
            out.append(f"arrowheads into {node} pile up at x = {[round(x) for x in xs]}")
    legend = {g["status"]: g["attrs"] for g in bp["legend"]}
    for n in nodes:
        if legend.get(n["status"]) != n["attrs"]:
            out.append(f"legend for {n['status']} {legend.get(n['status'])} differs from node {n['id']} "
                       f"{n['attrs']}")
    if bp["shown"] > bp["container"] + 1 or bp["right"] > bp["columnRight"] + 1:
        out.append(f"graph {bp['shown']:.0f} px wide in a column of {bp['container']:.0f} px (ends at "
                   f"{bp['right']:.0f} px, the column at {bp['columnRight']:.0f} px): it is cut or scrolls")
    if abs(bp["shownHeight"] * bp["viewBox"] - bp["shown"] * bp["viewBoxHeight"]) > bp["viewBox"]:
        out.append(f"graph distorted: shown {bp['shown']:.0f}×{bp['shownHeight']:.0f} px for a viewBox "
                   f"{bp['viewBox']:.0f}×{bp['viewBoxHeight']:.0f}")
    out += full_size_problems(bp)
    return out


def full_size_problems(bp: dict) -> list[str]:
    """The link under the graph must open the same graph at its natural size: an SVG whose width is
    its viewBox's, with every node, whose links still lead somewhere (absolute addresses)."""
    if len(bp.get("full") or ()) != 1:
        return [f"{len(bp.get('full') or ())} links to the graph at full size (a.natsparse-blueprint-full), "
                f"expected 1"]
    text = bp.get("full_text") or ""
    root = re.search(r"<svg\b[^>]*>", text)
    if not root or "natsparse-blueprint" not in root.group(0):
        return [f"the full-size link {bp['full'][0][:60]} does not lead to the graph's SVG: {text[:80]!r}"]
    width = re.search(r'\swidth="([\d.]+)', root.group(0))
    box = re.search(r'viewBox="[\d.]+ [\d.]+ ([\d.]+)', root.group(0))
    out = []
    if not (width and box and abs(float(width.group(1)) - float(box.group(1))) < 1):
        out.append(f"the full-size SVG is not at its natural size: {root.group(0)[:200]}")
    nodes = text.count('class="bp-node"')
    if nodes != len(bp["nodes"]):
        out.append(f"the full-size SVG has {nodes} nodes, the page's graph {len(bp['nodes'])}")
    relative = [h for h in re.findall(r'\shref="([^"]+)"', text) if not re.match(r"https?://", h)]
    if relative:
        out.append(f"the full-size SVG keeps relative links, which lead nowhere from it: {relative[:3]}")
    return out


@_browser
def test_blueprint_graph_reads_well(browsed):
    from natsparse.proofs import STATUSES, registry

    bp = browsed["pages"]["book/blueprint"].get("blueprint")
    assert bp, "no svg.natsparse-blueprint on the blueprint page"
    assert sorted(n["id"] for n in bp["nodes"]) == sorted(registry)
    assert [g["status"] for g in bp["legend"]] == list(STATUSES)
    assert bp["edges"], "the graph has no edges"
    problems = blueprint_problems(bp)
    assert not problems, "\n".join(problems[:40])


def figure_problems(page: str, info: dict) -> list[str]:
    """Fewer figures on `page` than promised, and (for a chapter in the book's figure style)
    figures shown so small that their smallest text -- natsparse.figures.style.SMALLEST_PT at
    style.DPI, scaled as shown -- is under 10 px."""
    from natsparse.figures import style

    least, styled = FIGURES[page]
    figs = [i for i in info["imgs"] if i["figure"] and i["ok"]]
    out = [f"{page}: {len(figs)} figures, expected at least {least}"] if len(figs) < least else []
    for f in figs if styled else ():
        px = style.SMALLEST_PT * style.DPI / 72 * f["shown"] / f["natural"]
        if f["shown"] < 300 or px < 10:
            out.append(f"{page}: figure {f['src'].rsplit('/', 1)[-1][:12]}… shown {f['shown']:.0f} px wide "
                       f"of {f['natural']} px: its smallest text would be {px:.1f} px")
    return out


@_browser
@pytest.mark.parametrize("page", [
    pytest.param(page, marks=pytest.mark.xfail(reason=FIGURES_PENDING[page], strict=False))
    if page in FIGURES_PENDING else page for page in sorted(FIGURES)])
def test_figures_are_there_at_a_readable_size(browsed, page):
    problems = figure_problems(page, browsed["pages"][page])
    assert not problems, "\n".join(problems)


def code_problems(pages: dict[str, dict]) -> list[str]:
    """Code a reader sees cut at the right edge: an input cell, an output or a code block of the prose
    whose text is wider than its box (it would scroll, and a reader takes the cut for the end of the
    line) or whose box ends beyond the article's column."""
    out = []
    for page, info in pages.items():
        for c in info["code"]:
            if c["sw"] > c["cw"] + 1:
                out.append(f"{page}: {c['where']} {c['sw']} px wide in {c['cw']} px, cut at the right edge: "
                           f"{c['line']!r}")
            elif c["right"] > c["columnRight"] + 1:
                out.append(f"{page}: {c['where']} ends at {c['right']:.0f} px, beyond the column "
                           f"({c['columnRight']:.0f} px): {c['line']!r}")
    return out


@_browser
def test_code_is_never_cut_at_the_right_edge(browsed):
    blocks = [c for info in browsed["pages"].values() for c in info["code"]]
    assert sum(c["where"] == "input cell" for c in blocks) > 50, f"only {len(blocks)} code blocks found"
    problems = code_problems(browsed["pages"])
    assert not problems, f"{len(problems)} code blocks cut:\n" + "\n".join(problems[:40])


#: Characters of a relation or a compound: a header may not wrap next to one ("tau = 0", "error/bound").
JOINERS = "=<>≤≥≠≈~∼×·+−–-/"


#: A bare number, which stays on the line of the word after it ("2 tau").
NUMBER_WORD = r"[-+−]?\d+(?:\.\d+)?"


def _units(chars: list) -> list[list]:
    """The characters of a header grouped into the units a line may not break: words, words joined
    by or holding a relation or compound character (``tau = 0`` is one unit, ``error/bound`` too), and a
    number with the word after it (``2 tau``)."""
    words, current = [], []
    for ch, mid in chars:
        if ch.isspace():
            if current:
                words.append(current)
            current = []
        else:
            current.append((ch, mid))
    if current:
        words.append(current)
    units: list[list] = []
    last = ""
    for word in words:
        text = "".join(c for c, _ in word)
        if units and (units[-1][-1][0] in JOINERS or word[0][0] in JOINERS
                      or re.fullmatch(NUMBER_WORD, last)):
            units[-1] += word
        else:
            units.append(list(word))
        last = text
    return units


def header_problems(pages: dict[str, dict]) -> list[str]:
    """Table headers that wrap inside a word or a relation: the characters of one unit (`_units`)
    shown on two lines (their middles apart by more than 0.6 em, which a super- or subscript is not)."""
    out = []
    for page, info in pages.items():
        for head in info["heads"]:
            limit = 0.6 * head["fontSize"]
            for unit in _units(head["chars"]):
                mids = [m for _, m in unit if m is not None]
                if mids and max(mids) - min(mids) > limit:
                    text = "".join(c for c, _ in unit)
                    lines: list[str] = []
                    last = None
                    for ch, m in head["chars"]:
                        if m is not None and last is not None and abs(m - last) > limit:
                            lines.append(" ⏎ ")
                        lines.append(ch)
                        last = m if m is not None else last
                    out.append(f"{page}: header {head['text'].strip()!r} breaks inside {text!r}: "
                               f"{' '.join(''.join(lines).split())!r}")
    return out


@_browser
def test_table_headers_break_between_words_only(browsed):
    heads = [h for info in browsed["pages"].values() for h in info["heads"]]
    assert len(heads) > 100, f"only {len(heads)} table headers found"
    problems = header_problems(browsed["pages"])
    assert not problems, "\n".join(problems[:40])


def shown_statuses(info: dict) -> dict[str, str]:
    """{id: status} of the blueprint's table of all results, as the built book shows it."""
    for t in info["tables"]:
        if "id" in t["heads"] and "status" in t["heads"]:
            width = len(t["heads"])
            rows = [t["cells"][i:i + width] for i in range(0, len(t["cells"]), width)]
            i, s = t["heads"].index("id"), t["heads"].index("status")
            return {row[i]["text"].split()[0]: row[s]["text"] for row in rows if len(row) == width}
    return {}


@_browser
def test_prose_states_the_status_the_book_shows(browsed):
    """Every status word of the prose said of a result (test_prose_status.py) against the status the
    blueprint's table shows, computed while this book was built."""
    from natsparse.proofs import registry

    from .test_prose_status import status_claims, status_problems

    shown = shown_statuses(browsed["pages"]["book/blueprint"])
    assert sorted(shown) == sorted(registry), "the blueprint's table does not list every result"
    problems = status_problems(status_claims(), shown)
    assert not problems, "stale status prose:\n" + "\n".join(problems)
