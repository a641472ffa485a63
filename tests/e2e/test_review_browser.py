import re

from playwright.sync_api import expect

from reviews import services
from reviews.models import Annotation, Article, Flag, LexiconTerm, Reply

from .conftest import click_highlight, drag_select, expect_highlight

STORY = (
    "Councillors voted 7-4 on Tuesday night to build a bus lane on Harbour Road.\n\n"
    "Shop owners slammed the decision, saying the loss of 60 parking spaces would hurt trade.\n\n"
    "The plan will cost $4.2 million, according to the transport committee."
)


def test_editor_annotates_replies_resolves_and_moves_the_story(page, login, editor, writer):
    article = services.create_article(writer, title="Bus lane approved", text=STORY)
    login("editor")
    page.get_by_role("link", name="Bus lane approved").click()
    expect(page.get_by_role("heading", name="Bus lane approved")).to_be_visible()

    drag_select(page, "slammed the decision")
    annotate = page.locator("#annotate-btn")
    expect(annotate).to_be_visible()
    annotate.click()
    dialog = page.get_by_role("dialog", name="Annotate passage")
    expect(dialog).to_be_visible()
    expect(dialog.locator("#annotate-quote")).to_have_text("slammed the decision")
    dialog.get_by_label("Category").select_option(label="Loaded language")
    dialog.get_by_label("Comment").fill("Our voice should say 'criticised'.")
    dialog.get_by_role("button", name="Save annotation").click()

    expect(dialog).to_be_hidden()
    expect_highlight(page, "slammed the decision")
    saved = Annotation.objects.get()
    assert (saved.exact, saved.category) == ("slammed the decision", "loaded_language")
    assert STORY[saved.start : saved.end] == "slammed the decision"
    card = page.locator(f"#ann-{saved.pk}")
    expect(card).to_contain_text("Our voice should say 'criticised'.")

    page.reload()
    expect_highlight(page, "slammed the decision")

    # The highlight and its note point at each other.
    click_highlight(page, "slammed the decision")
    expect(card).to_be_focused()
    expect(card).to_have_class(re.compile(r"\bis-active\b"))

    card.get_by_label("Reply to this note").fill("Agreed, changing it.")
    card.get_by_role("button", name="Reply").click()
    expect(page.locator(f"#ann-{saved.pk} .replies")).to_contain_text("Agreed, changing it.")

    page.locator(f"#ann-{saved.pk}").get_by_role("button", name="Resolve").click()
    expect_highlight(page, "slammed the decision", present=False)
    expect(page.get_by_text("Resolved (1)")).to_be_visible()
    saved.refresh_from_db()
    assert saved.state == "resolved" and saved.replies.count() == 1

    page.get_by_placeholder("Comment for the history (optional)").fill("Ready for the desk")
    page.get_by_role("button", name="Submit for review").click()
    expect(page.locator("#status-badge")).to_have_text("In review")
    article.refresh_from_db()
    assert article.status == "in_review"
    page.get_by_text("Review history (2)").click()
    expect(page.locator(".timeline")).to_contain_text("Ready for the desk")


def test_offsets_line_up_after_accents_and_emoji(page, login, editor, writer):
    text = (
        "Zoë and the café owners 😀 met at the crème brûlée stand.\n\n"
        "Later 🎉🇫🇷 the mayor said the budget was balanced, naïvely perhaps.\n\n"
        "Señor Ibáñez disagreed."
    )
    article = services.create_article(writer, title="Accents", text=text)
    login("editor")
    page.goto(article.get_absolute_url())

    drag_select(page, "the budget was balanced")
    page.locator("#annotate-btn").click()
    page.get_by_role("dialog").get_by_label("Comment", exact=True).fill("Which budget?")
    page.get_by_role("button", name="Save annotation").click()
    expect_highlight(page, "the budget was balanced")

    saved = Annotation.objects.get()
    start = text.index("the budget was balanced")
    assert (saved.start, saved.end) == (start, start + len("the budget was balanced"))
    assert saved.prefix == text[start - 32 : start]

    drag_select(page, "Ibáñez")
    page.keyboard.press("a")  # the keyboard shortcut opens the same dialog
    page.get_by_role("dialog").get_by_label("Comment", exact=True).fill("Check the spelling.")
    page.get_by_role("button", name="Save annotation").click()
    expect_highlight(page, "Ibáñez")
    second = Annotation.objects.get(body="Check the spelling.")
    assert text[second.start : second.end] == "Ibáñez"


