"""A byline and a dateline under an imported story's title go into their fields."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from reviews import services
from reviews.masthead import read_masthead
from reviews.models import Article


@pytest.mark.parametrize("text,byline,dateline,body", [
    ("By Ann Lee\n3 March 2025\n\nThe council voted.", "Ann Lee", "3 March 2025", "The council voted."),
    ("Ann Lee\nTuesday, March 3, 2025 10:42 GMT\n\nText here.", "Ann Lee",
     "Tuesday, March 3, 2025 10:42 GMT", "Text here."),
    ("2025-03-03\nBy Jane Doe and Tom Fox\n\nBody.", "Jane Doe and Tom Fox", "2025-03-03", "Body."),
    ("BY ANN LEE, Reuters\n\nText", "ANN LEE, Reuters", "", "Text"),
    ("By Marie de la Cruz in Madrid\n\nText", "Marie de la Cruz in Madrid", "", "Text"),
    ("Updated: 12 Jan 2024\n\nText", "", "Updated: 12 Jan 2024", "Text"),
])
def test_a_byline_and_a_dateline_are_read_off_the_first_lines(text, byline, dateline, body):
    found = read_masthead(text)
    assert (found.byline, found.dateline, found.body) == (byline, dateline, body)


@pytest.mark.parametrize("text", [
    "Shop Owners Protest\n\nThe council voted.",  # a subheading, not a name
    "By the way, the council voted.\n\nMore.",
    "The council voted 7-4 on Tuesday.\n\nMore.",
    "Police Arrest Two\nText goes on here.",
    "By Ann Lee",  # nothing after it: that line is the story
])
def test_copy_that_only_looks_like_one_stays_in_the_text(text):
    found = read_masthead(text)
    assert (found.byline, found.dateline, found.body) == ("", "", text)


TXT = "Harbour wall repaired\nBy Ann Lee\n3 March 2025\n\nThe harbour wall was repaired.\n"


def test_the_form_shows_what_it_read_for_confirmation_then_creates(client, writer):
    client.force_login(writer)
    url = reverse("reviews:article_create")
    page = client.post(url, {"title": "", "byline": "", "dateline": "", "desk": "", "body": "",
                             "upload": SimpleUploadedFile("story.txt", TXT.encode())})
    assert page.status_code == 200 and not Article.objects.exists()
    html = page.content.decode()
    assert "Read from story.txt" in html
    form = page.context["form"]
    assert (form["title"].value(), form["byline"].value(), form["dateline"].value()) == (
        "Harbour wall repaired", "Ann Lee", "3 March 2025")
    assert form["body"].value() == "The harbour wall was repaired."
    created = client.post(url, {"title": form["title"].value(), "byline": "Ann Lee",
                                "dateline": "3 March 2025", "desk": "",
                                "body": form["body"].value()})
    article = Article.objects.get()
    assert created.status_code == 302
    assert (article.byline, article.dateline) == ("Ann Lee", "3 March 2025")
    assert article.current_revision.text == "The harbour wall was repaired."


def test_a_plain_file_is_created_at_once_and_the_command_line_fills_the_fields(client, writer):
    client.force_login(writer)
    client.post(reverse("reviews:article_create"), {
        "title": "", "byline": "", "dateline": "", "desk": "", "body": "",
        "upload": SimpleUploadedFile("plain.txt", b"Plain title\n\nJust the text."),
    })
    assert Article.objects.get().title == "Plain title"
    article = services.article_from_file(writer, "story.txt", TXT.encode())
    assert (article.byline, article.dateline) == ("Ann Lee", "3 March 2025")
