"""Prices: integer minor units written by one rule, shown on the catalog and course page."""

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from courses.catalog.curriculum import CurriculumError, curriculum_parse
from courses.commerce.prices import (
    coupon_discount_minor,
    course_price_label,
    money_label,
    price_to_minor,
)
from courses.models import Course


@pytest.mark.parametrize(
    ("amount", "currency", "text"),
    [
        (14900, "USD", "$149.00"),
        (5, "USD", "$0.05"),
        (123456789, "EUR", "€1,234,567.89"),
        (14900, "chf", "149.00 CHF"),
        (1500, "JPY", "¥1,500"),
        (1500, "KWD", "1.500 KWD"),
        (-2500, "GBP", "−£25.00"),
    ],
)
def test_money_label(amount, currency, text):
    assert money_label(amount, currency) == text


def test_a_course_without_a_price_is_free():
    assert course_price_label(Course(price_minor=None)) == "Free"
    assert course_price_label(Course(price_minor=0)) == "Free"
    assert Course(price_minor=None).is_free and not Course(price_minor=14900).is_free
    assert course_price_label(Course(price_minor=14900, currency="USD")) == "$149.00"


@pytest.mark.django_db
def test_the_currency_is_an_iso_code():
    course = Course(slug="c", title="C", price_minor=100, currency="usd")
    with pytest.raises(ValidationError) as error:
        course.full_clean()
    assert "currency" in error.value.message_dict


def test_catalog_and_course_page_show_the_price_and_what_is_included(client, course):
    Course.objects.filter(pk=course.pk).update(price_minor=None)
    catalog = client.get(reverse("courses:catalog")).content.decode()
    assert "Free" in catalog
    Course.objects.filter(pk=course.pk).update(price_minor=14900, currency="USD")
    catalog = client.get(reverse("courses:catalog")).content.decode()
    assert "$149.00" in catalog
    html = client.get(reverse("courses:course_detail", args=[course.slug])).content.decode()
    assert "What's included" in html and "$149.00" in html
    assert "13 lessons" in html and "22 techniques" in html
    previews = course.lessons.filter(is_preview=True).order_by("number")
    assert previews.exists()
    for lesson in previews:
        url = reverse("courses:lesson_detail", args=[course.slug, lesson.number])
        assert f'<a href="{url}">lesson {lesson.number}</a>' in html


@pytest.mark.parametrize(
    ("value", "currency", "minor"),
    [("149.00", "USD", 14900), (149, "USD", 14900), (149.99, "USD", 14999), ("0", "USD", 0),
     ("1500", "JPY", 1500), ("1.250", "KWD", 1250), (" 19.5 ", "EUR", 1950)],
)  # fmt: skip
def test_price_to_minor(value, currency, minor):
    assert price_to_minor(value, currency) == minor


@pytest.mark.parametrize("value", ["abc", "-1", "1.999", "NaN", "Infinity", "1e12", ""])
def test_price_to_minor_refuses(value):
    with pytest.raises(ValueError):
        price_to_minor(value, "USD")


@pytest.mark.parametrize(
    ("price", "percent", "amount", "discount"),
    [(14900, 20, None, 2980), (14999, 15, None, 2250), (14900, 100, None, 14900),
     (14900, None, 5000, 5000), (14900, None, 20000, 14900), (1, 50, None, 1)],
)  # fmt: skip
def test_coupon_discount_never_exceeds_the_price(price, percent, amount, discount):
    assert (
        coupon_discount_minor(price_minor=price, percent_off=percent, amount_off_minor=amount)
        == discount
    )


def test_the_shipped_course_has_its_price(course):
    assert (course.price_minor, course.currency) == (14900, "USD")


def test_a_bad_price_in_the_curriculum_is_reported_with_its_line(curriculum_data, write_yaml):
    curriculum_data["course"]["price"] = "149.999"
    curriculum_data["course"]["currency"] = "usd"
    with pytest.raises(CurriculumError) as error:
        curriculum_parse(path=write_yaml(curriculum_data))
    text = str(error.value)
    assert "course.currency" in text and "course.price" in text
