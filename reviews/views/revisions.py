from django.http import Http404
from django.shortcuts import render
from django.views.decorators.http import require_safe

from .. import diffing
from .access import article_for


@require_safe
def compare(request, pk):
    """Word-level differences between any two revisions of a story, with who, when and why."""
    article = article_for(request, pk)
    revisions = list(article.revisions.select_related("author").defer("text"))
    by_number = {r.number: r for r in revisions}
    latest = revisions[-1].number
    try:
        new_number = int(request.GET.get("b") or latest)
        old_number = int(request.GET.get("a") or max(1, new_number - 1))
    except ValueError as exc:
        raise Http404("Revision numbers are whole numbers.") from exc
    if old_number not in by_number or new_number not in by_number:
        raise Http404("This story has no such revision.")
    pair = {
        r.number: r
        for r in article.revisions.select_related("author").filter(
            number__in=[old_number, new_number]
        )
    }
    old, new = pair[old_number], pair[new_number]
    changes = diffing.word_diff(old.text, new.text)
    return render(
        request,
        "reviews/compare.html",
        {
            "article": article,
            "revisions": revisions,
            "old": old,
            "new": new,
            "changes": changes,
            "counts": diffing.change_counts(changes),
        },
    )
