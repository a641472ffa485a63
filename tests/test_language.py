"""The pure scanner: matching rules, quotes, exceptions, compile-once automaton."""

import pytest

from reviews.language import Term, compile_lexicon, quoted_spans, scan, validate_term
from reviews.language.formats import parse_csv, parse_vale_yaml, to_csv
from reviews.language.lexicon import fold, variants

from . import language_eval
from .language_eval import evaluate, load_default_lexicon, load_examples

TERMS = [
    Term("assassinate", "loaded_verb", "high", "Loaded verb.", ("kill",)),
    Term("terrorist forces", "contentious_label", "high", "Label.", ("forces",)),
    Term("regime", "contentious_label", "warn", "Label.", ("government",),
         exceptions=("regime change", "tax regime")),
    Term("cult", "contentious_label", "warn", "Label."),
    Term("so-called", "editorializing", "warn", "Doubt."),
    Term("claim", "loaded_verb", "warn", "Casts doubt.", ("say",),
         exceptions=("claimed responsibility",)),
    Term("lash out", "loaded_verb", "warn", "Loaded.", ("criticise",)),
    Term("flagrant violation", "editorializing", "warn", "Emotive.", ("violation",)),
    Term("flagrant", "editorializing", "info", "Emotive."),
    Term("some people say", "unsupported_attribution", "warn", "Who?"),
]


@pytest.fixture(scope="module")
def lexicon():
    return compile_lexicon(TERMS)


def found(text, lexicon):
    return [(h.text, h.term.phrase, h.severity, h.attributed) for h in scan(text, lexicon)]


def test_case_insensitive_multiword_and_inflections(lexicon):
    hits = found("U.S. Terrorist Forces ASSASSINATED two; assassinating, assassination.", lexicon)
    assert [h[0] for h in hits] == ["Terrorist Forces", "ASSASSINATED", "assassinating", "assassination"]


def test_possessives_plurals_and_curly_apostrophes(lexicon):
    hits = found("The regime’s army and other regimes' leaders; the regime's chief.", lexicon)
    assert [h[0] for h in hits] == ["regime’s", "regimes'", "regime's"]


def test_a_hyphenated_term_needs_its_hyphen_or_the_words_closed_up(lexicon):
    text = "the so-called plan, the so‑called deal, the so–called vote and the socalled pact"
    assert [h[0] for h in found(text, lexicon)] == ["so-called", "so‑called", "so–called", "socalled"]
    assert found("The village is so called because of its mill.", lexicon) == []


def test_hyphenated_terms_leave_ordinary_english_alone():
    terms = [Term(p, "puffery", "warn", "Puffery.") for p in
             ("must-see", "first-rate", "would-be", "down-to-earth", "stitch-up", "next-level")]
    lex = compile_lexicon(terms)
    plain = ("You must see a GP. The first rate cut in years would be welcome. Back down to "
             "earth, the nurse had to stitch up a cut and move to the next level of the tower.")
    assert found(plain, lex) == []
    loud = "A must-see show, first-rate food, a would-be king, a down-to-earth host, a stitch-up."
    assert [h[0] for h in found(loud, lex)] == [
        "must-see", "first-rate", "would-be", "down-to-earth", "stitch-up"
    ]


def test_a_spaced_term_also_matches_its_hyphenated_form():
    lex = compile_lexicon([Term("cutting edge", "puffery", "warn", "Puffery.")])
    assert [h[0] for h in found("a cutting-edge lab at the cutting edge", lex)] == [
        "cutting-edge", "cutting edge"
    ]


def test_whole_words_only(lexicon):
    assert found("A difficult culture of cultivation; the cults.", lexicon) == [("cults", "cult", "warn", False)]


def test_exceptions_are_honoured_in_every_inflection(lexicon):
    text = "The group claimed responsibility. It claims responsibility. Calls for regime change. A new tax regime."
    assert found(text, lexicon) == []
    assert found("She claimed the vote was rigged.", lexicon) == [("claimed", "claim", "warn", False)]


def test_longest_phrase_wins(lexicon):
    assert found("a flagrant violation of the truce", lexicon) == [
        ("flagrant violation", "flagrant violation", "warn", False)
    ]


def test_phrasal_verbs_inflect_their_verb(lexicon):
    hits = scan("The minister lashed out at critics.", lexicon)
    assert [(h.text, h.suggestions) for h in hits] == [("lashed out", ["criticised"])]


def test_suggestions_follow_the_matched_form_and_capital(lexicon):
    hits = scan("Assassinated in May. The regime's envoy.", lexicon)
    assert [h.suggestions for h in hits] == [["Killed"], ["government's"]]


