"""Refuse oversized or too-frequent requests before any view runs."""

import time

from django.conf import settings
from django.http import HttpResponse
from django.template.loader import render_to_string


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
                f"That upload is {length / 1048576:.1f} MB; the most this app accepts in one "
                f"request is {limit / 1048576:.0f} MB. Nothing was saved."
            )
            if request.headers.get("HX-Request"):
                return HttpResponse(message, status=413, content_type="text/plain; charset=utf-8")
            html = render_to_string("reviews/refused.html", {"message": message}, request=None)
            return HttpResponse(html, status=413)
        return self.get_response(request)


class RateLimitMiddleware:
    """Fixed-window rate limits on Django's cache: login attempts per address, and writes
    (POST, PUT, PATCH, DELETE) per signed-in user. Over the limit: 429 and nothing done.

    django-axes already locks a username after repeated failures; this also slows one
    address trying many usernames, and caps how fast any account can write.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.method in ("POST", "PUT", "PATCH", "DELETE"):
            limited = self._check(request)
            if limited:
                return limited
        return self.get_response(request)

    def _check(self, request):
        from django.core.cache import cache
        from django.urls import reverse

        if request.path == reverse("login"):
            key, limit = f"rl:login:{request.META.get('REMOTE_ADDR', '')}", settings.REVIEWS_RATE_LIMIT_LOGINS
        elif getattr(request, "user", None) is not None and request.user.is_authenticated:
            key, limit = f"rl:write:{request.user.pk}", settings.REVIEWS_RATE_LIMIT_WRITES
        else:
            return None
        window = int(time.time() // 60)
        key = f"{key}:{window}"
        cache.add(key, 0, timeout=70)
        try:
            count = cache.incr(key)
        except ValueError:  # evicted between add and incr
            cache.set(key, 1, timeout=70)
            count = 1
        if count <= limit:
            return None
        message = "Too many requests in a minute. Wait a moment and try again; nothing was changed."
        if request.headers.get("HX-Request"):
            response = HttpResponse(message, status=429, content_type="text/plain; charset=utf-8")
        else:
            response = HttpResponse(
                render_to_string("reviews/refused.html", {"message": message}), status=429
            )
        response["Retry-After"] = str(60 - int(time.time()) % 60)
        return response
