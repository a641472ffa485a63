"""The single answer to "may this user do this to this object?".

Roles are Django groups (Writer, Editor, Admin) created by a migration; a superuser counts as
Admin. Every view and every HTMX fragment asks these functions before acting.
"""

from __future__ import annotations

from . import workflow
from .models import Annotation, Article

_CACHE_ATTR = "_newsroom_roles"


def roles(user) -> frozenset[str]:
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return frozenset()
    cached = getattr(user, _CACHE_ATTR, None)
    if cached is None:
        names = set(user.groups.filter(name__in=workflow.ROLES).values_list("name", flat=True))
        if user.is_superuser:
            names.add(workflow.ADMIN)
        cached = frozenset(names)
        setattr(user, _CACHE_ATTR, cached)
    return cached


def has_role(user) -> bool:
    return bool(roles(user))


def is_editor(user) -> bool:
    """Editor or Admin: the people who run review."""
    return bool(roles(user) & {workflow.EDITOR, workflow.ADMIN})


def is_admin(user) -> bool:
    return workflow.ADMIN in roles(user)


def is_owner(user, article: Article) -> bool:
    return article.created_by_id is not None and article.created_by_id == user.pk


def can_view_article(user, article: Article | None = None) -> bool:
    return has_role(user)


def can_create_article(user) -> bool:
    return has_role(user)


def can_edit_article(user, article: Article) -> bool:
    if article.status == workflow.ARCHIVED:
        return False
    if is_editor(user):
        return True
    return (
        workflow.WRITER in roles(user)
        and is_owner(user, article)
        and article.status in (workflow.DRAFT, workflow.CHANGES_REQUESTED)
    )


def can_assign(user) -> bool:
    return is_editor(user)


def annotation_categories(user) -> list[tuple[str, str]]:
    """The categories this user may annotate with: writers comment, editors use them all."""
    if is_editor(user):
        return list(Annotation.CATEGORY_CHOICES)
    if has_role(user):
        return [c for c in Annotation.CATEGORY_CHOICES if c[0] == Annotation.COMMENT]
    return []


def can_annotate(user, article: Article, category: str | None = None) -> bool:
    if article.status == workflow.ARCHIVED:
        return False
    allowed = {c for c, _ in annotation_categories(user)}
    return bool(allowed) and (category is None or category in allowed)


def can_reply(user, annotation: Annotation) -> bool:
    return has_role(user) and annotation.article.status != workflow.ARCHIVED


def can_resolve(user, annotation: Annotation) -> bool:
    """Editors, the annotation's author, or the story's writer may resolve and reopen."""
    if annotation.article.status == workflow.ARCHIVED or not has_role(user):
        return False
    return is_editor(user) or annotation.author_id == user.pk or is_owner(user, annotation.article)


def can_reattach(user, annotation: Annotation) -> bool:
    """Editors, or the annotation's author, may move it onto other words or confirm it."""
    if annotation.article.status == workflow.ARCHIVED or not has_role(user):
        return False
    return is_editor(user) or annotation.author_id == user.pk


def can_act_on_flag(user, flag) -> bool:
    """Accept a suggestion or open a discussion: whoever may edit the story's text."""
    return can_edit_article(user, flag.article)


def can_dismiss_flag(user, flag) -> bool:
    return is_editor(user) and flag.article.status != workflow.ARCHIVED


def can_manage_lexicon(user) -> bool:
    return is_admin(user)


def allowed_transitions(user, article: Article) -> list[workflow.Transition]:
    return workflow.allowed_transitions(article.status, roles(user), is_owner(user, article))


def check_transition(user, article: Article, name: str) -> workflow.Transition:
    """The transition if allowed; raises workflow.TransitionRefused with a reason otherwise."""
    return workflow.check(name, article.status, roles(user), is_owner(user, article))
