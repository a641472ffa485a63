"""The Team page (admins): who is on the team, their roles, and the audit log."""

from django import forms
from django.contrib import messages
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import Q
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from .. import permissions, team, workflow
from ..models import AuditEntry, display_name
from ..services import ReviewError

ROLE_CHOICES = [(r, r) for r in (workflow.WRITER, workflow.EDITOR, workflow.ADMIN)]


class AddUserForm(forms.Form):
    name = forms.CharField(max_length=150)
    email = forms.EmailField()
    role = forms.ChoiceField(choices=ROLE_CHOICES, initial=workflow.WRITER)


def _require_admin(request, what="manage the team"):
    if not permissions.is_admin(request.user):
        raise PermissionDenied(f"Only admins {what}.")


@require_http_methods(["GET", "HEAD", "POST"])
def team_list(request):
    _require_admin(request)
    form = AddUserForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            user = team.add_user(request.user, request=request, **form.cleaned_data)
        except ReviewError as exc:
            form.add_error("email", str(exc))
        else:
            messages.success(request, f"Added {user.email}; a link to set a password is on its way.")
            return redirect("reviews:team")
    users = list(get_user_model().objects.prefetch_related("groups").order_by("-is_active", "first_name", "username"))
    locked = team.locked_usernames()
    for u in users:
        u.role = team.role_of(u)
        u.locked = u.username in locked
    return render(request, "reviews/team.html", {"users": users, "form": form, "roles": ROLE_CHOICES})


def _member(request, user_id):
    _require_admin(request)
    return get_object_or_404(get_user_model(), pk=user_id)


def _act(request, action, success):
    try:
        action()
    except ReviewError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, success)
    return redirect("reviews:team")


@require_POST
def team_role(request, user_id):
    user = _member(request, user_id)
    role = request.POST.get("role", "")
    return _act(request, lambda: team.change_role(request.user, user, role, request),
                f"{display_name(user)} is now {role}.")


@require_POST
def team_active(request, user_id):
    user = _member(request, user_id)
    active = request.POST.get("active") == "1"
    return _act(request, lambda: team.set_active(request.user, user, active, request),
                f"{display_name(user)} {'reactivated' if active else 'deactivated'}.")


@require_POST
def team_unlock(request, user_id):
    user = _member(request, user_id)
    return _act(request, lambda: team.unlock(request.user, user, request),
                f"{display_name(user)} can log in again.")


@require_safe
def audit_log(request):
    _require_admin(request, "read the audit log")
    entries = AuditEntry.objects.select_related("actor")
    action = request.GET.get("action", "")
    # A NUL cannot be typed and PostgreSQL refuses one in a query: it separates words.
    query = request.GET.get("q", "").replace("\x00", " ").strip()[:100]
    if action in dict(AuditEntry.ACTION_CHOICES):
        entries = entries.filter(action=action)
    if query:
        # "Who" shows a person's name: search finds them by it (each word), or by username.
        found = Q(target__icontains=query) | Q(detail__icontains=query) | Q(actor__username__icontains=query)
        named = Q()
        for word in query.split()[:4]:
            named &= Q(actor__first_name__icontains=word) | Q(actor__last_name__icontains=word)
        entries = entries.filter(found | named)
    page = Paginator(entries, 50).get_page(request.GET.get("page"))
    params = request.GET.copy()
    params.pop("page", None)
    return render(request, "reviews/audit.html", {
        "page": page, "action": action, "query": query, "actions": AuditEntry.ACTION_CHOICES,
        "filter_query": params.urlencode(),
    })
