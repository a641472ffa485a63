"""A person types a search into the queue and sees where each story matched."""

from playwright.sync_api import expect

from reviews import services
from tests.conftest import selection


def test_typing_a_search_shows_ranked_results_with_highlighted_snippets(page, login, editor, writer):
    services.create_article(writer, title="Harbour wall repairs", text="Masons began on Monday.")
    body_match = services.create_article(
        writer, title="Council budget",
        text="The council met.\n\nSpending on the harbour wall <script>alert(1)</script> rose.",
    )
    noted = services.create_article(writer, title="Ferry timetable", text="Boats leave hourly.")
    services.add_annotation(noted, editor, **selection(noted, "Boats leave hourly"),
                            category="fact_check", body="Ask the harbour master to confirm.")
    services.create_article(writer, title="Weather", text="Rain all week.")
    services.transition(body_match, writer, "submit")

    login("editor")
    page.get_by_label("Search titles, text and notes").press_sequentially("harbour", delay=40)
    results = page.locator("#results")
    expect(results).to_contain_text("3 stories · best matches first")
    expect(page).to_have_url("/?q=harbour&status=&assignee=")

    rows = results.locator("tbody tr")
    expect(rows.first.locator(".story-link mark")).to_have_text("Harbour")
    body_row = rows.filter(has_text="Council budget")
    expect(body_row.locator(".snippet")).to_contain_text("Text")
    expect(body_row.locator(".snippet mark")).to_have_text("harbour")
    # The story's own markup is text on the page, never an element.
    assert body_row.locator(".snippet script").count() == 0
    note_row = rows.filter(has_text="Ferry timetable")
    expect(note_row.locator(".snippet")).to_contain_text("Notes")
    expect(note_row.locator(".snippet mark")).to_have_text("harbour")

    # Combined with a filter, then cleared.
    page.get_by_label("Status").select_option("in_review")
    expect(results).to_contain_text("1 story")
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text("Council budget")
    page.get_by_label("Search titles, text and notes").fill("")
    page.get_by_label("Status").select_option("")
    expect(results).to_contain_text("4 stories")
    expect(results.locator("mark")).to_have_count(0)


def test_back_from_a_story_returns_to_the_whole_queue_as_it_was_filtered(page, login, writer):
    services.create_article(writer, title="Harbour wall repairs", text="Masons began on Monday.")
    harbour = services.create_article(writer, title="Harbour ferry", text="Boats leave hourly.")
    services.transition(harbour, writer, "submit")
    services.create_article(writer, title="Weather", text="Rain all week.")

    login("writer")
    page.get_by_label("Search titles, text and notes").press_sequentially("harbour", delay=40)
    results = page.locator("#results")
    expect(results).to_contain_text("2 stories")
    page.get_by_label("Status").select_option("in_review")
    expect(results).to_contain_text("1 story")
    page.get_by_role("link", name="Harbour ferry").click()
    expect(page.get_by_role("heading", name="Harbour ferry")).to_be_visible()

    page.go_back()
    # The whole page, not the bare results fragment the live search fetched for this URL,
    # and the filters show what the results are filtered by.
    expect(page.get_by_role("heading", name="Review queue")).to_be_visible()
    expect(page.get_by_label("Search titles, text and notes")).to_have_value("harbour")
    expect(page.get_by_label("Status")).to_have_value("in_review")
    expect(results).to_contain_text("1 story")
    # Typing and filtering kept one history entry for the queue: Back leaves it.
    page.go_back()
    expect(page).to_have_url("/accounts/login/")


def test_ticking_a_story_after_searching_keeps_the_tick(page, login, writer):
    services.create_article(writer, title="Harbour wall repairs", text="Masons began on Monday.")
    services.create_article(writer, title="Harbour ferry", text="Boats leave hourly.")
    services.create_article(writer, title="Weather", text="Rain all week.")
    login("writer")
    page.get_by_label("Search titles, text and notes").press_sequentially("harbour", delay=40)
    results = page.locator("#results")
    expect(results).to_contain_text("2 stories")
    tick = page.get_by_label("Select “Harbour ferry” for export")
    tick.check()  # leaving the search box must not reload the list under the pointer
    page.wait_for_timeout(800)
    expect(tick).to_be_checked()
    expect(results).to_contain_text("2 stories")


def test_typing_the_start_of_a_word_finds_the_longer_words(page, login, writer):
    services.create_article(writer, title="Soleiman speaks", text="An interview with the envoy.")
    services.create_article(writer, title="Strike", text="General Qassem Soleimani was killed.")
    services.create_article(writer, title="Weather", text="Rain all week.")
    login("writer")
    box = page.get_by_label("Search titles, text and notes")
    box.press_sequentially("soleim", delay=40)
    results = page.locator("#results")
    expect(results).to_contain_text("2 stories · best matches first")
    rows = results.locator("tbody tr")
    expect(rows.first.locator(".story-link mark")).to_have_text("Soleiman")
    expect(rows.filter(has_text="Strike").locator(".snippet mark")).to_have_text("Soleimani")
    # The whole word, typed out, ranks first; the longer word is still found, below it.
    box.press_sequentially("an", delay=40)
    expect(page).to_have_url("/?q=soleiman&status=&assignee=")
    expect(results).to_contain_text("2 stories · best matches first")
    expect(rows.first).to_contain_text("Soleiman speaks")
    expect(rows.nth(1)).to_contain_text("Strike")
    # In quotes, only the whole word.
    box.fill('"soleiman"')
    expect(results).to_contain_text("1 story")
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text("Soleiman speaks")
