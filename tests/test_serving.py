"""Serving: gunicorn.conf.py, `make serve` (scripts/serve.sh), WhiteNoise's compressed static
files under production settings, the plain-http switch for loopback try-outs, and /health/;
a background worker that dies is restarted while the site stays up, and hostile input
(a huge one-line story, YAML alias bombs, a race for the database lock) takes neither down.

The production server runs for real here: scripts/serve.sh in a subprocess, against its own
SQLite file and STATIC_ROOT in a temporary directory, on a free port of 127.0.0.1.
"""

import http.client
import http.cookiejar
import json
import os
import re
import resource
import runpy
import secrets
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

import pytest
from django.urls import reverse

ROOT = Path(__file__).resolve().parent.parent
VENV = Path(sys.executable).parent.parent
SECRET = "zq4-Kp9#vT2w!rYb7Lm1xNc8@Hs5Ue3$Ja6Gd4^Of7Qi2&We4*Rt5(Yu8)Po1"
PASSWORD = "pw-for-serving-tests-1"


def _env(**extra) -> dict:
    env = {k: v for k, v in os.environ.items() if k not in {"DEBUG", "DJANGO_ALLOW_ASYNC_UNSAFE"}}
    env.update({"DJANGO_SETTINGS_MODULE": "newsroom.settings", **extra})
    return env


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# --- gunicorn.conf.py -----------------------------------------------------------------------


