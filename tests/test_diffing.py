from hypothesis import given, settings
from hypothesis import strategies as st

from reviews.diffing import DELETE, EQUAL, INSERT, change_counts, word_diff


def rebuild(changes, keep):
    return "".join(c.text for c in changes if c.op in keep)


def test_changed_word_is_a_whole_word_change():
    changes = word_diff(
        "U.S. forces assassinated the commander.", "U.S. forces killed the commander."
    )
    assert [(c.op, c.text) for c in changes if c.op != EQUAL] == [
        (DELETE, "assassinated"),
        (INSERT, "killed"),
    ]


def test_counts_words_not_spaces():
    changes = word_diff("one two three", "one 2 three four")
    assert change_counts(changes) == {INSERT: 2, DELETE: 1}


def test_identical_texts_are_one_equal_run():
    assert word_diff("Same text.", "Same text.") == [word_diff("Same text.", "Same text.")[0]]
    assert word_diff("Same text.", "Same text.")[0].op == EQUAL


words = st.lists(
    st.sampled_from(["the", "council", "said", "café", "😀", "vote", ",", ".", "\n\n", " ", "Zoë"]),
    max_size=40,
)


@settings(max_examples=150, deadline=None)
@given(words, words)
def test_diff_rebuilds_both_texts(a, b):
    old, new = " ".join(a), " ".join(b)
    changes = word_diff(old, new)
    assert rebuild(changes, {EQUAL, DELETE}) == old
    assert rebuild(changes, {EQUAL, INSERT}) == new
