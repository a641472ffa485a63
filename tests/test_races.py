"""Work bounded in the text's length, nothing slow under the write lock, and races that lose
nothing: a note posted while an edit is saved, the same note posted twice, a request that
loses the database lock (issue: one request could stop the site)."""

import threading

import pytest
from django.db import OperationalError, connection, connections
from django.urls import reverse

from reviews import language, services
from reviews.language import quotes, scanner
from reviews.models import Annotation, Article, Flag

from .conftest import selection

# --- the scan is linear in the text ----------------------------------------------------------


@pytest.fixture
def lexicon():
    return language.compile_lexicon([
        language.Term(phrase="slammed", category="verb", severity="warn", rationale="Loaded.",
                      alternatives=("criticised",)),
    ])


def test_a_long_line_of_capitalised_hits_is_measured_once_not_once_per_hit(monkeypatch, lexicon):
    """"Slammed " * 16000 on one line took minutes: every hit re-read its whole line."""
    calls = []
    real = scanner._is_title_case_headline
    monkeypatch.setattr(scanner, "_is_title_case_headline", lambda line: calls.append(1) or real(line))
    text = "Slammed " * 16_000  # 128 KB on one line
    hits = language.scan(text, lexicon)
    assert len(hits) == 16_000
    assert len(calls) <= 1
    # Two lines, many hits each: each line measured once.
    calls.clear()
    language.scan("The Slammed Group slammed. " * 500 + "\n" + "Slammed. " * 500, lexicon)
    assert len(calls) <= 2


def test_names_and_headlines_are_still_told_apart_on_one_long_line(lexicon):
    hits = language.scan("The Slammed Group said so. " * 2000, lexicon)
    assert {h.severity for h in hits} == {"info"}  # part of a name, every time
    hits = language.scan("Critics slammed it. " * 2000, lexicon)
    assert {h.severity for h in hits} == {"warn"}


def test_thousands_of_unclosed_single_quotes_are_read_in_one_pass(monkeypatch):
    calls = []
    real = quotes._single_closer
    monkeypatch.setattr(quotes, "_single_closer", lambda *a: calls.append(1) or real(*a))
    text = "'a " * 5_000  # straight openers that never close: each used to read all the rest
    assert quotes.quoted_spans(text) == []
    assert len(calls) <= 2 * 5_000  # each mark read at most once per kind of opener
    assert quotes.quoted_spans("He called it ‘a disgrace’ and left.") == [(13, 25)]


# --- nothing slow runs while the write lock is held -------------------------------------------


@pytest.fixture
def watch_the_lock(monkeypatch):
    """Record whether scanning, re-anchoring or parsing ever ran inside a transaction."""
    inside = []

    def watch(module, name):
        real = getattr(module, name)

        def wrapped(*args, **kwargs):
            inside.append((name, connection.in_atomic_block))
            return real(*args, **kwargs)

        monkeypatch.setattr(module, name, wrapped)

    watch(services.language, "scan")
    watch(services.anchoring, "reanchor_many")
    watch(services.importers, "parse_web_annotations")
    watch(services.importers, "anchor_incoming")
    return inside


@pytest.mark.django_db(transaction=True)
def test_saving_scans_and_reanchors_before_taking_the_lock(watch_the_lock, writer, editor):
    from reviews.models import LexiconTerm

    # Another transactional test may have emptied the lexicon table: bring the term.
    LexiconTerm.objects.update_or_create(
        normalized="slammed", defaults={"phrase": "slammed", "category": "loaded_verb",
                                        "severity": "warn", "rationale": "Loaded.",
                                        "alternatives": ["criticised"], "enabled": True})
    article = services.create_article(writer, title="Harbour", text="Critics slammed the harbour plan.")
    services.add_annotation(article, editor, **selection(article, "harbour plan"),
                            category="comment", body="Which plan?")
    article.refresh_from_db()
    services.revise(article, writer, "Critics slammed the new harbour plan.",
                    article.current_revision_id)
    flag = Flag.objects.get(article=article, exact="slammed")
    services.accept_suggestion(flag, writer, flag.suggestions[0])
    services.rescan_articles()
    names = {name for name, _ in watch_the_lock}
    assert {"scan", "reanchor_many"} <= names
    assert [n for n, atomic in watch_the_lock if atomic] == []
    article.refresh_from_db()
    assert article.current_revision.text == f"Critics {flag.suggestions[0]} the new harbour plan."
    note = Annotation.objects.get(article=article)
    assert note.exact == "harbour plan" and note.revision_id == article.current_revision_id


