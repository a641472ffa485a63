"""Managing the team: roles, activation and invitations, with the last-admin guard."""

from __future__ import annotations

import secrets
from datetime import timedelta

from django.contrib.auth import get_user_model
from django.contrib.auth.forms import PasswordResetForm
from django.contrib.auth.models import Group
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from . import audit, workflow
from .models import AuditEntry
from .services import ReviewError


def role_of(user) -> str:
    if user.is_superuser:
        return workflow.ADMIN
    names = {g.name for g in user.groups.all()}
    for role in (workflow.ADMIN, workflow.EDITOR, workflow.WRITER):
        if role in names:
            return role
    return ""


def _active_admins():
    return (
        get_user_model()
        .objects.filter(is_active=True)
        .filter(Q(is_superuser=True) | Q(groups__name=workflow.ADMIN))
        .distinct()
    )


def _is_last_active_admin(user) -> bool:
    return (
        user.is_active
        and role_of(user) == workflow.ADMIN
        and not _active_admins().exclude(pk=user.pk).exists()
    )


@transaction.atomic
def add_user(actor, *, name: str, email: str, role: str, request=None):
    """Create the account and email a link to set a password (Django's reset flow)."""
    if role not in workflow.ROLES:
        raise ReviewError("Choose a role.")
    User = get_user_model()
    email = email.strip().lower()
    if User.objects.filter(username__iexact=email).exists() or User.objects.filter(email__iexact=email).exists():
        raise ReviewError(f"There is already an account for {email}.")
    first, _, last = name.strip().partition(" ")
    user = User.objects.create_user(username=email, email=email, first_name=first[:150], last_name=last[:150])
    # A usable but unknown password: Django's reset flow only mails accounts with one.
    user.set_password(secrets.token_urlsafe(32))
    user.save(update_fields=["password"])
    with audit.user_change(user, actor=actor, request=request, recorded=True):  # logged below
        user.groups.add(Group.objects.get_or_create(name=role)[0])
    form = PasswordResetForm({"email": email})
    form.is_valid()
    form.save(
        request=request, use_https=bool(request and request.is_secure()),
        subject_template_name="registration/set_password_subject.txt",
        email_template_name="registration/set_password_email.txt",
    )
    audit.record(AuditEntry.USER_ADDED, actor=actor, target=audit.user_target(user), detail=f"role {role}", request=request)
    return user


@transaction.atomic
def change_role(actor, user, role: str, request=None):
    if role not in workflow.ROLES:
        raise ReviewError("Choose a role.")
    old = role_of(user)
    if old == role:
        return user
    if old == workflow.ADMIN and _is_last_active_admin(user):
        raise ReviewError("This is the last active admin: make someone else an admin first.")
    detail = f"{old or 'no role'} → {role}"
    # One entry for the whole change (below), not one per group and flag from the signals.
    with audit.user_change(user, actor=actor, request=request, recorded=True):
        user.groups.remove(*Group.objects.filter(name__in=workflow.ROLES))
        user.groups.add(Group.objects.get_or_create(name=role)[0])
        # Admins run Django admin too (README, roles); nobody else keeps it.
        admin = role == workflow.ADMIN
        if (user.is_superuser, user.is_staff) != (admin, admin):
            user.is_superuser = user.is_staff = admin
            user.save(update_fields=["is_superuser", "is_staff"])
            detail += "; Django admin (staff, superuser) " + ("given" if admin else "taken away")
    audit.record(AuditEntry.ROLE_CHANGED, actor=actor, target=audit.user_target(user),
                 detail=detail, request=request)
    return user


@transaction.atomic
def set_active(actor, user, active: bool, request=None):
    if user.is_active == active:
        return user
    if not active and _is_last_active_admin(user):
        raise ReviewError("This is the last active admin and cannot be deactivated.")
    user.is_active = active
    # Deactivating ends every session of theirs (the signal in audit.py, wherever it is done).
    with audit.user_change(user, actor=actor, request=request, recorded=True):  # logged below
        user.save(update_fields=["is_active"])
    if active:
        # Wrong-password lockouts piled up while the account was off (its right password
        # failed too) are cleared with it.
        _clear_lockout(user)
    audit.record(AuditEntry.REACTIVATED if active else AuditEntry.DEACTIVATED, actor=actor,
                 target=audit.user_target(user), request=request)
    return user


def locked_usernames() -> set[str]:
    """Usernames django-axes currently locks out."""
    try:
        from axes.conf import settings as axes_settings
        from axes.models import AccessAttempt
    except ImportError:
        return set()
    limit = getattr(axes_settings, "AXES_FAILURE_LIMIT", 5)
    limit = limit if isinstance(limit, int) else 5
    attempts = AccessAttempt.objects.filter(failures_since_start__gte=limit)
    cooloff = getattr(axes_settings, "AXES_COOLOFF_TIME", None)
    if isinstance(cooloff, timedelta):  # a lockout ends by itself after the cool-off
        attempts = attempts.filter(attempt_time__gt=timezone.now() - cooloff)
    return set(attempts.values_list("username", flat=True))


def _clear_lockout(user) -> None:
    try:
        from axes.utils import reset
    except ImportError:  # as locked_usernames: the app runs without django-axes too
        return
    reset(username=user.username)


def unlock(actor, user, request=None):
    _clear_lockout(user)
    audit.record(AuditEntry.UNLOCK, actor=actor, target=audit.user_target(user), request=request)
