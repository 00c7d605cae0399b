"""Who may do what: the one place the platform's access rules are written.

Every page, API and the heartbeat ask here; media delivery checks only the signed
grant that courses.learning.playback minted after asking here.

- Watching: a preview lesson is public; any other lesson needs an enrollment in its
  course. Staff (`is_staff`) may watch and record anything, so that the instructor can
  check what learners see.
- Recording progress: enrolled learners and staff; nobody else, not even on previews
  (an anonymous preview has no one to record for).
- Selling: staff see orders with `courses.view_order`, refund with `courses.refund_order`
  and manage single-use codes with `courses.add_accesscode`.
- The public voice: anyone comments under articles; questions under a lesson are seen by
  whoever may watch it and asked by enrolled learners; staff with `courses.change_comment`
  moderate and answer (their replies are marked as the instructor's).
- Certificates: a learner claims their own once every lesson is complete and downloads only
  their own; the verification page is public; staff with `courses.change_certificate`
  list and revoke them.
- Staff actions are Django model permissions, not only `is_staff`: a staff account
  without `courses.change_lesson` cannot use the studio, and one without
  `courses.view_lessonprogress` cannot read analytics. Superusers have every permission.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from ninja.errors import HttpError

from courses.models import Course, Enrollment, Lesson

ALLOWED = "allowed"
LOGIN_REQUIRED = "login_required"
ENROLL_REQUIRED = "enroll_required"

MANAGE_LESSONS_PERMISSION = "courses.change_lesson"
VIEW_ANALYTICS_PERMISSION = "courses.view_lessonprogress"
VIEW_ORDERS_PERMISSION = "courses.view_order"
REFUND_ORDERS_PERMISSION = "courses.refund_order"
MANAGE_CODES_PERMISSION = "courses.add_accesscode"
MODERATE_PERMISSION = "courses.change_comment"
CERTIFICATES_PERMISSION = "courses.change_certificate"


def is_enrolled(*, user, course: Course | int) -> bool:
    """One query (none for anonymous users)."""
    if not user.is_authenticated:
        return False
    course_id = course if isinstance(course, int) else course.pk
    return Enrollment.objects.filter(user=user, course_id=course_id).exists()


def progress_recordable(*, is_staff: bool, enrolled: bool) -> bool:
    """The recording rule on facts already loaded (the heartbeat loads them in its one read)."""
    return is_staff or enrolled


def can_record(
    *,
    user,
    lesson: Lesson | None = None,
    course: Course | None = None,
    enrolled: bool | None = None,
) -> bool:
    """Enrolled learners and staff have progress on a lesson (or course).

    `enrolled` lets a caller pass what it already knows (e.g. a lesson annotated with
    `user_is_enrolled`, or a paid lesson the viewer can watch) instead of asking again.
    """
    if not user.is_authenticated:
        return False
    if user.is_staff:
        return True
    if enrolled is None and lesson is not None:
        enrolled = getattr(lesson, "user_is_enrolled", None)
    if enrolled is None:
        course_id = course.pk if course is not None else lesson.course_id
        enrolled = is_enrolled(user=user, course=course_id)
    return progress_recordable(is_staff=False, enrolled=enrolled)


def can_watch(*, user, lesson: Lesson) -> bool:
    """Preview lessons are public; the others need an enrollment (staff may watch anything)."""
    if lesson.is_preview:
        return True
    return can_record(user=user, lesson=lesson)


def lesson_access(*, user, lesson: Lesson) -> str:
    """ALLOWED, LOGIN_REQUIRED (anonymous on a paid lesson) or ENROLL_REQUIRED."""
    if can_watch(user=user, lesson=lesson):
        return ALLOWED
    return ENROLL_REQUIRED if user.is_authenticated else LOGIN_REQUIRED


def _staff_with(user, permission: str) -> bool:
    return bool(user.is_authenticated and user.is_staff and user.has_perm(permission))


def can_manage_lessons(user) -> bool:
    """The studio and its APIs: upload lesson videos, mark previews."""
    return _staff_with(user, MANAGE_LESSONS_PERMISSION)


def can_view_analytics(user) -> bool:
    """Instructor analytics: every learner's progress, in aggregate and as CSV."""
    return _staff_with(user, VIEW_ANALYTICS_PERMISSION)


def can_view_orders(user) -> bool:
    """The studio's orders list, revenue and its CSV."""
    return _staff_with(user, VIEW_ORDERS_PERMISSION)


def can_refund_orders(user) -> bool:
    """Refunding an order (which also takes the learner's seat back)."""
    return _staff_with(user, REFUND_ORDERS_PERMISSION)


def can_manage_codes(user) -> bool:
    """Generating, exporting and revoking single-use codes."""
    return _staff_with(user, MANAGE_CODES_PERMISSION)


def can_moderate(user) -> bool:
    """The studio inbox: approve or reject comments, answer learners' questions."""
    return _staff_with(user, MODERATE_PERMISSION)


def can_manage_certificates(user) -> bool:
    """The studio's certificates list: look them up, revoke one (after a refund, say)."""
    return _staff_with(user, CERTIFICATES_PERMISSION)


def can_download_certificate(*, user, owner_id: int) -> bool:
    """A certificate's PDF: its learner, and staff who manage certificates."""
    return bool(user.is_authenticated and (user.pk == owner_id or can_manage_certificates(user)))


def can_take_notes(*, user, lesson: Lesson) -> bool:
    """Notes at moments of a lesson: whoever may record progress on it (enrolled, or staff);
    each sees only their own."""
    return bool(user.is_authenticated) and can_record(user=user, lesson=lesson)


def can_see_questions(*, user, lesson: Lesson) -> bool:
    """A lesson's questions are as open as the lesson: public on previews, else enrolled."""
    return can_watch(user=user, lesson=lesson)


def can_ask(*, user, lesson: Lesson) -> bool:
    """Enrolled learners (and staff) ask and reply under a lesson; not the anonymous public."""
    return can_record(user=user, lesson=lesson)


def page_requires(check: Callable, *, denied: str) -> Callable:
    """A page view for users who pass `check`: anonymous visitors go to the site's login
    page, logged-in users without the right get 403 with `denied`.

    (admin's staff_member_required would send them to the admin login instead.)
    """

    def decorator(view: Callable) -> Callable:
        @wraps(view)
        def wrapper(request, *args, **kwargs):
            if not request.user.is_authenticated:
                return redirect_to_login(request.get_full_path())
            if not check(request.user):
                raise PermissionDenied(denied)
            return view(request, *args, **kwargs)

        return wrapper

    return decorator


def api_require(request, check: Callable, *, denied: str) -> None:
    """In an API view behind session auth: 403 with `denied` unless the user passes `check`."""
    if not check(request.user):
        raise HttpError(403, denied)
