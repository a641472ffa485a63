"""Importers: article files and W3C Web Annotations, including a round trip through the exporter."""

from __future__ import annotations

import io
import json
import os
import zipfile

import pytest

from reviews.exporters import EXPORTERS
from reviews.importers import (
    ImportRefused,
    IncomingAnnotation,
    anchor_incoming,
    parse_web_annotations,
    read_article,
)
from tests.test_exporters import TEXT, URL, build_snapshot

LIMIT = 1_000_000


def refused(filename: str, data: bytes, limit: int = LIMIT) -> str:
    with pytest.raises(ImportRefused) as info:
        read_article(filename, data, limit)
    return str(info.value)


# ------------------------------------------------------------------------------ plain text / md


def test_txt_keeps_text_and_normalises_line_endings():
    data = "Café owners 😀 worry.\r\nSecond line.\r\n\r\n\r\n\r\nNext paragraph.   \r\n".encode()
    assert read_article("story.TXT", data, LIMIT) == (
        None,
        "Café owners 😀 worry.\nSecond line.\n\nNext paragraph.",
    )


def test_md_takes_a_leading_heading_as_title_and_reads_the_rest_as_text():
    data = b"# Harbour Road: the plan\n\nThe council said.\n\n## Reaction\n\nShops worry."
    assert read_article("s.md", data, LIMIT) == (
        "Harbour Road: the plan",
        "The council said.\n\nReaction\n\nShops worry.",
    )
    assert read_article("s.md", b"No heading here.\n\n# Later", LIMIT) == (
        None,
        "No heading here.\n\nLater",
    )


def test_md_syntax_gives_way_to_its_words_and_lists_keep_their_markers():
    data = (
        b"# Plan\n\nThe **council** voted [yes](https://example.org) on *Tuesday*.\n\n"
        b"- Shops worry\n- Bus users pleased\n\n1. First step\n2. Second step\n\n"
        b"A <script>alert(1)</script> tag is text here."
    )
    assert read_article("s.md", data, LIMIT) == (
        "Plan",
        "The council voted yes on Tuesday.\n\n• Shops worry\n\n• Bus users pleased\n\n"
        "1. First step\n\n2. Second step\n\nA <script>alert(1)</script> tag is text here.",
    )


def test_md_front_matter_is_not_story_text_and_gives_its_title():
    data = b"---\ntitle: Bridge reopens\nauthor: Someone\n---\n\nThe bridge reopened on Monday.\n"
    assert read_article("s.md", data, LIMIT) == ("Bridge reopens", "The bridge reopened on Monday.")
    data = b"---\ntitle: From the front matter\n---\n# The headline\n\nText.\n"
    assert read_article("s.md", data, LIMIT) == ("The headline", "Text.")
    # Two rules around a paragraph are not front matter.
    assert read_article("s.md", b"---\nA short intro.\n---\n\nMore.", LIMIT)[1].startswith("A short intro.")


def test_html_and_word_lists_keep_their_bullets_and_numbers():
    html = b"<h1>T</h1><ul><li><p>One</p></li><li>Two</li></ul><ol><li>A</li><li>B</li></ol>"
    assert read_article("s.html", html, LIMIT) == ("T", "• One\n\n• Two\n\n1. A\n\n2. B")
    import io

    import docx

    document = docx.Document()
    document.add_paragraph("Headline", style="Title")
    document.add_paragraph("Apples", style="List Bullet")
    document.add_paragraph("Pears", style="List Bullet")
    document.add_paragraph("Step one", style="List Number")
    document.add_paragraph("Step two", style="List Number")
    document.add_paragraph("End.")
    out = io.BytesIO()
    document.save(out)
    assert read_article("s.docx", out.getvalue(), LIMIT) == (
        "Headline", "• Apples\n\n• Pears\n\n1. Step one\n\n2. Step two\n\nEnd."
    )


@pytest.mark.parametrize(
    "data",
    [
        "\ufeffZoë said: “fine”.".encode("utf-8"),
        b"\xff\xfe" + "Zoë said: “fine”.".encode("utf-16-le"),
        b"\xfe\xff" + "Zoë said: “fine”.".encode("utf-16-be"),
    ],
    ids=["utf-8-bom", "utf-16-le", "utf-16-be"],
)
def test_text_encodings_with_a_bom(data):
    assert read_article("a.txt", data, LIMIT) == (None, "Zoë said: “fine”.")


def test_latin1_is_refused():
    message = refused("a.txt", "Zoë and café".encode("latin-1"))
    assert "not UTF-8 or UTF-16" in message


