"""Word (.docx) export: the article with every annotation and open flag as a real Word comment.

Named ``word`` rather than ``docx`` so that ``import docx`` inside this package still finds
python-docx.

How comments are anchored
-------------------------
A Word comment covers whole runs: ``w:commentRangeStart`` goes before its first run and
``w:commentRangeEnd`` after its last. So each paragraph is written as runs cut at *every* note
boundary that falls inside it; then each note's range is exactly the runs between its start and
end, and overlapping notes simply share some runs, each with its own range markers.

A passage that spans paragraphs gets one comment whose range starts in the first paragraph and
ends in the last: python-docx places the markers around any two runs, and WordprocessingML allows
a range to cross paragraph boundaries (Word and LibreOffice both show such ranges). The blank
line between the paragraphs becomes the paragraph break itself.

Comments are added through python-docx's comments API (``Document.add_comment``), in document
order so that Word's comment pane lists them in reading order. python-docx always stamps a new
comment with the current time and has no public setter for it, so the note's own creation time
is written to the ``w:date`` attribute through the comment element's ``date`` property.

Replies are Word's threaded replies
-----------------------------------
Each reply is a comment of its own (its author, initials and date) on the same range as its
note, linked to the note the way Word 2013 and later write a thread: every paragraph of
``comments.xml`` carries a ``w14:paraId``, and the part ``word/commentsExtended.xml``
(``[MS-DOCX]`` CT_CommentsEx) has one ``w15:commentEx`` per comment, in comment order::

    <w15:commentEx w15:paraId="00000001" w15:done="1"/>                              the note
    <w15:commentEx w15:paraId="00000002" w15:paraIdParent="00000001" w15:done="1"/>  a reply

``w15:paraId`` names the comment's *last* paragraph, ``w15:paraIdParent`` the note's. A resolved
note marks its whole thread done (the state belongs to the conversation, and LibreOffice hides
or shows each comment by its own flag). Paragraph ids are a counter from 1, so the same snapshot
always gives the same file; they only have to be unique and below 0x80000000. In the body the
reply's range starts just after its note's ``w:commentRangeStart`` (or the previous reply's) and
ends just after its note's (or the previous reply's) reference run, as Word writes a thread; the
reply itself is made with ``Document.comments.add_comment`` and its markers are placed here, next
to the note's, so no search is needed. An application that knows nothing of threads still sees
each reply as an ordinary comment on the same words.

Orphaned notes are not Word comments (there is no passage to anchor them to): they are written
as ordinary paragraphs under the heading "Notes whose passage was removed", quote and comment.
"""

from __future__ import annotations

import bisect
import re
from io import BytesIO

from docx import Document
from docx.enum.style import WD_STYLE_TYPE
from docx.opc.packuri import PackURI
from docx.opc.part import XmlPart
from docx.oxml import OxmlElement, parse_xml
from docx.oxml.comments import CT_Comments
from docx.oxml.ns import nsdecls, qn
from docx.shared import Pt, RGBColor

from reviews.exporters import (
    REMOVED_HEADING,
    aware,
    exported_line,
    flag_heading,
    human_date,
    revision_line,
    shown_notes,
)
from reviews.exporters.snapshot import NoteSnap, Snapshot
from reviews.highlighting import paragraph_bounds

# python-docx finds each new comment's id by reading every existing comment's id (an XPath
# per comment added), which makes a story with thousands of notes and flags quadratic: 4,000
# comments took 12 s. Comments are only ever appended here, each with the largest id + 1, so
# the largest id is the last comment's; the library's own search remains the fallback for
# anything unusual (ids past 2**31 - 1). Same ids as the library gives, in linear time.
# The last child is taken with a reverse iterator: ``len()`` of an lxml element counts its
# children one by one, so with 8,000 comments (4,000 notes and their replies) it took the
# export from about 4 s to 6-9 s, growing with the square of the number of comments.
_library_next_comment_id = CT_Comments._next_available_comment_id
_COMMENT, _ID = qn("w:comment"), qn("w:id")


