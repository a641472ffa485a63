"""Where the direct quotations are: words inside them are the speaker's, not the paper's.

Double quotes: curly, straight, guillemets and low-9, paired within a paragraph, each opening
mark with its own closers: English “…” (and “…" as writers mix them), German „…“ and Polish
„…”, French «…», German and Danish »…«, straight "…". A straight mark right after a digit
with no quotation open is an inch mark (12"), not an opener. The wire convention holds: a
quotation left open at the end of a paragraph runs to its end.

Single quotes, curly or straight (British copy, headline scare quotes), and German ‚…‘: a
mark opens after the start of the paragraph, a space, a bracket, a dash or a double quote,
and before a letter or digit, unless it begins an elision ('90s, 'tis, rock 'n' roll). It
closes at the next mark that follows a non-space and comes before a non-letter, so
apostrophes inside words ("It’s") are passed over. A plural possessive ("the bosses’
greed") closes a quotation only when nothing later in the paragraph can. A curly opening
mark left open runs to the end of the paragraph, like a double one; a straight one left
open was an apostrophe and is ignored.
"""

from __future__ import annotations

import re

_PARAGRAPH = re.compile(r"[^\n]+(?:\n(?!\s*\n)[^\n]*)*")
_DOUBLE = re.compile(r"[\"“”«»„]")
# Each opening mark and the marks that close it: English “…”, German „…“ (Polish „…”),
# French «…», German and Danish »…«, and a straight mark closed by a straight or curly one.
_CLOSED_BY = {"“": "”", "„": "“”", "«": "»", "»": "«", '"': '"”'}
_CURLY_OPENERS = "“„«»"
_SINGLE_MARKS = re.compile(r"[‘’'‚]")
# What may stand before an opening mark (besides the start of the paragraph).
_BEFORE_OPENER = set(" \t\n\u00a0([{—–-/\"“«„:")
# Elisions that begin with an apostrophe: '90s, '07, 'tis, 'twas, 'em, 'cause, 'n'.
_ELISION = re.compile(
    r"(?:\d\d(?:s\b|\b)|(?:tis|twas|em|cause|cos|til|bout|round|n|ere|ave)\b)", re.IGNORECASE
)


def quoted_spans(text: str) -> list[tuple[int, int]]:
    """(start, end) of each direct quotation, quote marks included, in text order."""
    spans: list[tuple[int, int]] = []
    for para in _PARAGRAPH.finditer(text):
        spans += _double_quoted(text, para.start(), para.end())
        spans += _single_quoted(text, para.start(), para.end())
    spans.sort()
    return _merge(spans)


def _opens_here(text: str, i: int, p_start: int) -> bool:
    """Whether a mark at i stands where a quotation could open: after a space, a bracket, a
    dash or the paragraph's start, and before something that is not a space."""
    before_ok = i == p_start or text[i - 1] in _BEFORE_OPENER
    after_ok = i + 1 < len(text) and not text[i + 1].isspace()
    return before_ok and after_ok


def _double_quoted(text: str, p_start: int, p_end: int) -> list[tuple[int, int]]:
    spans = []
    open_at = None
    opener = ""
    nested_straight = False  # a "…" pair inside a curly quotation
    for m in _DOUBLE.finditer(text, p_start, p_end):
        ch, i = m.group(), m.start()
        if open_at is None:
            if ch not in _CLOSED_BY:
                continue  # a stray closing mark
            if ch == '"' and i > p_start and text[i - 1].isalnum():
                continue  # 12" — an inch mark, or a stray closer: nothing opens here
            open_at, opener = i, ch
        elif ch == '"' and opener in _CURLY_OPENERS:
            if nested_straight:
                nested_straight = False
            elif _opens_here(text, i, p_start):
                nested_straight = True  # “He called it "a disgrace" and left.”
            else:
                spans.append((open_at, m.end()))  # “mixed marks," he said
                open_at = None
        elif ch in _CLOSED_BY[opener]:
            spans.append((open_at, m.end()))
            open_at, nested_straight = None, False
        elif ch in _CLOSED_BY:
            # A second opening mark: the first quotation was left unclosed; end it here.
            spans.append((open_at, i))
            open_at, opener, nested_straight = i, ch, False
    if open_at is not None:
        spans.append((open_at, p_end))
    return spans


def _single_opener(text: str, i: int, p_start: int) -> bool:
    if text[i] == "’":  # a closing mark never opens (’90s, ’Tis)
        return False
    if text[i] == "‚":  # a low-9 single mark only ever opens (German ‚…‘)
        return i + 1 < len(text) and not text[i + 1].isspace()
    if not _opens_here(text, i, p_start):
        return False
    nxt = text[i + 1]
    if not (nxt.isalnum() or nxt in "“\"…"):
        return False
    return not _ELISION.match(text, i + 1)


def _single_closer(text: str, j: int, p_end: int, opener: str = "‘") -> str:
    """'strong' for a mark that can close a quotation, 'weak' for one that may instead be a
    plural possessive (the bosses’ greed), '' for neither (an apostrophe inside a word)."""
    if text[j] == "‚" or text[j] == "‘" and opener != "‚" or text[j - 1].isspace():
        return ""
    after = text[j + 1] if j + 1 < p_end else ""
    if after.isalnum():
        return ""
    if (
        text[j - 1] in "sS"
        and after in " \u00a0"
        and j + 2 < p_end
        and (text[j + 2].islower() or text[j + 2].isdigit())
    ):
        return "weak"
    return "strong"


def _single_quoted(text: str, p_start: int, p_end: int) -> list[tuple[int, int]]:
    spans = []
    marks = [m.start() for m in _SINGLE_MARKS.finditer(text, p_start, p_end)]
    # For each mark, the first strong and the first weak closer at or after it, per kind of
    # opener (only "‚" reads marks differently): one backward pass each, so a paragraph of
    # thousands of unclosed marks costs no more than its length.
    nearest: dict[bool, tuple[list, list]] = {}

    def closers(opener: str) -> tuple[list, list]:
        low9 = opener == "‚"
        if low9 not in nearest:
            strong, weak = [None] * (len(marks) + 1), [None] * (len(marks) + 1)
            for idx in range(len(marks) - 1, -1, -1):
                kind = _single_closer(text, marks[idx], p_end, opener)
                strong[idx] = idx if kind == "strong" else strong[idx + 1]
                weak[idx] = idx if kind == "weak" else weak[idx + 1]
            nearest[low9] = (strong, weak)
        return nearest[low9]

    k = 0
    while k < len(marks):
        o = marks[k]
        k += 1
        if not _single_opener(text, o, p_start):
            continue
        strong, weak = closers(text[o])
        close = strong[k] if strong[k] is not None else weak[k]
        if close is not None:
            spans.append((o, marks[close] + 1))
            k = close + 1
        elif text[o] in "‘‚":
            spans.append((o, p_end))  # left open: the quotation runs on to the next paragraph
            break
    return spans


def _merge(spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    merged: list[tuple[int, int]] = []
    for s, e in spans:
        if merged and s <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], e))
        else:
            merged.append((s, e))
    return merged
