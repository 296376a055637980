from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import EmailField, HiddenField, PasswordField, SelectField, StringField
from wtforms.validators import DataRequired, EqualTo, Length, Optional

from coop.config import SUPPORTED_LOCALES
from coop.forms import Form, choices
from coop.i18n import LANGUAGE_NAMES
from coop.orders.forms import MultiCheckboxField


class LoginForm(Form):
    login = StringField(_l("E-mail or phone number"),
                        validators=[DataRequired(), Length(max=254)],
                        render_kw={"autocomplete": "username", "autofocus": True})
    password = PasswordField(_l("Password"), validators=[DataRequired(), Length(max=200)],
                             render_kw={"autocomplete": "current-password"})
    next = HiddenField()


class ChangePasswordForm(Form):
    current_password = PasswordField(_l("Current password"), validators=[DataRequired()],
                                     render_kw={"autocomplete": "current-password"})
    new_password = PasswordField(_l("New password"),
                                 validators=[DataRequired(), Length(min=8, max=200)],
                                 render_kw={"autocomplete": "new-password"})
    confirm = PasswordField(_l("New password again"),
                            validators=[DataRequired(), EqualTo("new_password",
                                        message=_l("The two passwords differ."))],
                            render_kw={"autocomplete": "new-password"})


class SetPasswordForm(Form):
    email = EmailField(_l("E-mail (optional)"), validators=[Optional(), Length(max=254)])
    phone = StringField(_l("Phone number"), validators=[Optional(), Length(max=32)])
    password = PasswordField(_l("Password"), validators=[DataRequired(), Length(min=8, max=200)],
                             render_kw={"autocomplete": "new-password"})
    confirm = PasswordField(_l("Password again"),
                            validators=[DataRequired(), EqualTo("password",
                                        message=_l("The two passwords differ."))],
                            render_kw={"autocomplete": "new-password"})


class LanguageForm(Form):
    locale = SelectField(_l("Language"),
                         choices=choices([(c, LANGUAGE_NAMES[c]) for c in SUPPORTED_LOCALES]))
    next = HiddenField()


class PhoneShownForm(Form):
    """Her choice, per group, of showing her phone number to the other members."""
    shown = MultiCheckboxField(_l("Show my phone number to the other members of"), coerce=int,
                               validate_choice=False)
