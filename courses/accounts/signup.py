"""Sign-up that tells nobody whether an e-mail address has an account.

Every valid sign-up gets the same answer, "check your inbox", and one mail to the address:

* a new address gets a confirmation link. The account does not exist until the link is
  opened: the link carries the username, the address and the password's hash, signed and
  valid for SIGNUP_LINK_MAX_AGE_S. So nothing is stored for addresses nobody confirms, a
  stranger cannot squat an address or a username by signing up with it, and the link works
  once (after that the address is taken);
* an address that already has an account gets a note saying so, with links to log in and to
  reset the password. Its owner learns someone tried; the person at the form learns nothing.

Both branches hash the password, so the answer takes as long either way.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.base_user import AbstractBaseUser
from django.contrib.auth.hashers import make_password
from django.core import signing
from django.core.mail import EmailMultiAlternatives
from django.db import IntegrityError, transaction
from django.template.loader import render_to_string

logger = logging.getLogger(__name__)

SIGNUP_SALT = "courses.accounts.signup"


class SignupLinkInvalid(Exception):
    """The link is broken, expired, or its address or username was taken meanwhile."""

    def __init__(self, message: str, *, already_confirmed: bool = False) -> None:
        super().__init__(message)
        self.already_confirmed = already_confirmed


@dataclass(frozen=True)
class PendingSignup:
    username: str
    email: str
    password_hash: str
    next_url: str


def email_registered(email: str) -> bool:
    return get_user_model().objects.filter(email__iexact=email.strip()).exists()


def signup_request(
    *, username: str, email: str, password: str, next_url: str,
    confirm_url_of: Callable[[str], str], login_url: str, reset_url: str,
) -> None:  # fmt: skip
    """Mail the address a confirmation link, or a note that it already has an account."""
    password_hash = make_password(password)  # in both branches: the same time either way
    email = email.strip()
    if email_registered(email):
        _mail(
            "signup_existing",
            "You already have an account",
            email,
            {"login_url": login_url, "reset_url": reset_url},
        )
        return
    token = signing.dumps(
        {"u": username, "e": email, "p": password_hash, "n": next_url},
        salt=SIGNUP_SALT,
        compress=True,
    )
    _mail(
        "signup_confirm",
        "Confirm your e-mail to finish creating your account",
        email,
        {"username": username, "confirm_url": confirm_url_of(token)},
    )


def signup_pending(*, token: str) -> PendingSignup:
    """What a confirmation link carries, or SignupLinkInvalid."""
    try:
        data = signing.loads(token, salt=SIGNUP_SALT, max_age=settings.SIGNUP_LINK_MAX_AGE_S)
    except signing.SignatureExpired as exc:
        raise SignupLinkInvalid("This link has expired. Please sign up again.") from exc
    except signing.BadSignature as exc:
        raise SignupLinkInvalid("This link is not valid. Please sign up again.") from exc
    pending = PendingSignup(data["u"], data["e"], data["p"], data.get("n", ""))
    if email_registered(pending.email):
        raise SignupLinkInvalid(
            "This e-mail address is already confirmed: log in.", already_confirmed=True
        )
    return pending


def signup_confirm(*, token: str) -> AbstractBaseUser:
    """Create the account a confirmation link describes (its address is verified now)."""
    pending = signup_pending(token=token)
    User = get_user_model()
    try:
        with transaction.atomic():
            if User.objects.filter(username__iexact=pending.username).exists():
                raise SignupLinkInvalid(
                    f"The username {pending.username} was taken meanwhile. "
                    "Please sign up again with another one."
                )
            # The database's case-insensitive unique index on e-mail settles a race
            # between two tabs confirming at once.
            user = User(username=pending.username, email=pending.email)
            user.password = pending.password_hash
            user.save()
    except IntegrityError as exc:
        raise SignupLinkInvalid(
            "This e-mail address is already confirmed: log in.", already_confirmed=True
        ) from exc
    return user


def _mail(template: str, subject: str, to: str, context: dict) -> None:
    message = EmailMultiAlternatives(
        subject=subject, body=render_to_string(f"emails/{template}.txt", context), to=[to]
    )
    message.attach_alternative(render_to_string(f"emails/{template}.html", context), "text/html")
    message.send()
