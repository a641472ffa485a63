"""The house lexicon, managed by admins: browse, add, edit, disable, import and export."""

from datetime import timedelta

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import Q
from django.http import HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from .. import audit, jobs, language, lexicon_io, permissions
from ..language.lexicon import fold_phrase
from ..models import AuditEntry, Job, LexiconTerm
from .jobs import job_context

MAX_UPLOAD = 2 * 1024 * 1024
# A finished rescan stays on the lexicon page this long.
RECENT_RESCAN = timedelta(minutes=10)


def _require_admin(request):
    if not permissions.can_manage_lexicon(request.user):
        raise PermissionDenied("Only admins manage the lexicon.")


def _back(request, default: str):
    """Where the form's "next" says to go back to, if it is a page of this site (over HTTPS
    when this request came over HTTPS); otherwise the default page. Never off the site."""
    target = request.POST.get("next", "")
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return HttpResponseRedirect(target)
    return redirect(default)


def _list_field(value):
    return [v.strip() for v in value.replace("\n", "|").split("|") if v.strip()]


class TermForm(forms.ModelForm):
    alternatives_text = forms.CharField(
        label="Neutral alternatives", required=False,
        help_text="Separate several with a vertical bar: killed | attacked",
    )
    exceptions_text = forms.CharField(
        label="Exceptions", required=False, widget=forms.Textarea(attrs={"rows": 2}),
        help_text="Phrases in which the term is not loaded, separated by |",
    )

    class Meta:
        model = LexiconTerm
        fields = ["phrase", "category", "severity", "rationale", "style_note", "enabled"]
        widgets = {"rationale": forms.Textarea(attrs={"rows": 2}), "style_note": forms.Textarea(attrs={"rows": 2})}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            self.fields["alternatives_text"].initial = " | ".join(self.instance.alternatives)
            self.fields["exceptions_text"].initial = " | ".join(self.instance.exceptions)

    def clean(self):
        data = super().clean()
        if "phrase" in self.errors:
            return data  # "This field is required" says it; no second message about it
        # Category and severity are choices the form has checked already: only the phrase's
        # own rules (not a stop word, not a single letter...) are left to ask about.
        term = language.Term(phrase=data.get("phrase", ""), category="editorializing",
                             exceptions=tuple(_list_field(data.get("exceptions_text", ""))))
        for problem in language.validate_term(term):
            self.add_error("exceptions_text" if "exception" in problem else "phrase", problem)
        normalized = fold_phrase(data.get("phrase", ""))
        clash = LexiconTerm.objects.filter(normalized=normalized).exclude(pk=self.instance.pk).first()
        if clash:
            self.add_error("phrase", f"“{clash.phrase}” is already in the lexicon.")
        data["alternatives"] = _list_field(data.get("alternatives_text", ""))
        data["exceptions"] = _list_field(data.get("exceptions_text", ""))
        return data

    def save(self, commit=True):
        self.instance.alternatives = self.cleaned_data["alternatives"]
        self.instance.exceptions = self.cleaned_data["exceptions"]
        return super().save(commit)


class ImportForm(forms.Form):
    file = forms.FileField(help_text="A CSV with the export's columns, or one Vale rule (.yml).")
    category = forms.ChoiceField(
        choices=list(language.CATEGORIES.items()), initial="editorializing",
        help_text="For Vale rules, which carry no category.",
    )
    update_existing = forms.BooleanField(
        required=False, initial=True,
        label="Update terms already in the lexicon from the file",
        help_text="Otherwise a term already there is listed as an error and nothing is "
                  "imported. A Vale rule only adds alternatives to a term already there.",
    )


