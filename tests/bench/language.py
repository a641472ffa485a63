"""Loaded-language scanner: quality on the labelled set, throughput, growth with lexicon size."""

from __future__ import annotations

import random
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

from language_eval import (  # noqa: E402
    EVAL_SET,
    HOLDOUT_SET,
    evaluate,
    load_default_lexicon,
    load_examples,
)

from reviews.language import Term, compile_lexicon, scan  # noqa: E402

SENTENCES = [
    "The council voted on Tuesday to approve the budget for the coming year.",
    "Officials said the bridge would reopen after repairs were completed in March.",
    "Government forces and militants clashed near the border, the army said.",
    "Prices rose by 3.2 percent in the year to October, according to the statistics office.",
    "The minister told reporters that talks with the unions would resume next week.",
    "Police said two people were arrested after the match and later released.",
    "\"We will not accept these terms,\" the union leader said outside the ministry.",
    "The company reported a quarterly profit of $1.4 billion, up from a year earlier.",
    "Shiite lawmakers, irate at what they called a flagrant violation, pushed a resolution.",
    "Critics slammed the so-called reforms as a shocking betrayal, and some people say it will fail.",
    "The legendary coach, a world-class tactician, admitted the team had struggled.",
    "Rescue teams searched the rubble through the night for survivors.",
]


def corpus(words: int, seed: int = 7) -> str:
    rng = random.Random(seed)
    out, count = [], 0
    while count < words:
        paragraph = " ".join(rng.choice(SENTENCES) for _ in range(rng.randint(2, 5)))
        out.append(paragraph)
        count += len(paragraph.split())
    return "\n\n".join(out)


def synthetic_terms(n: int, seed: int = 11) -> list[Term]:
    rng = random.Random(seed)
    letters = "bcdfghjklmnpqrstvwz"
    vowels = "aeiou"
    terms, seen = [], set()
    while len(terms) < n:
        word = "".join(rng.choice(letters) + rng.choice(vowels) for _ in range(rng.randint(3, 5)))
        if rng.random() < 0.3:
            word += " " + "".join(rng.choice(letters) + rng.choice(vowels) for _ in range(3))
        if word in seen:
            continue
        seen.add(word)
        terms.append(Term(word, "editorializing", "warn", "Synthetic.", ("neutral",)))
    return terms


def best_of(fn, repeat=3) -> float:
    best = float("inf")
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t0)
    return best


def bench_language():
    default = load_default_lexicon()
    for label, path in [("labelled set", EVAL_SET), ("held-out set (never tuned to)", HOLDOUT_SET)]:
        examples = load_examples(path)
        scores = evaluate(default, examples)
        print(
            f"loaded language, {label}: {len(examples)} sentences, {scores.tp + scores.fn} gold spans: "
            f"precision {scores.precision:.3f}, recall {scores.recall:.3f}, F1 {scores.f1:.3f}; "
            f"quoted loaded words reported as attributed: {scores.attributed_found}/{scores.attributed_total}"
        )

    text = corpus(1_000_000)
    words = len(text.split())
    base_terms = default.terms
    t_default = best_of(lambda: scan(text, default))
    hits = len(scan(text, default))
    print(
        f"scanner throughput: {words:,} words with the default lexicon ({len(base_terms)} terms): "
        f"{t_default:.2f} s = {words / t_default:,.0f} words/s single-threaded ({hits:,} flags)"
    )
    # Line length does not matter (a line of capitalised hits was once quadratic: 128 KB of
    # "Slammed " on one line took minutes): the same prose on one line, and the same hits on
    # one line or on a line each.
    flat = text.replace("\n", " ")
    t_flat = best_of(lambda: scan(flat, default), repeat=1)
    print(f"  the same {len(text) / 1e6:.1f} MB of prose on one line: {t_flat:.2f} s "
          f"= {t_flat / t_default:.2f}x")
    hits_line, hits_lines = "Slammed " * 125_000, "Slammed\n" * 125_000
    t_line = best_of(lambda: scan(hits_line, default), repeat=1)
    t_lines = best_of(lambda: scan(hits_lines, default), repeat=1)
    print(f"  1 MB that is nothing but capitalised hits (125,000): on one line {t_line:.2f} s, "
          f"a line each {t_lines:.2f} s")
    for extra in (1_000, 10_000):
        t0 = time.perf_counter()
        big = compile_lexicon(list(base_terms) + synthetic_terms(extra), f"+{extra}")
        compile_s = time.perf_counter() - t0
        t_big = best_of(lambda big=big: scan(text, big))
        print(
            f"  with {extra:,} synthetic terms added ({len(big):,} in all): {t_big:.2f} s "
            f"= {t_big / t_default:.2f}x the default lexicon's time (compiled once in {compile_s:.2f} s)"
        )
    try:
        from proselint.checks import __register__
        from proselint.config import DEFAULT
        from proselint.registry import CheckRegistry
        from proselint.tools import LintFile
    except ImportError:
        print("proselint is not installed in this environment: no side-by-side figure")
        return
    CheckRegistry().register_many(__register__)
    config = dict(DEFAULT)
    config["max_errors"] = 10**9
    sample = corpus(100_000)
    sample_words = len(sample.split())
    t0 = time.perf_counter()
    problems = LintFile("<bench>", sample).lint(config)
    t_prose = time.perf_counter() - t0
    t_ours = best_of(lambda: scan(sample, default))
    print(
        f"proselint on {sample_words:,} of the same words: {t_prose:.2f} s = "
        f"{sample_words / t_prose:,.0f} words/s ({len(problems):,} findings); "
        f"our scanner: {sample_words / t_ours:,.0f} words/s, {t_prose / t_ours:,.0f}x faster"
    )


if __name__ == "__main__":
    bench_language()
