"""Exporters: Snapshot -> bytes, checked by reading the bytes back as each format's consumers do.

No database: the snapshot is built by hand (``build_snapshot``, also used by test_importers).
"""

from __future__ import annotations

import csv
import dataclasses
import io
import json
import re
import shutil
import subprocess
import sys
import zipfile
from datetime import datetime, timedelta, timezone
from html.parser import HTMLParser
from pathlib import Path
from xml.etree import ElementTree as ET

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from reviews.exporters import CONTENT_TYPES, EXPORTERS, EXTENSIONS, REMOVED_HEADING
from reviews.exporters.csv_export import HEADER
from reviews.exporters.markdown import escape, render_review, strip_criticmarkup, unescape
from reviews.exporters.snapshot import EventSnap, NoteSnap, ReplySnap, Snapshot

PARIS = timezone(timedelta(hours=1))
T0 = datetime(2025, 3, 12, 9, 30, tzinfo=PARIS)
URL = "https://newsroom.example/articles/42/"

TEXT = (
    "Zoë Müller, the café owner 😀 on Harbour Road, said the council’s “reckless” plan "
    "would cost four million euros.\n\n"
    "Residents 🎉 called the scheme a “war on motorists” at Tuesday’s meeting, where 2,400 "
    "signatures were handed in.\n\n"
    "The mayor insisted the bus lane was common sense, adding: “We will not back down,” she said.\n"
    "The vote is on Friday.\n"
    "   \n"
    "Editor’s note: a reader wrote {==this==} and ~> that, in braces."
)

PAYLOAD = '=HYPERLINK("http://evil.example","x") <script>alert(1)</script></textarea> javascript:alert(2) <img src=x onerror=alert(3)>'


def span(text: str, exact: str, occurrence: int = 1) -> tuple[int, int]:
    at = -1
    for _ in range(occurrence):
        at = text.index(exact, at + 1)
    return at, at + len(exact)


def note(text, id, kind, exact, body, **kw) -> NoteSnap:
    start, end = span(text, exact)
    defaults = dict(
        category="fact_check" if kind == "annotation" else "contentious_label",
        category_label="Fact check" if kind == "annotation" else "Contentious label",
        state="open",
        author="Ana Editor" if kind == "annotation" else "House lexicon",
        created=T0 + timedelta(minutes=id),
    )
    defaults.update(kw)
    return NoteSnap(
        id=id, kind=kind, start=start, end=end, exact=exact,
        prefix=text[max(0, start - 32) : start], suffix=text[end : end + 32], body=body, **defaults,
    )  # fmt: skip


def build_snapshot(text: str = TEXT) -> Snapshot:
    notes = (
        note(text, 1, "annotation", "four million euros", "Source for the figure?",
             replies=(ReplySnap(11, "Ben Writer", T0 + timedelta(hours=1), "From the council budget, p. 12."),
                      ReplySnap(12, "Ana Editor", T0 + timedelta(hours=2), "Thanks — add the page link.")),),
        # Overlaps note 1 (shares "four million").
        note(text, 2, "annotation", "cost four million", "Is it the total or per year?",
             category="needs_source", category_label="Needs source"),
        # Spans the first paragraph break.
        note(text, 3, "annotation", "million euros.\n\nResidents 🎉 called", "Two paragraphs: tighten.",
             category="style", category_label="Style"),
        note(text, 4, "annotation", "2,400 signatures", "Checked with the organisers.", state="resolved",
             resolved_by="Carla Chief", resolved_at=T0 + timedelta(days=1)),
        note(text, 5, "flag", "reckless", "Judgement word presented as fact.", severity="high",
             suggestions=("risky", "contested")),
        note(text, 6, "flag", "insisted", "Implies doubt.", severity="warn", state="dismissed",
             resolved_at=T0 + timedelta(days=1, hours=3)),
        note(text, 7, "flag", "war on motorists", "Charged metaphor.", severity="warn", attributed=True,
             suggestions=("opposition to drivers",)),
        note(text, 8, "annotation", "back down,” she said.\nThe vote", PAYLOAD,
             category="other", category_label="Other", author="-Mallory"),
        note(text, 9, "annotation", "{==this==} and ~>", "Literal markup in the text.",
             category="comment", category_label="Comment"),
        NoteSnap(id=10, kind="annotation", category="fact_check", category_label="Fact check", state="open",
                 start=None, end=None, exact="the old second paragraph", prefix="cost ", suffix=" and",
                 body="This passage was cut.", author="Ana Editor", created=T0, orphaned=True),
    )  # fmt: skip
    return Snapshot(
        id=42, title="Harbour Road bus lane: café owners fear lost trade", byline="Zoë Müller",
        desk="Metro", status="in_review", status_label="In review", url=URL, revision_number=4,
        revision_created=T0, revision_author="Ben Writer", text=text, notes=notes,
        events=(EventSnap("Ben Writer", "draft", "in_review", "Ready for a look.", T0),),
        exported_at=T0 + timedelta(days=2), exported_by="Ana Editor",
    )  # fmt: skip


@pytest.fixture
def snapshot() -> Snapshot:
    return build_snapshot()


def shown(snap: Snapshot) -> list[NoteSnap]:
    """Anchored annotations and open flags: what the reading formats show in the text."""
    return [n for n in snap.anchored_notes if n.kind == "annotation" or n.state == "open"]


