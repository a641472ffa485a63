"""Downloads: one story in any format, or many as a ZIP built step by step with progress."""

import zipfile
from pathlib import Path

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.utils.text import slugify
from django.views.decorators.http import require_POST

from .. import audit, export_data, permissions
from ..exporters import CONTENT_TYPES, EXPORTERS, EXTENSIONS
from ..models import Article, AuditEntry, ExportJob, ExportRecord
from .access import article_for, refusal
from .queue import filtered_articles

STEP_SIZE = 5  # stories added to a bulk ZIP per request


def export_filename(article, fmt, suffix=""):
    slug = slugify(article.title)[:60] or f"story-{article.pk}"
    return f"{slug}-r{article.current_revision.number}{suffix}{EXTENSIONS[fmt]}"


def render_export(request, article, fmt, previous=None) -> bytes:
    snap = export_data.snapshot(
        article, base_url=request.build_absolute_uri("/") if request else "", user=getattr(request, "user", None),
        previous=previous,
    )
    return EXPORTERS[fmt](snap)


def _record(user, fmt, articles, via, request=None):
    record = ExportRecord.objects.create(user=user, format=fmt, article_count=len(articles), via=via)
    record.articles.set(articles)
    ids = ", ".join(str(a.pk) for a in articles[:20]) + (" …" if len(articles) > 20 else "")
    audit.record(AuditEntry.EXPORT, actor=user, target=f"{len(articles)} article(s): {ids}",
                 detail=f"{fmt} via {via}", request=request)
    return record


def article_export(request, pk, fmt):
    article = article_for(request, pk)
    if fmt not in EXPORTERS:
        raise Http404("No such export format.")
    previous = None
    suffix = ""
    if fmt == "md" and request.GET.get("diff_from"):
        try:
            number = int(request.GET["diff_from"])
        except ValueError as exc:
            raise Http404("Revision numbers are whole numbers.") from exc
        previous = get_object_or_404(article.revisions, number=number)
        suffix = f"-changes-from-r{number}"
    data = render_export(request, article, fmt, previous)
    _record(request.user, fmt, [article], "web", request)
    response = HttpResponse(data, content_type=CONTENT_TYPES[fmt])
    response["Content-Disposition"] = f'attachment; filename="{export_filename(article, fmt, suffix)}"'
    return response


def _job_path(job) -> Path:
    folder = Path(settings.EXPORT_ROOT)
    folder.mkdir(parents=True, exist_ok=True)
    return folder / f"export-{job.pk}.zip"


def _job_for(request, job_id) -> ExportJob:
    job = get_object_or_404(ExportJob, pk=job_id)
    if job.user_id != request.user.pk:
        raise PermissionDenied("This export belongs to someone else.")
    return job


@require_POST
def bulk_export(request):
    """Start a ZIP of the chosen stories (or all that match the queue's filter)."""
    if not permissions.has_role(request.user):
        raise PermissionDenied("Your account has no newsroom role.")
    fmt = request.POST.get("format", "")
    if fmt not in EXPORTERS:
        return refusal(request, "Choose an export format.", 400)
    if request.POST.get("scope") == "filter":
        ids = list(filtered_articles(request, request.POST).values_list("pk", flat=True)[:5000])
    else:
        try:
            ids = sorted({int(i) for i in request.POST.getlist("ids")})
        except ValueError:
            return refusal(request, "The selection was not understood.", 400)
        ids = list(Article.objects.filter(pk__in=ids).values_list("pk", flat=True))
    if not ids:
        return refusal(request, "Select at least one story to export.", 400)
    job = ExportJob.objects.create(user=request.user, format=fmt, article_ids=ids)
    _job_path(job).unlink(missing_ok=True)
    if not request.htmx:
        # Without JavaScript there is no progress bar: build it all now and send it.
        while job.state == ExportJob.BUILDING:
            _build_step(request, job)
        return bulk_export_download(request, job.pk)
    return render(request, "reviews/queue.html#export-progress", {"job": job})


@require_POST
def bulk_export_step(request, job_id):
    """Add the next few stories to the ZIP; the returned fragment asks for the next step."""
    job = _job_for(request, job_id)
    if job.state == ExportJob.BUILDING:
        _build_step(request, job)
    return render(request, "reviews/queue.html#export-progress", {"job": job})


def _build_step(request, job):
    """Append the next STEP_SIZE stories to the job's ZIP file."""
    if job.state == ExportJob.BUILDING:
        batch = job.article_ids[job.done : job.done + STEP_SIZE]
        articles = {a.pk: a for a in Article.objects.filter(pk__in=batch).select_related("current_revision")}
        try:
            with zipfile.ZipFile(_job_path(job), "a", compression=zipfile.ZIP_DEFLATED) as zf:
                for pk in batch:
                    article = articles.get(pk)
                    if article is None or not permissions.can_view_article(request.user, article):
                        continue
                    zf.writestr(f"{pk:05d}-{export_filename(article, job.format)}",
                                render_export(request, article, job.format))
        except Exception as exc:  # a broken story must not leave the job spinning forever
            job.state, job.error = ExportJob.FAILED, f"Export stopped: {exc}"
            job.save(update_fields=["state", "error"])
            raise
        job.done += len(batch)
        if job.done >= job.total:
            job.state = ExportJob.DONE
            _record(request.user, job.format, list(Article.objects.filter(pk__in=job.article_ids)),
                    "bulk", request)
        job.save(update_fields=["done", "state"])


def bulk_export_download(request, job_id):
    job = _job_for(request, job_id)
    path = _job_path(job)
    if job.state != ExportJob.DONE or not path.exists():
        raise Http404("This export is not ready.")
    return FileResponse(
        path.open("rb"), as_attachment=True, filename=f"newsroom-export-{job.pk}-{job.format}.zip",
        content_type="application/zip",
    )
