"""Sign-up without telling whether an address has an account, confirmed by e-mail, and one
account per address whatever its case (a database index, not just the form)."""

import re

import pytest
from django.contrib.auth import get_user_model
from django.db import IntegrityError, transaction
from django.test import Client
from django.urls import reverse

from tests.factories import PASSWORD, UserFactory

pytestmark = pytest.mark.django_db
User = get_user_model()


def signup(client, username, email, password=PASSWORD, **extra):
    data = {"username": username, "email": email, "password1": password, "password2": password}
    return client.post(reverse("signup"), {**data, **extra})


def link_in(message) -> str:
    return re.search(r"https?://\S+/accounts/signup/confirm/\S+/", message.body).group(0)


def path_of(url: str) -> str:
    return re.sub(r"^https?://[^/]+", "", url)


def test_a_new_address_gets_a_link_and_the_account_exists_once_it_is_confirmed(mailoutbox):
    client = Client()
    response = signup(client, "carol", "carol@example.com", next="/courses/")
    assert response.status_code == 200
    assert "Check your inbox" in response.content.decode()
    assert not User.objects.filter(username="carol").exists()  # nothing until confirmed
    assert "_auth_user_id" not in client.session
    (mail,) = mailoutbox
    assert mail.to == ["carol@example.com"] and "Confirm your e-mail" in mail.subject
    link = path_of(link_in(mail))
    # Opening the link (or a mail scanner fetching it) creates nothing: it asks.
    page = client.get(link)
    assert page.status_code == 200 and "Confirm and log in" in page.content.decode()
    assert not User.objects.filter(username="carol").exists()
    response = client.post(link)
    assert response.status_code == 302 and response.url == "/courses/"  # where it started
    carol = User.objects.get(username="carol")
    assert carol.email == "carol@example.com" and carol.check_password(PASSWORD)
    assert client.session["_auth_user_id"] == str(carol.pk)
    # The link works once.
    again = Client().post(link)
    assert again.status_code == 400 and "already confirmed" in again.content.decode()
    assert User.objects.filter(email__iexact="carol@example.com").count() == 1


def test_a_registered_address_gets_the_same_answer_and_its_owner_a_note(mailoutbox):
    UserFactory(username="alice", email="alice@example.com")
    taken = signup(Client(), "other", "ALICE@example.com")
    fresh = signup(Client(), "newbie", "newbie@example.com")
    assert taken.status_code == fresh.status_code == 200
    # The two pages differ only by the address typed: nothing says which one has an account.
    assert taken.content.decode().replace(
        "ALICE@example.com", "X"
    ) == fresh.content.decode().replace("newbie@example.com", "X")
    note, confirm = mailoutbox
    assert note.to == ["ALICE@example.com"] and note.subject == "You already have an account"
    assert "/accounts/login/" in note.body and "/accounts/password_reset/" in note.body
    assert "/accounts/signup/confirm/" not in note.body
    assert confirm.to == ["newbie@example.com"]
    assert not User.objects.filter(username="other").exists()


def test_a_refused_form_keeps_what_was_typed_and_says_why(mailoutbox):
    response = signup(Client(), "dora", "dora@example.com", password="123")
    html = response.content.decode()
    assert response.status_code == 200 and "too short" in html
    assert 'value="dora"' in html and 'value="dora@example.com"' in html
    assert mailoutbox == []


def test_only_a_safe_next_is_kept_through_the_link(mailoutbox):
    signup(Client(), "erin", "erin@example.com", next="https://evil.example/")
    client = Client()
    response = client.post(path_of(link_in(mailoutbox[0])))
    assert response.url == reverse("courses:dashboard")


def test_broken_expired_and_overtaken_links_are_refused_with_a_way_on(mailoutbox, settings):
    signup(Client(), "fay", "fay@example.com")
    link = path_of(link_in(mailoutbox[0]))
    broken = Client().get(link.replace("/confirm/", "/confirm/x"))
    assert broken.status_code == 400 and "not valid" in broken.content.decode()
    settings.SIGNUP_LINK_MAX_AGE_S = -1
    expired = Client().post(link)
    assert expired.status_code == 400 and "expired" in expired.content.decode()
    settings.SIGNUP_LINK_MAX_AGE_S = 3600
    UserFactory(username="Fay", email="someone-else@example.com")  # took the name meanwhile
    overtaken = Client().post(link)
    assert overtaken.status_code == 400 and "was taken meanwhile" in overtaken.content.decode()
    assert not User.objects.filter(email="fay@example.com").exists()


def test_the_database_refuses_a_second_account_for_an_address_in_another_case():
    UserFactory(username="gil", email="gil@example.com")
    with pytest.raises(IntegrityError), transaction.atomic():
        User.objects.create_user("gil2", email="GIL@Example.com", password=PASSWORD)
    # Accounts without an address are not affected.
    User.objects.create_user("nomail1", email="")
    User.objects.create_user("nomail2", email="")


def test_pages_of_the_flow_are_plain_and_titled(mailoutbox):
    signup(Client(), "hal", "hal@example.com")
    page = Client().get(path_of(link_in(mailoutbox[0]))).content.decode()
    assert "<h1>Confirm your account</h1>" in page and "hal@example.com" in page
