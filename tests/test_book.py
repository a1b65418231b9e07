"""The course website (make book), built from the student edition run in quick mode and opened in headless
Chromium (Debian's): every page loads, no image is broken, no internal link points nowhere, no cell shows an
error, and the animations play.

Without playwright or /usr/bin/chromium the test is skipped, saying why; with CI=true it fails instead.
"""

import functools
import http.server
import threading
from urllib.parse import unquote, urlsplit

import pytest

import browser as chromium_browser  # tests/browser.py: Debian's Chromium through Playwright
import editions  # notebooks/tools

NOTEBOOK_PAGES = [p.stem for p in editions.sources()]
PAGES = ["intro", *NOTEBOOK_PAGES, "docs/science", "figures", "results"]

# Pages that show error output today, until the exercise pattern changes (the lead's refactor): an exercise
# cell raises NotImplementedError on purpose (nbval's NBVAL_RAISES_EXCEPTION), and in 01 and 02 a check cell
# calls the unsolved exercise because its solution is removed from the student edition. Strict: remove a
# name as soon as its page is clean.
ERRORS_SHOWN_FOR_NOW = {
}

BROKEN_IMAGES = """async () => {
    const images = Array.from(document.images);
    images.forEach(img => { img.loading = "eager"; });
    await Promise.all(images.map(img => img.complete ? null :
        new Promise(done => { img.addEventListener("load", done); img.addEventListener("error", done);
                              setTimeout(done, 5000); })));
    // an <img> without src is a placeholder (the animation player's overlay, filled when it plays), not a broken image
    return images.filter(img => img.getAttribute("src") && img.naturalWidth === 0)
        .map(img => img.currentSrc || img.outerHTML.slice(0, 120));
}"""

ERROR_OUTPUTS = """() => Array.from(document.querySelectorAll(".output.traceback, .output.error, .output.stderr"))
    .filter(o => !o.matches(".output.stderr") || /Traceback|Error/.test(o.textContent))
    .map(o => o.textContent.trim().split("\\n").slice(-1)[0].slice(0, 160))"""


@pytest.fixture(scope="module")
def site(request, tmp_path_factory):
    """The site of the quick student edition, served on 127.0.0.1: (base URL, folder)."""
    chromium_browser.require("the website", "jupyter_book")
    import book

    folder, _ = request.getfixturevalue("student_edition")
    out = tmp_path_factory.mktemp("site") / "book"
    book.build(sorted(folder.glob("*.ipynb")), out)

    class Quiet(http.server.SimpleHTTPRequestHandler):
        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(Quiet, directory=out))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}", out
    server.shutdown()
    server.server_close()


@pytest.fixture(scope="module")
def browser(site):
    with chromium_browser.chromium() as chromium:
        yield chromium


@pytest.fixture
def open_page(site, browser):
    """open_page(name) -> (page, the site's own requests that failed or answered >= 400)."""
    base, _ = site
    pages = []

    def open_(name):
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        pages.append(page)
        # Nothing but the site: what the checks see is what a reader without network gets (no CDN waits).
        page.route("**/*", lambda route: route.continue_() if route.request.url.startswith(base) else route.abort())
        failed = []
        page.on("requestfailed", lambda r: failed.append(r.url) if r.url.startswith(base) else None)
        page.on("response", lambda r: failed.append(f"{r.url} ({r.status})")
                if r.url.startswith(base) and r.status >= 400 else None)
        response = page.goto(f"{base}/{name}.html", wait_until="load")
        assert response is not None and response.ok, f"{name}.html: {response and response.status}"
        return page, failed

    yield open_
    for page in pages:
        page.close()


def test_the_site_has_the_course_the_figures_and_the_results(site):
    _, folder = site
    assert {p.relative_to(folder).with_suffix("").as_posix() for p in folder.rglob("*.html")} >= {"index", *PAGES}
    assert 'href="docs/science.html' in (folder / "intro.html").read_text()  # the README's link to the science
    figures = (folder / "figures.html").read_text()
    assert all(f"{png.name}" in figures for png in editions.ROOT.glob("figures/*.png"))
    assert "comparison_summary.csv" in (folder / "results.html").read_text()


def _missing_links(page, base, folder):
    """Links (a, link) into the site whose file is not there."""
    targets = page.evaluate("() => Array.from(document.querySelectorAll('a[href], link[href]'), e => e.href)")
    return sorted({url for url in targets if url.startswith(base)
                   and not (folder / unquote(urlsplit(url).path).lstrip("/")).exists()})


@pytest.mark.parametrize("name", PAGES)
def test_page_loads_with_its_images_and_internal_links(site, open_page, name):
    base, folder = site
    page, failed = open_page(name)
    assert page.title(), name
    broken = page.evaluate(BROKEN_IMAGES)
    assert not broken, f"{name}.html: images that did not load: {broken}"
    missing = _missing_links(page, base, folder)
    assert not missing, f"{name}.html links to files that are not in the site: {missing}"
    assert not failed, f"{name}.html: requests to the site that failed: {failed}"


@pytest.mark.parametrize("name", [
    pytest.param(name, marks=pytest.mark.xfail(reason=ERRORS_SHOWN_FOR_NOW[name], strict=True))
    if name in ERRORS_SHOWN_FOR_NOW else name for name in PAGES])
def test_page_shows_no_error_output(open_page, name):
    page, _ = open_page(name)
    errors = page.evaluate(ERROR_OUTPUTS)
    assert not errors, f"{name}.html shows {len(errors)} error output(s): {errors}"


def test_the_checks_catch_a_broken_page(site, open_page):
    """A page with a missing image, a dead link and an error output (beside the site) fails every check."""
    base, folder = site
    (folder / "selftest").mkdir(exist_ok=True)
    (folder / "selftest" / "broken.html").write_text(
        '<html><head><title>broken</title></head><body><img src="../_images/no-such-figure.png">'
        '<a href="../no-such-page.html">dead link</a><a href="../intro.html">fine link</a>'
        '<div class="cell_output docutils container"><div class="output traceback">Traceback (most recent call last)\n'
        "NameError: name 'x' is not defined</div></div></body></html>")
    page, failed = open_page("selftest/broken")
    assert [url.rsplit("/", 1)[-1] for url in page.evaluate(BROKEN_IMAGES)] == ["no-such-figure.png"]
    assert [url.rsplit("/", 1)[-1] for url in _missing_links(page, base, folder)] == ["no-such-page.html"]
    assert page.evaluate(ERROR_OUTPUTS) == ["NameError: name 'x' is not defined"]
    assert any("no-such-figure.png (404)" in url for url in failed)


def test_animations_play(open_page):
    """Every animation (``dendritic.player``'s HTML player) shows its first frame, and Play moves it on: the
    overlay that draws the later frames over the first one gets a frame and becomes visible."""
    played = 0
    for name in NOTEBOOK_PAGES:
        page, _ = open_page(name)
        for player in page.locator("div.dendritic-player").all():
            frame = player.locator("img").first
            assert frame.get_attribute("src") and frame.evaluate("img => img.naturalWidth") > 0, \
                f"{name}: the player shows no frame"
            player.locator("button[data-do=play]").click()
            page.wait_for_function("img => img.style.visibility === 'visible' && img.naturalWidth > 0",
                                   arg=player.locator("img[data-do=overlay]").element_handle(), timeout=5000)
            played += 1
    assert played, "the course has no animation to play"
