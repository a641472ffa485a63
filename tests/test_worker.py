"""The background worker (`manage.py task_worker`) and database errors.

django-tasks-db's own `db_worker` exits when its loop meets a database error (the `BEGIN
EXCLUSIVE` with which it claims a task waits out SQLite's busy timeout and raises "database
is locked"). `task_worker` logs the error, waits and goes on; a task that meets one fails on
its own, its Job marked failed with the reason, and the next task runs.

The worker runs for real here, as a subprocess against its own SQLite file, while the test
holds the database's write lock from another connection. The subprocess lowers the busy
timeout from 20 s to 1 s (BOOT below) so that a lock is felt in a second, not twenty.
"""

import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.core.management import call_command
from django.db import OperationalError
from django.test import override_settings
from django_tasks_db.models import DBTaskResult

from reviews import jobs
from reviews.models import Job

ROOT = Path(__file__).resolve().parent.parent
DATABASE_TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]}}

# The worker process: settings as in production but for a 1 s busy timeout. With HOLD_FIRST_JOB
# set, the first job's runner says "runner: waiting" and waits for that file to appear before
# it does its work, so that the test can take the write lock in between.
BOOT = r"""
import os, sys, time
import django
django.setup()
from django.db import connection
connection.settings_dict["OPTIONS"]["timeout"] = 1
from reviews import jobs
from reviews.models import Job

hold = os.environ.get("HOLD_FIRST_JOB")
if hold:
    original, held = jobs.RUNNERS[Job.RESCAN], []

    def runner(job):
        if not held:
            held.append(job.pk)
            print("runner: waiting", flush=True)
            deadline = time.monotonic() + 60
            while not os.path.exists(hold) and time.monotonic() < deadline:
                time.sleep(0.05)
        return original(job)

    jobs.RUNNERS[Job.RESCAN] = runner

from django.core.management import call_command
call_command(sys.argv[1], "--no-reload", "--no-startup-delay", "--interval", "0.1")
"""


def _env(db: Path, **extra) -> dict:
    env = {k: v for k, v in os.environ.items() if k not in {"DEBUG", "DJANGO_ALLOW_ASYNC_UNSAFE"}}
    env.update(DJANGO_SETTINGS_MODULE="newsroom.settings", DATABASE_URL=f"sqlite:///{db}",
               TASKS_BACKEND="database", PYTHONUNBUFFERED="1", **extra)
    return env


@pytest.fixture(scope="module")
def migrated(tmp_path_factory) -> Path:
    db = tmp_path_factory.mktemp("worker-template") / "db.sqlite3"
    subprocess.run([sys.executable, "manage.py", "migrate", "--noinput", "-v0"], cwd=ROOT,
                   env=_env(db), check=True, capture_output=True, timeout=120)
    return db


@pytest.fixture
def database(migrated, tmp_path) -> Path:
    db = tmp_path / "db.sqlite3"
    shutil.copy(migrated, db)
    return db


class Worker:
    """A worker command running in a subprocess, its output in a file."""

    def __init__(self, db: Path, command="task_worker", **env):
        self.db = db
        self.log_path = db.parent / f"{command}.log"
        self.log = open(self.log_path, "w")  # noqa: SIM115 - closed in stop()
        self.process = subprocess.Popen(
            [sys.executable, "-c", BOOT, command], cwd=ROOT, env=_env(db, **env),
            stdout=self.log, stderr=subprocess.STDOUT,
        )
        assert self.wait_for("Starting worker", 60), self.output()

    def output(self) -> str:
        return self.log_path.read_text(errors="replace")

    def wait_for(self, text: str, seconds: float) -> bool:
        deadline = time.monotonic() + seconds
        while text not in self.output():
            if time.monotonic() > deadline or self.process.poll() is not None:
                return text in self.output()
            time.sleep(0.05)
        return True

    def stop(self) -> int | None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.log.close()
        return self.process.returncode


@pytest.fixture
def workers():
    started = []
    yield started
    for worker in started:
        worker.stop()


class WriteLock:
    """SQLite's write lock, held by another connection (as a long scan holds it)."""

    def __init__(self, db: Path):
        self.connection = sqlite3.connect(db, isolation_level=None, timeout=30)

    def __enter__(self):
        self.connection.execute("BEGIN IMMEDIATE")
        return self

    def __exit__(self, *exc):
        self.connection.execute("ROLLBACK")
        self.connection.close()


