from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from .. import importers, permissions, services
from ..forms import AnnotationFileForm, AnnotationForm, ReplyForm, SelectionForm
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
        if form.SELECTION_FIELDS & set(form.errors):
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
            category=data["category"],
            body=data["body"],
            client_key=data.get("client_key") or "",
            **form.selection(request.POST),
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


def _act_on(request, annotation, action):
    """Run one service action on an annotation and answer with the refreshed workspace."""
    try:
        action(annotation)
    except services.ReviewError as exc:
        return refusal(request, str(exc), exc.status_code)
    return _workspace(request, annotation.article, focus_id=annotation.pk)


@require_POST
def annotation_resolve(request, pk, annotation_id):
    annotation = annotation_for(request, pk, annotation_id)
    return _act_on(request, annotation, lambda a: services.set_resolved(a, request.user, True))


@require_POST
def annotation_reopen(request, pk, annotation_id):
    annotation = annotation_for(request, pk, annotation_id)
    return _act_on(request, annotation, lambda a: services.set_resolved(a, request.user, False))


@require_POST
def annotation_confirm(request, pk, annotation_id):
    annotation = annotation_for(request, pk, annotation_id)
    return _act_on(request, annotation, lambda a: services.confirm_anchor(a, request.user))


@require_POST
def annotation_reattach(request, pk, annotation_id):
    annotation = annotation_for(request, pk, annotation_id)
    if not permissions.can_reattach(request.user, annotation):
        return refusal(request, "You may not move this annotation.", 403)
    form = SelectionForm(request.POST)
    if not form.is_valid():
        return refusal(request, "Select the passage in the story first, then press Re-attach.", 400)
    return _act_on(
        request, annotation, lambda a: services.reattach(a, request.user, **form.selection(request.POST))
    )


@require_POST
def annotation_import(request, pk):
    """Upload W3C Web Annotations onto this story; report what was placed and what was not."""
    article = article_for(request, pk)
    if not permissions.can_annotate(request.user, article):
        return refusal(request, "You may not annotate this story.", 403)
    form = AnnotationFileForm(request.POST, request.FILES)
    if not form.is_valid():
        return refusal(request, " ".join(e for errs in form.errors.values() for e in errs), 400)
    try:
        report = services.import_annotations(article, request.user, form.cleaned_data["file"].read())
    except (importers.ImportRefused, services.ReviewError) as exc:
        return refusal(request, f"Nothing was imported: {exc}", getattr(exc, "status_code", 400))
    message = f"Imported notes: {report.summary()}."
    if report.rejected:
        reasons = "; ".join(f"{sid or 'one'}: {why}" for sid, why in report.rejected[:5])
        message += f" Rejected — {reasons}"
    (messages.warning if report.rejected else messages.success)(request, message)
    return redirect(article)
