"""The story page's text and cards (built in reviews/markup.py): what they show, what they
escape, and who gets which buttons."""

import html
import re
from datetime import UTC, datetime

from django.utils import timezone as dj_timezone
from hypothesis import given, settings
from hypothesis import strategies as st

from reviews import highlighting, services
from reviews.highlighting import Span
from reviews.models import Annotation, Flag, Reply

from .conftest import selection

HOSTILE = '<script>alert("x")</script> & \'quoted\' "double"'


@settings(max_examples=200, deadline=None)
@given(
    st.lists(st.sampled_from(["ab", "c d", "\n\n", "e\n", " \n \n"]), max_size=12).map("".join),
    st.lists(st.tuples(st.integers(0, 40), st.integers(0, 40)), max_size=12),
)
def test_paragraphs_match_cutting_each_paragraph_with_every_span(text, pairs):
    spans = [Span(s, e, i) for i, (s, e) in enumerate(pairs)]
    expected = [
        [(seg.text, seg.keys) for seg in highlighting.segments(text, s, e, spans)]
        for s, e in highlighting.paragraph_bounds(text)
    ]
    paras = highlighting.paragraphs(text, spans)
    got = [[(seg.text, seg.keys) for seg in p.segments] for p in paras]
    assert got == expected


def _page(client, article):
    response = client.get(article.get_absolute_url())
    assert response.status_code == 200
    return response.content.decode()


def _card(page, kind, pk):
    """The markup of one card: from its id to the next card (or the end of the page)."""
    start = page.index(f'id="{kind}-{pk}"')
    end = page.find('<li class="card', start)
    return page[start : end if end > 0 else len(page)]


def test_story_text_is_the_revision_text_paragraph_by_paragraph(client, editor, make_article):
    text = f"Opening words {HOSTILE}.\n\nCafé owners 😀 slammed the plan.\n\nLast one."
    article = make_article(text=text)
    services.add_annotation(article, editor, category="style", body="Hm.",
                            **selection(article, "owners 😀 slammed"))
    client.force_login(editor)
    page = _page(client, article)
    body = page[page.index('id="article-text"') : page.index("</article>")]
    paragraphs = re.findall(r'<p data-start="(\d+)">(.*?)</p>', body, re.S)
    revision = article.current_revision.text
    assert [
        (int(start), html.unescape(re.sub(r"<[^>]+>", "", inner))) for start, inner in paragraphs
    ] == [(s, revision[s:e]) for s, e in highlighting.paragraph_bounds(revision)]
    assert "<script>" not in body
    mark = r'<mark class="hl hl-style hl-depth-1 flag-\w+" data-ann="\d+" data-flag="\d+">'
    assert re.search(mark, body)  # the note and the scanner's flag on "slammed" share a mark


def test_cards_escape_everything_people_typed(client, editor, writer, make_article):
    writer.first_name = "<b>Wri"
    writer.save()
    article = make_article(text="The regime slammed critics on Tuesday.")
    note = services.add_annotation(article, writer, category="comment",
                                   body=HOSTILE + "\nsecond line",
                                   **selection(article, "critics"))
    Reply.objects.create(annotation=note, author=editor, body="Reply " + HOSTILE)
    flag = Flag.objects.filter(article=article).first()
    flag.rationale, flag.suggestions = "Why " + HOSTILE, ['say "x"', "<i>"]
    flag.save()
    client.force_login(editor)
    page = _page(client, article)
    card = _card(page, "ann", note.pk)
    assert "<script>" not in page and "<b>Wri" not in page and "<i>" not in page
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &#x27;quoted&#x27;" in card
    assert "&quot;double&quot;<br>second line" in card  # line breaks kept, as <br>
    assert '<span class="who">&lt;b&gt;Wri</span>' in card
    flag_card = _card(page, "flag", flag.pk)
    assert 'value="say &quot;x&quot;"' in flag_card and ">&lt;i&gt;</button>" in flag_card


def test_dates_are_shown_in_the_current_time_zone(client, editor, article, settings):
    settings.TIME_ZONE = "Europe/London"
    note = services.add_annotation(article, editor, category="comment", body="Dated.",
                                   **selection(article, "bus lane"))
    when = datetime(2024, 7, 1, 22, 30, 15, tzinfo=UTC)
    Annotation.objects.filter(pk=note.pk).update(created_at=when)
    client.force_login(editor)
    with dj_timezone.override("Europe/London"):
        card = _card(_page(client, article), "ann", note.pk)
    assert '<time datetime="2024-07-01T23:30:15+01:00">1 Jul, 23:30</time>' in card


