from django.contrib import admin
from django.urls import include, path

from reviews.audit import AuditedPasswordChangeView, AuditedPasswordResetConfirmView

urlpatterns = [
    # Django's own views, with the password changes written to the audit log; the rest of
    # django.contrib.auth.urls as it is.
    path("accounts/password_change/", AuditedPasswordChangeView.as_view(), name="password_change"),
    path(
        "accounts/reset/<uidb64>/<token>/",
        AuditedPasswordResetConfirmView.as_view(),
        name="password_reset_confirm",
    ),
    path("accounts/", include("django.contrib.auth.urls")),
    path("admin/", admin.site.urls),
    path("", include("reviews.urls")),
]
