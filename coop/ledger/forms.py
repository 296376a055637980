from __future__ import annotations

import secrets
from typing import Any

from flask_babel import lazy_gettext as _l
from markupsafe import Markup
from wtforms import HiddenField, SelectField, StringField
from wtforms.validators import DataRequired, InputRequired, Length, Optional

from coop.forms import Form, MoneyField, choices
from coop.ledger.services import ACCOUNT_NAMES


def method_choices() -> list[Any]:
    return choices([("cash", _l("cash")), ("mobile", _l("mobile money")),
                    ("bank", _l("bank transfer"))])


def new_form_key() -> str:
    """A key for a form that moves money, made each time the form is shown."""
    return secrets.token_urlsafe(24)


class _KeyField(HiddenField):
    """The form's key; markup given as its value (a kept page's stand-in for
    the key each view puts in, coop.orders.cache.kept_page) stands as it is."""

    def _value(self) -> str:
        return self.data if isinstance(self.data, Markup) else super()._value()


class OnceForm(Form):
    """A form that moves money: a key made when the form is shown goes with
    what it records, so the same form sent twice (a double click, Back and
    send again) records once; `confirm_again` is set by the page that asks
    before a second record like one made in the last 24 hours."""

    idempotency_key = _KeyField()
    confirm_again = HiddenField()

    def new_key(self, key: str | None = None) -> None:
        self.idempotency_key.data = new_form_key() if key is None else key

    @property
    def confirmed(self) -> bool:
        return self.confirm_again.data == "1"


class _CurrencyForm(OnceForm):
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


class WriteOffForm(_CurrencyForm):
    amount = MoneyField(_l("Amount to write off"), validators=[DataRequired()])
    reason = StringField(_l("Why"), validators=[DataRequired(), Length(max=300)])


class AdjustmentForm(_CurrencyForm):
    amount = MoneyField(_l("Amount (negative to refund)"), allow_negative=True,
                        validators=[DataRequired()])
    reason = StringField(_l("Why"), validators=[DataRequired(), Length(max=300)])


class ReverseForm(OnceForm):
    reason = StringField(_l("Why"), validators=[DataRequired(), Length(max=300)])


class PayOutForm(_CurrencyForm):
    amount = MoneyField(_l("Amount paid out"), validators=[DataRequired()])
    memo = StringField(_l("To whom and what for"), validators=[DataRequired(), Length(max=300)])
    method = SelectField(_l("How"), choices=method_choices())


def account_choices() -> list[Any]:
    return choices([(kind, ACCOUNT_NAMES[kind]) for kind in ("bank", "cash", "mobile")])


class TransferForm(_CurrencyForm):
    """Money moved between the group's own accounts (the bank to the cash box…)."""

    # (the defaults are for the form shown; one sent without them is refused,
    # never moved from the bank by default)
    source = SelectField(_l("Where the money comes from"), choices=account_choices(),
                         default="bank", validators=[InputRequired()])
    target = SelectField(_l("Where the money goes"), choices=account_choices(), default="cash",
                         validators=[InputRequired()])
    amount = MoneyField(_l("Amount moved"), validators=[DataRequired()])
    memo = StringField(_l("Note (optional)"), validators=[Optional(), Length(max=300)])
