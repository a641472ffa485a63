"""Reading articles and W3C Web Annotations from uploaded files. Pure: no Django.

Every failure a person can cause with a file raises ``ImportRefused`` with a message that can be
shown to them as it is; anything else escaping from here is a bug.

Articles (``read_article``)
---------------------------
- .txt: the text.
- .md: CommonMark read by markdown-it-py (raw HTML in it stays text) and then read as HTML
  below: a leading "# Heading" is the title, emphasis and link syntax give way to their
  words, list items keep a bullet or their number. YAML front matter (--- … ---) is dropped,
  its "title:" used when there is no heading.
- .docx: paragraph text through python-docx, empty paragraphs dropped, paragraphs joined by a
  blank line; tables are read cell by cell. The title is the first paragraph styled Title; or,
  failing that, a Heading 1 if it is the first non-empty paragraph (a Heading 1 further down is a
  section heading, not the headline, and stays in the text).
- .html/.htm: sanitised by nh3 to a small set of text tags, with the *contents* of nav,
  button, script, style, template, svg and similar elements removed; a saved web page keeps
  only its <main>, else its longest <article> (unless more text stands outside the
  articles), and never the page's own header, footer and asides. Then it is turned into
  text with the stdlib
  parser: block elements (p, div, h1-h6, li, br, blockquote ...) become paragraph breaks and
  whitespace collapses as a browser would; list items start with "• " (or "1. " in a numbered
  list). The title is the first <h1> (the headline as printed; <title> often carries the site
  name as well), removed from the text, or else <title>.
- .docx list paragraphs (bulleted or numbered, by style or by Word's numbering) start with
  "• " or their number too.

Text encodings: UTF-8 with or without a BOM, UTF-16 with a BOM (LE or BE). Nothing is guessed:
Latin-1 bytes that happen to decode as something would only produce mojibake in a published
article. Line endings become ``\\n``; trailing spaces are trimmed and runs of blank lines
collapse to one, the app's paragraph separator.

Web Annotations (``parse_web_annotations``, ``anchor_incoming``)
----------------------------------------------------------------
Accepts one Annotation, a JSON list of them, an AnnotationPage, or an AnnotationCollection whose
pages are embedded (``first`` and ``next`` as objects; a page that is only a URL is not fetched).
Replies (motivation "replying", target = another annotation's id) are attached to their parent.
An annotation without a usable selector is reported in ``rejected`` instead of failing the file,
unless no annotation at all is usable; so is one holding a lone surrogate ("\\ud800" in JSON) in
any text taken from it, which could be neither stored nor shown.

Bounds
------
Every import does bounded work, linear in the size of the file (or n log n), and says plainly
what it refused:

- a story has at most ``MAX_PARAGRAPHS`` paragraphs; a Word document's paragraphs (empty ones
  too) and XML elements (``MAX_WORD_ELEMENTS``) are counted in its bytes before python-docx
  builds it, and its text is read element by element (python-docx's own reading is quadratic
  in a paragraph's runs); a cell merged across rows is read once;
- uploaded YAML (front matter here, Vale rules in ``reviews.language.formats``) is read by
  ``formats.load_uploaded_yaml``: no anchors or aliases, no deep nesting; a title that is not
  text is refused, not converted;
- HTML goes through ``_bounded_markup`` before nh3: at most ``MAX_HTML_DEPTH`` elements deep
  and ``MAX_HTML_TAGS`` tags, attributes dropped; Markdown is limited in length
  (``MAX_MARKDOWN_CHARS``) and in link and emphasis marks (``MAX_MARKDOWN_MARKS``) before
  markdown-it reads it;
- annotations: context longer than ``reviews.anchoring.MAX_QUOTE_CONTEXT`` is cut to the part
  next to the quote; a quote not at its position is searched for only up to
  ``MAX_QUOTE_CHARS`` characters (approximately only up to ``FUZZY_MAX_CHARS``), and one
  import's searching is limited by ``SEARCH_BUDGET``; HTML comments are read like pages, at
  most ``MAX_HTML_COMMENT_CHARS`` of them a file.
"""

from __future__ import annotations

import html
import io
import json
import re
import zipfile
from dataclasses import dataclass, field
from datetime import UTC, datetime
from html.parser import HTMLParser

import nh3
from rapidfuzz import fuzz

from reviews.anchoring import MAX_QUOTE_CONTEXT, locate_quote
from reviews.language.formats import (
    UploadedYAMLError,
    YAMLRefused,
    kind_of_value,
    load_uploaded_yaml,
)

ARTICLE_EXTENSIONS = (".txt", ".md", ".docx", ".html", ".htm")
# The most paragraphs a story may have (a 10,000-word story has a few hundred); a Word document
# is refused past this many paragraphs, empty ones included, before it is read.
MAX_PARAGRAPHS = 10_000
_TOO_MANY_PARAGRAPHS = (
    "The file has {count:,} paragraphs; a story can have at most {limit:,}. Split it into "
    "several stories."
)


