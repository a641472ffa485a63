"""Database -> Snapshot for the exporters, in a fixed number of queries per article."""

from __future__ import annotations

from django.db.models import Prefetch
from django.utils import timezone

from . import language
from .exporters.snapshot import EventSnap, NoteSnap, ReplySnap, Snapshot
from .models import Article, Flag, Reply, Revision, display_name


def snapshot(article: Article, *, base_url: str = "", user=None, previous: Revision | None = None) -> Snapshot:
    revision = article.current_revision
    annotations = (
        article.annotations.select_related("author", "resolved_by")
        .prefetch_related(Prefetch("replies", queryset=Reply.objects.select_related("author")))
        .order_by("start", "id")
    )
    flags = article.flags.filter(orphaned=False, revision=revision).select_related("decided_by")
    notes = []
    for a in annotations:
        anchored = not a.orphaned and a.revision_id == revision.pk
        notes.append(
            NoteSnap(
                id=a.pk, kind="annotation", category=a.category,
                category_label=a.get_category_display(), state=a.state,
                start=a.start if anchored else None, end=a.end if anchored else None,
                exact=a.exact, prefix=a.prefix, suffix=a.suffix, body=a.body,
                author=display_name(a.author), created=a.created_at, orphaned=not anchored,
                resolved_by=display_name(a.resolved_by), resolved_at=a.resolved_at,
                replies=tuple(
                    ReplySnap(r.pk, display_name(r.author), r.created_at, r.body) for r in a.replies.all()
                ),
            )
        )
    for f in flags:
        notes.append(
            NoteSnap(
                id=f.pk, kind="flag", category=f.category,
                category_label=language.CATEGORIES.get(f.category, f.category), state=f.state,
                start=f.start, end=f.end, exact=f.exact, prefix=f.prefix, suffix=f.suffix,
                body=f.rationale + (f" Dismissed: {f.reason}" if f.state == Flag.DISMISSED else ""),
                author=display_name(f.created_by) if f.source == Flag.MANUAL else "House lexicon",
                created=f.created_at, severity=f.severity, suggestions=tuple(f.suggestions),
                attributed=f.attributed, resolved_by=display_name(f.decided_by), resolved_at=f.decided_at,
            )
        )
    notes.sort(key=lambda n: (n.start is None, n.start or 0, n.end or 0, n.kind, n.id))
    # People read these: the statuses go out as their labels ("In review").
    events = tuple(
        EventSnap(display_name(e.actor), e.from_label, e.to_label, e.comment, e.created_at)
        for e in article.events.select_related("actor")
    )
    return Snapshot(
        id=article.pk, title=article.title, byline=article.byline, desk=article.desk,
        status=article.status, status_label=article.status_label,
        url=base_url.rstrip("/") + article.get_absolute_url(),
        revision_number=revision.number, revision_created=revision.created_at,
        revision_author=display_name(revision.author), text=revision.text, notes=tuple(notes),
        events=events, exported_at=timezone.now(), exported_by=display_name(user),
        previous_text=previous.text if previous else None,
        previous_revision_number=previous.number if previous else None,
    )


__all__ = ["snapshot"]
