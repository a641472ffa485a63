import uuid

from django import forms
from django.conf import settings
from django.contrib.auth import get_user_model
from django.db.models import Q

from . import permissions, workflow
from .models import Annotation, display_name


def _comment_field(label="Comment", required=True):
    limit = settings.REVIEWS_MAX_COMMENT_LENGTH
    return forms.CharField(
        label=label,
        required=required,
        max_length=limit,
        strip=True,
        widget=forms.Textarea(attrs={"rows": 3, "maxlength": limit}),
        error_messages={
            "required": "Write a comment first.",
            "max_length": f"Comments are limited to {limit} characters (this one has %(show_value)d).",
        },
    )


def reviewers():
    return (
        get_user_model()
        .objects.filter(is_active=True, groups__name__in=[workflow.EDITOR, workflow.ADMIN])
        .distinct()
        .order_by("first_name", "username")
    )


# The largest id a database row can have (a signed 64-bit integer). A bigger number is no id,
# and handing it to the database raises (OverflowError on SQLite) instead of finding nothing.
MAX_ID = 2**63 - 1


class ReviewerChoiceField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj):
        return display_name(obj)

    def _check_values(self, value):
        for pk in value:
            try:
                number = int(str(pk).strip())
            except ValueError:
                continue  # not a number at all: Django's own check refuses it
            if not -MAX_ID <= number <= MAX_ID:
                raise forms.ValidationError(
                    self.error_messages["invalid_pk_value"], code="invalid_pk_value",
                    params={"pk": pk},
                )
        return super()._check_values(value)


class ArticleForm(forms.Form):
    title = forms.CharField(max_length=300, required=False)
    byline = forms.CharField(max_length=200, required=False)
    dateline = forms.CharField(
        max_length=100, required=False, help_text="When (and where) the story is from, as "
        "the copy gives it, e.g. “3 March 2025”.",
    )
    desk = forms.CharField(label="Desk / source", max_length=100, required=False)
    body = forms.CharField(
        label="Text",
        widget=forms.Textarea(attrs={"rows": 18}),
        help_text="Plain text. Leave a blank line between paragraphs.",
        strip=False,
        required=False,
    )
    assignees = ReviewerChoiceField(
        label="Reviewers",
        queryset=None,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        if user is not None and permissions.can_assign(user):
            self.fields["assignees"].queryset = reviewers()
        else:
            del self.fields["assignees"]

    def clean(self):
        data = super().clean()
        if data.get("body", "").strip() and not data.get("title", "").strip():
            self.add_error("title", "Give the story a title.")
        return data

    def clean_body(self):
        body = self.cleaned_data["body"]
        if not body.strip():
            if self.files.get("upload"):
                return ""
            raise forms.ValidationError("The story needs some text.")
        if len(body) > settings.REVIEWS_MAX_ARTICLE_CHARS:
            raise forms.ValidationError(
                f"Stories are limited to {settings.REVIEWS_MAX_ARTICLE_CHARS:,} characters."
            )
        return body


class ArticleEditForm(ArticleForm):
    note = forms.CharField(
        label="What changed?",
        max_length=300,
        required=False,
        help_text="A short note for the revision history.",
    )
    base_revision = forms.IntegerField(widget=forms.HiddenInput)
    # The details as they were when the form was opened: a save changes only the details
    # this person changed, and refuses when someone else changed the same one meanwhile.
    base_title = forms.CharField(required=False, widget=forms.HiddenInput)
    base_byline = forms.CharField(required=False, widget=forms.HiddenInput)
    base_dateline = forms.CharField(required=False, widget=forms.HiddenInput)
    base_desk = forms.CharField(required=False, widget=forms.HiddenInput)
    base_assignees = forms.CharField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args, article=None, **kwargs):
        super().__init__(*args, **kwargs)
        if article is not None and "assignees" in self.fields:
            # Reviewers already on the story stay listed (and ticked) even if they are no
            # longer editors, so saving the text does not silently take them off it.
            self.fields["assignees"].queryset = (
                get_user_model().objects.filter(
                    Q(pk__in=reviewers().values("pk")) | Q(pk__in=article.assignees.values("pk"))
                ).order_by("first_name", "username")
            )

    @staticmethod
    def base_initial(article, assignees=None) -> dict:
        """The hidden base_* fields; assignees: the story's reviewers if already loaded."""
        pks = [u.pk for u in assignees] if assignees is not None else (
            article.assignees.values_list("pk", flat=True)
        )
        return {
            "base_title": article.title,
            "base_byline": article.byline,
            "base_dateline": article.dateline,
            "base_desk": article.desk,
            "base_assignees": ",".join(str(pk) for pk in sorted(pks)),
        }

    def merge_details(self, article) -> tuple[dict, list[str]]:
        """The details to save over article's current ones, and the names of those both
        this person and someone else changed since the form was opened (a conflict)."""
        data = self.cleaned_data
        current = {"title": article.title, "byline": article.byline,
                   "dateline": article.dateline, "desk": article.desk}
        mine = {k: data[k] for k in current}
        if "assignees" in data:
            current["assignees"] = sorted(article.assignees.values_list("pk", flat=True))
            mine["assignees"] = sorted(u.pk for u in data["assignees"])
        merged, clashes = {}, []
        for name, value in mine.items():
            if f"base_{name}" not in self.data:  # an old form: the last save wins, as before
                merged[name] = value
                continue
            base = data[f"base_{name}"]
            if name == "assignees":
                # isdecimal, not isdigit: "²" is a digit that int() refuses.
                base = sorted(int(p) for p in base.split(",") if p.strip().isdecimal())
            else:
                base = base.strip()
            if value == base:
                merged[name] = current[name]  # not changed here: keep anyone else's change
            elif current[name] in (base, value):
                merged[name] = value
            else:
                clashes.append(name)
        return merged, clashes


