"""The lesson player in a real headless Chromium, playing a real processed video from SeaweedFS.

One 16 s clip (640x360, test pattern + tone) goes through the pipeline once per module; each
test re-inserts the resulting database rows (the stored files stay in SeaweedFS), since the
transactional test database is emptied after every test.

The last section is learner progress: the heartbeats (static/js/progress-beacon.js) against
the real progress API, the resume point, and who sends no beats at all.
"""

import re
import time
from pathlib import Path

import pytest
from django.core import serializers
from django.db import transaction
from playwright.sync_api import expect

from courses.models import Course, Enrollment, Lesson, LessonProgress, Technique
from media_pipeline.formatting import duration_label, size_label
from media_pipeline.models import Rendition, Video, VideoVersion
from media_pipeline.processing.pipeline import version_process
from tests.browser_pages import new_page
from tests.media_pipeline.conftest import make_clip

pytestmark = pytest.mark.browser

PLAY_TIMEOUT_MS = 30_000


@pytest.fixture(scope="session")
def lesson_clip(tmp_path_factory) -> Path:
    return make_clip(
        tmp_path_factory.mktemp("player-clips") / "lesson.mp4",
        size="640x360",
        rate="30",
        duration=16,
    )


@pytest.fixture(scope="module")
def processed_rows() -> dict:
    return {}


@pytest.fixture
def lesson_video(transactional_db, seaweedfs, upload_file, lesson_clip, processed_rows):
    """A READY Video of the clip: processed for real the first time, then restored from rows."""
    if "json" not in processed_rows:
        version = upload_file(lesson_clip)
        assert version_process(version_id=version.pk) == VideoVersion.State.READY
        version.refresh_from_db()
        objects = [version.video, version, *Rendition.objects.filter(version=version)]
        processed_rows["json"] = serializers.serialize("json", objects)
        processed_rows["video_id"] = version.video_id
        return version.video
    with transaction.atomic():  # Video <-> current_version refer to each other
        for obj in serializers.deserialize("json", processed_rows["json"]):
            obj.save()
    return Video.objects.get(pk=processed_rows["video_id"])


@pytest.fixture
def course(transactional_db) -> Course:
    course = Course.objects.create(slug="cranial-basics", title="Cranial basics")
    preview = Lesson.objects.create(
        course=course, number=1, title="Listening hands", is_preview=True
    )
    paid = Lesson.objects.create(
        course=course, number=2, title="The still point", summary="Finding the still point."
    )
    Technique.objects.create(
        course=course, lesson=paid, number=1, name="Cranial vault hold", start_s=4, end_s=8,
        description="Rest your fingertips on the parietals.", cautions="Never press.",
    )  # fmt: skip
    Technique.objects.create(
        course=course, lesson=paid, number=2, name="Sacral rock", start_s=10, end_s=14
    )
    course.preview, course.paid = preview, paid
    return course


@pytest.fixture
def learner(django_user_model, course):
    user = django_user_model.objects.create_user("learner", password="x")
    Enrollment.objects.create(user=user, course=course)
    return user


def open_lesson(page, live_server, lesson: Lesson, query: str = "") -> None:
    page.goto(f"{live_server.url}/courses/{lesson.course.slug}/lessons/{lesson.number}/{query}")
    page.wait_for_selector("[data-player][data-player-ready]", timeout=PLAY_TIMEOUT_MS)


def player_state(page) -> dict:
    return page.evaluate(
        """() => ({
            t: window.coursePlayer.video.currentTime,
            paused: window.coursePlayer.video.paused,
            loopCount: window.coursePlayer.state.loopCount,
            loop: window.coursePlayer.state.loop,
            errors: window.coursePlayer.state.errors,
        })"""
    )


def wait_for_time(page, seconds: float) -> None:
    page.wait_for_function(
        f"() => window.coursePlayer.video.currentTime > {seconds}", timeout=PLAY_TIMEOUT_MS
    )


def attach(video: Video, lesson: Lesson) -> None:
    lesson.video = video
    lesson.save(update_fields=["video"])


def test_enrolled_learner_plays_the_lesson(browser, live_server, course, learner, lesson_video):
    attach(lesson_video, course.paid)
    page = new_page(browser, live_server, learner)
    open_lesson(page, live_server, course.paid)
    assert page.locator(".chapter").count() == 2
    page.click('.player__controls [data-action="play"]')
    wait_for_time(page, 5)
    state = player_state(page)
    assert state["errors"] == [] and not state["paused"]
    # hls.js, not Chromium's native HLS, and the quality menu is Auto + each level.
    levels = page.evaluate("() => window.coursePlayer.hls.levels.length")
    assert levels >= 1
    assert page.locator('[data-control="quality"] option').count() == 1 + levels
    assert page.errors == []


