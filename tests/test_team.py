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


def test_an_admin_made_on_the_team_page_can_open_django_admin_and_loses_it_when_demoted(
    as_admin, editor, client
):
    as_admin.post(reverse("reviews:team_role", args=[editor.pk]), {"role": "Admin"})
    editor.refresh_from_db()
    assert editor.is_staff and editor.is_superuser
    other = type(client)()
    other.force_login(editor)
    assert other.get("/admin/").status_code == 200
    as_admin.post(reverse("reviews:team_role", args=[editor.pk]), {"role": "Editor"})
    editor.refresh_from_db()
    assert not editor.is_staff and not editor.is_superuser
    assert other.get("/admin/").status_code == 302


def test_a_lockout_ends_with_its_cool_off_and_with_reactivation(client, editor, admin_user, settings):
    from datetime import timedelta

    from axes.models import AccessAttempt
    from django.utils import timezone

    settings.AXES_FAILURE_LIMIT = 3
    for _ in range(3):
        client.post(reverse("login"), {"username": "editor", "password": "wrong"})
    assert "editor" in team.locked_usernames()
    AccessAttempt.objects.filter(username="editor").update(
        attempt_time=timezone.now() - settings.AXES_COOLOFF_TIME - timedelta(minutes=1)
    )
    assert "editor" not in team.locked_usernames()  # the Team page no longer says locked
    AccessAttempt.objects.filter(username="editor").update(attempt_time=timezone.now())
    team.set_active(admin_user, editor, False)
    team.set_active(admin_user, editor, True)
    assert "editor" not in team.locked_usernames()
    response = client.post(reverse("login"), {"username": "editor", "password": "pw-for-tests-1"})
    assert response.status_code == 302


def test_password_changes_and_resets_are_audited(client, editor):
    from django.contrib.auth.tokens import default_token_generator
    from django.utils.encoding import force_bytes
    from django.utils.http import urlsafe_base64_encode

    client.force_login(editor)
    response = client.post(reverse("password_change"), {
        "old_password": "pw-for-tests-1", "new_password1": "A-new-long-passphrase-9",
        "new_password2": "A-new-long-passphrase-9",
    })
    assert response.status_code == 302
    entry = AuditEntry.objects.get(action="password_changed")
    assert entry.actor == editor and entry.target.endswith("editor")

    anonymous = type(client)()
    uid = urlsafe_base64_encode(force_bytes(editor.pk))
    editor.refresh_from_db()
    token = default_token_generator.make_token(editor)
    page = anonymous.get(reverse("password_reset_confirm", args=[uid, token]), follow=True)
    set_url = page.redirect_chain[-1][0]
    done = anonymous.post(set_url, {"new_password1": "Another-long-passphrase-7",
                                    "new_password2": "Another-long-passphrase-7"})
    assert done.status_code == 302
    assert AuditEntry.objects.filter(action="password_reset", actor=editor).exists()


def test_archiving_and_bulk_exports_record_where_they_came_from(client, editor, article, settings, tmp_path):
    settings.EXPORT_ROOT = tmp_path
    client.force_login(editor)
    client.post(reverse("reviews:article_transition", args=[article.pk]),
                {"transition": "archive", "revision": article.current_revision_id},
                REMOTE_ADDR="203.0.113.7")
    archived = AuditEntry.objects.get(action="archived")
    assert archived.ip_address == "203.0.113.7"
    client.post(reverse("reviews:bulk_export"), {"format": "csv", "ids": [article.pk]},
                REMOTE_ADDR="203.0.113.8")
    bulk = AuditEntry.objects.filter(action="export").latest("id")
    assert bulk.detail == "csv via bulk" and bulk.ip_address == "203.0.113.8"


def test_the_audit_log_finds_people_by_the_name_it_shows(as_admin, editor, writer):
    editor.last_name = "Marsh"
    editor.save()
    AuditEntry.objects.create(action="export", actor=editor, target="1 article(s): 4")
    AuditEntry.objects.create(action="export", actor=writer, target="1 article(s): 5")
    html = as_admin.get(reverse("reviews:audit"), {"q": "Editor Marsh"}).content.decode()
    assert "1 article(s): 4" in html and "1 article(s): 5" not in html
