from django.urls import path

from .views import (
    annotations,
    article,
    exports,
    flags,
    jobs,
    lexicon,
    queue,
    review,
    revisions,
    team,
)

app_name = "reviews"

urlpatterns = [
    path("", queue.queue, name="queue"),
    path("articles/new/", article.article_create, name="article_create"),
    path("articles/<int:pk>/", article.article_detail, name="article"),
    path("articles/<int:pk>/edit/", article.article_edit, name="article_edit"),
    path("articles/<int:pk>/annotations/", annotations.annotation_create, name="annotation_create"),
    path(
        "articles/<int:pk>/annotations/import/",
        annotations.annotation_import,
        name="annotation_import",
    ),
    path(
        "articles/<int:pk>/annotations/<int:annotation_id>/replies/",
        annotations.reply_create,
        name="reply_create",
    ),
    path(
        "articles/<int:pk>/annotations/<int:annotation_id>/resolve/",
        annotations.annotation_resolve,
        name="annotation_resolve",
    ),
    path(
        "articles/<int:pk>/annotations/<int:annotation_id>/reopen/",
        annotations.annotation_reopen,
        name="annotation_reopen",
    ),
    path(
        "articles/<int:pk>/annotations/<int:annotation_id>/reattach/",
        annotations.annotation_reattach,
        name="annotation_reattach",
    ),
    path(
        "articles/<int:pk>/annotations/<int:annotation_id>/confirm/",
        annotations.annotation_confirm,
        name="annotation_confirm",
    ),
    path("articles/<int:pk>/compare/", revisions.compare, name="compare"),
    path("articles/<int:pk>/flags/", flags.flag_create, name="flag_create"),
    path("articles/<int:pk>/flags/<int:flag_id>/accept/", flags.flag_accept, name="flag_accept"),
    path("articles/<int:pk>/flags/<int:flag_id>/dismiss/", flags.flag_dismiss, name="flag_dismiss"),
    path("articles/<int:pk>/flags/<int:flag_id>/reopen/", flags.flag_reopen, name="flag_reopen"),
    path("articles/<int:pk>/flags/<int:flag_id>/discuss/", flags.flag_discuss, name="flag_discuss"),
    path("articles/<int:pk>/export/<str:fmt>/", exports.article_export, name="article_export"),
    path("exports/", exports.bulk_export, name="bulk_export"),
    path("jobs/", jobs.job_list, name="jobs"),
    path("jobs/<int:job_id>/", jobs.job_detail, name="job"),
    path("jobs/<int:job_id>/retry/", jobs.job_retry, name="job_retry"),
    path("jobs/<int:job_id>/download/", jobs.job_download, name="job_download"),
    path("team/", team.team_list, name="team"),
    path("team/<int:user_id>/role/", team.team_role, name="team_role"),
    path("team/<int:user_id>/active/", team.team_active, name="team_active"),
    path("team/<int:user_id>/unlock/", team.team_unlock, name="team_unlock"),
    path("audit/", team.audit_log, name="audit"),
    path("lexicon/", lexicon.lexicon_list, name="lexicon"),
    path("lexicon/new/", lexicon.lexicon_edit, name="lexicon_add"),
    path("lexicon/export.csv", lexicon.lexicon_export, name="lexicon_export"),
    path("lexicon/import/", lexicon.lexicon_import, name="lexicon_import"),
    path("lexicon/<int:term_id>/", lexicon.lexicon_edit, name="lexicon_edit"),
    path("lexicon/<int:term_id>/toggle/", lexicon.lexicon_toggle, name="lexicon_toggle"),
    path("articles/<int:pk>/transition/", review.article_transition, name="article_transition"),
]
