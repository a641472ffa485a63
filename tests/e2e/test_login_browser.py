"""Logging in, locking out, resetting and changing a password in real Chromium.

The page fixture fails a test on any console error, so each page here also proves that the
strict Content-Security-Policy lets nothing through that it should not (no inline code).
"""

import re

from django.core import mail
from playwright.sync_api import expect

from .conftest import PASSWORD


def _submit_login(page, username, password):
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Log in").click()


def test_forgotten_password_is_reset_from_the_login_page(page, editor, settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    editor.email = "eli@example.org"
    editor.save()
    page.goto("/accounts/login/")
    page.get_by_role("link", name="Forgot your password?").click()
    expect(page.get_by_role("heading", name="Reset your password")).to_be_visible()
    page.get_by_label("Email").fill("eli@example.org")
    page.get_by_role("button", name="Send the link").click()
    expect(page.get_by_role("heading", name="Check your email")).to_be_visible()

    assert len(mail.outbox) == 1
    link = re.search(r"https?://\S+/accounts/reset/\S+", mail.outbox[0].body).group(0)
    page.goto(link)
    expect(page.get_by_role("heading", name="Choose a new password")).to_be_visible()
    page.get_by_label("New password", exact=True).fill("Quiet-harbour-52")
    page.get_by_label("New password confirmation").fill("Quiet-harbour-52")
    page.get_by_role("button", name="Set password").click()
    expect(page.get_by_role("heading", name="Password set")).to_be_visible()

    page.get_by_role("link", name="Log in").click()
    _submit_login(page, "editor", "Quiet-harbour-52")
    expect(page.get_by_role("link", name="Review queue")).to_be_visible()


def test_password_is_changed_from_the_top_bar(page, login, editor):
    login("editor")
    page.get_by_role("link", name="Change password").click()
    expect(page.get_by_role("heading", name="Change your password")).to_be_visible()
    page.get_by_label("Old password").fill(PASSWORD)
    page.get_by_label("New password", exact=True).fill("Calm-river-73")
    page.get_by_label("New password confirmation").fill("Calm-river-73")
    page.get_by_role("button", name="Change password").click()
    expect(page.get_by_role("heading", name="Password changed")).to_be_visible()
    editor.refresh_from_db()
    assert editor.check_password("Calm-river-73")


def test_repeated_wrong_passwords_show_the_lockout_message(page, editor, expected_console):
    expected_console.append("status of 429")  # Chrome logs the locked-out response
    page.goto("/accounts/login/")
    for _ in range(4):
        _submit_login(page, "editor", "wrong-password")
        expect(page.get_by_role("alert")).to_contain_text("enter a correct username and password")
    _submit_login(page, "editor", "wrong-password")
    expect(page.get_by_role("heading", name="Too many failed logins")).to_be_visible()
    expect(page.get_by_role("alert")).to_contain_text("locked from here for 15 minutes")
    expect(page.get_by_text("An admin can unlock it")).to_be_visible()

    page.get_by_role("link", name="Back to the login page").click()
    _submit_login(page, "editor", PASSWORD)  # the right password waits too
    expect(page.get_by_role("heading", name="Too many failed logins")).to_be_visible()
