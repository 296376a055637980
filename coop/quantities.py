"""Quantities and unit prices as integers.

Quantities are kept in thousandths of the unit (QTY_SCALE): 2.5 kg is 2500.
Unit prices and retail prices are kept in millionths of the currency's major
unit (PRICE_SCALE), since a price per gram may need 6 decimals: 42.50 som is
42_500_000. Weights per unit are in thousandths of a kilogram (grams).
"""

from __future__ import annotations

from decimal import Decimal

from flask_babel import lazy_gettext as _l

from coop.money import MoneyError, format_number, half_up_div, minor_digits, parse_decimal

QTY_SCALE = 1000
PRICE_SCALE = 1_000_000
WEIGHT_SCALE = 1000
MAX_QTY = 10**9 * QTY_SCALE


def _scaled(value: Decimal, scale: int, places: int, what: object) -> int:
    if value.as_tuple().exponent < -places:  # type: ignore[operator]
        raise MoneyError(_l("%(what)s: at most %(n)d decimals.", what=what, n=places))
    return int(value * scale)


NEGATIVE_QUANTITY = _l("A quantity cannot be negative.")


def parse_quantity(text: str | Decimal, *, negative: object = NEGATIVE_QUANTITY) -> int:
    """`negative`: what a negative number is told (the box it was typed in)."""
    value = text if isinstance(text, Decimal) else parse_decimal(text)
    if value < 0:
        raise MoneyError(negative)
    if value * QTY_SCALE > MAX_QTY:
        raise MoneyError(_l("The quantity is too large."))
    return _scaled(value, QTY_SCALE, 3, _l("Quantity"))


def parse_price(text: str | Decimal) -> int:
    value = text if isinstance(text, Decimal) else parse_decimal(text)
    if value < 0:
        raise MoneyError(_l("A price cannot be negative."))
    if value >= 10**10:
        raise MoneyError(_l("The price is too large."))
    return _scaled(value, PRICE_SCALE, 6, _l("Price"))


def parse_weight(text: str | Decimal) -> int:
    value = text if isinstance(text, Decimal) else parse_decimal(text)
    if value < 0:
        raise MoneyError(_l("A weight cannot be negative."))
    if value >= 10**6:
        raise MoneyError(_l("The weight is too large."))
    return _scaled(value, WEIGHT_SCALE, 3, _l("Weight"))


def _plain(value: int, scale: int) -> str:
    """'2.5', '13', '0.001': normalised, no exponent, no trailing zeros."""
    text = format(Decimal(value) / scale, "f")
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return text or "0"


def qty_str(milli: int) -> str:
    return _plain(milli, QTY_SCALE)


def price_str(micro: int) -> str:
    return _plain(micro, PRICE_SCALE)


def weight_str(grams: int) -> str:
    return _plain(grams, WEIGHT_SCALE)


class LocalNumber:
    """An integer at a scale that shows itself in the language of whoever reads
    the message it is in ('0,5' in Russian, '0.5' in English): messages are
    lazy, so it is formatted when the message is, not when it is made."""

    __slots__ = ("scale", "value")

    def __init__(self, value: int, scale: int = QTY_SCALE) -> None:
        self.value, self.scale = value, scale

    def __str__(self) -> str:
        from coop.i18n import current_locale

        return format_number(Decimal(self.value) / self.scale, current_locale())

    def __repr__(self) -> str:
        return f"LocalNumber({self.value}, {self.scale})"


def local_qty(milli: int) -> LocalNumber:
    """A quantity in thousandths for a message: '0,5' in the reader's locale."""
    return LocalNumber(milli, QTY_SCALE)


def qty_decimal(milli: int) -> Decimal:
    return Decimal(milli) / QTY_SCALE


def line_amount(qty_milli: int, price_micro: int, currency: str) -> int:
    """half-up(quantity × unit price) in minor units."""
    denominator = QTY_SCALE * PRICE_SCALE // 10 ** minor_digits(currency)
    return half_up_div(qty_milli * price_micro, denominator)
