"""Lexicon terms, the text folding shared with the scanner, and inflection variants."""

from __future__ import annotations

import re
from collections.abc import Hashable
from dataclasses import dataclass, field

CATEGORIES = {
    "contentious_label": "Contentious label",
    "loaded_verb": "Loaded verb or said-synonym",
    "editorializing": "Editorialising",
    "euphemism": "Euphemism",
    "puffery": "Puffery",
    "unsupported_attribution": "Unsupported attribution",
}
SEVERITIES = ("info", "warn", "high")

# Never terms on their own: they would match nearly every sentence.
STOP_WORDS = frozenset(
    """a about above after again against all am an and any are as at be because been before
    being below between both but by can did do does doing down during each few for from
    further had has have having he her here hers herself him himself his how i if in into is
    it its itself just me more most my myself no nor not now of off on once only or other our
    ours ourselves out over own same she should so some such than that the their theirs them
    themselves then there these they this those through to too under until up very was we
    were what when where which while who whom why will with you your yours yourself
    yourselves said says say""".split()
)

# Length-preserving folding, so offsets in the folded text are offsets in the original:
# curly apostrophes become straight, every kind of hyphen (and the en dash, which also
# joins words: "so–called") a plain hyphen, line breaks and tabs spaces. Hyphens stay
# hyphens: "must-see" is puffery where "must see a GP" is not, so a hyphenated term needs
# its hyphen (or the words closed up, "mouthwatering"); see variants().
_FOLD = str.maketrans(
    {
        "\u2019": "'",
        "\u2018": "'",
        "\u02bc": "'",
        "\u2032": "'",
        "\u2010": "-",
        "\u2011": "-",
        "\u2012": "-",
        "\u2013": "-",
        "\n": " ",
        "\t": " ",
        "\r": " ",
        "\u00a0": " ",
    }
)


def fold(text: str) -> str:
    """Lower-case and unify variants without changing the text's length."""
    low = text.lower()
    if len(low) != len(text):  # a few characters (e.g. U+0130) lower-case to two
        low = "".join(c.lower() if len(c.lower()) == 1 else c for c in text)
    return low.translate(_FOLD)


def fold_phrase(phrase: str) -> str:
    return re.sub(r" *- *", "-", re.sub(r" +", " ", fold(phrase).strip()))


def _split(phrase: str) -> tuple[list[str], list[str]]:
    """A folded phrase's words and the separators between them (" " or "-")."""
    parts = re.split(r"([ -])", phrase)
    return parts[0::2], parts[1::2]


def _join(words: list[str], separators: list[str]) -> str:
    out = [words[0]]
    for sep, word in zip(separators, words[1:], strict=True):
        out += [sep, word]
    return "".join(out)


@dataclass(frozen=True)
class Term:
    phrase: str
    category: str
    severity: str = "warn"
    rationale: str = ""
    alternatives: tuple[str, ...] = ()
    style_note: str = ""
    exceptions: tuple[str, ...] = ()
    key: Hashable = None  # the database id, when there is one
    extra: dict = field(default_factory=dict, compare=False, hash=False)


def severity_rank(severity: str) -> int:
    return SEVERITIES.index(severity) if severity in SEVERITIES else 0


# A letter or a digit (\w without the underscore): what a term is counted in.
_ALNUM = re.compile(r"[^\W_]")


def _letters(phrase: str) -> int:
    return len(_ALNUM.findall(phrase))


def _bare(phrase: str) -> str:
    """A folded phrase without the punctuation around it: "'the'" is "the"."""
    return re.sub(r"^[\W_]+|[\W_]+$", "", phrase)