@require_safe
def lexicon_list(request):
    _require_admin(request)
    terms = LexiconTerm.objects.all()
    # A NUL cannot be typed and PostgreSQL refuses one in a query: it separates words.
    query = request.GET.get("q", "").replace("\x00", " ").strip()[:100]
    category = request.GET.get("category", "")
    state = request.GET.get("state", "")
    if query:
        terms = terms.filter(Q(phrase__icontains=query) | Q(rationale__icontains=query))
    if category in language.CATEGORIES:
        terms = terms.filter(category=category)
    if state == "enabled":
        terms = terms.filter(enabled=True)
    elif state == "disabled":
        terms = terms.filter(enabled=False)
    page = Paginator(terms, 50).get_page(request.GET.get("page"))
    params = request.GET.copy()
    params.pop("page", None)
    context = {
        "page": page, "query": query, "category": category, "state": state,
        "categories": list(language.CATEGORIES.items()), "filter_query": params.urlencode(),
        "import_form": ImportForm(), "total": LexiconTerm.objects.count(),
    }
    # The latest rescan, while it runs or if it failed (so a failure is not missed); a
    # finished one only while recent, and not beside "nothing changed" (it was not this
    # import's: ?rescan=none after an import that changed nothing).
    rescan = Job.objects.filter(kind=Job.RESCAN).first()
    earlier_news = request.GET.get("rescan") == "none"
    if rescan is not None and (not rescan.finished or rescan.state == Job.FAILED or (
            not earlier_news and timezone.now() - rescan.finished_at < RECENT_RESCAN)):
        context["rescan"] = job_context(request, rescan)
    template = "reviews/lexicon.html"
    if request.htmx and not request.htmx.boosted:
        template += "#term-results"
    return render(request, template, context)


@require_http_methods(["GET", "HEAD", "POST"])
def lexicon_edit(request, term_id=None):
    _require_admin(request)
    instance = get_object_or_404(LexiconTerm, pk=term_id) if term_id else LexiconTerm()
    form = TermForm(request.POST or None, instance=instance)
    if request.method == "POST" and form.is_valid():
        adding = instance.pk is None
        term = form.save()
        audit.record(AuditEntry.LEXICON_CHANGED, actor=request.user, target=f"term:{term.pk} {term.phrase}",
                     detail="added" if adding else f"edited: {', '.join(form.changed_data)}", request=request)
        jobs.start_rescan(request.user)
        messages.success(request, f"Saved “{term.phrase}”. The open stories are being rescanned.")
        return redirect("reviews:lexicon")
    return render(request, "reviews/lexicon_form.html", {"form": form, "term": instance})


@require_POST
def lexicon_toggle(request, term_id):
    _require_admin(request)
    term = get_object_or_404(LexiconTerm, pk=term_id)
    term.enabled = not term.enabled
    term.save(update_fields=["enabled"])
    audit.record(AuditEntry.LEXICON_CHANGED, actor=request.user, target=f"term:{term.pk} {term.phrase}",
                 detail="enabled" if term.enabled else "disabled", request=request)
    jobs.start_rescan(request.user)
    messages.success(
        request,
        f"“{term.phrase}” {'enabled' if term.enabled else 'disabled'}; the open stories are being rescanned.",
    )
    return _back(request, "reviews:lexicon")


@require_safe
def lexicon_export(request):
    _require_admin(request)
    response = HttpResponse(lexicon_io.export_csv(), content_type="text/csv; charset=utf-8")
    stamp = timezone.now().strftime("%Y%m%d")
    response["Content-Disposition"] = f'attachment; filename="lexicon-{stamp}.csv"'
    return response


@require_POST
def lexicon_import(request):
    _require_admin(request)
    form = ImportForm(request.POST, request.FILES)
    errors = []
    if form.is_valid():
        upload = form.cleaned_data["file"]
        name = upload.name.lower()
        kind = "csv" if name.endswith(".csv") else "yaml" if name.endswith((".yml", ".yaml")) else ""
        if upload.size > MAX_UPLOAD:
            errors = [f"The file is {upload.size // 1024} KB; the limit is {MAX_UPLOAD // 1024} KB."]
        elif not kind:
            errors = ["Upload a .csv file or a Vale rule (.yml or .yaml)."]
        else:
            try:
                result = lexicon_io.import_terms(
                    upload.read(), kind, form.cleaned_data["category"],
                    update_existing=form.cleaned_data["update_existing"],
                )
            except lexicon_io.LexiconImportError as exc:
                errors = [str(e) for e in exc.errors]
            else:
                audit.record(AuditEntry.LEXICON_CHANGED, actor=request.user,
                             target=f"{result.created + result.updated} terms",
                             detail=f"{result} from {upload.name}", request=request)
                if result.created or result.updated:
                    jobs.start_rescan(request.user)
                    messages.success(request, f"{result}; the open stories are being rescanned.")
                else:
                    messages.success(request, "Every term in the file is already in the lexicon "
                                              "as it is: nothing changed.")
                    return redirect(reverse("reviews:lexicon") + "?rescan=none")
                return redirect("reviews:lexicon")
    else:
        errors = [e for field in form.errors.values() for e in field]
    return render(
        request, "reviews/lexicon_import_errors.html", {"errors": errors, "form": form}, status=400
    )