class SelectionForm(forms.Form):
    """A passage the browser selected: both W3C selectors, checked again by the service."""

    revision = forms.IntegerField(widget=forms.HiddenInput)
    start = forms.IntegerField(min_value=0, widget=forms.HiddenInput)
    end = forms.IntegerField(min_value=1, widget=forms.HiddenInput)
    exact = forms.CharField(strip=False, widget=forms.HiddenInput)
    prefix = forms.CharField(strip=False, required=False, widget=forms.HiddenInput)
    suffix = forms.CharField(strip=False, required=False, widget=forms.HiddenInput)

    SELECTION_FIELDS = frozenset({"revision", "start", "end", "exact", "prefix", "suffix"})

    def selection(self, data) -> dict:
        """Keyword arguments for the services; context only when the client sent it."""
        c = self.cleaned_data
        return {
            "revision_id": c["revision"],
            "start": c["start"],
            "end": c["end"],
            "exact": c["exact"],
            "prefix": c["prefix"] if "prefix" in data else None,
            "suffix": c["suffix"] if "suffix" in data else None,
        }


class AnnotationForm(SelectionForm):
    category = forms.ChoiceField(choices=Annotation.CATEGORY_CHOICES)
    body = _comment_field()
    # A one-time key for this note (app.js makes a fresh one each time the dialog opens): a
    # double click or a retry posts it twice, and the second adds nothing.
    client_key = forms.RegexField(
        regex=r"^[A-Za-z0-9_-]{8,64}$", required=False, widget=forms.HiddenInput
    )

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["client_key"].initial = uuid.uuid4().hex
        if user is not None:
            self.fields["category"].choices = permissions.annotation_categories(user)


class ReplyForm(forms.Form):
    body = _comment_field("Reply")


class TransitionForm(forms.Form):
    transition = forms.ChoiceField(choices=[(n, t.label) for n, t in workflow.TRANSITIONS.items()])
    comment = forms.CharField(
        required=False,
        max_length=settings.REVIEWS_MAX_COMMENT_LENGTH,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    # The revision the person was reading: a step is not taken on text they have not seen.
    # Required: a step that does not say what was read is refused, never taken unchecked.
    REVISION_MISSING = ("Reload the page and take the step again: it did not say which "
                        "revision of the text you read, so nothing was done.")
    revision = forms.IntegerField(
        widget=forms.HiddenInput,
        error_messages={"required": REVISION_MISSING, "invalid": REVISION_MISSING},
    )
    # Publish anyway: the person saw what is still open (the page's confirmation) and goes on.
    confirm_open = forms.BooleanField(required=False, widget=forms.HiddenInput)


class UploadArticleForm(ArticleForm):
    upload = forms.FileField(
        label="Or upload a file", required=False,
        help_text="A .txt, .md, .docx or .html file (UTF-8, or UTF-16 with BOM); its title "
        "is used unless you give one above.",
    )

    def clean_upload(self):
        upload = self.cleaned_data.get("upload")
        if upload and upload.size > settings.REVIEWS_MAX_UPLOAD_BYTES:
            raise forms.ValidationError(
                f"The file is {upload.size / 1048576:.1f} MB; the limit is "
                f"{settings.REVIEWS_MAX_UPLOAD_BYTES / 1048576:.0f} MB."
            )
        if upload and (self.data.get("body") or "").strip():
            # One of them would be thrown away without a word: ask which.
            raise forms.ValidationError(
                "You pasted text and chose a file: keep one. Clear the text to import the "
                "file, or remove the file to use the text."
            )
        return upload


class AnnotationFileForm(forms.Form):
    file = forms.FileField(label="W3C Web Annotation file (.json / .jsonld)")

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > settings.REVIEWS_MAX_UPLOAD_BYTES:
            raise forms.ValidationError(
                f"The file is {upload.size / 1048576:.1f} MB; the limit is "
                f"{settings.REVIEWS_MAX_UPLOAD_BYTES / 1048576:.0f} MB."
            )
        return upload
