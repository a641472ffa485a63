import json
import sys
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.db import DatabaseError

from reviews import language, services


class Command(BaseCommand):
    help = (
        "Flag loaded language in text files with the house lexicon. Exit 0 when nothing at or "
        "above --min-severity is found, 1 when something is, 2 on error. '-' reads stdin."
    )
    requires_migrations_checks = False

    def add_arguments(self, parser):
        parser.add_argument("paths", nargs="+", metavar="PATH")
        parser.add_argument("--format", choices=["text", "json"], default="text")
        parser.add_argument("--min-severity", choices=list(language.SEVERITIES), default="warn")

    def handle(self, *args, paths, format, min_severity, **options):
        texts = [(p, self._read(p)) for p in paths]
        try:
            lexicon = services.current_lexicon()
        except DatabaseError as exc:  # no tables yet: the lexicon lives in the database
            raise CommandError(
                "The house lexicon is not in the database yet: run `manage.py migrate` first "
                "(`make run` does).",
                returncode=2,
            ) from exc
        threshold = language.severity_rank(min_severity)
        results = []
        for path, text in texts:
            for hit in language.scan(text, lexicon):
                if language.severity_rank(hit.severity) < threshold:
                    continue
                results.append(
                    {
                        "file": path,
                        "start": hit.start,
                        "end": hit.end,
                        "text": hit.text,
                        "term": hit.term.phrase,
                        "category": hit.term.category,
                        "severity": hit.severity,
                        "attributed": hit.attributed,
                        "rationale": hit.term.rationale,
                        "suggestions": hit.suggestions,
                        "_line": text.count("\n", 0, hit.start) + 1,
                        "_col": hit.start - (text.rfind("\n", 0, hit.start) + 1) + 1,
                    }
                )
        if format == "json":
            clean = [{k: v for k, v in r.items() if not k.startswith("_")} for r in results]
            self.stdout.write(json.dumps(clean, ensure_ascii=False, indent=2))
        else:
            for r in results:
                note = " (in a quotation)" if r["attributed"] else ""
                alts = f" Try: {', '.join(r['suggestions'])}." if r["suggestions"] else ""
                self.stdout.write(
                    f"{r['file']}:{r['_line']}:{r['_col']}: {r['severity']} "
                    f"{r['category']} “{r['text']}”{note} {r['rationale']}{alts}"
                )
            if not results:
                self.stdout.write(f"No loaded language at {min_severity} or above.")
        sys.exit(1 if results else 0)

    def _read(self, path: str) -> str:
        try:
            raw = sys.stdin.buffer.read() if path == "-" else Path(path).read_bytes()
        except OSError as exc:
            raise CommandError(f"cannot read {path}: {exc.strerror or exc}", returncode=2) from exc
        try:
            return raw.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            raise CommandError(
                f"{path} is not UTF-8 text (bad byte at position {exc.start})", returncode=2
            ) from exc
