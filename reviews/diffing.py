"""Word-level differences between two texts, for people to read. Pure: no Django.

Each word, run of spaces and punctuation mark becomes one token; tokens are mapped to single
characters (the diff-match-patch lines-to-chars trick, applied to words) so the character
diff runs over words, then mapped back. A semantic clean-up merges the small equalities
that make word diffs hard to read.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from diff_match_patch import diff_match_patch

EQUAL, INSERT, DELETE = "equal", "insert", "delete"

# A word keeps its inner apostrophes, hyphens and number punctuation: "so-called", "4.2",
# "2,400" and "don't" each change as one word.
_WORD = r"\w+(?:[.,'’:/\-]\w+)*"
_TOKEN = re.compile(rf"\s+|{_WORD}|[^\w\s]", re.UNICODE)
_OPS = {0: EQUAL, 1: INSERT, -1: DELETE}


@dataclass(frozen=True)
class Change:
    op: str  # "equal", "insert" or "delete"
    text: str


def _encode(tokens: list[str], table: dict[str, str], vocab: list[str]) -> str:
    out = []
    for token in tokens:
        code = table.get(token)
        if code is None:
            # Skip the surrogate range: those code points cannot stand alone in a str diff.
            n = len(vocab)
            code = chr(n + 0x800 if n + 0x800 < 0xD800 else n + 0x800 + 0x800)
            table[token] = code
            vocab.append(token)
        out.append(code)
    return "".join(out)


def word_diff(old: str, new: str, timeout: float = 2.0) -> list[Change]:
    """The changes turning old into new, word by word, with neighbouring runs merged."""
    table: dict[str, str] = {}
    vocab: list[str] = []
    a = _encode(_TOKEN.findall(old), table, vocab)
    b = _encode(_TOKEN.findall(new), table, vocab)
    decode = {code: token for token, code in table.items()}
    dmp = diff_match_patch()
    dmp.Diff_Timeout = timeout
    diffs = dmp.diff_main(a, b, False)
    dmp.diff_cleanupSemantic(diffs)
    changes: list[Change] = []
    for op, chunk in diffs:
        text = "".join(decode[c] for c in chunk)
        if not text:
            continue
        kind = _OPS[op]
        if changes and changes[-1].op == kind:
            changes[-1] = Change(kind, changes[-1].text + text)
        else:
            changes.append(Change(kind, text))
    return changes


def change_counts(changes: list[Change]) -> dict[str, int]:
    """Words inserted and deleted (whitespace and punctuation not counted)."""
    counts = {INSERT: 0, DELETE: 0}
    for c in changes:
        if c.op in counts:
            counts[c.op] += len(re.findall(_WORD, c.text))
    return counts
