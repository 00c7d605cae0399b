"""Learner progress: interval math, heartbeats, rules, the progress API, dashboard, command."""

import json
import threading
from datetime import timedelta
from itertools import permutations

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from hypothesis import given, settings
from hypothesis import strategies as st

from courses.learning.progress import intervals as iv
from courses.learning.progress.heartbeat.api import BeatOut
from courses.learning.progress.heartbeat.selectors import beat_context_get
from courses.learning.progress.heartbeat.services import (
    Beat,
    progress_beat_record,
    progress_beat_write,
)
from courses.learning.progress.selectors import (
    course_progress_get,
    course_progress_marks,
    progress_resume_at,
)
from courses.learning.progress.services import (
    ProgressError,
    lesson_mark_complete,
)
from courses.models import Enrollment, Lesson, LessonProgress, Technique, TechniquePractice
from tests.factories import VideoFactory, VideoVersionFactory

CSRF_SECRET = "a" * 16 + "B" * 16  # a well-formed 32-character token secret


# --- interval math (pure, property-based) ------------------------------------------

times = st.floats(min_value=0, max_value=600, allow_nan=False, allow_infinity=False)
ranges = st.tuples(times, times).map(sorted).filter(lambda r: r[0] < r[1]).map(tuple)
beats = st.lists(st.lists(ranges, max_size=5), min_size=1, max_size=12)


def apply_beats(beat_list, max_count=10_000):
    union = []
    for beat in beat_list:
        union = iv.cap(iv.union([*union, *beat]), max_count)
    return union


@settings(max_examples=200, deadline=None)
@given(beats, st.randoms(use_true_random=False), st.lists(st.integers(0, 11), max_size=6))
def test_union_is_independent_of_order_and_duplicates(beat_list, rnd, repeats):
    shuffled = list(beat_list)
    rnd.shuffle(shuffled)
    # Retries: some beats arrive again, anywhere in the sequence.
    for index in repeats:
        shuffled.insert(rnd.randrange(len(shuffled) + 1), beat_list[index % len(beat_list)])
    expected = iv.union([r for beat in beat_list for r in beat])
    assert apply_beats(beat_list) == expected
    assert apply_beats(shuffled) == expected


@settings(max_examples=200, deadline=None)
@given(st.lists(ranges, max_size=30), st.floats(min_value=1, max_value=700))
def test_union_total_never_exceeds_the_duration(items, duration):
    union = iv.union(iv.clip(items, 0, duration))
    assert iv.total(union) <= duration + 1e-9
    # Disjoint, sorted and not touching.
    assert all(a[1] < b[0] for a, b in zip(union, union[1:], strict=False))
    assert all(s < e for s, e in union)


@settings(max_examples=200, deadline=None)
@given(st.lists(ranges, max_size=30))
def test_merging_is_idempotent(items):
    once = iv.union(items)
    assert iv.union(once) == once
    assert iv.union([*items, *items]) == once
    assert iv.union([*once, *items]) == once


@settings(max_examples=200, deadline=None)
@given(st.lists(ranges, max_size=60), st.integers(1, 20))
def test_cap_bounds_the_count_and_only_adds_coverage(items, max_count):
    union = iv.union(items)
    capped = iv.cap(union, max_count)
    assert len(capped) <= max_count
    assert iv.union([*capped, *union]) == capped  # everything watched is still covered
    assert iv.cap(capped, max_count) == capped
    if len(union) <= max_count:
        assert capped == union


def test_cap_closes_the_smallest_gaps_first():
    union = [(0, 1), (1.5, 2), (10, 11), (11.1, 12)]
    assert iv.cap(union, 2) == [(0, 2), (10, 12)]
    assert iv.cap(union, 3) == [(0, 1), (1.5, 2), (10, 12)]


def test_heat_counts_every_play_of_a_second():
    heat = iv.heat_add([], [(0, 3), (1, 2)])
    assert heat == [[0, 1, 1], [1, 2, 2], [2, 3, 1]]
    heat = iv.heat_add(heat, [(2.4, 5.6)])
    assert iv.heat_dense(heat, 7) == [1, 2, 2, 1, 1, 1, 0]
    # A lesson watched straight through is one run, however many beats it took.
    straight = []
    for start in range(0, 600, 10):
        straight = iv.heat_add(straight, [(start, start + 10)])
    assert straight == [[0, 600, 1]]


def dense_heat_add(dense, ranges):
    """The reference: one counter per bin."""
    for s, e in ranges:
        for i in iv.bin_range(s, e):
            dense.extend([0] * (i + 1 - len(dense)))
            dense[i] += 1
    return dense


