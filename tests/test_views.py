import re

import pytest
from django.urls import reverse

from reviews import services
from reviews.models import Annotation, Article, Reply, ReviewEvent

from .conftest import highlights, selection

HX = {"HTTP_HX_REQUEST": "true"}


def post_selection(article, phrase, **extra):
    sel = selection(article, phrase)
    sel["revision"] = sel.pop("revision_id")
    return {**sel, "category": "comment", "body": "Check this.", **extra}


@pytest.fixture
def as_editor(client, editor):
    client.force_login(editor)
    return client


@pytest.fixture
def as_writer(client, writer):
    client.force_login(writer)
    return client


@pytest.fixture
def annotation(article, editor):
    return services.add_annotation(
        article,
        editor,
        category="fact_check",
        body="Which figure?",
        **selection(article, "$4.2 million"),
    )


# --- access -------------------------------------------------------------------------------


def test_anonymous_users_are_sent_to_login(client, article):
    for url in [reverse("reviews:queue"), article.get_absolute_url()]:
        response = client.get(url)
        assert response.status_code == 302 and response.url.startswith("/accounts/login/")


def test_login_page_needs_no_login_and_logs_in(client, editor):
    assert client.get(reverse("login")).status_code == 200
    response = client.post(reverse("login"), {"username": "editor", "password": "pw-for-tests-1"})
    assert response.status_code == 302 and response.url == reverse("reviews:queue")


def test_user_without_a_role_is_refused(client, no_role, article):
    client.force_login(no_role)
    assert client.get(reverse("reviews:queue")).status_code == 403
    assert client.get(article.get_absolute_url()).status_code == 403
    response = client.post(
        reverse("reviews:annotation_create", args=[article.pk]), post_selection(article, "slammed")
    )
    assert response.status_code == 403
    assert not Annotation.objects.exists()


def test_unknown_ids_are_404(as_editor, article):
    assert as_editor.get(reverse("reviews:article", args=[9999])).status_code == 404
    url = reverse("reviews:reply_create", args=[article.pk, 9999])
    assert as_editor.post(url, {"body": "hi"}).status_code == 404


def test_annotation_from_another_article_is_404(as_editor, annotation, make_article):
    other = make_article(title="Other story")
    url = reverse("reviews:annotation_resolve", args=[other.pk, annotation.pk])
    assert as_editor.post(url).status_code == 404
    annotation.refresh_from_db()
    assert annotation.state == "open"


def test_write_endpoints_refuse_get(as_editor, article, annotation):
    for url in [
        reverse("reviews:annotation_create", args=[article.pk]),
        reverse("reviews:article_transition", args=[article.pk]),
        reverse("reviews:annotation_resolve", args=[article.pk, annotation.pk]),
    ]:
        assert as_editor.get(url).status_code == 405