def test_keyboard_selection_can_be_annotated(page, login, editor, writer):
    article = services.create_article(writer, title="Keys", text=STORY)
    login("editor")
    page.goto(article.get_absolute_url())
    page.locator("#article-text").focus()  # as if tabbed to: the caret starts at the top
    page.keyboard.press("Control+ArrowRight")  # past "Councillors"
    page.keyboard.press("ArrowRight")  # past the space
    for _ in range(len("voted 7-4")):
        page.keyboard.press("Shift+ArrowRight")
    expect(page.locator("#annotate-btn")).to_be_visible()
    page.keyboard.press("a")
    page.get_by_role("dialog").get_by_label("Comment", exact=True).fill("Which vote?")
    page.keyboard.press("Tab")
    page.keyboard.press("Tab")
    page.keyboard.press("Enter")
    expect_highlight(page, "voted 7-4")
    assert Annotation.objects.get().exact == "voted 7-4"


def test_the_keyboard_caret_is_one_line_high_when_the_text_is_focused(page, login, editor, writer):
    article = services.create_article(writer, title="Keys", text=STORY)
    login("editor")
    page.goto(article.get_absolute_url())
    page.locator("#article-text").focus()
    caret = page.locator("#kbd-caret")
    expect(caret).to_be_visible()
    line = page.locator("#article-text p").first.evaluate(
        "p => parseFloat(getComputedStyle(p).lineHeight)"
    )
    assert 0 < caret.bounding_box()["height"] <= line * 1.2


def test_empty_comment_shows_a_form_error_in_the_dialog(
    page, login, editor, writer, expected_console
):
    expected_console.append("status of 422")
    article = services.create_article(writer, title="Errors", text=STORY)
    login("editor")
    page.goto(article.get_absolute_url())
    drag_select(page, "60 parking spaces")
    page.locator("#annotate-btn").click()
    page.get_by_role("dialog").get_by_label("Comment", exact=True).fill("   ")
    page.get_by_role("button", name="Save annotation").click()
    expect(page.get_by_role("dialog")).to_contain_text("Write a comment first.")
    assert not Annotation.objects.exists()


def test_create_a_story_from_the_form(page, login, writer):
    login("writer")
    page.get_by_role("link", name="New story", exact=True).first.click()
    page.get_by_label("Title").fill("Library opens late")
    page.get_by_label("Text").fill("The library will open until 9pm.\n\nStaff welcomed it.")
    page.get_by_role("button", name="Create story").click()
    expect(page.get_by_role("heading", name="Library opens late")).to_be_visible()
    expect(page.locator("#article-text p")).to_have_count(2)
    assert Article.objects.get().created_by == writer


