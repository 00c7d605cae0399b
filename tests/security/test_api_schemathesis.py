"""Property-based tests of the JSON API from its own OpenAPI schema (schemathesis).

The schema is loaded from /api/openapi.json of the real WSGI application, and every
operation is called in-process with data schemathesis generates from it, as four callers:
anonymous, signed in but not enrolled, the enrolled learner, and the instructor (staff with
the studio's permissions). Authentication is what a browser has: the session cookie, and
for unsafe methods the CSRF cookie with a valid masked token in X-CSRFToken (the WSGI app
enforces CSRF: this is not Django's test client). Every answer must be:

- no 5xx;
- for data that matches the schema: a documented status code with a documented content
  type and a body that matches the documented schema; for data that does not: a 4xx;
- free of anything of the second learner (tests/security/conftest.py seeds their notes,
  practice notes, progress, an order, a certificate and a question): none of their
  identifiers or texts may appear in any answer to anyone else.

Path parameters are half the time real objects (the paid lesson, the preview, the lesson
without video, a technique the second learner practised, the course, a video version, the
learner's note and the second learner's), so that the calls reach more than 404s, and the
unsafe methods (POST, PATCH, DELETE) are called as generated. Each call runs in a savepoint
that is rolled back.
Generation is deterministic (derandomized, fixed seed) and small, to run in about a minute.
"""

from __future__ import annotations

import contextlib
import uuid

import hypothesis
import pytest
import schemathesis
from django.conf import settings
from django.core import signals
from django.db import close_old_connections
from django.http import HttpRequest
from django.middleware.csrf import get_token
from django.test import Client
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    negative_data_rejection,
    response_schema_conformance,
    status_code_conformance,
)

from config.wsgi import application
from tests.security.conftest import (
    ANONYMOUS,
    ENROLLED,
    INSTRUCTOR,
    OTHER_POSITION_S,
    SIGNED_IN,
    World,
    rolled_back,
)

pytestmark = pytest.mark.django_db

MAX_EXAMPLES = 15  # per operation and caller (20 operations, 4 callers); 150 found nothing more

CONFIG = schemathesis.Config.from_dict(
    {
        "seed": 13,
        "generation": {
            "mode": "all",  # data that matches the schema and data that does not
            "max-examples": MAX_EXAMPLES,
            "deterministic": True,
            "database": "none",  # nothing remembered between runs: the same run every time
            # The session cookie is the callers' own (below), never a generated one.
            "with-security-parameters": False,
        },
        # The fuzzing phase only: the coverage phase's hundreds of boundary cases per
        # operation would not fit the time, and the schema has no examples or links.
        "phases": {
            "examples": {"enabled": False},
            "coverage": {"enabled": False},
            "stateful": {"enabled": False},
        },
    }
)


@contextlib.contextmanager
def _connection_kept():
    """A WSGI request ends with close_old_connections, which would close the connection
    that holds this test's transaction: hold it off, as Django's own test client does."""
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    try:
        yield
    finally:
        signals.request_started.connect(close_old_connections)
        signals.request_finished.connect(close_old_connections)


with _connection_kept():
    schema = schemathesis.openapi.from_wsgi("/api/openapi.json", application, config=CONFIG)

# Real objects for path parameters, by parameter name (filled in by the `callers` fixture).
REAL: dict[str, list] = {}


@schema.hook
def flatmap_path_parameters(context, path_parameters):
    """Half the time, a path parameter of the right type becomes a real object's."""
    if not path_parameters:
        return st.just(path_parameters)
    fields = {}
    for name, value in path_parameters.items():
        real = REAL.get(name)
        if real and _same_kind(value, real[0]):
            fields[name] = st.one_of(st.just(value), st.sampled_from(real))
        else:
            fields[name] = st.just(value)
    return st.fixed_dictionaries(fields)


def _same_kind(value, real) -> bool:
    """Only a valid value is swapped for another valid one: data meant not to match the
    schema keeps what makes it not match."""
    if isinstance(real, uuid.UUID):
        try:
            uuid.UUID(str(value))
        except ValueError:
            return False
        return True
    return type(value) is type(real) and not isinstance(value, bool)


def _session_of(user) -> dict[str, str]:
    client = Client()
    client.force_login(user)
    name = settings.SESSION_COOKIE_NAME
    return {name: client.cookies[name].value}


def _csrf_pair() -> tuple[str, str]:
    """(the csrftoken cookie, a masked token for X-CSRFToken), as a page load hands out."""
    request = HttpRequest()
    token = get_token(request)
    return request.META["CSRF_COOKIE"], token


@pytest.fixture(scope="module")
def callers(world: World, django_db_blocker):
    """Role -> (headers, cookies) of a browser signed in as that role (sessions live in the
    module's transaction); every caller has a CSRF cookie and sends its token."""
    REAL.update(
        lesson_id=[world.paid.pk, world.preview.pk, world.theory.pk],
        technique_id=[world.paid.techniques.order_by("number")[0].pk],
        slug=[world.course.slug],
        version_id=[world.version_id],
        note_id=[world.learner_note.pk, world.other_note.pk],
        language=["en"],
    )
    cookie, token = _csrf_pair()
    result = {}
    with django_db_blocker.unblock():
        for role in (ANONYMOUS, SIGNED_IN, ENROLLED, INSTRUCTOR):
            user = world.users[role]
            cookies = {settings.CSRF_COOKIE_NAME: cookie, **(_session_of(user) if user else {})}
            result[role] = ({"X-CSRFToken": token}, cookies)
    yield result
    REAL.clear()


