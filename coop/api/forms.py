from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import SelectField, StringField
from wtforms.validators import DataRequired, Length

from coop.api.services import LIFETIMES, MAX_NAME
from coop.forms import Form, choices

LIFETIME_LABELS = {30: _l("30 days"), 90: _l("90 days"), 365: _l("one year"),
                   None: _l("until I revoke it")}


def _lifetime(value: object) -> int | None:
    """The form's text ("90", "never") as days, or None (until revoked)."""
    if value in (None, "", "never"):
        return None
    try:
        return int(str(value))
    except ValueError:
        return -1  # not offered: the service says so


class TokenForm(Form):
    """A new personal API token: its name and how long it works (the service
    checks both)."""

    name = StringField(_l("What is the token for?"),
                       validators=[DataRequired(), Length(max=MAX_NAME)])
    lifetime = SelectField(
        _l("Works for"), coerce=_lifetime, default=LIFETIMES[0],
        choices=choices([("never" if days is None else str(days), LIFETIME_LABELS[days])
                         for days in LIFETIMES]))
