"""A revision of the default lexicon after a review on fresh copy, and the new folding.

1. ``normalized`` is recomputed for every term: hyphens are no longer folded into spaces
   (reviews/language/lexicon.py), so "must-see" and "must see" are different phrases now.
   Terms that writers hyphenate or not with one meaning ("world-class") are written with a
   space, which matches both; the rest keep the hyphen they need (SPACED below).
2. Exceptions that hid real loaded uses are removed (and four that could never apply) ("conceded a" also covered "conceded a
   U-turn was inevitable"; "slammed the city" also covered "Campaigners slammed the city"),
   narrower ones added in their place, and missing ones added (guilty pleas: "admitted
   stealing"; medicine: "antibiotic regime"). Changes are set operations on each term's
   list, so exceptions an admin added stay.
3. New terms ("frankly", "storm out", "mouth-watering", "was said to"…) are added where no
   term of the same phrase exists.
4. "suffer from" and "suffered from" are warnings like "suffers from" and "suffering from".

reviews/language/default_lexicon.csv holds the same revision, so a new database (migration
0004 reads the file) and an upgraded one end up with the same lexicon.
"""

from django.db import migrations
from django.utils import timezone

# Hyphenated terms that writers also write as two words, with the same meaning: written with
# a space, a term matches both ways (and closed up); written with a hyphen, only the hyphen.
# The rest keep their hyphen because the two words are ordinary English: "must see a GP",
# "the first rate cut", "would be", "cold blooded animals", "the crisis hit the town".
SPACED = [
    "world-class", "state-of-the-art", "award-winning", "world-renowned", "world-famous",
    "world-leading", "world-beating", "industry-leading", "market-leading", "best-in-class",
    "best-of-breed", "cutting-edge", "game-changer", "game-changing", "life-changing",
    "awe-inspiring", "jaw-dropping", "eye-watering", "mind-boggling", "heart-wrenching",
    "gut-wrenching", "nail-biting", "eyebrow-raising", "long-awaited", "much-anticipated",
    "much-loved", "well-loved", "much-celebrated", "much-maligned", "long-suffering",
    "star-studded", "top-notch", "so-called", "self-styled", "self-proclaimed",
    "self-appointed", "self-declared", "half-baked", "hare-brained", "heavy-handed",
    "ill-conceived", "ill-fated", "knee-jerk", "blood-soaked", "execution-style",
    "scandal-plagued", "scandal-ridden", "far-right", "far-left", "alt-right",
    "best-kept secret", "hard-working families", "late-term abortion", "partial-birth abortion",
    "black-on-black crime", "wheelchair-bound", "deaf-mute", "half-caste", "half-breed",
]

EXCEPTIONS = {
    # phrase: (exceptions to remove, exceptions to add)
    "so called": (
        [],
        ["so called because", "is so called", "was so called", "are so called",
         "were so called", "so called after", "so called for"],
    ),
    "claimed": (
        ["claimed some", "claimed the first", "claimed the second"],
        ["claimed the golden boot", "claimed the award", "claimed the first set",
         "claimed the second set", "claimed the first leg", "claimed the second leg",
         "claimed the first round", "claimed the first stage", "claimed the first game",
         "claimed the first frame", "claimed the first prize"],
    ),
    "concede": (
        ["conceded a", "conceded an", "conceded in the", "conceded with", "conceded more",
         "conceded no"],
        ["conceded a penalty", "conceded a goal", "conceded a try", "conceded a corner",
         "conceded a free kick", "conceded a free-kick", "conceded a late", "conceded an early",
         "conceded a second", "conceded a third", "conceded a set", "conceded a wicket",
         "conceded a run", "conceded a point", "conceded a game", "conceded a break",
         "conceded an own goal", "conceded an equaliser", "conceded an equalizer",
         "conceded a soft", "conceded a header", "conceded a boundary", "conceded a six",
         "conceded a four", "conceded a brace", "conceded a hat-trick", "conceded a draw",
         "conceded in the first half", "conceded in the second half", "conceded in the final",
         "conceded in the opening", "conceded in the last", "conceded in stoppage time",
         "conceded in injury time", "conceded in the dying", "conceded more goals",
         "conceded more runs", "conceded more points", "conceded more than",
         "conceded no goals", "conceded no runs", "conceded no points"],
    ),
    "slam": (
        ["slammed the city", "slammed the state", "slammed the region", "slammed the area",
         "slammed parts of"],
        [],
    ),
    # Exceptions without the term in them never applied; the import now refuses such rows.
    "slay": (["slew of", "a slew", "whole slew"], []),
    "handout": (["/handout"], []),
    "some say": (
        ["some say in", "some say over", "some say on", "some say about", "some say as to"],
        ["gives some say", "gave some say", "give them some say", "gives them some say",
         "given them some say"],
    ),
    "regime": (
        [],
        ["regime of antibiotics", "antibiotic regime", "antibiotics regime",
         "medication regime", "chemotherapy regime", "medicine regime", "insulin regime",
         "feeding regime", "sleep regime", "skincare regime", "cleaning regime",
         "maintenance regime", "study regime", "revision regime"],
    ),
    "admit": (
        [],
        ["admitted stealing", "admitted killing", "admitted attempting", "admitted robbery",
         "admitted burglary", "admitted wounding", "admitted arson", "admitted affray",
         "admitted harassment", "admitted stalking", "admitted attempted", "admitted handling",
         "admitted supplying", "admitted making", "admitted sexual", "admitted indecent",
         "admitted criminal", "admitted perverting", "admitted money laundering",
         "admitted bribery", "admitted blackmail", "admitted kidnapping", "admitted rape",
         "admitted grievous", "admitted actual bodily harm", "admitted common assault",
         "admitted being drunk", "admitted driving", "admitted failing", "admitted using",
         "admitted carrying", "admitted threatening", "admitted to the charge",
         "admitted to the charges", "admitted to the offence", "admitted to the offense",
         "admitted to charges"],
    ),
}

