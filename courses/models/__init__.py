"""The courses app's models, one module per domain; imported from here as before."""

from courses.models.articles import Article
from courses.models.catalog import (
    Course,
    Lesson,
    LessonCaption,
    Technique,
    lesson_duration_s,
    validate_webvtt,
)
from courses.models.certificates import Certificate
from courses.models.commerce import ORDER_TRANSITIONS, AccessCode, Coupon, Order, StripeEvent
from courses.models.community import Comment, EmailOptOut, LessonQuestion, QuestionReply
from courses.models.downloads import LessonDownload
from courses.models.enrollment import Enrollment
from courses.models.learning import LessonProgress, TechniquePractice
from courses.models.notes import NOTE_MAX_CHARS, LessonNote
from courses.models.player import PlayerSettings
from courses.models.reminders import ReminderSent, ReminderSubscription

__all__ = [
    "ORDER_TRANSITIONS",
    "AccessCode",
    "Article",
    "Certificate",
    "Comment",
    "EmailOptOut",
    "LessonQuestion",
    "QuestionReply",
    "Coupon",
    "Order",
    "StripeEvent",
    "Course",
    "Enrollment",
    "Lesson",
    "LessonCaption",
    "LessonDownload",
    "LessonNote",
    "NOTE_MAX_CHARS",
    "LessonProgress",
    "PlayerSettings",
    "ReminderSent",
    "ReminderSubscription",
    "Technique",
    "TechniquePractice",
    "lesson_duration_s",
    "validate_webvtt",
]
