"""Every response varies on HX-Request; an HTMX request after the login ended goes to the
login page instead of swapping it into the page."""

from django.urls import reverse


def test_pages_and_fragments_are_cached_apart(client, editor):
    client.force_login(editor)
    for headers in ({}, {"HX-Request": "true"}):
        response = client.get(reverse("reviews:queue"), {"q": "harbour"}, headers=headers)
        assert response.status_code == 200
        assert "HX-Request" in response["Vary"]


def test_an_htmx_request_after_logout_is_sent_to_the_login_page_and_back(client, article):
    url = reverse("reviews:reply_create", args=[article.pk, 1])
    story = f"http://testserver/articles/{article.pk}/"
    response = client.post(
        url, {"body": "Yes."}, headers={"HX-Request": "true", "HX-Current-URL": story}
    )
    assert response.status_code == 204
    assert response["HX-Redirect"] == f"/accounts/login/?next=%2Farticles%2F{article.pk}%2F"
    assert response.content == b""


def test_a_plain_request_after_logout_still_gets_the_ordinary_redirect(client, article):
    response = client.get(article.get_absolute_url())
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/?next=")


def test_pages_are_never_kept_by_the_browser_so_back_shows_the_story_as_it_is(client, article, editor):
    client.force_login(editor)
    page = client.get(article.get_absolute_url())
    assert "no-store" in page["Cache-Control"] and "private" in page["Cache-Control"]
    fragment = client.get("/", {"q": "bus"}, HTTP_HX_REQUEST="true")
    assert "no-store" in fragment["Cache-Control"]
    login_page = type(client)().get("/accounts/login/")
    assert "no-store" in login_page["Cache-Control"]
