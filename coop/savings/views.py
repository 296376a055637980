"""The savings group's pages: the cycle (settings, members, key-holders), the
meeting the treasurer fills in front of everyone (one page, no JavaScript),
the closed meeting's record, a member's passbook and the share-out.

Views are thin: check the form and the cycle's version as shown, call a
service, commit once, redirect (post/redirect/get)."""

from __future__ import annotations

import re
from collections import defaultdict
from decimal import Decimal, InvalidOperation
from typing import Any

from babel.numbers import format_decimal
from flask import Blueprint, abort, flash, g, redirect, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from coop import money
from coop.errors import DomainError
from coop.extensions import db
from coop.forms import apply_domain_error, choices, error_messages
from coop.groups.access import group_view
from coop.groups.models import Membership
from coop.i18n import current_locale, fmt_money, local_today
from coop.ledger.views import ask_again
from coop.savings import forms
from coop.savings import services as savings
from coop.savings.models import (
    Confirmation,
    CycleMember,
    Fine,
    SavingsCycle,
    SavingsLoan,
    SavingsMeeting,
    ShareOut,
)
from coop.views import Confirmation as Question
from coop.views import already_done, confirmed, figures_token, pdf_response, render_then_commit

bp = Blueprint("savings", __name__, template_folder="templates")


@bp.app_template_filter("sgmoney")
def engine_money(text: str | None) -> int:
    """A money string of the engine's result, in minor units (for |money)."""
    return savings.to_minor(text)


@bp.app_template_filter("one_decimal")
def one_decimal(text: str) -> str:
    """A percentage of the engine's result ("5.8") as the reader writes it,
    with its one decimal ("5,8"; "1,0", as the spec shows percentages)."""
    return format_decimal(Decimal(text), format="#,##0.0", locale=current_locale())


@bp.app_template_filter("money_input")
def money_input(minor: int | None, currency: str) -> str:
    """An amount as a form shows it for typing ("401,50")."""
    if minor is None:
        return ""
    return money.format_input(minor, currency, current_locale())


# --------------------------------------------------------------------------
# Loading, with access
# --------------------------------------------------------------------------


def _cycle(cycle_id: int) -> SavingsCycle:
    cycle = savings.get_cycle(db.session, g.group, cycle_id)
    if cycle is None:
        abort(404)
    return cycle


def _meeting(cycle: SavingsCycle, meeting_id: int) -> SavingsMeeting:
    meeting = savings.get_meeting(db.session, cycle, meeting_id)
    if meeting is None:
        abort(404)
    return meeting


def _treasurer() -> None:
    if not g.is_treasurer:
        abort(403)


def _cycle_url(cycle: SavingsCycle) -> str:
    return url_for("savings.cycle", group_id=g.group.id, cycle_id=cycle.id)


def _meeting_url(cycle: SavingsCycle, meeting: SavingsMeeting) -> str:
    return url_for("savings.meeting", group_id=g.group.id, cycle_id=cycle.id,
                   meeting_id=meeting.id)


def _refused(error: DomainError) -> None:
    db.session.rollback()
    flash(str(error.message), "error")


def _form_refused(form: Any, message: str) -> None:
    """A form that did not validate: the message, then what each field says."""
    flash(message, "error")
    for problem in error_messages(form):
        flash(problem, "error")


# --------------------------------------------------------------------------
# Cycles
# --------------------------------------------------------------------------


@bp.get("/groups/<int:group_id>/savings")
@group_view()
def index(group_id: int):  # type: ignore[no-untyped-def]
    cycles = savings.cycles(db.session, g.group)
    running = next((c for c in cycles if c.state in savings.RUNNING), None)
    if running is not None and not request.args.get("all"):
        return redirect(_cycle_url(running))
    return render_then_commit("savings/index.html", group=g.group, cycles=cycles,
                              states=savings.CYCLE_STATE_NAMES)


def _settings_from(form: forms.CycleForm) -> savings.CycleSettings:
    def percent_bp(text: str, field: str, scale: int) -> int:
        try:
            value = money.parse_decimal(text or "")
        except (money.MoneyError, InvalidOperation):
            raise DomainError(_l("A number, like 5 or 2,5."), field=field) from None
        scaled = value * scale
        if scaled != scaled.to_integral_value():
            raise DomainError(_l("Too many decimals."), field=field)
        return int(scaled)

    types = []
    if form.fine_late.minor:
        types.append(("late", _("Late"), form.fine_late.minor, "loan"))
    if form.fine_absent.minor:
        types.append(("absent", _("Absent"), form.fine_absent.minor, "loan"))
    return savings.CycleSettings(
        start_date=form.start_date.data, share_out_date=form.share_out_date.data,
        share_value=form.share_value.minor or 0, min_shares=form.min_shares.data or 0,
        max_shares=form.max_shares.data or 0,
        social_contribution=form.social_contribution.minor or 0,
        interest_method=form.interest_method.data,
        rate_bp=percent_bp(form.rate_percent.data, "rate_percent", 100),
        loan_multiple=percent_bp(form.loan_multiple.data, "loan_multiple", 100),
        max_term_months=form.max_term_months.data or 0,
        loan_unit=form.loan_unit.minor or 10 ** money.minor_digits(g.group.currency),
        payout_unit=form.payout_unit.minor or 1,
        confirm_loans_above=form.confirm_loans_above.minor or 0,
        confirmations_required=form.confirmations_required.data or 2,
        withdrawal_rule=form.withdrawal_rule.data,
        members_see_all_lines=bool(form.members_see_all_lines.data), fine_types=types)


def _cycle_form(cycle: SavingsCycle | None = None) -> forms.CycleForm:
    form = forms.CycleForm(formdata=request.form if request.method == "POST" else None)
    for field in form:
        if isinstance(field, forms.MoneyField):
            field.currency = g.group.currency
    if request.method == "GET":
        unit = 10 ** money.minor_digits(g.group.currency)
        if cycle is None:
            today = local_today()
            form.start_date.data = today
            form.share_out_date.data = today.replace(year=today.year + 1)
            form.loan_unit.set_minor(unit)
            form.payout_unit.set_minor(unit)
            form.fine_late.set_minor(5 * unit)
            form.fine_absent.set_minor(20 * unit)
            form.confirm_loans_above.set_minor(0)
            form.social_contribution.set_minor(0)
        else:
            for name in ("start_date", "share_out_date", "min_shares", "max_shares",
                         "interest_method", "max_term_months", "confirmations_required",
                         "withdrawal_rule", "members_see_all_lines"):
                getattr(form, name).data = getattr(cycle, name)
            for name in ("share_value", "social_contribution", "loan_unit", "payout_unit",
                         "confirm_loans_above"):
                getattr(form, name).set_minor(getattr(cycle, name))
            form.rate_percent.data = money.format_number(Decimal(cycle.rate_bp) / 100,
                                                         current_locale())
            form.loan_multiple.data = money.format_number(Decimal(cycle.loan_multiple) / 100,
                                                          current_locale())
            fines = {t.code: t.default_amount for t in cycle.fine_types}
            form.fine_late.set_minor(fines.get("late"))
            form.fine_absent.set_minor(fines.get("absent"))
    return form


@bp.route("/groups/<int:group_id>/savings/new", methods=["GET", "POST"])
@group_view(treasurer=True)
def new_cycle(group_id: int):  # type: ignore[no-untyped-def]
    form = _cycle_form()
    if request.method == "POST" and form.validate_on_submit():
        try:
            cycle = savings.create_cycle(db.session, g.group, _settings_from(form), _user())
        except DomainError as error:
            db.session.rollback()
            apply_domain_error(form, error)
        else:
            db.session.commit()
            flash(_("Cycle %(number)s is set up. Enrol the members and choose the key-holders.",
                    number=cycle.number), "success")
            return redirect(_cycle_url(cycle))
    status = 422 if request.method == "POST" else 200
    return render_then_commit("savings/cycle_form.html", group=g.group, form=form,
                              cycle=None), status