def test_registry_covers_every_format():
    assert (
        set(EXPORTERS)
        == set(CONTENT_TYPES)
        == set(EXTENSIONS)
        == {"docx", "jsonld", "md", "html", "csv"}
    )


def test_exporters_do_not_import_django():
    root = Path(__file__).resolve().parents[1] / "reviews"
    files = [*(root / "exporters").glob("*.py"), root / "importers.py"]
    source = "".join(f.read_text(encoding="utf-8") for f in files)
    assert len(files) >= 7
    assert not re.search(r"^\s*(from|import) django", source, re.M)
    # And nothing they import pulls Django in either.
    code = "import sys, reviews.exporters, reviews.importers; print(any(m.startswith('django') for m in sys.modules))"
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=root.parent, capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "False"


# ---------------------------------------------------------------------------------------- DOCX

W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"


def docx_parts(data: bytes):
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        return ET.fromstring(z.read("word/document.xml")), ET.fromstring(
            z.read("word/comments.xml")
        )


W14 = "{http://schemas.microsoft.com/office/word/2010/wordml}"
W15 = "{http://schemas.microsoft.com/office/word/2012/wordml}"
MC = "{http://schemas.openxmlformats.org/markup-compatibility/2006}"
RELS = "{http://schemas.openxmlformats.org/package/2006/relationships}"
CONTENT_TYPES_NS = "{http://schemas.openxmlformats.org/package/2006/content-types}"
COMMENTS_EXTENDED_TYPE = (
    "application/vnd.openxmlformats-officedocument.wordprocessingml.commentsExtended+xml"
)
COMMENTS_EXTENDED_REL = "http://schemas.microsoft.com/office/2011/relationships/commentsExtended"


def comment_threads(data: bytes) -> dict[str, dict]:
    """Comment id -> what word/commentsExtended.xml says of it, read the way Word reads it: the
    w15:commentEx whose w15:paraId is the w14:paraId of the comment's last paragraph gives its
    done flag, and its w15:paraIdParent the last paragraph of the comment it replies to.
    "parent" is that comment's id (None for a note)."""
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        comments = ET.fromstring(z.read("word/comments.xml"))
        extended = ET.fromstring(z.read("word/commentsExtended.xml"))
    assert extended.tag == W15 + "commentsEx"
    by_last_para: dict[str, str] = {}
    out: dict[str, dict] = {}
    for c in comments.findall(W + "comment"):
        para_ids = [p.get(W14 + "paraId") for p in c.findall(W + "p")]
        assert para_ids and all(para_ids), "every comment paragraph carries a w14:paraId"
        by_last_para[para_ids[-1]] = c.get(W + "id")
        out[c.get(W + "id")] = {
            "text": "\n".join("".join(t.text or "" for t in p.iter(W + "t")) for p in c.findall(W + "p")),
            "author": c.get(W + "author"), "initials": c.get(W + "initials"), "date": c.get(W + "date"),
            "para_ids": para_ids, "parent": None, "done": None,
        }  # fmt: skip
    rows = extended.findall(W15 + "commentEx")
    assert len(rows) == len(out), "one w15:commentEx per comment"
    for row in rows:
        cid = by_last_para[row.get(W15 + "paraId")]  # KeyError: not a comment's last paragraph
        assert out[cid]["done"] is None, "a comment is described once"
        out[cid]["done"] = row.get(W15 + "done")
        parent = row.get(W15 + "paraIdParent")
        if parent is not None:
            out[cid]["parent"] = by_last_para[parent]
    return out


def comment_ranges(document: ET.Element) -> dict[str, str]:
    """Comment id -> the text between its commentRangeStart and commentRangeEnd, in document
    order; a paragraph end inside a range counts as a blank line (the app's paragraph break)."""
    texts: dict[str, list[str]] = {}
    open_ids: set[str] = set()
    closed: set[str] = set()

    def walk(el):
        if el.tag == W + "commentRangeStart":
            texts[el.get(W + "id")] = []
            open_ids.add(el.get(W + "id"))
        elif el.tag == W + "commentRangeEnd":
            open_ids.discard(el.get(W + "id"))
            closed.add(el.get(W + "id"))
        elif el.tag in (W + "t", W + "br", W + "tab"):
            piece = {W + "br": "\n", W + "tab": "\t"}.get(el.tag, el.text or "")
            for i in open_ids:
                texts[i].append(piece)
        for child in el:
            walk(child)
        if el.tag == W + "p":
            for i in open_ids:
                texts[i].append("\n\n")

    walk(document)
    assert closed == set(texts), "every range that starts must end"
    return {i: "".join(parts) for i, parts in texts.items()}


def comment_texts(comments: ET.Element) -> dict[str, tuple[str, str, str]]:
    out = {}
    for c in comments.findall(W + "comment"):
        text = "\n".join("".join(t.text or "" for t in p.iter(W + "t")) for p in c.findall(W + "p"))
        out[c.get(W + "id")] = (text, c.get(W + "author"), c.get(W + "date"))
    return out


def as_paragraph_breaks(text: str) -> str:
    return re.sub(r"\n[ \t]*\n\s*", "\n\n", text)


def test_docx_opens_and_has_the_header(snapshot):
    import docx

    document = docx.Document(io.BytesIO(EXPORTERS["docx"](snapshot)))
    paras = document.paragraphs
    assert paras[0].text == snapshot.title and paras[0].style.name == "Title"
    assert paras[1].text == "By Zoë Müller"
    assert "Desk: Metro" in paras[2].text and "Status: In review" in paras[2].text
    assert "Revision 4" in paras[2].text and "Ben Writer" in paras[2].text
    assert paras[3].text.startswith("Exported ")
    assert paras[4].text == TEXT.split("\n\n")[0]
    assert document.core_properties.title == snapshot.title


