from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from flask_babel import lazy_gettext as _l
from werkzeug.datastructures import MultiDict
from wtforms import DateField, DateTimeLocalField, SelectField, SelectMultipleField, StringField
from wtforms.validators import DataRequired, Length, Optional
from wtforms.widgets import CheckboxInput, ListWidget

from coop.forms import DecimalTextField, Form, MoneyField, NotInFuture, choices
from coop.groups.forms import loss_policy_choices
from coop.ledger.forms import OnceForm
from coop.money import TYPED_LIMIT, MoneyError
from coop.quantities import parse_quantity


class MultiCheckboxField(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


def rule_choices() -> list[Any]:
    return choices([
        ("weight", _l("by weight")),
        ("value", _l("by goods value")),
        ("quantity", _l("by quantity")),
        ("equal", _l("in equal shares")),
        ("per_member", _l("the full amount from each member")),
    ])


class RoundForm(Form):
    title = StringField(_l("Title"), validators=[DataRequired(), Length(max=160)])
    deadline = DateTimeLocalField(_l("Orders until"), validators=[Optional()],
                                  format=["%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S"])
    products = MultiCheckboxField(_l("Products on offer"), coerce=int)
    delivery_place = StringField(_l("Delivery place"), validators=[Optional(), Length(max=200)])
    delivery_date = DateField(_l("Delivery date"), validators=[Optional()])
    loss_policy = SelectField(_l("Who carries losses (damage, surplus)"),
                              choices=loss_policy_choices())
    levy_percent = DecimalTextField(_l("Solidarity fund levy (percent of goods value)"),
                                    max_places=2, validators=[Optional()])
    cash_rounding = MoneyField(_l("Round each member's total to a multiple of"),
                               validators=[Optional()])

    def __init__(self, *args: Any, currency: str = "KGS", **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.cash_rounding.currency = currency


class SharedCostForm(OnceForm):
    name = StringField(_l("Cost"), validators=[DataRequired(), Length(max=160)])
    amount = MoneyField(_l("Amount"), validators=[DataRequired()])
    rule = SelectField(_l("Shared"), choices=rule_choices())
    supplier = SelectField(_l("Only for goods of"), validators=[Optional()])

    def __init__(self, *args: Any, currency: str = "KGS", **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.amount.currency = currency


@dataclass
class OrderLineInput:
    item_id: int
    quantity_text: str
    tolerance_text: str
    quantity: int = 0
    tolerance: int = 0
    quantity_error: str | None = None  # shown under its box
    tolerance_error: str | None = None
    error: str | None = None  # of the line as a whole

    def mark(self, message: str, field: str | None = None) -> None:
        """`message` by the box it is about (a field named 'quantity_<item>' or
        'tolerance_<item>'), else under the line."""
        name = (field or "").rsplit("_", 1)[0]
        if name == "quantity":
            self.quantity_error = message
        elif name == "tolerance":
            self.tolerance_error = message
        else:
            self.error = message

    @property
    def wrong(self) -> bool:
        return bool(self.quantity_error or self.tolerance_error or self.error)


# (made once: an order of fifty lines reads a hundred boxes)
_NEGATIVE_TOLERANCE = _l("A tolerance cannot be negative.")


def parse_order_form(formdata: MultiDict[str, str], item_ids: list[int]
                     ) -> tuple[dict[int, tuple[int, int]], dict[int, OrderLineInput]]:
    """Read `quantity_<item>` / `tolerance_<item>` as people type them ('2,5').
    Returns the lines to save and every line as typed, with the error of each
    of its boxes if any."""
    lines: dict[int, tuple[int, int]] = {}
    typed: dict[int, OrderLineInput] = {}
    for item_id in item_ids:
        q_text = (formdata.get(f"quantity_{item_id}") or "").strip()[:TYPED_LIMIT]
        t_text = (formdata.get(f"tolerance_{item_id}") or "").strip()[:TYPED_LIMIT]
        line = OrderLineInput(item_id, q_text, t_text)
        typed[item_id] = line
        try:
            line.quantity = parse_quantity(q_text) if q_text else 0
        except MoneyError as exc:
            line.quantity_error = str(exc.message)
        try:
            line.tolerance = parse_quantity(t_text, negative=_NEGATIVE_TOLERANCE) if t_text else 0
        except MoneyError as exc:
            line.tolerance_error = str(exc.message)
        if not line.wrong:
            lines[item_id] = (line.quantity, line.tolerance)
    return lines, typed


class CreditNoteForm(OnceForm):
    product = SelectField(_l("Product"), coerce=int)
    amount = MoneyField(_l("Credit amount"), validators=[DataRequired()])
    note = StringField(_l("Note (credit note number)"), validators=[Optional(), Length(max=300)])

    def __init__(self, *args: Any, currency: str = "KGS", **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.amount.currency = currency


class DeliveryForm(OnceForm):
    delivered_on = DateField(_l("Delivered on"), validators=[Optional(), NotInFuture()])
    note = StringField(_l("Note"), validators=[Optional(), Length(max=300)])


def parse_delivery_form(formdata: MultiDict[str, str], item_ids: list[int]
                        ) -> tuple[dict[int, tuple[int, int]], dict[int, dict[str, str]],
                                   dict[int, str]]:
    """`received_<item>` / `damaged_<item>` as typed: (lines, typed texts, errors)."""
    lines: dict[int, tuple[int, int]] = {}
    typed: dict[int, dict[str, str]] = {}
    errors: dict[int, str] = {}
    for item_id in item_ids:
        texts = {name: (formdata.get(f"{name}_{item_id}") or "").strip()[:TYPED_LIMIT]
                 for name in ("received", "damaged")}
        typed[item_id] = texts
        try:
            received = parse_quantity(texts["received"]) if texts["received"] else 0
            damaged = parse_quantity(texts["damaged"]) if texts["damaged"] else 0
        except MoneyError as exc:
            errors[item_id] = str(exc.message)
            continue
        if received or damaged:
            lines[item_id] = (received, damaged)
    return lines, typed, errors
