"""Money in integer minor units: parse what people type, format for a locale,
split a total exactly (largest remainder).

No floats anywhere. `Decimal` appears only at the edges (parsing and formatting).
Error messages are lazy translatable strings so that a form or an API can show
them in the user's language; outside a Flask app they read as English.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from decimal import Decimal, InvalidOperation
from functools import lru_cache
from itertools import repeat
from operator import add, floordiv, mod, mul

from babel.numbers import format_currency, format_decimal, get_currency_precision
from flask_babel import lazy_gettext as _l

# Amounts above this (in major units) are refused as typing mistakes.
MAX_MAJOR = 10**12

# Thousands separators people type: spaces of every width (a spreadsheet or
# Babel writes U+00A0 or U+202F), apostrophes. A minus may be typographic.
_GROUP_SPACES = re.compile(r"[ \u00a0\u202f\u2009\u2007'’]")
_CANONICAL = re.compile(r"-?[0-9]+(\.[0-9]+)?")
# What a person may type, after the spaces between thousands became " ":
_PLAIN_TYPED = re.compile(r"-?[0-9]+([.,][0-9]+)?")
_SPACED = re.compile(r"-?[0-9]{1,3}( [0-9]{3})+([.,][0-9]+)?")
MAX_NUMBER_TEXT = 40
# What a form keeps of a number as typed (to show it again): one character
# more than a number may have, so that a longer one is still refused.
TYPED_LIMIT = MAX_NUMBER_TEXT + 1

class MoneyError(ValueError):
    """A value that is not an amount of money (the message says why)."""

    def __init__(self, message: object) -> None:
        super().__init__(message)
        self.message = message

    def __str__(self) -> str:
        return str(self.message)


def minor_digits(currency: str) -> int:
    """How many decimals the currency's minor unit has (KGS, TJS, USD: 2)."""
    return int(get_currency_precision(currency))


def _typed_to_canonical(text: str) -> str | None:
    """'1 234,50', '1.234,50', '1,234.50', '1.234.567' or '1234.5' as '1234.50'…;
    None for anything else ('1..5', '1,2,3', '5-', '1e5', 'NaN').

    Spaces (of any width) and apostrophes may only stand between groups of
    three digits. When both '.' and ',' appear, the last one is the decimal
    separator and the other separates groups of three; a lone '.' or ',' is the
    decimal separator (Russian, Kyrgyz and Tajik write a decimal comma);
    several of one kind separate groups of three, with no decimals.
    """
    s = text.strip().replace("\u2212", "-")
    s = _GROUP_SPACES.sub(" ", s)
    if " " in s:
        if not _SPACED.fullmatch(s):
            return None
        return s.replace(" ", "").replace(",", ".")
    if "," in s and "." in s:
        decimal_sep = "," if s.rfind(",") > s.rfind(".") else "."
        group_sep = "." if decimal_sep == "," else ","
        grouped = re.escape(group_sep)
        if not re.fullmatch(rf"-?[0-9]{{1,3}}({grouped}[0-9]{{3}})+{re.escape(decimal_sep)}"
                            r"[0-9]+", s):
            return None
        return s.replace(group_sep, "").replace(decimal_sep, ".")
    for sep in ",.":
        if s.count(sep) > 1:
            if not re.fullmatch(rf"-?[0-9]{{1,3}}({re.escape(sep)}[0-9]{{3}})+", s):
                return None
            return s.replace(sep, "")
    if not _PLAIN_TYPED.fullmatch(s):
        return None
    return s.replace(",", ".")


def parse_decimal(text: str, *, canonical: bool = False) -> Decimal:
    """A decimal number as people type it; MoneyError for anything else.

    The one parser of numbers: page forms, catalog files and the JSON API read
    every amount, quantity, price and percentage through it. `canonical` (the
    API, whose numbers are decimal strings like "1234.50") accepts only that
    plain form: no spaces, no decimal comma, no grouping.
    """
    raw = str(text)
    plain = None
    if len(raw) <= MAX_NUMBER_TEXT:
        plain = raw if _CANONICAL.fullmatch(raw) else (
            None if canonical else _typed_to_canonical(raw))
    if plain is None:
        raise MoneyError(_l("“%(text)s” is not a number.", text=_printable(raw[:40])))
    try:
        return Decimal(plain)
    except InvalidOperation as exc:  # pragma: no cover - the patterns guard this
        raise MoneyError(_l("“%(text)s” is not a number.", text=raw[:40])) from exc