def test_terms_inside_direct_quotes_are_attributed_info(lexicon):
    text = 'He said: "The regime assassinated him." “Some people say so,” she added. The regime fell.'
    assert found(text, lexicon) == [
        ("regime", "regime", "info", True),
        ("assassinated", "assassinate", "info", True),
        ("Some people say", "some people say", "info", True),
        ("regime", "regime", "warn", False),
    ]


def test_quote_spans_handle_curly_single_and_open_paragraphs():
    text = "He said ‘it’s over’ and left. \"First para\n\n\"Second para,\" she said. Voters’ rights."
    spans = [text[s:e] for s, e in quoted_spans(text)]
    assert spans == ["‘it’s over’", '"First para', '"Second para,"']


@pytest.mark.parametrize(
    ("text", "quoted"),
    [
        # a plural possessive inside a single-quoted quotation does not end it
        ("‘The bosses’ greed is shameful and their tactics draconian,’ said Ms Reed.",
         ["‘The bosses’ greed is shameful and their tactics draconian,’"]),
        # straight single quotes: headline scare quotes and British copy
        ("REGIME SLAMS 'TERRORIST' PROTESTERS", ["'TERRORIST'"]),
        ("'These thugs will face justice,' the minister said.",
         ["'These thugs will face justice,'"]),
        # apostrophes are not quotations
        ("It's the students' money, rock 'n' roll and the '90s, said the regime.", []),
        ("The ‘90s were iconic. The workers’ union said ‘no’.", ["‘no’"]),
        # an inch mark opens nothing
        ('The 12" single with its iconic sleeve. "Great," he said.', ['"Great,"']),
        # mixed marks close each other; a straight pair nests inside a curly quotation
        ('“It was a disaster," he said. The regime fell.', ['“It was a disaster,"']),
        ('“He called it "a disgrace" and left,” she said. The regime fell.',
         ['“He called it "a disgrace" and left,”']),
        # German, Polish, French and Danish marks pair with their own closers
        ("„Wir sind bereit“, sagte er. The terrorist forces fell.", ["„Wir sind bereit“"]),
        ("„Jesteśmy gotowi”, powiedział. The regime fell.", ["„Jesteśmy gotowi”"]),
        ("«Nous sommes prêts», a-t-il dit. The regime fell.", ["«Nous sommes prêts»"]),
        ("»Vi er klar«, sagde han. The regime fell.", ["»Vi er klar«"]),
        ("Er sagte ‚nein‘ und ging. The regime fell.", ["‚nein‘"]),
        # a curly single quotation left open runs to the end of its paragraph (wire style)
        ("‘We will not be bullied by this regime.\n\nIt fell.", ["‘We will not be bullied by this regime."]),
    ],
)
def test_quotation_marks_in_the_wild(text, quoted):
    assert [text[s:e] for s, e in quoted_spans(text)] == quoted


def test_suggestions_for_plurals_and_possessives_read_as_english():
    lex = compile_lexicon([
        Term("regime", "contentious_label", "warn", "Label.", ("authorities",)),
        Term("thug", "contentious_label", "high", "Label.", ("attacker",)),
    ])
    hits = scan("The regimes fell; the regime's envoy; the thugs' lawyer; the thug's car.", lex)
    assert [(h.text, h.suggestions) for h in hits] == [
        ("regimes", ["authorities"]),
        ("regime's", ["authorities'"]),
        ("thugs'", ["attackers'"]),
        ("thug's", ["attacker's"]),
    ]


def test_suggestions_follow_capitals_and_curly_apostrophes(lexicon):
    hits = scan("REGIME SLAMS CRITICS. The regime’s envoy.", lexicon)
    assert [(h.text, h.suggestions) for h in hits] == [
        ("REGIME", ["GOVERNMENT"]),
        ("regime’s", ["government’s"]),
    ]


def test_american_and_british_spellings_of_long_verbs_both_match():
    lex = compile_lexicon([
        Term("grovel", "loaded_verb", "warn", "Loaded."),
        Term("skyrocket", "editorializing", "warn", "Hype."),
    ])
    text = "He groveled, she grovelled; prices skyrocketed and kept skyrocketing."
    assert [h.text for h in scan(text, lex)] == ["groveled", "grovelled", "skyrocketed", "skyrocketing"]


