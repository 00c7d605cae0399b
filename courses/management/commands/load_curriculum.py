from pathlib import Path

from django.apps import apps
from django.core.management.base import BaseCommand, CommandError

from courses.catalog.services import CurriculumError, curriculum_load


def default_path() -> Path:
    return Path(apps.get_app_config("courses").path) / "data" / "craniosacral-therapy.yaml"


class Command(BaseCommand):
    help = "Create or update a course's lessons and techniques from a curriculum YAML file."

    def add_arguments(self, parser):
        parser.add_argument(
            "path", nargs="?", type=Path, help=f"YAML file (default: {default_path()})"
        )

    def handle(self, *args, path: Path | None = None, **options):
        try:
            result = curriculum_load(path=path or default_path())
        except CurriculumError as error:
            raise CommandError(str(error)) from None
        for note in result.notes:
            self.stderr.write(self.style.WARNING(f"Note: {note}"))
        self.stdout.write(self.style.SUCCESS(result.summary()))
