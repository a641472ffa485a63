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


def _worst(label: str, fn, repeat: int = 3) -> None:
    """Print the best of a few runs of fn (a pathological input) and what it gave."""
    from reviews.importers import ImportRefused

    times, outcome = [], ""
    for _ in range(repeat):
        t0 = time.perf_counter()
        try:
            outcome = fn()
        except ImportRefused as exc:
            outcome = f"refused: {str(exc)[:70]}…"
        times.append((time.perf_counter() - t0) * 1000)
    print(f"  {label}: {min(times):.1f} ms ({outcome})")


def bench_anchoring_worst_cases():
    """The pathological annotation and file imports that once took seconds or minutes: each is
    now placed quickly or refused with a message. Figures only."""
    import io
    import json
    import zipfile

    from reviews.anchoring import locate_quote
    from reviews.importers import (
        IncomingAnnotation,
        anchor_incoming,
        parse_web_annotations,
        read_article,
    )
    from reviews.language.formats import parse_vale_yaml

    limit = 5 * 1024 * 1024
    print("anchoring worst case: annotation imports (once 38.6 s and 1.9 s)")
    text = "a" * 20_000
    data = json.dumps({"type": "Annotation", "target": {"selector": {
        "type": "TextQuoteSelector", "exact": "a", "prefix": text, "suffix": text}}}).encode()

    def context_case():
        [(_, where, how, reason)] = anchor_incoming(text, parse_web_annotations(data).annotations)
        return f"{how}: {reason}"

    _worst('exact "a", 20,000 characters of prefix and suffix, story of 20,000 "a"s', context_case)
    _worst("locate_quote, the same", lambda: locate_quote(text, "a", text, text, hint=10_000))
    story = article_text(20_000, seed=3)
    start = len(story) // 3
    start = story.index(" ", start) + 1
    passage = story[start : start + 1800]
    edited = "".join("z" if i % 12 == 0 else c for i, c in enumerate(passage))
    item = IncomingAnnotation("x", exact=edited, prefix=story[start - 32 : start])

    def edited_case():
        [(_, where, how, _)] = anchor_incoming(story, [item])
        return f"{how} at {where}, {len(story):,}-character story"

    _worst("1,800-character quote with one character in twelve changed", edited_case)
    many = [IncomingAnnotation(f"m{i}", exact=f"a quote that is nowhere {i}") for i in range(20_000)]

    def budget_case():
        results = anchor_incoming(story, many)
        searched = sum(1 for r in results if not r[3].startswith("not searched"))
        return f"{searched} searched in full, the rest rejected for the import's search budget"

    _worst("20,000 annotations whose quotes are nowhere in the story", budget_case, repeat=1)
    surrogate = json.dumps([{"type": "Annotation", "bodyValue": "\ud800", "target": {"selector": {
        "type": "TextQuoteSelector", "exact": "plan"}}}, {"type": "Annotation", "bodyValue": "ok",
        "target": {"selector": {"type": "TextQuoteSelector", "exact": "plan"}}}]).encode()
    _worst("a lone surrogate in a note", lambda: f"set aside: {parse_web_annotations(surrogate).rejected}")

    print("anchoring worst case: file imports (once up to 300 s or 451 MB)")
    bomb = "\n".join(["a0: &a0 [x,x,x,x,x,x,x,x,x]"] + [
        f"a{i}: &a{i} [{','.join([f'*a{i - 1}'] * 9)}]" for i in range(1, 8)])
    _worst("Markdown front matter of 7-deep YAML aliases",
           lambda: read_article("b.md", f"---\n{bomb}\ntitle: *a7\n---\n\nText.".encode(), limit))
    _worst("Vale rule of 7-deep YAML aliases",
           lambda: parse_vale_yaml(bomb + "\nextends: existence\ntokens: [*a7]\n", "puffery")[1][0].reason)

    def word(paragraphs: int) -> bytes:
        import docx

        document = docx.Document()
        document.add_paragraph("x")
        out = io.BytesIO()
        document.save(out)
        src = zipfile.ZipFile(io.BytesIO(out.getvalue()))
        xml = src.read("word/document.xml").decode().replace(
            "<w:p><w:r><w:t>x</w:t></w:r></w:p>", "<w:p><w:r><w:t>x</w:t></w:r></w:p>" * paragraphs)
        rebuilt = io.BytesIO()
        with zipfile.ZipFile(rebuilt, "w", zipfile.ZIP_DEFLATED) as dst:
            for entry in src.infolist():
                dst.writestr(entry, xml if entry.filename == "word/document.xml" else src.read(entry))
        return rebuilt.getvalue()

    big, allowed = word(20_000), word(9_000)
    _worst(f"Word document of 20,000 one-letter paragraphs ({len(big) // 1024} KB)",
           lambda: read_article("w.docx", big, limit))
    _worst("Word document of 9,000 one-letter paragraphs",
           lambda: f"{len(read_article('w.docx', allowed, limit)[1]):,} characters read")
    _worst("HTML of 200,000 nested <div>s",
           lambda: read_article("d.html", ("<div>" * 200_000 + "x").encode(), limit))
    _worst("HTML of 20,000 nested <ul><li>",
           lambda: read_article("l.html", ("<ul><li>" * 20_000 + "x").encode(), limit))
    _worst("HTML of 8,000 <p><b id=n>x</p> (formatting reopened in every paragraph)",
           lambda: f"{len(read_article('p.html', ''.join(f'<p><b id={i}>x</p>' for i in range(8_000)).encode(), limit)[1]):,} characters read")


if __name__ == "__main__":
    # The other benchmark modules sit beside this file.
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from anchoring import bench_anchoring
    from docx_export import bench_docx
    from language import bench_language

    print("Newsroom Review benchmarks (figures only; nothing here passes or fails)")
    bench_anchoring()
    bench_anchoring_worst_cases()
    bench_language()
    bench_docx()
    bench_highlighting()
