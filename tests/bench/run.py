"""`make bench`: print figures for the hot paths. Not collected by pytest; asserts nothing.

The story review page has its own benchmark, tests/bench/review_page.py (SQLite and PostgreSQL).
"""

import random
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

WORDS = (
    "the council said on tuesday that its plan for the harbour road bus lane would cost "
    "about four million and take eighteen months while shop owners warned of lost trade "
    "and residents asked for a fuller consultation before work starts in the spring"
).split()


def article_text(words: int, seed: int = 1, vocabulary: list[str] = WORDS) -> str:
    """A generated article of paragraphs of 60-odd words drawn from vocabulary."""
    rng = random.Random(seed)
    paras, out = [], []
    for i in range(words):
        out.append(rng.choice(vocabulary))
        if len(out) >= 60 and rng.random() < 0.05 or i == words - 1:
            paras.append(" ".join(out).capitalize() + ".")
            out = []
    return "\n\n".join(paras)


def spans_for(text: str, count: int, seed: int = 2):
    rng = random.Random(seed)
    spans = []
    for _ in range(count):
        start = rng.randrange(0, len(text) - 60)
        spans.append((start, start + rng.randint(5, 60)))
    return spans


def timed(fn, repeat):
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append((time.perf_counter() - t0) * 1000)
    times.sort()
    return statistics.median(times), times[max(0, int(len(times) * 0.95) - 1)]


def bench_highlighting():
    from reviews.highlighting import Span, paragraphs

    text = article_text(10_000)
    spans = [Span(s, e, i) for i, (s, e) in enumerate(spans_for(text, 500))]
    med, p95 = timed(lambda: paragraphs(text, spans), 30)
    print(f"highlighting: 10,000-word text, 500 overlapping spans -> segments: median {med:.1f} ms, p95 {p95:.1f} ms")


if __name__ == "__main__":
    # The other benchmark modules sit beside this file.
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from anchoring import bench_anchoring
    from docx_export import bench_docx
    from language import bench_language

    print("Newsroom Review benchmarks (figures only; nothing here passes or fails)")
    bench_anchoring()
    bench_language()
    bench_docx()
    bench_highlighting()