def _gunicorn_conf(monkeypatch, **env) -> dict:
    for name in ("HOST", "PORT", "GUNICORN_BIND", "WEB_CONCURRENCY", "GUNICORN_THREADS",
                 "GUNICORN_ACCESS_LOG", "GUNICORN_TIMEOUT", "GUNICORN_GRACEFUL_TIMEOUT"):
        monkeypatch.delenv(name, raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    return runpy.run_path(str(ROOT / "gunicorn.conf.py"))


def test_gunicorn_defaults_are_loopback_threaded_and_logged(monkeypatch):
    conf = _gunicorn_conf(monkeypatch)
    assert conf["bind"] == ["127.0.0.1:8000"]
    assert conf["wsgi_app"] == "newsroom.wsgi:application"
    assert conf["workers"] >= 2
    assert conf["threads"] >= 2 and conf["worker_class"] == "gthread"
    assert conf["accesslog"] == "-" and conf["errorlog"] == "-"
    assert 0 < conf["timeout"] <= 60 and 0 < conf["graceful_timeout"] <= 60
    assert conf["max_requests"] > 0 and 0 < conf["max_requests_jitter"] < conf["max_requests"]


def test_gunicorn_settings_follow_the_environment(monkeypatch):
    conf = _gunicorn_conf(
        monkeypatch, PORT="9123", WEB_CONCURRENCY="7", GUNICORN_THREADS="1",
        GUNICORN_ACCESS_LOG="", GUNICORN_GRACEFUL_TIMEOUT="12",
    )
    # PORT alone never widens the address: gunicorn's own default would be 0.0.0.0.
    assert conf["bind"] == ["127.0.0.1:9123"]
    assert conf["workers"] == 7
    assert conf["threads"] == 1 and conf["worker_class"] == "sync"
    assert conf["accesslog"] is None
    assert conf["graceful_timeout"] == 12
    conf = _gunicorn_conf(monkeypatch, GUNICORN_BIND="unix:/run/newsroom/gunicorn.sock")
    assert conf["bind"] == ["unix:/run/newsroom/gunicorn.sock"]


def test_gunicorn_accepts_the_config_file():
    result = subprocess.run(
        [str(VENV / "bin" / "gunicorn"), "-c", "gunicorn.conf.py", "--print-config"],
        cwd=ROOT, env=_env(WEB_CONCURRENCY="3", GUNICORN_THREADS="4"),
        capture_output=True, text=True, timeout=60,
    )
    assert result.returncode == 0, result.stderr
    printed = dict(
        (k.strip(), v.strip()) for k, _, v in (line.partition("=") for line in result.stdout.splitlines())
    )
    assert printed["workers"] == "3" and printed["threads"] == "4"
    assert printed["worker_class"] == "gthread"
    assert printed["control_socket_disable"] == "True"


# --- production settings ----------------------------------------------------------------------

_PRINT = """
import json, django
django.setup()
from django.conf import settings as s
print(json.dumps({"storage": s.STORAGES["staticfiles"]["BACKEND"], "finders": s.WHITENOISE_USE_FINDERS,
    "session_secure": s.SESSION_COOKIE_SECURE, "csrf_secure": s.CSRF_COOKIE_SECURE,
    "redirect": s.SECURE_SSL_REDIRECT, "hsts": s.SECURE_HSTS_SECONDS, "tasks": s.TASKS_BACKEND,
    "static_root": str(s.STATIC_ROOT)}))
"""

PRODUCTION = {"DJANGO_ENV": "production", "SECRET_KEY": SECRET, "ALLOWED_HOSTS": "news.example.org"}


def _settings(**extra):
    return subprocess.run(
        [sys.executable, "-c", _PRINT], cwd=ROOT, env=_env(**extra),
        capture_output=True, text=True, timeout=60,
    )


def test_production_serves_hashed_compressed_static_files_with_https_only_cookies(tmp_path):
    result = _settings(**PRODUCTION, STATIC_ROOT=str(tmp_path))
    assert result.returncode == 0, result.stderr
    s = json.loads(result.stdout)
    assert s["storage"] == "whitenoise.storage.CompressedManifestStaticFilesStorage"
    assert s["finders"] is False
    assert s["static_root"] == str(tmp_path)
    assert s["session_secure"] and s["csrf_secure"] and s["redirect"] and s["hsts"] > 0
    assert s["tasks"] == "database"


def test_insecure_local_http_is_plain_http_on_loopback_only():
    result = _settings(**{**PRODUCTION, "ALLOWED_HOSTS": "127.0.0.1,localhost"}, INSECURE_LOCAL_HTTP="1")
    assert result.returncode == 0, result.stderr
    s = json.loads(result.stdout)
    assert not s["session_secure"] and not s["csrf_secure"] and not s["redirect"]
    assert s["hsts"] == 0
    assert s["storage"] == "whitenoise.storage.CompressedManifestStaticFilesStorage"

    refused = _settings(**PRODUCTION, INSECURE_LOCAL_HTTP="1")  # a public host name
    assert refused.returncode != 0
    assert "INSECURE_LOCAL_HTTP is only for this machine" in refused.stderr


def test_insecure_local_http_means_nothing_outside_production():
    result = _settings(INSECURE_LOCAL_HTTP="1", ALLOWED_HOSTS="news.example.org")
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["storage"].endswith("StaticFilesStorage")


# --- the minimal view ---------------------------------------------------------------------------


def test_health_needs_a_login(client, db):
    response = client.get(reverse("reviews:health"))
    assert response.status_code == 302 and "/login/" in response.url


def test_health_answers_ok_with_nothing_but_the_session_and_user_lookups(
    client, editor, django_assert_max_num_queries
):
    client.force_login(editor)
    with django_assert_max_num_queries(2):  # the session, the user
        response = client.get(reverse("reviews:health"))
    assert response.status_code == 200
    assert response["Content-Type"] == "text/plain; charset=utf-8"
    assert response.content == b"ok\n"
    assert "no-store" in response["Cache-Control"]
    assert client.post(reverse("reviews:health")).status_code == 405


# --- make serve --------------------------------------------------------------------------------


def _serve(env_extra, timeout=30):
    """scripts/serve.sh as `make serve` runs it; returns its result when it exits on its own."""
    return subprocess.run(
        ["scripts/serve.sh"], cwd=ROOT, env=_env(VENV=str(VENV), **env_extra),
        capture_output=True, text=True, timeout=timeout,
    )


def test_serve_refuses_to_start_without_a_secret_key(tmp_path):
    env = {"SECRET_KEY": "", "ALLOWED_HOSTS": "news.example.org", "STATIC_ROOT": str(tmp_path)}
    result = _serve(env)
    assert result.returncode == 2
    assert "SECRET_KEY is not set" in result.stderr
    assert "INSECURE_LOCAL_HTTP=1" in result.stderr  # and says how to try it locally
    assert not any(tmp_path.iterdir())  # refused before collecting or migrating anything


def test_serve_refuses_plain_http_on_a_public_address(tmp_path):
    result = _serve({"INSECURE_LOCAL_HTTP": "1", "HOST": "0.0.0.0", "SECRET_KEY": SECRET,
                     "STATIC_ROOT": str(tmp_path)})
    assert result.returncode == 2
    assert "not a loopback address" in result.stderr


class Served:
    """scripts/serve.sh running in the background, with what it printed."""

    def __init__(self, tmp: Path, memory_limit: int | None = None):
        self.port = _free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.static_root = tmp / "static"
        self.env = _env(
            VENV=str(VENV), HOST="127.0.0.1", PORT=str(self.port), INSECURE_LOCAL_HTTP="1",
            SECRET_KEY=SECRET, DATABASE_URL=f"sqlite:///{tmp / 'serve.sqlite3'}",
            STATIC_ROOT=str(self.static_root), EXPORT_ROOT=str(tmp / "exports"),
            WEB_CONCURRENCY="1", GUNICORN_THREADS="2", DJANGO_SUPERUSER_PASSWORD=PASSWORD,
        )
        self.env.pop("ALLOWED_HOSTS", None)
        self.log_path = tmp / "serve.log"
        self.log = open(self.log_path, "w")  # noqa: SIM115 - closed in stop()
        def cap_memory():  # each process of the server (inherited), not the machine
            resource.setrlimit(resource.RLIMIT_AS, (memory_limit, memory_limit))

        self.process = subprocess.Popen(
            ["scripts/serve.sh"], cwd=ROOT, env=self.env, stdout=self.log,
            stderr=subprocess.STDOUT, start_new_session=True,
            preexec_fn=cap_memory if memory_limit else None,
        )
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            assert self.process.poll() is None, self.output()
            try:
                with urllib.request.urlopen(self.url + "/accounts/login/", timeout=2):
                    break
            except (urllib.error.URLError, OSError):
                time.sleep(0.3)
        else:
            self.stop()
            pytest.fail("serve.sh did not answer in time:\n" + self.output())
        subprocess.run(
            [sys.executable, "manage.py", "createsuperuser", "--noinput", "--username", "chief",
             "--email", "chief@example.org"],
            cwd=ROOT, env={**self.env, "DJANGO_ENV": "production", "ALLOWED_HOSTS": "127.0.0.1"},
            check=True, capture_output=True, timeout=60,
        )

    def output(self) -> str:
        return self.log_path.read_text(errors="replace")

    def wait_for(self, text: str, seconds: float = 10) -> bool:
        """Whether text shows up in the output within seconds (gunicorn logs a request
        after it has sent the response, so a line may trail the response by a moment)."""
        deadline = time.monotonic() + seconds
        while text not in self.output():
            if time.monotonic() > deadline:
                return False
            time.sleep(0.1)
        return True

    def pid(self, label: str) -> int:
        """The pid serve.sh last announced for label (a restarted worker has a new one)."""
        return int(re.findall(rf"{label}.*? pid (\d+)", self.output())[-1])

    def stop(self):
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=60)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()
        self.log.close()


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    server = Served(tmp_path_factory.mktemp("serve"))
    yield server
    server.stop()


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # A finished child of serve.sh may linger as a zombie until serve.sh reaps it.
    status = Path(f"/proc/{pid}/status")
    return not (status.exists() and "zombie" in status.read_text())


