from django.core.management.base import BaseCommand

from courses.accounts.services import demo_accounts_ensure


class Command(BaseCommand):
    help = "Create the demo instructor and learner accounts (random passwords, shown once)."

    def handle(self, *args, **options):
        for username, password in demo_accounts_ensure():
            if password:
                self.stdout.write(f"{username}: created, password {password}")
            else:
                self.stdout.write(
                    f"{username}: (exists; password was shown when it was created — reset with "
                    f"`python manage.py changepassword {username}`)"
                )
