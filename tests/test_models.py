import pytest
from django.db import IntegrityError

from reviews import services
from reviews.models import Annotation, ImmutableError, ReviewEvent, Revision

from .conftest import selection


def test_creating_an_article_makes_revision_one_and_a_draft_event(article, writer):
    rev = article.current_revision
    assert (rev.number, rev.author, article.status) == (1, writer, "draft")
    assert list(article.events.values_list("from_status", "to_status")) == [("", "draft")]


def test_text_is_normalised_to_plain_paragraphs(make_article):
    a = make_article(text="\r\n\r\nOne line.  \r\nSecond line.\r\n\r\nNext para.\r\n\r\n")
    assert a.current_revision.text == "One line.\nSecond line.\n\nNext para."


def test_revisions_are_immutable(article):
    rev = article.current_revision
    rev.text = "changed"
    with pytest.raises(ImmutableError):
        rev.save()
    with pytest.raises(ImmutableError):
        rev.delete()
    assert Revision.objects.get(pk=rev.pk).text != "changed"


def test_review_events_are_append_only(article):
    event = article.events.get()
    event.comment = "rewritten history"
    with pytest.raises(ImmutableError):
        event.save()
    with pytest.raises(ImmutableError):
        event.delete()
    assert ReviewEvent.objects.get(pk=event.pk).comment == "Created"


def test_annotation_stores_both_selectors(article, editor):
    sel = selection(article, "slammed")
    a = services.add_annotation(
        article, editor, category="loaded_language", body="Loaded verb.", **sel
    )
    text = article.current_revision.text
    assert text[a.start : a.end] == a.exact == "slammed"
    assert a.prefix == text[a.start - 32 : a.start]
    assert a.suffix == text[a.end : a.end + 32]
    assert (a.state, a.author, a.revision) == ("open", editor, article.current_revision)


def test_tampered_offsets_are_refused_and_nothing_saved(article, editor):
    sel = selection(article, "slammed")
    sel["start"] += 1
    sel["end"] += 1
    with pytest.raises(services.SelectionMismatch):
        services.add_annotation(article, editor, category="comment", body="x", **sel)
    assert not Annotation.objects.exists()


def test_tampered_context_is_refused(article, editor):
    sel = selection(article, "slammed")
    sel["prefix"] = "Nobody " + sel["prefix"][7:]
    with pytest.raises(services.SelectionMismatch):
        services.add_annotation(article, editor, category="comment", body="x", **sel)


def test_selection_of_words_edited_since_is_refused_as_stale(article, editor):
    # Words that survive the edit are carried over instead (tests/test_races.py).
    sel = selection(article, "slammed")
    services.revise(
        article, editor, article.current_revision.text.replace("slammed", "hit"), sel["revision_id"]
    )
    article.refresh_from_db()
    with pytest.raises(services.StaleRevision):
        services.add_annotation(article, editor, category="comment", body="x", **sel)


def test_whitespace_only_selection_is_refused(make_article, editor):
    article = make_article(text="Alpha   beta")
    sel = {"revision_id": article.current_revision.pk, "start": 5, "end": 8, "exact": "   "}
    with pytest.raises(services.SelectionMismatch):
        services.add_annotation(article, editor, category="comment", body="x", **sel)


@pytest.mark.parametrize("body", ["", "   ", "x" * 5001])
def test_empty_or_overlong_comments_are_refused(article, editor, body):
    with pytest.raises(services.ReviewError):
        services.add_annotation(
            article, editor, category="comment", body=body, **selection(article, "slammed")
        )
    assert not Annotation.objects.exists()


def test_writer_may_only_comment(article, writer):
    with pytest.raises(services.Forbidden):
        services.add_annotation(
            article, writer, category="fact_check", body="x", **selection(article, "7-4")
        )
    a = services.add_annotation(
        article, writer, category="comment", body="ok", **selection(article, "7-4")
    )
    assert a.pk


def test_resolve_and_reopen_record_who_and_when(article, editor, writer):
    a = services.add_annotation(
        article, editor, category="comment", body="x", **selection(article, "7-4")
    )
    services.set_resolved(a, writer, True)  # the story's writer may resolve
    a.refresh_from_db()
    assert a.state == "resolved" and a.resolved_by == writer and a.resolved_at
    services.set_resolved(a, editor, False)
    a.refresh_from_db()
    assert a.state == "open" and a.resolved_by is None and a.resolved_at is None


def test_another_writer_may_not_resolve(article, editor, other_writer):
    a = services.add_annotation(
        article, editor, category="comment", body="x", **selection(article, "7-4")
    )
    with pytest.raises(services.Forbidden):
        services.set_resolved(a, other_writer, True)


def test_database_refuses_an_empty_span(article, editor):
    with pytest.raises(IntegrityError):
        Annotation.objects.create(
            article=article,
            revision=article.current_revision,
            start=5,
            end=5,
            exact="",
            body="x",
            author=editor,
        )


def test_revise_carries_annotations_and_refuses_stale_saves(article, editor):
    a = services.add_annotation(
        article, editor, category="comment", body="x", **selection(article, "slammed")
    )
    base = article.current_revision.pk
    new_text = "UPDATE: " + article.current_revision.text
    rev2 = services.revise(article, editor, new_text, base, note="Added a label")
    a.refresh_from_db()
    assert rev2.number == 2 and a.revision == rev2 and new_text[a.start : a.end] == "slammed"
    with pytest.raises(services.StaleRevision):
        services.revise(article, editor, "Someone else's text", base)
    article.refresh_from_db()
    assert article.current_revision == rev2
