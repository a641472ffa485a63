"""Every import does bounded work: pathological files are refused with a clear message (or
placed quickly), in well under a second each, and ordinary files import as before.

The "before" figures in the comments were measured on the code these tests were written
against; each test here failed there (a timing bound exceeded, or no refusal)."""

from __future__ import annotations

import io
import json
import re
import time
import zipfile

import pytest

from reviews import anchoring, importers
from reviews.importers import (
    MAX_HTML_DEPTH,
    MAX_PARAGRAPHS,
    ImportRefused,
    IncomingAnnotation,
    anchor_incoming,
    parse_web_annotations,
    read_article,
)
from reviews.language.formats import (
    ALIASES_REFUSED,
    MAX_TERMS,
    parse_csv,
    parse_vale_yaml,
    to_csv,
)
from reviews.language.lexicon import Term

LIMIT = 5 * 1024 * 1024
QUICK = 1.0  # seconds: every pathological case here takes a few milliseconds


class quickly:
    """with quickly(): ... fails when the block takes longer than QUICK seconds."""

    def __enter__(self):
        self.started = time.perf_counter()
        return self

    def __exit__(self, *exc):
        self.seconds = time.perf_counter() - self.started
        if exc[0] is None:
            assert self.seconds < QUICK, f"took {self.seconds:.2f} s"


def refused(filename: str, data: bytes) -> str:
    with quickly(), pytest.raises(ImportRefused) as info:
        read_article(filename, data, LIMIT)
    return str(info.value)


def alias_bomb(depth: int, leaf: str = "x") -> str:
    """Nested YAML aliases: a few hundred bytes that expand to 9**(depth + 1) leaves."""
    lines = [f"a0: &a0 [{','.join([leaf] * 9)}]"]
    lines += [f"a{i}: &a{i} [{','.join([f'*a{i - 1}'] * 9)}]" for i in range(1, depth + 1)]
    return "\n".join(lines)


# ----------------------------------------------------------------------------------- YAML


def test_markdown_front_matter_with_aliases_is_refused_before_anything_is_built():
    # Before: a 436-byte file (depth 7) gave a 44-million-character title and 451 MB.
    data = ("---\n" + alias_bomb(5) + "\ntitle: *a5\n---\n\nText.\n").encode()
    message = refused("bomb.md", data)
    assert "front matter" in message and ALIASES_REFUSED in message
    # An anchor alone is refused too: it is only ever there to be repeated.
    assert ALIASES_REFUSED in refused("a.md", b"---\ntitle: &t Bridge\n---\n\nText.\n")


def test_front_matter_title_must_be_text():
    message = refused("n.md", b"---\ntitle: 1984\n---\n\nText.\n")
    assert "title" in message and "a number, not text" in message and "quotes" in message
    assert "a list, not text" in refused("l.md", b"---\ntitle: [a, b]\n---\n\nText.\n")
    assert read_article("q.md", b'---\ntitle: "1984"\n---\n\nText.\n', LIMIT) == ("1984", "Text.")
    assert read_article("e.md", b"---\ntitle:\n---\n\nText.\n", LIMIT) == (None, "Text.")


def test_markdown_between_two_rules_is_still_text():
    # "*Note: ..." reads as a YAML alias, but without a "key:" line it is not front matter.
    title, body = read_article("m.md", b"---\n*Note: this\n---\n\nMore.\n", LIMIT)
    assert "Note: this" in body and "More." in body


def test_yaml_nested_too_deep_is_refused():
    data = ("---\ntitle: T\nx: " + "[" * 200 + "]" * 200 + "\n---\n\nText.\n").encode()
    assert "nested more than" in refused("deep.md", data)
    terms, errors = parse_vale_yaml("extends: existence\ntokens: " + "[" * 100 + "]" * 100, "puffery")
    assert terms == [] and "nested more than" in errors[0].reason


@pytest.mark.parametrize(
    "rule",
    [
        "extends: existence\ntokens: [*a5]\n",
        "extends: substitution\nswap:\n  slammed: *a5\n",
        "extends: existence\nmessage: *a5\ntokens: [brazen]\n",
    ],
    ids=["tokens", "swap", "message"],
)
def test_vale_rule_with_aliases_is_refused(rule):
    # Before: the same trick answered with a 92 MB error page.
    with quickly():
        terms, errors = parse_vale_yaml(alias_bomb(5) + "\n" + rule, "editorializing")
    assert terms == [] and [e.reason for e in errors] == [f"{ALIASES_REFUSED} (line 1)"]


