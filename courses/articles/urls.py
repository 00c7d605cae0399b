"""Articles, their feed and their cover images."""

from django.urls import path

from courses.articles import views
from courses.articles.feeds import ArticlesFeed
from courses.community import views as community_views

app_name = "articles"
urlpatterns = [
    path("", views.article_list, name="article_list"),
    path("feed/", ArticlesFeed(), name="article_feed"),
    path("<slug:slug>/", views.article_detail, name="article_detail"),
    path("<slug:slug>/cover", views.article_cover, name="article_cover"),
    path("<slug:slug>/comments/", community_views.comment_create, name="comment_create"),
]
