"""The savings group's forms. Every form of a cycle carries the cycle's
version as it was shown: a form sent twice (a double tap, Back and send
again) or after another change finds the cycle moved on and changes nothing."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileAllowed, FileField, FileRequired, FileSize
from wtforms import (
    BooleanField,
    DateField,
    HiddenField,
    IntegerField,
    SelectField,
    SelectMultipleField,
    StringField,
)
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional
from wtforms.widgets import CheckboxInput, ListWidget

from coop.forms import Form, MoneyField, choices


class VersionedForm(Form):
    """`id_prefix`: the meeting page shows many forms at once; each gives its
    fields' element ids its own prefix, so that a label focuses its own field
    (the field names, which the views read, stay as they are)."""

    version = HiddenField()
    id_prefix = ""

    def __init__(self, *args, **kwargs) -> None:  # type: ignore[no-untyped-def]
        super().__init__(*args, **kwargs)
        if self.id_prefix:
            for field in self:
                field.id = f"{self.id_prefix}-{field.name}"
                field.label.field_id = field.id


class CycleForm(Form):
    start_date = DateField(_l("Start of the cycle"), validators=[InputRequired()])
    share_out_date = DateField(_l("Planned share-out"), validators=[InputRequired()])
    share_value = MoneyField(_l("Value of one share"), validators=[DataRequired()])
    min_shares = IntegerField(_l("Fewest shares per meeting"), default=1,
                              validators=[InputRequired(), NumberRange(0, 20)])
    max_shares = IntegerField(_l("Most shares per meeting"), default=5,
                              validators=[InputRequired(), NumberRange(1, 20)])
    social_contribution = MoneyField(_l("Social fund contribution per meeting"),
                                     validators=[Optional()])
    interest_method = SelectField(_l("Interest"), choices=choices([
        ("flat", _l("flat: on the whole loan, charged when it is given")),
        ("declining", _l("declining: on what is still owed, each month"))]), default="flat")
    rate_percent = StringField(_l("Interest per month, %"), default="10",
                               validators=[DataRequired(), Length(max=8)])
    loan_multiple = StringField(_l("A loan is at most her savings ×"), default="3",
                                validators=[DataRequired(), Length(max=8)])
    max_term_months = IntegerField(_l("Longest loan, months"), default=3,
                                   validators=[InputRequired(), NumberRange(1, 12)])
    loan_unit = MoneyField(_l("Loans in multiples of"), validators=[Optional()])
    payout_unit = MoneyField(_l("Share-out paid in multiples of"), validators=[Optional()])
    confirm_loans_above = MoneyField(_l("Key-holders confirm loans above"),
                                     validators=[Optional()])
    confirmations_required = IntegerField(_l("Key-holders who confirm"), default=2,
                                          validators=[InputRequired(), NumberRange(1, 3)])
    withdrawal_rule = SelectField(_l("A member who leaves during the cycle gets"), choices=choices([
        ("savings_only", _l("her savings only")),
        ("with_profit", _l("her savings and her part of the income"))]), default="savings_only")
    members_see_all_lines = BooleanField(_l("Members see every member's lines"), default=True)
    fine_late = MoneyField(_l("Fine for coming late"), validators=[Optional()])
    fine_absent = MoneyField(_l("Fine for missing a meeting"), validators=[Optional()])


class EnrolForm(VersionedForm):
    membership = SelectField(_l("Member"), coerce=int, validators=[InputRequired()])


class KeyHoldersForm(VersionedForm):
    first = SelectField(_l("First key"), coerce=int, validators=[InputRequired()])
    second = SelectField(_l("Second key"), coerce=int, validators=[InputRequired()])
    third = SelectField(_l("Third key"), coerce=int, validators=[InputRequired()])


class OpenMeetingForm(VersionedForm):
    date = DateField(_l("Date"), validators=[InputRequired()])
    kind = SelectField(_l("Meeting"), choices=choices([
        ("regular", _l("a regular meeting")),
        ("share_out", _l("the share-out meeting (end of the cycle)"))]), default="regular")


class RegisterForm(VersionedForm):
    """The register's lines come as status_<id>, shares_<id>, social_<id>,
    repayment_<id> (one set per member: read by the view)."""

    id_prefix = "register"


class EntryForm(VersionedForm):
    """A line added to an open meeting. One like a line already at this
    meeting (Back, and the same filled in again) is asked about first
    (coop.ledger.views.ask_again); the answer comes back with `confirm_again`."""

    confirm_again = HiddenField()

    @property
    def confirmed(self) -> bool:
        return self.confirm_again.data == "1"


class MemberEntryForm(EntryForm):
    member = SelectField(_l("Member"), coerce=int, validators=[InputRequired()])


class FineForm(MemberEntryForm):
    id_prefix = "fine"
    fine_type = SelectField(_l("Fine"), coerce=int, validators=[InputRequired()])
    amount = MoneyField(_l("Amount (empty: the usual amount)"), validators=[Optional()])
    paid = BooleanField(_l("Paid now"))


class PayFineForm(MemberEntryForm):
    id_prefix = "pay-fine"
    fine_type = SelectField(_l("Fine"), coerce=int, validators=[InputRequired()])


class WaiveFineForm(PayFineForm):
    id_prefix = "waive"
    reason = StringField(_l("Why"), validators=[DataRequired(), Length(max=500)])


class GrantForm(MemberEntryForm):
    id_prefix = "grant"
    amount = MoneyField(_l("Amount"), validators=[DataRequired()])
    reason = StringField(_l("Why"), validators=[DataRequired(), Length(max=500)])


class LoanForm(MemberEntryForm):
    id_prefix = "loan"
    principal = MoneyField(_l("Loan"), validators=[DataRequired()])
    # the range is the cycle's (its longest term), said by the service
    months = IntegerField(_l("Months"), default=1, validators=[InputRequired()])
    purpose = StringField(_l("For what"), validators=[Optional(), Length(max=500)])


class WriteOffForm(MemberEntryForm):
    id_prefix = "write-off"
    reason = StringField(_l("Why"), validators=[DataRequired(), Length(max=500)])


class WithdrawalForm(MemberEntryForm):
    id_prefix = "withdrawal"


class ShareAdjustmentForm(MemberEntryForm):
    id_prefix = "adjustment"
    shares = IntegerField(_l("Shares: more, or fewer with a minus (−1)"),
                          validators=[InputRequired(), NumberRange(-1000, 1000)])
    reason = StringField(_l("Which meeting's mistake, and why"),
                         validators=[DataRequired(), Length(max=500)])


class InterestWaiverForm(MemberEntryForm):
    id_prefix = "interest-waiver"
    amount = MoneyField(_l("Interest waived"), validators=[DataRequired()])
    reason = StringField(_l("Why"), validators=[DataRequired(), Length(max=500)])


class DifferenceForm(EntryForm):
    id_prefix = "difference"
    bag = SelectField(_l("Bag"), choices=choices([("loan", _l("loan bag")),
                                          ("social", _l("social bag"))]))
    amount = MoneyField(_l("Counted minus expected (minus for a shortage)"),
                        validators=[DataRequired()], allow_negative=True)
    reason = StringField(_l("Why"), validators=[DataRequired(), Length(max=500)])


class RemoveForm(VersionedForm):
    id_prefix = "remove"
    kind = HiddenField()
    entry = HiddenField()


class MultiCheckboxField(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class CloseForm(VersionedForm):
    id_prefix = "close"
    opening_loan = MoneyField(_l("Loan bag counted at the opening"), validators=[Optional()])
    opening_social = MoneyField(_l("Social bag counted at the opening"),
                                validators=[Optional()])
    closing_loan = MoneyField(_l("Loan bag counted now"), validators=[DataRequired()])
    closing_social = MoneyField(_l("Social bag counted now"), validators=[DataRequired()])
    key_holders = MultiCheckboxField(_l("Key-holders who confirm the count"), coerce=int)


class ReopenForm(VersionedForm):
    id_prefix = "reopen"
    reason = StringField(_l("Why it is reopened"), validators=[DataRequired(),
                                                              Length(max=500)])
    key_holders = MultiCheckboxField(_l("Key-holders who agree"), coerce=int)


class MeetingFileForm(VersionedForm):
    id_prefix = "file"
    file = FileField(_l("The filled form (CSV or Excel .xlsx)"), validators=[
        FileRequired(_l("Choose the file to enter.")),
        FileAllowed(["csv", "txt", "xlsx"], _l("A CSV or Excel .xlsx file.")),
        FileSize(max_size=2 * 1024 * 1024, message=_l("At most 2 MB."))])


class OpeningForm(VersionedForm):
    """A group that adopts Coop mid-cycle; each member's line comes as
    shares_<id>, principal_<id>, interest_<id>, dates_<id>, fines_<id> and
    fine_type_<id> (read by the view)."""

    income = MoneyField(_l("Income so far: interest and fines posted"), validators=[Optional()])
    social_fund = MoneyField(_l("Social fund now"), validators=[Optional()])


class ActivateForm(VersionedForm):
    counted_loan = MoneyField(_l("Loan bag counted by the key-holders"), validators=[Optional()])
    counted_social = MoneyField(_l("Social bag counted by the key-holders"),
                                validators=[Optional()])
    key_holders = MultiCheckboxField(_l("Key-holders who confirm the count"), coerce=int)
