"""`make bench`: Newsroom Review under load, served by gunicorn on 127.0.0.1. Not collected by
pytest; prints figures.

    .venv/bin/python tests/bench/load.py                            # SQLite, a temporary file
    scripts/with_postgres.sh .venv/bin/python tests/bench/load.py   # PostgreSQL

1. A fresh database: a SQLite file in a temporary directory or, when DATABASE_URL names a
   PostgreSQL server, a new database created on that server (and dropped afterwards). Migrated,
   with the static files collected into a temporary STATIC_ROOT by the production storage.
2. Stories and 50 editor accounts from `manage.py generate_data`.
3. gunicorn with gunicorn.conf.py and production settings on a free port of 127.0.0.1, over
   plain http through INSECURE_LOCAL_HTTP=1 (production settings otherwise: DEBUG off, the
   cached template loader, WhiteNoise, axes, the write rate limit). The login rate limit is off
   for the run (REVIEWS_RATE_LIMIT_LOGINS=0): all 50 editors log in from the same address.
4. Locust, headless (tests/bench/locustfile.py): 50 editors, each signed in with its own
   account, open the queue, read stories, annotate passages and reply to notes, with 1-3 s of
   think time. The phase is bounded to 60 s: 55 s of load, then at most 5 s for requests in
   flight to finish. Reported: requests, requests/s, p50 and p95 overall and per endpoint,
   errors with their messages, and the annotations counted in the database against the
   annotation POSTs the server confirmed (nothing may be lost).
5. The same server at full speed: signed-in clients back to back on the minimal Django view
   (/health/) and then on the review page, requests/s of each and the review page's share.

The load generator runs on the same machine as the server and takes CPU from it; the figures
are for the two together.
"""

import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
LOCUSTFILE = Path(__file__).resolve().parent / "locustfile.py"

