import secrets

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.management.base import BaseCommand
from django.db import transaction

from reviews import services, workflow
from reviews.demo import STORIES
from reviews.models import Article

DEMO_USERS = [
    # username, first, last, role
    ("writer", "Wanda", "Okafor", workflow.WRITER),
    ("editor", "Eli", "Marsh", workflow.EDITOR),
    ("admin", "Ada", "Ruiz", workflow.ADMIN),
]

# Steps from draft to each demo status.
PATHS = {
    workflow.DRAFT: [],
    workflow.IN_REVIEW: ["submit"],
    workflow.CHANGES_REQUESTED: ["submit", "request_changes"],
    workflow.APPROVED: ["submit", "approve"],
    workflow.PUBLISHED: ["submit", "approve", "publish"],
}


class Command(BaseCommand):
    help = (
        "Create one demo user per role (printing their passwords) and, when the database has "
        "no stories yet, demo stories with annotations. Safe to run again."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--password", help="Use this password for every demo user instead of random ones."
        )

    @transaction.atomic
    def handle(self, *args, password=None, **options):
        users = {}
        logins = []
        for username, first, last, role in DEMO_USERS:
            user, _ = get_user_model().objects.get_or_create(
                username=username,
                defaults={
                    "first_name": first,
                    "last_name": last,
                    "email": f"{username}@example.org",
                },
            )
            pw = password or secrets.token_urlsafe(9)
            user.set_password(pw)
            user.is_active = True
            if role == workflow.ADMIN:
                user.is_staff = user.is_superuser = True
            user.save()
            user.groups.add(Group.objects.get(name=role))
            users[username] = user
            logins.append((role, username, pw))

        if Article.objects.exists():
            self.stdout.write("Stories already exist: demo stories not added again.")
        else:
            for story in STORIES:
                self._create_story(story, users)
            self.stdout.write(f"Added {len(STORIES)} demo stories.")

        self.stdout.write("Demo logins (passwords are reset each time this runs):")
        for role, username, pw in logins:
            self.stdout.write(f"  {role:<7} username: {username:<8} password: {pw}")

    def _create_story(self, story, users):
        writer = users["writer"]
        article = services.create_article(
            writer,
            title=story["title"],
            byline=story["byline"],
            desk=story["desk"],
            text=story["text"],
            assignees=[users["editor"]],
        )
        revision = article.current_revision
        for note in story["annotations"]:
            start = revision.text.index(note["quote"])
            annotation = services.add_annotation(
                article,
                users[note["user"]],
                revision_id=revision.pk,
                start=start,
                end=start + len(note["quote"]),
                exact=note["quote"],
                category=note["category"],
                body=note["body"],
            )
            for who, body in note.get("replies", []):
                services.add_reply(annotation, users[who], body)
            if note.get("resolved_by"):
                services.set_resolved(annotation, users[note["resolved_by"]], True)
        for step in PATHS[story["status"]]:
            actor = writer if step == "submit" else users["editor"]
            # The demo's published story went out with its notes open, as desks sometimes do.
            services.transition(article, actor, step, "", confirm_open=True)