def _next_comment_id(self) -> int:
    last = next(self.iterchildren(reversed=True), None)
    if last is None:
        return 0
    if last.tag == _COMMENT and (last.get(_ID) or "").isdigit():
        candidate = int(last.get(_ID)) + 1
        if candidate <= 2**31 - 1:
            return candidate
    return _library_next_comment_id(self)


CT_Comments._next_available_comment_id = _next_comment_id

# Characters XML 1.0 cannot hold at all; lxml refuses them. Control characters other than tab,
# newline and carriage return, lone surrogates and the two non-characters U+FFFE/U+FFFF.
_XML_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def xml_safe(text: str) -> str:
    """Text lxml will accept. Illegal characters become U+FFFD so the reader sees something was
    there; cutting happens on the original text, so offsets are unaffected."""
    return _XML_ILLEGAL.sub("\ufffd", text)


W14_NS = "http://schemas.microsoft.com/office/word/2010/wordml"
W15_NS = "http://schemas.microsoft.com/office/word/2012/wordml"
MC_NS = "http://schemas.openxmlformats.org/markup-compatibility/2006"
COMMENTS_EXTENDED_PART = "/word/commentsExtended.xml"
COMMENTS_EXTENDED_TYPE = (
    "application/vnd.openxmlformats-officedocument.wordprocessingml.commentsExtended+xml"
)
COMMENTS_EXTENDED_REL = "http://schemas.microsoft.com/office/2011/relationships/commentsExtended"
_PARA_ID = f"{{{W14_NS}}}paraId"
_COMMENT_EX, _W15_PARA_ID, _W15_PARENT, _W15_DONE = (
    f"{{{W15_NS}}}{name}" for name in ("commentEx", "paraId", "paraIdParent", "done")
)
_IGNORABLE = f"{{{MC_NS}}}Ignorable"


def initials(name: str) -> str:
    """Up to three initials: the first letter or digit of each of the first words that have
    one. XML-cleaned like every other string that goes into the file."""
    firsts = (next((c for c in word if c.isalnum()), "") for word in name.split())
    return xml_safe("".join(c for c in firsts if c)[:3].upper())


def is_resolved(note: NoteSnap) -> bool:
    return note.state == "resolved" or note.resolved_at is not None


def comment_text(note: NoteSnap, with_replies: bool = True) -> str:
    """The text of a note; newlines become separate comment paragraphs. A Word comment is
    written without the replies (each is a threaded reply of its own); the list of notes whose
    passage was removed keeps them as lines under the note."""
    if note.kind == "flag":
        lines = [f"[{flag_heading(note)}] {note.body}".rstrip()]
        if note.suggestions:
            lines[0] += "  Suggested: " + ", ".join(note.suggestions)
        if note.attributed:
            lines[0] += " (in a direct quotation)"
    else:
        lines = [f"[{note.category_label or note.category}] {note.body}".rstrip()]
    for reply in note.replies if with_replies else ():
        lines.append(f"Reply — {reply.author}, {human_date(reply.created)}: {reply.body}")
    if is_resolved(note):
        resolved = "Resolved"
        if note.resolved_by:
            resolved += f" by {note.resolved_by}"
        if note.resolved_at is not None:
            resolved += f", {human_date(note.resolved_at)}"
        lines.append(resolved)
    return xml_safe("\n".join(lines))


def export_docx(snapshot: Snapshot) -> bytes:
    document = Document()
    _comment_styles(document)
    _properties(document, snapshot)
    _header(document, snapshot)
    anchored, orphaned = shown_notes(snapshot)
    ranges = _body(document, snapshot.text, anchored)
    threads = _Threads()
    for note, placed in zip(anchored, ranges, strict=True):
        if placed is not None:
            threads.add(document, note, *placed)
    threads.write(document)
    # A note whose span holds no paragraph text (only a paragraph break) has nothing to anchor on.
    unplaced = [n for n, placed in zip(anchored, ranges, strict=True) if placed is None]
    _removed_section(document, orphaned + unplaced)
    _history(document, snapshot)
    out = BytesIO()
    document.save(out)
    return out.getvalue()


