"""Selling courses: prices now; orders, payments, coupons and refunds build on it."""
