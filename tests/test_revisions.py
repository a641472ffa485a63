"""Editing a story: new revisions, annotations carried over or orphaned, compare, re-attach."""

import pytest
from django.urls import reverse

from reviews import services
from reviews.models import Annotation

from .conftest import highlights, selection

HX = {"HTTP_HX_REQUEST": "true"}

TEXT = (
    "Shop owners on Harbour Road criticised the decision on Tuesday.\n\n"
    "The plan will cost $4.2 million and take about 18 months to complete.\n\n"
    "Councillor Tom Birch said buses run up to 20 minutes late at peak times."
)


@pytest.fixture
def story(make_article):
    return make_article(text=TEXT, title="Bus lane")


def annotate(article, user, phrase, body="Check"):
    return services.add_annotation(
        article, user, category="comment", body=body, **selection(article, phrase)
    )


def revise(article, user, text, note=""):
    article.refresh_from_db()
    revision = services.revise(article, user, text, article.current_revision.pk, note)
    article.refresh_from_db()
    return revision


def test_edits_above_and_inside_keep_the_note_on_its_words(story, editor):
    note = annotate(story, editor, "take about 18 months to complete")
    new = ("UPDATED: " + TEXT).replace("take about 18 months", "take roughly 18 months")
    revise(story, editor, new)
    note.refresh_from_db()
    assert not note.orphaned
    assert new[note.start : note.end] == "take roughly 18 months to complete"
    assert note.revision == story.current_revision


def test_deleting_the_passage_orphans_the_note_and_keeps_its_quote(story, editor):
    note = annotate(story, editor, "Councillor Tom Birch said buses run")
    old_revision = story.current_revision
    revise(story, editor, TEXT.split("\n\nCouncillor")[0])
    note.refresh_from_db()
    assert note.orphaned and note.exact == "Councillor Tom Birch said buses run"
    assert note.revision == old_revision


def test_orphans_stay_orphaned_and_are_listed_on_the_page(client, story, editor):
    note = annotate(story, editor, "Councillor Tom Birch said buses run", body="Source?")
    revise(story, editor, TEXT.split("\n\nCouncillor")[0])
    revise(story, editor, TEXT.split("\n\nCouncillor")[0] + "\n\nA new ending.")
    note.refresh_from_db()
    assert note.orphaned
    client.force_login(editor)
    html = client.get(story.get_absolute_url()).content.decode()
    orphans = html.split('id="orphans-heading"')[1]
    assert "Councillor Tom Birch said buses run" in orphans and "Source?" in orphans
    assert "Re-attach to selected text" in orphans
    assert f'data-ann="{note.pk}"' not in html


def test_reattach_puts_an_orphan_on_new_words(client, story, editor):
    note = annotate(story, editor, "Councillor Tom Birch said buses run")
    revise(story, editor, TEXT.replace("Councillor Tom Birch said buses run", "Buses run"))
    note.refresh_from_db()
    assert note.orphaned
    client.force_login(editor)
    sel = selection(story, "Buses run")
    sel["revision"] = sel.pop("revision_id")
    url = reverse("reviews:annotation_reattach", args=[story.pk, note.pk])
    response = client.post(url, sel, **HX)
    assert response.status_code == 200
    note.refresh_from_db()
    assert not note.orphaned and note.exact == "Buses run" and note.anchor_confidence == 1.0
    assert highlights(response.content.decode())[note.pk] == "Buses run"


def test_reattach_refuses_a_tampered_or_missing_selection(client, story, editor):
    note = annotate(story, editor, "Councillor Tom Birch said buses run")
    revise(story, editor, TEXT.replace("Councillor Tom Birch said buses run", "Buses run"))
    client.force_login(editor)
    url = reverse("reviews:annotation_reattach", args=[story.pk, note.pk])
    sel = selection(story, "Buses run")
    sel["revision"] = sel.pop("revision_id")
    sel["exact"] = "Trams run"
    assert client.post(url, sel, **HX).status_code == 400
    response = client.post(url, {"revision": "", "start": "", "end": ""}, **HX)
    assert response.status_code == 400 and "Select the passage" in response.content.decode()
    note.refresh_from_db()
    assert note.orphaned