def _fetch(url, headers=None, opener=None):
    request = urllib.request.Request(url, headers=headers or {})
    return (opener or urllib.request.build_opener(_NoRedirect)).open(request, timeout=10)


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


def test_serve_runs_gunicorn_and_the_task_worker(served):
    out = served.output()
    assert "Booting worker" in out  # gunicorn
    assert _alive(served.pid("gunicorn")) and _alive(served.pid("background worker"))
    assert (served.static_root / "staticfiles.json").exists()  # collectstatic ran


def test_serve_sends_static_files_compressed_and_cached_for_good(served):
    manifest = json.loads((served.static_root / "staticfiles.json").read_text())["paths"]
    hashed = manifest["reviews/app.js"]
    assert hashed != "reviews/app.js"
    for encoding in ("br", "gzip"):
        with _fetch(f"{served.url}/static/{hashed}", {"Accept-Encoding": encoding}) as r:
            assert r.status == 200
            assert r.headers["Content-Encoding"] == encoding
            assert "immutable" in r.headers["Cache-Control"]
            assert int(re.search(r"max-age=(\d+)", r.headers["Cache-Control"]).group(1)) >= 31536000
            assert r.headers["Vary"] == "Accept-Encoding"
    with _fetch(f"{served.url}/static/reviews/app.js") as r:  # unhashed name: short cache
        assert "immutable" not in r.headers["Cache-Control"]
        assert r.headers.get("Content-Encoding") is None


