"""Writing the audit log: one call per security-relevant event, and the login signals.

Changes to who may do what (a user's groups and permissions, staff, superuser and active)
are recorded by signals on the user model (connect_user_signals, from the app's ready()),
so they are logged wherever they are made: the Team page, Django admin, the shell or a
command. The code making a change says who made it with user_change(); Django admin does
(admin.py), the Team page does and records its own summary instead ("Editor → Admin").
Without it the entry has no actor and says so. Deactivating a user also ends every one of
their sessions, so reactivating them later does not bring an old login back.
"""

from __future__ import annotations

from contextlib import contextmanager
from dataclasses import dataclass
from importlib import import_module
from typing import Any

from django.conf import settings
from django.contrib.auth import SESSION_KEY, get_user_model
from django.contrib.auth import views as auth_views
from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.db.models.signals import m2m_changed, post_save, pre_save
from django.dispatch import receiver
from django.utils import timezone

from .models import AuditEntry


def client_ip(request) -> str | None:
    if request is None:
        return None
    # REMOTE_ADDR only: a forwarded-for header is the client's to forge unless a trusted
    # proxy sets it, and then the server's proxy settings put it in REMOTE_ADDR.
    return request.META.get("REMOTE_ADDR") or None


def record(
    action: str, *, actor=None, target: str = "", detail: str = "", request=None, ip=None
) -> AuditEntry:
    """ip: the address when there is no request any more (a background job keeps the one
    that started it)."""
    if actor is not None and not getattr(actor, "is_authenticated", False):
        actor = None
    return AuditEntry.objects.create(
        action=action, actor=actor, target=target[:300], detail=detail,
        ip_address=client_ip(request) or ip,
    )


def user_target(user) -> str:
    return f"user:{user.pk} {user.username}"


@receiver(user_logged_in)
def _logged_in(sender, request, user, **kwargs):
    record(AuditEntry.LOGIN, actor=user, target=user_target(user), request=request)


@receiver(user_logged_out)
def _logged_out(sender, request, user, **kwargs):
    if user is not None:
        record(AuditEntry.LOGOUT, actor=user, target=user_target(user), request=request)


@receiver(user_login_failed)
def _login_failed(sender, credentials, request=None, **kwargs):
    username = str((credentials or {}).get("username", ""))[:150]
    record(AuditEntry.LOGIN_FAILED, target=f"username {username}", request=request)


try:  # django-axes reports lockouts with its own signal
    from axes.signals import user_locked_out

    @receiver(user_locked_out)
    def _locked_out(sender, request=None, username=None, ip_address=None, **kwargs):
        record(AuditEntry.LOCKOUT, target=f"username {username or ''}",
               detail=f"from {ip_address or 'unknown address'}", request=request)
except ImportError:  # axes not installed: nothing to listen to
    pass


class AuditedPasswordChangeView(auth_views.PasswordChangeView):
    """Django's password change, recorded in the audit log."""

    def form_valid(self, form):
        response = super().form_valid(form)
        record(AuditEntry.PASSWORD_CHANGED, actor=self.request.user,
               target=user_target(self.request.user), request=self.request)
        return response


class AuditedPasswordResetConfirmView(auth_views.PasswordResetConfirmView):
    """Django's "set a new password from the emailed link", recorded in the audit log."""

    def form_valid(self, form):
        response = super().form_valid(form)
        record(AuditEntry.PASSWORD_RESET, actor=form.user, target=user_target(form.user),
               request=self.request)
        return response


# --- changes to a user's access, wherever they are made ----------------------------------

ACCESS_FIELDS = ("is_active", "is_staff", "is_superuser")
UNKNOWN_ACTOR = ("made outside the Team page and Django admin, e.g. in the shell or a "
                 "command; who made it is not known")
_CHANGE_ATTR = "_audit_user_change"  # on the user instance being changed
_BEFORE_ATTR = "_audit_access_before"
_CLEARED_ATTR = "_audit_m2m_cleared"


@dataclass(frozen=True)
class UserChange:
    """Who is changing a user, from where, and whether the caller logs the change itself."""

    actor: Any = None
    request: Any = None
    where: str = ""
    recorded: bool = False  # the caller writes its own entry: the signals write none


def attribute_changes(user, *, actor=None, request=None, where="", recorded=False) -> None:
    """Attribute the changes saved on this user instance from now on (see user_change)."""
    setattr(user, _CHANGE_ATTR, UserChange(actor, request, where, recorded))


def end_attribution(user) -> None:
    user.__dict__.pop(_CHANGE_ATTR, None)


@contextmanager
def user_change(user, *, actor=None, request=None, where="", recorded=False):
    """Changes saved on this user instance inside the block were made by actor (with
    request's address) at where; recorded: the caller writes the audit entry itself, so
    the signals write none (sessions of a deactivated user still end). The mark is on the
    instance, never global: a change to another instance of the same user is not covered."""
    attribute_changes(user, actor=actor, request=request, where=where, recorded=recorded)
    try:
        yield user
    finally:
        end_attribution(user)


def _change_of(instance) -> UserChange | None:
    return getattr(instance, _CHANGE_ATTR, None)


