"""Property tests for re-anchoring, on generated article-like text.

Articles are paragraphs of sentences of words from a small newsroom vocabulary (with accents,
a currency sign and emoji, since offsets are code points), plus stock phrases that recur
("said on Tuesday", "the government") so a passage's words are often found elsewhere too.
A passage is a run of words in one sentence; the tests track where it is after a revision.
"""

import os

from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from rapidfuzz.distance import Levenshtein

from reviews.anchoring import SpanQuery, reanchor, reanchor_many

WORDS = (
    "council minister budget election police hospital strike union court judge vote mayor "
    "company shares market inflation bank report inquiry protest border health school nurses "
    "airport storm flooding residents village factory workers wages pension housing fuel "
    "energy climate treaty talks troops witness trial verdict appeal agency regulator museum "
    "festival coach player club stadium fans league harbour bridge ferry tram cyclists "
    "a an of to in and for with that by at from as was is it has had will would not but "
    "this which who after before over about into more than their they he she also new "
    "café Zoë Müller São Paulo naïve Ørsted Kraków Dvořák €5m 🙂 👍🏽 — 日本"
).split()

STOCK_PHRASES = [
    "said on Tuesday",
    "the government",
    "the prime minister",
    "in a statement",
    "told reporters",
    "declined to comment",
    "more than",
    "last year",
]

# A deeper run: ANCHORING_EXAMPLES=5000 .venv/bin/pytest tests/test_anchoring_properties.py
EXAMPLES = int(os.environ.get("ANCHORING_EXAMPLES", "100"))
fast = settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.too_slow])


class Para(list):
    """A paragraph: a list of sentences, each a list of words. Compared by identity in edits."""

    __hash__ = object.__hash__


def cap(word: str) -> str:
    first = word[0].upper()
    return (first if len(first) == 1 else word[0]) + word[1:]


def sentence_text(words: list[str]) -> str:
    return " ".join([cap(words[0]), *words[1:]]) + "."


def para_text(para: Para) -> str:
    return " ".join(sentence_text(s) for s in para)


def doc_text(doc: list[Para]) -> str:
    return "\n\n".join(para_text(p) for p in doc)


def copy_doc(doc: list[Para]) -> list[Para]:
    return [Para([list(s) for s in p]) for p in doc]


def index_of(doc: list[Para], para: Para) -> int:
    return next(n for n, p in enumerate(doc) if p is para)


def passage_span(doc: list[Para], para: Para, s: int, i: int, j: int) -> tuple[int, int]:
    """Offsets of words [i, j) of sentence s of para (found by identity) in doc_text(doc)."""
    k = index_of(doc, para)
    at = sum(len(para_text(p)) + 2 for p in doc[:k])
    at += sum(len(sentence_text(x)) + 1 for x in para[:s])
    rendered = sentence_text(para[s])[:-1].split(" ")
    start = at + sum(len(w) + 1 for w in rendered[:i])
    end = at + sum(len(w) + 1 for w in rendered[:j]) - 1
    return start, end


words = st.sampled_from(WORDS)
phrase = st.sampled_from(STOCK_PHRASES).map(str.split)
sentences = st.lists(
    st.one_of(words.map(lambda w: [w]), words.map(lambda w: [w]), phrase), min_size=5, max_size=14
).map(lambda chunks: [w for chunk in chunks for w in chunk])
paragraphs = st.lists(sentences, min_size=1, max_size=4).map(Para)


@st.composite
def article_with_passage(draw, min_paragraphs=2, min_words=1):
    """(doc, passage paragraph, sentence index, first word, end word)."""
    doc = draw(st.lists(paragraphs, min_size=min_paragraphs, max_size=7))
    para = draw(st.sampled_from(doc))
    s = draw(st.integers(0, len(para) - 1))
    n = len(para[s])
    i = draw(st.integers(0, n - min_words))
    j = draw(st.integers(i + min_words, min(n, i + 12)))
    return doc, para, s, i, j


