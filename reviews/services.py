"""Write paths that touch several models. Views call these; tests call them without HTTP."""

from __future__ import annotations

from dataclasses import dataclass
from dataclasses import field as dc_field

from django.conf import settings
from django.db import transaction
from django.db.models import Count, Max, Q
from django.utils import timezone
from django.utils.text import Truncator

from . import anchoring, importers, language, masthead, permissions, workflow
from .models import (
    Annotation,
    Article,
    Flag,
    LexiconTerm,
    Reply,
    ReviewEvent,
    Revision,
    display_name,
)
from .search import reindex as reindex_search  # noqa: F401  (importing connects its signals)


class ReviewError(Exception):
    """A refused write; the message is shown to the user as is."""

    status_code = 400


class SelectionMismatch(ReviewError):
    pass


class StaleRevision(ReviewError):
    status_code = 409


class Forbidden(ReviewError):
    status_code = 403


class StillOpen(ReviewError):
    """Publishing with notes or flags still open, not confirmed."""

    status_code = 409


class Busy(ReviewError):
    """The database stayed locked by other writers: nothing was saved; try again."""

    status_code = 503


def normalize_text(text: str) -> str:
    """Line endings to \\n, no trailing spaces at line ends, no blank lines at either end."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    lines = [line.rstrip() for line in text.split("\n")]
    return "\n".join(lines).strip("\n")


def create_article(
    user, *, title: str, text: str, byline: str = "", desk: str = "", assignees=(), note: str = "",
    dateline: str = "",
) -> Article:
    text = normalize_text(text)
    hits = language.scan(text, current_lexicon())  # before the write lock, never inside it
    with transaction.atomic():
        now = timezone.now()
        article = Article.objects.create(
            title=title.strip(),
            byline=byline.strip(),
            dateline=dateline.strip(),
            desk=desk.strip(),
            created_by=user,
            created_at=now,
            updated_at=now,
        )
        revision = Revision.objects.create(
            article=article,
            number=1,
            text=text,
            author=user,
            created_at=now,
            note=note or "First draft",
        )
        article.current_revision = revision
        article.save(update_fields=["current_revision"])
        if assignees:
            article.assignees.set(assignees)
        ReviewEvent.objects.create(
            article=article, actor=user, from_status="", to_status=workflow.DRAFT, comment="Created"
        )
        scan_revision(article, revision, hits)
    return article


_STALE_EDIT = (
    "Someone else saved a newer version of this story while you were editing. "
    "Your text has not been saved; compare it with the latest version below."
)


class _Replan(Exception):
    """The live notes and flags changed between planning a revision and locking the story."""


@dataclass
class _RevisionPlan:
    """What a new revision needs that costs time, worked out before the write lock: where
    each live note and flag goes (one diff) and the new text's loaded language."""

    anchors: dict  # (model name, pk) -> Anchor or None
    spans: dict  # (model name, pk) -> the span the anchor was computed from
    hits: list


def _live_items(article: Article, revision: Revision) -> list:
    return list(article.annotations.filter(revision=revision, orphaned=False)) + list(
        article.flags.filter(revision=revision, orphaned=False)
    )


def _item_key(item) -> tuple[str, int]:
    return (type(item).__name__, item.pk)


def _item_span(item) -> tuple:
    return (item.start, item.end, item.exact, item.prefix, item.suffix)


def _plan_revision(article: Article, old: Revision, new_text: str, replaced=None) -> _RevisionPlan:
    items = _live_items(article, old)
    if replaced is not None:
        # The app's own replacement of one span: every position is known, no diff needed,
        # and a note on the replaced words stays on the words that replaced them.
        anchors = [_through_replacement(i.start, i.end, *replaced) for i in items]
    else:
        anchors = anchoring.reanchor_many(
            old.text,
            new_text,
            [anchoring.SpanQuery(i.start, i.end, i.exact, i.prefix, i.suffix) for i in items],
        ) if items else []
    return _RevisionPlan(
        anchors={_item_key(i): a for i, a in zip(items, anchors, strict=True)},
        spans={_item_key(i): _item_span(i) for i in items},
        hits=language.scan(new_text, current_lexicon()),
    )


def _through_replacement(start: int, end: int, cut_start: int, cut_end: int, new: str):
    """Where [start, end) lands when old[cut_start:cut_end] is replaced by new."""
    shift = len(new) - (cut_end - cut_start)
    if end <= cut_start:
        return anchoring.Anchor(start, end, 1.0, "unchanged")
    if start >= cut_end:
        return anchoring.Anchor(start + shift, end + shift, 1.0, "moved")
    new_start = min(start, cut_start)
    new_end = end + shift if end > cut_end else cut_start + len(new)
    return anchoring.Anchor(new_start, new_end, 1.0, "diff") if new_end > new_start else None


