from pathlib import Path

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from reviews import services


class Command(BaseCommand):
    help = (
        "Create a story from a UTF-8 text file. The first line is the title unless --title is "
        "given. Prints the new story's id and its URL path."
    )

    def add_arguments(self, parser):
        parser.add_argument("path")
        parser.add_argument("--title")
        parser.add_argument("--byline", default="")
        parser.add_argument("--desk", default="")
        parser.add_argument("--user", help="Username recorded as the story's writer.")

    def handle(self, *args, path, title=None, byline="", desk="", user=None, **options):
        try:
            raw = Path(path).read_bytes()
        except OSError as exc:
            raise CommandError(f"Cannot read {path}: {exc.strerror or exc}") from exc
        try:
            text = raw.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            raise CommandError(
                f"{path} is not UTF-8 text (bad byte at position {exc.start})."
            ) from exc
        text = services.normalize_text(text)
        if title is None:
            first, _, rest = text.partition("\n")
            title, text = first.strip(), services.normalize_text(rest)
        if not title or not title.strip():
            raise CommandError(f"{path} has no title: give one with --title.")
        if not text.strip():
            raise CommandError(f"{path} has no story text after the title.")
        author = None
        if user:
            try:
                author = get_user_model().objects.get(username=user)
            except get_user_model().DoesNotExist as exc:
                raise CommandError(f"No user called {user!r}.") from exc
        article = services.create_article(
            author, title=title[:300], text=text, byline=byline, desk=desk, note="Imported"
        )
        self.stdout.write(f"{article.pk} {article.get_absolute_url()}")
