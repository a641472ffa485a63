"""The story page laid out for reading: one column of cards in text order beside their
passages, a filter, n / p, tabs and a menu on a phone, the shortcuts sheet, the comment
limit, Discuss with a comment, notices that replace each other, a stale page, Publish
with items still open."""

import re

import pytest
from playwright.sync_api import expect

from reviews import services
from reviews.models import Annotation, Article, Flag, LexiconTerm, Reply
from tests.conftest import selection

from .conftest import PASSWORD, drag_select, expect_highlight

FILLER = (
    "The committee heard from residents, traders and the bus company over three long "
    "evenings, and the minutes run to forty pages."
)


def long_story():
    """Twenty-four paragraphs: passages far enough apart that moving between them scrolls."""
    paras = [FILLER] * 24
    paras[0] = "Councillors voted 7-4 on Tuesday night to build a bus lane on Harbour Road."
    paras[3] = "Shop owners slammed the decision, saying trade would suffer."
    paras[8] = "The plan will cost $4.2 million, according to the transport committee."
    paras[13] = "The regime at the town hall has ignored us, said one baker."
    paras[18] = "An irate crowd gathered outside the chamber before the vote."
    paras[22] = "A public meeting will be held at the library on 14 March."
    return "\n\n".join(paras)


def set_lexicon():
    LexiconTerm.objects.all().delete()
    for phrase, category, severity, alts in [
        ("slam", "loaded_verb", "warn", ["criticise"]),
        ("regime", "contentious_label", "high", ["council"]),
        ("irate", "editorializing", "warn", ["angry"]),
    ]:
        LexiconTerm.objects.create(phrase=phrase, category=category, severity=severity,
                                   rationale="Loaded in our own voice.", alternatives=alts)


@pytest.fixture
def story(writer, editor):
    """Notes by the editor and the writer and three flags, interleaved through the text;
    one note resolved."""
    set_lexicon()
    article = services.create_article(writer, title="Bus lane", text=long_story())
    add = services.add_annotation
    notes = {
        "vote": add(article, editor, category="fact_check", body="Check the count.",
                    **selection(article, "voted 7-4")),
        "cost": add(article, writer, category="comment", body="Capital cost only?",
                    **selection(article, "$4.2 million")),
        "meeting": add(article, editor, category="style", body="Add the time.",
                       **selection(article, "14 March")),
        "done": add(article, editor, category="comment", body="Fixed already.",
                    **selection(article, "the bus company")),
    }
    services.set_resolved(notes["done"], editor, True)
    return article, notes


def in_view(page, selector):
    """Whether the element's box lies inside the window (the test waits for it)."""
    return (
        "(sel) => { const el = document.querySelector(sel); if (!el) return false;"
        " const r = el.getBoundingClientRect();"
        " return r.height > 0 && r.top >= 0 && r.bottom <= innerHeight; }",
        selector,
    )


def wait_in_view(page, selector):
    script, arg = in_view(page, selector)
    page.wait_for_function(script, arg=arg)


def stream_ids(page):
    return page.locator("#card-stream > li.card:visible").evaluate_all(
        "cards => cards.map(c => c.id)"
    )


def test_one_column_of_cards_in_reading_order_with_a_filter(page, login, editor, story):
    article, notes = story
    flags = {f.exact: f for f in Flag.objects.filter(article=article)}
    login("editor")
    page.goto(article.get_absolute_url())

    # Notes and flags interleaved by where their words are in the text.
    expected = [
        f"ann-{notes['vote'].pk}", f"flag-{flags['slammed'].pk}", f"ann-{notes['cost'].pk}",
        f"flag-{flags['regime'].pk}", f"flag-{flags['irate'].pk}", f"ann-{notes['meeting'].pk}",
    ]
    assert stream_ids(page) == expected
    expect(page.get_by_text("Resolved (1)")).to_be_visible()  # folded below the list

    bar = page.get_by_role("group", name="Show cards")
    counts = {"All": 7, "Notes": 4, "Flags": 3, "Open": 6, "Mine": 3}
    for name, count in counts.items():
        expect(bar.get_by_role("button", name=name)).to_have_text(f"{name} {count}")
    expect(bar.get_by_role("button", name="All")).to_have_attribute("aria-pressed", "true")

    bar.get_by_role("button", name="Flags").click()
    expect(bar.get_by_role("button", name="Flags")).to_have_attribute("aria-pressed", "true")
    expect(bar.get_by_role("button", name="All")).to_have_attribute("aria-pressed", "false")
    expect(page.locator("#card-stream > li.card:visible")).to_have_count(3)
    assert stream_ids(page) == [i for i in expected if i.startswith("flag-")]
    expect(page.get_by_text("Resolved (1)")).to_be_hidden()

    bar.get_by_role("button", name="Mine").click()  # notes the editor wrote (and flags decided)
    expect(page.locator("#card-stream > li.card:visible")).to_have_count(2)
    assert stream_ids(page) == [f"ann-{notes['vote'].pk}", f"ann-{notes['meeting'].pk}"]
    expect(page.get_by_text("Resolved (1)")).to_be_visible()  # the editor resolved their own

    bar.get_by_role("button", name="Open").click()
    expect(page.locator("#card-stream > li.card:visible")).to_have_count(6)
    expect(page.get_by_text("Resolved (1)")).to_be_hidden()

    bar.get_by_role("button", name="Notes").click()
    assert stream_ids(page) == [i for i in expected if i.startswith("ann-")]
    assert page.url.endswith(article.get_absolute_url())  # no reload, no new address


