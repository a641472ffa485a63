"""Hostile text everywhere a person can type, and not one script runs."""

from playwright.sync_api import expect

from reviews import export_data, services
from reviews.exporters import EXPORTERS
from reviews.models import LexiconTerm

PAYLOADS = [
    "<script>window.__pwned = 1; alert('script')</script>",
    "<img src=x onerror=\"window.__pwned = 1; alert('img')\">",
    "<a href=\"javascript:window.__pwned=1;alert('link')\">click me</a>",
    "</textarea><script>window.__pwned = 1; alert('textarea')</script>",
    "\"><svg onload=\"window.__pwned = 1; alert('svg')\">",
]
EVIL = " ".join(PAYLOADS)


def test_no_script_runs_anywhere_evil_text_is_shown(page, login, writer, editor, admin_user, tmp_path):
    dialogs = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    editor.first_name = "<script>alert('name')</script>Eli"
    editor.save()
    LexiconTerm.objects.create(phrase="pwnword", category="editorializing", severity="high",
                               rationale=EVIL, alternatives=["<b>bold</b>"])
    body = "The pwnword plan " + EVIL + "\n\nSecond paragraph with pwnword in it."
    article = services.create_article(writer, title="Title " + PAYLOADS[0] + PAYLOADS[1], text=body)
    start = body.index("plan")
    note = services.add_annotation(article, editor, category="comment", body=EVIL,
                                   revision_id=article.current_revision.pk, start=start,
                                   end=start + 4, exact="plan")
    services.add_reply(note, editor, EVIL)
    services.transition(article, editor, "submit", EVIL)

    login("boss")
    pages = [
        "/", article.get_absolute_url(), f"/articles/{article.pk}/edit/",
        f"/articles/{article.pk}/compare/", "/lexicon/?q=pwnword", "/team/", "/audit/",
        f"/lexicon/{LexiconTerm.objects.get(phrase='pwnword').pk}/",
    ]
    for path in pages:
        response = page.goto(path)
        page.wait_for_load_state("load")
        assert response.status == 200 and "/login/" not in page.url, path
        page.mouse.move(5, 5)
        assert page.evaluate("window.__pwned === undefined"), path
    # The payloads are on the page as text, so people can see what was typed.
    page.goto(article.get_absolute_url())
    expect(page.locator("#article-text")).to_contain_text("<script>window.__pwned")
    page.get_by_text("Review history (2)").click()
    expect(page.locator(".timeline")).to_contain_text("<img src=x")
    # Links from text never become javascript: links.
    assert page.locator("a[href^='javascript:']").count() == 0

    # The HTML export, opened as a file, runs nothing either.
    export = tmp_path / "story.html"
    export.write_bytes(EXPORTERS["html"](export_data.snapshot(article, base_url="http://x")))
    page.goto(export.as_uri())
    page.wait_for_load_state("load")
    assert page.evaluate("window.__pwned === undefined")
    assert "window.__pwned" in page.locator("body").inner_text()
    assert dialogs == []
