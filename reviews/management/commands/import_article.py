from pathlib import Path

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from reviews import importers, services


class Command(BaseCommand):
    help = (
        "Create a story from a .txt, .md, .docx or .html file (UTF-8, or UTF-16 with BOM). "
        "A text file's first line is the title unless --title is given. Prints the new "
        "story's id and its URL path."
    )

    def add_arguments(self, parser):
        parser.add_argument("path")
        parser.add_argument("--title", default="")
        parser.add_argument("--byline", default="")
        parser.add_argument("--desk", default="")
        parser.add_argument("--user", help="Username recorded as the story's writer.")

    def handle(self, *args, path, title="", byline="", desk="", user=None, **options):
        try:
            raw = Path(path).read_bytes()
        except OSError as exc:
            raise CommandError(f"Cannot read {path}: {exc.strerror or exc}") from exc
        author = None
        if user:
            try:
                author = get_user_model().objects.get(username=user)
            except get_user_model().DoesNotExist as exc:
                raise CommandError(f"No user called {user!r}.") from exc
        try:
            article = services.article_from_file(
                author, Path(path).name, raw, title=title, byline=byline, desk=desk
            )
        except (importers.ImportRefused, services.ReviewError) as exc:
            raise CommandError(f"{path}: {exc}") from exc
        self.stdout.write(f"{article.pk} {article.get_absolute_url()}")