def test_docx_one_comment_per_annotation_and_open_flag_on_exactly_its_passage(snapshot):
    data = EXPORTERS["docx"](snapshot)
    document, comments = docx_parts(data)
    ranges = comment_ranges(document)
    everyone = comment_texts(comments)
    assert len(ranges) == len(everyone)  # replies (their own comments) are anchored too
    threads = comment_threads(data)
    texts = {cid: v for cid, v in everyone.items() if threads[cid]["parent"] is None}
    expected = shown(snapshot)
    assert len(texts) == len(expected) == 8
    for n in expected:
        matching = [cid for cid, (text, _, _) in texts.items() if n.body in text]
        assert len(matching) == 1, n.id
        cid = matching[0]
        text, author, date = texts[cid]
        assert ranges[cid] == as_paragraph_breaks(snapshot.text[n.start : n.end]), n.id
        assert author == n.author
        assert datetime.fromisoformat(date.replace("Z", "+00:00")) == n.created
    # Dismissed flags and orphans are not comments.
    everything = "\n".join(t for t, _, _ in everyone.values())
    assert "Implies doubt." not in everything and "This passage was cut." not in everything


def test_docx_comment_text_carries_category_and_flag_details(snapshot):
    _, comments = docx_parts(EXPORTERS["docx"](snapshot))
    texts = [t for t, _, _ in comment_texts(comments).values()]
    first = next(t for t in texts if "Source for the figure?" in t)
    # The replies are threaded replies of their own (below), not lines of the note's text.
    assert first == "[Fact check] Source for the figure?"
    assert not any("Reply —" in t for t in texts)
    flag = next(t for t in texts if "Judgement word" in t)
    assert (
        flag
        == "[Loaded language: Contentious label, high] Judgement word presented as fact.  Suggested: risky, contested"
    )
    attributed = next(t for t in texts if "Charged metaphor." in t)
    assert attributed.endswith("(in a direct quotation)")
    resolved = next(t for t in texts if "Checked with the organisers." in t)
    assert "Resolved by Carla Chief" in resolved


def test_docx_passage_over_two_paragraphs_is_one_comment_across_them(snapshot):
    document, comments = docx_parts(EXPORTERS["docx"](snapshot))
    texts = comment_texts(comments)
    cid = next(i for i, (t, _, _) in texts.items() if "Two paragraphs" in t)
    body = document.find(W + "body")
    where = {
        kind: next(
            i
            for i, p in enumerate(body.findall(W + "p"))
            if p.find(f"{W}{kind}[@{W}id='{cid}']") is not None
        )
        for kind in ("commentRangeStart", "commentRangeEnd")
    }
    assert where["commentRangeEnd"] == where["commentRangeStart"] + 1


def test_docx_lists_orphaned_notes_at_the_end(snapshot):
    import docx

    paras = [p.text for p in docx.Document(io.BytesIO(EXPORTERS["docx"](snapshot))).paragraphs]
    at = paras.index(REMOVED_HEADING)
    tail = "\n".join(paras[at:])
    assert "“the old second paragraph”" in tail and "This passage was cut." in tail
    assert "Review history" in paras
    assert any(p.endswith("Ben Writer: draft → in_review. Ready for a look.") for p in paras)


def test_the_event_that_created_a_story_has_no_empty_from_state(snapshot):
    import docx

    created = EventSnap("Ben Writer", "", "Draft", "Created", T0)
    snap = dataclasses.replace(snapshot, events=(created,))
    paras = [p.text for p in docx.Document(io.BytesIO(EXPORTERS["docx"](snap))).paragraphs]
    assert any(p.endswith("Ben Writer: Draft. Created") for p in paras)
    html = EXPORTERS["html"](snap).decode("utf-8")
    assert "Ben Writer: Draft. Created</li>" in html and "→" not in html.split("Review history")[1]


def test_docx_survives_text_xml_cannot_hold():
    snap = dataclasses.replace(
        build_snapshot(), text=TEXT.replace("café", "caf\x0b\x00é"), notes=()
    )
    import docx

    assert docx.Document(io.BytesIO(EXPORTERS["docx"](snap))).paragraphs[0].text


@pytest.mark.skipif(
    not (shutil.which("soffice") or shutil.which("libreoffice")), reason="LibreOffice not installed"
)
def test_docx_converts_to_pdf_with_libreoffice(snapshot, tmp_path):
    source = tmp_path / "story.docx"
    source.write_bytes(EXPORTERS["docx"](snapshot))
    office = shutil.which("soffice") or shutil.which("libreoffice")
    subprocess.run([office, "--headless", "--convert-to", "pdf", "--outdir", str(tmp_path), str(source)],
                   check=True, timeout=120, capture_output=True)  # fmt: skip
    assert (tmp_path / "story.pdf").stat().st_size > 1000