def test_clicking_a_technique_jumps_to_its_start(
    browser, live_server, course, learner, lesson_video
):
    attach(lesson_video, course.paid)
    page = new_page(browser, live_server, learner)
    open_lesson(page, live_server, course.paid)
    page.locator(".chapter", has_text="Sacral rock").locator("[data-chapter-seek]").click()
    page.wait_for_function(
        "() => { const t = window.coursePlayer.video.currentTime; return t >= 10 && t < 12; }",
        timeout=PLAY_TIMEOUT_MS,
    )
    active = page.locator(".chapter.is-active")
    active.wait_for(timeout=5_000)
    assert "Sacral rock" in active.inner_text()
    assert player_state(page)["errors"] == [] and page.errors == []


def test_looping_a_technique_wraps_and_counts(browser, live_server, course, learner, lesson_video):
    attach(lesson_video, course.paid)
    page = new_page(browser, live_server, learner)
    open_lesson(page, live_server, course.paid)
    page.select_option('[data-control="speed"]', "2")  # practise at double speed
    page.locator(".chapter", has_text="Cranial vault hold").locator("[data-chapter-loop]").click()
    page.evaluate(
        """() => {
            const video = window.coursePlayer.video;
            window.maxLoopTime = 0;
            video.addEventListener('timeupdate', () => {
                window.maxLoopTime = Math.max(window.maxLoopTime, video.currentTime);
            });
        }"""
    )
    page.wait_for_function(
        "() => window.coursePlayer.state.loopCount >= 2", timeout=PLAY_TIMEOUT_MS
    )
    state = player_state(page)
    assert state["loop"] == {"a": 4, "b": 8}
    assert 4 <= state["t"] < 8.1
    assert page.evaluate("() => window.maxLoopTime") < 8.3  # the wrap is tight
    assert page.evaluate("() => window.coursePlayer.video.playbackRate") == 2
    assert int(page.locator("[data-loop-count]").inner_text()) >= 2
    pressed = page.locator(".chapter", has_text="Cranial vault hold").locator("[data-chapter-loop]")
    assert pressed.get_attribute("aria-pressed") == "true"
    assert state["errors"] == [] and page.errors == []


def test_keyboard_shortcuts(browser, live_server, course, learner, lesson_video):
    attach(lesson_video, course.paid)
    page = new_page(browser, live_server, learner)
    open_lesson(page, live_server, course.paid)
    page.focus("[data-player]")  # "in" the player, as after a click on the picture
    video = "window.coursePlayer.video"
    page.keyboard.press("k")
    wait_for_time(page, 1)
    page.keyboard.press(" ")
    page.wait_for_function(f"() => {video}.paused", timeout=5_000)
    t = player_state(page)["t"]
    page.keyboard.press("ArrowRight")
    assert abs(player_state(page)["t"] - (t + 5)) < 0.01
    page.keyboard.press("ArrowLeft")
    assert abs(player_state(page)["t"] - t) < 0.01
    page.keyboard.press(".")  # one frame on, only while paused
    assert abs(player_state(page)["t"] - (t + 1 / 30)) < 0.01
    page.keyboard.press(",")
    assert abs(player_state(page)["t"] - t) < 0.01
    page.keyboard.press("ArrowDown")
    assert abs(page.evaluate(f"() => {video}.volume") - 0.9) < 1e-6
    page.keyboard.press("ArrowUp")
    assert abs(page.evaluate(f"() => {video}.volume") - 1) < 1e-6
    mute = page.locator('[data-action="mute"]')
    page.keyboard.press("m")
    assert page.evaluate(f"() => {video}.muted")
    # The button follows the video's volumechange event, a task later.
    expect(mute).to_have_attribute("aria-pressed", "true")
    expect(mute).to_have_text("Unmute")
    page.keyboard.press("m")
    assert not page.evaluate(f"() => {video}.muted")
    expect(mute).to_have_attribute("aria-pressed", "false")
    expect(mute).to_have_text("Mute")
    # The clip has no captions: C does nothing and the CC button stays hidden.
    page.keyboard.press("c")
    assert page.locator('[data-action="captions"]').is_hidden()
    assert page.evaluate(f"() => [...{video}.textTracks].every((t) => t.mode !== 'showing')")
    # Keys typed into a form field are the field's, not the player's.
    assert page.evaluate(f"() => {video}.paused")
    page.focus('[data-control="speed"]')
    page.keyboard.press("k")
    assert page.evaluate(f"() => {video}.paused")
    assert player_state(page)["errors"] == [] and page.errors == []


