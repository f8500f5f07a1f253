"""The docs site in a real browser: headless Chromium (Debian's `chromium`) opens the home page and a method page
of the site `make test` / `make docs` built in `_site` (or, when that is missing or older than the notebooks,
a site of those two pages built here), checks what a reader sees, and saves screenshots in test-artifacts/docs/."""
import functools
import http.server
import os
import re
import shutil
import subprocess
import threading
import urllib.request
from pathlib import Path

import pytest

from conftest import REPO

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
# as root, in a sandbox with no network: no sandboxing, no GPU, no background connections
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync", "--hide-scrollbars"]
ARTIFACTS = REPO / "test-artifacts" / "docs"
METHOD_PAGE = "15_methods.grouping"       # a method's page: prose, maths, a table and a plot among its outputs

REQUIRED = os.environ.get("MTCLIP_REQUIRE_CHROMIUM") == "1"     # CI (.ci/run installs it): fail, never skip
pytestmark = pytest.mark.skipif(CHROMIUM is None and not REQUIRED,
                                reason="needs Debian's chromium (apt-get install chromium)")


def _fresh(site: Path) -> bool:
    "A site built after every notebook and the README last changed."
    home = site / "index.html"
    sources = [*(REPO / "nbs").glob("*.ipynb"), REPO / "README.md"]
    return home.is_file() and home.stat().st_mtime >= max(p.stat().st_mtime for p in sources)


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    if _fresh(REPO / "_site"): return REPO / "_site"
    from mtclip.docs import build_site
    return build_site(REPO / "nbs", tmp_path_factory.mktemp("docs") / "site", only=[METHOD_PAGE]).parent


@pytest.fixture(scope="module")
def server(site):
    class Quiet(http.server.SimpleHTTPRequestHandler):
        def log_message(self, *args): pass
    handler = functools.partial(Quiet, directory=str(site))
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()


def browse(url: str, name: str, tmp_path: Path) -> str:
    "The page's DOM after Chromium ran its scripts; a screenshot of it in test-artifacts/docs/NAME.png."
    assert CHROMIUM, "chromium is not installed (apt-get install chromium)"
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    common = [CHROMIUM, *FLAGS, f"--user-data-dir={tmp_path / 'chromium'}", "--virtual-time-budget=5000"]
    dom = subprocess.run([*common, "--dump-dom", url], capture_output=True, text=True, timeout=120).stdout
    subprocess.run([*common, "--window-size=1400,1800", f"--screenshot={ARTIFACTS / name}.png", url],
                   capture_output=True, timeout=120, check=True)
    assert (ARTIFACTS / f"{name}.png").stat().st_size > 20_000, "a blank screenshot"
    return dom


def check_page(dom: str, base: str, page: str, title: str):
    assert re.search(rf"<title>[^<]*{re.escape(title)}[^<]*</title>", dom), f"{page}: no title {title!r}"
    sidebar = dom[dom.find("md-sidebar--primary"):dom.find("md-sidebar--secondary")]
    assert "md-sidebar--primary" in dom and all(section in sidebar for section in ("Library", "Experiments", "cli")), \
        f"{page}: no sidebar with the sections"
    assert "<table" in dom, f"{page}: no rendered table"
    images = re.findall(r'<img[^>]+src="([^"]+)"', dom)
    assert images, f"{page}: no image"
    for src in images:                                   # each image is there: a data URI or a file the site serves
        if not src.startswith("data:image/"):
            with urllib.request.urlopen(f"{base}/{src}") as answer: assert answer.status == 200, src
    assert "Traceback (most recent call last)" not in dom and "404 - Not found" not in dom, f"{page}: error text"


def test_home_page_in_chromium(server, tmp_path):
    dom = browse(f"{server}/index.html", "home", tmp_path)
    check_page(dom, server, "index.html", "mtclip")
    assert "make demo" in dom and "make test" in dom


def test_method_page_in_chromium(server, tmp_path):
    dom = browse(f"{server}/{METHOD_PAGE}.html", "method_page", tmp_path)
    check_page(dom, server, f"{METHOD_PAGE}.html", "task grouping")
    assert "MathJax_" in dom or "mjx-" in dom, "maths not rendered by MathJax"
    assert "API reference" in dom
