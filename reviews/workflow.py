"""Review states and the transitions table: which step goes where, and who may take it.

A small explicit table rather than a state-machine library: six states and seven steps fit on
one screen, the rules ("a writer may submit only their own story") are plain predicates, and
the same table drives the buttons on the page and the refusal on the server.
No Django import: roles arrive as a set of names, ownership as a boolean.
"""

from __future__ import annotations

from dataclasses import dataclass

DRAFT = "draft"
IN_REVIEW = "in_review"
CHANGES_REQUESTED = "changes_requested"
APPROVED = "approved"
PUBLISHED = "published"
ARCHIVED = "archived"

STATUS_CHOICES = [
    (DRAFT, "Draft"),
    (IN_REVIEW, "In review"),
    (CHANGES_REQUESTED, "Changes requested"),
    (APPROVED, "Approved"),
    (PUBLISHED, "Published"),
    (ARCHIVED, "Archived"),
]
STATUS_LABELS = dict(STATUS_CHOICES)

WRITER = "Writer"
EDITOR = "Editor"
ADMIN = "Admin"
ROLES = (WRITER, EDITOR, ADMIN)

# Marker for a transition whose target is the state the story was archived from.
PREVIOUS = "previous"


@dataclass(frozen=True)
class Transition:
    name: str
    label: str
    sources: frozenset[str]
    target: str
    roles: frozenset[str]
    owner_roles: frozenset[str] = frozenset()  # roles allowed only on their own stories
    style: str = "secondary"


TRANSITIONS: dict[str, Transition] = {
    t.name: t
    for t in [
        Transition(
            "submit",
            "Submit for review",
            frozenset({DRAFT, CHANGES_REQUESTED}),
            IN_REVIEW,
            frozenset({EDITOR, ADMIN}),
            owner_roles=frozenset({WRITER}),
            style="primary",
        ),
        Transition(
            "withdraw",
            "Back to draft",
            frozenset({IN_REVIEW}),
            DRAFT,
            frozenset({EDITOR, ADMIN}),
            owner_roles=frozenset({WRITER}),
        ),
        Transition(
            "request_changes",
            "Request changes",
            frozenset({IN_REVIEW, APPROVED}),
            CHANGES_REQUESTED,
            frozenset({EDITOR, ADMIN}),
        ),
        Transition(
            "approve",
            "Approve",
            frozenset({IN_REVIEW}),
            APPROVED,
            frozenset({EDITOR, ADMIN}),
            style="primary",
        ),
        Transition(
            "publish",
            "Publish",
            frozenset({APPROVED}),
            PUBLISHED,
            frozenset({EDITOR, ADMIN}),
            style="primary",
        ),
        Transition(
            "archive",
            "Archive",
            frozenset({DRAFT, IN_REVIEW, CHANGES_REQUESTED, APPROVED, PUBLISHED}),
            ARCHIVED,
            frozenset({EDITOR, ADMIN}),
            style="quiet",
        ),
        Transition(
            "restore",
            "Restore",
            frozenset({ARCHIVED}),
            PREVIOUS,
            frozenset({EDITOR, ADMIN}),
        ),
    ]
}


class TransitionRefused(Exception):
    """A step that does not exist, does not start from here, or is not this user's to take."""


def may_take(
    transition: Transition, status: str, roles: set[str] | frozenset[str], is_owner: bool
) -> bool:
    if status not in transition.sources:
        return False
    if roles & transition.roles:
        return True
    return is_owner and bool(roles & transition.owner_roles)


def allowed_transitions(
    status: str, roles: set[str] | frozenset[str], is_owner: bool
) -> list[Transition]:
    return [t for t in TRANSITIONS.values() if may_take(t, status, roles, is_owner)]


def check(name: str, status: str, roles: set[str] | frozenset[str], is_owner: bool) -> Transition:
    """Return the transition if this user may take it from this status; raise otherwise."""
    transition = TRANSITIONS.get(name)
    if transition is None:
        raise TransitionRefused(f"There is no review step called “{name}”.")
    if status not in transition.sources:
        raise TransitionRefused(
            f"“{transition.label}” is not possible while the story is "
            f"{STATUS_LABELS.get(status, status).lower()}."
        )
    if not may_take(transition, status, roles, is_owner):
        raise TransitionRefused(f"You are not allowed to “{transition.label.lower()}” this story.")
    return transition


def resolve_target(transition: Transition, restore_status: str) -> str:
    if transition.target == PREVIOUS:
        return (
            restore_status
            if restore_status in STATUS_LABELS and restore_status != ARCHIVED
            else DRAFT
        )
    return transition.target