def test_ab_loop_and_seek_preview(browser, live_server, course, learner, lesson_video):
    attach(lesson_video, course.paid)
    page = new_page(browser, live_server, learner)
    open_lesson(page, live_server, course.paid)
    loop_range = page.locator("[data-loop-range]")
    page.click('[data-action="set-b"]')  # B before A: a hint, no loop
    assert loop_range.inner_text() == "Set B after A: play on past point A first."
    page.evaluate("() => window.coursePlayer.player.seek(2)")
    page.click('[data-action="set-a"]')
    assert loop_range.inner_text() == "A 0:02"
    page.evaluate("() => window.coursePlayer.player.seek(3.6)")
    page.click('[data-action="set-b"]')
    assert loop_range.inner_text() == "0:02–0:04"  # 3.6 s is written 0:04
    loop_ab = page.locator('[data-action="loop-ab"]')
    loop_ab.click()
    assert loop_ab.get_attribute("aria-pressed") == "true"
    assert loop_range.inner_text() == "0:02–0:04 looping"
    page.wait_for_function(
        "() => window.coursePlayer.state.loopCount >= 1", timeout=PLAY_TIMEOUT_MS
    )
    assert 2 <= player_state(page)["t"] < 3.7
    assert int(page.locator("[data-loop-count]").inner_text()) >= 1
    page.click('[data-action="loop-clear"]')
    assert loop_range.inner_text() == "No loop" and loop_ab.get_attribute("aria-pressed") == "false"
    assert player_state(page)["loop"] == {"a": None, "b": None}

    # Hovering the seek bar previews the time there, with the technique playing at it.
    area = page.locator("[data-seek-area]").bounding_box()
    page.mouse.move(area["x"] + area["width"] * 6 / 16, area["y"] + area["height"] / 2)
    preview = page.locator("[data-preview]")
    assert preview.is_visible()
    assert (
        page.locator("[data-preview-label]").inner_text()
        == "0:06 · Technique 1: Cranial vault hold"
    )
    page.mouse.move(area["x"] + area["width"] / 2, area["y"] + area["height"] + 60)
    assert preview.is_hidden()
    assert player_state(page)["errors"] == [] and page.errors == []


def test_anonymous_visitor_plays_a_preview(browser, live_server, course, lesson_video):
    attach(lesson_video, course.preview)
    page = new_page(browser, live_server)
    open_lesson(page, live_server, course.preview, "?t=1")
    page.click('.player__controls [data-action="play"]')
    wait_for_time(page, 2)
    assert player_state(page)["errors"] == [] and page.errors == []


def test_preview_plays_inline_on_the_course_page(browser, live_server, course, lesson_video):
    attach(lesson_video, course.preview)
    page = new_page(browser, live_server)
    page.goto(f"{live_server.url}/courses/{course.slug}/")
    page.click("[data-preview-play]")
    page.wait_for_selector("dialog[open] [data-player-ready]", timeout=PLAY_TIMEOUT_MS)
    wait_for_time(page, 2)  # autoplays after the click
    assert player_state(page)["errors"] == [] and page.errors == []
    page.click("[data-preview-close]")
    # Paused by the click itself, not a task later when the dialog's "close" event fires.
    assert page.evaluate("() => window.coursePlayer.video.paused")
    assert not page.locator("dialog[open]").count()
    # Escape closes it too (the browser's own way out of a modal dialog).
    page.click("[data-preview-play]")
    page.wait_for_selector("dialog[open] [data-player-ready]", timeout=PLAY_TIMEOUT_MS)
    page.wait_for_function("() => !window.coursePlayer.video.paused", timeout=PLAY_TIMEOUT_MS)
    page.keyboard.press("Escape")
    page.wait_for_function("() => window.coursePlayer.video.paused", timeout=5000)
    assert not page.locator("dialog[open]").count()


def test_non_enrolled_learner_is_told_how_to_enroll(
    browser, live_server, course, django_user_model
):
    user = django_user_model.objects.create_user("visitor", password="x")
    page = new_page(browser, live_server, user)
    response = page.goto(f"{live_server.url}/courses/{course.slug}/lessons/2/")
    assert response.status == 403
    slot = page.locator("#player")
    assert "Enroll to watch this lesson." in slot.inner_text()
    assert page.locator("#player a", has_text="Enroll in the course").is_visible()
    assert page.locator("video").count() == 0
    body = page.evaluate(
        f"() => fetch('/api/lessons/{course.paid.pk}/playback').then(r => r.json())"
    )
    assert body["detail"].startswith("Enroll in Cranial basics to watch this lesson: http")
    assert page.errors == []


def test_no_horizontal_scroll_on_a_phone(browser, live_server, course, learner, lesson_video):
    attach(lesson_video, course.paid)
    page = new_page(
        browser, live_server, learner, viewport={"width": 375, "height": 740}, is_mobile=True
    )
    open_lesson(page, live_server, course.paid)
    page.click('.player__controls [data-action="play"]')
    wait_for_time(page, 1)
    assert page.evaluate("() => document.documentElement.scrollWidth") <= 375
    # The chapters sit below the video on a phone.
    video_box = page.locator(".player").bounding_box()
    chapters_box = page.locator(".chapters").bounding_box()
    assert chapters_box["y"] >= video_box["y"] + video_box["height"] - 1
    for path in (f"/courses/{course.slug}/", f"/courses/{course.slug}/techniques/"):
        page.goto(live_server.url + path)
        assert page.evaluate("() => document.documentElement.scrollWidth") <= 375, path
    assert page.errors == []


