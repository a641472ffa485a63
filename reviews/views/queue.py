from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import Count, OuterRef, Prefetch, Subquery
from django.db.models.functions import Coalesce
from django.shortcuts import render

from .. import permissions, workflow
from ..forms import reviewers
from ..models import Annotation, Article, Flag

EXPORT_FORMATS = [
    ("docx", "Word (.docx) with comments"),
    ("jsonld", "W3C Web Annotation (JSON-LD)"),
    ("md", "Markdown with CriticMarkup"),
    ("html", "HTML (one file)"),
    ("csv", "CSV of notes and flags"),
]


def filtered_articles(request, params):
    """The stories matching the queue's filters (status, reviewer, title search)."""
    status = params.get("status", "")
    assignee = params.get("assignee", "")
    query = params.get("q", "").strip()[:200]
    articles = Article.objects.all()
    if status in workflow.STATUS_LABELS:
        articles = articles.filter(status=status)
    elif status != "all":
        articles = articles.exclude(status=workflow.ARCHIVED)
    if assignee == "me":
        articles = articles.filter(assignees=request.user)
    elif assignee == "none":
        articles = articles.filter(assignees__isnull=True)
    elif assignee.isdigit():
        articles = articles.filter(assignees__pk=int(assignee))
    if query:
        articles = articles.filter(title__icontains=query)
    return articles.order_by("-updated_at", "-id")


def queue(request):
    """The review queue: filter by status and reviewer, search titles, page through."""
    if not permissions.has_role(request.user):
        raise PermissionDenied("Your account has no newsroom role yet. Ask an admin.")
    status = request.GET.get("status", "")
    assignee = request.GET.get("assignee", "")
    query = request.GET.get("q", "").strip()[:200]
    if status not in workflow.STATUS_LABELS and status != "all":
        status = ""
    if assignee not in ("me", "none") and not assignee.isdigit():
        assignee = ""
    articles = filtered_articles(request, request.GET)

    open_notes = (
        Annotation.objects.filter(article=OuterRef("pk"), state=Annotation.OPEN, orphaned=False)
        .order_by()
        .values("article")
        .annotate(n=Count("pk"))
        .values("n")
    )
    open_flags = (
        Flag.objects.filter(
            article=OuterRef("pk"), revision=OuterRef("current_revision"), state=Flag.OPEN,
            attributed=False, orphaned=False,
        )
        .order_by()
        .values("article")
        .annotate(n=Count("pk"))
        .values("n")
    )
    articles = (
        articles.annotate(
            open_count=Coalesce(Subquery(open_notes), 0),
            flag_count=Coalesce(Subquery(open_flags), 0),
        )
        .select_related("created_by")
        .prefetch_related(
            Prefetch(
                "assignees", queryset=get_user_model().objects.order_by("first_name", "username")
            )
        )
        .order_by("-updated_at", "-id")
    )
    page = Paginator(articles, settings.REVIEWS_QUEUE_PAGE_SIZE).get_page(request.GET.get("page"))
    params = request.GET.copy()
    params.pop("page", None)
    context = {
        "page": page,
        "status": status,
        "assignee": assignee,
        "query": query,
        "statuses": workflow.STATUS_CHOICES,
        "reviewers": reviewers(),
        "filter_query": params.urlencode(),
        "can_create": permissions.can_create_article(request.user),
        "export_formats": EXPORT_FORMATS,
    }
    template = "reviews/queue.html"
    if request.htmx and not request.htmx.boosted:
        template += "#results"
    return render(request, template, context)