@settings(max_examples=200, deadline=None)
@given(beats)
def test_heat_runs_count_exactly_what_one_counter_per_second_would(beat_list):
    runs, dense = [], []
    for beat in beat_list:
        runs = iv.heat_add(runs, beat)
        dense = dense_heat_add(dense, beat)
    assert iv.heat_dense(runs, len(dense)) == dense
    # Stored compactly: sorted, disjoint, no zero runs, neighbours differ or have a gap.
    assert all(first < stop and plays > 0 for first, stop, plays in runs)
    for (_, stop, plays), (first, _, next_plays) in zip(runs, runs[1:], strict=False):
        assert stop < first or (stop == first and plays != next_plays)


# --- fixtures ----------------------------------------------------------------------


@pytest.fixture
def video_course(course, ready_video):
    """The real course: lessons 1-3 have 600 s videos, lesson 4 a 300 s one, the rest none."""
    for number in (1, 2, 3):
        Lesson.objects.filter(course=course, number=number).update(video=ready_video(600))
    Lesson.objects.filter(course=course, number=4).update(video=ready_video(300))
    return course


@pytest.fixture
def lesson(video_course):
    return lesson_with_video(video_course, 1)


@pytest.fixture
def learner(user, video_course):
    Enrollment.objects.create(user=user, course=video_course)
    return user


def lesson_with_video(course, number):
    return Lesson.objects.select_related("video__current_version", "course").get(
        course=course, number=number
    )


class Clock:
    """Beats at a chosen cadence, without sleeping."""

    def __init__(self):
        self.now = timezone.now() - timedelta(hours=1)

    def tick(self, seconds=10.0):
        self.now += timedelta(seconds=seconds)
        return self.now


def play(user, lesson, start, end, *, step=10.0, clock=None, rate=1.0):
    """Beats every `step` s of wall time, as a player at `rate` sends them."""
    clock = clock or Clock()
    position = start
    while position < end:
        chunk_end = min(position + step * rate, end)
        progress_beat_record(
            user=user,
            lesson=lesson,
            beat=Beat(position_s=chunk_end, ranges=((position, chunk_end),), playback_rate=rate),
            now=clock.tick(step),
        )
        position = chunk_end
    return clock


def row(user, lesson):
    return LessonProgress.objects.get(user=user, lesson=lesson)


def beat_url(lesson):
    return f"/api/lessons/{lesson.pk}/progress"


def post_json(client, url, body, **extra):
    return client.post(url, data=json.dumps(body), content_type="application/json", **extra)


# --- recording -----------------------------------------------------------------------


def test_beats_build_the_union_position_and_times(learner, lesson):
    clock = play(learner, lesson, 0, 30)
    play(learner, lesson, 100, 120, clock=clock)
    progress = row(learner, lesson)
    assert progress.intervals == [[0, 30], [100, 120]]
    assert progress.watched_s == 50
    assert progress.position_s == 120
    assert progress.first_watched_at < progress.last_watched_at
    assert progress.heat == [[0, 30, 1], [100, 120, 1]]


@pytest.mark.parametrize("order", list(permutations(range(4))))
def test_out_of_order_beats_give_the_same_result(learner, lesson, order):
    beats = [
        Beat(position_s=10, ranges=((0, 10),), client_ts=1_000),
        Beat(position_s=20, ranges=((10, 20),), client_ts=2_000),
        Beat(position_s=35, ranges=((25, 35),), client_ts=3_000),
        Beat(position_s=35, ranges=((25, 35),), client_ts=3_000),  # a retry without a beat id
    ]
    clock = Clock()
    for index in order:
        progress_beat_record(user=learner, lesson=lesson, beat=beats[index], now=clock.tick())
    progress = row(learner, lesson)
    assert progress.intervals == [[0, 20], [25, 35]]
    assert progress.position_s == 35  # the beat with the latest client_ts


def test_a_retried_beat_id_is_applied_once(learner, lesson):
    beat = Beat(position_s=10, ranges=((0, 10),), beat_id="tab1-1")
    progress_beat_record(user=learner, lesson=lesson, beat=beat)
    result = progress_beat_record(user=learner, lesson=lesson, beat=beat)
    assert result.duplicate
    assert row(learner, lesson).heat == [[0, 10, 1]]  # not 2: the retry was not a rewatch


def test_rewatching_shows_in_the_heat_but_not_in_the_union(learner, lesson):
    clock = play(learner, lesson, 0, 20)
    play(learner, lesson, 0, 20, clock=clock)
    progress = row(learner, lesson)
    assert progress.intervals == [[0, 20]]
    assert progress.heat == [[0, 20, 2]]


def test_two_tabs_ranges_overlap_into_one_union(learner, lesson):
    clock = Clock()
    for second in range(0, 60, 10):
        now = clock.tick()
        for offset in (0, 5):  # the second tab lags 5 s behind
            start = second + offset
            progress_beat_record(
                user=learner,
                lesson=lesson,
                beat=Beat(position_s=start + 10, ranges=((start, start + 10),)),
                now=now,
            )
    assert row(learner, lesson).intervals == [[0, 65]]


# --- plausibility and malformed beats ----------------------------------------------------


