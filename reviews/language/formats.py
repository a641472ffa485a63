"""Lexicon files in and out: CSV, and Vale-style YAML rules. Pure: no Django.

Parsing never half-succeeds: every bad row is reported with its reason, and callers import
nothing unless the whole file is clean.

Uploaded YAML (a Vale rule here, a Markdown file's front matter in ``reviews.importers``) is
read by ``load_uploaded_yaml``, the one place that reads YAML from a file: anchors and aliases
are refused before anything is built (a few hundred bytes of nested aliases expand to
gigabytes), so is nesting deeper than ``MAX_YAML_DEPTH``, and callers refuse any value that is
not text where text is expected rather than converting it.

A file holds at most ``MAX_TERMS`` terms. The CSV export defuses cells a spreadsheet would run
as formulas, as the story CSV export does (``reviews.exporters.csv_export.defuse``), and the
CSV import takes that apostrophe off again, so an exported file imports as it was.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass
from datetime import date

import yaml

from .lexicon import CATEGORIES, SEVERITIES, Term, fold_phrase, validate_term

# The most terms one file may hold: the house lexicon has a few hundred.
MAX_TERMS = 10_000
# The deepest nesting of lists and mappings accepted in uploaded YAML: a Vale rule or a front
# matter block needs two or three levels.
MAX_YAML_DEPTH = 20

CSV_COLUMNS = ["phrase", "category", "severity", "rationale", "alternatives", "style_note", "exceptions"]
LIST_SEPARATOR = "|"


@dataclass(frozen=True)
class RowError:
    row: int  # 1-based line number in the file (header is row 1); 0 for the whole file
    reason: str

    def __str__(self):
        return f"row {self.row}: {self.reason}" if self.row else self.reason


class UploadedYAMLError(ValueError):
    """YAML from an uploaded file that cannot be used; str() is a message for the uploader."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


class YAMLRefused(UploadedYAMLError):
    """Well-formed YAML that is refused all the same: anchors, aliases, or too deep."""


ALIASES_REFUSED = (
    "YAML aliases (*name) are not accepted in uploaded files, nor anchors (&name): "
    "write each value out in full"
)

try:  # libyaml when PyYAML was built with it: the same results, ten times faster
    _Loader = yaml.CSafeLoader
except AttributeError:  # pragma: no cover
    _Loader = yaml.SafeLoader


def load_uploaded_yaml(text: str, first_line: int = 1):
    """The one reader of YAML from uploaded files: a safe load of ``text`` after its events have
    been checked, so that nothing is built from a file with an anchor or an alias, or nested
    more than MAX_YAML_DEPTH deep.

    Raises YAMLRefused for those, UploadedYAMLError (message "this is not valid YAML (line
    n)") for anything else PyYAML cannot read. Lines are numbered from first_line (the line
    of the file where text starts)."""
    try:
        depth = 0
        for event in yaml.parse(text, Loader=_Loader):
            mark = event.start_mark
            line = f" (line {mark.line + first_line})" if mark else ""
            if isinstance(event, yaml.AliasEvent) or getattr(event, "anchor", None):
                raise YAMLRefused(f"{ALIASES_REFUSED}{line}")
            if isinstance(event, yaml.CollectionStartEvent):
                depth += 1
                if depth > MAX_YAML_DEPTH:
                    raise YAMLRefused(
                        f"lists and mappings are nested more than {MAX_YAML_DEPTH} deep{line}"
                    )
            elif isinstance(event, yaml.CollectionEndEvent):
                depth -= 1
        return yaml.load(text, Loader=_Loader)
    except UploadedYAMLError:
        raise
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" (line {mark.line + first_line})" if mark else ""
        raise UploadedYAMLError(f"this is not valid YAML{where}") from None
    except (ValueError, OverflowError, RecursionError):
        # A value PyYAML's own converters reject: an integer of thousands of digits, a date
        # that does not exist.
        raise UploadedYAMLError("this is not valid YAML") from None


def kind_of_value(value) -> str:
    """What a non-text YAML value is, in words for the person who wrote it."""
    if value is None:
        return "empty"
    if isinstance(value, bool):
        return "true or false"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, date):
        return "a date"
    return "not text"


def _too_many(count: int) -> RowError:
    return RowError(0, f"the file holds {count:,} terms; at most {MAX_TERMS:,} can be imported at once")


