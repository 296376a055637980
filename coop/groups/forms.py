from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l
from wtforms import EmailField, SelectField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, Optional

from coop.config import SUPPORTED_LOCALES
from coop.forms import DecimalTextField, Form, MoneyField, choices
from coop.groups.services import COUNTRIES, CURRENCIES
from coop.i18n import COUNTRY_NAMES, LANGUAGE_NAMES, TIMEZONE_NAMES
from coop.zones import TIMEZONES


def role_choices() -> list[SelectChoice]:
    return choices([("member", _l("Member")), ("treasurer", _l("Treasurer"))])


def language_choices(blank: bool = False) -> list[SelectChoice]:
    pairs: list[tuple[str, Any]] = [(c, LANGUAGE_NAMES[c]) for c in SUPPORTED_LOCALES]
    # a member's (blank): none stored, she gets her phone's or the one she picks
    return choices([("", _l("As her phone says, or as she chooses")), *pairs]
                   if blank else pairs)


def loss_policy_choices() -> list[SelectChoice]:
    return choices([
        ("product", _l("Shared by those who got the product")),
        ("round", _l("Shared by everyone in the round, by goods value")),
        ("fund", _l("Paid by the solidarity fund")),
    ])


class GroupForm(Form):
    name = StringField(_l("Group name"), validators=[DataRequired(), Length(max=120)])
    village = StringField(_l("Village"), validators=[Optional(), Length(max=120)])
    region = StringField(_l("Region"), validators=[Optional(), Length(max=120)])
    country = SelectField(_l("Country"),
                          choices=choices([(c, COUNTRY_NAMES[c]) for c in COUNTRIES]))
    currency = SelectField(_l("Currency"), default="", choices=choices(
        [("", _l("The country's currency")), *[(c, c) for c in CURRENCIES]]))
    language = SelectField(_l("Language"), choices=language_choices())


class MemberForm(Form):
    name = StringField(_l("Full name"), validators=[DataRequired(), Length(max=120)])
    phone = StringField(_l("Phone number"), validators=[Optional(), Length(max=32)])
    email = EmailField(_l("E-mail"), validators=[Optional(), Length(max=254)])
    locale = SelectField(_l("Language"), choices=language_choices(blank=True))
    role = SelectField(_l("Role"), choices=role_choices())


class RoleForm(Form):
    role = SelectField(_l("Role"), choices=role_choices())


class SettingsForm(Form):
    levy_percent = DecimalTextField(_l("Solidarity fund levy (percent of goods value)"),
                                    max_places=2, validators=[Optional()])
    cash_rounding = MoneyField(_l("Round each member's total to a multiple of"),
                               validators=[Optional()])
    loss_policy = SelectField(_l("Who carries losses (damage, surplus)"),
                              choices=loss_policy_choices())
    credit_limit = MoneyField(_l("Credit limit: the most a member may owe (empty: no limit)"),
                              validators=[Optional()])
    timezone = SelectField(_l("Time zone (deadlines and dates)"), validate_choice=False,
                           choices=choices([(z, TIMEZONE_NAMES[z]) for z in TIMEZONES]))
    language = SelectField(_l("Group language"), validate_choice=False,
                           choices=language_choices())

    def __init__(self, *args: Any, currency: str = "KGS", **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.cash_rounding.currency = currency
        self.credit_limit.currency = currency