@pytest.mark.django_db(transaction=True)
def test_importing_notes_parses_and_places_them_before_taking_the_lock(watch_the_lock, writer):
    import json

    article = services.create_article(writer, title="Harbour", text="The harbour wall was repaired.")
    data = json.dumps({
        "@context": "http://www.w3.org/ns/anno.jsonld", "type": "Annotation",
        "body": {"type": "TextualBody", "value": "Which wall?"},
        "target": {"selector": {"type": "TextQuoteSelector", "exact": "harbour wall"}},
    }).encode()
    report = services.import_annotations(article, writer, data)
    assert report.anchored + report.reanchored == 1
    assert {"parse_web_annotations", "anchor_incoming"} <= {n for n, _ in watch_the_lock}
    assert [n for n, atomic in watch_the_lock if atomic] == []


# --- a note or flag posted while an edit is saved --------------------------------------------


def _page_then_edit(article, writer, edit=lambda text: text + "\n\nMore to come."):
    """The story as a page loaded it (its current revision then), and an edit saved after."""
    seen = Article.objects.select_related("current_revision").get(pk=article.pk)
    where = selection(seen, "bus lane")
    services.revise(article, writer, edit(article.current_revision.text),
                    article.current_revision_id)
    return seen, where


def _reword_the_lane(text):
    return text.replace("bus lane", "bus-only lane")


def test_a_note_from_a_page_opened_before_an_edit_lands_on_the_same_words(article, writer, editor):
    seen, where = _page_then_edit(article, writer, lambda text: "Update: " + text)
    note = services.add_annotation(seen, editor, **where, category="comment", body="Which lane?")
    article.refresh_from_db()
    assert note.revision_id == article.current_revision_id
    assert article.current_revision.text[note.start:note.end] == "bus lane"
    assert note.start == where["start"] + len("Update: ")


def test_a_note_on_words_edited_meanwhile_is_refused_not_misplaced(article, writer, editor):
    seen, where = _page_then_edit(article, writer, _reword_the_lane)
    with pytest.raises(services.StaleRevision, match="your comment is kept"):
        services.add_annotation(seen, editor, **where, category="comment", body="Which lane?")
    assert not Annotation.objects.filter(article=article).exists()


def test_a_manual_high_flag_on_a_superseded_revision_is_refused(article, writer, editor):
    seen, where = _page_then_edit(article, writer)
    with pytest.raises(services.StaleRevision):
        services.add_manual_flag(seen, editor, category="contentious_label", severity="high",
                                 note="Loaded.", **where)
    assert not Flag.objects.filter(article=article, source=Flag.MANUAL).exists()


def test_a_stale_note_gets_409_and_the_dialog_keeps_the_comment(client, article, writer, editor):
    seen, where = _page_then_edit(article, writer, _reword_the_lane)
    client.force_login(editor)
    response = client.post(
        reverse("reviews:annotation_create", args=[article.pk]),
        {**{("revision" if k == "revision_id" else k): v for k, v in where.items()},
         "category": "comment", "body": "Which lane?"},
        HTTP_HX_REQUEST="true",
    )
    assert response.status_code == 409
    assert response["HX-Reswap"] == "none"  # nothing swapped: the comment stays in the dialog
    assert not Annotation.objects.filter(article=article).exists()


@pytest.mark.django_db(transaction=True)
def test_a_note_posted_while_an_edit_is_saved_lands_on_the_text_or_is_refused(writer, editor):
    """Editor A saves an edit while editor B posts a note from the page they had (PostgreSQL,
    two connections, a barrier): the note ends on the current text, carried by the edit, or
    is refused with 409, never left on a superseded revision."""
    if connection.vendor != "postgresql":
        pytest.skip("concurrent writers: PostgreSQL only (SQLite serialises writers)")
    for _round in range(5):
        article = services.create_article(writer, title="Lane", text="The bus lane opens.")
        refused = _race_an_edit_and_a_note(article, writer, editor)  # carried or refused
        article.refresh_from_db()
        notes = list(Annotation.objects.filter(article=article))
        assert len(notes) + refused == 1
        for n in notes:
            assert n.revision_id == article.current_revision_id and not n.orphaned
            assert n.exact == "bus lane"


