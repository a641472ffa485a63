from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils import timezone

from . import language, workflow


class ImmutableError(Exception):
    """Raised when code tries to change or delete a record that is append-only."""


def display_name(user, fallback: str = "") -> str:
    """How every page, export and message names a person: full name, else username; the
    fallback for nobody (a failed login has no user, an imported story may have no author)."""
    if user is None:
        return fallback
    return user.get_full_name() or user.get_username() or fallback


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
    # When and where, as the copy gives it ("3 March 2025", "Tuesday, March 3, 2025 10:42").
    dateline = models.CharField(max_length=100, blank=True)
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
    # The revision an editor approved: an approval is of these words, not of the story.
    approved_revision = models.ForeignKey(
        "Revision", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["-updated_at", "-id"]
        indexes = [
            # The queue filtered by status, most recently changed first (and search's slices
            # of those stories: search._window_postgres), without reading the other statuses.
            models.Index(fields=["status", "updated_at", "id"], name="article_status_recent"),
        ]

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
    # The one-time key of the form that posted it: the same post twice makes one note.
    client_key = models.CharField(max_length=64, blank=True, default="")

    class Meta:
        ordering = ["start", "end", "id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(end__gt=models.F("start")), name="annotation_span_not_empty"
            ),
            models.UniqueConstraint(
                fields=["author", "client_key"], condition=~models.Q(client_key=""),
                name="annotation_posted_once",
            ),
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


class LexiconTerm(models.Model):
    """One entry of the house lexicon of loaded language."""

    CATEGORY_CHOICES = list(language.CATEGORIES.items())
    SEVERITY_CHOICES = [("info", "Info"), ("warn", "Warn"), ("high", "High")]

    phrase = models.CharField(max_length=200)
    # The phrase folded as the scanner sees it; two terms may not fold to the same thing.
    normalized = models.CharField(max_length=200, unique=True, editable=False)
    category = models.CharField(max_length=40, choices=CATEGORY_CHOICES, db_index=True)
    severity = models.CharField(max_length=10, choices=SEVERITY_CHOICES, default="warn")
    rationale = models.TextField(help_text="One sentence: why an editor cares.")
    alternatives = models.JSONField(default=list, blank=True)
    style_note = models.TextField(blank=True)
    exceptions = models.JSONField(
        default=list, blank=True, help_text="Phrases in which the term is not loaded."
    )
    enabled = models.BooleanField(default=True, db_index=True)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        ordering = ["normalized"]

    def __str__(self):
        return self.phrase

    def save(self, *args, **kwargs):
        self.normalized = language.lexicon.fold_phrase(self.phrase)
        self.updated_at = timezone.now()
        if kwargs.get("update_fields") is not None:
            kwargs["update_fields"] = set(kwargs["update_fields"]) | {"normalized", "updated_at"}
        super().save(*args, **kwargs)

    def as_term(self) -> language.Term:
        return language.Term(
            phrase=self.phrase,
            category=self.category,
            severity=self.severity,
            rationale=self.rationale,
            alternatives=tuple(self.alternatives or ()),
            style_note=self.style_note,
            exceptions=tuple(self.exceptions or ()),
            key=self.pk,
        )

    @classmethod
    def from_term(cls, term: language.Term) -> "LexiconTerm":
        return cls(
            phrase=term.phrase.strip(),
            category=term.category,
            severity=term.severity,
            rationale=term.rationale,
            alternatives=list(term.alternatives),
            style_note=term.style_note,
            exceptions=list(term.exceptions),
        )


class Flag(models.Model):
    """Loaded language found by the scanner, or flagged by hand, on one revision."""

    OPEN, DISMISSED, ACCEPTED, DISCUSSED = "open", "dismissed", "accepted", "discussed"
    STATE_CHOICES = [
        (OPEN, "Open"),
        (DISMISSED, "Dismissed"),
        (ACCEPTED, "Suggestion accepted"),
        (DISCUSSED, "Turned into a note"),
    ]
    SCAN, MANUAL = "scan", "manual"
    SOURCE_CHOICES = [(SCAN, "Lexicon"), (MANUAL, "By hand")]

    article = models.ForeignKey(Article, on_delete=models.CASCADE, related_name="flags")
    revision = models.ForeignKey(Revision, on_delete=models.PROTECT, related_name="flags")
    start = models.PositiveIntegerField()
    end = models.PositiveIntegerField()
    exact = models.TextField()
    prefix = models.CharField(max_length=64, blank=True)
    suffix = models.CharField(max_length=64, blank=True)

    term = models.ForeignKey(
        LexiconTerm, on_delete=models.SET_NULL, null=True, blank=True, related_name="flags"
    )
    phrase = models.CharField(max_length=200)
    category = models.CharField(max_length=40, choices=LexiconTerm.CATEGORY_CHOICES)
    severity = models.CharField(max_length=10, choices=LexiconTerm.SEVERITY_CHOICES)
    attributed = models.BooleanField(default=False)
    rationale = models.TextField(blank=True)
    suggestions = models.JSONField(default=list, blank=True)
    source = models.CharField(max_length=10, choices=SOURCE_CHOICES, default=SCAN)

    state = models.CharField(max_length=12, choices=STATE_CHOICES, default=OPEN, db_index=True)
    reason = models.TextField(blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    orphaned = models.BooleanField(default=False)
    anchor_confidence = models.FloatField(default=1.0)
    annotation = models.ForeignKey(
        Annotation, on_delete=models.SET_NULL, null=True, blank=True, related_name="flags"
    )

    class Meta:
        ordering = ["start", "end", "id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(end__gt=models.F("start")), name="flag_span_not_empty"
            )
        ]

    def __str__(self):
        return f"{self.phrase} ({self.severity})"

    @property
    def is_open(self):
        return self.state == self.OPEN

    @property
    def category_label(self):
        return language.CATEGORIES.get(self.category, self.category)


class ExportRecord(AppendOnlyModel):
    """Who exported what, when: one row per download, bulk ZIP or command-line export."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    format = models.CharField(max_length=10)
    articles = models.ManyToManyField(Article, related_name="exports", blank=True)
    article_count = models.PositiveIntegerField(default=0)
    via = models.CharField(max_length=20, default="web")  # web, bulk, cli
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self):
        return f"{self.format} × {self.article_count} by {self.user_id} ({self.via})"


class Job(models.Model):
    """A piece of background work (a bulk export or a rescan of the open stories after the
    lexicon changed), run by django-tasks. The row carries what the page shows while it runs:
    progress, the outcome, and the error if it failed, so a failure stays visible and can be
    retried. The django-tasks result id is kept for the worker's own record."""

    EXPORT, RESCAN = "export", "rescan"
    KIND_CHOICES = [(EXPORT, "Bulk export"), (RESCAN, "Rescan after a lexicon change")]
    QUEUED, RUNNING, DONE, FAILED = "queued", "running", "done", "failed"
    STATE_CHOICES = [(QUEUED, "Waiting"), (RUNNING, "Running"), (DONE, "Done"), (FAILED, "Failed")]

    kind = models.CharField(max_length=10, choices=KIND_CHOICES)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    # What to do: for an export the format, the story ids and the site address for links.
    params = models.JSONField(default=dict, blank=True)
    total = models.PositiveIntegerField(default=0)
    done = models.PositiveIntegerField(default=0)
    state = models.CharField(max_length=10, choices=STATE_CHOICES, default=QUEUED)
    error = models.TextField(blank=True)
    # What came of it: counts for a rescan, the file for an export.
    result = models.JSONField(default=dict, blank=True)
    attempts = models.PositiveIntegerField(default=0)
    task_id = models.CharField(max_length=64, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["kind", "state"])]

    def __str__(self):
        return f"{self.get_kind_display()} {self.pk}: {self.done}/{self.total} ({self.state})"

    @property
    def percent(self):
        return 100 if not self.total else min(100, round(100 * self.done / self.total))

    @property
    def finished(self):
        return self.state in (self.DONE, self.FAILED)

    @property
    def format(self):
        return self.params.get("format", "")


