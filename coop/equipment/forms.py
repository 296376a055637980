"""Forms of jointly owned equipment. Member and round selects may hold ids of
another group: the services check them and say what is wrong."""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, DateField, SelectField, StringField
from wtforms.validators import DataRequired, Length, Optional, ValidationError

from coop.forms import DecimalTextField, Form, MoneyField, choices
from coop.ledger.forms import OnceForm, method_choices
from coop.sales.forms import to_id


def fee_unit_choices() -> list[Any]:
    return choices([("day", _l("per day")), ("hour", _l("per hour"))])


def from_choices() -> list[Any]:
    return choices([("morning", _l("in the morning")), ("afternoon", _l("after midday"))])


def until_choices() -> list[Any]:
    return choices([("evening", _l("until the evening")), ("midday", _l("until midday"))])


class AssetForm(Form):
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=160)])
    kept_at = StringField(_l("Where it is kept"), validators=[Optional(), Length(max=200)])
    keeper = SelectField(_l("Who keeps it"), coerce=to_id, validate_choice=False)
    bought_on = DateField(_l("Bought on"), validators=[Optional()])
    purchase_value = MoneyField(_l("Purchase value"), validators=[Optional()])
    round = SelectField(_l("Bought in the round"), coerce=to_id, validate_choice=False)
    product = SelectField(_l("Product of the round"), coerce=to_id, validate_choice=False)
    fee = MoneyField(_l("Usage fee"), validators=[Optional()])
    fee_unit = SelectField(_l("Fee"), choices=fee_unit_choices())
    owners_pay_fee = BooleanField(_l("Owners pay the usage fee too"), default=True)

    def __init__(self, *args: Any, currency: str = "KGS", **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.purchase_value.currency = currency
        self.fee.currency = currency


class BookingForm(OnceForm):
    member = SelectField(_l("For whom"), coerce=to_id, validate_choice=False)
    day_from = DateField(_l("From"), validators=[DataRequired()])
    part_from = SelectField(_l("Starting"), choices=from_choices())
    day_to = DateField(_l("To"), validators=[DataRequired()])
    part_to = SelectField(_l("Ending"), choices=until_choices())
    note = StringField(_l("Note (what for)"), validators=[Optional(), Length(max=300)])

    def validate_day_to(self, field: Any) -> None:
        if self.day_from.data and field.data and field.data < self.day_from.data:
            raise ValidationError(_l("The end of the booking must be after its start."))


class ConditionForm(OnceForm):
    condition = StringField(_l("Condition"), validators=[DataRequired(), Length(max=300)])
    hours = DecimalTextField(_l("Hours used"), validators=[Optional()])


class RepairForm(OnceForm):
    cost = MoneyField(_l("Cost of the repair"), validators=[DataRequired()])
    description = StringField(_l("What was repaired"),
                              validators=[DataRequired(), Length(max=300)])
    mode = SelectField(_l("Who pays"), choices=choices([
        ("fund", _l("the maintenance fund; the owners share what it lacks")),
        ("owners", _l("the owners, in their shares"))]))
    method = SelectField(_l("Paid from"), choices=method_choices())
    repaired_on = DateField(_l("Repaired on"), validators=[DataRequired()])

    def __init__(self, *args: Any, currency: str = "KGS", **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.cost.currency = currency


class StateForm(Form):
    state = SelectField(_l("State"), choices=choices([
        ("available", _l("available")), ("in_repair", _l("in repair")),
        ("retired", _l("retired"))]))


def owner_shares(formdata: Any, member_ids: list[int], currency: str
                 ) -> tuple[dict[int, int], list[str]]:
    """The owners' shares typed on the asset form (`share-<membership id>`, what
    each paid), and the errors of those that are not amounts."""
    from coop import money

    shares: dict[int, int] = {}
    errors = []
    for member_id in member_ids:
        text = (formdata.get(f"share-{member_id}") or "").strip()
        if not text:
            continue
        try:
            amount = money.parse_amount(text, currency)
        except money.MoneyError as exc:
            errors.append(str(exc.message))
            continue
        if amount > 0:
            shares[member_id] = amount
    return shares, errors