def validate_term(term: Term) -> list[str]:
    """Reasons this term cannot be used; empty when it is fine.

    Letters and digits are counted, not characters: "'s", "e." and "I ." hold one letter
    each and would match every possessive, initial or pronoun, so a term needs at least two.
    Punctuation around a common word does not make it less common ("the.", "'said'").
    Exceptions need no rule of their own: each must contain the term (checked below), so it
    holds at least the term's letters."""
    errors = []
    phrase = fold_phrase(term.phrase)
    letters = _letters(phrase)
    if not phrase:
        errors.append("the phrase is empty")
    elif letters == 0:
        errors.append(f"“{term.phrase}” has no letters or digits")
    elif letters < 2:
        errors.append(
            f"“{term.phrase}” has a single letter and would match everywhere "
            "(a term needs at least two letters or digits)"
        )
    elif phrase in STOP_WORDS or _bare(phrase) in STOP_WORDS:
        errors.append(f"“{term.phrase}” is a common word and would match almost every sentence")
    if term.category not in CATEGORIES:
        errors.append(
            f"unknown category “{term.category}” (use one of: {', '.join(CATEGORIES)})"
        )
    if term.severity not in SEVERITIES:
        errors.append(f"unknown severity “{term.severity}” (use info, warn or high)")
    if len(term.phrase) > 200:
        errors.append("the phrase is longer than 200 characters")
    if not errors and term.exceptions:
        forms = variants(term.phrase)
        errors += [
            f"the exception “{e}” does not contain “{term.phrase}” in any form, so it would "
            "never apply (an exception is a longer phrase around the term)"
            for e in term.exceptions
            if not exception_contains_term(e, term.phrase, forms)
        ]
    return errors


def exception_contains_term(exception: str, phrase: str, forms=None) -> bool:
    """Whether some form of the term (variants(phrase), given or computed) stands, as whole
    words, inside the exception."""
    forms = forms if forms is not None else variants(phrase)
    for text in exception_variants(exception, phrase):
        padded = f" {text} "
        if any(f" {f} " in padded or f" {f}-" in padded or f"-{f} " in padded for f in forms):
            return True
    return False


# --- inflections ------------------------------------------------------------------------
#
# Each variant carries a tag naming how it was formed, so a suggestion can be inflected the
# same way ("assassinated" -> "killed").

_VOWELS = "aeiou"


def _doubles_final_consonant(word: str) -> bool:
    """slam -> slammed, admit -> admitted: one vowel then one consonant at the end."""
    return (
        len(word) >= 3
        and word[-1] not in _VOWELS + "wxy"
        and word[-2] in _VOWELS
        and word[-3] not in _VOWELS
        and (len(word) <= 5 or word.endswith(("it", "et", "ot", "el", "ol")))
    )


# Past forms that the suffix rules get wrong: used for suggestions ("admitted" -> "said")
# and for matching ("spin" also finds "spun").
IRREGULAR_PAST = {
    "say": "said", "tell": "told", "speak": "spoke", "go": "went", "take": "took",
    "make": "made", "give": "gave", "find": "found", "write": "wrote", "think": "thought",
    "bring": "brought", "run": "ran", "win": "won", "lose": "lost", "leave": "left",
    "put": "put", "set": "set", "cut": "cut", "hit": "hit", "hold": "held", "keep": "kept",
    "meet": "met", "lead": "led", "seek": "sought", "fight": "fought", "beat": "beat",
    "shoot": "shot", "feel": "felt", "mean": "meant", "send": "sent", "spend": "spent",
    "build": "built", "stand": "stood", "understand": "understood", "fall": "fell",
    "rise": "rose", "drive": "drove", "choose": "chose", "buy": "bought", "catch": "caught",
    "teach": "taught", "sell": "sold", "flee": "fled", "slay": "slain", "spin": "spun",
    "swear": "swore", "strike": "struck", "shake": "shook", "throw": "threw", "blow": "blew",
    "tear": "tore", "steal": "stole", "break": "broke", "bite": "bit", "hide": "hid",
    "grow": "grew", "draw": "drew", "forbid": "forbade", "forgive": "forgave", "get": "got",
    "come": "came", "become": "became", "know": "knew", "see": "saw", "do": "did",
    "have": "had", "be": "was", "let": "let", "quit": "quit", "shut": "shut", "split": "split",
    "spread": "spread", "bet": "bet", "bid": "bid", "weep": "wept", "sweep": "swept",
    "sleep": "slept", "creep": "crept", "bleed": "bled", "feed": "fed", "lay": "laid",
    "pay": "paid", "mislead": "misled", "overthrow": "overthrew", "undertake": "undertook",
    "withdraw": "withdrew", "withhold": "withheld", "uphold": "upheld", "sink": "sank",
    "stink": "stank", "sting": "stung", "swing": "swung", "fling": "flung", "cling": "clung",
}


