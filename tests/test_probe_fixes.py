"""Fixes for the low-severity problems a security probe found (one section per finding)."""

import io
import re
import zipfile

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.contrib.sessions.models import Session
from django.test import Client
from django.urls import reverse
from hypothesis import given, settings
from hypothesis import strategies as st
from markdown_it import MarkdownIt

from reviews import language, services, team
from reviews.exporters.markdown import strip_criticmarkup
from reviews.models import Article, AuditEntry, Job, LexiconTerm, ReviewEvent

from .conftest import selection

HX = {"HTTP_HX_REQUEST": "true"}
HUGE = str(2**70)  # 1180591620717411303424: more than any database integer holds


@pytest.fixture
def as_editor(client, editor):
    client.force_login(editor)
    return client


@pytest.fixture
def as_admin(client, admin_user):
    client.force_login(admin_user)
    return client


# --- 1. next= never leaves the site ----------------------------------------------------------


@pytest.fixture
def term(db):
    return LexiconTerm.objects.get_or_create(
        phrase="slam", defaults={"category": "loaded_verb", "severity": "warn", "rationale": "Loaded."},
    )[0]


@pytest.mark.parametrize("target", [
    "https://evil.example/", "//evil.example/", "http://evil.example/lexicon/",
    "https:/evil.example", "javascript:alert(1)", "\\\\evil.example",
])
def test_lexicon_toggle_does_not_follow_next_off_the_site(as_admin, term, target):
    response = as_admin.post(reverse("reviews:lexicon_toggle", args=[term.pk]), {"next": target})
    assert response.status_code == 302 and response.url == reverse("reviews:lexicon")


def test_lexicon_toggle_follows_next_on_the_site(as_admin, term):
    back = reverse("reviews:lexicon") + "?page=2&state=enabled"
    response = as_admin.post(reverse("reviews:lexicon_toggle", args=[term.pk]), {"next": back})
    assert response.status_code == 302 and response.url == back


def test_https_page_does_not_send_back_to_plain_http(as_admin, term):
    response = as_admin.post(reverse("reviews:lexicon_toggle", args=[term.pk]),
                             {"next": "http://testserver/lexicon/"}, secure=True)
    assert response.url == reverse("reviews:lexicon")


# --- 2. bad parameters are 400s, not 500s ------------------------------------------------------


@pytest.mark.parametrize("params", [
    {"assignee": "²"}, {"assignee": "٣x"}, {"assignee": HUGE}, {"assignee": "-1"},
    {"q": "a\x00b"}, {"q": "\x00"}, {"q": "ferry", "assignee": "²"},
])
def test_queue_refuses_bad_parameters_with_400(as_editor, article, params):
    response = as_editor.get(reverse("reviews:queue"), params)
    assert response.status_code == 400
    assert "not understood" in response.content.decode()
    htmx = as_editor.get(reverse("reviews:queue"), params, **HX)
    assert htmx.status_code == 400 and htmx["Content-Type"].startswith("text/plain")


def test_queue_still_takes_good_reviewer_ids(as_editor, article, editor):
    article.assignees.add(editor)
    html = as_editor.get(reverse("reviews:queue"), {"assignee": str(editor.pk)}).content.decode()
    assert article.title in html


@pytest.mark.parametrize("data", [
    {"ids": [HUGE]}, {"ids": ["²"]}, {"ids": ["0"]},
    {"scope": "filter", "q": "a\x00b"}, {"scope": "filter", "assignee": "²"},
    {"scope": "filter", "assignee": HUGE},
])
def test_bulk_export_refuses_bad_parameters_with_400(as_editor, article, settings, tmp_path, data):
    settings.EXPORT_ROOT = tmp_path
    response = as_editor.post(reverse("reviews:bulk_export"), {"format": "csv", **data}, **HX)
    assert response.status_code == 400 and response.content.decode()
    assert not Job.objects.exists()