def test_vale_values_that_are_not_text_are_refused_not_converted():
    terms, errors = parse_vale_yaml(
        "extends: existence\ntokens: [obviously, 1984, [a, b], yes, null]\n", "editorializing"
    )
    assert terms == []
    assert [(e.row, e.reason) for e in errors] == [
        (2, "this token is a number, not text; put it in quotes"),
        (3, "this token is a list, not text; put it in quotes"),
        (4, "this token is true or false, not text; put it in quotes"),
        (5, "this token is empty"),
    ]
    terms, errors = parse_vale_yaml(
        "extends: substitution\nswap:\n  slammed: ~\n  1984: year\n", "loaded_verb"
    )
    assert [(e.row, e.reason) for e in errors] == [
        (1, "the replacement for “slammed” is empty"),
        (2, "this phrase is a number, not text; put it in quotes"),
    ]
    for key in ("level: 3", "message: [a]", "description: {a: b}", "extends: [existence]"):
        terms, errors = parse_vale_yaml(f"{key}\nextends: existence\ntokens: [brazen]\n", "puffery")
        if key.startswith("extends"):
            terms, errors = parse_vale_yaml(f"{key}\ntokens: [brazen]\n", "puffery")
        assert terms == [] and "must be text" in errors[0].reason, key


def test_vale_and_csv_files_hold_at_most_max_terms():
    tokens = "".join(f"  - word{i}\n" for i in range(MAX_TERMS + 1))
    terms, errors = parse_vale_yaml("extends: existence\ntokens:\n" + tokens, "puffery")
    assert terms == [] and f"at most {MAX_TERMS:,}" in errors[0].reason
    rows = "".join(f"word{i},puffery,warn,Why.,,,\n" for i in range(MAX_TERMS + 1))
    terms, errors = parse_csv("phrase,category,severity,rationale,alternatives,style_note,exceptions\n" + rows)
    assert terms == [] and f"at most {MAX_TERMS:,}" in errors[0].reason


def test_csv_with_a_field_too_large_for_the_csv_module_is_a_bad_row_not_a_crash():
    text = "phrase,category,severity,rationale\nbrazen,puffery,warn," + '"' + "x" * 200_000 + '"\n'
    terms, errors = parse_csv(text)
    assert terms == [] and "not a readable CSV row" in errors[0].reason


# ------------------------------------------------------------------------------ lexicon CSV


def test_lexicon_csv_export_defuses_formulas_and_imports_them_back_unchanged():
    terms = [
        Term('=HYPERLINK("http://x.example","y") now', "editorializing", "warn",
             "=cmd|' /C calc'!A0", ("-minus", "plus"), "@style note",
             ('=HYPERLINK("http://x.example","y") now and then',)),
        Term("'tis the season", "puffery", "info", "'=already an apostrophe", (), "'s note", ()),
        Term("''+two apostrophes", "puffery", "info", "Fine.", (), "", ()),
    ]  # fmt: skip
    text = to_csv(terms)
    rows = text.splitlines()[1:]
    # Every cell a spreadsheet would run starts with an apostrophe, as in the story CSV export.
    assert rows[0].startswith("\"'=HYPERLINK(") and ",'=cmd|" in rows[0]
    assert ",'-minus | plus,'@style note," in rows[0]
    # A cell that already starts with apostrophes before a formula character gets one more;
    # one like "'tis" or "'s" is left as it is.
    assert rows[1] == "'tis the season,puffery,info,''=already an apostrophe,,'s note,"
    assert rows[2].startswith("'''+two")
    for line in rows:
        for cell in line.split(","):
            assert not re.match(r"[=+\-@\t\r]", cell), cell
    back, errors = parse_csv(text)
    assert errors == [] and back == terms


# --------------------------------------------------------------------------------- Word


