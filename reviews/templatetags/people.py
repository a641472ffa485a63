"""How a person is named on every page: full name, else username, else a fallback.

`{{ note.author|person }}`, `{{ entry.actor|person:"System" }}`. A missing person (a failed
login has no user; a story imported from the command line may have no author) gets the
fallback instead of breaking the page: `user.get_full_name|default:user.username` raises
when user is None, because a filter's argument must resolve.
"""

from django import template

register = template.Library()


@register.filter
def person(user, fallback=""):
    if user is None:
        return fallback
    return user.get_full_name() or user.get_username() or fallback
