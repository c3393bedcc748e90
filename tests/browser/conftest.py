"""A real browser for the pages the service serves: headless Chromium from Debian's `chromium` package, driven by
Playwright (which is told where the browser is, and never downloads one of its own).

`browser` is one Chromium for a test module (not for the session: Playwright's synchronous API keeps an event loop
running in the main thread while it is open, and tests elsewhere run event loops of their own); `page` is a fresh context and page per test, offline: every request
that is not to 127.0.0.1 is aborted and recorded in `page.requests_off_machine`, and the page's console errors are
kept in `page.console_errors`.
"""

import shutil
from urllib.parse import urlsplit

import pytest

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
         "--disable-component-update", "--disable-sync"]


@pytest.fixture(scope="module")
def browser():
    if not shutil.which("chromium"):
        pytest.skip("no browser: install Debian's chromium package (apt-get install chromium); .ci/run does")
    sync_api = pytest.importorskip("playwright.sync_api", reason="the playwright package is missing: pip install -e '.[test]'")
    with sync_api.sync_playwright() as playwright:
        # Playwright gives each launch a fresh, temporary user data directory.
        launched = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=FLAGS)
        yield launched
        launched.close()


@pytest.fixture
def page(browser):
    context = browser.new_context()
    opened = context.new_page()
    opened.requests_off_machine = []
    opened.console_errors = []

    def only_this_machine(route):
        if urlsplit(route.request.url).hostname == "127.0.0.1":
            route.continue_()
        else:
            opened.requests_off_machine.append(route.request.url)
            route.abort("internetdisconnected")

    context.route("**/*", only_this_machine)
    opened.on("console", lambda message: opened.console_errors.append(message.text) if message.type == "error" else None)
    opened.set_default_timeout(20_000)
    yield opened
    context.close()
