"""Exports of a reviewed article: pure functions Snapshot -> bytes. No Django.

``EXPORTERS`` maps a format key to its function; ``CONTENT_TYPES`` and ``EXTENSIONS`` give the
HTTP content type and the file extension for the same keys, so a view or a command can serve any
format without knowing about it.

Which notes each format shows
-----------------------------
The reading formats (DOCX, HTML, Markdown) show "every annotation and open flag": all
annotations, whatever their state (a resolved one is marked as resolved), and only the flags
still open; a dismissed or accepted flag is a decision already taken and would only be noise
in a copy meant to be read. The data formats (CSV, JSON-LD) carry every note in the snapshot,
with its state, because they are meant to be processed or re-imported.

A note whose passage was removed in a later revision (``orphaned``, or with no offsets) cannot be
anchored; the reading formats list those in a final section "Notes whose passage was removed".

The helpers below are shared by the format modules. They are defined *before* the format modules
are imported at the bottom of this file, so ``from reviews.exporters import iso`` inside a format
module works whichever module is imported first.
"""

from __future__ import annotations

from datetime import UTC, datetime

from .snapshot import EventSnap, NoteSnap, ReplySnap, Snapshot

REMOVED_HEADING = "Notes whose passage was removed"


def aware(moment: datetime) -> datetime:
    """Datetimes in a snapshot should carry a timezone; a naive one is taken as UTC rather than
    the exporting machine's local time, which would make the same export differ by server."""
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def iso(moment: datetime | None) -> str:
    """ISO 8601 with its UTC offset, or "" for no date."""
    return "" if moment is None else aware(moment).isoformat()


def human_date(moment: datetime | None) -> str:
    """A date for people: "12 Mar 2025, 14:05 UTC". Written without %-d, which is not portable."""
    if moment is None:
        return ""
    moment = aware(moment)
    zone = moment.tzname() or moment.strftime("%z")
    return f"{moment.day} {moment:%b %Y, %H:%M} {zone}".rstrip()


def is_shown(note: NoteSnap) -> bool:
    """Annotations always; flags only while open (see the module docstring)."""
    return note.kind != "flag" or note.state == "open"


def is_anchored(note: NoteSnap) -> bool:
    return not note.orphaned and note.start is not None and note.end is not None


def note_order(note: NoteSnap) -> tuple:
    """Document order: by start, the longer (outer) span first, then annotations before flags."""
    return (note.start if note.start is not None else -1, -(note.end or 0), note.kind, note.id)


def shown_notes(snapshot: Snapshot) -> tuple[list[NoteSnap], list[NoteSnap]]:
    """(anchored, orphaned) notes for the reading formats, each in document order."""
    anchored = sorted((n for n in snapshot.anchored_notes if is_shown(n)), key=note_order)
    orphaned = [n for n in snapshot.notes if is_shown(n) and not is_anchored(n)]
    return anchored, orphaned


def flag_heading(note: NoteSnap) -> str:
    """ "Loaded language: Contentious label, high" - the shared first words of a flag."""
    parts = [note.category_label or note.category]
    if note.severity:
        parts.append(note.severity)
    return "Loaded language: " + ", ".join(parts)


def revision_line(snapshot: Snapshot) -> str:
    """ "Desk: Metro · Status: In review · Revision 3, 12 Mar 2025, 14:05 UTC, by Ana" """
    parts = []
    if snapshot.desk:
        parts.append(f"Desk: {snapshot.desk}")
    parts.append(f"Status: {snapshot.status_label or snapshot.status}")
    revision = f"Revision {snapshot.revision_number}"
    if snapshot.revision_created:
        revision += f", {human_date(snapshot.revision_created)}"
    if snapshot.revision_author:
        revision += f", by {snapshot.revision_author}"
    parts.append(revision)
    return " · ".join(parts)


def exported_line(snapshot: Snapshot) -> str:
    """ "Exported 12 Mar 2025, 14:05 UTC by Ana", or "" when the snapshot does not say."""
    if snapshot.exported_at is None and not snapshot.exported_by:
        return ""
    line = "Exported"
    if snapshot.exported_at is not None:
        line += f" {human_date(snapshot.exported_at)}"
    if snapshot.exported_by:
        line += f" by {snapshot.exported_by}"
    return line


# The format modules import the helpers above, so they are imported only now.
from .csv_export import export_csv  # noqa: E402
from .html_export import export_html  # noqa: E402
from .jsonld import export_jsonld  # noqa: E402
from .markdown import export_markdown  # noqa: E402
from .word import export_docx  # noqa: E402

EXPORTERS = {
    "docx": export_docx,
    "jsonld": export_jsonld,
    "md": export_markdown,
    "html": export_html,
    "csv": export_csv,
}

CONTENT_TYPES = {
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "jsonld": 'application/ld+json; profile="http://www.w3.org/ns/anno.jsonld"',
    "md": "text/markdown; charset=utf-8",
    "html": "text/html; charset=utf-8",
    "csv": "text/csv; charset=utf-8",
}

EXTENSIONS = {
    "docx": ".docx",
    "jsonld": ".jsonld",
    "md": ".md",
    "html": ".html",
    "csv": ".csv",
}

__all__ = [
    "CONTENT_TYPES",
    "EXPORTERS",
    "EXTENSIONS",
    "EventSnap",
    "NoteSnap",
    "ReplySnap",
    "Snapshot",
    "export_csv",
    "export_docx",
    "export_html",
    "export_jsonld",
    "export_markdown",
]
