from pathlib import Path

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from reviews import importers, services
from reviews.models import Article


class Command(BaseCommand):
    help = (
        "Attach W3C Web Annotations (JSON-LD: one Annotation, a list, or a collection) to a "
        "story, re-anchoring them when its text differs. Prints how many were anchored, "
        "re-anchored and rejected, with the reason for each rejection."
    )

    def add_arguments(self, parser):
        parser.add_argument("article_id", type=int)
        parser.add_argument("path")
        parser.add_argument("--user", help="Username the annotations are recorded under (default: the first admin).")

    def handle(self, *args, article_id, path, user=None, **options):
        try:
            article = Article.objects.select_related("current_revision").get(pk=article_id)
        except Article.DoesNotExist as exc:
            raise CommandError(f"No story with id {article_id}.") from exc
        User = get_user_model()
        if user:
            actor = User.objects.filter(username=user).first()
            if actor is None:
                raise CommandError(f"No user called {user!r}.")
        else:
            actor = User.objects.filter(is_superuser=True, is_active=True).order_by("pk").first()
            if actor is None:
                raise CommandError("Give --user: there is no admin to record the annotations under.")
        try:
            raw = Path(path).read_bytes()
        except OSError as exc:
            raise CommandError(f"Cannot read {path}: {exc.strerror or exc}") from exc
        try:
            report = services.import_annotations(article, actor, raw)
        except (importers.ImportRefused, services.ReviewError) as exc:
            raise CommandError(f"{path}: {exc}") from exc
        self.stdout.write(
            f"anchored: {report.anchored}, re-anchored: {report.reanchored}, "
            f"rejected: {len(report.rejected)} (replies added: {report.replies}; "
            f"{report.flags_skipped} flags left to the scanner; {report.duplicates} already "
            f"on the story; {report.recategorised} kept as Comment)"
        )
        for source_id, reason in report.rejected:
            self.stdout.write(f"  rejected {source_id or '(no id)'}: {reason}")
        if not (report.anchored or report.reanchored):
            raise CommandError("No annotation could be placed on the story.")
