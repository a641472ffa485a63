"""Refuse oversized or too-frequent requests before any view runs.

Every middleware here answers from the request line and headers alone: none of them reads the
body, so a refused request has changed nothing and cost nothing to parse.
"""

import time

from django.conf import settings
from django.core.exceptions import MiddlewareNotUsed
from django.http import HttpResponse
from django.template.loader import render_to_string

WRITE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})


def _refusal(request, status: int, title: str, message: str) -> HttpResponse:
    """Plain text for HTMX (it lands in the notice area), a page in the app's style otherwise."""
    if request.headers.get("HX-Request"):
        return HttpResponse(message, status=status, content_type="text/plain; charset=utf-8")
    html = render_to_string(
        "registration/refused.html", {"title": title, "message": message}, request=request
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
