"""W3C text selectors and re-anchoring of spans from one text to the next. Pure: no Django.

Offsets are Python str indices (code points). A stored span carries a TextPositionSelector
(start, end) and a TextQuoteSelector (exact, prefix, suffix): position is fast, the quote is
what survives edits.

Re-anchoring a span from an old text to a new one tries, in order:

1. the diff: a span inside an unchanged stretch maps to the exact new span (confidence 1);
   a span whose own characters mostly survive maps through the diff onto the edited words;
2. the quote: its exact words found elsewhere, chosen by prefix/suffix context and nearness
   to where the diff expected it (a moved paragraph is a delete plus an insert to a diff);
3. approximate matching: the quote with small edits, near the expected place, then anywhere;
4. otherwise orphaned (None): never guessed onto unrelated words.

The diff is computed once per pair of texts (``Reanchorer``) and shared by every span.
"""

from __future__ import annotations

import bisect
from collections.abc import Sequence
from dataclasses import dataclass

from diff_match_patch import diff_match_patch
from rapidfuzz import fuzz

CONTEXT_CHARS = 32

# Below this confidence a re-anchored span is marked for a person to confirm.
CONFIRM_BELOW = 0.9
# The least similarity (0..1, indel-based) between the old quote and its new words.
MIN_SIMILARITY = 0.75
# At least this share of a span's own characters must survive for the diff tier to keep it.
MIN_SURVIVING = 0.5


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
    method: str  # "unchanged", "diff", "quote", "fuzzy"

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
    to hint. None when the quote is absent or ambiguous without context to decide."""
    found = _best_occurrence(text, exact, prefix, suffix, hint)
    return None if found is None else (found[0], found[0] + len(exact))


def _common_suffix_len(a: str, b: str) -> int:
    n = 0
    for x, y in zip(reversed(a), reversed(b), strict=False):
        if x != y:
            break
        n += 1
    return n


def _common_prefix_len(a: str, b: str) -> int:
    n = 0
    for x, y in zip(a, b, strict=False):
        if x != y:
            break
        n += 1
    return n


def _best_occurrence(
    text: str, exact: str, prefix: str, suffix: str, hint: int | None
) -> tuple[int, float] | None:
    """(start, context share 0..1) of the best occurrence of exact, or None."""
    if not exact:
        return None
    occurrences = []
    pos = text.find(exact)
    while pos != -1:
        occurrences.append(pos)
        pos = text.find(exact, pos + 1)
    if not occurrences:
        return None
    wanted = len(prefix) + len(suffix)

    def context_len(at: int) -> int:
        before = text[max(0, at - len(prefix)) : at]
        after = text[at + len(exact) : at + len(exact) + len(suffix)]
        return _common_suffix_len(prefix, before) + _common_prefix_len(suffix, after)

    scored = sorted(
        ((context_len(at), -abs(at - hint) if hint is not None else 0, at) for at in occurrences),
        reverse=True,
    )
    best_ctx, _, best_at = scored[0]
    share = best_ctx / wanted if wanted else 1.0
    unique = len(occurrences) == 1
    # A short or repeated quote needs its surroundings to vouch for it; a long unique one
    # identifies itself.
    if unique and len(exact) >= 24:
        return best_at, share
    if len(scored) > 1 and scored[1][0] == best_ctx and hint is None:
        return None
    min_ctx = min(8, wanted) if wanted else 0
    if best_ctx >= min_ctx and (best_ctx > 0 or (unique and len(exact) >= 8)):
        return best_at, share
    return None


class _DiffMap:
    """Old-text positions -> new-text positions through one character diff."""

    def __init__(self, old: str, new: str, timeout: float = 2.0):
        dmp = diff_match_patch()
        dmp.Diff_Timeout = timeout
        diffs = dmp.diff_main(old, new, True)
        dmp.diff_cleanupSemantic(diffs)
        # Parallel lists of equal blocks: old start, new start, length.
        self.old_starts: list[int] = []
        self.new_starts: list[int] = []
        self.lengths: list[int] = []
        # Old offsets where each block (equal or deleted) starts, with the new offset there.
        self.breaks_old: list[int] = []
        self.breaks_new: list[int] = []
        o = n = 0
        for op, chunk in diffs:
            size = len(chunk)
            if op == 0:
                self.old_starts.append(o)
                self.new_starts.append(n)
                self.lengths.append(size)
                self.breaks_old.append(o)
                self.breaks_new.append(n)
                o += size
                n += size
            elif op == -1:
                self.breaks_old.append(o)
                self.breaks_new.append(n)
                o += size
            else:
                n += size
        self.identical = len(diffs) <= 1 and (not diffs or diffs[0][0] == 0)

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
        i = self._block(pos)
        if i >= 0:
            return self.new_starts[i] + pos - self.old_starts[i]
        # In a deleted stretch: where that stretch used to be in the new text.
        j = bisect.bisect_right(self.breaks_old, pos) - 1
        return self.breaks_new[j] if j >= 0 else 0

    def map_end(self, pos: int) -> int:
        if pos <= 0:
            return 0
        i = self._block(pos - 1)
        if i >= 0:
            return self.new_starts[i] + pos - self.old_starts[i]
        j = bisect.bisect_right(self.breaks_old, pos - 1) - 1
        if j + 1 < len(self.breaks_new):
            return self.breaks_new[j + 1]
        return self.breaks_new[j] if j >= 0 else 0

    def surviving(self, start: int, end: int) -> int:
        """How many characters of old [start, end) are kept unchanged in the new text."""
        kept = 0
        i = max(0, bisect.bisect_right(self.old_starts, start) - 1)
        while i < len(self.old_starts) and self.old_starts[i] < end:
            a = max(start, self.old_starts[i])
            b = min(end, self.old_starts[i] + self.lengths[i])
            if b > a:
                kept += b - a
            i += 1
        return kept


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
        old, new = self.old, self.new
        start, end = query.start, query.end
        exact = query.exact
        if exact is None:
            if not span_is_valid(old, start, end):
                return None
            exact = old[start:end]
        quote = TextQuote(
            exact,
            query.prefix
            if query.prefix is not None
            else old[max(0, start - CONTEXT_CHARS) : start],
            query.suffix if query.suffix is not None else old[end : end + CONTEXT_CHARS],
        )
        positions_fit = quote_matches(old, start, end, exact)

        if positions_fit:
            same = self.map.unchanged(start, end)
            if same is not None:
                return Anchor(same[0], same[1], 1.0, "unchanged")
            expected = self.map.map_start(start)
            through_diff = self._through_diff(start, end, exact)
            if through_diff is not None:
                return through_diff
        else:
            expected = self.map.map_start(min(start, len(old)))

        found = _best_occurrence(new, exact, quote.prefix, quote.suffix, expected)
        if found is not None:
            at, share = found
            return Anchor(at, at + len(exact), round(0.9 + 0.1 * share, 3), "quote")
        return self._fuzzy(quote, expected)

    def _through_diff(self, start: int, end: int, exact: str) -> Anchor | None:
        if self.map.surviving(start, end) < MIN_SURVIVING * (end - start):
            return None
        ns, ne = _trim(self.new, self.map.map_start(start), self.map.map_end(end))
        if ne <= ns:
            return None
        sim = _similarity(exact, self.new[ns:ne])
        if sim < MIN_SIMILARITY:
            return None
        return Anchor(ns, ne, round(sim, 3), "diff")

    def _fuzzy(self, quote: TextQuote, expected: int) -> Anchor | None:
        exact, new = quote.exact, self.new
        if len(exact) < 12:
            return None  # too short to recognise with edits in it
        radius = max(4 * len(exact), 2000)
        windows = [(max(0, expected - radius), min(len(new), expected + len(exact) + radius))]
        if windows[0] != (0, len(new)):
            windows.append((0, len(new)))
        for lo, hi in windows:
            hit = fuzz.partial_ratio_alignment(exact, new[lo:hi], score_cutoff=MIN_SIMILARITY * 100)
            if hit is None or hit.score < MIN_SIMILARITY * 100:
                continue
            ns, ne = self._refine(exact, lo + hit.dest_start, lo + hit.dest_end)
            if ne <= ns:
                continue
            sim = _similarity(exact, new[ns:ne])
            if sim < MIN_SIMILARITY or not self._context_supports(quote, ns, ne):
                continue
            return Anchor(ns, ne, round(min(sim, 0.89), 3), "fuzzy")
        return None

    def _refine(self, exact: str, ns: int, ne: int) -> tuple[int, int]:
        """Snap an approximate window onto the quote's own first and last words."""
        dmp = diff_match_patch()
        dmp.Match_Distance = max(64, len(exact))
        head = exact[: min(32, len(exact))]
        tail = exact[-min(32, len(exact)) :]
        s = dmp.match_main(self.new, head, ns)
        e_at = dmp.match_main(self.new, tail, max(0, ne - len(tail)))
        start = s if s != -1 else ns
        end = e_at + len(tail) if e_at != -1 else ne
        if end <= start:
            start, end = ns, ne
        return _trim(self.new, start, min(end, len(self.new)))

    def _context_supports(self, quote: TextQuote, ns: int, ne: int) -> bool:
        """An approximate match must sit in recognisable surroundings or be long and clear."""
        if len(quote.exact) >= 60:
            return True
        before = self.new[max(0, ns - len(quote.prefix)) : ns]
        after = self.new[ne : ne + len(quote.suffix)]
        near = _similarity(quote.prefix[-16:], before[-16:]) + _similarity(
            quote.suffix[:16], after[:16]
        )
        return near >= 0.9


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
