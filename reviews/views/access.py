"""What every screen does first: load the object, ask permissions, refuse clearly."""

from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, render
from django.urls import reverse

from .. import permissions
from ..models import Annotation, Article


def article_for(request, pk: int) -> Article:
    article = get_object_or_404(
        Article.objects.select_related("current_revision", "created_by"), pk=pk
    )
    if not permissions.can_view_article(request.user, article):
        raise PermissionDenied("You do not have access to this story.")
    return article


def annotation_for(request, pk: int, annotation_id: int) -> Annotation:
    article = article_for(request, pk)
    annotation = get_object_or_404(
        Annotation.objects.select_related("author"), pk=annotation_id, article=article
    )
    annotation.article = article
    return annotation


def refusal(request, message: str, status: int = 400) -> HttpResponse:
    """A refused action: plain text for HTMX (shown as a notice), a page otherwise."""
    if request.htmx:
        response = HttpResponse(message, status=status, content_type="text/plain; charset=utf-8")
        response["HX-Reswap"] = "none"  # a message for the notice area, never page content
        return response
    back = None
    match = request.resolver_match
    if (status not in (403, 404) and match and match.namespace == "reviews"
            and match.url_name != "article" and "pk" in match.kwargs):
        back = reverse("reviews:article", args=[match.kwargs["pk"]])  # an action on a story
    return render(request, "reviews/refused.html", {"message": message, "back": back}, status=status)