def test_each_person_gets_the_buttons_their_role_allows(
    client, writer, other_writer, editor, make_article
):
    article = make_article(by=other_writer)  # not the writer's story
    own = services.add_annotation(article, writer, category="comment", body="Mine.",
                                  **selection(article, "bus lane"))
    theirs = services.add_annotation(article, editor, category="fact_check", body="Editor's.",
                                     **selection(article, "Shop owners"))
    Annotation.objects.filter(pk=theirs.pk).update(anchor_confidence=0.5)  # to confirm

    client.force_login(writer)
    page = _page(client, article)
    mine, editors = _card(page, "ann", own.pk), _card(page, "ann", theirs.pk)
    assert f"/annotations/{own.pk}/resolve/" in mine  # their own note
    assert "/resolve/" not in editors and "Move to selected text" not in editors
    assert 'class="reply-form"' in mine and 'class="reply-form"' in editors
    assert "dismiss-form" not in page  # dismissing is for editors

    client.force_login(editor)
    page = _page(client, article)
    editors = _card(page, "ann", theirs.pk)
    assert "Confirm position" in editors and "Move to selected text" in editors
    assert f"/annotations/{theirs.pk}/resolve/" in editors
    assert "dismiss-form" in page


def test_a_story_without_notes_or_flags_says_so(client, editor, make_article):
    article = make_article(text="The council met on Tuesday.")
    client.force_login(editor)
    page = _page(client, article)
    assert '<li class="empty">No open notes or flags on this story.</li>' in page
    assert "Language flags: 0" in page
    assert '<li class="card' not in page


def test_thousands_of_flags_list_the_first_ones_and_mark_them_all(client, editor, make_article):
    from reviews.markup import FLAG_CARDS_SHOWN

    text = "\n\n".join("Critics slammed the plan." for _ in range(FLAG_CARDS_SHOWN + 50))
    article = make_article(title="Repetitive", text=text)
    assert Flag.objects.filter(article=article, exact="slammed").count() == FLAG_CARDS_SHOWN + 50
    client.force_login(editor)
    page = _page(client, article)
    assert len(re.findall(r'<li class="card flag-card[^"]*" id="flag-\d+"', page)) == FLAG_CARDS_SHOWN
    assert "And 50 more flags, marked in the text." in page
    assert page.count('data-flag="') == FLAG_CARDS_SHOWN + 50  # every one is marked
    first = Flag.objects.filter(article=article).order_by("start").first()
    assert f'id="flag-{first.pk}"' in page  # the list starts at the top of the story


def test_a_workspace_update_also_names_the_revision_the_text_now_shows(client, editor, make_article):
    article = make_article(title="Stale tab", text="The ferry sailed late.")
    note = services.add_annotation(article, editor, **selection(article, "sailed late"),
                                   category="comment", body="Which ferry?")
    services.revise(article, editor, "The ferry sailed late again.", article.current_revision_id)
    client.force_login(editor)
    response = client.post(
        f"/articles/{article.pk}/annotations/{note.pk}/resolve/", headers={"HX-Request": "true"}
    )
    html = response.content.decode()
    assert response.status_code == 200
    assert '<span id="revision-line" hx-swap-oob="true">Revision 2 by' in html
    page = _page(client, article)
    assert page.count('id="revision-line"') == 1 and "hx-swap-oob" not in page


# --- the side panel: one column in reading order, its filter, Discuss, Publish -------------


def _stream(page):
    """The ids of the cards in the reading-order list, in page order."""
    start = page.index('id="card-stream"')
    return re.findall(r'<li class="card[^"]*" id="((?:ann|flag)-\d+)"',
                      page[start : page.index("</ol>", start)])


