"""Money as people read it: integer minor units and an ISO 4217 code, never floats.

Pure functions, so the server computes every amount itself and pages, receipts and
the studio all write it the same way.
"""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation

CURRENCY_RE = re.compile(r"^[A-Z]{3}$")

# Currencies whose minor unit is not a hundredth (ISO 4217); all others have 2 decimals.
MINOR_UNIT_DIGITS = {"BIF": 0, "CLP": 0, "JPY": 0, "KRW": 0, "PYG": 0, "VND": 0, "XAF": 0,
                     "XOF": 0, "BHD": 3, "JOD": 3, "KWD": 3, "OMR": 3, "TND": 3}  # fmt: skip
SYMBOLS = {"USD": "$", "EUR": "€", "GBP": "£", "JPY": "¥"}


def minor_unit_digits(currency: str) -> int:
    return MINOR_UNIT_DIGITS.get(currency.upper(), 2)


def money_label(amount_minor: int, currency: str) -> str:
    """14900 USD → "$149.00"; 14900 CHF → "149.00 CHF"; 1500 JPY → "¥1,500"."""
    if amount_minor < 0:
        return "−" + money_label(-amount_minor, currency)
    currency = currency.upper()
    digits = minor_unit_digits(currency)
    whole, fraction = divmod(amount_minor, 10**digits)
    number = f"{whole:,}" + (f".{fraction:0{digits}d}" if digits else "")
    symbol = SYMBOLS.get(currency)
    return f"{symbol}{number}" if symbol else f"{number} {currency}"


def course_price_label(course) -> str:
    """What a course costs, for the catalog and the course page: "Free" or "$149.00"."""
    if not course.price_minor:
        return "Free"
    return money_label(course.price_minor, course.currency)


def price_to_minor(value: str | int | float, currency: str) -> int:
    """ "149.00" (or 149, or 149.5) in `currency` → 14900; ValueError says what is wrong.

    A float is read through its shortest decimal form, so 149.99 is 14999, never 14998.
    """
    try:
        amount = Decimal(str(value).strip())
    except InvalidOperation:
        raise ValueError(f"{value!r} is not an amount; write it like 149.00") from None
    if not amount.is_finite() or amount < 0:
        raise ValueError(f"{value!r} is not an amount; write it like 149.00")
    digits = minor_unit_digits(currency)
    minor = amount.scaleb(digits)
    if minor != minor.to_integral_value():
        raise ValueError(f"{value!r} has more than {digits} decimals for {currency}")
    if minor > 2**31 - 1:
        raise ValueError(f"{value!r} is too large")
    return int(minor)


def coupon_discount_minor(
    *, price_minor: int, percent_off: int | None, amount_off_minor: int | None
) -> int:
    """How much a coupon takes off a price: never more than the price, never negative.

    Percentages round half up to the minor unit (15 % of 149.99 is 22.50, not 22.49).
    """
    if percent_off is not None:
        discount = (price_minor * percent_off * 2 + 100) // 200
    else:
        discount = amount_off_minor or 0
    return max(0, min(price_minor, discount))
