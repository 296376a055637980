"""The base of every form, and form fields shared by the features: money and
decimal quantities typed as people type them ("1 234,50"), checked on the
server by the one number parser (coop.money.parse_decimal), never floats.

Every form of the app is a `Form`: each of its text fields is cleaned by
coop.text.clean_text (control characters, direction overrides, stacked
accents, length) before any validator, service or the database sees it; each
of its date fields reads a day typed by hand (DateField); and WTForms' own
messages come in the page's language, Kyrgyz and Tajik too (WTFormsMessages)."""

from __future__ import annotations

import calendar
import re
from collections.abc import Callable
from datetime import datetime
from decimal import Decimal
from functools import lru_cache
from typing import Any

from babel import support
from flask import current_app, has_request_context
from flask_babel import get_locale, ngettext
from flask_babel import get_translations as app_translations
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, IntegerField, PasswordField, StringField, TextAreaField
from wtforms import DateField as WTFormsDateField
from wtforms import DateTimeLocalField as WTFormsDateTimeLocalField
from wtforms.fields.choices import SelectChoice
from wtforms.fields.core import UnboundField
from wtforms.i18n import messages_path
from wtforms.validators import Length, NumberRange, StopValidation, ValidationError

from coop import money
from coop.text import TextFilter


def _length_limit(unbound_field: Any) -> int | None:
    validators = unbound_field.kwargs.get("validators") or (
        unbound_field.args[1] if len(unbound_field.args) > 1 else None) or ()
    limits = [v.max for v in validators if isinstance(v, Length) and v.max >= 0]
    return min(limits) if limits else None


@lru_cache(maxsize=16)
def _wtforms_catalog(locale: str) -> support.NullTranslations:
    """WTForms' own catalog for `locale` (it has Russian, not Kyrgyz nor Tajik),
    read from disk once per language and process: Flask-WTF reads and parses
    it on every request that builds a form."""
    return support.Translations.load(messages_path(), [locale], domain="wtforms")


class WTFormsMessages:
    """What a form's fields and validators translate their own messages with
    ("This field is required."): Coop's catalog for the page's language, where
    `wtforms_messages` puts every one of them in Russian, Kyrgyz and Tajik;
    a message it lacks (one a newer WTForms added) from WTForms' own catalog
    (its Russian), else in English."""

    __slots__ = ("app", "wtforms")

    def __init__(self, app: Any, wtforms: Any) -> None:
        self.app, self.wtforms = app, wtforms

    def gettext(self, string: str) -> str:
        found: str = self.app.ugettext(string)
        return found if found != string else self.wtforms.ugettext(string)

    def ngettext(self, singular: str, plural: str, n: int) -> str:
        found: str = self.app.ungettext(singular, plural, n)
        if found not in (singular, plural):
            return found
        return self.wtforms.ungettext(singular, plural, n)


def wtforms_messages(gettext: Callable[[str], Any],
                     ngettext: Callable[[str, str, int], Any]) -> list[Any]:
    """Every message WTForms' fields and validators (and Flask-WTF's file
    validators) can give, written out so that `make messages` extracts them
    into Coop's catalogs and they are translated there: WTForms ships no Kyrgyz
    nor Tajik. tests/unit/test_translations_wtforms.py checks this list against the
    installed WTForms, so that an upgrade that adds a message is noticed."""
    return [
        # validators
        gettext("This field is required."),
        gettext("Invalid field name '%s'."),
        gettext("Field must be equal to %(other_name)s."),
        ngettext("Field must be at least %(min)d character long.",
                 "Field must be at least %(min)d characters long.", 1),
        ngettext("Field cannot be longer than %(max)d character.",
                 "Field cannot be longer than %(max)d characters.", 1),
        ngettext("Field must be exactly %(max)d character long.",
                 "Field must be exactly %(max)d characters long.", 1),
        gettext("Field must be between %(min)d and %(max)d characters long."),
        gettext("Number must be at least %(min)s."),
        gettext("Number must be at most %(max)s."),
        gettext("Number must be between %(min)s and %(max)s."),
        gettext("Date must be at least %(min)s."),
        gettext("Date must be at most %(max)s."),
        gettext("Date must be between %(min)s and %(max)s."),
        gettext("Invalid input."),
        gettext("Invalid email address."),
        gettext("Invalid IP address."),
        gettext("Invalid Mac address."),
        gettext("Invalid URL."),
        gettext("Invalid UUID."),
        gettext("Invalid value, must be one of: %(values)s."),
        gettext("Invalid value, can't be any of: %(values)s."),
        gettext("This field cannot be edited."),
        gettext("This field is disabled and cannot have a value."),
        # fields
        gettext("Not a valid integer value."),
        gettext("Not a valid decimal value."),
        gettext("Not a valid float value."),
        gettext("Not a valid datetime value."),
        gettext("Not a valid date value."),
        gettext("Not a valid time value."),
        gettext("Not a valid week value."),
        gettext("Not a valid choice."),
        gettext("Invalid Choice: could not coerce."),
        gettext("Choices cannot be None."),
        gettext("Invalid choice(s): one or more data inputs could not be coerced."),
        ngettext("'%(value)s' is not a valid choice for this field.",
                 "'%(value)s' are not valid choices for this field.", 1),
        # WTForms' own CSRF (Flask-WTF's CSRFProtect says its own: coop.errors)
        gettext("Invalid CSRF Token."),
        gettext("CSRF token missing."),
        gettext("CSRF failed."),
        gettext("CSRF token expired."),
        # Flask-WTF's file validators
        gettext("File does not have an approved extension: {extensions}"),
        gettext("File does not have an approved extension."),
    ]


