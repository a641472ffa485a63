from django.contrib import messages
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from .. import permissions, services, workflow
from ..forms import TransitionForm
from .access import article_for, refusal
from .article import article_context


@require_POST
def article_transition(request, pk):
    """Move a story one step through review. The server decides; the buttons only offer.
    The step must name the revision the person read (the page's form sends it): without it
    the "text changed since you read it" guard could not work, so it is refused."""
    article = article_for(request, pk)
    form = TransitionForm(request.POST)
    if not form.is_valid():
        if "transition" in form.errors:
            return refusal(request, "There is no such review step.", 400)
        # Who may take the step is answered before the rest of the input is judged.
        try:
            permissions.check_transition(request.user, article, form.cleaned_data["transition"])
        except workflow.TransitionRefused as exc:
            return refusal(request, str(exc), 403)
        if "revision" in form.errors:
            return refusal(request, TransitionForm.REVISION_MISSING, 400)
        return refusal(request, " ".join(form.errors.get("comment", [])), 422)
    try:
        event = services.transition(
            article, request.user, form.cleaned_data["transition"], form.cleaned_data["comment"],
            seen_revision=form.cleaned_data["revision"], request=request,
            confirm_open=form.cleaned_data["confirm_open"],
        )
    except workflow.TransitionRefused as exc:
        return refusal(request, str(exc), 403)
    except services.ReviewError as exc:
        return refusal(request, str(exc), exc.status_code)
    article.refresh_from_db()
    notice = f"Story is now {event.to_label.lower()}."
    if not request.htmx:
        messages.success(request, notice)
        return redirect(article)
    context = article_context(request, article)
    context["notice"] = notice
    return render(request, "reviews/article.html#article-main", context)