def test_markdown_diff_from_out_of_range_is_400(as_editor, article):
    url = reverse("reviews:article_export", args=[article.pk, "md"])
    assert as_editor.get(url, {"diff_from": HUGE}).status_code == 400
    assert as_editor.get(url, {"diff_from": "²"}).status_code == 400
    assert as_editor.get(url, {"diff_from": "7"}).status_code == 404  # a number, no such revision


def test_search_parser_never_hands_a_nul_to_the_database():
    from reviews import search

    query = search.parse("a\x00b c")
    assert "\x00" not in query.fts5() and "\x00" not in query.websearch()


# --- 4. control characters in names do not break Word export ---------------------------------


def test_docx_export_of_a_story_annotated_by_someone_with_a_control_character_in_their_name(
    client, article, editor
):
    odd = get_user_model().objects.create_user(username="ctrl", password="pw-for-tests-1",
                                               first_name="\x01Ctrl", last_name="Person")
    odd.groups.add(Group.objects.get_or_create(name="Editor")[0])
    services.add_annotation(article, odd, category="comment", body="Check.",
                            **selection(article, "bus lane"))
    client.force_login(editor)
    response = client.get(reverse("reviews:article_export", args=[article.pk, "docx"]))
    assert response.status_code == 200
    xml = zipfile.ZipFile(io.BytesIO(response.content)).read("word/comments.xml").decode()
    author = re.search(r'w:author="([^"]*)"', xml).group(1)
    initials = re.search(r'w:initials="([^"]*)"', xml).group(1)
    assert "Person" in author and "\x01" not in author
    assert initials == "CP"


def test_word_initials_are_xml_safe():
    from reviews.exporters.word import initials

    assert initials("\x01Ctrl Person") == "CP"
    assert initials("\x02 \x03") == ""
    assert initials("ana maría editor") == "AME"


# --- 5. lexicon terms need two letters ---------------------------------------------------------


@pytest.mark.parametrize("phrase", ["'s", "e.", "I .", "x", "-a-", "‘s", "__", "a_"])
def test_a_term_with_fewer_than_two_letters_is_refused(phrase):
    errors = language.validate_term(language.Term(phrase, "editorializing"))
    assert errors and ("single letter" in errors[0] or "no letters" in errors[0]), errors


@pytest.mark.parametrize("phrase", ["ok", "9/11", "so-called", "it's", "5G"])
def test_short_terms_with_two_letters_or_digits_are_kept(phrase):
    assert language.validate_term(language.Term(phrase, "editorializing")) == []


@pytest.mark.parametrize("phrase", ["the.", "'the'", "(said)"])
def test_a_stop_word_in_punctuation_is_still_a_stop_word(phrase):
    errors = language.validate_term(language.Term(phrase, "editorializing"))
    assert errors and "common word" in errors[0]


def test_the_lexicon_form_refuses_a_possessive_s(as_admin):
    response = as_admin.post(reverse("reviews:lexicon_add"), {
        "phrase": "'s", "category": "editorializing", "severity": "high", "rationale": "x",
    })
    assert response.status_code == 200 and "single letter" in response.content.decode()
    assert not LexiconTerm.objects.filter(phrase="'s").exists()


def test_the_csv_import_refuses_a_one_letter_term(as_admin):
    from django.core.files.uploadedfile import SimpleUploadedFile

    data = (b"phrase,category,severity,rationale,alternatives,style_note,exceptions\n"
            b"e.,puffery,high,One letter.,,,\n")
    response = as_admin.post(reverse("reviews:lexicon_import"), {
        "file": SimpleUploadedFile("terms.csv", data), "category": "editorializing",
    })
    assert response.status_code == 400 and "single letter" in response.content.decode()
    assert not LexiconTerm.objects.filter(phrase="e.").exists()


# --- 6. role, staff and superuser changes are audited wherever they are made -------------------


