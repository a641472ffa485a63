"""Background jobs: progress (polled by htmx), the list of recent jobs, retry and download."""

from django.core.exceptions import PermissionDenied
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST, require_safe

from .. import jobs, permissions
from ..models import Job
from .access import refusal

RECENT = 50


def job_context(request, job: Job) -> dict:
    return {
        "job": job,
        "summary": jobs.describe_result(job) if job.state == Job.DONE else "",
        "can_retry": job.state == Job.FAILED and jobs.can_retry(request.user, job),
        "can_download": jobs.can_download(request.user, job),
        "waiting": jobs.waiting_for_worker(job),
    }


def _job_for(request, job_id) -> Job:
    if not permissions.has_role(request.user):
        raise PermissionDenied("Your account has no newsroom role.")
    job = get_object_or_404(Job.objects.select_related("user"), pk=job_id)
    if not jobs.can_view(request.user, job):
        raise PermissionDenied("This job belongs to someone else.")
    return job


@require_safe
def job_list(request):
    """Your recent background jobs (an admin sees everyone's), failures with a Retry."""
    if not permissions.has_role(request.user):
        raise PermissionDenied("Your account has no newsroom role.")
    qs = Job.objects.select_related("user")
    if not permissions.is_admin(request.user):
        qs = qs.filter(user=request.user)
    rows = [job_context(request, job) for job in qs[:RECENT]]
    return render(request, "reviews/jobs.html", {"rows": rows, "is_admin": permissions.is_admin(request.user)})


@require_safe
def job_detail(request, job_id):
    """One job: the progress fragment for htmx polling, or a page of its own (which refreshes
    itself while the job runs, so it works without JavaScript too)."""
    job = _job_for(request, job_id)
    context = job_context(request, job)
    if request.htmx and not request.htmx.boosted:
        return render(request, "reviews/job.html#progress", context)
    return render(request, "reviews/job.html", context)


@require_POST
def job_retry(request, job_id):
    job = _job_for(request, job_id)
    if not jobs.can_retry(request.user, job):
        raise PermissionDenied("You may not retry this job.")
    try:
        jobs.retry(job, request.user)
    except jobs.JobError as exc:
        return refusal(request, str(exc), 409)
    job.refresh_from_db()
    if request.htmx:
        return render(request, "reviews/job.html#progress", job_context(request, job))
    return redirect("reviews:job", job_id=job.pk)


@require_safe
def job_download(request, job_id):
    job = _job_for(request, job_id)
    if job.kind != Job.EXPORT or job.user_id != request.user.pk:
        raise PermissionDenied("Only the person who asked for this export can download it.")
    path = jobs.export_path(job)
    if job.state != Job.DONE or not path.exists():
        raise Http404("This export is not ready.")
    return FileResponse(
        path.open("rb"), as_attachment=True, filename=f"newsroom-export-{job.pk}-{job.format}.zip",
        content_type="application/zip",
    )