def unique_paragraph(doc: list[Para], para: Para) -> bool:
    return [para_text(p) for p in doc].count(para_text(para)) == 1


def edit_elsewhere(data, doc: list[Para], protected: list[Para], count_max: int = 5) -> None:
    """Random word, sentence and paragraph edits (paragraphs added, removed, moved), none in
    the protected paragraphs."""
    for _ in range(data.draw(st.integers(1, count_max))):
        others = [p for p in doc if not any(p is q for q in protected)]
        op = data.draw(
            st.sampled_from(
                ["word", "add_sentence", "drop_sentence", "add_para", "drop_para", "move_para"]
            )
        )
        if op == "add_para" or not others:
            doc.insert(data.draw(st.integers(0, len(doc))), data.draw(paragraphs))
            continue
        para = data.draw(st.sampled_from(others))
        if op == "word":
            sentence = data.draw(st.sampled_from(para))
            at = data.draw(st.integers(0, len(sentence) - 1))
            how = data.draw(st.sampled_from(["sub", "ins", "del"]))
            if how == "del" and len(sentence) > 1:
                del sentence[at]
            elif how == "ins":
                sentence.insert(at, data.draw(words))
            else:
                sentence[at] = data.draw(words)
        elif op == "add_sentence":
            para.insert(data.draw(st.integers(0, len(para))), data.draw(sentences))
        elif op == "drop_sentence" and len(para) > 1:
            del para[data.draw(st.integers(0, len(para) - 1))]
        elif op == "drop_para":
            del doc[index_of(doc, para)]  # by identity: an equal paragraph may be protected
        elif op == "move_para":
            del doc[index_of(doc, para)]
            doc.insert(data.draw(st.integers(0, len(doc))), para)


def edit_words(data, passage: list[str], most: int = 3) -> list[str]:
    """1-3 word substitutions, insertions, deletions or misspellings inside a passage."""
    out = list(passage)
    for _ in range(data.draw(st.integers(1, most))):
        at = data.draw(st.integers(0, len(out) - 1))
        how = data.draw(st.sampled_from(["sub", "ins", "del", "typo"]))
        if how == "sub":
            out[at] = data.draw(words)
        elif how == "ins":
            out.insert(at + 1, data.draw(words))
        elif how == "del" and len(out) > 1:
            del out[at]
        else:
            w = out[at]
            c = data.draw(st.integers(0, len(w) - 1))
            out[at] = w[:c] + data.draw(st.sampled_from("aeioustxzé")) + w[c + 1 :]
    return out


# (a) An edit that touches neither the passage nor its paragraph maps it to the exact new span:
# the same words, at the place the edits shifted them to.


@fast
@given(article_with_passage(), st.data())
def test_edits_elsewhere_keep_the_passage_exactly(generated, data):
    doc, para, s, i, j = generated
    old = doc_text(doc)
    start, end = passage_span(doc, para, s, i, j)
    new_doc = copy_doc(doc)
    twin = new_doc[index_of(doc, para)]
    edit_elsewhere(data, new_doc, [twin])
    new = doc_text(new_doc)
    assume(new != old)
    assume(unique_paragraph(doc, para) and unique_paragraph(new_doc, twin))
    expected = passage_span(new_doc, twin, s, i, j)

    assert new[expected[0] : expected[1]] == old[start:end]
    assert reanchor(old, new, start, end) == expected


@fast
@given(article_with_passage(), st.data())
def test_batch_form_agrees_for_every_passage_of_an_untouched_paragraph(generated, data):
    doc, para, s, _, _ = generated
    old = doc_text(doc)
    spans = [
        (n, i, j)
        for n in range(len(para))
        for i in range(0, len(para[n]), 3)
        for j in [min(len(para[n]), i + 2)]
    ]
    new_doc = copy_doc(doc)
    twin = new_doc[index_of(doc, para)]
    edit_elsewhere(data, new_doc, [twin])
    assume(unique_paragraph(doc, para) and unique_paragraph(new_doc, twin))
    new = doc_text(new_doc)
    queries = [SpanQuery(*passage_span(doc, para, n, i, j)) for n, i, j in spans]
    anchors = reanchor_many(old, new, queries)
    for (n, i, j), anchor in zip(spans, anchors, strict=True):
        assert anchor is not None and anchor.confidence == 1.0
        assert (anchor.start, anchor.end) == passage_span(new_doc, twin, n, i, j)