@bp.route("/groups/<int:group_id>/savings/<int:cycle_id>/settings", methods=["GET", "POST"])
@group_view(treasurer=True)
def edit_cycle(group_id: int, cycle_id: int):  # type: ignore[no-untyped-def]
    cycle = _cycle(cycle_id)
    form = _cycle_form(cycle)
    if request.method == "POST" and form.validate_on_submit():
        try:
            savings.update_cycle(db.session, cycle, g.group, _settings_from(form))
        except DomainError as error:
            db.session.rollback()
            if isinstance(error, savings.Conflict):
                flash(str(error.message), "error")
                return redirect(_cycle_url(cycle))
            apply_domain_error(form, error)
        else:
            db.session.commit()
            return redirect(_cycle_url(cycle))
    status = 422 if request.method == "POST" else 200
    return render_then_commit("savings/cycle_form.html", group=g.group, form=form,
                              cycle=cycle), status


def _user():  # type: ignore[no-untyped-def]
    from flask_login import current_user

    return current_user._get_current_object()


@bp.get("/groups/<int:group_id>/savings/<int:cycle_id>")
@group_view()
def cycle(group_id: int, cycle_id: int):  # type: ignore[no-untyped-def]
    return render_then_commit("savings/cycle.html", **_cycle_context(_cycle(cycle_id)))


def _cycle_refused(cycle: SavingsCycle, status: int) -> Any:
    """The cycle's page again, with what was refused flashed above it, under
    the refusal's status (a change sent twice, a stale page, a rule): nothing
    of the change was written."""
    return render_then_commit("savings/cycle.html", **_cycle_context(cycle)), status


def _cycle_context(cycle: SavingsCycle) -> dict[str, Any]:
    members = savings.cycle_members(db.session, cycle)
    meetings = savings.meetings_of(db.session, cycle)
    enrolled = {m.membership_id for m in members}
    group_members = list(db.session.scalars(select(Membership).where(
        Membership.group_id == g.group.id, Membership.active.is_(True))))
    run = None
    try:
        run = savings.closed_run(db.session, cycle, g.group)
    except DomainError:  # shown as it stands; the books are the ledger's
        run = None
    projected = _projected(run, members) if run else None
    sheet = _sheet(cycle, run)
    if sheet is not None and sheet.meeting is not None:
        # the share-out meeting is open: what its close would give, its entries included
        projected = [{"member": r["member"], "entitlement": r["entitlement"], "net": r["net"]}
                     for r in sheet.rows] or sheet.projected or None
    version = str(cycle.version)
    enrol_form = forms.EnrolForm(formdata=None, version=version)
    enrol_form.membership.choices = choices(
        [(str(m.id), m.user.name) for m in sorted(group_members, key=lambda m: m.user.name)
         if m.id not in enrolled])
    keys_form = forms.KeyHoldersForm(formdata=None, version=version)
    key_choices = choices([("0", "—")] + [(str(m.membership_id), m.name) for m in members
                                          if not m.membership.is_treasurer])
    holders = [h.membership_id for h in cycle.key_holders] + [0, 0, 0]
    for field, chosen in zip((keys_form.first, keys_form.second, keys_form.third), holders,
                             strict=False):
        field.choices = key_choices
        field.data = chosen
    open_form = forms.OpenMeetingForm(formdata=None, version=version)
    open_form.date.data = local_today()
    opening_form = forms.OpeningForm(formdata=None, version=version)
    activate_form = forms.ActivateForm(formdata=None, version=version)
    for form in (opening_form, activate_form):
        for field in form:
            if isinstance(field, forms.MoneyField):
                field.currency = g.group.currency
    opening_form.income.set_minor(cycle.opening_income or None)
    opening_form.social_fund.set_minor(cycle.opening_social or None)
    activate_form.key_holders.choices = [(h.id, h.membership.user.name)
                                         for h in cycle.key_holders]
    opening = savings.opening_of(db.session, cycle)
    owed_fines = {f.cycle_member_id: f for f in savings.opening_fines(db.session, cycle)}
    opening_confirmed = savings.opening_confirmations(db.session, cycle) \
        if cycle.adopted_mid_cycle and cycle.state != savings.DRAFT else []
    me = savings.member_of(db.session, cycle, g.membership)
    return dict(
        group=g.group, cycle=cycle, members=members, meetings=meetings,
        run=run, projected=projected, enrol_form=enrol_form, keys_form=keys_form,
        open_form=open_form, opening_form=opening_form, activate_form=activate_form,
        opening=opening, owed_fines=owed_fines, opening_confirmed=opening_confirmed,
        me=me, states=savings.CYCLE_STATE_NAMES,
        meeting_states=savings.MEETING_STATE_NAMES, version=version,
        share_out=db.session.scalar(select(ShareOut).where(ShareOut.cycle_id == cycle.id)),
        sheet=sheet, sheet_ready=sheet is not None and not sheet.refusal)


def _sheet(cycle: SavingsCycle, run: savings.Run | None) -> savings.ShareOutView | None:
    """The share-out (confirmed, or the draft of the open share-out meeting,
    or 'if we shared out today'), None when there is none to show."""
    if run is None:
        return None
    try:
        return savings.share_out_view(db.session, cycle, g.group, run, draft=g.is_treasurer)
    except DomainError:
        return None


def _projected(run: savings.Run, members: list[CycleMember]) -> list[dict[str, Any]] | None:
    """'If we shared out today': the engine's projected share-out, per member."""
    rows = run.result["indicators"].get("projected_share_out")
    if not rows:
        return None
    by_id = {run.ids[m.id]: m for m in run.members}
    return [{"member": by_id[r["id"]], "entitlement": savings.to_minor(r["entitlement"]),
             "net": savings.to_minor(r["net"])} for r in rows]


def _cycle_action(cycle_id: int, form_class: type, act) -> Any:  # type: ignore[no-untyped-def,type-arg]
    """A treasurer's change to the cycle: the version as shown, the service,
    one commit, back to the cycle's page."""
    _treasurer()
    cycle = _cycle(cycle_id)
    form = form_class()
    if hasattr(form, "membership"):
        form.membership.choices = None
        form.membership.validate_choice = False
    for name in ("first", "second", "third", "key_holders"):
        if hasattr(form, name):  # the service says which of them may confirm
            getattr(form, name).validate_choice = False
    for field in form:
        if isinstance(field, forms.MoneyField):
            field.currency = g.group.currency
    if not form.validate_on_submit():
        _form_refused(form, _("Please check the form."))
        return _cycle_refused(cycle, 422)
    try:
        savings.claim_version(db.session, cycle, form.version.data)
        act(cycle, form)
    except DomainError as error:
        _refused(error)
        return _cycle_refused(cycle, error.status)
    db.session.commit()
    return redirect(_cycle_url(cycle)), 303


@bp.post("/groups/<int:group_id>/savings/<int:cycle_id>/members")
@group_view(treasurer=True)
def enrol(group_id: int, cycle_id: int):  # type: ignore[no-untyped-def]
    def act(cycle: SavingsCycle, form: forms.EnrolForm) -> None:
        membership = db.session.get(Membership, form.membership.data or 0)
        if membership is None or membership.group_id != g.group.id:
            raise DomainError(_l("Choose a member of this group."), field="membership")
        member = savings.enrol(db.session, cycle, membership)
        flash(_("%(name)s has passbook number %(number)s.", name=member.name,
                number=member.passbook_no), "success")

    return _cycle_action(cycle_id, forms.EnrolForm, act)


