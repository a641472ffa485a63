"""Downloads: one story in any format at once, or many as a ZIP built in the background."""

from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.http import content_disposition_header
from django.views.decorators.http import require_POST, require_safe

from .. import audit, export_data, jobs, permissions
from ..exporters import CONTENT_TYPES, EXPORTERS
from ..models import Article
from .access import article_for, refusal
from .jobs import job_context
from .queue import BadParameter, filtered_articles, id_param


def render_export(request, article, fmt, previous=None) -> bytes:
    snap = export_data.snapshot(
        article, base_url=request.build_absolute_uri("/") if request else "", user=getattr(request, "user", None),
        previous=previous,
    )
    return EXPORTERS[fmt](snap)


@require_safe
def article_export(request, pk, fmt):
    article = article_for(request, pk)
    if fmt not in EXPORTERS:
        raise Http404("No such export format.")
    previous = None
    suffix = ""
    if fmt == "md" and request.GET.get("diff_from"):
        try:
            number = id_param(request.GET["diff_from"], "revision number")
        except BadParameter as exc:
            return refusal(request, str(exc), 400)
        previous = get_object_or_404(article.revisions, number=number)
        suffix = f"-changes-from-r{number}"
    data = render_export(request, article, fmt, previous)
    jobs.record_export(request.user, fmt, [article], "web", request)
    response = HttpResponse(data, content_type=CONTENT_TYPES[fmt])
    response["Content-Disposition"] = content_disposition_header(
        True, jobs.export_filename(article, fmt, suffix)  # filename* for a non-ASCII name
    )
    return response


@require_POST
def bulk_export(request):
    """Start a background ZIP of the chosen stories (or all that match the queue's filter)."""
    if not permissions.has_role(request.user):
        raise PermissionDenied("Your account has no newsroom role.")
    fmt = request.POST.get("format", "")
    if fmt not in EXPORTERS:
        return refusal(request, "Choose an export format.", 400)
    matched = None
    try:
        if request.POST.get("scope") == "filter":
            found = filtered_articles(request, request.POST)  # the queue's own checks
            ids = list(found.values_list("pk", flat=True)[: jobs.MAX_EXPORT_STORIES + 1])
            if len(ids) > jobs.MAX_EXPORT_STORIES:
                matched = found.count()  # more than one ZIP holds: the summary says so
                ids = ids[: jobs.MAX_EXPORT_STORIES]
        else:
            chosen = request.POST.getlist("ids")
            if len(chosen) > jobs.MAX_EXPORT_STORIES:
                raise BadParameter(f"One export holds at most {jobs.MAX_EXPORT_STORIES:,} stories.")
            ids = sorted({id_param(i, "selection") for i in chosen})
            ids = list(Article.objects.filter(pk__in=ids).values_list("pk", flat=True))
    except BadParameter as exc:
        return refusal(request, str(exc), 400)
    if not ids:
        return refusal(request, "Select at least one story to export.", 400)
    job = jobs.start_export(request.user, fmt, ids, base_url=request.build_absolute_uri("/"),
                            ip=audit.client_ip(request), matched=matched)
    if not request.htmx:
        # Without JavaScript: the job's own page, which refreshes itself until it is done.
        return redirect("reviews:job", job_id=job.pk)
    job.refresh_from_db()
    return render(request, "reviews/job.html#progress", job_context(request, job))
