"""Every URL pattern, for every kind of user: the server itself says yes or no.

A new URL without an entry in ROUTES fails test_every_url_pattern_has_an_entry, so nobody can
add a screen or an HTMX endpoint without deciding who may use it.
"""

import pytest
from django.contrib.auth.models import Group
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from reviews import services
from reviews.models import Flag, Job, LexiconTerm

from .conftest import STORY, selection

USERS = ["anonymous", "writer", "editor", "admin", "deactivated"]
LOGIN = "login"  # expected: redirected to the login page


def _walk(patterns, prefix=""):
    for p in patterns:
        if isinstance(p, URLResolver):
            ns = f"{prefix}{p.namespace}:" if p.namespace else prefix
            if p.namespace == "admin":
                yield "admin:*"
                continue
            yield from _walk(p.url_patterns, ns)
        elif isinstance(p, URLPattern) and p.name:
            yield prefix + p.name


def all_route_names():
    return sorted(set(_walk(get_resolver().url_patterns)))


@pytest.fixture
def world(db, writer, editor, admin_user, inactive_editor, make_article):
    LexiconTerm.objects.get_or_create(
        phrase="slam", defaults={"category": "loaded_verb", "severity": "warn",
                                 "rationale": "Loaded.", "alternatives": ["criticise"]},
    )
    article = make_article(text=STORY, by=writer)  # a draft by the writer
    note = services.add_annotation(article, editor, category="comment", body="Check.",
                                   **selection(article, "7-4"))
    flag = Flag.objects.filter(article=article).first()
    return {"article": article, "note": note, "flag": flag, "writer": writer,
            "editor": editor, "admin": admin_user, "deactivated": inactive_editor,
            "term": LexiconTerm.objects.first()}


def _sel(w):
    s = selection(w["article"], "Shop owners")
    s["revision"] = s.pop("revision_id")
    return s


# name -> (method, url args, data, {user: expected status})
def routes(w):
    a, n, f, t = w["article"].pk, w["note"].pk, w["flag"].pk, w["term"].pk
    everyone = {"writer": 200, "editor": 200, "admin": 200}
    redirect_all = {"writer": 302, "editor": 302, "admin": 302}
    admins_only = {"writer": 403, "editor": 403, "admin": 200}
    admins_post = {"writer": 403, "editor": 403, "admin": 302}
    editors_post = {"writer": 403, "editor": 302, "admin": 302}
    return {
        "reviews:queue": ("get", [], None, everyone),
        "reviews:article_create": ("get", [], None, everyone),
        "reviews:article": ("get", [a], None, everyone),
        "reviews:article_edit": ("get", [a], None, everyone),
        "reviews:annotation_create": ("post", [a], lambda: {**_sel(w), "category": "comment", "body": "Hi"}, redirect_all),
        "reviews:annotation_import": ("post", [a], {}, {"writer": 400, "editor": 400, "admin": 400}),
        "reviews:reply_create": ("post", [a, n], {"body": "Reply"}, redirect_all),
        "reviews:annotation_resolve": ("post", [a, n], {}, redirect_all),
        "reviews:annotation_reopen": ("post", [a, n], {}, redirect_all),
        "reviews:annotation_reattach": ("post", [a, n], lambda: _sel(w), editors_post),
        "reviews:annotation_confirm": ("post", [a, n], {}, editors_post),
        "reviews:compare": ("get", [a], None, everyone),
        "reviews:flag_create": ("post", [a], lambda: {**_sel(w), "category": "editorializing", "severity": "warn", "note": "x"}, editors_post),
        "reviews:flag_accept": ("post", [a, f], {"replacement": "criticised"}, redirect_all),
        "reviews:flag_dismiss": ("post", [a, f], {"reason": "fine"}, editors_post),
        "reviews:flag_reopen": ("post", [a, f], {}, {"writer": 403, "editor": 400, "admin": 400}),
        "reviews:flag_discuss": ("post", [a, f], {"body": "Worth a talk."}, redirect_all),
        "reviews:article_export": ("get", [a, "csv"], None, everyone),
        "reviews:bulk_export": ("post", [], {"format": "csv", "ids": [a]}, redirect_all),
        # "JOB": a failed export belonging to the user asking.
        "reviews:jobs": ("get", [], None, everyone),
        "reviews:job": ("get", ["JOB"], None, everyone),
        "reviews:job_retry": ("post", ["JOB"], {}, redirect_all),
        "reviews:job_download": ("get", ["JOB"], None, {"writer": 404, "editor": 404, "admin": 404}),
        "reviews:article_transition": ("post", [a], {"transition": "submit", "revision": w["article"].current_revision_id}, redirect_all),
        "reviews:team": ("get", [], None, admins_only),
        "reviews:team_role": ("post", [w["writer"].pk], {"role": "Writer"}, admins_post),
        "reviews:team_active": ("post", [w["writer"].pk], {"active": "1"}, admins_post),
        "reviews:team_unlock": ("post", [w["writer"].pk], {}, admins_post),
        "reviews:audit": ("get", [], None, admins_only),
        # The minimal view (the benchmark baseline) is behind the login like everything else.
        "reviews:health": ("get", [], None, everyone),
        "reviews:lexicon": ("get", [], None, admins_only),
        "reviews:lexicon_add": ("get", [], None, admins_only),
        "reviews:lexicon_export": ("get", [], None, admins_only),
        "reviews:lexicon_import": ("post", [], {}, {"writer": 403, "editor": 403, "admin": 400}),
        "reviews:lexicon_edit": ("get", [t], None, admins_only),
        "reviews:lexicon_toggle": ("post", [t], {}, admins_post),
        # The login and password-reset pages are the only ones open to everybody.
        "login": ("get", [], None, {"anonymous": 200, "deactivated": 200, **everyone}),
        "logout": ("post", [], {}, {"anonymous": 302, "deactivated": 302, **redirect_all}),
        "password_change": ("get", [], None, everyone),
        "password_change_done": ("get", [], None, everyone),
        "password_reset": ("get", [], None, {"anonymous": 200, "deactivated": 200, **everyone}),
        "password_reset_done": ("get", [], None, {"anonymous": 200, "deactivated": 200, **everyone}),
        "password_reset_confirm": ("get", ["MQ", "bad-token"], None, {"anonymous": 200, "deactivated": 200, **everyone}),
        "password_reset_complete": ("get", [], None, {"anonymous": 200, "deactivated": 200, **everyone}),
        # Django admin is for superusers; everyone else is sent to the admin's own login.
        "admin:*": ("get", [], None, redirect_all),
    }


