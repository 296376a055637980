from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileAllowed, FileField, FileSize
from wtforms import (
    BooleanField,
    DateField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Length, Optional, ValidationError

from coop.errors import DomainError
from coop.forms import Form, choices
from coop.ledger.forms import OnceForm
from coop.sales.forms import to_id
from coop.security import MAX_ID

BATCH_LINES = 8
MAX_UPLOAD_BYTES = 512 * 1024
MAX_PASTED = 8000


def optional_id(value: object) -> int | None:
    """A select's value as an id; "" as None; junk as -1 (unknown)."""
    if value in (None, ""):
        return None
    try:
        number = int(str(value))
    except ValueError:
        return -1
    return number if 0 < number <= MAX_ID else -1


class HoursField(StringField):
    """Time as people type it ('2:30', '2,5', '2 ч 30'); `.minutes` after
    validation (None when empty). `most`: the group's limit for one transfer,
    set by the view where the time is one, so that too much says that limit."""

    def __init__(self, label: Any = None, validators: Any = None, **kwargs: Any) -> None:
        super().__init__(label, validators, **kwargs)
        self.minutes: int | None = None
        self.most: int | None = None

    def pre_validate(self, form: Any) -> None:
        from coop.timebank.services import parse_minutes

        self.minutes = None
        if not (self.data or "").strip():
            return
        try:
            self.minutes = parse_minutes(self.data or "", self.most)
        except DomainError as exc:
            raise ValidationError(str(exc.message)) from exc


class NumberField(StringField):
    """A member's number in the register ('0' = the group's bank)."""

    def __init__(self, label: Any = None, validators: Any = None, **kwargs: Any) -> None:
        super().__init__(label, validators, **kwargs)
        self.number: int | None = None

    def pre_validate(self, form: Any) -> None:
        self.number = None
        text = (self.data or "").strip().lstrip("№#")
        if not text:
            return
        if not text.isdigit() or len(text) > 6:
            raise ValidationError(_l("Write the member's number from the list."))
        self.number = int(text)


class PostForm(Form):
    kind = SelectField(_l("What"), choices=choices([("offer", _l("I offer help")),
                                            ("request", _l("I ask for help"))]))
    category = SelectField(_l("Category"), coerce=optional_id, validate_choice=False,
                           validators=[DataRequired(_l("Choose a category of help."))])
    title = StringField(_l("In a few words"), validators=[DataRequired(), Length(max=120)])
    description = TextAreaField(_l("More (optional)"), validators=[Optional(),
                                                                   Length(max=1000)])
    valid_until = DateField(_l("Valid until"), validators=[Optional()])
    for_group = BooleanField(_l("A job for several people"))


class RecordForm(OnceForm):
    """A member records help she received (confirmed at once) or gave
    (waiting for the other to confirm)."""

    direction = SelectField(_l("What happened"), choices=choices([
        ("received", _l("I received help")), ("gave", _l("I gave help"))]))
    other = SelectField(_l("Who"), coerce=optional_id, validate_choice=False,
                        validators=[DataRequired(_l("Choose the member."))])
    hours = HoursField(_l("How long (e.g. 2:30 or 2,5)"), validators=[DataRequired()])
    category = SelectField(_l("Category"), coerce=optional_id, validate_choice=False)
    post = SelectField(_l("For an offer or request (optional)"), coerce=optional_id,
                       validate_choice=False)
    date_of_service = DateField(_l("Date of the help"), validators=[DataRequired()])
    note = StringField(_l("Note (optional)"), validators=[Optional(), Length(max=300)])


class RegisterForm(OnceForm):
    """One line of the paper register, typed by the coordinator."""

    receiver = NumberField(_l("Received help: member №"), validators=[DataRequired()])
    provider = NumberField(_l("Gave help: member №"), validators=[DataRequired()])
    hours = HoursField(_l("Hours"), validators=[DataRequired()])
    category = SelectField(_l("Category"), coerce=optional_id, validate_choice=False,
                           validators=[DataRequired(_l("Choose a category of help."))])
    date_of_service = DateField(_l("Date of the help"), validators=[DataRequired()])
    note = StringField(_l("Note (optional)"), validators=[Optional(), Length(max=300)])


class BatchForm(OnceForm):
    """Several members and one (a wedding: four women helped one family)."""

    direction = SelectField(_l("Who received the help"), choices=choices([
        ("many_to_one", _l("one member received help from several")),
        ("one_to_many", _l("one member helped several"))]))
    member = NumberField(_l("That one member: №"), validators=[DataRequired()])
    category = SelectField(_l("Category"), coerce=optional_id, validate_choice=False,
                           validators=[DataRequired(_l("Choose a category of help."))])
    date_of_service = DateField(_l("Date of the help"), validators=[DataRequired()])
    note = StringField(_l("Note (optional)"), validators=[Optional(), Length(max=300)])


# The lines are read by the view, so that every bad line is reported with its
# number (together with what the service finds), not only the first field's.
for _n in range(1, BATCH_LINES + 1):
    setattr(BatchForm, f"other_{_n}", StringField(_l("Member №"),
                                                  validators=[Optional(), Length(max=12)]))
    setattr(BatchForm, f"hours_{_n}", StringField(_l("Hours"),
                                                  validators=[Optional(), Length(max=20)]))


class ImportForm(OnceForm):
    """A CSV file, or the same lines pasted (from a phone)."""

    file = FileField(_l("Register file (CSV)"), validators=[
        FileAllowed(["csv", "txt", "tsv"], _l("Upload a CSV file: in your spreadsheet choose "
                                              "“Save as” and the type “CSV”.")),
        FileSize(max_size=MAX_UPLOAD_BYTES, message=_l("The file is too large."))])
    # pasted from a phone: up to about 150 lines (a longer register comes as a file)
    text = TextAreaField(_l("…or paste the lines here"),
                         validators=[Optional(), Length(max=MAX_PASTED)])

    def validate(self, extra_validators: Any = None) -> bool:
        if not super().validate(extra_validators):
            return False
        if not self.file.data and not (self.text.data or "").strip():
            self.file.errors = [*self.file.errors, _l("Choose the CSV file to import, or "
                                                      "paste its lines.")]
            return False
        return True


class RejectForm(Form):
    reason = StringField(_l("Why"), validators=[DataRequired(), Length(max=300)])


class ReverseForm(OnceForm):
    reason = StringField(_l("Why (what was wrong)"), validators=[DataRequired(),
                                                                 Length(max=300)])


class SettingsForm(Form):
    enabled = BooleanField(_l("The time bank is open"))
    step_minutes = SelectField(_l("Time is counted in steps of"), coerce=int, choices=choices([
        ("5", _l("5 minutes")), ("10", _l("10 minutes")), ("15", _l("15 minutes")),
        ("30", _l("30 minutes")), ("60", _l("1 hour"))]))
    max_hours = HoursField(_l("At most at once"), validators=[DataRequired()])
    floor_hours = HoursField(_l("Lowest balance allowed: hours below zero (empty: no limit)"))
    warn_below_hours = HoursField(_l("Warn below zero by (hours, empty: never)"))
    warn_above_hours = HoursField(_l("Warn above (hours, empty: never)"))
    start_credit_hours = HoursField(_l("Start credit for each member (hours, empty: none)"))
    provider_may_record = BooleanField(_l("The one who gave help may record it (the other "
                                          "confirms)"))


class CoordinatorsForm(Form):
    """Which members keep the register beside the treasurer (choices: the
    group's active members who are not treasurers, set by the view)."""

    coordinators = SelectMultipleField(_l("Coordinators of the time bank"), coerce=to_id,
                                       validate_choice=False)