IRREGULAR_PLURAL = {
    "man": "men", "woman": "women", "child": "children", "person": "people",
    "foot": "feet", "tooth": "teeth", "mouse": "mice", "goose": "geese", "wife": "wives",
    "life": "lives", "knife": "knives", "leaf": "leaves", "half": "halves", "thief": "thieves",
    "wolf": "wolves", "shelf": "shelves", "crisis": "crises", "criterion": "criteria",
    "phenomenon": "phenomena", "hero": "heroes", "tomato": "tomatoes", "veto": "vetoes",
    "policeman": "policemen", "chairman": "chairmen", "spokesman": "spokesmen",
    "congressman": "congressmen", "gunman": "gunmen", "businessman": "businessmen",
}


def inflect(word: str, tag: str) -> str:
    """The form of word named by tag (the same rules that generate the variants)."""
    if not word or tag == "base":
        return word
    if tag == "past" and word in IRREGULAR_PAST:
        return IRREGULAR_PAST[word]
    if tag == "gerund" and word.endswith("ie") and len(word) <= 4:
        return word[:-2] + "ying"  # die -> dying, lie -> lying
    if tag == "plural":
        if word in IRREGULAR_PLURAL:
            return IRREGULAR_PLURAL[word]
        if _looks_plural(word):
            return word  # an alternative that is plural already: "authorities", "troops"
        if word.endswith("man") and len(word) > 5:
            return word[:-3] + "men"
        if word.endswith(("s", "x", "z", "ch", "sh")):
            return word + "es"
        if word.endswith("y") and len(word) > 2 and word[-2] not in _VOWELS:
            return word[:-1] + "ies"
        return word + "s"
    if tag == "possessive":
        return word + "'" if _looks_plural(word) else word + "'s"
    if tag == "plural_possessive":  # the regimes' leaders, the men's
        plural = inflect(word, "plural")
        return plural + "'" if plural.endswith("s") else plural + "'s"
    if tag in ("past", "gerund"):
        suffix = "ed" if tag == "past" else "ing"
        if word.endswith("e"):
            if tag == "past":
                return word + "d"  # agree -> agreed, hate -> hated
            return word + "ing" if word.endswith(("ee", "ye", "oe")) else word[:-1] + "ing"
        if word.endswith("y") and len(word) > 2 and word[-2] not in _VOWELS and tag == "past":
            return word[:-1] + "ied"
        if _doubles_final_consonant(word):
            return word + word[-1] + suffix
        return word + suffix
    if tag == "noun_ation":
        if word.endswith("ate"):
            return word[:-1] + "ion"
        return inflect(word, "gerund")
    return word


def _looks_plural(word: str) -> bool:
    """A regular English plural: ends in s but not in ss, us, is or ous (boss, bus, crisis,
    famous). Good enough for the alternatives a lexicon offers."""
    return (
        len(word) > 3
        and word.endswith("s")
        and not word.endswith(("ss", "us", "is", "ous", "'s"))
        or word in IRREGULAR_PLURAL.values()
    )


_TAGS = ("base", "plural", "possessive", "past", "gerund")

# In "lash out" or "rail against" the verb comes first: that is the word that inflects.
_PARTICLES = frozenset(
    "out back up down off in on away over against about at into through around".split()
)


_PREPOSITIONS = frozenset("of with for in on to from by about against at without".split())


