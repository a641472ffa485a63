"""The story page and the queue run a fixed number of queries, however much data there is."""

import re

import pytest
from django.urls import reverse

from reviews import language, services
from reviews.models import Annotation, Flag, Reply


def _story_with(make_article, editor, writer, notes: int, flags: int = 0):
    """A story with `notes` notes (replies on every other one, some resolved, some moved by an
    edit, some orphaned, by two authors) and `flags` flags (some dismissed): every kind of
    card the page draws, so a query hiding in any of them shows up as growth."""
    words = " ".join(f"word{i}" for i in range(max(notes, flags) * 4 + 20))
    article = make_article(text=words + "\n\nThe regime slammed critics.", title=f"{notes} notes")
    revision = article.current_revision
    text = revision.text

    def span(i):
        start = text.index(f"word{i} ")
        return start, start + len(f"word{i}")

    rows = []
    for i in range(notes):
        start, end = span(i * 4)
        rows.append(
            Annotation(
                article=article,
                revision=revision,
                start=start,
                end=end,
                exact=text[start:end],
                body="Check.",
                author=editor if i % 3 else writer,
                state=Annotation.RESOLVED if i % 5 == 1 else Annotation.OPEN,
                resolved_by=editor if i % 5 == 1 else None,
                orphaned=i % 7 == 2,
                anchor_confidence=0.5 if i % 7 == 3 else 1.0,
            )
        )
    created = Annotation.objects.bulk_create(rows)
    Reply.objects.bulk_create(
        Reply(annotation=a, author=writer if i % 4 else editor, body="Yes.")
        for i, a in enumerate(created[::2])
    )
    category = next(iter(language.CATEGORIES))
    marks = []
    for i in range(flags):
        start, end = span(i * 4 + 1)
        marks.append(
            Flag(
                article=article,
                revision=revision,
                start=start,
                end=end,
                exact=text[start:end],
                phrase=text[start:end],
                category=category,
                severity=("info", "warn", "high")[i % 3],
                attributed=i % 9 == 4,
                rationale="Loaded.",
                suggestions=["neutral"],
                state=Flag.DISMISSED if i % 6 == 5 else Flag.OPEN,
                decided_by=editor if i % 6 == 5 else None,
            )
        )
    Flag.objects.bulk_create(marks)
    return article


def _count(client, url, django_assert_max_num_queries, limit):
    with django_assert_max_num_queries(limit) as captured:
        assert client.get(url).status_code == 200
    return len(captured.captured_queries)


def test_story_page_queries_do_not_grow_with_notes(
    client, editor, writer, make_article, django_assert_max_num_queries
):
    client.force_login(editor)
    small = _story_with(make_article, editor, writer, 5, flags=2)
    large = _story_with(make_article, editor, writer, 500, flags=200)
    few = _count(client, small.get_absolute_url(), django_assert_max_num_queries, 20)
    many = _count(client, large.get_absolute_url(), django_assert_max_num_queries, 20)
    assert few == many


def test_queue_queries_do_not_grow_with_stories(
    client, editor, make_article, django_assert_max_num_queries
):
    client.force_login(editor)
    for i in range(5):
        a = make_article(title=f"Story {i}")
        a.assignees.add(editor)
    few = _count(client, reverse("reviews:queue"), django_assert_max_num_queries, 15)
    for i in range(40):
        a = make_article(title=f"More {i}")
        a.assignees.add(editor)
        services.transition(a, editor, "submit")
    many = _count(client, reverse("reviews:queue"), django_assert_max_num_queries, 15)
    assert few == many


@pytest.mark.parametrize(("notes", "flags"), [(5, 2), (500, 200)])
def test_story_page_with_many_notes_and_flags_stays_under_the_cap(
    client, editor, writer, make_article, notes, flags, django_assert_max_num_queries
):
    client.force_login(editor)
    article = _story_with(make_article, editor, writer, notes, flags)
    with django_assert_max_num_queries(20):
        response = client.get(article.get_absolute_url())
    # Everything was drawn, not skipped: a card per note and per flag, every reply.
    html = response.content.decode()
    assert len(re.findall(r'<li class="card card-[^"]*" id="ann-\d+"', html)) == notes
    shown = Flag.objects.filter(article=article, state__in=[Flag.OPEN, Flag.DISMISSED])
    assert shown.count() >= flags  # ours, and the scanner's on "The regime slammed critics."
    assert len(re.findall(r'<li class="card flag-card[^"]*" id="flag-\d+"', html)) == shown.count()
    assert html.count("<p>Yes.</p>") == Reply.objects.filter(annotation__article=article).count()


def test_queue_search_queries_do_not_grow_with_matches(
    client, editor, make_article, django_assert_max_num_queries
):
    client.force_login(editor)
    url = reverse("reviews:queue") + "?q=harbour+-parking&status=&assignee=me"
    for i in range(3):
        a = make_article(title=f"Harbour {i}", text="The harbour wall.")
        a.assignees.add(editor)
    few = _count(client, url, django_assert_max_num_queries, 15)
    for i in range(40):
        a = make_article(title=f"More harbour {i}", text="Harbour news. " * (i + 1))
        a.assignees.add(editor)
        services.add_annotation(
            a, editor, revision_id=a.current_revision_id, start=0, end=7, exact="Harbour",
            category="comment", body="Harbour master to confirm.",
        )
    many = _count(client, url, django_assert_max_num_queries, 15)
    assert few == many