def docx_with(body_xml: str) -> bytes:
    """A Word document (python-docx's template) whose body is body_xml: built by rewriting
    word/document.xml, which is much faster than adding paragraphs one at a time."""
    import docx

    document = docx.Document()
    document.add_paragraph("placeholder")
    out = io.BytesIO()
    document.save(out)
    src = zipfile.ZipFile(io.BytesIO(out.getvalue()))
    xml = src.read("word/document.xml").decode()
    xml = re.sub(r"<w:body>.*?(<w:sectPr)", lambda m: "<w:body>" + body_xml + m.group(1), xml,
                 flags=re.DOTALL)  # fmt: skip
    rebuilt = io.BytesIO()
    with zipfile.ZipFile(rebuilt, "w", zipfile.ZIP_DEFLATED) as dst:
        for item in src.infolist():
            dst.writestr(item, xml if item.filename == "word/document.xml" else src.read(item))
    return rebuilt.getvalue()


def paragraphs(n: int, text: str = "x") -> str:
    return f"<w:p><w:r><w:t>{text}</w:t></w:r></w:p>" * n


def test_word_paragraphs_are_read_in_linear_time():
    # Before: 2 ms a paragraph (python-docx looked each paragraph's style up among all the
    # document's styles): 1,500 paragraphs took 6 s, 20,000 took 48 s.
    data = docx_with(paragraphs(1500) + '<w:p><w:pPr><w:pStyle w:val="Title"/></w:pPr>'
                     "<w:r><w:t>The headline</w:t></w:r></w:p>")  # fmt: skip
    with quickly():
        title, body = read_article("many.docx", data, LIMIT)
    assert title == "The headline" and body.count("\n\n") == 1499


def test_word_document_with_too_many_paragraphs_is_refused_before_it_is_read():
    # A 36 KB file of 20,000 one-letter paragraphs; empty paragraphs count too.
    message = refused("many.docx", docx_with(paragraphs(MAX_PARAGRAPHS + 1)))
    assert f"more than {MAX_PARAGRAPHS:,} paragraphs" in message
    assert "empty ones included" in refused("empty.docx", docx_with("<w:p/>" * 100_000))


def test_word_paragraph_of_a_million_runs_is_refused_quickly():
    # Before: python-docx's paragraph text evaluates an XPath query per run whose cost grows
    # with the paragraph: 50,000 runs (39 KB zipped) took 14 s, a million (92 KB) 114 s.
    run = "<w:r><w:t>a</w:t></w:r>"
    message = refused("runs.docx", docx_with(f"<w:p>{run * 400_000}</w:p>"))
    assert "too much formatting" in message
    with quickly():
        _, body = read_article("runs.docx", docx_with(f"<w:p>{run * 50_000}</w:p>"), LIMIT)
    assert body == "a" * 50_000


def test_word_paragraph_text_is_python_docx_text():
    import docx
    from docx.enum.text import WD_BREAK

    document = docx.Document()
    para = document.add_paragraph("Tab\there, ")
    para.add_run("line").add_break()
    para.add_run("next")
    para.add_run().add_break(WD_BREAK.PAGE)
    para.add_run("after the page break")
    out = io.BytesIO()
    document.save(out)
    hyperlink = (
        '<w:p><w:r><w:t xml:space="preserve">See </w:t></w:r><w:hyperlink r:id="rId99">'
        "<w:r><w:t>the report</w:t></w:r></w:hyperlink><w:r><w:noBreakHyphen/><w:ptab/>"
        "<w:cr/><w:t>end</w:t></w:r></w:p>"
    )
    xml = zipfile.ZipFile(io.BytesIO(out.getvalue())).read("word/document.xml").decode()
    body_xml = re.search(r"<w:body>(.*?)<w:sectPr", xml, re.DOTALL).group(1) + hyperlink
    data = docx_with(body_xml)
    expected = [p.text for p in docx.Document(io.BytesIO(data)).paragraphs]
    assert expected == ["Tab\there, line\nnextafter the page break", "See the report-\t\nend"]
    assert read_article("t.docx", data, LIMIT)[1] == importers.tidy("\n\n".join(expected))


