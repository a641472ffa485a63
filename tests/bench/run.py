"""`make bench`: print figures for the hot paths. Not collected by pytest; asserts nothing.

Runs against a throwaway SQLite database in a temporary directory, never the dev database.
"""

import os
import random
import statistics
import sys
import tempfile
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


def bench_review_page():
    tmp = tempfile.mkdtemp(prefix="newsroom-bench-")
    os.environ["DATABASE_URL"] = f"sqlite:///{tmp}/bench.sqlite3"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "newsroom.settings")
    os.environ["DEBUG"] = "1"
    import django

    django.setup()
    from django.conf import settings
    from django.contrib.auth.models import Group, User
    from django.core.management import call_command
    from django.core.signals import request_finished, request_started
    from django.db import close_old_connections, connection
    from django.test import Client

    # Keep one connection across requests (as CONN_MAX_AGE does in production), so the
    # query count below sees every query.
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    settings.ALLOWED_HOSTS = ["*"]
    call_command("migrate", verbosity=0)
    from reviews import services
    from reviews.models import Annotation, Reply

    editor = User.objects.create_user("bench-editor", password="x")
    editor.groups.add(Group.objects.get(name="Editor"))
    text = article_text(10_000)
    article = services.create_article(editor, title="Bench story", text=text)
    rev = article.current_revision
    anns = []
    for s, e in spans_for(text, 500):
        anns.append(Annotation(article=article, revision=rev, start=s, end=e, exact=text[s:e],
                               prefix=text[max(0, s - 32):s], suffix=text[e:e + 32],
                               body="Check this passage.", author=editor))
    anns = Annotation.objects.bulk_create(anns)
    Reply.objects.bulk_create(Reply(annotation=a, author=editor, body="Agreed.") for a in anns[::2])

    client = Client()
    client.force_login(editor)
    url = article.get_absolute_url()
    client.get(url)
    queries = []

    def count(execute, sql, params, many, context):
        queries.append(sql)
        return execute(sql, params, many, context)

    with connection.execute_wrapper(count):
        assert client.get(url).status_code == 200
    med, p95 = timed(lambda: client.get(url), 20)
    print(f"review page (SQLite): 10,000 words, 500 annotations, 250 replies: "
          f"median {med:.1f} ms, p95 {p95:.1f} ms, {len(queries)} SQL queries")


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
    bench_review_page()