def _printable(text: str) -> str:
    """What was typed, fit to quote back: invisible characters as their escape."""
    return "".join(c if c.isprintable() or c == " " else ascii(c)[1:-1] for c in text)


def parse_amount(text: str | Decimal, currency: str, *, allow_negative: bool = False) -> int:
    """Parse an amount typed by a person (or already parsed) into minor units of
    `currency`."""
    value = text if isinstance(text, Decimal) else parse_decimal(text)
    digits = minor_digits(currency)
    if value.as_tuple().exponent < -digits:  # type: ignore[operator]
        raise MoneyError(_l("An amount in %(currency)s has at most %(digits)d decimals.",
                            currency=LocalCurrency(currency), digits=digits))
    if value < 0 and not allow_negative:
        raise MoneyError(_l("The amount cannot be negative."))
    if abs(value) >= MAX_MAJOR:
        raise MoneyError(_l("The amount is too large."))
    return int(value.scaleb(digits))


def to_decimal(minor: int, currency: str) -> Decimal:
    return Decimal(minor).scaleb(-minor_digits(currency))


def to_string(minor: int, currency: str) -> str:
    """'1234.50': the plain form used in JSON and CSV."""
    digits = minor_digits(currency)
    return f"{to_decimal(minor, currency):.{digits}f}"


# What people in the villages call their money; CLDR knows "сом" only for ky
# and ru_KG, and nothing local for the somoni.
LOCAL_SYMBOLS = {
    "KGS": {"ru": "сом", "ky": "сом", "tg": "сом", "en": "som"},
    "TJS": {"ru": "сомони", "ky": "сомони", "tg": "сомонӣ", "en": "somoni"},
}

# The minor unit as people name it, for a sentence that splits an amount to
# it: a group in somoni splits to the diram, one in som to the tyiyn, in
# every language (a Kyrgyz page of a group in somoni said «тыйын»). For
# another currency unit_text.minor_unit_name says the currency's name.
LOCAL_MINOR_UNITS = {
    "KGS": {"ru": "тыйын", "ky": "тыйын", "tg": "тийин", "en": "tyiyn"},
    "TJS": {"ru": "дирам", "ky": "дирам", "tg": "дирам", "en": "diram"},
    "KZT": {"ru": "тиын", "ky": "тыйын", "tg": "тийин", "en": "tiyn"},
    "UZS": {"ru": "тийин", "ky": "тыйын", "tg": "тийин", "en": "tiyin"},
    "USD": {"ru": "цент", "ky": "цент", "tg": "сент", "en": "cent"},
    "EUR": {"ru": "цент", "ky": "цент", "tg": "сент", "en": "cent"},
    "RUB": {"ru": "копейка", "ky": "тыйын", "tg": "копейка", "en": "kopeck"},
}


@lru_cache(maxsize=16384)
def format_money(minor: int, currency: str, locale: str) -> str:
    """'1 234,50 сом' for people: Babel's number format for the locale, with the
    name people use for their currency. (Remembered: a page of a large round
    formats the same few amounts again and again, and Babel takes its time.)"""
    symbol = LOCAL_SYMBOLS.get(currency, {}).get(str(locale).split("_")[0])
    if symbol is None:
        return format_currency(to_decimal(minor, currency), currency, locale=locale)
    digits = minor_digits(currency)
    number = format_decimal(to_decimal(minor, currency), format=f"#,##0.{'0' * digits}",
                            locale=locale)
    return f"{number}\u00a0{symbol}"


class LocalCurrency:
    """A currency for a message, named as people there name it ('сом'), in the
    language of whoever reads the message."""

    __slots__ = ("code",)

    def __init__(self, code: str) -> None:
        self.code = code

    def __str__(self) -> str:
        from coop.i18n import current_locale

        locale = current_locale().split("_")[0]
        return LOCAL_SYMBOLS.get(self.code, {}).get(locale, self.code)


class LocalMoney:
    """An amount for a message, shown with its currency in the language of
    whoever reads the message ('1 234,50 сом'): messages are lazy, so it is
    formatted when the message is."""

    __slots__ = ("currency", "minor")

    def __init__(self, minor: int, currency: str) -> None:
        self.minor, self.currency = minor, currency

    def __str__(self) -> str:
        from coop.i18n import current_locale

        return format_money(self.minor, self.currency, current_locale())


def format_input(minor: int, currency: str, locale: str) -> str:
    """An amount as a form field shows it, in the user's locale and with the
    currency's decimals, without grouping: '1234,50' (ru), '1234.50' (en)."""
    digits = minor_digits(currency)
    pattern = "0." + "0" * digits if digits else "0"
    return format_decimal(to_decimal(minor, currency), format=pattern, locale=locale)


