"""Money as people read it: integer minor units and an ISO 4217 code, never floats.

Pure functions, so the server computes every amount itself and pages, receipts and
the studio all write it the same way.
"""

from __future__ import annotations

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