def test_first_beat_records_at_most_40_seconds_and_defers_the_rest(learner, lesson):
    result = progress_beat_record(
        user=learner, lesson=lesson, beat=Beat(position_s=41, ranges=((0, 41),))
    )
    assert row(learner, lesson).intervals == [[0, 40]]
    assert result.deferred_ranges == ((40, 41),)  # for the player's next beat


def test_a_beat_may_claim_twice_the_wall_time_plus_slack(learner, lesson):
    clock = Clock()
    progress_beat_record(
        user=learner, lesson=lesson, beat=Beat(position_s=10, ranges=((0, 10),)), now=clock.now
    )
    # 10 s later: 2 x 10 + 15 = 35 s is the most a beat may claim; the 36th is deferred.
    too_much = Beat(position_s=46, ranges=((10, 46),))
    result = progress_beat_record(user=learner, lesson=lesson, beat=too_much, now=clock.tick(10))
    assert row(learner, lesson).intervals == [[0, 45]]
    assert result.deferred_ranges == ((45, 46),)
    assert row(learner, lesson).allowance_s == 0  # spent: nothing carried over
    # Sent again right away, the deferred second is still too much; a little later it fits.
    again = Beat(position_s=46, ranges=result.deferred_ranges)
    result = progress_beat_record(user=learner, lesson=lesson, beat=again, now=clock.tick(0.1))
    assert result.deferred_ranges == ((45.2, 46),) and row(learner, lesson).intervals == [[0, 45.2]]
    again = Beat(position_s=46, ranges=result.deferred_ranges)
    result = progress_beat_record(user=learner, lesson=lesson, beat=again, now=clock.tick(1))
    assert result.deferred_ranges == () and row(learner, lesson).intervals == [[0, 46]]


def test_a_burst_cannot_reuse_the_slack(learner, lesson):
    clock = Clock()
    progress_beat_record(
        user=learner, lesson=lesson, beat=Beat(position_s=10, ranges=((0, 10),)), now=clock.now
    )
    # Carried over: 15 s; beats 0.1 s apart each claiming 7 s drain it on the third, which
    # records only what is left (1.4 + 2 x 0.1 s) and defers the rest.
    deferred = []
    for n in range(3):
        start = 100 + 7 * n
        result = progress_beat_record(
            user=learner,
            lesson=lesson,
            beat=Beat(position_s=start + 7, ranges=((start, start + 7),)),
            now=clock.tick(0.1),
        )
        deferred.append(result.deferred_ranges)
    assert deferred[:2] == [(), ()]
    assert deferred[2] == ((115.6, 121),)
    assert row(learner, lesson).intervals == [[0, 10], [100, 115.6]]


def test_a_minute_of_beats_queued_offline_and_merged_is_recorded_whole(learner, lesson):
    """What the player does after an outage: the beats it queued go as one (issue 13, 17)."""
    clock = Clock()
    progress_beat_record(
        user=learner, lesson=lesson, beat=Beat(position_s=10, ranges=((0, 10),)), now=clock.now
    )
    # Offline for 60 s of watching: six 10 s beats queued, then merged into one on resend.
    merged = Beat(position_s=70, ranges=tuple((10 + 10 * n, 20 + 10 * n) for n in range(6)))
    result = progress_beat_record(user=learner, lesson=lesson, beat=merged, now=clock.tick(61))
    assert result.deferred_ranges == ()
    assert row(learner, lesson).intervals == [[0, 70]]


def test_playing_at_double_speed_for_a_long_time_is_accepted(learner, lesson):
    play(learner, lesson, 0, 600, rate=2.0)
    assert row(learner, lesson).intervals == [[0, 600]]


@pytest.mark.parametrize(
    "body",
    [
        "not json",
        "[1, 2]",
        '{"ranges": [[0, 1]]}',
        '{"position_s": "5"}',
        '{"position_s": true}',
        '{"position_s": NaN}',
        '{"position_s": Infinity}',
        '{"position_s": 5, "ranges": [[0, Infinity]]}',
        '{"position_s": 5, "ranges": [[3, 2]]}',
        '{"position_s": 5, "ranges": [[2, 2]]}',
        '{"position_s": 5, "ranges": [[-1, 2]]}',
        '{"position_s": 5, "ranges": [[590, 602]]}',
        '{"position_s": 5, "ranges": [[1, 2, 3]]}',
        '{"position_s": 5, "ranges": {"a": 1}}',
        '{"position_s": -1}',
        '{"position_s": 602}',
        '{"position_s": 5, "playback_rate": 3}',
        '{"position_s": 5, "playback_rate": 0}',
        '{"position_s": 5, "beat_id": 7}',
        '{"position_s": 5, "client_ts": -5}',
        json.dumps({"position_s": 5, "ranges": [[i, i + 0.01] for i in range(201)]}),
    ],
)
def test_malformed_beats_are_400_and_change_nothing(client, learner, lesson, body):
    client.force_login(learner)
    progress_beat_record(user=learner, lesson=lesson, beat=Beat(position_s=3, ranges=((0, 3),)))
    before = row(learner, lesson)
    response = client.post(beat_url(lesson), data=body, content_type="application/json")
    assert response.status_code == 400, response.content
    assert response.json()["detail"]
    after = row(learner, lesson)
    assert (after.intervals, after.position_s, after.heat, after.last_beat_at) == (
        before.intervals,
        before.position_s,
        before.heat,
        before.last_beat_at,
    )