def test_serve_logs_in_over_plain_http_on_loopback(served):
    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar), _NoRedirect)
    try:
        _fetch(f"{served.url}/health/", opener=opener)
        pytest.fail("anonymous /health/ should redirect")
    except urllib.error.HTTPError as exc:
        assert exc.code == 302 and "/login/" in exc.headers["Location"]
    with _fetch(f"{served.url}/accounts/login/", opener=opener) as r:
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', r.read().decode()).group(1)
    body = urllib.parse.urlencode(
        {"csrfmiddlewaretoken": token, "username": "chief", "password": PASSWORD}
    ).encode()
    request = urllib.request.Request(f"{served.url}/accounts/login/", data=body)
    try:
        opener.open(request, timeout=30)
        pytest.fail("a successful login redirects")
    except urllib.error.HTTPError as exc:
        assert exc.code == 302 and "/login/" not in exc.headers["Location"]
    # Without the Secure flag (INSECURE_LOCAL_HTTP) the session cookie comes back over http.
    assert {c.name for c in jar} >= {"sessionid", "csrftoken"}
    assert not any(c.secure for c in jar)
    with _fetch(f"{served.url}/health/", opener=opener) as r:
        assert r.status == 200 and r.read() == b"ok\n"
    assert served.wait_for('"GET /health/ HTTP/1.1" 200'), served.output()  # the access log, on stdout


def _login(server) -> urllib.request.OpenerDirector:
    """Signed in as the superuser through the real login form (CSRF token and all)."""
    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar), _NoRedirect)
    with _fetch(f"{server.url}/accounts/login/", opener=opener) as r:
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', r.read().decode()).group(1)
    body = urllib.parse.urlencode(
        {"csrfmiddlewaretoken": token, "username": "chief", "password": PASSWORD}
    ).encode()
    assert _answer(opener, f"{server.url}/accounts/login/", body) == 302
    return opener


def _answer(opener, url, body=None, content_type=None, timeout=90, headers=None) -> int:
    """The status of a request (redirects not followed; headers, if given, gets the
    response's). No answer at all (the connection dropped, or nothing within timeout)
    raises: that is a failure as much as a 5xx."""
    request = urllib.request.Request(url, data=body)
    if content_type:
        request.add_header("Content-Type", content_type)
    try:
        with opener.open(request, timeout=timeout) as r:
            response = r
    except urllib.error.HTTPError as exc:
        response = exc
    except (OSError, http.client.HTTPException) as exc:  # dropped, reset, timed out
        pytest.fail(f"no answer to {request.get_method()} {url}: {exc!r}")
    if headers is not None:
        headers.update(response.headers)
    return response.status


def _csrf(server, opener, path="/") -> str:
    with _fetch(server.url + path, opener=opener) as r:
        return re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', r.read().decode()).group(1)


