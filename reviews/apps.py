from django.apps import AppConfig


class ReviewsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "reviews"
    verbose_name = "Newsroom review"

    def ready(self):
        from . import audit  # noqa: F401  (connects the login signals)
