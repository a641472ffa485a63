"""Self-contained HTML export: one file that reads well on screen and prints well.

Safety
------
The file must stay inert wherever it is opened (a mail attachment, a shared drive), so:

- every piece of text from the snapshot is escaped with ``html.escape`` as it is written;
- the body is then passed through ``nh3.clean`` with an allow-list of exactly the tags and
  attributes this module writes - a second line of defence should an escape ever be missed;
- nh3 will not keep a ``<style>`` element, so the document is assembled as a fixed, trusted
  head (inline style, no external resource) around the cleaned body;
- a Content-Security-Policy meta tag forbids scripts and any network fetch, should the file be
  edited by hand later;
- "javascript:" in *text* is harmless but alarming to scanners, so its colon is written as a
  character reference (``&#58;``), which displays the same.

Layout
------
Each paragraph sits in a row with its margin notes beside it (the notes whose passage ends in
that paragraph, where the note's number appears). Overlapping passages are flattened into
segments (``reviews.highlighting.paragraphs``); a segment under several notes is a darker
``<mark>``. On paper (``@media print``) the margin column stays, narrower, in smaller type;
notes never break across pages, highlights keep their colour, and the text is never cut off.
"""

from __future__ import annotations

import html
import re

import nh3

from reviews.exporters import (
    REMOVED_HEADING,
    exported_line,
    flag_heading,
    human_date,
    iso,
    revision_line,
    shown_notes,
)
from reviews.exporters.snapshot import NoteSnap, Snapshot
from reviews.highlighting import Span, paragraphs

ALLOWED_TAGS = {
    "a", "article", "aside", "blockquote", "div", "footer", "h1", "h2", "header", "li", "main",
    "mark", "ol", "p", "section", "small", "span", "sup", "time", "ul",
}  # fmt: skip
ALLOWED_ATTRIBUTES = {
    "*": {"class"},
    "a": {"href"},
    "li": {"id", "value"},
    "sup": {"id"},
    "time": {"datetime"},
}
URL_SCHEMES = {"http", "https"}

STYLE = """
:root { --ink: #1a1a1a; --muted: #5c5c5c; --rule: #d4d4d4; --note: #fff8c5; --flag: #ffd6cc;
        --both: #f5b971; --resolved: #e4f1e4; }
* { box-sizing: border-box; }
html { color: var(--ink); background: #fff; }
body { margin: 0 auto; max-width: 72rem; padding: 2rem 1.5rem 4rem;
       font: 1.05rem/1.6 Georgia, "Times New Roman", serif; }
header.masthead { border-bottom: 2px solid var(--ink); margin-bottom: 1.5rem; padding-bottom: .75rem; }
h1 { font-size: 2rem; line-height: 1.2; margin: 0 0 .5rem; }
h2 { font: 600 1.2rem/1.3 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; margin: 2rem 0 .75rem; }
.byline { font-weight: bold; margin: 0; }
.meta, .exported, .legend { color: var(--muted); font: .85rem/1.4 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; margin: .25rem 0; }
.legend mark { padding: 0 .3em; }
.row { display: grid; grid-template-columns: minmax(0, 1fr) 20rem; gap: 2rem; }
.para { margin: 0 0 1rem; white-space: pre-wrap; overflow-wrap: anywhere; }
mark { background: var(--note); color: inherit; border-radius: 2px; }
mark.flag { background: var(--flag); }
mark.overlap { background: var(--both); }
mark.resolved { background: var(--resolved); }
sup.ref { font: 600 .7rem/1 system-ui, sans-serif; margin-left: 1px; }
sup.ref + sup.ref::before { content: ","; }
a { color: #1f4e9c; text-decoration: none; }
.margin { font: .82rem/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; }
ol.notes, ul.notes { list-style: none; margin: 0 0 1rem; padding: 0; }
li.note { border-left: 3px solid #e0c200; padding: .1rem 0 .1rem .6rem; margin-bottom: .75rem;
          break-inside: avoid; page-break-inside: avoid; overflow-wrap: anywhere; }
li.note.flag { border-color: #d9534f; }
li.note.resolved { border-color: #6a9f6a; }
.note p { margin: 0 0 .2rem; }
.note .body, .replies li { white-space: pre-line; }
.note-head { color: var(--muted); }
.note-head .num { font-weight: 700; color: var(--ink); margin-right: .35em; }
.note-head .cat { font-weight: 600; color: var(--ink); }
.quote { margin: .2rem 0; font-style: italic; color: var(--muted); }
.replies { margin: .25rem 0 0 .5rem; padding: 0; list-style: none; }
.replies li { margin-top: .2rem; }
.status { color: var(--muted); font-style: italic; }
.removed, .history { font: .9rem/1.5 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; }
@media (max-width: 52rem) { .row { display: block; } .margin { margin: 0 0 1.25rem 1rem; } }
@page { margin: 18mm 15mm; }
@media print {
  body { max-width: none; padding: 0; font-size: 10.5pt; }
  h1 { font-size: 20pt; }
  .row { grid-template-columns: minmax(0, 1fr) 36%; gap: 6mm; }
  .margin { font-size: 8pt; }
  mark, li.note { -webkit-print-color-adjust: exact; print-color-adjust: exact; }
  a { color: inherit; }
  h2 { break-after: avoid; page-break-after: avoid; }
  .para { orphans: 3; widows: 3; }
}
"""


