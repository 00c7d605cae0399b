"""Site-wide response headers Django's SecurityMiddleware does not set."""

from functools import lru_cache
from urllib.parse import urlsplit

from django.conf import settings

# No page uses these browser features; a script injected into one could not either.
PERMISSIONS_POLICY = (
    ", ".join(
        f"{feature}=()"
        for feature in (
            "camera",
            "microphone",
            "geolocation",
            "usb",
            "serial",
            "bluetooth",
            "magnetometer",
            "gyroscope",
            "accelerometer",
        )
    )
    + ', payment=(self "https://js.stripe.com")'
)  # Stripe's card element may ask for it


class PermissionsPolicyMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        response.headers.setdefault("Permissions-Policy", PERMISSIONS_POLICY)
        return response


def _origin(url: str) -> str:
    parts = urlsplit(url or "")
    return f"{parts.scheme}://{parts.netloc}" if parts.scheme and parts.netloc else ""


@lru_cache(maxsize=8)
def content_security_policy(media_origin: str, stripe_js: str, stripe_api: str) -> str:
    """The policy for these origins: scripts only from files of this site (no inline
    script anywhere) and Stripe.js; media, posters and uploads from the object store."""
    stripe_frames = (
        "https://js.stripe.com https://hooks.stripe.com" if "stripe.com" in stripe_js else ""
    )
    directives = {
        "default-src": "'self'",
        "script-src": f"'self' {stripe_js}",
        "connect-src": f"'self' {media_origin} {stripe_api} {stripe_js}",
        "img-src": f"'self' data: blob: {media_origin}",
        "media-src": f"'self' blob: {media_origin}",
        "worker-src": "'self' blob:",  # hls.js runs its demuxer in a blob: worker
        "frame-src": stripe_frames or "'none'",
        "style-src": "'self'",
        "style-src-attr": "'unsafe-inline'",  # progress bars set a width in style="…"
        "font-src": "'self'",
        "object-src": "'none'",
        "base-uri": "'self'",
        "form-action": "'self'",
        "frame-ancestors": "'none'",
    }
    return "; ".join(f"{name} {' '.join(value.split())}" for name, value in directives.items())


class ContentSecurityPolicyMiddleware:
    """The CSP of every page, built from the settings as they are (the object store's and
    Stripe's origins differ between production, `make run` and the tests)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if "Content-Security-Policy" not in response.headers:
            stripe_api = settings.STRIPE_API_BASE or "https://api.stripe.com"
            response.headers["Content-Security-Policy"] = content_security_policy(
                _origin(settings.AWS_S3_PUBLIC_ENDPOINT_URL or settings.AWS_S3_ENDPOINT_URL or ""),
                _origin(settings.STRIPE_JS_URL),
                _origin(stripe_api),
            )
        return response