def test_word_cell_merged_down_rows_is_read_once():
    def cell(text, merge=""):
        merged = f'<w:tcPr><w:vMerge w:val="{merge}"/></w:tcPr>' if merge else ""
        content = paragraphs(1, text) if text else "<w:p/>"
        return f"<w:tc>{merged}{content}</w:tc>"

    rows = [cell("Merged", "restart") + cell("One")]
    rows += [cell("", "continue") + cell(word) for word in ("Two", "Three")]
    table = "<w:tbl>" + "".join(f"<w:tr>{r}</w:tr>" for r in rows) + "</w:tbl>"
    title, body = read_article("t.docx", docx_with(table), LIMIT)
    # Before, the merged cell's text came again for every row it spans: a 5 MB file could
    # repeat one long cell thousands of times.
    assert body.split("\n\n") == ["Merged", "One", "Two", "Three"]


# --------------------------------------------------------------------------------- HTML


def test_deeply_nested_html_is_refused():
    # Before: 200,000 nested <div>s ran for over 300 s; 20,000 nested <ul><li> took 7.4 s.
    message = refused("divs.html", ("<div>" * 200_000 + "x" + "</div>" * 200_000).encode())
    assert f"nested more than {MAX_HTML_DEPTH:,} elements deep" in message
    refused("lists.html", ("<ul><li>" * 20_000 + "x").encode())
    refused("spans.html", ("<span>" * 20_000 + "x").encode())
    # Tags whose end the HTML standard implies do not nest: thousands of them are fine.
    with quickly():
        _, body = read_article("p.html", ("<p>x<li>y<option>z" * 1_000).encode(), LIMIT)
        _, body2 = read_article("d.html", ("<dl>" + "<dt>a<dd>b" * 1_000).encode(), LIMIT)
    assert body.count("\n\n") == body2.count("\n\n") == 1_999
    # Nesting up to the limit is read as before.
    _, body = read_article("ok.html", ("<div>" * 400 + "deep" + "</div>" * 400).encode(), LIMIT)
    assert body == "deep"


@pytest.mark.parametrize(
    "markup",
    [
        # One tag with 80,000 attributes: html5ever compares each with all before it (2.4 s).
        "<div " + " ".join(f"a{i}" for i in range(80_000)) + ">x</div>",
        # Formatting elements closed by a paragraph's end are reopened for the next one, all of
        # them when their attributes differ: 4,000 of these took 9 s, 8,000 two minutes.
        "".join(f"<p><b id={i}>x</p>" for i in range(4_000)),
        # The adoption agency keeps these nested in html5ever, however they close.
        "<b><div></b>" * 3_000,
        "<div><table><td></div>" * 3_000,
        "<svg><foreignObject><div/>" * 3_000,
    ],
    ids=["attributes", "reopened-formatting", "adoption-agency", "table-scope", "svg-door"],
)
def test_html_that_makes_the_parser_slow_is_read_quickly_or_refused(markup):
    with quickly():
        try:
            read_article("slow.html", markup.encode(), LIMIT)
        except ImportRefused as exc:
            assert "nested more than" in str(exc)


def test_html_with_too_many_tags_is_refused(monkeypatch):
    monkeypatch.setattr(importers, "MAX_HTML_TAGS", 1_000)
    message = refused("tags.html", ("<i>x</i>" * 501).encode())
    assert "more than 1,000 HTML tags" in message
    assert read_article("ok.html", ("<i>x</i>" * 500).encode(), LIMIT)[1] == "x" * 500


def test_html_is_read_as_before_through_the_bounded_reader():
    page = """<!DOCTYPE html><html><head><title>T &amp; co</title>
    <script>if (a<b) document.write('<div>' + "</p>");</script><!-- <h1>commented</h1> -->
    <style>p > b { color: red }</style></head><body>
    <h1 class="x" data-y='a>b'>Headline</h1><p>One <b>bold <i>and</b> italic</i> 3 < 4 &lt; 5
    <p>Two<table><tr><td>cell<td>next</table>
    <svg><title>icon</title><path d="M0"/></svg><math><mi>x</mi></math>
    <ul><li>a<li>b</ul><dl><dt>term<dd>definition</dl><pre>  keep   spaces</pre>
    <textarea>no <b>tags</b></textarea><select><option>o</select>text after</body></html>"""
    assert read_article("page.html", page.encode(), LIMIT) == (
        "Headline",
        "One bold and italic 3 < 4 < 5\n\nTwo\n\ncell\n\nnext\n\n• a\n\n• b\n\nterm\n\n"
        "definition\n\n  keep   spaces\n\ntext after",
    )


