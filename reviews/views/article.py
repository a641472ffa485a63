from django.contrib import messages
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_safe

from .. import importers, language, markup, permissions, services, workflow
from ..forms import (
    AnnotationForm,
    ArticleEditForm,
    ReplyForm,
    SelectionForm,
    TransitionForm,
    UploadArticleForm,
)
from ..models import Annotation, Flag, Reply
from .access import article_for
from .queue import EXPORT_FORMATS

User = get_user_model()


def _notes_and_flags(article, revision):
    """Every note (with its replies), the flags on the current revision, and everyone they
    name by id, in four queries whatever their number.

    Plain records (markup.Note, markup.FlagRecord) read with values_list(), and people by
    id rather than joined onto every row: a busy story has hundreds of rows, and model
    instances cost several objects each to build and then to garbage-collect.
    """
    replies = {}
    for annotation_id, *reply in (
        Reply.objects.filter(annotation__article=article)
        .values_list("annotation_id", "author_id", "body", "created_at")
    ):
        replies.setdefault(annotation_id, []).append(tuple(reply))
    ids = {None}
    annotations = []
    for row in (
        Annotation.objects.filter(article=article)
        .values_list(*markup.Note.FIELDS)
    ):
        note = markup.Note(*row)
        note.replies = replies.get(note.pk, ())
        ids.add(note.author_id)
        ids.add(note.resolved_by_id)
        annotations.append(note)
    ids.update(r[0] for thread in replies.values() for r in thread)
    flags = [
        markup.FlagRecord(*row)
        for row in Flag.objects.filter(article=article, revision=revision, orphaned=False)
        .values_list(*markup.FlagRecord.FIELDS)
    ]
    ids.update(f.decided_by_id for f in flags)
    ids.discard(None)
    people = User.objects.only("username", "first_name", "last_name").in_bulk(ids)
    return annotations, flags, people


def workspace_context(request, article, *, annotation_form=None):
    """Everything the text and the side panel need, in a fixed number of queries."""
    user = request.user
    revision = article.current_revision
    annotations, flags, people = _notes_and_flags(article, revision)
    # What this user may do to a note depends only on the user, the story and the note's
    # author, so ask permissions.py once per author rather than three times per note.
    may = {}
    for a in annotations:
        if a.author_id not in may:
            note = Annotation(pk=a.pk, article=article, author_id=a.author_id)
            may[a.author_id] = (
                permissions.can_resolve(user, note),
                permissions.can_reply(user, note),
                permissions.can_reattach(user, note),
            )
        a.may_resolve, a.may_reply, a.may_reattach = may[a.author_id]
    anchored = [a for a in annotations if not a.orphaned and a.revision_id == revision.pk]
    open_annotations = [a for a in anchored if a.is_open]

    may_act = permissions.can_edit_article(user, article)
    may_dismiss = permissions.is_editor(user) and article.status != workflow.ARCHIVED
    for f in flags:
        f.may_act, f.may_dismiss = may_act, may_dismiss
    open_flags = [f for f in flags if f.is_open]
    voice_flags = [f for f in open_flags if not f.attributed]
    quoted_flags = [f for f in open_flags if f.attributed]
    dismissed_flags = [f for f in flags if f.state == Flag.DISMISSED]
    resolved_annotations = [a for a in anchored if not a.is_open]
    orphaned_annotations = [a for a in annotations if a.orphaned]
    can_annotate = permissions.can_annotate(user, article)
    reply_form = ReplyForm()
    selection_fields = sorted(SelectionForm.SELECTION_FIELDS)
    # The text and the cards are built in Python (reviews/markup.py), not by template
    # partials: hundreds of cards through the template engine cost hundreds of milliseconds.
    cards = markup.CardRenderer(
        request, article, people, can_annotate=can_annotate, selection_fields=selection_fields,
        reply_max_length=reply_form.fields["body"].max_length,
    )
    cards.blocking = markup.blocking_notes(annotations, flags)
    carded_flags = open_flags + dismissed_flags
    return {
        "article": article,
        "revision": revision,
        "all_notes": annotations,
        "current_flags": flags,
        "story_body": markup.story_body(revision.text, open_annotations, open_flags),
        "open_annotations": open_annotations,
        # One column of cards in reading order: open notes and open flags interleaved.
        "stream_cards": cards.stream(open_annotations, open_flags),
        "stream_count": len(open_annotations) + len(open_flags),
        "panel_counts": markup.panel_counts(
            user.pk, open_annotations + resolved_annotations + orphaned_annotations, carded_flags
        ),
        "resolved_annotations": resolved_annotations,
        "resolved_annotation_cards": cards.annotation_cards(resolved_annotations),
        "orphaned_annotations": orphaned_annotations,
        "orphaned_annotation_cards": cards.annotation_cards(orphaned_annotations),
        "flag_count": len(voice_flags),
        "high_flag_count": sum(1 for f in voice_flags if f.severity == "high"),
        "quoted_flags": quoted_flags,
        "dismissed_flags": dismissed_flags,
        "dismissed_flag_cards": cards.flag_cards(dismissed_flags),
        "can_annotate": can_annotate,
        "can_flag": may_dismiss,
        "flag_categories": list(language.CATEGORIES.items()),
        "annotation_form": annotation_form
        or AnnotationForm(user=user, initial={"revision": revision.pk}),
        "reply_form": reply_form,
        "selection_fields": selection_fields,
    }


