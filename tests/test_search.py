"""Full-text search in the queue: titles, story text and notes, ranked, with safe snippets.

Runs on SQLite (FTS5) and on PostgreSQL (tsvector + GIN) alike.
"""

import re

import pytest
from django.urls import reverse

from reviews import search, services, workflow
from reviews.models import Annotation, Article, Reply
from reviews.views.queue import filtered_articles
from tests.conftest import selection

QUEUE = reverse("reviews:queue")


def _results(client, **params) -> list[str]:
    """The story titles the queue lists for params, in order (as plain text)."""
    response = client.get(QUEUE, params)
    assert response.status_code == 200
    html = response.content.decode()
    links = re.findall(r'<a class="story-link" href="/articles/\d+/">(.*?)</a>', html, re.S)
    return [re.sub(r"</?mark>", "", t) for t in links]


def _html(client, **params) -> str:
    response = client.get(QUEUE, params)
    assert response.status_code == 200
    return response.content.decode()


@pytest.fixture
def as_editor(client, editor):
    client.force_login(editor)
    return client


def test_a_title_match_ranks_above_a_match_in_the_text(as_editor, make_article, editor):
    make_article(title="Council budget", text="The ferry timetable changes in May.")
    make_article(title="Harbour ferry rerouted", text="Boats will dock at the north pier.")
    make_article(title="Weather", text="Rain all week. Nothing else is new.")
    assert _results(as_editor, q="ferry") == ["Harbour ferry rerouted", "Council budget"]


def test_stories_matching_more_often_rank_higher(as_editor, make_article):
    make_article(title="A", text="The tram opened. " + "Filler words about the weather. " * 30)
    make_article(title="B", text="The tram opened. The tram was late. Tram fares rose. " * 3)
    assert _results(as_editor, q="tram") == ["B", "A"]


def test_words_are_stemmed_and_case_is_ignored(as_editor, make_article):
    make_article(title="Votes", text="The councils VOTED against the plan.")
    assert _results(as_editor, q="council vote") == ["Votes"]


def test_snippets_mark_the_matched_words_and_escape_the_story_text(as_editor, make_article):
    make_article(
        title="<b>Bold</b> claims about the harbour",
        text='Intro.\n\n<script>alert("x")</script> The harbour <img src=x onerror=alert(1)> '
        "reopened on Monday & stayed open.",
    )
    html = _html(as_editor, q="harbour")
    results = html[html.index('id="results"') :]
    assert "<script" not in results and "<img" not in results and "<b>" not in results
    # PostgreSQL's headline drops what it parses as a tag; SQLite keeps it. Either way it is
    # text, never markup.
    assert "alert(&quot;x&quot;)" in results
    assert "&lt;img src=x onerror=alert(1)&gt; reopened on Monday &amp; stayed open" in results
    assert re.search(r'<span class="snippet-where">Text</span>[^<]*The <mark>harbour</mark>', results)
    assert re.search(r'class="story-link" [^>]*>&lt;b&gt;Bold&lt;/b&gt; claims about the '
                     r"(<mark>harbour</mark>|harbour)</a>", results)


def test_sentinel_characters_in_a_story_never_become_marks(as_editor, make_article):
    make_article(title="Odd", text=f"Before {search.START}spoof{search.STOP} then the quay.")
    html = _html(as_editor, q="quay")
    assert "<mark>spoof</mark>" not in html and "<mark>quay</mark>" in html


def test_notes_and_replies_are_searchable(as_editor, make_article, editor):
    article = make_article(title="Bus lane approved")
    make_article(title="Unrelated", text="Nothing to see.")
    assert _results(as_editor, q="timetable") == []
    note = services.add_annotation(
        article, editor, **selection(article, "bus lane"), category="fact_check",
        body="Check the timetable & the council papers.",
    )
    html = _html(as_editor, q="timetable")
    assert _results(as_editor, q="timetable") == ["Bus lane approved"]
    assert re.search(r'<span class="snippet-where">Notes</span>[^<]*<mark>timetable</mark> &amp; the council', html)
    services.add_reply(note, editor, "The minutes confirm the zebra crossing too.")
    assert _results(as_editor, q="zebra") == ["Bus lane approved"]


