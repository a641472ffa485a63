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


# --- One test per tier, on a longer story -------------------------------------------------

STORY = [
    "The city council said on Tuesday that the harbour bridge would close for repairs in "
    "March, a decision that shop owners called a blow to trade along the waterfront.",
    "Engineers found corrosion in two of the bridge's steel cables during a routine "
    "inspection last year, according to a report seen by this newspaper.",
    'The mayor, Zoë Müller, said on Tuesday that the closure was unavoidable. "Safety comes '
    'first," she told reporters outside the town hall.',
    "Ferry operators have offered extra crossings at a cost of €4m, which the government has "
    "agreed to cover until the bridge reopens.",
    "Residents of the old quarter asked for a fuller consultation before work starts. Some "
    "said the detour would add forty minutes to their commute.",
    "The opposition leader said on Tuesday that the council had known about the corrosion "
    "for months and should have acted sooner.",
]


def story(paras=STORY):
    return "\n\n".join(paras)


def test_unchanged_tier_is_exact_even_beside_large_rewrites():
    # A short paragraph between two rewritten ones: a character diff with semantic cleanup
    # would fold it into the rewrite; the paragraph-level diff keeps it verbatim.
    paras = ["Short note: the bridge closes in March."] + STORY[:3]
    old = story(paras)
    new = story(
        [
            "A completely new opening paragraph about something else. " * 6,
            paras[0],
            "Another rewritten paragraph with entirely different words in it. " * 6,
        ]
        + paras[2:]
    )
    anchor = reanchor_many(old, new, [SpanQuery(*span(old, "the bridge closes"))])[0]
    assert anchor.method == "unchanged" and anchor.confidence == 1.0
    assert (anchor.start, anchor.end) == span(new, "the bridge closes")


def test_moved_paragraph_maps_exactly_with_full_confidence():
    old = story()
    new = story([STORY[2], STORY[0], STORY[1], *STORY[3:]])
    anchor = reanchor_many(old, new, [SpanQuery(*span(old, "Zoë Müller"))])[0]
    assert anchor.method == "moved" and anchor.confidence == 1.0
    assert (anchor.start, anchor.end) == span(new, "Zoë Müller")
    assert not anchor.needs_confirmation


def test_moved_and_edited_paragraph_maps_through_its_own_diff():
    old = story()
    edited = STORY[3].replace("extra crossings", "extra night crossings").replace("€4m", "€4.5m")
    new = story([edited, *STORY[:3], *STORY[4:]])
    phrase = "offered extra crossings at a cost of €4m"
    anchor = reanchor_many(old, new, [SpanQuery(*span(old, phrase))])[0]
    assert anchor.method == "diff"
    assert new[anchor.start : anchor.end] == "offered extra night crossings at a cost of €4.5m"


def test_diff_tier_confidence_asks_for_confirmation_as_edits_grow():
    old = story()
    phrase = "asked for a fuller consultation before work starts"
    query = [SpanQuery(*span(old, phrase))]
    small = reanchor_many(old, old.replace("fuller", "fullest"), query)[0]
    bigger_edit = old.replace("fuller consultation", "wider public hearing")
    bigger = reanchor_many(old, bigger_edit, query)[0]
    rewritten = reanchor_many(old, old.replace(phrase, "want to be heard first"), query)[0]
    assert small.method == "diff" and not small.needs_confirmation
    assert (
        bigger_edit[bigger.start : bigger.end]
        == "asked for a wider public hearing before work starts"
    )
    assert bigger.method == "diff" and bigger.needs_confirmation
    assert rewritten is None


def test_quote_tier_finds_a_sentence_moved_to_another_paragraph():
    sentence = "Some said the detour would add forty minutes to their commute."
    paras = list(STORY)
    paras[4] = paras[4].replace(" " + sentence, "")
    paras[1] = paras[1] + " " + sentence
    old, new = story(), story(paras)
    anchor = reanchor_many(old, new, [SpanQuery(*span(old, "the detour would add forty minutes"))])[
        0
    ]
    assert anchor.method == "quote"
    assert (anchor.start, anchor.end) == span(new, "the detour would add forty minutes")


def test_fuzzy_tier_finds_an_edited_sentence_moved_to_another_paragraph():
    sentence = "Some said the detour would add forty minutes to their commute."
    paras = list(STORY)
    paras[4] = paras[4].replace(" " + sentence, "")
    paras[1] = paras[1] + " " + sentence.replace("forty", "fifty")
    old, new = story(), story(paras)
    anchor = reanchor_many(old, new, [SpanQuery(*span(old, "the detour would add forty minutes"))])[
        0
    ]
    assert anchor.method == "fuzzy" and anchor.needs_confirmation
    assert new[anchor.start : anchor.end] == "the detour would add fifty minutes"


def test_deleted_passage_is_not_placed_on_a_repeat_of_its_words_elsewhere():
    old = story()
    # "said on Tuesday that the" occurs three times; the mayor's paragraph goes.
    new = story([*STORY[:2], *STORY[3:]])
    start = old.index("said on Tuesday that the closure")
    assert reanchor(old, new, start, start + len("said on Tuesday that the")) is None


