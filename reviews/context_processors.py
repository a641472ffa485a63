from . import permissions


def roles(request):
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    return {
        "user_roles": sorted(permissions.roles(user)),
        "user_is_editor": permissions.is_editor(user),
        "user_is_admin": permissions.is_admin(user),
    }
