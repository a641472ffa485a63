"""Loaded-language detection. Pure: no Django.

- ``lexicon``: the Term record, inflection variants, validation.
- ``quotes``: where direct quotations are (speech we attribute, not the paper's voice).
- ``scanner``: one Aho-Corasick automaton per lexicon version; ``scan(text, compiled)``.
- ``formats``: CSV and Vale-style YAML in and out, every bad row reported.
"""

from .lexicon import CATEGORIES, SEVERITIES, Term, severity_rank, validate_term
from .quotes import quoted_spans
from .scanner import CompiledLexicon, Hit, compile_lexicon, scan

__all__ = [
    "CATEGORIES",
    "SEVERITIES",
    "CompiledLexicon",
    "Hit",
    "Term",
    "compile_lexicon",
    "quoted_spans",
    "scan",
    "severity_rank",
    "validate_term",
]