EDITORS = 50
SPAWN_RATE = 2  # editors arriving per second: each login hashes a password (PBKDF2, ~0.3 s of CPU)
LOAD_SECONDS = 55  # of load, then at most STOP_SECONDS for requests in flight: 60 s in all
STOP_SECONDS = 5
COMPARE_USERS = 16  # clients back to back in the comparison (more than the server's threads)
COMPARE_SECONDS = 20
STORIES, WORDS, NOTES, REPLIES, FLAGS = 100, 1000, 8, 6, 4  # notes, replies, flags per story
PREFIX = "bench-"
ENDPOINTS = ["login form", "login", "queue", "story", "annotate", "reply"]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def percentile(values: list[float], pct: float) -> float:
    """Nearest-rank percentile."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    rank = max(1, -(-len(ordered) * pct // 100))  # ceil
    return ordered[int(rank) - 1]


class Database:
    """A fresh, empty database for this run, removed afterwards."""

    def __init__(self, tmp: Path):
        given = os.environ.get("DATABASE_URL", "")
        self.admin_url = None
        if given.startswith(("postgres://", "postgresql://")):
            import psycopg

            self.name = f"newsroom_load_{secrets.token_hex(4)}"
            parts = urlsplit(given)
            self.url = urlunsplit(parts._replace(path="/" + self.name))
            self.admin_url = given
            with psycopg.connect(given, autocommit=True) as conn:
                conn.execute(f'CREATE DATABASE "{self.name}"')
            self.label = f"PostgreSQL (a new database {self.name})"
        else:
            self.url = f"sqlite:///{tmp / 'load.sqlite3'}"
            self.label = "SQLite (WAL, a new file)"

    def drop(self):
        if self.admin_url:
            import psycopg

            with psycopg.connect(self.admin_url, autocommit=True) as conn:
                conn.execute(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)')


def server_env(tmp: Path, database_url: str, password: str) -> dict:
    env = {k: v for k, v in os.environ.items() if k not in {"DEBUG", "DJANGO_ALLOW_ASYNC_UNSAFE"}}
    env.update(
        {
            "DJANGO_SETTINGS_MODULE": "newsroom.settings",
            "DJANGO_ENV": "production",
            "SECRET_KEY": secrets.token_urlsafe(50),
            "ALLOWED_HOSTS": "127.0.0.1",
            "INSECURE_LOCAL_HTTP": "1",
            "DATABASE_URL": database_url,
            "STATIC_ROOT": str(tmp / "static"),
            "EXPORT_ROOT": str(tmp / "exports"),
            "REVIEWS_RATE_LIMIT_LOGINS": "0",
            "GUNICORN_ACCESS_LOG": str(tmp / "access.log"),
            "BENCH_PASSWORD": password,
            "BENCH_PREFIX": PREFIX,
            "BENCH_EDITORS": str(EDITORS),
            # As the README advises for PostgreSQL: keep connections (SQLite opens a file).
            "CONN_MAX_AGE": os.environ.get("CONN_MAX_AGE", "60"),
        }
    )
    return env


def manage(env, *args) -> str:
    result = subprocess.run(
        [sys.executable, "manage.py", *args], cwd=ROOT, env=env, capture_output=True, text=True
    )
    if result.returncode:
        sys.exit(f"manage.py {' '.join(args)} failed:\n{result.stdout}{result.stderr}")
    return result.stdout


def query(env, code: str):
    """Run code with Django set up in a separate process; it must print one JSON value."""
    script = "import django, json\ndjango.setup()\n" + code
    result = subprocess.run(
        [sys.executable, "-c", script], cwd=ROOT, env=env, capture_output=True, text=True
    )
    if result.returncode:
        sys.exit(f"database query failed:\n{result.stderr}")
    return json.loads(result.stdout)


def generate_data(env, password: str) -> None:
    manage(
        env, "generate_data", "--stories", str(STORIES), "--words", str(WORDS),
        "--annotations", str(NOTES), "--replies", str(REPLIES), "--flags", str(FLAGS),
        "--editors", str(EDITORS), "--password", password, "--seed", "7", "--prefix", PREFIX,
    )


class Server:
    def __init__(self, env, tmp: Path):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log_path = tmp / "gunicorn.log"
        self.log = open(self.log_path, "w")  # closed in stop()
        self.env = {**env, "HOST": "127.0.0.1", "PORT": str(self.port)}
        self.process = subprocess.Popen(
            [str(BIN / "gunicorn"), "-c", str(ROOT / "gunicorn.conf.py")],
            cwd=ROOT,
            env=self.env,
            stdout=self.log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                sys.exit(f"gunicorn exited at start:\n{self.log_path.read_text()}")
            try:
                with urllib.request.urlopen(f"{self.url}/accounts/login/", timeout=2) as r:
                    if r.status == 200:
                        return
            except (urllib.error.URLError, OSError):
                time.sleep(0.2)
        self.stop()
        sys.exit("gunicorn did not answer within 60 s")

    def settings(self) -> dict:
        out = subprocess.run(
            [str(BIN / "gunicorn"), "-c", str(ROOT / "gunicorn.conf.py"), "--print-config"],
            cwd=ROOT, env=self.env, capture_output=True, text=True,
        ).stdout
        values = {}
        for line in out.splitlines():
            key, _, value = line.partition("=")
            values[key.strip()] = value.strip()
        return values

    def stop(self):
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)  # graceful: requests in flight finish
            try:
                self.process.wait(timeout=40)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.log.close()

    def errors(self) -> list[str]:
        """gunicorn's error lines and Django's tracebacks (each one whole) from the server log."""
        found, block = [], None
        for line in self.log_path.read_text(errors="replace").splitlines():
            if block is not None:
                block.append(line)
                if line and not line.startswith((" ", "Traceback", "During handling", "The above")):
                    found.append("\n".join(block))  # the exception line ends the traceback
                    block = None
            elif line.startswith("Traceback"):
                block = [line]
            elif "[ERROR]" in line or "[CRITICAL]" in line:
                found.append(line)
        return found


def run_locust(env, tmp: Path, url: str, user_class: str, users: int, rate: float, seconds: int,
               stop_seconds: int) -> dict:
    results = tmp / f"{user_class}.json"
    log = tmp / f"{user_class}.log"
    command = [
        str(BIN / "locust"), "-f", str(LOCUSTFILE), "--headless", "--only-summary",
        "-u", str(users), "-r", str(rate), "-t", f"{seconds}s", "--stop-timeout", str(stop_seconds),
        "--host", url, "--loglevel", "WARNING", user_class,
    ]
    started = time.monotonic()
    with open(log, "w") as out:
        try:
            subprocess.run(
                command, cwd=ROOT, env={**env, "BENCH_RESULTS": str(results)}, stdout=out,
                stderr=subprocess.STDOUT, timeout=seconds + stop_seconds + 60,
            )
        except subprocess.TimeoutExpired:
            sys.exit(f"locust did not finish; its log is {log}")
    elapsed = time.monotonic() - started
    if not results.exists():
        sys.exit(f"locust wrote no results:\n{log.read_text()}")
    data = json.loads(results.read_text())
    data["wall"] = elapsed
    return data


def report_load(data: dict, before: dict, after: dict, server: Server) -> None:
    samples = data["samples"]
    phase = data["phase"]
    duration = phase["stop"] - phase["start"]
    print(f"  requests: {len(samples)} in {duration:.1f} s = {len(samples) / duration:.1f} requests/s "
          f"(locust ran {data['wall']:.1f} s in all, start-up included)")
    print(f"  {'endpoint':<10} {'requests':>8} {'req/s':>7} {'p50 ms':>8} {'p95 ms':>8} {'errors':>7}")
    rows = [("all", samples)] + [(n, [s for s in samples if s[0] == n]) for n in ENDPOINTS]
    for name, rows_ in rows:
        times = [s[1] for s in rows_]
        errors = sum(1 for s in rows_ if not s[2])
        print(f"  {name:<10} {len(rows_):>8} {len(rows_) / duration:>7.1f} "
              f"{percentile(times, 50):>8.0f} {percentile(times, 95):>8.0f} {errors:>7}")
    # Every login hashes a password (PBKDF2, on purpose slow): while the editors arrive, that
    # takes most of the CPU. The same figures once the last one is in:
    last_login = max((s[4] for s in samples if s[0] == "login"), default=phase["start"])
    steady = [s for s in samples if s[4] > last_login]
    span = phase["stop"] - last_login
    if steady and span > 0:
        times = [s[1] for s in steady]
        print(f"  once all editors were signed in ({span:.0f} s): {len(steady) / span:.1f} requests/s, "
              f"p50 {percentile(times, 50):.0f} ms, p95 {percentile(times, 95):.0f} ms")
    failed = [s[3] for s in samples if not s[2]]
    print(f"  errors: {len(failed)}")
    if failed:
        counts: dict[str, int] = {}
        for message in failed:
            counts[message] = counts.get(message, 0) + 1
        for message, count in sorted(counts.items(), key=lambda kv: -kv[1])[:10]:
            print(f"    {count} x {message}")
    server_errors = server.errors()
    if server_errors:
        print(f"  the server logged {len(server_errors)} errors; the first:")
        print("    " + server_errors[0].replace("\n", "\n    "))

    confirmed = set(data["annotations"])
    in_db = set(after["new_ids"])
    posted_ok = sum(1 for s in samples if s[0] == "annotate" and s[2])
    lost = confirmed - in_db
    unconfirmed = in_db - confirmed
    verdict = "nothing lost" if not lost and len(in_db) == posted_ok else "LOST"
    print(f"  annotations in database: {len(in_db)} (were {before['count']}, now {after['count']}), "
          f"successful annotation POSTs: {posted_ok} — {verdict}")
    if lost:
        print(f"    confirmed to the client but missing from the database: {sorted(lost)[:20]}")
    if unconfirmed:
        print(f"    in the database without a confirmed response: {sorted(unconfirmed)[:20]}")


def rate(data: dict, name: str) -> tuple[float, int, float]:
    """Requests/s of the named requests, between the first and the last of them (the logins
    before them are left out), their count, and their p95."""
    rows = [s for s in data["samples"] if s[0] == name and s[2]]
    if len(rows) < 2:
        return 0.0, len(rows), float("nan")
    finished = sorted(s[4] for s in rows)
    return (len(rows) - 1) / (finished[-1] - finished[0]), len(rows), percentile([s[1] for s in rows], 95)


COUNT_ANNOTATIONS = """
from django.db.models import Max
from reviews.models import Annotation
since = int(__import__("os").environ.get("BENCH_SINCE", "0"))
print(json.dumps({
    "count": Annotation.objects.count(),
    "max_id": Annotation.objects.aggregate(m=Max("pk"))["m"] or 0,
    "new_ids": list(Annotation.objects.filter(pk__gt=since).values_list("pk", flat=True)),
}))
"""

DATA_SHAPE = """
from django.contrib.auth.models import User
from reviews.models import Article, Flag, Reply
print(json.dumps({
    "stories": Article.objects.count(),
    "editors": User.objects.filter(groups__name="Editor").count(),
    "replies": Reply.objects.count(),
    "flags": Flag.objects.count(),
}))
"""


def main() -> None:
    if not (BIN / "locust").exists():
        sys.exit("locust is missing: pip install -e '.[bench]' (make bench does)")
    # SIGTERM ends the run like Ctrl-C: through the finally below, so no server is left behind.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    tmp = Path(tempfile.mkdtemp(prefix="newsroom-load-"))
    password = secrets.token_urlsafe(16)
    db = Database(tmp)
    server = None
    try:
        env = server_env(tmp, db.url, password)
        print(f"Load benchmark: gunicorn on 127.0.0.1, {db.label}, {os.cpu_count()} CPU cores "
              "shared by the server and the load generator (load average before: "
              f"{os.getloadavg()[0]:.1f})")
        t0 = time.monotonic()
        manage(env, "migrate", "--noinput")
        manage(env, "collectstatic", "--noinput")
        generate_data(env, password)
        shape = query(env, DATA_SHAPE)
        before = query(env, COUNT_ANNOTATIONS)
        print(f"  data (manage.py generate_data; {time.monotonic() - t0:.0f} s with migrate and collectstatic): "
              f"{shape['stories']} stories of about {WORDS} words, {before['count']} notes, "
              f"{shape['replies']} replies, {shape['flags']} flags, {shape['editors']} editors")

        server = Server(env, tmp)
        cfg = server.settings()
        print(f"  server: gunicorn {cfg.get('workers')} workers x {cfg.get('threads')} threads "
              f"({cfg.get('worker_class')}), DJANGO_ENV=production, INSECURE_LOCAL_HTTP=1 (plain "
              f"http on loopback), REVIEWS_RATE_LIMIT_LOGINS=0 for this run (all {EDITORS} editors "
              f"log in from 127.0.0.1); write limit 120/min per editor and axes stay on; "
              f"CONN_MAX_AGE={env['CONN_MAX_AGE']}")

        print(f"\n{EDITORS} editors reading, annotating and replying ({LOAD_SECONDS} s of load, "
              f"{SPAWN_RATE} new editors a second, 1-3 s think time, then up to {STOP_SECONDS} s "
              "for requests in flight):")
        data = run_locust(env, tmp, server.url, "EditorUser", EDITORS, SPAWN_RATE, LOAD_SECONDS,
                          STOP_SECONDS)
        after = query({**env, "BENCH_SINCE": str(before["max_id"])}, COUNT_ANNOTATIONS)
        report_load(data, before, after, server)

        print(f"\nMinimal Django view vs the review page ({COMPARE_USERS} signed-in clients back "
              f"to back, {COMPARE_SECONDS} s each, same server):")
        health = run_locust(env, tmp, server.url, "HealthUser", COMPARE_USERS, COMPARE_USERS,
                            COMPARE_SECONDS, 2)
        story = run_locust(env, tmp, server.url, "StoryUser", COMPARE_USERS, COMPARE_USERS,
                           COMPARE_SECONDS, 2)
        h_rps, h_n, h_p95 = rate(health, "health")
        s_rps, s_n, s_p95 = rate(story, "story")
        failures = sum(1 for d in (health, story) for s in d["samples"] if not s[2])
        print(f"  minimal view (/health/):   {h_rps:7.1f} requests/s  ({h_n} requests, p95 {h_p95:.0f} ms)")
        print(f"  review page (/articles/N/): {s_rps:6.1f} requests/s  ({s_n} requests, p95 {s_p95:.0f} ms)")
        share = 100 * s_rps / h_rps if h_rps else float("nan")
        print(f"  review page's share of the minimal view: {share:.1f} %   (errors: {failures})")
        print(f"  (load average after: {os.getloadavg()[0]:.1f}; anything well above 2 means other "
              "work shared the CPU and the figures are low)")
    finally:
        if server is not None:
            server.stop()
        db.drop()
        if os.environ.get("BENCH_KEEP"):
            print(f"(BENCH_KEEP: logs and results kept in {tmp})")
        else:
            shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