def test_pages_carry_a_strict_content_security_policy(as_editor, article):
    response = as_editor.get(article.get_absolute_url())
    csp = response["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp and "unsafe-eval" not in csp
    html = response.content.decode()
    inline_scripts = re.findall(r"<script(?![^>]*\bsrc=)[^>]*>", html)
    assert inline_scripts == []
    assert not re.search(r"\son[a-z]+=", html)  # no inline event handlers
    assert " style=" not in html


# --- queue --------------------------------------------------------------------------------


def test_queue_lists_stories_with_status_reviewers_and_open_counts(
    as_editor, article, editor, annotation
):
    article.assignees.add(editor)
    html = as_editor.get(reverse("reviews:queue")).content.decode()
    assert "Bus lane approved" in html and "Draft" in html and "Editor" in html
    assert re.search(r'data-label="Open notes" class="num">1<', html)


def test_queue_filters_by_status_assignee_and_title(as_editor, make_article, editor):
    a = make_article(title="Flood warning issued")
    b = make_article(title="School budget approved")
    services.transition(b, editor, "submit")
    a.assignees.add(editor)
    url = reverse("reviews:queue")

    def titles(**params):
        html = as_editor.get(url, params).content.decode()
        return sorted(t for t in ["Flood warning issued", "School budget approved"] if t in html)

    assert titles(status="in_review") == ["School budget approved"]
    assert titles(assignee="me") == ["Flood warning issued"]
    assert titles(assignee="none") == ["School budget approved"]
    assert titles(q="flood") == ["Flood warning issued"]
    assert titles(status="published") == []


def test_queue_hides_archived_unless_asked(as_editor, make_article, editor):
    gone = make_article(title="Old news")
    services.transition(gone, editor, "archive")
    url = reverse("reviews:queue")
    assert "Old news" not in as_editor.get(url).content.decode()
    assert "Old news" in as_editor.get(url, {"status": "archived"}).content.decode()


def test_queue_paginates(as_editor, make_article, settings):
    settings.REVIEWS_QUEUE_PAGE_SIZE = 2
    for i in range(5):
        make_article(title=f"Story {i}")
    html = as_editor.get(reverse("reviews:queue"), {"page": 3}).content.decode()
    assert "Page 3 of 3" in html and html.count('class="story-link"') == 1


def test_queue_htmx_request_gets_only_the_results_fragment(as_editor, article):
    html = as_editor.get(reverse("reviews:queue"), {"q": "bus"}, **HX).content.decode()
    assert html.lstrip().startswith('<section id="results"') and "<html" not in html


# --- article page -------------------------------------------------------------------------


def test_article_page_shows_text_highlights_and_notes(as_editor, article, annotation):
    html = as_editor.get(article.get_absolute_url()).content.decode()
    assert highlights(html)[annotation.pk] == "$4.2 million"
    assert 'class="hl hl-fact_check hl-depth-1' in html
    assert f'id="ann-{annotation.pk}"' in html and "Which figure?" in html
    assert 'data-source="The council voted 7-4' in html


def test_overlapping_annotations_render_as_flat_marks(as_editor, article, editor, annotation):
    outer = services.add_annotation(
        article,
        editor,
        category="comment",
        body="Whole clause",
        **selection(article, "The plan will cost $4.2 million"),
    )
    html = as_editor.get(article.get_absolute_url()).content.decode()
    assert highlights(html) == {
        annotation.pk: "$4.2 million",
        outer.pk: "The plan will cost $4.2 million",
    }
    assert f'data-ann="{annotation.pk} {outer.pk}"' in html and "hl-depth-2" in html


def test_article_page_offers_only_allowed_transitions(client, writer, editor, article):
    client.force_login(writer)
    html = client.get(article.get_absolute_url()).content.decode()
    assert (
        'value="submit"' in html and 'value="approve"' not in html and 'value="archive"' not in html
    )
    client.force_login(editor)
    html = client.get(article.get_absolute_url()).content.decode()
    assert 'value="archive"' in html


# --- create and edit ----------------------------------------------------------------------


def test_writer_creates_a_story(as_writer, writer):
    url = reverse("reviews:article_create")
    assert as_writer.get(url).status_code == 200
    response = as_writer.post(
        url, {"title": "New story", "byline": "W", "desk": "City", "body": "Para one.\n\nPara two."}
    )
    article = Article.objects.get(title="New story")
    assert response.status_code == 302 and response.url == article.get_absolute_url()
    assert (
        article.created_by == writer and article.current_revision.text == "Para one.\n\nPara two."
    )


def test_create_form_shows_errors_for_missing_text(as_writer):
    response = as_writer.post(reverse("reviews:article_create"), {"title": "T", "body": "   "})
    assert response.status_code == 200 and "The story needs some text." in response.content.decode()
    assert not Article.objects.exists()


def test_editor_assigns_reviewers_on_create(as_editor, editor):
    as_editor.post(
        reverse("reviews:article_create"),
        {"title": "Assigned", "body": "Text.", "assignees": [editor.pk]},
    )
    assert list(Article.objects.get(title="Assigned").assignees.all()) == [editor]


def test_edit_creates_a_new_revision(as_writer, article):
    url = reverse("reviews:article_edit", args=[article.pk])
    assert as_writer.get(url).status_code == 200
    response = as_writer.post(
        url,
        {
            "title": "Bus lane approved (update)",
            "body": article.current_revision.text + "\n\nNew para.",
            "note": "added reaction",
            "base_revision": article.current_revision.pk,
        },
    )
    assert response.status_code == 302
    article.refresh_from_db()
    assert article.current_revision.number == 2 and article.title == "Bus lane approved (update)"
    assert article.current_revision.note == "added reaction"


def test_stale_edit_is_refused_keeping_both_texts(as_writer, article, editor):
    base = article.current_revision.pk
    services.revise(article, editor, "Editor's version of the story.", base)
    response = as_writer.post(
        reverse("reviews:article_edit", args=[article.pk]),
        {
            "title": "T",
            "body": "My own careful rewrite.",
            "base_revision": base,
        },
    )
    html = response.content.decode()
    assert response.status_code == 409
    assert "My own careful rewrite." in html and "Editor&#x27;s version of the story." in html
    article.refresh_from_db()
    assert article.current_revision.text == "Editor's version of the story."


def test_writer_may_not_edit_someone_elses_story_or_a_story_in_review(
    client, other_writer, writer, article, editor
):
    client.force_login(other_writer)
    assert client.get(reverse("reviews:article_edit", args=[article.pk])).status_code == 403
    services.transition(article, writer, "submit")
    client.force_login(writer)
    response = client.post(
        reverse("reviews:article_edit", args=[article.pk]),
        {
            "title": "T",
            "body": "sneaky",
            "base_revision": article.current_revision.pk,
        },
    )
    assert response.status_code == 403
    article.refresh_from_db()
    assert article.current_revision.number == 1


# --- annotations --------------------------------------------------------------------------


def test_htmx_annotation_is_saved_and_the_workspace_returned(as_editor, article):
    url = reverse("reviews:annotation_create", args=[article.pk])
    response = as_editor.post(
        url, post_selection(article, "slammed", category="loaded_language"), **HX
    )
    annotation = Annotation.objects.get()
    html = response.content.decode()
    assert response.status_code == 200 and html.lstrip().startswith('<div id="workspace"')
    assert highlights(html) == {annotation.pk: "slammed"}
    assert response["X-Annotation-Focus"] == str(annotation.pk)
    assert annotation.category == "loaded_language"


def test_plain_form_post_redirects_back_to_the_note(as_editor, article):
    url = reverse("reviews:annotation_create", args=[article.pk])
    response = as_editor.post(url, post_selection(article, "slammed"))
    annotation = Annotation.objects.get()
    assert response.status_code == 302
    assert response.url == f"{article.get_absolute_url()}#ann-{annotation.pk}"


def test_tampered_selection_is_a_400_and_saves_nothing(as_editor, article):
    data = post_selection(article, "slammed")
    data["exact"] = "praised"
    response = as_editor.post(reverse("reviews:annotation_create", args=[article.pk]), data, **HX)
    assert response.status_code == 400
    assert "does not match the story text" in response.content.decode()
    assert not Annotation.objects.exists()


def test_offsets_outside_the_text_are_a_400(as_editor, article):
    data = post_selection(article, "slammed")
    data["start"], data["end"] = 10_000, 10_007
    response = as_editor.post(reverse("reviews:annotation_create", args=[article.pk]), data)
    assert response.status_code == 400 and not Annotation.objects.exists()


def test_stale_page_selection_of_edited_words_is_refused(as_editor, article, editor):
    # (A selection whose words survive the edit is carried over instead: tests/test_races.py.)
    data = post_selection(article, "slammed")
    services.revise(
        article,
        editor,
        article.current_revision.text.replace("slammed", "criticised"),
        data["revision"],
    )
    response = as_editor.post(reverse("reviews:annotation_create", args=[article.pk]), data, **HX)
    assert (
        response.status_code == 409 and "changed since you opened it" in response.content.decode()
    )
    assert not Annotation.objects.exists()


@pytest.mark.parametrize(
    "body,message", [("", "Write a comment first."), ("x" * 5001, "limited to 5000")]
)
def test_bad_comment_is_a_form_error(as_editor, article, body, message):
    data = post_selection(article, "slammed", body=body)
    response = as_editor.post(reverse("reviews:annotation_create", args=[article.pk]), data, **HX)
    assert response.status_code == 422 and message in response.content.decode()
    assert response["HX-Retarget"] == "#annotate-fields"
    assert not Annotation.objects.exists()


def test_writer_posting_an_editor_category_is_403(as_writer, article):
    data = post_selection(article, "slammed", category="fact_check")
    response = as_writer.post(reverse("reviews:annotation_create", args=[article.pk]), data, **HX)
    assert response.status_code == 403 and not Annotation.objects.exists()


def test_no_annotations_on_archived_stories(as_editor, article, editor):
    services.transition(article, editor, "archive")
    response = as_editor.post(
        reverse("reviews:annotation_create", args=[article.pk]), post_selection(article, "slammed")
    )
    assert response.status_code == 403 and not Annotation.objects.exists()


def test_reply_resolve_and_reopen(as_writer, article, annotation, writer):
    reply_url = reverse("reviews:reply_create", args=[article.pk, annotation.pk])
    response = as_writer.post(reply_url, {"body": "Fixed the figure."}, **HX)
    assert response.status_code == 200 and "Fixed the figure." in response.content.decode()
    assert Reply.objects.get().author == writer

    assert as_writer.post(reply_url, {"body": "  "}, **HX).status_code == 422
    assert Reply.objects.count() == 1

    resolve = reverse("reviews:annotation_resolve", args=[article.pk, annotation.pk])
    html = as_writer.post(resolve, **HX).content.decode()
    annotation.refresh_from_db()
    assert annotation.state == "resolved" and "Resolved (1)" in html
    assert f'data-ann="{annotation.pk}"' not in html.split("<aside")[0]  # no longer highlighted

    reopen = reverse("reviews:annotation_reopen", args=[article.pk, annotation.pk])
    as_writer.post(reopen, **HX)
    annotation.refresh_from_db()
    assert annotation.state == "open"


def test_other_writer_may_reply_but_not_resolve(client, other_writer, article, annotation):
    client.force_login(other_writer)
    resolve = reverse("reviews:annotation_resolve", args=[article.pk, annotation.pk])
    response = client.post(resolve, **HX)
    assert response.status_code == 403
    annotation.refresh_from_db()
    assert annotation.state == "open"


def test_script_in_a_comment_is_shown_as_text(as_editor, article):
    payload = '<script>alert("x")</script><img src=x onerror=alert(1)>'
    as_editor.post(
        reverse("reviews:annotation_create", args=[article.pk]),
        post_selection(article, "slammed", body=payload),
    )
    html = as_editor.get(article.get_absolute_url()).content.decode()
    assert "<script>alert" not in html and "<img src=x" not in html
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in html


# --- review steps -------------------------------------------------------------------------


def test_transition_by_htmx_rerenders_the_page_body(as_writer, article):
    url = reverse("reviews:article_transition", args=[article.pk])
    response = as_writer.post(
        url, {"transition": "submit", "comment": "Ready", "revision": article.current_revision_id}, **HX
    )
    html = response.content.decode()
    assert response.status_code == 200 and html.lstrip().startswith('<div id="article-main"')
    assert "In review" in html and "Ready" in html
    article.refresh_from_db()
    assert article.status == "in_review"


def test_refused_transition_is_403_and_changes_nothing(as_writer, article):
    url = reverse("reviews:article_transition", args=[article.pk])
    response = as_writer.post(url, {"transition": "approve", "revision": article.current_revision_id}, **HX)
    assert response.status_code == 403
    article.refresh_from_db()
    assert article.status == "draft" and ReviewEvent.objects.filter(article=article).count() == 1


def test_a_step_on_text_that_changed_since_the_page_was_read_is_refused(
    as_editor, article, writer
):
    services.transition(article, writer, "submit")
    seen = article.current_revision_id  # what the editor's page shows
    html = as_editor.get(article.get_absolute_url()).content.decode()
    assert f'name="revision" value="{seen}"' in html
    article.refresh_from_db()
    services.revise(article, writer, article.current_revision.text + "\n\nA late paragraph.", seen)
    url = reverse("reviews:article_transition", args=[article.pk])
    response = as_editor.post(url, {"transition": "approve", "revision": seen}, **HX)
    assert response.status_code == 409 and "changed since you opened it" in response.content.decode()
    article.refresh_from_db()
    assert article.status == "in_review"
    fresh = as_editor.post(url, {"transition": "approve", "revision": article.current_revision_id}, **HX)
    assert fresh.status_code == 200
    article.refresh_from_db()
    assert article.status == "approved"


def test_unknown_transition_is_400(as_editor, article):
    url = reverse("reviews:article_transition", args=[article.pk])
    assert as_editor.post(url, {"transition": "explode"}).status_code == 400


def test_transition_without_javascript_redirects_with_a_message(as_editor, article):
    url = reverse("reviews:article_transition", args=[article.pk])
    response = as_editor.post(
        url, {"transition": "submit", "revision": article.current_revision_id}, follow=True
    )
    assert response.redirect_chain[-1][0] == article.get_absolute_url()
    assert "Story is now in review." in response.content.decode()


def test_pasted_text_and_a_file_together_are_refused_and_nothing_is_created(client, writer):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from reviews.models import Article

    client.force_login(writer)
    response = client.post(reverse("reviews:article_create"), {
        "title": "Both", "body": "Pasted body.",
        "upload": SimpleUploadedFile("story.txt", b"File body."),
    })
    assert "You pasted text and chose a file: keep one." in response.content.decode()
    assert not Article.objects.exists()
