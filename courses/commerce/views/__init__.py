"""Pages and endpoints of commerce: buying (checkout), the buyer's orders, codes, the Stripe
webhook, and the staff's orders and codes in the studio."""
