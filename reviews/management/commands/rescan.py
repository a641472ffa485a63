from django.core.management.base import BaseCommand, CommandError

from reviews import services
from reviews.models import Article


class Command(BaseCommand):
    help = (
        "Scan open stories again with the current lexicon (run after changing the lexicon). "
        "Dismissed flags stay dismissed; flags whose term was removed go away."
    )

    def add_arguments(self, parser):
        parser.add_argument("--id", type=int, action="append", dest="ids", help="Only this story (repeatable).")

    def handle(self, *args, ids=None, **options):
        articles = None
        if ids:
            articles = Article.objects.filter(pk__in=ids)
            missing = set(ids) - set(articles.values_list("pk", flat=True))
            if missing:
                raise CommandError(f"No story with id {', '.join(map(str, sorted(missing)))}.")
        totals = services.rescan_articles(articles)
        self.stdout.write(
            f"Rescanned {totals['articles']} stories: {totals['added']} flags added, "
            f"{totals['updated']} updated, {totals['removed']} removed."
        )
