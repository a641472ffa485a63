"""W3C text selectors and re-anchoring of spans from one text to the next. Pure: no Django.

Offsets are Python str indices (code points). A stored span carries a TextPositionSelector
(start, end) and a TextQuoteSelector (exact, prefix, suffix): position is fast, the quote is
what survives edits.

The diff of a revision is computed once (``Reanchorer``) and shared by every span. It is built
paragraph first: paragraphs (and the blank lines between them) are compared as whole units, so
an untouched paragraph is always matched verbatim however much changes around it, and only the
runs of paragraphs that did change are compared character by character (which also keeps the
diff fast on long articles). A paragraph deleted in one place and inserted in another, verbatim
or lightly edited, is paired as moved and gets its own character diff.

Re-anchoring a span from an old text to a new one tries, in order:

1. the diff: a span inside an unchanged (or moved) stretch maps to the exact new span
   (confidence 1); a span whose own characters mostly survive maps through the diff onto the
   edited words (confidence = similarity, so bigger edits ask for confirmation);
2. the quote: its exact words found elsewhere, e.g. in a sentence moved to another paragraph;
3. approximate matching: the quote with small edits, aligned with and without its context;
4. otherwise orphaned (None): never guessed onto unrelated words.

Tiers 2 and 3 search only text the diff does not trace back to some *other* place in the old
text. If the passage was deleted, a repeat of its words elsewhere ("said on Tuesday", "the
government") was already there before the edit and is that other passage, not this one. Newly
written text can repeat a stock phrase too, so a match there must also show that it moved with
its surroundings: enough matching text around it, agreeing on each side for a word or two or up
to where a sentence ends in both texts.

Finding a quote by its selector (``locate_quote``; also for stale offsets and quotes the old text
lacks) is linear in the text: only ``MAX_QUOTE_CONTEXT`` characters of context next to the
quote are compared, only places that repeat some of that context are weighed, and a quote that
context leaves at more than ``MAX_CANDIDATES`` places is ambiguous.
"""

from __future__ import annotations

import bisect
import re
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

from diff_match_patch import diff_match_patch
from rapidfuzz import fuzz, process

CONTEXT_CHARS = 32
# Of a quote's prefix and suffix, only this much next to the quote is compared when finding it
# (a selector's context may be any length; the characters nearest the quote decide).
MAX_QUOTE_CONTEXT = 1_000
# The most places a quote is weighed at; one that its context leaves at more is ambiguous.
MAX_CANDIDATES = 10_000

# Below this confidence a re-anchored span is marked for a person to confirm.
CONFIRM_BELOW = 0.9
# The least similarity (0..1, indel-based) between the old quote and its new words. About
# one character in five changed.
MIN_SIMILARITY = 0.75
# At least this share of a span's own characters must survive for the diff tier to keep it.
MIN_SURVIVING = 0.5
# A quote found away from where the diff left it must match, with the text around it that
# came along, over at least this many characters. Stock phrases ("did not immediately respond
# to a request for comment") recur in news copy and prove nothing alone.
MIN_EVIDENCE = 40
# ... and on each side agree for at least this many characters, or up to a sentence boundary.
MIN_SIDE = 8
# How far outward old and new text are compared for what came along with a quote.
CONTEXT_REACH = 160
# A candidate is refused when more than this share of its characters come, by the diff, from
# old text outside the span: those words were already there and belong to another passage.
MAX_FOREIGN = 0.5
# Shorter quotes are too small to recognise once their own characters have changed.
MIN_FUZZY_CHARS = 8
# Equal stretches this short between pieces of new text do not split them for the search.
BRIDGE_CHARS = 16
# How much context next to a quote is compared when its words have changed.
CONTEXT_PROBE = 16
# Shorter context than this is not looked for to place an edited quote's ends.
MIN_PROBE = 4
# Paragraphs shorter than this are not paired as moved-and-edited: too little to go on.
MIN_PARAGRAPH = 40
# Most deleted x inserted paragraph comparisons made to find moved-and-edited paragraphs.
MAX_PAIRINGS = 10_000
# Wall-clock budget for diffing one revision. Past it the diff degrades to coarser blocks
# (whole paragraphs deleted and inserted), which the quote tier still resolves.
DIFF_TIMEOUT = 1.0

_BLANK_LINE = re.compile(r"\n\s*\n")


@dataclass(frozen=True)
class TextQuote:
    exact: str
    prefix: str
    suffix: str