def test_n_p_j_k_step_through_the_cards_and_keep_each_passage_in_view(
    page, login, editor, story
):
    article, notes = story
    login("editor")
    page.goto(article.get_absolute_url())
    expected = stream_ids(page)
    page.locator("h1").click()

    for i, card_id in enumerate(expected):
        page.keyboard.press("n" if i % 2 == 0 else "j")
        card = page.locator(f"#{card_id}")
        expect(card).to_have_class(re.compile(r"\bis-active\b"))
        expect(card).to_be_focused()
        wait_in_view(page, f"#{card_id}")
        wait_in_view(page, "#article-text mark.is-active")
        # Beside the text, the active card sits level with its words.
        gap = page.evaluate(
            "id => document.getElementById(id).getBoundingClientRect().top"
            " - document.querySelector('#article-text mark.is-active').getBoundingClientRect().top",
            card_id,
        )
        assert abs(gap) < 4 or i == 0, (card_id, gap)  # the first sits below the filter

    page.keyboard.press("p")
    expect(page.locator(f"#{expected[-2]}")).to_have_class(re.compile(r"\bis-active\b"))
    page.keyboard.press("k")
    expect(page.locator(f"#{expected[-3]}")).to_have_class(re.compile(r"\bis-active\b"))
    wait_in_view(page, f"#{expected[-3]}")
    wait_in_view(page, "#article-text mark.is-active")

    # No two cards overlap, however the stack moved.
    boxes = page.locator("#card-stream > li.card").evaluate_all(
        "cards => cards.map(c => { const r = c.getBoundingClientRect(); return [r.top, r.bottom]; })"
    )
    for (_, bottom), (top, _) in zip(boxes, boxes[1:], strict=False):
        assert top >= bottom, boxes

    page.keyboard.press("Escape")
    expect(page.locator(".card.is-active")).to_have_count(0)


def test_clicking_a_highlight_brings_its_card_beside_it(page, login, editor, story):
    article, notes = story
    login("editor")
    page.goto(article.get_absolute_url())
    mark = page.locator(f'#article-text mark[data-ann~="{notes["meeting"].pk}"]')
    mark.scroll_into_view_if_needed()
    mark.click()
    card = page.locator(f"#ann-{notes['meeting'].pk}")
    expect(card).to_be_focused()
    expect(card).to_have_class(re.compile(r"\bis-active\b"))
    wait_in_view(page, f'#article-text mark[data-ann~="{notes["meeting"].pk}"]')
    wait_in_view(page, f"#ann-{notes['meeting'].pk}")
    mark_top = mark.bounding_box()["y"]
    assert abs(card.bounding_box()["y"] - mark_top) < 4

    # Its reply box opens with it; the others stay short.
    expect(card.get_by_label("Reply to this note")).to_be_visible()
    other = page.locator(f"#ann-{notes['cost'].pk}")
    expect(other.get_by_label("Reply to this note")).to_be_hidden()