@bp.post("/groups/<int:group_id>/savings/<int:cycle_id>/members/<int:member_id>/remove")
@group_view(treasurer=True)
def unenrol(group_id: int, cycle_id: int, member_id: int):  # type: ignore[no-untyped-def]
    def act(cycle: SavingsCycle, form: forms.VersionedForm) -> None:
        member = savings.get_member(db.session, cycle, member_id)
        if member is None:
            abort(404)
        savings.unenrol(db.session, cycle, member)

    return _cycle_action(cycle_id, forms.VersionedForm, act)


@bp.post("/groups/<int:group_id>/savings/<int:cycle_id>/key-holders")
@group_view(treasurer=True)
def key_holders(group_id: int, cycle_id: int):  # type: ignore[no-untyped-def]
    def act(cycle: SavingsCycle, form: forms.KeyHoldersForm) -> None:
        savings.set_key_holders(db.session, cycle, [form.first.data, form.second.data,
                                                    form.third.data])

    return _cycle_action(cycle_id, forms.KeyHoldersForm, act)


@bp.post("/groups/<int:group_id>/savings/<int:cycle_id>/activate")
@group_view(treasurer=True)
def activate(group_id: int, cycle_id: int):  # type: ignore[no-untyped-def]
    def act(cycle: SavingsCycle, form: forms.ActivateForm) -> None:
        savings.activate(db.session, cycle, g.group, counted_loan=form.counted_loan.minor,
                         counted_social=form.counted_social.minor,
                         key_holder_ids=form.key_holders.data or [], actor=_user(),
                         actor_membership=g.membership)
        flash(_("The cycle runs: its settings are fixed until the share-out."), "success")

    return _cycle_action(cycle_id, forms.ActivateForm, act)


@bp.post("/groups/<int:group_id>/savings/<int:cycle_id>/opening")
@group_view(treasurer=True)
def opening(group_id: int, cycle_id: int):  # type: ignore[no-untyped-def]
    """The balances of a cycle kept on paper before Coop (§4.3)."""
    from datetime import date as day_type

    def act(cycle: SavingsCycle, form: forms.OpeningForm) -> None:
        balances = []
        for member in savings.cycle_members(db.session, cycle):
            def amount(name: str, member: CycleMember = member) -> int:
                return _parse_money(request.form.get(f"{name}_{member.id}", ""), member.name)

            dates = []
            for text in re.split(r"[,;\s]+", request.form.get(f"dates_{member.id}", "")):
                if not text:
                    continue
                try:
                    dates.append(day_type.fromisoformat(text))
                except ValueError:
                    raise DomainError(_("%(who)s: “%(text)s” is not a date like 2026-07-05.",
                                        who=member.name, text=text[:20])) from None
            fine = amount("fines")
            fines: tuple[tuple[int, int], ...] = ()
            if fine:
                text = request.form.get(f"fine_type_{member.id}", "").strip()
                fines = ((int(text) if text.isdigit() and len(text) < 10 else 0, fine),)
            balances.append(savings.OpeningBalance(
                member.id, _parse_int(request.form.get(f"shares_{member.id}", ""),
                                      member.name),
                amount("principal"), amount("interest"), tuple(dates), fines))
        savings.set_opening(db.session, cycle, g.group, balances=balances,
                            income=form.income.minor or 0,
                            social_fund=form.social_fund.minor or 0)
        flash(_("The opening balances are saved. The key-holders count the bags when the "
                "cycle starts."), "success")

    return _cycle_action(cycle_id, forms.OpeningForm, act)


@bp.post("/groups/<int:group_id>/savings/<int:cycle_id>/cancel")
@group_view(treasurer=True)
def cancel(group_id: int, cycle_id: int):  # type: ignore[no-untyped-def]
    def act(cycle: SavingsCycle, form: forms.VersionedForm) -> None:
        savings.cancel_cycle(db.session, cycle)

    return _cycle_action(cycle_id, forms.VersionedForm, act)


@bp.post("/groups/<int:group_id>/savings/<int:cycle_id>/meetings")
@group_view(treasurer=True)
def open_meeting(group_id: int, cycle_id: int):  # type: ignore[no-untyped-def]
    cycle = _cycle(cycle_id)
    form = forms.OpenMeetingForm()
    if not form.validate_on_submit():
        # a date written but refused ("31.02.2026") is told by its field alone:
        # "give the meeting's date" would say she wrote none
        if (request.form.get("date") or "").strip():
            for problem in error_messages(form):
                flash(problem, "error")
        else:
            flash(_("Give the meeting's date."), "error")
            for problem in error_messages(form):
                if not problem.startswith(f"{form.date.label.text}:"):
                    flash(problem, "error")
        return _cycle_refused(cycle, 422)
    try:
        savings.claim_version(db.session, cycle, form.version.data)
        meeting = savings.open_meeting(db.session, cycle, g.group, day=form.date.data,
                                       kind=form.kind.data, actor=_user())
    except DomainError as error:
        _refused(error)
        return _cycle_refused(cycle, error.status)
    db.session.commit()
    return redirect(_meeting_url(cycle, meeting)), 303


# --------------------------------------------------------------------------
# A meeting
# --------------------------------------------------------------------------