class AuditEntry(AppendOnlyModel):
    """An append-only record of a security-relevant event. Nothing in the app edits or
    deletes one; Django admin shows them read-only."""

    LOGIN = "login"
    LOGIN_FAILED = "login_failed"
    LOCKOUT = "lockout"
    UNLOCK = "unlock"
    LOGOUT = "logout"
    USER_ADDED = "user_added"
    ROLE_CHANGED = "role_changed"
    DEACTIVATED = "deactivated"
    REACTIVATED = "reactivated"
    EXPORT = "export"
    LEXICON_CHANGED = "lexicon_changed"
    ARCHIVED = "archived"
    RESTORED = "restored"
    PASSWORD_CHANGED = "password_changed"
    PASSWORD_RESET = "password_reset"
    ACTION_CHOICES = [
        (LOGIN, "Logged in"),
        (LOGIN_FAILED, "Failed login"),
        (LOCKOUT, "Locked out"),
        (UNLOCK, "Unlocked"),
        (LOGOUT, "Logged out"),
        (USER_ADDED, "User added"),
        (ROLE_CHANGED, "Role changed"),
        (DEACTIVATED, "User deactivated"),
        (REACTIVATED, "User reactivated"),
        (EXPORT, "Export"),
        (LEXICON_CHANGED, "Lexicon changed"),
        (ARCHIVED, "Story archived"),
        (RESTORED, "Story restored"),
        (PASSWORD_CHANGED, "Password changed"),
        (PASSWORD_RESET, "Password set from an emailed link"),
    ]

    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    action = models.CharField(max_length=20, choices=ACTION_CHOICES, db_index=True)
    target = models.CharField(max_length=300, blank=True)  # e.g. "user:12 ana", "article:4"
    detail = models.TextField(blank=True)
    ip_address = models.GenericIPAddressField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name_plural = "audit entries"

    def __str__(self):
        return f"{self.created_at:%Y-%m-%d %H:%M} {self.action} {self.target}"
