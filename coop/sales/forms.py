"""Forms of joint sales. Numbers are typed as people type them ("2,5") and
parsed on the server into integers (coop.quantities); a select that may hold
an id from another lot or group is not trusted: the services check it and
say what is wrong."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from flask_babel import lazy_gettext as _l
from werkzeug.datastructures import MultiDict
from wtforms import (
    DateField,
    FieldList,
    FormField,
    HiddenField,
    RadioField,
    SelectField,
    StringField,
)
from wtforms.validators import DataRequired, Length, Optional, ValidationError

from coop.forms import DecimalTextField, Form, MoneyField, choices, unit_choices
from coop.ledger.forms import OnceForm, method_choices
from coop.money import TYPED_LIMIT, MoneyError, parse_decimal
from coop.quantities import parse_price, parse_quantity
from coop.sales.domain import FACTOR_SCALE


def parse_factor(text: str | Decimal) -> int:
    """A price factor as typed ("0,8") in thousandths (800)."""
    value = text if isinstance(text, Decimal) else parse_decimal(text)
    if value <= 0:
        raise MoneyError(_l("The price factor must be more than zero."))
    if value.as_tuple().exponent < -3:  # type: ignore[operator]
        raise MoneyError(_l("Price factor: at most 3 decimals."))
    if value > 100:
        raise MoneyError(_l("The price factor is at most 100."))
    return int(value * FACTOR_SCALE)


def to_id(value: Any) -> int | None:
    """A select's value as an id; None for anything else (the service says why)."""
    try:
        number = int(str(value).strip())
    except (TypeError, ValueError):
        return None
    return number if 0 < number < 2**62 else None


class QuantityField(StringField):
    """A quantity as typed; after validation `.milli` holds thousandths (or None)."""

    def __init__(self, label: Any = None, validators: Any = None, **kwargs: Any) -> None:
        super().__init__(label, validators, **kwargs)
        self.milli: int | None = None

    def pre_validate(self, form: Any) -> None:
        self.milli = None
        text = (self.data or "").strip()
        if not text:
            return
        try:
            self.milli = parse_quantity(text[:TYPED_LIMIT])
        except MoneyError as exc:
            raise ValidationError(str(exc.message)) from exc


def buyer_kind_choices() -> list[Any]:
    return choices([("shop", _l("shop")), ("wholesaler", _l("wholesaler")),
                    ("market", _l("market")), ("exporter", _l("exporter"))])


def cost_kind_choices() -> list[Any]:
    return choices([("transport", _l("Transport")), ("market_fee", _l("Market fee")),
                    ("packaging", _l("Packaging")),
                    ("certification", _l("Certification and standardisation fees")),
                    ("other", _l("Other cost"))])


def cost_rule_choices() -> list[Any]:
    return choices([("value", _l("by contributed value")),
                    ("quantity", _l("by quantity sold")),
                    ("equal", _l("in equal shares"))])


class GradeForm(Form):
    class Meta:
        csrf = False

    id = HiddenField()
    name = StringField(_l("Grade"), validators=[Optional(), Length(max=80)])
    factor = DecimalTextField(_l("Price factor"), max_places=3, validators=[Optional()])


class LotForm(Form):
    product = StringField(_l("Product"), validators=[DataRequired(), Length(max=160)])
    unit = SelectField(_l("Unit"), choices=unit_choices, validate_choice=False)
    unit_other = StringField(_l("Other unit"), validators=[Optional(), Length(max=24)])
    step = QuantityField(_l("Smallest quantity (1 for jars, 0.1 for kg)"),
                         validators=[Optional()])
    period_from = DateField(_l("Collection from"), validators=[DataRequired()])
    period_to = DateField(_l("Collection until"), validators=[Optional()])
    place = StringField(_l("Collection place"), validators=[Optional(), Length(max=200)])
    levy_percent = DecimalTextField(_l("Solidarity fund levy (percent of the revenue)"),
                                    max_places=2, validators=[Optional()])
    grades = FieldList(FormField(GradeForm), min_entries=4, max_entries=6)

    def grade_inputs(self) -> tuple[list[tuple[str, int, int | None]], str | None]:
        """[(name, factor, id)] of the rows filled in, or the first error."""
        rows = []
        for entry in self.grades:
            name = (entry.form.name.data or "").strip()
            if not name:
                continue
            text = (entry.form.factor.data or "").strip()
            try:
                factor = parse_factor(text) if text else FACTOR_SCALE
            except MoneyError as exc:
                return [], f"{name}: {exc.message}"
            rows.append((name, factor, to_id(entry.form.id.data)))
        return rows, None


