"""Markdown export with CriticMarkup (https://criticmarkup.com/).

Two modes:

- review (the default): the text with ``{==passage==}{>>comment<<}`` for each annotation and open
  flag, then a list of the notes whose passage was removed;
- revision diff (when ``snapshot.previous_text`` is set): the word diff between the previous
  revision and this one as ``{~~old~>new~~}``, ``{++added++}`` and ``{--deleted--}``, under a
  header naming both revision numbers. Notes are left out: they belong to one revision's text,
  and highlights inside changes would make both unreadable.

Overlapping notes
-----------------
CriticMarkup highlights cannot nest or overlap. Notes whose passages overlap are merged into one
highlight covering all of them, followed by one comment per note; a merged note whose passage is
not the whole highlight starts its comment with its own quote ("On “...”: "), so no information
is lost. Passages that merely touch are not merged.

A highlight never crosses a paragraph break: processors treat a blank line as the end of any
markup. A passage over two paragraphs is highlighted in each; each note's comment follows the
paragraph where its own passage ends.

The text stays intact
---------------------
Removing the markup gives back the text byte for byte (``strip_criticmarkup``). Literal
CriticMarkup delimiters in the text (``{==``, ``==}``, ``{>>``, ``<<}``, ``~>`` ...) are escaped
by inserting one backslash inside them (``{\\==``, ``==\\}``, ``~\\>``): a CriticMarkup processor
no longer sees a delimiter, and Markdown renders ``\\=``, ``\\}`` and ``\\>`` as the bare character,
so the reader sees the original text. A delimiter that already contains backslashes gets one
more, which keeps the escaping reversible. Escapes are decided on the whole text before the
markup is inserted, so a delimiter cut by a note boundary is still escaped consistently.

No HTML gets through
--------------------
Markdown passes raw HTML on to the page, so ``<script>`` in a story (or ``<b>`` in a note)
would run or render when the file is shown. After the CriticMarkup escaping, every ``&``,
``<`` and ``>`` of the text, the notes and the header is written as ``&amp;``, ``&lt;`` and
``&gt;``, which a CommonMark renderer shows as the character itself; ``&lt;`` typed in a note
therefore shows as "&lt;", not as "<". The one exception is a ``>`` right after a backslash
(``~\\>``, the escaped arrow): it is already literal, and an entity there would show as
"&gt;". ``strip_criticmarkup`` decodes the three entities before undoing the CriticMarkup
escapes, so the text still comes back byte for byte.
"""

from __future__ import annotations

import re

from reviews.diffing import DELETE, EQUAL, INSERT, word_diff
from reviews.exporters import (
    REMOVED_HEADING,
    exported_line,
    human_date,
    revision_line,
    shown_notes,
)
from reviews.exporters.snapshot import NoteSnap, Snapshot
from reviews.highlighting import paragraph_bounds

# Each delimiter has one "slot", the (possibly empty) run of backslashes inside it: after the "{"
# of an opener, before the "}" of a closer, between "~" and ">" of the arrow. Delimiters can
# overlap ("{==}" is an opener and a closer), so each kind is searched on its own. A slot belongs
# to one kind only and is bounded by non-backslash characters, which escaping never changes:
# adding one backslash to every slot is therefore undone by taking one out of every slot.
_SLOTS = (
    re.compile(r"\{(\\*)(?:==|>>|\+\+|--|~~)"),
    re.compile(r"(?:==|<<|\+\+|--|~~)(\\*)\}"),
    re.compile(r"~(\\*)>"),
)
_MARKUP = re.compile(
    r"\{==(.*?)==\}|\{>>.*?<<\}|\{\+\+(.*?)\+\+\}|\{--.*?--\}|\{~~.*?~>(.*?)~~\}", re.DOTALL
)


def _slots(text: str, escaped: bool = False) -> list[int]:
    return sorted(
        m.start(1)
        for pattern in _SLOTS
        for m in pattern.finditer(text)
        if not escaped or m.group(1)
    )


def escape_points(text: str) -> list[int]:
    """Where a backslash goes (before text[i]) to defuse each literal delimiter."""
    return _slots(text)


def escape(text: str) -> str:
    return _insert(text, 0, len(text), escape_points(text))


def unescape(text: str) -> str:
    """Inverse of escape: take one backslash out of each delimiter's slot."""
    out, at = [], 0
    for p in _slots(text, escaped=True):
        out.append(text[at:p])
        at = p + 1
    out.append(text[at:])
    return "".join(out)


_HTML_SIGNIFICANT = re.compile(r"[&<]|(?<!\\)>")
_ENTITIES = {"&": "&amp;", "<": "&lt;", ">": "&gt;"}
_ENTITY = re.compile(r"&(amp|lt|gt);")
_CHARACTERS = {"amp": "&", "lt": "<", "gt": ">"}


def escape_html(text: str) -> str:
    """& < > as entities, so a Markdown renderer shows them and never reads HTML; a ">" right
    after a backslash is already literal (and may be a CriticMarkup escape: "~\\>")."""
    return _HTML_SIGNIFICANT.sub(lambda m: _ENTITIES[m.group()], text)


def unescape_html(text: str) -> str:
    """Inverse of escape_html (every "&" it leaves starts one of its three entities)."""
    return _ENTITY.sub(lambda m: _CHARACTERS[m.group(1)], text)


def strip_criticmarkup(markup: str) -> str:
    """The text without markup: highlights and additions kept, comments and deletions dropped,
    substitutions replaced by their new side, escapes undone."""

    def keep(m: re.Match) -> str:
        return m.group(1) or m.group(2) or m.group(3) or ""

    return unescape(unescape_html(_MARKUP.sub(keep, markup)))


