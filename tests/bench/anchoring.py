"""Re-anchoring accuracy and speed on generated news copy. Run by `make bench` (tests/bench/run.py)
or alone: `.venv/bin/python tests/bench/anchoring.py`. Prints figures; asserts nothing.

Articles are built from tokens that remember whether they belong to the annotated passage, so
after any revision the ground truth is simply where those tokens are rendered now. Four kinds
of revision, one passage each:

- elsewhere: edits in other paragraphs only (words, sentences, whole paragraphs added, removed
  or moved). Right answer: exactly the passage's new offsets.
- light: at most 20% of the passage's characters changed (Levenshtein distance), by word or
  character substitutions, insertions and deletions inside it, sometimes with edits elsewhere.
  Right answer: a span covering the edited passage (>= 80% overlap, intersection over union).
- moved: the passage's paragraph moved elsewhere, sometimes also edited outside the passage,
  sometimes with edits elsewhere. Right answer: exactly the passage at its new place.
- deleted: the passage's sentence(s) or its paragraph removed. Right answer: orphaned.

Anything placed otherwise is counted as wrongly placed: off the passage, or on it with
boundaries too far off.
"""

from __future__ import annotations

import itertools
import random
import statistics
import sys
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

SEED = 20240611
CASES_PER_KIND = 600
LIGHT_EDIT_SHARE = 0.20
GOOD_OVERLAP = 0.8

FUNCTION_WORDS = (
    "the a an of to in and for on with that by at from as was is it its has have had be been "
    "will would not but this which who after before over about into more than their they he "
    "she his her we our said also new last first two three some all when while where could"
).split()

NEWS_WORDS = (
    "council minister budget election police hospital strike union court judge ruling vote "
    "parliament senator mayor company shares market inflation rates bank report inquiry "
    "protest border refugees health school teachers nurses contract airport flights storm "
    "flooding residents village factory workers wages pension housing rent prices fuel energy "
    "climate emissions target treaty talks ceasefire troops attack investigation evidence "
    "witness trial verdict appeal spokesperson statement agency regulator licence fine "
    "museum festival season coach player club transfer stadium fans match league title"
).split()

NAMES = (
    "Müller Zoë García Nguyễn Ødegaard Łukasz François Søren Íñigo Björk Chloé Dvořák "
    "Kraków Zürich Reykjavík São-Paulo Malmö Besançon Ankara Lagos Osaka Québec"
).split()

ODD_TOKENS = ["🙂", "👍", "🔥", "€4m", "£2.5bn", "½", "—", "1,200", "2024", "37%", "naïve", "café"]

# Stock phrases repeated across articles, so quotes are ambiguous without their context.
STOCK_PHRASES = [
    "said on Tuesday",
    "said on Wednesday",
    "the government",
    "the prime minister",
    "according to officials",
    "in a statement",
    "told reporters",
    "a spokesperson for the ministry",
    "declined to comment",
    "more than",
    "at least",
    "last year",
    "the opposition",
    "on Monday",
    "the central bank",
    "the city council",
    "people familiar with the matter",
    "it was not immediately clear",
    "did not immediately respond to a request for comment",
    "spoke on condition of anonymity",
]

_ONSETS = "b c d f g h j k l m n p r s t v w z br ch cl dr fl gr kr pl pr sh st tr".split()
_VOWELS = "a e i o u a e i o ai ea ou io".split()
_CODAS = ["", "", "", "n", "r", "s", "t", "l", "m", "nd", "st", "rk", "ng"]


def _vocabulary(rng: random.Random, size: int = 3000) -> list[str]:
    """Many distinct made-up content words, so most passages are not repeated verbatim."""
    words = set()
    while len(words) < size:
        syllables = rng.choice((1, 2, 2, 3, 3, 4))
        words.add(
            "".join(
                rng.choice(_ONSETS) + rng.choice(_VOWELS) + rng.choice(_CODAS)
                for _ in range(syllables)
            )
        )
    return sorted(words)


@dataclass
class Token:
    text: str
    space_before: bool = True
    passage: bool = False


