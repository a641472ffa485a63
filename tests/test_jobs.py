"""Background jobs through django-tasks: bulk exports and rescans, progress, failure, retry,
and the database backend run by the real `db_worker` command."""

import io
import zipfile

import pytest
from django.core.management import call_command
from django.test import override_settings
from django.urls import reverse
from django_tasks_db.models import DBTaskResult

from reviews import jobs, services
from reviews.models import ExportRecord, Flag, Job, LexiconTerm

HX = {"HTTP_HX_REQUEST": "true"}
DATABASE_TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]}}


def zip_names(response):
    return zipfile.ZipFile(io.BytesIO(b"".join(response.streaming_content))).namelist()


def run_worker():
    call_command("db_worker", "--batch", "--no-startup-delay", "--no-reload", verbosity=0)


@pytest.fixture
def exports_dir(settings, tmp_path):
    settings.EXPORT_ROOT = tmp_path / "exports"
    return settings.EXPORT_ROOT


def test_bulk_export_runs_as_a_job_and_the_zip_downloads(client, editor, make_article, exports_dir):
    ids = [make_article(title=f"Story {i}").pk for i in range(7)]
    client.force_login(editor)
    html = client.post(reverse("reviews:bulk_export"), {"format": "csv", "ids": ids}, **HX).content.decode()
    job = Job.objects.get()
    # Development runs tasks at once: the fragment already has the outcome.
    assert (job.kind, job.state, job.done, job.total, job.attempts) == ("export", "done", 7, 7, 1)
    assert "Your ZIP of 7 stories is ready" in html and "Download ZIP" in html
    assert "hx-trigger" not in html  # a finished job stops polling
    names = zip_names(client.get(reverse("reviews:job_download", args=[job.pk])))
    assert len(names) == 7 and all(n.endswith(".csv") for n in names)
    assert ExportRecord.objects.get(via="bulk").article_count == 7


def test_bulk_export_without_javascript_goes_to_the_jobs_own_page(client, editor, make_article, exports_dir):
    make_article(title="Flood warning")
    make_article(title="Budget vote")
    client.force_login(editor)
    response = client.post(reverse("reviews:bulk_export"), {"format": "md", "scope": "filter", "status": "all"})
    job = Job.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse("reviews:job", args=[job.pk])
    page = client.get(response["Location"]).content.decode()
    assert "Download ZIP" in page and 'http-equiv="refresh"' not in page
    assert len(zip_names(client.get(reverse("reviews:job_download", args=[job.pk])))) == 2


def test_an_export_of_more_matches_than_one_zip_holds_says_so(
    client, editor, make_article, exports_dir, monkeypatch
):
    monkeypatch.setattr(jobs, "MAX_EXPORT_STORIES", 3)
    for i in range(5):
        make_article(title=f"Ferry {i}")
    client.force_login(editor)
    html = client.post(reverse("reviews:bulk_export"),
                       {"format": "csv", "scope": "filter", "q": "ferry"}, **HX).content.decode()
    assert "Your ZIP of 3 stories is ready" in html
    assert "The filter matched 5 stories; one export holds at most 3" in html
    job = Job.objects.get()
    assert len(zip_names(client.get(reverse("reviews:job_download", args=[job.pk])))) == 3


def test_other_peoples_jobs_are_not_shown_or_downloadable(client, editor, writer, admin_user, article, exports_dir):
    client.force_login(editor)
    client.post(reverse("reviews:bulk_export"), {"format": "csv", "ids": [article.pk]}, **HX)
    job = Job.objects.get()
    client.force_login(writer)
    assert client.get(reverse("reviews:job", args=[job.pk]), **HX).status_code == 403
    assert client.get(reverse("reviews:job_download", args=[job.pk])).status_code == 403
    assert "No background jobs yet" in client.get(reverse("reviews:jobs")).content.decode()
    # An admin sees everyone's jobs but cannot download another person's export.
    client.force_login(admin_user)
    assert f"/jobs/{job.pk}/" in client.get(reverse("reviews:jobs")).content.decode()
    assert client.get(reverse("reviews:job_download", args=[job.pk])).status_code == 403
    # Nor may someone else retry it (an admin may: see the failed-export test).
    Job.objects.filter(pk=job.pk).update(state=Job.FAILED)
    client.force_login(writer)
    assert client.post(reverse("reviews:job_retry", args=[job.pk]), **HX).status_code == 403


