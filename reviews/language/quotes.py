"""Where the direct quotations are: words inside them are the speaker's, not the paper's.

Handles curly double quotes, straight double quotes (paired within a paragraph), guillemets
and low-9 quotes, curly single quotes used as quotation marks (but not apostrophes), and the
wire convention of a quote running over paragraphs (an opening mark left open at the end of
a paragraph runs to its end).
"""

from __future__ import annotations

import re

_PARAGRAPH = re.compile(r"[^\n]+(?:\n(?!\s*\n)[^\n]*)*")
_DOUBLE = re.compile(r"[\"“”«»„]")
# A curly single quote opens after a space, bracket or dash and closes before a non-letter,
# so apostrophes inside ("It’s") and after a plural ("voters’ rights") are passed over.
_SINGLE = re.compile(r"(?:(?<=^)|(?<=[\s(\[—–-]))‘.+?’(?!\w)", re.DOTALL)
_OPENERS = "“«„"
_CLOSERS = "”»"


def quoted_spans(text: str) -> list[tuple[int, int]]:
    """(start, end) of each direct quotation, quote marks included, in text order."""
    spans: list[tuple[int, int]] = []
    for para in _PARAGRAPH.finditer(text):
        p_start, p_end = para.start(), para.end()
        open_at = None
        opener = ""
        for m in _DOUBLE.finditer(text, p_start, p_end):
            ch = m.group()
            if open_at is None:
                if ch in _CLOSERS:
                    continue  # a stray closing mark
                open_at, opener = m.start(), ch
            elif ch == '"' and opener == '"' or ch in _CLOSERS and opener in _OPENERS:
                spans.append((open_at, m.end()))
                open_at = None
            elif ch in _OPENERS and opener in _OPENERS:
                open_at, opener = m.start(), ch  # a second opener: restart there
        if open_at is not None:
            spans.append((open_at, p_end))
        for m in _SINGLE.finditer(text, p_start, p_end):
            spans.append((m.start(), m.end()))
    spans.sort()
    return _merge(spans)


def _merge(spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    merged: list[tuple[int, int]] = []
    for s, e in spans:
        if merged and s <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], e))
        else:
            merged.append((s, e))
    return merged