def _django_admin_change(client, user, **changes):
    """Post Django admin's change form for user with its current values and these changes."""
    url = reverse("admin:auth_user_change", args=[user.pk])
    data = {
        "username": user.username, "first_name": user.first_name, "last_name": user.last_name,
        "email": user.email, "is_active": "on" if user.is_active else "",
        "is_staff": "on" if user.is_staff else "", "is_superuser": "on" if user.is_superuser else "",
        "groups": [str(g.pk) for g in user.groups.all()],
        "last_login_0": "", "last_login_1": "", "date_joined_0": "2025-01-01",
        "date_joined_1": "00:00:00",
    }
    data.update(changes)
    data = {k: v for k, v in data.items() if v != ""}
    return client.post(url, data)


def test_promoting_to_superuser_in_django_admin_is_audited_with_the_admin_as_actor(
    as_admin, admin_user, editor
):
    admin_user.is_staff = admin_user.is_superuser = True
    admin_user.save()
    before = AuditEntry.objects.count()
    response = _django_admin_change(as_admin, editor, is_staff="on", is_superuser="on")
    assert response.status_code == 302, response.content.decode()[:2000]
    editor.refresh_from_db()
    assert editor.is_superuser and editor.is_staff
    entries = list(AuditEntry.objects.order_by("id")[before:])
    assert entries and all(e.action == "role_changed" for e in entries)
    assert all(e.actor == admin_user for e in entries)
    assert all(e.target == f"user:{editor.pk} editor" for e in entries)
    details = " ".join(e.detail for e in entries)
    assert "superuser" in details and "staff" in details and "Django admin" in details


def test_group_changes_in_django_admin_are_audited(as_admin, admin_user, editor):
    admin_user.is_staff = admin_user.is_superuser = True
    admin_user.save()
    admin_group = Group.objects.get(name="Admin")
    before = AuditEntry.objects.count()
    _django_admin_change(as_admin, editor, groups=[str(admin_group.pk)])
    entries = list(AuditEntry.objects.order_by("id")[before:])
    assert {e.action for e in entries} == {"role_changed"}
    assert all(e.actor == admin_user for e in entries)
    details = " ".join(e.detail for e in entries)
    assert "Admin" in details and "Editor" in details


def test_deactivation_in_django_admin_is_audited_and_ends_sessions(as_admin, admin_user, editor):
    admin_user.is_staff = admin_user.is_superuser = True
    admin_user.save()
    theirs = Client()
    theirs.force_login(editor)
    _django_admin_change(as_admin, editor, is_active="")
    entry = AuditEntry.objects.filter(action="deactivated").get()
    assert entry.actor == admin_user and entry.target == f"user:{editor.pk} editor"
    editor.is_active = True
    editor.save()
    assert theirs.get(reverse("reviews:queue")).status_code == 302  # sent to log in again


def test_changes_made_in_the_shell_are_audited_without_an_actor(editor):
    before = AuditEntry.objects.count()
    editor.is_superuser = True
    editor.save()
    editor.groups.add(Group.objects.get(name="Admin"))
    editor.groups.remove(Group.objects.get(name="Editor"))
    Group.objects.get(name="Writer").user_set.add(editor)  # from the other side, too
    editor.groups.clear()
    entries = list(AuditEntry.objects.order_by("id")[before:])
    assert len(entries) == 5 and {e.action for e in entries} == {"role_changed"}
    assert all(e.actor is None and "not known" in e.detail for e in entries)
    assert "superuser" in entries[0].detail
    assert "Admin" in entries[1].detail and "Editor" in entries[2].detail
    assert "Writer" in entries[3].detail
    assert "Admin" in entries[4].detail and "Writer" in entries[4].detail


def test_saving_a_user_without_role_changes_writes_nothing(editor):
    before = AuditEntry.objects.count()
    editor.first_name = "Edna"
    editor.save()
    editor.groups.add(Group.objects.get(name="Editor"))  # already a member
    assert AuditEntry.objects.count() == before