def _e(text: str) -> str:
    return html.escape(text, quote=True)


def _note_classes(note: NoteSnap) -> str:
    classes = ["note", note.kind]
    if note.state == "resolved":
        classes.append("resolved")
    return " ".join(classes)


def _note_item(note: NoteSnap, number: int | None) -> str:
    """One note as an <li>: number, category, author and date, quote, comment, replies."""
    if note.kind == "flag":
        category = flag_heading(note)
    else:
        category = note.category_label or note.category
    head = ""
    if number is not None:
        head += f'<a class="num" href="#ref-{number}">{number}</a>'
    head += f'<span class="cat">{_e(category)}</span> · {_e(note.author)}, '
    head += f'<time datetime="{_e(iso(note.created))}">{_e(human_date(note.created))}</time>'
    parts = [f'<p class="note-head">{head}</p>']
    quote = note.exact if len(note.exact) <= 160 else note.exact[:157] + "…"
    parts.append(f'<blockquote class="quote">“{_e(quote)}”</blockquote>')
    if note.body:
        parts.append(f'<p class="body">{_e(note.body)}</p>')
    if note.suggestions:
        parts.append(f'<p class="suggest">Suggested: {_e(", ".join(note.suggestions))}</p>')
    if note.attributed:
        parts.append('<p class="status">In a direct quotation.</p>')
    if note.replies:
        replies = "".join(
            f"<li>Reply — {_e(r.author)}, {_e(human_date(r.created))}: {_e(r.body)}</li>"
            for r in note.replies
        )
        parts.append(f'<ul class="replies">{replies}</ul>')
    if note.state == "resolved":
        resolved = "Resolved"
        if note.resolved_by:
            resolved += f" by {note.resolved_by}"
        if note.resolved_at is not None:
            resolved += f", {human_date(note.resolved_at)}"
        parts.append(f'<p class="status">{_e(resolved)}.</p>')
    attrs = f' id="note-{number}" value="{number}"' if number is not None else ""
    return f'<li class="{_note_classes(note)}"{attrs}>{"".join(parts)}</li>'


def _mark_classes(keys: tuple, by_number: dict[int, NoteSnap]) -> str:
    notes = [by_number[k] for k in keys]
    classes = ["hl"]
    if any(n.kind == "flag" for n in notes):
        classes.append("flag")
    if len(notes) > 1:
        classes.append("overlap")
    if all(n.state == "resolved" for n in notes):
        classes.append("resolved")
    return " ".join(classes)


