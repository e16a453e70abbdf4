"""GS1 identifiers: GTINs (with their check digit) and serial numbers (AI 21) in Digital Link URLs.

A GTIN is written in 8, 12, 13 or 14 digits; its last digit is a check digit (weights 3 and 1
alternating from the right, ignoring the check digit itself). PartLedger stores and links the
14-digit form (left-padded with zeros), as GS1 Digital Link does.
"""

from __future__ import annotations

import re

__all__ = ["GTIN_LENGTHS", "is_gs1_serial", "normalize_gtin"]

GTIN_LENGTHS = (8, 12, 13, 14)
_SERIAL = re.compile(r"[!\"%&'()*+,\-.0-9:;<=>?A-Z_a-z]{1,20}")
"""AI 21 (serial number): 1 to 20 characters of GS1 character set 82 (without ``/``, which
cannot appear in a URL path segment, even percent-encoded, on every server)."""


def _check_digit(body: str) -> int:
    total = sum(int(d) * (3 if i % 2 == 0 else 1) for i, d in enumerate(reversed(body)))
    return (10 - total % 10) % 10


def normalize_gtin(value: str) -> str:
    """``value`` as a 14-digit GTIN (``ValueError`` unless it is a GTIN-8/12/13/14 whose check
    digit is right)."""
    digits = value.strip()
    if not digits.isascii() or not digits.isdigit() or len(digits) not in GTIN_LENGTHS:
        raise ValueError("a GTIN is 8, 12, 13 or 14 digits")
    if _check_digit(digits[:-1]) != int(digits[-1]):
        raise ValueError(f"the GTIN's check digit is wrong (expected {_check_digit(digits[:-1])})")
    return digits.zfill(14)


def is_gs1_serial(serial: str) -> bool:
    """Whether ``serial`` can be a GS1 serial number (AI 21) in a Digital Link URL."""
    return _SERIAL.fullmatch(serial) is not None
