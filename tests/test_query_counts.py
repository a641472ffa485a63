"""The story page and the queue run a fixed number of queries, however much data there is."""

import pytest
from django.urls import reverse

from reviews import services
from reviews.models import Annotation, Reply


def _story_with(make_article, editor, notes: int):
    words = " ".join(f"word{i}" for i in range(notes * 4 + 20))
    article = make_article(text=words + "\n\nThe regime slammed critics.", title=f"{notes} notes")
    text = article.current_revision.text
    rows = []
    for i in range(notes):
        start = text.index(f"word{i * 4}")
        end = start + len(f"word{i * 4}")
        rows.append(
            Annotation(
                article=article,
                revision=article.current_revision,
                start=start,
                end=end,
                exact=text[start:end],
                body="Check.",
                author=editor,
            )
        )
    created = Annotation.objects.bulk_create(rows)
    Reply.objects.bulk_create(Reply(annotation=a, author=editor, body="Yes.") for a in created[::2])
    return article


def _count(client, url, django_assert_max_num_queries, limit):
    with django_assert_max_num_queries(limit) as captured:
        assert client.get(url).status_code == 200
    return len(captured.captured_queries)


def test_story_page_queries_do_not_grow_with_notes(
    client, editor, make_article, django_assert_max_num_queries
):
    client.force_login(editor)
    small = _story_with(make_article, editor, 5)
    large = _story_with(make_article, editor, 500)
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


@pytest.mark.parametrize("notes", [5, 500])
def test_story_page_with_many_notes_and_flags_stays_under_the_cap(
    client, editor, make_article, notes, django_assert_max_num_queries
):
    client.force_login(editor)
    article = _story_with(make_article, editor, notes)
    _count(client, article.get_absolute_url(), django_assert_max_num_queries, 20)
