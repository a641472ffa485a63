from django import forms
from django.contrib import admin
from django.contrib.auth import get_user_model
from django.contrib.auth.admin import UserAdmin

from . import audit, jobs, language
from .models import (
    Annotation,
    Article,
    AuditEntry,
    ExportRecord,
    Flag,
    Job,
    LexiconTerm,
    Reply,
    ReviewEvent,
    Revision,
)


class RevisionInline(admin.TabularInline):
    model = Revision
    fields = ("number", "author", "created_at", "note")
    readonly_fields = fields
    extra = 0
    can_delete = False
    show_change_link = True

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Article)
class ArticleAdmin(admin.ModelAdmin):
    list_display = ("title", "status", "desk", "created_by", "updated_at")
    list_filter = ("status", "desk", "assignees")
    search_fields = ("title", "byline", "desk")
    raw_id_fields = ("current_revision",)
    filter_horizontal = ("assignees",)
    inlines = [RevisionInline]
    readonly_fields = ("status", "restore_status", "current_revision", "created_at", "updated_at")


class ReadOnlyAdmin(admin.ModelAdmin):
    """Append-only records: browse them, never change them."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Revision)
class RevisionAdmin(ReadOnlyAdmin):
    list_display = ("article", "number", "author", "created_at", "note")
    list_filter = ("created_at",)
    search_fields = ("article__title", "note", "text")


@admin.register(ReviewEvent)
class ReviewEventAdmin(ReadOnlyAdmin):
    list_display = ("article", "from_status", "to_status", "actor", "created_at")
    list_filter = ("to_status", "from_status")
    search_fields = ("article__title", "comment")


class ReplyInline(admin.TabularInline):
    model = Reply
    extra = 0


@admin.register(Annotation)
class AnnotationAdmin(admin.ModelAdmin):
    list_display = ("article", "category", "state", "author", "exact", "created_at")
    list_filter = ("category", "state", "orphaned")
    search_fields = ("exact", "body", "article__title")
    raw_id_fields = ("article", "revision")
    inlines = [ReplyInline]


@admin.register(Reply)
class ReplyAdmin(admin.ModelAdmin):
    list_display = ("annotation", "author", "created_at")
    search_fields = ("body",)
    raw_id_fields = ("annotation",)


class LexiconTermAdminForm(forms.ModelForm):
    """The lexicon screen's rules in Django admin too: no single letters, stop words or
    exceptions that never apply."""

    class Meta:
        model = LexiconTerm
        fields = ["phrase", "category", "severity", "rationale", "alternatives", "style_note",
                  "exceptions", "enabled", "created_at", "updated_at"]

    def clean(self):
        data = super().clean()
        phrase = data.get("phrase")
        if phrase:
            exceptions = data.get("exceptions") or []
            if not isinstance(exceptions, list) or not all(isinstance(e, str) for e in exceptions):
                self.add_error("exceptions", "A list of phrases, e.g. [\"regime change\"].")
                exceptions = []
            # Category and severity are choices the form has checked: only the phrase's own
            # rules are asked about (as the lexicon screen's form does).
            term = language.Term(phrase=phrase, category="editorializing",
                                 exceptions=tuple(exceptions))
            for problem in language.validate_term(term):
                self.add_error("exceptions" if "exception" in problem else "phrase", problem)
        return data


@admin.register(LexiconTerm)
class LexiconTermAdmin(admin.ModelAdmin):
    form = LexiconTermAdminForm
    list_display = ("phrase", "category", "severity", "enabled", "updated_at")
    list_filter = ("category", "severity", "enabled")
    search_fields = ("phrase", "rationale", "style_note")
    list_editable = ("enabled",)
    actions = ["rescan_open_stories"]

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        audit.record(AuditEntry.LEXICON_CHANGED, actor=request.user, target=f"term:{obj.pk} {obj.phrase}",
                     detail="edited in Django admin" if change else "added in Django admin", request=request)
        jobs.start_rescan(request.user)

    @admin.action(description="Rescan open stories with the current lexicon")
    def rescan_open_stories(self, request, queryset):
        job = jobs.start_rescan(request.user)
        self.message_user(request, f"Rescan started (job {job.pk}); its progress is on the Jobs page.")


@admin.register(Flag)
class FlagAdmin(admin.ModelAdmin):
    list_display = ("exact", "article", "category", "severity", "attributed", "state", "source")
    list_filter = ("state", "category", "severity", "attributed", "source", "orphaned")
    search_fields = ("exact", "phrase", "article__title", "reason")
    raw_id_fields = ("article", "revision", "term", "annotation")


@admin.register(AuditEntry)
class AuditEntryAdmin(ReadOnlyAdmin):
    list_display = ("created_at", "action", "actor", "target", "ip_address")
    list_filter = ("action", "created_at")
    search_fields = ("target", "detail", "actor__username")


@admin.register(ExportRecord)
class ExportRecordAdmin(ReadOnlyAdmin):
    list_display = ("created_at", "user", "format", "article_count", "via")
    list_filter = ("format", "via")


@admin.register(Job)
class JobAdmin(admin.ModelAdmin):
    list_display = ("pk", "kind", "user", "state", "done", "total", "attempts", "created_at")
    list_filter = ("kind", "state")
    readonly_fields = (
        "kind", "user", "params", "total", "done", "state", "error", "result", "attempts",
        "task_id", "created_at", "started_at", "finished_at",
    )


# Django's own user admin, with each change attributed to the admin making it: the audit
# signals (audit.py) log role, staff, superuser and activation changes wherever they are
# made, and here they know who made them.
User = get_user_model()
if admin.site.is_registered(User):
    admin.site.unregister(User)


@admin.register(User)
class AuditedUserAdmin(UserAdmin):
    def save_model(self, request, obj, form, change):
        # save_related() saves the groups next, on the same instance; it ends the attribution.
        audit.attribute_changes(obj, actor=request.user, request=request, where="in Django admin")
        super().save_model(request, obj, form, change)

    def save_related(self, request, form, formsets, change):
        try:
            super().save_related(request, form, formsets, change)
        finally:
            audit.end_attribution(form.instance)
