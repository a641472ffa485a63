"""Refuse oversized requests before Django reads their bodies."""

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