def test_markdown_is_bounded_before_it_is_read():
    # markdown-it-py spends tens of microseconds on each link or emphasis mark: half a
    # megabyte of "![a" took 13 s.
    message = refused("marks.md", b"![a" * 30_000)
    assert "emphasis, link and code marks" in message
    assert "at most 300,000" in refused("long.md", b"word " * 70_000)
    message = refused("items.md", b"- a\n" * (MAX_PARAGRAPHS + 1))
    assert f"a story can have at most {MAX_PARAGRAPHS:,}" in message


def test_a_story_has_at_most_max_paragraphs():
    message = refused("many.txt", b"x\n\n" * (MAX_PARAGRAPHS + 1))
    assert f"{MAX_PARAGRAPHS + 1:,} paragraphs; a story can have at most {MAX_PARAGRAPHS:,}" in message


# -------------------------------------------------------------------------- annotations


def one_annotation(**selector) -> bytes:
    return json.dumps({
        "type": "Annotation",
        "bodyValue": "Note.",
        "target": {"selector": {"type": "TextQuoteSelector", **selector}},
    }).encode()  # fmt: skip


def test_long_context_on_a_repetitive_text_is_placed_quickly():
    # Before: exact "a" with 20,000 characters of prefix and suffix on a story of 20,000 "a"s
    # took 38.6 s (the context compared character by character at every occurrence).
    text = "a" * 20_000
    parsed = parse_web_annotations(one_annotation(exact="a", prefix=text, suffix=text))
    [item] = parsed.annotations
    # Context is cut to the part nearest the quote.
    assert len(item.prefix) == len(item.suffix) == anchoring.MAX_QUOTE_CONTEXT
    with quickly():
        [(_, where, how, reason)] = anchor_incoming(text, [item])
    assert (where, how) == (None, "rejected") and "more than once" in reason
    with quickly():
        assert anchoring.locate_quote(text, "a", text, text) is None
        assert anchoring.locate_quote(text, "a", text, text, hint=5) is None


def test_long_context_still_places_a_quote_by_the_part_nearest_it():
    text = "filler " * 300 + "the council said yes. " + "filler " * 300 + "the council said no."
    prefix = "something else entirely " * 100 + "filler filler "
    item = IncomingAnnotation("x", exact="the council said", prefix=prefix, suffix=" yes. filler")
    [(_, where, how, _)] = anchor_incoming(text, [item])
    assert how == "re-anchored" and where == (2100, 2116)


def test_a_long_edited_quote_is_found_quickly():
    # Before: 1.9 s for an edited quote of 1,800 characters (every pair of word boundaries
    # in the window, each compared whole).
    words = [f"word{i % 97}x{i % 13}" for i in range(3000)]
    text = " ".join(words)
    start = text.index(" ", 5000) + 1
    passage = text[start : start + 1800]
    passage = passage[: passage.rindex(" ")]
    edited = passage.replace("word1", "WORD1").replace("x3 ", "x3 new ")
    item = IncomingAnnotation("x", exact=edited, prefix=text[start - 32 : start])
    with quickly():
        [(_, where, how, reason)] = anchor_incoming(text, [item])
    assert how == "re-anchored" and reason == "an edited version of the quote was found"
    assert where == (start, start + len(passage))


def test_quotes_too_long_to_search_for_are_placed_by_position_only():
    text = "x" * 30_000
    long_quote = "y" * (importers.MAX_QUOTE_CHARS + 1)
    item = IncomingAnnotation("far", exact=long_quote, start=0, end=len(long_quote))
    [(_, where, how, reason)] = anchor_incoming(text, [item])
    assert where is None and "too long to search for" in reason
    at_position = IncomingAnnotation("here", exact=text[:20_000], start=0, end=20_000)
    assert anchor_incoming(text, [at_position])[0][1:3] == ((0, 20_000), "anchored")


