"""Real Chromium (Debian's /usr/bin/chromium) driven by Playwright against the live server."""

import os

import pytest

# Playwright's sync API runs an event loop in this thread; Django's ORM calls made by the
# test itself are still plain synchronous calls.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

from playwright.sync_api import sync_playwright  # noqa: E402

CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
PASSWORD = "pw-for-tests-1"


def pytest_collection_modifyitems(items):
    for item in items:
        if "/e2e/" in str(item.fspath):
            item.add_marker(pytest.mark.e2e)


@pytest.fixture(scope="session")
def browser():
    if not os.path.exists(CHROMIUM):
        pytest.fail(f"{CHROMIUM} is missing: `make test` installs Debian's chromium.")
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        yield browser
        browser.close()


@pytest.fixture
def expected_console():
    """Console messages a test provokes on purpose (Chrome logs every 4xx response)."""
    return []


@pytest.fixture
def page(browser, live_server, expected_console):
    context = browser.new_context(base_url=live_server.url, viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.set_default_timeout(10_000)
    problems = []
    page.on("pageerror", lambda exc: problems.append(f"page error: {exc}"))
    page.on(
        "console",
        lambda msg: problems.append(f"console: {msg.text}") if msg.type == "error" else None,
    )
    yield page
    context.close()
    # A CSP violation or a script error shows up here: the page must run clean.
    unexpected = [p for p in problems if not any(e in p for e in expected_console)]
    assert not unexpected, "\n".join(unexpected)


@pytest.fixture
def login(page):
    def do(username):
        page.goto("/accounts/login/")
        page.get_by_label("Username").fill(username)
        page.get_by_label("Password").fill(PASSWORD)
        page.get_by_role("button", name="Log in").click()
        page.wait_for_url("**/")
        return page

    return do


_PHRASE_BOX = """
(phrase) => {
  const root = document.getElementById("article-text");
  const walker = document.createTreeWalker(root, NodeFilter.SHOW_TEXT);
  let node;
  while ((node = walker.nextNode())) {
    const i = node.data.indexOf(phrase);
    if (i < 0) continue;
    node.parentElement.scrollIntoView({block: "center"});
    const first = document.createRange();
    first.setStart(node, i);
    first.setEnd(node, i + 1);
    const lastEnd = i + phrase.length;
    const last = document.createRange();
    // the last code point may be two UTF-16 units
    const lastLen = /[\\uDC00-\\uDFFF]/.test(node.data[lastEnd - 1]) ? 2 : 1;
    last.setStart(node, lastEnd - lastLen);
    last.setEnd(node, lastEnd);
    const a = first.getBoundingClientRect();
    const b = last.getBoundingClientRect();
    return {x1: a.left + 1, y1: a.top + a.height / 2, x2: b.right - 1, y2: b.top + b.height / 2};
  }
  return null;
}
"""


def drag_select(page, phrase):
    """Select phrase in the story text by dragging the mouse across it, as a person would."""
    box = page.evaluate(_PHRASE_BOX, phrase)
    assert box, f"{phrase!r} is not in the rendered story"
    page.mouse.move(box["x1"], box["y1"])
    page.mouse.down()
    page.mouse.move((box["x1"] + box["x2"]) / 2, (box["y1"] + box["y2"]) / 2, steps=4)
    page.mouse.move(box["x2"], box["y2"], steps=4)
    page.mouse.up()