def test_expired_urls_are_renewed_without_interrupting(
    browser, live_server, course, learner, lesson_video, settings
):
    # Grants last 3 s (live_server runs in this process, so the setting applies).
    settings.MEDIA_SIGNED_URL_TTL_S = 3
    attach(lesson_video, course.paid)
    page = new_page(browser, live_server, learner)
    open_lesson(page, live_server, course.paid)
    page.evaluate(
        """() => {
            const {video, hls} = window.coursePlayer;
            // Buffer only 2 s ahead, so later segments are fetched after their URLs expired.
            hls.config.maxBufferLength = hls.config.maxMaxBufferLength = 2;
            window.timeJumps = [];
            let last = null;
            video.addEventListener('timeupdate', () => {
                const t = video.currentTime;
                if (last !== null && Math.abs(t - last) > 1.5) window.timeJumps.push([last, t]);
                last = t;
            });
        }"""
    )
    page.wait_for_timeout(3500)  # a pause longer than the grant: play must renew it first
    page.click('.player__controls [data-action="play"]')
    wait_for_time(page, 11)
    state = page.evaluate(
        "() => ({refreshes: window.coursePlayer.state.refreshes,"
        " errors: window.coursePlayer.state.errors, paused: window.coursePlayer.video.paused,"
        " jumps: window.timeJumps})"
    )
    # Once on play (expired), and again when segments answered 403 mid-playback.
    assert state["refreshes"] >= 2, state
    assert state["errors"] == [] and not state["paused"] and state["jumps"] == [], state
    assert page.errors == []


# --- learner progress ----------------------------------------------------------------------

PLAY_BUTTON = '.player__controls [data-action="play"]'


def record_beats(page) -> list:
    """Every heartbeat request the page's context sends (fetch and sendBeacon), in order."""
    beats = []

    def on_request(request):
        if request.method == "POST" and request.url.endswith("/progress"):
            beats.append(request)

    page.context.on("request", on_request)
    return beats


def beat_body(request) -> dict:
    return request.post_data_json


def claimed_s(beats) -> float:
    return sum(end - start for beat in beats for start, end in beat_body(beat)["ranges"])


def my_progress(page, course: Course) -> dict:
    return page.evaluate(
        f"() => fetch('/api/me/courses/{course.slug}/progress').then((r) => r.json())"
    )


def lesson_progress(body: dict, lesson: Lesson) -> dict:
    return next(row for row in body["lessons"] if row["lesson_id"] == lesson.pk)


def test_played_ranges_accumulator(browser, live_server):
    """The pure part of progress-beacon.js: only what was played becomes a range."""
    page = new_page(browser, live_server)
    page.goto(live_server.url + "/")
    result = page.evaluate(
        """async () => {
            const { PlayedRanges } = await import('/static/js/progress-beacon.js');
            const r = new PlayedRanges();
            const out = {};
            // Playing at 1x, a sample every 250 ms.
            [0, 0.25, 0.5, 0.75, 1].forEach((t, i) => r.sample(t, i * 250, 1));
            // A seek forward 250 ms later is not played time: a new range starts at 10.
            r.sample(10, 1250, 1);
            r.sample(10.25, 1500, 1);
            out.seek = r.take();
            // take() empties the ranges; measuring goes on from the last sample.
            r.sample(10.5, 1750, 1);
            out.afterTake = r.take();
            // 2x: half a second per 250 ms is playing; 3 s per 250 ms is scrubbing.
            r.sample(11, 2000, 2);
            r.sample(14, 2250, 2);
            r.sample(14.5, 2500, 2);
            out.fast = r.take();
            // Paused for a minute: the next sample starts afresh, the gap is not claimed.
            r.stop();
            r.sample(14.5, 62500, 1);
            r.sample(14.75, 62750, 1);
            // A loop wrap (backwards) starts a new range too.
            r.sample(4, 63000, 1);
            r.sample(4.25, 63250, 1);
            out.pauseAndLoop = r.take();
            return out;
        }"""
    )
    assert result == {
        "seek": [[0, 1], [10, 10.25]],
        "afterTake": [[10.25, 10.5]],
        "fast": [[10.5, 11], [14, 14.5]],
        "pauseAndLoop": [[14.5, 14.75], [4, 4.25]],
    }
    assert page.errors == []


