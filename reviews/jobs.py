"""Background work: bulk exports and rescans after a lexicon change.

A Job row is what the page shows (progress, outcome, error); django-tasks runs it. With the
database backend (production) `manage.py task_worker` picks the task up; with the immediate
backend (development and tests) it runs inside the request that starts it. Either way the
Job is the same and so are the screens.
"""

import logging
import time
import zipfile
from datetime import timedelta
from pathlib import Path

from django.conf import settings
from django.db import DatabaseError, InterfaceError, OperationalError, transaction
from django.db.models import F
from django.utils import timezone

from . import audit, export_data, permissions, services, workflow
from .exporters import EXPORTERS, EXTENSIONS
from .models import Article, AuditEntry, ExportRecord, Job

logger = logging.getLogger(__name__)

# How many stories a bulk export may hold, and how often a running job saves its progress.
MAX_EXPORT_STORIES = 5000
PROGRESS_EVERY = 5
# A job still waiting this long probably has no worker to run it: the page says so.
WAITING_HINT_AFTER = timedelta(seconds=15)


class JobError(Exception):
    """A request about a job that cannot be carried out (shown to the user)."""


# Starting -------------------------------------------------------------------------------------


def _enqueue(job: Job) -> Job:
    """Hand the job to django-tasks. A queued task must wait for the commit, so that a worker
    on another connection sees the Job row; the immediate backend runs it here and now."""
    from django_tasks.backends.immediate import ImmediateBackend

    from .tasks import run_job

    def send():
        result = run_job.enqueue(job.pk)
        Job.objects.filter(pk=job.pk).update(task_id=str(result.id)[:64])

    if isinstance(run_job.get_backend(), ImmediateBackend):
        send()
    else:
        transaction.on_commit(send)
    return job


def start_export(
    user, fmt: str, article_ids: list[int], base_url: str = "", ip: str | None = None,
    matched: int | None = None,
) -> Job:
    """matched: how many stories the filter matched, when that was more than one ZIP holds
    (MAX_EXPORT_STORIES, the most recently changed); the finished job says so."""
    if fmt not in EXPORTERS:
        raise JobError("Choose an export format.")
    ids = list(dict.fromkeys(int(i) for i in article_ids))[:MAX_EXPORT_STORIES]
    if not ids:
        raise JobError("Select at least one story to export.")
    job = Job.objects.create(
        kind=Job.EXPORT, user=user, total=len(ids),
        params={"format": fmt, "article_ids": ids, "base_url": base_url, "ip": ip,
                "matched": matched},
    )
    return _enqueue(job)


def start_rescan(user=None) -> Job:
    """Rescan the open stories after a lexicon change. A rescan that has not started yet
    will already see the change, so a second one is not queued behind it."""
    waiting = Job.objects.filter(kind=Job.RESCAN, state=Job.QUEUED).order_by("-created_at").first()
    if waiting is not None:
        return waiting
    job = Job.objects.create(kind=Job.RESCAN, user=user)
    return _enqueue(job)


def retry(job: Job, user) -> Job:
    """Run a failed job again from the start."""
    if job.state != Job.FAILED:
        raise JobError("Only a failed job can be retried.")
    if job.kind == Job.EXPORT:
        export_path(job).unlink(missing_ok=True)
    Job.objects.filter(pk=job.pk).update(
        state=Job.QUEUED, done=0, error="", result={}, started_at=None, finished_at=None,
    )
    job.refresh_from_db()
    return _enqueue(job)


# Who may see what --------------------------------------------------------------------------


def can_view(user, job: Job) -> bool:
    return job.user_id == user.pk or permissions.is_admin(user)


def can_retry(user, job: Job) -> bool:
    """The owner retries their export; an admin may retry any job (an export still runs as,
    and is downloaded by, the person who asked for it)."""
    return permissions.is_admin(user) or (job.kind == Job.EXPORT and job.user_id == user.pk)


def can_download(user, job: Job) -> bool:
    return job.kind == Job.EXPORT and job.user_id == user.pk and job.state == Job.DONE


def waiting_for_worker(job: Job) -> bool:
    return job.state == Job.QUEUED and timezone.now() - job.created_at > WAITING_HINT_AFTER


