"""GET /api/health against the real database, broker and object store."""

import pytest
from django.test import Client

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def fresh_health(monkeypatch):
    from config import health

    monkeypatch.setattr(health, "_last", None)  # each test sees its own services


def test_health_is_ok_when_everything_answers(seaweedfs):
    response = Client().get("/api/health")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok"
    assert all(body[name]["ok"] for name in ("database", "broker", "storage"))


def test_health_names_the_service_that_is_down(seaweedfs, settings):
    from media_pipeline.storage import _client

    settings.AWS_S3_ENDPOINT_URL = "http://127.0.0.1:9"  # nothing listens on discard
    _client.cache_clear()
    try:
        response = Client().get("/api/health")
    finally:
        _client.cache_clear()
    assert response.status_code == 503
    body = response.json()
    assert body["storage"]["ok"] is False and body["database"]["ok"] is True
    assert body["status"] == "down: storage"


def test_health_keeps_the_reason_for_staff_and_the_log(seaweedfs, settings, caplog):
    from media_pipeline.storage import _client
    from tests.factories import UserFactory

    settings.AWS_S3_ENDPOINT_URL = "http://127.0.0.1:9"
    _client.cache_clear()
    staff = Client()
    staff.force_login(UserFactory(is_staff=True))
    try:
        public = Client().get("/api/health").json()
        detailed = staff.get("/api/health").json()
    finally:
        _client.cache_clear()
    assert public["storage"] == {"ok": False, "error": None}  # no hosts or ports for the public
    assert "127.0.0.1" not in str(public)
    assert detailed["storage"]["error"]
    assert any("storage is down" in record.message for record in caplog.records)


def test_every_answer_has_a_permissions_policy(seaweedfs):
    response = Client().get("/api/health")
    assert "camera=()" in response["Permissions-Policy"]
    assert "geolocation=()" in Client().get("/").headers["Permissions-Policy"]


def test_a_stalled_object_store_answers_down_within_seconds(seaweedfs, settings):
    """An S3 that accepts connections and never answers: the health check (a web request)
    gives up after one short attempt instead of 5 attempts of 60 s."""
    import socket
    import time

    from media_pipeline.storage import _client

    stall = socket.socket()
    stall.bind(("127.0.0.1", 0))
    stall.listen(16)  # accepts (kernel backlog) and never reads or answers
    settings.AWS_S3_ENDPOINT_URL = f"http://127.0.0.1:{stall.getsockname()[1]}"
    _client.cache_clear()
    started = time.monotonic()
    try:
        response = Client().get("/api/health")
    finally:
        _client.cache_clear()
        stall.close()
    assert response.status_code == 503 and response.json()["storage"]["ok"] is False
    assert time.monotonic() - started < 10


def test_every_page_has_a_content_security_policy_without_inline_script(client, settings):
    settings.AWS_S3_PUBLIC_ENDPOINT_URL = "https://media.example.org"
    settings.STRIPE_JS_URL = "https://js.stripe.com/v3/"
    settings.STRIPE_API_BASE = ""
    policy = client.get("/").headers["Content-Security-Policy"]
    directives = dict(part.strip().split(" ", 1) for part in policy.split(";"))
    assert directives["script-src"] == "'self' https://js.stripe.com"
    assert "'unsafe-inline'" not in directives["script-src"] and "'unsafe-eval'" not in policy
    assert "https://media.example.org" in directives["media-src"]
    assert "https://api.stripe.com" in directives["connect-src"]
    assert directives["frame-ancestors"] == "'none'" and directives["object-src"] == "'none'"