def revise(
    article: Article, user, new_text: str, expected_revision_id: int, note: str = "",
    *, on_locked=None, replaced: tuple[int, int, str] | None = None,
) -> Revision:
    """Save a new revision and carry every annotation onto it.

    Refuses when someone else saved first (expected_revision_id is no longer current). The
    diff, the re-anchoring and the scan run before the story is locked, so the write lock is
    held only for the writes; if a note or flag was added or moved meanwhile, the plan is
    made again. on_locked(article) runs under the lock before anything is written (it may
    write, or raise to refuse: then nothing is saved). replaced=(start, end, words): the
    edit is that one replacement (an accepted alternative), so notes follow it exactly.
    """
    new_text = normalize_text(new_text)
    for _attempt in range(5):
        current_id = Article.objects.filter(pk=article.pk).values_list(
            "current_revision_id", flat=True).first()
        if current_id != expected_revision_id:
            raise StaleRevision(_STALE_EDIT)
        base = Revision.objects.filter(pk=expected_revision_id, article=article).first()
        if base is None:
            raise StaleRevision(_STALE_EDIT)
        plan = None if new_text == base.text else _plan_revision(article, base, new_text, replaced)
        try:
            return _write_revision(article, user, new_text, base, note, plan, on_locked)
        except _Replan:
            continue
    raise Busy("This story is being changed by others right now; nothing was saved. Try again.")


@transaction.atomic
def _write_revision(article, user, new_text, base, note, plan, on_locked) -> Revision:
    locked = Article.objects.select_for_update().get(pk=article.pk)
    if locked.current_revision_id != base.pk:
        raise StaleRevision(_STALE_EDIT)
    if on_locked is not None:
        on_locked(locked)
    if plan is None:
        return base
    items = _live_items(locked, base)
    if {_item_key(i): _item_span(i) for i in items} != plan.spans:
        raise _Replan
    revision = Revision.objects.create(
        article=locked, number=base.number + 1, text=new_text, author=user, note=note
    )
    _carry_annotations(items, [plan.anchors[_item_key(i)] for i in items], revision)
    locked.current_revision = revision
    locked.updated_at = timezone.now()
    locked.save(update_fields=["current_revision", "updated_at"])
    if locked.status == workflow.APPROVED and settings.REVIEWS_EDIT_REOPENS_APPROVAL:
        _reopen_review(locked, user, revision)
    scan_revision(locked, revision, plan.hits)
    return revision


def _reopen_review(article: Article, user, revision: Revision) -> None:
    """An approval is of the words approved: new words go back to review, and the history
    says why."""
    approved = article.approved_revision.number if article.approved_revision_id else "?"
    article.status = workflow.IN_REVIEW
    article.save(update_fields=["status"])
    ReviewEvent.objects.create(
        article=article, actor=user, from_status=workflow.APPROVED, to_status=workflow.IN_REVIEW,
        comment=f"Edited after approval: revision {revision.number} replaces the approved "
                f"revision {approved}, so the story is back in review.",
    )


def _carry_annotations(items: list, anchors: list, new: Revision) -> None:
    """Move every live annotation and flag onto the new revision, where its anchor says.

    Annotations and hand-made flags follow their passage or are orphaned (kept, with their
    original quote). Lexicon flags are derived data: an open one is dropped and found again
    by the rescan; a decision (dismissed, discussed) is kept only while the flagged words
    are unchanged, so a dismissed flag stays dismissed until its passage is edited.
    """
    if not items:
        return
    annotations = [i for i in items if isinstance(i, Annotation)]
    flags = [i for i in items if isinstance(i, Flag)]
    doomed = []
    for item, anchor in zip(items, anchors, strict=True):
        is_scan_flag = isinstance(item, Flag) and item.source == Flag.SCAN
        same_words = anchor is not None and new.text[anchor.start : anchor.end] == item.exact
        if is_scan_flag and not same_words:
            if item.state == Flag.OPEN:
                doomed.append(item.pk)
                continue
            anchor = None  # the decision was about words that are gone
        if anchor is None:
            item.orphaned = True
            item.anchor_confidence = 0.0
            continue
        quote = anchoring.quote_selector(new.text, anchor.start, anchor.end)
        item.revision = new
        item.start, item.end = anchor.start, anchor.end
        item.exact, item.prefix, item.suffix = quote.exact, quote.prefix, quote.suffix
        # Doubt stays until someone confirms the position: a later edit elsewhere, which
        # moves the passage cleanly, does not vouch for where an earlier one put it.
        item.anchor_confidence = min(item.anchor_confidence, anchor.confidence)
    fields = ["revision", "start", "end", "exact", "prefix", "suffix", "orphaned", "anchor_confidence"]
    Annotation.objects.bulk_update(annotations, fields)
    Flag.objects.filter(pk__in=doomed).delete()
    dropped = set(doomed)
    Flag.objects.bulk_update([f for f in flags if f.pk not in dropped], fields)


