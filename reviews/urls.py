from django.urls import path

from .views import annotations, article, queue, review, revisions

app_name = "reviews"

urlpatterns = [
    path("", queue.queue, name="queue"),
    path("articles/new/", article.article_create, name="article_create"),
    path("articles/<int:pk>/", article.article_detail, name="article"),
    path("articles/<int:pk>/edit/", article.article_edit, name="article_edit"),
    path("articles/<int:pk>/annotations/", annotations.annotation_create, name="annotation_create"),
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
    path("articles/<int:pk>/transition/", review.article_transition, name="article_transition"),
]
