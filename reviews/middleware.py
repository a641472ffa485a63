"""Refuse oversized or too-frequent requests before any view runs.

Every middleware here answers from the request line and headers alone: none of them reads the
body, so a refused request has changed nothing and cost nothing to parse.
"""

import time

from django.conf import settings
from django.core.exceptions import MiddlewareNotUsed
from django.db import OperationalError
from django.http import HttpResponse
from django.template.loader import render_to_string

WRITE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})


def _refusal(request, status: int, title: str, message: str, typed=()) -> HttpResponse:
    """Plain text for HTMX (it lands in the notice area; the form keeps what was typed), a
    page in the app's style otherwise, with typed words shown to copy."""
    if request.headers.get("HX-Request"):
        response = HttpResponse(message, status=status, content_type="text/plain; charset=utf-8")
        response["HX-Reswap"] = "none"
        return response
    html = render_to_string(
        "registration/refused.html",
        {"title": title, "message": message, "typed": typed},
        request=request,
    )
    return HttpResponse(html, status=status)


class ForwardedForMiddleware:
    """Behind TRUSTED_PROXY_COUNT reverse proxies, put the client's address in REMOTE_ADDR.

    Each proxy appends the address it saw to X-Forwarded-For, so the entry TRUSTED_PROXY_COUNT
    places from the right is the one our outermost proxy recorded; anything further left is the
    client's to forge. The audit log, django-axes and the rate limits all read REMOTE_ADDR, so
    all three then see the same, real address. Off (the default, 0): REMOTE_ADDR is untouched.
    """

    def __init__(self, get_response):
        self.count = int(getattr(settings, "TRUSTED_PROXY_COUNT", 0) or 0)
        if self.count <= 0:
            raise MiddlewareNotUsed
        self.get_response = get_response

    def __call__(self, request):
        forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
        hops = [h.strip() for h in forwarded.split(",") if h.strip()]
        if len(hops) >= self.count:
            request.META["REMOTE_ADDR"] = hops[-self.count]
        return self.get_response(request)


class RequestSizeLimitMiddleware:
    """A request whose declared body exceeds REVIEWS_MAX_REQUEST_BYTES gets 413 at once:
    nothing is read, parsed or saved, and the person is told the limit."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0
        limit = settings.REVIEWS_MAX_REQUEST_BYTES
        if length > limit:
            message = (
                f"That request is {length / 1048576:.1f} MB; the most this app accepts in one "
                f"request is {limit / 1048576:.0f} MB. Nothing was saved."
            )
            return _refusal(request, 413, "Too large", message)
        return self.get_response(request)


class RateLimitMiddleware:
    """Fixed-window rate limits (one minute) kept in Django's cache.

    - Anonymous writes (logging in, asking for a password reset, setting a new password) count
      per client address: REVIEWS_RATE_LIMIT_LOGINS a minute.
    - Writes by a signed-in user (POST, PUT, PATCH, DELETE) count per user:
      REVIEWS_RATE_LIMIT_WRITES a minute.

    Over the limit: 429 with Retry-After, and the view never runs. django-axes already locks a
    username after repeated failures from one address; this also slows one address trying many
    usernames, caps reset emails, and caps how fast any account can write.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.method in WRITE_METHODS:
            limited = self._check(request)
            if limited is not None:
                return limited
        return self.get_response(request)

    def _check(self, request):
        from django.core.cache import cache

        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            bucket, who, limit = "write", str(user.pk), settings.REVIEWS_RATE_LIMIT_WRITES
        else:
            bucket, who = "anon", request.META.get("REMOTE_ADDR") or "unknown"
            limit = settings.REVIEWS_RATE_LIMIT_LOGINS
        if limit <= 0:  # 0 turns the limit off
            return None
        now = time.time()
        key = f"rl:{bucket}:{who}:{int(now // 60)}"
        cache.add(key, 0, timeout=70)
        try:
            count = cache.incr(key)
        except ValueError:  # evicted between add and incr
            cache.set(key, 1, timeout=70)
            count = 1
        if count <= limit:
            return None
        wait = 60 - int(now) % 60
        if bucket == "anon":
            message = (
                f"Too many attempts from your address: at most {limit} a minute. "
                f"Wait {wait} seconds and try again."
            )
        else:
            message = (
                f"Too many requests: at most {limit} changes a minute. "
                f"Wait {wait} seconds and try again; nothing was changed."
            )
        response = _refusal(request, 429, "Too many requests", message)
        response["Retry-After"] = str(wait)
        return response


# Form fields that carry what a person typed (the rest are ids, offsets and tokens).
_NOT_TYPED = frozenset({"csrfmiddlewaretoken", "revision", "base_revision", "start", "end",
                        "exact", "prefix", "suffix", "client_key", "next", "transition"})
# PostgreSQL: lock not available, deadlock, serialization failure, statement cancelled
# (lock_timeout or statement_timeout).
_BUSY_SQLSTATES = frozenset({"55P03", "40P01", "40001", "57014"})


def is_busy_database(exc: BaseException) -> bool:
    """Whether a database error means "others hold the lock", not a fault in the request."""
    if not isinstance(exc, OperationalError):
        return False
    cause = exc.__cause__
    if getattr(cause, "sqlstate", None) in _BUSY_SQLSTATES:
        return True
    text = str(exc).lower()
    return "is locked" in text  # SQLite: database, table or schema is locked


class BusyDatabaseMiddleware:
    """A request that loses a race for the database lock, or that a service gives up on
    because others keep changing the story (services.Busy), gets 503 with Retry-After and
    every word the person typed handed back: never a 500 that drops them. Nothing was saved:
    the transaction that failed rolled back whole."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        from .services import Busy

        if not (isinstance(exception, Busy) or is_busy_database(exception)):
            return None
        message = str(exception) if isinstance(exception, Busy) else (
            "The database was busy with other changes and this one could not wait any longer. "
            "Nothing was saved. Try again in a moment."
        )
        typed = []
        if request.method in WRITE_METHODS:
            try:
                typed = [(name, value) for name, value in request.POST.items()
                         if name not in _NOT_TYPED and value.strip()]
            except Exception:  # an unreadable body: there is nothing to hand back
                typed = []
        if typed and not request.headers.get("HX-Request"):
            message += " What you typed is below: copy it before you leave this page."
        response = _refusal(request, 503, "Busy: not saved", message, typed)
        response["Retry-After"] = "5"
        return response