def test_docx_replies_are_threaded_comments_linked_to_their_note(snapshot):
    data = EXPORTERS["docx"](snapshot)
    document, _ = docx_parts(data)
    ranges = comment_ranges(document)
    threads = comment_threads(data)
    note = next(
        cid for cid, c in threads.items() if c["text"] == "[Fact check] Source for the figure?"
    )
    assert threads[note]["parent"] is None and threads[note]["done"] == "0"
    replies = sorted((cid for cid, c in threads.items() if c["parent"] == note), key=int)
    assert [int(r) for r in replies] == [int(note) + 1, int(note) + 2]  # right after the note
    # Only note 1 has replies; every other comment is a note of its own.
    assert [cid for cid, c in threads.items() if c["parent"] is not None] == replies
    for cid, reply in zip(replies, snapshot.notes[0].replies, strict=True):
        got = threads[cid]
        assert got["text"] == reply.body
        assert got["author"] == reply.author
        assert got["initials"] == {"Ben Writer": "BW", "Ana Editor": "AE"}[reply.author]
        assert datetime.fromisoformat(got["date"].replace("Z", "+00:00")) == reply.created
        assert got["done"] == "0"
        assert ranges[cid] == ranges[note] == "four million euros"  # the note's own range
    # The resolved note is done; nothing else is.
    done = {c["text"].split("\n")[0]: c["done"] for c in threads.values()}
    assert done.pop("[Fact check] Checked with the organisers.") == "1"
    assert set(done.values()) == {"0"}
    # Paragraph ids: 8 hex digits, below 0x80000000, unique across the comments.
    para_ids = [p for c in threads.values() for p in c["para_ids"]]
    assert all(re.fullmatch(r"[0-9A-F]{8}", p) and int(p, 16) < 0x80000000 for p in para_ids)
    assert len(set(para_ids)) == len(para_ids)


def test_docx_reply_markers_follow_the_note_s_as_word_writes_a_thread(snapshot):
    """start(note) start(reply 1) start(reply 2) ... end(note) ref(note) end(reply 1) ref(reply 1)
    end(reply 2) ref(reply 2): the order Word itself writes a comment and its replies in."""
    data = EXPORTERS["docx"](snapshot)
    threads = comment_threads(data)
    note = next(cid for cid, c in threads.items() if c["text"].startswith("[Fact check] Source"))
    ids = [note, *sorted((c for c, v in threads.items() if v["parent"] == note), key=int)]
    xml = zipfile.ZipFile(io.BytesIO(data)).read("word/document.xml").decode()
    marks = [
        (kind, i)
        for kind, i in re.findall(
            r'<w:(commentRangeStart|commentRangeEnd|commentReference) w:id="(\d+)"', xml
        )
        if i in ids
    ]
    starts = [("commentRangeStart", i) for i in ids]
    ends = [m for i in ids for m in (("commentRangeEnd", i), ("commentReference", i))]
    assert marks[:3] == starts and [m for m in marks if m[0] != "commentRangeStart"] == ends


def test_docx_a_resolved_note_marks_its_whole_thread_done(snapshot):
    resolved = dataclasses.replace(
        snapshot.notes[0],
        state="resolved",
        resolved_by="Carla Chief",
        resolved_at=T0 + timedelta(days=1),
    )
    snap = dataclasses.replace(snapshot, notes=(resolved, *snapshot.notes[1:]))
    threads = comment_threads(EXPORTERS["docx"](snap))
    note = next(cid for cid, c in threads.items() if c["text"].startswith("[Fact check] Source"))
    assert threads[note]["text"].endswith("\nResolved by Carla Chief, 13 Mar 2025, 09:30 UTC+01:00")
    thread = [c for cid, c in threads.items() if cid == note or c["parent"] == note]
    assert len(thread) == 3 and {c["done"] for c in thread} == {"1"}
    # The reply's paraId is its *last* paragraph's: a note of two paragraphs links by the second.
    assert threads[note]["para_ids"][-1] != threads[note]["para_ids"][0]


def test_docx_comments_extended_part_is_declared_and_related(snapshot):
    import docx

    data = EXPORTERS["docx"](snapshot)
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        types = ET.fromstring(z.read("[Content_Types].xml"))
        rels = ET.fromstring(z.read("word/_rels/document.xml.rels"))
        comments = ET.fromstring(z.read("word/comments.xml"))
        extended = ET.fromstring(z.read("word/commentsExtended.xml"))
    overrides = {
        o.get("PartName"): o.get("ContentType") for o in types.iter(CONTENT_TYPES_NS + "Override")
    }
    assert overrides["/word/commentsExtended.xml"] == COMMENTS_EXTENDED_TYPE
    related = [
        r for r in rels.iter(RELS + "Relationship") if r.get("Type") == COMMENTS_EXTENDED_REL
    ]
    assert [r.get("Target") for r in related] == ["commentsExtended.xml"]
    assert related[0].get("TargetMode") is None  # inside the package
    # The Office extensions are marked ignorable, so a reader that lacks them skips them.
    assert "w14" in comments.get(MC + "Ignorable").split()
    assert "w15" in extended.get(MC + "Ignorable").split()
    # python-docx still opens the file and finds the part through the relationship.
    part = docx.Document(io.BytesIO(data)).part.part_related_by(COMMENTS_EXTENDED_REL)
    assert part.content_type == COMMENTS_EXTENDED_TYPE


def test_docx_without_comments_has_no_comments_extended_part(snapshot):
    data = EXPORTERS["docx"](dataclasses.replace(snapshot, notes=()))
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        assert "word/commentsExtended.xml" not in z.namelist()
        assert b"commentsExtended" not in z.read("[Content_Types].xml")
        assert b"commentsExtended" not in z.read("word/_rels/document.xml.rels")


