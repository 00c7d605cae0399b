"""CSV files staff open in a spreadsheet: one writer for every export (orders, codes,
analytics), with cells neutralised against formula injection.

A learner's name or a coupon code that starts with = + - @ (or a tab or carriage return)
would run as a formula in Excel or LibreOffice; such cells get a leading apostrophe, which
spreadsheets show as text and strip. Numbers stay numbers.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable

from django.http import HttpResponse

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def cell_safe(value):
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def csv_response(*, filename: str, header: list[str], rows: Iterable[Iterable]) -> HttpResponse:
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    writer = csv.writer(response)
    writer.writerow(header)
    for row in rows:
        writer.writerow([cell_safe(value) for value in row])
    return response