def test_a_revision_reindexes_the_story(as_editor, make_article, writer):
    article = make_article(title="Bus lane approved")
    assert _results(as_editor, q="parking") == ["Bus lane approved"]
    services.revise(
        article, writer, "The council voted for a cycle path instead.", article.current_revision.pk
    )
    assert _results(as_editor, q="parking") == []
    assert _results(as_editor, q="cycle path") == ["Bus lane approved"]


def test_a_new_title_from_the_edit_form_is_searchable(client, writer, make_article):
    article = make_article(title="Bus lane approved")
    client.force_login(writer)
    response = client.post(
        reverse("reviews:article_edit", args=[article.pk]),
        {"title": "Tramway shelved", "body": article.current_revision.text,
         "base_revision": article.current_revision.pk},
    )
    assert response.status_code == 302
    assert _results(client, q="tramway") == ["Tramway shelved"]
    assert _results(client, q="approved") == []


def test_phrases_alternatives_and_exclusions(as_editor, make_article):
    make_article(title="One", text="The bus lane opens. Shops are worried.")
    make_article(title="Two", text="A lane for buses is planned. Bus drivers object.")
    make_article(title="Three", text="The tram depot closes.")
    assert _results(as_editor, q='"bus lane"') == ["One"]
    assert set(_results(as_editor, q="bus lane")) == {"One", "Two"}
    assert set(_results(as_editor, q="tram or shops")) == {"One", "Three"}
    assert _results(as_editor, q="bus -shops") == ["Two"]
    assert set(_results(as_editor, q="-bus")) == {"Three"}


@pytest.mark.parametrize(
    "q",
    [
        '"', '"""', '"unbalanced quote', "a AND OR NOT", "OR", "NOT", "AND", "-", "--", "- -x",
        "*", "bus*", "^bus", "bus:lane", "title:bus", "NEAR(bus lane)", "(bus", "bus)", "{}",
        "'", "''", "a'b", "!!", "&|!", "<->", "bus <-> lane", "a:*", "\\", "%", "_", "%_%",
        "\x00", "\x02bus\x03", "😀", "é", "ß" * 300, "bus " * 400, "x" * 5000, "or or or",
        "-or", '"-bus"', "+bus", "col1 : bus", "bus NOT", "😀 bus", "١٢٣", "日本語",
        # Words that may match as prefixes, next to tsquery and FTS5 syntax.
        "bus:*", "'bus':*", "bus:* & lane", "bu*s", "bus'", "bus\\", '"bus"*', "*bus*",
        "the", "the and", "the or bus", "bus or the", "-the bus", "½½½", "①②③", "ǅǅǅ",
        "ﬁnance", "e\u0301te\u0301", "😀bus", "bus😀", "x" * 199 + "*", "bus " * 15 + "lane",
        "aaa or bbb or ccc -ddd", "lan -lane", '"bus lane" lan*',
    ],
)
def test_hostile_queries_never_error(as_editor, make_article, q):
    make_article(title="Bus lane approved")
    # A NUL, which no form sends, is refused with a message (400); anything else is searched.
    expected = 400 if "\x00" in q else 200
    response = as_editor.get(QUEUE, {"q": q})
    assert response.status_code == expected
    response = as_editor.get(QUEUE, {"q": q}, headers={"HX-Request": "true"})
    assert response.status_code == expected


def test_an_empty_or_wordless_query_means_no_search(as_editor, make_article):
    make_article(title="One")
    make_article(title="Two")
    for q in ["", "   ", '""', "* - !", "--"]:
        assert sorted(_results(as_editor, q=q)) == ["One", "Two"]


def test_search_combines_with_the_status_and_reviewer_filters(as_editor, make_article, editor, writer):
    draft = make_article(title="Draft about the ferry")
    in_review = make_article(title="Ferry in review")
    services.transition(in_review, writer, "submit")
    assigned = make_article(title="Assigned ferry story")
    assigned.assignees.add(editor)
    archived = make_article(title="Old ferry story")
    services.transition(archived, editor, "archive")
    make_article(title="Not about boats")

    assert set(_results(as_editor, q="ferry")) == {draft.title, in_review.title, assigned.title}
    assert _results(as_editor, q="ferry", status=workflow.IN_REVIEW) == [in_review.title]
    assert _results(as_editor, q="ferry", assignee="me") == [assigned.title]
    assert _results(as_editor, q="ferry", assignee=str(editor.pk)) == [assigned.title]
    assert set(_results(as_editor, q="ferry", assignee="none")) == {draft.title, in_review.title}
    assert _results(as_editor, q="ferry", status=workflow.ARCHIVED) == [archived.title]
    assert len(_results(as_editor, q="ferry", status="all")) == 4