@dataclass(frozen=True)
class SpanQuery:
    """A span to carry over: offsets in the old text, plus its quote if already known."""

    start: int
    end: int
    exact: str | None = None
    prefix: str | None = None
    suffix: str | None = None


@dataclass(frozen=True)
class Anchor:
    start: int
    end: int
    confidence: float
    method: str  # "unchanged", "moved", "diff", "quote", "fuzzy"

    @property
    def needs_confirmation(self) -> bool:
        return self.confidence < CONFIRM_BELOW


def quote_selector(text: str, start: int, end: int, context: int = CONTEXT_CHARS) -> TextQuote:
    return TextQuote(
        exact=text[start:end],
        prefix=text[max(0, start - context) : start],
        suffix=text[end : end + context],
    )


def span_is_valid(text: str, start: int, end: int) -> bool:
    return 0 <= start < end <= len(text)


def quote_matches(text: str, start: int, end: int, exact: str) -> bool:
    """True when exact is what the text holds at [start, end)."""
    return span_is_valid(text, start, end) and text[start:end] == exact


def locate_quote(
    text: str,
    exact: str,
    prefix: str = "",
    suffix: str = "",
    hint: int | None = None,
) -> tuple[int, int] | None:
    """Find a TextQuoteSelector in text: the occurrence with the best context, then the nearest
    to hint. None when the quote is absent or ambiguous without context to decide.

    Only the MAX_QUOTE_CONTEXT characters of prefix and suffix nearest the quote are compared
    (other tools may send whole paragraphs as context; what decides is next to the quote),
    and at most MAX_CANDIDATES places are weighed: a quote that context leaves at more places
    than that is ambiguous. The work is linear in the length of the text."""
    found = _best_occurrence(text, exact, prefix, suffix, hint)
    return None if found is None else (found[0], found[0] + len(exact))


def _common_suffix_len(a: str, b: str) -> int:
    """How many characters a and b share at their ends: slices compared, halving the length
    (C speed, O(n log n)) rather than one character at a time in Python."""
    n = min(len(a), len(b))
    if a[len(a) - n :] == b[len(b) - n :]:
        return n
    lo, hi = 0, n  # the ends of length lo agree, of length hi do not
    while hi - lo > 1:
        mid = (lo + hi) // 2
        if a[len(a) - mid :] == b[len(b) - mid :]:
            lo = mid
        else:
            hi = mid
    return lo


def _common_prefix_len(a: str, b: str) -> int:
    """How many characters a and b share at their starts (as _common_suffix_len)."""
    n = min(len(a), len(b))
    if a[:n] == b[:n]:
        return n
    lo, hi = 0, n
    while hi - lo > 1:
        mid = (lo + hi) // 2
        if a[:mid] == b[:mid]:
            lo = mid
        else:
            hi = mid
    return lo


def _occurrences(text: str, exact: str, limit: int | None = None) -> list[int]:
    """Where exact starts in text (overlapping occurrences too); no more than limit of them."""
    found = []
    pos = text.find(exact)
    while pos != -1 and (limit is None or len(found) < limit):
        found.append(pos)
        pos = text.find(exact, pos + 1)
    return found


def _context_len(text: str, at: int, exact: str, prefix: str, suffix: str) -> int:
    """How many characters of prefix and suffix the text repeats around exact at `at`."""
    before = text[max(0, at - len(prefix)) : at]
    after = text[at + len(exact) : at + len(exact) + len(suffix)]
    return _common_suffix_len(prefix, before) + _common_prefix_len(suffix, after)


