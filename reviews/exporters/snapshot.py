"""The one shape every exporter reads: an article, its current text, notes, flags and events.

Views and commands build a Snapshot from the database (reviews.export_data); exporters are
pure functions Snapshot -> bytes and never touch Django.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime


@dataclass(frozen=True)
class ReplySnap:
    id: int
    author: str
    created: datetime
    body: str


@dataclass(frozen=True)
class NoteSnap:
    """An annotation (kind "annotation") or a loaded-language flag (kind "flag")."""

    id: int
    kind: str  # "annotation" | "flag"
    category: str  # machine name, e.g. "fact_check", "contentious_label"
    category_label: str  # e.g. "Fact check", "Contentious label"
    state: str  # annotation: open/resolved; flag: open/dismissed/accepted/discussed
    start: int | None  # code-point offsets into Snapshot.text; None when orphaned
    end: int | None
    exact: str
    prefix: str
    suffix: str
    body: str  # the comment, or for a flag its rationale
    author: str  # display name; for lexicon flags "House lexicon"
    created: datetime
    severity: str = ""  # flags: info/warn/high
    suggestions: tuple[str, ...] = ()  # flags: neutral alternatives
    attributed: bool = False  # flags: inside a direct quotation
    orphaned: bool = False
    resolved_by: str = ""
    resolved_at: datetime | None = None
    replies: tuple[ReplySnap, ...] = ()


@dataclass(frozen=True)
class EventSnap:
    actor: str
    from_status: str
    to_status: str
    comment: str
    created: datetime

    @property
    def change(self) -> str:
        """"In review → Approved", or just "Draft" for the event that created the story."""
        return f"{self.from_status} → {self.to_status}" if self.from_status else self.to_status


@dataclass(frozen=True)
class Snapshot:
    id: int
    title: str
    byline: str
    desk: str
    status: str
    status_label: str
    url: str  # absolute URL of the article page, used as the annotation target source
    revision_number: int
    revision_created: datetime
    revision_author: str
    text: str  # the current revision; paragraphs separated by a blank line
    notes: tuple[NoteSnap, ...] = ()
    events: tuple[EventSnap, ...] = ()
    exported_at: datetime | None = None
    exported_by: str = ""
    previous_text: str | None = None  # for a revision-diff export (Markdown CriticMarkup)
    previous_revision_number: int | None = None

    @property
    def anchored_notes(self) -> tuple[NoteSnap, ...]:
        return tuple(n for n in self.notes if not n.orphaned and n.start is not None)


__all__ = ["EventSnap", "NoteSnap", "ReplySnap", "Snapshot", "field"]
