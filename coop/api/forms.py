from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import StringField
from wtforms.validators import DataRequired, Length

from coop.api.services import MAX_NAME


class TokenForm(FlaskForm):
    """A new personal API token: only its name is asked (the service checks it)."""

    name = StringField(_l("What is the token for?"),
                       validators=[DataRequired(), Length(max=MAX_NAME)])