def test_binary_junk_is_refused():
    assert "not UTF-8 or UTF-16" in refused("a.txt", os.urandom(4096) + b"\xff\xff")
    assert "binary" in refused("a.md", b"looks like text\x00\x00\x00 but is not")


def test_empty_and_blank_files_are_refused():
    assert refused("a.txt", b"") == "The file is empty."
    assert "No text found" in refused("a.txt", b"  \n\n \r\n")
    assert "No text found" in refused("a.html", b"<html><body><script>x()</script></body></html>")


def test_too_large_is_refused_with_size_and_limit():
    message = refused("a.txt", b"x" * 2048, limit=1024)
    assert "2,048 bytes" in message and "1,024 bytes" in message and "2.0 KB" in message


def test_unknown_extension_names_the_accepted_ones():
    message = refused("story.pdf", b"%PDF-1.4")
    assert "“.pdf”" in message and ".txt, .md, .docx, .html, .htm" in message
    assert "without an extension" in refused("README", b"text")


# ----------------------------------------------------------------------------------------- docx


def make_docx() -> bytes:
    import docx

    document = docx.Document()
    document.add_paragraph("")
    document.add_heading("Harbour Road bus lane", level=0)
    document.add_paragraph("Zoë Müller said the plan was “reckless”.")
    document.add_paragraph("")
    para = document.add_paragraph("A line")
    para.add_run().add_break()
    para.add_run("and the next.")
    document.add_heading("Reaction", level=1)
    table = document.add_table(rows=1, cols=2)
    table.cell(0, 0).text = "Cell one"
    table.cell(0, 1).text = "Cell two 😀"
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def test_docx_paragraphs_and_title():
    title, body = read_article("story.docx", make_docx(), LIMIT)
    assert title == "Harbour Road bus lane"
    assert (
        body
        == "Zoë Müller said the plan was “reckless”.\n\nA line\nand the next.\n\nReaction\n\nCell one\n\nCell two 😀"
    )


def test_docx_heading_1_first_is_the_title():
    import docx

    document = docx.Document()
    document.add_heading("Headline", level=1)
    document.add_paragraph("Body.")
    out = io.BytesIO()
    document.save(out)
    assert read_article("s.docx", out.getvalue(), LIMIT) == ("Headline", "Body.")


def test_corrupt_docx_is_refused():
    assert "not a valid Word document" in refused("story.docx", os.urandom(3000))
    zipped = io.BytesIO()
    with zipfile.ZipFile(zipped, "w") as z:
        z.writestr("hello.txt", "not a word document")
    assert "not a valid Word document" in refused("story.docx", zipped.getvalue())
    broken = io.BytesIO()
    with zipfile.ZipFile(broken, "w") as z:
        z.writestr("word/document.xml", "<not-xml")
    assert "not a valid Word document" in refused("story.docx", broken.getvalue())


# ----------------------------------------------------------------------------------------- html

HTML = """<!DOCTYPE html>
<html><head><meta charset="utf-8"><title>Site | Harbour Road</title>
<style>p { color: red } .secret-style {}</style>
<script>alert(1); var secretScript = 1;</script></head>
<body>
<nav>Home</nav>
<h1>Harbour  Road &amp; the plan</h1>
<p>Zoë  said
the plan was <b>“reckless”</b>.<br>New line here.</p>
<div>Div text<div>nested div</div></div>
<ul><li>First item<ul><li>Nested item</li></ul></li><li>Second item</li></ul>
<blockquote>Quoted words</blockquote>
<h2>Reaction</h2>
<img src=x onerror="alert(2)">
<noscript>no script text</noscript>
<pre>keep   spaces</pre>
</body></html>"""


def test_html_text_blocks_title_and_no_script_or_style():
    title, body = read_article("page.html", HTML.encode(), LIMIT)
    assert title == "Harbour Road & the plan"
    assert body.split("\n\n") == [
        "Zoë said the plan was “reckless”.",
        "New line here.",
        "Div text",
        "nested div",
        "• First item",
        "• Nested item",
        "• Second item",
        "Quoted words",
        "Reaction",
        "keep   spaces",
    ]
    for hidden in ("secret", "alert", "color", "no script text", "Site |", "Home"):
        assert hidden not in body


