"""The client's IP address, for rate limits and logs, behind as many proxies as we trust.

REMOTE_ADDR is the proxy's address when the site runs behind a TLS proxy: every visitor
would share one rate limit. With TRUSTED_PROXY_COUNT = N, the address N entries from the
right of X-Forwarded-For is the client's (the ones further left are client-supplied and
can be forged, so they are never used).
"""

import ipaddress

from django.conf import settings
from django.http import HttpRequest


def client_ip(request: HttpRequest) -> str:
    trusted = settings.TRUSTED_PROXY_COUNT
    remote = request.META.get("REMOTE_ADDR", "") or "unknown"
    if trusted <= 0:
        return remote
    hops = [h.strip() for h in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if h.strip()]
    return hops[-trusted] if len(hops) >= trusted else remote


def client_ip_address(request: HttpRequest) -> str | None:
    """client_ip, or None when it is not an IP address (django-axes stores it as one)."""
    ip = client_ip(request)
    try:
        return str(ipaddress.ip_address(ip))
    except ValueError:
        return None