def test_a_refused_reply_or_dismissal_leaves_the_story_and_its_notes_in_place(
    page, login, editor, writer, expected_console
):
    from tests.conftest import selection

    expected_console += ["status of 422", "Response Status Error Code 422"]
    LexiconTerm.objects.get_or_create(
        normalized="slam", defaults={"phrase": "slam", "category": "loaded_verb",
                                     "rationale": "Loaded.", "alternatives": ["criticise"]},
    )
    article = services.create_article(writer, title="Refusals", text=STORY)
    services.add_annotation(article, editor, **selection(article, "60 parking spaces"),
                            category="comment", body="Source for the figure?")
    login("editor")
    page.goto(article.get_absolute_url())
    text = page.locator("#article-text")
    card = page.locator(".card", has_text="Source for the figure?")

    card.get_by_role("button", name="Reply…").click()  # beside the text, a card opens first
    reply = card.get_by_label("Reply to this note")
    reply.fill("   ")
    card.get_by_role("button", name="Reply").click()
    expect(page.locator("#notices")).to_contain_text("Write")
    expect(text).to_contain_text("Councillors voted 7-4")
    expect(card).to_be_visible()

    flag = page.locator(".flag-card", has_text="slammed")
    page.locator("#article-text mark[data-flag]", has_text="slammed").click()  # opens its card
    flag.get_by_label("Why the words are fine here").fill("   ")
    flag.get_by_role("button", name="Dismiss", exact=True).click()
    # Each refusal replaces the one before: one notice at a time.
    expect(page.locator("#notices .notice-error")).to_have_count(1)
    expect(page.locator("#notices .notice-error")).not_to_contain_text("Write a reply")
    expect(text).to_contain_text("Councillors voted 7-4")
    expect(flag).to_be_visible()
    assert not Reply.objects.exists()
    assert not Flag.objects.filter(state=Flag.DISMISSED).exists()


def test_keyboard_focus_stays_on_the_note_and_the_menu_after_actions(page, login, editor, writer):
    from tests.conftest import selection

    article = services.create_article(writer, title="Focus", text=STORY)
    note = services.add_annotation(article, editor, **selection(article, "60 parking spaces"),
                                   category="comment", body="Source for the figure?")
    login("editor")
    page.goto(article.get_absolute_url())
    card = page.locator(f"#ann-{note.pk}")
    card.get_by_role("button", name="Resolve").focus()
    page.keyboard.press("Enter")
    expect(page.locator(".resolved")).to_have_attribute("open", "")
    expect(card).to_be_focused()  # now under "Resolved", still where the keyboard was
    expect(card.get_by_role("button", name="Reopen")).to_be_visible()

    menu = page.locator("details.menu").filter(has_text="Export").first
    menu.locator("summary").focus()
    page.keyboard.press("Enter")
    page.keyboard.press("Tab")
    page.keyboard.press("Escape")
    expect(menu).not_to_have_attribute("open", "")
    expect(menu.locator("summary")).to_be_focused()


def test_the_story_menus_stay_on_a_phone_screen(browser, live_server, writer, editor):
    from .conftest import PASSWORD

    article = services.create_article(writer, title="Phone", text=STORY)
    context = browser.new_context(base_url=live_server.url, viewport={"width": 390, "height": 844})
    page = context.new_page()
    page.goto("/accounts/login/")
    page.get_by_label("Username").fill("editor")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.goto(article.get_absolute_url())
    for menu in ("Export", "Import notes"):
        page.get_by_text(menu, exact=True).click()
        box = page.locator("details.menu[open] .menu-list").bounding_box()
        assert box["x"] >= 0 and box["x"] + box["width"] <= 390, (menu, box)
        page.keyboard.press("Escape")
    context.close()


def test_a_message_from_the_server_can_be_dismissed(page, login, editor, writer):
    import json

    article = services.create_article(writer, title="Ferry", text="Boats leave hourly.")
    note = {"@context": "http://www.w3.org/ns/anno.jsonld", "type": "Annotation",
            "body": {"type": "TextualBody", "value": "Which boats?"},
            "target": {"selector": {"type": "TextQuoteSelector", "exact": "Boats leave hourly"}}}
    login("editor")
    page.goto(article.get_absolute_url())
    page.get_by_text("Import notes", exact=True).click()
    page.locator("#notes-file").set_input_files(
        {"name": "notes.jsonld", "mimeType": "application/ld+json",
         "buffer": json.dumps(note).encode()}
    )
    page.locator(".import-notes").get_by_role("button", name="Import").click()
    notice = page.locator("#notices .notice")
    expect(notice).to_contain_text("Imported notes: 0 anchored, 1 re-anchored")
    notice.get_by_role("button", name="Dismiss this message").click()
    expect(notice).to_have_count(0)
