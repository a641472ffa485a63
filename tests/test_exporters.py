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
    document, comments = docx_parts(EXPORTERS["docx"](snapshot))
    ranges = comment_ranges(document)
    texts = comment_texts(comments)
    expected = shown(snapshot)
    assert len(texts) == len(ranges) == len(expected) == 8
    for n in expected:
        matching = [cid for cid, (text, _, _) in texts.items() if n.body in text]
        assert len(matching) == 1, n.id
        cid = matching[0]
        text, author, date = texts[cid]
        assert ranges[cid] == as_paragraph_breaks(snapshot.text[n.start : n.end]), n.id
        assert author == n.author
        assert datetime.fromisoformat(date.replace("Z", "+00:00")) == n.created
    # Dismissed flags and orphans are not comments.
    everything = "\n".join(t for t, _, _ in texts.values())
    assert "Implies doubt." not in everything and "This passage was cut." not in everything


def test_docx_comment_text_carries_category_replies_and_flag_details(snapshot):
    _, comments = docx_parts(EXPORTERS["docx"](snapshot))
    texts = [t for t, _, _ in comment_texts(comments).values()]
    first = next(t for t in texts if "Source for the figure?" in t)
    assert first.startswith("[Fact check] Source for the figure?")
    assert (
        "\nReply — Ben Writer, 12 Mar 2025, 10:30 UTC+01:00: From the council budget, p. 12."
        in first
    )
    assert "\nReply — Ana Editor" in first
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
