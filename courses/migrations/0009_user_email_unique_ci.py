"""One account per e-mail address, whatever its case, enforced by the database.

auth.User is Django's model, so the index is created here in SQL (PostgreSQL and SQLite both
have expression and partial indexes). Accounts without an address (a createsuperuser without
one) are left out. Duplicates already in the table stop the migration with their addresses:
merge or change those accounts first.
"""

from django.db import migrations
from django.db.models import Count
from django.db.models.functions import Lower

INDEX = "auth_user_email_ci_unique"


def duplicates_refuse(apps, schema_editor):
    User = apps.get_model("auth", "User")
    clashes = (
        User.objects.exclude(email="")
        .annotate(address=Lower("email"))
        .values("address")
        .annotate(n=Count("id"))
        .filter(n__gt=1)
    )
    found = [row["address"] for row in clashes[:20]]
    if found:
        raise RuntimeError(
            "Several accounts share these e-mail addresses (ignoring case): "
            + ", ".join(found)
            + ". Give each account its own address, then migrate again."
        )


class Migration(migrations.Migration):
    dependencies = [
        ("auth", "0012_alter_user_first_name_max_length"),
        ("courses", "0008_articles_community"),
    ]

    operations = [
        migrations.RunPython(duplicates_refuse, migrations.RunPython.noop),
        migrations.RunSQL(
            f"CREATE UNIQUE INDEX {INDEX} ON auth_user (LOWER(email)) WHERE email <> ''",
            f"DROP INDEX {INDEX}",
        ),
    ]
