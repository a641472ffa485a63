"""Every review step for every role from every state: allowed ones work, the rest are refused."""

import itertools

import pytest

from reviews import services, workflow
from reviews.models import ReviewEvent

D, R, C, A, P, X = "draft", "in_review", "changes_requested", "approved", "published", "archived"

# Written out by hand from the product rules, independently of workflow.TRANSITIONS.
EDITOR_STEPS = {
    ("submit", D): R,
    ("submit", C): R,
    ("withdraw", R): D,
    ("request_changes", R): C,
    ("request_changes", A): C,
    ("approve", R): A,
    ("publish", A): P,
    ("archive", D): X,
    ("archive", R): X,
    ("archive", C): X,
    ("archive", A): X,
    ("archive", P): X,
    ("restore", X): "previous",
}
WRITER_OWN_STEPS = {("submit", D): R, ("submit", C): R, ("withdraw", R): D}

EXPECTED = {
    "writer-own": WRITER_OWN_STEPS,
    "writer-other": {},
    "editor": EDITOR_STEPS,
    "admin": EDITOR_STEPS,
    "no-role": {},
    "inactive": {},
}

STATES = [D, R, C, A, P, X]
STEPS = list(workflow.TRANSITIONS)


def test_the_table_knows_every_step_we_expect():
    assert set(STEPS) == {
        "submit",
        "withdraw",
        "request_changes",
        "approve",
        "publish",
        "archive",
        "restore",
    }


@pytest.fixture
def actors(writer, other_writer, editor, admin_user, no_role, inactive_editor):
    return {
        "writer-own": writer,
        "writer-other": other_writer,
        "editor": editor,
        "admin": admin_user,
        "no-role": no_role,
        "inactive": inactive_editor,
    }


@pytest.mark.parametrize("actor_key,step,state", list(itertools.product(EXPECTED, STEPS, STATES)))
def test_each_step_for_each_role_and_state(actor_key, step, state, actors, make_article, writer):
    article = make_article(by=writer)
    article.status = state
    if state == X:
        article.restore_status = C
    article.save()
    actor = actors[actor_key]
    expected = EXPECTED[actor_key].get((step, state))
    events_before = ReviewEvent.objects.filter(article=article).count()

    if expected is None:
        with pytest.raises(workflow.TransitionRefused):
            services.transition(article, actor, step, "no")
        article.refresh_from_db()
        assert article.status == state
        assert ReviewEvent.objects.filter(article=article).count() == events_before
    else:
        event = services.transition(article, actor, step, "looks fine", confirm_open=True)
        article.refresh_from_db()
        target = C if expected == "previous" else expected
        assert article.status == target
        assert (event.from_status, event.to_status, event.actor) == (state, target, actor)
        assert event.comment == "looks fine"


def test_restore_returns_to_the_state_it_was_archived_from(article, editor):
    services.transition(article, editor, "submit")
    services.transition(article, editor, "approve")
    services.transition(article, editor, "archive")
    article.refresh_from_db()
    assert article.status == X
    services.transition(article, editor, "restore")
    article.refresh_from_db()
    assert article.status == A


def test_unknown_step_is_refused_with_a_message(article, editor):
    with pytest.raises(workflow.TransitionRefused, match="no review step"):
        services.transition(article, editor, "teleport")


def test_refusal_names_the_reason(article, writer):
    with pytest.raises(workflow.TransitionRefused, match="not possible while the story is draft"):
        services.transition(article, writer, "approve")


def test_page_offers_only_allowed_steps(article, writer, editor):
    from reviews import permissions

    assert [t.name for t in permissions.allowed_transitions(writer, article)] == ["submit"]
    assert [t.name for t in permissions.allowed_transitions(editor, article)] == [
        "submit",
        "archive",
    ]
