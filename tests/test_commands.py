import re
from io import StringIO

import pytest
from django.contrib.auth import get_user_model
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
        user = get_user_model().objects.get(username=username)
        assert user.check_password(password)
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
        assert get_user_model().objects.get(username=username).check_password("same-for-all-9")


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
    [
        (b"caf\xe9 cr\xe8me br\xfbl\xe9e", "not UTF-8"),
        (b"", "empty"),
        (b"Only a title\n", "no story text"),
        (b"\x00\x01\x02binary\x00junk", "binary"),
    ],
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


def test_import_article_reads_word_and_html(db, tmp_path):
    from docx import Document

    doc = Document()
    doc.add_heading("Harbour works delayed", level=1)
    doc.add_paragraph("Work on the harbour wall will finish in May, officials said.")
    doc.add_paragraph("Shop owners welcomed the news.")
    path = tmp_path / "story.docx"
    doc.save(path)
    out = run("import_article", str(path))
    article = Article.objects.get(pk=int(out.split()[0]))
    assert article.title == "Harbour works delayed"
    assert article.current_revision.text == (
        "Work on the harbour wall will finish in May, officials said.\n\nShop owners welcomed the news."
    )
    page = tmp_path / "story.html"
    page.write_text(
        "<html><head><title>T</title><script>alert(1)</script></head><body><h1>Council votes</h1>"
        "<p>The vote was 7-4.</p><p>It passed.</p></body></html>", encoding="utf-8"
    )
    out = run("import_article", str(page))
    article = Article.objects.get(pk=int(out.split()[0]))
    assert article.title == "Council votes" and "alert" not in article.current_revision.text
    assert article.current_revision.text == "The vote was 7-4.\n\nIt passed."


def test_import_article_refuses_corrupt_docx_and_oversized_files(db, tmp_path, settings):
    bad = tmp_path / "broken.docx"
    bad.write_bytes(b"PK\x03\x04 not really a zip")
    with pytest.raises(CommandError, match="not a valid Word document"):
        run("import_article", str(bad))
    settings.REVIEWS_MAX_UPLOAD_BYTES = 100
    big = tmp_path / "big.txt"
    big.write_text("Title\n\n" + "word " * 100, encoding="utf-8")
    with pytest.raises(CommandError, match="limit"):
        run("import_article", str(big))
    assert not Article.objects.exists()


def test_import_annotations_round_trip_through_json_ld(db, tmp_path):
    from reviews import export_data, services
    from reviews.exporters import EXPORTERS

    run("seed_demo", "--password", "pw-9-demo")
    source = Article.objects.filter(annotations__isnull=False).distinct().first()
    path = tmp_path / "notes.jsonld"
    path.write_bytes(EXPORTERS["jsonld"](export_data.snapshot(source, base_url="http://x")))
    copy = services.create_article(source.created_by, title="Copy", text=source.current_revision.text)
    out = run("import_annotations", str(copy.pk), str(path))
    assert "rejected: 0" in out
    def spans(article):
        return sorted((a.start, a.end, a.exact, a.category, a.body) for a in article.annotations.filter(orphaned=False))
    assert [s[:4] for s in spans(copy)] == [s[:4] for s in spans(source)]
    assert Annotation.objects.filter(article=copy).count() == Annotation.objects.filter(
        article=source, orphaned=False
    ).count()


def test_import_annotations_rejects_non_annotation_json(db, tmp_path):
    run("seed_demo", "--password", "pw-9-demo")
    article = Article.objects.first()
    before = Annotation.objects.count()
    path = tmp_path / "x.json"
    path.write_text('{"hello": "world"}')
    with pytest.raises(CommandError):
        run("import_annotations", str(article.pk), str(path))
    path.write_text("not json at all")
    with pytest.raises(CommandError):
        run("import_annotations", str(article.pk), str(path))
    assert Annotation.objects.count() == before


def test_generate_data_makes_consistent_stories_notes_flags_and_editors(db):
    from reviews import language, services
    from reviews.models import Flag, Reply

    out = run("generate_data", "--stories", "12", "--words", "300", "--annotations", "4",
              "--replies", "3", "--flags", "2", "--editors", "3", "--password", "pw-gen-1",
              "--seed", "5", "--batch", "5", "--prefix", "t-")
    first = int(re.search(r"\d+", out).group())
    articles = list(Article.objects.select_related("current_revision").order_by("pk"))
    assert len(articles) == 12 and articles[0].pk == first
    assert Annotation.objects.count() == 48 and Reply.objects.count() == 36
    assert Flag.objects.count() == 24
    assert len({a.status for a in articles}) >= 3
    lexicon = services.current_lexicon()
    for article in articles:
        text = article.current_revision.text
        assert 300 <= len(text.split()) < 400
        notes = list(article.annotations.all())
        assert len(notes) == 4 and sum(n.replies.count() for n in notes) == 3
        for item in [*notes, *article.flags.all()]:
            assert item.revision_id == article.current_revision_id
            assert text[item.start : item.end] == item.exact
            assert text[max(0, item.start - 32) : item.start] == item.prefix
            assert text[item.end : item.end + 32] == item.suffix
        # The flags are the scanner's own findings: exactly what a rescan would produce.
        found = {(h.start, h.end, h.term.key, h.severity) for h in language.scan(text, lexicon)}
        flags = {(f.start, f.end, f.term_id, f.severity) for f in article.flags.all()}
        assert found == flags
        assert services.scan_revision(article, article.current_revision) == {
            "added": 0, "updated": 0, "removed": 0,
        }
    editors = get_user_model().objects.filter(username__startswith="t-editor-")
    assert sorted(e.username for e in editors) == ["t-editor-1", "t-editor-2", "t-editor-3"]
    assert all(e.check_password("pw-gen-1") and e.groups.filter(name="Editor").exists()
               for e in editors)


def test_generate_data_is_deterministic_and_searchable(db, client):
    run("generate_data", "--stories", "3", "--words", "120", "--seed", "9", "--prefix", "a-")
    run("generate_data", "--stories", "3", "--words", "120", "--seed", "9", "--prefix", "b-")
    texts = [a.current_revision.text for a in Article.objects.order_by("pk")]
    assert texts[:3] == texts[3:]
    note = Annotation.objects.order_by("pk").first()
    stopwords = {"against", "between", "because", "through", "further", "before", "during"}
    word = max((w for w in re.findall(r"[A-Za-z]{6,}", note.body) if w.lower() not in stopwords),
               key=len)
    client.force_login(get_user_model().objects.get(username="a-editor-1"))
    html = client.get("/", {"q": word, "status": "all"}).content.decode()
    assert f"<mark>{word}</mark>" in html or f"<mark>{word.lower()}</mark>" in html