def test_docx_replies_are_cleaned_of_text_xml_cannot_hold(snapshot):
    reply = ReplySnap(13, "Ben\x0bWriter", T0 + timedelta(hours=3), "Page\x00 12\ufffe.")
    first = dataclasses.replace(snapshot.notes[0], replies=(*snapshot.notes[0].replies, reply))
    snap = dataclasses.replace(snapshot, notes=(first, *snapshot.notes[1:]))
    threads = comment_threads(EXPORTERS["docx"](snap))
    got = next(c for c in threads.values() if c["text"].startswith("Page"))
    assert got["text"] == "Page\ufffd 12\ufffd." and got["author"] == "Ben\ufffdWriter"
    assert got["initials"] == "B" and got["parent"] is not None


def test_docx_threads_keep_the_linear_comment_ids(snapshot, monkeypatch):
    """Every comment id, notes' and replies', comes from the constant-time path (see word.py):
    the library's own search, which reads every id, is never reached."""
    from reviews.exporters import word

    def library_search(self):
        raise AssertionError("python-docx searched every comment id")

    monkeypatch.setattr(word, "_library_next_comment_id", library_search)
    text = "\n\n".join(f"Paragraph {i} says the figure is {i} million." for i in range(300))
    notes = tuple(
        note(text, i, "annotation", f"figure is {i} million", f"Check {i}.",
             replies=(ReplySnap(i * 10, "Ben Writer", T0, f"Checked {i}."),
                      ReplySnap(i * 10 + 1, "Ana Editor", T0, f"Thanks {i}.")))
        for i in range(300)
    )  # fmt: skip
    data = EXPORTERS["docx"](dataclasses.replace(snapshot, text=text, notes=notes))
    threads = comment_threads(data)
    assert sorted(map(int, threads)) == list(range(900))
    assert sum(c["parent"] is not None for c in threads.values()) == 600


LOEXT = "{urn:org:documentfoundation:names:experimental:office:xmlns:loext:1.0}"
OFFICE = "{urn:oasis:names:tc:opendocument:xmlns:office:1.0}"
TEXT_NS = "{urn:oasis:names:tc:opendocument:xmlns:text:1.0}"
DC = "{http://purl.org/dc/elements/1.1/}"
META = "{urn:oasis:names:tc:opendocument:xmlns:meta:1.0}"


def odt_annotations(content: ET.Element) -> list[dict]:
    """Every office:annotation in content.xml, in document order, with the text it covers (up to
    its office:annotation-end; paragraph ends as blank lines, as in comment_ranges)."""
    found: list[dict] = []
    open_: dict[str, dict] = {}

    def add(piece: str) -> None:
        for a in open_.values():
            a["range"] += piece

    def walk(el: ET.Element) -> None:
        if el.tag == OFFICE + "annotation":
            a = {
                "name": el.get(OFFICE + "name"), "parent": el.get(LOEXT + "parent-name"),
                "resolved": el.get(LOEXT + "resolved"), "author": el.findtext(DC + "creator"),
                "initials": el.findtext(META + "creator-initials"), "date": el.findtext(DC + "date"),
                "text": "\n".join("".join(p.itertext()) for p in el.findall(TEXT_NS + "p")),
                "range": "",
            }  # fmt: skip
            found.append(a)
            if a["name"]:
                open_[a["name"]] = a
        elif el.tag == OFFICE + "annotation-end":
            open_.pop(el.get(OFFICE + "name"))
        else:
            add(el.text or "")
            for child in el:
                walk(child)
                add(child.tail or "")
            if el.tag == TEXT_NS + "s":
                add(" " * int(el.get(TEXT_NS + "c", "1")))
            elif el.tag == TEXT_NS + "line-break":
                add("\n")
            elif el.tag in (TEXT_NS + "p", TEXT_NS + "h"):
                add("\n\n")

    walk(content)
    return found