def test_results_page_through_in_rank_order(as_editor, make_article, settings):
    settings.REVIEWS_QUEUE_PAGE_SIZE = 2
    for i in range(5):
        make_article(title=f"Story {i}", text="Quay. " * (i + 1) + "Other words here. " * 10)
    first = _results(as_editor, q="quay")
    second = _results(as_editor, q="quay", page=2)
    third = _results(as_editor, q="quay", page=3)
    assert first + second + third == ["Story 4", "Story 3", "Story 2", "Story 1", "Story 0"]
    assert "5 stories · best matches first" in _html(as_editor, q="quay")


def test_the_htmx_partial_carries_the_snippets(as_editor, make_article):
    make_article(title="Harbour", text="The harbour wall cracked.")
    response = as_editor.get(QUEUE, {"q": "wall"}, headers={"HX-Request": "true"})
    html = response.content.decode()
    assert html.lstrip().startswith('<section id="results"')
    assert "harbour <mark>wall</mark> cracked" in html


def test_bulk_export_matching_uses_the_same_stories(rf, editor, make_article):
    make_article(title="Ferry one")
    make_article(title="Ferry two", text="Nothing about boats.")
    make_article(title="Bus")
    request = rf.get("/")
    request.user = editor
    ids = list(filtered_articles(request, {"q": "ferry"}).values_list("pk", flat=True))
    assert sorted(Article.objects.get(pk=i).title for i in ids) == ["Ferry one", "Ferry two"]
    assert filtered_articles(request, {"q": "ferry"}).count() == 2


def test_export_all_that_match_is_not_cut_at_the_ranking_window(rf, editor, make_article, monkeypatch):
    monkeypatch.setattr(search, "RANK_WINDOW", 2)
    for i in range(5):
        make_article(title=f"Ferry {i}")
    make_article(title="Bus")
    request = rf.get("/")
    request.user = editor
    assert filtered_articles(request, {"q": "ferry"}).count() == 5
    assert filtered_articles(request, {"q": "ferry", "status": "in_review"}).count() == 0


def test_bulk_created_notes_are_found_after_a_reindex(as_editor, make_article, editor):
    article = make_article(title="Bus lane approved")
    rows = Annotation.objects.bulk_create([
        Annotation(article=article, revision=article.current_revision, start=4, end=11,
                   exact="council", body="Ask the ombudsman.", author=editor)
    ])
    Reply.objects.bulk_create([Reply(annotation=rows[0], author=editor, body="Zeppelin.")])
    assert _results(as_editor, q="ombudsman") == []  # bulk_create sends no signals
    assert search.reindex_all() == 1
    assert _results(as_editor, q="ombudsman") == ["Bus lane approved"]
    assert _results(as_editor, q="zeppelin") == ["Bus lane approved"]


def test_deleting_a_note_or_story_drops_its_words(as_editor, make_article, editor):
    article = make_article(title="Bus lane approved")
    note = services.add_annotation(
        article, editor, **selection(article, "bus lane"), category="comment", body="Walrus.",
    )
    assert _results(as_editor, q="walrus") == ["Bus lane approved"]
    note.delete()
    assert _results(as_editor, q="walrus") == []


def test_the_query_parser_reads_websearch_syntax():
    q = search.parse('bus "lane closed" or tram -parking')
    assert q.groups == (("bus",), ("lane closed", "tram"))
    assert q.negatives == ("parking",)
    assert q.fts5() == '"bus" AND ("lane closed" OR "tram") NOT "parking"'
    assert q.websearch() == 'bus "lane closed" or tram -parking'
    assert q.fts5_prefix() == '"bus"* AND ("lane closed" OR "tram"*) NOT "parking"'
    assert not search.parse("")
    assert not search.parse('" * - ! "')
    assert search.parse('"unbalanced quote').groups == (("unbalanced quote",),)
    assert len(search.parse("w " * 500).groups) == search.MAX_QUERY_TERMS