def test_a_saved_web_page_keeps_its_story_and_drops_the_sites_furniture():
    page = """<html><head><title>Daily Planet | Floods</title></head><body>
    <header><a href="/">Daily Planet</a><nav><a>Home</a> | <a>Sport</a></nav></header>
    <main><article><header><h1>River bursts its banks</h1><p>By Ana Ruiz</p></header>
    <p>The river rose two metres overnight.</p><button>Share</button>
    <aside>Read more: last year's floods</aside>
    <footer>Ana Ruiz covers the environment.</footer></article></main>
    <aside>Most read</aside><footer>© Daily Planet 2026 · Cookie settings</footer></body></html>"""
    title, body = read_article("floods.html", page.encode(), LIMIT)
    assert title == "River bursts its banks"
    assert body.split("\n\n") == [
        "By Ana Ruiz",
        "The river rose two metres overnight.",
        "Read more: last year's floods",
        "Ana Ruiz covers the environment.",
    ]
    # A teaser or a comment is an <article> too; inside the page's furniture, or beside a
    # <main>, it is not the story; the site's name in an <h1> of its header is not the title.
    blog = """<header><h1>The Gazette</h1></header>
    <div class="post"><h1>Ferry fares rise</h1><p>Fares rise by a tenth.</p></div>
    <aside><article>Teaser about ferries.</article></aside>
    <section id="comments"><article class="comment">Great post!</article></section>"""
    assert read_article("post.html", blog.encode(), LIMIT) == ("Ferry fares rise", "Fares rise by a tenth.")
    news = """<article><h1>Bridge reopens</h1><p>The bridge reopened on Monday after repairs.</p>
    <p>Traffic was light.</p></article><section><article>Related: the bridge closed</article></section>"""
    assert read_article("bridge.html", news.encode(), LIMIT) == (
        "Bridge reopens", "The bridge reopened on Monday after repairs.\n\nTraffic was light."
    )
    with_main = """<header><h1>The Gazette</h1></header><main><h1>Council votes</h1>
    <p>The vote was 7-4.</p></main><section><article>Related: last year's vote</article></section>"""
    assert read_article("vote.html", with_main.encode(), LIMIT) == ("Council votes", "The vote was 7-4.")
    # No <article> or <main>: the page's own header, footer and asides go, the rest stays.
    plain = """<body><header>Daily Planet</header><h1>Storm</h1><p>Winds of 90 mph.</p>
    <aside>Most read</aside><footer>© Daily Planet</footer></body>"""
    assert read_article("storm.html", plain.encode(), LIMIT) == ("Storm", "Winds of 90 mph.")


def test_html_title_element_when_there_is_no_h1():
    data = b"\xff\xfe" + "<title>The title</title><p>Body é</p>".encode("utf-16-le")
    assert read_article("p.htm", data, LIMIT) == ("The title", "Body é")


# ------------------------------------------------------------------------------ web annotations


def annotation(id="https://x.example/a/1", exact="four million euros", **extra) -> dict:
    item = {
        "@context": "http://www.w3.org/ns/anno.jsonld",
        "id": id,
        "type": "Annotation",
        "motivation": "commenting",
        "creator": {"type": "Person", "name": "Ana"},
        "created": "2025-03-12T09:30:00Z",
        "body": {"type": "TextualBody", "value": "Source?", "purpose": "commenting"},
        "target": {"source": URL, "selector": {"type": "TextQuoteSelector", "exact": exact}},
    }
    item.update(extra)
    return item


def test_single_annotation():
    parsed = parse_web_annotations(json.dumps(annotation()).encode())
    [item] = parsed.annotations
    assert (item.exact, item.body, item.creator, item.source) == (
        "four million euros",
        "Source?",
        "Ana",
        URL,
    )
    assert item.created.isoformat() == "2025-03-12T09:30:00+00:00"
    assert parsed.rejected == []


def test_list_of_annotations_with_a_reply_and_a_rejected_one():
    reply = {"id": "r1", "type": "Annotation", "motivation": "replying", "target": "https://x.example/a/1",
             "body": {"type": "TextualBody", "value": "From the budget."}}  # fmt: skip
    no_selector = annotation(id="https://x.example/a/2", target=URL)
    data = json.dumps([annotation(), reply, no_selector]).encode()
    parsed = parse_web_annotations(data)
    assert len(parsed) == 1
    assert [r.body for r in parsed.annotations[0].replies] == ["From the budget."]
    assert parsed.annotations[0].replies[0].reply_to == "https://x.example/a/1"
    assert parsed.rejected == [
        ("https://x.example/a/2", "no TextQuoteSelector or TextPositionSelector in its target")
    ]


