"""Write paths that touch several models. Views call these; tests call them without HTTP."""

from __future__ import annotations

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from . import anchoring, permissions, workflow
from .models import Annotation, Article, Reply, ReviewEvent, Revision


class ReviewError(Exception):
    """A refused write; the message is shown to the user as is."""

    status_code = 400


class SelectionMismatch(ReviewError):
    pass


class StaleRevision(ReviewError):
    status_code = 409


class Forbidden(ReviewError):
    status_code = 403


def normalize_text(text: str) -> str:
    """Line endings to \\n, no trailing spaces at line ends, no blank lines at either end."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    lines = [line.rstrip() for line in text.split("\n")]
    return "\n".join(lines).strip("\n")


@transaction.atomic
def create_article(
    user, *, title: str, text: str, byline: str = "", desk: str = "", assignees=(), note: str = ""
) -> Article:
    now = timezone.now()
    article = Article.objects.create(
        title=title.strip(),
        byline=byline.strip(),
        desk=desk.strip(),
        created_by=user,
        created_at=now,
        updated_at=now,
    )
    revision = Revision.objects.create(
        article=article,
        number=1,
        text=normalize_text(text),
        author=user,
        created_at=now,
        note=note or "First draft",
    )
    article.current_revision = revision
    article.save(update_fields=["current_revision"])
    if assignees:
        article.assignees.set(assignees)
    ReviewEvent.objects.create(
        article=article, actor=user, from_status="", to_status=workflow.DRAFT, comment="Created"
    )
    return article


@transaction.atomic
def revise(
    article: Article, user, new_text: str, expected_revision_id: int, note: str = ""
) -> Revision:
    """Save a new revision and carry every annotation onto it.

    Refuses when someone else saved first (expected_revision_id is no longer current).
    """
    article = Article.objects.select_for_update().get(pk=article.pk)
    current = article.current_revision
    if current is None or current.pk != expected_revision_id:
        raise StaleRevision(
            "Someone else saved a newer version of this story while you were editing. "
            "Your text has not been saved; compare it with the latest version below."
        )
    new_text = normalize_text(new_text)
    if new_text == current.text:
        return current
    revision = Revision.objects.create(
        article=article, number=current.number + 1, text=new_text, author=user, note=note
    )
    _carry_annotations(article, current, revision)
    article.current_revision = revision
    article.updated_at = timezone.now()
    article.save(update_fields=["current_revision", "updated_at"])
    return revision


def _carry_annotations(article: Article, old: Revision, new: Revision) -> None:
    annotations = list(article.annotations.filter(revision=old, orphaned=False))
    if not annotations:
        return
    anchors = anchoring.reanchor_many(
        old.text,
        new.text,
        [anchoring.SpanQuery(a.start, a.end, a.exact, a.prefix, a.suffix) for a in annotations],
    )
    for annotation, anchor in zip(annotations, anchors, strict=True):
        if anchor is None:
            annotation.orphaned = True
            annotation.anchor_confidence = 0.0
            continue
        quote = anchoring.quote_selector(new.text, anchor.start, anchor.end)
        annotation.revision = new
        annotation.start, annotation.end = anchor.start, anchor.end
        annotation.exact, annotation.prefix, annotation.suffix = (
            quote.exact,
            quote.prefix,
            quote.suffix,
        )
        annotation.anchor_confidence = anchor.confidence
    Annotation.objects.bulk_update(
        annotations,
        ["revision", "start", "end", "exact", "prefix", "suffix", "orphaned", "anchor_confidence"],
    )


def _checked_selection(article, revision_id, start, end, exact, prefix, suffix):
    """The current revision and the quote at [start, end) after checking what the client sent.

    Client offsets are never trusted: the quote (and context, when sent) must be what the
    revision holds there, and the revision must still be the current one.
    """
    revision = article.current_revision
    if revision is None or revision.pk != revision_id:
        raise StaleRevision(
            "This story has changed since you opened it. Reload the page and select the passage again."
        )
    text = revision.text
    if not anchoring.quote_matches(text, start, end, exact):
        raise SelectionMismatch(
            "The selected passage does not match the story text at that position. "
            "Reload the page and select it again."
        )
    if not exact.strip():
        raise SelectionMismatch("Select some words to annotate, not just spaces.")
    quote = anchoring.quote_selector(text, start, end)
    if (prefix is not None and prefix != quote.prefix) or (
        suffix is not None and suffix != quote.suffix
    ):
        raise SelectionMismatch(
            "The text around the selected passage does not match the story. "
            "Reload the page and select it again."
        )
    return revision, quote


def _check_comment(body: str) -> str:
    body = (body or "").strip()
    if not body:
        raise ReviewError("Write a comment first.")
    limit = settings.REVIEWS_MAX_COMMENT_LENGTH
    if len(body) > limit:
        raise ReviewError(f"Comments are limited to {limit} characters; this one has {len(body)}.")
    return body


@transaction.atomic
def add_annotation(
    article: Article,
    user,
    *,
    revision_id: int,
    start: int,
    end: int,
    exact: str,
    category: str,
    body: str,
    prefix: str | None = None,
    suffix: str | None = None,
) -> Annotation:
    """Anchor a new annotation on the current revision after checking the quote against it.

    Client offsets are never trusted: the quote must be what the revision holds there.
    """
    if not permissions.can_annotate(user, article, category):
        raise Forbidden("You may not add this kind of annotation to this story.")
    body = _check_comment(body)
    revision, quote = _checked_selection(article, revision_id, start, end, exact, prefix, suffix)
    annotation = Annotation.objects.create(
        article=article,
        revision=revision,
        start=start,
        end=end,
        exact=quote.exact,
        prefix=quote.prefix,
        suffix=quote.suffix,
        category=category,
        body=body,
        author=user,
    )
    article.touch()
    return annotation


@transaction.atomic
def reattach(
    annotation: Annotation,
    user,
    *,
    revision_id: int,
    start: int,
    end: int,
    exact: str,
    prefix: str | None = None,
    suffix: str | None = None,
) -> Annotation:
    """Put an orphaned (or misplaced) annotation on a passage a person selected."""
    if not permissions.can_reattach(user, annotation):
        raise Forbidden("You may not re-attach this annotation.")
    revision, quote = _checked_selection(
        annotation.article, revision_id, start, end, exact, prefix, suffix
    )
    annotation.revision = revision
    annotation.start, annotation.end = start, end
    annotation.exact, annotation.prefix, annotation.suffix = quote.exact, quote.prefix, quote.suffix
    annotation.orphaned = False
    annotation.anchor_confidence = 1.0
    annotation.save(
        update_fields=[
            "revision",
            "start",
            "end",
            "exact",
            "prefix",
            "suffix",
            "orphaned",
            "anchor_confidence",
        ]
    )
    annotation.article.touch()
    return annotation


def confirm_anchor(annotation: Annotation, user) -> Annotation:
    """A person agrees that a re-anchored annotation sits on the right words."""
    if not permissions.can_reattach(user, annotation):
        raise Forbidden("You may not confirm this annotation's position.")
    if annotation.orphaned:
        raise ReviewError("This annotation has no passage yet: re-attach it first.")
    annotation.anchor_confidence = 1.0
    annotation.save(update_fields=["anchor_confidence"])
    return annotation


def add_reply(annotation: Annotation, user, body: str) -> Reply:
    if not permissions.can_reply(user, annotation):
        raise Forbidden("You may not reply here.")
    reply = Reply.objects.create(annotation=annotation, author=user, body=_check_comment(body))
    annotation.article.touch()
    return reply


def set_resolved(annotation: Annotation, user, resolved: bool) -> Annotation:
    if not permissions.can_resolve(user, annotation):
        raise Forbidden("You may not resolve or reopen this annotation.")
    if resolved:
        annotation.state = Annotation.RESOLVED
        annotation.resolved_by = user
        annotation.resolved_at = timezone.now()
    else:
        annotation.state = Annotation.OPEN
        annotation.resolved_by = None
        annotation.resolved_at = None
    annotation.save(update_fields=["state", "resolved_by", "resolved_at"])
    annotation.article.touch()
    return annotation


@transaction.atomic
def transition(article: Article, user, name: str, comment: str = "") -> ReviewEvent:
    """Take one review step; raises workflow.TransitionRefused with the reason when refused."""
    article = Article.objects.select_for_update().get(pk=article.pk)
    step = permissions.check_transition(user, article, name)
    comment = (comment or "").strip()
    limit = settings.REVIEWS_MAX_COMMENT_LENGTH
    if len(comment) > limit:
        raise ReviewError(
            f"Comments are limited to {limit} characters; this one has {len(comment)}."
        )
    source = article.status
    target = workflow.resolve_target(step, article.restore_status)
    article.restore_status = source if target == workflow.ARCHIVED else ""
    article.status = target
    article.updated_at = timezone.now()
    article.save(update_fields=["status", "restore_status", "updated_at"])
    return ReviewEvent.objects.create(
        article=article, actor=user, from_status=source, to_status=target, comment=comment
    )