def test_a_failed_export_says_why_and_a_retry_finishes_it(client, editor, admin_user, make_article, settings, tmp_path):
    ids = [make_article(title=f"Story {i}").pk for i in range(3)]
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where the export folder should be")
    settings.EXPORT_ROOT = blocker
    client.force_login(editor)
    html = client.post(reverse("reviews:bulk_export"), {"format": "html", "ids": ids}, **HX).content.decode()
    job = Job.objects.get()
    assert job.state == Job.FAILED and "could not write the export file" in job.error
    assert str(blocker) not in job.error  # no server paths for the editor to puzzle over
    assert "The export stopped after 0 of 3 stories" in html and "Retry" in html
    listing = client.get(reverse("reviews:jobs")).content.decode()
    assert "failed" in listing and "Retry" in listing
    assert not ExportRecord.objects.exists()

    settings.EXPORT_ROOT = tmp_path / "exports"  # the disk problem is fixed; an admin retries
    client.force_login(admin_user)
    html = client.post(reverse("reviews:job_retry", args=[job.pk]), **HX).content.decode()
    assert "Download ZIP" not in html  # the ZIP is the editor's
    client.force_login(editor)
    html = client.get(reverse("reviews:job", args=[job.pk]), **HX).content.decode()
    job.refresh_from_db()
    assert (job.state, job.attempts, job.error) == (Job.DONE, 2, "")
    assert "Download ZIP" in html
    assert len(zip_names(client.get(reverse("reviews:job_download", args=[job.pk])))) == 3


def test_only_failed_jobs_can_be_retried(client, editor, article, exports_dir):
    client.force_login(editor)
    client.post(reverse("reviews:bulk_export"), {"format": "csv", "ids": [article.pk]}, **HX)
    job = Job.objects.get()
    response = client.post(reverse("reviews:job_retry", args=[job.pk]), **HX)
    assert response.status_code == 409 and "Only a failed job" in response.content.decode()
    job.refresh_from_db()
    assert job.attempts == 1


def test_export_skips_stories_that_are_gone_when_it_runs(editor, make_article, exports_dir):
    a = make_article(title="Kept")
    with override_settings(TASKS=DATABASE_TASKS):
        job = jobs.start_export(editor, "csv", [a.pk, a.pk + 1000])
    jobs.run(job.pk)
    job.refresh_from_db()
    assert job.state == Job.DONE and job.result["stories"] == 1 and job.result["skipped"] == 1
    assert "1 could not be included" in jobs.describe_result(job)


@pytest.mark.django_db(transaction=True)
def test_database_backend_queues_and_db_worker_runs_it(client, editor, make_article, exports_dir):
    ids = [make_article(title=f"Story {i}").pk for i in range(6)]
    client.force_login(editor)
    with override_settings(TASKS=DATABASE_TASKS):
        html = client.post(reverse("reviews:bulk_export"), {"format": "jsonld", "ids": ids}, **HX).content.decode()
        job = Job.objects.get()
        # Queued, not run: the fragment polls for progress.
        assert job.state == Job.QUEUED and "waiting to start" in html
        assert 'hx-trigger="every 1s"' in html
        task = DBTaskResult.objects.get()
        assert job.task_id == str(task.id) and task.task_path == "reviews.tasks.run_job"
        run_worker()
    job.refresh_from_db()
    task.refresh_from_db()
    assert job.state == Job.DONE and job.done == 6 and task.status == "SUCCESSFUL"
    html = client.get(reverse("reviews:job", args=[job.pk]), **HX).content.decode()
    assert "Download ZIP" in html
    assert len(zip_names(client.get(reverse("reviews:job_download", args=[job.pk])))) == 6


@pytest.mark.django_db(transaction=True)
def test_database_backend_failure_is_recorded_and_retry_requeues(editor, make_article, settings, tmp_path):
    article = make_article(title="Story")
    blocker = tmp_path / "blocked"
    blocker.write_text("x")
    settings.EXPORT_ROOT = blocker
    with override_settings(TASKS=DATABASE_TASKS):
        job = jobs.start_export(editor, "md", [article.pk])
        run_worker()
        job.refresh_from_db()
        assert job.state == Job.FAILED and "could not write the export file" in job.error
        assert DBTaskResult.objects.get().status == "FAILED"
        settings.EXPORT_ROOT = tmp_path / "exports"
        jobs.retry(job, editor)
        job.refresh_from_db()
        assert job.state == Job.QUEUED and DBTaskResult.objects.count() == 2
        run_worker()
    job.refresh_from_db()
    assert job.state == Job.DONE and job.attempts == 2


def test_a_job_runs_once_even_if_its_task_is_delivered_twice(editor, article, exports_dir):
    with override_settings(TASKS=DATABASE_TASKS):
        job = jobs.start_export(editor, "csv", [article.pk])
    assert jobs.run(job.pk)["stories"] == 1
    assert jobs.run(job.pk) == {"skipped": True}
    job.refresh_from_db()
    assert job.attempts == 1 and ExportRecord.objects.count() == 1


# Rescans ----------------------------------------------------------------------------------------

LOADED = "The minister slammed the plan on Tuesday."


def test_a_lexicon_change_rescans_open_stories_in_a_job(client, admin_user, make_article):
    article = make_article(title="Minister", text=LOADED)
    client.force_login(admin_user)
    before = Flag.objects.filter(article=article, exact="plan").count()
    response = client.post(reverse("reviews:lexicon_add"), {
        "phrase": "plan", "category": "editorializing", "severity": "warn",
        "rationale": "Test term for the rescan.", "alternatives_text": "", "exceptions_text": "",
        "enabled": "on",
    }, follow=True)
    html = response.content.decode()
    job = Job.objects.get(kind=Job.RESCAN)
    assert job.state == Job.DONE and job.user == admin_user and job.result["articles"] >= 1
    assert Flag.objects.filter(article=article, exact="plan").count() == before + 1
    assert "being rescanned" in html and "Rescanned" in html  # the lexicon page shows the outcome