def test_collection_with_embedded_pages_and_a_bare_page():
    page2 = {"type": "AnnotationPage", "items": [annotation(id="b", exact="reckless")]}
    collection = {
        "@context": "http://www.w3.org/ns/anno.jsonld",
        "type": "AnnotationCollection",
        "first": {"type": "AnnotationPage", "items": [annotation(id="a")], "next": page2},
    }
    assert [a.source_id for a in parse_web_annotations(json.dumps(collection).encode())] == [
        "a",
        "b",
    ]
    assert [a.source_id for a in parse_web_annotations(json.dumps(page2).encode())] == ["b"]


@pytest.mark.parametrize(
    "data, reason",
    [
        (b"not json", "not valid JSON"),
        (b"", "empty"),
        (b'{"name": "a contact card"}', "not a W3C Web Annotation file"),
        (b"[1, 2, 3]", "not a W3C Web Annotation file"),
        (
            b'{"type": "AnnotationCollection", "first": "https://x.example/page1"}',
            "pages are links",
        ),
        (json.dumps([annotation(target="https://x.example/")]).encode(), "No usable annotation"),
    ],
)
def test_not_web_annotation_is_refused(data, reason):
    with pytest.raises(ImportRefused) as info:
        parse_web_annotations(data)
    assert reason in str(info.value)


def test_position_only_and_quote_only_annotations():
    text = "The plan would cost four million euros, the council said."
    pos_only = IncomingAnnotation("p", start=20, end=38)
    quote_only = IncomingAnnotation("q", exact="four million euros", prefix="cost ", suffix=", the")
    outside = IncomingAnnotation("o", start=200, end=210)
    results = anchor_incoming(text, [pos_only, quote_only, outside])
    assert [(r[1], r[2]) for r in results] == [
        ((20, 38), "anchored"),
        ((20, 38), "re-anchored"),
        (None, "rejected"),
    ]


def test_repeated_quote_without_deciding_context_is_rejected():
    text = "the council said no. Later the council said yes."
    [(_, where, how, reason)] = anchor_incoming(text, [IncomingAnnotation("x", exact="council")])
    assert (where, how) == (None, "rejected") and "more than once" in reason


def test_lightly_edited_quote_is_found_approximately():
    text = "Residents said the scheme was a war against motorists, at a packed Tuesday meeting."
    item = IncomingAnnotation(
        "x",
        exact="the scheme was a war on motorists",
        prefix="Residents said ",
        suffix=", at a packed",
    )
    [(_, where, how, _)] = anchor_incoming(text, [item])
    assert (
        how == "re-anchored"
        and text[where[0] : where[1]] == "the scheme was a war against motorists"
    )
    unrelated = IncomingAnnotation(
        "y", exact="an entirely different sentence here", prefix="zzz", suffix="qqq"
    )
    assert anchor_incoming(text, [unrelated])[0][2] == "rejected"


# ------------------------------------------------------------------------- round trip via JSON-LD


def test_round_trip_onto_the_same_text():
    snapshot = build_snapshot()
    parsed = parse_web_annotations(EXPORTERS["jsonld"](snapshot))
    assert parsed.rejected == []
    placed = {
        item.source_id: (item, where, how, reason)
        for item, where, how, reason in anchor_incoming(snapshot.text, parsed.annotations)
    }
    assert len(placed) == len(snapshot.notes)
    for note in snapshot.notes:
        kind = "flag" if note.kind == "flag" else "annotation"
        item, where, how, reason = placed[f"{URL}#{kind}-{note.id}"]
        assert (item.body, item.category, item.creator, item.created) == (
            note.body,
            note.category,
            note.author,
            note.created,
        )
        assert (item.state, item.kind) == (note.state, note.kind)
        assert item.suggestions == list(note.suggestions)
        assert [(r.body, r.creator) for r in item.replies] == [
            (r.body, r.author) for r in note.replies
        ]
        if note.orphaned:
            assert (where, how, reason) == (None, "rejected", "quote not found in the text")
        else:
            assert (where, how) == ((note.start, note.end), "anchored")


def test_round_trip_onto_a_lightly_edited_text():
    snapshot = build_snapshot()
    data = EXPORTERS["jsonld"](snapshot)
    inserted = "local "
    edited = TEXT.replace("the café owner", "the local café owner")
    shift = len(inserted)
    at = TEXT.index("café owner")
    results = anchor_incoming(edited, parse_web_annotations(data).annotations)
    for note in snapshot.anchored_notes:
        kind = "flag" if note.kind == "flag" else "annotation"
        item, where, how, _ = next(
            r for r in results if r[0].source_id == f"{URL}#{kind}-{note.id}"
        )
        assert note.start > at
        assert how == "re-anchored" and where == (note.start + shift, note.end + shift), note.id
        assert edited[where[0] : where[1]] == note.exact
