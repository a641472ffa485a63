"""Delete finished background jobs older than a number of days, with their export ZIPs."""

from datetime import timedelta

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from reviews import jobs
from reviews.models import Job


class Command(BaseCommand):
    help = (
        "Delete finished (done or failed) background jobs older than --days, and their export "
        "ZIP files. Jobs still waiting or running are never touched. Pair it with django-tasks-db's "
        "prune_db_task_results for the worker's own records."
    )

    def add_arguments(self, parser):
        parser.add_argument("--days", type=int, default=7, help="keep jobs newer than this (default 7)")
        parser.add_argument("--dry-run", action="store_true", help="say what would go, delete nothing")

    def handle(self, *args, days, dry_run, **options):
        if days < 0:
            raise CommandError("--days must be 0 or more.")
        cutoff = timezone.now() - timedelta(days=days)
        old = Job.objects.filter(state__in=[Job.DONE, Job.FAILED], created_at__lt=cutoff)
        files = 0
        for job in old.filter(kind=Job.EXPORT).only("pk"):
            path = jobs.export_path(job)
            if path.exists():
                files += 1
                if not dry_run:
                    path.unlink()
        count = old.count()
        if not dry_run:
            old.delete()
        verb = "Would delete" if dry_run else "Deleted"
        self.stdout.write(f"{verb} {count} finished job(s) older than {days} day(s) and {files} export file(s).")