def test_only_editors_or_the_author_may_reattach(client, story, editor, other_writer):
    note = annotate(story, editor, "Councillor Tom Birch said buses run")
    revise(story, editor, TEXT.replace("Councillor Tom Birch said buses run", "Buses run"))
    client.force_login(other_writer)
    sel = selection(story, "Buses run")
    sel["revision"] = sel.pop("revision_id")
    url = reverse("reviews:annotation_reattach", args=[story.pk, note.pk])
    assert client.post(url, sel, **HX).status_code == 403
    note.refresh_from_db()
    assert note.orphaned


def test_low_confidence_moves_are_marked_and_can_be_confirmed(client, story, editor):
    note = annotate(story, editor, "Shop owners on Harbour Road criticised the decision")
    Annotation.objects.filter(pk=note.pk).update(anchor_confidence=0.8)
    client.force_login(editor)
    html = client.get(story.get_absolute_url()).content.decode()
    assert "hl-unconfirmed" in html and "Moved by an edit" in html
    url = reverse("reviews:annotation_confirm", args=[story.pk, note.pk])
    html = client.post(url, **HX).content.decode()
    note.refresh_from_db()
    assert note.anchor_confidence == 1.0 and "hl-unconfirmed" not in html


def test_a_moved_note_stays_to_be_confirmed_through_later_edits_elsewhere(story, editor):
    note = annotate(story, editor, "Shop owners on Harbour Road criticised the decision")
    Annotation.objects.filter(pk=note.pk).update(anchor_confidence=0.8)  # an earlier edit's doubt
    revise(story, editor, TEXT.replace("$4.2 million", "$2.4 million"))  # elsewhere in the story
    note.refresh_from_db()
    assert not note.orphaned and note.revision_id == story.current_revision_id
    assert note.exact == "Shop owners on Harbour Road criticised the decision"
    assert note.needs_confirmation


def test_compare_shows_word_changes_with_who_when_and_note(client, story, editor):
    revise(story, editor, TEXT.replace("$4.2 million", "$2.4 million"), note="Fixed the cost")
    client.force_login(editor)
    response = client.get(reverse("reviews:compare", args=[story.pk]), {"a": 1, "b": 2})
    html = response.content.decode()
    assert response.status_code == 200
    assert "<del>4.2</del><ins>2.4</ins>" in html
    assert "Fixed the cost" in html and "Revision 2" in html and "Editor" in html
    assert "1 word added" in html and "1 word removed" in html


def test_compare_defaults_to_the_latest_change_and_404s_unknown_revisions(client, story, editor):
    revise(story, editor, TEXT + "\n\nOne more paragraph.")
    client.force_login(editor)
    url = reverse("reviews:compare", args=[story.pk])
    html = client.get(url).content.decode()
    assert "<ins>" in html and "One more paragraph." in html
    assert client.get(url, {"a": 1, "b": 9}).status_code == 404
    assert client.get(url, {"a": "x"}).status_code == 404


def test_article_page_lists_revisions_with_links_to_changes(client, story, editor):
    revise(story, editor, TEXT + "\n\nMore.", note="Added a line")
    client.force_login(editor)
    html = client.get(story.get_absolute_url()).content.decode()
    assert "Revisions (2)" in html and "Added a line" in html
    assert reverse("reviews:compare", args=[story.pk]) + "?a=1&amp;b=2" in html


def _hidden_fields(html: str) -> dict:
    import html as htmllib
    import re

    fields = {}
    for tag in re.findall(r'<input type="hidden"[^>]*>', html):
        name = re.search(r'name="(\w+)"', tag).group(1)
        value = re.search(r'value="([^"]*)"', tag)
        fields[name] = htmllib.unescape(value.group(1)) if value else ""
    return fields