def test_plain_reporting_is_not_flagged():
    lexicon = load_default_lexicon()
    plain = (
        "Militants killed 12 soldiers in an attack on Tuesday, the army said. Government forces "
        "and insurgents clashed near the border. Protesters marched; two people died. Fighters "
        'withdrew after the strike. "We want regime change," a protester said.'
    )
    loud = [h for h in scan(plain, lexicon) if h.severity in ("warn", "high")]
    assert loud == []


def test_fold_keeps_length_even_for_odd_lowercasing():
    text = "İstanbul — so‑called ‘quotes’\n"
    assert len(fold(text)) == len(text)


def test_variants_cover_inflections():
    forms = variants("admit")
    assert {"admit", "admits", "admitted", "admitting"} <= set(forms)
    assert {"slam", "slammed", "slamming"} <= set(variants("slam"))


@pytest.mark.parametrize("phrase", ["", " ", "a", "the", "said", "!!"])
def test_terms_that_would_match_everywhere_are_refused(phrase):
    assert validate_term(Term(phrase, "editorializing", "warn", "x"))


def test_compiled_once_and_independent_of_term_order():
    a = compile_lexicon(TERMS)
    b = compile_lexicon(list(reversed(TERMS)))
    text = "The regime claimed a flagrant violation."
    assert [(h.start, h.end) for h in scan(text, a)] == [(h.start, h.end) for h in scan(text, b)]


# --- files ----------------------------------------------------------------------------


def test_csv_round_trip():
    text = to_csv(TERMS)
    terms, errors = parse_csv(text)
    assert errors == [] and [t.phrase for t in terms] == [t.phrase for t in TERMS]
    assert terms[2].exceptions == ("regime change", "tax regime")


def test_csv_lists_every_bad_row_and_imports_nothing():
    text = (
        "phrase,category,severity,rationale,alternatives,style_note,exceptions\n"
        "brazen,editorializing,warn,Emotive.,bold,,\n"
        "the,editorializing,warn,Too common.,,,\n"
        "x,puffery,warn,One letter.,,,\n"
        "slam,nonsense,warn,Bad category.,,,\n"
        "heinous,editorializing,extreme,Bad severity.,,,\n"
        "Brazen,editorializing,warn,Duplicate.,,,\n"
        "awful,editorializing,warn,,,,\n"
    )
    terms, errors = parse_csv(text)
    assert terms == []
    assert [e.row for e in errors] == [3, 4, 5, 6, 7, 8]
    assert "common word" in str(errors[0]) and "single letter" in str(errors[1])


def test_csv_without_the_header_is_refused():
    terms, errors = parse_csv("brazen,editorializing\n")
    assert terms == [] and "header" in str(errors[0])


def test_vale_existence_and_substitution_rules():
    existence = "extends: existence\nmessage: \"Avoid '%s'.\"\nlevel: error\ntokens:\n  - obviously\n  - of course\n"
    terms, errors = parse_vale_yaml(existence, "editorializing")
    assert errors == [] and [(t.phrase, t.severity) for t in terms] == [("obviously", "high"), ("of course", "high")]
    assert [t.rationale for t in terms] == ["Avoid 'obviously'.", "Avoid 'of course'."]
    swap = "extends: substitution\nmessage: \"Use '%s' instead of '%s'.\"\nlevel: warning\nswap:\n  slammed: criticised\n  'terrorist forces': forces\n"
    terms, errors = parse_vale_yaml(swap, "loaded_verb")
    assert errors == [] and [(t.phrase, t.alternatives) for t in terms] == [
        ("slammed", ("criticised",)), ("terrorist forces", ("forces",))
    ]
    # Vale fills the message's %s with the alternative, then the matched words.
    assert terms[0].rationale == "Use 'criticised' instead of 'slammed'."
    bare = parse_vale_yaml("extends: substitution\nmessage: Use %s instead of %s\nswap:\n  decimated: destroyed|razed\n", "loaded_verb")[0]
    assert bare[0].rationale == "Use destroyed or razed instead of decimated."
    silent = parse_vale_yaml("extends: existence\ntokens: [plainly]\n", "editorializing")[0]
    assert silent[0].rationale == "Flagged by an imported house style rule."


def test_vale_rules_with_regexes_or_other_kinds_are_refused():
    terms, errors = parse_vale_yaml("extends: existence\ntokens:\n  - '\\bobvious(ly)?'\n  - plainly\n", "editorializing")
    assert terms == [] and errors[0].row == 1 and "regular expression" in errors[0].reason
    terms, errors = parse_vale_yaml("extends: spelling\n", "editorializing")
    assert terms == [] and "only" in str(errors[0])
    terms, errors = parse_vale_yaml("extends: [unclosed\n", "editorializing")
    assert terms == [] and "not valid YAML" in str(errors[0])


