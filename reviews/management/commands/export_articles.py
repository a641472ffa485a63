import io
import zipfile
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from reviews import export_data, workflow
from reviews.exporters import EXPORTERS
from reviews.jobs import export_filename, record_export
from reviews.models import Article


class Command(BaseCommand):
    help = (
        "Export annotated stories: one story to a file, several to a ZIP. "
        "Choose stories with --id (repeatable) and/or --status."
    )

    def add_arguments(self, parser):
        parser.add_argument("--format", required=True, choices=sorted(EXPORTERS))
        parser.add_argument("--status", choices=[s for s, _ in workflow.STATUS_CHOICES])
        parser.add_argument("--id", type=int, action="append", dest="ids", default=[])
        parser.add_argument("--out", required=True, help="File to write (a .zip for several stories).")
        parser.add_argument("--base-url", default="http://127.0.0.1:8000", help="Used in annotation targets.")

    def handle(self, *args, format, status=None, ids=(), out, base_url, **options):
        articles = Article.objects.select_related("current_revision").order_by("pk")
        if ids:
            articles = articles.filter(pk__in=ids)
            missing = set(ids) - set(articles.values_list("pk", flat=True))
            if missing:
                raise CommandError(f"No story with id {', '.join(map(str, sorted(missing)))}.")
        if status:
            articles = articles.filter(status=status)
        articles = list(articles)
        if not articles:
            raise CommandError("No stories match.")
        path = Path(out)
        several = len(articles) > 1 or path.suffix.lower() == ".zip"
        try:
            if several:
                buffer = io.BytesIO()
                with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as zf:
                    for article in articles:
                        snap = export_data.snapshot(article, base_url=base_url)
                        zf.writestr(f"{article.pk:05d}-{export_filename(article, format)}", EXPORTERS[format](snap))
                path.write_bytes(buffer.getvalue())
            else:
                path.write_bytes(EXPORTERS[format](export_data.snapshot(articles[0], base_url=base_url)))
        except OSError as exc:
            raise CommandError(f"Cannot write {out}: {exc.strerror or exc}") from exc
        record_export(None, format, articles, "cli")
        self.stdout.write(f"Wrote {len(articles)} stor{'y' if len(articles) == 1 else 'ies'} to {path}")