def _edit_form(client, article) -> dict:
    """The edit form's fields as a browser would submit them unchanged."""

    html = client.get(reverse("reviews:article_edit", args=[article.pk])).content.decode()
    fields = _hidden_fields(html)
    fields.update(title=article.title, byline=article.byline, desk=article.desk,
                  body=article.current_revision.text, note="")
    return fields


def test_two_tabs_changing_different_details_keep_both_changes(client, story, editor):
    client.force_login(editor)
    url = reverse("reviews:article_edit", args=[story.pk])
    tab_a, tab_b = _edit_form(client, story), _edit_form(client, story)
    tab_a.update(title="Strike kills commander", byline="Desk staff")
    assert client.post(url, tab_a).status_code == 302
    tab_b["body"] = tab_b["body"] + "\n\nA new closing line."
    assert client.post(url, tab_b).status_code == 302
    story.refresh_from_db()
    assert (story.title, story.byline) == ("Strike kills commander", "Desk staff")
    assert story.current_revision.text.endswith("A new closing line.")


def test_two_tabs_changing_the_same_detail_are_told_and_nothing_is_lost(client, story, editor):
    client.force_login(editor)
    url = reverse("reviews:article_edit", args=[story.pk])
    tab_a, tab_b = _edit_form(client, story), _edit_form(client, story)
    tab_a["title"] = "Title from tab A"
    assert client.post(url, tab_a).status_code == 302
    tab_b["title"] = "Title from tab B"
    refused = client.post(url, tab_b)
    assert refused.status_code == 409
    page = refused.content.decode()
    assert "changed the title (now “Title from tab A”)" in page
    assert 'value="Title from tab B"' in page  # what they typed is still in the form
    story.refresh_from_db()
    assert story.title == "Title from tab A"
    # Saving again from the refused form keeps B's title: they have seen A's.
    again = _hidden_fields(page)
    again.update(title="Title from tab B", byline=story.byline, desk=story.desk,
                 body=story.current_revision.text, note="")
    assert client.post(url, again).status_code == 302
    story.refresh_from_db()
    assert story.title == "Title from tab B"


def test_a_save_refused_because_the_story_moved_on_gives_the_text_back(client, story, writer, editor):
    client.force_login(writer)
    url = reverse("reviews:article_edit", args=[story.pk])
    typed = _edit_form(client, story)
    typed["body"] = story.current_revision.text + "\n\nA paragraph typed at length."
    services.transition(story, editor, "submit")  # meanwhile, in another office
    refused = client.post(url, typed)
    assert refused.status_code == 403
    page = refused.content.decode()
    assert "(it is in review)" in page and "A paragraph typed at length." in page
    assert "Save changes" not in page and "Back to the story" in page
    story.refresh_from_db()
    assert story.current_revision.number == 1
    assert client.get(url).status_code == 403  # opening the form afresh is still refused


def test_saving_the_text_keeps_a_reviewer_who_is_no_longer_an_editor(client, story, editor, writer):
    from django.contrib.auth.models import Group

    reviewer = type(editor).objects.create_user("former", password="pw-for-tests-1")
    reviewer.groups.add(Group.objects.get_or_create(name="Editor")[0])
    story.assignees.add(reviewer)
    reviewer.groups.clear()  # demoted after being assigned
    client.force_login(editor)
    form = _edit_form(client, story)
    page = client.get(reverse("reviews:article_edit", args=[story.pk])).content.decode()
    assert f'name="assignees" value="{reviewer.pk}"' in page
    form["assignees"] = [str(reviewer.pk)]  # the box is shown ticked, and left so
    form["body"] = story.current_revision.text + "\n\nOne more line."
    assert client.post(reverse("reviews:article_edit", args=[story.pk]), form).status_code == 302
    assert list(story.assignees.all()) == [reviewer]