def test_only_the_most_recent_matches_are_ranked_and_the_page_says_so(as_editor, make_article, monkeypatch):
    monkeypatch.setattr(search, "RANK_WINDOW", 3)
    make_article(title="Old quay quay quay", text="Quay quay quay quay.")
    for i in range(3):
        make_article(title=f"New {i}", text=f"The quay, story {i}.")
    assert sorted(_results(as_editor, q="quay")) == ["New 0", "New 1", "New 2"]
    assert "among the 3 most recently changed that match" in _html(as_editor, q="quay")
    monkeypatch.setattr(search, "RANK_WINDOW", 10)
    assert _results(as_editor, q="quay")[0] == "Old quay quay quay"
    assert "most recently changed" not in _html(as_editor, q="quay")


def test_an_older_phrase_match_is_found_behind_newer_stories_with_its_words(
    as_editor, make_article, monkeypatch
):
    monkeypatch.setattr(search, "RANK_WINDOW", 3)
    make_article(title="Old", text="The bus lane opened in 1998.")
    for i in range(4):
        make_article(title=f"New {i}", text="A lane for the bus, and another lane, and a bus.")
    assert _results(as_editor, q='"bus lane"') == ["Old"]
    assert sorted(_results(as_editor, q="bus lane")) == ["New 1", "New 2", "New 3"]


