"""Downloading exports: one story from its page, the bulk form's refusals, the CLI.
(Bulk ZIPs built in the background are in test_jobs.py.)"""

import io
import json
import re
import zipfile

import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse

from reviews import services
from reviews.models import ExportRecord, Job

from .conftest import selection

HX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def annotated(article, editor):
    services.add_annotation(article, editor, category="fact_check", body="Which figure?",
                            **selection(article, "$4.2 million"))
    return article


@pytest.mark.parametrize("fmt,kind", [
    ("docx", "application/vnd.openxmlformats-officedocument.wordprocessingml.document"),
    ("jsonld", "application/ld+json"), ("md", "text/markdown"), ("html", "text/html"),
    ("csv", "text/csv"),
])
def test_each_format_downloads_and_is_recorded(client, editor, annotated, fmt, kind):
    client.force_login(editor)
    response = client.get(reverse("reviews:article_export", args=[annotated.pk, fmt]))
    assert response.status_code == 200 and response["Content-Type"].startswith(kind)
    assert re.search(r'attachment; filename="bus-lane-approved-r1\.\w+"', response["Content-Disposition"])
    record = ExportRecord.objects.get()
    assert (record.user, record.format, record.via, list(record.articles.all())) == (editor, fmt, "web", [annotated])


def test_json_ld_download_has_the_note_with_its_selectors(client, editor, annotated):
    client.force_login(editor)
    data = json.loads(client.get(reverse("reviews:article_export", args=[annotated.pk, "jsonld"])).content)
    text = annotated.current_revision.text
    items = data["first"]["items"]
    note = next(i for i in items if i.get("motivation") == "assessing")
    selectors = {s["type"]: s for s in note["target"]["selector"]}
    position = selectors["TextPositionSelector"]
    assert text[position["start"] : position["end"]] == selectors["TextQuoteSelector"]["exact"] == "$4.2 million"


def test_unknown_format_and_anonymous_users_are_refused(client, editor, annotated):
    url = reverse("reviews:article_export", args=[annotated.pk, "pdf"])
    assert client.get(url).status_code == 302  # login first
    client.force_login(editor)
    assert client.get(url).status_code == 404
    assert not ExportRecord.objects.exists()


def test_markdown_changes_since_a_revision(client, editor, annotated):
    services.revise(annotated, editor, annotated.current_revision.text.replace("$4.2", "$2.4"),
                    annotated.current_revision.pk)
    client.force_login(editor)
    body = client.get(reverse("reviews:article_export", args=[annotated.pk, "md"]), {"diff_from": 1}).content.decode()
    assert "{~~" in body and "~>" in body


def test_bulk_export_refuses_empty_selection_and_other_peoples_jobs(client, editor, admin_user, article, settings, tmp_path):
    settings.EXPORT_ROOT = tmp_path
    client.force_login(editor)
    assert client.post(reverse("reviews:bulk_export"), {"format": "csv"}, **HX).status_code == 400
    assert client.post(reverse("reviews:bulk_export"), {"format": "exe", "ids": [article.pk]}, **HX).status_code == 400
    assert client.post(reverse("reviews:bulk_export"), {"format": "csv", "ids": ["1; DROP"]}, **HX).status_code == 400
    assert not Job.objects.exists()
    client.post(reverse("reviews:bulk_export"), {"format": "csv", "ids": [article.pk]}, **HX)
    job = Job.objects.get()
    client.force_login(admin_user)
    assert client.get(reverse("reviews:job_download", args=[job.pk])).status_code == 403


def test_export_articles_command(tmp_path, make_article, editor):
    a = make_article(title="One")
    b = make_article(title="Two")
    services.transition(b, editor, "submit")
    out = tmp_path / "one.docx"
    call_command("export_articles", "--format", "docx", "--id", str(a.pk), "--out", str(out), stdout=io.StringIO())
    assert zipfile.ZipFile(out).testzip() is None and "word/document.xml" in zipfile.ZipFile(out).namelist()
    out = tmp_path / "all.zip"
    call_command("export_articles", "--format", "html", "--out", str(out), stdout=io.StringIO())
    assert len(zipfile.ZipFile(out).namelist()) == 2
    out = tmp_path / "review.zip"
    call_command("export_articles", "--format", "csv", "--status", "in_review", "--out", str(out), stdout=io.StringIO())
    assert len(zipfile.ZipFile(out).namelist()) == 1
    with pytest.raises(CommandError, match="No story with id 999"):
        call_command("export_articles", "--format", "csv", "--id", "999", "--out", str(out))
    assert ExportRecord.objects.filter(via="cli").count() == 3


