import re
from io import StringIO

import pytest
from django.contrib.auth import authenticate, get_user_model
from django.core.management import CommandError, call_command

from reviews.models import Annotation, Article


def run(*args):
    out = StringIO()
    call_command(*args, stdout=out)
    return out.getvalue()


def test_seed_demo_creates_a_user_per_role_and_varied_stories(db):
    out = run("seed_demo")
    logins = dict(re.findall(r"username: (\w+)\s+password: (\S+)", out))
    assert set(logins) == {"writer", "editor", "admin"}
    for username, password in logins.items():
        user = authenticate(username=username, password=password)
        assert user is not None
        assert user.groups.filter(name=username.title()).exists()
    assert Article.objects.count() >= 3
    assert len(set(Article.objects.values_list("status", flat=True))) >= 3
    assert Annotation.objects.filter(state="open").exists()
    assert Annotation.objects.filter(state="resolved").exists()
    for a in Annotation.objects.select_related("revision"):
        assert a.revision.text[a.start : a.end] == a.exact


def test_seed_demo_is_idempotent_and_password_option_sets_all(db):
    run("seed_demo")
    counts = (Article.objects.count(), Annotation.objects.count(), get_user_model().objects.count())
    out = run("seed_demo", "--password", "same-for-all-9")
    assert (
        Article.objects.count(),
        Annotation.objects.count(),
        get_user_model().objects.count(),
    ) == counts
    assert "already exist" in out
    for username in ["writer", "editor", "admin"]:
        assert authenticate(username=username, password="same-for-all-9") is not None


def test_import_article_uses_first_line_as_title(db, tmp_path):
    path = tmp_path / "story.txt"
    path.write_text(
        "Storm hits coast\n\nWinds reached 120 km/h.\n\nPower was cut.", encoding="utf-8"
    )
    out = run("import_article", str(path))
    article = Article.objects.get()
    assert out.strip() == f"{article.pk} /articles/{article.pk}/"
    assert article.title == "Storm hits coast"
    assert article.current_revision.text == "Winds reached 120 km/h.\n\nPower was cut."


def test_import_article_with_title_and_byline_keeps_whole_text(db, tmp_path):
    path = tmp_path / "story.txt"
    path.write_bytes("\ufeffCafé owners said prices rose.\r\n\r\nSecond 😀 para.".encode())
    run("import_article", str(path), "--title", "Prices", "--byline", "Zoë Ng")
    article = Article.objects.get()
    assert (article.title, article.byline) == ("Prices", "Zoë Ng")
    assert article.current_revision.text == "Café owners said prices rose.\n\nSecond 😀 para."


@pytest.mark.parametrize(
    "content,message",
    [(b"\xff\xfe\x00bad", "not UTF-8"), (b"", "no title"), (b"Only a title\n", "no story text")],
)
def test_import_article_rejects_bad_files_and_creates_nothing(db, tmp_path, content, message):
    path = tmp_path / "bad.txt"
    path.write_bytes(content)
    with pytest.raises(CommandError, match=message):
        run("import_article", str(path))
    assert not Article.objects.exists()


def test_import_article_missing_file(db, tmp_path):
    with pytest.raises(CommandError, match="Cannot read"):
        run("import_article", str(tmp_path / "nope.txt"))
