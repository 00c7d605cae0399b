"""Buying, orders, codes, the Stripe webhook, and the studio's sales pages."""

from django.urls import path

from courses.commerce.views import checkout, orders, staff, webhook

app_name = "commerce"
urlpatterns = [
    path("courses/<slug:slug>/buy/", checkout.buy, name="buy"),
    path("courses/<slug:slug>/redeem/", orders.redeem, name="redeem"),
    path("orders/", orders.orders, name="orders"),
    path("orders/<str:number>/", orders.receipt, name="receipt"),
    path("orders/<str:number>/pay/", checkout.order_pay, name="order_pay"),
    path("orders/<str:number>/pay/setup", checkout.payment_setup, name="payment_setup"),
    path("orders/<str:number>/pay/charge", checkout.payment_charge, name="payment_charge"),
    path("orders/<str:number>/pay/confirm", checkout.payment_confirm, name="payment_confirm"),
    path("orders/<str:number>/pay/free", checkout.order_free, name="order_free"),
    path("orders/<str:number>/complete/", checkout.order_complete, name="order_complete"),
    path("payments/stripe/webhook/", webhook.stripe_webhook, name="stripe_webhook"),
    path("studio/orders/", staff.studio_orders, name="studio_orders"),
    path("studio/orders.csv", staff.studio_orders_csv, name="studio_orders_csv"),
    path(
        "studio/orders/<str:number>/refund", staff.studio_order_refund, name="studio_order_refund"
    ),
    path("studio/courses/<slug:slug>/codes/", staff.studio_codes, name="studio_codes"),
    path("studio/courses/<slug:slug>/codes.csv", staff.studio_codes_csv, name="studio_codes_csv"),
    path(
        "studio/courses/<slug:slug>/codes/<int:code_id>/revoke",
        staff.studio_code_revoke,
        name="studio_code_revoke",
    ),
]
