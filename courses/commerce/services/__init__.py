"""Writes of the commerce domain, one module per job: coupons, orders, payments (Stripe),
Stripe webhook events, single-use codes, and the e-mails they send."""
