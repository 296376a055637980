from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import HiddenField, SelectField
from wtforms.validators import DataRequired

from coop.forms import Form


class CreditNoteForm(Form):
    """A credit note for one adjustment of her account: which invoice it corrects."""

    posting = HiddenField(validators=[DataRequired()])
    invoice = SelectField(_l("Corrects invoice"), coerce=int, validators=[DataRequired()])
