"""Posting comments and questions, following a thread, the studio inbox, unsubscribing."""

from __future__ import annotations

from django.contrib import messages
from django.core import signing
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods, require_POST

from courses import access
from courses.articles.selectors import article_get
from courses.articles.views import article_detail_render
from courses.client_ip import client_ip
from courses.community.forms import CommentForm, QuestionForm, ReplyForm
from courses.community.selectors import (
    inbox_counts,
    inbox_pending_comments,
    inbox_unanswered_questions,
)
from courses.community.services.comments import MODERATION_ACTIONS, comment_post, comments_moderate
from courses.community.services.notifications import unsubscribe
from courses.community.services.questions import (
    question_ask,
    question_delete,
    question_follow,
    question_reply,
)
from courses.community.spam import SubmissionRefused
from courses.learning.views import lesson_detail_render
from courses.models import Article, Comment, Lesson, LessonQuestion


@require_POST
def comment_create(request: HttpRequest, slug: str) -> HttpResponse:
    try:
        article = article_get(slug=slug)
    except Article.DoesNotExist:
        raise Http404("No such article.") from None
    form = CommentForm(request.POST, user=request.user)
    error = ""
    if form.is_valid():
        data = form.cleaned_data
        try:
            comment = comment_post(
                article=article, user=request.user, name=data.get("name", ""),
                email=data.get("email", ""), body=data["body"], parent_id=data.get("parent"),
                ip=client_ip(request), **form.guard_values(),
            )  # fmt: skip
        except SubmissionRefused as refused:
            error = str(refused)
        else:
            if comment.status == Comment.Status.APPROVED:
                messages.success(request, "Thank you: your comment is published.")
            else:
                messages.info(
                    request,
                    "Thank you: your comment awaits moderation and will appear once approved.",
                )
            return redirect(f"{article.get_absolute_url()}#comments")
    # Refused: the article again, the form with what was typed, the reason at the form.
    return article_detail_render(request, article, form=form, status=400, form_error=error)


def _lesson(slug: str, number: int) -> Lesson:
    # An unpublished course's lessons are gone for everyone (their pages are 404): so is
    # asking under them.
    lesson = (
        Lesson.objects.select_related("course")
        .filter(course__slug=slug, number=number, course__is_published=True)
        .first()
    )
    if lesson is None:
        raise Http404("No such lesson.")
    return lesson


@require_http_methods(["GET", "POST"])
def question_create(request: HttpRequest, slug: str, number: int) -> HttpResponse:
    """GET: the lesson's questions (on its page); POST: ask. A paid lesson's: enrolled only."""
    lesson = _lesson(slug, number)
    if not access.can_see_questions(user=request.user, lesson=lesson):
        raise PermissionDenied("Only learners enrolled in the course see this lesson's questions.")
    if request.method == "GET":
        return redirect(f"{reverse('courses:lesson_detail', args=[slug, number])}#questions")
    form = QuestionForm(request.POST)
    error = ""
    if form.is_valid():
        data = form.cleaned_data
        try:
            question = question_ask(
                lesson=lesson, user=request.user, body=data["body"],
                at_s=data["at_s"] if data["at_current_time"] else None,
                ip=client_ip(request), **form.guard_values(),
            )  # fmt: skip
        except SubmissionRefused as refused:
            error = str(refused)
        else:
            messages.success(
                request, "Your question is posted; you'll get an e-mail when it is answered."
            )
            return redirect(f"{request.path.rsplit('questions/', 1)[0]}#question-{question.pk}")
    return lesson_detail_render(
        request, slug=slug, number=number, question_form=form, question_error=error, http_status=400
    )


def _question(request: HttpRequest, question_id: int) -> LessonQuestion:
    question = (
        LessonQuestion.objects.select_related("lesson__course").filter(pk=question_id).first()
    )
    if question is None or not (
        # Under an unpublished course only the instructor still reaches it (from the inbox).
        question.lesson.course.is_published or access.can_moderate(request.user)
    ):
        raise Http404("No such question.")
    if not access.can_see_questions(user=request.user, lesson=question.lesson):
        raise PermissionDenied("Only learners enrolled in the course see this lesson's questions.")
    return question