@pytest.mark.skipif(
    not (shutil.which("soffice") or shutil.which("libreoffice")),
    reason="LibreOffice (soffice) is not installed: cannot check how it reads the threaded replies",
)
def test_libreoffice_reads_every_reply_as_an_annotation_of_its_own(snapshot, tmp_path):
    """LibreOffice imports the DOCX and writes ODT. Measured with LibreOffice 7.4.7 (Debian 12):
    each reply comes back as an office:annotation with its own author, initials, date and text,
    on the note's own words; w15:done comes back as loext:resolved for each comment, found
    through its paragraph id, so a resolved thread is resolved in all three annotations. 7.4
    writes no parent link (it reads only the done flag from commentsExtended.xml): the replies
    are sibling annotations on the same range. A LibreOffice that keeps the link
    (loext:parent-name) must point it at the note."""
    resolved = dataclasses.replace(
        snapshot.notes[0],
        state="resolved",
        resolved_by="Carla Chief",
        resolved_at=T0 + timedelta(days=1),
    )
    snap = dataclasses.replace(snapshot, notes=(resolved, *snapshot.notes[1:]))
    source = tmp_path / "story.docx"
    source.write_bytes(EXPORTERS["docx"](snap))
    office = shutil.which("soffice") or shutil.which("libreoffice")
    profile = (
        tmp_path / "profile"
    ).as_uri()  # not the user's: a running LibreOffice would take the job
    subprocess.run([office, f"-env:UserInstallation={profile}", "--headless", "--convert-to", "odt",
                    "--outdir", str(tmp_path), str(source)], check=True, timeout=180, capture_output=True)  # fmt: skip
    with zipfile.ZipFile(tmp_path / "story.odt") as z:
        annotations = odt_annotations(ET.fromstring(z.read("content.xml")))

    assert len(annotations) == 10  # 8 notes and the 2 replies, each its own annotation
    by_text = {a["text"]: a for a in annotations}
    note_ = by_text[
        "[Fact check] Source for the figure?\nResolved by Carla Chief, 13 Mar 2025, 09:30 UTC+01:00"
    ]
    replies = [by_text[r.body] for r in snap.notes[0].replies]
    assert [(r["author"], r["initials"]) for r in replies] == [
        ("Ben Writer", "BW"),
        ("Ana Editor", "AE"),
    ]
    assert [r["date"][:16] for r in replies] == ["2025-03-12T09:30", "2025-03-12T10:30"]  # UTC
    assert note_["author"] == "Ana Editor" and not any("Reply —" in a["text"] for a in annotations)
    assert note_["range"] == replies[0]["range"] == replies[1]["range"] == "four million euros"
    # done -> resolved, comment by comment: the whole thread, and the other resolved note.
    resolved_texts = {a["text"].split("\n")[0] for a in annotations if a["resolved"] == "true"}
    assert resolved_texts == {
        "[Fact check] Source for the figure?", *(r.body for r in snap.notes[0].replies),
        "[Fact check] Checked with the organisers.",
    }  # fmt: skip
    assert {a["resolved"] for a in annotations} == {"true", "false"}
    # A parent link, where this LibreOffice writes one, names the note and only replies have one.
    linked = {a["name"]: a["parent"] for a in annotations if a["parent"]}
    assert set(linked) <= {r["name"] for r in replies}
    assert set(linked.values()) <= {note_["name"]}


# ------------------------------------------------------------------------------------- JSON-LD


def test_jsonld_is_an_annotation_collection(snapshot):
    data = json.loads(EXPORTERS["jsonld"](snapshot))
    context = data["@context"]
    assert (
        context == "http://www.w3.org/ns/anno.jsonld"
        or context[0] == "http://www.w3.org/ns/anno.jsonld"
    )
    assert data["type"] == "AnnotationCollection" and data["label"] == snapshot.title
    items = data["first"]["items"]
    assert data["first"]["type"] == "AnnotationPage"
    replies = sum(len(n.replies) for n in snapshot.notes)
    assert data["total"] == len(items) == len(snapshot.notes) + replies
    for item in items:
        assert item["type"] == "Annotation"
        assert {"id", "motivation", "creator", "created", "body", "target"} <= set(item)
        assert item["creator"]["type"] == "Person" and item["creator"]["name"]
        assert datetime.fromisoformat(item["created"]).tzinfo is not None


def test_jsonld_selectors_agree_with_the_text(snapshot):
    items = json.loads(EXPORTERS["jsonld"](snapshot))["first"]["items"]
    checked = 0
    for item in items:
        if item["motivation"] == "replying":
            continue
        target = item["target"]
        assert target["type"] == "SpecificResource" and target["source"] == URL
        selectors = {s["type"]: s for s in target["selector"]}
        if "TextPositionSelector" in selectors:
            pos, quote = selectors["TextPositionSelector"], selectors["TextQuoteSelector"]
            assert quote["exact"] == snapshot.text[pos["start"] : pos["end"]]
            assert snapshot.text[: pos["start"]].endswith(quote["prefix"])
            assert snapshot.text[pos["end"] :].startswith(quote["suffix"])
            checked += 1
        else:
            assert item["newsroom:orphaned"] is True
            assert selectors["TextQuoteSelector"]["exact"] == "the old second paragraph"
    assert checked == len(snapshot.anchored_notes)


def test_jsonld_bodies_motivations_and_replies(snapshot):
    items = json.loads(EXPORTERS["jsonld"](snapshot))["first"]["items"]
    by_id = {i["id"]: i for i in items}
    first = by_id[URL + "#annotation-1"]
    assert first["motivation"] == "assessing"
    purposes = {b["purpose"]: b["value"] for b in first["body"]}
    assert purposes == {"commenting": "Source for the figure?", "tagging": "fact_check"}
    replies = [i for i in items if i["motivation"] == "replying"]
    assert len(replies) == 2 and all(r["target"] == first["id"] for r in replies)
    assert replies[0]["body"][0]["value"] == "From the council budget, p. 12."
    flag = by_id[URL + "#flag-5"]
    assert flag["motivation"] == "classifying" and flag["newsroom:severity"] == "high"
    assert [b["value"] for b in flag["body"] if b["purpose"] == "editing"] == ["risky", "contested"]
    assert by_id[URL + "#flag-6"]["newsroom:state"] == "dismissed"
    assert by_id[URL + "#annotation-4"]["newsroom:resolvedBy"] == "Carla Chief"


# ------------------------------------------------------------------------------------ Markdown


def test_markdown_stripped_of_markup_is_the_text(snapshot):
    body, unplaced = render_review(snapshot.text, shown(snapshot))
    assert not unplaced
    assert strip_criticmarkup(body) == snapshot.text
    out = EXPORTERS["md"](snapshot).decode("utf-8")
    assert body in out
    assert out.startswith(f"# {snapshot.title}\n")
    assert "*By Zoë Müller*" in out and "Status: In review" in out