def _start_rescan(db: Path) -> int:
    """Queue a rescan job as the web app would (on commit, through django-tasks-db)."""
    result = subprocess.run(
        [sys.executable, "manage.py", "shell", "-c",
         "from reviews import jobs; print('job', jobs.start_rescan().pk)"],
        cwd=ROOT, env=_env(db), check=True, capture_output=True, text=True, timeout=60,
    )
    return int(result.stdout.split("job ")[-1])


def _job(db: Path, pk: int) -> tuple[str, str]:
    with sqlite3.connect(db, timeout=30) as c:
        return c.execute("SELECT state, error FROM reviews_job WHERE id = ?", (pk,)).fetchone()


def _task_status(db: Path, pk: int) -> tuple[str, str]:
    """The django-tasks-db result of a job's task: status and exception class."""
    with sqlite3.connect(db, timeout=30) as c:
        (task_id,) = c.execute("SELECT task_id FROM reviews_job WHERE id = ?", (pk,)).fetchone()
        return c.execute(  # SQLite stores the UUID as 32 hex digits
            "SELECT status, exception_class_path FROM django_tasks_database_dbtaskresult "
            "WHERE id = ?", (task_id.replace("-", ""),),
        ).fetchone()


def _wait_for_state(db: Path, pk: int, states: set[str], seconds: float) -> str:
    deadline = time.monotonic() + seconds
    while (state := _job(db, pk)[0]) not in states and time.monotonic() < deadline:
        time.sleep(0.1)
    return state


# --- the worker's own queries ------------------------------------------------------------------


def test_the_librarys_db_worker_dies_when_the_database_stays_locked(database, workers):
    """Why task_worker exists: the same lock ends django-tasks-db's db_worker (status 1).
    If a later django-tasks-db survives it, task_worker's subclass may no longer be needed."""
    worker = Worker(database, command="db_worker")
    workers.append(worker)
    with WriteLock(database):
        worker.process.wait(timeout=30)
    assert worker.process.returncode == 1
    assert "OperationalError: database is locked" in worker.output()
    assert "exclusive_transaction" in worker.output()  # the BEGIN that claims a task


def test_task_worker_waits_out_a_locked_database_and_runs_the_next_task(database, workers):
    worker = Worker(database)
    workers.append(worker)
    with WriteLock(database):
        assert worker.wait_for("Database error in the worker loop", 30), worker.output()
        assert worker.process.poll() is None
    assert "database is locked" in worker.output() and "trying again in 1 s" in worker.output()
    job = _start_rescan(database)
    assert _wait_for_state(database, job, {Job.DONE, Job.FAILED}, 60) == Job.DONE, worker.output()
    assert _task_status(database, job)[0] == "SUCCESSFUL"
    assert worker.process.poll() is None
    assert worker.stop() == 0  # SIGTERM still stops it, at once when idle


def test_a_task_that_meets_a_locked_database_fails_visibly_and_the_next_one_runs(
    database, workers, tmp_path
):
    go = tmp_path / "go"
    worker = Worker(database, HOLD_FIRST_JOB=str(go))
    workers.append(worker)
    first = _start_rescan(database)
    assert worker.wait_for("runner: waiting", 60), worker.output()
    second = _start_rescan(database)  # queued behind the first, which is running
    assert second != first
    with WriteLock(database):
        go.touch()  # the first job now writes its progress, into the lock
        # It fails after the busy timeout, and its failure cannot be saved while the lock
        # is held: the worker says so and tries again.
        assert worker.wait_for(f"Job {first}: could not record its failure yet", 30), worker.output()
    assert _wait_for_state(database, first, {Job.FAILED, Job.DONE}, 60) == Job.FAILED, worker.output()
    state, error = _job(database, first)
    assert "database stayed busy with other work (locked)" in error and "Retry" in error
    assert _task_status(database, first) == ("FAILED", "django.db.utils.OperationalError")
    assert _wait_for_state(database, second, {Job.DONE, Job.FAILED}, 60) == Job.DONE, worker.output()
    assert _task_status(database, second)[0] == "SUCCESSFUL"
    assert worker.process.poll() is None  # alive, waiting for more
    assert "Database error in the worker loop" not in worker.output()  # the task's own error
    assert worker.stop() == 0


# --- in-process: the command and the job's failure path --------------------------------------------


@pytest.fixture
def restore_signals():
    # The worker installs its SIGINT/SIGTERM handlers in this process; put pytest's back.
    saved = {s: signal.getsignal(s) for s in (signal.SIGINT, signal.SIGTERM, signal.SIGQUIT)}
    yield
    for s, handler in saved.items():
        signal.signal(s, handler)