def _race_an_edit_and_a_note(article, writer, editor) -> int:
    """Run the edit and the note at once; 1 if the note was refused as stale, else 0."""
    seen = Article.objects.select_related("current_revision").get(pk=article.pk)
    where = selection(seen, "bus lane")
    barrier, errors, refused = threading.Barrier(2), [], []

    def edit():
        try:
            barrier.wait(10)
            services.revise(article, writer, "The new bus lane opens.", where["revision_id"])
        except Exception as exc:  # noqa: BLE001  reported below
            errors.append(exc)
        finally:
            connections.close_all()

    def note():
        try:
            barrier.wait(10)
            services.add_annotation(seen, editor, **where, category="comment", body="Which?")
        except services.StaleRevision:
            refused.append(True)
        except Exception as exc:  # noqa: BLE001
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=edit), threading.Thread(target=note)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert errors == []
    return len(refused)


def test_an_edit_replans_when_a_note_arrives_between_planning_and_writing(
    monkeypatch, article, writer, editor
):
    real, added = services._plan_revision, []

    def plan_then_someone_annotates(*args):
        plan = real(*args)
        if not added:
            added.append(services.add_annotation(
                article, editor, **selection(article, "bus lane"), category="comment", body="Late."
            ))
        return plan

    monkeypatch.setattr(services, "_plan_revision", plan_then_someone_annotates)
    revision = services.revise(article, writer, "Today: " + article.current_revision.text,
                               article.current_revision_id)
    note = Annotation.objects.get(pk=added[0].pk)
    assert note.revision_id == revision.pk and note.exact == "bus lane"
    assert revision.text[note.start:note.end] == "bus lane"


# --- the same note posted twice ---------------------------------------------------------------


def _note_post(article, phrase, body, key):
    where = selection(article, phrase)
    where["revision"] = where.pop("revision_id")
    return {**where, "category": "comment", "body": body, "client_key": key}


def test_a_double_posted_note_is_saved_once_and_both_answers_show_it(client, article, editor):
    client.force_login(editor)
    url = reverse("reviews:annotation_create", args=[article.pk])
    data = _note_post(article, "bus lane", "Which lane?", "k" * 32)
    first = client.post(url, data, HTTP_HX_REQUEST="true")
    second = client.post(url, data, HTTP_HX_REQUEST="true")
    assert first.status_code == second.status_code == 200
    assert Annotation.objects.filter(article=article).count() == 1
    assert first["X-Annotation-Focus"] == second["X-Annotation-Focus"]
    # A new key is a new note, even with the same words.
    client.post(url, {**data, "client_key": "n" * 32}, HTTP_HX_REQUEST="true")
    assert Annotation.objects.filter(article=article).count() == 2


def test_the_note_form_carries_a_one_time_key(client, article, editor):
    client.force_login(editor)
    html = client.get(article.get_absolute_url()).content.decode()
    assert 'name="client_key"' in html


@pytest.mark.django_db(transaction=True)
def test_the_same_note_posted_twice_at_once_makes_one_note(writer, editor):
    if connection.vendor != "postgresql":
        pytest.skip("concurrent writers: PostgreSQL only (SQLite serialises writers)")
    article = services.create_article(writer, title="Lane", text="The bus lane opens.")
    where = selection(article, "bus lane")
    barrier, results, errors = threading.Barrier(2), [], []

    def post():
        try:
            barrier.wait(10)
            results.append(services.add_annotation(
                article, editor, **where, category="comment", body="Which?", client_key="same-key-1"
            ).pk)
        except Exception as exc:  # noqa: BLE001
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=post) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert errors == []
    assert len(set(results)) == 1
    assert Annotation.objects.filter(article=article).count() == 1


# --- losing the lock: 503 with the words handed back -------------------------------------------


def _locked_out(*args, **kwargs):
    raise OperationalError("database is locked")


