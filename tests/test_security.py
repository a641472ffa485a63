"""Production settings, security headers and request limits."""

import os
import subprocess
import sys
from pathlib import Path

from django.urls import reverse

from reviews.models import Article

ROOT = Path(__file__).resolve().parent.parent


def test_production_settings_pass_the_deploy_check():
    env = {
        **os.environ,
        "DJANGO_ENV": "production",
        "SECRET_KEY": "x" * 20 + "a-long-random-production-secret-key-0123456789!@#",
        "ALLOWED_HOSTS": "news.example.org",
        "DATABASE_URL": "sqlite:////tmp/newsroom-deploy-check.sqlite3",
    }
    env.pop("DEBUG", None)
    env.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)  # set for the browser tests in this process only
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_production_refuses_to_start_without_a_secret_key():
    env = {**os.environ, "DJANGO_ENV": "production", "ALLOWED_HOSTS": "x.org"}
    env.pop("SECRET_KEY", None)
    env.pop("DEBUG", None)
    result = subprocess.run([sys.executable, "manage.py", "check"], cwd=ROOT, env=env,
                            capture_output=True, text=True, timeout=120)
    assert result.returncode != 0 and "SECRET_KEY" in result.stderr


def test_security_headers_on_login_and_app_pages(client, editor):
    for response in (client.get(reverse("login")),):
        assert "script-src 'self'" in response["Content-Security-Policy"]
        assert "frame-ancestors 'none'" in response["Content-Security-Policy"]
        assert response["X-Content-Type-Options"] == "nosniff"
        assert response["Referrer-Policy"] == "same-origin"
        assert response["Cross-Origin-Opener-Policy"] == "same-origin"
        assert response["X-Frame-Options"] == "DENY"
    client.force_login(editor)
    response = client.get(reverse("reviews:queue"))
    assert "unsafe-inline" not in response["Content-Security-Policy"]


def test_a_50_mb_upload_is_refused_before_it_is_read(client, writer):
    client.force_login(writer)
    response = client.generic(
        "POST", reverse("reviews:article_create"), b"x" * 1024,
        content_type="multipart/form-data; boundary=zzz", CONTENT_LENGTH=str(50 * 1024 * 1024),
    )
    assert response.status_code == 413 and "50.0 MB" in response.content.decode()
    assert not Article.objects.exists()


def test_csrf_is_enforced_on_htmx_posts(editor, article):
    from django.test import Client

    strict = Client(enforce_csrf_checks=True)
    strict.force_login(editor)
    url = reverse("reviews:article_transition", args=[article.pk])
    response = strict.post(url, {"transition": "submit"}, HTTP_HX_REQUEST="true")
    assert response.status_code == 403
    article.refresh_from_db()
    assert article.status == "draft"


def test_writes_and_logins_are_rate_limited(client, editor, article, settings):
    settings.REVIEWS_RATE_LIMIT_WRITES = 3
    client.force_login(editor)
    url = reverse("reviews:article_transition", args=[article.pk])
    codes = [client.post(url, {"transition": t}, HTTP_HX_REQUEST="true").status_code
             for t in ["submit", "withdraw", "submit", "withdraw"]]
    assert codes == [200, 200, 200, 429]
    article.refresh_from_db()
    assert article.status == "in_review"  # the fourth step was not taken

    settings.REVIEWS_RATE_LIMIT_LOGINS = 2
    anonymous = type(client)()
    codes = [anonymous.post(reverse("login"), {"username": f"u{i}", "password": "x"}).status_code
             for i in range(3)]
    assert codes[-1] == 429 and "Too many requests" in anonymous.post(reverse("login"), {}).content.decode()


def test_password_reset_and_change_flows(client, editor, settings):
    import re

    from django.core import mail

    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    editor.email = "eli@example.org"
    editor.save()
    page = client.get(reverse("password_reset"))
    assert page.status_code == 200 and "Reset your password" in page.content.decode()
    client.post(reverse("password_reset"), {"email": "eli@example.org"})
    link = re.search(r"https?://[^/]+(/accounts/reset/\S+)", mail.outbox[0].body).group(1)
    form_page = client.get(link, follow=True)
    assert "Choose a new password" in form_page.content.decode()
    done = client.post(form_page.redirect_chain[-1][0], {"new_password1": "Quiet-harbour-52", "new_password2": "Quiet-harbour-52"}, follow=True)
    assert "Password set" in done.content.decode()
    editor.refresh_from_db()
    assert editor.check_password("Quiet-harbour-52")

    client.force_login(editor)
    response = client.post(reverse("password_change"), {
        "old_password": "Quiet-harbour-52", "new_password1": "Calm-river-73", "new_password2": "Calm-river-73",
    }, follow=True)
    assert "Password changed" in response.content.decode()
    editor.refresh_from_db()
    assert editor.check_password("Calm-river-73")
