"""Site-wide response headers Django's SecurityMiddleware does not set."""

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