def test_the_end_of_a_video_has_one_second_of_tolerance(learner, lesson):
    result = progress_beat_record(
        user=learner, lesson=lesson, beat=Beat(position_s=600.8, ranges=((590, 600.8),))
    )
    assert row(learner, lesson).intervals == [[590, 600]]  # stored clipped to the duration
    assert result.position_s == 0  # within the last 10 s: start over next time


def test_a_lesson_without_video_takes_no_beats(client, learner, video_course):
    theory = Lesson.objects.get(course=video_course, number=5)
    client.force_login(learner)
    response = post_json(client, beat_url(theory), {"position_s": 0, "ranges": []})
    assert response.status_code == 400


# --- access and CSRF ---------------------------------------------------------------------


def test_anonymous_is_401_and_not_enrolled_403(client, user, staff_user, lesson):
    body = {"position_s": 5, "ranges": [[0, 5]]}
    assert post_json(client, beat_url(lesson), body).status_code == 401
    client.force_login(user)
    assert post_json(client, beat_url(lesson), body).status_code == 403
    # Even on a free preview: progress is for enrolled learners.
    Lesson.objects.filter(pk=lesson.pk).update(is_preview=True)
    assert post_json(client, beat_url(lesson), body).status_code == 403
    client.force_login(staff_user)
    assert post_json(client, beat_url(lesson), body).status_code == 200
    assert post_json(client, "/api/lessons/999999/progress", body).status_code == 404


def test_the_beat_answer(client, learner, lesson):
    client.force_login(learner)
    response = post_json(client, beat_url(lesson), {"position_s": 30, "ranges": [[0, 30]]})
    assert response.status_code == 200
    assert response.json() == {
        "watched_s": 30.0,
        "watched_percent": 5.0,
        "completed": False,
        "position_s": 30.0,
        "duplicate": False,
        "deferred_ranges": [],
    }
    # A burst beyond the allowance (the first beat's 40 s): recorded up to it, the rest
    # answered back for the next beat.
    response = post_json(client, beat_url(lesson), {"position_s": 90, "ranges": [[30, 90]]})
    assert response.status_code == 200
    answer = response.json()
    assert answer["watched_s"] == pytest.approx(40, abs=0.5)
    assert answer["deferred_ranges"] == [[answer["watched_s"], 90.0]]
    # Encoded by the view itself, not by ninja: it must still be what the OpenAPI says.
    assert response["Content-Type"] == "application/json; charset=utf-8"
    assert set(response.json()) == set(BeatOut.model_fields)
    assert BeatOut.model_validate(response.json()).model_dump() == response.json()
    schema = client.get("/api/openapi.json").json()
    answer = schema["paths"][beat_url(lesson).replace(str(lesson.pk), "{lesson_id}")]["post"]
    assert answer["responses"]["200"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/BeatOut"
    }


@pytest.fixture
def csrf_client(learner):
    client = Client(enforce_csrf_checks=True)
    client.force_login(learner)
    client.cookies["csrftoken"] = CSRF_SECRET
    return client


def test_csrf_is_enforced(csrf_client, lesson):
    body = {"position_s": 5, "ranges": [[0, 5]]}
    assert post_json(csrf_client, beat_url(lesson), body).status_code == 403
    wrong = {**body, "csrf_token": "z" * 32}
    assert post_json(csrf_client, beat_url(lesson), wrong).status_code == 403
    header = post_json(csrf_client, beat_url(lesson), body, HTTP_X_CSRFTOKEN=CSRF_SECRET)
    assert header.status_code == 200
    assert not LessonProgress.objects.exclude(intervals=[[0, 5]]).exists()


def test_csrf_token_from_a_cross_site_origin_is_refused(csrf_client, lesson):
    body = {"position_s": 5, "ranges": [[0, 5]], "csrf_token": CSRF_SECRET}
    evil = post_json(csrf_client, beat_url(lesson), body, HTTP_ORIGIN="https://evil.example")
    assert evil.status_code == 403
    same = post_json(csrf_client, beat_url(lesson), body, HTTP_ORIGIN="http://testserver")
    assert same.status_code == 200