ROUTE_NAMES = [
    "reviews:queue", "reviews:article_create", "reviews:article", "reviews:article_edit",
    "reviews:annotation_create", "reviews:annotation_import", "reviews:reply_create",
    "reviews:annotation_resolve", "reviews:annotation_reopen", "reviews:annotation_reattach",
    "reviews:annotation_confirm", "reviews:compare", "reviews:flag_create", "reviews:flag_accept",
    "reviews:flag_dismiss", "reviews:flag_reopen", "reviews:flag_discuss", "reviews:article_export",
    "reviews:bulk_export", "reviews:jobs", "reviews:job", "reviews:job_retry", "reviews:job_download",
    "reviews:article_transition", "reviews:team", "reviews:team_role", "reviews:team_active",
    "reviews:team_unlock", "reviews:audit", "reviews:health", "reviews:lexicon", "reviews:lexicon_add",
    "reviews:lexicon_export", "reviews:lexicon_import", "reviews:lexicon_edit",
    "reviews:lexicon_toggle", "login", "logout", "password_change", "password_change_done",
    "password_reset", "password_reset_done", "password_reset_confirm", "password_reset_complete",
    "admin:*",
]


def test_every_url_pattern_has_an_entry():
    assert all_route_names() == sorted(ROUTE_NAMES)


@pytest.mark.parametrize("user_kind", USERS)
@pytest.mark.parametrize("name", ROUTE_NAMES)
def test_access(client, world, name, user_kind, settings, tmp_path):
    settings.EXPORT_ROOT = tmp_path
    if user_kind != "anonymous":
        client.force_login(world[user_kind])
    method, args, data, expected_by_user = routes(world)[name]
    expected = expected_by_user.get(user_kind, LOGIN)
    if "JOB" in args:
        owner = world.get(user_kind) or world["editor"]
        job = Job.objects.create(
            kind=Job.EXPORT, user=owner, state=Job.FAILED, total=1, error="disk full",
            params={"format": "csv", "article_ids": [world["article"].pk]},
        )
        args = [job.pk]
    url = reverse("admin:index") if name == "admin:*" else reverse(name, args=args)
    if callable(data):
        data = data()
    response = getattr(client, method)(url, data or {})
    if expected == LOGIN:
        assert response.status_code == 302, (name, user_kind, response.status_code)
        assert "/login/" in response.url, response.url
    else:
        assert response.status_code == expected, (name, user_kind, response.status_code)
        if expected == 302 and name != "logout" and not name.startswith("admin"):
            assert "/login/" not in response.url


def test_deactivated_users_are_logged_out_everywhere(client, world):
    client.force_login(world["deactivated"])
    response = client.get(reverse("reviews:queue"))
    assert response.status_code == 302 and "/login/" in response.url


def test_django_admin_opens_for_superusers(client, django_user_model):
    boss = django_user_model.objects.create_superuser("root", "root@example.org", "pw-for-tests-1")
    client.force_login(boss)
    assert client.get(reverse("admin:index")).status_code == 200
    assert client.get(reverse("admin:reviews_article_changelist")).status_code == 200


def test_the_group_names_match_the_roles(db):
    assert set(Group.objects.values_list("name", flat=True)) >= {"Writer", "Editor", "Admin"}
