"""Lexicon files in and out: CSV, and Vale-style YAML rules. Pure: no Django.

Parsing never half-succeeds: every bad row is reported with its reason, and callers import
nothing unless the whole file is clean.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass

import yaml

from .lexicon import CATEGORIES, SEVERITIES, Term, fold_phrase, validate_term

CSV_COLUMNS = ["phrase", "category", "severity", "rationale", "alternatives", "style_note", "exceptions"]
LIST_SEPARATOR = "|"


@dataclass(frozen=True)
class RowError:
    row: int  # 1-based line number in the file (header is row 1); 0 for the whole file
    reason: str

    def __str__(self):
        return f"row {self.row}: {self.reason}" if self.row else self.reason


def _split_list(value: str) -> tuple[str, ...]:
    return tuple(v.strip() for v in (value or "").split(LIST_SEPARATOR) if v.strip())


def _check_unique(terms: list[tuple[int, Term]], errors: list[RowError], taken: set[str]):
    seen: dict[str, int] = {}
    for row, term in terms:
        key = fold_phrase(term.phrase)
        if key in seen:
            errors.append(RowError(row, f"“{term.phrase}” repeats row {seen[key]}"))
        elif key in taken:
            errors.append(RowError(row, f"“{term.phrase}” is already in the lexicon"))
        else:
            seen[key] = row


def parse_csv(text: str, existing_phrases: set[str] = frozenset()) -> tuple[list[Term], list[RowError]]:
    """Terms from CSV text with the CSV_COLUMNS header; errors list every bad row."""
    errors: list[RowError] = []
    reader = csv.DictReader(io.StringIO(text))
    header = [h.strip().lower() for h in (reader.fieldnames or [])]
    missing = [c for c in ("phrase", "category") if c not in header]
    if missing:
        return [], [RowError(0, f"the header must name the columns {', '.join(CSV_COLUMNS)}; missing: {', '.join(missing)}")]
    reader.fieldnames = header
    parsed: list[tuple[int, Term]] = []
    for record in reader:
        row = reader.line_num
        if None in record:
            errors.append(RowError(row, "more values than there are columns"))
            continue
        values = {k: (v or "").strip() for k, v in record.items()}
        if not any(values.values()):
            continue
        term = Term(
            phrase=values.get("phrase", ""),
            category=values.get("category", ""),
            severity=values.get("severity") or "warn",
            rationale=values.get("rationale", ""),
            alternatives=_split_list(values.get("alternatives", "")),
            style_note=values.get("style_note", ""),
            exceptions=_split_list(values.get("exceptions", "")),
        )
        problems = validate_term(term)
        if not term.rationale:
            problems.append("the rationale is empty: say in one sentence why an editor cares")
        for problem in problems:
            errors.append(RowError(row, problem))
        if not problems:
            parsed.append((row, term))
    _check_unique(parsed, errors, {fold_phrase(p) for p in existing_phrases})
    if not parsed and not errors:
        errors.append(RowError(0, "the file has no terms"))
    errors.sort(key=lambda e: e.row)
    return ([t for _, t in parsed] if not errors else []), errors


def to_csv(terms: list[Term]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for t in terms:
        writer.writerow([
            t.phrase, t.category, t.severity, t.rationale,
            f" {LIST_SEPARATOR} ".join(t.alternatives), t.style_note,
            f" {LIST_SEPARATOR} ".join(t.exceptions),
        ])
    return out.getvalue()


_VALE_LEVELS = {"suggestion": "info", "warning": "warn", "error": "high"}
_REGEX_CHARS = re.compile(r"[\\\[\](){}*+?^$|]")


def parse_vale_yaml(
    text: str, category: str, existing_phrases: set[str] = frozenset()
) -> tuple[list[Term], list[RowError]]:
    """Terms from one Vale rule: `extends: existence` (tokens) or `extends: substitution` (swap).

    Vale tokens may be regular expressions; only plain words and phrases are taken, and a
    pattern is reported as a bad row rather than guessed at.
    """
    try:
        rule = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" (line {mark.line + 1})" if mark else ""
        return [], [RowError(0, f"this is not valid YAML{where}")]
    if not isinstance(rule, dict):
        return [], [RowError(0, "a Vale rule is a YAML mapping with an `extends:` key")]
    if category not in CATEGORIES:
        return [], [RowError(0, f"unknown category “{category}”")]
    extends = rule.get("extends")
    severity = _VALE_LEVELS.get(str(rule.get("level", "warning")).lower(), "warn")
    message = str(rule.get("description") or rule.get("message") or "").strip()
    entries: list[tuple[str, tuple[str, ...]]] = []
    if extends == "existence":
        tokens = rule.get("tokens")
        if not isinstance(tokens, list) or not tokens:
            return [], [RowError(0, "an `existence` rule needs a list of `tokens`")]
        entries = [(str(t), ()) for t in tokens]
    elif extends == "substitution":
        swap = rule.get("swap")
        if not isinstance(swap, dict) or not swap:
            return [], [RowError(0, "a `substitution` rule needs a `swap` mapping")]
        entries = [(str(k), tuple(a.strip() for a in str(v).split("|") if a.strip())) for k, v in swap.items()]
    else:
        return [], [RowError(0, f"only `extends: existence` and `extends: substitution` rules can be imported, not “{extends}”")]
    parsed: list[tuple[int, Term]] = []
    errors: list[RowError] = []
    for number, (phrase, alternatives) in enumerate(entries, start=1):
        if _REGEX_CHARS.search(phrase):
            errors.append(RowError(number, f"“{phrase}” is a regular expression; list plain words or phrases"))
            continue
        term = Term(phrase=phrase.strip(), category=category, severity=severity,
                    rationale=_vale_rationale(message, phrase.strip(), alternatives),
                    alternatives=alternatives)
        problems = validate_term(term)
        errors.extend(RowError(number, p) for p in problems)
        if not problems:
            parsed.append((number, term))
    _check_unique(parsed, errors, {fold_phrase(p) for p in existing_phrases})
    errors.sort(key=lambda e: e.row)
    return ([t for _, t in parsed] if not errors else []), errors


def _vale_rationale(message: str, phrase: str, alternatives: tuple[str, ...]) -> str:
    """A Vale message with its %s filled as Vale fills them: a substitution rule's message
    names the alternative, then the matched words ("Use '%s' instead of '%s'."); an
    existence rule's names the matched words ("Avoid '%s'.")."""
    values = [" or ".join(alternatives), phrase] if alternatives else [phrase]
    filled = re.sub(r"%s", lambda _: values.pop(0) if values else phrase, message)
    filled = " ".join(filled.split()).strip()
    if not filled:
        return "Flagged by an imported house style rule."
    return filled if filled[-1] in ".!?" else filled + "."


__all__ = ["CSV_COLUMNS", "RowError", "parse_csv", "parse_vale_yaml", "to_csv", "SEVERITIES"]
