"""Forms of the quotes pages. The per-product inputs (one set per round item)
are read by the parse_* functions, as people type numbers ("48,50"); the
forms never query the database: the views give them the item ids."""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from flask_babel import lazy_gettext as _l
from werkzeug.datastructures import MultiDict
from wtforms import DateField, HiddenField, IntegerField, SelectField, StringField, TextAreaField
from wtforms.validators import InputRequired, Length, NumberRange, Optional

from coop.forms import Form, MoneyField
from coop.groups.forms import language_choices
from coop.money import TYPED_LIMIT, LocalCurrency, MoneyError
from coop.orders.forms import MultiCheckboxField, rule_choices
from coop.quantities import parse_price, parse_quantity
from coop.quotes import domain

_NUMBER = {"inputmode": "decimal", "autocomplete": "off"}
MAX_FIELD = TYPED_LIMIT
MAX_CODE = domain.MAX_ARTICLE_CODE
TIER_ROWS = domain.MAX_TIERS


def _days_field() -> IntegerField:
    return IntegerField(
        _l("The link works for (days)"), default=domain.DEFAULT_LINK_DAYS,
        validators=[InputRequired(_l("Say for how many days the link works.")),
                    NumberRange(domain.MIN_LINK_DAYS, domain.MAX_LINK_DAYS,
                                _l("A link works from %(min)s to %(max)s days."))],
        render_kw={"inputmode": "numeric"})


class RequestQuotesForm(Form):
    suppliers = MultiCheckboxField(_l("Suppliers to ask"), coerce=int)
    new_name = StringField(_l("Or add a supplier: name"),
                           validators=[Optional(), Length(max=160)])
    new_phone = StringField(_l("Her phone number"), validators=[Optional(), Length(max=40)],
                            render_kw={"inputmode": "tel"})
    # checked by the supplier service, and only when a supplier is added
    new_language = SelectField(_l("Language of her page"), choices=language_choices(),
                               validate_choice=False)
    days = _days_field()


class LinkForm(Form):
    days = _days_field()


