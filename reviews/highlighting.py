"""Overlapping highlight spans -> flat segments for rendering. Pure: no Django.

The article body is plain text split into paragraphs at blank lines. Each paragraph is
rendered as a run of segments; a segment is a stretch of text covered by the same set of
spans, so overlapping highlights become nested-free, flat <mark> elements.
"""

from __future__ import annotations

import re
from collections.abc import Hashable, Iterable
from dataclasses import dataclass, field

_PARAGRAPH_BREAK = re.compile(r"\n[ \t\f\v\r]*\n\s*")


@dataclass(frozen=True)
class Span:
    start: int
    end: int
    key: Hashable


@dataclass
class Segment:
    start: int
    end: int
    text: str
    keys: tuple = ()


@dataclass
class Paragraph:
    start: int
    end: int
    segments: list[Segment] = field(default_factory=list)

    @property
    def text(self) -> str:
        return "".join(s.text for s in self.segments)


def paragraph_bounds(text: str) -> list[tuple[int, int]]:
    """(start, end) of each non-blank paragraph; the blank-line breaks between them are excluded."""
    bounds = []
    pos = 0
    for m in _PARAGRAPH_BREAK.finditer(text):
        if text[pos : m.start()].strip():
            bounds.append((pos, m.start()))
        pos = m.end()
    if text[pos:].strip():
        end = len(text.rstrip())
        bounds.append((pos, end))
    return bounds


def segments(text: str, start: int, end: int, spans: Iterable[Span]) -> list[Segment]:
    """Cut text[start:end] at every span boundary; each piece lists the spans covering it.

    Keys in each segment are ordered shortest span first, so the innermost highlight of an
    overlap comes first (that is the one a click on the overlap should mean).
    """
    clipped = [
        (max(s.start, start), min(s.end, end), s)
        for s in spans
        if s.end > start and s.start < end and s.end > s.start
    ]
    cuts = {start, end}
    for s, e, _ in clipped:
        cuts.add(s)
        cuts.add(e)
    points = sorted(cuts)
    # Sweep: spans sorted by start; an active list is small in practice (few overlaps).
    by_start = sorted(clipped, key=lambda c: c[0])
    out: list[Segment] = []
    active: list[Span] = []
    i = 0
    for a, b in zip(points, points[1:], strict=False):
        while i < len(by_start) and by_start[i][0] <= a:
            active.append(by_start[i][2])
            i += 1
        active = [sp for sp in active if min(sp.end, end) > a]
        covering = sorted(
            (sp for sp in active if max(sp.start, start) <= a),
            key=lambda sp: (sp.end - sp.start, sp.start),
        )
        out.append(Segment(a, b, text[a:b], tuple(sp.key for sp in covering)))
    return _merge_equal(out)


def _merge_equal(segs: list[Segment]) -> list[Segment]:
    merged: list[Segment] = []
    for seg in segs:
        if merged and merged[-1].keys == seg.keys and merged[-1].end == seg.start:
            last = merged[-1]
            merged[-1] = Segment(last.start, seg.end, last.text + seg.text, last.keys)
        else:
            merged.append(seg)
    return merged


def paragraphs(text: str, spans: Iterable[Span]) -> list[Paragraph]:
    """The whole body as paragraphs of highlight segments."""
    spans = sorted(spans, key=lambda s: s.start)
    result = []
    # One sweep: paragraphs come in order, so a span that ends before one paragraph starts
    # ends before every later one too. (Filtering every span for every paragraph was the
    # slowest part of a long, busy story.)
    here: list[Span] = []  # spans starting before this paragraph's end, in start order
    i = 0
    for p_start, p_end in paragraph_bounds(text):
        while i < len(spans) and spans[i].start < p_end:
            here.append(spans[i])
            i += 1
        here = [s for s in here if s.end > p_start]
        result.append(Paragraph(p_start, p_end, segments(text, p_start, p_end, here)))
    return result