# (b) A paragraph moved elsewhere (with or without edits in other paragraphs) takes its
# passages along: found exactly at the new place.


@fast
@given(article_with_passage(min_paragraphs=3), st.data())
def test_moved_paragraph_is_found_at_its_new_place(generated, data):
    doc, para, s, i, j = generated
    assume(unique_paragraph(doc, para))
    old = doc_text(doc)
    start, end = passage_span(doc, para, s, i, j)
    new_doc = copy_doc(doc)
    k = index_of(doc, para)
    twin = new_doc.pop(k)
    new_doc.insert(data.draw(st.sampled_from([n for n in range(len(new_doc) + 1) if n != k])), twin)
    if data.draw(st.booleans()):
        edit_elsewhere(data, new_doc, [twin], count_max=3)
    assume(unique_paragraph(new_doc, twin))
    new = doc_text(new_doc)
    expected = passage_span(new_doc, twin, s, i, j)

    assert reanchor(old, new, start, end) == expected


@fast
@given(article_with_passage(min_paragraphs=3), st.data())
def test_moved_and_touched_up_paragraph_is_found_or_orphaned_never_misplaced(generated, data):
    doc, para, s, i, j = generated
    assume(len(para) > 1 and unique_paragraph(doc, para))
    old = doc_text(doc)
    start, end = passage_span(doc, para, s, i, j)
    new_doc = copy_doc(doc)
    k = index_of(doc, para)
    twin = new_doc.pop(k)
    new_doc.insert(data.draw(st.sampled_from([n for n in range(len(new_doc) + 1) if n != k])), twin)
    # Another sentence of the moved paragraph is edited too.
    other = data.draw(st.sampled_from([n for n in range(len(twin)) if n != s]))
    twin[other] = edit_words(data, twin[other])
    new = doc_text(new_doc)
    expected = passage_span(new_doc, twin, s, i, j)

    assert reanchor(old, new, start, end) in (expected, None)


# (c) An edit inside the passage maps it onto the edited words or orphans it, never onto
# unrelated text: a placement must overlap the range the edited passage now occupies.


def _edit_inside(generated, data, most=3):
    doc, para, s, i, j = generated
    old = doc_text(doc)
    start, end = passage_span(doc, para, s, i, j)
    new_doc = copy_doc(doc)
    twin = new_doc[index_of(doc, para)]
    edited = edit_words(data, twin[s][i:j], most)
    twin[s][i:j] = edited
    new = doc_text(new_doc)
    assume(new != old)
    region = passage_span(new_doc, twin, s, i, i + len(edited))
    return old, new, (start, end), region


@settings(max_examples=2 * EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(article_with_passage(), st.data())
def test_edit_inside_the_passage_lands_on_the_edited_words_or_orphans(generated, data):
    old, new, (start, end), (rs, re_) = _edit_inside(generated, data)
    found = reanchor(old, new, start, end)
    assert found is None or (found[0] < re_ and found[1] > rs)


@fast
@given(article_with_passage(min_words=5), st.data())
def test_light_edit_inside_the_passage_is_re_anchored_onto_it(generated, data):
    old, new, (start, end), (rs, re_) = _edit_inside(generated, data, most=2)
    exact, now = old[start:end], new[rs:re_]
    # Light: a passage of a few words with at most a fifth of its characters changed.
    assume(len(exact) >= 20 and Levenshtein.distance(exact, now) <= 0.2 * len(exact))
    found = reanchor(old, new, start, end)
    assert found is not None
    inter = min(found[1], re_) - max(found[0], rs)
    union = max(found[1], re_) - min(found[0], rs)
    assert inter / union >= 0.8