def test_watching_is_recorded_shown_and_resumed(
    browser, live_server, course, learner, lesson_video, settings
):
    # The clip is 16 s: with the default 10 s tail, a position of 8 s would "resume" at 0.
    settings.PROGRESS_RESUME_TAIL_S = 2
    attach(lesson_video, course.paid)
    page = new_page(browser, live_server, learner)
    beats = record_beats(page)
    open_lesson(page, live_server, course.paid)
    assert page.locator("[data-resumed]").is_hidden()  # never watched: starts at 0
    page.click(PLAY_BUTTON)
    wait_for_time(page, 8)
    assert beats == []  # the first timed beat is due after 10 s
    with page.expect_response(lambda r: r.url.endswith("/progress")) as answer:
        page.click(PLAY_BUTTON)  # pause: a beat
    paused_at = player_state(page)["t"]
    assert answer.value.status == 200
    body = beat_body(answer.value.request)
    assert abs(body["position_s"] - paused_at) < 0.3
    assert 7 <= claimed_s(beats) <= paused_at + 0.3  # what was played, from about 0
    assert body["playback_rate"] == 1 and re.fullmatch(r"[0-9a-z]+-1", body["beat_id"])
    # The answer updates the lesson's mark on the page.
    page.wait_for_function(
        "() => /% watched/.test(document.querySelector('[data-lesson-progress]').textContent)"
    )

    page.goto(f"{live_server.url}/dashboard/")
    continue_box = page.locator(".continue").inner_text()
    assert "Lesson 2: The still point" in continue_box
    mark = page.locator('.lesson-mark[href*="/lessons/2/"]').get_attribute("title")
    watched = int(re.search(r"\((\d+) % watched\)", mark).group(1))
    assert 40 <= watched <= 60, mark  # ~8 of 16 s
    progress = lesson_progress(my_progress(page, course), course.paid)
    assert progress["watched_percent"] > 0 and not progress["completed"]
    assert abs(progress["position_s"] - paused_at) < 0.3, (progress, paused_at)

    # Back on the lesson page (no ?t=): the player starts where the learner paused.
    open_lesson(page, live_server, course.paid)
    page.wait_for_function(
        "() => window.coursePlayer.video.readyState >= 1"
        " && window.coursePlayer.video.currentTime > 0",
        timeout=PLAY_TIMEOUT_MS,
    )
    assert abs(player_state(page)["t"] - paused_at) <= 1.5
    resumed = page.locator("[data-resumed]")
    resume_at = page.evaluate("() => window.coursePlayer.player.grant.resume_at_s")
    assert abs(resume_at - paused_at) <= 1.5
    # Written as everywhere else: whole seconds, halves up (8.6 s is 0:09).
    assert (
        resumed.is_visible() and f"Resumed at {duration_label(resume_at)}" in resumed.inner_text()
    )
    page.click('[data-action="start-over"]')
    page.wait_for_function(
        "() => window.coursePlayer.video.currentTime < 2 && !window.coursePlayer.video.paused",
        timeout=PLAY_TIMEOUT_MS,
    )
    assert resumed.is_hidden()
    # A ?t= link wins over the resume point (and says nothing about resuming).
    open_lesson(page, live_server, course.paid, "?t=3")
    page.wait_for_function(
        "() => window.coursePlayer.video.currentTime >= 3", timeout=PLAY_TIMEOUT_MS
    )
    assert player_state(page)["t"] < 4 and page.locator("[data-resumed]").is_hidden()
    assert all(beat.response().status == 200 for beat in beats)
    assert player_state(page)["errors"] == [] and page.errors == []


def test_scrubbing_to_the_end_does_not_complete(
    browser, live_server, course, learner, lesson_video
):
    attach(lesson_video, course.paid)
    page = new_page(browser, live_server, learner)
    beats = record_beats(page)
    open_lesson(page, live_server, course.paid)
    page.click(PLAY_BUTTON)
    wait_for_time(page, 2)
    # Drag the seek bar towards the end, as a learner would, while the video plays.
    for value in (4, 7, 10, 12, 14):
        page.evaluate(
            """(value) => {
                const bar = document.querySelector('[data-control="seek"]');
                bar.value = String(value);
                bar.dispatchEvent(new Event('input', { bubbles: true }));
            }""",
            value,
        )
        page.wait_for_timeout(120)
    assert beats == []  # no beats while scrubbing; one once it settles
    page.evaluate(
        "() => document.querySelector('[data-control=\"seek\"]')"
        ".dispatchEvent(new Event('change', { bubbles: true }))"
    )
    page.wait_for_function("() => window.coursePlayer.video.ended", timeout=PLAY_TIMEOUT_MS)
    # The end sends a beat with the position at the end (pause and ended coalesce).
    deadline = time.monotonic() + 10
    while not any(beat_body(b)["position_s"] >= 15.5 for b in beats):
        assert time.monotonic() < deadline, [beat_body(b) for b in beats]
        page.wait_for_timeout(100)
    assert all(beat.response().status == 200 for beat in beats), [b.response() for b in beats]
    # ~2 s from the start and ~2 s at the end were played; the 12 s in between were not.
    assert claimed_s(beats) < 6, [beat_body(b)["ranges"] for b in beats]
    progress = lesson_progress(my_progress(page, course), course.paid)
    assert not progress["completed"] and progress["watched_percent"] < 40, progress
    assert progress["position_s"] == 0  # at the very end: next time starts over
    assert page.errors == []


