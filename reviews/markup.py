"""Markup for the story page's hot parts: the highlighted text, the note cards, the flag cards.

A busy story has hundreds of notes and flags and thousands of highlight segments. Rendered
through Django templates (a partial per card, a `{% url %}` per form, a variable lookup per
attribute) the page took about 350 ms; built here with plain string joins, the text and all
the cards take about 15 ms. The rest of the page stays in `templates/reviews/article.html`,
which inserts these strings.

Everything from the database goes through `_e` (what Django's `escape` does: `html.escape`
with quotes), exactly as the template's autoescaping did. The markup (elements, ids, classes,
data-, aria- and hx- attributes, whitespace between inline elements) is the markup the
template produced; `tests/test_story_page_markup.py` checks the text, escaping and buttons.

Per request, not cached across requests: URLs are reversed once per kind with a placeholder
id, the CSRF field is built once, dates and names are formatted once per distinct value.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from datetime import datetime
from html import escape as _e

from django.conf import settings
from django.middleware.csrf import get_token
from django.urls import reverse
from django.utils import dateformat, timezone
from django.utils.safestring import SafeString, mark_safe
from django.utils.text import Truncator

from . import highlighting, language
from .models import Annotation, Flag, LexiconTerm, display_name


@dataclass(slots=True)
class Note:
    """An annotation as the story page shows it: a plain record read with values_list().

    A busy story has hundreds of notes; model instances cost several objects each to build
    (and then to garbage-collect). The rules about a note stay the model's own.
    """

    pk: int
    revision_id: int
    start: int
    end: int
    exact: str
    category: str
    body: str
    author_id: int
    created_at: datetime
    state: str
    resolved_by_id: int | None
    resolved_at: datetime | None
    orphaned: bool
    anchor_confidence: float
    revision_number: int
    replies: tuple = ()  # (author_id, body, created_at), oldest first
    may_resolve: bool = False
    may_reply: bool = False
    may_reattach: bool = False

    FIELDS = (
        "pk", "revision_id", "start", "end", "exact", "category", "body", "author_id",
        "created_at", "state", "resolved_by_id", "resolved_at", "orphaned", "anchor_confidence",
        "revision__number",
    )
    OPEN = Annotation.OPEN
    is_open = property(Annotation.is_open.fget)
    needs_confirmation = property(Annotation.needs_confirmation.fget)


@dataclass(slots=True)
class FlagRecord:
    """A flag as the story page shows it: a plain record read with values_list()."""

    pk: int
    start: int
    end: int
    exact: str
    category: str
    severity: str
    attributed: bool
    rationale: str
    suggestions: list
    source: str
    state: str
    reason: str
    decided_by_id: int | None
    annotation_id: int | None  # the note a discussed flag was turned into
    may_act: bool = False
    may_dismiss: bool = False

    FIELDS = (
        "pk", "start", "end", "exact", "category", "severity", "attributed", "rationale",
        "suggestions", "source", "state", "reason", "decided_by_id", "annotation_id",
    )
    OPEN = Flag.OPEN
    is_open = property(Flag.is_open.fget)


FLAG_CARDS_SHOWN = 200  # per list; see CardRenderer.flag_cards
_PLACEHOLDER = 2**62 - 1  # an id no row will have: it marks where the real id goes in a URL
_CATEGORY_LABELS = dict(Annotation.CATEGORY_CHOICES)
_SEVERITY_LABELS = dict(LexiconTerm.SEVERITY_CHOICES)
_FLAG_CATEGORY_LABELS = dict(language.CATEGORIES)


def blocking_notes(notes, flags) -> frozenset:
    """Ids of open notes that a high flag in the paper's voice was turned into ("Discuss"):
    each still holds approval (services.open_high_flags), so its card says so. From the
    rows the page has already loaded: no query."""
    open_ids = {n.pk for n in notes if n.is_open}
    return frozenset(
        f.annotation_id for f in flags
        if f.state == Flag.DISCUSSED and f.severity == "high" and not f.attributed
        and f.annotation_id in open_ids
    )


def panel_counts(user_id, notes, flags) -> dict:
    """What the side panel's filter buttons count: every card, the notes, the flags, the
    open ones, and "mine" (notes the person wrote, flags they decided). `flags` are the
    flags that get a card (open and dismissed)."""
    open_notes = sum(1 for n in notes if n.is_open)
    open_flags = sum(1 for f in flags if f.is_open)
    return {
        "all": len(notes) + len(flags),
        "notes": len(notes),
        "flags": len(flags),
        "open": open_notes + open_flags,
        "mine": sum(1 for n in notes if n.author_id == user_id)
        + sum(1 for f in flags if user_id is not None and f.decided_by_id == user_id),
    }


def story_body(text: str, annotations, flags) -> SafeString:
    """The story as <p data-start> paragraphs; highlighted stretches are <mark> elements.

    Each mark names its notes (innermost first: a click on an overlap means the smallest
    passage) and its flags; its class carries the first note's category, the nesting depth,
    whether a note awaits confirmation, and the worst flag's severity.
    """
    notes = {("a", a.pk): a for a in annotations}
    marks = {("f", f.pk): f for f in flags}
    spans = [highlighting.Span(a.start, a.end, key) for key, a in notes.items()]
    spans += [highlighting.Span(f.start, f.end, key) for key, f in marks.items()]
    rank = language.severity_rank
    out = []
    for para in highlighting.paragraphs(text, spans):
        out.append(f'<p data-start="{para.start}">')
        for seg in para.segments:
            if not seg.keys:
                out.append(_e(seg.text))
                continue
            ann = [notes[k] for k in seg.keys if k[0] == "a"]
            flg = [marks[k] for k in seg.keys if k[0] == "f"]
            flag_attr = flag_class = ""
            if flg:
                worst = max(flg, key=lambda f: rank(f.severity))
                flag_class = (
                    "flag-attributed" if worst.attributed else f"flag-{_e(worst.severity)}"
                )
                flag_attr = " ".join(str(f.pk) for f in flg)
            if ann:
                classes = f"hl hl-{_e(ann[0].category)} hl-depth-{min(len(ann), 3)}"
                if any(a.needs_confirmation for a in ann):
                    classes += " hl-unconfirmed"
                if flg:
                    classes += " " + flag_class
                ids = " ".join(str(a.pk) for a in ann)
                out.append(f'<mark class="{classes}" data-ann="{ids}"')
                if flg:
                    out.append(f' data-flag="{flag_attr}"')
                out.append(f">{_e(seg.text)}</mark>")
            else:
                out.append(
                    f'<mark class="flag {flag_class}" data-flag="{flag_attr}">{_e(seg.text)}</mark>'
                )
        out.append("</p>\n      ")
    return mark_safe("".join(out))


class CardRenderer:
    """Note and flag cards for one request on one story."""

    def __init__(
        self, request, article, people, *, can_annotate: bool, selection_fields, reply_max_length
    ):
        self.can_annotate = can_annotate
        token = _e(get_token(request))  # what {% csrf_token %} puts in each form
        self.csrf = f'<input type="hidden" name="csrfmiddlewaretoken" value="{token}">'
        self.selection_inputs = "".join(
            f'<input type="hidden" name="{_e(name)}" value="">' for name in selection_fields
        )
        self.reply_max_length = _e(str(reply_max_length))  # every comment's limit
        self.user_id = getattr(request.user, "pk", None)  # whose cards are "mine"
        self.blocking = frozenset()  # notes that hold approval (blocking_notes)
        self._urls = {}
        self._article_pk = article.pk
        self._people = people
        self._names = {}
        self._dates = {}
        self._use_tz = settings.USE_TZ
        self._tz = timezone.get_current_timezone()

    # -- small memoised pieces ------------------------------------------------------------

    def _url(self, name: str, pk: int) -> str:
        """reverse(name, [article, pk]), reversing each URL name once per request."""
        parts = self._urls.get(name)
        if parts is None:
            url = _e(reverse(f"reviews:{name}", args=[self._article_pk, _PLACEHOLDER]))
            parts = self._urls[name] = url.split(str(_PLACEHOLDER), 1)
            if len(parts) != 2:  # the URL does not end in the id: reverse every time
                parts = self._urls[name] = None
        if parts is None:
            return _e(reverse(f"reviews:{name}", args=[self._article_pk, pk]))
        return f"{parts[0]}{pk}{parts[1]}"

    def _form(self, name: str, pk: int, target: str, inner: str, cls: str = "") -> str:
        url = self._url(name, pk)
        klass = f' class="{cls}"' if cls else ""
        return (
            f'<form{klass} method="post" action="{url}" hx-post="{url}" hx-target="{target}" '
            f'hx-swap="outerHTML">{self.csrf}{inner}</form>'
        )

    def _name(self, user_id) -> str:
        """The person's `get_full_name|default:username`, escaped; empty for nobody."""
        name = self._names.get(user_id)
        if name is None:
            user = self._people.get(user_id)
            name = _e(display_name(user))
            self._names[user_id] = name
        return name

    def _time(self, value) -> str:
        """<time datetime="…">…</time>, as `|date:'c'` and `|date:"j M, H:i"` render it."""
        if value is None:
            return '<time datetime=""></time>'
        local = self._local(value)
        # The short form shows no seconds: format it once per minute (`c` is isoformat()).
        key = local.replace(second=0, microsecond=0)
        shown = self._dates.get(key)
        if shown is None:
            shown = self._dates[key] = _e(dateformat.format(local, "j M, H:i"))
        return f'<time datetime="{_e(local.isoformat())}">{shown}</time>'

    def _local(self, value):
        """`timezone.template_localtime`, with the current time zone looked up once."""
        if self._use_tz and isinstance(value, datetime) and not timezone.is_naive(value):
            return value.astimezone(self._tz)
        return value

    @staticmethod
    def _quote(exact: str) -> str:
        """`|truncatechars:180`; skips Truncator when it could not change the text."""
        if len(exact) <= 180 and unicodedata.is_normalized("NFC", exact):
            return _e(exact)
        return _e(Truncator(exact).chars(180))

    @staticmethod
    def _lines(text: str) -> str:
        """`|linebreaksbr`."""
        return _e(text.replace("\r\n", "\n").replace("\r", "\n")).replace("\n", "<br>")

    # -- the reading-order stream ----------------------------------------------------------

    def stream(self, notes, flags) -> SafeString:
        """Open notes and open flags as one list in the order their passages come in the text
        (a note before a flag on the same words). At most FLAG_CARDS_SHOWN flags get a card,
        the first ones in the text; the text still marks every one."""
        shown = sorted(flags, key=lambda f: (f.start, f.end, f.pk))[:FLAG_CARDS_SHOWN]
        items = [(n.start, n.end, 0, n.pk, n) for n in notes]
        items += [(f.start, f.end, 1, f.pk, f) for f in shown]
        items.sort(key=lambda item: item[:4])
        out = [
            self.annotation_card(item[4]) if item[2] == 0 else self.flag_card(item[4])
            for item in items
        ]
        more = len(flags) - len(shown)
        if more > 0:
            out.append(
                f'\n            <li class="empty more-cards" data-kind="flag">And {more:,} more '
                f"flags, marked in the text. Deal with these {FLAG_CARDS_SHOWN} first and the "
                "rest are listed as they go.</li>"
            )
        return mark_safe("".join(out))

    def _data(self, kind: str, start: int, end: int, is_open: bool, mine: bool) -> str:
        """The attributes the panel's filter and layout read (app.js)."""
        return (
            f' data-kind="{kind}" data-start="{start}" data-end="{end}"'
            f' data-open="{"1" if is_open else "0"}"{" data-mine" if mine else ""}'
        )

    # -- note cards -----------------------------------------------------------------------

    def annotation_cards(self, annotations) -> SafeString:
        return mark_safe("".join(self.annotation_card(a) for a in annotations))

    def annotation_card(self, a) -> str:
        pk = a.pk
        category = _e(a.category)
        confirm = a.needs_confirmation
        is_open = a.is_open
        o = [
            f'\n        <li class="card card-{category}{" card-confirm" if confirm else ""}" '
            f'id="ann-{pk}" data-ann-id="{pk}" tabindex="-1"'
            f"{self._data('note', a.start, a.end, is_open, a.author_id == self.user_id)}>\n"
            f'          <div class="card-head">\n'
            f'            <span class="chip chip-{category}">'
            f"{_e(_CATEGORY_LABELS.get(a.category, a.category))}</span>\n"
            f'            <span class="who">{self._name(a.author_id)}</span>\n'
            f"            {self._time(a.created_at)}\n"
            f"          </div>\n"
            f'          <blockquote class="quote">{self._quote(a.exact)}</blockquote>\n'
            f'          <p class="body">{self._lines(a.body)}</p>\n          '
        ]
        if not is_open:
            o.append(
                f'<p class="resolved-note">Resolved by {self._name(a.resolved_by_id)}, '
                f"{self._time(a.resolved_at)}</p>"
            )
        o.append("\n          ")
        if a.replies:
            o.append('\n          <ol class="replies">\n            ')
            for author_id, body, created_at in a.replies:
                o.append(
                    f'<li><span class="who">{self._name(author_id)}</span> '
                    f"{self._time(created_at)}<p>{self._lines(body)}</p></li>"
                )
            o.append("\n          </ol>\n          ")
        o.append("\n          ")
        if confirm:
            o.append(
                '<p class="confirm-note">Moved by an edit: check that it sits on the right words.</p>'
            )
        if pk in self.blocking:
            o.append(
                '<p class="blocks-note">Blocks approval until this note is resolved.</p>'
            )
        o.append("\n          ")
        if a.orphaned:
            o.append(
                f'<p class="confirm-note">From revision {a.revision_number}: its passage is no '
                f"longer in the story.</p>"
            )
        o.append('\n          <div class="card-actions">\n            ')
        if not a.orphaned:
            o.append(
                f'<button type="button" class="btn btn-quiet show-passage" data-ann-id="{pk}">'
                f"Show in text</button>"
            )
        o.append("\n            ")
        if a.may_reattach and confirm:
            o.append(
                "\n            "
                + self._form("annotation_confirm", pk, "#workspace",
                             '<button type="submit" class="btn">Confirm position</button>')
                + "\n            "
            )
        o.append("\n            ")
        if a.may_reattach and (a.orphaned or confirm):
            label = "Re-attach to selected text" if a.orphaned else "Move to selected text"
            o.append(self._form(
                "annotation_reattach", pk, "#workspace",
                f'{self.selection_inputs}<button type="submit" class="btn keep-selection">'
                f"{label}</button>",
                cls="reattach-form",
            ))
        o.append("\n            ")
        if a.may_resolve:
            if is_open:
                form = self._form("annotation_resolve", pk, "#workspace",
                                  '<button type="submit" class="btn">Resolve</button>')
            else:
                form = self._form("annotation_reopen", pk, "#workspace",
                                  '<button type="submit" class="btn">Reopen</button>')
            o.append(f"\n              \n              {form}\n              \n            ")
        if a.may_reply:
            # Beside the text (wide screens) a card shows its reply box once it is active;
            # until then this button stands for it (app.css, app.js).
            o.append(
                f'<button type="button" class="btn btn-quiet reveal-form" data-reveal="reply-{pk}">'
                "Reply…</button>"
            )
        o.append("\n          </div>\n          ")
        if a.may_reply:
            o.append(self._form(
                "reply_create", pk, "#workspace",
                f'<label for="reply-{pk}" class="sr-only">Reply to this note</label>'
                f'<textarea id="reply-{pk}" name="body" rows="1" required '
                f'data-limit="{self.reply_max_length}" placeholder="Reply…"></textarea>'
                '<button type="submit" class="btn">Reply</button>',
                cls="reply-form",
            ))
        o.append("\n        </li>\n        ")
        return "".join(o)

    # -- flag cards -----------------------------------------------------------------------

    def flag_cards(self, flags) -> SafeString:
        """The cards of flags, at most FLAG_CARDS_SHOWN of them: a story can carry thousands
        of flags (a long, repetitive text), and a card each would make a page of megabytes
        that no browser finishes. The text still marks every one."""
        shown = "".join(self.flag_card(f) for f in flags[:FLAG_CARDS_SHOWN])
        more = len(flags) - FLAG_CARDS_SHOWN
        if more > 0:
            shown += (
                f'\n            <li class="empty more-cards">And {more:,} more, marked in the '
                f"text. Deal with these {FLAG_CARDS_SHOWN} first and the rest are listed "
                "as they go.</li>"
            )
        return mark_safe(shown)

    def flag_card(self, f) -> str:
        pk = f.pk
        severity = _e(f.severity)
        o = [
            f'\n            <li class="card flag-card flag-card-{severity}'
            f'{" flag-card-attributed" if f.attributed else ""}" id="flag-{pk}" '
            f'data-flag-id="{pk}" tabindex="-1"'
            f"{self._data('flag', f.start, f.end, f.is_open, f.decided_by_id == self.user_id)}>\n"
            f'              <div class="card-head">\n'
            f'                <span class="sev sev-{severity}">'
            f"{_e(str(_SEVERITY_LABELS.get(f.severity, f.severity)))}</span>\n"
            f'                <span class="chip chip-flag">'
            f"{_e(str(_FLAG_CATEGORY_LABELS.get(f.category, f.category)))}</span>\n"
            f'                <strong class="flag-phrase">“{_e(f.exact)}”</strong>\n                '
        ]
        if f.attributed:
            o.append('<span class="muted">in a direct quotation</span>')
        o.append("\n                ")
        if f.source == "manual":
            o.append('<span class="muted">flagged by hand</span>')
        o.append(
            f'\n              </div>\n              <p class="body">{_e(f.rationale)}</p>'
            "\n              "
        )
        if f.state == "dismissed":
            o.append(
                f'<p class="resolved-note">Dismissed by {self._name(f.decided_by_id)}: '
                f"{_e(f.reason)}</p>"
            )
        o.append("\n              ")
        if f.is_open:
            o.append("\n                ")
            if f.suggestions and f.attributed:
                # The speaker's words: never replaced with ours (accept_suggestion refuses).
                joined = ", ".join(_e(str(alt)) for alt in f.suggestions)
                o.append(
                    '<p class="muted">The speaker\'s own words, so not replaced here. In our '
                    f"own voice: {joined}</p>"
                )
            elif f.suggestions and f.may_act:
                o.append(
                    '\n                <div class="suggestions"><span class="label">Replace with'
                    "</span>\n                  "
                )
                for alt in f.suggestions:
                    alt = _e(str(alt))
                    o.append(self._form(
                        "flag_accept", pk, "#article-main",
                        f'<button type="submit" name="replacement" value="{alt}" '
                        f'class="btn btn-suggest">{alt}</button>',
                    ))
                o.append("\n                </div>\n                ")
            elif f.suggestions:
                joined = ", ".join(_e(str(alt)) for alt in f.suggestions)
                o.append(f'<p class="muted">Suggested: {joined}</p>')
            o.append(
                f'\n                <div class="card-actions">\n'
                f'                  <button type="button" class="btn btn-quiet show-flag" '
                f'data-flag-id="{pk}">Show in text</button>\n                  '
            )
            if f.may_act and self.can_annotate:
                # A discussion starts with the person's comment: a small form on the card,
                # behind the Discuss button (Esc or Cancel folds it away again).
                o.append(
                    '<details class="discuss"><summary class="btn">Discuss</summary>'
                    + self._form(
                        "flag_discuss", pk, "#workspace",
                        f'<label for="discuss-{pk}">Your comment</label>'
                        f'<textarea id="discuss-{pk}" name="body" rows="3" required '
                        f'data-limit="{self.reply_max_length}"></textarea>'
                        '<div class="discuss-actions">'
                        '<button type="button" class="btn btn-quiet" data-close-discuss>Cancel'
                        '</button><button type="submit" class="btn btn-primary">Start discussion'
                        "</button></div>",
                        cls="discuss-form",
                    )
                    + "</details>"
                )
            if f.may_dismiss:
                o.append(
                    f'<button type="button" class="btn btn-quiet reveal-form" '
                    f'data-reveal="dismiss-{pk}">Dismiss…</button>'
                )
            o.append("\n                </div>\n                ")
            if f.may_dismiss:
                o.append(self._form(
                    "flag_dismiss", pk, "#workspace",
                    f'<label for="dismiss-{pk}" class="sr-only">Why the words are fine here</label>'
                    f'<input id="dismiss-{pk}" name="reason" type="text" required maxlength="500" '
                    'placeholder="Why it’s fine here…">'
                    '<button type="submit" class="btn">Dismiss</button>',
                    cls="dismiss-form",
                ))
            o.append("\n              ")
        elif f.state == "dismissed" and f.may_dismiss:
            form = self._form("flag_reopen", pk, "#workspace",
                              '<button type="submit" class="btn">Reopen</button>')
            o.append(f"\n                {form}\n              ")
        o.append("\n            </li>\n            ")
        return "".join(o)
