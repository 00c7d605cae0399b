from django.core.management.base import BaseCommand

from media_pipeline.purge import orphaned_media_plan, orphaned_media_purge


class Command(BaseCommand):
    help = (
        "Delete stored renditions of failed or replaced video versions and objects no version "
        "knows about. Originals of existing versions are always kept."
    )

    def add_arguments(self, parser):
        parser.add_argument("--dry-run", action="store_true", help="List, delete nothing.")

    def handle(self, *args, dry_run: bool = False, **options):
        plan = orphaned_media_plan()
        for key in plan.keys if dry_run else ():
            self.stdout.write(f"would delete {key}")
        if not dry_run:
            orphaned_media_purge(plan)
        verb = "would delete" if dry_run else "deleted"
        detail = ", ".join(f"{n} {reason}" for reason, n in plan.reasons.items()) or "nothing"
        self.stdout.write(f"{verb} {len(plan.keys)} objects ({detail})")