class Form(FlaskForm):
    """The base of every form of the app (tests/web/test_hostile_forms.py finds
    any that is not): its text fields are cleaned by construction, its date
    fields are Coop's DateField."""

    class Meta:
        def get_translations(self, form: Any) -> Any:
            if (current_app.config.get("WTF_I18N_ENABLED", True) and has_request_context()
                    and "babel" in current_app.extensions):
                return WTFormsMessages(app_translations(), _wtforms_catalog(str(get_locale())))
            return super().get_translations(form)  # type: ignore[misc]

        def bind_field(self, form: Any, unbound_field: Any, options: dict[str, Any]) -> Any:
            if unbound_field.field_class is WTFormsDateField:  # every form reads days alike
                unbound_field = UnboundField(DateField, *unbound_field.args,
                                             name=unbound_field.name, **unbound_field.kwargs)
            elif unbound_field.field_class is WTFormsDateTimeLocalField:  # and moments
                unbound_field = UnboundField(DateTimeField, *unbound_field.args,
                                             name=unbound_field.name, **unbound_field.kwargs)
            field_class = unbound_field.field_class
            # a password is hashed, never shown nor stored as typed: left as typed
            if issubclass(field_class, StringField) and not issubclass(field_class,
                                                                        PasswordField):
                cleaning = TextFilter(multiline=issubclass(field_class, TextAreaField),
                                      max_length=_length_limit(unbound_field))
                options = {**options, "filters": [
                    cleaning, *unbound_field.kwargs.get("filters", ())]}
            return unbound_field.bind(form=form, **options)


# A day as written by hand where the browser shows no calendar, besides the
# ISO form a calendar sends; the example has the day past 12, so that it
# cannot be read month first.
TYPED_DAY_FORMAT = "%d.%m.%Y"
DAY_EXAMPLE = "21.12.2026"

# A day (and a time) written the right way, whatever its figures: 31.02.2026,
# 2026-02-31, 21.12.2026 25:00. Such a one is not unreadable but impossible,
# and is told so, not how to write it (she did write it that way).
_DAY_SHAPES = (re.compile(r"(?P<d>\d{1,2})\.(?P<m>\d{1,2})\.(?P<y>\d{4})"),
               re.compile(r"(?P<y>\d{4})-(?P<m>\d{1,2})-(?P<d>\d{1,2})"))
_TIME_SHAPE = re.compile(r"(?P<h>\d{1,2}):(?P<min>\d{2})(?::(?P<s>\d{2}))?")
# The years a day may be in, and a moment: "01.01.0001" read as a deadline
# went on to overflow when moved to UTC (a 500). A day's plausibility (a
# certificate from 2000 on, …) is for the service to say in its own words;
# a moment is a deadline or the like, near at hand.
DAY_YEARS = (1000, 9999)
MOMENT_YEARS = (1900, 2199)


def impossible_moment(text: str, *, with_time: bool) -> str | None:
    """What is wrong with a day (and time) written in a form Coop reads but
    that does not exist ("31.02.2026": that month has 28 days), or None when
    it is not written in such a form (then it is unreadable: say how to write it)."""
    day_text, time_text = text, ""
    if with_time:
        day_text, _sep, time_text = text.replace("T", " ", 1).partition(" ")
    shape = next((m for m in (p.fullmatch(day_text) for p in _DAY_SHAPES) if m), None)
    time_shape = _TIME_SHAPE.fullmatch(time_text) if with_time else None
    if shape is None or (with_time and time_shape is None):
        return None
    year, month, day = (int(shape.group(k)) for k in ("y", "m", "d"))
    first, last = MOMENT_YEARS if with_time else DAY_YEARS
    if not first <= year <= last:
        return str(_l("%(typed)s: the year must be from %(first)d to %(last)d.",
                      typed=day_text, first=first, last=last))
    if not 1 <= month <= 12:
        return str(_l("There is no such date: %(typed)s.", typed=day_text))
    days = calendar.monthrange(year, month)[1]
    if not 1 <= day <= days:
        return str(ngettext("There is no such date: %(typed)s – that month has %(num)d day.",
                            "There is no such date: %(typed)s – that month has %(num)d days.",
                            days, typed=day_text))
    if time_shape is not None and not (int(time_shape.group("h")) <= 23
                                       and int(time_shape.group("min")) <= 59
                                       and int(time_shape.group("s") or 0) <= 59):
        return str(_l("There is no such time: %(typed)s. Hours go from 0 to 23, minutes "
                      "from 0 to 59.", typed=time_text))
    return None