# --- quality on the labelled set ------------------------------------------------------------


def test_default_lexicon_is_broad():
    terms, errors = parse_csv((load_default_lexicon.__globals__["DEFAULT_LEXICON"]).read_text(encoding="utf-8"))
    assert errors == [] and len(terms) >= 400
    categories = {t.category for t in terms}
    assert categories == {"contentious_label", "loaded_verb", "editorializing", "euphemism",
                          "puffery", "unsupported_attribution"}
    assert all(t.rationale for t in terms)


@pytest.mark.parametrize("which", ["EVAL_SET", "HOLDOUT_SET"])
def test_f1_on_the_labelled_evaluation_sets(which):
    examples = load_examples(getattr(language_eval, which))
    assert len(examples) >= 120
    scores = evaluate(load_default_lexicon(), examples)
    assert scores.f1 >= 0.85, (scores.precision, scores.recall, scores.false_positives[:20], scores.misses[:20])
    assert scores.precision >= 0.9


def test_a_loaded_word_inside_a_name_is_only_info(lexicon):
    hits = found("Officials at Regime Change Records and the Flagrant Violation Band met.", lexicon)
    assert all(severity == "info" for _, _, severity, _ in hits)
    assert found("Flagrant violation, critics said.", lexicon)[0][2] == "warn"
    assert found("Some people say so.", lexicon)[0][2] == "warn"


def test_title_case_headlines_are_the_papers_voice_not_names():
    lexicon = load_default_lexicon()
    hits = {h.text: h.severity for h in scan("Regime Slams Protesters Over Fuel Prices\n\nText.", lexicon)}
    assert hits["Regime"] == "warn" and hits["Slams"] == "warn"
    # a name in a sentence is still only info
    assert {h.text: h.severity for h in scan("She joined Iconic Records Ltd in May.", lexicon)} == {
        "Iconic": "info"
    }


def test_revised_default_lexicon_on_fresh_copy():
    lexicon = load_default_lexicon()

    def loud(text):
        return [h.text for h in scan(text, lexicon) if h.severity in ("warn", "high")]

    assert loud("The court heard he admitted stealing £40,000. She admits killing him.") == []
    assert loud("Patients on a shorter regime of antibiotics recovered.") == []
    assert loud("United conceded a penalty in the 89th minute.") == []
    assert loud("The minister conceded a U-turn was inevitable.") == ["conceded"]
    assert loud("Campaigners slammed the city over its parking plan.") == ["slammed"]
    assert loud("Residents want some say in the plan.") == []
    assert loud("Some say in private that the plan will fail.") == ["Some say"]
    assert loud("Frankly, the plan is a mess. He stormed out of the meeting.") == ["Frankly", "stormed out"]
    assert loud("A mouthwatering menu and a mouth-watering price.") == ["mouthwatering", "mouth-watering"]
    assert loud("The so called experts met. The village is so called because of its mill.") == ["so called"]
    assert loud("The boss was said to be leaving.") == ["was said to"]


def test_an_exception_without_the_term_in_it_is_refused():
    ok = Term("claim", "loaded_verb", "warn", "x", exceptions=("claimed responsibility", "claims-office"))
    assert validate_term(ok) == []
    bad = Term("odd phrase", "editorializing", "warn", "x", exceptions=("unrelated words",))
    assert validate_term(bad) == [
        "the exception “unrelated words” does not contain “odd phrase” in any form, so it would "
        "never apply (an exception is a longer phrase around the term)"
    ]
    _, errors = parse_csv("phrase,category,severity,rationale,alternatives,style_note,exceptions\n"
                          "odd phrase,editorializing,warn,Why.,,,unrelated words\n")
    assert [e.row for e in errors] == [2]


def test_every_default_exception_contains_its_term():
    terms, errors = parse_csv(language_eval.DEFAULT_LEXICON.read_text(encoding="utf-8"))
    assert errors == [] and len(terms) > 1000


def test_a_noun_in_ing_is_offered_for_nouns_and_the_verb_for_verbs():
    from reviews.language import compile_lexicon, scan
    from reviews.language.lexicon import Term

    terms = compile_lexicon([Term("massacre", "loaded_verb", "warn", "Emotive.", ("killing", "kill"))])
    found = {h.text: h.suggestions for h in scan(
        "A massacre, they said. Troops massacred villagers; massacres followed, "
        "and the massacring went on.", terms)}
    assert found == {
        "massacre": ["killing", "kill"],
        "massacred": ["killed"],
        "massacres": ["killings", "kills"],
        "massacring": ["killing"],
    }