def export_path(job: Job) -> Path:
    folder = Path(settings.EXPORT_ROOT)
    folder.mkdir(parents=True, exist_ok=True)
    return folder / f"export-{job.pk}.zip"


# Latin letters that Unicode does not decompose into a base letter and an accent.
_UNDECOMPOSED = str.maketrans({
    "ł": "l", "Ł": "L", "ø": "o", "Ø": "O", "đ": "d", "Đ": "D", "ß": "ss", "æ": "ae",
    "Æ": "AE", "œ": "oe", "Œ": "OE", "þ": "th", "Þ": "Th", "ð": "d", "Ð": "D", "ı": "i",
})


def export_filename(article, fmt, suffix=""):
    """"lodz-street-ferry-r2.docx" for "Łódź street ferry": ASCII where the title is in
    Latin letters (accents dropped, ł as l), the title's own letters otherwise."""
    from django.utils.text import slugify

    title = article.title.translate(_UNDECOMPOSED)
    slug = (slugify(title)[:60] or slugify(title, allow_unicode=True)[:60]).strip("-")
    slug = slug or f"story-{article.pk}"
    return f"{slug}-r{article.current_revision.number}{suffix}{EXTENSIONS[fmt]}"


def record_export(user, fmt, articles, via, request=None, ip=None):
    record = ExportRecord.objects.create(user=user, format=fmt, article_count=len(articles), via=via)
    record.articles.set(articles)
    ids = ", ".join(str(a.pk) for a in articles[:20]) + (" …" if len(articles) > 20 else "")
    audit.record(AuditEntry.EXPORT, actor=user, target=f"{len(articles)} article(s): {ids}",
                 detail=f"{fmt} via {via}", request=request, ip=ip)
    return record


# Running ---------------------------------------------------------------------------------------


def run(job_id: int) -> dict:
    """Run one job to the end (called by the django-tasks task). Progress is saved as it
    goes; on any error the job is marked failed with the reason, and the error re-raised so
    the task result records it too."""
    try:
        claimed = Job.objects.filter(pk=job_id, state=Job.QUEUED).update(
            state=Job.RUNNING, started_at=timezone.now(), attempts=F("attempts") + 1,
        )
    except DATABASE_ERRORS as exc:
        # Not even started (the database stayed locked): the task fails, so the Job must not
        # go on saying it is waiting for a worker.
        logger.exception("Job %s could not start", job_id)
        _record_failure(job_id, exc)
        raise
    if not claimed:
        # Already run, running elsewhere, or gone: nothing to do twice.
        return {"skipped": True}
    try:
        job = Job.objects.get(pk=job_id)
        result = RUNNERS[job.kind](job)
        Job.objects.filter(pk=job.pk).update(
            state=Job.DONE, done=job.total, result=result, finished_at=timezone.now(),
        )
    except Exception as exc:
        logger.exception("Job %s failed", job_id)
        _record_failure(job_id, exc)
        raise
    return result


# A failure is recorded even while the database is busy. SQLite's write lock can be held by
# other work for longer than the busy timeout (20 s); the write is tried again after these
# pauses (seconds), each try itself waiting up to the busy timeout. Inside a transaction (the
# immediate backend, within a request) there is one try: the transaction decides.
FAILURE_RECORD_PAUSES = (1, 2, 4, 8)
DATABASE_ERRORS = (DatabaseError, InterfaceError)


def _record_failure(job_id: int, exc: Exception) -> bool:
    """Mark an unfinished job failed with what went wrong; whether that could be saved."""
    fields = {"state": Job.FAILED, "error": _describe(exc), "finished_at": timezone.now()}
    unfinished = Job.objects.filter(pk=job_id, state__in=[Job.QUEUED, Job.RUNNING])
    connection = transaction.get_connection(unfinished.db)
    pauses = () if connection.in_atomic_block else FAILURE_RECORD_PAUSES
    for pause in (0, *pauses):
        if pause:
            time.sleep(pause)
            connection.close_if_unusable_or_obsolete()  # a dropped connection is reopened
        try:
            unfinished.update(**fields)
            return True
        except DATABASE_ERRORS as err:
            logger.warning("Job %s: could not record its failure yet (%s)", job_id, err)
    logger.error("Job %s: gave up recording its failure; it may still show as running", job_id)
    return False


