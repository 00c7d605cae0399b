"""Sends the anonymous viewer cookie that delivery.grants minted during the request."""

from media_pipeline.delivery.grants import (
    VIEWER_COOKIE,
    VIEWER_COOKIE_MAX_AGE_S,
    VIEWER_COOKIE_SALT,
)


class ViewerCookieMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        nonce = getattr(request, "media_viewer_new", None)
        if nonce:
            response.set_signed_cookie(
                VIEWER_COOKIE, nonce, salt=VIEWER_COOKIE_SALT, max_age=VIEWER_COOKIE_MAX_AGE_S,
                httponly=True, samesite="Lax", secure=request.is_secure(),
            )  # fmt: skip
        return response
