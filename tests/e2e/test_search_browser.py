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
