"""The playback API, chapters and captions, and the player pages (Django client, real SeaweedFS).

Videos are real: a short generated clip is uploaded to SeaweedFS and processed with the
pipeline's ffmpeg, so the grants and presigned URLs are the ones learners get.
"""

import re
from pathlib import Path

import pytest
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.urls import reverse

from courses.access import ALLOWED, ENROLL_REQUIRED, LOGIN_REQUIRED, lesson_access
from courses.learning.playback.links import time_param
from courses.learning.playback.vtt import (
    chapters_vtt,
    vtt_timestamp,
)
from courses.learning.progress.heartbeat.services import Beat, progress_beat_record
from courses.learning.progress.selectors import lesson_for_progress_get
from courses.learning.progress.services import (
    lesson_mark_complete,
    technique_practice_log,
)
from courses.models import Course, Enrollment, Lesson, LessonCaption, Technique
from media_pipeline.models import Video, VideoVersion
from media_pipeline.processing.pipeline import version_process
from tests.factories import VideoFactory, VideoVersionFactory
from tests.media_pipeline.conftest import make_clip

SLUG = "craniosacral-therapy"
PREVIEW, PAID = 2, 5  # lesson numbers in the real curriculum (2 is a free preview)
CAPTIONS = "WEBVTT\n\n00:00:00.000 --> 00:00:02.000\nPlace your hands lightly.\n"


@pytest.fixture(scope="session")
def short_clip(tmp_path_factory) -> Path:
    return make_clip(
        tmp_path_factory.mktemp("playback-clips") / "lesson.mp4",
        size="320x240",
        rate="30",
        duration=3,
    )


@pytest.fixture
def real_video(transactional_db, upload_file, short_clip):
    """A Video whose current version went through the real pipeline into SeaweedFS."""

    def make() -> Video:
        version = upload_file(short_clip)
        assert version_process(version_id=version.pk) == VideoVersion.State.READY
        version.refresh_from_db()
        return version.video

    return make


def lesson_of(number: int) -> Lesson:
    return Lesson.objects.select_related("course").get(course__slug=SLUG, number=number)


def playback_path(lesson: Lesson) -> str:
    return f"/api/lessons/{lesson.pk}/playback"


def page_path(number: int, query: str = "") -> str:
    return reverse("courses:lesson_detail", args=[SLUG, number]) + query


def get_as(client, viewer, path: str):
    client.logout()
    if viewer is not None:
        client.force_login(viewer)
    return client.get(path)


def assert_no_permanent_media_url(text: str) -> None:
    """Every object-storage URL must be presigned; pages must not mention the bucket at all."""
    endpoint = settings.AWS_S3_PUBLIC_ENDPOINT_URL
    for url in re.findall(re.escape(endpoint) + r"[^\s\"'<>]*", text):
        assert "X-Amz-Signature=" in url, url


# --- access --------------------------------------------------------------------------


def test_lesson_access_rules(course, user, staff_user, make_user):
    from django.contrib.auth.models import AnonymousUser

    preview, paid = lesson_of(PREVIEW), lesson_of(PAID)
    enrolled = make_user("enrolled")
    Enrollment.objects.create(user=enrolled, course=course)
    anonymous = AnonymousUser()
    assert lesson_access(user=anonymous, lesson=preview) == ALLOWED
    assert lesson_access(user=anonymous, lesson=paid) == LOGIN_REQUIRED
    assert lesson_access(user=user, lesson=paid) == ENROLL_REQUIRED
    assert lesson_access(user=enrolled, lesson=paid) == ALLOWED
    assert lesson_access(user=staff_user, lesson=paid) == ALLOWED


