"""Writing the audit log: one call per security-relevant event, and the login signals."""

from __future__ import annotations

from django.contrib.auth import views as auth_views
from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.dispatch import receiver

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
