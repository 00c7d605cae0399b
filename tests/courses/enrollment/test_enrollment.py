"""Enrollment services and the enroll/unenroll/seed_demo/load_curriculum commands."""

import os
import subprocess
import sys
from io import StringIO
from pathlib import Path

import pytest
from django.conf import settings
from django.contrib.auth import authenticate, get_user_model
from django.core.management import CommandError, call_command
from django.db import connection
from django.test import RequestFactory

from courses.accounts.services import demo_accounts_ensure
from courses.enrollment.services import (
    EnrollmentError,
    enrollment_create,
    enrollment_delete,
)
from courses.models import Course, Enrollment, Lesson


@pytest.fixture
def coded_course(db):
    return Course.objects.create(
        slug="dvd-owners", title="DVD owners", requires_access_code=True, access_code="Cranio-2024"
    )


def run(command: str, *args) -> str:
    out = StringIO()
    call_command(command, *args, stdout=out, stderr=StringIO())
    return out.getvalue()


# --- services ------------------------------------------------------------------


def test_enrollment_create_is_idempotent(user, free_course):
    course = free_course
    enrollment, created = enrollment_create(user=user, course=course)
    again, created_again = enrollment_create(user=user, course=course)
    assert created and not created_again
    assert again.pk == enrollment.pk
    assert Enrollment.objects.filter(user=user, course=course).count() == 1


@pytest.mark.parametrize("code", ["Cranio-2024", "  cranio-2024 ", "CRANIO-2024"])
def test_access_code_ignores_case_and_spaces(user, coded_course, code):
    _, created = enrollment_create(user=user, course=coded_course, access_code=code)
    assert created


@pytest.mark.parametrize(
    ("code", "message"),
    [(None, "Enter the access code"), ("  ", "Enter the access code"), ("cranio", "not right")],
)
def test_wrong_or_missing_access_code_is_refused(user, coded_course, code, message):
    with pytest.raises(EnrollmentError, match=message):
        enrollment_create(user=user, course=coded_course, access_code=code)
    assert not Enrollment.objects.exists()


def test_required_but_unset_code_never_matches_an_empty_answer(user, db):
    course = Course.objects.create(slug="x", title="X", requires_access_code=True, access_code="")
    with pytest.raises(EnrollmentError, match="not open"):
        enrollment_create(user=user, course=course, access_code="")


def test_already_enrolled_needs_no_code(user, coded_course):
    Enrollment.objects.create(user=user, course=coded_course)
    _, created = enrollment_create(user=user, course=coded_course)
    assert not created


def test_enrollment_delete_is_idempotent(user, free_course):
    course = free_course
    enrollment_create(user=user, course=course)
    assert enrollment_delete(user=user, course=course) is True
    assert enrollment_delete(user=user, course=course) is False
    assert not Enrollment.objects.exists()


# --- commands via call_command --------------------------------------------------------


def test_enroll_command_is_idempotent_and_bypasses_the_code(user, coded_course):
    assert "Enrolled alice in dvd-owners." in run("enroll", "alice", "dvd-owners")
    assert "already enrolled" in run("enroll", "alice", "dvd-owners")
    assert Enrollment.objects.filter(user=user, course=coded_course).count() == 1


def test_enroll_command_gives_a_seat_in_a_priced_course_recorded_as_comp(user, course):
    assert not course.is_free
    assert f"Enrolled alice in {course.slug}." in run("enroll", "alice", course.slug)
    assert Enrollment.objects.get(user=user, course=course).source == Enrollment.Source.COMP


def test_unenroll_command_is_idempotent(user, course):
    Enrollment.objects.create(user=user, course=course)
    assert "Unenrolled alice" in run("unenroll", "alice", course.slug)
    assert "was not enrolled" in run("unenroll", "alice", course.slug)
    assert not Enrollment.objects.exists()


@pytest.mark.parametrize("command", ["enroll", "unenroll"])
def test_unknown_user_or_course_is_a_command_error(user, course, command):
    with pytest.raises(CommandError, match="No user named 'nobody'"):
        run(command, "nobody", course.slug)
    with pytest.raises(CommandError, match="No course with slug 'nope'"):
        run(command, "alice", "nope")
    assert not Enrollment.objects.exists()


