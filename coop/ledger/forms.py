from __future__ import annotations

import secrets
from typing import Any

from flask_babel import lazy_gettext as _l
from wtforms import HiddenField, SelectField, StringField
from wtforms.validators import DataRequired, Length, Optional

from coop.forms import Form, MoneyField, choices


def method_choices() -> list[Any]:
    return choices([("cash", _l("cash")), ("mobile", _l("mobile money")),
                    ("bank", _l("bank transfer"))])


class _CurrencyForm(Form):
    def __init__(self, *args: Any, currency: str = "KGS", **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for field in self:
            if isinstance(field, MoneyField):
                field.currency = currency


class PaymentForm(_CurrencyForm):
    amount = MoneyField(_l("Amount paid"), validators=[DataRequired()])
    method = SelectField(_l("How"), choices=method_choices())
    reference = StringField(_l("Reference (receipt or transfer number)"),
                            validators=[Optional(), Length(max=120)])
    # One key per form shown: the same form sent twice records one payment.
    idempotency_key = HiddenField()

    def new_key(self) -> None:
        self.idempotency_key.data = secrets.token_urlsafe(24)


class WriteOffForm(_CurrencyForm):
    amount = MoneyField(_l("Amount to write off"), validators=[DataRequired()])
    reason = StringField(_l("Why"), validators=[DataRequired(), Length(max=300)])


class AdjustmentForm(_CurrencyForm):
    amount = MoneyField(_l("Amount (negative to refund)"), allow_negative=True,
                        validators=[DataRequired()])
    reason = StringField(_l("Why"), validators=[DataRequired(), Length(max=300)])


class ReverseForm(Form):
    reason = StringField(_l("Why"), validators=[DataRequired(), Length(max=300)])


class PayOutForm(_CurrencyForm):
    amount = MoneyField(_l("Amount paid out"), validators=[DataRequired()])
    memo = StringField(_l("To whom and what for"), validators=[DataRequired(), Length(max=300)])