class _TypedMoment:
    """What Coop's day and date-time fields share: the text as sent (a calendar
    or typed by hand, spaces alone being empty for the validators), read by
    the field's formats within its years; what cannot be read says why
    (impossible_moment) or how to write it (`unreadable_message`)."""

    typed_formats: tuple[str, ...] = ()
    years: tuple[int, int] = (1, 9999)
    with_time = False
    strptime_format: list[str]
    data: Any
    raw_data: Any

    def unreadable_message(self) -> str:
        raise NotImplementedError

    def _setup(self) -> None:
        self.unreadable = False
        self.raw_text = ""

    def _read(self, moment: datetime) -> Any:
        return moment

    def process_formdata(self, valuelist: list[Any]) -> None:
        if not valuelist:
            return
        self.data, self.unreadable = None, False
        text = " ".join(" ".join(str(value) for value in valuelist).split())
        if not text:  # empty (spaces alone too, for InputRequired): the validators say
            self.raw_data = [""]
            return
        self.raw_text = text
        if len(text) <= 40:
            for pattern in (*self.strptime_format, *self.typed_formats):
                try:
                    moment = datetime.strptime(text, pattern)
                except ValueError:
                    continue
                if self.years[0] <= moment.year <= self.years[1]:
                    self.data = self._read(moment)
                    return
                break
        self.unreadable = True

    def pre_validate(self, form: Any) -> None:
        if self.unreadable:  # stops the validators: none of them would say better
            raise StopValidation(impossible_moment(self.raw_text, with_time=self.with_time)
                                 or self.unreadable_message())


class DateField(_TypedMoment, WTFormsDateField):
    """A day: "2026-12-21" (a calendar) or "21.12.2026" (typed). What cannot be
    read as a day ("эртең", "31.02.2026") says so and how to write it, where
    WTForms' DateField leaves None behind and DataRequired then calls the field
    empty. `Form` makes every WTForms DateField of the app one of these."""

    typed_formats = (TYPED_DAY_FORMAT,)
    years = DAY_YEARS

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._setup()

    def _read(self, moment: datetime) -> Any:
        return moment.date()

    def unreadable_message(self) -> str:
        return str(_l("Could not read the date: write it as %(example)s.",
                      example=DAY_EXAMPLE))


TYPED_MOMENT_FORMATS = ("%d.%m.%Y %H:%M", "%d.%m.%Y %H:%M:%S", "%Y-%m-%d %H:%M",
                        "%Y-%m-%d %H:%M:%S")
MOMENT_EXAMPLE = "21.12.2026 18:00"


class DateTimeField(_TypedMoment, WTFormsDateTimeLocalField):
    """A day and a time: "2026-12-21T18:00" (a calendar) or "21.12.2026 18:00"
    (typed). What cannot be read says so and how to write it (WTForms says
    only «Неверное значение даты и времени.»); spaces alone are empty, for
    the validators to say whether that may be. `Form` makes every WTForms
    DateTimeLocalField of the app one of these."""

    typed_formats = TYPED_MOMENT_FORMATS
    years = MOMENT_YEARS
    with_time = True

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._setup()

    def unreadable_message(self) -> str:
        return str(_l("Could not read the date and time: write them as %(example)s.",
                      example=MOMENT_EXAMPLE))


class WholeNumberField(IntegerField):
    """A count typed in a box ("8"): what is not a whole number ("восемь",
    "2,5") says it must be one, from the field's NumberRange if it has one,
    where WTForms' IntegerField leaves None behind and DataRequired then calls
    the field empty; spaces alone are empty (InputRequired says it is needed)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.unreadable = False

    def process_formdata(self, valuelist: list[Any]) -> None:
        if not valuelist:
            return
        self.data, self.unreadable = None, False
        text = str(valuelist[0]).strip()
        if not text:
            self.raw_data = [""]
            return
        if len(text) <= 12 and re.fullmatch(r"[+-]?[0-9]+", text):
            self.data = int(text)
        else:
            self.unreadable = True

    def pre_validate(self, form: Any) -> None:
        if self.unreadable:
            raise StopValidation(self.range_message())

    def range_message(self) -> str:
        limits = next((v for v in self.validators if isinstance(v, NumberRange)), None)
        low, high = ((limits._resolve(limits.min), limits._resolve(limits.max))
                     if limits is not None else (None, None))
        if low is not None and high is not None:
            return str(WHOLE_NUMBER_FROM_TO) % {"min": low, "max": high}
        return str(_l("Write a whole number."))


# A count's NumberRange says it the same way (it fills in min and max itself).
WHOLE_NUMBER_FROM_TO = _l("Write a whole number from %(min)s to %(max)s.")


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