def test_load_curriculum_command_default_path_and_summary(db):
    out = run("load_curriculum")
    assert out.strip() == ("craniosacral-therapy: 36 created, 0 updated, 0 unchanged, 0 deleted")
    assert Lesson.objects.count() == 13
    assert "0 created, 0 updated, 36 unchanged" in run("load_curriculum")


def test_load_curriculum_command_malformed_file(db, write_yaml):
    path = write_yaml("course:\n  slug: tiny\n  title: T\n  lessons:\n    - title: x\n")
    with pytest.raises(CommandError) as excinfo:
        run("load_curriculum", str(path))
    assert "line 5: course.lessons[0].number: required field" in str(excinfo.value)


def test_seed_demo_creates_accounts_once_with_random_passwords(course):
    Course.objects.create(slug="hidden", title="Hidden", is_published=False)
    first = run("seed_demo")
    passwords = dict(
        line.split(": created, password ") for line in first.splitlines() if "created" in line
    )
    assert set(passwords) == {"instructor", "learner"}
    assert passwords["instructor"] != passwords["learner"]
    request = RequestFactory().post("/accounts/login/")  # django-axes counts every attempt
    assert authenticate(request, username="learner", password=passwords["learner"]) is not None
    instructor = get_user_model().objects.get(username="instructor")
    assert instructor.is_staff and instructor.is_superuser
    learner = get_user_model().objects.get(username="learner")
    assert not learner.is_staff
    assert list(Enrollment.objects.filter(user=learner).values_list("course__slug", flat=True)) == [
        course.slug
    ]

    second = run("seed_demo")
    assert "password" not in second.replace("password was shown", "").replace("changepassword", "")
    assert "(exists; password was shown when it was created" in second
    assert "changepassword instructor" in second


def test_demo_accounts_ensure_returns_none_for_existing(make_user, db):
    make_user("instructor")  # a pre-existing account is left as it is
    accounts = dict(demo_accounts_ensure())
    assert accounts["instructor"] is None and accounts["learner"]
    assert not get_user_model().objects.get(username="instructor").is_superuser


# --- commands via manage.py: exit codes, no traceback ---------------------------------


def manage(*args: str) -> subprocess.CompletedProcess:
    db = connection.settings_dict
    credentials = db["USER"] + (f":{db['PASSWORD']}" if db["PASSWORD"] else "")
    url = f"postgres://{credentials}@{db['HOST']}:{db['PORT'] or 5432}/{db['NAME']}"
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings.test", "DATABASE_URL": url}
    base = Path(settings.BASE_DIR)
    return subprocess.run(
        [sys.executable, str(base / "manage.py"), *args],
        cwd=base,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.mark.django_db(transaction=True)
def test_manage_py_enroll_exit_codes(make_user):
    user = make_user("bob")
    course = Course.objects.create(slug="open-course", title="Open course")

    ok = manage("enroll", "bob", "open-course")
    assert ok.returncode == 0, ok.stderr
    assert "Enrolled bob in open-course." in ok.stdout
    assert Enrollment.objects.filter(user=user, course=course).exists()

    again = manage("enroll", "bob", "open-course")
    assert again.returncode == 0 and "already enrolled" in again.stdout

    missing = manage("unenroll", "nobody", "open-course")
    assert missing.returncode == 1
    assert "No user named 'nobody'" in missing.stderr
    assert "Traceback" not in missing.stderr


@pytest.mark.django_db(transaction=True)
def test_manage_py_load_curriculum_bad_file(tmp_path):
    path = tmp_path / "bad.yaml"
    path.write_text("course:\n  slug: tiny\n  title: [unclosed\n")
    result = manage("load_curriculum", str(path))
    assert result.returncode == 1
    assert str(path) in result.stderr and "line " in result.stderr
    assert "Traceback" not in result.stderr
    assert not Course.objects.exists()