def test_notices_sit_in_the_page_and_replace_each_other(
    page, login, editor, writer, story, expected_console
):
    expected_console += ["status of 403", "Response Status Error Code 403"]
    article, notes = story
    login("writer")
    page.goto(article.get_absolute_url())
    page.get_by_role("button", name="Submit for review").click()
    expect(page.locator(".inline-notice")).to_have_text("Story is now in review.")

    # A refused step: its message replaces the step's notice, never sits beside it.
    page.get_by_role("button", name="Back to draft").click()  # a fresh notice replaces it
    expect(page.locator(".inline-notice")).to_have_text("Story is now draft.")
    Article.objects.filter(pk=article.pk).update(status="approved")  # behind the page's back
    with page.expect_response(lambda r: r.url.endswith("/transition/")):
        page.get_by_role("button", name="Submit for review").click()
    notices = page.locator("#notices .notice")
    expect(notices).to_have_count(1)
    expect(notices.first).to_have_class(re.compile("notice-error"))
    expect(page.locator(".inline-notice")).to_have_count(0)
    assert page.locator("#notices").evaluate("el => getComputedStyle(el).position") == "static"

    # A second refusal replaces the first; the close button dismisses it.
    with page.expect_response(lambda r: r.url.endswith("/transition/")):
        page.get_by_role("button", name="Submit for review").click()
    expect(notices).to_have_count(1)
    notices.first.get_by_role("button", name="Dismiss this message").click()
    expect(notices).to_have_count(0)


def test_on_a_phone_a_menu_and_two_tabs(browser, live_server, editor, story):
    article, notes = story
    context = browser.new_context(
        base_url=live_server.url, viewport={"width": 390, "height": 844}, reduced_motion="reduce"
    )
    page = context.new_page()
    page.goto("/accounts/login/")
    page.get_by_label("Username").fill("editor")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url("**/")
    page.goto(article.get_absolute_url())

    # The top bar: one "Menu" button; its links one to a line when opened.
    menu = page.locator("summary", has_text="Menu")
    expect(menu).to_be_visible()
    expect(page.locator(".topnav a", has_text="Review queue")).to_be_hidden()
    assert page.locator(".topbar").bounding_box()["height"] < 70  # one line
    menu.focus()
    page.keyboard.press("Enter")
    queue_link = page.locator(".topnav").get_by_role("link", name="Review queue")
    expect(queue_link).to_be_visible()
    for name in ("Review queue", "New story", "Jobs"):
        box = page.locator(".topnav").get_by_role("link", name=name).bounding_box()
        assert box["height"] < 50 and box["x"] + box["width"] <= 390, (name, box)
    page.keyboard.press("Escape")
    expect(queue_link).to_be_hidden()

    # The story: "Text | Notes & flags (N)"; both stay in the page.
    tabs = page.get_by_role("tablist")
    text_tab = tabs.get_by_role("tab", name="Text")
    cards_tab = tabs.get_by_role("tab", name="Notes & flags (6)")
    expect(text_tab).to_have_attribute("aria-selected", "true")
    expect(page.locator("#article-text")).to_be_visible()
    expect(page.locator("#side-panel")).to_be_hidden()
    cards_tab.click()
    expect(cards_tab).to_have_attribute("aria-selected", "true")
    expect(text_tab).to_have_attribute("aria-selected", "false")
    expect(page.locator("#side-panel")).to_be_visible()
    expect(page.locator("#article-text")).to_be_hidden()
    expect(page.locator("#article-text")).to_have_count(1)
    # Keyboard: arrows move between the tabs.
    cards_tab.focus()
    page.keyboard.press("ArrowLeft")
    expect(text_tab).to_be_focused()
    expect(text_tab).to_have_attribute("aria-selected", "true")
    expect(page.locator("#article-text")).to_be_visible()

    # A highlight opens its card; "Show in text" goes back to the words.
    page.locator(f'#article-text mark[data-ann~="{notes["cost"].pk}"]').click()
    card = page.locator(f"#ann-{notes['cost'].pk}")
    expect(card).to_be_visible()
    expect(cards_tab).to_have_attribute("aria-selected", "true")
    card.get_by_role("button", name="Show in text").click()
    expect(text_tab).to_have_attribute("aria-selected", "true")
    wait_in_view(page, f'#article-text mark[data-ann~="{notes["cost"].pk}"]')
    context.close()