def _insert(text: str, a: int, b: int, points: list[int]) -> str:
    """text[a:b] with a backslash before each point in [a, b); points are sorted."""
    out, at = [], a
    for p in points:
        if a <= p < b:
            out.append(text[at:p])
            out.append("\\")
            at = p
    out.append(text[at:b])
    return "".join(out)


def _text(text: str, a: int, b: int, points: list[int]) -> str:
    """text[a:b] as written into the file: CriticMarkup delimiters escaped, then HTML."""
    return escape_html(_insert(text, a, b, points))


def _one_line(text: str) -> str:
    """Comments sit inside a paragraph: newlines would end it. Also used for every generated
    line (header, comments, the removed-notes list). HTML is escaped (escape_html): Markdown
    passes raw HTML through, and a comment reading "<script>" must not become one when
    rendered, nor "&lt;b&gt;" turn into a tag the reader never typed."""
    return escape_html(" ".join(text.split()))


def comment_text(note: NoteSnap, quote_it: bool = False) -> str:
    if note.kind == "flag":
        head = f"Loaded language ({note.category_label or note.category}"
        head += f", {note.severity})" if note.severity else ")"
        text = f"{head}: {note.body}"
        if note.suggestions:
            text += " Suggested: " + ", ".join(note.suggestions)
        if note.attributed:
            text += " (in a direct quotation)"
    else:
        label = note.category_label or note.category
        if note.state == "resolved":
            label += " (resolved)"
        text = f"{label} — {note.author}: {note.body}"
    for reply in note.replies:
        text += f" — Reply ({reply.author}): {reply.body}"
    if quote_it:
        text = f"On “{note.exact}”: {text}"
    return escape(_one_line(text))


def _clusters(notes: list[NoteSnap]) -> list[tuple[int, int, list[NoteSnap]]]:
    """Overlapping notes grouped: (start, end, notes) with start/end the union of the group."""
    groups: list[tuple[int, int, list[NoteSnap]]] = []
    for note in sorted(notes, key=lambda n: (n.start, -n.end)):
        if groups and note.start < groups[-1][1]:
            start, end, members = groups[-1]
            groups[-1] = (start, max(end, note.end), [*members, note])
        else:
            groups.append((note.start, note.end, [note]))
    return groups


def render_review(text: str, notes: list[NoteSnap]) -> tuple[str, list[NoteSnap]]:
    """(the text with highlight/comment markup, notes that had no paragraph text to hold)."""
    points = escape_points(text)
    bounds = paragraph_bounds(text)
    out, at, unplaced = [], 0, []
    for start, end, members in _clusters(notes):
        pieces = [(max(a, start), min(b, end)) for a, b in bounds if a < end and b > start]
        if not pieces:
            unplaced.extend(members)
            continue
        waiting = list(members)
        for k, (a, b) in enumerate(pieces):
            out.append(_text(text, at, a, points))
            out.append("{==" + _text(text, a, b, points) + "==}")
            at = b
            # Each comment follows the paragraph where its own passage ends.
            last = k == len(pieces) - 1
            here = [n for n in waiting if last or n.end <= b]
            waiting = [n for n in waiting if n not in here]
            for note in here:
                whole = len(members) > 1 and (note.start, note.end) != (start, end)
                out.append("{>>" + comment_text(note, quote_it=whole) + "<<}")
    out.append(_text(text, at, len(text), points))
    return "".join(out), unplaced


def render_diff(old: str, new: str) -> str:
    """The word diff old -> new as CriticMarkup; stripping it gives new exactly."""
    points = escape_points(new)
    changes = word_diff(old, new)
    out, at, i = [], 0, 0
    while i < len(changes):
        change = changes[i]
        if change.op == EQUAL:
            out.append(_text(new, at, at + len(change.text), points))
            at += len(change.text)
        elif change.op == INSERT:
            out.append("{++" + _text(new, at, at + len(change.text), points) + "++}")
            at += len(change.text)
        elif i + 1 < len(changes) and changes[i + 1].op == INSERT:
            added = changes[i + 1].text
            replaced = _text(new, at, at + len(added), points)
            out.append("{~~" + escape_html(escape(change.text)) + "~>" + replaced + "~~}")
            at += len(added)
            i += 1
        else:
            assert change.op == DELETE
            out.append("{--" + escape_html(escape(change.text)) + "--}")
        i += 1
    return "".join(out)


def _header(snapshot: Snapshot) -> list[str]:
    lines = [f"# {_one_line(snapshot.title) or 'Untitled'}", ""]
    if snapshot.byline:
        lines += [f"*By {_one_line(snapshot.byline)}*", ""]
    lines += [_one_line(revision_line(snapshot)), ""]  # the desk and names are typed by people
    exported = exported_line(snapshot)
    if exported:
        lines += [f"*{_one_line(exported)}*", ""]
    return lines


def export_markdown(snapshot: Snapshot) -> bytes:
    lines = _header(snapshot)
    if snapshot.previous_text is not None:
        previous = snapshot.previous_revision_number
        lines += [
            f"**Changes from revision {previous if previous is not None else '(previous)'} "
            f"to revision {snapshot.revision_number}**",
            "",
            "---",
            "",
            render_diff(snapshot.previous_text, snapshot.text),
        ]
        return ("\n".join(lines) + "\n").encode("utf-8")

    anchored, orphaned = shown_notes(snapshot)
    body, unplaced = render_review(snapshot.text, anchored)
    lines += ["---", "", body]
    removed = orphaned + unplaced
    if removed:
        lines += ["", "---", "", f"## {REMOVED_HEADING}", ""]
        for note in removed:
            when = human_date(note.created)
            lines.append(f"- “{escape(_one_line(note.exact))}” — {comment_text(note)} ({when})")
    return ("\n".join(lines) + "\n").encode("utf-8")