@pytest.fixture
def in_process(db):
    with _connection_kept():
        yield


POSITIVE_CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]
NEGATIVE_CHECKS = [not_a_server_error, negative_data_rejection]

# The studio's and the uploader's operations declare their error answers in one place
# (courses.studio.http.studio_responses); this keeps them declared.
STUDIO_PATHS = ("/api/studio/", "/api/media/")


@pytest.mark.parametrize("role", [ANONYMOUS, SIGNED_IN, ENROLLED, INSTRUCTOR])
@schema.parametrize()
@hypothesis.settings(
    suppress_health_check=[
        hypothesis.HealthCheck.function_scoped_fixture,  # the world is the module's
        hypothesis.HealthCheck.too_slow,  # a 2-core machine shared with other work
    ],
)
def test_api(case, role, callers, world, in_process):
    headers, cookies = callers[role]
    with rolled_back():
        # buffered: the whole answer (and Django's request_finished) inside the savepoint
        response = case.call(headers=headers, cookies=cookies, buffered=True)
    positive = case.meta is None or case.meta.generation.mode == GenerationMode.POSITIVE
    checks = POSITIVE_CHECKS if positive else NEGATIVE_CHECKS
    case.validate_response(response, checks=checks)
    body = response.content.decode(errors="replace")
    leaked = [text for text in (*world.secrets, str(OTHER_POSITION_S)) if text in body]
    assert not leaked, f"{case.method} {case.formatted_path} as {role} shows {leaked}"


def test_the_leak_check_would_see_the_second_learners_progress(world, in_process):
    """A control for the check above: their own progress answer carries their position."""
    operation = schema["/api/me/courses/{slug}/progress"]["GET"]
    case = operation.Case(path_parameters={"slug": world.course.slug})
    with rolled_back():
        response = case.call(cookies=_session_of(world.other), buffered=True)
    assert response.status_code == 200
    assert str(OTHER_POSITION_S) in response.text


def test_studio_api_documents_its_errors():
    undocumented = []
    for path, operations in schema.raw_schema["paths"].items():
        if not path.startswith(STUDIO_PATHS):
            continue
        for method, operation in operations.items():
            missing = {"401", "403", "404"} - set(map(str, operation["responses"]))
            if missing:
                undocumented.append(f"{method.upper()} {path}: {sorted(missing)}")
    assert not undocumented, "\n".join(undocumented)


def _unsafe_calls(w: World) -> list[tuple[str, str, dict, object]]:
    """Every unsafe operation of the schema with real objects and a body it accepts."""
    technique = w.paid.techniques.order_by("number")[0].pk
    version = str(w.version_id)
    bodies = {
        ("POST", "/api/lessons/{lesson_id}/progress"): {"position_s": 1, "ranges": [[0, 1]]},
        ("POST", "/api/techniques/{technique_id}/practice"): {"note": "csrf"},
        ("POST", "/api/studio/lessons/{lesson_id}/preview"): {"is_preview": False},
        ("POST", "/api/studio/lessons/{lesson_id}/uploads"): {"filename": "a.mp4", "size": 1},
        ("POST", "/api/media/uploads/{version_id}/part-urls"): {"part_numbers": [1]},
        ("POST", "/api/me/courses/{slug}/certificate"): {"full_name": "Learner"},
        ("POST", "/api/lessons/{lesson_id}/notes"): {"time_s": 1, "body": "csrf"},
        ("PATCH", "/api/notes/{note_id}"): {"body": "csrf"},
        ("PATCH", "/api/me/player-settings"): {"speed": 1.5},
    }
    params = {
        "lesson_id": w.paid.pk,
        "technique_id": technique,
        "version_id": version,
        "slug": w.course.slug,
        "note_id": w.learner_note.pk,
    }
    calls = []
    for path, operations in schema.raw_schema["paths"].items():
        for method in operations:
            if method.upper() in ("POST", "PUT", "PATCH", "DELETE"):
                names = [p for p in params if "{" + p + "}" in path]
                body = bodies.get((method.upper(), path))
                calls.append((method.upper(), path, {n: params[n] for n in names}, body))
    return calls


@pytest.mark.parametrize("role", [ENROLLED, INSTRUCTOR])
def test_unsafe_calls_without_the_csrf_token_are_refused(role, callers, world, in_process):
    """The session cookie alone does not do: a page of another site could send that."""
    _, cookies = callers[role]
    calls = _unsafe_calls(world)
    assert len(calls) >= 14, calls  # the API's POST, PATCH and DELETE operations
    wrong = []
    for method, path, path_parameters, body in calls:
        operation = schema[path][method]
        kwargs = {"body": body, "media_type": "application/json"} if body is not None else {}
        case = operation.Case(path_parameters=path_parameters, **kwargs)
        with rolled_back():
            response = case.call(cookies=cookies, buffered=True)
        if response.status_code != 403:
            wrong.append(f"{method} {path} as {role}: {response.status_code} {response.text}")
    assert not wrong, "\n".join(wrong)
