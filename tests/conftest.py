import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group

from reviews import services


@pytest.fixture(autouse=True)
def _fresh_rate_counters():
    from django.core.cache import cache

    cache.clear()


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    # PBKDF2's deliberate slowness buys nothing in tests and costs minutes.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def _user(username, role=None, **extra):
    user = get_user_model().objects.create_user(
        username=username, password="pw-for-tests-1", first_name=username.title(), **extra
    )
    if role:
        user.groups.add(Group.objects.get_or_create(name=role)[0])
    return user


@pytest.fixture
def writer(db):
    return _user("writer", "Writer")


@pytest.fixture
def other_writer(db):
    return _user("otherwriter", "Writer")


@pytest.fixture
def editor(db):
    return _user("editor", "Editor")


@pytest.fixture
def admin_user(db):
    return _user("boss", "Admin")


@pytest.fixture
def no_role(db):
    return _user("visitor")


@pytest.fixture
def inactive_editor(db):
    return _user("gone", "Editor", is_active=False)


STORY = (
    "The council voted 7-4 on Tuesday to build a bus lane.\n\n"
    "Shop owners slammed the decision, saying parking would vanish.\n\n"
    "The plan will cost $4.2 million, officials said."
)


@pytest.fixture
def make_article(writer):
    def make(text=STORY, title="Bus lane approved", by=None, **kwargs):
        return services.create_article(by or writer, title=title, text=text, **kwargs)

    return make


@pytest.fixture
def article(make_article):
    return make_article()


def selection(article, phrase, occurrence=0):
    """Selector fields for the n-th occurrence of phrase in the article's current text."""
    text = article.current_revision.text
    start = -1
    for _ in range(occurrence + 1):
        start = text.index(phrase, start + 1)
    end = start + len(phrase)
    return {
        "revision_id": article.current_revision.pk,
        "start": start,
        "end": end,
        "exact": phrase,
        "prefix": text[max(0, start - 32) : start],
        "suffix": text[end : end + 32],
    }


def highlights(html: str) -> dict[int, str]:
    """Annotation id -> the text highlighted for it (its marks joined), from a rendered page.

    A passage can be cut into several marks where flags or other notes overlap it.
    """
    import html as htmllib
    import re

    found: dict[int, str] = {}
    for attrs, text in re.findall(r"<mark ([^>]*)>(.*?)</mark>", html, re.S):
        ids = re.search(r'data-ann="([^"]*)"', attrs)
        for i in (ids.group(1).split() if ids else []):
            found[int(i)] = found.get(int(i), "") + htmllib.unescape(text)
    return found
