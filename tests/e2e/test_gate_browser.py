"""The review gate in the browser: an edit after approval sends the story back to review, and
an imported file's byline and dateline are shown to confirm; a bad file is named at the top."""

from playwright.sync_api import expect

from reviews import services, workflow
from reviews.models import Article, ReviewEvent

STORY = (
    "Councillors voted 7-4 on Tuesday night to build a bus lane on Harbour Road.\n\n"
    "The plan will cost $4.2 million, according to the transport committee."
)


def test_an_edit_after_approval_sends_the_story_back_to_review(page, login, editor, writer):
    article = services.create_article(writer, title="Bus lane approved", text=STORY)
    services.transition(article, writer, "submit")
    services.transition(article, editor, "approve")
    login("editor")
    page.goto(article.get_absolute_url())
    expect(page.locator("#status-badge")).to_have_text("Approved")
    page.get_by_role("link", name="Edit story").click()
    text = page.get_by_label("Text")
    text.fill(STORY + "\n\nWork starts in May.")
    page.get_by_role("button", name="Save changes").click()
    page.wait_for_url(f"**{article.get_absolute_url()}")
    expect(page.get_by_text("with this edit it is back in review")).to_be_visible()
    expect(page.locator("#status-badge")).to_have_text("In review")
    page.get_by_text("Review history").click()
    expect(page.get_by_text("Edited after approval").first).to_be_visible()
    article.refresh_from_db()
    assert article.status == workflow.IN_REVIEW
    assert ReviewEvent.objects.filter(article=article, comment__startswith="Edited after").exists()


def test_a_byline_and_dateline_from_a_file_are_shown_to_confirm(page, login, writer, tmp_path):
    story = tmp_path / "harbour.txt"
    story.write_text("Harbour wall repaired\nBy Ann Lee\n3 March 2025\n\nThe wall was repaired.\n")
    login("writer")
    page.goto("/articles/new/")
    page.get_by_label("Or upload a file").set_input_files(str(story))
    page.get_by_role("button", name="Create story").click()
    notice = page.locator("#form-problems")
    expect(notice).to_contain_text("Read from harbour.txt")
    expect(notice).to_be_focused()
    expect(page.get_by_label("Title")).to_have_value("Harbour wall repaired")
    expect(page.get_by_label("Byline")).to_have_value("Ann Lee")
    expect(page.get_by_label("Dateline")).to_have_value("3 March 2025")
    expect(page.get_by_label("Text")).to_have_value("The wall was repaired.")
    page.get_by_role("button", name="Create story").click()
    expect(page.get_by_role("heading", name="Harbour wall repaired")).to_be_visible()
    expect(page.get_by_text("3 March 2025")).to_be_visible()
    article = Article.objects.get()
    assert (article.byline, article.dateline) == ("Ann Lee", "3 March 2025")


def test_a_bad_file_is_named_at_the_top_and_the_typed_fields_stay(page, login, writer, tmp_path):
    bad = tmp_path / "story.docx"
    bad.write_bytes(b"this is not a word file")
    login("writer")
    page.goto("/articles/new/")
    page.get_by_label("Title").fill("Harbour wall")
    page.get_by_label("Byline").fill("Ann Lee")
    page.get_by_label("Or upload a file").set_input_files(str(bad))
    page.get_by_role("button", name="Create story").click()
    problems = page.locator("#form-problems")
    expect(problems).to_be_focused()
    expect(problems).to_contain_text("not a valid Word document")
    expect(page.get_by_label("Title")).to_have_value("Harbour wall")
    expect(page.get_by_label("Byline")).to_have_value("Ann Lee")
    assert not Article.objects.exists()
