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
    context = browser.new_context(
        base_url=live_server.url, viewport={"width": 1280, "height": 900}, reduced_motion="reduce"
    )
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
  // Find the phrase in a paragraph's text, even when highlights cut it into several nodes.
  function locate(p, offset) {
    const walker = document.createTreeWalker(p, NodeFilter.SHOW_TEXT);
    let node, seen = 0;
    while ((node = walker.nextNode())) {
      if (offset < seen + node.data.length) return [node, offset - seen];
      seen += node.data.length;
    }
    return null;
  }
  for (const p of document.querySelectorAll("#article-text p")) {
    const i = p.textContent.indexOf(phrase);
    if (i < 0) continue;
    p.scrollIntoView({block: "center"});
    const end = i + phrase.length;
    const lastLen = /[\uDC00-\uDFFF]/.test(p.textContent[end - 1]) ? 2 : 1;
    const [n1, o1] = locate(p, i);
    const [n2, o2] = locate(p, end - lastLen);
    const first = document.createRange();
    first.setStart(n1, o1);
    first.setEnd(n1, o1 + 1);
    const last = document.createRange();
    last.setStart(n2, o2);
    last.setEnd(n2, o2 + lastLen);
    const a = first.getBoundingClientRect();
    const b = last.getBoundingClientRect();
    return {x1: a.left + 1, y1: a.top + a.height / 2, x2: b.right - 1, y2: b.top + b.height / 2};
  }
  return null;
}
"""


def drag_select(page, phrase):
    """Select phrase in the story text by dragging the mouse across it, as a person would."""
    # Wait until the passage stops moving (a scroll or a swap may still be settling), so the
    # mouse lands on the words it means to.
    box = page.evaluate(_PHRASE_BOX, phrase)
    for _ in range(40):
        page.wait_for_timeout(50)
        again = page.evaluate(_PHRASE_BOX, phrase)
        if again == box:
            break
        box = again
    assert box, f"{phrase!r} is not in the rendered story"
    page.mouse.move(box["x1"], box["y1"])
    page.mouse.down()
    page.mouse.move((box["x1"] + box["x2"]) / 2, (box["y1"] + box["y2"]) / 2, steps=4)
    page.mouse.move(box["x2"], box["y2"], steps=4)
    page.mouse.up()


_HIGHLIGHTS = """
() => {
  const found = {};
  document.querySelectorAll('#article-text mark[data-ann]').forEach((m) => {
    m.dataset.ann.split(' ').filter(Boolean).forEach((id) => {
      found[id] = (found[id] || '') + m.textContent;
    });
  });
  return found;
}
"""


def highlights(page) -> dict[str, str]:
    """Annotation id -> highlighted text, however many marks flags cut it into."""
    return page.evaluate(_HIGHLIGHTS)


def expect_highlight(page, text, present=True):
    """Wait until some annotation highlights exactly text (or until none does)."""
    page.wait_for_function(
        "([text, present]) => Object.values((" + _HIGHLIGHTS + ")()).includes(text) === present",
        arg=[text, present],
    )


def click_highlight(page, text):
    ids = [i for i, t in highlights(page).items() if t == text]
    assert ids, f"no highlight for {text!r}"
    page.locator(f'#article-text mark[data-ann~="{ids[0]}"]').first.click()
