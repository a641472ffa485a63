"""`make bench`: the review queue with filters and full-text search over 100,000 stories.
Not collected by pytest; prints figures and asserts only that the searches really found
stories (so the timings measure real work).

    scripts/with_postgres.sh .venv/bin/python tests/bench/search.py   # PostgreSQL
    .venv/bin/python tests/bench/search.py                            # SQLite, a temp file

BENCH_STORIES=20000 runs it on fewer stories. Production-like: DEBUG off, the cached
template loader, one database connection kept across requests (as CONN_MAX_AGE does).
The stories come from the project's generator (manage.py generate_data).
"""

import io
import math
import os
import re
import secrets
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from bench_django import setup_django  # noqa: E402  (beside this file)

STORIES = int(os.environ.get("BENCH_STORIES", "100000"))
REQUESTS = 200
TARGET_P95_MS = 100

# What editors type: common words, rare names, phrases, alternatives and exclusions, with
# and without the status and reviewer filters, first pages and later ones.
SEARCHES = [
    ("common word", {"q": "council"}),
    ("common word", {"q": "meeting", "status": "in_review"}),
    ("common words", {"q": "report figures"}),
    ("common word", {"q": "budget", "assignee": "me"}),
    ("common word, page 3", {"q": "residents", "page": "3"}),
    ("topic word", {"q": "timetable"}),
    ("topic word", {"q": "inquest", "status": "approved"}),
    ("topic words", {"q": "otters salmon"}),
    ("rare name", {"q": "RARE0"}),  # surnames from stories' leads (see _rare_names)
    ("rare name", {"q": "RARE1", "status": "all"}),
    ("rare names", {"q": "RARE2 or RARE0"}),
    ("phrase", {"q": '"bus lane"'}),
    ("phrase", {"q": '"planning application"', "status": "changes_requested"}),
    ("phrase", {"q": '"storm warning" coastguard'}),
    ("or", {"q": "otters or hedgerows"}),
    ("exclusion", {"q": "tower block -demolished"}),
    ("note words", {"q": "named source"}),
    ("filter only", {"status": "in_review"}),
    ("filter only", {"assignee": "none", "status": "approved"}),
    ("no match", {"q": "xylophone"}),
]




def _generate():
    from django.core.management import call_command

    out = io.StringIO()
    t0 = time.perf_counter()
    call_command(
        "generate_data", stories=STORIES, annotations=2, replies=1, flags=1, editors=20,
        seed=11, password=secrets.token_urlsafe(16), prefix="bench-", batch=2000, stdout=out,
    )
    seconds = time.perf_counter() - t0
    summary = [line for line in out.getvalue().splitlines() if line.startswith("Created")]
    return seconds, summary[-1] if summary else ""


def _rare_names():
    """Surnames that lead a few stories each: generate_data draws them from 2,000."""
    from reviews.models import Article

    names = []
    for article in Article.objects.select_related("current_revision").order_by("pk")[:3]:
        names.append(article.current_revision.text.split(",")[0].split()[-1])
    return names


def _percentile(sorted_ms, p):
    return sorted_ms[math.ceil(p * len(sorted_ms)) - 1]  # nearest rank


def main():
    setup_django()
    from django.contrib.auth.models import User
    from django.core.management import call_command
    from django.core.signals import request_finished, request_started
    from django.db import close_old_connections, connection
    from django.test import Client

    db = "PostgreSQL" if connection.vendor == "postgresql" else "SQLite"
    call_command("migrate", verbosity=0)
    gen_seconds, summary = _generate()
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("VACUUM ANALYZE")  # what autovacuum would have done by now

    # One connection across requests (as CONN_MAX_AGE does in production), so the timings
    # do not include connecting and the query count sees every query.
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    client = Client()
    client.force_login(User.objects.get(username="bench-editor-1"))

    rare = _rare_names()
    for _, params in SEARCHES:
        for i, name in enumerate(rare):
            if "q" in params:
                params["q"] = params["q"].replace(f"RARE{i}", name)
    found = {}
    for _, params in SEARCHES:  # warm up, and check that the searches find stories
        response = client.get("/", params)
        assert response.status_code == 200
        count = re.search(r'<p class="muted count">([\d,]+) stor', response.content.decode())
        found[str(params)] = int(count.group(1).replace(",", ""))
    assert all(n > 0 for p, n in found.items() if "xylophone" not in p), found

    queries = []

    def count_queries(execute, sql, params, many, context):
        queries.append(sql)
        return execute(sql, params, many, context)

    with connection.execute_wrapper(count_queries):
        assert client.get("/", {"q": "council", "status": "in_review"}).status_code == 200

    times, by_kind = [], {}
    for i in range(REQUESTS):
        kind, params = SEARCHES[i % len(SEARCHES)]
        t0 = time.perf_counter()
        response = client.get("/", params)
        ms = (time.perf_counter() - t0) * 1000
        assert response.status_code == 200
        times.append(ms)
        by_kind.setdefault(kind, []).append(ms)
    times.sort()
    median, p95 = statistics.median(times), _percentile(times, 0.95)
    print(f"generate_data: {summary} ({gen_seconds:.0f} s including the search index)")
    print(
        f"queue filter + full-text search over {STORIES:,} stories ({db}): median {median:.1f} ms, "
        f"p95 {p95:.1f} ms (target p95 ≤ {TARGET_P95_MS} ms), {len(queries)} SQL queries"
    )
    slowest = sorted(by_kind.items(), key=lambda kv: -max(kv[1]))
    print("  slowest kinds (max ms): " + ", ".join(f"{k} {max(v):.0f}" for k, v in slowest[:5]))
    from reviews.search import RANK_WINDOW

    print(f"  stories listed (a search ranks at most the {RANK_WINDOW} most recent matches): "
          f"common word {found[str(SEARCHES[0][1])]:,}, rare name {found[str(SEARCHES[8][1])]:,}, "
          f"phrase {found[str(SEARCHES[11][1])]:,}; {REQUESTS} requests, DEBUG off")


if __name__ == "__main__":
    main()
