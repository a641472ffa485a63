from dataclasses import dataclass

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import Count, Exists, OuterRef, Prefetch, Subquery
from django.db.models.functions import Coalesce
from django.shortcuts import render
from django.views.decorators.http import require_safe

from .. import permissions, search, workflow
from ..forms import MAX_ID, reviewers
from ..models import Annotation, Article, Flag
from .access import refusal

EXPORT_FORMATS = [
    ("docx", "Word (.docx) with comments"),
    ("jsonld", "W3C Web Annotation (JSON-LD)"),
    ("md", "Markdown with CriticMarkup"),
    ("html", "HTML (one file)"),
    ("csv", "CSV of notes and flags"),
]


# --- request parameters: read and checked here, for the queue and the bulk export ----------


class BadParameter(ValueError):
    """A request parameter that cannot be used; its message says which, for a 400 answer."""


def id_param(value, what: str = "id") -> int:
    """A positive whole number written in ASCII digits that fits a database id, or
    BadParameter. (str.isdigit alone accepts "²", which int() refuses.)"""
    value = str(value).strip()
    if not (value.isascii() and value.isdigit()) or not 0 < int(value) <= MAX_ID:
        raise BadParameter(f"The {what} was not understood: it must be a whole number.")
    return int(value)


def text_param(value, what: str = "text") -> str:
    """Text for a filter or a search, or BadParameter: a NUL character is refused (no form
    sends one; SQLite's full-text search and PostgreSQL both refuse it in a query)."""
    value = str(value or "")
    if "\x00" in value:
        raise BadParameter(f"The {what} was not understood: it holds a NUL character.")
    return value


@dataclass(frozen=True)
class Filters:
    """The queue's filters, checked: status ("" for everything but archived, "all", or one
    status), reviewer ("", "me", "none" or a user id as digits) and the search box's text."""

    status: str = ""
    assignee: str = ""
    query: str = ""

    @classmethod
    def from_params(cls, params) -> "Filters":
        """Read from a GET (the queue) or a POST (the bulk export); BadParameter if unusable.
        An unknown status shows the default list, as a stale link should."""
        status = params.get("status", "")
        if status not in workflow.STATUS_LABELS and status != "all":
            status = ""
        assignee = text_param(params.get("assignee", ""), "reviewer filter").strip()
        if assignee not in ("", "me", "none"):
            assignee = str(id_param(assignee, "reviewer filter"))
        query = text_param(params.get("q", ""), "search").strip()[: search.MAX_QUERY_CHARS]
        return cls(status, assignee, query)


def _by_filters(request, filters: Filters):
    """The stories matching the queue's status and reviewer filters."""
    articles = Article.objects.all()
    if filters.status in workflow.STATUS_LABELS:
        articles = articles.filter(status=filters.status)
    elif filters.status != "all":
        articles = articles.exclude(status=workflow.ARCHIVED)
    if filters.assignee == "me":
        articles = articles.filter(assignees=request.user)
    elif filters.assignee == "none":
        # NOT EXISTS, not a LEFT JOIN filtered on NULL: the database can then walk the
        # newest stories and stop at a page's worth instead of joining every assignment.
        assigned = Article.assignees.through.objects.filter(article_id=OuterRef("pk"))
        articles = articles.filter(~Exists(assigned))
    elif filters.assignee:
        articles = articles.filter(assignees__pk=int(filters.assignee))
    return articles


def filtered_articles(request, params):
    """The stories matching the queue's filters: status, reviewer and the full-text search
    over titles, text and notes, every one of them, most recently changed first. The bulk
    export's "all that match" uses this. (With a search the queue itself lists the best
    matches first, ranking the most recent RANK_WINDOW: search.ranked_ids.)
    params: the request's parameters (raises BadParameter) or Filters already read."""
    filters = params if isinstance(params, Filters) else Filters.from_params(params)
    articles = _by_filters(request, filters)
    query = search.parse(filters.query)
    if query.groups:
        articles = search.matching(articles, query)
    elif query:
        articles = search.exclude(articles, query)
    return articles.order_by("-updated_at", "-id")


def _with_counts(articles):
    """Open notes and open flags per story, authors and reviewers, in a fixed number of
    queries however many stories there are."""
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
    return (
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
    )


@require_safe
def queue(request):
    """The review queue: filter by status and reviewer, search stories, page through."""
    if not permissions.has_role(request.user):
        raise PermissionDenied("Your account has no newsroom role yet. Ask an admin.")
    try:
        filters = Filters.from_params(request.GET)
    except BadParameter as exc:
        return refusal(request, str(exc), 400)
    status, assignee, query = filters.status, filters.assignee, filters.query
    parsed = search.parse(query)
    size = settings.REVIEWS_QUEUE_PAGE_SIZE
    if parsed.groups:
        # Page through the ranked ids, then load just the page's stories and their snippets.
        ids = search.ranked_ids(_by_filters(request, filters), parsed)
        page = Paginator(ids, size).get_page(request.GET.get("page"))
        rows = {a.pk: a for a in _with_counts(Article.objects.filter(pk__in=page.object_list))}
        found = search.hits(page.object_list, parsed)
        page.object_list = [rows[pk] for pk in page.object_list if pk in rows]
        for a in page.object_list:
            a.hit = found.get(a.pk)
    else:
        articles = _with_counts(filtered_articles(request, filters))
        page = Paginator(articles, size).get_page(request.GET.get("page"))
    params = request.GET.copy()
    params.pop("page", None)
    context = {
        "page": page,
        "status": status,
        "assignee": assignee,
        "query": query,
        "searching": bool(parsed.groups),
        # "🚢" or "*" has no word to look for: say so rather than silently list everything.
        "search_ignored": bool(query) and not parsed,
        # Only the most recent matches are ranked (search.ranked_ids); say so when that bites.
        "search_window": search.RANK_WINDOW
        if parsed.groups and page.paginator.count >= search.RANK_WINDOW else None,
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
