"""Pages stay whole when a record names nobody: a failed login has no user, and a story
imported from the command line without --user has no author."""

from django.urls import reverse

from reviews import audit, services


def test_the_audit_log_shows_entries_without_a_person(client, admin_user):
    audit.record("login_failed", target="user:writer", detail="wrong password")
    client.force_login(admin_user)
    for params in ({}, {"action": "login_failed"}, {"q": "writer"}):
        response = client.get(reverse("reviews:audit"), params)
        assert response.status_code == 200
        assert "wrong password" in response.content.decode()


def test_a_story_without_an_author_shows_its_page_history_and_compare(client, editor):
    article = services.create_article(None, title="Wire copy", text="The ferry sailed late.")
    services.revise(article, editor, "The ferry sailed on time.", article.current_revision_id)
    client.force_login(editor)
    page = client.get(article.get_absolute_url())
    assert page.status_code == 200
    assert "Wire copy" in page.content.decode()
    compare = client.get(reverse("reviews:compare", args=[article.pk]), {"a": 1, "b": 2})
    assert compare.status_code == 200
    assert "Unknown" in compare.content.decode()
