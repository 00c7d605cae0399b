"""`/payments/stripe/webhook/`: Stripe's signed events (localstripe's under `make run`)."""

import logging

from django.http import HttpRequest, HttpResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from courses.commerce.gateway import WebhookSignatureInvalid
from courses.commerce.services.events import stripe_webhook_receive
from courses.commerce.services.orders import OrderError

logger = logging.getLogger(__name__)


@csrf_exempt  # Stripe signs the body instead; a bad signature changes nothing (400)
@require_POST
def stripe_webhook(request: HttpRequest) -> HttpResponse:
    try:
        outcome = stripe_webhook_receive(
            payload=request.body, signature_header=request.headers.get("Stripe-Signature", "")
        )
    except WebhookSignatureInvalid as error:
        logger.warning("stripe webhook refused: %s", error)
        return HttpResponse("invalid signature", status=400, content_type="text/plain")
    except OrderError as error:
        # Not retryable (e.g. an amount that is not the order's): logged, acknowledged.
        logger.error("stripe webhook not applied: %s", error)
        return HttpResponse(str(error), content_type="text/plain")
    return HttpResponse(outcome, content_type="text/plain")
