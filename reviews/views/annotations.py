from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from .. import permissions, services
from ..forms import AnnotationForm, ReplyForm
from ..models import Annotation
from .access import annotation_for, article_for, refusal
from .article import workspace_context


def _workspace(request, article, focus_id=None, status=200, **kwargs) -> HttpResponse:
    if not request.htmx:
        url = article.get_absolute_url()
        return redirect(f"{url}#ann-{focus_id}" if focus_id else url)
    response = render(
        request,
        "reviews/article.html#workspace",
        workspace_context(request, article, **kwargs),
        status=status,
    )
    if focus_id:
        response["X-Annotation-Focus"] = str(focus_id)  # app.js focuses that note after the swap
    return response


@require_POST
def annotation_create(request, pk):
    article = article_for(request, pk)
    if not permissions.can_annotate(request.user, article):
        return refusal(request, "You may not annotate this story.", 403)
    form = AnnotationForm(request.POST, user=request.user)
    if not form.is_valid():
        selection_fields = {"revision", "start", "end", "exact", "prefix", "suffix"}
        if selection_fields & set(form.errors):
            return refusal(request, "The selection was incomplete. Select the passage again.", 400)
        if "category" in form.errors and request.POST.get("category") in dict(
            Annotation.CATEGORY_CHOICES
        ):
            return refusal(request, "Your role may not add this kind of annotation.", 403)
        if request.htmx:
            response = render(
                request,
                "reviews/article.html#annotate-fields",
                {"annotation_form": form, "article": article},
                status=422,
            )
            response["HX-Retarget"] = "#annotate-fields"
            response["HX-Reswap"] = "outerHTML"
            return response
        return refusal(request, " ".join(form.errors.get("body", ["Check the form."])), 422)
    data = form.cleaned_data
    try:
        annotation = services.add_annotation(
            article,
            request.user,
            revision_id=data["revision"],
            start=data["start"],
            end=data["end"],
            exact=data["exact"],
            prefix=data["prefix"] if "prefix" in request.POST else None,
            suffix=data["suffix"] if "suffix" in request.POST else None,
            category=data["category"],
            body=data["body"],
        )
    except services.ReviewError as exc:
        return refusal(request, str(exc), exc.status_code)
    return _workspace(request, article, focus_id=annotation.pk)


@require_POST
def reply_create(request, pk, annotation_id):
    annotation = annotation_for(request, pk, annotation_id)
    if not permissions.can_reply(request.user, annotation):
        return refusal(request, "You may not reply here.", 403)
    form = ReplyForm(request.POST)
    if not form.is_valid():
        return refusal(request, " ".join(form.errors["body"]), 422)
    services.add_reply(annotation, request.user, form.cleaned_data["body"])
    return _workspace(request, annotation.article, focus_id=annotation.pk)


def _set_resolved(request, pk, annotation_id, resolved):
    annotation = annotation_for(request, pk, annotation_id)
    try:
        services.set_resolved(annotation, request.user, resolved)
    except services.ReviewError as exc:
        return refusal(request, str(exc), exc.status_code)
    return _workspace(request, annotation.article, focus_id=annotation.pk)


@require_POST
def annotation_resolve(request, pk, annotation_id):
    return _set_resolved(request, pk, annotation_id, True)


@require_POST
def annotation_reopen(request, pk, annotation_id):
    return _set_resolved(request, pk, annotation_id, False)