class _Threads:
    """Writes each note as a comment and its replies as Word threaded replies (see the module
    docstring), collecting the ``w15:commentEx`` rows for ``commentsExtended.xml``. Every step
    is constant work per comment or paragraph: no searching of the comments or the body."""

    def __init__(self) -> None:
        self.rows: list[tuple[str, str | None, bool]] = []  # (paraId, parent paraId, done)
        self.comments_root = None
        self._last_para_id = 0

    def add(self, document, note: NoteSnap, first, last) -> None:
        comment = document.add_comment(
            [first, last],
            text=comment_text(note, with_replies=False),
            author=xml_safe(note.author),
            initials=initials(xml_safe(note.author)),
        )
        element = comment._comment_elm
        # No public setter (see the module docstring): the element's typed attribute.
        element.date = aware(note.created)
        self.comments_root = element.getparent()
        done = is_resolved(note)
        parent = self._stamp(element)
        self.rows.append((parent, None, done))
        # python-docx put the range start just before the first run and the range end and the
        # reference run just after the last; each reply goes after the one before it.
        start, reference = first._r.getprevious(), last._r.getnext().getnext()
        for reply in note.replies:
            reply_comment = document.comments.add_comment(
                text=xml_safe(reply.body),
                author=xml_safe(reply.author),
                initials=initials(xml_safe(reply.author)),
            )
            reply_element = reply_comment._comment_elm
            reply_element.date = aware(reply.created)
            start, reference = _mark_reply(start, reference, reply_element.id)
            self.rows.append((self._stamp(reply_element), parent, done))

    def _stamp(self, comment_element) -> str:
        """Give every paragraph of the comment a w14:paraId; return the last one's."""
        para_id = ""
        for paragraph in comment_element.p_lst:
            self._last_para_id += 1
            para_id = f"{self._last_para_id:08X}"
            paragraph.set(_PARA_ID, para_id)
        return para_id

    def write(self, document) -> None:
        """Add word/commentsExtended.xml (its content type and its relationship from the
        document come with it), when there is any comment."""
        if not self.rows:
            return
        # w14 is declared on python-docx's comments root already; say a reader may ignore it.
        self.comments_root.set(_IGNORABLE, "w14")
        root = parse_xml(
            f'<w15:commentsEx xmlns:mc="{MC_NS}" xmlns:w15="{W15_NS}" mc:Ignorable="w15"/>'
        )
        for para_id, parent, done in self.rows:
            row = root.makeelement(_COMMENT_EX, {_W15_PARA_ID: para_id})
            if parent is not None:
                row.set(_W15_PARENT, parent)
            row.set(_W15_DONE, "1" if done else "0")
            root.append(row)
        package = document.part.package
        part = XmlPart(PackURI(COMMENTS_EXTENDED_PART), COMMENTS_EXTENDED_TYPE, root, package)
        document.part.relate_to(part, COMMENTS_EXTENDED_REL)


def _mark_reply(after_start, after_reference, comment_id: int):
    """A reply's range on its note's runs: its start after ``after_start``, its end and its
    reference run after ``after_reference``. Returns the reply's (start, reference run)."""
    start = OxmlElement("w:commentRangeStart", attrs={_ID: str(comment_id)})
    after_start.addnext(start)
    end = OxmlElement("w:commentRangeEnd", attrs={_ID: str(comment_id)})
    after_reference.addnext(end)
    reference = parse_xml(
        f'<w:r {nsdecls("w")}><w:rPr><w:rStyle w:val="CommentReference"/></w:rPr>'
        f'<w:commentReference w:id="{comment_id}"/></w:r>'
    )
    end.addnext(reference)
    return start, reference


