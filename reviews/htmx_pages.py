"""Three things every page and HTMX response needs, whatever the view.

- ``Vary: HX-Request``. A URL such as ``/?q=harbour`` answers an HTMX request with the
  results fragment and a plain request with the whole page. Without the header the browser
  caches the fragment under the URL that htmx pushed into the history, and Back (from a
  story to the queue) shows that bare fragment instead of the page.
- A login that has ended. LoginRequiredMiddleware redirects to the login page; an HTMX
  request would follow the redirect and swap the whole login page into the story. Instead
  the browser is sent to the login page (``HX-Redirect``), which then returns to the page
  the person was on.
- ``Cache-Control: no-store`` on HTML. A story page changes in place (approve, archive,
  accept a suggestion); without it Back to that page showed the browser's old copy, whose
  buttons offer steps that no longer apply. Every page is private and current, so none is
  kept; static files (WhiteNoise, before this) keep their long cache.
"""

from urllib.parse import urlencode, urlsplit

from django.conf import settings
from django.http import HttpResponse
from django.shortcuts import resolve_url
from django.utils.cache import add_never_cache_headers, patch_vary_headers


class HtmxPageMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        patch_vary_headers(response, ("HX-Request",))
        if response.get("Content-Type", "").startswith("text/html") and not response.has_header(
            "Cache-Control"
        ):
            add_never_cache_headers(response)
        if request.headers.get("HX-Request") and self._to_login(response):
            current = urlsplit(request.headers.get("HX-Current-URL", ""))
            back_to = current.path + (f"?{current.query}" if current.query else "") or "/"
            login = resolve_url(settings.LOGIN_URL) + "?" + urlencode({"next": back_to})
            redirect = HttpResponse(status=204)
            redirect["HX-Redirect"] = login
            patch_vary_headers(redirect, ("HX-Request",))
            return redirect
        return response

    @staticmethod
    def _to_login(response) -> bool:
        if response.status_code not in (301, 302, 303, 307, 308):
            return False
        target = urlsplit(response.get("Location", "")).path
        return target == resolve_url(settings.LOGIN_URL)
