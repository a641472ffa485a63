from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import Prefetch
from django.shortcuts import redirect, render
from django.utils import timezone

from .. import highlighting, importers, language, permissions, services, workflow
from ..forms import (
    AnnotationForm,
    ArticleEditForm,
    ReplyForm,
    SelectionForm,
    TransitionForm,
    UploadArticleForm,
)
from ..models import Flag, Reply
from .access import article_for
from .queue import EXPORT_FORMATS


def _display_paragraphs(text, annotations, flags):
    """Paragraphs of segments; each highlighted segment names its notes and flags.

    Notes come innermost first (a click on an overlap means the smallest passage).
    """
    notes = {("a", a.pk): a for a in annotations}
    marks = {("f", f.pk): f for f in flags}
    spans = [highlighting.Span(a.start, a.end, key) for key, a in notes.items()]
    spans += [highlighting.Span(f.start, f.end, key) for key, f in marks.items()]
    paragraphs = []
    for para in highlighting.paragraphs(text, spans):
        segs = []
        for seg in para.segments:
            if not seg.keys:
                segs.append({"text": seg.text})
                continue
            ann = [notes[k] for k in seg.keys if k[0] == "a"]
            flg = [marks[k] for k in seg.keys if k[0] == "f"]
            worst = max(flg, key=lambda f: language.severity_rank(f.severity)) if flg else None
            segs.append(
                {
                    "text": seg.text,
                    "ids": " ".join(str(a.pk) for a in ann),
                    "flag_ids": " ".join(str(f.pk) for f in flg),
                    "category": ann[0].category if ann else "",
                    "depth": min(len(ann), 3),
                    "unconfirmed": any(a.needs_confirmation for a in ann),
                    "flag_class": (
                        "flag-attributed" if worst and worst.attributed
                        else f"flag-{worst.severity}" if worst else ""
                    ),
                }
            )
        paragraphs.append({"start": para.start, "end": para.end, "segments": segs})
    return paragraphs


def _flag_groups(flags):
    """Open flags in the paper's voice, grouped by category in lexicon order."""
    groups = []
    for key, label in language.CATEGORIES.items():
        members = [f for f in flags if f.category == key]
        if members:
            groups.append({"key": key, "label": label, "flags": members})
    return groups


def workspace_context(request, article, *, annotation_form=None):
    """Everything the text and the side panel need, in a fixed number of queries."""
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

    flags = list(
        article.flags.filter(revision=revision, orphaned=False).select_related("decided_by")
    )
    may_act = permissions.can_edit_article(user, article)
    may_dismiss = permissions.is_editor(user) and article.status != workflow.ARCHIVED
    for f in flags:
        f.article = article
        f.may_act, f.may_dismiss = may_act, may_dismiss
    open_flags = [f for f in flags if f.is_open]
    voice_flags = [f for f in open_flags if not f.attributed]
    return {
        "article": article,
        "revision": revision,
        "paragraphs": _display_paragraphs(revision.text, open_annotations, open_flags),
        "open_annotations": open_annotations,
        "resolved_annotations": [a for a in anchored if not a.is_open],
        "orphaned_annotations": [a for a in annotations if a.orphaned],
        "flag_groups": _flag_groups(voice_flags),
        "flag_count": len(voice_flags),
        "high_flag_count": sum(1 for f in voice_flags if f.severity == "high"),
        "quoted_flags": [f for f in open_flags if f.attributed],
        "dismissed_flags": [f for f in flags if f.state == Flag.DISMISSED],
        "can_annotate": permissions.can_annotate(user, article),
        "can_flag": may_dismiss,
        "flag_categories": list(language.CATEGORIES.items()),
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
        export_formats=EXPORT_FORMATS,
        assignees=list(article.assignees.all()),
    )
    return context


def article_detail(request, pk):
    article = article_for(request, pk)
    return render(request, "reviews/article.html", article_context(request, article))


def article_create(request):
    if not permissions.can_create_article(request.user):
        raise PermissionDenied("You may not create stories.")
    form = UploadArticleForm(request.POST or None, request.FILES or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            if data.get("upload"):
                upload = data["upload"]
                article = services.article_from_file(
                    request.user, upload.name, upload.read(), title=data["title"],
                    byline=data["byline"], desk=data["desk"], assignees=data.get("assignees") or (),
                )
            else:
                article = services.create_article(
                    request.user, title=data["title"], byline=data["byline"], desk=data["desk"],
                    text=data["body"], assignees=data.get("assignees") or (),
                )
        except (importers.ImportRefused, services.ReviewError) as exc:
            form.add_error("upload" if data.get("upload") else None, str(exc))
        else:
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
