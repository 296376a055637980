"""Forms of certificates, the brand and labels."""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileField
from wtforms import (
    BooleanField,
    DateField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional

from coop.forms import (
    WHOLE_NUMBER_FROM_TO,
    DecimalTextField,
    Form,
    NotInFuture,
    WholeNumberField,
    choices,
)
from coop.sales.forms import to_id


def kind_choices() -> list[Any]:
    return choices([("declaration", _l("Declaration of conformity")),
                    ("certificate", _l("Certificate of conformity")),
                    ("organic", _l("Organic certificate")),
                    ("own_standard", _l("Group's own quality standard"))])


class CertificateForm(Form):
    kind = SelectField(_l("Kind of document"), choices=kind_choices())
    number = StringField(_l("Number"), validators=[DataRequired(), Length(max=80)])
    issuer = StringField(_l("Issued by"), validators=[DataRequired(), Length(max=200)])
    valid_from = DateField(_l("Valid from"), validators=[DataRequired()])
    valid_to = DateField(_l("Valid until"), validators=[DataRequired()])
    products = TextAreaField(_l("Products it covers (one per line, as the lots name them)"),
                             validators=[DataRequired(), Length(max=4000)])
    members = SelectMultipleField(_l("Members whose production it covers"), coerce=to_id,
                                  validate_choice=False)
    scan = FileField(_l("Scanned document (PDF, at most 5 MB)"))


class BrandForm(Form):
    name = StringField(_l("Brand name"), validators=[DataRequired(), Length(max=80)])
    text = StringField(_l("Short text for the labels"), validators=[Optional(), Length(max=300)])
    logo = FileField(_l("Logo (PNG or JPEG, at most 1 MB)"))
    drop_logo = BooleanField(_l("Remove the logo"))


class LotMarkForm(Form):
    certificate = SelectField(_l("Certificate on the labels"), coerce=to_id,
                              validate_choice=False)
    use_brand = BooleanField(_l("Print the brand"), default=True)


def size_choices() -> list[Any]:
    return choices([("medium", _l("8 per sheet (105 × 74 mm)")),
                    ("large", _l("4 per sheet (105 × 148 mm)")),
                    ("small", _l("21 per sheet (70 × 42 mm)"))])


class LabelForm(Form):
    """The label sheet's options, sent by GET (it only prints)."""

    class Meta:
        csrf = False

    grade = SelectField(_l("Grade"), coerce=to_id, validate_choice=False)
    net = DecimalTextField(_l("Net quantity per pack"), validators=[DataRequired()],
                           max_places=3)
    packed_on = DateField(_l("Packed on"), validators=[DataRequired(), NotInFuture()])
    best_before = DateField(_l("Best before"), validators=[DataRequired()])
    size = SelectField(_l("Label size"), choices=size_choices())
    count = WholeNumberField(_l("How many labels"), default=8,
                             validators=[InputRequired(),
                                         NumberRange(min=1, max=500,
                                                     message=WHOLE_NUMBER_FROM_TO)])
