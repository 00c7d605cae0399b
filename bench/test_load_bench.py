"""`make bench`: ten minutes of mixed load (issue 13): pages, playback grants and heartbeats.

gunicorn (production config) on loopback against the test database, 200 enrolled learners
with real sessions; one wrk run (-t2 -c16, BENCH_LOAD_SECONDS, default 600) where each
connection's requests cycle through 60 % heartbeats (plausible 1 s ranges, as in
test_progress_bench.py), 20 % pages a learner opens (the catalog, the course page, a lesson
page, the articles) and 20 % playback grants (GET /api/lessons/<id>/playback: access check,
rate limit, signed URLs). The web workers' memory (RSS) is sampled every 15 s.

The rate is held near BENCH_LOAD_RATE (default 100 requests/s: 60 heartbeats a second are
600 learners watching at once, with a grant and a page for every three beats), each
connection pausing between requests, not as fast as the machine can: a load test measures
latency at a load, not how far a saturated queue grows (test_progress_bench.py and
test_public_pages_bench.py measure the maximum rates).

Targets: no error answers (every request 2xx, no socket errors), p99 < 200 ms, and worker
memory flat: the last minute's total RSS within 10 % of the first minute's. Numbers, not
assertions; results in bench-results/load.json.
"""

import json
import os
import statistics
import threading
import time
from pathlib import Path

from django.core.management import call_command

from bench.harness import CONNECTIONS, DONE, RESULTS, THREADS, gunicorn_server, wrk_run
from bench.test_progress_bench import BEAT_LUA, DURATION_S, LEARNERS, _lua_list, _setup_data
from courses.models import Lesson
from media_pipeline.models import VideoVersion

SECONDS = int(os.environ.get("BENCH_LOAD_SECONDS", "600"))
RATE = float(os.environ.get("BENCH_LOAD_RATE", "100"))
SAMPLE_S = 15

# The heartbeat part is the progress bench's (beat_request); pages, grants and the pacing here.
LUA = (
    BEAT_LUA
    + r"""
local pages = {PAGES}

function delay()
  return {DELAY_MS}
end

function request()
  counter = counter + 1
  local s = counter % #sessions
  local cookie = sessions[s + 1][1]
  local kind = counter % 10
  if kind >= 8 then
    local l = math.floor(counter / 10) % #lessons
    return wrk.format("GET", "/api/lessons/" .. lessons[l + 1] .. "/playback",
      {["Cookie"] = cookie})
  elseif kind >= 6 then
    local p = math.floor(counter / 10) % #pages
    return wrk.format("GET", pages[p + 1], {["Cookie"] = cookie})
  end
  -- A heartbeat: every learner+lesson pair is revisited only once per LEARNERS x lessons
  -- beats, so none claims more than the plausibility allowance.
  beats = beats + 1
  return beat_request(beats, counter)
end
"""
)


def _workers_rss_kib(master_pid: int) -> dict[int, int]:
    """RSS of each gunicorn worker (the master's children)."""
    rss = {}
    for children in Path(f"/proc/{master_pid}/task").glob("*/children"):
        for pid in children.read_text().split():
            try:
                status = Path(f"/proc/{pid}/status").read_text()
            except OSError:
                continue
            for line in status.splitlines():
                if line.startswith("VmRSS:"):
                    rss[int(pid)] = int(line.split()[1])
    return rss


class _MemorySampler(threading.Thread):
    def __init__(self, master_pid: int) -> None:
        super().__init__(daemon=True)
        self.master_pid = master_pid
        self.samples: list[tuple[float, dict[int, int]]] = []
        self.halt = threading.Event()

    def run(self) -> None:
        started = time.monotonic()
        while not self.halt.wait(SAMPLE_S if self.samples else 1):
            self.samples.append((time.monotonic() - started, _workers_rss_kib(self.master_pid)))