def test_team_page_changes_are_logged_once(as_admin, writer, admin_user):
    before = AuditEntry.objects.count()
    as_admin.post(reverse("reviews:team_role", args=[writer.pk]), {"role": "Admin"})
    as_admin.post(reverse("reviews:team_role", args=[writer.pk]), {"role": "Editor"})
    as_admin.post(reverse("reviews:team_active", args=[writer.pk]), {"active": "0"})
    as_admin.post(reverse("reviews:team_active", args=[writer.pk]), {"active": "1"})
    entries = list(AuditEntry.objects.order_by("id")[before:])
    assert [e.action for e in entries] == ["role_changed", "role_changed", "deactivated", "reactivated"]
    assert all(e.actor == admin_user for e in entries)
    assert "Django admin" in entries[0].detail and "Django admin" in entries[1].detail


def test_adding_someone_on_the_team_page_is_logged_once(as_admin, settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    before = AuditEntry.objects.count()
    as_admin.post(reverse("reviews:team"), {"name": "Nia Park", "email": "nia@example.org",
                                            "role": "Editor"})
    assert list(AuditEntry.objects.order_by("id")[before:].values_list("action", flat=True)) == [
        "user_added"
    ]


# --- 7. deactivation ends every session ------------------------------------------------------


def test_deactivating_on_the_team_page_ends_sessions_and_reactivating_does_not_revive_them(
    as_admin, writer, editor
):
    first, second, bystander = Client(), Client(), Client()
    first.force_login(writer)
    second.force_login(writer)
    bystander.force_login(editor)
    assert first.get(reverse("reviews:queue")).status_code == 200
    sessions = Session.objects.count()
    as_admin.post(reverse("reviews:team_active", args=[writer.pk]), {"active": "0"})
    assert Session.objects.count() == sessions - 2
    as_admin.post(reverse("reviews:team_active", args=[writer.pk]), {"active": "1"})
    for old in (first, second):
        response = old.get(reverse("reviews:queue"))
        assert response.status_code == 302 and response.url.startswith("/accounts/login/")
    assert bystander.get(reverse("reviews:queue")).status_code == 200
    assert as_admin.get(reverse("reviews:team")).status_code == 200


def test_deactivation_in_the_shell_ends_sessions_too(writer):
    old = Client()
    old.force_login(writer)
    team.set_active(None, writer, False)
    writer.refresh_from_db()
    writer.is_active = True
    writer.save()
    assert old.get(reverse("reviews:queue")).status_code == 302


def test_ending_sessions_copes_with_many_sessions_and_broken_ones(writer, editor):
    from django.contrib.sessions.backends.db import SessionStore

    for _ in range(300):
        store = SessionStore()
        store["_auth_user_id"] = str(editor.pk)
        store.create()
    Session.objects.create(session_key="x" * 32, session_data="garbage",
                           expire_date="2999-01-01T00:00:00Z")
    old = Client()
    old.force_login(writer)
    writer.is_active = False
    writer.save()
    assert Session.objects.count() == 301
    assert not Session.objects.filter(session_key=old.session.session_key).exists()


# --- 8. Markdown export shows HTML literally ---------------------------------------------------


def test_markdown_export_escapes_html_in_text_and_comments(as_editor, make_article, editor):
    text = ("Officials said <script>alert(1)</script> & <b>bold</b> &amp; more.\n\n"
            "Second {==literal==} paragraph ~> here.")
    article = make_article(text=text, title="Tags <i>and</i> things")
    services.add_annotation(article, editor, category="comment", body="&lt;b&gt;not bold&lt;/b&gt; <u>x</u>",
                            **selection(article, "bold"))
    out = as_editor.get(reverse("reviews:article_export", args=[article.pk, "md"])).content.decode()
    body = out.split("---\n\n", 1)[1].rstrip("\n")
    assert strip_criticmarkup(body) == article.current_revision.text
    assert "<script>" not in out and "<b>" not in out and "<u>" not in out and "<i>" not in out
    html = MarkdownIt("commonmark").render(out)
    assert "<script>" not in html and "<b>" not in html and "<u>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt; &amp; &lt;b&gt;" in html
    assert "&amp;amp; more." in html  # the text's own "&amp;" is shown as written
    assert "&amp;lt;b&amp;gt;not bold" in html  # the comment's entity is shown as written
    assert "{==literal==} paragraph ~&gt; here." in html  # CriticMarkup escapes still read right


def test_markdown_diff_export_escapes_html(as_editor, make_article, editor):
    article = make_article(text="Keep <b>this</b> & that.")
    services.revise(article, editor, "Keep <i>this</i> & the other.", article.current_revision.pk)
    url = reverse("reviews:article_export", args=[article.pk, "md"])
    out = as_editor.get(url, {"diff_from": 1}).content.decode()
    body = out.split("---\n\n", 1)[1].rstrip("\n")
    assert strip_criticmarkup(body) == "Keep <i>this</i> & the other."
    assert "<b>" not in out and "<i>" not in out


# --- 9. a review step needs the revision that was read --------------------------------------


@pytest.mark.parametrize("revision", [None, "", "abc", "²", HUGE + "x"])
def test_a_step_without_a_readable_revision_is_refused(as_writer_client, article, revision):
    data = {"transition": "submit"}
    if revision is not None:
        data["revision"] = revision
    url = reverse("reviews:article_transition", args=[article.pk])
    response = as_writer_client.post(url, data, **HX)
    assert response.status_code == 400 and "Reload the page" in response.content.decode()
    page = as_writer_client.post(url, data)
    assert page.status_code == 400 and "Reload the page" in page.content.decode()
    article.refresh_from_db()
    assert article.status == "draft" and ReviewEvent.objects.filter(article=article).count() == 1


def test_a_step_with_the_revision_is_taken(as_writer_client, article):
    url = reverse("reviews:article_transition", args=[article.pk])
    response = as_writer_client.post(
        url, {"transition": "submit", "revision": article.current_revision_id}, **HX)
    assert response.status_code == 200
    article.refresh_from_db()
    assert article.status == "in_review"


def test_a_refused_step_is_403_even_without_the_revision(as_writer_client, article):
    url = reverse("reviews:article_transition", args=[article.pk])
    assert as_writer_client.post(url, {"transition": "approve"}, **HX).status_code == 403


@pytest.fixture
def as_writer_client(client, writer):
    client.force_login(writer)
    return client


# --- 10. only GET and POST (and HEAD where GET is) -------------------------------------------


@pytest.mark.parametrize("method", ["put", "patch", "delete"])
def test_the_edit_page_answers_405_to_other_methods(as_editor, article, method):
    url = reverse("reviews:article_edit", args=[article.pk])
    text_before = article.current_revision.text
    response = getattr(as_editor, method)(url)
    assert response.status_code == 405
    article.refresh_from_db()
    assert article.current_revision.text == text_before


@pytest.mark.parametrize("method", ["put", "patch", "delete"])
def test_other_pages_answer_405_to_other_methods(client, admin_user, article, method, term):
    client.force_login(admin_user)
    urls = [
        reverse("reviews:queue"), reverse("reviews:article_create"),
        reverse("reviews:article", args=[article.pk]),
        reverse("reviews:article_export", args=[article.pk, "csv"]),
        reverse("reviews:team"), reverse("reviews:audit"), reverse("reviews:lexicon"),
        reverse("reviews:lexicon_add"), reverse("reviews:lexicon_edit", args=[term.pk]),
        reverse("reviews:lexicon_export"), reverse("reviews:compare", args=[article.pk]),
        reverse("reviews:jobs"), reverse("reviews:job", args=[1]),
        reverse("reviews:job_download", args=[1]),
    ]
    for url in urls:
        assert getattr(client, method)(url).status_code == 405, url
    assert Article.objects.filter(pk=article.pk).exists()


def test_get_and_head_still_work(as_editor, article):
    for url in (reverse("reviews:queue"), reverse("reviews:article_edit", args=[article.pk])):
        assert as_editor.get(url).status_code == 200
        assert as_editor.head(url).status_code == 200


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet="{}=<>+-~\\&;ltgamp \n", min_size=1, max_size=40), st.data())
def test_markdown_html_escaping_round_trips_and_leaves_no_tag(text, data):
    from reviews.exporters.markdown import render_diff, render_review
    from reviews.exporters.snapshot import NoteSnap

    start = data.draw(st.integers(0, len(text) - 1))
    end = data.draw(st.integers(start + 1, len(text)))
    note = NoteSnap(1, "annotation", "comment", "Comment", "open", start, end, text[start:end],
                    "", "", "<b>&lt;</b> ~> {>>", "x", None)
    body, _ = render_review(text, [note])
    assert strip_criticmarkup(body) == text
    old = data.draw(st.text(alphabet="<>&; ab", max_size=20))
    diff = render_diff(old, text)
    assert strip_criticmarkup(diff) == text
    for out in (body, diff):
        bare = re.sub(r"\{>>|<<\}|~>", "", out)  # the CriticMarkup delimiters this module writes
        assert "<" not in bare
        assert re.fullmatch(r"([^&]|&(amp|lt|gt);)*", bare, re.S)