class Writer:
    """Generates sentences and paragraphs of article-like text."""

    def __init__(self, rng: random.Random):
        self.rng = rng
        self.content = NEWS_WORDS + _vocabulary(rng)
        # Zipf-like: a few content words recur a lot, most are rare.
        self.cum_weights = list(
            itertools.accumulate(1.0 / (rank + 8) for rank in range(len(self.content)))
        )

    def word(self) -> str:
        r = self.rng.random()
        if r < 0.42:
            return self.rng.choice(FUNCTION_WORDS)
        if r < 0.47:
            return self.rng.choice(NAMES)
        if r < 0.49:
            return self.rng.choice(ODD_TOKENS)
        return self.rng.choices(self.content, cum_weights=self.cum_weights)[0]

    def sentence(self) -> list[Token]:
        rng = self.rng
        words = [self.word() for _ in range(rng.randint(6, 24))]
        for _ in range(rng.choice((0, 1, 1, 1, 2))):
            at = rng.randint(0, len(words))
            words[at:at] = rng.choice(STOCK_PHRASES).split()
        tokens = [Token(w) for w in words]
        tokens[0].text = tokens[0].text[:1].upper() + tokens[0].text[1:]
        for i in range(2, len(tokens) - 2):
            if rng.random() < 0.06:
                tokens.insert(i, Token(",", space_before=False))
        tokens.append(Token(".", space_before=False))
        return tokens

    def paragraph(self) -> list[list[Token]]:
        return [self.sentence() for _ in range(self.rng.choice((1, 2, 2, 3, 3, 4, 5)))]

    def article(self, paragraphs: int) -> list[list[list[Token]]]:
        return [self.paragraph() for _ in range(paragraphs)]


def render(doc) -> tuple[str, tuple[int, int] | None]:
    """The text, and the span from the first to the last passage token (None if none left)."""
    out: list[str] = []
    at = 0
    first = last = None
    for p, para in enumerate(doc):
        if p:
            out.append("\n\n")
            at += 2
        for s, sentence in enumerate(para):
            for t, tok in enumerate(sentence):
                if (s or t) and tok.space_before:
                    out.append(" ")
                    at += 1
                if tok.passage:
                    first = at if first is None else first
                    last = at + len(tok.text)
                out.append(tok.text)
                at += len(tok.text)
    return "".join(out), (None if first is None else (first, last))


def remove(items: list, item) -> None:
    """Remove by identity: an equal paragraph or sentence elsewhere must stay."""
    del items[next(i for i, x in enumerate(items) if x is item)]


def is_word(tok: Token) -> bool:
    return tok.space_before and tok.text not in {",", "."}


class Editor:
    """Revisions that leave the paragraphs in `protected` alone (compared by identity)."""

    def __init__(self, rng: random.Random, writer: Writer):
        self.rng = rng
        self.writer = writer

    def _other(self, doc, protected) -> list | None:
        free = [p for p in doc if not any(p is q for q in protected)]
        return self.rng.choice(free) if free else None

    def edit_elsewhere(self, doc, protected, count: int) -> None:
        rng = self.rng
        for _ in range(count):
            op = rng.choices(
                ("word", "add_sentence", "drop_sentence", "add_para", "drop_para", "move_para"),
                (8, 2, 2, 1, 1, 1),
            )[0]
            para = self._other(doc, protected)
            if op == "add_para" or para is None:
                doc.insert(rng.randint(0, len(doc)), self.writer.paragraph())
            elif op == "word":
                sentence = rng.choice(para)
                self.edit_word(
                    sentence, rng.choice([i for i, t in enumerate(sentence) if is_word(t)])
                )
            elif op == "add_sentence":
                para.insert(rng.randint(0, len(para)), self.writer.sentence())
            elif op == "drop_sentence" and len(para) > 1:
                para.pop(rng.randrange(len(para)))
            elif op == "drop_para" and len(doc) > 3:
                remove(doc, para)
            elif op == "move_para":
                remove(doc, para)
                doc.insert(rng.randint(0, len(doc)), para)

    def edit_around_passage(self, para) -> None:
        """Edit one word of the passage's paragraph that is neither in nor next to it."""
        spots = [
            (sentence, k)
            for sentence in para
            for k, t in enumerate(sentence)
            if is_word(t) and not any(x.passage for x in sentence[max(0, k - 1) : k + 2])
        ]
        if spots:
            self.edit_word(*self.rng.choice(spots))

    def edit_word(self, sentence: list[Token], i: int) -> None:
        """Substitute, insert after, delete, or misspell the word at i."""
        rng = self.rng
        tok = sentence[i]
        op = rng.choice(("sub", "ins", "del", "typo"))
        if op == "sub":
            tok.text = self.writer.word()
        elif op == "ins" and not (tok.passage and not _passage_at(sentence, i + 1)):
            # Inside a passage, only between two of its words: a word added at its edge is
            # as much the neighbour's as the passage's.
            sentence.insert(i + 1, Token(self.writer.word(), passage=tok.passage))
        elif op == "del" and sum(is_word(t) for t in sentence) > 2 and i > 0:
            sentence.pop(i)
        else:
            tok.text = typo(rng, tok.text)


