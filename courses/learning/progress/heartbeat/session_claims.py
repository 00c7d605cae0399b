"""Who a request's session says is logged in, checked against a user row the caller loaded.

django.contrib.auth.get_user() loads the user with a query of its own. The player's
heartbeat, the busiest endpoint, loads the user's password hash in the same query
as everything else it needs (see heartbeat.selectors.beat_context_get), then
checks the session here exactly as get_user() would for the common case: the
ModelBackend and a session hash made with the current SECRET_KEY. Every other case
(another backend, a hash made with a key in SECRET_KEY_FALLBACKS, a bad hash) is
not decided here: the caller falls back to get_user(), which rotates or flushes the
session as Django does.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY, get_user_model
from django.http import HttpRequest
from django.utils.crypto import constant_time_compare

MODEL_BACKEND = "django.contrib.auth.backends.ModelBackend"


@dataclass(frozen=True)
class SessionClaim:
    user_id: int
    backend: str
    auth_hash: str


def session_claim_get(request: HttpRequest) -> SessionClaim | None:
    """The session's login, unverified (no query; the session itself may be cached)."""
    session = request.session
    try:
        raw_id, backend = session[SESSION_KEY], session[BACKEND_SESSION_KEY]
    except KeyError:
        return None
    try:
        user_id = int(get_user_model()._meta.pk.to_python(raw_id))
    except (TypeError, ValueError):
        return None
    auth_hash = session.get(HASH_SESSION_KEY) or ""
    return SessionClaim(user_id=user_id, backend=backend, auth_hash=auth_hash)


def session_claim_holds(claim: SessionClaim, *, password: str, is_active: bool) -> bool:
    """True when get_user() would accept this session for a user with this row, unchanged.

    False means "not decided here", not "refused": ask get_user().
    """
    if claim.backend != MODEL_BACKEND or MODEL_BACKEND not in settings.AUTHENTICATION_BACKENDS:
        return False
    if not is_active:  # ModelBackend.user_can_authenticate()
        return False
    # The user model's own HMAC of the password hash (AbstractBaseUser.get_session_auth_hash).
    expected = get_user_model()(password=password).get_session_auth_hash()
    return bool(claim.auth_hash) and constant_time_compare(claim.auth_hash, expected)
