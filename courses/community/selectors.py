"""Read side of the community: an article's comments and a lesson's questions, each in a
fixed number of queries however many there are; the studio inbox."""

from __future__ import annotations

from django.db.models import Count, Prefetch, Q, QuerySet

from courses.models import Article, Comment, Lesson, LessonQuestion, QuestionReply


def article_comments(*, article: Article) -> list[Comment]:
    """Approved top-level comments, oldest first, with their approved replies (2 queries)."""
    replies = Comment.objects.filter(status=Comment.Status.APPROVED).order_by("created_at")
    return list(
        Comment.objects.filter(article=article, parent__isnull=True, status=Comment.Status.APPROVED)
        .prefetch_related(Prefetch("replies", queryset=replies, to_attr="approved_replies"))
        .order_by("created_at")
    )


def comment_count(*, article: Article) -> int:
    return Comment.objects.filter(article=article, status=Comment.Status.APPROVED).count()


def lesson_questions(*, lesson: Lesson, user) -> list[LessonQuestion]:
    """Newest first, with replies and who asked (3 queries); `followed` for the viewer."""
    questions = (
        LessonQuestion.objects.filter(lesson=lesson)
        .select_related("user")
        .prefetch_related(
            Prefetch("replies", queryset=QuestionReply.objects.select_related("user"))
        )
        .order_by("-created_at")
    )
    if user.is_authenticated:
        questions = questions.annotate(followed=Count("followers", filter=Q(followers__pk=user.pk)))
    return list(questions)


def inbox_pending_comments() -> QuerySet[Comment]:
    return (
        Comment.objects.filter(status=Comment.Status.PENDING)
        .select_related("article", "parent")
        .order_by("created_at")
    )


def inbox_unanswered_questions() -> QuerySet[LessonQuestion]:
    return (
        LessonQuestion.objects.filter(answered_at__isnull=True)
        .select_related("lesson__course", "user")
        .order_by("created_at")
    )


def inbox_counts() -> dict[str, int]:
    return {
        "pending_comments": Comment.objects.filter(status=Comment.Status.PENDING).count(),
        "unanswered_questions": LessonQuestion.objects.filter(answered_at__isnull=True).count(),
    }
