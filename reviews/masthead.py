"""PURE: a byline and a dateline standing on their own lines under a story's title.

Copy pasted or saved from a content system often starts with them: "By Ann Lee" (or the
name alone), then "3 March 2025" or "Tuesday, March 3, 2025 10:42 GMT". They belong in the
story's fields, not its text. Only the first two lines of the body are looked at, each a
short line on its own (a paragraph that reads like a sentence is copy, not a byline).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_MONTHS = (
    "jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|"
    "sept?(?:ember)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?"
)
_DAYS = "mon|tue|tues|wed|thu|thur|thurs|fri|sat|sun"
_DAY_NAME = rf"(?:(?:{_DAYS})[a-z]*\.?,?\s+)?"
_TIME = r"(?:\s*(?:,|at|-|–|—)?\s*\d{1,2}[:.]\d{2}(?:\s*[ap]\.?m\.?)?(?:\s*[A-Z]{2,5})?)?"
_DATE = re.compile(
    rf"""^(?:(?:updated|published|posted|last\ updated)\s*:?\s*)?
    {_DAY_NAME}
    (?:
        \d{{1,2}}(?:st|nd|rd|th)?\s+(?:{_MONTHS})\.?,?\s+\d{{4}}      # 3 March 2025
      | (?:{_MONTHS})\.?\s+\d{{1,2}}(?:st|nd|rd|th)?,?\s+\d{{4}}      # March 3, 2025
      | \d{{4}}-\d{{2}}-\d{{2}}                                      # 2025-03-03
      | \d{{1,2}}/\d{{1,2}}/\d{{2,4}}                                # 03/03/2025
    )
    {_TIME}\s*$""",
    re.IGNORECASE | re.VERBOSE,
)
# A name: two to five words, each capitalised (particles such as "de", "van", "al-" allowed).
_NAME_WORD = r"(?:[A-Z][\w’'.-]*|de|da|del|della|der|di|du|la|le|van|von|al|el|bin|ibn)"
_NAME = rf"[A-Z][\w’'.-]*(?:\s+{_NAME_WORD}){{1,4}}"
_NAMES = rf"{_NAME}(?:(?:\s*,\s*|\s+and\s+|\s*&\s*){_NAME})*"
_AGENCY = r"(?:\s*(?:,|\||/|-|–|—|for|in)\s*[A-Z][\w .&’'-]{1,40})?"
_BY = re.compile(rf"^(?i:by)\s+(?P<who>{_NAMES}{_AGENCY})\s*$")
_NAME_ALONE = re.compile(rf"^(?P<who>{_NAMES})$")


@dataclass(frozen=True)
class Masthead:
    byline: str  # the name(s), without "By"
    dateline: str
    body: str  # the text without those lines

    @property
    def found(self) -> bool:
        return bool(self.byline or self.dateline)


def read_masthead(body: str) -> Masthead:
    """The byline and dateline on the first lines of body, and body without them.

    "By …" is a byline wherever it stands among those lines; a name alone counts only next
    to a dateline ("Ann Lee" then "3 March 2025"), since a short capitalised line on its own
    may as well be a subheading.
    """
    lines = body.split("\n")
    kinds: list[tuple[int, str, str]] = []  # (line index, kind, text)
    for i, line in enumerate(lines[:6]):
        text = line.strip()
        if not text:
            continue
        if len(text) > 80:
            break
        if _DATE.match(text):
            kind = "date"
        elif _BY.match(text):
            kind = "by"
        elif _NAME_ALONE.match(text) and _looks_like_a_name(text):
            kind = "name"
        else:
            break
        kinds.append((i, kind, text))
        if len(kinds) == 2:
            break
    has_date = any(k == "date" for _, k, _ in kinds)
    byline = dateline = ""
    last = -1
    for i, kind, text in kinds:
        if kind == "date" and not dateline:
            dateline = text
        elif kind == "by" and not byline:
            byline = _BY.match(text).group("who").strip()
        elif kind == "name" and not byline and has_date:
            byline = text
        else:
            break
        last = i
    if last < 0:
        return Masthead("", "", body)
    rest = "\n".join(lines[last + 1 :]).strip("\n")
    if not rest.strip():
        return Masthead("", "", body)  # nothing left: those lines were the story
    return Masthead(byline, dateline, rest)


def _looks_like_a_name(text: str) -> bool:
    """A name alone on a line, not a short headline-like phrase ("Police Arrest Two")."""
    words = text.replace(",", " ").split()
    return 2 <= len(words) <= 6 and not text.endswith((".", "!", "?", ":")) and not any(
        w.isupper() and len(w) > 3 for w in words
    )