def head_index(words: list[str]) -> int:
    """Which word of a phrase takes the inflection.

    The verb of a phrasal verb ("lash out" -> "lashed out"), the noun before a preposition
    ("war on terror" -> "wars on terror", "person with cancer" -> "people with cancer"),
    otherwise the last word.
    """
    if len(words) >= 2 and words[-1] in _PARTICLES:
        return 0
    for i in range(1, len(words) - 1):
        if words[i] in _PREPOSITIONS:
            return i - 1
    return len(words) - 1


def can_inflect(phrase: str, tag: str) -> bool:
    """Whether phrase has the form tag names: a noun in -ing ("killing", an alternative
    for the noun "massacre") has no past tense and no -ing form of its own."""
    if tag not in ("past", "gerund"):
        return True
    words = [w.lower() for w in _split(phrase)[0]]
    head = words[head_index(words)] if words else ""
    stem = head[:-3] if head.endswith("ing") else ""
    return not (len(stem) >= 3 and any(c in "aeiouy" for c in stem))  # "string", "bring": verbs


def inflect_phrase(phrase: str, tag: str) -> str:
    words, separators = _split(phrase)
    i = head_index([w.lower() for w in words])
    words[i] = inflect(words[i], tag)
    return _join(words, separators)


def variants(phrase: str) -> dict[str, str]:
    """Folded surface forms of a phrase -> the inflection tag of its head word.

    Irregular forms ("slain", "spun") are lexicon rows of their own.
    """
    folded = fold_phrase(phrase)
    if not folded:
        return {}
    words, separators = _split(folded)
    i = head_index(words)
    head = words[i]
    forms: dict[str, str] = {}
    tags = list(_TAGS)
    if head.endswith("ate"):
        tags.append("noun_ation")
    for tag in tags:
        form = inflect(head, tag)
        extra = [(form, tag)]
        if tag == "noun_ation" and form.endswith("ion"):
            extra.append((form + "s", tag))
        if tag == "plural":
            extra.append((form + "'", "plural_possessive"))  # the regimes' leaders
        if tag in ("past", "gerund") and len(head) > 5 and head.endswith(_EITHER_SPELLING):
            # travelled and traveled, skyrocketed (and a harmless skyrocketted): match both
            suffix = "ed" if tag == "past" else "ing"
            extra += [(head + suffix, tag), (head + head[-1] + suffix, tag)]
        for f, t in extra:
            forms.setdefault(_join(words[:i] + [f] + words[i + 1 :], separators), t)
    for form, tag in list(forms.items()):
        if "-" in form:  # "mouth-watering" also as "mouthwatering"
            forms.setdefault(form.replace("-", ""), tag)
        elif " " in form:  # "cutting edge" also as "cutting-edge"
            forms.setdefault(form.replace(" ", "-"), tag)
    return forms


# Long verbs ending so double their last consonant in British spelling but not in American
# (travelled, traveled) or only sometimes (targeted, admitted): both spellings are matched.
_EITHER_SPELLING = ("el", "et", "it", "ot", "ol", "al")


def exception_variants(exception: str, term_phrase: str) -> set[str]:
    """An exception phrase with the term's word in each of its inflected forms.

    "claimed responsibility" for the term "claim" also covers "claims responsibility".
    """
    folded = fold_phrase(exception)
    if not folded:
        return set()
    out = {folded}
    term_words, _ = _split(fold_phrase(term_phrase))
    last = term_words[head_index(term_words)]
    stem = last[:-1] if last.endswith("e") else last
    words, separators = _split(folded)
    for i, w in enumerate(words):
        if stem and w.startswith(stem):
            for tag in _TAGS:
                out.add(_join(words[:i] + [inflect(last, tag)] + words[i + 1 :], separators))
            break
    # An exception suppresses, so erring wide is safe: "regime-change" also as "regime
    # change", and the other way round.
    return out | {form.replace("-", " ") for form in out} | {form.replace(" ", "-") for form in out}
