from playwright.sync_api import expect

from reviews import services
from reviews.models import Flag, LexiconTerm

from .conftest import drag_select

TEXT = (
    "U.S. terrorist forces assassinated the commander in an air raid on January 3.\n\n"
    "Shiite lawmakers, irate at what they called a flagrant violation, pushed a resolution.\n\n"
    '"The regime must go," one lawmaker said.'
)


def set_lexicon():
    LexiconTerm.objects.all().delete()
    for phrase, category, severity, rationale, alts in [
        ("terrorist forces", "contentious_label", "high", "Takes a side in the paper's voice.", ["forces"]),
        ("assassinate", "loaded_verb", "high", "Implies murder of a leader; say what happened.", ["kill"]),
        ("irate", "editorializing", "warn", "Emotive; describe what they did.", ["angry"]),
        ("regime", "contentious_label", "warn", "A loaded label for a government.", ["government"]),
    ]:
        LexiconTerm.objects.create(phrase=phrase, category=category, severity=severity,
                                   rationale=rationale, alternatives=alts)


def test_editor_works_through_the_flags(page, login, editor, writer, expected_console):
    expected_console.append("403")
    set_lexicon()
    article = services.create_article(writer, title="Strike", text=TEXT)
    services.transition(article, writer, "submit")
    login("editor")
    page.goto(article.get_absolute_url())

    flags = page.locator("#side-panel")
    expect(flags.get_by_text("Contentious label").first).to_be_visible()
    expect(flags.locator(".flag-card")).to_have_count(4)  # 3 in our voice + 1 quoted, in text order
    expect(page.locator("mark.flag-high")).to_have_count(2)

    # The approval gate names the open high-severity flags.
    page.get_by_role("button", name="Approve").click()
    expect(page.locator("#notices")).to_contain_text("terrorist forces")

    # n walks the flags in reading order.
    page.locator("h1").click()
    page.keyboard.press("n")
    first = page.locator(".flag-card.is-active")
    expect(first).to_contain_text("terrorist forces")
    expect(first).to_be_focused()
    page.keyboard.press("n")
    expect(page.locator(".flag-card.is-active")).to_contain_text("assassinated")
    page.keyboard.press("p")
    expect(page.locator(".flag-card.is-active")).to_contain_text("terrorist forces")

    # Accept a suggestion: a new revision with the neutral word.
    card = page.locator(".flag-card", has_text="assassinated")
    card.get_by_role("button", name="killed").click()
    expect(page.locator("#article-text")).to_contain_text("terrorist forces killed the commander")
    expect(page.locator(".article-head")).to_contain_text("Revision 2")

    # Dismiss the other high flag with a reason.
    card = page.locator(".flag-card", has_text="terrorist forces")
    card.get_by_role("button", name="Dismiss…").click()  # beside the text, a card opens first
    card.get_by_label("Why the words are fine here").fill("Quoting the ministry's own term.")
    card.get_by_role("button", name="Dismiss").click()
    expect(page.locator("mark.flag-high")).to_have_count(0)
    assert Flag.objects.get(exact="terrorist forces").reason == "Quoting the ministry's own term."

    # Flag a passage by hand.
    drag_select(page, "pushed a resolution")
    page.locator("#flag-btn").click()
    dialog = page.get_by_role("dialog", name="Flag loaded language")
    dialog.get_by_label("Category").select_option(label="Editorialising")
    dialog.get_by_label("Why it is loaded").fill("'Pushed' suggests force.")
    dialog.get_by_label("Neutral alternative (optional)").fill("proposed")
    dialog.get_by_role("button", name="Save flag").click()
    expect(page.locator(".flag-card", has_text="pushed a resolution")).to_be_visible()

    # Now approval goes through.
    page.get_by_role("button", name="Approve").click()
    expect(page.locator("#status-badge")).to_have_text("Approved")
