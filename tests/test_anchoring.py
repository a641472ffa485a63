from reviews.anchoring import (
    SpanQuery,
    locate_quote,
    quote_matches,
    quote_selector,
    reanchor,
    reanchor_many,
)

OLD = (
    "U.S. forces killed the commander in an air raid on January 3.\n\n"
    "Lawmakers pushed a non-binding resolution requesting that the government cancel agreements.\n\n"
    "Some 5,200 US soldiers are stationed in Iraqi bases to support local troops."
)


def span(text, phrase):
    start = text.index(phrase)
    return start, start + len(phrase)


def test_quote_selector_takes_32_characters_of_context():
    start, end = span(OLD, "non-binding resolution")
    q = quote_selector(OLD, start, end)
    assert q.exact == "non-binding resolution"
    assert OLD[start - 32 : start] == q.prefix
    assert OLD[end : end + 32] == q.suffix


def test_quote_matches_rejects_tampered_or_out_of_range_offsets():
    start, end = span(OLD, "air raid")
    assert quote_matches(OLD, start, end, "air raid")
    assert not quote_matches(OLD, start + 1, end + 1, "air raid")
    assert not quote_matches(OLD, start, end, "air strike")
    assert not quote_matches(OLD, -1, 3, "U.S")
    assert not quote_matches(OLD, 5, 5, "")
    assert not quote_matches(OLD, len(OLD) - 2, len(OLD) + 5, "s.")


def test_untouched_passage_maps_to_the_same_words_after_an_edit_elsewhere():
    new = "BREAKING: " + OLD.replace("Lawmakers", "Shiite lawmakers")
    start, end = span(OLD, "5,200 US soldiers")
    ns, ne = reanchor(OLD, new, start, end)
    assert new[ns:ne] == "5,200 US soldiers"


def test_light_edit_inside_the_passage_maps_onto_the_edited_words():
    phrase = "requesting that the government cancel agreements"
    new = OLD.replace(phrase, "requesting that the government cancel legal agreements")
    found = reanchor(OLD, new, *span(OLD, phrase))
    assert found is not None
    assert new[found[0] : found[1]] == "requesting that the government cancel legal agreements"


def test_moved_paragraph_is_found_at_its_new_place():
    paras = OLD.split("\n\n")
    new = "\n\n".join([paras[2], paras[0], paras[1]])
    found = reanchor(OLD, new, *span(OLD, "killed the commander"))
    assert found is not None and new[found[0] : found[1]] == "killed the commander"


def test_deleted_passage_is_orphaned():
    paras = OLD.split("\n\n")
    new = "\n\n".join([paras[0], paras[2]])
    assert reanchor(OLD, new, *span(OLD, "non-binding resolution requesting")) is None


def test_batch_form_reports_confidence_and_method():
    new = OLD.replace("air raid", "drone strike")
    results = reanchor_many(
        OLD, new, [SpanQuery(*span(OLD, "Lawmakers")), SpanQuery(*span(OLD, "air raid"))]
    )
    assert results[0].method == "unchanged" and results[0].confidence == 1.0
    assert results[1] is None or new[results[1].start : results[1].end] != "Lawmakers"


def test_locate_quote_uses_context_to_choose_between_repeats():
    text = "said the minister. Later, said the mayor. Finally, said the minister."
    first = text.index("said the minister")
    second = text.rindex("said the minister")
    assert locate_quote(text, "said the minister", prefix="Finally, ") == (second, second + 17)
    assert locate_quote(text, "said the minister", suffix=". Later") == (first, first + 17)
