from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, SelectField, StringField
from wtforms.validators import DataRequired, Length, Optional

from coop.forms import MoneyField
from coop.ledger.forms import OnceForm, method_choices
from coop.security import MAX_ID


def _optional_id(value: object) -> int | None:
    """A select's value as an id; "" (none chosen) as None; junk as -1 (unknown)."""
    if value in (None, ""):
        return None
    try:
        number = int(str(value))
    except ValueError:
        return -1
    return number if 0 < number <= MAX_ID else -1


class SupplierPaymentForm(OnceForm):
    """The treasurer pays a supplier. The choices of supplier and round are set
    by the view (the group's suppliers, its awarded rounds)."""

    supplier = SelectField(_l("Supplier"), coerce=_optional_id, validate_choice=False,
                           validators=[DataRequired()])
    amount = MoneyField(_l("Amount paid"), validators=[DataRequired()])
    method = SelectField(_l("How"), choices=method_choices())
    reference = StringField(_l("Reference (receipt or transfer number)"),
                            validators=[Optional(), Length(max=120)])
    round = SelectField(_l("For the round (optional)"), coerce=_optional_id,
                        validate_choice=False)
    beyond_owed = BooleanField(_l("Pay more than is owed (the rest is an advance)"))

    def __init__(self, *args: Any, currency: str = "KGS", **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.amount.currency = currency
