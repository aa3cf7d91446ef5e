"""Money as integer minor units (kopeck, fen) and prices with at most two decimals: never floats."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from enum import StrEnum

MINOR_PER_MAJOR = 100  # BYN = 100 kopecks, CNY = 100 fen
MAX_MINOR = 2**62  # ledger columns are 64-bit; leave headroom for sums


class Currency(StrEnum):
    BYN = "BYN"
    CNY = "CNY"


def parse_price(text: str) -> int:
    """'12.5' -> 1250 minor units. Raises ValueError for anything but a positive number with at most
    two decimals (no exponent, no sign, no thousands separators)."""
    cleaned = text.strip()
    if not cleaned or any(c not in "0123456789." for c in cleaned) or cleaned.count(".") > 1:
        raise ValueError("a price is a positive number with at most two decimals, e.g. 61.25")
    try:
        value = Decimal(cleaned)
    except InvalidOperation as exc:  # pragma: no cover - excluded by the character check above
        raise ValueError("not a number") from exc
    if "." in cleaned and len(cleaned.split(".")[1]) > 2:
        raise ValueError("a price has at most two decimals")
    minor = int(value * MINOR_PER_MAJOR)
    if minor <= 0:
        raise ValueError("a price must be positive")
    if minor >= MAX_MINOR:
        raise ValueError("price too large")
    return minor


def format_minor(minor: int) -> str:
    """1250 -> '12.50' (exact, also for negative amounts)."""
    sign = "-" if minor < 0 else ""
    whole, cents = divmod(abs(minor), MINOR_PER_MAJOR)
    return f"{sign}{whole}.{cents:02d}"


def to_decimal(minor: int) -> Decimal:
    return Decimal(minor) / MINOR_PER_MAJOR


def amount_minor(price_minor: int, quantity: int) -> int:
    """Cash for `quantity` units at `price_minor` per unit: exact integer product."""
    return price_minor * quantity


def fee_minor(notional_minor: int, fee_bp: int) -> int:
    """A fee in basis points of a notional, rounded half up to a whole minor unit (integer arithmetic)."""
    if fee_bp < 0:
        raise ValueError("fee must not be negative")
    return (notional_minor * fee_bp + 5_000) // 10_000