def test_a_note_that_loses_the_lock_gets_503_and_its_words_back(monkeypatch, client, article, editor):
    monkeypatch.setattr(services, "add_annotation", _locked_out)
    client.force_login(editor)
    url = reverse("reviews:annotation_create", args=[article.pk])
    data = _note_post(article, "bus lane", "Ask the transport office <b>today</b>.", "k" * 32)
    page = client.post(url, data)
    assert page.status_code == 503 and page["Retry-After"]
    html = page.content.decode()
    assert "Nothing was saved" in html
    assert "Ask the transport office &lt;b&gt;today&lt;/b&gt;." in html  # in a textarea, escaped
    fragment = client.post(url, data, HTTP_HX_REQUEST="true")
    assert fragment.status_code == 503 and fragment["HX-Reswap"] == "none"
    assert "Nothing was saved" in fragment.content.decode()


def test_an_edit_that_keeps_losing_the_race_is_refused_with_its_text(monkeypatch, client, article, writer):
    def busy(*args, **kwargs):
        raise services.Busy("This story is being changed by others right now; nothing was saved.")

    monkeypatch.setattr(services, "revise", busy)
    client.force_login(writer)
    page = client.post(reverse("reviews:article_edit", args=[article.pk]), {
        "title": article.title, "byline": "", "desk": "", "note": "",
        "body": "My long rewrite of the bus lane story.",
        "base_revision": article.current_revision_id,
    })
    assert page.status_code == 503
    assert "My long rewrite of the bus lane story." in page.content.decode()


def test_other_database_errors_are_not_dressed_up_as_busy(monkeypatch, client, article, editor):
    def broken(*args, **kwargs):
        raise OperationalError("no such table: reviews_annotation")

    monkeypatch.setattr(services, "add_annotation", broken)
    client.raise_request_exception = False
    client.force_login(editor)
    response = client.post(reverse("reviews:annotation_create", args=[article.pk]),
                           _note_post(article, "bus lane", "Hello.", "k" * 32))
    assert response.status_code == 500


# --- writers discussing a flag -----------------------------------------------------------------


def test_a_writer_discussing_a_flag_on_their_draft_writes_a_comment(article, writer):
    flag = Flag.objects.get(article=article, exact="slammed")
    note = services.discuss_flag(flag, writer, "Is this fair?")
    assert note.category == Annotation.COMMENT
    assert flag.article.status == "draft"


def test_an_editor_discussing_a_flag_files_it_as_loaded_language(article, editor):
    flag = Flag.objects.get(article=article, exact="slammed")
    assert services.discuss_flag(flag, editor, "Ours?").category == Annotation.LOADED_LANGUAGE



@pytest.mark.django_db(transaction=True)
def test_a_lexicon_file_is_parsed_before_taking_the_lock(monkeypatch):
    from reviews import lexicon_io

    inside = []
    real = lexicon_io.formats.parse_csv
    monkeypatch.setattr(lexicon_io.formats, "parse_csv",
                        lambda *a: inside.append(connection.in_atomic_block) or real(*a))
    raw = (b"phrase,category,severity,rationale,alternatives\n"
           b"zorched,loaded_verb,warn,Loaded.,hit\n")
    assert lexicon_io.import_terms(raw, "csv").created == 1
    assert inside == [False]


def test_accepting_an_alternative_keeps_the_note_on_the_reworded_words(writer, editor):
    story = services.create_article(
        writer, title="Raid", text="Critics slammed the plan on Tuesday, and others agreed."
    )
    on_word = services.add_annotation(story, editor, **selection(story, "slammed"),
                                      category="comment", body="Too strong?")
    around = services.add_annotation(story, editor, **selection(story, "Critics slammed the plan"),
                                     category="comment", body="Which critics?")
    after = services.add_annotation(story, editor, **selection(story, "others agreed"),
                                    category="comment", body="Who?")
    flag = Flag.objects.get(article=story, exact="slammed")
    revision = services.accept_suggestion(flag, writer, flag.suggestions[0])
    text = revision.text
    for note, words in [(on_word, flag.suggestions[0]),
                        (around, f"Critics {flag.suggestions[0]} the plan"),
                        (after, "others agreed")]:
        note.refresh_from_db()
        assert not note.orphaned and note.revision_id == revision.pk
        assert text[note.start:note.end] == words
        assert note.anchor_confidence == 1.0
