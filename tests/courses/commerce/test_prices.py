"""Prices: integer minor units written by one rule, shown on the catalog and course page."""

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from courses.commerce.prices import course_price_label, money_label
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