def _comment_styles(document) -> None:
    """python-docx gives comments the CommentText/CommentReference styles but its default
    template lacks them; Word copes, yet the comments then take the body's look. Define them as
    Word does (its "annotation text" and "annotation reference")."""
    styles = document.styles
    present = {s.style_id for s in styles}
    for style_id, name, kind, size in (
        ("CommentText", "annotation text", WD_STYLE_TYPE.PARAGRAPH, 10),
        ("CommentReference", "annotation reference", WD_STYLE_TYPE.CHARACTER, 8),
    ):
        if style_id in present:
            continue
        style = styles.add_style(name, kind)
        style.style_id = style_id
        style.element.customStyle = None  # a built-in style, as Word writes it
        style.font.size = Pt(size)
        style.unhide_when_used = True
        if kind == WD_STYLE_TYPE.PARAGRAPH:
            style.base_style = styles["Normal"]


def _properties(document, snapshot: Snapshot) -> None:
    props = document.core_properties
    props.title = xml_safe(snapshot.title)[:255]
    props.author = xml_safe(snapshot.byline)[:255]
    props.subject = xml_safe(snapshot.desk)[:255]
    props.revision = max(1, snapshot.revision_number)
    if snapshot.exported_by:
        props.last_modified_by = xml_safe(snapshot.exported_by)[:255]
    if snapshot.exported_at is not None:
        props.created = aware(snapshot.exported_at)
        props.modified = aware(snapshot.exported_at)


def _header(document, snapshot: Snapshot) -> None:
    document.add_heading(xml_safe(snapshot.title) or "Untitled", level=0)
    if snapshot.byline:
        document.add_paragraph().add_run(xml_safe(f"By {snapshot.byline}")).bold = True
    document.add_paragraph(xml_safe(revision_line(snapshot)))
    exported = exported_line(snapshot)
    if exported:
        run = document.add_paragraph().add_run(xml_safe(exported))
        run.italic = True
        run.font.size = Pt(9)
        run.font.color.rgb = RGBColor(0x59, 0x59, 0x59)


def _body(document, text: str, notes: list[NoteSnap]) -> list:
    """Write the text as paragraphs of runs cut at every note boundary; return, for each note,
    its (first run, last run), or None when its span holds no paragraph text."""
    cuts = sorted({p for n in notes for p in (n.start, n.end)})
    pieces: list[tuple[int, int, object]] = []  # (start, end, run) in document order
    for p_start, p_end in paragraph_bounds(text):
        paragraph = document.add_paragraph()
        lo = bisect.bisect_right(cuts, p_start)
        hi = bisect.bisect_left(cuts, p_end)
        points = [p_start, *cuts[lo:hi], p_end]
        for a, b in zip(points, points[1:], strict=False):
            pieces.append((a, b, paragraph.add_run(xml_safe(text[a:b]))))
    piece_ends = [b for _, b, _ in pieces]
    piece_starts = [a for a, _, _ in pieces]
    ranges = []
    for note in notes:
        first = bisect.bisect_right(piece_ends, note.start)  # first piece ending after start
        last = bisect.bisect_left(piece_starts, note.end) - 1  # last piece starting before end
        ranges.append((pieces[first][2], pieces[last][2]) if first <= last else None)
    return ranges


def _removed_section(document, notes: list[NoteSnap]) -> None:
    if not notes:
        return
    document.add_heading(REMOVED_HEADING, level=1)
    for note in notes:
        quote = document.add_paragraph(style="Quote")
        quote.add_run(xml_safe(f"“{note.exact}”"))
        lines = comment_text(note).split("\n")
        para = document.add_paragraph()
        para.add_run(lines[0])
        para.add_run(xml_safe(f" — {note.author}, {human_date(note.created)}")).italic = True
        for line in lines[1:]:
            document.add_paragraph(line).paragraph_format.left_indent = Pt(18)


def _history(document, snapshot: Snapshot) -> None:
    if not snapshot.events:
        return
    document.add_heading("Review history", level=1)
    for event in snapshot.events:
        line = f"{human_date(event.created)} — {event.actor}: {event.change}"
        if event.comment:
            line += f". {event.comment}"
        document.add_paragraph(xml_safe(line), style="List Bullet")