def _text_rows(snapshot: Snapshot, notes: list[NoteSnap]) -> tuple[list[str], list[NoteSnap]]:
    """The article as rows (paragraph + its margin notes) and the notes that could not be placed."""
    by_number = {i: note for i, note in enumerate(notes, start=1)}
    spans = [Span(note.start, note.end, i) for i, note in by_number.items()]
    paras = paragraphs(snapshot.text, spans)
    # Where each note's number goes: after the last segment it covers.
    last_at: dict[int, tuple[int, int]] = {}
    for p, para in enumerate(paras):
        for s, seg in enumerate(para.segments):
            for key in seg.keys:
                last_at[key] = (p, s)
    ends: dict[tuple[int, int], list[int]] = {}
    for key, where in sorted(last_at.items()):
        ends.setdefault(where, []).append(key)

    rows = []
    for p, para in enumerate(paras):
        out, margin = [], []
        for s, seg in enumerate(para.segments):
            if seg.keys:
                out.append(
                    f'<mark class="{_mark_classes(seg.keys, by_number)}">{_e(seg.text)}</mark>'
                )
            else:
                out.append(_e(seg.text))
            for key in ends.get((p, s), []):
                out.append(f'<sup class="ref" id="ref-{key}"><a href="#note-{key}">{key}</a></sup>')
                margin.append(_note_item(by_number[key], key))
        aside = (
            f'<aside class="margin"><ol class="notes">{"".join(margin)}</ol></aside>'
            if margin
            else '<aside class="margin"></aside>'
        )
        rows.append(f'<section class="row"><p class="para">{"".join(out)}</p>{aside}</section>')
    unplaced = [note for key, note in by_number.items() if key not in last_at]
    return rows, unplaced


def _body(snapshot: Snapshot) -> str:
    anchored, orphaned = shown_notes(snapshot)
    parts = ['<header class="masthead">', f"<h1>{_e(snapshot.title or 'Untitled')}</h1>"]
    if snapshot.byline:
        parts.append(f'<p class="byline">By {_e(snapshot.byline)}</p>')
    parts.append(f'<p class="meta">{_e(revision_line(snapshot))}</p>')
    exported = exported_line(snapshot)
    if exported:
        parts.append(f'<p class="exported">{_e(exported)}</p>')
    if snapshot.url:
        parts.append(f'<p class="meta"><a href="{_e(snapshot.url)}">{_e(snapshot.url)}</a></p>')
    parts.append(
        '<p class="legend"><mark class="hl">annotation</mark> <mark class="hl flag">loaded'
        ' language</mark> <mark class="hl overlap">overlapping notes</mark>'
        ' <mark class="hl resolved">resolved</mark></p>'
    )
    parts.append("</header>")
    rows, unplaced = _text_rows(snapshot, anchored)
    parts.append('<main class="text">' + "".join(rows) + "</main>")
    removed = orphaned + unplaced
    if removed:
        items = "".join(_note_item(note, None) for note in removed)
        parts.append(
            f'<section class="removed"><h2>{_e(REMOVED_HEADING)}</h2><ul class="notes">{items}</ul></section>'
        )
    if snapshot.events:
        events = "".join(
            f"<li>{_e(human_date(ev.created))} — {_e(ev.actor)}: {_e(ev.change)}"
            f"{_e('. ' + ev.comment) if ev.comment else ''}</li>"
            for ev in snapshot.events
        )
        parts.append(f'<section class="history"><h2>Review history</h2><ul>{events}</ul></section>')
    return "".join(parts)


def clean_body(fragment: str) -> str:
    cleaned = nh3.clean(
        fragment,
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes=URL_SCHEMES,
        link_rel=None,
        strip_comments=True,
    )
    return _defang(cleaned)


def _defang(markup: str) -> str:
    """Only text can still hold "javascript:" (nh3 drops such URLs from href): see the
    module docstring."""
    return re.sub(r"(?i)(javascript):", r"\1&#58;", markup)


def export_html(snapshot: Snapshot) -> bytes:
    head = (
        "<!DOCTYPE html>\n"
        '<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        '<meta http-equiv="Content-Security-Policy" content="default-src \'none\'; '
        "style-src 'unsafe-inline'; img-src data:\">\n"
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>{_defang(_e(snapshot.title or 'Untitled'))}</title>\n"
        f"<style>{STYLE}</style>\n</head>\n<body>\n"
    )
    return (head + clean_body(_body(snapshot)) + "\n</body>\n</html>\n").encode("utf-8")