def test_question_mark_opens_the_shortcuts_sheet(page, login, editor, story):
    article, notes = story
    login("editor")
    page.goto(article.get_absolute_url())
    page.locator("h1").click()
    page.keyboard.press("?")
    sheet = page.get_by_role("dialog", name="Keyboard shortcuts")
    expect(sheet).to_be_visible()
    for text in ("Next note or flag", "Previous note or flag", "Annotate the selected words",
                 "Flag the selected words", "Select words from the caret",
                 "Send the comment or reply", "Close a dialog"):
        expect(sheet).to_contain_text(text)
    page.keyboard.press("Escape")
    expect(sheet).to_be_hidden()

    # Typing a question mark in a reply is just typing.
    card = page.locator(f"#ann-{notes['vote'].pk}")
    card.get_by_role("button", name="Reply…").click()
    reply = card.get_by_label("Reply to this note")
    reply.press("?")
    expect(reply).to_have_value("?")
    expect(sheet).to_be_hidden()
    # The button in the panel opens it too.
    page.get_by_role("button", name="Shortcuts").click()
    expect(sheet).to_be_visible()
    sheet.get_by_role("button", name="Close").click()
    expect(sheet).to_be_hidden()


def test_escape_keeps_the_selection_so_a_reopens_the_dialog(page, login, editor, story):
    article, notes = story
    login("editor")
    page.goto(article.get_absolute_url())
    drag_select(page, "build a bus lane")
    page.keyboard.press("a")
    dialog = page.get_by_role("dialog", name="Annotate passage")
    expect(dialog).to_be_visible()
    dialog.get_by_label("Comment", exact=True).fill("Which bus lane?")
    page.keyboard.press("Escape")
    expect(dialog).to_be_hidden()
    expect(page.locator("#annotate-btn")).to_be_visible()  # still on the same words

    page.keyboard.press("a")
    expect(dialog).to_be_visible()
    expect(dialog.locator("#annotate-quote")).to_have_text("build a bus lane")
    expect(dialog.get_by_label("Comment", exact=True)).to_have_value("Which bus lane?")
    dialog.get_by_role("button", name="Cancel").click()  # Cancel keeps it too
    expect(dialog).to_be_hidden()
    page.keyboard.press("a")
    expect(dialog.locator("#annotate-quote")).to_have_text("build a bus lane")

    # Ctrl+Enter sends it.
    dialog.get_by_label("Comment", exact=True).press("Control+Enter")
    expect(dialog).to_be_hidden()
    expect_highlight(page, "build a bus lane")
    saved = Annotation.objects.get(body="Which bus lane?")
    assert saved.exact == "build a bus lane"


def test_a_comment_over_the_limit_is_counted_and_not_sent(page, login, editor, story, settings):
    article, notes = story
    limit = settings.REVIEWS_MAX_COMMENT_LENGTH
    posts = []
    page.on("request", lambda r: posts.append(r.url) if r.method == "POST" else None)
    login("editor")
    page.goto(article.get_absolute_url())
    drag_select(page, "Harbour Road")
    page.locator("#annotate-btn").click()
    dialog = page.get_by_role("dialog", name="Annotate passage")
    comment = dialog.get_by_label("Comment", exact=True)
    expect(comment).not_to_have_attribute("maxlength", re.compile(".*"))

    comment.fill("x" * (limit + 1120))  # nothing cut
    expect(comment).to_have_value("x" * (limit + 1120))
    over = dialog.locator(".char-count")
    expect(over).to_have_text(
        "This comment is 6,120 characters; the limit is 5,000 — shorten it by 1,120."
    )
    expect(comment).to_have_attribute("aria-invalid", "true")
    dialog.get_by_role("button", name="Save annotation").click()
    expect(comment).to_be_focused()  # sent back to the comment, the dialog still open
    expect(dialog).to_be_visible()

    comment.fill("y" * 4500)
    expect(over).to_have_text("4,500 / 5,000")
    expect(comment).not_to_have_attribute("aria-invalid", "true")
    comment.press("Control+Enter")
    expect(dialog).to_be_hidden()
    expect_highlight(page, "Harbour Road")
    assert Annotation.objects.filter(body="y" * 4500).exists()
    assert len([u for u in posts if u.endswith("/annotations/")]) == 1  # the long one never went

    # Replies count too (once the new note has taken the focus, after the swap settles).
    expect(page.locator("#card-stream .card.is-active")).to_contain_text("yyyy")
    page.locator(f'#article-text mark[data-ann~="{notes["vote"].pk}"]').click()
    card = page.locator(f"#ann-{notes['vote'].pk}")
    reply = card.get_by_label("Reply to this note")
    reply.fill("z" * 4100)
    expect(card.locator(".char-count")).to_have_text("4,100 / 5,000")
    reply.fill("z" * 5001)
    expect(card.locator(".char-count")).to_contain_text("shorten it by 1.")
    card.get_by_role("button", name="Reply", exact=True).click()
    expect(reply).to_be_focused()
    assert not Reply.objects.exists()