def test_a_rescan_that_raises_a_terms_severity_says_how_many_flags_changed(client, admin_user, make_article):
    from reviews.models import LexiconTerm

    term = LexiconTerm.objects.create(phrase="plan", category="editorializing", severity="warn",
                                      rationale="Test term.")
    make_article(title="Minister", text=LOADED)
    assert Flag.objects.filter(exact="plan", severity="warn").exists()
    client.force_login(admin_user)
    response = client.post(reverse("reviews:lexicon_edit", args=[term.pk]), {
        "phrase": "plan", "category": "editorializing", "severity": "high",
        "rationale": "Test term.", "alternatives_text": "", "exceptions_text": "", "enabled": "on",
    }, follow=True)
    html = response.content.decode()
    changed = Flag.objects.filter(exact="plan", severity="high").count()
    assert changed >= 1
    assert f"0 new flags, {changed} changed (severity, wording or advice), 0 removed." in html


def test_a_waiting_rescan_is_not_queued_twice(admin_user):
    with override_settings(TASKS=DATABASE_TASKS):
        first = jobs.start_rescan(admin_user)
        second = jobs.start_rescan(admin_user)
    assert first.pk == second.pk and Job.objects.filter(kind=Job.RESCAN).count() == 1


def test_a_failed_rescan_is_shown_on_the_lexicon_page_and_only_admins_retry_it(client, admin_user, editor):
    job = Job.objects.create(kind=Job.RESCAN, user=editor, state=Job.FAILED, total=40, done=12,
                             error="OperationalError: database is locked")
    client.force_login(editor)  # even the editor whose change started it
    assert client.post(reverse("reviews:job_retry", args=[job.pk]), **HX).status_code == 403
    client.force_login(admin_user)
    page = client.get(reverse("reviews:lexicon")).content.decode()
    assert "The rescan stopped after 12 of 40 stories" in page and "database is locked" in page and "Retry" in page
    client.post(reverse("reviews:job_retry", args=[job.pk]), **HX)
    job.refresh_from_db()
    assert job.state == Job.DONE and job.attempts == 1 and job.error == ""


def test_rescan_progress_counts_every_open_story(admin_user, make_article):
    for i in range(12):
        make_article(title=f"S{i}", text=LOADED)
    term = Flag.objects.filter(exact="slammed").first().term
    LexiconTerm.objects.filter(pk=term.pk).update(enabled=False)
    job = jobs.start_rescan(admin_user)
    job.refresh_from_db()
    assert job.state == Job.DONE and job.total == job.done == 12 and job.result["articles"] == 12
    assert not Flag.objects.filter(exact="slammed", state=Flag.OPEN).exists()


def test_queued_job_tells_the_user_when_no_worker_has_picked_it_up(client, editor, article, exports_dir):
    from datetime import timedelta

    from django.utils import timezone

    with override_settings(TASKS=DATABASE_TASKS):
        job = jobs.start_export(editor, "csv", [article.pk])
    Job.objects.filter(pk=job.pk).update(created_at=timezone.now() - timedelta(minutes=2))
    client.force_login(editor)
    html = client.get(reverse("reviews:job", args=[job.pk]), **HX).content.decode()
    assert "no background worker has picked it up" in html and "task_worker" in html
    page = client.get(reverse("reviews:job", args=[job.pk])).content.decode()
    assert 'http-equiv="refresh"' in page  # without JavaScript the page refreshes itself


def test_services_rescan_unchanged_for_the_command_line(make_article):
    article = make_article(title="Minister", text=LOADED)
    totals = services.rescan_articles()
    assert totals["articles"] >= 1 and Flag.objects.filter(article=article).exists()


def test_prune_jobs_deletes_old_finished_jobs_and_their_files(editor, article, exports_dir):
    from datetime import timedelta

    from django.utils import timezone

    old = jobs.start_export(editor, "csv", [article.pk])
    new = jobs.start_export(editor, "csv", [article.pk])
    waiting = Job.objects.create(kind=Job.RESCAN, state=Job.QUEUED)
    Job.objects.filter(pk__in=[old.pk, waiting.pk]).update(created_at=timezone.now() - timedelta(days=30))
    assert jobs.export_path(old).exists()
    out = io.StringIO()
    call_command("prune_jobs", "--days", "7", "--dry-run", stdout=out)
    assert "Would delete 1 finished job(s)" in out.getvalue() and jobs.export_path(old).exists()
    call_command("prune_jobs", "--days", "7", stdout=out)
    assert set(Job.objects.values_list("pk", flat=True)) == {new.pk, waiting.pk}
    assert not jobs.export_path(old).exists() and jobs.export_path(new).exists()