def _record_user_change(action, user, what: str, change: UserChange | None) -> None:
    if change is None:
        change = UserChange(where=UNKNOWN_ACTOR)
    elif change.recorded:
        return
    detail = f"{what} ({change.where})" if change.where else what
    record(action, actor=change.actor, target=user_target(user), detail=detail,
           request=change.request)


def end_sessions(user) -> int:
    """Delete every session logged in as user; returns how many. The session store must be
    listable (the database, the default, or cached_db); each unexpired session is decoded
    once (about half a second for 20,000 sessions; deactivations are rare). With the cache
    or signed-cookie engines there is nothing to list: Django's backend already refuses an
    inactive user's session, but it would work again after a reactivation."""
    store_class = import_module(settings.SESSION_ENGINE).SessionStore
    if not hasattr(store_class, "get_model_class"):
        return 0
    model = store_class.get_model_class()
    decoder = store_class()
    wanted = str(user.pk)
    doomed = [
        key
        for key, data in model.objects.filter(expire_date__gt=timezone.now())
        .values_list("session_key", "session_data")
        .iterator(chunk_size=2000)
        if str(decoder.decode(data).get(SESSION_KEY)) == wanted
    ]
    for key in doomed:
        store_class(key).delete()  # cached_db: the cached copy goes too
    return len(doomed)


def _access_before_save(sender, instance, raw=False, update_fields=None, **kwargs):
    instance.__dict__.pop(_BEFORE_ATTR, None)
    if raw or instance._state.adding or instance.pk is None:
        return
    if update_fields is not None and not set(update_fields) & set(ACCESS_FIELDS):
        return  # e.g. last_login on every login: nothing to compare, no query
    before = sender._default_manager.filter(pk=instance.pk).values(*ACCESS_FIELDS).first()
    if before is not None:
        setattr(instance, _BEFORE_ATTR, before)


def _yes_no(value) -> str:
    return "given" if value else "taken away"


def _access_saved(sender, instance, created=False, raw=False, **kwargs):
    before = instance.__dict__.pop(_BEFORE_ATTR, None)
    if raw:
        return
    if created:
        before = {"is_active": instance.is_active, "is_staff": False, "is_superuser": False}
    if before is None:
        return
    change = _change_of(instance)
    if before["is_active"] and not instance.is_active:
        end_sessions(instance)
    if before["is_active"] != instance.is_active:
        _record_user_change(
            AuditEntry.REACTIVATED if instance.is_active else AuditEntry.DEACTIVATED,
            instance, "deactivated" if not instance.is_active else "reactivated", change,
        )
    granted = [
        f"{label} {_yes_no(getattr(instance, name))}"
        for name, label in (("is_superuser", "superuser"), ("is_staff", "staff (Django admin)"))
        if bool(before[name]) != bool(getattr(instance, name))
    ]
    if granted:
        what = ("created with " if created else "") + ", ".join(granted)
        _record_user_change(AuditEntry.ROLE_CHANGED, instance, what, change)


# The user's many-to-many fields that carry access: field name -> the word in the log.
_ACCESS_M2M = {"groups": "groups", "user_permissions": "permissions"}


def _access_m2m_changed(sender, instance, action, reverse, model, pk_set, field_name, **kwargs):
    User = get_user_model()
    field = User._meta.get_field(field_name)
    if action == "pre_clear":
        # What a clear removes is gone by post_clear: note it now.
        if reverse:  # group.user_set.clear(): the users
            pks = sender.objects.filter(**{field.m2m_reverse_field_name(): instance.pk}) \
                .values_list(field.m2m_field_name(), flat=True)
        else:
            pks = getattr(instance, field_name).values_list("pk", flat=True)
        setattr(instance, _CLEARED_ATTR, set(pks))
        return
    if action == "post_clear":
        pk_set = instance.__dict__.pop(_CLEARED_ATTR, set())
    elif action not in ("post_add", "post_remove"):
        return
    if not pk_set:
        return
    label = _ACCESS_M2M[field_name]
    verb = "added" if action == "post_add" else "removed"
    if reverse:  # instance is the group (or permission); the users are in pk_set
        for user in model._default_manager.filter(pk__in=pk_set).order_by("pk"):
            _record_user_change(AuditEntry.ROLE_CHANGED, user, f"{label}: {instance} {verb}",
                                _change_of(instance))
        return
    names = sorted(str(obj) for obj in model._default_manager.filter(pk__in=pk_set))
    _record_user_change(AuditEntry.ROLE_CHANGED, instance,
                        f"{label}: {', '.join(names)} {verb}", _change_of(instance))


def connect_user_signals() -> None:
    """Connect the user model's signals (from ReviewsConfig.ready(), once the model is known)."""
    User = get_user_model()
    pre_save.connect(_access_before_save, sender=User, dispatch_uid="audit-access-before")
    post_save.connect(_access_saved, sender=User, dispatch_uid="audit-access-saved")
    for name in _ACCESS_M2M:
        through = User._meta.get_field(name).remote_field.through

        def handler(sender, _name=name, **kwargs):
            _access_m2m_changed(sender, field_name=_name, **kwargs)

        m2m_changed.connect(handler, sender=through, weak=False, dispatch_uid=f"audit-access-{name}")
