"""Gunicorn settings for Newsroom Review (`make serve`, scripts/serve.sh, `make bench`).

gunicorn reads this file with `-c gunicorn.conf.py`; every value comes from the environment
(the README's Production section lists them):

HOST, PORT           where to listen (127.0.0.1:8000); behind a reverse proxy keep the loopback
GUNICORN_BIND        instead of HOST:PORT, e.g. "unix:/run/newsroom/gunicorn.sock"
WEB_CONCURRENCY      worker processes (default: one per CPU core plus one)
GUNICORN_THREADS     threads per worker (default 2; 1 = classic sync workers)
GUNICORN_TIMEOUT     seconds a busy worker may stay silent before it is replaced (30)
GUNICORN_GRACEFUL_TIMEOUT  seconds in-flight requests get to finish on stop or reload (30)
GUNICORN_KEEPALIVE   seconds an idle keep-alive connection stays open (5)
GUNICORN_MAX_REQUESTS  recycle a worker after this many requests, with jitter (1000; 0 = never)
GUNICORN_ACCESS_LOG  "-" (stdout, the default), a file path, or "" for no access log

Why this mix: rendering a page is Python work, held by the GIL, so the parallelism comes from
processes, a few more than the cores so that one is always ready. A request also waits on the
database (under SQLite possibly for the write lock, up to the busy timeout); a second thread
lets the process serve another request meanwhile, and gthread workers keep connections alive.
More threads only queue more requests behind the same GIL. On two cores: 3 processes x 2
threads. `make bench` (tests/bench/load.py) measures a setting: WEB_CONCURRENCY=5
GUNICORN_THREADS=1 make bench, for instance.
"""

import os


def _int(name: str, default: int) -> int:
    value = os.environ.get(name, "").strip()
    return int(value) if value else default


def _cores() -> int:
    try:
        return len(os.sched_getaffinity(0))  # the cores this process may actually use
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


wsgi_app = "newsroom.wsgi:application"

# Always an explicit address: gunicorn's own default would be 0.0.0.0 whenever PORT is set.
bind = [
    os.environ.get("GUNICORN_BIND")
    or f"{os.environ.get('HOST') or '127.0.0.1'}:{_int('PORT', 8000)}"
]

workers = _int("WEB_CONCURRENCY", _cores() + 1)
threads = _int("GUNICORN_THREADS", 2)
worker_class = "gthread" if threads > 1 else "sync"

# A worker silent for longer is killed and replaced; stop and reload (SIGTERM, SIGHUP) give
# requests in flight graceful_timeout seconds to finish first.
timeout = _int("GUNICORN_TIMEOUT", 30)
graceful_timeout = _int("GUNICORN_GRACEFUL_TIMEOUT", 30)
keepalive = _int("GUNICORN_KEEPALIVE", 5)

# Recycle workers now and then (staggered), so slow memory growth never accumulates.
max_requests = _int("GUNICORN_MAX_REQUESTS", 1000)
max_requests_jitter = max_requests // 10

# Access log to stdout (journald or the process manager keeps it), errors to stderr.
accesslog = os.environ.get("GUNICORN_ACCESS_LOG", "-") or None
errorlog = "-"
loglevel = os.environ.get("GUNICORN_LOG_LEVEL", "info")
access_log_format = '%(h)s "%(r)s" %(s)s %(B)s %(M)sms "%(a)s"'

# gunicorn 25+ opens a control socket in $HOME by default; two servers on one machine (a
# deployment and `make bench`) would fight over it, and nothing here uses it.
control_socket_disable = True

proc_name = "newsroom-review"