class OfferForm(Form):
    """The offer as a whole; its products are read by `parse_offer_lines`. Its
    key, made when the form is shown, goes with the revision it sends: the
    same form sent twice (a double click, Back and send) sends once, as the
    money forms do (coop.ledger.forms.OnceForm)."""

    idempotency_key = HiddenField()

    delivery_fee = MoneyField(_l("Delivery fee to the group's village"),
                              validators=[Optional()], render_kw=_NUMBER)
    lead_time_days = IntegerField(
        _l("Delivery time, days after the order"),
        validators=[Optional(), NumberRange(0, domain.MAX_LEAD_DAYS,
                                            _l("From %(min)s to %(max)s days."))],
        render_kw={"inputmode": "numeric"})
    valid_until = DateField(_l("Prices valid until"), validators=[Optional()])
    note = TextAreaField(_l("Note"), validators=[Optional(), Length(max=domain.MAX_NOTE)],
                         render_kw={"rows": 3})

    def __init__(self, *args: Any, currency: str = "KGS", **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.delivery_fee.currency = currency
        # in the group's currency, named as people there name it (found on the walk)
        self.delivery_fee.label.text = _l("Delivery fee to the group's village, %(currency)s",
                                          currency=LocalCurrency(currency))

    def new_key(self) -> None:
        self.idempotency_key.data = secrets.token_urlsafe(24)


class DeclineForm(Form):
    reason = TextAreaField(_l("Why not? (optional)"),
                           validators=[Optional(), Length(max=domain.MAX_NOTE)],
                           render_kw={"rows": 2})


class CounterOfferForm(Form):
    message = TextAreaField(_l("Message to the supplier"),
                            validators=[Optional(), Length(max=domain.MAX_MESSAGE)],
                            render_kw={"rows": 3})


class AwardForm(Form):
    rule = SelectField(_l("Delivery fees shared"), choices=rule_choices())


# --------------------------------------------------------------------------
# Per-product inputs
# --------------------------------------------------------------------------


@dataclass
class LineTyped:
    """One product of the supplier's form as typed, with its messages by part
    ("pack", "tiers", "max")."""

    item_id: int
    available: bool = True
    pack: str = ""
    tiers: list[tuple[str, str]] = field(default_factory=lambda: [("0", "")] + [("", "")] * (
        TIER_ROWS - 1))
    max: str = ""
    code: str = ""
    errors: dict[str, list[str]] = field(default_factory=dict)

    def add_error(self, part: str, message: Any) -> None:
        self.errors.setdefault(part, []).append(str(message))

    @property
    def has_errors(self) -> bool:
        return bool(self.errors)


def _text(formdata: MultiDict[str, str], name: str) -> str:
    return (formdata.get(name) or "").strip()[:MAX_FIELD]


def parse_offer_lines(formdata: MultiDict[str, str], item_ids: Sequence[int]
                      ) -> tuple[dict[int, domain.LineInput], dict[int, LineTyped]]:
    """Read `available_<item>`, `pack_<item>`, `price_<item>_<row>`,
    `from_<item>_<row>` (rows 1…) and `max_<item>`. The first price row is for
    any quantity (from 0). Returns the lines and every line as typed, with its
    messages; a line with a message holds what could be read of it (None or
    no tier for the rest), so that the offer's rules can still be checked on it
    and every mistake shown at once."""
    lines: dict[int, domain.LineInput] = {}
    typed: dict[int, LineTyped] = {}
    for item_id in item_ids:
        line = LineTyped(item_id, available=bool(formdata.get(f"available_{item_id}")),
                         pack=_text(formdata, f"pack_{item_id}"),
                         max=_text(formdata, f"max_{item_id}"),
                         code=(formdata.get(f"code_{item_id}") or "").strip()[:MAX_CODE])
        line.tiers = [("0", _text(formdata, f"price_{item_id}_0"))] + [
            (_text(formdata, f"from_{item_id}_{row}"), _text(formdata, f"price_{item_id}_{row}"))
            for row in range(1, TIER_ROWS)]
        typed[item_id] = line
        if not line.available:
            lines[item_id] = domain.LineInput(available=False)
            continue
        pack = _parse(line, "pack", line.pack, parse_quantity)
        max_quantity = _parse(line, "max", line.max, parse_quantity)
        tiers = []
        for row, (from_text, price_text) in enumerate(line.tiers):
            if row and not from_text and not price_text:
                continue
            if row and not (from_text and price_text):
                line.add_error("tiers", _l("Give both the quantity and its price, or neither."))
                continue
            min_qty = 0 if row == 0 else _parse(line, "tiers", from_text, parse_quantity)
            price = _parse(line, "tiers", price_text, parse_price)
            if min_qty is not None and price is not None:
                tiers.append(domain.Tier(min_qty, price))
        lines[item_id] = domain.LineInput(True, pack, tuple(tiers), max_quantity,
                                          article_code=line.code)
    return lines, typed


def _parse(line: LineTyped, part: str, text: str, parse: Any) -> int | None:
    if not text:
        return None
    try:
        return int(parse(text))
    except MoneyError as exc:
        reason = str(exc.message)
        # "“сорок” is not a number." names what she typed already: not twice
        line.add_error(part, reason if text[:40] in reason else _l(
            "“%(text)s”: %(reason)s", text=text, reason=exc.message))
        return None


def parse_targets(formdata: MultiDict[str, str], item_ids: Sequence[int]
                  ) -> tuple[dict[int, int], dict[int, tuple[str, str | None]]]:
    """The counter-offer's `target_<item>` prices: {item: price} and
    {item: (text, error or None)}."""
    targets: dict[int, int] = {}
    typed: dict[int, tuple[str, str | None]] = {}
    for item_id in item_ids:
        text = _text(formdata, f"target_{item_id}")
        typed[item_id] = (text, None)
        if not text:
            continue
        try:
            targets[item_id] = parse_price(text)
        except MoneyError as exc:
            typed[item_id] = (text, str(exc.message))
    return targets, typed


def parse_award(formdata: MultiDict[str, str], item_ids: Sequence[int]
                ) -> tuple[dict[int, int | None], list[str]]:
    """`item_<id>` = a quote id, or "list" for the catalog's list price; empty
    leaves the item out (the service says if it may not be)."""
    assignments: dict[int, int | None] = {}
    errors: list[str] = []
    for item_id in item_ids:
        value = _text(formdata, f"item_{item_id}")
        if not value:
            continue
        if value == "list":
            assignments[item_id] = None
        elif value.isdigit():
            assignments[item_id] = int(value)
        else:
            errors.append(str(_l("Choose a supplier from the list.")))
    return assignments, errors