def _meeting_context(cycle: SavingsCycle, meeting: SavingsMeeting) -> dict[str, Any]:
    """Everything the meeting's page shows, read in a fixed number of queries."""
    members = savings.cycle_members(db.session, cycle)
    by_id = {m.id: m for m in members}
    error = None
    try:
        run = savings.run_cycle(db.session, cycle, g.group, through=meeting.number)
    except DomainError as refused:
        run, error = None, refused.message
        if meeting.kind == savings.SHARE_OUT and meeting.state == savings.OPEN:
            try:  # the entries so far, before the debts allow the share-out
                run = savings.run_cycle(db.session, cycle, g.group, through=meeting.number,
                                        share_out=False)
                error = _("The share-out cannot be made yet: %(reason)s",
                          reason=refused.message)
            except DomainError:
                pass
    k = meeting.number
    lines = []
    entries = savings.meeting_entries(db.session, [meeting])
    if run is not None:
        figures = run.figures(k)
        register = {a.cycle_member_id: a for a in entries.attendance[meeting.id]}
        for j, line in enumerate(figures["members"]):
            member = run.members[j]
            if line["attendance"] is None and member.id not in register:
                continue
            lines.append({"member": member, "line": line, "row": register.get(member.id),
                          "to_minor": savings.to_minor})
    fine_names = {t.id: t.name for t in cycle.fine_types}
    loans_here = [loan for loan in entries.loans[meeting.id]]
    withdrawals = list(db.session.scalars(select(CycleMember).where(
        CycleMember.withdrawn_meeting_id == meeting.id)))
    due = defaultdict(list)
    for fine in db.session.scalars(select(Fine).join(
            SavingsMeeting, SavingsMeeting.id == Fine.meeting_id).where(
            SavingsMeeting.cycle_id == cycle.id, SavingsMeeting.number < k,
            Fine.paid_meeting_id.is_(None), Fine.waived_meeting_id.is_(None))):
        due[fine.cycle_member_id].append(fine)
    active_loans = list(db.session.scalars(select(SavingsLoan).where(
        SavingsLoan.cycle_id == cycle.id, SavingsLoan.state == "active")))
    expected = savings.expected_cash(run, meeting) if run else None
    version = str(cycle.version)
    taking_part = [m for m in members if m.id in {x["member"].id for x in lines}]
    member_choices = choices([(str(m.id), f"{m.passbook_no}. {m.name}") for m in taking_part])
    currency = g.group.currency
    type_choices = choices([(str(t.id), f"{t.name} ({fmt_money(t.default_amount, currency)})")
                            for t in cycle.fine_types])
    made = {}
    for name, form_class in (("fine", forms.FineForm), ("pay_fine", forms.PayFineForm),
                             ("waive", forms.WaiveFineForm), ("grant", forms.GrantForm),
                             ("loan", forms.LoanForm), ("write_off", forms.WriteOffForm),
                             ("withdrawal", forms.WithdrawalForm),
                             ("adjustment", forms.ShareAdjustmentForm),
                             ("interest_waiver", forms.InterestWaiverForm),
                             ("difference", forms.DifferenceForm),
                             ("close", forms.CloseForm), ("reopen", forms.ReopenForm),
                             ("file", forms.MeetingFileForm)):
        form = form_class(formdata=None, version=version)
        for field in form:
            if isinstance(field, forms.MoneyField):
                field.currency = g.group.currency
        if hasattr(form, "member"):
            form.member.choices = member_choices
        if hasattr(form, "fine_type"):
            form.fine_type.choices = type_choices
        if hasattr(form, "key_holders"):
            form.key_holders.choices = [(h.id, h.membership.user.name)
                                        for h in cycle.key_holders]
        made[name] = form
    if expected:
        made["close"].opening_loan.set_minor(None)
    confirmations = list(db.session.scalars(select(Confirmation).where(
        Confirmation.meeting_id == meeting.id).order_by(Confirmation.id)))
    record = savings.meeting_record(db.session, meeting)
    # A register nobody has saved yet expects the social fund from everyone.
    fresh = all(a.status == "absent" and not a.shares and not a.social
                for a in entries.attendance[meeting.id])
    return dict(group=g.group, cycle=cycle, meeting=meeting, run=run, lines=lines,
                error=error, entries=entries, fine_names=fine_names, loans_here=loans_here,
                withdrawals=withdrawals, due=due, by_id=by_id, active_loans=active_loans,
                expected=expected, forms=made, version=version, confirmations=confirmations,
                figures=run.figures(k) if run else None, record=record, fresh=fresh,
                interest_now=_interest_now(run, k, cycle) if run else {}, typed=None,
                problems=None, refused=None, places=MEETING_PLACES,
                is_last=meeting.number == max((m.number for m in savings.meetings_of(
                    db.session, cycle)), default=0),
                can_edit=g.is_treasurer and meeting.state == savings.OPEN,
                states=savings.MEETING_STATE_NAMES)


def _interest_now(run: savings.Run, k: int, cycle: SavingsCycle) -> dict[str, int]:
    """Per member (engine id): the declining interest of one month that fell
    due at meeting k, when that is all the interest she owes on top of her
    loan ("200,00 + 4,00 interest for this month")."""
    if cycle.interest_method != "declining":
        return {}
    found: dict[str, list[int]] = defaultdict(list)
    for loan in run.result["loans"]:
        for part in loan["installments"]:
            if part["falls_due_meeting"] == k and part["interest_due"] is not None:
                found[loan["member"]].append(savings.to_minor(part["interest_due"]))
    return {member: parts[0] for member, parts in found.items() if len(parts) == 1}


def _can_see_meeting(cycle: SavingsCycle) -> None:
    if g.is_treasurer:
        return
    if savings.member_of(db.session, cycle, g.membership) is None:
        abort(404)


@bp.get("/groups/<int:group_id>/savings/<int:cycle_id>/meetings/<int:meeting_id>")
@group_view()
def meeting(group_id: int, cycle_id: int, meeting_id: int):  # type: ignore[no-untyped-def]
    cycle = _cycle(cycle_id)
    _can_see_meeting(cycle)
    meeting = _meeting(cycle, meeting_id)
    if meeting.state == savings.OPEN and not g.is_treasurer:
        flash(_("This meeting is still being recorded; its record appears when it closes."),
              "info")
        return redirect(_cycle_url(cycle))
    if not g.is_treasurer and not cycle.members_see_all_lines:
        me = savings.member_of(db.session, cycle, g.membership)
        return redirect(url_for("savings.passbook", group_id=group_id, cycle_id=cycle.id,
                                member_id=me.id if me else 0))
    return render_then_commit("savings/meeting.html",
                              **_after_share_out(_meeting_context(cycle, meeting)))


def _after_share_out(context: dict[str, Any]) -> dict[str, Any]:
    """The closed share-out meeting as it ended: her loan as the meeting's
    record prints it (owed when the meeting was held), not overdue but set
    off against her part at the share-out; the page says so."""
    run, meeting = context["run"], context["meeting"]
    done = run.result["share_out"] if run is not None else None
    if done is None or meeting.state != savings.MEETING_CLOSED:
        return context
    set_off = {line["id"]: savings.to_minor(line["set_off"]) for line in done["members"]}
    named = []
    for x in context["lines"]:
        amount = set_off.get(run.ids[x["member"].id], 0)
        if amount:
            named.append(f"{x['member'].name} {fmt_money(amount, g.group.currency)}")
        x["line"] = {**x["line"], "overdue": "0", "days_overdue": 0}
        x["set_off"] = amount
    if named:
        flash(_("At the share-out the debts were set off against the members' parts, and "
                "their loans are repaid: %(members)s.", members="; ".join(named)), "info")
    return context


def _meeting_form(form_class: type, cycle: SavingsCycle) -> Any:
    form = form_class()
    for field in form:
        if isinstance(field, forms.MoneyField):
            field.currency = g.group.currency
        if hasattr(field, "validate_choice"):
            field.validate_choice = False
    if hasattr(form, "key_holders"):
        form.key_holders.choices = [(h.id, "") for h in cycle.key_holders]
    return form


def _meeting_action(cycle_id: int, meeting_id: int, form_class: type, act,  # type: ignore[no-untyped-def,type-arg]
                    success: str | None = None, same=None):
    """Every change to an open meeting: the form's version as shown, the
    service (which runs the whole cycle through the engine), one commit;
    refused: the page again with the message beside the form that was sent,
    that form as she typed it, nothing written (`_refused_page`). `same(cycle,
    meeting, form)`: the question when a line like this one is at the meeting
    already (Back, and the same filled in again), asked before it is added twice."""
    cycle = _cycle(cycle_id)
    meeting = _meeting(cycle, meeting_id)
    form = _meeting_form(form_class, cycle)
    name = form_class.id_prefix.replace("-", "_")
    if not form.validate_on_submit():
        db.session.rollback()
        return _refused_page(cycle, meeting, name, None, 422, form)
    back = _meeting_url(cycle, meeting) + "#" + _section()
    try:
        savings.claim_version(db.session, cycle, form.version.data)
        question = same(cycle, meeting, form) if same and not form.confirmed else None
        if question:
            db.session.rollback()
            return ask_again(form, question, back, place=MEETING_PLACES[name])
        act(cycle, meeting, form)
    except DomainError as error:
        db.session.rollback()
        return _refused_page(cycle, meeting, name, [str(error.message)], error.status, form)
    db.session.commit()
    if success:
        flash(success, "success")
    return redirect(back), 303


# Where the meeting page shows each of its forms (by its name in the page's
# `forms`): the element of that id holds it, and the form posts to
# `#<that id>`, so that a refused form opens the page there, at its message,
# not 3,000 px below a banner at the top on a phone.
MEETING_PLACES = {"file": "paper", "register": "register", "remove": "entries",
                  "fine": "fine", "pay_fine": "fine-due", "waive": "fine-due",
                  "grant": "grant", "loan": "loan", "write_off": "write-off",
                  "adjustment": "adjustment", "interest_waiver": "interest-waiver",
                  "withdrawal": "withdrawal", "difference": "difference",
                  "close": "close", "reopen": "reopen"}