def test_discuss_opens_a_comment_box_on_the_flag(page, login, editor, story):
    """Needs the server's Discuss to take a `body` (the comment)."""
    article, notes = story
    flag = Flag.objects.get(article=article, exact="regime")  # a high flag
    login("editor")
    page.goto(article.get_absolute_url())
    card = page.locator(f"#flag-{flag.pk}")
    card.get_by_text("Discuss", exact=True).click()
    box = card.get_by_label("Your comment")
    expect(box).to_be_visible()
    expect(box).to_be_focused()
    page.keyboard.press("Escape")
    expect(box).to_be_hidden()
    assert not Annotation.objects.filter(exact="regime").exists()  # nothing was posted

    card.get_by_text("Discuss", exact=True).click()
    box.fill("Whose word is this? Attribute it or say 'council'.")
    card.get_by_role("button", name="Start discussion").click()
    note = page.locator(".card", has_text="Whose word is this?")
    expect(note).to_be_visible()
    expect(note).to_contain_text("Blocks approval until this note is resolved.")
    flag.refresh_from_db()
    assert flag.state == "discussed" and flag.annotation.body.startswith("Whose word")


def test_a_stale_page_keeps_the_comment_and_refreshes_the_story(
    page, login, editor, writer, story, expected_console
):
    expected_console += ["status of 409", "Response Status Error Code 409"]
    article, notes = story
    login("editor")
    page.goto(article.get_absolute_url())
    # Someone edits the very words while the page is open.
    text = article.current_revision.text.replace("Shop owners slammed", "Shop owners criticised")
    services.revise(article, writer, text, article.current_revision_id, "Tone")

    drag_select(page, "slammed the decision")
    page.keyboard.press("a")
    dialog = page.get_by_role("dialog", name="Annotate passage")
    dialog.get_by_label("Comment", exact=True).fill("Too strong for our voice.")
    dialog.get_by_role("button", name="Save annotation").click()
    message = "The story changed: select the passage again and press Save — your comment is kept."
    expect(dialog).to_contain_text(message)
    expect(page.locator("#article-text")).to_contain_text("Shop owners criticised")  # refreshed
    expect(page.locator("#revision-line")).to_contain_text("Revision 2")
    expect(dialog.get_by_label("Comment", exact=True)).to_have_value("Too strong for our voice.")

    dialog.get_by_role("button", name="Cancel").click()
    expect(page.locator("#notices")).to_contain_text(message)
    drag_select(page, "criticised the decision")
    page.keyboard.press("a")
    expect(dialog.locator("#annotate-quote")).to_have_text("criticised the decision")
    expect(dialog.get_by_label("Comment", exact=True)).to_have_value("Too strong for our voice.")
    dialog.get_by_role("button", name="Save annotation").click()
    expect_highlight(page, "criticised the decision")
    saved = Annotation.objects.get(body="Too strong for our voice.")
    article.refresh_from_db()
    assert saved.revision_id == article.current_revision_id


def test_publish_with_open_items_asks_first(page, login, editor, story):
    """Needs the server to take `confirm_open` (and count `publish_open`)."""
    article, notes = story
    for flag in Flag.objects.filter(article=article, severity="high"):
        services.dismiss_flag(flag, editor, "Their word, attributed.")
    services.transition(article, article.created_by, "submit")
    services.transition(article, editor, "approve")
    login("editor")
    page.goto(article.get_absolute_url())
    page.get_by_role("button", name="Publish").click()
    confirm = page.get_by_role("dialog", name="Publish with items still open?")
    expect(confirm).to_be_visible()
    expect(confirm).to_contain_text("3 open notes")
    expect(confirm).to_contain_text("2 open flags")
    confirm.get_by_role("button", name="Cancel").click()
    expect(confirm).to_be_hidden()
    article.refresh_from_db()
    assert article.status == "approved"

    page.get_by_role("button", name="Publish").click()
    confirm.get_by_role("button", name="Publish anyway").click()
    expect(page.locator("#status-badge")).to_have_text("Published")
    article.refresh_from_db()
    assert article.status == "published"
