from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import Prefetch
from django.shortcuts import redirect, render
from django.utils import timezone

from .. import highlighting, permissions, services
from ..forms import (
    AnnotationForm,
    ArticleEditForm,
    ArticleForm,
    ReplyForm,
    SelectionForm,
    TransitionForm,
)
from ..models import Reply
from .access import article_for


def _display_paragraphs(text, annotations):
    """Paragraphs of segments, each highlighted segment naming its annotations (innermost first)."""
    by_id = {a.pk: a for a in annotations}
    spans = [highlighting.Span(a.start, a.end, a.pk) for a in annotations]
    paragraphs = []
    for para in highlighting.paragraphs(text, spans):
        segs = []
        for seg in para.segments:
            if seg.keys:
                first = by_id[seg.keys[0]]
                segs.append(
                    {
                        "text": seg.text,
                        "ids": " ".join(str(k) for k in seg.keys),
                        "category": first.category,
                        "depth": min(len(seg.keys), 3),
                        "unconfirmed": any(by_id[k].needs_confirmation for k in seg.keys),
                    }
                )
            else:
                segs.append({"text": seg.text})
        paragraphs.append({"start": para.start, "end": para.end, "segments": segs})
    return paragraphs


def workspace_context(request, article, *, annotation_form=None):
    """Everything the text and the annotation panel need, in a fixed number of queries."""
    user = request.user
    revision = article.current_revision
    annotations = list(
        article.annotations.select_related("author", "resolved_by", "revision")
        .defer("revision__text")
        .prefetch_related(Prefetch("replies", queryset=Reply.objects.select_related("author")))
    )
    for a in annotations:
        a.article = article
        a.may_resolve = permissions.can_resolve(user, a)
        a.may_reply = permissions.can_reply(user, a)
        a.may_reattach = permissions.can_reattach(user, a)
    anchored = [a for a in annotations if not a.orphaned and a.revision_id == revision.pk]
    open_annotations = [a for a in anchored if a.is_open]
    return {
        "article": article,
        "revision": revision,
        "paragraphs": _display_paragraphs(revision.text, open_annotations),
        "open_annotations": open_annotations,
        "resolved_annotations": [a for a in anchored if not a.is_open],
        "orphaned_annotations": [a for a in annotations if a.orphaned],
        "can_annotate": permissions.can_annotate(user, article),
        "annotation_form": annotation_form
        or AnnotationForm(user=user, initial={"revision": revision.pk}),
        "reply_form": ReplyForm(),
        "selection_fields": sorted(SelectionForm.SELECTION_FIELDS),
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
        assignees=list(article.assignees.all()),
    )
    return context


def article_detail(request, pk):
    article = article_for(request, pk)
    return render(request, "reviews/article.html", article_context(request, article))


def article_create(request):
    if not permissions.can_create_article(request.user):
        raise PermissionDenied("You may not create stories.")
    form = ArticleForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        article = services.create_article(
            request.user,
            title=data["title"],
            byline=data["byline"],
            desk=data["desk"],
            text=data["body"],
            assignees=data.get("assignees") or (),
        )
        return redirect(article)
    return render(request, "reviews/article_form.html", {"form": form, "creating": True})


def article_edit(request, pk):
    article = article_for(request, pk)
    if not permissions.can_edit_article(request.user, article):
        raise PermissionDenied("You may not edit this story in its current state.")
    current = article.current_revision
    conflict = None
    if request.method == "POST":
        form = ArticleEditForm(request.POST, user=request.user)
        if form.is_valid():
            data = form.cleaned_data
            try:
                with transaction.atomic():
                    services.revise(
                        article, request.user, data["body"], data["base_revision"], data["note"]
                    )
                    article.refresh_from_db()
                    article.title = data["title"]
                    article.byline = data["byline"]
                    article.desk = data["desk"]
                    article.updated_at = timezone.now()
                    article.save(update_fields=["title", "byline", "desk", "updated_at"])
                    if "assignees" in data:
                        article.assignees.set(data["assignees"])
                return redirect(article)
            except services.StaleRevision as exc:
                # Keep what they typed; point the next save at the latest revision, which is
                # shown beside it for merging by hand.
                conflict = {"message": str(exc), "latest": current}
                post = request.POST.copy()
                post["base_revision"] = str(current.pk)
                form = ArticleEditForm(post, user=request.user)
                form.is_valid()
    else:
        form = ArticleEditForm(
            user=request.user,
            initial={
                "title": article.title,
                "byline": article.byline,
                "desk": article.desk,
                "body": current.text,
                "base_revision": current.pk,
                "assignees": list(article.assignees.all()),
            },
        )
    return render(
        request,
        "reviews/article_form.html",
        {"form": form, "article": article, "creating": False, "conflict": conflict},
        status=409 if conflict else 200,
    )
