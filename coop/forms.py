"""The base of every form, and form fields shared by the features: money and
decimal quantities typed as people type them ("1 234,50"), checked on the
server by the one number parser (coop.money.parse_decimal), never floats.

Every form of the app is a `Form`: each of its text fields is cleaned by
coop.text.clean_text (control characters, direction overrides, stacked
accents, length) before any validator, service or the database sees it."""

from __future__ import annotations

from decimal import Decimal
from functools import lru_cache
from typing import Any

from babel import support
from flask import current_app, has_request_context
from flask_babel import get_locale
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, PasswordField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.i18n import messages_path
from wtforms.validators import Length, ValidationError

from coop import money
from coop.text import TextFilter


def _length_limit(unbound_field: Any) -> int | None:
    validators = unbound_field.kwargs.get("validators") or (
        unbound_field.args[1] if len(unbound_field.args) > 1 else None) or ()
    limits = [v.max for v in validators if isinstance(v, Length) and v.max >= 0]
    return min(limits) if limits else None


@lru_cache(maxsize=16)
def _wtforms_catalog(locale: str) -> support.NullTranslations:
    """WTForms' own messages ("This field is required.") in `locale`, as
    Flask-WTF gives them, but read from disk once per language and process:
    Flask-WTF reads and parses the catalog on every request that builds a form."""
    return support.Translations.load(messages_path(), [locale], domain="wtforms")


class Form(FlaskForm):
    """The base of every form of the app (tests/web/test_hostile_forms.py finds
    any that is not): its text fields are cleaned by construction."""

    class Meta:
        def get_translations(self, form: Any) -> Any:
            if (current_app.config.get("WTF_I18N_ENABLED", True) and has_request_context()
                    and "babel" in current_app.extensions):
                return _wtforms_catalog(str(get_locale()))
            return super().get_translations(form)  # type: ignore[misc]

        def bind_field(self, form: Any, unbound_field: Any, options: dict[str, Any]) -> Any:
            field_class = unbound_field.field_class
            # a password is hashed, never shown nor stored as typed: left as typed
            if issubclass(field_class, StringField) and not issubclass(field_class,
                                                                        PasswordField):
                cleaning = TextFilter(multiline=issubclass(field_class, TextAreaField),
                                      max_length=_length_limit(unbound_field))
                options = {**options, "filters": [
                    cleaning, *unbound_field.kwargs.get("filters", ())]}
            return unbound_field.bind(form=form, **options)


class MoneyField(StringField):
    """An amount in a currency; after validation `.minor` holds integer minor units
    (None when empty). The currency may be set after the form is built."""

    def __init__(self, label: Any = None, validators: Any = None, *, currency: str = "KGS",
                 allow_negative: bool = False, **kwargs: Any) -> None:
        super().__init__(label, validators, **kwargs)
        self.currency = currency
        self.allow_negative = allow_negative
        self.minor: int | None = None

    def pre_validate(self, form: Any) -> None:
        self.minor = None
        text = (self.data or "").strip()
        if not text:
            return
        try:
            self.minor = money.parse_amount(text, self.currency,
                                            allow_negative=self.allow_negative)
        except money.MoneyError as exc:
            raise ValidationError(str(exc.message)) from exc

    def set_minor(self, minor: int | None) -> None:
        self.minor = minor
        if minor is None:
            self.data = ""
            return
        from coop.i18n import current_locale

        self.data = money.format_input(minor, self.currency, current_locale())


class DecimalTextField(StringField):
    """A decimal number as typed ('2,5'); `.value` holds a Decimal (or None)."""

    def __init__(self, label: Any = None, validators: Any = None, *,
                 allow_negative: bool = False, max_places: int = 6, **kwargs: Any) -> None:
        super().__init__(label, validators, **kwargs)
        self.allow_negative = allow_negative
        self.max_places = max_places
        self.value: Decimal | None = None
        self.parse_error: Any = None

    def process_formdata(self, valuelist: list[Any]) -> None:
        self.data = (valuelist[0] if valuelist else "") or ""
        self.value, self.parse_error = None, None
        if not self.data.strip():
            return
        try:
            value = money.parse_decimal(self.data)
        except money.MoneyError as exc:
            self.parse_error = exc.message
            return
        if value < 0 and not self.allow_negative:
            self.parse_error = _l("The number cannot be negative.")
        elif value.as_tuple().exponent < -self.max_places:  # type: ignore[operator]
            self.parse_error = _l("At most %(n)d decimals.", n=self.max_places)
        elif abs(value) >= 10**12:
            self.parse_error = _l("The number is too large.")
        else:
            self.value = value

    def pre_validate(self, form: Any) -> None:
        if self.parse_error:
            raise ValidationError(str(self.parse_error))


class NotInFuture:
    """A day something happened (a delivery, a payment): coop.errors.check_happened
    as a form's validator."""

    def __call__(self, form: Any, field: Any) -> None:
        from coop.errors import DomainError, check_happened

        try:
            check_happened(field.data, field.name)
        except DomainError as exc:
            raise ValidationError(str(exc.message)) from None


def apply_domain_error(form: Any, error: Any) -> None:
    """Show a service's DomainError next to the field it names, else on top;
    one the form's tick box overrides (`confirm`) says to tick it."""
    message = str(error.message)
    tick = getattr(form, error.confirm, None) if getattr(error, "confirm", None) else None
    if isinstance(tick, BooleanField):
        message = " ".join((message, str(_l("Tick “%(label)s” to record it anyway.",
                                           label=tick.label.text))))
    field = getattr(form, error.field, None) if error.field else None
    if field is not None:
        field.errors = [*list(field.errors or []), message]
    else:
        form.form_errors.append(message)


class ActionForm(Form):
    """A button that changes something: only the CSRF token (checked by CSRFProtect)."""


def choices(pairs: list[tuple[str, Any]]) -> list[SelectChoice]:
    """(value, label) pairs as WTForms select choices."""
    return [SelectChoice(value, label) for value, label in pairs]


def unit_choices() -> list[tuple[str, str]]:
    """The unit list for a select ("килограмм (кг)", "пакет"…), then "other"."""
    from flask_babel import gettext

    from coop import unit_text, units

    words = unit_text.UnitWords()
    pairs = []
    for code in units.CODES:
        name = words.quantity(1000, code).replace(words.number(1000), "", 1).strip()
        label = words.label(code)
        pairs.append((code, f"{name} ({label})" if units.is_metric(code) else name))
    return [*pairs, (units.OTHER, gettext("other (write it below)"))]


def unit_typed(form: Any) -> str:
    """What a form's `unit` select and `unit_other` text say: a code of the list,
    or the other unit as written (itself mapped onto the list when it names one)."""
    from coop import units

    if form.unit.data == units.OTHER:
        return units.normalise((form.unit_other.data or "").strip())
    # a client that sends text instead of a code of the select ("кг") is understood
    return units.normalise((form.unit.data or "").strip())


def fill_unit(form: Any, unit: str) -> None:
    """Show a stored unit in a form's `unit` select (and `unit_other` text)."""
    from coop import unit_text, units

    code = unit_text.code(unit)
    form.unit.data = code or units.OTHER
    form.unit_other.data = "" if code else unit


def error_messages(form: Any) -> list[str]:
    """Every error of a form as 'Label: message', for a page that lists them."""
    return [f"{form[name].label.text}: {e}" for name, errs in form.errors.items()
            if name in form for e in errs] + [str(e) for e in form.form_errors]
