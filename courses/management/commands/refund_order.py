"""`python manage.py refund_order ORDER` or `--user USERNAME --course SLUG`: refund a paid
order through Stripe and revoke the seat it bought (the studio's Refund button, scripted)."""

from django.core.management.base import BaseCommand, CommandError

from courses.commerce.gateway import PaymentProviderUnavailable
from courses.commerce.selectors import user_paid_order
from courses.commerce.services.orders import OrderError
from courses.commerce.services.payments import order_refund
from courses.management.lookups import course_get_or_fail, user_get_or_fail
from courses.models import Order


class Command(BaseCommand):
    help = "Refund a paid order (by number, or a user's order for a course) and revoke access."

    def add_arguments(self, parser):
        parser.add_argument("order", nargs="?", help="the order number, e.g. ORD-7K3M-9Q2X")
        parser.add_argument("--user", help="username whose paid order to refund (with --course)")
        parser.add_argument("--course", help="course slug (with --user)")
        parser.add_argument("--reason", default="", help="recorded on the order and shown to staff")

    def handle(self, *args, order=None, user=None, course=None, reason="", **options):
        if bool(order) == bool(user or course) or bool(user) != bool(course):
            raise CommandError("Give an order number, or both --user and --course.")
        if order:
            found = Order.objects.filter(number=order.strip().upper()).first()
            if found is None:
                raise CommandError(f"No order {order!r}.")
        else:
            buyer, the_course = user_get_or_fail(user), course_get_or_fail(course)
            found = user_paid_order(user=buyer, course=the_course)
            if found is None:
                raise CommandError(f"{user} has no paid order for {course}; nothing refunded.")
        try:
            refunded = order_refund(order=found, reason=reason or "Refunded by staff (command)")
        except (OrderError, PaymentProviderUnavailable) as error:
            raise CommandError(f"Order {found.number} was not refunded: {error}") from None
        self.stdout.write(
            self.style.SUCCESS(
                f"Refunded order {refunded.number} ({refunded.user.get_username()},"
                f" {refunded.course.slug}); access revoked."
            )
        )