_NOT_BESIDE = ("HiddenField", "CSRFTokenField")
# the forms shown again as she typed them (the register keeps its rows' words)
_KEPT = ("fine", "pay_fine", "waive", "grant", "loan", "write_off", "withdrawal", "adjustment",
         "interest_waiver", "difference", "close", "reopen")


# The sections of the meeting page a form goes back to (?at=): anything else
# typed into the address goes back to the register, never into a header.
MEETING_SECTIONS = ("register", "entries", "cash", "close")


def _section() -> str:
    at = request.args.get("at", "")
    return at if at in MEETING_SECTIONS else "register"


def _problems(form: Any, name: str, shown: bool = True) -> list[str]:
    """What a form that did not validate says above it. The page shows the
    form again as she typed it, each field's own words beside it (the
    `field()` macro); above it, once, to look below, and what no field on the
    page can show (hidden ones: the version, the form's age). The register
    is not shown from its form: all of it above."""
    if name not in _KEPT or not shown:
        return [f"{f.label.text}: {e}" for f in form for e in f.errors] or [
            _("Please check the form.")]
    hidden = [f"{f.label.text}: {e}" for f in form if f.type in _NOT_BESIDE for e in f.errors]
    beside = any(f.errors for f in form if f.type not in _NOT_BESIDE)
    return ([_("Please check the form.")] if beside or not hidden else []) + hidden


def _shown(context: dict[str, Any], name: str) -> bool:
    """Whether the page, as it is now, shows the form of this name (as the
    template decides); a refusal of a form not shown (the meeting closed
    meanwhile) is told at the top of the page."""
    meeting, cycle = context["meeting"], context["cycle"]
    if name in ("register", "remove"):
        return True  # their sections are always on the page
    if name == "reopen":
        return bool(g.is_treasurer and meeting.state == "closed" and context["is_last"]
                    and cycle.state == "active")
    if not context["can_edit"]:
        return False
    if name in ("pay_fine", "waive"):
        return bool(context["due"])
    if name in ("loan", "withdrawal"):
        return bool(meeting.kind == "regular")
    if name in ("write_off", "interest_waiver"):
        return bool(context["active_loans"])
    return name in MEETING_PLACES


def _refused_page(cycle: SavingsCycle, meeting: SavingsMeeting, name: str,
                  problems: list[str] | None, status: int, form: Any = None) -> Any:
    """The meeting's page again after the form `name` was refused: the
    message inside that form's place, just above it, the form as she typed
    it (the register: what she typed in each row), nothing written.
    `problems` None: the form did not validate, its fields say why (beside
    them if the page shows the form, else all at the top)."""
    context = _meeting_context(cycle, meeting)
    shown = _shown(context, name)
    context["problems"] = problems if problems is not None else _problems(form, name, shown)
    if name == "register":
        context["typed"] = request.form
    if form is not None and name in _KEPT:
        _keep_form(context, name, form, cycle)
    if shown:
        context["refused"] = name
    return render_then_commit("savings/meeting.html", **context), status


def _keep_form(context: dict[str, Any], name: str, form: Any, cycle: SavingsCycle) -> None:
    """The page shown again after a refusal with this form as she typed it
    (the counts, the member chosen, the key-holders ticked), for the cycle's
    version as it is now, so that correcting one figure and sending again is
    enough."""
    shown = context["forms"][name]
    form.version.data = context["version"]
    for field in form:
        if hasattr(field, "choices"):
            field.choices = shown[field.name].choices
    if hasattr(form, "confirm_again"):
        form.confirm_again.data = ""  # the "same again?" is asked of what she sends next
    context["forms"][name] = form


def _parse_money(text: str, label: str) -> int:
    text = (text or "").strip()
    if not text:
        return 0
    try:
        return money.parse_amount(text, g.group.currency)
    except money.MoneyError as error:
        raise DomainError(f"{label}: {error.message}") from None


def _parse_int(text: str, label: str, cycle: SavingsCycle | None = None) -> int:
    text = (text or "").strip()
    if not text:
        return 0
    digits = text[1:].strip() if text[0] in "-−" else text
    if digits.isdigit() and text != digits:  # −1 is a whole number: say what is wrong with it
        raise DomainError(_("%(who)s: the number of shares cannot be negative.", who=label))
    if text.isdigit() and len(text) > 4 and cycle is not None:  # whole, but far too many
        raise DomainError(_("%(member)s: %(shares)s shares — 0 or %(min)s to %(max)s per "
                            "meeting", member=label, shares=text[:20], min=cycle.min_shares,
                            max=cycle.max_shares))
    if not re.fullmatch(r"[0-9]{1,4}", text):  # not str.isdigit: «²» is a digit to it
        raise DomainError(_("%(who)s: the number of shares is a whole number.", who=label))
    return int(text)


@bp.post("/groups/<int:group_id>/savings/<int:cycle_id>/meetings/<int:meeting_id>/register")
@group_view(treasurer=True)
def register(group_id: int, cycle_id: int, meeting_id: int):  # type: ignore[no-untyped-def]
    def act(cycle: SavingsCycle, meeting: SavingsMeeting, form: forms.RegisterForm) -> None:
        lines = []
        fresh = request.form.get("register_fresh") == "1"  # a register never saved
        for member in savings.cycle_members(db.session, cycle):
            status = request.form.get(f"status_{member.id}")
            if status is None:
                continue
            shares_text = request.form.get(f"shares_{member.id}", "")
            paid_text = request.form.get(f"amount_{member.id}", "")
            shares = _parse_int(shares_text, member.name, cycle)
            paid = _parse_money(paid_text, member.name)
            if paid and not shares and cycle.share_value:
                if paid % cycle.share_value:
                    raise DomainError(_(
                        "%(who)s: %(amount)s is not a whole number of shares of %(value)s.",
                        who=member.name, amount=fmt_money(paid, g.group.currency),
                        value=fmt_money(cycle.share_value, g.group.currency)))
                shares = paid // cycle.share_value
            # The contribution is due from everyone who attends (spec §4, §5 step 4):
            # a new register starts ticked, and on it the tick the page put on
            # someone left absent is hers to ignore (an absent member pays 0);
            # on a register saved before, a tick on someone marked absent is
            # refused, as her shares are, not dropped without a word.
            social = request.form.get(f"social_{member.id}") == "y"
            if social and status == "absent" and fresh:
                social = False
            elif social and status == "absent":
                raise DomainError(_("%(member)s is absent and cannot pay into the social "
                                    "fund: untick her box, or mark her present.",
                                    member=member.name), field="social")
            lines.append(savings.RegisterLine(
                member.id, status, shares=shares, social=social,
                repayment=_parse_money(request.form.get(f"repayment_{member.id}", ""),
                                       member.name)))
        savings.save_register(db.session, meeting, g.group, lines)

    return _meeting_action(cycle_id, meeting_id, forms.RegisterForm, act,
                           _("The register is saved."))