def _describe(exc: Exception) -> str:
    """What the Jobs page says about a failure: what went wrong, without the server's paths
    or internals (the traceback is in the server log)."""
    if isinstance(exc, OSError):
        reason = exc.strerror or type(exc).__name__
        return (f"The server could not write the export file ({reason.lower()}). An admin "
                "should check the export folder (EXPORT_ROOT); then press Retry.")[:500]
    if isinstance(exc, OperationalError) and "locked" in str(exc).lower():
        return ("The database stayed busy with other work (locked) for too long, so this job "
                "could not finish. Press Retry in a minute; if it happens again, ask an admin.")
    if isinstance(exc, DATABASE_ERRORS):
        return (f"A database error stopped this job ({type(exc).__name__}). It has been "
                "logged; press Retry, or ask an admin if it fails again.")
    if isinstance(exc, ValueError | LookupError) and str(exc).strip():
        return str(exc).strip()[:500]  # our own refusals say what is wrong in plain words
    return (f"Something went wrong on the server ({type(exc).__name__}). It has been logged; "
            "press Retry, or ask an admin if it fails again.")


def _progress(job: Job, done: int, total: int | None = None):
    job.done = done
    fields = {"done": done}
    if total is not None:
        job.total = fields["total"] = total
    Job.objects.filter(pk=job.pk).update(**fields)


def _run_export(job: Job) -> dict:
    fmt = job.params["format"]
    ids = job.params["article_ids"]
    user = job.user
    path = export_path(job)
    path.unlink(missing_ok=True)
    exported = []
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        for start in range(0, len(ids), PROGRESS_EVERY):
            batch = ids[start : start + PROGRESS_EVERY]
            articles = {
                a.pk: a
                for a in Article.objects.filter(pk__in=batch).select_related("current_revision")
            }
            for pk in batch:
                article = articles.get(pk)
                # Permission is asked again here: it may have changed since the job started.
                if article is None or not permissions.can_view_article(user, article):
                    continue
                snap = export_data.snapshot(article, base_url=job.params.get("base_url", ""), user=user)
                zf.writestr(f"{pk:05d}-{export_filename(article, fmt)}", EXPORTERS[fmt](snap))
                exported.append(article)
            _progress(job, min(len(ids), start + len(batch)))
    if not exported:
        path.unlink(missing_ok=True)
        raise JobError("None of the chosen stories could be exported (deleted, or no longer yours to see).")
    record_export(user, fmt, exported, "bulk", ip=job.params.get("ip"))
    return {"stories": len(exported), "skipped": len(ids) - len(exported), "bytes": path.stat().st_size}


def _run_rescan(job: Job) -> dict:
    articles = list(
        Article.objects.exclude(status__in=[workflow.ARCHIVED, workflow.PUBLISHED])
        .filter(current_revision__isnull=False)
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    _progress(job, 0, len(articles))
    totals = {"articles": 0, "added": 0, "updated": 0, "removed": 0}
    for start in range(0, len(articles), PROGRESS_EVERY):
        batch = Article.objects.filter(pk__in=articles[start : start + PROGRESS_EVERY])
        counts = services.rescan_articles(batch)
        for key, value in counts.items():
            totals[key] += value
        _progress(job, min(len(articles), start + PROGRESS_EVERY))
    return totals


RUNNERS = {Job.EXPORT: _run_export, Job.RESCAN: _run_rescan}


def describe_result(job: Job) -> str:
    """One line on what a finished job did."""
    r = job.result or {}
    if job.kind == Job.RESCAN:
        n, added = r.get("articles", 0), r.get("added", 0)
        return (f"Rescanned {n} open stor{'y' if n == 1 else 'ies'}: "
                f"{added} new flag{'' if added == 1 else 's'}, "
                f"{r.get('updated', 0)} changed (severity, wording or advice), "
                f"{r.get('removed', 0)} removed.")
    n = r.get("stories", 0)
    text = f"Your ZIP of {n} stor{'y' if n == 1 else 'ies'} is ready."
    if r.get("skipped"):
        text += f" {r['skipped']} could not be included (deleted or no longer visible to you)."
    matched = (job.params or {}).get("matched")
    if matched:
        text += (f" The filter matched {matched:,} stories; one export holds at most "
                 f"{MAX_EXPORT_STORIES:,}, the most recently changed. Narrow the filter for the rest.")
    return text
