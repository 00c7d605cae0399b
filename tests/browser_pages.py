"""A Playwright page for a browser test, optionally signed in, that records script errors."""

from django.conf import settings
from django.test import Client


def new_page(browser, live_server, user=None, **context_options):
    """A page (optionally carrying `user`'s session cookie) that records script errors."""
    context = browser.new_context(**context_options)
    if user is not None:
        client = Client()
        client.force_login(user)
        cookie = client.cookies[settings.SESSION_COOKIE_NAME].value
        context.add_cookies(
            [{"name": settings.SESSION_COOKIE_NAME, "value": cookie, "url": live_server.url}]
        )
    page = context.new_page()
    page.errors = []
    page.on("pageerror", lambda error: page.errors.append(str(error)))
    return page