@bp.post("/groups/<int:group_id>/savings/<int:cycle_id>/meetings/<int:meeting_id>/fines")
@group_view(treasurer=True)
def add_fine(group_id: int, cycle_id: int, meeting_id: int):  # type: ignore[no-untyped-def]
    def act(cycle, meeting, form):  # type: ignore[no-untyped-def]
        savings.add_fine(db.session, meeting, g.group, member_id=form.member.data,
                         fine_type_id=form.fine_type.data, amount=form.amount.minor,
                         paid=bool(form.paid.data))

    def same(cycle, meeting, form):  # type: ignore[no-untyped-def]
        kind = next((t for t in cycle.fine_types if t.id == form.fine_type.data), None)
        if kind is None:
            return None
        amount = kind.default_amount if form.amount.minor is None else form.amount.minor
        found = savings.same_entry(db.session, meeting, "fine", member_id=form.member.data,
                                   fine_type_id=kind.id, amount=amount)
        return found and _(
            "The same fine is already recorded at this meeting: %(name)s, %(kind)s, "
            "%(amount)s. Record it again?", **_fine_words(found))

    return _meeting_action(cycle_id, meeting_id, forms.FineForm, act, same=same)


def _fine_words(fine: Fine) -> dict[str, str]:
    member = db.session.get(CycleMember, fine.cycle_member_id)
    return {"name": member.name if member else "", "kind": fine.fine_type.name,
            "amount": fmt_money(fine.amount, g.group.currency)}


def _same_fine_settled(kind: str, question: str):  # type: ignore[no-untyped-def]
    """The question before a second fine of hers of this kind is marked paid
    (or waived) at this meeting."""
    def same(cycle, meeting, form):  # type: ignore[no-untyped-def]
        found = savings.same_entry(db.session, meeting, kind, member_id=form.member.data,
                                   fine_type_id=form.fine_type.data)
        return found and question % _fine_words(found)

    return same


@bp.post("/groups/<int:group_id>/savings/<int:cycle_id>/meetings/<int:meeting_id>/fines/pay")
@group_view(treasurer=True)
def pay_fine(group_id: int, cycle_id: int, meeting_id: int):  # type: ignore[no-untyped-def]
    def act(cycle, meeting, form):  # type: ignore[no-untyped-def]
        savings.pay_fine(db.session, meeting, g.group, member_id=form.member.data,
                         fine_type_id=form.fine_type.data)

    return _meeting_action(cycle_id, meeting_id, forms.PayFineForm, act,
                           same=_same_fine_settled("fine_payment", _(
                               "A fine of this kind is already marked paid at this meeting: "
                               "%(name)s, %(kind)s, %(amount)s. Mark another one paid?")))


@bp.post("/groups/<int:group_id>/savings/<int:cycle_id>/meetings/<int:meeting_id>/fines/waive")
@group_view(treasurer=True)
def waive_fine(group_id: int, cycle_id: int, meeting_id: int):  # type: ignore[no-untyped-def]
    def act(cycle, meeting, form):  # type: ignore[no-untyped-def]
        savings.waive_fine(db.session, meeting, g.group, member_id=form.member.data,
                           fine_type_id=form.fine_type.data, reason=form.reason.data or "")

    return _meeting_action(cycle_id, meeting_id, forms.WaiveFineForm, act,
                           same=_same_fine_settled("waiver", _(
                               "A fine of this kind is already waived at this meeting: "
                               "%(name)s, %(kind)s, %(amount)s. Waive another one?")))


@bp.post("/groups/<int:group_id>/savings/<int:cycle_id>/meetings/<int:meeting_id>/grants")
@group_view(treasurer=True)
def add_grant(group_id: int, cycle_id: int, meeting_id: int):  # type: ignore[no-untyped-def]
    def act(cycle, meeting, form):  # type: ignore[no-untyped-def]
        savings.add_grant(db.session, meeting, g.group, member_id=form.member.data,
                          amount=form.amount.minor or 0, reason=form.reason.data or "")

    def same(cycle, meeting, form):  # type: ignore[no-untyped-def]
        found = savings.same_entry(db.session, meeting, "grant", member_id=form.member.data,
                                   amount=form.amount.minor or 0)
        return found and _(
            "The same grant is already recorded at this meeting: %(name)s, %(amount)s "
            "(%(reason)s). Record it again?", name=_member_name(found.cycle_member_id),
            amount=fmt_money(found.amount, g.group.currency), reason=found.reason)

    return _meeting_action(cycle_id, meeting_id, forms.GrantForm, act, same=same)


def _member_name(member_id: int) -> str:
    member = db.session.get(CycleMember, member_id)
    return member.name if member else ""


@bp.post("/groups/<int:group_id>/savings/<int:cycle_id>/meetings/<int:meeting_id>/loans")
@group_view(treasurer=True)
def add_loan(group_id: int, cycle_id: int, meeting_id: int):  # type: ignore[no-untyped-def]
    def act(cycle, meeting, form):  # type: ignore[no-untyped-def]
        savings.add_loan(db.session, meeting, g.group, member_id=form.member.data,
                         principal=form.principal.minor or 0, months=form.months.data or 0,
                         purpose=form.purpose.data or "")

    return _meeting_action(cycle_id, meeting_id, forms.LoanForm, act)


@bp.post("/groups/<int:group_id>/savings/<int:cycle_id>/meetings/<int:meeting_id>/write-offs")
@group_view(treasurer=True)
def add_write_off(group_id: int, cycle_id: int, meeting_id: int):  # type: ignore[no-untyped-def]
    def act(cycle, meeting, form):  # type: ignore[no-untyped-def]
        savings.add_write_off(db.session, meeting, g.group, member_id=form.member.data,
                              reason=form.reason.data or "")

    return _meeting_action(cycle_id, meeting_id, forms.WriteOffForm, act)


@bp.post("/groups/<int:group_id>/savings/<int:cycle_id>/meetings/<int:meeting_id>/withdrawals")
@group_view(treasurer=True)
def add_withdrawal(group_id: int, cycle_id: int, meeting_id: int):  # type: ignore[no-untyped-def]
    def act(cycle, meeting, form):  # type: ignore[no-untyped-def]
        savings.add_withdrawal(db.session, meeting, g.group, member_id=form.member.data)

    return _meeting_action(cycle_id, meeting_id, forms.WithdrawalForm, act)


@bp.post("/groups/<int:group_id>/savings/<int:cycle_id>/meetings/<int:meeting_id>/"
         "share-adjustments")
@group_view(treasurer=True)
def add_share_adjustment(group_id: int, cycle_id: int, meeting_id: int):  # type: ignore[no-untyped-def]
    def act(cycle, meeting, form):  # type: ignore[no-untyped-def]
        savings.add_share_adjustment(db.session, meeting, g.group, member_id=form.member.data,
                                     shares=form.shares.data or 0,
                                     reason=form.reason.data or "")

    def same(cycle, meeting, form):  # type: ignore[no-untyped-def]
        found = savings.same_entry(db.session, meeting, "share_adjustment",
                                   member_id=form.member.data, shares=form.shares.data or 0)
        return found and _(
            "The same correction of her shares is already recorded at this meeting: "
            "%(name)s, %(shares)s. Record it again?", name=_member_name(found.cycle_member_id),
            shares=f"{found.shares:+d}")

    return _meeting_action(cycle_id, meeting_id, forms.ShareAdjustmentForm, act, same=same)


@bp.post("/groups/<int:group_id>/savings/<int:cycle_id>/meetings/<int:meeting_id>/"
         "interest-waivers")
@group_view(treasurer=True)
def add_interest_waiver(group_id: int, cycle_id: int, meeting_id: int):  # type: ignore[no-untyped-def]
    def act(cycle, meeting, form):  # type: ignore[no-untyped-def]
        savings.add_interest_waiver(db.session, meeting, g.group, member_id=form.member.data,
                                    amount=form.amount.minor or 0,
                                    reason=form.reason.data or "")

    def same(cycle, meeting, form):  # type: ignore[no-untyped-def]
        found = savings.same_entry(db.session, meeting, "interest_waiver",
                                   member_id=form.member.data, amount=form.amount.minor or 0)
        return found and _(
            "The same interest waiver is already recorded at this meeting: %(name)s, "
            "%(amount)s. Record it again?", name=_member_name(found.cycle_member_id),
            amount=fmt_money(found.amount, g.group.currency))

    return _meeting_action(cycle_id, meeting_id, forms.InterestWaiverForm, act, same=same)