def test_playback_access_matrix(client, course, user, staff_user, make_user, real_video):
    enrolled = make_user("enrolled")
    Enrollment.objects.create(user=enrolled, course=course)
    video = real_video()
    viewers = {"anonymous": None, "non-enrolled": user, "enrolled": enrolled, "staff": staff_user}
    expected = {
        PREVIEW: {"anonymous": 200, "non-enrolled": 200, "enrolled": 200, "staff": 200},
        PAID: {"anonymous": 401, "non-enrolled": 403, "enrolled": 200, "staff": 200},
    }
    for number, row in expected.items():
        # One processed video, moved between the preview and the paid lesson.
        Lesson.objects.filter(video=video).update(video=None)
        lesson = lesson_of(number)
        lesson.video = video
        lesson.save(update_fields=["video"])
        LessonCaption.objects.get_or_create(
            lesson=lesson, language="en", defaults={"label": "English", "vtt": CAPTIONS}
        )
        for name, status in row.items():
            response = get_as(client, viewers[name], playback_path(lesson))
            where = f"lesson {number}, {name}"
            assert response.status_code == status, (where, response.content)
            assert response["Cache-Control"] == "private, no-store", where
            body = response.json()
            if status == 200:
                assert body["lesson_id"] == lesson.pk
                assert body["master_url"].startswith("/media/hls/"), body
                assert body["chapters_url"] == f"/api/lessons/{lesson.pk}/chapters.vtt"
                assert body["thumbnails_url"].startswith("/media/hls/")
                assert "X-Amz-Signature=" in body["poster_url"]
                assert body["captions"] == [
                    {
                        "language": "en",
                        "label": "English",
                        "url": f"/api/lessons/{lesson.pk}/captions/en.vtt",
                    }
                ]
                assert body["duration_s"] == pytest.approx(3, abs=0.3)
                assert body["resume_at_s"] is None
                assert body["state"] == "ready" and body["expires_at"]
                assert_no_permanent_media_url(response.content.decode())
                # The grant really plays: the signed master answers in this session.
                master = client.get(body["master_url"])
                assert master.status_code == 200, where
                assert master.content.startswith(b"#EXTM3U")
            elif status == 401:
                assert body["login_url"] == f"/accounts/login/?next={page_path(number)}"
                assert "Log in" in body["detail"]
            else:
                assert body["detail"] == (
                    f"Enroll in {course.title} to watch this lesson: "
                    f"http://testserver/courses/{SLUG}/"
                )
                assert body["enroll_url"] == f"/courses/{SLUG}/#enroll-heading"


def test_lesson_without_a_playable_video_is_409(client, course, staff_user):
    client.force_login(staff_user)
    lesson = lesson_of(PAID)
    response = client.get(playback_path(lesson))
    assert response.status_code == 409
    assert response.json()["state"] == "no_video"
    assert response["Cache-Control"] == "private, no-store"

    video = VideoFactory(title="Being transcoded")
    VideoVersionFactory(video=video, state=VideoVersion.State.TRANSCODING, progress_percent=42)
    lesson.video = video
    lesson.save(update_fields=["video"])
    response = client.get(playback_path(lesson))
    assert response.status_code == 409
    body = response.json()
    assert body["state"] == "transcoding"
    assert body["detail"].startswith("This lesson's video is being prepared (transcoding 42%).")
    # The page says the same in words, with no player.
    response = client.get(page_path(PAID))
    html = response.content.decode()
    assert response.status_code == 200
    assert "being prepared (transcoding 42%)" in html and "data-player" not in html


def test_unknown_or_unpublished_lesson_is_404(client, course, staff_user):
    client.force_login(staff_user)
    assert client.get("/api/lessons/999999/playback").status_code == 404
    Course.objects.filter(pk=course.pk).update(is_published=False)
    assert client.get(playback_path(lesson_of(PREVIEW))).status_code == 404


# --- chapters and captions -----------------------------------------------------------


