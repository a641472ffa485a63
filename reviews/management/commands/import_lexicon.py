from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from reviews import language, lexicon_io


class Command(BaseCommand):
    help = (
        "Import lexicon terms from a CSV file or a Vale-style YAML rule, all or nothing, "
        "then rescan open stories."
    )

    def add_arguments(self, parser):
        parser.add_argument("path")
        parser.add_argument(
            "--category", default="editorializing", choices=list(language.CATEGORIES),
            help="Category for terms from a Vale rule.",
        )
        parser.add_argument(
            "--update", action="store_true",
            help="Update terms already in the lexicon from the file (otherwise they are errors).",
        )

    def handle(self, *args, path, category, update, **options):
        kind = "csv" if path.lower().endswith(".csv") else "yaml"
        try:
            raw = Path(path).read_bytes()
        except OSError as exc:
            raise CommandError(f"Cannot read {path}: {exc.strerror or exc}") from exc
        try:
            result = lexicon_io.import_terms(raw, kind, category, update_existing=update)
        except lexicon_io.LexiconImportError as exc:
            for error in exc.errors:
                self.stderr.write(str(error))
            raise CommandError(f"Nothing imported: {len(exc.errors)} problem(s) in {path}.") from exc
        from reviews import audit
        from reviews.models import AuditEntry

        audit.record(AuditEntry.LEXICON_CHANGED, target=f"{result.created + result.updated} terms",
                     detail=f"{result} from {path} (command line)")
        totals = lexicon_io.rescan_after_change()
        self.stdout.write(f"{result}. Rescanned {totals['articles']} open stories.")
