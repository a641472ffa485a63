"""Bringing lexicon files into the database: all rows or none, then rescan open stories."""

from __future__ import annotations

from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone

from . import services
from .language import formats
from .language.lexicon import fold_phrase
from .models import LexiconTerm


class LexiconImportError(Exception):
    def __init__(self, errors: list[formats.RowError]):
        super().__init__("; ".join(str(e) for e in errors))
        self.errors = errors


def decode(raw: bytes) -> str:
    for encoding in ("utf-8-sig",):
        try:
            return raw.decode(encoding)
        except UnicodeDecodeError:
            pass
    raise LexiconImportError([formats.RowError(0, "the file is not UTF-8 text")])


@dataclass
class ImportResult:
    created: int = 0
    updated: int = 0

    def __str__(self):
        text = f"Imported {self.created} new term{'s' if self.created != 1 else ''}"
        if self.updated:
            text += f" and updated {self.updated} already in the lexicon"
        return text


def import_terms(
    raw: bytes, kind: str, category: str = "editorializing", *, update_existing: bool = False
) -> ImportResult:
    """Import a CSV or Vale YAML file, all rows or none; raises LexiconImportError listing
    every bad row. A term already in the lexicon is an error, unless update_existing: then
    a CSV row replaces its category, severity, rationale, alternatives, style note and
    exceptions (the round trip "export, edit in a spreadsheet, import"), while a Vale rule,
    which has one message and level for all its words, only adds the alternatives the term
    lacks: the house's own rationale and severity stay.

    The file is decoded and parsed before the write transaction; under it, only the
    uniqueness check is made again (a term may have been added meanwhile) and rows written."""
    text = decode(raw)
    terms = _parse(text, kind, category, update_existing, _current_terms())
    with transaction.atomic():
        current = _current_terms()
        if not update_existing:
            taken = [t.phrase for t in terms if fold_phrase(t.phrase) in current]
            if taken:
                raise LexiconImportError([
                    formats.RowError(0, f"“{p}” was added to the lexicon meanwhile") for p in taken
                ])
        return _write_terms(terms, kind, current)


def _current_terms() -> dict:
    return {t.normalized: t for t in LexiconTerm.objects.all()}


def _parse(text, kind, category, update_existing, current) -> list:
    existing = set() if update_existing else {t.phrase for t in current.values()}
    if kind == "csv":
        terms, errors = formats.parse_csv(text, existing)
    elif kind == "yaml":
        terms, errors = formats.parse_vale_yaml(text, category, existing)
    else:
        errors, terms = [formats.RowError(0, "choose a CSV or a Vale YAML file")], []
    if errors:
        raise LexiconImportError(errors)
    return terms


def _write_terms(terms, kind, current) -> ImportResult:
    result = ImportResult()
    new, changed = [], []
    fields = ["category", "severity", "rationale", "alternatives", "style_note", "exceptions"]
    if kind == "yaml":
        fields = ["alternatives"]
    for term in terms:
        row = current.get(fold_phrase(term.phrase))
        if row is None:
            new.append(_with_normalized(LexiconTerm.from_term(term)))
            continue
        incoming = LexiconTerm.from_term(term)
        if kind == "yaml":
            have = {a.casefold() for a in row.alternatives}
            incoming.alternatives = row.alternatives + [
                a for a in incoming.alternatives if a.casefold() not in have
            ]
        if any(getattr(row, f) != getattr(incoming, f) for f in fields):
            for f in fields:
                setattr(row, f, getattr(incoming, f))
            row.updated_at = timezone.now()
            changed.append(row)
    LexiconTerm.objects.bulk_update(changed, [*fields, "updated_at"])
    result.updated = len(changed)
    LexiconTerm.objects.bulk_create(new)
    result.created = len(new)
    return result


def _with_normalized(term: LexiconTerm) -> LexiconTerm:
    term.normalized = fold_phrase(term.phrase)
    return term


def export_csv(queryset=None) -> str:
    queryset = queryset if queryset is not None else LexiconTerm.objects.all()
    return formats.to_csv([t.as_term() for t in queryset])


def rescan_after_change() -> dict[str, int]:
    """Lexicon changed: scan the open stories again (background work comes later)."""
    return services.rescan_articles()
