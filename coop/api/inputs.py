"""Reading what a client sends: the JSON body, query parameters and headers.

Money and quantities arrive as decimal strings ("1234.50", "2.5"), never as
JSON numbers; they are turned into the integers the services take by the same
parsers the forms use (coop.money, coop.quantities). Anything wrong is a
DomainError naming the field by its JSON path (`lines[2].quantity`): a 422
problem, before any service runs."""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator
from datetime import date
from decimal import Decimal
from typing import Any

from flask import request
from flask_babel import lazy_gettext as _l

from coop import money, text
from coop.api.problems import Problem
from coop.errors import DomainError
from coop.money import MoneyError

MAX_BODY_BYTES = 1024 * 1024
MAX_NUMBER_TEXT = money.MAX_NUMBER_TEXT
MAX_ITEMS = 500
MAX_PER_PAGE = 100
DEFAULT_PER_PAGE = 50
DECIMAL_PATTERN = r"^-?[0-9]+(\.[0-9]+)?$"  # money.parse_decimal(canonical=True), for OpenAPI
_MISSING = object()


def json_body(max_bytes: int = MAX_BODY_BYTES) -> Body:
    """The request's JSON object; 415 unless it says application/json, 413 above
    `max_bytes`, 422 when it is not a JSON object."""
    if request.mimetype != "application/json":
        raise Problem(415, field="Content-Type")
    request.max_content_length = max_bytes
    data = parse_json(request.get_data(cache=True))  # RequestEntityTooLarge: 413
    if not isinstance(data, dict):
        raise DomainError(_l("The body must be a JSON object."), field="body")
    return Body(data)


def parse_json(raw: bytes) -> Any:
    try:
        return json.loads(raw.decode("utf-8"), parse_constant=_no_constant)
    except (ValueError, RecursionError) as exc:  # UnicodeDecodeError is a ValueError
        raise DomainError(_l("The body is not valid JSON."), field="body") from exc


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def clean_text(value: str, field: str, *, multiline: bool = False,
               max_length: int | None = None) -> str:
    """The one text cleaning of coop.text (the forms' too), its refusal as a
    DomainError naming the field."""
    try:
        return text.clean_text(value, multiline=multiline, max_length=max_length)
    except text.TextError as exc:
        raise DomainError(exc.message, field=field) from exc


def safe_name(key: str) -> str:
    """A client's key, fit to be quoted back in an error: what cannot be
    printed (a NUL, a lone surrogate) as its escape, `\\x00`."""
    return "".join(char if char.isprintable() else ascii(char)[1:-1] for char in key[:60])


class Body:
    """A JSON object of the request, read field by field. Every getter names
    the field (`lines[2].quantity`) in the DomainError it raises."""

    def __init__(self, data: dict[str, Any], path: str = "") -> None:
        self.data = data
        self.path = path

    def field(self, name: str) -> str:
        return f"{self.path}.{name}" if self.path else name

    def only(self, *names: str) -> Body:
        """Refuse keys this object does not have: a misspelt field is not ignored."""
        for key in self.data:
            if key not in names:
                raise DomainError(_l("This field is not known here."),
                                  field=self.field(safe_name(key)))
        return self

    def _value(self, name: str, required: bool) -> Any:
        value = self.data.get(name)
        if value is None:
            if required:
                raise DomainError(_l("This field is needed."), field=self.field(name))
            return _MISSING
        return value

    def text(self, name: str, *, max_length: int, required: bool = False,
             multiline: bool = False) -> str:
        value = self._value(name, required)
        if value is _MISSING:
            return ""
        if not isinstance(value, str):
            raise DomainError(_l("Send text here."), field=self.field(name))
        if len(value) > max_length:
            raise DomainError(_l("This is too long (at most %(n)d characters).", n=max_length),
                              field=self.field(name))
        return clean_text(value, self.field(name), multiline=multiline, max_length=max_length)

    def choice(self, name: str, choices: tuple[str, ...], *, default: str | None = None
               ) -> str:
        value = self._value(name, default is None)
        if value is _MISSING:
            return default  # type: ignore[return-value]
        if value not in choices:
            raise DomainError(_l("Choose one of: %(choices)s.", choices=", ".join(choices)),
                              field=self.field(name))
        return str(value)

    def integer(self, name: str, *, minimum: int, maximum: int, required: bool = False
                ) -> int | None:
        value = self._value(name, required)
        if value is _MISSING:
            return None
        if isinstance(value, bool) or not isinstance(value, int):
            raise DomainError(_l("Send a whole number here."), field=self.field(name))
        if not minimum <= value <= maximum:
            raise DomainError(_l("Send a number from %(lo)d to %(hi)d.", lo=minimum, hi=maximum),
                              field=self.field(name))
        return value

    def integers(self, name: str, *, minimum: int, maximum: int, max_items: int,
                 required: bool = False) -> list[int]:
        """A list of whole numbers (ids), each named by its index when bad."""
        value = self._value(name, required)
        if value is _MISSING:
            return []
        if not isinstance(value, list):
            raise DomainError(_l("Send a list here."), field=self.field(name))
        if len(value) > max_items:
            raise DomainError(_l("At most %(n)d entries.", n=max_items), field=self.field(name))
        numbers = []
        for index, item in enumerate(value):
            path = f"{self.field(name)}[{index}]"
            if isinstance(item, bool) or not isinstance(item, int):
                raise DomainError(_l("Send a whole number here."), field=path)
            if not minimum <= item <= maximum:
                raise DomainError(_l("Send a number from %(lo)d to %(hi)d.", lo=minimum,
                                     hi=maximum), field=path)
            numbers.append(item)
        return numbers

    def flag(self, name: str, *, default: bool) -> bool:
        value = self._value(name, False)
        if value is _MISSING:
            return default
        if not isinstance(value, bool):
            raise DomainError(_l("Send true or false here."), field=self.field(name))
        return value

    def day(self, name: str) -> date | None:
        value = self._value(name, False)
        if value is _MISSING:
            return None
        return parse_day(value, self.field(name))

    def number(self, name: str, parse: Callable[[Decimal], int], *, required: bool = False,
               default: int | None = None) -> int | None:
        """A decimal string read by `parse` (parse_quantity, parse_price…)."""
        value = self._value(name, required)
        if value is _MISSING:
            return default
        return parse_number(value, parse, self.field(name))

    def money(self, name: str, currency: str, *, required: bool = False, default: int = 0
              ) -> int:
        value = self.number(name, lambda text: money.parse_amount(text, currency),
                            required=required, default=default)
        assert value is not None
        return value

    def objects(self, name: str, *, required: bool = False, max_items: int = MAX_ITEMS
                ) -> Iterator[Body]:
        """The list of objects under `name`, each as a Body with its path."""
        value = self._value(name, required)
        if value is _MISSING:
            return
        if not isinstance(value, list):
            raise DomainError(_l("Send a list here."), field=self.field(name))
        if len(value) > max_items:
            raise DomainError(_l("At most %(n)d entries.", n=max_items), field=self.field(name))
        for index, item in enumerate(value):
            path = f"{self.field(name)}[{index}]"
            if not isinstance(item, dict):
                raise DomainError(_l("Send an object here."), field=path)
            yield Body(item, path)