# --- loaded language ----------------------------------------------------------------------

_compiled_cache: dict[str, language.CompiledLexicon] = {}


def lexicon_version():
    return tuple(
        LexiconTerm.objects.filter(enabled=True)
        .aggregate(n=Count("id"), changed=Max("updated_at"))
        .values()
    )


def current_lexicon() -> language.CompiledLexicon:
    """The enabled terms compiled into one automaton, rebuilt only when the lexicon changes."""
    version = lexicon_version()
    cached = _compiled_cache.get("default")
    if cached is not None and cached.version == version:
        return cached
    terms = [t.as_term() for t in LexiconTerm.objects.filter(enabled=True)]
    compiled = language.compile_lexicon(terms, version)
    _compiled_cache["default"] = compiled
    return compiled


def scan_revision(article: Article, revision: Revision, hits=None) -> dict[str, int]:
    """Flag the loaded language in a revision, keeping decisions already taken there.

    A hit that matches an existing flag (same words, same term) keeps that flag and its
    state; open flags with no hit any more (term disabled, exception added) are removed.
    hits: the scan of revision.text, made before the write transaction (callers inside one
    pass it, so the write lock is never held while text is scanned).
    """
    if hits is None:
        hits = language.scan(revision.text, current_lexicon())
    existing = {
        (f.start, f.end, f.term_id): f
        for f in article.flags.filter(revision=revision, source=Flag.SCAN, orphaned=False)
    }
    created, updated = [], []
    for hit in hits:
        flag = existing.pop((hit.start, hit.end, hit.term.key), None)
        values = {
            "phrase": hit.term.phrase,
            "category": hit.term.category,
            "severity": hit.severity,
            "attributed": hit.attributed,
            "rationale": hit.term.rationale,
            "suggestions": hit.suggestions,
        }
        if flag is None:
            quote = anchoring.quote_selector(revision.text, hit.start, hit.end)
            created.append(
                Flag(
                    article=article, revision=revision, start=hit.start, end=hit.end,
                    exact=quote.exact, prefix=quote.prefix, suffix=quote.suffix,
                    term_id=hit.term.key, source=Flag.SCAN, **values,
                )
            )
        elif flag.is_open and any(getattr(flag, k) != v for k, v in values.items()):
            for k, v in values.items():
                setattr(flag, k, v)
            updated.append(flag)
    gone = [f.pk for f in existing.values() if f.is_open]
    Flag.objects.bulk_create(created)
    Flag.objects.bulk_update(updated, ["phrase", "category", "severity", "attributed", "rationale", "suggestions"])
    Flag.objects.filter(pk__in=gone).delete()
    return {"added": len(created), "updated": len(updated), "removed": len(gone)}


def rescan_articles(articles=None) -> dict[str, int]:
    """Scan the current revision of every open story again (after the lexicon changed)."""
    if articles is None:
        articles = Article.objects.exclude(status__in=[workflow.ARCHIVED, workflow.PUBLISHED])
    totals = {"articles": 0, "added": 0, "updated": 0, "removed": 0}
    lexicon = current_lexicon()
    for article in articles.select_related("current_revision"):
        revision = article.current_revision
        if revision is None:
            continue
        hits = language.scan(revision.text, lexicon)  # outside the write transaction
        with transaction.atomic():
            locked = Article.objects.select_for_update().get(pk=article.pk)
            if locked.current_revision_id != revision.pk:
                continue  # edited meanwhile: the edit scanned its own new text
            counts = scan_revision(locked, revision, hits)
        totals["articles"] += 1
        for k, v in counts.items():
            totals[k] += v
    return totals


def _flag_for_update(flag: Flag) -> Flag:
    return Flag.objects.select_related("article", "revision").get(pk=flag.pk)


def accept_suggestion(flag: Flag, user, replacement: str) -> Revision:
    """Replace the flagged words with one of the suggestions, as a new revision."""
    flag = _flag_for_update(flag)
    article = flag.article
    if not permissions.can_act_on_flag(user, flag):
        raise Forbidden("You may not change this story's text.")
    _check_acceptable(flag, replacement)
    current = article.current_revision
    if flag.revision_id != current.pk or current.text[flag.start : flag.end] != flag.exact:
        raise StaleRevision("The story has changed since this flag was found. Reload the page.")
    text = current.text[: flag.start] + replacement + current.text[flag.end :]

    def decide(locked_article):
        # Under the story's lock: the flag may have been decided while the text was planned.
        locked_flag = Flag.objects.get(pk=flag.pk)
        _check_acceptable(locked_flag, replacement)
        locked_flag.state, locked_flag.decided_by, locked_flag.decided_at = (
            Flag.ACCEPTED, user, timezone.now())
        locked_flag.reason = f"Replaced “{flag.exact}” with “{replacement}”."
        locked_flag.save(update_fields=["state", "decided_by", "decided_at", "reason"])

    return revise(article, user, text, current.pk, on_locked=decide,
                  replaced=(flag.start, flag.end, replacement),
                  note=f"Accepted suggestion: “{flag.exact}” → “{replacement}”")


