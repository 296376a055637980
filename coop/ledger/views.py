from __future__ import annotations

from datetime import datetime, time, timedelta

from flask import Blueprint, Response, abort, flash, g, redirect, render_template, request, url_for
from flask_babel import force_locale, to_utc
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy.exc import IntegrityError

from coop.csv_export import csv_bytes, csv_response
from coop.errors import DomainError
from coop.extensions import db
from coop.forms import apply_domain_error, error_messages
from coop.groups.access import group_view, member_in_group
from coop.groups.models import Membership
from coop.groups.services import list_members
from coop.i18n import fmt_money
from coop.ledger import services
from coop.ledger.forms import AdjustmentForm, PaymentForm, PayOutForm, ReverseForm, WriteOffForm
from coop.money import to_string
from coop.views import render_then_commit, saving

bp = Blueprint("ledger", __name__, template_folder="templates")


def _member_or_404(membership_id: int) -> Membership:
    """Her own account for a member; any member's for the treasurer."""
    if not g.is_treasurer and (g.membership is None or g.membership.id != membership_id):
        abort(404)
    return member_in_group(g.group, membership_id)


@bp.get("/groups/<int:group_id>/accounts")
@group_view()
def accounts(group_id: int):  # type: ignore[no-untyped-def]
    if not g.is_treasurer:
        if g.membership is None:
            abort(404)
        return redirect(url_for("ledger.statement", group_id=group_id,
                                membership_id=g.membership.id))
    memberships = list_members(db.session, g.group, include_inactive=True)
    books = services.books(db.session, g.group, memberships)
    return render_then_commit("ledger/accounts.html", group=g.group, books=books,
                              fund=services.fund_explained(db.session, g.group),
                              kinds=services.KIND_NAMES, pay_out_form=PayOutForm())


@bp.get("/groups/<int:group_id>/accounts/<int:membership_id>")
@group_view()
def statement(group_id: int, membership_id: int):  # type: ignore[no-untyped-def]
    member = _member_or_404(membership_id)
    start, end = _period()
    account_id = services.member_account(db.session, member)
    opening, lines = services.statement(db.session, account_id, start=start, end=end)
    balance = services.account_balance(db.session, account_id)
    payment_form = PaymentForm(formdata=None)
    payment_form.new_key()
    return render_then_commit(
        "ledger/statement.html", group=g.group, member=member, opening=opening, lines=lines,
        balance=balance, kinds=services.KIND_NAMES, payment_form=payment_form,
        write_off_form=WriteOffForm(formdata=None), adjust_form=AdjustmentForm(formdata=None),
        reverse_form=ReverseForm(formdata=None), start=request.args.get("from", ""),
        end=request.args.get("to", ""), text=balance_text(member, balance))


def _period() -> tuple[datetime | None, datetime | None]:
    """?from=YYYY-MM-DD&to=YYYY-MM-DD, in the group's time zone, `to` inclusive."""
    def day(name: str) -> datetime | None:
        value = request.args.get(name, "").strip()
        if not value:
            return None
        try:
            return datetime.strptime(value, "%Y-%m-%d")
        except ValueError:
            abort(400)

    start, end = day("from"), day("to")
    return (to_utc(datetime.combine(start, time())) if start else None,
            to_utc(datetime.combine(end + timedelta(days=1), time())) if end else None)


def balance_text(member: Membership, balance: int) -> str:
    """A message to paste into WhatsApp or Telegram, in her language."""
    locale = member.user.locale or member.group.language
    with force_locale(locale):
        amount = fmt_money(abs(balance), member.group.currency)
        if balance < 0:
            state = _("you owe the group %(amount)s", amount=amount)
        elif balance > 0:
            state = _("you have %(amount)s in credit", amount=amount)
        else:
            state = _("you owe nothing")
        return _("%(group)s. %(name)s, %(state)s.", group=member.group.name,
                 name=member.user.name, state=state)


@bp.get("/groups/<int:group_id>/accounts/<int:membership_id>/statement.csv")
@group_view()
def statement_csv(group_id: int, membership_id: int):  # type: ignore[no-untyped-def]
    member = _member_or_404(membership_id)
    start, end = _period()
    account_id = services.member_account(db.session, member)
    opening, lines = services.statement(db.session, account_id, start=start, end=end)
    currency = g.group.currency
    data = csv_bytes(
        [_("Date"), _("What"), _("Note"), _("Amount"), _("Balance")],
        [["", _("Opening balance"), "", "", to_string(opening, currency)]] + [
            [line.posting.created_at.strftime("%Y-%m-%d %H:%M"),
             services.KIND_NAMES.get(line.posting.kind, line.posting.kind),
             line.posting.memo, to_string(line.amount, currency),
             to_string(line.balance, currency)] for line in lines])
    db.session.commit()  # her account, made on first use
    return csv_response(data, f"statement-{g.group.id}-{member.id}.csv")