def article_context(request, article, **kwargs):
    user = request.user
    context = workspace_context(request, article, **kwargs)
    context.update(
        events=list(article.events.select_related("actor")),
        revisions=list(article.revisions.select_related("author").defer("text")),
        transitions=permissions.allowed_transitions(user, article),
        transition_form=TransitionForm(),
        can_edit=permissions.can_edit_article(user, article),
        export_formats=EXPORT_FORMATS,
        assignees=list(article.assignees.all()),
    )
    if any(t.name == "publish" for t in context["transitions"]):
        # What Publish asks to confirm, counted from what the panel already loaded.
        counts = services.open_at_publish(context["all_notes"], context["current_flags"])
        context["publish_open"] = counts
        context["publish_open_text"] = services.describe_open(counts)
    return context


@require_safe
def article_detail(request, pk):
    article = article_for(request, pk)
    return render(request, "reviews/article.html", article_context(request, article))


@require_http_methods(["GET", "HEAD", "POST"])
def article_create(request):
    if not permissions.can_create_article(request.user):
        raise PermissionDenied("You may not create stories.")
    form = UploadArticleForm(request.POST or None, request.FILES or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        upload = data.get("upload")
        fields = {"title": data["title"], "text": data["body"], "byline": data["byline"],
                  "dateline": data["dateline"]}
        try:
            if upload:
                story = services.read_story_file(upload.name, upload.read(), title=data["title"])
                fields = {"title": story.title, "text": story.body,
                          "byline": data["byline"] or story.byline,
                          "dateline": data["dateline"] or story.dateline,
                          "note": f"Imported from {upload.name}"[:300]}
                if fields["byline"] != data["byline"] or fields["dateline"] != data["dateline"]:
                    # Lines read as a byline or a dateline: shown in their fields to confirm,
                    # the text below them; the next press of Create story makes the story.
                    return render(request, "reviews/article_form.html", {
                        "form": _filled_form(request, fields), "creating": True,
                        "read_from": upload.name})
            article = services.create_article(
                request.user, desk=data["desk"], assignees=data.get("assignees") or (), **fields
            )
        except (importers.ImportRefused, services.ReviewError) as exc:
            form.add_error("upload" if upload else None, str(exc))
        else:
            return redirect(article)
    return render(request, "reviews/article_form.html", {"form": form, "creating": True})


def _filled_form(request, fields) -> UploadArticleForm:
    filled = request.POST.copy()
    filled.update({"title": fields["title"], "body": fields["text"], "byline": fields["byline"],
                   "dateline": fields["dateline"]})
    form = UploadArticleForm(filled, user=request.user)
    form.is_valid()
    return form


def _warn_about_high_flags_after_approval(request, article):
    """An approved or published story passed the high-flag check; an edit can bring a high
    flag back in. Publishing is refused again until it is dealt with; a published story is
    live already, so say so plainly."""
    if article.status not in (workflow.APPROVED, workflow.PUBLISHED):
        return
    names = services.open_high_flag_names(article, limit=5)
    if not names:
        return
    where = "This published story" if article.status == workflow.PUBLISHED else "This approved story"
    messages.warning(
        request,
        f"Saved. {where} now has high-severity language open: {names}. Deal with each in "
        "the flags panel" + (" before it is published." if article.status == workflow.APPROVED
                             else ": the published version carries it."),
    )


class _DetailsChanged(Exception):
    def __init__(self, names):
        super().__init__(", ".join(names))
        self.names = names


def _details_message(names, article) -> str:
    labels = {"title": "the title", "byline": "the byline", "dateline": "the dateline",
              "desk": "the desk", "assignees": "the reviewers"}
    shown = {"title": article.title, "byline": article.byline, "dateline": article.dateline,
             "desk": article.desk}
    parts = [labels[n] + (f" (now “{shown[n]}”)" if n in shown else "") for n in names]
    changed = parts[0] if len(parts) == 1 else ", ".join(parts[:-1]) + " and " + parts[-1]
    return (
        f"Someone else changed {changed} since you opened this form, and you changed it too. "
        "Your version is below: save again to keep it."
    )


@require_http_methods(["GET", "HEAD", "POST"])
def article_edit(request, pk):
    article = article_for(request, pk)
    may_not_edit = not permissions.can_edit_article(request.user, article)
    if may_not_edit and request.method != "POST":
        raise PermissionDenied("You may not edit this story in its current state.")
    current = article.current_revision
    conflict = None
    if may_not_edit:
        # The story moved on (submitted, approved, archived…) while they typed: refuse the
        # save but give their text back rather than a bare error page.
        form = ArticleEditForm(request.POST, user=request.user, article=article)
        form.is_valid()
        conflict = {"message": f"You may not edit this story now (it is "
                               f"{article.status_label.lower()}). Your text is below: copy it "
                               "before you leave this page."}
    elif request.method == "POST":
        form = ArticleEditForm(request.POST, user=request.user, article=article)
        if form.is_valid():
            data = form.cleaned_data

            def save_details(locked):
                # Under the story's lock, so the details are merged against what is really
                # there; a clash refuses the whole save (the revision too).
                details, clashes = form.merge_details(locked)
                if clashes:
                    raise _DetailsChanged(clashes)
                for name in ("title", "byline", "dateline", "desk"):
                    setattr(locked, name, details[name])
                locked.updated_at = timezone.now()
                locked.save(update_fields=["title", "byline", "dateline", "desk", "updated_at"])
                if "assignees" in details:
                    locked.assignees.set(details["assignees"])

            try:
                # The text is diffed and scanned before the lock; only the writes hold it.
                was = article.status
                services.revise(article, request.user, data["body"], data["base_revision"],
                                data["note"], on_locked=save_details)
                article.refresh_from_db()
                if was == workflow.APPROVED and article.status == workflow.IN_REVIEW:
                    messages.info(request, "Saved. The story had been approved as it was; "
                                           "with this edit it is back in review.")
                _warn_about_high_flags_after_approval(request, article)
                return redirect(article)
            except services.StaleRevision as exc:
                # Keep what they typed; point the next save at the latest revision, which is
                # shown beside it for merging by hand.
                conflict = {"message": str(exc), "latest": current, "text": True}
            except _DetailsChanged as exc:
                article.refresh_from_db()
                conflict = {"message": _details_message(exc.names, article), "latest": current}
            if conflict:
                post = request.POST.copy()
                post["base_revision"] = str(current.pk)
                for name, value in ArticleEditForm.base_initial(article).items():
                    post[name] = value  # the details as they are now: the next save is theirs
                form = ArticleEditForm(post, user=request.user, article=article)
                form.is_valid()
    else:
        assignees = list(article.assignees.all())
        form = ArticleEditForm(
            user=request.user,
            article=article,
            initial={
                "title": article.title,
                "byline": article.byline,
                "dateline": article.dateline,
                "desk": article.desk,
                "body": current.text,
                "base_revision": current.pk,
                "assignees": assignees,
                **ArticleEditForm.base_initial(article, assignees),
            },
        )
    return render(
        request,
        "reviews/article_form.html",
        {"form": form, "article": article, "creating": False, "conflict": conflict,
         "locked": may_not_edit},
        status=403 if may_not_edit else 409 if conflict else 200,
    )