def _check_acceptable(flag: Flag, replacement: str) -> None:
    if not flag.is_open:
        raise ReviewError("This flag has already been dealt with.")
    if flag.attributed:
        raise ReviewError(
            "These words are inside a direct quotation: the speaker's words are not replaced. "
            "Edit the story to paraphrase the quote if it should go."
        )
    if replacement not in flag.suggestions:
        raise ReviewError("That is not one of the suggested alternatives.")


def dismiss_flag(flag: Flag, user, reason: str) -> Flag:
    if not permissions.can_dismiss_flag(user, flag):
        raise Forbidden("Only editors may dismiss flags.")
    reason = (reason or "").strip()
    if not reason:
        raise ReviewError("Say briefly why this flag does not apply.")
    if len(reason) > 500:
        raise ReviewError("Keep the reason under 500 characters.")
    flag.state, flag.reason = Flag.DISMISSED, reason
    flag.decided_by, flag.decided_at = user, timezone.now()
    flag.save(update_fields=["state", "reason", "decided_by", "decided_at"])
    return flag


def reopen_flag(flag: Flag, user) -> Flag:
    if not permissions.can_dismiss_flag(user, flag):
        raise Forbidden("Only editors may reopen flags.")
    if flag.state != Flag.DISMISSED or flag.orphaned:
        raise ReviewError("Only a dismissed flag on the current text can be reopened.")
    flag.state, flag.reason, flag.decided_by, flag.decided_at = Flag.OPEN, "", None, None
    flag.save(update_fields=["state", "reason", "decided_by", "decided_at"])
    return flag


@transaction.atomic
def discuss_flag(flag: Flag, user, body: str) -> Annotation:
    """Turn a flag into a note on the same words, opened with the person's comment. A high
    flag so discussed keeps blocking approval until its note is resolved."""
    if not permissions.can_act_on_flag(user, flag) or not permissions.can_annotate(user, flag.article):
        raise Forbidden("You may not start a discussion on this story.")
    body = _check_comment(body)
    article = _lock(flag.article)
    flag = Flag.objects.select_related("revision").get(pk=flag.pk)
    if not flag.is_open:
        raise ReviewError("This flag has already been dealt with.")
    if flag.orphaned or flag.revision_id != article.current_revision_id:
        raise StaleRevision("The story has changed since this flag was found. Reload the page.")
    # The note is the person's own: a writer discussing a flag writes a comment, the one
    # category writers may use; editors keep it filed as loaded language.
    category = (Annotation.LOADED_LANGUAGE
                if permissions.can_annotate(user, article, Annotation.LOADED_LANGUAGE)
                else Annotation.COMMENT)
    annotation = Annotation.objects.create(
        article=article, revision=flag.revision, start=flag.start, end=flag.end,
        exact=flag.exact, prefix=flag.prefix, suffix=flag.suffix,
        category=category, body=body, author=user,
    )
    flag.state, flag.annotation = Flag.DISCUSSED, annotation
    flag.decided_by, flag.decided_at = user, timezone.now()
    flag.save(update_fields=["state", "annotation", "decided_by", "decided_at"])
    article.touch()
    return annotation


@transaction.atomic
def add_manual_flag(
    article: Article, user, *, category: str, severity: str, note: str,
    suggestion: str = "", **selection,
) -> Flag:
    """An editor flags a passage by hand, with a category and a reason."""
    if not permissions.is_editor(user) or article.status == workflow.ARCHIVED:
        raise Forbidden("Only editors may flag passages by hand.")
    if category not in language.CATEGORIES or severity not in language.SEVERITIES:
        raise ReviewError("Choose a category and a severity for the flag.")
    note = _check_comment(note)
    article = _lock(article)
    revision, quote = _checked_selection(article, **selection)
    flag = Flag.objects.create(
        article=article, revision=revision, start=selection["start"], end=selection["end"],
        exact=quote.exact, prefix=quote.prefix, suffix=quote.suffix,
        phrase=quote.exact[:200], category=category, severity=severity, rationale=note,
        suggestions=[suggestion.strip()] if suggestion.strip() else [],
        source=Flag.MANUAL, created_by=user,
    )
    article.touch()
    return flag