def _back(membership_id: int) -> Response:
    return redirect(url_for("ledger.statement", group_id=g.group.id,
                            membership_id=membership_id))


def _form_failed(form, member: Membership | None):  # type: ignore[no-untyped-def]
    errors = error_messages(form)
    return render_template("ledger/form_error.html", group=g.group, member=member,
                           errors=errors), 422


@bp.post("/groups/<int:group_id>/accounts/<int:membership_id>/payment")
@group_view(treasurer=True)
def record_payment(group_id: int, membership_id: int):  # type: ignore[no-untyped-def]
    member = member_in_group(g.group, membership_id)
    form = PaymentForm(currency=g.group.currency)
    if form.validate_on_submit():
        try:
            _payment, new = services.record_payment(
                db.session, member, amount=form.amount.minor or 0, method=form.method.data,
                reference=form.reference.data or "", idempotency_key=form.idempotency_key.data,
                actor=current_user)
            db.session.commit()
        except IntegrityError:
            # the same form, sent twice at the same moment: the first one counts
            db.session.rollback()
            new = False
        except DomainError as exc:
            db.session.rollback()
            apply_domain_error(form, exc)
            return _form_failed(form, member)
        if new:
            flash(_("Payment of %(amount)s recorded.",
                    amount=fmt_money(form.amount.minor, g.group.currency)), "success")
        else:
            flash(_("This payment was already recorded (the form was sent twice)."), "info")
        return _back(membership_id)
    return _form_failed(form, member)


def _record(form, member: Membership, record, done: str):  # type: ignore[no-untyped-def]
    """Validate the form, record through the service, commit once; or say why not."""
    if not form.validate_on_submit():
        return _form_failed(form, member)
    with saving(form) as saved:
        record(form)
    if not saved:
        return _form_failed(form, member)
    flash(done, "success")
    return _back(member.id)


@bp.post("/groups/<int:group_id>/accounts/<int:membership_id>/write-off")
@group_view(treasurer=True)
def write_off(group_id: int, membership_id: int):  # type: ignore[no-untyped-def]
    member = member_in_group(g.group, membership_id)
    return _record(
        WriteOffForm(currency=g.group.currency), member,
        lambda form: services.write_off(db.session, member, amount=form.amount.minor or 0,
                                        reason=form.reason.data, actor=current_user),
        _("The debt is written off; the solidarity fund carries it."))


@bp.post("/groups/<int:group_id>/accounts/<int:membership_id>/adjust")
@group_view(treasurer=True)
def adjust(group_id: int, membership_id: int):  # type: ignore[no-untyped-def]
    member = member_in_group(g.group, membership_id)
    return _record(
        AdjustmentForm(currency=g.group.currency), member,
        lambda form: services.adjust_member(db.session, member,
                                            amount=form.amount.minor or 0,
                                            reason=form.reason.data, actor=current_user),
        _("The adjustment is recorded."))


@bp.post("/groups/<int:group_id>/accounts/<int:membership_id>/postings/<int:posting_id>/reverse")
@group_view(treasurer=True)
def reverse(group_id: int, membership_id: int, posting_id: int):  # type: ignore[no-untyped-def]
    member = member_in_group(g.group, membership_id)
    return _record(
        ReverseForm(), member,
        lambda form: services.reverse_posting(db.session, g.group, posting_id,
                                              reason=form.reason.data, actor=current_user),
        _("The entry is reversed; both stay in the books."))


@bp.post("/groups/<int:group_id>/accounts/pay-out")
@group_view(treasurer=True)
def pay_out(group_id: int):  # type: ignore[no-untyped-def]
    form = PayOutForm(currency=g.group.currency)
    if form.validate_on_submit():
        with saving(form) as saved:
            services.pay_out(db.session, g.group, amount=form.amount.minor or 0,
                             memo=form.memo.data, actor=current_user)
        if saved:
            flash(_("The payment out of the cash is recorded."), "success")
            return redirect(url_for("ledger.accounts", group_id=group_id))
    return _form_failed(form, None)


@bp.get("/groups/<int:group_id>/fund")
@group_view(treasurer=True)
def fund(group_id: int):  # type: ignore[no-untyped-def]
    accounts = services.group_accounts(db.session, g.group)
    _opening, lines = services.statement(db.session, accounts.fund)
    return render_then_commit("ledger/fund.html", group=g.group, lines=lines,
                              kinds=services.KIND_NAMES,
                              explained=services.fund_explained(db.session, g.group),
                              balance=lines[-1].balance if lines else 0)
