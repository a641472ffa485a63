"""{{ user|person }} and {{ entry.actor|person:"System" }}: models.display_name in templates.

A filter rather than `user.get_full_name|default:user.username`, which raises when user is
None because a filter's argument must resolve.
"""

from django import template

from ..models import display_name

register = template.Library()


@register.filter
def person(user, fallback=""):
    return display_name(user, fallback)