@bp.post("/groups/<int:group_id>/savings/<int:cycle_id>/meetings/<int:meeting_id>/differences")
@group_view(treasurer=True)
def add_difference(group_id: int, cycle_id: int, meeting_id: int):  # type: ignore[no-untyped-def]
    def act(cycle, meeting, form):  # type: ignore[no-untyped-def]
        savings.add_difference(db.session, meeting, g.group, bag=form.bag.data,
                               amount=form.amount.minor or 0, reason=form.reason.data or "")

    def same(cycle, meeting, form):  # type: ignore[no-untyped-def]
        found = savings.same_entry(db.session, meeting, "difference", bag=form.bag.data or "",
                                   amount=form.amount.minor or 0)
        return found and _(
            "The same cash difference is already recorded at this meeting: %(bag)s, "
            "%(amount)s. Record it again?",
            bag=_("loan bag") if found.bag == "loan" else _("social bag"),
            amount=fmt_money(found.amount, g.group.currency))

    return _meeting_action(cycle_id, meeting_id, forms.DifferenceForm, act, same=same)


@bp.post("/groups/<int:group_id>/savings/<int:cycle_id>/meetings/<int:meeting_id>/remove")
@group_view(treasurer=True)
def remove_entry(group_id: int, cycle_id: int, meeting_id: int):  # type: ignore[no-untyped-def]
    def act(cycle, meeting, form):  # type: ignore[no-untyped-def]
        try:
            entry = int(form.entry.data or 0)
        except ValueError:
            entry = 0
        savings.remove_entry(db.session, meeting, g.group, kind=form.kind.data or "",
                             entry_id=entry)

    return _meeting_action(cycle_id, meeting_id, forms.RemoveForm, act)


@bp.post("/groups/<int:group_id>/savings/<int:cycle_id>/meetings/<int:meeting_id>/close")
@group_view(treasurer=True)
def close(group_id: int, cycle_id: int, meeting_id: int):  # type: ignore[no-untyped-def]
    def act(cycle, meeting, form):  # type: ignore[no-untyped-def]
        savings.close_meeting(db.session, meeting, g.group, counts=_counts(form),
                              key_holder_ids=form.key_holders.data or [], actor=_user(),
                              actor_membership=g.membership)

    cycle = _cycle(cycle_id)
    meeting = _meeting(cycle, meeting_id)
    if meeting.kind != savings.SHARE_OUT:
        return _meeting_action(cycle_id, meeting_id, forms.CloseForm, act,
                               _("The meeting is closed and its record issued."))
    if meeting.state != savings.OPEN:
        return _share_out_done(cycle, meeting)
    question = _ask_share_out(cycle, meeting)
    if question is not None:
        return question
    response = _meeting_action(cycle_id, meeting_id, forms.CloseForm, act,
                               _("The share-out is confirmed and the cycle closed."))
    db.session.refresh(meeting)
    if meeting.state != savings.OPEN and response[1] == 409:  # two "yes" at once: one did it
        return _share_out_done(cycle, meeting)
    return response


def _counts(form: forms.CloseForm) -> savings.Counts:
    return savings.Counts(form.opening_loan.minor, form.opening_social.minor,
                          form.closing_loan.minor or 0, form.closing_social.minor or 0)


def _share_out_done(cycle: SavingsCycle, meeting: SavingsMeeting) -> Any:
    return already_done(_("The share-out was confirmed already; nothing was done again."),
                        _meeting_url(cycle, meeting))


def _ask_share_out(cycle: SavingsCycle, meeting: SavingsMeeting) -> Any:
    """Confirming the share-out closes the cycle and cannot be undone: the
    count as typed first shows what it confirms (the parts, the cash to hand
    out, the coins to the social fund, the debts set off) and asks. A close
    that would be refused (a count the books do not expect, too few
    key-holders, a share-out the engine refuses) is refused first, with its
    own message, on the meeting's page with what she typed, never asked.
    None: go on (the "yes" for these figures; or a form the close refuses
    anyway, with its own message: not valid, shown from an older page)."""
    form = _meeting_form(forms.CloseForm, cycle)
    if not form.validate_on_submit() or str(form.version.data) != str(cycle.version):
        return None
    try:
        savings.check_close(db.session, meeting, g.group, counts=_counts(form),
                            key_holder_ids=form.key_holders.data or [])
    except DomainError as error:
        db.session.rollback()
        return _refused_page(cycle, meeting, "close", [str(error.message)], error.status, form)
    sheet = savings.share_out_view(db.session, cycle, g.group, draft=True)
    if sheet is None or sheet.refusal or sheet.meeting is None:
        return None
    keys = sorted(set(form.key_holders.data or []))
    typed = {name: request.form.get(name, "")[:40] for name in (
        "opening_loan", "opening_social", "closing_loan", "closing_social")}
    totals = {
        "parts": sheet.equity,
        "cash": sum(r["cash"] for r in sheet.rows),
        "coins": sum(r["residual"] for r in sheet.rows),
        "set_off": sum(r["set_off"] for r in sheet.rows),
    }
    token = figures_token(cycle.version, typed, keys, totals,
                          [(r["member"].id, r["entitlement"], r["set_off"], r["cash"],
                            r["residual"]) for r in sheet.rows])
    answer = confirmed(token)
    if answer is True:
        return None
    db.session.rollback()
    ask = Question(action=request.script_root + request.full_path.rstrip("?") + "#close",
                   button=_("Yes, confirm"),
                   back=_meeting_url(cycle, meeting) + "#close", token=token,
                   fields={"version": str(cycle.version), **typed})
    holders = {h.id: h.membership.user.name for h in cycle.key_holders}
    return render_then_commit(
        "savings/confirm_share_out.html", group=g.group, cycle=cycle, meeting=meeting,
        sheet=sheet, totals=totals, ask=ask, keys=keys, changed=answer is False,
        holders=[holders[k] for k in keys if k in holders],
        counted={"loan": form.closing_loan.minor or 0,
                 "social": form.closing_social.minor or 0}), 409 if answer is False else 200


@bp.post("/groups/<int:group_id>/savings/<int:cycle_id>/meetings/<int:meeting_id>/reopen")
@group_view(treasurer=True)
def reopen(group_id: int, cycle_id: int, meeting_id: int):  # type: ignore[no-untyped-def]
    def act(cycle, meeting, form):  # type: ignore[no-untyped-def]
        savings.reopen_meeting(db.session, meeting, g.group, reason=form.reason.data or "",
                               key_holder_ids=form.key_holders.data or [], actor=_user(),
                               actor_membership=g.membership)

    return _meeting_action(cycle_id, meeting_id, forms.ReopenForm, act,
                           _("The meeting is open again; its postings are reversed."))


