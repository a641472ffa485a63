"""Acting on loaded-language flags: accept a suggestion, dismiss, discuss, flag by hand."""

from django import forms
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from .. import language, permissions, services, workflow
from ..forms import SelectionForm
from ..models import Flag
from .access import article_for, refusal
from .annotations import _workspace
from .article import article_context


def _flag_for(request, pk, flag_id) -> Flag:
    """The flag, on the story as it stands. A flag from a page opened before someone edited
    the story is gone or belongs to an older revision: that page is stale (409), and the
    person is told to reload rather than that the story "no longer exists"."""
    article = article_for(request, pk)
    flag = Flag.objects.select_related("revision").filter(pk=flag_id, article=article).first()
    if flag is None or flag.revision_id != article.current_revision_id:
        raise services.StaleRevision(
            "The story has changed since you opened it, and this flag with it. Reload the "
            "page to see the current text and flags."
        )
    flag.article = article
    return flag


@require_POST
def flag_accept(request, pk, flag_id):
    try:
        flag = _flag_for(request, pk, flag_id)
        services.accept_suggestion(flag, request.user, request.POST.get("replacement", ""))
    except services.ReviewError as exc:
        return refusal(request, str(exc), exc.status_code)
    article = flag.article
    article.refresh_from_db()
    if not request.htmx:
        return redirect(article)
    context = article_context(request, article)
    context["notice"] = f"Replaced “{flag.exact}”: revision {article.current_revision.number} saved."
    return render(request, "reviews/article.html#article-main", context)


def _flag_action(request, pk, flag_id, action, bad_input_status=400):
    """Run one service action on a flag; answer with the workspace, focused on a new note."""
    try:
        flag = _flag_for(request, pk, flag_id)
        note = action(flag)
    except services.ReviewError as exc:
        status = bad_input_status if exc.status_code == 400 else exc.status_code
        return refusal(request, str(exc), status)
    return _workspace(request, flag.article, focus_id=getattr(note, "pk", None) if note is not flag else None)


@require_POST
def flag_dismiss(request, pk, flag_id):
    reason = request.POST.get("reason", "")
    return _flag_action(
        request, pk, flag_id, lambda f: services.dismiss_flag(f, request.user, reason), 422
    )


@require_POST
def flag_reopen(request, pk, flag_id):
    return _flag_action(request, pk, flag_id, lambda f: services.reopen_flag(f, request.user))


@require_POST
def flag_discuss(request, pk, flag_id):
    body = request.POST.get("body", "")
    return _flag_action(
        request, pk, flag_id, lambda f: services.discuss_flag(f, request.user, body), 422
    )


class ManualFlagForm(SelectionForm):
    category = forms.ChoiceField(choices=list(language.CATEGORIES.items()))
    severity = forms.ChoiceField(
        choices=[("info", "Info"), ("warn", "Warn"), ("high", "High")], initial="warn"
    )
    note = forms.CharField(max_length=2000, strip=True)
    suggestion = forms.CharField(max_length=200, required=False, strip=True)


@require_POST
def flag_create(request, pk):
    article = article_for(request, pk)
    if not permissions.is_editor(request.user) or article.status == workflow.ARCHIVED:
        return refusal(request, "Only editors may flag passages by hand.", 403)
    form = ManualFlagForm(request.POST)
    if not form.is_valid():
        if form.SELECTION_FIELDS & set(form.errors):
            return refusal(request, "The selection was incomplete. Select the passage again.", 400)
        return refusal(request, "Choose a category and say why the words are loaded.", 422)
    data = form.cleaned_data
    try:
        services.add_manual_flag(
            article, request.user, category=data["category"], severity=data["severity"],
            note=data["note"], suggestion=data["suggestion"], **form.selection(request.POST),
        )
    except services.ReviewError as exc:
        return refusal(request, str(exc), exc.status_code)
    return _workspace(request, article)
