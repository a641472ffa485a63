"""Scoring the scanner against the labelled evaluation set (shared by tests and bench)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from reviews.language import formats, scan
from reviews.language.scanner import compile_lexicon

ROOT = Path(__file__).resolve().parent.parent
EVAL_SET = ROOT / "tests" / "data" / "loaded_language_eval.jsonl"
# Written later by someone who saw neither the lexicon nor the first set; the lexicon was
# never tuned to it, so it is the fairer measure of text the scanner has not seen.
HOLDOUT_SET = ROOT / "tests" / "data" / "loaded_language_holdout.jsonl"
DEFAULT_LEXICON = ROOT / "reviews" / "language" / "default_lexicon.csv"


def load_default_lexicon():
    terms, errors = formats.parse_csv(DEFAULT_LEXICON.read_text(encoding="utf-8"))
    assert not errors, errors[:5]
    return compile_lexicon(terms, "default")


def load_examples(path=EVAL_SET):
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


@dataclass
class Scores:
    tp: int
    fp: int
    fn: int
    attributed_found: int
    attributed_total: int
    false_positives: list
    misses: list

    @property
    def precision(self):
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else 1.0

    @property
    def recall(self):
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else 1.0

    @property
    def f1(self):
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0


def _overlaps(a, b):
    return a[0] < b[1] and b[0] < a[1]


def evaluate(lexicon, examples) -> Scores:
    """A flag at warn or above in the paper's voice is right when it overlaps a gold span.

    Each gold span is matched once. Quoted loaded words count as found when some flag inside
    them is marked attributed.
    """
    tp = fp = fn = found = total = 0
    false_positives, misses = [], []
    for ex in examples:
        hits = scan(ex["text"], lexicon)
        voice = [h for h in hits if not h.attributed and h.severity in ("warn", "high")]
        gold = [(g["start"], g["end"]) for g in ex["gold"]]
        matched = set()
        for h in voice:
            j = next((i for i, g in enumerate(gold) if i not in matched and _overlaps((h.start, h.end), g)), None)
            if j is None:
                fp += 1
                false_positives.append((ex["id"], h.text, h.term.phrase))
            else:
                matched.add(j)
                tp += 1
        for i, g in enumerate(gold):
            if i not in matched:
                fn += 1
                misses.append((ex["id"], ex["text"][g[0]:g[1]]))
        for a in ex.get("attributed", []):
            total += 1
            if any(h.attributed and _overlaps((h.start, h.end), (a["start"], a["end"])) for h in hits):
                found += 1
    return Scores(tp, fp, fn, found, total, false_positives, misses)