def _passage_at(sentence: list[Token], i: int) -> bool:
    return i < len(sentence) and sentence[i].passage


def typo(rng: random.Random, word: str) -> str:
    at = rng.randrange(len(word))
    kind = rng.choice(("swap", "drop", "add"))
    if kind == "drop" and len(word) > 1:
        return word[:at] + word[at + 1 :]
    letter = rng.choice("abcdefghijklmnopqrstuvwxyzé")
    if kind == "add":
        return word[:at] + letter + word[at:]
    return word[:at] + letter + word[at + 1 :]


def levenshtein(a: str, b: str) -> int:
    from rapidfuzz.distance import Levenshtein

    return Levenshtein.distance(a, b)


@dataclass
class Case:
    kind: str
    old: str
    new: str
    start: int
    end: int
    truth: tuple[int, int] | None

    @property
    def truth_edited(self) -> bool:
        return (
            self.truth is not None
            and self.new[self.truth[0] : self.truth[1]] != self.old[self.start : self.end]
        )


def choose_passage(rng: random.Random, doc) -> tuple[list, list[Token]]:
    """Mark a realistic passage (a few words to a sentence and a bit) and return its paragraph
    and tokens."""
    para = rng.choice(doc)
    s = rng.randrange(len(para))
    sentence = para[s]
    words = [i for i, t in enumerate(sentence) if is_word(t)]
    shape = rng.random()
    stock = _stock_phrases_in(sentence)
    if shape < 0.1:  # the whole sentence
        chosen = sentence[:]
    elif shape < 0.25 and stock:
        # Exactly a stock phrase: its words recur elsewhere, only context tells them apart.
        first, last = rng.choice(stock)
        chosen = sentence[first:last]
    else:
        n = (
            rng.choice((1, 2, 2, 3))
            if shape < 0.3
            else rng.randint(3, 12)
            if shape < 0.8
            else rng.randint(8, 25)
        )
        i = rng.randrange(len(words))
        first = words[i]
        last_word = words[min(len(words) - 1, i + n - 1)]
        chosen = sentence[first : last_word + 1]
        # Sometimes the selection runs on into the next sentence.
        if shape > 0.95 and s + 1 < len(para):
            chosen = sentence[first:] + para[s + 1][: rng.randint(1, len(para[s + 1]))]
    for tok in chosen:
        tok.passage = True
    return para, chosen


def _stock_phrases_in(sentence: list[Token]) -> list[tuple[int, int]]:
    words = [t.text.lower() for t in sentence]
    found = []
    for phrase in STOCK_PHRASES:
        parts = phrase.lower().split()
        for i in range(len(words) - len(parts) + 1):
            if words[i : i + len(parts)] == parts:
                found.append((i, i + len(parts)))
    return found