def test_one_import_searches_within_a_budget(monkeypatch):
    text = "The council met on Tuesday. " * 2000
    missing = [IncomingAnnotation(f"m{i}", exact=f"a quote that is nowhere {i}") for i in range(50)]
    placed = IncomingAnnotation("p", exact="met on Tuesday", start=12, end=26)
    # Enough for two quotes looked for exactly and then approximately (see SEARCH_BUDGET).
    monkeypatch.setattr(importers, "SEARCH_BUDGET", 2 * (105 * len(text) + 3_000_000))
    results = anchor_incoming(text, [*missing, placed])
    reasons = [reason for _, _, _, reason in results]
    assert reasons[:2] == ["quote not found in the text"] * 2
    assert reasons[2:50] == [importers._SEARCHED_ENOUGH] * 48
    # An annotation at its position is placed however much searching the others used.
    assert results[-1][1:3] == ((12, 26), "anchored")
    # A whole file of 20,000 such annotations stays quick.
    monkeypatch.undo()
    many = [IncomingAnnotation(f"m{i}", exact=f"a quote that is nowhere {i}") for i in range(20_000)]
    with quickly():
        anchor_incoming(text, many)


@pytest.mark.parametrize("field", ["bodyValue", "exact", "prefix", "suffix", "creator", "id"])
def test_lone_surrogates_are_set_aside_with_a_reason(field):
    bad = {
        "type": "Annotation",
        "id": "bad",
        "creator": "Ana",
        "bodyValue": "Note.",
        "target": {
            "selector": {"type": "TextQuoteSelector", "exact": "plan", "prefix": "the ", "suffix": " was"}
        },
    }
    if field in ("exact", "prefix", "suffix"):
        bad["target"]["selector"][field] = "pl\ud800an"
    else:
        bad[field] = "A\ud800na"
    good = {"type": "Annotation", "id": "good", "bodyValue": "Fine.",
            "target": {"selector": {"type": "TextQuoteSelector", "exact": "plan"}}}  # fmt: skip
    parsed = parse_web_annotations(json.dumps([bad, good]).encode())
    assert [a.source_id for a in parsed.annotations] == ["good"]
    [(source_id, reason)] = parsed.rejected
    assert source_id == ("annotation #1" if field == "id" else "bad")
    assert "not valid Unicode" in reason and "\ud800" not in source_id


def test_nul_characters_are_set_aside_too():
    bad = {"type": "Annotation", "id": "nul", "bodyValue": "a\x00b",
           "target": {"selector": {"type": "TextQuoteSelector", "exact": "plan"}}}  # fmt: skip
    good = {**bad, "id": "good", "bodyValue": "fine"}
    parsed = parse_web_annotations(json.dumps([bad, good]).encode())
    assert [a.source_id for a in parsed.annotations] == ["good"]
    assert parsed.rejected[0][0] == "nul" and "NUL character" in parsed.rejected[0][1]


def test_lone_surrogate_in_an_html_comment_or_a_reply_is_set_aside():
    html_body = {"type": "Annotation", "id": "h",
                 "body": {"type": "TextualBody", "value": "<p>x\ud800</p>", "format": "text/html"},
                 "target": {"selector": {"type": "TextQuoteSelector", "exact": "plan"}}}  # fmt: skip
    parent = {"type": "Annotation", "id": "p", "bodyValue": "Note.",
              "target": {"selector": {"type": "TextQuoteSelector", "exact": "plan"}}}  # fmt: skip
    reply = {"type": "Annotation", "id": "r", "motivation": "replying", "target": "p",
             "bodyValue": "\udfff"}  # fmt: skip
    parsed = parse_web_annotations(json.dumps([html_body, parent, reply]).encode())
    assert [a.source_id for a in parsed.annotations] == ["p"]
    assert parsed.annotations[0].replies == []
    assert sorted(sid for sid, _ in parsed.rejected) == ["h", "r"]


def test_html_comments_are_bounded_like_pages():
    deep = {"type": "Annotation", "id": "deep",
            "body": {"type": "TextualBody", "value": "<div>" * 100_000 + "x", "format": "text/html"},
            "target": {"selector": {"type": "TextQuoteSelector", "exact": "plan"}}}  # fmt: skip
    fine = {"type": "Annotation", "id": "fine",
            "body": {"type": "TextualBody", "value": "<p>Check <b>this</b> &amp; that</p>",
                     "format": "text/html"},
            "target": {"selector": {"type": "TextQuoteSelector", "exact": "plan"}}}  # fmt: skip
    with quickly():
        parsed = parse_web_annotations(json.dumps([deep, fine]).encode())
    assert [a.body for a in parsed.annotations] == ["Check this & that"]
    assert parsed.rejected[0][0] == "deep" and "nested more than" in parsed.rejected[0][1]
