from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import Count, Prefetch, Q
from django.shortcuts import render

from .. import permissions, workflow
from ..forms import reviewers
from ..models import Annotation, Article


def queue(request):
    """The review queue: filter by status and reviewer, search titles, page through."""
    if not permissions.has_role(request.user):
        raise PermissionDenied("Your account has no newsroom role yet. Ask an admin.")
    status = request.GET.get("status", "")
    assignee = request.GET.get("assignee", "")
    query = request.GET.get("q", "").strip()[:200]

    articles = Article.objects.all()
    if status in workflow.STATUS_LABELS:
        articles = articles.filter(status=status)
    elif status != "all":
        status = ""
        articles = articles.exclude(status=workflow.ARCHIVED)
    if assignee == "me":
        articles = articles.filter(assignees=request.user)
    elif assignee == "none":
        articles = articles.filter(assignees__isnull=True)
    elif assignee.isdigit():
        articles = articles.filter(assignees__pk=int(assignee))
    else:
        assignee = ""
    if query:
        articles = articles.filter(title__icontains=query)

    articles = (
        articles.annotate(
            open_count=Count(
                "annotations",
                filter=Q(annotations__state=Annotation.OPEN, annotations__orphaned=False),
                distinct=True,
            )
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
    }
    template = "reviews/queue.html"
    if request.htmx and not request.htmx.boosted:
        template += "#results"
    return render(request, template, context)
