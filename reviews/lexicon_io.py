"""Bringing lexicon files into the database: all rows or none, then rescan open stories."""

from __future__ import annotations

from django.db import transaction

from . import services
from .language import formats
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


@transaction.atomic
def import_terms(raw: bytes, kind: str, category: str = "editorializing") -> int:
    """Import a CSV or Vale YAML file; raises LexiconImportError listing every bad row."""
    text = decode(raw)
    existing = set(LexiconTerm.objects.values_list("phrase", flat=True))
    if kind == "csv":
        terms, errors = formats.parse_csv(text, existing)
    elif kind == "yaml":
        terms, errors = formats.parse_vale_yaml(text, category, existing)
    else:
        errors, terms = [formats.RowError(0, "choose a CSV or a Vale YAML file")], []
    if errors:
        raise LexiconImportError(errors)
    LexiconTerm.objects.bulk_create(_with_normalized(LexiconTerm.from_term(t)) for t in terms)
    return len(terms)


def _with_normalized(term: LexiconTerm) -> LexiconTerm:
    from .language.lexicon import fold_phrase

    term.normalized = fold_phrase(term.phrase)
    return term


def export_csv(queryset=None) -> str:
    queryset = queryset if queryset is not None else LexiconTerm.objects.all()
    return formats.to_csv([t.as_term() for t in queryset])


def rescan_after_change() -> dict[str, int]:
    """Lexicon changed: scan the open stories again (background work comes later)."""
    return services.rescan_articles()