def parse_number(value: Any, parse: Callable[[Decimal], int], field: str) -> int:
    """A decimal string, read by the parser the forms use (in its strict form:
    "1234.50", no spaces or decimal comma), then checked by `parse`."""
    if isinstance(value, str) and len(value) > MAX_NUMBER_TEXT:
        raise DomainError(_l("The number is too large."), field=field)
    try:
        if not isinstance(value, str):
            raise MoneyError(value)
        number = money.parse_decimal(value, canonical=True)
    except MoneyError as exc:
        raise DomainError(_l("Send the number as a decimal string, for example \"2.5\"."),
                          field=field) from exc
    try:
        return parse(number)
    except MoneyError as exc:
        raise DomainError(exc.message, field=field) from exc


def parse_day(value: Any, field: str) -> date:
    try:
        if not isinstance(value, str) or len(value) != 10:
            raise ValueError(value)
        return date.fromisoformat(value)
    except ValueError as exc:
        raise DomainError(_l("Send a date as YYYY-MM-DD."), field=field) from exc


# --------------------------------------------------------------------------
# Query parameters and headers
# --------------------------------------------------------------------------


def query_int(name: str, default: int, minimum: int, maximum: int) -> int:
    text = request.args.get(name)
    if text is None:
        return default
    digits = text[1:] if text.startswith("-") else text
    if not digits.isascii() or not digits.isdigit():
        raise DomainError(_l("Send a whole number here."), field=name)
    if len(digits) > 12 or not minimum <= int(text) <= maximum:
        raise DomainError(_l("Send a number from %(lo)d to %(hi)d.", lo=minimum, hi=maximum),
                          field=name)
    return int(text)


def query_day(name: str) -> date | None:
    text = request.args.get(name)
    return None if not text else parse_day(text, name)


def paginate(items: list[Any], render: Callable[[Any], dict[str, Any]],
             **extra: Any) -> dict[str, Any]:
    """`{"items", "page", "per_page", "total"}` from ?page=&per_page= (1…100)."""
    page = query_int("page", 1, 1, 10**6)
    per_page = query_int("per_page", DEFAULT_PER_PAGE, 1, MAX_PER_PAGE)
    start = (page - 1) * per_page
    return {**extra, "items": [render(item) for item in items[start:start + per_page]],
            "page": page, "per_page": per_page, "total": len(items)}


IDEMPOTENCY_KEY = "Idempotency-Key"
IDEMPOTENCY_KEY_PATTERN = r"^[A-Za-z0-9._~:+/=-]{16,64}$"
_KEY = re.compile(IDEMPOTENCY_KEY_PATTERN)


def idempotency_key() -> str:
    """The client's key for a write that must happen once, however often it is sent."""
    key = request.headers.get(IDEMPOTENCY_KEY, "").strip()
    if not _KEY.match(key):
        raise Problem(400, _l("Send a unique key of 16 to 64 letters, digits or -_.~:+/= "
                              "in the header “Idempotency-Key”, the same key when you "
                              "send the same request again."), field=IDEMPOTENCY_KEY)
    return key
