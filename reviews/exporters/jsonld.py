"""W3C Web Annotation export (JSON-LD): one AnnotationCollection holding every note.

Shape
-----
``{"@context": [anno.jsonld, {"newsroom": ...}], "type": "AnnotationCollection", "label":
title, "total": n, "first": {"type": "AnnotationPage", "items": [...]}}`` - a single embedded
page, so a consumer never has to fetch anything else.

Each note is an ``Annotation`` whose target is a ``SpecificResource`` on the article's URL with
a ``TextQuoteSelector`` (exact, prefix, suffix) *and* a ``TextPositionSelector`` (start, end).
Offsets are code points, as the model specifies and as the app stores them. ``exact`` is always
re-read from the text at (start, end), so the two selectors cannot disagree. An orphaned note has
no position any more: its target carries only the quote it had.

Motivation mapping
------------------
- annotation, category ``fact_check`` -> ``assessing`` (it judges the passage's accuracy)
- annotation, category ``needs_source`` -> ``questioning`` (it asks for a source)
- any other annotation -> ``commenting``
- loaded-language flag -> ``classifying`` (the passage is classified by the house lexicon)
- reply -> ``replying``; a reply is its own Annotation whose target is its parent's id.

Bodies
------
- the comment (or a flag's rationale): ``TextualBody``, purpose ``commenting``, text/plain;
- the category: ``TextualBody``, purpose ``tagging``, value = the machine name (``fact_check``);
  tagging rather than classifying because tags are what generic clients show and search;
- each suggested neutral alternative of a flag: ``TextualBody``, purpose ``editing``.

Extension properties (prefix ``newsroom:``, declared in the second context object): ``kind``
(annotation/flag), ``state`` (open/resolved/dismissed/accepted/discussed), ``severity`` (flags:
info/warn/high - a property rather than a ``severity:high`` tag so it does not pollute the tag
list), ``attributed`` (flag inside a direct quotation), ``orphaned``, ``resolvedBy`` and
``resolved`` (ISO 8601). Ids are ``{url}#annotation-{id}``, ``{url}#flag-{id}`` and
``{url}#annotation-{id}-reply-{reply id}``.
"""

from __future__ import annotations

import json

from reviews.anchoring import quote_selector
from reviews.exporters import is_anchored, iso, note_order
from reviews.exporters.snapshot import NoteSnap, ReplySnap, Snapshot

ANNO_CONTEXT = "http://www.w3.org/ns/anno.jsonld"
# No one owns a domain for this vocabulary, so a URN rather than an http IRI we cannot serve.
NEWSROOM_NS = "urn:x-newsroom-review:"
CONTEXT = [ANNO_CONTEXT, {"newsroom": NEWSROOM_NS}]

MOTIVATIONS = {"fact_check": "assessing", "needs_source": "questioning"}


def note_iri(snapshot: Snapshot, note: NoteSnap) -> str:
    return f"{snapshot.url}#{'flag' if note.kind == 'flag' else 'annotation'}-{note.id}"


def motivation(note: NoteSnap) -> str:
    if note.kind == "flag":
        return "classifying"
    return MOTIVATIONS.get(note.category, "commenting")


def _text_body(value: str, purpose: str) -> dict:
    return {"type": "TextualBody", "value": value, "format": "text/plain", "purpose": purpose}


def _target(snapshot: Snapshot, note: NoteSnap) -> dict:
    if is_anchored(note):
        quote = quote_selector(snapshot.text, note.start, note.end)
        selectors = [
            {
                "type": "TextQuoteSelector",
                "exact": quote.exact,
                "prefix": quote.prefix,
                "suffix": quote.suffix,
            },
            {"type": "TextPositionSelector", "start": note.start, "end": note.end},
        ]
    else:
        selectors = [
            {
                "type": "TextQuoteSelector",
                "exact": note.exact,
                "prefix": note.prefix,
                "suffix": note.suffix,
            }
        ]
    return {"type": "SpecificResource", "source": snapshot.url, "selector": selectors}


def annotation(snapshot: Snapshot, note: NoteSnap) -> dict:
    body = [_text_body(note.body, "commenting"), _text_body(note.category, "tagging")]
    body += [_text_body(s, "editing") for s in note.suggestions]
    item = {
        "id": note_iri(snapshot, note),
        "type": "Annotation",
        "motivation": motivation(note),
        "creator": {"type": "Person", "name": note.author},
        "created": iso(note.created),
        "body": body,
        "target": _target(snapshot, note),
        "newsroom:kind": note.kind,
        "newsroom:state": note.state,
    }
    if note.kind == "flag":
        if note.severity:
            item["newsroom:severity"] = note.severity
        item["newsroom:attributed"] = note.attributed
    if not is_anchored(note):
        item["newsroom:orphaned"] = True
    if note.resolved_by:
        item["newsroom:resolvedBy"] = note.resolved_by
    if note.resolved_at is not None:
        item["newsroom:resolved"] = iso(note.resolved_at)
    return item


def reply_annotation(parent_iri: str, reply: ReplySnap) -> dict:
    return {
        "id": f"{parent_iri}-reply-{reply.id}",
        "type": "Annotation",
        "motivation": "replying",
        "creator": {"type": "Person", "name": reply.author},
        "created": iso(reply.created),
        "body": [_text_body(reply.body, "commenting")],
        "target": parent_iri,
    }


def collection(snapshot: Snapshot) -> dict:
    """The AnnotationCollection as a dict; notes in document order, orphans last, each
    followed by its replies."""
    items = []
    notes = sorted(snapshot.notes, key=lambda n: (not is_anchored(n), note_order(n)))
    for note in notes:
        parent = annotation(snapshot, note)
        items.append(parent)
        items.extend(reply_annotation(parent["id"], r) for r in note.replies)
    result = {
        "@context": CONTEXT,
        "id": f"{snapshot.url}#annotations",
        "type": "AnnotationCollection",
        "label": snapshot.title,
        "total": len(items),
        "generator": {"type": "Software", "name": "Newsroom Review"},
        "first": {
            "id": f"{snapshot.url}#annotations-page-1",
            "type": "AnnotationPage",
            "startIndex": 0,
            "items": items,
        },
    }
    if snapshot.exported_at is not None:
        result["generated"] = iso(snapshot.exported_at)
    return result


def export_jsonld(snapshot: Snapshot) -> bytes:
    return json.dumps(collection(snapshot), ensure_ascii=False, indent=2).encode("utf-8")
