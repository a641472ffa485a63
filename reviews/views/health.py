"""The smallest page the app serves.

`GET /health/` answers "ok" as plain text. It sits behind the login like every other page
(LoginRequiredMiddleware: anonymous requests are sent to the login page), so it passes through
the whole middleware stack and costs exactly the session and user lookup: `make bench` uses it
as the "minimal Django view" that the review page's requests per second are compared against.
"""

from django.http import HttpResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET


@require_GET
@never_cache
def health(request):
    return HttpResponse("ok\n", content_type="text/plain; charset=utf-8")
