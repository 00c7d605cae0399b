"""Moderating comments and questions in the admin (the studio inbox does the same)."""

from django.contrib import admin

from courses.community.services.comments import comments_moderate
from courses.models import Comment, LessonQuestion, QuestionReply


@admin.register(Comment)
class CommentAdmin(admin.ModelAdmin):
    list_display = ("author_name", "article", "status", "by_instructor", "created_at")
    list_filter = ("status", "by_instructor", "article")
    search_fields = ("author_name", "author_email", "body")
    readonly_fields = ("body_html", "ip", "created_at", "moderated_at", "digested_at")
    actions = ["approve_selected", "reject_as_spam"]
    date_hierarchy = "created_at"

    @admin.action(description="Approve selected comments")
    def approve_selected(self, request, queryset):
        changed = comments_moderate(
            comment_ids=list(queryset.values_list("pk", flat=True)), action="approve"
        )
        self.message_user(request, f"{changed} comments approved.")

    @admin.action(description="Reject selected comments as spam")
    def reject_as_spam(self, request, queryset):
        changed = comments_moderate(
            comment_ids=list(queryset.values_list("pk", flat=True)), action="spam"
        )
        self.message_user(request, f"{changed} comments marked as spam.")


class ReplyInline(admin.TabularInline):
    model = QuestionReply
    extra = 0
    readonly_fields = ("user", "body", "by_instructor", "created_at")
    can_delete = True


@admin.register(LessonQuestion)
class LessonQuestionAdmin(admin.ModelAdmin):
    list_display = ("lesson", "user", "created_at", "answered_at")
    list_filter = ("lesson__course", "answered_at")
    search_fields = ("body", "user__username")
    readonly_fields = ("body_html", "created_at", "digested_at")
    inlines = [ReplyInline]