def _post(server, opener, path, fields, files=None, timeout=90, headers=None) -> int:
    fields = {"csrfmiddlewaretoken": _csrf(server, opener), **fields}
    if not files:
        body = urllib.parse.urlencode(fields).encode()
        return _answer(opener, server.url + path, body, timeout=timeout, headers=headers)
    boundary = "----newsroom-" + secrets.token_hex(8)
    parts = [
        f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'.encode()
        for name, value in fields.items()
    ]
    for name, (filename, content) in files.items():
        parts.append(
            f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"; filename="{filename}"'
            f"\r\nContent-Type: application/octet-stream\r\n\r\n".encode() + content + b"\r\n"
        )
    parts.append(f"--{boundary}--\r\n".encode())
    return _answer(opener, server.url + path, b"".join(parts),
                   f"multipart/form-data; boundary={boundary}", timeout=timeout, headers=headers)


def _health(server, opener) -> int:
    return _answer(opener, f"{server.url}/health/", timeout=30)


def _start_rescan(server) -> int:
    """Queue a rescan job in the served database, as a lexicon change does."""
    result = subprocess.run(
        [sys.executable, "manage.py", "shell", "-c",
         "from reviews import jobs; print('job', jobs.start_rescan().pk)"],
        cwd=ROOT, env={**server.env, "DJANGO_ENV": "production", "ALLOWED_HOSTS": "127.0.0.1"},
        check=True, capture_output=True, text=True, timeout=60,
    )
    return int(result.stdout.split("job ")[-1])


def _job_state(server, pk: int, seconds: float) -> str:
    """The job's state once it is finished, or as it is after seconds."""
    import sqlite3

    database = server.env["DATABASE_URL"].removeprefix("sqlite:///")
    deadline = time.monotonic() + seconds
    while True:
        with sqlite3.connect(database, timeout=30) as c:
            (state,) = c.execute("SELECT state FROM reviews_job WHERE id = ?", (pk,)).fetchone()
        if state in ("done", "failed") or time.monotonic() > deadline:
            return state
        time.sleep(0.2)


def test_serve_restarts_a_worker_that_dies_and_keeps_serving(served):
    opener = _login(served)
    web, worker = served.pid("gunicorn"), served.pid("background worker")
    os.kill(worker, signal.SIGKILL)
    # gunicorn answers all along, until serve.sh has started a new worker.
    deadline = time.monotonic() + 60
    while served.pid("background worker") == worker:
        assert _health(served, opener) == 200
        assert time.monotonic() < deadline, served.output()
        time.sleep(0.1)
    assert "serve: background worker exited (status 137); restarting in 1s" in served.output()
    assert _alive(served.pid("background worker")) and not _alive(worker)
    assert served.pid("gunicorn") == web and _alive(web) and served.process.poll() is None
    assert _health(served, opener) == 200
    # The new worker runs the background tasks.
    assert _job_state(served, _start_rescan(served), 60) == "done", served.output()


def test_serve_stops_gunicorn_and_the_worker_together(served):
    web, worker = served.pid("gunicorn"), served.pid("background worker")
    served.stop()  # SIGTERM to serve.sh, as systemd or Ctrl-C would
    assert served.process.returncode == 143
    deadline = time.monotonic() + 30
    while (_alive(web) or _alive(worker)) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert not _alive(web) and not _alive(worker)
    assert served.wait_for("Shutting down: Master"), served.output()


# --- hostile input against the running server --------------------------------------------------
#
# A request that makes the server spin, blow up its memory or wait on the database lock must
# get an answer (never a 5xx, but a 503 for a request that lost a lock race), and neither
# gunicorn nor the worker may go down. Each process of this server may use at most 2 GB of
# address space, so an input that explodes in memory fails the test instead of the machine.


