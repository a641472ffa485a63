"""`make bench`: server time of the story review page with a busy story. Not collected by
pytest; prints figures and asserts only that the page really shows what is measured.

    .venv/bin/python tests/bench/review_page.py                          # SQLite, a temp file
    scripts/with_postgres.sh .venv/bin/python tests/bench/review_page.py # PostgreSQL

Without DATABASE_URL it uses a throwaway SQLite file; with it (scripts/with_postgres.sh sets
one for a temporary cluster) it migrates and adds the story there, so never point it at a
database you care about.

Production-like: DEBUG off (so no template debug bookkeeping), the cached template loader,
one database connection kept across requests (as CONN_MAX_AGE does). Every request renders
the page from the database; nothing caches rendered output.
"""

import io
import math
import re
import secrets
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from bench_django import setup_django  # noqa: E402  (beside this file)

WORDS, ANNOTATIONS, REPLIES, FLAGS = 10_000, 500, 250, 200
REQUESTS = 50
SEED = 7
TARGET_P95_MS = 80

ANNOTATION_CARD = re.compile(r'<li class="card card-[^"]*" id="ann-\d+"')
FLAG_CARD = re.compile(r'<li class="card flag-card[^"]*" id="flag-\d+"')
REPLY = re.compile(r'<li><span class="who">[^<]*</span> <time ')




def _generate_story():
    """Create the story with the project's generator; return (article, editor)."""
    from django.contrib.auth.models import User
    from django.core.management import call_command

    from reviews.models import Article

    out = io.StringIO()
    call_command(
        "generate_data", stories=1, words=WORDS, annotations=ANNOTATIONS, replies=REPLIES,
        flags=FLAGS, editors=1, seed=SEED, prefix="bench-", password=secrets.token_urlsafe(16),
        stdout=out,
    )
    first_id = int(re.search(r"First story id: (\d+)", out.getvalue()).group(1))
    # The editor's everyday case: a story in review, where every note and flag has its
    # buttons and forms (an archived or published one would draw far less).
    Article.objects.filter(pk=first_id).update(status="in_review", restore_status="")
    return Article.objects.get(pk=first_id), User.objects.get(username="bench-editor-1")


def _measure(article, editor):
    from django.core.signals import request_finished, request_started
    from django.db import close_old_connections, connection
    from django.test import Client

    # One connection across requests (as CONN_MAX_AGE does in production), so the timings
    # do not include connecting and the query count below sees every query.
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)

    client = Client()
    client.force_login(editor)
    url = article.get_absolute_url()
    for _ in range(3):  # warm up: templates compiled, URL resolvers and lexicon loaded
        assert client.get(url).status_code == 200

    queries = []

    def count(execute, sql, params, many, context):
        queries.append(sql)
        return execute(sql, params, many, context)

    with connection.execute_wrapper(count):
        response = client.get(url)
    assert response.status_code == 200
    html = response.content.decode()

    times, cpu = [], []
    for _ in range(REQUESTS):
        t0, c0 = time.perf_counter(), time.process_time()
        r = client.get(url)
        times.append((time.perf_counter() - t0) * 1000)
        cpu.append((time.process_time() - c0) * 1000)
        assert r.status_code == 200
    return html, len(queries), _median_p95(times), _median_p95(cpu)


def _median_p95(values):
    values = sorted(values)
    return statistics.median(values), values[math.ceil(0.95 * len(values)) - 1]  # nearest rank


def main():
    setup_django()
    from django.core.management import call_command
    from django.db import connection

    from reviews.models import Annotation, Flag, Reply

    call_command("migrate", verbosity=0)
    article, editor = _generate_story()
    revision = article.current_revision
    words = len(revision.text.split())
    annotations = Annotation.objects.filter(article=article).count()
    replies = Reply.objects.filter(annotation__article=article).count()
    flags = Flag.objects.filter(
        article=article, revision=revision, orphaned=False, state__in=[Flag.OPEN, Flag.DISMISSED]
    ).count()

    html, queries, (median, p95), (cpu_median, cpu_p95) = _measure(article, editor)
    ann_cards = len(ANNOTATION_CARD.findall(html))
    flag_cards = len(FLAG_CARD.findall(html))
    reply_items = len(REPLY.findall(html))
    db = "PostgreSQL" if connection.vendor == "postgresql" else "SQLite"
    print(
        f"review page ({db}): {words:,} words, {annotations} annotations, {replies} replies, "
        f"{flags} flags: median {median:.1f} ms, p95 {p95:.1f} ms "
        f"(target p95 ≤ {TARGET_P95_MS} ms), {queries} SQL queries"
    )
    print(
        f"  the page ({len(html):,} bytes, story {article.status}) shows {ann_cards} annotation "
        f"cards, {reply_items} replies and {flag_cards} flag cards; {REQUESTS} requests, DEBUG "
        f"off; this process's CPU per request: median {cpu_median:.1f} ms, p95 {cpu_p95:.1f} ms"
    )
    # The figure is only honest if the page really rendered everything it claims to.
    assert ann_cards == annotations, (ann_cards, annotations)
    assert reply_items == replies, (reply_items, replies)
    assert flag_cards == flags, (flag_cards, flags)


if __name__ == "__main__":
    main()