def light_edit(rng: random.Random, editor: Editor, doc, para, exact: str) -> bool:
    """1-3 word or character edits inside the passage, within the 20% budget. False if none."""
    budget = int(LIGHT_EDIT_SHARE * len(exact))
    sentences = [s for s in para if any(t.passage for t in s)]
    for _ in range(rng.randint(1, 3)):
        sentence = rng.choice(sentences)
        inside = [i for i, t in enumerate(sentence) if t.passage and is_word(t)]
        if not inside:
            continue
        before = [Token(t.text, t.space_before, t.passage) for t in sentence]
        editor.edit_word(sentence, rng.choice(inside))
        text_now, now = render(doc)
        if now is None or levenshtein(exact, text_now[now[0] : now[1]]) > budget:
            sentence[:] = before  # over budget: undo
    text_now, now = render(doc)
    return now is not None and text_now[now[0] : now[1]] != exact


def move_paragraph(rng: random.Random, doc, para) -> None:
    i = next(k for k, p in enumerate(doc) if p is para)
    doc.pop(i)
    doc.insert(rng.choice([k for k in range(len(doc) + 1) if k != i]), para)


def choose_stock_passage(rng: random.Random, doc):
    """Mark a stock phrase, sometimes with a word either side, as the passage."""
    spots = [(p, s, ab) for p in doc for s in p for ab in _stock_phrases_in(s)]
    if not spots:
        return None, None
    para, sentence, (a, b) = rng.choice(spots)
    a = max(0, a - rng.choice((0, 0, 1)))
    b = min(len(sentence), b + rng.choice((0, 0, 1)))
    for tok in sentence[a:b]:
        tok.passage = True
    return para, sentence[a:b]


def make_case(kind: str, rng: random.Random, writer: Writer, editor: Editor) -> Case | None:
    doc = writer.article(rng.randint(12, 30))
    if kind == "deleted, reused":
        para, _ = choose_stock_passage(rng, doc)
        if para is None:
            return None
    else:
        para, _ = choose_passage(rng, doc)
    old, (start, end) = render(doc)
    exact = old[start:end]
    if len(exact) < 3 or (kind in ("light", "moved+light", "moved sentence") and len(exact) < 10):
        return None

    if kind == "elsewhere":
        editor.edit_elsewhere(doc, [para], rng.randint(1, 6))
    elif kind == "light":
        if not light_edit(rng, editor, doc, para, exact):
            return None
        if rng.random() < 0.3:
            editor.edit_around_passage(para)  # the same pass touches the paragraph too
        if rng.random() < 0.5:
            editor.edit_elsewhere(doc, [para], rng.randint(1, 3))
    elif kind == "moved":
        move_paragraph(rng, doc, para)
        if rng.random() < 0.3:
            editor.edit_around_passage(para)  # moved and touched up
        if rng.random() < 0.5:
            editor.edit_elsewhere(doc, [para], rng.randint(1, 3))
    elif kind == "moved+light":
        if not light_edit(rng, editor, doc, para, exact):
            return None
        move_paragraph(rng, doc, para)
        if rng.random() < 0.5:
            editor.edit_elsewhere(doc, [para], rng.randint(1, 3))
    elif kind == "moved sentence":
        # The passage's sentence(s) moved into another paragraph, sometimes edited as well.
        if rng.random() < 0.4 and not light_edit(rng, editor, doc, para, exact):
            return None
        sentences = [s for s in para if any(t.passage for t in s)]
        others = [p for p in doc if p is not para]
        if len(sentences) == len(para) or not others:
            return None
        for sentence in sentences:
            remove(para, sentence)
        target = rng.choice(others)
        at = rng.randint(0, len(target))
        target[at:at] = sentences
        if rng.random() < 0.5:
            editor.edit_elsewhere(doc, [para, target], rng.randint(1, 3))
    elif kind in ("deleted", "deleted, reused"):
        sentences = [s for s in para if any(t.passage for t in s)]
        # Stock phrases the passage shares with its sentence: the rewrite below may reuse them.
        reused = [
            [t.text.lower() for t in s[a:b]]
            for s in sentences
            for a, b in _stock_phrases_in(s)
            if any(t.passage for t in s[a:b])
        ]
        if rng.random() < 0.5 and len(sentences) < len(para):
            for s in sentences:
                remove(para, s)
        else:
            remove(doc, para)
        if rng.random() < 0.5:
            editor.edit_elsewhere(doc, [], rng.randint(1, 3))
        if reused and (kind == "deleted, reused" or rng.random() < 0.5):
            # The hard case: new copy elsewhere repeats the deleted passage's stock phrase
            # ("... did not immediately respond to a request for comment").
            sentence = writer.sentence()
            at = rng.randint(1, len(sentence) - 1)
            sentence[at:at] = [Token(w) for w in rng.choice(reused)]
            # In another paragraph: in the same place it would be a rewrite, not a deletion.
            target = rng.choice([p for p in doc if p is not para] or [None])
            if target is None:
                return None
            target.insert(rng.randint(0, len(target)), sentence)
    new, truth = render(doc)
    if not kind.startswith("deleted") and truth is None:
        return None
    if kind in ("elsewhere", "moved"):
        assert new[truth[0] : truth[1]] == exact
    return Case(kind, old, new, start, end, truth)