def _playable_versions() -> None:
    """The bench lessons' versions as the playback API needs them: keys to sign."""
    for version in VideoVersion.objects.filter(original_key__startswith="originals/bench-"):
        prefix = f"videos/{version.video_id}/{version.pk}/"
        VideoVersion.objects.filter(pk=version.pk).update(
            output_prefix=prefix,
            master_playlist_key=f"{prefix}master.m3u8",
            poster_key=f"{prefix}poster.jpg",
            sprite_key=f"{prefix}sprite.jpg",
            thumbnails_vtt_key=f"{prefix}thumbnails.vtt",
        )


def _minute_total_mib(samples, first: bool) -> float:
    window = [s for t, s in samples if (t <= 60 if first else t >= samples[-1][0] - 60)]
    return round(statistics.median(sum(s.values()) for s in window) / 1024, 1)


def test_ten_minutes_of_pages_grants_and_heartbeats(transactional_db, tmp_path, capsys):
    lessons, credentials = _setup_data()
    _playable_versions()
    call_command("load_articles", verbosity=0)
    course_slug = Lesson.objects.get(pk=lessons[0]).course.slug
    pages = ["/", f"/courses/{course_slug}/", f"/courses/{course_slug}/lessons/1/", "/articles/"]
    script = tmp_path / "load.lua"
    script.write_text(
        LUA.replace(
            "{SESSIONS}", _lua_list(f'{{"{cookie}", "{token}"}}' for cookie, token in credentials)
        )
        .replace("{LESSONS}", _lua_list(str(pk) for pk in lessons))
        .replace("{PAGES}", _lua_list(f'"{page}"' for page in pages))
        .replace("{DURATION}", str(DURATION_S))
        .replace("{DELAY_MS}", str(round(CONNECTIONS / RATE * 1000)))
        + DONE
    )
    ping = tmp_path / "ping.lua"
    ping.write_text(DONE)
    with gunicorn_server(tmp_path) as (server, pgid):
        wrk_run(f"{server}/api/ping", ping, 2)  # warm the workers,
        wrk_run(server, script, 10)  # and every kind of request in each (templates, queries)
        sampler = _MemorySampler(pgid)
        sampler.start()
        run = wrk_run(server, script, SECONDS, pgid)
        sampler.halt.set()
        sampler.join()
    samples = sampler.samples
    first, last = _minute_total_mib(samples, True), _minute_total_mib(samples, False)
    growth = round(last / first - 1, 3)
    result = {
        **run,
        "seconds": SECONDS,
        "mix": "60 % heartbeats, 20 % pages, 20 % playback grants",
        "target_rate_per_s": RATE,
        "learners": LEARNERS,
        "wrk": f"-t{THREADS} -c{CONNECTIONS}",
        "workers": len(samples[-1][1]) if samples else 0,
        "workers_rss_first_minute_mib": first,
        "workers_rss_last_minute_mib": last,
        "rss_growth": growth,
        "rss_per_sample_mib": [
            [round(t), round(sum(s.values()) / 1024, 1)]
            for t, s in samples[:: max(1, len(samples) // 20)]
        ],
        "targets": {
            "no error answers": run["non_2xx"] == 0 and run["socket_errors"] == 0,
            "p99 < 200 ms": run["p99_ms"] < 200,
            "memory flat (within 10 %)": abs(growth) <= 0.10,
        },
        "cores": os.cpu_count(),
    }
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "load.json").write_text(json.dumps(result, indent=2))
    with capsys.disabled():
        print(
            f"\n[bench] load {SECONDS} s: {run['requests']} requests, {run['requests_per_s']} "
            f"req/s, p50 {run['p50_ms']} ms, p99 {run['p99_ms']} ms, max {run['max_ms']} ms, "
            f"{run['non_2xx']} non-2xx, {run['socket_errors']} socket errors; workers' RSS "
            f"{first} MiB in the first minute, {last} MiB in the last ({growth:+.1%})"
        )
        for name, met in result["targets"].items():
            print(f"[bench] load: {name}: {'met' if met else 'NOT met'}")