def _not_text(what: str, value) -> str:
    if value is None:
        return f"{what} is empty"
    return f"{what} is {kind_of_value(value)}, not text; put it in quotes"


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
    try:
        header = [h.strip().lower() for h in (reader.fieldnames or [])]
    except csv.Error as exc:
        return [], [RowError(1, f"this is not a readable CSV row ({exc})")]
    missing = [c for c in ("phrase", "category") if c not in header]
    if missing:
        return [], [RowError(0, f"the header must name the columns {', '.join(CSV_COLUMNS)}; missing: {', '.join(missing)}")]
    reader.fieldnames = header
    parsed: list[tuple[int, Term]] = []
    terms = 0
    records = iter(reader)
    while True:
        try:
            record = next(records, None)
        except csv.Error as exc:  # a field over the csv module's size limit, a stray quote
            return [], [RowError(reader.line_num, f"this is not a readable CSV row ({exc})")]
        if record is None:
            break
        row = reader.line_num
        if None in record:
            errors.append(RowError(row, "more values than there are columns"))
            continue
        values = {k: _undefuse((v or "").strip()).strip() for k, v in record.items()}
        if not any(values.values()):
            continue
        terms += 1
        if terms > MAX_TERMS:
            return [], [RowError(0, f"the file holds more than {MAX_TERMS:,} terms; at most {MAX_TERMS:,} can be imported at once")]
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
    """The terms as CSV with the CSV_COLUMNS header. A cell a spreadsheet would run as a
    formula (=, +, -, @, tab or carriage return first) gets an apostrophe in front, as in the
    story CSV export; parse_csv takes it off again."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for t in terms:
        writer.writerow([
            _defuse(cell) for cell in (
                t.phrase, t.category, t.severity, t.rationale,
                f" {LIST_SEPARATOR} ".join(t.alternatives), t.style_note,
                f" {LIST_SEPARATOR} ".join(t.exceptions),
            )
        ])
    return out.getvalue()


def _is_formula(cell: str) -> bool:
    """Whether a spreadsheet would run this cell, as the story CSV export decides it."""
    # Imported here: reviews.exporters loads python-docx, which reading YAML does not need.
    from ..exporters.csv_export import defuse

    return defuse(cell) != cell


def _defuse(cell: str) -> str:
    """The story CSV export's defuse; and a cell whose apostrophes already stand before a
    formula character ("'=x") gets one more, so that the import, which takes exactly one off a
    cell of that shape, gives every cell back as it was."""
    return "'" + cell if _is_formula(cell.lstrip("'")) else cell


def _undefuse(cell: str) -> str:
    """A cell as it was before to_csv defused it: one apostrophe off "'=x" or "''=x"; a cell
    like "'s" or "'tis", which to_csv never changes, is left alone."""
    bare = cell.lstrip("'")
    return cell[1:] if cell != bare and _is_formula(bare) else cell


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
        rule = load_uploaded_yaml(text)
    except UploadedYAMLError as exc:
        return [], [RowError(0, exc.message)]
    if not isinstance(rule, dict):
        return [], [RowError(0, "a Vale rule is a YAML mapping with an `extends:` key")]
    if category not in CATEGORIES:
        return [], [RowError(0, f"unknown category “{category}”")]
    # Every value is checked to be text before any is used: nothing is converted with str().
    for key in ("extends", "level", "message", "description"):
        value = rule.get(key)
        if value is not None and not isinstance(value, str):
            return [], [RowError(0, f"`{key}:` must be text, not {kind_of_value(value)}")]
    extends = rule.get("extends")
    severity = _VALE_LEVELS.get((rule.get("level") or "warning").lower(), "warn")
    message = (rule.get("description") or rule.get("message") or "").strip()
    entries: list[tuple[str, tuple[str, ...]]] = []
    bad: list[RowError] = []
    if extends == "existence":
        tokens = rule.get("tokens")
        if not isinstance(tokens, list) or not tokens:
            return [], [RowError(0, "an `existence` rule needs a list of `tokens`")]
        if len(tokens) > MAX_TERMS:
            return [], [_too_many(len(tokens))]
        for number, token in enumerate(tokens, start=1):
            if isinstance(token, str):
                entries.append((token, ()))
            else:
                entries.append(("", ()))
                bad.append(RowError(number, _not_text("this token", token)))
    elif extends == "substitution":
        swap = rule.get("swap")
        if not isinstance(swap, dict) or not swap:
            return [], [RowError(0, "a `substitution` rule needs a `swap` mapping")]
        if len(swap) > MAX_TERMS:
            return [], [_too_many(len(swap))]
        for number, (key, value) in enumerate(swap.items(), start=1):
            if isinstance(key, str) and isinstance(value, str):
                entries.append((key, tuple(a.strip() for a in value.split("|") if a.strip())))
                continue
            entries.append(("", ()))
            if not isinstance(key, str):
                bad.append(RowError(number, _not_text("this phrase", key)))
            else:
                bad.append(RowError(number, _not_text(f"the replacement for “{key}”", value)))
    else:
        shown = extends if len(extends or "") <= 40 else extends[:40] + "…"
        return [], [RowError(0, f"only `extends: existence` and `extends: substitution` rules can be imported, not “{shown}”")]
    parsed: list[tuple[int, Term]] = []
    errors: list[RowError] = []
    refused = {e.row for e in bad}
    errors.extend(bad)
    for number, (phrase, alternatives) in enumerate(entries, start=1):
        if number in refused:
            continue
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


__all__ = [
    "CSV_COLUMNS",
    "MAX_TERMS",
    "RowError",
    "UploadedYAMLError",
    "YAMLRefused",
    "load_uploaded_yaml",
    "parse_csv",
    "parse_vale_yaml",
    "to_csv",
    "SEVERITIES",
]
