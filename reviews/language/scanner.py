"""The scanner: every term, inflection and exception in one Aho-Corasick automaton.

The text is folded once (lower case, curly apostrophes straight, hyphens as spaces, without
changing its length) and walked once by the automaton, whatever the lexicon's size. Matches
are then kept only at word boundaries, outside the exceptions, longest first; those inside
direct quotations are reported as attributed speech at info severity.
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Iterable
from dataclasses import dataclass

import ahocorasick

from .lexicon import (
    Term,
    can_inflect,
    exception_variants,
    fold,
    inflect_phrase,
    severity_rank,
    variants,
)
from .quotes import quoted_spans

_TERM, _EXCEPTION = 0, 1


@dataclass(frozen=True)
class Hit:
    start: int
    end: int
    text: str
    term: Term
    severity: str  # after the quotation rule
    attributed: bool
    tag: str  # how the matched word is inflected ("base", "past", ...)

    @property
    def suggestions(self) -> list[str]:
        """The term's alternatives, inflected, capitalised and punctuated like the matched
        words: "SLAMS" in a headline in capitals gets "CRITICISES", "regime’s" with a curly
        apostrophe gets "government’s"."""
        out = []
        shouting = len(self.text) > 1 and self.text.isupper()
        for alt in self.term.alternatives:
            if not can_inflect(alt, self.tag):
                continue  # "massacred": "killing | kill" offers "killed", not "killinged"
            form = inflect_phrase(alt, self.tag)
            if shouting:
                form = form.upper()
            elif self.text[:1].isupper() and form[:1].islower():
                form = form[0].upper() + form[1:]
            if "’" in self.text:
                form = form.replace("'", "’")
            if form not in out:
                out.append(form)
        return out


class CompiledLexicon:
    """A lexicon ready to scan with; build once per lexicon version and reuse."""

    def __init__(self, terms: Iterable[Term], version: object = None):
        self.version = version
        self.terms: list[Term] = []
        automaton = ahocorasick.Automaton()
        entries: dict[str, list[tuple[int, int, str]]] = {}
        for term in terms:
            index = len(self.terms)
            self.terms.append(term)
            for form, tag in variants(term.phrase).items():
                entries.setdefault(form, []).append((_TERM, index, tag))
            for exception in term.exceptions:
                for form in exception_variants(exception, term.phrase):
                    entries.setdefault(form, []).append((_EXCEPTION, index, "base"))
        for form, values in entries.items():
            # When two terms share a surface form, the more severe one speaks for it.
            values.sort(key=lambda v: (v[0], -severity_rank(self.terms[v[1]].severity)))
            automaton.add_word(form, (len(form), tuple(values)))
        self._automaton = automaton
        self._empty = not entries
        if entries:
            automaton.make_automaton()

    def __len__(self):
        return len(self.terms)


def compile_lexicon(terms: Iterable[Term], version: object = None) -> CompiledLexicon:
    return CompiledLexicon(terms, version)


def _is_word_char(ch: str) -> bool:
    return ch.isalnum() or ch == "_"


def scan(text: str, lexicon: CompiledLexicon) -> list[Hit]:
    """Every lexicon term in text, in order, not overlapping, exceptions honoured."""
    if lexicon._empty or not text:
        return []
    folded = fold(text)
    n = len(folded)
    candidates: list[tuple[int, int, int, str]] = []  # start, end, term index, tag
    excepted: list[tuple[int, int, int]] = []  # start, end, term index
    for last, (length, values) in lexicon._automaton.iter(folded):
        start, end = last - length + 1, last + 1
        if start > 0 and _is_word_char(folded[start - 1]) and _is_word_char(folded[start]):
            continue
        if end < n and _is_word_char(folded[end]) and _is_word_char(folded[end - 1]):
            continue
        for kind, index, tag in values:
            if kind == _TERM:
                candidates.append((start, end, index, tag))
            else:
                excepted.append((start, end, index))
    if not candidates:
        return []
    if excepted:
        candidates = _outside_exceptions(candidates, excepted)
    # Longest match first at each place; a match overlapping a kept one is dropped.
    candidates.sort(key=lambda c: (c[0], -(c[1] - c[0])))
    kept = []
    reach = -1
    for c in candidates:
        if c[0] >= reach:
            kept.append(c)
            reach = c[1]
        elif c[1] - c[0] > kept[-1][1] - kept[-1][0] and c[0] < kept[-1][1]:
            # a longer phrase starting inside a shorter kept one wins
            kept[-1] = c
            reach = c[1]
    quotes = quoted_spans(text)
    quote_starts = [q[0] for q in quotes]
    lines = _Lines(text)
    hits = []
    for start, end, index, tag in kept:
        term = lexicon.terms[index]
        attributed = _inside(start, end, quotes, quote_starts)
        quiet = attributed or _part_of_a_name(text, start, end, lines)
        hits.append(
            Hit(
                start=start,
                end=end,
                text=text[start:end],
                term=term,
                severity="info" if quiet else term.severity,
                attributed=attributed,
                tag=tag,
            )
        )
    return hits


_WORD_BREAK = re.compile(r"[\s-]+")
_FOLLOWING_WORD = re.compile(r"\s+([A-Z][\w’'-]*)")
_SENTENCE_START = re.compile(r"(?:^|[.!?:;\n\"“”‘(\[—–-])\s*$")


class _Lines:
    """Which line an offset is on, and whether that line is a headline, each line measured
    once: a scan is linear in the text however many hits one long line holds."""

    def __init__(self, text: str):
        self.text = text
        self.starts = [0] + [m.end() for m in re.finditer("\n", text)]
        self._headline: dict[int, bool] = {}

    def is_headline(self, offset: int) -> bool:
        """A line mostly in capitals, or in title case: words there are not names."""
        i = bisect.bisect_right(self.starts, offset) - 1
        known = self._headline.get(i)
        if known is None:
            end = self.starts[i + 1] - 1 if i + 1 < len(self.starts) else len(self.text)
            line = self.text[self.starts[i] : end]
            known = sum(map(str.isupper, line)) > 0.5 * sum(map(str.isalpha, line)) or (
                _is_title_case_headline(line)
            )
            self._headline[i] = known
        return known


def _part_of_a_name(text: str, start: int, end: int, lines: _Lines | None = None) -> bool:
    """A capitalised match inside a name ("Iconic Motor Works", "the Shining Path") is the
    name, not the paper's voice: reported at info severity only.

    Capitalised mid-sentence, or capitalised at a sentence start and followed by another
    capitalised word. Headlines (lines in capitals, or in title case) are left alone.
    """
    word = text[start:end]
    if not word[:1].isupper() or word.isupper() and len(word) > 1:
        return False
    if any(w[:1].islower() for w in _WORD_BREAK.split(word)[1:]):
        return False  # "Many consider": a name would be capitalised throughout
    if (lines or _Lines(text)).is_headline(start):
        return False
    before = text[max(0, start - 3) : start]
    at_sentence_start = start == 0 or bool(_SENTENCE_START.search(before))
    if not at_sentence_start:
        return True
    following = _FOLLOWING_WORD.match(text, end, end + 40)
    return bool(following) and following.group(1) not in {"I", "A", "The"}


_SMALL_WORDS = frozenset(
    "a an and as at but by for from in into of on or over the to up upon vs via with".split()
)


def _is_title_case_headline(line: str) -> bool:
    """A short line, not ending like a sentence, whose words are all capitalised but for
    the small ones: "Regime Slams Protesters Over Fuel Prices"."""
    line = line.strip()
    if not line or len(line) > 140 or line[-1] in ".,;:":
        return False
    words = [w for w in re.findall(r"[^\W\d_][\w’'-]*", line) if w.lower() not in _SMALL_WORDS]
    return len(words) >= 3 and all(w[0].isupper() for w in words)


def _outside_exceptions(candidates, excepted):
    """Drop each match that lies within an exception of its own term (one sorted sweep)."""
    excepted.sort()
    starts = [e[0] for e in excepted]
    longest = max(e[1] - e[0] for e in excepted)
    kept = []
    for c in candidates:
        start, end, index, _ = c
        i = bisect.bisect_right(starts, start) - 1
        covered = False
        while i >= 0 and starts[i] >= start - longest:
            s, e, idx = excepted[i]
            if idx == index and e >= end:
                covered = True
                break
            i -= 1
        if not covered:
            kept.append(c)
    return kept


def _inside(start: int, end: int, spans, starts) -> bool:
    i = bisect.bisect_right(starts, start) - 1
    return i >= 0 and spans[i][0] <= start and end <= spans[i][1]
