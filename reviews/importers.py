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
unless no annotation at all is usable.
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

from reviews.anchoring import locate_quote

ARTICLE_EXTENSIONS = (".txt", ".md", ".docx", ".html", ".htm")


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


def _front_matter_title(text: str) -> tuple[str | None, str]:
    """A YAML front matter block (static-site and CMS exports) is not story text: drop it,
    and take its title if it has one."""
    m = _FRONT_MATTER.match(text)
    if not m:
        return None, text
    import yaml  # PyYAML, already a dependency (Vale rules); safe_load only

    try:
        meta = yaml.safe_load(m.group(1))
    except yaml.YAMLError:
        meta = None
    if not isinstance(meta, dict):
        return None, text  # rules around a paragraph, not front matter: the text as written
    title = meta.get("title")
    return (str(title).strip() or None) if title else None, text[m.end() :]


def _read_markdown(text: str) -> tuple[str | None, str]:
    from markdown_it import MarkdownIt  # imported here: only .md uploads pay for loading it

    meta_title, text = _front_matter_title(text)

    # "html": False: HTML written in the Markdown is text of the story, never markup. Only a
    # heading that opens the file is the title; "# Later" further down is a section heading.
    title, body = _read_html(MarkdownIt("commonmark", {"html": False}).render(text),
                             leading_h1_only=True)
    return title or meta_title, body


def _read_docx(data: bytes, max_bytes: int) -> tuple[str | None, str]:
    from docx import Document  # imported here: only .docx uploads pay for loading python-docx

    invalid = "The file is not a valid Word document (.docx). Old .doc files must be saved as .docx first."
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            info = archive.getinfo("word/document.xml")
            expanded = sum(i.file_size for i in archive.infolist())
    except (zipfile.BadZipFile, KeyError, OSError, EOFError, ValueError):
        raise ImportRefused(invalid) from None
    # A zip can expand enormously; refuse before python-docx inflates it all into memory.
    limit = max(50 * max_bytes, 200 * 1024 * 1024)
    if info.file_size > limit or expanded > 2 * limit:
        raise ImportRefused(
            f"The Word document expands to more than {_size(limit)}; it cannot be imported."
        )
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


def _docx_paragraphs(document):
    """(style name, text, is a list item) of each paragraph in document order, table cells
    included."""
    from docx.table import Table

    def walk(container):
        for block in container.iter_inner_content():
            if isinstance(block, Table):
                for row in block.rows:
                    seen = set()
                    for cell in row.cells:
                        if id(cell._tc) in seen:  # merged cells repeat
                            continue
                        seen.add(id(cell._tc))
                        yield from walk(cell)
            else:
                style = block.style.name if block.style is not None else ""
                ppr = block._p.pPr
                listed = style.startswith(("List Bullet", "List Number")) or (
                    ppr is not None and ppr.numPr is not None
                )
                yield style, block.text, listed

    yield from walk(document)


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