class ContributionForm(OnceForm):
    member = SelectField(_l("Member"), validate_choice=False)
    grade = SelectField(_l("Grade"), validate_choice=False)
    quantity = QuantityField(_l("Quantity"), validators=[DataRequired()])
    brought_on = DateField(_l("Brought on"), validators=[Optional()])
    note = StringField(_l("Note"), validators=[Optional(), Length(max=300)])


class CorrectionForm(OnceForm):
    grade = SelectField(_l("Grade"), validate_choice=False)
    quantity = QuantityField(_l("The right quantity (0 if she brought nothing)"),
                             validators=[DataRequired()])
    reason = StringField(_l("Why"), validators=[DataRequired(), Length(max=300)])


class BuyerForm(Form):
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=160)])
    contact = StringField(_l("Contact (phone, address)"), validators=[Optional(),
                                                                      Length(max=300)])
    kind = SelectField(_l("Kind"), choices=buyer_kind_choices(), validate_choice=False)


def sale_payment_choices() -> list[Any]:
    return choices([("now", _l("Paid now into the group's cash")),
                    ("later", _l("The buyer pays later"))])


class SaleForm(OnceForm):
    buyer = SelectField(_l("Buyer"), validate_choice=False)
    sold_on = DateField(_l("Sold on"), validators=[DataRequired()])
    payment = RadioField(_l("Payment"), choices=sale_payment_choices(), default="now",
                         validate_choice=False)
    due_on = DateField(_l("To be paid by (optional)"), validators=[Optional()])
    note = StringField(_l("Note"), validators=[Optional(), Length(max=300)])

    @property
    def pay_later(self) -> bool:
        return self.payment.data == "later"


class SalePaymentForm(OnceForm):
    """The buyer of a sale paid later pays all or part of what she owes."""

    amount = MoneyField(_l("Amount paid"), validators=[DataRequired()])
    method = SelectField(_l("How"), choices=method_choices())
    paid_on = DateField(_l("Paid on"), validators=[Optional()])

    def __init__(self, *args: Any, currency: str = "KGS", **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.amount.currency = currency


@dataclass
class TypedLine:
    quantity_text: str = ""
    price_text: str = ""
    error: str | None = None


def parse_sale_lines(formdata: MultiDict[str, str]
                     ) -> tuple[dict[int, tuple[int, int | None]], dict[int, TypedLine]]:
    """`quantity_<grade>` / `price_<grade>` as typed. Returns the lines to sell
    ({grade id: (quantity, unit price or None)}) and every line as typed, with
    its error if any. Any grade id is read: the service refuses the unknown."""
    lines: dict[int, tuple[int, int | None]] = {}
    typed: dict[int, TypedLine] = {}
    for key in formdata:
        if not key.startswith("quantity_"):
            continue
        grade_id = to_id(key.removeprefix("quantity_"))
        if grade_id is None:
            continue
        line = TypedLine((formdata.get(key) or "").strip()[:TYPED_LIMIT],
                         (formdata.get(f"price_{grade_id}") or "").strip()[:TYPED_LIMIT])
        typed[grade_id] = line
        if not line.quantity_text:
            continue
        try:
            quantity = parse_quantity(line.quantity_text)
            price = parse_price(line.price_text) if line.price_text else None
        except MoneyError as exc:
            line.error = str(exc.message)
            continue
        lines[grade_id] = (quantity, price)
    return lines, typed


class CostForm(OnceForm):
    kind = SelectField(_l("Cost"), choices=cost_kind_choices(), validate_choice=False)
    name = StringField(_l("What exactly"), validators=[Optional(), Length(max=160)])
    amount = MoneyField(_l("Amount"), validators=[DataRequired()])
    rule = SelectField(_l("Shared"), choices=cost_rule_choices(), validate_choice=False)
    # kept for the record only: the split shares every cost over the whole lot
    # (coop.sales.domain, steps 5 and 6), whatever sale it is noted for
    sale = SelectField(_l("For the sale (a note only)"), validate_choice=False)
    paid_on = DateField(_l("Paid on"), validators=[Optional()])

    def __init__(self, *args: Any, currency: str = "KGS", **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.amount.currency = currency


class CancelForm(Form):
    reason = StringField(_l("Why"), validators=[DataRequired(), Length(max=300)])


class CancelSaleForm(CancelForm):
    """Cancelling a sale takes its payment back out of the cash: when the cash
    holds less, the page that asks first (coop.ledger.views.ask_again) sends
    it again with `confirm_again` set."""

    confirm_again = HiddenField()

    @property
    def confirmed(self) -> bool:
        return self.confirm_again.data == "1"


class CashPayoutForm(OnceForm):
    amount = MoneyField(_l("Amount handed out"), validators=[DataRequired()])
    note = StringField(_l("Note"), validators=[Optional(), Length(max=300)])

    def __init__(self, *args: Any, currency: str = "KGS", **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.amount.currency = currency
