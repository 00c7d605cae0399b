"""The player's heartbeat: the platform's hot path, tuned and fenced off in this package.

Every playing learner posts a beat every ~10 s (POST /api/lessons/<id>/progress). A beat
is one read and one compare-and-swap write, nothing more:

- `api.py`: the endpoint. The session's login is checked against the password hash
  that the read loads (`session_claims.py`), so there is no separate user query;
  the 200 answer is encoded here, not validated by ninja.
- `selectors.py`: the one read (user, lesson of a published course, current video
  duration, enrollment, progress row), hand-written SQL into plain dataclasses.
- `services.py`: folding the beat into the row and the compare-and-swap write.
- `db.py`: both statements, prepared by PostgreSQL through Django's documented
  `server_side_binding` and psycopg's `prepare_threshold` options.

What was measured (bench/test_progress_bench.py, gunicorn on loopback, 200 learners,
wrk -t2 -c16, 2 cores; README "Benchmarks" has the current numbers): the ORM version
of the read and write cost ~8.4 ms of web CPU per beat and gave 141 beats/s; these
steps brought it to ~2 ms and ~700 beats/s. Each step is kept only because the
benchmark showed it; the reasons are next to the code. Private Django parts are used
only where the supported way lost more than 10 % of the rate: of three tried on
2026-12-03, only `session_claims.py` (instead of get_user(): 478 against ~726 beats/s)
remained; a hand-made server-binding cursor and a shared redis-py client gave ~6 %
each and went. A test pins the Django version this was checked against.

Nothing outside courses.learning.progress may import from here but the progress read
models (an import-linter contract): the rest of the platform uses the ORM.
"""