def test_upload_a_word_file_as_a_new_story(client, writer, tmp_path):
    from django.core.files.uploadedfile import SimpleUploadedFile
    from docx import Document

    doc = Document()
    doc.add_paragraph("Library hours extended", style="Title")
    doc.add_paragraph("The library will open until 9pm from Monday.")
    buffer = io.BytesIO()
    doc.save(buffer)
    client.force_login(writer)
    response = client.post(reverse("reviews:article_create"), {
        "title": "", "body": "", "upload": SimpleUploadedFile("hours.docx", buffer.getvalue()),
    })
    assert response.status_code == 302
    from reviews.models import Article

    article = Article.objects.get()
    assert article.title == "Library hours extended"
    assert article.current_revision.text == "The library will open until 9pm from Monday."


def test_bad_uploads_are_refused_with_a_message_and_create_nothing(client, writer, settings):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from reviews.models import Article

    client.force_login(writer)
    url = reverse("reviews:article_create")
    html = client.post(url, {"upload": SimpleUploadedFile("x.docx", b"garbage bytes")}).content.decode()
    assert "not a valid Word document" in html
    settings.REVIEWS_MAX_UPLOAD_BYTES = 10
    html = client.post(url, {"upload": SimpleUploadedFile("x.txt", b"Title\n\n" + b"a" * 100)}).content.decode()
    assert "the limit is" in html
    assert not Article.objects.exists()


def test_annotation_upload_reports_what_was_placed(client, editor, annotated, make_article):
    from django.core.files.uploadedfile import SimpleUploadedFile

    client.force_login(editor)
    exported = client.get(reverse("reviews:article_export", args=[annotated.pk, "jsonld"])).content
    copy = make_article(title="Copy", text=annotated.current_revision.text)
    response = client.post(reverse("reviews:annotation_import", args=[copy.pk]),
                           {"file": SimpleUploadedFile("notes.jsonld", exported)}, follow=True)
    assert "1 anchored, 0 re-anchored, 0 rejected" in response.content.decode()
    assert copy.annotations.get().exact == "$4.2 million"
    bad = client.post(reverse("reviews:annotation_import", args=[copy.pk]),
                      {"file": SimpleUploadedFile("x.json", b"[1, 2, 3]")})
    assert bad.status_code == 400 and copy.annotations.count() == 1
    assert f'href="{copy.get_absolute_url()}">Back to the story' in bad.content.decode()
    other = make_article(title="Other", text="Nothing in common with the first story at all.")
    response = client.post(reverse("reviews:annotation_import", args=[other.pk]),
                           {"file": SimpleUploadedFile("notes.jsonld", exported)}, follow=True)
    html = response.content.decode()
    assert "Rejected — “$4.2 million”:" in html and "/#annotation-" not in html


def test_a_writer_importing_an_editors_notes_adds_comments_and_a_second_import_adds_nothing(
    client, editor, writer, annotated, make_article
):
    from django.core.files.uploadedfile import SimpleUploadedFile

    client.force_login(editor)
    exported = client.get(reverse("reviews:article_export", args=[annotated.pk, "jsonld"])).content
    assert b"fact_check" in exported or b"Fact check" in exported
    copy = make_article(title="Copy", text=annotated.current_revision.text)  # the writer's story
    client.force_login(writer)
    url = reverse("reviews:annotation_import", args=[copy.pk])
    first = client.post(url, {"file": SimpleUploadedFile("n.jsonld", exported)}, follow=True)
    assert "1 kept as Comment (your role may not add their category)" in first.content.decode()
    note = copy.annotations.get()
    assert (note.category, note.author) == ("comment", writer)  # never the editor's fact check
    again = client.post(url, {"file": SimpleUploadedFile("n.jsonld", exported)}, follow=True)
    assert "1 already on the story (skipped)" in again.content.decode()
    assert copy.annotations.count() == 1


@pytest.mark.parametrize(("title", "name"), [
    ("Łódź street ferry: Søndergård speaks", "lodz-street-ferry-sondergard-speaks-r1.md"),
    ("Café owners’ €5 plan", "cafe-owners-5-plan-r1.md"),
    ("Москва: новый мост", "москва-новый-мост-r1.md"),
    ("!!!", None),
])
def test_download_names_keep_the_titles_letters(client, editor, make_article, title, name):
    article = make_article(title=title, text="Some text for the story.")
    client.force_login(editor)
    response = client.get(reverse("reviews:article_export", args=[article.pk, "md"]))
    assert response.status_code == 200
    expected = name or f"story-{article.pk}-r1.md"
    from urllib.parse import quote

    disposition = response["Content-Disposition"]
    assert f'filename="{expected}"' in disposition or f"filename*=utf-8''{quote(expected)}" in disposition
