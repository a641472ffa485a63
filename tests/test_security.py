"""Production settings, security headers, login lockout, rate and size limits, password flows.

The suite runs with development settings; production settings are checked in a subprocess
with DJANGO_ENV=production.
"""

import json
import os
import re
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest
from django.core import mail
from django.test import Client, RequestFactory
from django.urls import reverse
from django.utils import timezone

from reviews.middleware import ForwardedForMiddleware, RequestSizeLimitMiddleware
from reviews.models import Article

ROOT = Path(__file__).resolve().parent.parent
PASSWORD = "pw-for-tests-1"

PRODUCTION_ENV = {
    "DJANGO_ENV": "production",
    "SECRET_KEY": "kq3-Zp8#vT1w!rYb6Lm0xNc9@Hs4Ue2$Ja7Gd5^Of8Qi1&We3*Rt6(Yu9)Po2",
    "ALLOWED_HOSTS": "news.example.org",
    "CSRF_TRUSTED_ORIGINS": "https://news.example.org",
    "DATABASE_URL": "sqlite:////tmp/newsroom-deploy-check.sqlite3",
    "EMAIL_HOST": "smtp.example.org",
    "EMAIL_PORT": "587",
    "EMAIL_HOST_USER": "newsroom",
    "EMAIL_HOST_PASSWORD": "smtp-secret",
    "DEFAULT_FROM_EMAIL": "Newsroom Review <review@example.org>",
}


