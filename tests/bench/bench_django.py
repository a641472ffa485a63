"""Django for the database benchmarks (review_page.py, search.py), production-like: DEBUG off
(so no template debug bookkeeping and the cached template loader), a throwaway database."""

import os
import secrets
import tempfile

_TMP = None  # kept for the life of the process; removed when it exits


def setup_django():
    """Without DATABASE_URL, a SQLite file in a temporary directory, never the dev database;
    with it (scripts/with_postgres.sh sets one for a temporary cluster) that database."""
    global _TMP
    if "DATABASE_URL" not in os.environ:
        _TMP = tempfile.TemporaryDirectory(prefix="newsroom-bench-")
        os.environ["DATABASE_URL"] = f"sqlite:///{_TMP.name}/bench.sqlite3"
    os.environ["DJANGO_SETTINGS_MODULE"] = "newsroom.settings"
    os.environ["DEBUG"] = "0"
    os.environ.setdefault("SECRET_KEY", "bench-" + secrets.token_urlsafe(48))
    os.environ["ALLOWED_HOSTS"] = "testserver,127.0.0.1,localhost"
    import django

    django.setup()
