"""The book builds without a warning, and renders in a real browser.

One session-scoped build (`built_book`) feeds both tests:

- `test_book_builds`: `jupyter-book build . -W -n --keep-going` into a temporary directory, with
  every notebook executed (a failing live check, a warning or a dangling reference fails it);
- `test_book_in_browser`: headless Chromium (Debian's `chromium` + `chromium-driver`, installed
  with apt-get when missing and running as root) opens every page over http://127.0.0.1 and
  checks that MathJax rendered the mathematics, that every theorem box and figure is there and
  no image is broken, that every link of the blueprint graph lands on an existing anchor, and
  that the console shows no error. Screenshots go to tests/artifacts/.
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
    """Build the book once per session: {html: Path, log: str, seconds: float, returncode: int}."""
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
    return {"html": out / "_build" / "html", "log": log, "seconds": seconds, "returncode": proc.returncode}


def _problems(log: str) -> list[str]:
    """Warning and error lines of a build log (the kernel's notice about TCP transport aside)."""
    plain = re.sub(r"\x1b\[[0-9;]*m", "", log)
    return [line for line in plain.splitlines()
            if re.search(r"\b(WARNING|ERROR|CRITICAL|SEVERE)\b|Traceback|Exception occurred", line)
            and "Kernel is running over TCP without encryption" not in line]


@pytest.mark.book
@pytest.mark.slow
def test_book_builds(built_book):
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
MathJax.startup.promise.then(() => done('ok')).catch(e => done('error: ' + e));
"""

_VISIBLE_TEXT = """
const clone = document.body.cloneNode(true);
clone.querySelectorAll('pre, code, script, style, mjx-container, .highlight, svg').forEach(e => e.remove());
return clone.textContent;
"""


def _open(drv, url: str) -> dict:
    """Load `url`, wait for MathJax, and return what the checks need."""
    drv.get(url)
    deadline = time.monotonic() + 20          # index.html redirects to the root chapter
    while time.monotonic() < deadline and not drv.execute_script(
            "return document.readyState === 'complete' && document.body !== null "
            "&& document.querySelector('main') !== null;"):
        time.sleep(0.1)
    mathjax = drv.execute_async_script(_WAIT_MATHJAX)
    return drv.execute_script("""
      const imgs = Array.from(document.images).map(i => ({src: i.currentSrc || i.src,
          ok: i.complete && i.naturalWidth > 0}));
      return {
        mathjax: arguments[0],
        mjx: document.querySelectorAll('mjx-container').length,
        math_nodes: document.querySelectorAll('.math').length,
        raw_math: document.querySelectorAll('.math:not(:has(mjx-container))').length,
        proofs: Array.from(document.querySelectorAll('div.proof')).map(d => d.id || ''),
        ids: Array.from(document.querySelectorAll('[id]')).map(e => e.id),
        imgs: imgs,
        figures: document.querySelectorAll('div.cell_output img').length,
        links: Array.from(document.querySelectorAll('svg.natsparse-blueprint a')).map(a =>
            a.getAttribute('href')),
        text: (function() {""" + _VISIBLE_TEXT + """})(),
      };""", mathjax)


@pytest.mark.book
@pytest.mark.browser
@pytest.mark.slow
def test_book_in_browser(driver, book_server):
    from natsparse.blueprint import find_labels
    from natsparse.proofs import registry

    labels = find_labels(ROOT / "book")
    errors: list[str] = []
    console: list[str] = []
    pages: dict[str, dict] = {}
    ARTIFACTS.mkdir(parents=True, exist_ok=True)

    for page in ["index"] + _toc_pages():
        url = urljoin(book_server, f"{page}.html")
        info = _open(driver, url)
        pages[page] = info
        if page == "index":
            driver.save_screenshot(str(ARTIFACTS / "front-page.png"))
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
        for entry in driver.get_log("browser"):
            if entry.get("level") in ("SEVERE", "ERROR"):
                console.append(f"{page}: {entry.get('message')}")

    # figures the chapters promise
    for page, least in (("book/deterministic", 2), ("book/kernel", 1), ("book/condensation", 2)):
        if pages[page]["figures"] < least:
            errors.append(f"{page}: {pages[page]['figures']} figures, expected at least {least}")
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

    # a screenshot of one theorem box
    driver.get(urljoin(book_server, "book/deterministic.html"))
    driver.execute_async_script(_WAIT_MATHJAX)
    box = driver.execute_script("return document.getElementById('thm:output-error');")
    if box is None:
        errors.append("deterministic: no theorem box thm:output-error to screenshot")
    else:
        driver.execute_script("arguments[0].scrollIntoView({block: 'center'});", box)
        box.screenshot(str(ARTIFACTS / "theorem-output-error.png"))
    for entry in driver.get_log("browser"):
        if entry.get("level") in ("SEVERE", "ERROR"):
            console.append(f"deterministic (again): {entry.get('message')}")

    assert not errors, "\n".join(errors)
    assert not console, "browser console errors:\n" + "\n".join(console)