def iou(a: tuple[int, int], b: tuple[int, int]) -> float:
    inter = max(0, min(a[1], b[1]) - max(a[0], b[0]))
    union = max(a[1], b[1]) - min(a[0], b[0])
    return inter / union if union else 0.0


def grade(case: Case, found) -> str:
    """exact / on passage (edited kinds, IoU >= 0.8) / orphaned / imprecise / wrong."""
    if case.truth is None:  # deleted
        return "orphaned" if found is None else "wrong"
    if found is None:
        return "orphaned"
    got = (found.start, found.end)
    if got == case.truth:
        return "exact"
    overlap = iou(got, case.truth)
    if case.kind != "moved" and case.truth_edited and overlap >= GOOD_OVERLAP:
        return "on passage"
    return "imprecise" if overlap > 0 else "wrong"


KINDS = ("elsewhere", "light", "moved", "deleted")
EXTRA_KINDS = ("moved+light", "moved sentence", "deleted, reused")


def accuracy(cases_per_kind: int = CASES_PER_KIND, seed: int = SEED):
    from reviews.anchoring import Reanchorer, SpanQuery, quote_selector

    rng = random.Random(seed)
    writer = Writer(rng)
    editor = Editor(rng, writer)
    stats = {}
    failures = []
    for kind in KINDS + EXTRA_KINDS:
        st = stats[kind] = {"n": 0, "outcomes": Counter(), "methods": Counter(), "repeated": 0}
        wanted = cases_per_kind if kind in KINDS else cases_per_kind // 3
        while st["n"] < wanted:
            case = make_case(kind, rng, writer, editor)
            if case is None:
                continue
            st["n"] += 1
            q = quote_selector(case.old, case.start, case.end)
            # Ambiguity on record: the passage's words also occur where the passage is not.
            elsewhere = case.new.count(q.exact) - (
                case.truth is not None and case.new[case.truth[0] : case.truth[1]] == q.exact
            )
            st["repeated"] += elsewhere > 0
            found = Reanchorer(case.old, case.new).anchor(
                SpanQuery(case.start, case.end, q.exact, q.prefix, q.suffix)
            )
            outcome = grade(case, found)
            st["outcomes"][outcome] += 1
            st["methods"][found.method if found else "orphaned"] += 1
            if outcome in ("wrong", "imprecise") or (outcome == "orphaned" and case.truth):
                failures.append((case, found, outcome))
    return stats, failures


