"""The player's heartbeat: the platform's hot path, tuned and fenced off in this package.

Every playing learner posts a beat every ~10 s (POST /api/lessons/<id>/progress). A beat
is one read and one compare-and-swap write, nothing more:

- `api.py`: the endpoint. The session's login is checked against the password hash
  that the read loads (`session_claims.py`), so there is no separate user query;
  the 200 answer is encoded here, not validated by ninja.
- `selectors.py`: the one read (user, lesson of a published course, current video
  duration, enrollment, progress row), hand-written SQL into plain dataclasses.
- `services.py`: folding the beat into the row and the compare-and-swap write.
- `db.py`: both statements prepared by PostgreSQL (a server-binding cursor), the
  read standing in for Django's per-request connection health check.

What was measured (bench/test_progress_bench.py, gunicorn on loopback, 200 learners,
wrk -t2 -c16, 2 cores; README "Benchmarks" has the current numbers): the ORM version
of the read and write cost ~8.4 ms of web CPU per beat and gave 141 beats/s; these
steps brought it to ~1.6 ms and ~600 beats/s. Each step is kept only because the
benchmark showed it; the reasons are next to the code.

Nothing outside courses.learning.progress may import from here but the progress read
models (an import-linter contract): the rest of the platform uses the ORM.
"""