def test_chapters_vtt_follows_the_techniques_at_once(client, course, user, staff_user):
    lesson = lesson_of(PAID)
    first, second, *_ = list(lesson.techniques.order_by("number"))
    Technique.objects.filter(pk=first.pk).update(start_s=4, end_s=8)
    path = f"/api/lessons/{lesson.pk}/chapters.vtt"

    assert client.get(path).status_code == 401  # same rules as playback
    client.force_login(user)
    assert client.get(path).status_code == 403
    client.force_login(staff_user)
    response = client.get(path)
    assert response.status_code == 200
    assert response["Content-Type"] == "text/vtt; charset=utf-8"
    assert response["Cache-Control"] == "private, no-store"
    text = response.content.decode()
    assert text.startswith("WEBVTT\n")
    assert (
        f"technique-{first.number}\n00:00:04.000 --> 00:00:08.000\n"
        f"Technique {first.number}: {first.name}\n"
    ) in text
    assert second.name not in text  # no times yet: not a chapter

    # An edit in the admin shows in the very next request.
    change = reverse("admin:courses_technique_change", args=[second.pk])
    response = client.post(
        change,
        {
            "course": course.pk,
            "lesson": lesson.pk,
            "number": second.number,
            "name": second.name,
            "description": second.description,
            "cautions": second.cautions,
            "start_s": "65.5",
            "end_s": "3725.25",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    text = client.get(path).content.decode()
    assert f"00:01:05.500 --> 01:02:05.250\nTechnique {second.number}: {second.name}" in text


def test_chapter_text_is_escaped(course):
    lesson = lesson_of(PAID)
    technique = lesson.techniques.order_by("number").first()
    Technique.objects.filter(pk=technique.pk).update(
        name="Hold <gently> & --> wait", start_s=1, end_s=2
    )
    text = chapters_vtt(lesson_of(PAID))
    assert "Hold &lt;gently&gt; &amp; --&gt; wait" in text
    assert text.count("-->") == 1


def test_captions_endpoint(client, course, user, make_user):
    lesson = lesson_of(PAID)
    LessonCaption.objects.create(lesson=lesson, language="en", label="English", vtt=CAPTIONS)
    path = f"/api/lessons/{lesson.pk}/captions/en.vtt"
    assert client.get(path).status_code == 401
    client.force_login(user)
    assert client.get(path).status_code == 403
    Enrollment.objects.create(user=user, course=course)
    response = client.get(path)
    assert response.status_code == 200
    assert response["Content-Type"] == "text/vtt; charset=utf-8"
    assert response["Cache-Control"] == "private, no-store"
    assert response.content.decode() == CAPTIONS
    assert client.get(f"/api/lessons/{lesson.pk}/captions/de.vtt").status_code == 404


def test_captions_must_be_webvtt(course):
    lesson = lesson_of(PAID)
    caption = LessonCaption(lesson=lesson, language="en", label="English", vtt="1\n00:00:01,000")
    with pytest.raises(ValidationError) as error:
        caption.full_clean()
    assert "vtt" in error.value.message_dict
    caption.vtt, caption.language = CAPTIONS, "en/../x"
    with pytest.raises(ValidationError) as error:
        caption.full_clean()
    assert "language" in error.value.message_dict
    caption.language = "pt-BR"
    caption.full_clean()


def test_vtt_and_time_formats():
    assert vtt_timestamp(0) == "00:00:00.000"
    assert vtt_timestamp(3725.25) == "01:02:05.250"
    assert time_param(4.0) == "4" and time_param(4.5) == "4.5" and time_param(90.25) == "90.25"


# --- pages ---------------------------------------------------------------------------


def test_lesson_page_has_the_player_and_no_media_urls(
    client, course, user, real_video, seaweedfs, django_assert_max_num_queries
):
    lesson = lesson_of(PAID)
    lesson.video = real_video()
    lesson.save(update_fields=["video"])
    first = lesson.techniques.order_by("number").first()
    Technique.objects.filter(pk=first.pk).update(start_s=1, end_s=2.5)
    Enrollment.objects.create(user=user, course=course)
    client.force_login(user)
    # session, user, lesson (+ video version), techniques, enrollment, neighbours, the
    # learner's progress marks (this and the neighbouring lessons', one query) and the
    # lesson's questions (their replies in one more only when there are questions), the
    # learner's notes on the lesson and their player settings
    with django_assert_max_num_queries(10):
        response = client.get(page_path(PAID))
    assert response.status_code == 200
    html = response.content.decode()
    assert f'data-playback-url="/api/lessons/{lesson.pk}/playback"' in html
    assert 'data-start="1" data-end="2.5"' in html  # the chapter list
    assert 'href="?t=1"' in html
    assert reverse("courses:technique_index", args=[SLUG]) in html
    assert first.cautions in html
    # No media URL of any kind: the player asks the API for signed ones.
    assert seaweedfs["endpoint"] not in html and settings.AWS_S3_PUBLIC_ENDPOINT_URL not in html
    assert f"/{seaweedfs['bucket']}/" not in html
    assert "/media/hls/" not in html and ".m3u8" not in html
    version = lesson.video.current_version
    assert version.output_prefix not in html and version.poster_key not in html

    # Locked: title, summary and technique names with the enroll call to action, no player.
    client.logout()
    response = client.get(page_path(PAID))
    html = response.content.decode()
    assert response.status_code == 403
    assert "data-player" not in html and first.name in html
    assert "This lesson is part of the full course" in html and "Buy the course" in html
    assert first.cautions not in html


@pytest.mark.parametrize("logged_in", [False, True])
def test_page_query_counts_are_constant(
    client, course, user, ready_video, django_assert_max_num_queries, logged_in
):
    for number in (1, 2, 5, 13):
        Lesson.objects.filter(course=course, number=number).update(video=ready_video(600))
    if logged_in:
        Enrollment.objects.create(user=user, course=course)
        client.force_login(user)
    # Enrolled learners' pages read their progress: one query more for the lesson marks; the
    # technique index asks course_progress_get (lessons with progress, techniques, practice
    # counts: three, the same answer as the progress API); a preview also has to check the
    # enrollment to know whether the viewer records progress at all (it plays without one).
    # Lesson pages that can be watched list the lesson's questions (one query), and the
    # course page its related articles (one). A signed-in viewer's player reads their
    # player settings (one), and a learner's lesson page their notes on it (one).
    budgets = {
        page_path(PREVIEW): 10,
        page_path(PAID): 10,
        page_path(3): 9,  # no video: one more to say why
        reverse("courses:course_detail", args=[SLUG]): 9,
        reverse("courses:technique_index", args=[SLUG]): 9,
    }
    for path, budget in budgets.items():
        with django_assert_max_num_queries(budget):
            response = client.get(path)
        assert response.status_code in (200, 403), path
        html = response.content.decode()
        assert settings.AWS_S3_PUBLIC_ENDPOINT_URL not in html, path


def test_course_page_offers_previews_and_enrollment(client, course):
    html = client.get(reverse("courses:course_detail", args=[SLUG])).content.decode()
    preview = lesson_of(PREVIEW)
    assert html.count("data-preview-play") == 2  # lessons 1 and 2
    assert f'data-playback-url="/api/lessons/{preview.pk}/playback"' in html
    assert html.count("Get the full course to watch") == 11  # the course has a price
    assert f'href="/courses/{SLUG}/buy/"' in html
    assert reverse("courses:technique_index", args=[SLUG]) in html
    assert "<dialog" in html and "js/player.js" in html


def test_technique_index_lists_the_whole_curriculum(client, db, user):
    call_command("load_curriculum")
    course = Course.objects.get(slug=SLUG)
    timed = Technique.objects.get(course=course, number=7)
    Technique.objects.filter(pk=timed.pk).update(start_s=95, end_s=180)
    response = client.get(reverse("courses:technique_index", args=[SLUG]))
    assert response.status_code == 200
    html = response.content.decode()
    assert html.count("data-technique ") + html.count("data-technique\n") == 22
    assert "All 22 techniques" in html
    numbers = [
        int(n) for n in re.findall(r'<span class="technique-number">Technique (\d+)</span>', html)
    ]
    assert numbers == list(range(1, 23))  # in order
    lessons = [int(n) for n in re.findall(r'id="index-lesson-(\d+)"', html)]
    assert lessons == list(range(1, 14))
    lesson5 = html[html.index('id="index-lesson-5"') : html.index('id="index-lesson-6"')]
    assert timed.name in lesson5
    assert f'href="{page_path(timed.lesson.number)}?t=95"' in html
    untimed = Technique.objects.get(course=course, number=1)
    assert f'href="{page_path(untimed.lesson.number)}#technique-1"' in html
    # Details follow the lesson page's rule: previews for everyone, the rest when enrolled.
    assert untimed.cautions in html and timed.cautions not in html
    Enrollment.objects.create(user=user, course=course)
    client.force_login(user)
    assert (
        timed.cautions
        in client.get(reverse("courses:technique_index", args=[SLUG])).content.decode()
    )


# --- progress: resume point and marks ------------------------------------------------


def watch(user, lesson: Lesson, start: float, end: float, *, position: float | None = None):
    """One heartbeat that played [start, end] (at most 40 s: a first beat's limit)."""
    ranges = ((start, end),) if end > start else ()
    progress_beat_record(
        user=user,
        lesson=lesson_for_progress_get(lesson_id=lesson.pk, user=user),
        beat=Beat(position_s=end if position is None else position, ranges=ranges),
    )


def test_playback_resumes_at_the_last_position(client, course, user, make_user, ready_video):
    lesson = lesson_of(PAID)
    lesson.video = ready_video(600)
    lesson.save(update_fields=["video"])
    Enrollment.objects.create(user=user, course=course)
    client.force_login(user)
    assert client.get(playback_path(lesson)).json()["resume_at_s"] is None  # never played

    watch(user, lesson, 162.0, 192.5)
    assert client.get(playback_path(lesson)).json()["resume_at_s"] == 192.5
    # Within the last PROGRESS_RESUME_TAIL_S (10 s) of the video: they finished, start over.
    watch(user, lesson, 192.5, 192.5, position=591.0)
    assert client.get(playback_path(lesson)).json()["resume_at_s"] == 0

    # Someone else's progress is not yours (staff may watch, and have none here).
    staff = make_user("dave", is_staff=True)
    assert get_as(client, staff, playback_path(lesson)).json()["resume_at_s"] is None
    # A preview: the learner resumes, an anonymous viewer starts at the beginning.
    preview = lesson_of(PREVIEW)
    preview.video = ready_video(600)
    preview.save(update_fields=["video"])
    watch(user, preview, 10, 30)
    assert get_as(client, None, playback_path(preview)).json()["resume_at_s"] is None
    assert get_as(client, user, playback_path(preview)).json()["resume_at_s"] == 30


@pytest.fixture
def progress_course(course, user, ready_video):
    """Lesson 1 (a 20 s video) watched to the end, lesson 2 (100 s) 40 % watched."""
    for number, duration in ((1, 20), (2, 100), (5, 600)):
        Lesson.objects.filter(course=course, number=number).update(video=ready_video(duration))
    Enrollment.objects.create(user=user, course=course)
    watch(user, lesson_of(1), 0, 20)
    watch(user, lesson_of(2), 0, 40)
    return course


def syllabus_item(html: str, number: int) -> str:
    start = html.index(f'id="lesson-{number}"')
    end = html.find('class="syllabus__lesson"', start)
    return html[start:end]


def test_course_page_shows_an_enrolled_learners_marks(client, progress_course, user, make_user):
    url = reverse("courses:course_detail", args=[SLUG])
    client.force_login(user)
    html = client.get(url).content.decode()
    assert "✓</span> Completed" in syllabus_item(html, 1)
    assert 'style="--watched: 40%"' in syllabus_item(html, 2)
    assert "40 % watched" in syllabus_item(html, 2)
    assert "progress-mark" not in syllabus_item(html, 3)
    # Inline previews send heartbeats for this learner (and the player gets a CSRF token).
    assert f'data-progress-url="/api/lessons/{lesson_of(2).pk}/progress"' in html
    assert "data-csrf-token=" in html

    for viewer in (None, make_user("visitor")):  # anonymous, and logged in but not enrolled
        html = get_as(client, viewer, url).content.decode()
        assert "progress-mark" not in html and "% watched" not in html
        assert "data-progress-url" not in html  # no heartbeats (a signed-in viewer's player
        # still gets a CSRF token: it saves their player settings)


def lesson_header(html: str) -> str:
    start = html.index("<header>")  # the lesson's (the site header has a class)
    return html[start : html.index("</header>", start)]


def test_lesson_page_shows_marks_and_tracks_only_learners(client, progress_course, user, make_user):
    client.force_login(user)
    html = client.get(page_path(2)).content.decode()
    header = lesson_header(html)
    assert "data-lesson-progress" in header and "40 % watched" in header
    nav = html[html.index('class="lesson-nav"') :]
    assert "✓</span> Completed" in nav[: nav.index('rel="next"')]  # lesson 1, the previous
    assert f'data-progress-url="/api/lessons/{lesson_of(2).pk}/progress"' in html
    assert "data-mark-complete" not in html  # it has a video: it completes by watching

    # Anonymous and not-enrolled viewers may play this preview, but nothing is recorded.
    for viewer in (None, make_user("visitor")):
        html = get_as(client, viewer, page_path(2)).content.decode()
        assert "data-playback-url" in html
        assert "data-progress-url" not in html and "data-lesson-progress" not in html
        assert "% watched" not in html and "Add note" not in html


def test_a_lesson_without_video_offers_mark_as_complete(client, progress_course, user):
    lesson = lesson_of(7)  # a theory lesson
    client.force_login(user)
    html = client.get(page_path(7)).content.decode()
    assert f'data-url="/api/lessons/{lesson.pk}/complete"' in html
    assert 'data-completed="false"' in html and "Mark as complete" in html
    lesson_mark_complete(user=user, lesson=lesson)
    html = client.get(page_path(7)).content.decode()
    assert 'data-completed="true"' in html and "Undo: mark as not complete" in html
    header = lesson_header(html)
    assert "Completed" in header
    client.logout()
    assert "data-mark-complete" not in client.get(page_path(7)).content.decode()


def technique_item(html: str, number: int) -> str:
    marker = f'<span class="technique-number">Technique {number}</span>'
    start = html.rindex("<li", 0, html.index(marker))
    return html[start : html.index("</li>", start)]


def test_technique_index_shows_watched_and_practice(client, progress_course, user, make_user):
    url = reverse("courses:technique_index", args=[SLUG])
    # Technique 1 (lesson 2) at 5-35 s: inside the 40 s watched. Technique 2 has no times and
    # its lesson is not complete, so it is not watched.
    technique = Technique.objects.get(course=progress_course, number=1)
    Technique.objects.filter(pk=technique.pk).update(start_s=5, end_s=35)
    for _ in range(2):
        technique_practice_log(user=user, technique=technique)
    client.force_login(user)
    html = client.get(url).content.decode()
    first, second = technique_item(html, 1), technique_item(html, 2)
    assert "✓</span> Watched" in first and "Practised 2 times" in first
    assert "Watched" not in second and "Not practised yet" in second
    assert f'data-url="/api/techniques/{technique.pk}/practice"' in first
    assert html.count("data-practice-form") == 22
    assert "js/technique-index.js" in html and "data-records-progress" in html

    for viewer in (None, make_user("visitor")):
        html = get_as(client, viewer, url).content.decode()
        assert "data-practice-form" not in html and "Practised" not in html
        assert "Watched" not in html and "data-csrf-token" not in html


def test_minting_grants_is_rate_limited_per_viewer(client, course, ready_video, settings):
    from django.core.cache import cache

    settings.PLAYBACK_GRANTS_PER_HOUR = 3
    cache.delete("ratelimit:playback-grants:ip:203.0.113.77")
    lesson = lesson_of(PREVIEW)
    lesson.video = ready_video(600)
    lesson.save(update_fields=["video"])
    url = reverse("api:lesson_playback", kwargs={"lesson_id": lesson.pk})
    codes = [client.get(url, REMOTE_ADDR="203.0.113.77").status_code for _ in range(4)]
    assert codes == [200, 200, 200, 429]
    assert client.get(url, REMOTE_ADDR="203.0.113.78").status_code == 200  # another viewer
    cache.delete("ratelimit:playback-grants:ip:203.0.113.77")
    cache.delete("ratelimit:playback-grants:ip:203.0.113.78")