def format_number(value: Decimal | int, locale: str) -> str:
    # by its text: Decimal("1.0") == Decimal("1.00"), but they print differently
    return _format_number(str(value), locale)


@lru_cache(maxsize=16384)
def _format_number(text: str, locale: str) -> str:
    return format_decimal(Decimal(text), locale=locale, decimal_quantization=False)


def half_up_div(numerator: int, denominator: int) -> int:
    """numerator / denominator rounded to the nearest integer, halves away from zero."""
    if denominator <= 0:
        raise ValueError("denominator must be positive")
    q, r = divmod(abs(numerator), denominator)
    if 2 * r >= denominator:
        q += 1
    return q if numerator >= 0 else -q


def half_up_divs(numerators: list[int], denominator: int) -> list[int]:
    """half_up_div of each numerator by the one denominator, without a call
    per number (the split runs it over every member after each order)."""
    if denominator <= 0:
        raise ValueError("denominator must be positive")
    twice = 2 * denominator
    if not numerators or min(numerators) >= 0:  # (2x + d) // 2d, by map: no bytecode per number
        return list(map(floordiv, map(add, map(mul, numerators, repeat(2)), repeat(denominator)),
                        repeat(twice)))
    return [(2 * x + denominator) // twice if x >= 0 else -((denominator - 2 * x) // twice)
            for x in numerators]


def largest_remainder(total: int, weights: Sequence[int]) -> list[int]:
    """Split the integer `total` over `weights` so that the parts add up to it.

    Each part gets the floor of its exact share; the units left over go one each
    to the largest fractional parts, equal fractions to the earliest in the list.
    Weight 0 gets nothing; when every weight is 0, each counts as 1.
    """
    n = len(weights)
    if n == 0:
        if total:
            raise ValueError("cannot split a non-zero total over nobody")
        return []
    if min(weights) < 0:
        raise ValueError("weights must not be negative")
    if total < 0:
        return [-part for part in largest_remainder(-total, weights)]
    weight_sum = sum(weights)
    if weight_sum == 0:
        weights = [1] * n
        weight_sum = n
    # the split engine's inner loop (coop.orders.live runs it over every member
    # after each order): comprehensions, and the indexes sorted by remainder
    # rather than (remainder, index) tuples built and compared
    exact = list(map(mul, weights, repeat(total)))
    parts = list(map(floordiv, exact, repeat(weight_sum)))
    left = total - sum(parts)
    if left:
        remainders = list(map(mod, exact, repeat(weight_sum)))
        # a stable sort, also in reverse: among equal remainders the earliest first
        for i in sorted(range(n), key=remainders.__getitem__, reverse=True)[:left]:
            parts[i] += 1
    return parts


class RemainderParts:
    """`largest_remainder(total, weights)` a part at a time: `parts[i]` is
    `largest_remainder(total, weights)[i]`, without making the other parts.

    After an order, a page needs one member's share of each cost shared over a
    thousand members. Her part is the floor of her exact share, plus one if
    her remainder is among the `left` largest (equal ones: the earliest
    first). The remainders are worked out once, for every part asked for;
    `left` is their sum over the weights' sum (the floors add up to the total
    less that), and her place among them one count over them: no sort.
    """

    __slots__ = ("_left", "_remainders", "_sign", "_total", "_weight_sum", "_weights")

    def __init__(self, total: int, weights: Sequence[int]) -> None:
        n = len(weights)
        if n == 0 and total:
            raise ValueError("cannot split a non-zero total over nobody")
        if n and min(weights) < 0:
            raise ValueError("weights must not be negative")
        self._sign, total = (-1, -total) if total < 0 else (1, total)
        weight_sum = sum(weights)
        if weight_sum == 0:
            weights, weight_sum = [1] * n, n
        self._total, self._weights, self._weight_sum = total, weights, weight_sum
        self._remainders = list(map(mod, map(mul, weights, repeat(total)), repeat(weight_sum)))
        self._left = sum(self._remainders) // weight_sum if n else 0

    def __len__(self) -> int:
        return len(self._weights)

    def __getitem__(self, i: int) -> int:
        i = range(len(self._weights))[i]  # IndexError as a list's; negative from the end
        part, remainder = divmod(self._total * self._weights[i], self._weight_sum)
        if self._left:
            remainders = self._remainders
            place = sum(map(remainder.__lt__, remainders)) + remainders[:i].count(remainder)
            part += place < self._left
        return self._sign * part