def _read_html(markup: str, leading_h1_only: bool = False) -> tuple[str | None, str]:
    safe = nh3.clean(
        _normalise_newlines(markup), tags=_HTML_KEEP, clean_content_tags=_HTML_DROP, attributes={}
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
        roles = {role for _, role in self._roles}
        if tag in ("main", "article") and "furniture" not in roles:
            return tag
        if tag in _FURNITURE and not roles & {"main", "article"}:
            return "furniture"
        return None

    def handle_starttag(self, tag, attrs):
        if tag == "title":
            self._in_title = True
        elif tag in _BLOCK:
            self._break()
            role = self._role_of(tag)
            if role == "article" and all(r != "article" for _, r in self._roles):
                self._articles += 1
            if role:
                self._roles.append((tag, role))
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
                self._roles.pop()
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
            roles = {role for _, role in self._roles}
            scope = 2 if "main" in roles else 1 if "article" in roles else 0
            article = self._articles if "article" in roles else 0
            self._paras.append(_Para(text, scope, "furniture" in roles, h1, article))

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
    value = obj.get("id", obj.get("@id")) if isinstance(obj, dict) else None
    return value if isinstance(value, str) else None


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
    for index, node in enumerate(nodes, start=1):
        fallback_id = f"annotation #{index}"
        if not isinstance(node, dict) or "Annotation" not in _types(node):
            rejected.append((_node_id(node) or fallback_id, "not an Annotation"))
            continue
        try:
            parsed.append(_annotation(node, fallback_id))
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


def _annotation(node: dict, fallback_id: str) -> IncomingAnnotation:
    item = IncomingAnnotation(source_id=_node_id(node) or fallback_id)
    motivation = _first(node.get("motivation"))
    item.motivation = _short(motivation) if isinstance(motivation, str) else None
    item.creator = _creator(node.get("creator"))
    item.created = _datetime(node.get("created"))
    _read_bodies(item, node)
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


def _body_text(body: dict) -> str | None:
    value = body.get("value", body.get("chars"))
    if not isinstance(value, str):
        return None
    fmt = body.get("format")
    if isinstance(fmt, str) and "html" in fmt:
        # Text only: tags dropped by the sanitiser, then entities decoded.
        value = html.unescape(nh3.clean(value, tags=set(), clean_content_tags={"script", "style"}))
    return value


def _read_bodies(item: IncomingAnnotation, node: dict) -> None:
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
        text = _body_text(body)
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
            item.prefix = sel.get("prefix") if isinstance(sel.get("prefix"), str) else ""
            item.suffix = sel.get("suffix") if isinstance(sel.get("suffix"), str) else ""
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


def anchor_incoming(
    text: str, incoming: list[IncomingAnnotation]
) -> list[tuple[IncomingAnnotation, tuple[int, int] | None, str, str]]:
    """Place each annotation on text: (annotation, (start, end) or None, how, reason).

    how is "anchored" when the position holds the quote (or there is only a position and it fits
    the text), "re-anchored" when the quote was found elsewhere - exactly, chosen by its context
    and nearness to the old position, or approximately when its words were lightly edited - and
    "rejected" otherwise. A rejected annotation is never guessed onto other words.
    """
    return [(item, *_anchor_one(text, item)) for item in incoming]


def _anchor_one(text: str, item: IncomingAnnotation) -> tuple[tuple[int, int] | None, str, str]:
    has_position = item.start is not None and item.end is not None and 0 <= item.start < item.end
    fits = has_position and item.end <= len(text)
    if item.exact is None:
        if fits:
            return (item.start, item.end), ANCHORED, "position only: no quote to check it against"
        return None, REJECTED, "no quote, and the position is outside the text"
    if fits and text[item.start : item.end] == item.exact:
        return (item.start, item.end), ANCHORED, "the position holds the quote"

    found = locate_quote(text, item.exact, item.prefix, item.suffix, hint=item.start)
    if found is not None:
        why = "the quote was found at another position" if has_position else "found by its quote"
        return found, REANCHORED, why
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

    rapidfuzz finds the best window of the quote's own length; an edit that changed the length
    ("on" -> "against") leaves that window cut mid-word, so its ends are then moved to the word
    boundaries nearby that give the most similar passage.
    """
    exact = item.exact or ""
    if len(exact) < FUZZY_MIN_CHARS or not text:
        return None
    window = fuzz.partial_ratio_alignment(exact, text, score_cutoff=FUZZY_MIN_SCORE - 10)
    if window is None:
        return None
    slack = max(4, len(exact) // 3)
    lo, hi = max(0, window.dest_start - slack), min(len(text), window.dest_end + slack)
    starts = [
        i for i in range(lo, hi) if (i == 0 or not text[i - 1].isalnum()) and not text[i].isspace()
    ]
    ends = [
        i
        for i in range(lo + 1, hi + 1)
        if (i == len(text) or not text[i].isalnum()) and not text[i - 1].isspace()
    ]
    best, best_score = None, FUZZY_MIN_SCORE
    for a in starts:
        for b in ends:
            if b > a:
                score = fuzz.ratio(exact, text[a:b], score_cutoff=best_score)
                if score > best_score:
                    best, best_score = (a, b), score
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
