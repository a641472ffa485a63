"""What a newcomer hit in the first hour: wrong words on the screen and lost input."""

import re
from datetime import timedelta

from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from reviews import services
from reviews.models import Annotation, Reply

from .conftest import selection


def _export_notes(client, article):
    return client.get(reverse("reviews:article_export", args=[article.pk, "jsonld"])).content


def test_notes_imported_onto_a_fresh_copy_keep_their_time_and_need_no_confirming(
    client, editor, writer, make_article
):
    original = make_article(title="Original")
    note = services.add_annotation(original, editor, **selection(original, "bus lane"),
                                   category="comment", body="Which lane?")
    written = timezone.now() - timedelta(days=3)
    Annotation.objects.filter(pk=note.pk).update(created_at=written)
    services.add_reply(note, editor, "Checked: the one on Harbour Road.")
    Reply.objects.filter(annotation=note).update(created_at=written + timedelta(hours=1))
    client.force_login(editor)
    exported = _export_notes(client, original)
    copy = make_article(title="Copy")  # the same text, nothing edited
    report = services.import_annotations(copy, editor, exported)
    assert report.anchored + report.reanchored == 1 and not report.rejected
    imported = Annotation.objects.get(article=copy)
    assert imported.anchor_confidence == 1.0 and not imported.needs_confirmation
    assert abs(imported.created_at - written) < timedelta(seconds=1)
    reply = imported.replies.get()
    assert reply.body == "Checked: the one on Harbour Road."  # no "Editor: " before it
    assert abs(reply.created_at - (written + timedelta(hours=1))) < timedelta(seconds=1)
    page = client.get(copy.get_absolute_url()).content.decode()
    assert "Moved by an edit" not in page


def test_someone_elses_imported_reply_is_labelled_with_their_name(client, editor, writer, make_article):
    original = make_article(title="Original")
    note = services.add_annotation(original, editor, **selection(original, "bus lane"),
                                   category="comment", body="Which lane?")
    services.add_reply(note, editor, "Checked.")
    client.force_login(editor)
    copy = make_article(title="Copy")
    services.import_annotations(copy, writer, _export_notes(client, original))
    reply = Reply.objects.get(annotation__article=copy)
    assert reply.body == "Editor: Checked." and reply.author == writer


def test_a_writer_opening_the_audit_log_is_told_what_it_is(client, writer):
    client.force_login(writer)
    response = client.get(reverse("reviews:audit"))
    assert response.status_code == 403
    html = response.content.decode()
    assert "Only admins read the audit log." in html and "manage the team" not in html


def test_importing_a_lexicon_file_twice_says_nothing_changed_and_nothing_else(client, admin_user):
    client.force_login(admin_user)
    url = reverse("reviews:lexicon_import")
    data = (b"phrase,category,severity,rationale,alternatives\n"
            b"zorched,loaded_verb,warn,Loaded.,hit\n")
    form = {"category": "loaded_verb", "update_existing": "on"}
    first = client.post(url, {"file": SimpleUploadedFile("l.csv", data), **form}, follow=True)
    assert "Imported 1 new term" in first.content.decode()
    again = client.post(url, {"file": SimpleUploadedFile("l.csv", data), **form}, follow=True)
    html = again.content.decode()
    assert "nothing changed" in html
    assert "Rescanned" not in html and "rescan-status" not in html


def test_a_bad_file_on_a_new_story_is_named_at_the_top_and_every_field_is_kept(client, writer):
    client.force_login(writer)
    response = client.post(reverse("reviews:article_create"), {
        "title": "Harbour wall", "byline": "Ann Lee", "desk": "City", "body": "",
        "upload": SimpleUploadedFile("story.docx", b"this is not a word file"),
    })
    html = response.content.decode()
    assert response.status_code == 200
    top = html.index('id="form-problems"')
    assert top < html.index("article-form")  # above the form, not under the file input
    assert re.search(r'id="form-problems"[^>]*autofocus', html)
    assert "not a valid Word document" in html[top:html.index("article-form")]
    assert 'value="Harbour wall"' in html and 'value="Ann Lee"' in html and 'value="City"' in html