def open_high_flags(article: Article):
    """High-severity flags in the paper's voice that hold approval: open ones, and those
    turned into a note that is still open."""
    return article.flags.filter(
        Q(state=Flag.OPEN) | Q(state=Flag.DISCUSSED, annotation__state=Annotation.OPEN),
        severity="high", attributed=False, orphaned=False,
        revision=article.current_revision_id,
    )


def open_at_publish(notes, flags) -> dict[str, int]:
    """What is still open on a story about to be published (notes on the text, notes whose
    passage was removed, open flags below high), from the story's notes and the flags on its
    current text, already loaded: the story page's confirmation and the server's refusal
    count the same way."""
    counts = {"notes": 0, "orphans": 0, "flags": 0}
    for n in notes:
        if n.is_open:
            counts["orphans" if n.orphaned else "notes"] += 1
    for f in flags:
        if f.is_open and not f.attributed and f.severity != "high":
            counts["flags"] += 1
    return counts


def publish_open_items(article: Article) -> dict[str, int]:
    notes = article.annotations.filter(state=Annotation.OPEN).only("state", "orphaned")
    flags = article.flags.filter(
        state=Flag.OPEN, revision=article.current_revision_id, orphaned=False
    ).only("state", "attributed", "severity")
    return open_at_publish(notes, flags)


def describe_open(counts: dict[str, int]) -> str:
    """“3 open notes, 1 note whose passage was removed and 2 open flags”; "" when none."""
    def n(count, one, many):
        return f"{count} {one if count == 1 else many}"

    parts = [text for count, text in [
        (counts["notes"], n(counts["notes"], "open note", "open notes")),
        (counts["orphans"], n(counts["orphans"], "note whose passage was removed",
                              "notes whose passages were removed")),
        (counts["flags"], n(counts["flags"], "open flag", "open flags")),
    ] if count]
    return parts[0] if len(parts) == 1 else ", ".join(parts[:-1]) + " and " + parts[-1] if parts else ""


def open_high_flag_names(article: Article, limit: int = 6) -> str:
    """“regime”, “terrorists”: the first open high-severity flags, for a message; "" if none."""
    return ", ".join(f"“{w}”" for w in open_high_flags(article).values_list("exact", flat=True)[:limit])


def _lock(article: Article) -> Article:
    """The story row, locked for the rest of the transaction and read afresh: a check made
    against it (is this still the current revision?) holds until the write commits, however
    an edit saved meanwhile interleaves."""
    return (Article.objects.select_for_update(of=("self",)).select_related("current_revision")
            .get(pk=article.pk))


def _checked_selection(article, revision_id, start, end, exact, prefix=None, suffix=None):
    """The current revision and the quote at [start, end) after checking what the client sent.

    Client offsets are never trusted: the quote (and context, when sent) must be what the
    revision holds there, and the revision must still be the current one. Call it with the
    story locked (_lock), inside the transaction that writes.
    """
    revision = article.current_revision
    if revision is None or revision.pk != revision_id:
        raise StaleRevision(
            "This story has changed since you opened it, and the words you selected with it. "
            "Select the passage again in the current text; your comment is kept."
        )
    text = revision.text
    if not anchoring.quote_matches(text, start, end, exact):
        raise SelectionMismatch(
            "The selected passage does not match the story text at that position. "
            "Reload the page and select it again."
        )
    if not exact.strip():
        raise SelectionMismatch("Select some words to annotate, not just spaces.")
    quote = anchoring.quote_selector(text, start, end)
    if (prefix is not None and prefix != quote.prefix) or (
        suffix is not None and suffix != quote.suffix
    ):
        raise SelectionMismatch(
            "The text around the selected passage does not match the story. "
            "Reload the page and select it again."
        )
    return revision, quote


def _check_comment(body: str) -> str:
    body = (body or "").strip()
    if not body:
        raise ReviewError("Write a comment first.")
    limit = settings.REVIEWS_MAX_COMMENT_LENGTH
    if len(body) > limit:
        raise ReviewError(f"Comments are limited to {limit} characters; this one has {len(body)}.")
    return body