def test_send_beacon_formats_carry_the_token(csrf_client, lesson):
    beat = {"position_s": 5, "ranges": [[0, 5]]}
    # A text/plain Blob (what sendBeacon sends without a CORS preflight).
    text = csrf_client.post(
        beat_url(lesson),
        data=json.dumps({**beat, "csrf_token": CSRF_SECRET}),
        content_type="text/plain;charset=UTF-8",
    )
    assert text.status_code == 200, text.content
    # FormData / URLSearchParams: the token as Django's form field, the beat as JSON.
    beat2 = {"position_s": 9, "ranges": [[5, 9]]}
    form = csrf_client.post(
        beat_url(lesson), data={"csrfmiddlewaretoken": CSRF_SECRET, "beat": json.dumps(beat2)}
    )
    assert form.status_code == 200, form.content
    # Or in the query string.
    beat3 = {"position_s": 12, "ranges": [[9, 12]]}
    query = post_json(csrf_client, beat_url(lesson) + f"?csrf_token={CSRF_SECRET}", beat3)
    assert query.status_code == 200, query.content
    assert LessonProgress.objects.get().intervals == [[0, 12]]


# --- concurrency -------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_concurrent_beats_from_two_threads_lose_nothing(user, video_course):
    Enrollment.objects.create(user=user, course=video_course)
    lesson = Lesson.objects.get(course=video_course, number=1)
    per_thread = 40
    # 80 beats of 0.1 s claim 8 s, within the plausibility slack (15 s) however fast
    # the beats come: the test is about races, not the limit.
    played = 0.1
    errors = []
    barrier = threading.Barrier(2)

    def tab(offset):
        try:
            client = Client()
            client.force_login(user)
            barrier.wait()
            for n in range(per_thread):
                start = (2 * n + offset) * 1.0
                body = {"position_s": start + played, "ranges": [[start, start + played]]}
                response = post_json(client, beat_url(lesson), body)
                if response.status_code != 200:
                    errors.append(response.content)
        except Exception as error:  # surfaced by the assertion below
            errors.append(repr(error))
        finally:
            connection.close()

    threads = [threading.Thread(target=tab, args=(offset,)) for offset in (0, 1)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    progress = LessonProgress.objects.get(user=user, lesson=lesson)
    expected = [bound for i in range(2 * per_thread) for bound in (float(i), i + played)]
    assert [bound for pair in progress.intervals for bound in pair] == pytest.approx(expected)
    assert progress.watched_s == pytest.approx(2 * per_thread * played)


# --- rules ---------------------------------------------------------------------------------


def test_scrubbing_to_the_end_does_not_complete(client, learner, lesson):
    client.force_login(learner)
    post_json(client, beat_url(lesson), {"position_s": 0, "ranges": [[0, 5]]})
    response = post_json(client, beat_url(lesson), {"position_s": 599, "ranges": []})
    assert response.status_code == 200
    assert response.json()["completed"] is False
    marks = course_progress_marks(user=learner, course=lesson.course)
    assert marks[lesson.pk] == {"completed": False, "watched_percent": 0.8}


def test_ninety_percent_completes(learner, lesson):
    play(learner, lesson, 0, 539)
    assert course_progress_marks(user=learner, course=lesson.course)[lesson.pk] == {
        "completed": False,
        "watched_percent": 89.8,
    }
    play(learner, lesson, 539, 540)  # exactly 90 %
    assert course_progress_marks(user=learner, course=lesson.course)[lesson.pk] == {
        "completed": True,
        "watched_percent": 90.0,
    }


def test_completion_is_90_percent_anywhere_not_the_end(learner, lesson):
    clock = play(learner, lesson, 60, 600)  # skipped the first minute
    assert course_progress_marks(user=learner, course=lesson.course)[lesson.pk]["completed"]
    assert clock


def test_resume_is_the_last_position_except_near_the_end(learner, lesson):
    assert progress_resume_at(user=learner, lesson=lesson) is None
    clock = play(learner, lesson, 0, 30)
    assert progress_resume_at(user=learner, lesson=lesson) == 30
    progress_beat_record(
        user=learner, lesson=lesson, beat=Beat(position_s=589.9, ranges=()), now=clock.tick()
    )
    assert progress_resume_at(user=learner, lesson=lesson) == 589.9
    progress_beat_record(
        user=learner, lesson=lesson, beat=Beat(position_s=590.5, ranges=()), now=clock.tick()
    )
    assert progress_resume_at(user=learner, lesson=lesson) == 0


def test_resume_at_for_anonymous_and_others_is_none(make_user, learner, lesson):
    from django.contrib.auth.models import AnonymousUser

    play(learner, lesson, 0, 30)
    assert progress_resume_at(user=AnonymousUser(), lesson=lesson) is None
    assert progress_resume_at(user=make_user("bob"), lesson=lesson) is None


def test_replacing_the_video_re_evaluates_completion(learner, lesson):
    play(learner, lesson, 0, 560)  # 93 % of 600 s
    course = lesson.course
    assert course_progress_marks(user=learner, course=course)[lesson.pk]["completed"]

    def replace(duration):
        version = VideoVersionFactory(video=lesson.video, ready=True, duration_s=duration)
        lesson.video.current_version = version
        lesson.video.save(update_fields=["current_version"])

    replace(900)  # longer: 560 / 900 = 62 %
    assert course_progress_marks(user=learner, course=course)[lesson.pk] == {
        "completed": False,
        "watched_percent": 62.2,
    }
    replace(500)  # shorter: the union is clipped to the new end
    assert course_progress_marks(user=learner, course=course)[lesson.pk] == {
        "completed": True,
        "watched_percent": 100.0,
    }
    assert row(learner, lesson).intervals == [[0, 560]]  # kept as recorded


def test_a_theory_lesson_can_be_marked_complete_by_hand(client, learner, video_course):
    client.force_login(learner)
    theory = Lesson.objects.get(course=video_course, number=5)
    response = client.post(f"/api/lessons/{theory.pk}/complete")
    assert response.status_code == 200
    assert response.json() == {"lesson_id": theory.pk, "completed": True}
    assert course_progress_marks(user=learner, course=video_course)[theory.pk] == {
        "completed": True,
        "watched_percent": None,
    }
    assert client.delete(f"/api/lessons/{theory.pk}/complete").status_code == 200
    assert not course_progress_marks(user=learner, course=video_course)[theory.pk]["completed"]


def test_a_lesson_with_video_cannot_be_marked_complete(client, learner, lesson):
    client.force_login(learner)
    response = client.post(f"/api/lessons/{lesson.pk}/complete")
    assert response.status_code == 400
    assert "watched 90%" in response.json()["detail"]
    assert not LessonProgress.objects.exists()
    with pytest.raises(ProgressError):
        lesson_mark_complete(user=learner, lesson=lesson)


def test_marking_needs_login_and_enrollment(client, user, video_course):
    theory = Lesson.objects.get(course=video_course, number=5)
    assert client.post(f"/api/lessons/{theory.pk}/complete").status_code == 401
    client.force_login(user)
    assert client.post(f"/api/lessons/{theory.pk}/complete").status_code == 403


def test_practice_is_logged(client, learner, video_course):
    client.force_login(learner)
    technique = Technique.objects.get(course=video_course, number=1)
    url = f"/api/techniques/{technique.pk}/practice"
    first = post_json(client, url, {"practiced_on": "2026-03-01", "note": "  Felt the rhythm. "})
    assert first.status_code == 201, first.content
    assert first.json() == {
        "id": first.json()["id"],
        "technique": 1,
        "practiced_on": "2026-03-01",
        "note": "Felt the rhythm.",
        "practiced_count": 1,
    }
    today = post_json(client, url, {})
    assert today.status_code == 201
    assert today.json()["practiced_on"] == timezone.localdate().isoformat()
    assert today.json()["practiced_count"] == 2
    future = (timezone.localdate() + timedelta(days=5)).isoformat()
    assert post_json(client, url, {"practiced_on": future}).status_code == 400
    assert post_json(client, url, {"practiced_on": "yesterday"}).status_code == 400
    assert TechniquePractice.objects.filter(user=learner).count() == 2


def test_practice_needs_enrollment(client, user, video_course):
    technique = Technique.objects.get(course=video_course, number=1)
    url = f"/api/techniques/{technique.pk}/practice"
    assert post_json(client, url, {}).status_code == 401
    client.force_login(user)
    assert post_json(client, url, {}).status_code == 403
    assert post_json(client, "/api/techniques/999999/practice", {}).status_code == 404


# --- course progress ---------------------------------------------------------------------


def test_course_percentage(learner, video_course):
    course = video_course
    # 4 lessons have videos (1-3: 600 s, 4: 300 s); 9 are theory lessons without video.
    assert course_progress_get(user=learner, course=course)["percent"] == 0
    play(learner, lesson_with_video(course, 1), 0, 600)  # complete
    play(learner, lesson_with_video(course, 2), 0, 100)  # started only
    assert course_progress_get(user=learner, course=course)["percent"] == 25.0  # 1 / 4
    # A theory lesson marked by hand counts in numerator and denominator: 2 / 5.
    lesson_mark_complete(user=learner, lesson=Lesson.objects.get(course=course, number=5))
    assert course_progress_get(user=learner, course=course)["percent"] == 40.0
    # A video still processing is not counted until it can be watched.
    Lesson.objects.filter(course=course, number=6).update(video=VideoFactory(title="processing"))
    assert course_progress_get(user=learner, course=course)["percent"] == 40.0


def test_progress_api_shape(client, learner, video_course):
    course = video_course
    l1, l2 = lesson_with_video(course, 1), lesson_with_video(course, 2)
    clock = play(learner, l1, 0, 600)
    play(learner, l2, 0, 120, clock=clock)
    TechniquePractice.objects.create(
        user=learner,
        technique=Technique.objects.get(course=course, number=1),
        practiced_on="2026-01-01",
    )
    client.force_login(learner)
    response = client.get(f"/api/me/courses/{course.slug}/progress")
    assert response.status_code == 200
    data = response.json()
    assert data["course"] == course.slug
    assert data["percent"] == 25.0
    assert data["continue"] == {
        "lesson_id": l2.pk,
        "number": 2,
        "title": l2.title,
        "position_s": 120.0,
    }
    assert data["next_unwatched"]["number"] == 3
    assert len(data["lessons"]) == 13
    assert data["lessons"][0] == {
        "lesson_id": l1.pk,
        "number": 1,
        "title": l1.title,
        "completed": True,
        "watched_percent": 100.0,
        "position_s": 0.0,  # finished: resumes at the start
    }
    assert data["lessons"][1]["watched_percent"] == 20.0
    assert data["lessons"][4]["watched_percent"] is None  # no video
    assert len(data["techniques"]) == 22
    first = data["techniques"][0]
    assert set(first) == {"number", "name", "lesson_number", "watched", "practiced_count"}
    assert first["practiced_count"] == 1


def test_technique_watched_by_its_range(learner, video_course, ready_video):
    course = video_course
    technique = Technique.objects.filter(course=course).order_by("number").first()
    Lesson.objects.filter(pk=technique.lesson_id, video=None).update(video=ready_video(600))
    lesson = lesson_with_video(course, technique.lesson.number)
    Technique.objects.filter(pk=technique.pk).update(start_s=100, end_s=200)
    play(learner, lesson, 100, 189)
    by_number = {
        t["number"]: t for t in course_progress_get(user=learner, course=course)["techniques"]
    }
    assert by_number[technique.number]["watched"] is False
    play(learner, lesson, 189, 190)
    by_number = {
        t["number"]: t for t in course_progress_get(user=learner, course=course)["techniques"]
    }
    assert by_number[technique.number]["watched"] is True


def test_next_unwatched_without_any_progress_is_the_first_lesson(client, learner, video_course):
    client.force_login(learner)
    data = client.get(f"/api/me/courses/{video_course.slug}/progress").json()
    assert data["continue"] is None
    assert data["next_unwatched"]["number"] == 1


def test_progress_api_access(client, user, video_course):
    url = f"/api/me/courses/{video_course.slug}/progress"
    assert client.get(url).status_code == 401
    client.force_login(user)
    assert client.get(url).status_code == 403
    assert client.get("/api/me/courses/nope/progress").status_code == 404


def test_progress_api_queries_are_constant(
    client, learner, video_course, django_assert_max_num_queries
):
    client.force_login(learner)
    url = f"/api/me/courses/{video_course.slug}/progress"
    client.get(url)  # warm the session
    with django_assert_max_num_queries(8) as few:
        client.get(url)
    for number in range(1, 5):
        play(learner, lesson_with_video(video_course, number), 0, 300)
    for technique in Technique.objects.filter(course=video_course):
        TechniquePractice.objects.create(
            user=learner, technique=technique, practiced_on="2026-01-01"
        )
    with django_assert_max_num_queries(8) as many:
        client.get(url)
    assert len(many.captured_queries) == len(few.captured_queries)


def test_a_heartbeat_costs_two_queries(client, learner, lesson):
    client.force_login(learner)
    with CaptureQueriesContext(connection) as first:
        response = post_json(client, beat_url(lesson), {"position_s": 1, "ranges": [[0, 1]]})
    assert response.status_code == 200
    with CaptureQueriesContext(connection) as later:
        response = post_json(client, beat_url(lesson), {"position_s": 2, "ranges": [[1, 2]]})
    assert response.status_code == 200
    # The session comes from the cache; one read (user, lesson, enrollment, the row) and
    # one write, without a transaction around them: INSERT for the first beat, then UPDATE.
    first_sql = [q["sql"] for q in first.captured_queries]
    later_sql = [q["sql"] for q in later.captured_queries]
    assert len(first_sql) == 2 and first_sql[1].startswith("INSERT"), first_sql
    assert len(later_sql) == 2 and later_sql[1].startswith("UPDATE"), later_sql
    assert row(learner, lesson).intervals == [[0, 2]]


def test_a_beat_written_from_a_stale_read_retries_and_loses_nothing(learner, lesson):
    progress_beat_record(user=learner, lesson=lesson, beat=Beat(position_s=5, ranges=((0, 5),)))
    stale = beat_context_get(user_id=learner.pk, lesson_id=lesson.pk)
    # Another tab's beat lands between this beat's read and its write.
    progress_beat_record(
        user=learner,
        lesson=lesson,
        beat=Beat(position_s=20, ranges=((15, 20),)),
        now=timezone.now() + timedelta(seconds=10),
    )
    with CaptureQueriesContext(connection) as ctx:
        result = progress_beat_write(
            user_id=learner.pk,
            lesson_id=lesson.pk,
            duration_s=stale.duration_s,
            beat=Beat(position_s=10, ranges=((5, 10),)),
            now=timezone.now() + timedelta(seconds=20),
            current=stale.progress,
        )
    # The stale write, the re-read, the write that sticks.
    assert [q["sql"].split()[0] for q in ctx.captured_queries] == ["UPDATE", "SELECT", "UPDATE"]
    progress = row(learner, lesson)
    assert progress.intervals == [[0, 10], [15, 20]]
    assert result.watched_s == 15
    assert progress.revision == 3


def test_after_repeated_conflicts_a_beat_takes_the_row_lock(learner, lesson, monkeypatch):
    from courses.learning.progress.heartbeat import services as progress_services

    monkeypatch.setattr(progress_services, "_OPTIMISTIC_ATTEMPTS", 0)
    with CaptureQueriesContext(connection) as ctx:
        progress_beat_record(user=learner, lesson=lesson, beat=Beat(position_s=5, ranges=((0, 5),)))
    assert any("FOR UPDATE" in q["sql"] for q in ctx.captured_queries)
    assert row(learner, lesson).intervals == [[0, 5]]


def test_a_changed_password_ends_the_session_for_beats(client, learner, lesson):
    client.force_login(learner)
    body = {"position_s": 5, "ranges": [[0, 5]]}
    assert post_json(client, beat_url(lesson), body).status_code == 200
    learner.set_password("a new password")
    learner.save(update_fields=["password"])
    assert post_json(client, beat_url(lesson), {**body, "position_s": 6}).status_code == 401
    # Django's own check flushed the session: the learner is logged out everywhere.
    assert "_auth_user_id" not in client.session
    assert row(learner, lesson).position_s == 5


def test_a_deactivated_learner_is_401(client, learner, lesson):
    client.force_login(learner)
    learner.is_active = False
    learner.save(update_fields=["is_active"])
    assert (
        post_json(client, beat_url(lesson), {"position_s": 5, "ranges": [[0, 5]]}).status_code
        == 401
    )
    assert not LessonProgress.objects.exists()


def test_a_session_signed_with_a_retired_secret_key_still_records(
    client, learner, lesson, settings
):
    client.force_login(learner)
    # The key rotates: the old one moves to SECRET_KEY_FALLBACKS, as Django documents.
    settings.SECRET_KEY_FALLBACKS = [settings.SECRET_KEY]
    settings.SECRET_KEY = "a-rotated-secret-key-for-this-test-only"
    old_key = client.session.session_key
    response = post_json(client, beat_url(lesson), {"position_s": 5, "ranges": [[0, 5]]})
    assert response.status_code == 200, response.content
    assert row(learner, lesson).intervals == [[0, 5]]
    # Django re-signed the session under the new key.
    assert client.session.session_key != old_key


def test_a_session_of_a_deleted_user_is_401(client, user, lesson):
    client.force_login(user)
    user.delete()
    assert (
        post_json(client, beat_url(lesson), {"position_s": 5, "ranges": [[0, 5]]}).status_code
        == 401
    )


def test_ping(client):
    assert client.get("/api/ping").json() == {"ok": True}


# --- dashboard -----------------------------------------------------------------------------


def test_dashboard_shows_continue_next_and_marks(client, learner, video_course):
    lesson = lesson_with_video(video_course, 2)
    play(learner, lesson, 0, 125)
    client.force_login(learner)
    html = client.get("/dashboard/").content.decode()
    assert "Continue where you left off" in html
    assert f"/courses/{video_course.slug}/lessons/2/?t=125" in html
    assert f'Up next: <a href="/courses/{video_course.slug}/lessons/3/">' in html
    assert 'role="progressbar"' in html
    assert 'aria-valuenow="0"' in html


def test_dashboard_queries_do_not_grow_with_progress(
    client, learner, video_course, django_assert_max_num_queries
):
    client.force_login(learner)
    client.get("/dashboard/")
    with django_assert_max_num_queries(10) as few:
        client.get("/dashboard/")
    for number in range(1, 5):
        play(learner, lesson_with_video(video_course, number), 0, 200)
    with django_assert_max_num_queries(10) as many:
        client.get("/dashboard/")
    assert len(many.captured_queries) == len(few.captured_queries)


# --- the command -----------------------------------------------------------------------------


def test_course_progress_command(capsys, learner, video_course):
    clock = play(learner, lesson_with_video(video_course, 1), 0, 600)
    play(learner, lesson_with_video(video_course, 2), 0, 60, clock=clock)
    call_command("course_progress", learner.username, video_course.slug)
    out = capsys.readouterr().out
    assert "25.0 %" in out
    assert "Continue: lesson 2" in out
    lines = out.splitlines()
    row1 = next(line for line in lines if line.lstrip().startswith("1 "))
    assert "yes" in row1 and "100.0" in row1
    row2 = next(line for line in lines if line.lstrip().startswith("2 "))
    assert "10.0" in row2 and "1:00" in row2


def test_course_progress_command_errors(learner, video_course):
    with pytest.raises(CommandError, match="No user named 'nobody'"):
        call_command("course_progress", "nobody", video_course.slug)
    with pytest.raises(CommandError, match="No course with slug 'nope'"):
        call_command("course_progress", learner.username, "nope")