def speed(seed: int = SEED, words: int = 10_000, annotations: int = 1_000, repeat: int = 5):
    """One reanchor_many call for 1,000 annotations on a 10,000-word article, one revision."""
    from reviews.anchoring import SpanQuery, quote_selector, reanchor_many

    rng = random.Random(seed + 1)
    writer = Writer(rng)
    editor = Editor(rng, writer)
    doc = []
    while sum(sum(is_word(t) for s in p for t in s) for p in doc) < words:
        doc.append(writer.paragraph())
    old, _ = render(doc)
    spans, tokens = [], []
    for _ in range(annotations):
        para, passage = choose_passage(rng, doc)
        tokens.append(passage)
        for t in passage:
            t.passage = False
    # Offsets of each passage in the old text: render with one passage marked at a time is slow,
    # so render once with ids.
    ident = {}
    for n, passage in enumerate(tokens):
        for t in passage:
            ident.setdefault(id(t), []).append(n)
    bounds = [[None, None] for _ in tokens]
    at = 0
    for p, para in enumerate(doc):
        if p:
            at += 2
        for s, sentence in enumerate(para):
            for t, tok in enumerate(sentence):
                if (s or t) and tok.space_before:
                    at += 1
                for n in ident.get(id(tok), ()):
                    if bounds[n][0] is None:
                        bounds[n][0] = at
                    bounds[n][1] = at + len(tok.text)
                at += len(tok.text)
    for s, e in bounds:
        q = quote_selector(old, s, e)
        spans.append(SpanQuery(s, e, q.exact, q.prefix, q.suffix))
    editor.edit_elsewhere(doc, [], 8)
    new, _ = render(doc)
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        results = reanchor_many(old, new, spans)
        times.append(time.perf_counter() - t0)
    placed = sum(r is not None for r in results)
    # A heavy revision too: an editor's pass over a third of the paragraphs.
    heavy_doc = [[list(s) for s in p] for p in doc]
    editor.edit_elsewhere(heavy_doc, [], len(heavy_doc) // 3)
    heavy, _ = render(heavy_doc)
    t0 = time.perf_counter()
    reanchor_many(new, heavy, [SpanQuery(r.start, r.end) for r in results if r is not None])
    heavy_time = time.perf_counter() - t0
    return len(old), len(old.split()), statistics.median(times), max(times), placed, heavy_time


RIGHT = {
    "elsewhere": (("exact",), "re-anchored exactly"),
    "light": (("exact", "on passage"), "onto the edited passage"),
    "moved": (("exact",), "found at the new place"),
    "deleted": (("orphaned",), "correctly orphaned"),
    "moved+light": (("exact", "on passage"), "onto the edited passage, moved"),
    "moved sentence": (("exact", "on passage"), "found at the new place"),
    "deleted, reused": (("orphaned",), "correctly orphaned"),
}


def bench_anchoring(cases_per_kind: int = CASES_PER_KIND, seed: int = SEED) -> None:
    stats, _ = accuracy(cases_per_kind, seed)
    total = sum(stats[k]["n"] for k in KINDS)
    wrong_total = 0
    print(
        f"anchoring accuracy: {total} annotated passages, {cases_per_kind} per kind of revision (seed {seed})"
    )
    for kind, st in stats.items():
        n, out = st["n"], st["outcomes"]
        good_outcomes, label = RIGHT[kind]
        good = sum(out[o] for o in good_outcomes)
        wrong = out["wrong"] + out["imprecise"]
        if kind in KINDS:
            wrong_total += wrong
        line = f"  {kind:15} {n:4}  {label:31} {good / n:7.2%}"
        if kind in ("light", "moved+light"):
            line += f" ({out['exact'] / n:.1%} with exact boundaries)"
        if not kind.startswith("deleted"):
            line += f"; orphaned {out['orphaned'] / n:.2%}"
        line += f"; wrongly placed {wrong / n:.2%}"
        if out["imprecise"]:
            line += f" (overlapping but imprecise {out['imprecise'] / n:.2%})"
        print(line)
        print(
            f"  {'':15}       passage's words also found elsewhere in the new text: {st['repeated'] / n:.1%};"
            f" by tier: {', '.join(f'{m} {c}' for m, c in st['methods'].most_common())}"
        )
    print(
        f"  wrongly placed overall (first four kinds): {wrong_total}/{total} = {wrong_total / total:.2%}"
        f"  [the last three kinds are extras, not in the total]"
    )
    chars, words, med, worst, placed, heavy = speed(seed)
    print(
        f"anchoring speed: {words:,}-word article ({chars:,} chars), 1,000 annotations, one revision "
        f"with 8 scattered edits, one reanchor_many call: median {med * 1000:.0f} ms, max {worst * 1000:.0f} ms "
        f"({placed} placed); after a heavy revision (a third of the paragraphs edited): {heavy * 1000:.0f} ms"
    )


if __name__ == "__main__":
    bench_anchoring()