def add_annotation(
    article: Article,
    user,
    *,
    revision_id: int,
    start: int,
    end: int,
    exact: str,
    category: str,
    body: str,
    prefix: str | None = None,
    suffix: str | None = None,
    client_key: str = "",
) -> Annotation:
    """Anchor a new annotation on the current revision after checking the quote against it.

    Client offsets are never trusted: the quote must be what the revision holds there. A
    selection made on a page opened before someone's edit is carried onto the current text
    when its words are there unchanged; otherwise it is refused (409) and the person selects
    again, their comment kept. client_key: the form's one-time key; a second post with the
    same key returns the first note instead of adding a copy.
    """
    if not permissions.can_annotate(user, article, category):
        raise Forbidden("You may not add this kind of annotation to this story.")
    body = _check_comment(body)
    where = _carried_selection(article, revision_id, start, end, exact, prefix, suffix)
    with transaction.atomic():
        article = _lock(article)
        if client_key:
            # The same note posted twice (a double click, a retry): the second answers like
            # the first and adds nothing.
            earlier = Annotation.objects.filter(author=user, client_key=client_key).first()
            if earlier is not None:
                return earlier
        revision, quote = _checked_selection(article, **where)
        annotation = Annotation.objects.create(
            client_key=client_key,
            article=article,
            revision=revision,
            start=where["start"],
            end=where["end"],
            exact=quote.exact,
            prefix=quote.prefix,
            suffix=quote.suffix,
            category=category,
            body=body,
            author=user,
        )
        article.touch()
    return annotation


def _carried_selection(article, revision_id, start, end, exact, prefix, suffix) -> dict:
    """The selection as sent, or, when it was made on an older revision of this story and
    its words are still there unchanged, the same words on the current one. Worked out
    before the lock (it diffs the two texts); the locked check then sees the current one."""
    where = {"revision_id": revision_id, "start": start, "end": end, "exact": exact,
             "prefix": prefix, "suffix": suffix}
    current_id = Article.objects.filter(pk=article.pk).values_list(
        "current_revision_id", flat=True).first()
    if current_id is None or current_id == revision_id:
        return where
    seen = Revision.objects.filter(pk=revision_id, article_id=article.pk).first()
    current = Revision.objects.filter(pk=current_id).first()
    if seen is None or current is None or not anchoring.quote_matches(seen.text, start, end, exact):
        return where
    sent = anchoring.quote_selector(seen.text, start, end)
    if (prefix is not None and prefix != sent.prefix) or (suffix is not None and suffix != sent.suffix):
        return where
    anchor = anchoring.reanchor_many(
        seen.text, current.text, [anchoring.SpanQuery(start, end, exact, prefix or "", suffix or "")]
    )[0]
    if anchor is None or current.text[anchor.start : anchor.end] != exact:
        return where  # the passage itself was edited: refused, to be selected again
    return {"revision_id": current.pk, "start": anchor.start, "end": anchor.end, "exact": exact,
            "prefix": None, "suffix": None}


@transaction.atomic
def reattach(
    annotation: Annotation,
    user,
    *,
    revision_id: int,
    start: int,
    end: int,
    exact: str,
    prefix: str | None = None,
    suffix: str | None = None,
) -> Annotation:
    """Put an orphaned (or misplaced) annotation on a passage a person selected."""
    if not permissions.can_reattach(user, annotation):
        raise Forbidden("You may not re-attach this annotation.")
    revision, quote = _checked_selection(
        _lock(annotation.article), revision_id, start, end, exact, prefix, suffix
    )
    annotation.revision = revision
    annotation.start, annotation.end = start, end
    annotation.exact, annotation.prefix, annotation.suffix = quote.exact, quote.prefix, quote.suffix
    annotation.orphaned = False
    annotation.anchor_confidence = 1.0
    annotation.save(
        update_fields=[
            "revision",
            "start",
            "end",
            "exact",
            "prefix",
            "suffix",
            "orphaned",
            "anchor_confidence",
        ]
    )
    annotation.article.touch()
    return annotation


def confirm_anchor(annotation: Annotation, user) -> Annotation:
    """A person agrees that a re-anchored annotation sits on the right words."""
    if not permissions.can_reattach(user, annotation):
        raise Forbidden("You may not confirm this annotation's position.")
    if annotation.orphaned:
        raise ReviewError("This annotation has no passage yet: re-attach it first.")
    annotation.anchor_confidence = 1.0
    annotation.save(update_fields=["anchor_confidence"])
    return annotation


def add_reply(annotation: Annotation, user, body: str) -> Reply:
    if not permissions.can_reply(user, annotation):
        raise Forbidden("You may not reply here.")
    reply = Reply.objects.create(annotation=annotation, author=user, body=_check_comment(body))
    annotation.article.touch()
    return reply


def set_resolved(annotation: Annotation, user, resolved: bool) -> Annotation:
    if not permissions.can_resolve(user, annotation):
        raise Forbidden("You may not resolve or reopen this annotation.")
    if resolved:
        annotation.state = Annotation.RESOLVED
        annotation.resolved_by = user
        annotation.resolved_at = timezone.now()
    else:
        annotation.state = Annotation.OPEN
        annotation.resolved_by = None
        annotation.resolved_at = None
    annotation.save(update_fields=["state", "resolved_by", "resolved_at"])
    annotation.article.touch()
    return annotation