def test_deleted_sentence_is_not_placed_on_the_same_stock_phrase_in_new_text():
    old = story()
    paras = list(STORY)
    # The opposition's sentence is replaced by a new one that repeats its opening words.
    paras[5] = "The opposition leader said on Tuesday that she would call for an inquiry."
    new = story(paras)
    phrase = "council had known about the corrosion"
    assert reanchor(old, new, *span(old, phrase)) is None
    found = reanchor(old, new, *span(old, "The opposition leader said on Tuesday that"))
    assert found is not None and found[0] >= new.index("The opposition leader")


def test_heavily_rewritten_passage_is_orphaned():
    old = story()
    phrase = "found corrosion in two of the bridge's steel cables"
    new = old.replace(phrase, "spotted worrying wear on a pair of supports")
    assert reanchor(old, new, *span(old, phrase)) is None


def test_edited_passage_is_never_placed_on_an_unchanged_copy_of_its_old_words():
    paras = list(STORY)
    paras[5] = paras[5] + " Engineers found corrosion in two of the bridge's steel cables."
    old = story(paras)
    phrase = "found corrosion in two of the bridge's steel cables"
    start = old.index(phrase)  # the first one, in the second paragraph
    new = old[:start] + "found rust in both of the bridge's old cables" + old[start + len(phrase) :]
    found = reanchor(old, new, start, start + len(phrase))
    assert found == (start, start + len("found rust in both of the bridge's old cables"))


def test_stale_offsets_are_recovered_from_the_quote():
    old = story()
    start, end = span(old, "Ferry operators have offered")
    new = old.replace("Ferry operators", "Ferry companies")
    # Offsets that no longer fit the old text, as if stored against an earlier draft.
    q = quote_selector(old, start, end)
    anchor = reanchor_many(old, new, [SpanQuery(start + 5, end + 5, q.exact, q.prefix, q.suffix)])[
        0
    ]
    assert anchor is not None
    assert new[anchor.start : anchor.end] == "Ferry companies have offered"


def test_quote_missing_from_the_old_text_falls_back_to_the_selector_alone():
    old = story()
    new = old
    anchor = reanchor_many(
        old, new, [SpanQuery(0, 5, "extra crossings at a cost", "have offered ", " of €4m")]
    )[0]
    assert anchor is not None and new[anchor.start : anchor.end] == "extra crossings at a cost"


def test_offsets_are_code_points_around_emoji_and_accents():
    old = "Fans 👍🏽 cheered. Zoë Müller spoke.\n\nThe café closed."
    new = "Fans 👍🏽🎉 cheered loudly. Zoë Müller spoke.\n\nThe café closed."
    assert reanchor(old, new, *span(old, "Zoë Müller")) == span(new, "Zoë Müller")
    assert reanchor(old, new, *span(old, "café")) == span(new, "café")


def test_identical_texts_map_every_span_to_itself_and_empty_batches_are_fine():
    old = story()
    queries = [SpanQuery(s, s + 20) for s in range(0, len(old) - 20, 37)]
    assert [(a.start, a.end) for a in reanchor_many(old, old, queries)] == [
        (q.start, q.end) for q in queries
    ]
    assert reanchor_many(old, old + " More.", []) == []


def test_invalid_spans_and_emptied_texts_are_orphaned():
    old = story()
    assert reanchor(old, old, 10, 10) is None
    assert reanchor(old, old, -3, 4) is None
    assert reanchor(old, "", *span(old, "harbour bridge")) is None


def test_deleted_stock_phrase_is_not_moved_onto_the_same_phrase_in_new_copy():
    paras = list(STORY)
    paras[3] += " The ferry company did not immediately respond to a request for comment."
    old = story(paras)
    phrase = "did not immediately respond to a request for comment"
    # Its sentence goes; a new sentence elsewhere uses the same boilerplate.
    new_paras = list(STORY)
    new_paras[5] += (
        " The council did not immediately respond to a request for comment on Wednesday."
    )
    new = story(new_paras)
    assert reanchor(old, new, *span(old, phrase)) is None


def test_whole_sentence_moved_to_another_paragraph_is_found():
    sentence = '"Safety comes first," she told reporters outside the town hall.'
    paras = list(STORY)
    paras[2] = paras[2].replace(" " + sentence, "")
    paras[4] = sentence + " " + paras[4]
    old, new = story(), story(paras)
    assert reanchor(old, new, *span(old, sentence)) == span(new, sentence)


def test_passage_across_paragraphs_moved_together_is_found():
    old = story()
    new = story([STORY[0], *STORY[3:], STORY[1], STORY[2]])
    start, end = old.index("this newspaper."), old.index("The mayor, Zoë") + len("The mayor, Zoë")
    found = reanchor(old, new, start, end)
    assert found is not None and new[found[0] : found[1]] == old[start:end]
