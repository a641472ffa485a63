"""The review gate: a discussed high flag holds approval until its note is resolved; an
approval is of one revision; publishing with anything still open asks first."""

import pytest
from django.urls import reverse

from reviews import services, workflow
from reviews.models import Annotation, Article, Flag, LexiconTerm, ReviewEvent

from .conftest import selection

HX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def story(writer, db):
    LexiconTerm.objects.create(phrase="butchered", category="loaded_verb", severity="high",
                               rationale="Emotive.", alternatives=["killed"])
    return services.create_article(
        writer, title="Raid", text="Troops butchered the villagers.\n\nThe ministry said little."
    )


def _in_review(story, writer):
    services.transition(story, writer, "submit")
    story.refresh_from_db()
    return story


def test_a_discussed_high_flag_holds_approval_until_its_note_is_resolved(story, writer, editor):
    _in_review(story, writer)
    flag = Flag.objects.get(article=story, exact="butchered")
    note = services.discuss_flag(flag, editor, "Do we have a source for this word?")
    with pytest.raises(workflow.TransitionRefused, match="butchered"):
        services.transition(story, editor, "approve")
    services.set_resolved(note, editor, True)
    services.transition(story, editor, "approve")
    story.refresh_from_db()
    assert story.status == workflow.APPROVED


def test_an_approval_is_of_a_revision_and_an_edit_sends_the_story_back(story, writer, editor):
    _in_review(story, writer)
    services.dismiss_flag(Flag.objects.get(article=story, exact="butchered"), editor, "Quoted.")
    services.transition(story, editor, "approve")
    story.refresh_from_db()
    approved = story.current_revision
    assert story.approved_revision_id == approved.pk
    revision = services.revise(story, editor, approved.text + "\n\nA late line.", approved.pk)
    story.refresh_from_db()
    assert story.status == workflow.IN_REVIEW
    assert story.approved_revision_id == approved.pk  # what was approved stays on record
    event = ReviewEvent.objects.filter(article=story).latest("id")
    assert (event.from_status, event.to_status) == (workflow.APPROVED, workflow.IN_REVIEW)
    assert f"revision {revision.number}" in event.comment and f"revision {approved.number}" in event.comment


def test_the_setting_keeps_an_edited_story_approved(settings, story, writer, editor):
    settings.REVIEWS_EDIT_REOPENS_APPROVAL = False
    _in_review(story, writer)
    services.dismiss_flag(Flag.objects.get(article=story, exact="butchered"), editor, "Quoted.")
    services.transition(story, editor, "approve")
    story.refresh_from_db()
    services.revise(story, editor, story.current_revision.text + " More.", story.current_revision_id)
    story.refresh_from_db()
    assert story.status == workflow.APPROVED


def _approved_with_open_things(story, writer, editor):
    _in_review(story, writer)
    services.dismiss_flag(Flag.objects.get(article=story, exact="butchered"), editor, "Quoted.")
    services.add_annotation(story, editor, **selection(story, "ministry"), category="comment",
                            body="Which ministry?")
    services.transition(story, editor, "approve")
    story.refresh_from_db()
    return story


def test_publishing_with_notes_open_is_refused_until_confirmed(story, writer, editor):
    _approved_with_open_things(story, writer, editor)
    with pytest.raises(services.StillOpen, match="1 open note"):
        services.transition(story, editor, "publish")
    assert Article.objects.get(pk=story.pk).status == workflow.APPROVED
    services.transition(story, editor, "publish", confirm_open=True)
    assert Article.objects.get(pk=story.pk).status == workflow.PUBLISHED


def test_the_page_counts_what_is_open_and_the_step_needs_confirming(client, story, writer, editor):
    _approved_with_open_things(story, writer, editor)
    client.force_login(editor)
    page = client.get(story.get_absolute_url())
    assert page.context["publish_open"] == {"notes": 1, "orphans": 0, "flags": 0}
    assert page.context["publish_open_text"] == "1 open note"
    url = reverse("reviews:article_transition", args=[story.pk])
    data = {"transition": "publish", "revision": story.current_revision_id}
    refused = client.post(url, data, **HX)
    assert refused.status_code == 409 and "1 open note" in refused.content.decode()
    assert client.post(url, {**data, "confirm_open": "1"}, **HX).status_code == 200
    assert Article.objects.get(pk=story.pk).status == workflow.PUBLISHED


def test_counting_what_is_open_names_each_kind():
    assert services.describe_open({"notes": 3, "orphans": 1, "flags": 2}) == (
        "3 open notes, 1 note whose passage was removed and 2 open flags"
    )
    assert services.describe_open({"notes": 0, "orphans": 0, "flags": 0}) == ""


def test_a_clean_story_publishes_without_asking(story, writer, editor):
    _in_review(story, writer)
    services.dismiss_flag(Flag.objects.get(article=story, exact="butchered"), editor, "Quoted.")
    services.transition(story, editor, "approve")
    services.transition(story, editor, "publish")
    assert Article.objects.get(pk=story.pk).status == workflow.PUBLISHED
    assert not Annotation.objects.filter(article=story).exists()


def test_the_edit_page_says_an_approved_story_went_back_to_review(client, story, writer, editor):
    _in_review(story, writer)
    services.dismiss_flag(Flag.objects.get(article=story, exact="butchered"), editor, "Quoted.")
    services.transition(story, editor, "approve")
    story.refresh_from_db()
    client.force_login(editor)
    page = client.post(reverse("reviews:article_edit", args=[story.pk]), {
        "title": story.title, "byline": "", "desk": "", "note": "",
        "body": story.current_revision.text + "\n\nOne more line.",
        "base_revision": story.current_revision_id,
    }, follow=True)
    assert "back in review" in page.content.decode()
    assert Article.objects.get(pk=story.pk).status == workflow.IN_REVIEW