def test_edit_form_with_a_superscript_digit_in_its_base_reviewers_is_not_a_500(as_editor, article):
    """The same str.isdigit trap as the queue's reviewer filter, in the edit form's hidden field."""
    url = reverse("reviews:article_edit", args=[article.pk])
    data = {"title": article.title, "byline": "", "desk": "", "body": article.current_revision.text,
            "base_revision": article.current_revision_id, "note": "", "base_title": article.title,
            "base_byline": "", "base_desk": "", "base_assignees": "²,1"}
    response = as_editor.post(url, data)
    assert response.status_code < 500


def test_a_reviewer_id_too_large_for_the_database_is_a_form_error(as_editor):
    response = as_editor.post(reverse("reviews:article_create"), {
        "title": "T", "body": "Some text.", "assignees": [HUGE],
    })
    assert response.status_code == 200 and "not a valid value" in response.content.decode()
    assert not Article.objects.filter(title="T").exists()


def test_an_admin_deactivating_themselves_is_logged_out_cleanly(client, admin_user, make_article):
    other = get_user_model().objects.create_user(username="second", password="pw-for-tests-1")
    other.groups.add(Group.objects.get(name="Admin"))
    client.force_login(admin_user)
    response = client.post(reverse("reviews:team_active", args=[admin_user.pk]), {"active": "0"})
    assert response.status_code == 302
    assert client.get(reverse("reviews:team")).status_code == 302  # to the login page