def test_timed_beats_and_a_beacon_on_leaving(browser, live_server, course, learner, lesson_video):
    attach(lesson_video, course.paid)
    page = new_page(browser, live_server, learner)
    beats = record_beats(page)
    open_lesson(page, live_server, course.paid)
    with page.expect_response(lambda r: r.url.endswith("/progress"), timeout=15_000) as answer:
        page.click(PLAY_BUTTON)  # the first timed beat comes ~10 s into playing
    assert answer.value.status == 200 and len(beats) == 1
    timed = beat_body(beats[0])
    assert 9 <= timed["position_s"] <= 11.5 and 8.5 <= claimed_s(beats) <= timed["position_s"]
    wait_for_time(page, timed["position_s"] + 1)
    left_at = player_state(page)["t"]
    page.goto(f"{live_server.url}/dashboard/")  # no pause: only pagehide/hidden tell us
    deadline = time.monotonic() + 10
    while True:
        row = LessonProgress.objects.filter(user=learner, lesson=course.paid).first()
        # "pagehide" and "visibilitychange" may each send a beacon: wait for both to land.
        if row.position_s >= left_at - 0.1 and row.watched_s >= left_at - 1:
            break
        assert time.monotonic() < deadline, "the beacon never arrived"
        time.sleep(0.2)
    # The beacon (text/plain, CSRF token in the body) carried the seconds since the timed beat.
    assert row.watched_s >= left_at - 1, (row.watched_s, left_at)
    assert page.errors == []


def test_anonymous_previews_send_no_beats(
    browser, live_server, course, learner, lesson_video, django_user_model
):
    attach(lesson_video, course.preview)
    visitor = django_user_model.objects.create_user("visitor", password="x")
    for viewer in (None, visitor):  # anonymous, and logged in without an enrollment
        page = new_page(browser, live_server, viewer)
        beats = record_beats(page)
        open_lesson(page, live_server, course.preview)
        assert page.evaluate("() => window.coursePlayer.progress") is None
        page.click(PLAY_BUTTON)
        wait_for_time(page, 2)
        page.click(PLAY_BUTTON)
        page.goto(f"{live_server.url}/courses/{course.slug}/")  # pagehide on the lesson page
        page.click("[data-preview-play]")
        wait_for_time(page, 2)
        page.click("[data-preview-close]")
        page.wait_for_timeout(500)
        page.goto(f"{live_server.url}/")
        assert beats == [], [b.url for b in beats]
        assert page.errors == []
        page.context.close()

    # An enrolled learner's inline preview does count (and proves the counting above works).
    page = new_page(browser, live_server, learner)
    beats = record_beats(page)
    page.goto(f"{live_server.url}/courses/{course.slug}/")
    page.click("[data-preview-play]")
    wait_for_time(page, 2)
    with page.expect_response(lambda r: r.url.endswith("/progress")) as answer:
        page.click("[data-preview-close]")  # closing pauses: a beat
    assert answer.value.status == 200
    assert answer.value.url.endswith(f"/api/lessons/{course.preview.pk}/progress")
    assert page.errors == []


# --- the one duration formatter ----------------------------------------------------------

DURATIONS = [0, 0.4, 0.5, 59.4, 59.6, 61, 599.5, 3599.4, 3599.5, 3600, 3725.4, 86399.6]


def test_js_duration_label_matches_python(browser, live_server):
    """static/js/format.js writes durations exactly as media_pipeline.formatting does."""
    page = new_page(browser, live_server)
    page.goto(live_server.url + "/")
    labels = page.evaluate(
        """async (values) => {
            const { durationLabel, sizeLabel } = await import('/static/js/format.js');
            return {
                values: values.map((v) => durationLabel(v)),
                sizes: [0, 999, 1000, 1234567, 312400000, 20e9, 5e15].map((v) => sizeLabel(v)),
                missing: [durationLabel(null), durationLabel(NaN), durationLabel(undefined)],
                placeholder: durationLabel(null, '--:--'),
            };
        }""",
        DURATIONS,
    )
    expected = [duration_label(v) for v in DURATIONS]
    assert labels["values"] == expected
    sizes = [0, 999, 1000, 1234567, 312400000, 20 * 1000**3, 5 * 1000**5]
    assert labels["sizes"] == [size_label(v) for v in sizes]
    assert labels["sizes"][3] == "1.2 MB"
    assert expected[4] == "1:00" and expected[8] == "1:00:00"  # halves and .6 round up
    assert labels["missing"] == ["", "", ""]
    assert duration_label(None) == duration_label(float("nan")) == ""
    assert labels["placeholder"] == duration_label(None, missing="--:--") == "--:--"
    assert page.errors == []


