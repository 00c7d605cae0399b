"""The Atom feed of published articles (django.contrib.syndication)."""

from django.contrib.syndication.views import Feed
from django.urls import reverse
from django.utils.feedgenerator import Atom1Feed

from courses.articles.selectors import articles_published


class ArticlesFeed(Feed):
    feed_type = Atom1Feed
    title = "Craniosacral Studio: articles"
    subtitle = "Guides to conditions and how gentle craniosacral work can help, with clips."

    def link(self):
        return reverse("articles:article_list")

    def items(self):
        return articles_published()[:20]

    def item_title(self, item):
        return item.title

    def item_description(self, item):
        return item.summary

    def item_pubdate(self, item):
        return item.published_at

    def item_updateddate(self, item):
        return item.updated_at