def _run(args, env_extra, drop=()):
    env = {**os.environ, **env_extra}
    # The browser tests set this for their own process only; DEBUG would override production.
    for name in ("DEBUG", "DJANGO_ALLOW_ASYNC_UNSAFE", *drop):
        env.pop(name, None)
    return subprocess.run(
        [sys.executable, *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )


_PRINT_SETTINGS = """
import json, django
django.setup()
from django.conf import settings as s
print(json.dumps({name: getattr(s, name, None) if not isinstance(getattr(s, name, None), tuple)
                  else list(getattr(s, name)) for name in [
    "DEBUG", "SESSION_COOKIE_SECURE", "CSRF_COOKIE_SECURE", "SECURE_SSL_REDIRECT",
    "SECURE_HSTS_SECONDS", "SECURE_HSTS_INCLUDE_SUBDOMAINS", "SECURE_HSTS_PRELOAD",
    "SECURE_PROXY_SSL_HEADER", "CSRF_TRUSTED_ORIGINS", "ALLOWED_HOSTS", "EMAIL_BACKEND",
    "EMAIL_HOST", "EMAIL_PORT", "EMAIL_HOST_USER", "EMAIL_HOST_PASSWORD", "EMAIL_USE_TLS",
    "DEFAULT_FROM_EMAIL", "TRUSTED_PROXY_COUNT"]}))
"""


def _settings_in(env_extra, drop=()):
    env_extra = {"DJANGO_SETTINGS_MODULE": "newsroom.settings", **env_extra}
    result = _run(["-c", _PRINT_SETTINGS], env_extra, drop)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


# --- production settings ---------------------------------------------------------------


def test_production_settings_pass_the_deploy_check():
    result = _run(["manage.py", "check", "--deploy", "--fail-level", "WARNING"], PRODUCTION_ENV)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_production_settings_turn_on_https_and_smtp():
    s = _settings_in({**PRODUCTION_ENV, "BEHIND_HTTPS_PROXY": "1", "TRUSTED_PROXY_COUNT": "1"})
    assert s["DEBUG"] is False
    assert s["SESSION_COOKIE_SECURE"] and s["CSRF_COOKIE_SECURE"] and s["SECURE_SSL_REDIRECT"]
    assert s["SECURE_HSTS_SECONDS"] == 31_536_000
    assert s["SECURE_HSTS_INCLUDE_SUBDOMAINS"] and s["SECURE_HSTS_PRELOAD"]
    assert s["SECURE_PROXY_SSL_HEADER"] == ["HTTP_X_FORWARDED_PROTO", "https"]
    assert s["CSRF_TRUSTED_ORIGINS"] == ["https://news.example.org"]
    assert s["ALLOWED_HOSTS"] == ["news.example.org"]
    assert s["EMAIL_BACKEND"] == "django.core.mail.backends.smtp.EmailBackend"
    assert (s["EMAIL_HOST"], s["EMAIL_PORT"], s["EMAIL_HOST_USER"]) == ("smtp.example.org", 587, "newsroom")
    assert s["EMAIL_HOST_PASSWORD"] == "smtp-secret" and s["EMAIL_USE_TLS"] is True
    assert s["DEFAULT_FROM_EMAIL"] == "Newsroom Review <review@example.org>"
    assert s["TRUSTED_PROXY_COUNT"] == 1


def test_production_https_policy_is_configurable():
    s = _settings_in({**PRODUCTION_ENV, "SECURE_SSL_REDIRECT": "0", "SECURE_HSTS_SECONDS": "600",
                      "SECURE_HSTS_INCLUDE_SUBDOMAINS": "0", "SECURE_HSTS_PRELOAD": "false"})
    assert s["SECURE_SSL_REDIRECT"] is False and s["SECURE_HSTS_SECONDS"] == 600
    assert not s["SECURE_HSTS_INCLUDE_SUBDOMAINS"] and not s["SECURE_HSTS_PRELOAD"]
    assert s["SECURE_PROXY_SSL_HEADER"] is None  # only when BEHIND_HTTPS_PROXY says so


def test_development_settings_print_mail_to_the_console():
    s = _settings_in({}, drop=("DJANGO_ENV", "SECRET_KEY", "ALLOWED_HOSTS"))
    assert s["DEBUG"] is True and not s["SESSION_COOKIE_SECURE"] and not s["SECURE_SSL_REDIRECT"]
    assert s["EMAIL_BACKEND"] == "django.core.mail.backends.console.EmailBackend"


def test_production_refuses_to_start_without_a_secret_key():
    result = _run(["manage.py", "check"], {**PRODUCTION_ENV, "SECRET_KEY": ""})
    assert result.returncode != 0 and "SECRET_KEY" in result.stderr
    # Even with DEBUG forced on, production never falls back to the development key.
    result = _run(["manage.py", "check"], {**PRODUCTION_ENV, "SECRET_KEY": "", "DEBUG": "1"})
    assert result.returncode != 0 and "SECRET_KEY" in result.stderr


def test_production_refuses_to_start_without_allowed_hosts():
    result = _run(["manage.py", "check"], {**PRODUCTION_ENV, "ALLOWED_HOSTS": ""})
    assert result.returncode != 0 and "ALLOWED_HOSTS" in result.stderr


# --- headers ---------------------------------------------------------------------------


def _assert_security_headers(response):
    csp = response["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "frame-ancestors 'none'" in csp
    assert "unsafe-inline" not in csp and "unsafe-eval" not in csp
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"
    assert response["Cross-Origin-Opener-Policy"] == "same-origin"
    assert response["X-Frame-Options"] == "DENY"


def test_security_headers_on_login_and_app_pages(client, editor, article):
    login_page = client.get(reverse("login"))
    assert login_page.status_code == 200
    _assert_security_headers(login_page)
    client.force_login(editor)
    for url in (reverse("reviews:queue"), reverse("reviews:article", args=[article.pk]),
                reverse("password_change")):
        response = client.get(url)
        assert response.status_code == 200, url
        _assert_security_headers(response)


def test_pages_carry_no_inline_script_or_style(client, editor):
    pages = [client.get(reverse(name)) for name in ("login", "password_reset")]
    client.force_login(editor)
    pages.append(client.get(reverse("password_change")))
    for response in pages:
        html = response.content.decode()
        assert " style=" not in html and "<style" not in html
        assert all("src=" in tag for tag in re.findall(r"<script[^>]*>", html))
        assert not re.search(r"\son[a-z]+=", html)


# --- request size ------------------------------------------------------------------------


def test_a_50_mb_upload_is_refused_before_it_is_read(client, writer):
    client.force_login(writer)
    url = reverse("reviews:article_create")
    response = client.generic(
        "POST", url, b"x" * 1024,
        content_type="multipart/form-data; boundary=zzz", CONTENT_LENGTH=str(50 * 1024 * 1024),
    )
    html = response.content.decode()
    assert response.status_code == 413
    assert "50.0 MB" in html and "10 MB" in html and "Nothing was saved" in html
    _assert_security_headers(response)  # the refusal is still a page of this app
    htmx = client.generic("POST", url, b"x", content_type="text/plain",
                          CONTENT_LENGTH=str(50 * 1024 * 1024), HTTP_HX_REQUEST="true")
    assert htmx.status_code == 413 and htmx["Content-Type"].startswith("text/plain")
    assert "Nothing was saved" in htmx.content.decode()
    assert not Article.objects.exists()


def test_the_size_limit_never_reads_the_body(settings):
    settings.REVIEWS_MAX_REQUEST_BYTES = 1000

    class Untouchable:
        def read(self, *args):
            raise AssertionError("the body was read")

        readline = read

    request = RequestFactory().post("/articles/new/", data=b"", content_type="text/plain")
    request.META.update({"wsgi.input": Untouchable(), "CONTENT_LENGTH": "1001"})
    request._stream = Untouchable()
    response = RequestSizeLimitMiddleware(lambda r: pytest.fail("the view ran"))(request)
    assert response.status_code == 413
    request.META["CONTENT_LENGTH"] = "1000"
    assert RequestSizeLimitMiddleware(lambda r: "passed")(request) == "passed"


# --- CSRF --------------------------------------------------------------------------------


def test_csrf_is_enforced_on_htmx_posts(editor, article):
    strict = Client(enforce_csrf_checks=True)
    strict.force_login(editor)
    url = reverse("reviews:article_transition", args=[article.pk])
    response = strict.post(url, {"transition": "submit", "revision": article.current_revision_id},
                           HTTP_HX_REQUEST="true")
    assert response.status_code == 403
    article.refresh_from_db()
    assert article.status == "draft"


# --- rate limits -------------------------------------------------------------------------


def test_writes_are_rate_limited_per_user(client, editor, writer, article, settings):
    settings.REVIEWS_RATE_LIMIT_WRITES = 3
    client.force_login(editor)
    url = reverse("reviews:article_transition", args=[article.pk])
    seen = article.current_revision_id
    responses = [client.post(url, {"transition": t, "revision": seen}, HTTP_HX_REQUEST="true")
                 for t in ["submit", "withdraw", "submit", "withdraw"]]
    assert [r.status_code for r in responses] == [200, 200, 200, 429]
    refused = responses[-1]
    assert refused["Content-Type"].startswith("text/plain")
    assert "Too many requests" in refused.content.decode() and 0 < int(refused["Retry-After"]) <= 60
    article.refresh_from_db()
    assert article.status == "in_review"  # the fourth step was not taken

    page = client.post(url, {"transition": "withdraw", "revision": seen})  # not HTMX: a page in the app's style
    assert page.status_code == 429 and "<main" in page.content.decode()
    assert "Too many requests" in page.content.decode()
    assert client.get(reverse("reviews:queue")).status_code == 200  # reading is not limited

    other = Client()
    other.force_login(writer)  # the limit is per user
    assert other.post(url, {"transition": "withdraw", "revision": seen},
                      HTTP_HX_REQUEST="true").status_code != 429


def test_logins_and_reset_requests_are_rate_limited_per_address(client, settings, db):
    settings.REVIEWS_RATE_LIMIT_LOGINS = 2
    login = reverse("login")
    codes = [client.post(login, {"username": f"u{i}", "password": "x"}).status_code for i in range(3)]
    assert codes == [200, 200, 429]
    html = client.post(reverse("password_reset"), {"email": "a@example.org"}).content.decode()
    assert "Too many attempts from your address" in html and "Back to the login page" in html
    # Another address is counted on its own.
    assert client.post(login, {"username": "u9", "password": "x"},
                       REMOTE_ADDR="10.9.9.9").status_code == 200


def test_behind_a_trusted_proxy_the_forwarded_address_counts(settings, db):
    settings.TRUSTED_PROXY_COUNT = 1
    settings.REVIEWS_RATE_LIMIT_LOGINS = 1
    client = Client()
    login = reverse("login")

    def post(forwarded):
        return client.post(login, {"username": "x", "password": "x"},
                           REMOTE_ADDR="10.0.0.1", HTTP_X_FORWARDED_FOR=forwarded).status_code

    assert post("198.51.100.7") == 200
    assert post("198.51.100.7") == 429
    # A forged left-most entry changes nothing: the proxy's own entry is the right-most one.
    assert post("203.0.113.1, 198.51.100.7") == 429
    assert post("198.51.100.8") == 200


def test_forwarded_for_is_ignored_unless_a_proxy_is_trusted(settings):
    from django.core.exceptions import MiddlewareNotUsed

    settings.TRUSTED_PROXY_COUNT = 0
    with pytest.raises(MiddlewareNotUsed):
        ForwardedForMiddleware(lambda r: r)
    settings.TRUSTED_PROXY_COUNT = 2
    request = RequestFactory().get("/", REMOTE_ADDR="10.0.0.1",
                                   HTTP_X_FORWARDED_FOR="1.1.1.1, 2.2.2.2, 10.0.0.5")
    assert ForwardedForMiddleware(lambda r: r)(request).META["REMOTE_ADDR"] == "2.2.2.2"


# --- django-axes lockout -----------------------------------------------------------------


def _fail(client, username="editor", **extra):
    return client.post(reverse("login"), {"username": username, "password": "wrong"}, **extra)


def _log_in(client, username="editor", **extra):
    return client.post(reverse("login"), {"username": username, "password": PASSWORD}, **extra)


def test_five_failed_logins_lock_the_account_with_a_clear_message(client, editor):
    for _ in range(4):
        assert _fail(client).status_code == 200
    locked = _fail(client)
    html = locked.content.decode()
    assert locked.status_code == 429
    assert "Too many failed logins" in html and "After 5 failed login attempts" in html
    assert "locked from here for 15 minutes" in html and "An admin can unlock it" in html
    assert "login-box" in html
    _assert_security_headers(locked)
    # The right password does not get through while the lock lasts.
    assert _log_in(client).status_code == 429


def test_the_lock_is_per_username_and_address(client, editor, writer):
    for _ in range(5):
        _fail(client)
    assert _log_in(client).status_code == 429
    assert _log_in(Client(), REMOTE_ADDR="10.1.2.3").status_code == 302  # same user, elsewhere
    assert _log_in(Client(), username="writer").status_code == 302  # same address, other user


def test_the_lock_ends_after_the_cool_off(client, editor):
    from axes.models import AccessAttempt

    for _ in range(5):
        _fail(client)
    assert _log_in(client).status_code == 429
    AccessAttempt.objects.update(attempt_time=timezone.now() - timedelta(minutes=16))
    assert _log_in(client).status_code == 302


def test_the_cool_off_is_configurable(client, editor, settings):
    settings.AXES_FAILURE_LIMIT = 2
    settings.AXES_COOLOFF_TIME = timedelta(minutes=30)
    _fail(client)
    html = _fail(client).content.decode()
    assert "After 2 failed login attempts" in html and "for 30 minutes" in html


def test_an_admin_unlocks_with_axes_reset(client, editor):
    from axes.utils import reset

    for _ in range(5):
        _fail(client)
    assert _log_in(client).status_code == 429
    assert reset(username="editor") >= 1
    assert _log_in(client).status_code == 302


def test_client_login_needs_axes_off_or_a_request(client, editor, settings):
    # axes refuses authenticate() without a request; Client.force_login never authenticates.
    from django.http import HttpRequest

    with pytest.raises(ValueError):
        client.login(username="editor", password=PASSWORD)
    request = HttpRequest()
    request.META["REMOTE_ADDR"] = "127.0.0.1"
    assert client.login(request=request, username="editor", password=PASSWORD)
    settings.AXES_ENABLED = False
    assert Client().login(username="editor", password=PASSWORD)


# --- password reset and change -----------------------------------------------------------


def test_login_page_links_to_password_reset_and_top_bar_to_change(client, editor):
    html = client.get(reverse("login")).content.decode()
    assert f'href="{reverse("password_reset")}"' in html and "Forgot your password?" in html
    client.force_login(editor)
    html = client.get(reverse("reviews:queue")).content.decode()
    assert f'href="{reverse("password_change")}"' in html and "Change password" in html


def test_password_reset_sends_a_working_link(client, editor, settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    editor.email = "eli@example.org"
    editor.save()
    page = client.get(reverse("password_reset"))
    assert page.status_code == 200 and "Reset your password" in page.content.decode()
    done = client.post(reverse("password_reset"), {"email": "eli@example.org"}, follow=True)
    assert "Check your email" in done.content.decode()
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["eli@example.org"] and message.subject == "Reset your Newsroom Review password"
    assert "editor" in message.body and "&amp;" not in message.body
    link = re.search(r"https?://[^/]+(/accounts/reset/\S+)", message.body).group(1)

    form_page = client.get(link, follow=True)
    assert "Choose a new password" in form_page.content.decode()
    set_url = form_page.redirect_chain[-1][0]
    weak = client.post(set_url, {"new_password1": "12345678", "new_password2": "12345678"})
    assert weak.status_code == 200 and "field-error" in weak.content.decode()
    done = client.post(set_url, {"new_password1": "Quiet-harbour-52", "new_password2": "Quiet-harbour-52"}, follow=True)
    assert "Password set" in done.content.decode()
    editor.refresh_from_db()
    assert editor.check_password("Quiet-harbour-52")
    # The link works once.
    again = client.get(link, follow=True).content.decode()
    assert "expired or was already used" in again


def test_password_reset_for_an_unknown_address_says_the_same_and_sends_nothing(client, settings, db):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    done = client.post(reverse("password_reset"), {"email": "nobody@example.org"}, follow=True)
    assert "Check your email" in done.content.decode() and mail.outbox == []


def test_password_change(client, editor):
    assert client.get(reverse("password_change")).status_code == 302  # log in first
    client.force_login(editor)
    page = client.get(reverse("password_change")).content.decode()
    assert "Change your password" in page and "login-box" in page
    wrong = client.post(reverse("password_change"), {
        "old_password": "not-it", "new_password1": "Calm-river-73", "new_password2": "Calm-river-73",
    })
    assert wrong.status_code == 200 and "field-error" in wrong.content.decode()
    response = client.post(reverse("password_change"), {
        "old_password": PASSWORD, "new_password1": "Calm-river-73", "new_password2": "Calm-river-73",
    }, follow=True)
    assert "Password changed" in response.content.decode()
    editor.refresh_from_db()
    assert editor.check_password("Calm-river-73")
    # Still logged in: the session hash was updated.
    assert client.get(reverse("reviews:queue")).status_code == 200