def test_beats_queued_offline_go_as_one_and_deferred_ranges_are_sent_again(browser, live_server):
    """progress-beacon.js after an outage (issue 13, item 17): the beats queued while offline
    are merged into one on resend, and ranges the server defers come back in the next beat."""
    page = new_page(browser, live_server)
    page.goto(live_server.url + "/")
    result = page.evaluate(
        """async () => {
            const { ProgressBeacon } = await import('/static/js/player/progress-beacon.js');
            const video = new EventTarget();
            Object.assign(video, { currentTime: 0, paused: false, seeking: false,
                                   playbackRate: 1 });
            const sent = [];
            let online = false;
            const answers = [];
            window.fetch = async (url, init) => {
                const body = JSON.parse(init.body);
                sent.push(body);
                if (!online) throw new TypeError("Failed to fetch");
                const deferred = answers.shift() ?? [];
                return new Response(JSON.stringify({ watched_s: 0, watched_percent: 0,
                    completed: false, position_s: body.position_s, duplicate: false,
                    deferred_ranges: deferred }), { status: 200 });
            };
            const beacon = new ProgressBeacon(video, { url: "/x", csrfToken: "t" });
            beacon.played = true;
            // Three beats of 10 s each while offline: each one fails and stays queued.
            let wall = 0;
            for (let beat = 0; beat < 3; beat += 1) {
                for (let step = 0; step <= 40; step += 1) {
                    beacon.ranges.sample(beat * 10 + step * 0.25, (wall += 250), 1);
                }
                beacon.ranges.stop();
                await beacon.send();
            }
            const queuedOffline = beacon.queue.length;
            const offlineSends = sent.length;
            // Back online: one request carries everything; the server defers its last 5 s.
            online = true;
            answers.push([[25, 30]]);
            await beacon.send();
            const merged = sent[offlineSends];
            const afterMerge = sent.length;
            // The next beat (a little more played) carries the deferred range again.
            for (let step = 0; step <= 8; step += 1) {
                beacon.ranges.sample(30 + step * 0.25, (wall += 250), 1);
            }
            await beacon.send();
            clearTimeout(beacon.deferTimer);
            return { queuedOffline, offlineSends, merged, afterMerge,
                     next: sent[afterMerge], queueLeft: beacon.queue.length,
                     stats: beacon.stats };
        }"""
    )
    assert result["queuedOffline"] == 1  # merged while waiting, not ten beats piling up
    merged = result["merged"]
    assert merged["ranges"] == [[0, 30]] and merged["beat_id"].endswith("m")
    assert result["afterMerge"] == result["offlineSends"] + 1  # one request, not a burst
    assert result["next"]["ranges"] == [[25, 32]]  # the deferred 5 s, joined by what followed
    assert result["queueLeft"] == 0 and result["stats"]["deferred"] == 1
    assert page.errors == []


def test_a_note_added_while_playing_is_kept_and_seeks_there(
    browser, live_server, course, learner, lesson_video
):
    """Issue 15: "Add note" captures the moment; after a reload the note is listed with its
    text and time, and clicking it puts the player there."""
    from courses.models import LessonNote

    attach(lesson_video, course.paid)
    page = new_page(browser, live_server, learner)
    open_lesson(page, live_server, course.paid)
    page.click('.player__controls [data-action="play"]')
    wait_for_time(page, 6)
    page.get_by_role("button", name=re.compile(r"^Add note")).click()
    at = player_state(page)["t"]
    assert player_state(page)["paused"]  # typing while the lesson runs on loses the moment
    page.fill("[data-note-body]", "Fingertips *resting* on the parietals")
    page.get_by_role("button", name="Save note").click()
    page.wait_for_selector("[data-note-id]")
    note = LessonNote.objects.get(user=learner)
    assert abs(note.time_s - at) < 0.05 and note.body.startswith("Fingertips")

    page.reload()
    page.wait_for_selector("[data-player][data-player-ready]", timeout=PLAY_TIMEOUT_MS)
    item = page.locator("[data-note]").first
    assert "Fingertips resting on the parietals" in item.inner_text()
    label = item.locator("[data-note-seek]").inner_text()
    assert label == f"0:{round(at):02d}", label
    page.evaluate("() => window.coursePlayer.player.seek(1)")
    item.locator("[data-note-seek]").click()
    page.wait_for_function(
        f"() => Math.abs(window.coursePlayer.video.currentTime - {note.time_s}) < 0.5",
        timeout=PLAY_TIMEOUT_MS,
    )
    # The N key opens the form at the current moment too.
    page.locator("[data-player]").focus()
    page.keyboard.press("n")
    page.wait_for_selector("[data-note-form]:not([hidden])")
    assert page.errors == []