@pytest.mark.django_db(transaction=True)
def test_task_worker_takes_the_librarys_options_and_survives_an_error_in_its_loop(
    admin_user, monkeypatch, restore_signals
):
    from django_tasks_db.management.commands import db_worker
    from django_tasks_db.models import DBTaskResultQuerySet

    from reviews.management.commands import task_worker

    monkeypatch.setattr(task_worker, "BACKOFF_FIRST", 0.01)
    real_get_locked, failures = DBTaskResultQuerySet.get_locked, []

    def get_locked(self):
        if not failures:  # not "is locked": the library re-raises it
            failures.append(1)
            raise OperationalError("disk I/O error")
        return real_get_locked(self)

    monkeypatch.setattr(DBTaskResultQuerySet, "get_locked", get_locked)
    with override_settings(TASKS=DATABASE_TASKS):
        job = jobs.start_rescan(admin_user)
        call_command("task_worker", "--batch", "--no-startup-delay", "--no-reload", verbosity=0)
    job.refresh_from_db()
    assert failures and job.state == Job.DONE
    assert DBTaskResult.objects.get().status == "SUCCESSFUL"
    assert db_worker.Worker is not task_worker.ResilientWorker  # the library's name is put back


@pytest.mark.django_db(transaction=True)
def test_a_job_whose_database_write_fails_is_marked_failed_and_the_next_runs(
    admin_user, monkeypatch, restore_signals
):
    real_rescan, calls = jobs.RUNNERS[Job.RESCAN], []

    def rescan(job):
        calls.append(job.pk)
        if len(calls) == 1:
            raise OperationalError("database is locked")
        return real_rescan(job)

    monkeypatch.setitem(jobs.RUNNERS, Job.RESCAN, rescan)
    with override_settings(TASKS=DATABASE_TASKS):
        first = jobs._enqueue(Job.objects.create(kind=Job.RESCAN, user=admin_user))
        second = jobs._enqueue(Job.objects.create(kind=Job.RESCAN, user=admin_user))
        call_command("task_worker", "--batch", "--no-startup-delay", "--no-reload", verbosity=0)
    first.refresh_from_db()
    second.refresh_from_db()
    assert calls == [first.pk, second.pk]
    assert first.state == Job.FAILED and "locked" in first.error and "Retry" in first.error
    assert first.finished_at is not None
    assert second.state == Job.DONE
    statuses = {str(pk): status for pk, status in DBTaskResult.objects.values_list("id", "status")}
    assert statuses == {first.task_id: "FAILED", second.task_id: "SUCCESSFUL"}


@pytest.mark.django_db(transaction=True)
def test_a_failure_is_saved_even_if_the_database_refuses_it_at_first(admin_user, monkeypatch):
    from django.db.models import QuerySet

    monkeypatch.setattr(jobs, "FAILURE_RECORD_PAUSES", (0.01, 0.01, 0.01))
    job = Job.objects.create(kind=Job.RESCAN, user=admin_user, state=Job.RUNNING)
    real_update, refused = QuerySet.update, []

    def update(self, **fields):
        if fields.get("state") == Job.FAILED and len(refused) < 2:
            refused.append(1)
            raise OperationalError("database is locked")
        return real_update(self, **fields)

    monkeypatch.setattr(QuerySet, "update", update)
    assert jobs._record_failure(job.pk, OperationalError("database is locked"))
    job.refresh_from_db()
    assert len(refused) == 2 and job.state == Job.FAILED and "locked" in job.error


@pytest.mark.django_db(transaction=True)
def test_a_job_that_cannot_even_start_is_marked_failed_not_left_waiting(admin_user, monkeypatch):
    from django.db.models import QuerySet

    job = Job.objects.create(kind=Job.RESCAN, user=admin_user)
    real_update = QuerySet.update

    def update(self, **fields):
        if fields.get("state") == Job.RUNNING:
            raise OperationalError("database is locked")
        return real_update(self, **fields)

    monkeypatch.setattr(QuerySet, "update", update)
    with pytest.raises(OperationalError):
        jobs.run(job.pk)
    job.refresh_from_db()
    assert job.state == Job.FAILED and "locked" in job.error


def test_database_errors_are_described_for_people():
    from django.db import InterfaceError

    locked = jobs._describe(OperationalError("database is locked"))
    assert "busy with other work (locked)" in locked and "Retry" in locked
    other = jobs._describe(InterfaceError("connection already closed"))
    assert "database error" in other and "InterfaceError" in other and "/" not in other
