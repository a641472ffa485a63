"""CSV export: one row per note (annotations and flags, whatever their state).

- Header: ``id,kind,category,severity,state,start,end,quote,comment,author,created,resolved``.
- ``category`` is the machine name (``fact_check``): stable for sorting, filtering and scripts,
  and unambiguous where labels might be renamed or translated.
- ``start``/``end`` are code-point offsets; both are empty for a note whose passage was removed.
- ``comment`` is the note's comment (a flag's rationale); a flag's suggestions and a note's
  replies follow it on lines of their own in the same cell, so one row stays one note.
- ``created`` and ``resolved`` are ISO 8601 with their UTC offset; ``resolved`` is when the note
  was resolved (or a flag decided), empty while it is open.
- Encoding: UTF-8 *with* a byte-order mark. Excel assumes the legacy ANSI code page for a CSV
  without one and would garble "Zoë" or "café"; every other tool skips the BOM.
- Rows end with CRLF (RFC 4180); fields holding commas, quotes or newlines are quoted.

Formula injection: a spreadsheet runs a cell that begins with ``=``, ``+``, ``-`` or ``@`` (and
some treat a leading tab or carriage return the same way) as a formula, so a comment like
``=HYPERLINK(...)`` could act when the file is opened. Such text cells get a leading apostrophe
(OWASP's advice): shown as text, visibly altered rather than silently. Only free-text columns
are touched; numeric columns are written by this module and cannot start with those characters.
"""

from __future__ import annotations

import csv
import io

from reviews.exporters import human_date, is_anchored, iso, note_order
from reviews.exporters.snapshot import NoteSnap, Snapshot

HEADER = [
    "id",
    "kind",
    "category",
    "severity",
    "state",
    "start",
    "end",
    "quote",
    "comment",
    "author",
    "created",
    "resolved",
]
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def defuse(cell: str) -> str:
    return "'" + cell if cell.startswith(FORMULA_STARTS) else cell


def comment_cell(note: NoteSnap) -> str:
    lines = [note.body]
    if note.suggestions:
        lines.append("Suggested: " + ", ".join(note.suggestions))
    if note.attributed:
        lines.append("(in a direct quotation)")
    for reply in note.replies:
        lines.append(f"Reply — {reply.author}, {human_date(reply.created)}: {reply.body}")
    return "\n".join(lines)


def row(note: NoteSnap) -> list[str]:
    anchored = is_anchored(note)
    return [
        str(note.id),
        note.kind,
        defuse(note.category),
        defuse(note.severity),
        defuse(note.state),
        str(note.start) if anchored else "",
        str(note.end) if anchored else "",
        defuse(note.exact),
        defuse(comment_cell(note)),
        defuse(note.author),
        iso(note.created),
        iso(note.resolved_at),
    ]


def export_csv(snapshot: Snapshot) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(HEADER)
    for note in sorted(snapshot.notes, key=lambda n: (not is_anchored(n), note_order(n))):
        writer.writerow(row(note))
    return out.getvalue().encode("utf-8-sig")