@pytest.mark.django_db(transaction=True)
def test_two_notes_written_at_once_on_one_story_both_reach_its_search_document(
    make_article, editor, writer
):
    """Two requests each add a note to the same story while the other is still open: the
    second one's reindex waits for the first to commit instead of breaking the search
    table's key (PostgreSQL; SQLite lets one writer in at a time anyway)."""
    import threading

    from django.db import connection, connections, transaction

    if connection.vendor != "postgresql":
        pytest.skip("concurrent writers: PostgreSQL only (SQLite serialises writers)")
    article = make_article(title="Harbour", text="The harbour wall was repaired.")
    first_written, errors = threading.Event(), []

    def write(user, body, before=None, hold=0.0):
        try:
            if before:
                before.wait(10)
            with transaction.atomic():
                services.add_annotation(
                    article, user, **selection(article, "harbour wall"), category="comment", body=body
                )
                first_written.set()
                threading.Event().wait(hold)  # still open while the other one writes
        except Exception as exc:  # noqa: BLE001  the test reports it below
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [
        threading.Thread(target=write, args=(editor, "Check the quayside figures.", None, 0.5)),
        threading.Thread(target=write, args=(writer, "Ask the lighthouse keeper.", first_written)),
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert errors == []
    assert Annotation.objects.filter(article=article).count() == 2
    everyone = Article.objects.all()
    assert search.ranked_ids(everyone, search.parse("quayside")) == [article.pk]
    assert search.ranked_ids(everyone, search.parse("lighthouse")) == [article.pk]


def test_accents_do_not_matter_either_way(as_editor, make_article):
    """Editors type names without their accents (and sometimes with): both find the story,
    on PostgreSQL (unaccent in the text search configuration) as on SQLite (FTS5)."""
    make_article(title="Pension fund", text="José Müller, the fund's treasurer, resigned.")
    make_article(title="Weather", text="Rain all week.")
    assert _results(as_editor, q="jose muller") == ["Pension fund"]
    assert _results(as_editor, q="José") == ["Pension fund"]
    assert _results(as_editor, q='"jose müller"') == ["Pension fund"]
    html = _html(as_editor, q="muller")
    assert "<mark>Müller</mark>" in html  # the story's own spelling, marked


def test_a_search_without_words_says_so_and_lists_every_story(as_editor, make_article):
    make_article(title="Harbour", text="The wall.")
    make_article(title="Weather", text="Rain.")
    html = _html(as_editor, q="🚢 *")
    assert "has no words to search for, so every story is listed" in html
    assert sorted(_results(as_editor, q="🚢 *")) == ["Harbour", "Weather"]


def test_an_exclusion_among_many_matches_still_lists_the_most_recent_others(
    as_editor, make_article, monkeypatch
):
    monkeypatch.setattr(search, "RANK_WINDOW", 3)
    for i in range(3):
        make_article(title=f"Old {i}", text="The quay wall.")
    for i in range(3):
        make_article(title=f"New {i}", text="The quay wall was demolished.")
    assert sorted(_results(as_editor, q="quay -demolished")) == ["Old 0", "Old 1", "Old 2"]
    assert sorted(_results(as_editor, q="quay")) == ["New 0", "New 1", "New 2"]


@pytest.mark.parametrize(
    ("first_slice", "most"),
    [(1000, 20_000), (2, 20_000), (3, 12), (1, 2)],
    ids=["one slice", "many slices", "slices then matches", "matches first"],
)
def test_the_window_is_the_most_recent_matches_however_it_is_read(
    make_article, editor, monkeypatch, first_slice, most
):
    """On PostgreSQL the window is read in slices of recent stories (or, for a rare search,
    from its matches): whichever way, it is the same stories a plain query finds."""
    from django.db import connection

    if connection.vendor != "postgresql":
        pytest.skip("the sliced window is PostgreSQL's; SQLite asks FTS5 in one query")
    monkeypatch.setattr(search, "RANK_WINDOW", 4)
    monkeypatch.setattr(search, "FIRST_SLICE", first_slice)
    monkeypatch.setattr(search, "MAX_SLICED_STORIES", most)
    texts = [
        "The bus lane on the quay opened.",
        "A lane for the bus on the quay.",
        "The quay wall was demolished.",
        "Weather: rain on the quay.",
        "The bus lane was demolished.",
        "Nothing about it here.",
    ]
    for i in range(24):
        a = make_article(title=f"Story {i}", text=texts[i % len(texts)])
        if i % 4 == 0:
            a.assignees.add(editor)
        if i % 5 == 0:
            services.transition(a, editor, "submit")
    for text in ['"bus lane"', "quay -demolished", "bus or weather", "quay", "demolished wall",
                 "demol wal", '"bus lane" qua', "wea or lan -demolished"]:
        query = search.parse(text)
        for articles in (
            Article.objects.all(),
            Article.objects.filter(status=workflow.IN_REVIEW),
            Article.objects.filter(assignees=editor),
        ):
            # The window holds the prefix matches too ("demol" finds "demolished").
            plain = articles.filter(pk__in=search._matching_ids_sql(query.tsquery_sql()))
            expected = list(plain.order_by("-updated_at", "-id").values_list("pk", flat=True)[:4])
            assert search._window(articles, query) == expected, (text, str(articles.query))


def test_a_search_leaves_the_planner_settings_as_it_found_them(as_editor, make_article):
    from django.db import connection

    make_article(title="Harbour", text="The harbour wall.")
    assert _results(as_editor, q="harbour") == ["Harbour"]
    if connection.vendor == "postgresql":  # the sliced window turns index scans off for a query
        with connection.cursor() as cursor:
            cursor.execute("SELECT current_setting('enable_indexscan')")
            assert cursor.fetchone()[0] == "on"


# --- prefixes ---------------------------------------------------------------------------


def test_a_word_finds_the_longer_words_it_starts_ranked_below_whole_words(as_editor, make_article):
    """Typing "soleiman" finds the story about Soleimani; stories with the whole word come
    first, and within each group the ranking is as before (a title match first)."""
    make_article(title="Strike", text="General Qassem Soleimani was killed in a drone strike.")
    make_article(title="Soleimani legacy", text="Analysts look back at the general.")
    make_article(title="Envoy", text="The envoy, Mr Soleiman, met the minister.")
    make_article(title="Soleiman speaks", text="An interview with the envoy.")
    make_article(title="Weather", text="Rain all week.")
    assert _results(as_editor, q="soleiman") == [
        "Soleiman speaks", "Envoy", "Soleimani legacy", "Strike",
    ]
    html = _html(as_editor, q="soleiman")
    assert "4 stories · best matches first" in html
    # The longer word is marked in the title and in the snippet, as a whole word is.
    assert re.search(r'class="story-link" [^>]*><mark>Soleimani</mark> legacy</a>', html)
    assert re.search(r"General Qassem <mark>Soleimani</mark> was killed", html)
    assert re.search(r"Mr <mark>Soleiman</mark>, met", html)


def test_a_prefix_match_ranks_below_a_whole_word_match_even_in_the_title(as_editor, make_article):
    make_article(title="Councillors quit", text="Two councillors resigned on Monday.")
    make_article(title="Weather", text="Rain all week; the council met anyway.")
    assert _results(as_editor, q="council") == ["Weather", "Councillors quit"]


def test_every_word_may_be_a_prefix_and_accents_still_do_not_matter(as_editor, make_article):
    make_article(title="Pension fund", text="José Müller, the fund's treasurer, resigned.")
    make_article(title="Weather", text="Rain all week.")
    for q in ["müll", "mull", "jos mull", "treas resig", "MÜLL"]:
        assert _results(as_editor, q=q) == ["Pension fund"], q
    assert "<mark>Müller</mark>" in _html(as_editor, q="mull")


def test_quotes_keep_words_whole_and_exclusions_exclude_whole_words(as_editor, make_article):
    make_article(title="Envoy", text="Mr Soleiman met the ferry operators.")
    make_article(title="Strike", text="Soleimani was killed. The ferry was late.")
    make_article(title="Lanes", text="The bus lanes open on Monday.")
    assert sorted(_results(as_editor, q="soleiman")) == ["Envoy", "Strike"]
    assert _results(as_editor, q='"soleiman"') == ["Envoy"]
    assert _results(as_editor, q="ferry -soleiman") == ["Strike"]
    assert _results(as_editor, q="bus lan") == ["Lanes"]
    assert _results(as_editor, q='"bus lan"') == []
    assert _results(as_editor, q='"bus lanes"') == ["Lanes"]
    assert set(_results(as_editor, q="ferry or lan")) == {"Lanes", "Envoy", "Strike"}


def test_words_shorter_than_three_letters_match_whole_words_only(as_editor, make_article):
    make_article(title="Strike", text="General Qassem was killed.")
    assert _results(as_editor, q="qa") == []
    assert _results(as_editor, q="qas") == ["Strike"]
    assert _results(as_editor, q="qassem") == ["Strike"]


def test_export_all_that_match_includes_the_prefix_matches(rf, editor, make_article):
    make_article(title="Soleimani", text="The general.")
    make_article(title="Soleiman", text="The envoy.")
    make_article(title="Weather", text="Rain.")
    request = rf.get("/")
    request.user = editor
    assert filtered_articles(request, {"q": "soleiman"}).count() == 2
    assert filtered_articles(request, {"q": '"soleiman"'}).count() == 1


def test_prefixes_cost_no_extra_query(as_editor, make_article):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    make_article(title="Soleimani", text="The general.")
    make_article(title="Soleiman", text="The envoy.")
    counts = []
    for q in ['"soleiman"', "soleiman", "soleiman or envoy -weather"]:
        with CaptureQueriesContext(connection) as ctx:
            assert _results(as_editor, q=q)
        counts.append(len(ctx.captured_queries))
    assert counts[0] == counts[1] == counts[2]


def test_the_query_with_prefixes_for_each_database():
    q = search.parse('soleim "bus lane" "exact" or ab tram -parking x:y')
    assert [q.prefix(t) for group in q.groups for t in group] == [
        "soleim", None, None, None, "tram", None,
    ]
    assert q.fts5_prefix() == (
        '"soleim"* AND "bus lane" AND ("exact" OR "ab") AND "tram"* AND "x:y" NOT "parking"'
    )
    sql, params = q.tsquery_sql()
    # A scalar subquery, so that PostgreSQL's planner costs the prefixes as one index entry.
    assert sql == (
        "(SELECT websearch_to_tsquery('newsroom_english', %s) "
        "&& (to_tsquery('newsroom_english', %s)) && (to_tsquery('newsroom_english', %s)))"
    )
    assert params == ['"bus lane" exact or ab x:y -parking', "'soleim':*", "'tram':*"]
    mixed = search.parse("tram or bus,")
    assert mixed.tsquery_sql() == (
        "(SELECT (to_tsquery('newsroom_english', %s) || to_tsquery('newsroom_english', %s)))",
        ["'tram':*", "'bus':*"],
    )
    whole = search.parse('"soleiman" ab')
    assert not whole.has_prefixes and whole.fts5_prefix() == whole.fts5()
    assert whole.tsquery_sql() == ("websearch_to_tsquery('newsroom_english', %s)", ["soleiman ab"])

