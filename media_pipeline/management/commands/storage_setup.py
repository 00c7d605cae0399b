from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from media_pipeline.storage import bucket, bucket_ensure


class Command(BaseCommand):
    help = "Create the private media bucket if missing and allow browser uploads from our origins."

    def handle(self, *args, **options):
        origins = settings.MEDIA_UPLOAD_CORS_ORIGINS
        try:
            created = bucket_ensure(cors_origins=origins)
        except Exception as exc:
            raise CommandError(
                f"Object storage at {settings.AWS_S3_ENDPOINT_URL or 'AWS'} is not usable: {exc}"
            ) from exc
        verb = "created" if created else "exists"
        self.stdout.write(f"bucket {bucket()} {verb}; uploads allowed from {', '.join(origins)}")