def test_django_admin_refuses_a_one_letter_lexicon_term(as_admin, admin_user):
    admin_user.is_staff = admin_user.is_superuser = True
    admin_user.save()
    response = as_admin.post(reverse("admin:reviews_lexiconterm_add"), {
        "phrase": "'s", "category": "editorializing", "severity": "high", "rationale": "x",
        "alternatives": "[]", "exceptions": "[]", "style_note": "", "enabled": "on",
        "created_at_0": "2025-01-01", "created_at_1": "00:00:00",
        "updated_at_0": "2025-01-01", "updated_at_1": "00:00:00",
    })
    assert response.status_code == 200 and "single letter" in response.content.decode()
    assert not LexiconTerm.objects.filter(phrase="'s").exists()
    response = as_admin.post(reverse("admin:reviews_lexiconterm_add"), {
        "phrase": "zorched", "category": "editorializing", "severity": "high", "rationale": "x",
        "alternatives": "[]", "exceptions": '["zorched earth"]', "style_note": "",
        "enabled": "on", "created_at_0": "2025-01-01", "created_at_1": "00:00:00",
        "updated_at_0": "2025-01-01", "updated_at_1": "00:00:00",
    })
    assert response.status_code == 302
    assert LexiconTerm.objects.get(phrase="zorched").exceptions == ["zorched earth"]
