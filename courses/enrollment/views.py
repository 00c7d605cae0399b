"""Enrolling from the course page, and the learner's dashboard."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import redirect_to_login
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods

from courses.catalog.selectors import course_get, course_syllabus_get
from courses.catalog.views import course_detail_render
from courses.enrollment.forms import EnrollForm
from courses.enrollment.selectors import user_courses
from courses.enrollment.services import EnrollmentError, enrollment_create
from courses.learning.progress.selectors import dashboard_progress
from courses.models import Course
from courses.reminders.services import reminders_subscribed


@require_http_methods(["GET", "POST"])
def enroll(request: HttpRequest, slug: str) -> HttpResponse:
    course_url = reverse("courses:course_detail", args=[slug])
    if not request.user.is_authenticated:
        # Back to the course page after logging in: the enroll URL itself only takes POSTs.
        return redirect_to_login(course_url)
    if request.method != "POST":
        return redirect(course_url)
    try:
        course = course_get(slug=slug)
    except Course.DoesNotExist:
        raise Http404("No such course.") from None

    form = EnrollForm(request.POST, course=course)
    if form.is_valid():
        try:
            _, created = enrollment_create(
                user=request.user, course=course, access_code=form.cleaned_data.get("access_code")
            )
        except EnrollmentError as error:
            form.add_error("access_code" if "access_code" in form.fields else None, str(error))
        else:
            if created:
                messages.success(request, f"You're enrolled in {course.title}. Enjoy the course!")
            else:
                messages.info(request, f"You were already enrolled in {course.title}.")
            return redirect("courses:dashboard")
    return course_detail_render(request, course_syllabus_get(slug=slug), form=form, status=400)


@login_required
def dashboard(request: HttpRequest) -> HttpResponse:
    courses = list(user_courses(user=request.user))
    context = {
        "courses": courses,
        "reminders_on": reminders_subscribed(user=request.user),
        **dashboard_progress(user=request.user, courses=courses),
    }
    return render(request, "courses/dashboard.html", context)