@transaction.atomic
def transition(
    article: Article, user, name: str, comment: str = "", seen_revision: int | None = None,
    request=None, confirm_open: bool = False,
) -> ReviewEvent:
    """Take one review step; raises workflow.TransitionRefused with the reason when refused.
    seen_revision: the revision the person had on screen (the story page sends it); a step
    taken on text that has changed since is refused (StaleRevision), so nobody approves or
    publishes words they have not read. Publishing a story with notes or flags still open
    needs confirm_open (the page asks first, listing them); otherwise it is refused (409)
    with the list."""
    article = Article.objects.select_for_update().get(pk=article.pk)
    step = permissions.check_transition(user, article, name)
    if seen_revision is not None and seen_revision != article.current_revision_id:
        current = article.current_revision.number if article.current_revision else "?"
        raise StaleRevision(
            f"The story's text has changed since you opened it (it is now revision {current}). "
            "Reload the page and read the new text first; nothing was done."
        )
    # Publishing is held to the same rule as approving: an edit after approval can bring
    # new high-severity wording in.
    if step.name in ("approve", "publish") and settings.REVIEWS_BLOCK_APPROVAL_ON_HIGH_FLAGS:
        names = open_high_flag_names(article)
        if names:
            verb = "approved" if step.name == "approve" else "published"
            raise workflow.TransitionRefused(
                f"The story cannot be {verb} while high-severity flags are open: {names}. "
                "Accept a suggestion, dismiss each with a reason, or resolve the note it "
                "was turned into."
            )
    if step.name == "publish" and not confirm_open:
        still_open = describe_open(publish_open_items(article))
        if still_open:
            raise StillOpen(
                f"Still open on this story: {still_open}. Publish anyway to confirm, or deal "
                "with them first; nothing was done."
            )
    comment = (comment or "").strip()
    limit = settings.REVIEWS_MAX_COMMENT_LENGTH
    if len(comment) > limit:
        raise ReviewError(
            f"Comments are limited to {limit} characters; this one has {len(comment)}."
        )
    source = article.status
    target = workflow.resolve_target(step, article.restore_status)
    article.restore_status = source if target == workflow.ARCHIVED else ""
    article.status = target
    article.updated_at = timezone.now()
    if target == workflow.APPROVED:
        article.approved_revision_id = article.current_revision_id
    article.save(update_fields=["status", "restore_status", "updated_at", "approved_revision"])
    event = ReviewEvent.objects.create(
        article=article, actor=user, from_status=source, to_status=target, comment=comment
    )
    if target == workflow.ARCHIVED or step.name == "restore":
        from . import audit
        from .models import AuditEntry

        audit.record(
            AuditEntry.ARCHIVED if target == workflow.ARCHIVED else AuditEntry.RESTORED,
            actor=user, target=f"article:{article.pk} {article.title}",
            detail=f"{workflow.STATUS_LABELS.get(source, source)} → {workflow.STATUS_LABELS.get(target, target)}",
            request=request,
        )
    return event


# --- importing ------------------------------------------------------------------------------


@dataclass(frozen=True)
class StoryFile:
    """What an uploaded story file holds, read and checked, before anything is created."""

    title: str
    body: str
    byline: str = ""  # found on a line of its own under the title
    dateline: str = ""


def read_story_file(filename: str, data: bytes, *, title: str = "") -> StoryFile:
    """An uploaded .txt, .md, .docx or .html file as a story's parts; raises ReviewError (or
    importers.ImportRefused) with the reason, creating nothing.

    A plain-text file's first line is its title unless one is given; a byline and a dateline
    standing on their own lines under the title are taken out of the text (masthead.py).
    """
    found_title, body = importers.read_article(filename, data, settings.REVIEWS_MAX_UPLOAD_BYTES)
    body = normalize_text(body)
    if not title and not found_title and filename.lower().endswith(".txt"):
        first, _, rest = body.partition("\n")
        found_title, body = first.strip(), normalize_text(rest)
    title = (title or found_title or "").strip()
    if not title:
        raise ReviewError("The file has no title: give one.")
    head = masthead.read_masthead(body)
    body = head.body
    if not body.strip():
        raise ReviewError("The file has no story text after the title.")
    if len(body) > settings.REVIEWS_MAX_ARTICLE_CHARS:
        raise ReviewError(f"Stories are limited to {settings.REVIEWS_MAX_ARTICLE_CHARS:,} characters.")
    return StoryFile(title[:300], body, head.byline[:200], head.dateline[:100])


def article_from_file(user, filename: str, data: bytes, *, title: str = "", byline: str = "",
                      desk: str = "", assignees=()) -> Article:
    """A new story from an uploaded file at once (the command line); nothing is created on
    error. The byline and dateline found in the file fill the fields not given."""
    story = read_story_file(filename, data, title=title)
    return create_article(user, title=story.title, text=story.body,
                          byline=byline or story.byline, dateline=story.dateline, desk=desk,
                          assignees=assignees, note=f"Imported from {filename}"[:300])


