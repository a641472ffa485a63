from playwright.sync_api import expect

from reviews import services
from reviews.models import Annotation

from .conftest import drag_select, expect_highlight

TEXT = (
    "Shop owners on Harbour Road criticised the decision on Tuesday.\n\n"
    "The plan will cost $4.2 million and take about 18 months to complete.\n\n"
    "Councillor Tom Birch said buses run up to 20 minutes late at peak times."
)


def annotate(page, phrase, comment):
    drag_select(page, phrase)
    page.locator("#annotate-btn").click()
    page.get_by_role("dialog").get_by_label("Comment", exact=True).fill(comment)
    page.get_by_role("button", name="Save annotation").click()
    expect_highlight(page, phrase)


def edit_text(page, new_text, note):
    page.get_by_role("link", name="Edit story").click()
    page.get_by_label("Text").fill(new_text)
    page.get_by_label("What changed?").fill(note)
    page.get_by_role("button", name="Save changes").click()
    expect(page.get_by_role("link", name="Edit story")).to_be_visible()


def test_highlight_follows_edits_and_orphans_are_listed_then_reattached(
    page, login, editor, writer
):
    article = services.create_article(writer, title="Bus lane", text=TEXT)
    login("editor")
    page.goto(article.get_absolute_url())
    annotate(page, "take about 18 months to complete", "Source for the timeline?")
    annotate(page, "Councillor Tom Birch said buses run", "Is he still chair?")

    # Edit above the passage and inside it.
    edited = ("UPDATE: the council met again on Wednesday.\n\n" + TEXT).replace(
        "take about 18 months", "take roughly 18 months"
    )
    edit_text(page, edited, "Added an update line")
    expect_highlight(page, "take roughly 18 months to complete")
    expect(page.get_by_text("Revision 2", exact=False).first).to_be_visible()

    # Delete the second passage: its note moves to Orphaned with the original quote.
    without = edited.replace(
        "\n\nCouncillor Tom Birch said buses run up to 20 minutes late at peak times.", ""
    )
    edit_text(page, without + "\n\nBuses are often late, passengers say.", "Cut the councillor")
    orphans = page.locator(".orphans")
    expect(orphans).to_contain_text("Councillor Tom Birch said buses run")
    expect(orphans).to_contain_text("Is he still chair?")
    expect_highlight(page, "Councillor", present=False)

    # Re-attach it by selecting new words and pressing the card's button.
    drag_select(page, "Buses are often late")
    orphans.get_by_role("button", name="Re-attach to selected text").click()
    expect_highlight(page, "Buses are often late")
    expect(page.locator(".orphans")).to_have_count(0)
    note = Annotation.objects.get(body="Is he still chair?")
    assert not note.orphaned and note.exact == "Buses are often late"

    # The compare view shows what changed between revisions 1 and 3.
    page.get_by_text("Revisions (3)").click()
    page.get_by_role("link", name="Compare any two revisions").click()
    expect(page.get_by_role("heading", name="Compare revisions")).to_be_visible()
    expect(page.locator(".diff ins").first).to_be_visible()
    expect(page.locator(".diff del", has_text="about")).to_have_count(1)


def test_reattach_without_a_selection_explains_what_to_do(page, login, editor, writer):
    article = services.create_article(writer, title="Bus lane", text=TEXT)
    note = services.add_annotation(
        article,
        editor,
        category="comment",
        body="Check",
        revision_id=article.current_revision.pk,
        start=0,
        end=11,
        exact="Shop owners",
    )
    services.revise(
        article,
        editor,
        TEXT.replace("Shop owners on Harbour Road", "Traders"),
        article.current_revision.pk,
    )
    note.refresh_from_db()
    assert note.orphaned
    login("editor")
    page.goto(article.get_absolute_url())
    page.get_by_role("button", name="Re-attach to selected text").click()
    expect(page.locator("#notices")).to_contain_text("Select the words in the story first")


def test_back_to_a_story_after_a_review_step_shows_it_as_it_is_now(page, login, writer):
    article = services.create_article(writer, title="Back button", text=TEXT)
    login("writer")
    page.goto(article.get_absolute_url())
    page.get_by_role("button", name="Submit for review").click()
    expect(page.locator("#status-badge")).to_have_text("In review")
    page.get_by_role("link", name="Review queue").first.click()
    expect(page.get_by_role("heading", name="Review queue")).to_be_visible()
    page.go_back()
    expect(page.locator("#status-badge")).to_have_text("In review")
    expect(page.get_by_role("button", name="Submit for review")).to_have_count(0)


def test_after_a_review_step_by_keyboard_the_focus_is_on_what_happened(page, login, writer):
    article = services.create_article(writer, title="Focus", text=TEXT)
    login("writer")
    page.goto(article.get_absolute_url())
    page.get_by_role("button", name="Submit for review").focus()
    page.keyboard.press("Enter")
    notice = page.locator("#article-main .inline-notice")
    expect(notice).to_have_text("Story is now in review.")
    expect(notice).to_be_focused()