@bp.post("/groups/<int:group_id>/savings/<int:cycle_id>/meetings/<int:meeting_id>/import")
@group_view(treasurer=True)
def import_form(group_id: int, cycle_id: int, meeting_id: int):  # type: ignore[no-untyped-def]
    """The paper form typed into a spreadsheet: all of it, or nothing and
    every bad line."""
    from coop.savings.meeting_file import MeetingFileError

    cycle = _cycle(cycle_id)
    meeting = _meeting(cycle, meeting_id)
    form = forms.MeetingFileForm()
    problems: list[str] = []
    if form.validate_on_submit():
        try:
            savings.claim_version(db.session, cycle, form.version.data)
            savings.import_meeting(db.session, meeting, g.group, form.file.data.read())
        except MeetingFileError as error:
            problems = [str(e.describe()) for e in error.errors]
        except DomainError as error:
            db.session.rollback()
            return _refused_page(cycle, meeting, "file", [str(error.message)], error.status)
        else:
            db.session.commit()
            flash(_("The paper form is entered. Check it against the paper, then count and "
                    "close."), "success")
            return redirect(_meeting_url(cycle, meeting)), 303
    else:
        problems = [str(e) for f in form for e in f.errors]
    db.session.rollback()
    return _refused_page(cycle, meeting, "file", [_("Nothing was entered."), *problems], 422)


@bp.get("/groups/<int:group_id>/savings/<int:cycle_id>/meetings/<int:meeting_id>/form.csv")
@group_view(treasurer=True)
def blank_form_csv(group_id: int, cycle_id: int, meeting_id: int):  # type: ignore[no-untyped-def]
    """The blank meeting form as a spreadsheet, members in passbook order."""
    from coop.csv_export import csv_bytes, csv_response
    from coop.savings.meeting_file import blank_rows

    cycle = _cycle(cycle_id)
    meeting = _meeting(cycle, meeting_id)
    taking_part = {a.cycle_member_id for a in savings.meeting_entries(
        db.session, [meeting]).attendance[meeting.id]}
    rows = blank_rows([(m.passbook_no, m.name) for m in savings.cycle_members(db.session, cycle)
                       if m.id in taking_part])
    return csv_response(csv_bytes(rows[0], rows[1:]),
                        f"meeting-{cycle.number}-{meeting.number}.csv")


@bp.get("/groups/<int:group_id>/savings/<int:cycle_id>/meetings/<int:meeting_id>/record.pdf")
@group_view()
def meeting_record_pdf(group_id: int, cycle_id: int, meeting_id: int):  # type: ignore[no-untyped-def]
    """The meeting's record as it was issued (the latest, after a reopening)."""
    from coop.documents.views import _stored

    cycle = _cycle(cycle_id)
    _can_see_meeting(cycle)
    meeting = _meeting(cycle, meeting_id)
    document = savings.meeting_record(db.session, meeting)
    if document is None:
        abort(404)
    from coop.documents import services as documents

    return _stored(documents.get_document(db.session, g.group, document.id))


def _pdf(content: bytes | None, filename: str):  # type: ignore[no-untyped-def]
    if content is None:
        abort(404)
    return pdf_response(content, filename)


@bp.get("/groups/<int:group_id>/savings/<int:cycle_id>/passbooks/<int:member_id>.pdf")
@group_view()
def passbook_pdf(group_id: int, cycle_id: int, member_id: int):  # type: ignore[no-untyped-def]
    cycle = _cycle(cycle_id)
    member = _readable_member(cycle, member_id)
    return _pdf(savings.passbook_pdf(db.session, cycle, g.group, member, current_locale()),
                f"passbook-C{cycle.number}M{member.passbook_no}.pdf")


@bp.get("/groups/<int:group_id>/savings/<int:cycle_id>/loans/<int:loan_id>.pdf")
@group_view()
def loan_card_pdf(group_id: int, cycle_id: int, loan_id: int):  # type: ignore[no-untyped-def]
    cycle = _cycle(cycle_id)
    loan = db.session.get(SavingsLoan, loan_id)
    if loan is None or loan.cycle_id != cycle.id:
        abort(404)
    _readable_member(cycle, loan.cycle_member_id)
    return _pdf(savings.loan_card_pdf(db.session, cycle, g.group, loan, current_locale()),
                f"loan-C{cycle.number}L{loan.number}.pdf")


@bp.get("/groups/<int:group_id>/savings/<int:cycle_id>/blank-form.pdf")
@group_view(treasurer=True)
def blank_form_pdf(group_id: int, cycle_id: int):  # type: ignore[no-untyped-def]
    cycle = _cycle(cycle_id)
    return _pdf(savings.blank_form_pdf(db.session, cycle, g.group, current_locale()),
                f"meeting-form-C{cycle.number}.pdf")


@bp.get("/groups/<int:group_id>/savings/<int:cycle_id>/share-out.pdf")
@group_view()
def share_out_pdf(group_id: int, cycle_id: int):  # type: ignore[no-untyped-def]
    """The issued share-out sheet once confirmed; before, the draft."""
    from coop.documents import services as documents
    from coop.documents.views import _stored

    cycle = _cycle(cycle_id)
    _can_see_meeting(cycle)
    confirmed = db.session.scalar(select(ShareOut).where(ShareOut.cycle_id == cycle.id))
    if confirmed is not None and confirmed.document_id:
        document = documents.get_document(db.session, g.group, confirmed.document_id)
        if document is not None:
            return _stored(document)
    sheet = savings.share_out_view(db.session, cycle, g.group, draft=g.is_treasurer)
    content = savings.share_out_pdf(db.session, cycle, g.group, current_locale(), sheet)
    if content is None:  # no sheet can be printed yet: the page says why
        return render_then_commit("savings/share_out.html", group=g.group, cycle=cycle,
                                  sheet=sheet, no_pdf=True), 422 if sheet else 409
    return pdf_response(content, f"share-out-draft-C{cycle.number}.pdf")


@bp.get("/groups/<int:group_id>/savings/<int:cycle_id>/meetings/<int:meeting_id>/text")
@group_view()
def meeting_text(group_id: int, cycle_id: int, meeting_id: int):  # type: ignore[no-untyped-def]
    """The closed meeting as text to copy into the group's chat."""
    cycle = _cycle(cycle_id)
    _can_see_meeting(cycle)
    meeting = _meeting(cycle, meeting_id)
    text = savings.meeting_text(db.session, cycle, g.group, meeting, current_locale())
    if text is None:
        abort(404)
    return render_then_commit("savings/meeting_text.html", group=g.group, cycle=cycle,
                              meeting=meeting, text=text)


def _readable_member(cycle: SavingsCycle, member_id: int) -> CycleMember:
    member = savings.get_member(db.session, cycle, member_id)
    if member is None:
        abort(404)
    me = savings.member_of(db.session, cycle, g.membership)
    if not g.is_treasurer and (me is None or (me.id != member.id
                                              and not cycle.members_see_all_lines)):
        abort(404)
    return member


# --------------------------------------------------------------------------
# A member's passbook, the share-out
# --------------------------------------------------------------------------


@bp.get("/groups/<int:group_id>/savings/<int:cycle_id>/passbooks/<int:member_id>")
@group_view()
def passbook(group_id: int, cycle_id: int, member_id: int):  # type: ignore[no-untyped-def]
    cycle = _cycle(cycle_id)
    member = _readable_member(cycle, member_id)
    book = savings.passbook(db.session, cycle, g.group, member)
    # her own passbook speaks to her ("your shares"); another's, of her
    me = savings.member_of(db.session, cycle, g.membership)
    return render_then_commit("savings/passbook.html", group=g.group, cycle=cycle,
                              member=member, book=book,
                              own=me is not None and me.id == member.id)


@bp.get("/groups/<int:group_id>/savings/<int:cycle_id>/share-out")
@group_view()
def share_out(group_id: int, cycle_id: int):  # type: ignore[no-untyped-def]
    cycle = _cycle(cycle_id)
    _can_see_meeting(cycle)
    sheet = savings.share_out_view(db.session, cycle, g.group, draft=g.is_treasurer)
    return render_then_commit("savings/share_out.html", group=g.group, cycle=cycle,
                              sheet=sheet)