@dataclass
class AnnotationImportReport:
    anchored: int = 0
    reanchored: int = 0
    replies: int = 0
    flags_skipped: int = 0  # this app's own flags: the scanner finds them again
    duplicates: int = 0  # already on the story (the same file imported again)
    recategorised: int = 0  # a category the importer's role may not add, kept as Comment
    rejected: list = dc_field(default_factory=list)  # (source id, reason)

    def summary(self) -> str:
        text = (
            f"{self.anchored} anchored, {self.reanchored} re-anchored, "
            f"{len(self.rejected)} rejected"
        )
        if self.duplicates:
            text += f", {self.duplicates} already on the story (skipped)"
        if self.recategorised:
            text += (f", {self.recategorised} kept as Comment (your role may not add "
                     "their category)")
        return text


def import_annotations(article: Article, user, data: bytes) -> AnnotationImportReport:
    """W3C Web Annotations from a file onto the story's current text, all or none.

    Each is placed by its selectors (re-anchored by its quote when the text differs); one
    that cannot be placed is reported with the reason, never attached to the wrong words.
    """
    if not permissions.can_annotate(user, article):
        raise Forbidden("You may not annotate this story.")
    # Parsing and finding each passage (fuzzy search included) happen before the write lock.
    parsed = importers.parse_web_annotations(data)
    revision = Revision.objects.get(pk=article.current_revision_id)
    report = AnnotationImportReport(rejected=list(parsed.rejected))
    incoming = [i for i in parsed.annotations if i.kind != "flag"]
    report.flags_skipped = len(parsed.annotations) - len(incoming)
    placed = list(importers.anchor_incoming(revision.text, incoming))
    with transaction.atomic():
        if _lock(article).current_revision_id != revision.pk:
            raise StaleRevision(
                "The story was edited while the notes were being placed; nothing was imported. "
                "Import the file again."
            )
        _write_imported(article, user, revision, placed, report)
    return report


def _when_written(created):
    """An imported note keeps the time it was written (never later than now)."""
    now = timezone.now()
    return min(created, now) if created else now


def _write_imported(article, user, revision, placed, report) -> None:
    categories = dict(Annotation.CATEGORY_CHOICES)
    # The same passage with the same words is the same note: importing a file twice adds
    # nothing the second time.
    existing = set(
        Annotation.objects.filter(article=article, revision=revision)
        .values_list("start", "end", "body")
    )
    for item, span, how, reason in placed:
        if span is None:
            # Named by its words, which an editor recognises (the id is another tool's URL).
            words = " ".join((item.exact or item.body or "").split())
            label = f"“{Truncator(words).chars(60)}”" if words else item.source_id
            report.rejected.append((label, reason))
            continue
        start, end = span
        quote = anchoring.quote_selector(revision.text, start, end)
        category = item.category if item.category in categories else (
            Annotation.LOADED_LANGUAGE if item.kind == "flag" else Annotation.COMMENT
        )
        body = (item.body or "").strip() or "(no comment)"
        if item.creator and item.creator != display_name(user):
            body = f"{item.creator}: {body}"
        body = body[: settings.REVIEWS_MAX_COMMENT_LENGTH]
        if (start, end, body) in existing:
            report.duplicates += 1
            continue
        existing.add((start, end, body))
        if not permissions.can_annotate(user, article, category):
            # The file may carry an editor's categories; the importer adds notes as themself.
            category = Annotation.COMMENT
            report.recategorised += 1
        annotation = Annotation.objects.create(
            article=article, revision=revision, start=start, end=end, exact=quote.exact,
            prefix=quote.prefix, suffix=quote.suffix, category=category, body=body, author=user,
            state=Annotation.RESOLVED if item.state == "resolved" else Annotation.OPEN,
            resolved_by=user if item.state == "resolved" else None,
            resolved_at=timezone.now() if item.state == "resolved" else None,
            # The quote's own words were found: nothing moved, nothing to confirm. Only
            # words placed by approximation ask a person to check them.
            anchor_confidence=1.0 if quote.exact == item.exact or how == "anchored" else 0.85,
            created_at=_when_written(item.created),
        )
        for reply in item.replies:
            text = (reply.body or "").strip()
            if text:
                if reply.creator and reply.creator != display_name(user):
                    text = f"{reply.creator}: {text}"  # someone else's words, imported by user
                Reply.objects.create(annotation=annotation, author=user,
                                     body=text[: settings.REVIEWS_MAX_COMMENT_LENGTH],
                                     created_at=_when_written(reply.created))
                report.replies += 1
        if how == "anchored":
            report.anchored += 1
        else:
            report.reanchored += 1
    if report.anchored or report.reanchored:
        article.touch()
