"""Whatever a logged-in person types into a parameter or a form field (or uploads), the queue,
search, export and import screens answer with a page or a refusal: never a server error.

Hypothesis feeds arbitrary text (anything HTTP can carry: every code point but lone
surrogates, NUL included) to every GET parameter and form field those views read, and
arbitrary bytes as uploaded files, mixed with values known to have broken them once.
"""

from urllib.parse import quote

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from reviews import services

from .conftest import selection

HUGE = str(2**70)
CHECKS = settings(
    max_examples=40, deadline=None, derandomize=False,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

# Anything HTTP can carry (lone surrogates cannot be encoded), and values that broke a view once.
any_text = st.text(alphabet=st.characters(exclude_categories=("Cs",)), max_size=60)
tricky = st.sampled_from([
    "", "²", "٣", HUGE, "-1", "0", "1", "1e3", "\x00", "a\x00b", "me", "none", "all", "draft",
    '"', '"unterminated', "a OR", "-", "NEAR(a b)", "*", "^a", "x" * 300, "🚢", "\r\n", "%00",
])
value = st.one_of(tricky, any_text)
file_bytes = st.one_of(
    st.binary(max_size=3000),
    st.sampled_from([b"", b"\x00", b"\xef\xbb\xbf", b"\xff\xfe", b"PK\x03\x04", b"{", b"[]",
                     b'{"type": "Annotation"}', b"<html><body>x</body></html>",
                     b"phrase,category\n'x,y\n"]),
    any_text.map(lambda t: t.encode("utf-8")),
)
file_name = st.one_of(
    st.sampled_from(["story.txt", "story.md", "story.docx", "story.html", "notes.json",
                     "notes.jsonld", "terms.csv", "rule.yml", "noext", ".csv", "x.CSV"]),
    st.text(alphabet=st.characters(exclude_categories=("Cs", "Cc")), min_size=1, max_size=30)
    .filter(lambda n: n.strip(". ") and "/" not in n and "\\" not in n),
)


@pytest.fixture
def world(db, editor, admin_user, writer, make_article, settings):
    settings.REVIEWS_RATE_LIMIT_WRITES = 100_000
    story = make_article(text="The council slammed the ferry plan.\n\nA second paragraph.")
    services.add_annotation(story, editor, category="comment", body="Check.",
                            **selection(story, "ferry"))
    story.assignees.add(editor)
    as_editor, as_admin = Client(), Client()
    as_editor.force_login(editor)
    as_admin.force_login(admin_user)
    return {"story": story, "editor": as_editor, "admin": as_admin}


def _ok(response):
    assert response.status_code < 500, (response.status_code, response.content[:500])


def _htmx(flag):
    return {"HTTP_HX_REQUEST": "true"} if flag else {}


@CHECKS
@given(status=value, assignee=value, q=value, page=value, htmx=st.booleans())
def test_queue_and_search(world, status, assignee, q, page, htmx):
    _ok(world["editor"].get(reverse("reviews:queue"),
                            {"status": status, "assignee": assignee, "q": q, "page": page},
                            **_htmx(htmx)))


@CHECKS
@given(q=value, category=value, state=value, page=value, action=value, htmx=st.booleans())
def test_lexicon_and_audit_searches(world, q, category, state, page, action, htmx):
    admin = world["admin"]
    _ok(admin.get(reverse("reviews:lexicon"),
                  {"q": q, "category": category, "state": state, "page": page}, **_htmx(htmx)))
    _ok(admin.get(reverse("reviews:audit"), {"q": q, "action": action, "page": page}))


@CHECKS
@given(fmt=st.one_of(st.sampled_from(["md", "docx", "csv", "html", "jsonld"]), value),
       diff_from=value)
def test_one_story_export(world, fmt, diff_from):
    url = f"/articles/{world['story'].pk}/export/{quote(fmt, safe='')}/"
    _ok(world["editor"].get(url, {"diff_from": diff_from}))


@CHECKS
@given(fmt=st.one_of(st.sampled_from(["csv", "md"]), value), scope=value,
       ids=st.lists(value, max_size=4), status=value, assignee=value, q=value,
       htmx=st.booleans())
def test_bulk_export(world, settings, tmp_path, fmt, scope, ids, status, assignee, q, htmx):
    settings.EXPORT_ROOT = tmp_path
    data = {"format": fmt, "scope": scope, "ids": ids, "status": status, "assignee": assignee,
            "q": q}
    _ok(world["editor"].post(reverse("reviews:bulk_export"), data, **_htmx(htmx)))


@CHECKS
@given(title=value, byline=value, desk=value, body=value, assignees=st.lists(value, max_size=2),
       upload=st.one_of(st.none(), st.tuples(file_name, file_bytes)))
def test_story_import(world, title, byline, desk, body, assignees, upload):
    data = {"title": title, "byline": byline, "desk": desk, "body": body, "assignees": assignees}
    if upload is not None:
        data["upload"] = SimpleUploadedFile(upload[0], upload[1])
    _ok(world["editor"].post(reverse("reviews:article_create"), data))


@CHECKS
@given(name=file_name, content=file_bytes, htmx=st.booleans())
def test_note_import(world, name, content, htmx):
    url = reverse("reviews:annotation_import", args=[world["story"].pk])
    _ok(world["editor"].post(url, {"file": SimpleUploadedFile(name, content)}, **_htmx(htmx)))


@CHECKS
@given(name=file_name, content=file_bytes, category=value, update=value)
def test_lexicon_import(world, name, content, category, update):
    data = {"file": SimpleUploadedFile(name, content), "category": category,
            "update_existing": update}
    _ok(world["admin"].post(reverse("reviews:lexicon_import"), data))