def _lesson_url(question: LessonQuestion) -> str:
    lesson = question.lesson
    return reverse("courses:lesson_detail", args=[lesson.course.slug, lesson.number])


@require_POST
def question_reply_create(request: HttpRequest, question_id: int) -> HttpResponse:
    question = _question(request, question_id)
    form = ReplyForm(request.POST)
    back = request.POST.get("from") == "inbox" and access.can_moderate(request.user)
    if form.is_valid():
        try:
            question_reply(
                question=question, user=request.user, body=form.cleaned_data["body"],
                ip=client_ip(request), **form.guard_values(),
            )  # fmt: skip
        except SubmissionRefused as refused:
            error = str(refused)
        else:
            request.session.pop(f"reply-draft-{question.pk}", None)
            messages.success(request, "Reply posted; those who follow the question get an e-mail.")
            if back:
                return redirect(f"{reverse('community:studio_inbox')}#question-{question.pk}")
            return redirect(f"{_lesson_url(question)}#question-{question.pk}")
    else:
        error = "Write a reply first."
    if back:  # the inbox shows the draft again beside the reason
        request.session[f"reply-draft-{question.pk}"] = request.POST.get("body", "")
        messages.error(request, error)
        return redirect(f"{reverse('community:studio_inbox')}#question-{question.pk}")
    lesson = question.lesson
    return lesson_detail_render(
        request, slug=lesson.course.slug, number=lesson.number, reply_for=question.pk,
        reply_form=form, reply_error=error, http_status=400,
    )  # fmt: skip


@require_POST
def question_follow_toggle(request: HttpRequest, question_id: int) -> HttpResponse:
    question = _question(request, question_id)
    if not request.user.is_authenticated:
        return redirect(f"{reverse('login')}?next={_lesson_url(question)}")
    follow = request.POST.get("follow") == "1"
    question_follow(question=question, user=request.user, follow=follow)
    messages.info(request, "You follow this question." if follow else "You no longer follow it.")
    return redirect(f"{_lesson_url(question)}#question-{question.pk}")


@require_http_methods(["GET", "POST"])
@access.page_requires(access.can_moderate, denied="Only the instructor can moderate.")
def studio_inbox(request: HttpRequest) -> HttpResponse:
    if request.method == "POST":
        action = request.POST.get("action", "")
        ids = [int(i) for i in request.POST.getlist("comment") if i.isdigit()]
        for one in ("approve", "spam"):  # the per-comment buttons
            if request.POST.get(f"{one}_one", "").isdigit():
                action, ids = one, [int(request.POST[f"{one}_one"])]
        if action == "delete_question":
            question = LessonQuestion.objects.filter(pk=request.POST.get("question")).first()
            if question:
                question_delete(question=question)
                messages.success(request, "Question deleted.")
        elif action in MODERATION_ACTIONS:
            changed = comments_moderate(comment_ids=ids, action=action)
            done = {"approve": "approved", "spam": "marked as spam", "delete": "deleted"}[action]
            messages.success(request, f"{changed} comment{'s' if changed != 1 else ''} {done}.")
        else:
            messages.error(request, "Choose what to do with the selected comments.")
        return redirect("community:studio_inbox")
    questions = list(inbox_unanswered_questions()[:200])
    for question in questions:
        question.draft = request.session.get(f"reply-draft-{question.pk}", "")
    context = {
        "counts": inbox_counts(),
        "comments": inbox_pending_comments()[:200],
        "questions": questions,
        "reply_form": ReplyForm(),
    }
    return render(request, "community/studio_inbox.html", context)


@csrf_exempt  # the signed token is the authority; mail clients POST without a session
@require_http_methods(["GET", "POST"])
def unsubscribe_view(request: HttpRequest, token: str) -> HttpResponse:
    """One click from the e-mail (GET), or the mail client's one-click POST (RFC 8058)."""
    try:
        email, kind = unsubscribe(token=token)
    except signing.BadSignature:
        return render(request, "community/unsubscribed.html", {"invalid": True}, status=400)
    return render(request, "community/unsubscribed.html", {"email": email, "kind": kind})
