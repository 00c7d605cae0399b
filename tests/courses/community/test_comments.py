"""Article comments: moderation and the trust rule, replies, spam guards, queries."""

import re
import time

import pytest
from django.contrib.auth.models import AnonymousUser
from django.urls import reverse

from courses.community.services.comments import comment_post, comments_moderate
from courses.community.spam import SubmissionRefused, form_started_token
from courses.models import Comment
from tests.courses.inert_html import XSS_PAYLOADS, html_problems
from tests.factories import InstructorFactory, UserFactory

pytestmark = pytest.mark.django_db


def post(client, article, **fields):
    return client.post(reverse("articles:comment_create", args=[article.slug]), fields)


def test_a_first_comment_waits_for_moderation_and_the_email_is_never_shown(
    client, article, form_fields
):
    response = post(
        client,
        article,
        name="Rosa",
        email="rosa@example.org",
        body="Thank you, this helped.",
        **form_fields,
    )
    assert response.status_code == 302
    page = client.get(response.url).content.decode()
    assert "awaits moderation" in page and "Thank you, this helped." not in page
    comments_moderate(comment_ids=[Comment.objects.get().pk], action="approve")
    page = client.get(article.get_absolute_url()).content.decode()
    assert "Thank you, this helped." in page and "rosa@example.org" not in page


def test_after_one_approved_comment_a_signed_in_user_is_trusted(article, guard):
    user = UserFactory()
    first = comment_post(
        article=article,
        user=user,
        name="",
        email="",
        body="One",
        parent_id=None,
        ip="1.1.1.1",
        **guard,
    )
    assert first.status == "pending"
    second = comment_post(
        article=article,
        user=user,
        name="",
        email="",
        body="Two",
        parent_id=None,
        ip="1.1.1.1",
        **guard,
    )
    assert second.status == "pending"  # nothing approved yet
    comments_moderate(comment_ids=[first.pk], action="approve")
    third = comment_post(
        article=article,
        user=user,
        name="",
        email="",
        body="Three",
        parent_id=None,
        ip="1.1.1.1",
        **guard,
    )
    assert third.status == "approved"


def test_anonymous_comments_always_wait(article, guard):
    for n in range(2):
        comment = comment_post(
            article=article,
            user=AnonymousUser(),
            name="A",
            email="a@e.org",
            body=f"c{n}",
            parent_id=None,
            ip="1.1.1.1",
            **guard,
        )
        comments_moderate(comment_ids=[comment.pk], action="approve") if n == 0 else None
    assert Comment.objects.order_by("-pk").first().status == "pending"


def test_the_instructors_replies_appear_at_once_marked_and_one_level_deep(client, article, guard):
    parent = comment_post(
        article=article,
        user=UserFactory(),
        name="",
        email="",
        body="Q?",
        parent_id=None,
        ip="1.1.1.1",
        **guard,
    )
    comments_moderate(comment_ids=[parent.pk], action="approve")
    instructor = InstructorFactory(first_name="Ada", last_name="Teacher")
    reply = comment_post(
        article=article,
        user=instructor,
        name="",
        email="",
        body="Answer",
        parent_id=parent.pk,
        ip="1.1.1.1",
        **guard,
    )
    assert reply.status == "approved" and reply.by_instructor and reply.parent == parent
    deeper = comment_post(
        article=article,
        user=instructor,
        name="",
        email="",
        body="More",
        parent_id=reply.pk,
        ip="1.1.1.1",
        **guard,
    )
    assert deeper.parent == parent  # a reply to a reply joins the thread
    html = client.get(article.get_absolute_url()).content.decode()
    assert "Instructor" in html and "comment--instructor" in html


@pytest.mark.parametrize("payload", XSS_PAYLOADS)
def test_comments_come_out_inert(article, guard, payload):
    comment = comment_post(
        article=article,
        user=InstructorFactory(),
        name="",
        email="",
        body=payload,
        parent_id=None,
        ip="1.1.1.1",
        **guard,
    )
    assert not html_problems(comment.body_html), comment.body_html
    assert "<h1" not in comment.body_html and "<img" not in comment.body_html


def test_the_honeypot_refuses_and_keeps_the_text(client, article, form_fields):
    fields = {**form_fields, "website": "http://spam.example"}
    response = post(client, article, name="Bot", email="b@e.org", body="Buy pills", **fields)
    assert response.status_code == 400
    html = response.content.decode()
    assert "meant to stay empty" in html and "Buy pills" in html
    assert not Comment.objects.exists()


def test_the_time_trap_refuses_a_form_posted_too_fast_and_keeps_the_text(client, article):
    fields = {"website": "", "form_started": form_started_token()}  # shown just now
    response = post(client, article, name="Quick", email="q@e.org", body="Fast words", **fields)
    assert response.status_code == 400
    html = response.content.decode()
    assert "quicker than anyone can type" in html and "Fast words" in html
    forged = {"website": "", "form_started": "123:forged"}
    assert (
        "expired"
        in post(client, article, name="Q", email="q@e.org", body="x", **forged).content.decode()
    )
    assert not Comment.objects.exists()


