"""Demo accounts for a local run: an instructor and an enrolled learner."""

from __future__ import annotations

import secrets

from django.contrib.auth import get_user_model
from django.db import transaction

from courses.enrollment.services import enrollment_create
from courses.models import Course


def demo_accounts_ensure() -> list[tuple[str, str | None]]:
    """Create the demo instructor and learner if missing; returns (username, new password or None).

    Passwords are random and only returned when an account is created, so no
    password ever lives in the code or the repository. Existing accounts are not
    modified (a real user who happens to be called "learner" keeps their rights
    and password); the learner is enrolled in every published course each run.
    """
    User = get_user_model()
    accounts = []
    with transaction.atomic():
        for username, is_staff in (("instructor", True), ("learner", False)):
            user = User.objects.filter(username=username).first()
            password = None
            if user is None:
                password = secrets.token_urlsafe(12)
                user = User.objects.create_user(
                    username=username,
                    email=f"{username}@example.com",
                    password=password,
                    is_staff=is_staff,
                    is_superuser=is_staff,
                )
            accounts.append((username, password))
            if not is_staff:
                for course in Course.objects.filter(is_published=True):
                    enrollment_create(user=user, course=course, check_access_code=False)
    return accounts