def test_player_settings_follow_the_learner_to_another_device(
    browser, live_server, course, learner, lesson_video
):
    """Issue 15: speed, mirror and volume changed on one device (a browser context) are there
    when the lesson opens on another, without a reload on the first."""
    from courses.models import PlayerSettings

    attach(lesson_video, course.paid)
    laptop = new_page(browser, live_server, learner)
    open_lesson(laptop, live_server, course.paid)
    with laptop.expect_response(lambda r: r.url.endswith("/api/me/player-settings")) as saved:
        laptop.select_option('[data-control="speed"]', "1.5")
        laptop.click('[data-action="mirror"]')
        laptop.evaluate("() => { window.coursePlayer.video.volume = 0.4; }")
    assert saved.value.status == 200
    deadline = time.monotonic() + 10
    while True:
        row = PlayerSettings.objects.filter(user=learner).first()
        if row and (row.speed, row.mirror, row.volume) == (1.5, True, 0.4):
            break
        assert time.monotonic() < deadline, row and (row.speed, row.mirror, row.volume)
        time.sleep(0.2)

    phone = new_page(browser, live_server, learner, viewport={"width": 390, "height": 844})
    open_lesson(phone, live_server, course.paid)
    state = phone.evaluate(
        """() => ({
            rate: window.coursePlayer.video.playbackRate,
            volume: window.coursePlayer.video.volume,
            speedMenu: document.querySelector('[data-control="speed"]').value,
            mirrored: document.querySelector('[data-action="mirror"]').getAttribute("aria-pressed"),
        })"""
    )
    assert state == {"rate": 1.5, "volume": 0.4, "speedMenu": "1.5", "mirrored": "true"}
    # It keeps its speed when it plays, and a change there goes back to the server too.
    phone.click('.player__controls [data-action="play"]')
    wait_for_time(phone, 2)
    assert player_state(phone)["errors"] == []
    assert phone.evaluate("() => window.coursePlayer.video.playbackRate") == 1.5
    assert laptop.errors == [] and phone.errors == []


def test_anonymous_preview_settings_stay_in_the_browser(browser, live_server, course, lesson_video):
    from courses.models import PlayerSettings

    attach(lesson_video, course.preview)
    page = new_page(browser, live_server)
    open_lesson(page, live_server, course.preview)
    page.select_option('[data-control="speed"]', "0.75")
    page.wait_for_function(
        "() => JSON.parse(localStorage.getItem('course-player-settings') || '{}').speed === 0.75"
    )
    page.reload()
    page.wait_for_selector("[data-player][data-player-ready]", timeout=PLAY_TIMEOUT_MS)
    assert page.evaluate("() => window.coursePlayer.video.playbackRate") == 0.75
    assert not PlayerSettings.objects.exists()
    assert page.errors == []


def test_the_instructor_marks_a_technique_while_watching_and_the_lesson_shows_it(
    browser, live_server, course, learner, lesson_video
):
    """Issue 15: the studio's chapter editor: [ and ] while the video plays, save, and the
    lesson's chapters follow."""
    from tests.factories import InstructorFactory

    attach(lesson_video, course.paid)
    page = new_page(browser, live_server, InstructorFactory())
    page.goto(f"{live_server.url}/studio/lessons/{course.paid.pk}/editor/")
    page.wait_for_selector("[data-player][data-player-ready]", timeout=PLAY_TIMEOUT_MS)
    page.click('.player__controls [data-action="play"]')
    page.wait_for_function(
        "() => window.studioPlayer.video.currentTime > 1", timeout=PLAY_TIMEOUT_MS
    )
    page.keyboard.press("[")
    start = float(page.input_value('[data-technique-row] [data-field="start_s"]'))
    page.wait_for_function(
        f"() => window.studioPlayer.video.currentTime > {start + 2}", timeout=PLAY_TIMEOUT_MS
    )
    page.get_by_role("button", name=re.compile("^Ends here")).click()
    end = float(page.input_value('[data-technique-row] [data-field="end_s"]'))
    assert 1 <= start < end
    # The range is on the timeline.
    assert page.locator(".chapter-editor__range").count() == 2
    page.get_by_role("button", name="Save times").click()
    page.wait_for_selector("text=Saved.")
    technique = course.paid.techniques.get(number=1)
    assert abs(technique.start_s - start) < 0.01 and abs(technique.end_s - end) < 0.01

    lesson_page = new_page(browser, live_server, learner)
    open_lesson(lesson_page, live_server, course.paid)
    first = lesson_page.locator("[data-chapter]").first
    assert abs(float(first.get_attribute("data-start")) - start) < 1
    assert page.errors == [] and lesson_page.errors == []
