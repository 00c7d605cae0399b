"""`python manage.py load_articles [PATH ...]`: the shipped articles (courses/data/articles/*.md),
or the given files; idempotent (matched by slug), a bad file changes nothing and says why."""

from pathlib import Path

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from courses.articles.services import article_load

ARTICLES_DIR = Path(settings.BASE_DIR) / "courses" / "data" / "articles"


class Command(BaseCommand):
    help = "Create or update articles from Markdown files with YAML front matter."

    def add_arguments(self, parser):
        parser.add_argument("paths", nargs="*", type=Path)

    def handle(self, *args, paths=(), **options):
        for path in paths or sorted(ARTICLES_DIR.glob("*.md")):
            try:
                article, created = article_load(path=path)
            except (ValidationError, KeyError, OSError) as error:
                detail = (
                    "; ".join(error.messages) if isinstance(error, ValidationError) else str(error)
                )
                raise CommandError(f"{path}: {detail}") from None
            self.stdout.write(f"{'created' if created else 'updated'} article {article.slug}")
