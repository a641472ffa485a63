"""Create the three newsroom roles as groups with the model permissions each role implies."""

from django.db import migrations

ROLE_PERMISSIONS = {
    "Writer": ["view_article", "add_article", "view_revision", "add_revision",
               "view_annotation", "add_annotation", "view_reply", "add_reply"],
    "Editor": ["view_article", "add_article", "change_article", "view_revision", "add_revision",
               "view_annotation", "add_annotation", "change_annotation", "view_reply",
               "add_reply", "view_reviewevent", "add_reviewevent"],
}


def create_roles(apps, schema_editor):
    from django.contrib.auth.management import create_permissions

    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None

    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    reviews_perms = Permission.objects.filter(content_type__app_label="reviews")
    for name, codenames in ROLE_PERMISSIONS.items():
        group, _ = Group.objects.get_or_create(name=name)
        group.permissions.set(reviews_perms.filter(codename__in=codenames))
    admin, _ = Group.objects.get_or_create(name="Admin")
    admin.permissions.set(reviews_perms)


def remove_roles(apps, schema_editor):
    apps.get_model("auth", "Group").objects.filter(name__in=["Writer", "Editor", "Admin"]).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("reviews", "0001_initial"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(create_roles, remove_roles)]
