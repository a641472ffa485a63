"""The Team page and the audit log."""

import pytest
from django.contrib.auth import get_user_model
from django.core import mail
from django.urls import reverse

from reviews import services, team
from reviews.models import AuditEntry, ImmutableError


@pytest.fixture
def as_admin(client, admin_user):
    client.force_login(admin_user)
    return client


def test_only_admins_see_the_team_and_audit_pages(client, editor, writer):
    for user in (editor, writer):
        client.force_login(user)
        assert client.get(reverse("reviews:team")).status_code == 403
        assert client.get(reverse("reviews:audit")).status_code == 403
        assert client.post(reverse("reviews:team_role", args=[user.pk]), {"role": "Admin"}).status_code == 403
        assert not user.groups.filter(name="Admin").exists()


def test_team_lists_people_with_role_state_and_last_login(as_admin, editor, writer):
    html = as_admin.get(reverse("reviews:team")).content.decode()
    assert "Editor" in html and "Writer" in html and "never" in html


def test_adding_someone_sends_a_set_password_link(as_admin, settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    response = as_admin.post(reverse("reviews:team"), {"name": "Nia Park", "email": "Nia@Example.org", "role": "Editor"})
    assert response.status_code == 302
    user = get_user_model().objects.get(email="nia@example.org")
    assert (user.first_name, user.last_name) == ("Nia", "Park") and team.role_of(user) == "Editor"
    assert len(mail.outbox) == 1 and "/accounts/reset/" in mail.outbox[0].body
    link = next(w for w in mail.outbox[0].body.split() if "/accounts/reset/" in w)
    path = link.split("://", 1)[1].split("/", 1)[1]
    page = as_admin.get("/" + path, follow=True)
    assert "new_password1" in page.content.decode()
    assert AuditEntry.objects.filter(action="user_added").exists()
    duplicate = as_admin.post(reverse("reviews:team"), {"name": "N", "email": "nia@example.org", "role": "Writer"})
    assert "already an account" in duplicate.content.decode()


def test_change_role_and_deactivate_are_recorded(as_admin, writer):
    as_admin.post(reverse("reviews:team_role", args=[writer.pk]), {"role": "Editor"})
    writer.refresh_from_db()
    assert team.role_of(writer) == "Editor"
    as_admin.post(reverse("reviews:team_active", args=[writer.pk]), {"active": "0"})
    writer.refresh_from_db()
    assert not writer.is_active
    as_admin.post(reverse("reviews:team_active", args=[writer.pk]), {"active": "1"})
    writer.refresh_from_db()
    assert writer.is_active
    actions = list(AuditEntry.objects.order_by("id").values_list("action", flat=True))
    assert actions[-3:] == ["role_changed", "deactivated", "reactivated"]


def test_the_last_active_admin_cannot_be_demoted_or_deactivated(as_admin, admin_user):
    response = as_admin.post(reverse("reviews:team_role", args=[admin_user.pk]), {"role": "Writer"}, follow=True)
    assert "last active admin" in response.content.decode()
    response = as_admin.post(reverse("reviews:team_active", args=[admin_user.pk]), {"active": "0"}, follow=True)
    assert "last active admin" in response.content.decode()
    admin_user.refresh_from_db()
    assert admin_user.is_active and team.role_of(admin_user) == "Admin"


def test_a_deactivated_users_work_stays_attributed(article, writer, admin_user):
    team.set_active(admin_user, writer, False)
    article.refresh_from_db()
    assert article.created_by == writer and article.current_revision.author == writer


def test_logins_failures_archive_and_exports_are_audited(client, editor, article):
    client.post(reverse("login"), {"username": "editor", "password": "wrong"})
    client.post(reverse("login"), {"username": "editor", "password": "pw-for-tests-1"})
    services.transition(article, editor, "archive")
    services.transition(article, editor, "restore")
    client.get(reverse("reviews:article_export", args=[article.pk, "csv"]))
    actions = set(AuditEntry.objects.values_list("action", flat=True))
    assert {"login_failed", "login", "archived", "restored", "export"} <= actions


def test_audit_entries_cannot_be_changed_or_deleted(admin_user):
    entry = AuditEntry.objects.create(action="login", actor=admin_user, target="x")
    entry.target = "y"
    with pytest.raises(ImmutableError):
        entry.save()
    with pytest.raises(ImmutableError):
        entry.delete()


def test_audit_page_filters(as_admin, admin_user):
    AuditEntry.objects.create(action="export", actor=admin_user, target="3 article(s)")
    AuditEntry.objects.create(action="role_changed", actor=admin_user, target="user:9 zed")
    html = as_admin.get(reverse("reviews:audit"), {"action": "export"}).content.decode()
    assert "3 article(s)" in html and "user:9 zed" not in html
    html = as_admin.get(reverse("reviews:audit"), {"q": "zed"}).content.decode()
    assert "user:9 zed" in html and "3 article(s)" not in html


def test_repeated_failed_logins_lock_out_with_a_clear_message_and_an_admin_unlocks(client, editor, admin_user, settings):
    settings.AXES_FAILURE_LIMIT = 3
    for _ in range(3):
        client.post(reverse("login"), {"username": "editor", "password": "wrong"})
    response = client.post(reverse("login"), {"username": "editor", "password": "pw-for-tests-1"})
    html = response.content.decode()
    assert response.status_code == 429 and "Too many failed logins" in html and "unlock" in html
    assert AuditEntry.objects.filter(action="lockout").exists()
    assert "editor" in team.locked_usernames()

    admin_client = type(client)()
    admin_client.force_login(admin_user)
    assert "Locked out" in admin_client.get(reverse("reviews:team")).content.decode()
    admin_client.post(reverse("reviews:team_unlock", args=[editor.pk]))
    assert "editor" not in team.locked_usernames()
    response = client.post(reverse("login"), {"username": "editor", "password": "pw-for-tests-1"})
    assert response.status_code == 302
    assert AuditEntry.objects.filter(action="unlock").exists()
