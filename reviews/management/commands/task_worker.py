"""`manage.py task_worker`: django-tasks-db's `db_worker`, made to survive database errors.

How the library's worker dies (django_tasks_db 0.13, management/commands/db_worker.py):
`Worker.run()` claims each task inside `exclusive_transaction()`. It tolerates "database is
locked" from the SELECT and the claim inside that block, but the `BEGIN EXCLUSIVE` that opens
the block runs in `transaction.atomic().__enter__`, outside its try. When other work holds
SQLite's write lock for longer than the busy timeout (20 s), that OperationalError escapes
`Worker.run()` and the command exits with status 1. Any other database error in its own
queries (a dropped PostgreSQL connection, a disk error) is re-raised the same way, and so is
a failure to record a task's outcome (`DBTaskResult.set_failed`, three tries 0.1 s apart)
while the database stays locked.

This command is the library's command with one change: its worker is `ResilientWorker`,
whose `run()` catches a database error that escapes the library's loop, logs it, closes the
connections, waits (1 s, doubling up to 30 s while the errors repeat) and goes back into the
loop. A task's own errors never reach it: the library marks the task result failed, and
`reviews.jobs.run` has already marked the Job failed with the reason.

Why a new name rather than a `db_worker` of our own: Django takes a command from the app
listed first in INSTALLED_APPS, and django_tasks_db comes before reviews, so ours would never
run. Why swap the class rather than copy `handle()`: the library's `handle()` parses and
checks the options, sets up logging, signals and autoreload, and builds its worker by the
module-level name `Worker`; pointing that name at the subclass for the length of the call
keeps all of that the library's, and tests/test_worker.py fails if it ever stops working.
"""

import logging
import time

from django.db import DatabaseError, InterfaceError, connections
from django_tasks_db.management.commands import db_worker

logger = logging.getLogger("reviews.task_worker")

# Pauses after a database error in the worker's own queries: doubling while errors repeat,
# back to the first once the loop has run this long without one.
BACKOFF_FIRST = 1.0
BACKOFF_MAX = 30.0
BACKOFF_RESET_AFTER = 60.0

DATABASE_ERRORS = (DatabaseError, InterfaceError)


class ResilientWorker(db_worker.Worker):
    """The library's worker; a database error in its loop is logged and waited out."""

    def run(self) -> None:
        pause = BACKOFF_FIRST
        while True:
            started = time.monotonic()
            try:
                return super().run()
            except DATABASE_ERRORS as exc:
                if not self.running:
                    # Told to stop (SIGTERM) while the task in hand was finishing: stop.
                    logger.warning("Database error while stopping the worker: %s", exc)
                    return None
                if self.max_tasks is not None and self._run_tasks >= self.max_tasks:
                    logger.warning("Database error after the last task (--max-tasks): %s", exc)
                    return None
                if time.monotonic() - started > BACKOFF_RESET_AFTER:
                    pause = BACKOFF_FIRST
                logger.error(
                    "Database error in the worker loop (%s: %s); trying again in %g s.",
                    type(exc).__name__, exc, pause, exc_info=True,
                )
            # A broken connection is opened afresh on the next query.
            connections.close_all()
            self.startup_delay = False
            time.sleep(pause)  # SIGTERM here ends the worker at once (Worker.shutdown)
            pause = min(pause * 2, BACKOFF_MAX)


class Command(db_worker.Command):
    help = (
        "Run the background tasks (django-tasks-db's db_worker, with the same options) and "
        "keep running through database errors: a task that hits one fails, and the worker "
        "waits a moment and goes on."
    )

    def handle(self, *args, **options):
        library_worker = db_worker.Worker
        db_worker.Worker = ResilientWorker
        try:
            return super().handle(*args, **options)
        finally:
            db_worker.Worker = library_worker