def test_notes_and_flags_come_in_one_list_in_text_order(client, editor, writer, make_article):
    article = make_article()  # "Shop owners slammed…": the default lexicon flags "slammed"
    plan = services.add_annotation(article, writer, category="comment", body="Capital only?",
                                   **selection(article, "$4.2 million"))
    vote = services.add_annotation(article, editor, category="fact_check", body="Count?",
                                   **selection(article, "voted 7-4"))
    done = services.add_annotation(article, editor, category="comment", body="Done.",
                                   **selection(article, "bus lane"))
    services.set_resolved(done, editor, True)
    slammed = Flag.objects.get(article=article, exact="slammed")
    client.force_login(editor)
    page = _page(client, article)
    assert _stream(page) == [f"ann-{vote.pk}", f"flag-{slammed.pk}", f"ann-{plan.pk}"]
    assert "Resolved (1)" in page and f'id="ann-{done.pk}"' in page  # folded below the list

    # What the filter reads, and its counts.
    assert f'id="ann-{vote.pk}" data-ann-id="{vote.pk}" tabindex="-1" data-kind="note"' in page
    assert 'data-open="1" data-mine>' in _card(page, "ann", vote.pk)  # the editor's own
    assert "data-mine" not in _card(page, "ann", plan.pk).split(">")[0]
    assert 'data-kind="flag"' in _card(page, "flag", slammed.pk)
    assert 'data-open="0" data-mine' in _card(page, "ann", done.pk)
    for name, count in [("all", 4), ("notes", 3), ("flags", 1), ("open", 3), ("mine", 2)]:
        assert re.search(rf'data-filter="{name}" [^>]*>\w+ <span class="count">{count}</span>', page)
    assert "Notes &amp; flags (3)" in page  # the phone's tab names the open ones


def test_comment_boxes_count_instead_of_cutting(client, editor, article):
    services.add_annotation(article, editor, category="comment", body="Hm.",
                            **selection(article, "bus lane"))
    client.force_login(editor)
    page = _page(client, article)
    boxes = re.findall(r"<textarea [^>]*>", page)
    comment_boxes = [b for b in boxes if 'name="body"' in b]
    assert len(comment_boxes) >= 3  # the annotate dialog, a reply, a discussion
    for box in comment_boxes:
        assert "maxlength" not in box and 'data-limit="5000"' in box


def test_discuss_opens_a_comment_form_on_the_flag(client, editor, article):
    flag = Flag.objects.get(article=article, exact="slammed")
    client.force_login(editor)
    card = _card(_page(client, article), "flag", flag.pk)
    assert '<details class="discuss"><summary class="btn">Discuss</summary>' in card
    assert f'<label for="discuss-{flag.pk}">Your comment</label>' in card
    assert f'<textarea id="discuss-{flag.pk}" name="body" rows="3" required' in card
    assert f'action="/articles/{article.pk}/flags/{flag.pk}/discuss/"' in card
    assert ">Start discussion</button>" in card and "data-close-discuss" in card


def test_a_discussed_high_flag_says_it_blocks_until_its_note_is_resolved(
    client, editor, article
):
    flag = services.add_manual_flag(article, editor, category="editorializing", severity="high",
                                    note="Judges the plan.", **selection(article, "would vanish"))
    note = services.discuss_flag(flag, editor, "Whose words?")
    client.force_login(editor)
    blocks = "Blocks approval until this note is resolved."
    assert blocks in _card(_page(client, article), "ann", note.pk)
    services.set_resolved(note, editor, True)
    assert blocks not in _page(client, article)


def test_publish_asks_first_while_notes_or_flags_are_open(client, editor, writer, make_article):
    article = make_article()
    services.add_annotation(article, editor, category="comment", body="Check.",
                            **selection(article, "bus lane"))
    services.transition(article, writer, "submit")
    services.transition(article, editor, "approve")
    client.force_login(editor)
    page = _page(client, article)
    assert 'value="publish" class="btn btn-primary" data-confirm-dialog="publish-confirm"' in page
    dialog = page[page.index('<dialog id="publish-confirm"') : page.index("</dialog>")]
    assert "1 open note and 1 open flag" in dialog  # "slammed"
    assert 'name="confirm_open" value="1"' in dialog and ">Publish anyway</button>" in dialog

    for flag in Flag.objects.filter(article=article):
        services.dismiss_flag(flag, editor, "Fine.")
    for note in Annotation.objects.filter(article=article):
        services.set_resolved(note, editor, True)
    page = _page(client, article)
    assert 'value="publish"' in page and "publish-confirm" not in page  # nothing to ask