SEVERITY = {"suffer from": "warn", "suffered from": "warn"}

NEW_TERMS = [
    # phrase, category, severity, rationale, alternatives, style note, exceptions
    ("frankly", "editorializing", "warn",
     "‘Frankly’ in our voice announces an opinion; the facts should carry the point.",
     [], "Cut it, or quote whoever is being frank.", []),
    ("storm out", "loaded_verb", "warn",
     "‘Stormed out’ dramatises how someone left; say that they left, and when.",
     ["leave", "walk out"], "Describe what happened (left before the vote) instead.",
     ["storm out to sea", "stormed out to sea"]),
    ("mouth-watering", "puffery", "warn",
     "Promotional praise; say what the food or the offer is.", [],
     "Describe it, or attribute the praise.", []),
    ("was said to", "unsupported_attribution", "warn",
     "Said by whom? Name the source or say we could not confirm it.", [],
     "Attribute to a named or described source.", []),
    ("were said to", "unsupported_attribution", "warn",
     "Said by whom? Name the source or say we could not confirm it.", [],
     "Attribute to a named or described source.", []),
    ("are thought to", "unsupported_attribution", "warn",
     "Thought by whom? Name who thinks so.", [],
     "Attribute to a named or described source.", []),
    ("was thought to", "unsupported_attribution", "warn",
     "Thought by whom? Name who thinks so.", [],
     "Attribute to a named or described source.", []),
    ("were thought to", "unsupported_attribution", "warn",
     "Thought by whom? Name who thinks so.", [],
     "Attribute to a named or described source.", []),
]


def revise(apps, schema_editor):
    from reviews.language.lexicon import fold_phrase

    LexiconTerm = apps.get_model("reviews", "LexiconTerm")
    now = timezone.now()
    # 1. The new folding. Two terms that differed only by a hyphen could not exist before
    # (they folded alike), so no two terms collide now.
    for term in LexiconTerm.objects.all():
        normalized = fold_phrase(term.phrase)
        if term.normalized != normalized:
            LexiconTerm.objects.filter(pk=term.pk).update(normalized=normalized)
    # Hyphenated terms that also match as two words are written with a space.
    taken = set(LexiconTerm.objects.values_list("normalized", flat=True))
    for hyphenated in SPACED:
        spaced = hyphenated.replace("-", " ")
        if spaced not in taken:
            LexiconTerm.objects.filter(normalized=hyphenated).update(
                phrase=spaced, normalized=spaced, updated_at=now
            )
    by_phrase = {t.normalized: t for t in LexiconTerm.objects.all()}
    # 2. Exceptions, as set operations on each list.
    for phrase, (remove, add) in EXCEPTIONS.items():
        term = by_phrase.get(fold_phrase(phrase))
        if term is None:
            continue
        drop = {fold_phrase(e) for e in remove}
        kept = [e for e in term.exceptions or [] if fold_phrase(e) not in drop]
        have = {fold_phrase(e) for e in kept}
        kept += [e for e in add if fold_phrase(e) not in have]
        if kept != term.exceptions:
            LexiconTerm.objects.filter(pk=term.pk).update(exceptions=kept, updated_at=now)
    # 4. Severities.
    for phrase, severity in SEVERITY.items():
        LexiconTerm.objects.filter(normalized=fold_phrase(phrase)).update(
            severity=severity, updated_at=now
        )
    # 3. New terms.
    for phrase, category, severity, rationale, alternatives, note, exceptions in NEW_TERMS:
        if fold_phrase(phrase) not in by_phrase:
            LexiconTerm.objects.create(
                phrase=phrase, normalized=fold_phrase(phrase), category=category,
                severity=severity, rationale=rationale, alternatives=alternatives,
                style_note=note, exceptions=exceptions, created_at=now, updated_at=now,
            )


class Migration(migrations.Migration):
    dependencies = [("reviews", "0009_search_unaccent")]

    operations = [migrations.RunPython(revise, migrations.RunPython.noop)]