class ImportRefused(Exception):
    """A file that cannot be imported; str(exc) is a message for the person who uploaded it."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


# --------------------------------------------------------------------------------------------
# Articles


def read_article(filename: str, data: bytes, max_bytes: int) -> tuple[str | None, str]:
    """(title or None, body text) of an uploaded article file."""
    extension = _extension(filename)
    if extension not in ARTICLE_EXTENSIONS:
        shown = f"“{extension}” files" if extension else "Files without an extension"
        raise ImportRefused(
            f"{shown} cannot be imported. Accepted: {', '.join(ARTICLE_EXTENSIONS)}."
        )
    if len(data) > max_bytes:
        raise ImportRefused(
            f"The file is too large: {_size(len(data))} ({len(data):,} bytes); the limit is "
            f"{_size(max_bytes)} ({max_bytes:,} bytes)."
        )
    if not data:
        raise ImportRefused("The file is empty.")

    if extension == ".docx":
        title, body = _read_docx(data, max_bytes)
    elif extension in (".html", ".htm"):
        title, body = _read_html(decode_text(data))
    elif extension == ".md":
        title, body = _read_markdown(_normalise_newlines(decode_text(data)))
    else:
        title, body = None, _normalise_newlines(decode_text(data))

    body = tidy(body)
    title = " ".join(title.split()) if title else None
    if not body:
        raise ImportRefused("No text found in the file.")
    paragraphs = body.count("\n\n") + 1
    if paragraphs > MAX_PARAGRAPHS:
        raise ImportRefused(_TOO_MANY_PARAGRAPHS.format(count=paragraphs, limit=MAX_PARAGRAPHS))
    return title or None, body


def _extension(filename: str) -> str:
    name = filename.rsplit("/", 1)[-1].rsplit("\\", 1)[-1]
    return "." + name.rsplit(".", 1)[1].lower() if "." in name.strip(".") else ""


def _size(n: int) -> str:
    for unit, scale in (("MB", 1024 * 1024), ("KB", 1024)):
        if n >= scale:
            return f"{n / scale:.1f} {unit}"
    return f"{n} bytes"


_NOT_TEXT = (
    "The file is not UTF-8 or UTF-16 text. Save it as UTF-8 (or as a Word document) and try again."
)
# C0 controls other than tab, newline, carriage return and form feed; DEL.
_CONTROL = re.compile("[\x01-\x08\x0b\x0e-\x1f\x7f]")


def decode_text(data: bytes) -> str:
    """UTF-8 (BOM optional) or UTF-16 with a BOM; anything else is refused, not guessed."""
    if data.startswith(b"\xff\xfe\x00\x00") or data.startswith(b"\x00\x00\xfe\xff"):
        raise ImportRefused(_NOT_TEXT)  # UTF-32: rare enough to refuse plainly
    try:
        if data.startswith(b"\xef\xbb\xbf"):
            text = data[3:].decode("utf-8")
        elif data.startswith(b"\xff\xfe"):
            text = data[2:].decode("utf-16-le")
        elif data.startswith(b"\xfe\xff"):
            text = data[2:].decode("utf-16-be")
        else:
            text = data.decode("utf-8")
    except UnicodeDecodeError:
        raise ImportRefused(_NOT_TEXT) from None
    # Valid UTF-8 can still be binary: NUL never occurs in text, and neither do many controls.
    if "\x00" in text or len(_CONTROL.findall(text)) > max(2, len(text) // 1000):
        raise ImportRefused("The file looks like binary data, not text.")
    return _CONTROL.sub("", text)


def _normalise_newlines(text: str) -> str:
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    # Unicode's own separators and the form feed (a page break) as the app's breaks.
    return (
        text.replace("\u2029", "\n\n")
        .replace("\u2028", "\n")
        .replace("\f", "\n\n")
        .replace("\x85", "\n")
    )


def tidy(text: str) -> str:
    """Trailing spaces trimmed, blank-line runs collapsed to one blank line, ends trimmed."""
    text = _normalise_newlines(text)
    text = "\n".join(line.rstrip() for line in text.split("\n"))
    return re.sub(r"\n{3,}", "\n\n", text).strip("\n")




_FRONT_MATTER = re.compile(r"\A---[ \t]*\n(.*?)\n(?:---|\.\.\.)[ \t]*(?:\n|\Z)", re.DOTALL)
# Front matter opens with a key ("title: ..."); text between two rules does not.
_KEY_LINE = re.compile(r"[A-Za-z_][\w.-]*[ \t]*:(?:[ \t]|$)", re.MULTILINE)


def _front_matter_title(text: str) -> tuple[str | None, str]:
    """A YAML front matter block (static-site and CMS exports) is not story text: drop it,
    and take its title if it has one.

    It is read by the one reader of uploaded YAML (``formats.load_uploaded_yaml``): a block
    with anchors or aliases, or nested too deep, is refused with the file, and so is a title
    that is not text; a block that is not YAML at all is text of the story, as written."""
    m = _FRONT_MATTER.match(text)
    if not m:
        return None, text
    try:
        meta = load_uploaded_yaml(m.group(1), first_line=2)  # after the opening ---
    except YAMLRefused as exc:
        if not _KEY_LINE.match(m.group(1)):
            return None, text  # "*Note: ..." between two rules: Markdown, not front matter
        raise ImportRefused(
            f"The front matter at the top of the file (between the --- lines) cannot be read: "
            f"{exc.message}."
        ) from None
    except UploadedYAMLError:
        meta = None
    if not isinstance(meta, dict):
        return None, text  # rules around a paragraph, not front matter: the text as written
    title = meta.get("title")
    if title is not None and not isinstance(title, str):
        advice = (
            "write it as one line of text"
            if isinstance(title, list | dict)
            else 'put it in quotes, as in title: "1984"'
        )
        raise ImportRefused(
            f"The title in the front matter (between the --- lines) is {kind_of_value(title)}, "
            f"not text: {advice}."
        )
    return (title.strip() or None) if title else None, text[m.end() :]


# markdown-it-py reads about a megabyte of prose a second, but link, image and emphasis marks
# cost it tens of microseconds each: half a megabyte of "![a" took 13 s. So a Markdown file is
# limited in length, in those marks, and (counted before it is read) in paragraphs.
MAX_MARKDOWN_CHARS = 300_000  # about 50,000 words
MAX_MARKDOWN_MARKS = 20_000
_MARKDOWN_MARKS = re.compile(r"[\[*_`]")
# A line that starts a list item or a heading, inside block quotes or not.
_MARKDOWN_ITEM = re.compile(r"[ \t]*(?:>[ \t]?)*[ \t]*(?:[-+*]|\d{1,9}[.)]|#{1,6})(?:[ \t]|$)")


def _read_markdown(text: str) -> tuple[str | None, str]:
    from markdown_it import MarkdownIt  # imported here: only .md uploads pay for loading it

    if len(text) > MAX_MARKDOWN_CHARS:
        raise ImportRefused(
            f"The Markdown file holds {len(text):,} characters; at most "
            f"{MAX_MARKDOWN_CHARS:,} (about 50,000 words) can be imported. A longer story can "
            "be imported as plain text (.txt) or a Word document."
        )
    marks = len(_MARKDOWN_MARKS.findall(text))
    if marks > MAX_MARKDOWN_MARKS:
        raise ImportRefused(
            f"The Markdown file has {marks:,} emphasis, link and code marks (* _ [ `); at most "
            f"{MAX_MARKDOWN_MARKS:,} can be read. Import the story as plain text (.txt) instead."
        )
    meta_title, text = _front_matter_title(text)
    blocks = _markdown_blocks(text)
    if blocks > MAX_PARAGRAPHS:
        raise ImportRefused(_TOO_MANY_PARAGRAPHS.format(count=blocks, limit=MAX_PARAGRAPHS))

    # "html": False: HTML written in the Markdown is text of the story, never markup. Only a
    # heading that opens the file is the title; "# Later" further down is a section heading.
    title, body = _read_html(MarkdownIt("commonmark", {"html": False}).render(text),
                             leading_h1_only=True)
    return title or meta_title, body


def _markdown_blocks(text: str) -> int:
    """About how many paragraphs, list items and headings Markdown text makes, without reading
    it: lines after a blank line, and lines that start an item or a heading."""
    count, after_blank = 0, True
    for line in text.split("\n"):
        if not line.strip():
            after_blank = True
            continue
        if after_blank or _MARKDOWN_ITEM.match(line):
            count += 1
        after_blank = False
    return count


def _read_docx(data: bytes, max_bytes: int) -> tuple[str | None, str]:
    from docx import Document  # imported here: only .docx uploads pay for loading python-docx

    invalid = "The file is not a valid Word document (.docx). Old .doc files must be saved as .docx first."
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            info = archive.getinfo("word/document.xml")
            expanded = sum(i.file_size for i in archive.infolist())
            # A zip can expand enormously; refuse before python-docx inflates it all into memory.
            limit = max(50 * max_bytes, 200 * 1024 * 1024)
            if info.file_size > limit or expanded > 2 * limit:
                raise ImportRefused(
                    f"The Word document expands to more than {_size(limit)}; it cannot be imported."
                )
            # A few kilobytes can hold a million empty paragraphs: count them first.
            _check_docx_paragraphs(archive)
    except (zipfile.BadZipFile, KeyError, OSError, EOFError, ValueError):
        raise ImportRefused(invalid) from None
    try:
        document = Document(io.BytesIO(data))
        paragraphs = list(_docx_paragraphs(document))
    except Exception:  # python-docx raises many kinds for a broken package
        raise ImportRefused(invalid) from None

    texts = [(style, text) for style, text in _numbered(paragraphs) if text.strip()]
    title_at = next((i for i, (style, _) in enumerate(texts) if style == "Title"), None)
    if title_at is None and texts and texts[0][0] == "Heading 1":
        title_at = 0
    title = texts[title_at][1] if title_at is not None else None
    body = [text.strip("\n") for i, (_, text) in enumerate(texts) if i != title_at]
    return title, "\n\n".join(body)


_TOO_MANY_WORD_PARAGRAPHS = (
    "The Word document has more than {limit:,} paragraphs (empty ones included); "
    "a story can have at most {limit:,}."
)
# Word's XML elements (paragraphs, runs of formatted text, breaks...): python-docx builds each
# in memory and takes a few microseconds over it. A story of 10,000 words has some tens of
# thousands; 90 KB zipped can hold millions.
MAX_WORD_ELEMENTS = 300_000
_TOO_MANY_WORD_ELEMENTS = (
    "The Word document holds too much formatting to be imported (more than {limit:,} parts "
    "in its text). Save it as plain text (.txt) and import that instead."
)


def _check_docx_paragraphs(archive: zipfile.ZipFile) -> None:
    """Refuse a document with more than MAX_WORD_ELEMENTS elements or MAX_PARAGRAPHS
    paragraphs (empty ones and those in tables included) before python-docx builds it:
    counted in word/document.xml's bytes, a megabyte at a time ("<" opens an element, "</"
    closes one; paragraphs are <w:p>, as Word writes them), which is a hundred times faster
    than parsing it."""
    counted = {b"<": 0, b"</": 0, b"<w:p>": 0, b"<w:p ": 0, b"<w:p/>": 0}
    tail = b""
    with archive.open("word/document.xml") as stream:
        while chunk := stream.read(1 << 20):
            data = tail + chunk
            for pattern in counted:  # (a pattern that lies wholly in tail was counted before)
                counted[pattern] += data.count(pattern) - tail.count(pattern)
            tail = data[-5:]
            if counted[b"<"] - counted[b"</"] > MAX_WORD_ELEMENTS:
                raise ImportRefused(_TOO_MANY_WORD_ELEMENTS.format(limit=MAX_WORD_ELEMENTS))
            if counted[b"<w:p>"] + counted[b"<w:p "] + counted[b"<w:p/>"] > MAX_PARAGRAPHS:
                raise ImportRefused(_TOO_MANY_WORD_PARAGRAPHS.format(limit=MAX_PARAGRAPHS))


def _numbered(paragraphs):
    """List paragraphs with their bullet or number in front: "• Item", "2. Item"."""
    count = 0
    for style, text, listed in paragraphs:
        numbered = style.startswith("List Number")
        if numbered:
            count += 1
            yield style, f"{count}. {text}"
            continue
        count = 0
        yield style, (f"• {text}" if listed and text.strip() else text)


def _paragraph_style_names(document) -> tuple[dict[str, str], str]:
    """(name by style id of each paragraph style, the default paragraph style's name): what
    python-docx's ``paragraph.style.name`` gives, read once. python-docx looks the style up
    afresh for every paragraph, scanning every style in the document (and, for a paragraph
    without a style, every style twice): 2 ms a paragraph on Word's default template."""
    from docx.enum.style import WD_STYLE_TYPE

    first: dict[str, object] = {}
    for style in document.styles:  # the first of a repeated id is the one looked up
        first.setdefault(style.style_id, style)
    default = document.styles.default(WD_STYLE_TYPE.PARAGRAPH)
    names = {
        style_id: style.name or ""
        for style_id, style in first.items()
        if style.element.type == WD_STYLE_TYPE.PARAGRAPH
    }
    return names, (default.name or "") if default is not None else ""


def _docx_paragraphs(document):
    """(style name, text, is a list item) of each paragraph in document order, table cells
    included: each cell once, however many rows or columns it is merged across."""
    from docx.table import Table, _Cell

    names, default_name = _paragraph_style_names(document)

    def walk(container):
        for block in container.iter_inner_content():
            if isinstance(block, Table):
                for tr in block._tbl.tr_lst:
                    for tc in tr.tc_lst:
                        if tc.vMerge == "continue":  # the cell above, already read
                            continue
                        yield from walk(_Cell(tc, block))
            else:
                style_id = block._p.style
                style = default_name if style_id is None else names.get(style_id, default_name)
                ppr = block._p.pPr
                listed = style.startswith(("List Bullet", "List Number")) or (
                    ppr is not None and ppr.numPr is not None
                )
                yield style, _paragraph_text(block._p), listed

    yield from walk(document)


_W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
_RUN_CHARACTERS = {f"{_W}cr": "\n", f"{_W}noBreakHyphen": "-", f"{_W}ptab": "\t", f"{_W}tab": "\t"}


def _paragraph_text(p) -> str:
    """python-docx's ``paragraph.text``, read child by child: its own runs each evaluate an
    XPath query whose cost grows with the paragraph, so a paragraph of a million runs (90 KB
    zipped) took minutes. Runs and the runs of hyperlinks; in a run, text, tabs, line breaks
    (page and column breaks give nothing) and non-breaking hyphens."""
    parts: list[str] = []
    for child in p:
        if child.tag == f"{_W}r":
            _run_text(child, parts)
        elif child.tag == f"{_W}hyperlink":
            for run in child:
                if run.tag == f"{_W}r":
                    _run_text(run, parts)
    return "".join(parts)


def _run_text(run, parts: list[str]) -> None:
    for child in run:
        tag = child.tag
        if tag == f"{_W}t":
            parts.append(child.text or "")
        elif tag == f"{_W}br":
            if child.get(f"{_W}type", "textWrapping") == "textWrapping":
                parts.append("\n")
        elif tag in _RUN_CHARACTERS:
            parts.append(_RUN_CHARACTERS[tag])


# Tags kept by the sanitiser: those that shape the text. Everything else is unwrapped (text
# kept), except the elements below whose content is never text for a reader.
_HTML_KEEP = {
    "title", "h1", "h2", "h3", "h4", "h5", "h6", "p", "div", "br", "li", "ul", "ol", "blockquote",
    "pre", "section", "article", "header", "footer", "aside", "main", "figure",
    "figcaption", "table", "tr", "td", "th", "dd", "dt", "dl", "hr", "address",
}  # fmt: skip
_HTML_DROP = {
    "nav",  # a page's menus and links, never the story
    "button",
    "script",
    "style",
    "template",
    "svg",
    "math",
    "noscript",
    "iframe",
    "object",
    "textarea",
    "select",
}
_BLOCK = _HTML_KEEP - {"title"}


# The HTML parser behind nh3 (html5ever) does work in proportion to how deeply elements are
# nested for each tag it reads, and to the square of a tag's attributes: 20,000 nested
# <ul><li> took 7 s, one tag with 40,000 attributes 0.6 s, 8,000 "<p><b id=n>x</p>" a minute.
# So before nh3 sees a page, _bounded_markup reads it once, in linear time, and writes it
# again as html5ever is then to read it: every tag without its attributes (nh3 keeps none),
# no comments, "<" in text escaped, and an explicit end tag for every element the moment it
# closes, following the HTML standard's rules for how elements nest (simplified: see
# _Nesting). Past MAX_HTML_DEPTH open elements the page is refused. html5ever then reads only
# the tags written here and closes each element no later than it was closed here, so it
# never nests deeper than the depth followed here (give or take the few elements it implies).
MAX_HTML_DEPTH = 500
# Reading a tag here costs a few microseconds: a page is refused past this many tags (start
# and end tags; a long saved news page has a few tens of thousands).
MAX_HTML_TAGS = 100_000

_TOO_DEEP = (
    "The page's HTML is nested more than {limit:,} elements deep, which a page of text never "
    "needs; it cannot be imported. Save the story as a Word document or plain text instead."
)
_TOO_MANY_TAGS = (
    "The page has more than {limit:,} HTML tags, far more than a story needs; it cannot be "
    "imported. Save the story as a Word document or plain text instead."
)

_ASCII_LOWER = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz")
# A tag's parts as the standard's tokenizer reads them: atomic and possessive, so a tag that
# never ends fails in one pass instead of backtracking.
_NAME = r"[^\t\n\f />][^\t\n\f />=]*+"
_VALUE = r"(?>[\t\n\f ]*+=[\t\n\f ]*+(?>\"[^\"]*+\"|'[^']*+'|[^\t\n\f >\"'][^\t\n\f >]*+)?)?"
_TAG = re.compile(
    rf"<(/?)([A-Za-z][^\t\n\f />]*+)((?>[\t\n\f ]++|/(?!>)|{_NAME}{_VALUE})*+)(/?)>"
)
# The attributes of a tag (group 3 of _TAG), one name (group 1) at a time.
_ATTRIBUTES = re.compile(rf"[\t\n\f ]++|/|({_NAME}){_VALUE}")
_COMMENT_END = re.compile(r"--!?>")
_SCRIPT_MARK = re.compile(r"<!--|</script[\t\n\f />]|<script[\t\n\f />]|-->", re.IGNORECASE)

_VOID = frozenset(
    "area base basefont bgsound br col embed frame hr image img input keygen link meta param "
    "source track wbr".split()
)
_RAW_TEXT = frozenset({"script", "style", "xmp", "iframe", "noembed", "noframes", "noscript"})
_ESCAPABLE_RAW_TEXT = frozenset({"title", "textarea"})
_TEXT_ONLY = _RAW_TEXT | _ESCAPABLE_RAW_TEXT  # elements whose content is read as text
_CLOSES_P = frozenset(
    "address article aside blockquote center details dialog dir div dl fieldset figcaption "
    "figure footer form header hgroup hr main menu nav ol p pre listing search section summary "
    "ul h1 h2 h3 h4 h5 h6 li dd dt plaintext xmp".split()
)
_HEADINGS = frozenset({"h1", "h2", "h3", "h4", "h5", "h6"})
_FORMATTING = frozenset("a b big code em font i nobr s small strike strong tt u".split())
_TABLE_PARTS = frozenset("caption col colgroup tbody td tfoot th thead tr".split())
_TABLE_MODES = frozenset("table caption colgroup tbody td tfoot th thead tr template select".split())
_SPECIAL = frozenset(
    "address applet area article aside base basefont bgsound blockquote body br button caption "
    "center col colgroup dd details dialog dir div dl dt embed fieldset figcaption figure footer "
    "form frame frameset h1 h2 h3 h4 h5 h6 head header hgroup hr html iframe img input keygen "
    "li link listing main marquee menu meta nav noembed noframes noscript object ol p param "
    "plaintext pre script search section select source style summary table tbody td template "
    "textarea tfoot th thead title tr track ul wbr xmp".split()
)
_SCOPE = frozenset("applet caption html table td th marquee object template".split())
# SVG and MathML elements inside which HTML rules apply to start tags again; they also bound
# every scope. Keys of foreign elements are "\ts<name>" (SVG) and "\tm<name>" (MathML).
_DOORS = frozenset(
    ["\tsforeignobject", "\tsdesc", "\tstitle", "\tmmi", "\tmmo", "\tmmn", "\tmms", "\tmmtext"]
)
# A start tag that ends SVG or MathML content (<font> only with color, face or size).
_BREAKS_OUT = frozenset(
    "b big blockquote body br center code dd div dl dt em embed h1 h2 h3 h4 h5 h6 head hr i img "
    "li listing menu meta nobr ol p pre ruby s small span strong strike sub sup table tt u ul "
    "var".split()
)


class _Nesting:
    """The stack of open elements as the HTML standard's tree construction builds it,
    simplified, writing an end tag for each element as it closes. For each kind of element
    it keeps the positions where one is open, so every question the rules ask ("is a <p> open
    in button scope?") is answered without walking the stack.

    Because every element closed here is closed explicitly in the output, html5ever reading
    that output has no element open that is not open here, but for the few it implies: the
    depth followed here bounds its depth. Where the rules are simplified (the adoption agency,
    formatting elements reopened, insertion modes guessed from the open elements), a page of
    tag soup may come out differently from before; ordinary pages read as they did."""

    def __init__(self, out: list[str]):
        self.out = out
        self.stack: list[tuple[str, str, tuple[list[int], ...]]] = []  # (key, name, kinds)
        self.where: dict[str, list[int]] = {}  # key -> positions
        self.kinds: dict[str, tuple[list[int], ...]] = {}  # key -> the lists it goes in
        self.html: list[int] = []  # positions of HTML (not SVG or MathML) elements
        self.scope: list[int] = []  # the default scope's boundaries
        self.list_scope: list[int] = []  # ... and <ol>, <ul>
        self.button_scope: list[int] = []  # ... and <button>
        self.table_scope: list[int] = []  # html, table, template
        self.special: list[int] = []
        self.special_li: list[int] = []  # special elements but address, div and p
        self.headings: list[int] = []
        self.sections: list[int] = []  # tbody, thead, tfoot
        self.table_modes: list[int] = []  # table and its parts, template, select

    # -- the stack
    def push(self, name: str, namespace: str = "") -> None:
        at = len(self.stack)
        if at >= MAX_HTML_DEPTH:
            raise ImportRefused(_TOO_DEEP.format(limit=MAX_HTML_DEPTH))
        key = f"\t{namespace}{name}" if namespace else name
        kinds = self.kinds.get(key)
        if kinds is None:
            kinds = self.kinds[key] = self._kinds_of(key, name, namespace)
        for positions in kinds:
            positions.append(at)
        self.stack.append((key, name, kinds))

    def _kinds_of(self, key: str, name: str, namespace: str) -> tuple[list[int], ...]:
        """The position lists an element `key` is recorded in while it is open."""
        kinds: list[list[int]] = [self.where.setdefault(key, [])]
        if namespace:
            if key in _DOORS:
                kinds += [self.scope, self.list_scope, self.button_scope, self.special,
                          self.special_li]  # fmt: skip
            return tuple(kinds)
        kinds.append(self.html)
        if name in _SCOPE:
            kinds += [self.scope, self.list_scope, self.button_scope]
        elif name in ("ol", "ul"):
            kinds.append(self.list_scope)
        elif name == "button":
            kinds.append(self.button_scope)
        if name in ("html", "table", "template"):
            kinds.append(self.table_scope)
        if name in _SPECIAL:
            kinds.append(self.special)
            if name not in ("address", "div", "p"):
                kinds.append(self.special_li)
        if name in _HEADINGS:
            kinds.append(self.headings)
        elif name in ("tbody", "thead", "tfoot"):
            kinds.append(self.sections)
        if name in _TABLE_MODES:
            kinds.append(self.table_modes)
        return tuple(kinds)

    def pop_to(self, at: int) -> None:
        """Close the element at position `at` and every element opened inside it."""
        stack, out = self.stack, self.out
        while len(stack) > at:
            _, name, kinds = stack.pop()
            for positions in kinds:
                positions.pop()
            out.append(f"</{name}>")

    def top(self, key: str) -> int:
        """Position of the innermost open element `key`, or -1."""
        positions = self.where.get(key)
        return positions[-1] if positions else -1

    @staticmethod
    def last(positions: list[int]) -> int:
        return positions[-1] if positions else -1

    def in_scope(self, at: int, boundaries: list[int]) -> bool:
        return at >= 0 and at >= self.last(boundaries)

    def current(self) -> str | None:
        return self.stack[-1][0] if self.stack else None

    def in_foreign_element(self) -> bool:
        key = self.current()
        return key is not None and key[0] == "\t"

    def foreign(self) -> bool:
        """Whether SVG or MathML rules apply to a start tag read now."""
        key = self.current()
        return key is not None and key[0] == "\t" and key not in _DOORS

    def in_table_mode(self) -> bool:
        """Whether a start tag read now is read as directly inside a table, row group or row
        (even under elements the table put before itself, like a <div> between rows)."""
        at = self.last(self.table_modes)
        return at >= 0 and self.stack[at][1] in ("table", "tbody", "thead", "tfoot", "tr")

    def close_p(self) -> None:
        at = self.top("p")
        if self.in_scope(at, self.button_scope):
            self.pop_to(at)

    # -- tags
    def start(self, name: str, self_closing: bool, breaks_out: bool = False) -> None:
        if self.foreign():
            if name not in _BREAKS_OUT and not breaks_out:
                key = self.current()
                self.out.append(f"<{name}/>" if self_closing else f"<{name}>")
                if not self_closing:
                    namespace = "s" if key == "\tmannotation-xml" and name == "svg" else key[1]
                    self.push(name, namespace)
                return
            while self.foreign():  # back to HTML content
                self.pop_to(len(self.stack) - 1)
        if name in ("svg", "math"):
            self.out.append(f"<{name}/>" if self_closing else f"<{name}>")
            if not self_closing:
                self.push(name, name[0])
            return
        if name in ("html", "head", "body"):
            return
        if name in _TABLE_PARTS:
            self._start_table_part(name)
            return
        if self.in_table_mode():
            if name == "form":
                self.out.append("<form>")  # directly in a table: an empty form, closed at once
                return
            if name == "table":  # directly in a table, a table ends it and starts another
                self.pop_to(self.top("table"))
        if name in ("li", "dd", "dt"):
            innermost = self.last(self.special_li)
            if innermost >= 0 and self.stack[innermost][0] in (
                ("li",) if name == "li" else ("dd", "dt")
            ):
                self.pop_to(innermost)
        if name in _CLOSES_P:
            self.close_p()
            if name in _HEADINGS and self.current() in _HEADINGS:
                self.pop_to(len(self.stack) - 1)
        if name in ("a", "nobr"):
            self.end_formatting(name)
        elif name == "button":
            at = self.top("button")
            if self.in_scope(at, self.scope):
                self.pop_to(at)
        elif name in ("option", "optgroup") and self.current() == "option":
            self.pop_to(len(self.stack) - 1)
        self.out.append(f"<{name}/>" if self_closing else f"<{name}>")
        if name not in _VOID:
            self.push(name)

    def _start_table_part(self, name: str) -> None:
        """<td>, <tr>, <tbody>...: inside a table, they close what is open above the table (or
        above its row or row group) and open the parts they imply; elsewhere they are
        ignored."""
        table = self.top("table")
        if not self.in_scope(table, self.table_scope):
            return
        section = self.last(self.sections)
        row = self.top("tr")
        if name in ("td", "th") and row > table:
            self.pop_to(row + 1)
        elif name in ("td", "th", "tr") and section > table:
            self.pop_to(section + 1)
        else:
            self.pop_to(table + 1)
        if name in ("td", "th", "tr") and self.current() == "table":
            self.out.append("<tbody>")
            self.push("tbody")
        if name in ("td", "th") and self.current() != "tr":
            self.out.append("<tr>")
            self.push("tr")
        self.out.append(f"<{name}>")
        if name != "col":
            self.push(name)

    def end(self, name: str) -> None:
        if self.in_foreign_element():
            if name in ("br", "p"):  # these end SVG and MathML content
                while self.foreign():
                    self.pop_to(len(self.stack) - 1)
            else:  # the SVG or MathML element of that name, unless HTML is open inside it
                at = max(self.top("\ts" + name), self.top("\tm" + name))
                if at > self.last(self.html):
                    self.pop_to(at)
                    return
        depth = len(self.stack)
        if name in _HEADINGS:
            at = self.last(self.headings)
            if self.in_scope(at, self.scope):
                self.pop_to(at)
        elif name == "colgroup":
            if self.current() == "colgroup":
                self.pop_to(depth - 1)
        elif name in _TABLE_PARTS or name == "table":
            at = self.top(name)
            if self.in_scope(at, self.table_scope):
                self.pop_to(at)
        elif name == "template":
            if self.top(name) >= 0:
                self.pop_to(self.top(name))
        elif name in _FORMATTING:
            self.end_formatting(name)
        elif name in _SPECIAL:
            if name not in ("html", "body", "br", "form"):
                boundaries = {"p": self.button_scope, "li": self.list_scope}.get(name, self.scope)
                at = self.top(name)
                if self.in_scope(at, boundaries):
                    self.pop_to(at)
        else:  # the element of that name, unless a special element is open inside it
            at = self.top(name)
            if at >= 0 and self.last(self.special) < at:
                self.pop_to(at)
        if len(self.stack) == depth:  # nothing closed here: html5ever may know better
            self.out.append(f"</{name}>")

    def end_formatting(self, name: str) -> None:
        """</b> and the like: the standard's adoption agency, simplified. With a block opened
        inside the element since, the standard keeps as many elements open as before (here:
        the same ones); otherwise the element and everything opened inside it close."""
        at = self.top(name)
        if self.in_scope(at, self.scope) and self.last(self.special) < at:
            self.pop_to(at)


def _bounded_markup(markup: str) -> str:
    """The page's markup as html5ever is to read it (see above); ImportRefused when it nests
    deeper than MAX_HTML_DEPTH. Linear in the length of the markup."""
    out: list[str] = []
    nesting = _Nesting(out)
    n, i, tags = len(markup), 0, 0
    while i < n:
        lt = markup.find("<", i)
        if lt < 0:
            out.append(markup[i:])
            break
        out.append(markup[i:lt])
        i = lt
        nxt = markup[i + 1 : i + 2]
        letter = markup[i + 2 : i + 3] if nxt == "/" else nxt
        if letter.isascii() and letter.isalpha():
            m = _TAG.match(markup, i)
            if m is None:
                break  # a tag the file never closes: the standard drops it and the rest
            i = m.end()
            tags += 1
            if tags > MAX_HTML_TAGS:
                raise ImportRefused(_TOO_MANY_TAGS.format(limit=MAX_HTML_TAGS))
            name = m.group(2).translate(_ASCII_LOWER)
            if m.group(1):
                nesting.end(name)
                continue
            html_rules = not nesting.foreign()
            nesting.start(
                name,
                bool(m.group(4)),
                breaks_out=name == "font" and _breaks_out(m.group(3)),
            )
            if html_rules and name in _TEXT_ONLY:
                end = _raw_text_end(markup, i, name)
                out.append(markup[i:end].replace("<", "&lt;"))
                i = end
            elif html_rules and name == "plaintext":
                out.append(markup[i:].replace("<", "&lt;"))
                break
        elif markup.startswith("<!--", i):
            if markup.startswith(">", i + 4):
                i += 5
            elif markup.startswith("->", i + 4):
                i += 6
            else:
                m = _COMMENT_END.search(markup, i + 4)
                i = m.end() if m else n
        elif nxt == "/" and i + 2 == n:
            out.append("&lt;/")  # "</" at the very end is text
            break
        elif markup.startswith("</>", i):
            i += 3
        elif nxt in ("!", "?", "/"):
            if markup.startswith("<![CDATA[", i) and nesting.in_foreign_element():
                end = markup.find("]]>", i + 9)
                end = n if end < 0 else end
                out.append(html.escape(markup[i + 9 : end], quote=False))
                i = end + 3
                continue
            end = markup.find(">", i + 2)  # a doctype or a bogus comment
            i = n if end < 0 else end + 1
        else:
            out.append("&lt;")
            i += 1
    return "".join(out)


def _breaks_out(attributes: str) -> bool:
    """Whether a <font> tag with these attributes ends SVG or MathML content."""
    return any(
        (m.group(1) or "").translate(_ASCII_LOWER) in ("color", "face", "size")
        for m in _ATTRIBUTES.finditer(attributes)
    )


def _raw_text_end(markup: str, start: int, name: str) -> int:
    """Where the text of a <script>, <style>, <title>... that starts at `start` ends: at its
    end tag, or at the end of the markup. In a script, "<!--" then "<script" hides the next
    "</script>", as the standard's script states say."""
    if name != "script":
        m = re.compile(rf"</{name}[\t\n\f />]", re.IGNORECASE).search(markup, start)
        return m.start() if m else len(markup)
    escaped = double = False
    pos = start
    while True:
        m = _SCRIPT_MARK.search(markup, pos)
        if m is None:
            return len(markup)
        mark = m.group().lower()
        pos = m.end()
        if mark == "<!--":
            if not escaped:
                escaped, double = True, False
                pos = m.start() + 2  # "<!-->" ends as soon as it starts
        elif mark == "-->":
            escaped = double = False
        elif mark.startswith("</script"):
            if not double:
                return m.start()
            double = False
            pos = m.start() + 8
        elif escaped and not double:  # "<script" inside "<!--"
            double = True
            pos = m.start() + 7


def _read_html(markup: str, leading_h1_only: bool = False) -> tuple[str | None, str]:
    safe = nh3.clean(
        _bounded_markup(_normalise_newlines(markup)),
        tags=_HTML_KEEP,
        clean_content_tags=_HTML_DROP,
        attributes={},
    )
    parser = _TextExtractor(leading_h1_only)
    parser.feed(safe)
    parser.close()
    body = "\n\n".join(parser.paragraphs())  # which also picks the title heading
    return parser.h1 or parser.title, body


_LIST_MARKER = re.compile(r"•|\d+\.")


_FURNITURE = {"header", "footer", "aside"}  # outside the story: the site's, not the story's


@dataclass
class _Para:
    text: str
    scope: int  # 2 inside <main>, 1 inside an <article> (outside <main>), 0 elsewhere
    furniture: bool  # inside the page's own header, footer or aside
    h1: bool = False
    article: int = 0  # which outermost <article> (numbered from 1), 0 for none


class _TextExtractor(HTMLParser):
    """Text of sanitised HTML: each block element ends a paragraph; whitespace collapses except
    inside <pre>; the <title> is remembered. A saved web page keeps only the text of its
    <main> when it has one; else its longest <article>, unless the page has more text
    outside its articles (then they were teasers or comments); and always drops the page's
    own header, footer and asides, with any <article> in them. The first <h1> of what is
    kept is the title, taken out of the text (with leading_h1_only, Markdown's rule: only
    when nothing comes before it)."""

    def __init__(self, leading_h1_only: bool = False):
        super().__init__(convert_charrefs=True)
        self._leading_h1_only = leading_h1_only
        self._paras: list[_Para] = []
        self._roles: list[tuple[str, str]] = []  # open main/article/furniture: (tag, role)
        self._open = {"main": 0, "article": 0, "furniture": 0}  # how many of each role is open
        self._articles = 0  # outermost <article>s so far
        self._current: list[str] = []
        self._pre = 0
        self._in_title = False
        self._in_h1 = False
        self.title: str | None = None
        self._title_parts: list[str] = []
        self.h1: str | None = None
        self._lists: list[int | None] = []  # per open list: the next number, None for bullets

    def _role_of(self, tag: str) -> str | None:
        open_ = self._open
        if tag in ("main", "article") and not open_["furniture"]:
            return tag
        if tag in _FURNITURE and not open_["main"] and not open_["article"]:
            return "furniture"
        return None

    def handle_starttag(self, tag, attrs):
        if tag == "title":
            self._in_title = True
        elif tag in _BLOCK:
            self._break()
            role = self._role_of(tag)
            if role == "article" and not self._open["article"]:
                self._articles += 1
            if role:
                self._roles.append((tag, role))
                self._open[role] += 1
            if tag == "pre":
                self._pre += 1
            if tag == "h1":
                self._in_h1 = True
            if tag == "ul":
                self._lists.append(None)
            elif tag == "ol":
                self._lists.append(1)
            elif tag == "li":
                number = self._lists[-1] if self._lists else None
                if number is None:
                    self._current.append("• ")
                else:
                    self._current.append(f"{number}. ")
                    self._lists[-1] = number + 1

    def handle_endtag(self, tag):
        if tag == "title":
            self._in_title = False
            self.title = self.title or " ".join("".join(self._title_parts).split()) or None
        elif tag in _BLOCK:
            self._break(h1=tag == "h1" and self._in_h1)
            if tag == "h1":
                self._in_h1 = False
            if self._roles and self._roles[-1][0] == tag:
                self._open[self._roles.pop()[1]] -= 1
            if tag == "pre":
                self._pre = max(0, self._pre - 1)
            if tag in ("ul", "ol") and self._lists:
                self._lists.pop()

    def handle_data(self, data):
        if self._in_title:
            self._title_parts.append(data)
        else:
            self._current.append(data if self._pre else re.sub(r"\s+", " ", data))

    def _flush_text(self) -> str:
        text = "".join(self._current)
        self._current = []
        if not self._pre:
            text = " ".join(text.split())
        return text.strip("\n")

    def _break(self, h1: bool = False):
        text = self._flush_text()
        if _LIST_MARKER.fullmatch(text.strip()):
            # <li><p>…</p></li>: the item's words come in a block inside it; keep the marker
            # for them.
            self._current = [text.strip() + " "]
        elif text.strip():
            open_ = self._open
            scope = 2 if open_["main"] else 1 if open_["article"] else 0
            article = self._articles if open_["article"] else 0
            self._paras.append(_Para(text, scope, bool(open_["furniture"]), h1, article))

    def paragraphs(self) -> list[str]:
        """The kept paragraphs; sets self.h1 to the title taken out of them, if any."""
        self._break()
        if any(p.scope == 2 for p in self._paras):
            kept = [p for p in self._paras if p.scope == 2]
        else:
            outside = [p for p in self._paras if p.scope == 0 and not p.furniture]
            sizes: dict[int, int] = {}
            for p in self._paras:
                if p.scope == 1:
                    sizes[p.article] = sizes.get(p.article, 0) + len(p.text)
            longest = max(sizes, key=lambda a: sizes[a], default=None)
            if longest is not None and sizes[longest] >= sum(len(p.text) for p in outside):
                kept = [p for p in self._paras if p.scope == 1 and p.article == longest]
            else:
                kept = outside
        heading = next((i for i, p in enumerate(kept) if p.h1), None)
        if heading is not None and not (self._leading_h1_only and heading > 0):
            self.h1 = kept.pop(heading).text
        return [p.text for p in kept]


# --------------------------------------------------------------------------------------------
# Web Annotations


@dataclass
class IncomingAnnotation:
    """One annotation read from a file. Offsets, when given, are code points (as in the model)."""

    source_id: str
    exact: str | None = None
    prefix: str = ""
    suffix: str = ""
    start: int | None = None
    end: int | None = None
    body: str = ""
    category: str | None = None  # first tagging/classifying body, e.g. "fact_check"
    creator: str | None = None
    created: datetime | None = None
    motivation: str | None = None
    replies: list[IncomingAnnotation] = field(default_factory=list)
    reply_to: str | None = None
    source: str | None = None  # the target's source IRI (the article it was made on)
    tags: list[str] = field(default_factory=list)  # every tagging/classifying value
    suggestions: list[str] = field(default_factory=list)  # "editing" bodies
    state: str | None = None  # newsroom:state, when the file came from this app
    severity: str | None = None  # newsroom:severity
    kind: str | None = None  # newsroom:kind: "annotation" or "flag"


@dataclass
class ParsedAnnotations:
    """What a file held: usable annotations (replies nested in them) and what was set aside."""

    annotations: list[IncomingAnnotation]
    rejected: list[tuple[str, str]]  # (source id, reason)

    def __iter__(self):
        return iter(self.annotations)

    def __len__(self):
        return len(self.annotations)


MAX_ANNOTATIONS = 20_000
_NOT_WEB_ANNOTATION = (
    "The file is not a W3C Web Annotation file: expected an Annotation, a list of Annotations, "
    "an AnnotationPage or an AnnotationCollection."
)


def _types(obj) -> set[str]:
    """The type(s) of a JSON-LD node, without the oa:/full-IRI spelling differences."""
    value = obj.get("type", obj.get("@type")) if isinstance(obj, dict) else None
    values = value if isinstance(value, list) else [value]
    out = set()
    for v in values:
        if isinstance(v, str):
            out.add(v.rsplit("#", 1)[-1].rsplit(":", 1)[-1].rsplit("/", 1)[-1])
    return out


def _first(value):
    return value[0] if isinstance(value, list) and value else value


def _node_id(obj) -> str | None:
    """The node's id; None when it has none, or one that cannot be shown (see _SURROGATE)."""
    value = obj.get("id", obj.get("@id")) if isinstance(obj, dict) else None
    return value if isinstance(value, str) and not _SURROGATE.search(value) else None


def parse_web_annotations(data: bytes) -> ParsedAnnotations:
    """Read a Web Annotation JSON(-LD) file. Raises ImportRefused when the file as a whole is
    unusable; otherwise returns usable annotations and (id, reason) for each one set aside."""
    if not data.strip():
        raise ImportRefused("The file is empty.")
    try:
        document = json.loads(data.decode("utf-8-sig"))
    except (UnicodeDecodeError, json.JSONDecodeError, RecursionError):
        raise ImportRefused("The file is not valid JSON.") from None

    nodes = _annotation_nodes(document)
    if len(nodes) > MAX_ANNOTATIONS:
        raise ImportRefused(
            f"The file holds {len(nodes):,} annotations; at most {MAX_ANNOTATIONS:,} can be imported at once."
        )

    rejected: list[tuple[str, str]] = []
    parsed: list[IncomingAnnotation] = []
    reading = _Reading()
    for index, node in enumerate(nodes, start=1):
        fallback_id = f"annotation #{index}"
        if not isinstance(node, dict) or "Annotation" not in _types(node):
            rejected.append((_node_id(node) or fallback_id, "not an Annotation"))
            continue
        try:
            parsed.append(_annotation(node, fallback_id, reading))
        except _Unusable as reason:
            rejected.append((_node_id(node) or fallback_id, str(reason)))

    # Replies join their parents; a reply whose parent is absent cannot be placed.
    by_id = {a.source_id: a for a in parsed if a.reply_to is None}
    annotations = []
    for item in parsed:
        if item.reply_to is None:
            annotations.append(item)
        elif item.reply_to in by_id:
            by_id[item.reply_to].replies.append(item)
        else:
            rejected.append((item.source_id, "a reply to an annotation that is not in the file"))
    if not annotations:
        reasons = "; ".join(f"{sid}: {why}" for sid, why in rejected[:3])
        more = f" (and {len(rejected) - 3} more)" if len(rejected) > 3 else ""
        detail = f" {reasons}{more}." if reasons else ""
        raise ImportRefused(
            f"No usable annotation in the file: each needs a target with a TextQuoteSelector or TextPositionSelector.{detail}"
        )
    return ParsedAnnotations(annotations, rejected)


def _annotation_nodes(document) -> list:
    """The Annotation objects of any accepted top-level shape."""
    if isinstance(document, list):
        if not any("Annotation" in _types(node) for node in document):
            raise ImportRefused(_NOT_WEB_ANNOTATION)
        return document
    if not isinstance(document, dict):
        raise ImportRefused(_NOT_WEB_ANNOTATION)
    types = _types(document)
    if "Annotation" in types:
        return [document]
    if "AnnotationPage" in types:
        return _page_items(document)
    if "AnnotationCollection" in types:
        first = document.get("first")
        if isinstance(first, str):
            raise ImportRefused(
                "The collection's annotations are not in the file (its pages are links). "
                "Export the collection with its pages embedded."
            )
        if not isinstance(first, dict):
            items = document.get("items")  # not in the model, but some tools write it so
            if isinstance(items, list):
                return items
            raise ImportRefused("The AnnotationCollection has no pages of annotations.")
        return _page_items(first)
    raise ImportRefused(_NOT_WEB_ANNOTATION)


def _page_items(page: dict) -> list:
    """Items of a page and of the embedded pages after it (URL-only pages are not fetched)."""
    items, pages = [], 0
    while isinstance(page, dict) and pages < 10_000:
        pages += 1
        page_items = page.get("items", [])
        if not isinstance(page_items, list):
            raise ImportRefused("An AnnotationPage's items are not a list.")
        items.extend(page_items)
        page = page.get("next")
    return items


class _Unusable(Exception):
    """One annotation cannot be used; the message says why."""


# A lone surrogate ("\\ud800" in JSON) is not a character: it cannot be stored or shown.
_SURROGATE = re.compile("[\ud800-\udfff]")
_NOT_UNICODE = (
    "it holds text that is not valid Unicode (a lone surrogate, written \\ud800 in JSON)"
)


# The HTML of comments (format text/html) is read like an imported page (_bounded_markup,
# then nh3), at a cost of a microsecond or so a character: a file may hold this much of it.
MAX_HTML_COMMENT_CHARS = 1_000_000


class _Reading:
    """What reading one file may still spend."""

    def __init__(self):
        self.html_left = MAX_HTML_COMMENT_CHARS


def _annotation(node: dict, fallback_id: str, reading: _Reading | None = None) -> IncomingAnnotation:
    """One annotation as read by _read_annotation, refused when any text taken from it (quote,
    context, comment, tags, suggestions, creator, ids, properties) holds a lone surrogate."""
    item = _read_annotation(node, fallback_id, reading or _Reading())
    texts = [
        node.get("id", node.get("@id")),  # (an id with a surrogate is not used, see _node_id)
        item.source_id, item.exact, item.prefix, item.suffix, item.body, item.creator,
        item.motivation, item.reply_to, item.source, item.state, item.severity, item.kind,
        *item.tags, *item.suggestions,
    ]  # fmt: skip
    if any(isinstance(t, str) and _SURROGATE.search(t) for t in texts):
        raise _Unusable(_NOT_UNICODE)
    if any(isinstance(t, str) and "\x00" in t for t in texts):  # PostgreSQL cannot store one
        raise _Unusable("it holds a NUL character (\\u0000 in JSON), which text never contains")
    return item


def _read_annotation(node: dict, fallback_id: str, reading: _Reading) -> IncomingAnnotation:
    item = IncomingAnnotation(source_id=_node_id(node) or fallback_id)
    motivation = _first(node.get("motivation"))
    item.motivation = _short(motivation) if isinstance(motivation, str) else None
    item.creator = _creator(node.get("creator"))
    item.created = _datetime(node.get("created"))
    _read_bodies(item, node, reading)
    for key in ("state", "severity", "kind"):
        value = _newsroom_property(node, key)
        if isinstance(value, str):
            setattr(item, key, value)

    target = node.get("target")
    if target is None:
        raise _Unusable("no target")
    targets = target if isinstance(target, list) else [target]
    # A reply targets another annotation: by its id alone, or as an object with only an id.
    if item.motivation == "replying":
        parent = next(filter(None, map(_parent_id, targets)), None)
        if not parent:
            raise _Unusable("a reply without the id of the annotation it answers")
        item.reply_to = parent
        return item

    for t in targets:
        if isinstance(t, dict) and _read_selectors(item, t):
            return item
    raise _Unusable("no TextQuoteSelector or TextPositionSelector in its target")


def _parent_id(target) -> str | None:
    if isinstance(target, str):
        return target
    if isinstance(target, dict):
        source = target.get("source")
        return _node_id(target) or (source if isinstance(source, str) else None)
    return None


def _short(term: str) -> str:
    return term.rsplit("#", 1)[-1].rsplit(":", 1)[-1]


def _newsroom_property(node: dict, key: str):
    """A newsroom:<key> extension, however it was spelt out."""
    for name, value in node.items():
        if isinstance(name, str) and (
            name == f"newsroom:{key}" or name.endswith(f":{key}") or name.endswith(f"#{key}")
        ):
            return value
    return None


def _creator(value) -> str | None:
    value = _first(value)
    if isinstance(value, str):
        return value
    if isinstance(value, dict):
        for key in ("name", "nickname", "id", "@id"):
            if isinstance(value.get(key), str):
                return value[key]
    return None


def _datetime(value) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        moment = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _body_text(body: dict, reading: _Reading) -> str | None:
    value = body.get("value", body.get("chars"))
    if not isinstance(value, str):
        return None
    if _SURROGATE.search(value):  # before the sanitiser, which cannot take it
        raise _Unusable(_NOT_UNICODE)
    fmt = body.get("format")
    if isinstance(fmt, str) and "html" in fmt:
        if len(value) > reading.html_left:
            raise _Unusable(
                f"its comment is HTML, and the file's HTML comments come to more than "
                f"{MAX_HTML_COMMENT_CHARS:,} characters; import it from a smaller file"
            )
        reading.html_left -= len(value)
        try:
            markup = _bounded_markup(value.replace("\r\n", "\n").replace("\r", "\n"))
        except ImportRefused:
            raise _Unusable(
                f"its comment's HTML is nested more than {MAX_HTML_DEPTH} elements deep or "
                f"has more than {MAX_HTML_TAGS:,} tags"
            ) from None
        # Text only: tags dropped by the sanitiser, then entities decoded.
        value = html.unescape(nh3.clean(markup, tags=set(), clean_content_tags={"script", "style"}))
    return value


def _read_bodies(item: IncomingAnnotation, node: dict, reading: _Reading) -> None:
    bodies = node.get("body", [])
    bodies = bodies if isinstance(bodies, list) else [bodies]
    comments = []
    if isinstance(node.get("bodyValue"), str):
        comments.append(node["bodyValue"])
    for body in bodies:
        if isinstance(body, str):
            continue  # an IRI: a resource elsewhere, not text we can import
        if not isinstance(body, dict):
            continue
        text = _body_text(body, reading)
        if text is None:
            continue
        purpose = _first(body.get("purpose"))
        purpose = _short(purpose) if isinstance(purpose, str) else None
        if purpose in ("tagging", "classifying"):
            item.tags.append(text)
        elif purpose == "editing":
            item.suggestions.append(text)
        else:
            comments.append(text)
    item.body = "\n\n".join(c for c in comments if c)
    item.category = item.tags[0] if item.tags else None


def _read_selectors(item: IncomingAnnotation, target: dict) -> bool:
    """Fill item from a SpecificResource's selectors; True when one was usable."""
    if isinstance(target.get("source"), str):
        item.source = target["source"]
    selectors = target.get("selector", [])
    selectors = selectors if isinstance(selectors, list) else [selectors]
    found = False
    for sel in selectors:
        if not isinstance(sel, dict):
            continue
        types = _types(sel)
        if "TextQuoteSelector" in types and isinstance(sel.get("exact"), str) and sel["exact"]:
            item.exact = sel["exact"]
            # Context beyond MAX_QUOTE_CONTEXT characters is cut off: the part next to the
            # quote is kept, which is the part that places it.
            prefix, suffix = sel.get("prefix"), sel.get("suffix")
            item.prefix = prefix[-MAX_QUOTE_CONTEXT:] if isinstance(prefix, str) else ""
            item.suffix = suffix[:MAX_QUOTE_CONTEXT] if isinstance(suffix, str) else ""
            found = True
        elif "TextPositionSelector" in types:
            start, end = sel.get("start"), sel.get("end")
            if _is_int(start) and _is_int(end) and 0 <= start < end:
                item.start, item.end = start, end
                found = True
    return found


def _is_int(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


# --------------------------------------------------------------------------------------------
# Anchoring incoming annotations onto an article's text

ANCHORED, REANCHORED, REJECTED = "anchored", "re-anchored", "rejected"
# The approximate tier: an edited quote must be this long to be recognised at all and keep this
# much of its characters (indel similarity 0..100: about one character in five may change, as in
# reviews.anchoring); unless it is long, some of its context must have survived too.
FUZZY_MIN_CHARS = 12
FUZZY_MIN_SCORE = 75.0
FUZZY_LONG_QUOTE = 60
FUZZY_CONTEXT = 16
FUZZY_CONTEXT_SCORE = 70.0

# Bounds on searching for a quote that is not at its position (one at its position is always
# placed, however long). A longer quote is not searched for at all; a quote up to
# FUZZY_MAX_CHARS long is also looked for with small edits. rapidfuzz aligns up to FUZZY_PROBE
# characters in one pass over the text: a longer quote is placed by three such pieces of it
# (its start, middle and end), and its ends then settled near where they point.
MAX_QUOTE_CHARS = 10_000
FUZZY_MAX_CHARS = 2_000
FUZZY_PROBE = 64
# What one import may spend on searching, in nanoseconds as measured: an exact search reads
# the text about five times (str.find, up to a nanosecond a character), an approximate one
# about 100 ns a character for each piece of the quote aligned (one piece, or three for a long
# quote), then compares a long quote a few hundred times with what is there (time growing
# with the square of its length). About two seconds in all: an import of a few hundred notes
# onto an edited story of ordinary length uses a small part of it. Past it, annotations that
# would need searching are rejected with _SEARCHED_ENOUGH.
SEARCH_BUDGET = 2_000_000_000
_SEARCHED_ENOUGH = (
    "not searched for: placing this file's annotations took all the searching one import "
    "allows; import the ones rejected for this reason again, from a smaller file"
)


class _Budget:
    def __init__(self, units: int):
        self.left = units

    def take(self, units: int) -> bool:
        if units > self.left:
            return False
        self.left -= units
        return True


def anchor_incoming(
    text: str, incoming: list[IncomingAnnotation]
) -> list[tuple[IncomingAnnotation, tuple[int, int] | None, str, str]]:
    """Place each annotation on text: (annotation, (start, end) or None, how, reason).

    how is "anchored" when the position holds the quote (or there is only a position and it fits
    the text), "re-anchored" when the quote was found elsewhere - exactly, chosen by its context
    and nearness to the old position, or approximately when its words were lightly edited - and
    "rejected" otherwise. A rejected annotation is never guessed onto other words. Searching is
    bounded: see MAX_QUOTE_CHARS, FUZZY_MAX_CHARS and SEARCH_BUDGET.
    """
    budget = _Budget(SEARCH_BUDGET)
    return [(item, *_anchor_one(text, item, budget)) for item in incoming]


def _anchor_one(
    text: str, item: IncomingAnnotation, budget: _Budget | None = None
) -> tuple[tuple[int, int] | None, str, str]:
    budget = budget if budget is not None else _Budget(SEARCH_BUDGET)
    has_position = item.start is not None and item.end is not None and 0 <= item.start < item.end
    fits = has_position and item.end <= len(text)
    if item.exact is None:
        if fits:
            return (item.start, item.end), ANCHORED, "position only: no quote to check it against"
        return None, REJECTED, "no quote, and the position is outside the text"
    if fits and text[item.start : item.end] == item.exact:
        return (item.start, item.end), ANCHORED, "the position holds the quote"
    if len(item.exact) > MAX_QUOTE_CHARS:
        return (
            None,
            REJECTED,
            f"the quote is not at its position, and at over {MAX_QUOTE_CHARS:,} characters it "
            "is too long to search for",
        )
    if not budget.take(5 * len(text)):
        return None, REJECTED, _SEARCHED_ENOUGH

    found = locate_quote(text, item.exact, item.prefix, item.suffix, hint=item.start)
    if found is not None:
        why = "the quote was found at another position" if has_position else "found by its quote"
        return found, REANCHORED, why
    if FUZZY_MIN_CHARS <= len(item.exact) <= FUZZY_MAX_CHARS and text:
        if len(item.exact) <= FUZZY_PROBE:
            cost = 100 * len(text) + 3_000_000
        else:
            cost = 300 * len(text) + 12 * len(item.exact) ** 2
        if not budget.take(cost):
            return None, REJECTED, _SEARCHED_ENOUGH
        approx = _approximate(text, item)
        if approx is not None:
            return approx, REANCHORED, "an edited version of the quote was found"
    if text.count(item.exact) > 1:
        return (
            None,
            REJECTED,
            "the quote occurs more than once and its context does not decide where",
        )
    if item.exact and item.exact in text:
        return (
            None,
            REJECTED,
            "the quote is in the text, but its context there differs and it is too short to "
            "place on its own",
        )
    return None, REJECTED, "quote not found in the text"


def _approximate(text: str, item: IncomingAnnotation) -> tuple[int, int] | None:
    """The words most like a lightly edited quote, if similar enough and its context agrees.

    rapidfuzz finds the best window of the quote's own length (_fuzzy_windows); an edit that
    changed the length ("on" -> "against") leaves that window cut mid-word, so its ends are
    then moved to the word boundaries nearby that give the most similar passage: every pair of
    them for a quote of up to FUZZY_PROBE characters, and for a longer one the best start, then
    the best end (each of a few dozen comparisons), so that the work stays linear.
    """
    exact = item.exact or ""
    if not FUZZY_MIN_CHARS <= len(exact) <= FUZZY_MAX_CHARS or not text:
        return None
    best, best_score = None, 0.0
    for w_start, w_end in _fuzzy_windows(exact, text):
        slack = max(4, len(exact) // 3)
        if len(exact) <= FUZZY_PROBE:
            lo, hi = max(0, w_start - slack), min(len(text), w_end + slack)
            starts, ends = _word_starts(text, lo, hi), _word_ends(text, lo + 1, hi + 1)
        else:
            near = min(slack, FUZZY_PROBE)
            starts = _word_starts(text, max(0, w_start - near), min(len(text), w_start + near))
            ends = _word_ends(text, max(1, w_end - near), min(len(text), w_end + near) + 1)
        span = _best_span(exact, text, starts, ends, long=len(exact) > FUZZY_PROBE)
        if span is not None:
            score = fuzz.ratio(exact, text[span[0] : span[1]])
            if score > best_score:
                best, best_score = span, score
    if best is None:
        return None
    if len(exact) >= FUZZY_LONG_QUOTE:
        return best
    a, b = best
    before = (
        fuzz.ratio(item.prefix[-FUZZY_CONTEXT:], text[max(0, a - FUZZY_CONTEXT) : a])
        if item.prefix
        else 0
    )
    after = (
        fuzz.ratio(item.suffix[:FUZZY_CONTEXT], text[b : b + FUZZY_CONTEXT]) if item.suffix else 0
    )
    return best if max(before, after) >= FUZZY_CONTEXT_SCORE else None


def _word_starts(text: str, lo: int, hi: int) -> list[int]:
    return [
        i for i in range(lo, hi) if (i == 0 or not text[i - 1].isalnum()) and not text[i].isspace()
    ]


def _word_ends(text: str, lo: int, hi: int) -> list[int]:
    return [
        i
        for i in range(lo, hi)
        if (i == len(text) or not text[i].isalnum()) and not text[i - 1].isspace()
    ]


def _best_span(
    exact: str, text: str, starts: list[int], ends: list[int], long: bool
) -> tuple[int, int] | None:
    """The (start, end) among these most like exact, scoring at least FUZZY_MIN_SCORE; the
    first found of equals. Every pair; or, when long, the best start for the last end then the
    best end for that start."""
    best, best_score = None, FUZZY_MIN_SCORE
    if not long:
        for a in starts:
            for b in ends:
                if b > a:
                    score = fuzz.ratio(exact, text[a:b], score_cutoff=best_score)
                    if score > best_score:
                        best, best_score = (a, b), score
        return best
    if not starts or not ends:
        return None
    a = max(starts, key=lambda a: (fuzz.ratio(exact, text[a : ends[-1]]), -a))
    b = max((b for b in ends if b > a), key=lambda b: (fuzz.ratio(exact, text[a:b]), -b), default=None)
    if b is None or fuzz.ratio(exact, text[a:b]) <= FUZZY_MIN_SCORE:
        return None
    return a, b


def _fuzzy_windows(exact: str, text: str) -> list[tuple[int, int]]:
    """Where in text a stretch like exact may be: for a quote of up to FUZZY_PROBE characters,
    rapidfuzz's best alignment of it; for a longer one (whose whole alignment costs time
    growing faster than the square of its length), the stretches its start, middle and end
    pieces point to, a start piece and an end piece that agree giving one stretch."""
    cutoff = FUZZY_MIN_SCORE - 10
    if len(exact) <= FUZZY_PROBE:
        hit = fuzz.partial_ratio_alignment(exact, text, score_cutoff=cutoff)
        return [] if hit is None else [(hit.dest_start, hit.dest_end)]
    hits = {}
    for offset in (0, (len(exact) - FUZZY_PROBE) // 2, len(exact) - FUZZY_PROBE):
        piece = exact[offset : offset + FUZZY_PROBE]
        hit = fuzz.partial_ratio_alignment(piece, text, score_cutoff=cutoff)
        if hit is not None:  # where the quote would start and end by this piece
            start = hit.dest_start - hit.src_start - offset
            hits[offset] = (start, start + len(exact), hit.dest_end + (len(piece) - hit.src_end))
    windows = []
    if 0 in hits and len(exact) - FUZZY_PROBE in hits:
        start, end = hits[0][0], hits[len(exact) - FUZZY_PROBE][2]
        if len(exact) // 2 <= end - start <= 2 * len(exact):
            windows.append((start, end))
    windows += [(start, end) for start, end, _ in hits.values()]
    clipped = []
    for start, end in windows:
        start, end = max(0, start), min(len(text), end)
        if end > start and (start, end) not in clipped:
            clipped.append((start, end))
    return clipped
