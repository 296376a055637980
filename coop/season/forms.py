"""The season's forms. Quantities are typed as people type them ("2,5") and
parsed by the one number parser; a survey's answer fields are made per
product by the view (`answer_fields`)."""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l
from wtforms import (
    BooleanField,
    DateField,
    FileField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Length, Optional

from coop.forms import DecimalTextField, Form, MoneyField, choices
from coop.ledger.forms import OnceForm, method_choices
from coop.orders.forms import MultiCheckboxField
from coop.security import MAX_ID


def _id(value: object) -> int | None:
    if value in (None, ""):
        return None
    try:
        number = int(str(value))
    except ValueError:
        return -1
    return number if 0 < number <= MAX_ID else -1


class SurveyForm(Form):
    title = StringField(_l("Title"), validators=[DataRequired(), Length(max=160)])
    note = TextAreaField(_l("Note to the members (optional)"),
                         validators=[Optional(), Length(max=500)])
    closes_on = DateField(_l("Answers until (optional)"), validators=[Optional()])
    products = MultiCheckboxField(_l("Products to ask about"), coerce=_id,
                                  validate_choice=False)


class ConvertForm(Form):
    title = StringField(_l("Title of the round"), validators=[DataRequired(), Length(max=160)])


class WishForm(Form):
    text = StringField(_l("Something not in the list"),
                       validators=[DataRequired(), Length(max=200)])
    quantity = StringField(_l("How much (optional)"), validators=[Optional(), Length(max=60)])


class ImportForm(Form):
    file = FileField(_l("CSV file or Excel workbook (.xlsx)"))


AREA_UNITS = (("sotka", _l("sotkas")), ("ha", _l("hectares")))


class AnswerForm(Form):
    """Per product: firm_<id>, maybe_<id>, area_<id> (DecimalTextFields
    added by `answer_form`), the area's unit, and whether it is a paper form."""

    area_unit = SelectField(_l("Area in"), choices=choices(list(AREA_UNITS)),
                            default="sotka")
    paper = BooleanField(_l("Entered from the paper form"))


def answer_form(item_ids: list[int], formdata: Any = None, seeds: set[int] | None = None
                ) -> AnswerForm:
    """An AnswerForm with the fields of these survey items (an area only for
    products with a seed rate)."""
    seeds = seeds or set()

    class _Form(AnswerForm):
        pass

    for item_id in item_ids:
        setattr(_Form, f"firm_{item_id}", DecimalTextField(_l("Sure"), max_places=3))
        setattr(_Form, f"maybe_{item_id}", DecimalTextField(_l("Maybe"), max_places=3))
        if item_id in seeds:
            setattr(_Form, f"area_{item_id}", DecimalTextField(_l("Or: land to sow"),
                                                               max_places=3))
    return _Form(formdata=formdata) if formdata is not None else _Form()


class ProfileForm(Form):
    household_size = DecimalTextField(_l("People in the household"), max_places=0)
    land = DecimalTextField(_l("Land, sotkas"), max_places=3)
    livestock = DecimalTextField(_l("Livestock, heads"), max_places=0)
    migrant_abroad = SelectField(_l("Someone of the household works abroad"),
                                 choices=choices([("", _l("I'd rather not say")),
                                                  ("yes", _l("yes")), ("no", _l("no"))]))
    services_wanted = StringField(_l("Services the group could offer you (optional)"),
                                  validators=[Optional(), Length(max=300)])


class SeedRatesForm(Form):
    """rate_<product id> fields are added by `seed_rates_form`."""


def seed_rates_form(product_ids: list[int], formdata: Any = None) -> SeedRatesForm:
    class _Form(SeedRatesForm):
        pass

    for product_id in product_ids:
        setattr(_Form, f"rate_{product_id}", DecimalTextField(_l("Seed per sotka"),
                                                              max_places=3))
    return _Form(formdata=formdata) if formdata is not None else _Form()


REPAY_MODES = (("cash", _l("in cash")), ("kind", _l("in kind, seed into the group's stock")),
               ("payout", _l("from her next sales payout")))


class LoanForm(OnceForm):
    member = SelectField(_l("Member"), coerce=_id, validate_choice=False,
                         validators=[DataRequired()])
    round = SelectField(_l("Round"), coerce=_id, validate_choice=False,
                        validators=[DataRequired()])
    product = SelectField(_l("Seed"), coerce=_id, validate_choice=False,
                          validators=[DataRequired()])
    repay_mode = SelectField(_l("Repaid"), choices=choices(list(REPAY_MODES)))
    repay_ratio = DecimalTextField(_l("She returns (times what she borrowed)"), max_places=4,
                                   validators=[DataRequired()])
    due_on = DateField(_l("Due on (after the harvest)"), validators=[Optional()])
    note = StringField(_l("Note (optional)"), validators=[Optional(), Length(max=300)])


class _CurrencyOnce(OnceForm):
    def __init__(self, *args: Any, currency: str = "KGS", **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for field in self:
            if isinstance(field, MoneyField):
                field.currency = currency


class RepayCashForm(_CurrencyOnce):
    amount = MoneyField(_l("Amount repaid"), validators=[DataRequired()])
    method = SelectField(_l("How"), choices=method_choices())
    note = StringField(_l("Note (optional)"), validators=[Optional(), Length(max=300)])


class RepayKindForm(OnceForm):
    quantity = DecimalTextField(_l("Seed returned"), max_places=3, validators=[DataRequired()])
    # "stock", or "<lot id>-<grade id>": her produce into an open sales lot (the view lists them)
    destination = SelectField(_l("Where it goes"), validate_choice=False, default="stock")

    def lot_and_grade(self) -> tuple[int | None, int | None]:
        """(lot id, grade id) chosen, or (None, None) for the seed stock."""
        value = (self.destination.data or "stock").strip()
        if value == "stock":
            return None, None
        lot, _sep, grade = value.partition("-")
        return _id(lot) or 0, _id(grade) or 0
    note = StringField(_l("Note (optional)"), validators=[Optional(), Length(max=300)])


class WriteOffLoanForm(OnceForm):
    reason = StringField(_l("Why"), validators=[DataRequired(), Length(max=300)])


class StockOutForm(OnceForm):
    product = SelectField(_l("Seed"), coerce=_id, validate_choice=False,
                          validators=[DataRequired()])
    quantity = DecimalTextField(_l("Quantity"), max_places=3, validators=[DataRequired()])
    note = StringField(_l("Where it goes"), validators=[DataRequired(), Length(max=300)])


class LoanActionForm(Form):
    """Approve, deliver or cancel: only the CSRF token; the move is conditional."""


__all__ = ["MoneyField", "method_choices"]
