from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils import timezone

from . import workflow


class ImmutableError(Exception):
    """Raised when code tries to change or delete a record that is append-only."""


class AppendOnlyModel(models.Model):
    class Meta:
        abstract = True

    def save(self, *args, **kwargs):
        if self.pk is not None and not self._state.adding:
            raise ImmutableError(f"{type(self).__name__} records are never changed once written.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise ImmutableError(f"{type(self).__name__} records are never deleted.")


class Article(models.Model):
    title = models.CharField(max_length=300)
    byline = models.CharField(max_length=200, blank=True)
    desk = models.CharField("desk / source", max_length=100, blank=True)
    status = models.CharField(
        max_length=20, choices=workflow.STATUS_CHOICES, default=workflow.DRAFT, db_index=True
    )
    # The status to return to when an archived story is restored.
    restore_status = models.CharField(max_length=20, blank=True)
    assignees = models.ManyToManyField(
        settings.AUTH_USER_MODEL, blank=True, related_name="assigned_articles"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="articles_created",
        null=True,
        blank=True,
    )
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now, db_index=True)
    current_revision = models.ForeignKey(
        "Revision", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["-updated_at", "-id"]

    def __str__(self):
        return self.title

    def get_absolute_url(self):
        return reverse("reviews:article", args=[self.pk])

    @property
    def status_label(self):
        return workflow.STATUS_LABELS.get(self.status, self.status)

    def touch(self):
        self.updated_at = timezone.now()
        self.save(update_fields=["updated_at"])


class Revision(AppendOnlyModel):
    article = models.ForeignKey(Article, on_delete=models.CASCADE, related_name="revisions")
    number = models.PositiveIntegerField()
    text = models.TextField()
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    note = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["article", "number"]
        constraints = [
            models.UniqueConstraint(fields=["article", "number"], name="unique_revision_number")
        ]

    def __str__(self):
        return f"{self.article_id} r{self.number}"


class Annotation(models.Model):
    COMMENT = "comment"
    LOADED_LANGUAGE = "loaded_language"
    NEEDS_SOURCE = "needs_source"
    FACT_CHECK = "fact_check"
    STYLE = "style"
    OTHER = "other"
    CATEGORY_CHOICES = [
        (COMMENT, "Comment"),
        (LOADED_LANGUAGE, "Loaded language"),
        (NEEDS_SOURCE, "Needs source"),
        (FACT_CHECK, "Fact check"),
        (STYLE, "Style"),
        (OTHER, "Other"),
    ]
    OPEN = "open"
    RESOLVED = "resolved"
    STATE_CHOICES = [(OPEN, "Open"), (RESOLVED, "Resolved")]

    article = models.ForeignKey(Article, on_delete=models.CASCADE, related_name="annotations")
    revision = models.ForeignKey(Revision, on_delete=models.PROTECT, related_name="annotations")
    # TextPositionSelector
    start = models.PositiveIntegerField()
    end = models.PositiveIntegerField()
    # TextQuoteSelector
    exact = models.TextField()
    prefix = models.CharField(max_length=64, blank=True)
    suffix = models.CharField(max_length=64, blank=True)

    category = models.CharField(max_length=20, choices=CATEGORY_CHOICES, default=COMMENT)
    body = models.TextField()
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="annotations"
    )
    created_at = models.DateTimeField(default=timezone.now)
    state = models.CharField(max_length=10, choices=STATE_CHOICES, default=OPEN, db_index=True)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    resolved_at = models.DateTimeField(null=True, blank=True)
    # Set when re-anchoring could not find the passage in a later revision.
    orphaned = models.BooleanField(default=False)
    # How sure re-anchoring was of the current position (1.0 = exact).
    anchor_confidence = models.FloatField(default=1.0)

    class Meta:
        ordering = ["start", "end", "id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(end__gt=models.F("start")), name="annotation_span_not_empty"
            )
        ]

    def __str__(self):
        return f"{self.get_category_display()}: {self.exact[:40]}"

    @property
    def is_open(self):
        return self.state == self.OPEN

    @property
    def needs_confirmation(self):
        from .anchoring import CONFIRM_BELOW

        return not self.orphaned and self.anchor_confidence < CONFIRM_BELOW


class Reply(models.Model):
    annotation = models.ForeignKey(Annotation, on_delete=models.CASCADE, related_name="replies")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    body = models.TextField()
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created_at", "id"]
        verbose_name_plural = "replies"

    def __str__(self):
        return self.body[:40]


class ReviewEvent(AppendOnlyModel):
    article = models.ForeignKey(Article, on_delete=models.CASCADE, related_name="events")
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    from_status = models.CharField(max_length=20, blank=True)
    to_status = models.CharField(max_length=20)
    comment = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self):
        return f"{self.article_id}: {self.from_status or '∅'} → {self.to_status}"

    @property
    def from_label(self):
        return workflow.STATUS_LABELS.get(self.from_status, "")

    @property
    def to_label(self):
        return workflow.STATUS_LABELS.get(self.to_status, self.to_status)
