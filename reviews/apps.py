from django.apps import AppConfig


class ReviewsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "reviews"
    verbose_name = "Newsroom review"

    def ready(self):
        from . import audit  # connects the login signals

        audit.connect_user_signals()  # role, staff, superuser and activation changes