def _candidates(text: str, exact: str, prefix: str, suffix: str, least: int) -> list[int] | None:
    """Every place where exact stands with at least `least` characters of its context around
    it (1 <= least <= len(prefix) + len(suffix)), and maybe others; None past MAX_CANDIDATES.

    Such a place repeats the last `a` characters of prefix or the first `b` of suffix, with
    a + b = least + 1 (both sides falling short would leave at most least - 1): so only
    those two longer strings are looked for, not every occurrence of a short quote."""
    if not prefix:
        needles = [("", exact + suffix[:least])]
    elif not suffix:
        needles = [(prefix[-least:], exact)]
    else:
        a = min(len(prefix), (least + 1) // 2)
        b = min(len(suffix), least + 1 - a)
        needles = [(prefix[-a:], exact), ("", exact + suffix[:b])]
    found: set[int] = set()
    for before, rest in needles:
        places = _occurrences(text, before + rest, MAX_CANDIDATES + 1)
        found.update(at + len(before) for at in places)
        if len(found) > MAX_CANDIDATES:
            return None
    return sorted(found)


def _best_occurrence(
    text: str, exact: str, prefix: str, suffix: str, hint: int | None
) -> tuple[int, float] | None:
    """(start, context share 0..1) of the best occurrence of exact, or None.

    The best is the one whose surroundings repeat most of prefix and suffix, then the nearest
    to hint (the later of two as near). A quote found once and 24 characters long identifies
    itself; otherwise the best must repeat at least min(8, all) characters of its context,
    and without a hint, no other place may do as well."""
    if not exact:
        return None
    prefix, suffix = prefix[-MAX_QUOTE_CONTEXT:], suffix[:MAX_QUOTE_CONTEXT]
    first = text.find(exact)
    if first < 0:
        return None
    wanted = len(prefix) + len(suffix)
    min_ctx = min(8, wanted) if wanted else 0
    if text.find(exact, first + 1) < 0:  # found once
        ctx = _context_len(text, first, exact, prefix, suffix)
        share = ctx / wanted if wanted else 1.0
        if len(exact) >= 24 or (ctx >= min_ctx and (ctx > 0 or len(exact) >= 8)):
            return first, share
        return None
    # Found more than once: only a place with at least min_ctx characters of context can be
    # chosen, and only such a place can tie with it.
    if not wanted:
        return None
    places = _candidates(text, exact, prefix, suffix, min_ctx)
    if not places:
        return None
    scored = sorted(
        (
            (
                _context_len(text, at, exact, prefix, suffix),
                -abs(at - hint) if hint is not None else 0,
                at,
            )
            for at in places
        ),
        reverse=True,
    )
    best_ctx, _, best_at = scored[0]
    if len(scored) > 1 and scored[1][0] == best_ctx and hint is None:
        return None
    if best_ctx >= min_ctx and best_ctx > 0:
        return best_at, best_ctx / wanted
    return None


_SENTENCE_STOPS = ".!?…。！？"
_CLOSERS = "\"'”’»)]"


def _sentence_starts(text: str, i: int) -> bool:
    """Whether a sentence (or paragraph, or the text) starts at i."""
    j = i
    while j > 0 and text[j - 1] in " \t":
        j -= 1
    if j <= 0 or text[j - 1] == "\n":
        return True
    if j == i:
        return False  # inside a word
    while j > 0 and text[j - 1] in _CLOSERS:
        j -= 1
    return j > 0 and text[j - 1] in _SENTENCE_STOPS


def _sentence_ends(text: str, i: int) -> bool:
    """Whether a sentence (or paragraph, or the text) ends at i."""
    if i >= len(text) or text[i] == "\n":
        return True
    if not text[i].isspace():
        return False
    j = i
    while j > 0 and text[j - 1] in _CLOSERS:
        j -= 1
    return j > 0 and text[j - 1] in _SENTENCE_STOPS


def _units(text: str) -> list[tuple[int, int]]:
    """(start, end) of the paragraphs and of the blank lines between them, covering text."""
    units, at = [], 0
    for m in _BLANK_LINE.finditer(text):
        if m.start() > at:
            units.append((at, m.start()))
        units.append((m.start(), m.end()))
        at = m.end()
    if at < len(text):
        units.append((at, len(text)))
    return units


def _pieces_index(pieces: list[tuple[int, int]]) -> list[int]:
    """Where each piece starts once the pieces are joined into one string."""
    starts, at = [], 0
    for a, b in pieces:
        starts.append(at)
        at += b - a
    return starts


class _Alignment:
    """Equal blocks, in order in both texts, between old [old_lo, old_hi) and new [new_lo,
    new_hi): the whole texts, or one paragraph and the place it was moved to."""

    def __init__(
        self,
        blocks: list[tuple[int, int, int]],
        old_span: tuple[int, int],
        new_span: tuple[int, int],
        moved: bool = False,
    ):
        merged: list[list[int]] = []
        for a, b, n in sorted(blocks):
            if merged and merged[-1][0] + merged[-1][2] == a and merged[-1][1] + merged[-1][2] == b:
                merged[-1][2] += n
            else:
                merged.append([a, b, n])
        self.old_starts = [m[0] for m in merged]
        self.new_starts = [m[1] for m in merged]
        self.lengths = [m[2] for m in merged]
        self.old_lo, self.old_hi = old_span
        self.new_lo, self.new_hi = new_span
        self.moved = moved

    def blocks(self):
        return zip(self.old_starts, self.new_starts, self.lengths, strict=True)

    def holds(self, start: int, end: int) -> bool:
        return self.old_lo <= start and end <= self.old_hi

    def _block(self, pos: int) -> int:
        """Index of the equal block holding old position pos, or -1."""
        i = bisect.bisect_right(self.old_starts, pos) - 1
        if i >= 0 and pos < self.old_starts[i] + self.lengths[i]:
            return i
        return -1

    def unchanged(self, start: int, end: int) -> tuple[int, int] | None:
        """New span when [start, end) lies inside one unchanged stretch."""
        i = self._block(start)
        if i < 0 or end > self.old_starts[i] + self.lengths[i]:
            return None
        shift = self.new_starts[i] - self.old_starts[i]
        return start + shift, end + shift

    def map_start(self, pos: int) -> int:
        i = bisect.bisect_right(self.old_starts, pos) - 1
        if i < 0:
            return self.new_lo
        if pos < self.old_starts[i] + self.lengths[i]:
            return self.new_starts[i] + pos - self.old_starts[i]
        # Deleted: the replacement, if any, starts where the previous equal stretch ends.
        return self.new_starts[i] + self.lengths[i]

    def map_end(self, pos: int) -> int:
        i = bisect.bisect_right(self.old_starts, pos - 1) - 1
        if i >= 0 and pos - 1 < self.old_starts[i] + self.lengths[i]:
            return self.new_starts[i] + pos - self.old_starts[i]
        # Deleted: the replacement, if any, ends where the next equal stretch starts.
        return self.new_starts[i + 1] if i + 1 < len(self.new_starts) else self.new_hi

    def surviving(self, start: int, end: int) -> int:
        """How many characters of old [start, end) are kept in the new text."""
        kept = 0
        i = max(0, bisect.bisect_right(self.old_starts, start) - 1)
        while i < len(self.old_starts) and self.old_starts[i] < end:
            a = max(start, self.old_starts[i])
            kept += max(0, min(end, self.old_starts[i] + self.lengths[i]) - a)
            i += 1
        return kept

    def images(self, start: int, end: int) -> list[tuple[int, int]]:
        """The new ranges that old [start, end)'s kept characters went to."""
        out = []
        i = max(0, bisect.bisect_right(self.old_starts, start) - 1)
        while i < len(self.old_starts) and self.old_starts[i] < end:
            o, n = self.old_starts[i], self.new_starts[i]
            lo, hi = max(o, start), min(o + self.lengths[i], end)
            if hi > lo:
                out.append((n + lo - o, n + hi - o))
            i += 1
        return out


class _DiffMap:
    """Old-text positions -> new-text positions through one diff of the revision.

    `main` aligns the texts in order; `moved` holds one alignment per paragraph found at
    another place, verbatim or edited. Every other old character was deleted, every other new
    character inserted.
    """

    def __init__(self, old: str, new: str, timeout: float = DIFF_TIMEOUT):
        dmp = diff_match_patch()
        dmp.Diff_Timeout = timeout
        deadline = time.time() + timeout
        old_units, new_units = _units(old), _units(new)

        codes: dict[str, str] = {}

        def encode(text: str, units: list[tuple[int, int]]) -> str:
            return "".join(codes.setdefault(text[a:b], chr(len(codes) + 1)) for a, b in units)

        unit_diffs = dmp.diff_main(encode(old, old_units), encode(new, new_units), False, deadline)

        aligned: list[tuple[int, int, int]] = []
        runs: list[tuple[list[int], list[int]]] = []
        oi = ni = 0
        gone: list[int] = []
        came: list[int] = []
        for op, chunk in unit_diffs:
            k = len(chunk)
            if op == 0:
                if gone or came:
                    runs.append((gone, came))
                    gone, came = [], []
                a, b = old_units[oi][0], new_units[ni][0]
                aligned.append((a, b, old_units[oi + k - 1][1] - a))
                oi += k
                ni += k
            elif op == -1:
                gone.extend(range(oi, oi + k))
                oi += k
            else:
                came.extend(range(ni, ni + k))
                ni += k
        if gone or came:
            runs.append((gone, came))

        pairs = _moved_paragraphs(old, new, old_units, new_units, runs)
        moved_old = {i for i, _ in pairs}
        moved_new = {j for _, j in pairs}
        self.moved: list[_Alignment] = []
        for i, j in pairs:
            o, n = old_units[i], new_units[j]
            if old[o[0] : o[1]] == new[n[0] : n[1]]:
                blocks = [(o[0], n[0], o[1] - o[0])]
            else:
                blocks = _char_diff(dmp, old, new, [o], [n], deadline)
            self.moved.append(_Alignment(blocks, o, n, moved=True))
        self.moved.sort(key=lambda al: al.old_lo)
        self.moved_los = [al.old_lo for al in self.moved]

        for g, c in runs:
            old_pieces = _join_adjacent([old_units[i] for i in g if i not in moved_old])
            new_pieces = _join_adjacent([new_units[j] for j in c if j not in moved_new])
            aligned.extend(_char_diff(dmp, old, new, old_pieces, new_pieces, deadline))
        self.main = _Alignment(aligned, (0, len(old)), (0, len(new)))

        # Every equal block by its new position: where each new character came from.
        by_new = sorted((b, a, n) for al in [self.main, *self.moved] for a, b, n in al.blocks())
        self.eq_new = [x[0] for x in by_new]
        self.eq_old = [x[1] for x in by_new]
        self.eq_len = [x[2] for x in by_new]
        # New text that comes from nowhere in the old text.
        self.inserted: list[tuple[int, int]] = []
        at = 0
        for b, _, n in by_new:
            if b > at:
                self.inserted.append((at, b))
            at = max(at, b + n)
        if at < len(new):
            self.inserted.append((at, len(new)))

    def alignment_for(self, start: int, end: int) -> _Alignment:
        """The moved paragraph's own alignment when the span lies in one, else the main one."""
        i = bisect.bisect_right(self.moved_los, start) - 1
        if i >= 0 and self.moved[i].holds(start, end):
            return self.moved[i]
        return self.main

    def foreign(self, ns: int, ne: int, start: int, end: int) -> int:
        """How many characters of new [ns, ne) the diff traces to old text outside [start, end)."""
        count = 0
        i = max(0, bisect.bisect_right(self.eq_new, ns) - 1)
        while i < len(self.eq_new) and self.eq_new[i] < ne:
            a = max(ns, self.eq_new[i])
            b = min(ne, self.eq_new[i] + self.eq_len[i])
            if b > a:
                shift = self.eq_old[i] - self.eq_new[i]
                own = max(0, min(b + shift, end) - max(a + shift, start))
                count += b - a - own
            i += 1
        return count

    def open_regions(self, start: int, end: int) -> list[tuple[int, int]]:
        """New-text ranges this span may have gone to: inserted text and its own characters."""
        spans = list(self.inserted)
        for al in [self.main, *self.moved]:
            spans.extend(al.images(start, end))
        spans.sort()
        regions: list[list[int]] = []
        for lo, hi in spans:
            if regions and lo - regions[-1][1] <= BRIDGE_CHARS:
                regions[-1][1] = max(regions[-1][1], hi)
            else:
                regions.append([lo, hi])
        return [(lo, hi) for lo, hi in regions]


def _moved_paragraphs(
    old: str,
    new: str,
    old_units: list[tuple[int, int]],
    new_units: list[tuple[int, int]],
    runs: list[tuple[list[int], list[int]]],
) -> list[tuple[int, int]]:
    """(old unit, new unit) pairs of paragraphs deleted in one place and inserted in another.

    Verbatim copies pair when their text occurs once on each side. Edited ones pair when each
    is the other's closest match, similar enough, and they sit in different runs of changes
    (within one run the character diff already lines them up)."""
    run_of_old = {i: r for r, (g, _) in enumerate(runs) for i in g}
    run_of_new = {j: r for r, (_, c) in enumerate(runs) for j in c}
    gone = [i for i in run_of_old if not old[slice(*old_units[i])].isspace()]
    came = [j for j in run_of_new if not new[slice(*new_units[j])].isspace()]

    deleted = Counter(old[slice(*old_units[i])] for i in gone)
    inserted = Counter(new[slice(*new_units[j])] for j in came)
    inserted_at = {new[slice(*new_units[j])]: j for j in came}
    pairs = []
    for i in gone:
        piece = old[slice(*old_units[i])]
        if deleted[piece] == 1 and inserted.get(piece) == 1:
            pairs.append((i, inserted_at[piece]))

    paired_old = {i for i, _ in pairs}
    paired_new = {j for _, j in pairs}
    gone = [
        i
        for i in gone
        if i not in paired_old and old_units[i][1] - old_units[i][0] >= MIN_PARAGRAPH
    ]
    came = [
        j
        for j in came
        if j not in paired_new and new_units[j][1] - new_units[j][0] >= MIN_PARAGRAPH
    ]
    # Comparing every deleted paragraph with every inserted one is quadratic: past a point
    # the revision is a rewrite, not a few moves, and the quote tiers handle what is left.
    if not gone or not came or len(gone) * len(came) > MAX_PAIRINGS:
        return pairs
    gone_texts = [old[slice(*old_units[i])] for i in gone]
    came_texts = [new[slice(*new_units[j])] for j in came]
    cutoff = MIN_SIMILARITY * 100
    for gi, text in enumerate(gone_texts):
        best = process.extractOne(text, came_texts, scorer=fuzz.ratio, score_cutoff=cutoff)
        if best is None:
            continue
        ci = best[2]
        back = process.extractOne(
            came_texts[ci], gone_texts, scorer=fuzz.ratio, score_cutoff=cutoff
        )
        i, j = gone[gi], came[ci]
        if back is not None and back[2] == gi and run_of_old[i] != run_of_new[j]:
            pairs.append((i, j))
    return pairs


def _join_adjacent(pieces: list[tuple[int, int]]) -> list[tuple[int, int]]:
    out: list[tuple[int, int]] = []
    for a, b in pieces:
        if out and out[-1][1] == a:
            out[-1] = (out[-1][0], b)
        else:
            out.append((a, b))
    return out


def _char_diff(
    dmp: diff_match_patch,
    old: str,
    new: str,
    old_pieces: list[tuple[int, int]],
    new_pieces: list[tuple[int, int]],
    deadline: float,
) -> list[tuple[int, int, int]]:
    """Equal blocks (old start, new start, length) between two changed runs of paragraphs,
    compared character by character. Pieces are the runs' parts that were not moved."""
    if not old_pieces or not new_pieces:
        return []
    a = "".join(old[s:e] for s, e in old_pieces)
    b = "".join(new[s:e] for s, e in new_pieces)
    diffs = dmp.diff_main(a, b, False, deadline)
    dmp.diff_cleanupSemantic(diffs)
    a_idx, b_idx = _pieces_index(old_pieces), _pieces_index(new_pieces)
    out = []
    oc = nc = 0
    for op, chunk in diffs:
        n = len(chunk)
        if op == 0:
            # The joined strings hide where one piece ends and the next begins: split there.
            o, c = oc, nc
            while n > 0:
                i = bisect.bisect_right(a_idx, o) - 1
                j = bisect.bisect_right(b_idx, c) - 1
                oi, ni = old_pieces[i][0] + o - a_idx[i], new_pieces[j][0] + c - b_idx[j]
                step = min(n, old_pieces[i][1] - oi, new_pieces[j][1] - ni)
                out.append((oi, ni, step))
                o, c, n = o + step, c + step, n - step
            oc += len(chunk)
            nc += len(chunk)
        elif op == -1:
            oc += n
        else:
            nc += n
    return out


def _kind(char: str) -> int:
    """Space, word character or punctuation: word boundaries are where this changes."""
    return 0 if char.isspace() else 1 if char.isalnum() else 2


def _similarity(a: str, b: str) -> float:
    return fuzz.ratio(a, b) / 100.0


def _trim(text: str, start: int, end: int) -> tuple[int, int]:
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    return start, end


class Reanchorer:
    """Carries many spans from old_text to new_text, computing the diff once."""

    def __init__(self, old_text: str, new_text: str):
        self.old = old_text
        self.new = new_text
        self.map = _DiffMap(old_text, new_text)

    def anchor(self, query: SpanQuery) -> Anchor | None:
        old = self.old
        start, end = query.start, query.end
        exact = query.exact
        if exact is None:
            if not span_is_valid(old, start, end):
                return None
            exact = old[start:end]
        if not exact:
            return None
        quote = TextQuote(
            exact,
            query.prefix
            if query.prefix is not None
            else old[max(0, start - CONTEXT_CHARS) : start],
            query.suffix if query.suffix is not None else old[end : end + CONTEXT_CHARS],
        )
        if not quote_matches(old, start, end, exact):
            # Stale offsets: find the quote in the old text itself, then carry it as usual.
            found = _best_occurrence(old, exact, quote.prefix, quote.suffix, start)
            if found is None:
                return self._unplaced(quote, min(max(start, 0), len(old)))
            start, end = found[0], found[0] + len(exact)

        alignment = self.map.alignment_for(start, end)
        same = alignment.unchanged(start, end)
        if same is not None:
            return Anchor(*same, 1.0, "moved" if alignment.moved else "unchanged")
        through_diff = self._through_diff(alignment, start, end, exact)
        if through_diff is not None:
            return through_diff
        expected = alignment.map_start(start)
        return self._quote(quote, start, end) or self._fuzzy(quote, start, end, expected)

    def _through_diff(
        self, alignment: _Alignment, start: int, end: int, exact: str
    ) -> Anchor | None:
        if alignment.surviving(start, end) < MIN_SURVIVING * (end - start):
            return None
        ns, ne = _trim(self.new, alignment.map_start(start), alignment.map_end(end))
        if ne <= ns:
            return None
        sim = _similarity(exact, self.new[ns:ne])
        if sim < MIN_SIMILARITY:
            return None
        return Anchor(ns, ne, round(sim, 3), "diff")

    def _is_foreign(self, ns: int, ne: int, start: int, end: int) -> bool:
        return self.map.foreign(ns, ne, start, end) > MAX_FOREIGN * (ne - ns)

    def _quote(self, quote: TextQuote, start: int, end: int) -> Anchor | None:
        exact, new = quote.exact, self.new
        scored = []
        # Only where new or own text is: a common phrase has hundreds of old copies.
        found = set()
        for lo, hi in self.map.open_regions(start, end):
            lo = max(0, lo - len(exact) + 1)
            places = _occurrences(new[lo : hi + len(exact) - 1], exact, MAX_CANDIDATES + 1)
            found.update(lo + i for i in places)
            if len(found) > MAX_CANDIDATES:
                return None  # a quote written that often decides nothing
        for at in found:
            if self._is_foreign(at, at + len(exact), start, end):
                continue
            scored.append((sum(self._held_context(start, end, at, at + len(exact))), at))
        if not scored:
            return None
        scored.sort(reverse=True)
        held, at = scored[0]
        if len(scored) > 1 and scored[1][0] == held:
            return None  # two equally good places: no way to tell which
        if not self._stands_out(start, end, at, at + len(exact), len(exact)):
            return None
        # Found away from its place: sure when its surroundings came along, less so otherwise.
        share = min(1.0, held / (2 * CONTEXT_CHARS))
        return Anchor(at, at + len(exact), round(0.8 + 0.2 * share, 3), "quote")

    def _held_context(self, start: int, end: int, ns: int, ne: int) -> tuple[int, int]:
        """How many characters old and new text share outward from the old span and from
        (ns, ne), before and after: the rest of a moved sentence, say, that came along."""
        reach = CONTEXT_REACH
        old, new = self.old, self.new
        before = _common_suffix_len(
            old[max(0, start - reach) : start], new[max(0, ns - reach) : ns]
        )
        after = _common_prefix_len(old[end : end + reach], new[ne : ne + reach])
        return before, after

    def _stands_out(self, start: int, end: int, ns: int, ne: int, matched: float) -> bool:
        """Whether a match away from the passage's place is the passage, not a coincidence.

        Enough text must agree: the match and what came along with it. And on each side the
        agreement must run on for a word or two, or stop where a sentence does in both texts:
        text moves in whole sentences, while a stock phrase reused in a new sentence ("...
        did not immediately respond to a request for comment") has other words around it."""
        before, after = self._held_context(start, end, ns, ne)
        if before + after + matched < MIN_EVIDENCE:
            return False
        old, new = self.old, self.new
        left = before >= MIN_SIDE or any(
            _sentence_starts(old, start - k) and _sentence_starts(new, ns - k)
            for k in range(before + 1)
        )
        right = after >= MIN_SIDE or any(
            _sentence_ends(old, end + k) and _sentence_ends(new, ne + k) for k in range(after + 1)
        )
        return left and right

    def _fuzzy(self, quote: TextQuote, start: int, end: int, expected: int) -> Anchor | None:
        exact, new = quote.exact, self.new
        if len(exact) < MIN_FUZZY_CHARS:
            return None
        before, after = quote.prefix[-CONTEXT_PROBE:], quote.suffix[:CONTEXT_PROBE]
        # The quote alone finds the best-kept copy; with its context it finds the right one
        # when a phrase repeats nearby.
        needles = [(exact, 0, 0)]
        if before or after:
            needles.append((before + exact + after, len(before), len(after)))
        windows = set()
        for lo, hi in self.map.open_regions(start, end):
            for needle, cut_lo, cut_hi in needles:
                pad = max(0, (len(needle) - (hi - lo)) // 2) + 8
                a, b = max(0, lo - pad), min(len(new), hi + pad)
                hit = fuzz.partial_ratio_alignment(
                    needle, new[a:b], score_cutoff=MIN_SIMILARITY * 100
                )
                if hit is not None:
                    ws = a + hit.dest_start + max(0, cut_lo - hit.src_start)
                    we = a + hit.dest_end - max(0, cut_hi - (len(needle) - hit.src_end))
                    windows.add(self._refine(quote, ws, max(we, ws + 1)))
        whole = before + exact + after
        ranked = sorted(
            (
                fuzz.ratio(whole, new[max(0, ns - len(before)) : ne + len(after)]),
                -abs(ns - expected),
                ns,
                ne,
            )
            for ns, ne in windows
            if ne > ns
        )
        for _, _, ns, ne in reversed(ranked):
            if self._is_foreign(ns, ne, start, end):
                continue
            sim = _similarity(exact, new[ns:ne])
            if sim < MIN_SIMILARITY:
                continue
            if not self._stands_out(start, end, ns, ne, sim * len(exact)):
                continue
            return Anchor(ns, ne, round(min(sim, 0.89), 3), "fuzzy")
        return None

    def _unplaced(self, quote: TextQuote, expected: int) -> Anchor | None:
        """A quote that is not in the old text at all: only its own words and context can
        place it, as for a TextQuoteSelector alone."""
        found = _best_occurrence(self.new, quote.exact, quote.prefix, quote.suffix, expected)
        if found is None:
            return None
        at, share = found
        return Anchor(at, at + len(quote.exact), round(0.8 + 0.2 * share, 3), "quote")

    def _refine(self, quote: TextQuote, ns: int, ne: int) -> tuple[int, int]:
        """Settle an approximate window's ends. An end next to surviving context is where that
        context stops; otherwise it is the word boundary nearby that makes the window most like
        the quote (an alignment window has the quote's length, not its words)."""
        new, exact = self.new, quote.exact
        # The ends can be off by as much as the quote was edited: up to a quarter of it.
        slack = min(64, max(8, len(exact) // 4 + 4))
        lo, hi = max(0, ns - slack), min(len(new), ne + slack)
        starts = ends = None
        probe = quote.prefix[-CONTEXT_PROBE:]
        if len(probe) >= MIN_PROBE:
            frm = max(0, lo - len(probe))
            found = [frm + i + len(probe) for i in _occurrences(new[frm : ns + slack], probe)]
            if found:
                starts = {min(found, key=lambda p: abs(p - ns))}
        probe = quote.suffix[:CONTEXT_PROBE]
        if len(probe) >= MIN_PROBE:
            frm = max(0, ne - slack)
            found = [frm + i for i in _occurrences(new[frm : hi + len(probe)], probe)]
            if found:
                ends = {min(found, key=lambda p: abs(p - ne))}
        if starts is None:
            starts = {ns} | {
                p
                for p in range(lo, min(hi, ns + slack + 1))
                if not new[p].isspace() and (p == 0 or _kind(new[p - 1]) != _kind(new[p]))
            }
        if ends is None:
            ends = {ne} | {
                p
                for p in range(max(lo + 1, ne - slack), hi + 1)
                if not new[p - 1].isspace()
                and (p == len(new) or _kind(new[p]) != _kind(new[p - 1]))
            }
        best = None
        for s in starts:
            for e in ends:
                if e <= s:
                    continue
                key = (fuzz.ratio(exact, new[s:e]), -abs(s - ns) - abs(e - ne))
                if best is None or key > best[0]:
                    best = (key, s, e)
        if best is None:
            return _trim(new, ns, ne)
        return _trim(new, best[1], best[2])


def reanchor_many(old_text: str, new_text: str, spans: Sequence[SpanQuery]) -> list[Anchor | None]:
    """Re-anchor many spans across one revision; the diff is computed once for all."""
    if not spans:
        return []
    worker = Reanchorer(old_text, new_text)
    return [worker.anchor(q) for q in spans]


def reanchor(old_text: str, new_text: str, start: int, end: int) -> tuple[int, int] | None:
    """Where old_text[start:end] now is in new_text, or None when it is orphaned."""
    found = Reanchorer(old_text, new_text).anchor(SpanQuery(start, end))
    return None if found is None else (found.start, found.end)
