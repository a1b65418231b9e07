"""Debian's Chromium, driven by Playwright for Python: what the browser tests share (test_book.py, the course
website; test_lab.py, the notebooks in JupyterLab).

Playwright's own browser builds cannot be downloaded here, so the system browser is launched through
``executable_path``. Where the browser cannot be had, a test is skipped saying why; under CI=true (the CI
runner) that is a failure instead: CI must never pass without having looked.
"""

import importlib.util
import os
import sys
from contextlib import contextmanager
from pathlib import Path

import pytest

CHROMIUM = Path("/usr/bin/chromium")
LAUNCH_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
               "--disable-component-update", "--disable-sync"]
ROOT = Path(__file__).resolve().parent.parent
INSTALL_HINT = {"playwright": "pip install -e '.[test]'", "jupyter_book": "pip install -e '.[book]'",
                "jupyterlab": "pip install -e ."}


def missing(*modules):
    """Why a browser test cannot run on this machine (playwright, /usr/bin/chromium, ``modules``), or None."""
    for module in ("playwright", *modules):
        if importlib.util.find_spec(module) is None:
            return f"the Python package {module} is not installed ({INSTALL_HINT.get(module, 'pip install ' + module)})"
    if not CHROMIUM.exists():
        return f"no {CHROMIUM}: install Debian's chromium package (`make setup` does, as root)"
    return None


def require(what, *modules):
    """Skip the calling test (or fixture) when the browser cannot be had, saying why; fail under CI=true."""
    reason = missing(*modules)
    if reason is None:
        return
    if os.environ.get("CI") == "true":
        pytest.fail(f"cannot check {what}: {reason} (CI=true: this test may not be skipped)", pytrace=False)
    print(f"skipping {what}: {reason}", file=sys.stderr)
    pytest.skip(reason)


@contextmanager
def chromium():
    """A headless Debian Chromium (a fresh profile in a temporary folder, removed on close)."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=LAUNCH_ARGS)
        try:
            yield browser
        finally:
            browser.close()
