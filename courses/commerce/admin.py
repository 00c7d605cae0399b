"""Admin for selling: orders (with a refund action), coupons, single-use codes, Stripe events."""

from django.contrib import admin, messages

from courses import access
from courses.commerce.gateway import PaymentProviderUnavailable
from courses.commerce.services.orders import OrderError
from courses.commerce.services.payments import order_refund
from courses.models import AccessCode, Coupon, Order, StripeEvent


@admin.register(Order)
class OrderAdmin(admin.ModelAdmin):
    list_display = ("number", "user", "course", "status", "amount_minor", "currency",
                    "coupon_code", "paid_at", "refunded_at")  # fmt: skip
    list_filter = ("status", "course", "currency")
    list_select_related = ("user", "course")
    search_fields = ("number", "user__username", "user__email", "stripe_payment_intent_id")
    date_hierarchy = "created_at"
    actions = ["refund_selected"]
    # An order is changed only by its services (state machine, Stripe): read-only here.
    readonly_fields = [field.name for field in Order._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.action(description="Refund selected paid orders (revokes access)")
    def refund_selected(self, request, queryset):
        if not access.can_refund_orders(request.user):
            self.message_user(request, "You may not refund orders.", messages.ERROR)
            return
        for order in queryset:
            try:
                order_refund(order=order, reason=f"Refunded by {request.user} (admin)")
            except (OrderError, PaymentProviderUnavailable) as error:
                self.message_user(request, f"{order.number}: {error}", messages.ERROR)
            else:
                self.message_user(request, f"{order.number} refunded.", messages.SUCCESS)


@admin.register(Coupon)
class CouponAdmin(admin.ModelAdmin):
    list_display = ("code", "course", "percent_off", "amount_off_minor", "valid_from",
                    "valid_until", "max_redemptions", "is_active")  # fmt: skip
    list_filter = ("course", "is_active")
    search_fields = ("code",)


@admin.register(AccessCode)
class AccessCodeAdmin(admin.ModelAdmin):
    list_display = ("code", "course", "batch", "created_at", "redeemed_by", "redeemed_at",
                    "revoked_at")  # fmt: skip
    list_filter = ("course", "batch")
    search_fields = ("code", "batch", "redeemed_by__username")
    readonly_fields = ("code", "created_at", "created_by", "redeemed_by", "redeemed_at")


@admin.register(StripeEvent)
class StripeEventAdmin(admin.ModelAdmin):
    list_display = ("event_id", "type", "order", "outcome", "received_at")
    list_filter = ("type",)
    search_fields = ("event_id", "order__number")
    readonly_fields = ("event_id", "type", "payload", "order", "outcome", "received_at")

    def has_add_permission(self, request):
        return False