def test_too_many_links_are_refused(client, article, form_fields):
    body = " ".join(f"[l{n}](https://e{n}.org)" for n in range(5))
    response = post(client, article, name="L", email="l@e.org", body=body, **form_fields)
    assert response.status_code == 400 and "At most 3 links" in response.content.decode()


def test_posting_is_rate_limited_per_ip(client, article, form_fields, settings):
    settings.COMMUNITY_POSTS_PER_IP = 2
    for n in range(2):
        assert (
            post(
                client, article, name="R", email="r@e.org", body=f"n{n}", **form_fields
            ).status_code
            == 302
        )
    response = post(client, article, name="R", email="r@e.org", body="third", **form_fields)
    assert response.status_code == 400
    html = response.content.decode()
    assert "posted a lot" in html and "third" in html
    assert Comment.objects.count() == 2


def test_posting_is_rate_limited_per_account(article, guard, settings):
    settings.COMMUNITY_POSTS_PER_ACCOUNT = 1
    user = UserFactory()
    comment_post(
        article=article, user=user, name="", email="", body="a", parent_id=None, ip="1", **guard
    )
    with pytest.raises(SubmissionRefused, match="posted a lot"):
        comment_post(
            article=article, user=user, name="", email="", body="b", parent_id=None, ip="2", **guard
        )


def test_the_article_page_queries_stay_constant_with_many_comments(
    client, article, guard, django_assert_max_num_queries
):
    def add(count):
        for n in range(count):
            parent = Comment.objects.create(
                article=article,
                author_name=f"p{n}",
                author_email="e@e.org",
                body="b",
                body_html="<p>b</p>",
                status="approved",
            )
            Comment.objects.create(
                article=article,
                parent=parent,
                author_name="r",
                author_email="e@e.org",
                body="r",
                body_html="<p>r</p>",
                status="approved",
            )

    add(2)
    with django_assert_max_num_queries(8) as few:
        client.get(article.get_absolute_url())
    add(30)
    with django_assert_max_num_queries(len(few.captured_queries)):
        assert client.get(article.get_absolute_url()).content.decode().count('class="comment') >= 64


def test_the_comment_model_has_an_approve_action_in_the_admin(client, article, guard):
    comment = comment_post(
        article=article,
        user=UserFactory(),
        name="",
        email="",
        body="x",
        parent_id=None,
        ip="1",
        **guard,
    )
    client.force_login(InstructorFactory(is_superuser=True))
    page = client.get(reverse("admin:courses_comment_changelist")).content.decode()
    assert "Approve selected comments" in page
    client.post(
        reverse("admin:courses_comment_changelist"),
        {"action": "approve_selected", "_selected_action": [comment.pk]},
    )
    comment.refresh_from_db()
    assert comment.status == "approved"


def test_the_studio_inbox_moderates_in_bulk(client, article, guard):
    comments = [
        comment_post(
            article=article,
            user=UserFactory(),
            name="",
            email="",
            body=f"c{n}",
            parent_id=None,
            ip=f"10.0.0.{n}",
            **guard,
        )
        for n in range(3)
    ]
    client.force_login(InstructorFactory())
    page = client.get(reverse("community:studio_inbox")).content.decode()
    assert "3 comments awaiting moderation" in page
    client.post(
        reverse("community:studio_inbox"),
        {"action": "approve", "comment": [comments[0].pk, comments[1].pk]},
    )
    client.post(reverse("community:studio_inbox"), {"spam_one": comments[2].pk})
    assert sorted(Comment.objects.values_list("status", flat=True)) == [
        "approved",
        "approved",
        "spam",
    ]
    client.post(
        reverse("community:studio_inbox"), {"action": "delete", "comment": [comments[2].pk]}
    )
    assert Comment.objects.count() == 2


def test_only_moderators_open_the_inbox(client):
    client.force_login(UserFactory())
    assert client.get(reverse("community:studio_inbox")).status_code == 403


def test_a_refused_form_comes_back_ready_to_post_again(client, article, settings):
    settings.COMMUNITY_MIN_FORM_SECONDS = 0.5
    fields = {"website": "", "form_started": form_started_token()}
    refused = post(client, article, name="Ana", email="a@e.org", body="Kept words", **fields)
    html = refused.content.decode()
    token = re.search(r'name="form_started" value="([^"]+)"', html).group(1)
    assert token != fields["form_started"]  # a fresh clock for the second try
    time.sleep(0.6)
    again = post(
        client,
        article,
        name="Ana",
        email="a@e.org",
        body="Kept words",
        website="",
        form_started=token,
    )
    assert again.status_code == 302 and Comment.objects.get().body == "Kept words"