def test_markdown_highlights_and_comments(snapshot):
    out = EXPORTERS["md"](snapshot).decode("utf-8")
    assert "{==“reckless”==}" not in out  # the flag is on the word, not the quotes
    assert (
        "“{==reckless==}{>>Loaded language (Contentious label, high): Judgement word presented as fact. Suggested: risky, contested<<}”"
        in out
    )
    # Overlapping notes 1-3 are one highlight per paragraph; notes 1 and 2 end in the first
    # paragraph, so their comments follow it, and note 3's follows the second.
    assert "{==cost four million euros.==}{>>On “cost four million”: Needs source" in out
    first, second = out.split("{==Residents 🎉 called==}", 1)
    assert "Is it the total or per year?" in first and "Two paragraphs: tighten." not in first
    assert second.startswith("{>>On “million euros.")
    assert (
        "{>>Fact check — Ana Editor: Source for the figure? — Reply (Ben Writer): From the council budget, p. 12. — Reply (Ana Editor): Thanks — add the page link.<<}"
        not in out
    )
    assert "{>>On “four million euros”: Fact check — Ana Editor: Source for the figure?" in out
    assert "Implies doubt." not in out  # dismissed flag
    assert "Checked with the organisers." in out and "Fact check (resolved)" in out
    assert "(in a direct quotation)" in out
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in out and "<script>" not in out
    tail = out[out.index(REMOVED_HEADING) :]
    assert "“the old second paragraph”" in tail and "This passage was cut." in tail


def test_markdown_escapes_literal_criticmarkup(snapshot):
    out = EXPORTERS["md"](snapshot).decode("utf-8")
    assert "{\\==this=\\=}" not in out
    assert "{==reader wrote" not in out
    # The literal delimiters in the text are defused but still read the same once unescaped.
    assert "{==" + escape("{==this==} and ~>") + "==}" in out
    assert "{\\==this==\\} and ~\\>" in out


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet="{}=<>+-~\\ab\n", max_size=40))
def test_markdown_escaping_is_reversible_and_leaves_no_delimiter(text):
    escaped = escape(text)
    assert unescape(escaped) == text
    assert not re.search(r"\{(==|>>|\+\+|--|~~)|(==|<<|\+\+|--|~~)\}|~>", escaped)


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet="{}=<>+-~\\ab \n", min_size=1, max_size=30), st.data())
def test_markdown_highlights_round_trip_for_any_text(text, data):
    start = data.draw(st.integers(0, len(text) - 1))
    end = data.draw(st.integers(start + 1, len(text)))
    n = NoteSnap(
        1,
        "annotation",
        "comment",
        "Comment",
        "open",
        start,
        end,
        text[start:end],
        "",
        "",
        "a ==} b",
        "x",
        T0,
    )
    body, _ = render_review(text, [n])
    assert strip_criticmarkup(body) == text


def test_markdown_revision_diff_mode():
    old = "The council said the plan was reckless and would cost four million."
    new = "The council said the plan was risky and would cost four million euros."
    snap = dataclasses.replace(
        build_snapshot(), text=new, previous_text=old, previous_revision_number=3, notes=()
    )
    out = EXPORTERS["md"](snap).decode("utf-8")
    assert "{~~reckless~>risky~~}" in out
    assert "{++ euros++}" in out
    assert "Changes from revision 3 to revision 4" in out
    body = out.split("---\n\n", 1)[1].rstrip("\n")
    assert strip_criticmarkup(body) == new


def test_markdown_revision_diff_deletion_and_escaping():
    old = "Keep this. Drop {==that==} sentence. End."
    new = "Keep this. End {==now."
    snap = dataclasses.replace(
        build_snapshot(), text=new, previous_text=old, previous_revision_number=1, notes=()
    )
    body = EXPORTERS["md"](snap).decode("utf-8").split("---\n\n", 1)[1].rstrip("\n")
    assert "{--" in body or "{~~" in body
    assert strip_criticmarkup(body) == new


# ---------------------------------------------------------------------------------------- HTML


class _Tags(HTMLParser):
    def __init__(self):
        super().__init__()
        self.tags, self.attrs, self.data = [], [], []

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)
        self.attrs.extend((tag, k, v or "") for k, v in attrs)

    def handle_data(self, data):
        self.data.append(data)


def test_html_is_inert(snapshot):
    evil = dataclasses.replace(
        snapshot,
        title="Story <script>alert('t')</script> javascript:x",
        byline="<b onclick=x>Z</b>",
        url="javascript:alert(1)",
    )
    out = EXPORTERS["html"](evil).decode("utf-8")
    assert "<script" not in out.lower()
    assert "javascript:" not in out.lower()
    assert not re.search(r"<[^>]*\son\w+\s*=", out, re.I)  # no handler inside any tag
    parser = _Tags()
    parser.feed(out)
    assert (
        "script" not in parser.tags and "textarea" not in parser.tags and "img" not in parser.tags
    )
    assert not [a for a in parser.attrs if a[1].startswith("on")]
    assert not [a for a in parser.attrs if "javascript" in a[2].lower()]
    # The payloads are there, as text.
    text = "".join(parser.data)
    assert "<script>alert(1)</script></textarea>" in text
    assert "<img src=x onerror=alert(3)>" in text
    assert "Story <script>alert('t')</script>" in text


