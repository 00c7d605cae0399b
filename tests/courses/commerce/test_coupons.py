"""Coupons: per course, within their dates and redemption limit; legacy shared codes."""

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from courses.catalog.curriculum import CurriculumError
from courses.catalog.services import curriculum_load
from courses.commerce.services.coupons import CouponError, coupon_find_usable
from courses.models import Coupon, Course, Order
from tests.factories import CourseFactory, UserFactory

pytestmark = pytest.mark.django_db


def test_coupon_dates_and_limits(course):
    now = timezone.now()
    Coupon.objects.create(
        course=course, code="LATER", percent_off=10, valid_from=now + timedelta(days=1)
    )
    Coupon.objects.create(course=course, code="OLD", percent_off=10, valid_until=now)
    Coupon.objects.create(course=course, code="OFF", percent_off=10, is_active=False)
    once = Coupon.objects.create(
        course=course, code="ONCE", amount_off_minor=1000, max_redemptions=1
    )
    with pytest.raises(CouponError, match="not valid yet"):
        coupon_find_usable(course=course, code="later")
    with pytest.raises(CouponError, match="expired"):
        coupon_find_usable(course=course, code="old")
    with pytest.raises(CouponError, match="not a valid coupon"):
        coupon_find_usable(course=course, code="off")
    assert coupon_find_usable(course=course, code="once") == once
    Order.objects.create(
        number="ORD-TEST-0001", user=UserFactory(), course=course, status="paid",
        currency="USD", list_price_minor=14900, discount_minor=1000, amount_minor=13900,
        coupon=once,
    )  # fmt: skip
    with pytest.raises(CouponError, match="used up"):
        coupon_find_usable(course=course, code="ONCE")


def test_a_coupon_belongs_to_its_course(course):
    Coupon.objects.create(course=CourseFactory(), code="ELSEWHERE", percent_off=50)
    with pytest.raises(CouponError):
        coupon_find_usable(course=course, code="ELSEWHERE")


def test_a_coupon_is_a_percentage_or_an_amount_never_both(course):
    with pytest.raises(IntegrityError), transaction.atomic():
        Coupon.objects.create(course=course, code="BOTH", percent_off=10, amount_off_minor=100)
    with pytest.raises(IntegrityError), transaction.atomic():
        Coupon.objects.create(course=course, code="TOOMUCH", percent_off=150)


def test_new_shared_access_codes_are_refused(course, curriculum_data, write_yaml):
    course.requires_access_code, course.access_code = True, "X"
    with pytest.raises(ValidationError, match="legacy"):
        course.full_clean()
    curriculum_data["course"]["requires_access_code"] = True
    curriculum_data["course"]["access_code"] = "CRANIO"
    with pytest.raises(CurriculumError, match="legacy"):
        curriculum_load(path=write_yaml(curriculum_data))


def test_a_course_that_had_a_shared_code_keeps_it(curriculum_data, write_yaml, course):
    Course.objects.filter(pk=course.pk).update(requires_access_code=True, access_code="OLD-CODE")
    course.refresh_from_db()
    course.full_clean()
    curriculum_data["course"]["requires_access_code"] = True
    curriculum_load(path=write_yaml(curriculum_data))
    course.refresh_from_db()
    assert course.requires_access_code and course.access_code == "OLD-CODE"
