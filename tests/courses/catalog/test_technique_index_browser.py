"""The technique index's search and practice log, and a theory lesson's "Mark as complete",
in Chromium: their scripts are files (no inline script on any page)."""

import pytest

from courses.models import Enrollment, LessonProgress, TechniquePractice
from tests.browser_pages import new_page
from tests.factories import UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def learner(course):
    user = UserFactory(username="learner")
    Enrollment.objects.create(user=user, course=course)
    return user


def test_search_filters_the_index_and_practice_is_logged(browser, live_server, course, learner):
    page = new_page(browser, live_server, learner)
    page.goto(f"{live_server.url}/courses/{course.slug}/techniques/")
    search = page.get_by_label("Search techniques")
    search.fill("sacral")
    page.wait_for_function(
        "() => document.querySelector('#technique-search-status').textContent.includes('of 22')"
    )
    visible = page.locator("[data-technique]:not([hidden])")
    assert 1 <= visible.count() < 22
    assert all("sacral" in text.lower() for text in visible.all_inner_texts())
    form = visible.first.locator("form[data-practice-form]")
    form.wait_for()  # shown by the script
    form.locator("button[type=submit]").click()
    deadline_ok = False
    for _ in range(50):
        if TechniquePractice.objects.filter(user=learner).exists():
            deadline_ok = True
            break
        page.wait_for_timeout(100)
    assert deadline_ok, "the practice log form did not record"
    assert page.errors == []


def test_a_theory_lesson_is_marked_complete(browser, live_server, course, learner):
    theory = course.lessons.filter(video__isnull=True, is_preview=False).order_by("number").first()
    page = new_page(browser, live_server, learner)
    page.goto(f"{live_server.url}/courses/{course.slug}/lessons/{theory.number}/")
    button = page.get_by_role("button", name="Mark as complete")
    button.click()
    page.get_by_role("button", name="Undo: mark as not complete").wait_for()
    assert LessonProgress.objects.get(user=learner, lesson=theory).marked_complete_at is not None
    assert page.errors == []