def test_html_is_self_contained(snapshot):
    out = EXPORTERS["html"](snapshot).decode("utf-8")
    assert out.count("<style>") == 1 and "@media print" in out
    assert not re.search(r"(src|href)=\"(https?:)?//", out.split("<body>")[0])
    assert "@import" not in out and "url(" not in out
    assert "break-inside: avoid" in out


def test_html_numbers_every_note_in_text_and_margin(snapshot):
    out = EXPORTERS["html"](snapshot).decode("utf-8")
    notes = shown(snapshot)
    for number in range(1, len(notes) + 1):
        assert (
            out.count(
                f'<sup class="ref" id="ref-{number}"><a href="#note-{number}">{number}</a></sup>'
            )
            == 1
        )
        assert out.count(f'id="note-{number}"') == 1
    assert 'id="note-9"' not in out
    assert "Implies doubt." not in out
    removed = out[out.index(REMOVED_HEADING) :]
    assert "This passage was cut." in removed


def test_html_overlaps_are_flattened_marks(snapshot):
    out = EXPORTERS["html"](snapshot).decode("utf-8")
    # "cost four million" (2), "four million euros" (3) and "million euros. / Residents" (4).
    assert (
        '<mark class="hl">cost </mark><mark class="hl overlap">four </mark>'
        '<mark class="hl overlap">million</mark><sup class="ref" id="ref-2">'
    ) in out
    assert '<mark class="hl overlap"> euros</mark><sup class="ref" id="ref-3">' in out
    assert (
        '<p class="para"><mark class="hl">Residents 🎉 called</mark><sup class="ref" id="ref-4">'
        in out
    )
    # Text outside marks and refs is the article's text.
    parser = _Tags()
    parser.feed(out[out.index('<main class="text">') : out.index("</main>")])
    assert "Zoë Müller, the café owner 😀 on Harbour Road" in "".join(parser.data)


# ----------------------------------------------------------------------------------------- CSV


def read_csv(data: bytes) -> list[list[str]]:
    assert data.startswith(b"\xef\xbb\xbf")
    return list(csv.reader(io.StringIO(data.decode("utf-8-sig"), newline="")))


def test_csv_rows_and_header(snapshot):
    rows = read_csv(EXPORTERS["csv"](snapshot))
    assert rows[0] == HEADER
    assert (
        ",".join(rows[0])
        == "id,kind,category,severity,state,start,end,quote,comment,author,created,resolved"
    )
    assert len(rows) - 1 == len(snapshot.notes)
    by_id = {(r[1], r[0]): dict(zip(HEADER, r, strict=True)) for r in rows[1:]}
    for n in snapshot.notes:
        r = by_id[(n.kind, str(n.id))]
        if n.orphaned:
            assert r["start"] == r["end"] == ""
        else:
            assert snapshot.text[int(r["start"]) : int(r["end"])] == n.exact
        assert datetime.fromisoformat(r["created"]) == n.created
    assert by_id[("annotation", "4")]["resolved"] == (T0 + timedelta(days=1)).isoformat()
    assert by_id[("annotation", "1")]["resolved"] == ""
    assert (
        by_id[("flag", "5")]["severity"] == "high" and by_id[("flag", "6")]["state"] == "dismissed"
    )


def test_csv_defuses_formulas_and_round_trips_awkward_quotes(snapshot):
    rows = read_csv(EXPORTERS["csv"](snapshot))
    payload = next(dict(zip(HEADER, r, strict=True)) for r in rows[1:] if r[0] == "8")
    assert payload["comment"] == "'" + PAYLOAD
    assert payload["author"] == "'-Mallory"
    assert payload["quote"] == "back down,” she said.\nThe vote"
    first = next(dict(zip(HEADER, r, strict=True)) for r in rows[1:] if r[0] == "1")
    assert first["comment"].startswith("Source for the figure?\nReply — Ben Writer")
    for r in rows[1:]:
        for cell in r:
            assert not cell.startswith(("=", "+", "-", "@")), cell


@settings(max_examples=150, deadline=None)
@given(st.text(alphabet="{}=~>+- ab\n", max_size=30), st.text(alphabet="{}=~>+- ab\n", max_size=30))
def test_markdown_revision_diff_strips_to_the_new_text(old, new):
    from reviews.exporters.markdown import render_diff

    assert strip_criticmarkup(render_diff(old, new)) == new


def test_markdown_header_lines_carry_no_live_html(snapshot):
    hostile = dataclasses.replace(snapshot, desk='City “desk” <img src=x onerror=alert(1)>',
                      revision_author="<b>Ana</b>", exported_by="<i>Ben</i>")
    out = EXPORTERS["md"](hostile).decode()
    header = out[: out.index("---")]
    assert "<img" not in header and "<b>" not in header and "<i>" not in header
    assert "Desk: City “desk” &lt;img src=x onerror=alert(1)&gt;" in header


def test_word_comment_ids_are_unique_and_in_order(snapshot):
    xml = zipfile.ZipFile(io.BytesIO(EXPORTERS["docx"](snapshot))).read("word/comments.xml").decode()
    ids = [int(x) for x in re.findall(r'<w:comment [^>]*w:id="(\d+)"', xml)]
    assert ids and ids == list(range(len(ids)))
    document = zipfile.ZipFile(io.BytesIO(EXPORTERS["docx"](snapshot))).read("word/document.xml").decode()
    starts = sorted(int(x) for x in re.findall(r'<w:commentRangeStart w:id="(\d+)"', document))
    assert starts == ids  # every comment is anchored, once