def _alias_bomb(last: str) -> bytes:
    """A "billion laughs" YAML document: nine levels of nine aliases (9**9 leaves once
    expanded, from 1 KB); `last` (YAML) follows, using *i."""
    lines = ['a: &a ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
    for level, previous in zip("bcdefghi", "abcdefgh", strict=True):
        lines.append(f"{level}: &{level} [{', '.join(['*' + previous] * 9)}]")
    return ("\n".join(lines) + "\n" + last).encode()


@pytest.fixture(scope="module")
def hostile(tmp_path_factory):
    server = Served(tmp_path_factory.mktemp("hostile"), memory_limit=2 * 1024**3)
    server.opener = _login(server)
    server.pids = server.pid("gunicorn"), server.pid("background worker")
    yield server
    server.stop()


@pytest.fixture
def since(hostile) -> int:
    """Where this test's part of the server's output starts."""
    return len(hostile.output())


def _still_up(server, since: int):
    """serve.sh, gunicorn and the worker as they were, answering; no gunicorn worker was
    killed for running past its timeout and the background worker never exited."""
    assert server.process.poll() is None, server.output()
    assert [server.pid("gunicorn"), server.pid("background worker")] == list(server.pids)
    assert all(_alive(pid) for pid in server.pids), server.output()
    assert _health(server, server.opener) == 200
    out = server.output()[since:]
    assert "background worker exited" not in out and "WORKER TIMEOUT" not in out, out


def test_serve_survives_a_128_kb_one_line_story(hostile, since):
    status = _post(hostile, hostile.opener, "/articles/new/",
                   {"title": "Slammed", "body": "Slammed " * 16000})
    assert status < 500, hostile.output()
    _still_up(hostile, since)


def test_serve_survives_a_yaml_alias_bomb_uploaded_as_a_story(hostile, since):
    story = b"---\n" + _alias_bomb("title: *i") + b"\n---\n# Laughs\n\nA short story.\n"
    status = _post(hostile, hostile.opener, "/articles/new/",
                   {"title": "", "body": ""}, files={"upload": ("laughs.md", story)})
    assert status < 500, hostile.output()
    _still_up(hostile, since)


def test_serve_survives_a_yaml_alias_bomb_uploaded_as_a_vale_rule(hostile, since):
    rule = _alias_bomb("extends: existence\nmessage: *i\nlevel: warning\ntokens: *i\n")
    status = _post(hostile, hostile.opener, "/lexicon/import/",
                   {"category": "editorializing", "update_existing": "on"},
                   files={"file": ("laughs.yml", rule)})
    assert status < 500, hostile.output()
    _still_up(hostile, since)


def test_serve_survives_a_note_posted_during_a_long_write(hostile, since):
    text = "The council voted on Tuesday to build a bus lane."
    created = {}
    assert _post(hostile, hostile.opener, "/articles/new/", {"title": "Bus lane", "body": text},
                 headers=created) == 302
    pk = int(re.fullmatch(r"/articles/(\d+)/", created["Location"]).group(1))
    with _fetch(f"{hostile.url}/articles/{pk}/", opener=hostile.opener) as r:
        page = r.read().decode()
    assert "council voted on Tuesday" in page
    revision = re.search(r'name="revision" value="(\d+)"', page).group(1)

    # The long write: another 128 KB story, every word of it a lexicon term to flag.
    long_write = {}
    writer = threading.Thread(target=lambda: long_write.update(status=_post(
        hostile, _login(hostile), "/articles/new/", {"title": "Slammed again", "body": "Slammed " * 16000},
    )))
    writer.start()
    notes = []
    while True:  # notes on the small story for as long as the long write lasts (20 at most)
        notes.append(_post(hostile, hostile.opener, f"/articles/{pk}/annotations/", {
            "revision": revision, "start": 4, "end": 11, "exact": "council",
            "category": "comment", "body": f"Which council? ({len(notes) + 1})",
        }))
        if not writer.is_alive() or len(notes) >= 20:
            break
    writer.join(timeout=120)
    assert not writer.is_alive() and "status" in long_write, hostile.output()
    assert long_write["status"] < 500 or long_write["status"] == 503, hostile.output()
    assert all(s < 500 or s == 503 for s in notes), (notes, hostile.output())
    assert 302 in notes or 503 in notes
    _still_up(hostile, since)


def test_serve_stops_the_worker_when_gunicorn_exits(hostile):
    """Last, as it ends the server: the worker is restarted, but gunicorn is the site."""
    web, worker = hostile.pids
    os.kill(web, signal.SIGTERM)  # gunicorn alone stops (as if it had failed to boot a worker)
    hostile.process.wait(timeout=60)
    assert hostile.process.returncode == 0  # gunicorn's status
    deadline = time.monotonic() + 30
    while _alive(worker) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert not _alive(worker), hostile.output()
    assert "background worker exited" not in hostile.output()
