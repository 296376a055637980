from __future__ import annotations

import re
from collections.abc import Callable
from datetime import datetime, time, timedelta

from flask import Blueprint, Response, abort, flash, g, redirect, render_template, request, url_for
from flask_babel import force_locale, format_datetime, to_utc
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy.exc import IntegrityError
from wtforms import BooleanField

from coop.csv_export import csv_amount, csv_bytes, csv_date, csv_response
from coop.errors import AskFirst, DomainError
from coop.extensions import db
from coop.forms import MoneyField, apply_domain_error, error_messages
from coop.groups.access import group_view, member_in_group
from coop.groups.models import Membership
from coop.groups.services import list_members
from coop.i18n import fmt_money
from coop.ledger import services
from coop.ledger.advances import far_beyond_owed
from coop.ledger.forms import (
    AdjustmentForm,
    OnceForm,
    PaymentForm,
    PayOutForm,
    ReverseForm,
    TransferForm,
    WriteOffForm,
)
from coop.payables import services as payables
from coop.views import render_then_commit

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
    return _accounts_page()


def _accounts_page(*, refused: TransferForm | None = None,
                   status: int = 200):  # type: ignore[no-untyped-def]
    """The treasurer's accounts; `refused`: the form that moves money between
    the group's accounts, sent and refused, shown again as typed with its
    messages next to it (nothing was recorded)."""
    memberships = list_members(db.session, g.group, include_inactive=True)
    books = services.books(db.session, g.group, memberships)
    from coop.sales.services import held_for_open_lots

    lots_held = held_for_open_lots(db.session, g.group)
    # the equation's last term: the purchases still to pay, and apart from them
    # the open lots' money (kept in the same account until each lot is closed)
    purchases_words = fmt_money(books.suppliers - lots_held, g.group.currency)
    if lots_held:
        purchases_words += " + " + _("open joint-sale lots %(amount)s",
                                     amount=fmt_money(lots_held, g.group.currency))
    return render_then_commit("ledger/accounts.html", group=g.group, books=books,
                              lots_held=lots_held, purchases_words=purchases_words,
                              fund=services.fund_explained(db.session, g.group),
                              kinds=services.KIND_NAMES,
                              pay_out_form=_keyed(PayOutForm(formdata=None)),
                              transfer_form=refused or _keyed(TransferForm(formdata=None)),
                              refused=refused, transfers=services.recent_transfers(
                                  db.session, g.group),
                              account_names=services.ACCOUNT_NAMES,
                              payables=payables.positions(db.session, g.group)), status


@bp.get("/groups/<int:group_id>/accounts/<int:membership_id>")
@group_view()
def statement(group_id: int, membership_id: int):  # type: ignore[no-untyped-def]
    return _statement_page(_member_or_404(membership_id))


def _statement_page(member: Membership, *, refused: OnceForm | None = None,
                    status: int = 200):  # type: ignore[no-untyped-def]
    """Her statement with its forms; `refused`: a form sent and refused, shown
    again as typed with its errors (nothing was recorded)."""
    start, end = _period()
    account_id = services.member_account(db.session, member)
    opening, lines = services.statement(db.session, account_id, start=start, end=end)
    balance = services.account_balance(db.session, account_id)
    forms: dict[str, OnceForm] = {
        "payment_form": PaymentForm(formdata=None), "write_off_form": WriteOffForm(formdata=None),
        "adjust_form": AdjustmentForm(formdata=None)}
    for name, blank in forms.items():
        forms[name] = refused if type(refused) is type(blank) else _keyed(blank)
    return render_then_commit(
        "ledger/statement.html", group=g.group, member=member, opening=opening, lines=lines,
        balance=balance, kinds=services.KIND_NAMES,
        receipts=services.receipt_links(db.session, member), **forms,
        refused=error_messages(refused) if refused is not None else None,
        reverse_form=_keyed(ReverseForm(formdata=None)), start=request.args.get("from", ""),
        end=request.args.get("to", ""), text=balance_text(member, balance)), status


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
    currency, language = g.group.currency, g.group.language
    receipts = services.receipt_numbers(db.session, member)
    data = csv_bytes(  # numbers and dates as the group's Excel reads them
        [_("Date"), _("What"), _("Note"), _("Amount"), _("Balance"), _("Receipt")],
        [["", _("Opening balance"), "", "", csv_amount(opening, currency, language), ""]] + [
            [csv_date(line.posting.created_at, language),  # the group's time zone
             services.KIND_NAMES.get(line.posting.kind, line.posting.kind),
             " · ".join(x for x in (line.posting.memo, line.reversal_note) if x),
             csv_amount(line.amount, currency, language),
             csv_amount(line.balance, currency, language),
             receipts[line.posting.id]] for line in lines])
    db.session.commit()  # her account, made on first use
    return csv_response(data, f"statement-{g.group.id}-{member.id}.csv")


def _back(membership_id: int) -> Response:
    return redirect(url_for("ledger.statement", group_id=g.group.id,
                            membership_id=membership_id))


def _errors_page(form, member: Membership | None, status: int = 422):  # type: ignore[no-untyped-def]
    errors = error_messages(form)
    return render_template("ledger/form_error.html", group=g.group, member=member,
                           errors=errors), status


def _keyed(form: OnceForm) -> OnceForm:
    """A money form as shown: with a new key, so that sending it twice records once."""
    form.new_key()
    return form


def when(moment: datetime) -> str:
    """'14:05 today' style: the date and time in the reader's zone, short."""
    return format_datetime(moment, "short")


def ask_again(form: OnceForm, question: str, back: str, *,  # type: ignore[no-untyped-def]
              anyway: bool = False, words: tuple[str, str] | None = None,
              extra: list[tuple[str, str]] | None = None, place: str | None = None,
              hint: tuple[str, str] | None = None):
    """The page that asks before a second record like a recent one (or, with
    `anyway`, before an unusual one: AskFirst): the form as sent, hidden, with
    `confirm_again` set; the same key, so the answer too records once. No
    JavaScript. `words`: the heading and the yes of an unusual act that is
    not a record (reverse an entry, cancel a sale). `extra`: fields of the
    request that are not the form's (a sale's lines), sent again as typed.
    The "yes" posts where the form posted (`_sent_to`): `place`, the id on
    the page it came from that a refusal after "yes" opens at. `hint`: a
    sentence and the address of a page that helps (move_money_hint)."""
    fields = [(f.name, "y" if isinstance(f, BooleanField) else
               f.data if not isinstance(f, MoneyField) else f.data or "")
              for f in form if f.name not in ("csrf_token", "confirm_again")
              and not (isinstance(f, BooleanField) and not f.data)]  # unticked: not sent
    fields += extra or []
    heading, yes = words if words and anyway else (None, None)
    return render_template("ledger/confirm_again.html", group=g.group, question=question,
                           fields=fields, action=_sent_to(place), back=back,
                           anyway=anyway, ask_heading=heading, ask_yes=yes, hint=hint)


_PLACE = re.compile(r"[A-Za-z][\w-]*")


def _sent_to(place: str | None) -> str:
    """The address the form was sent to, for the question's "yes": this
    request's own path and query (a savings form's `?at=entries`, which says
    where the page goes back to afterwards), never an address from elsewhere,
    and `#place`: a fragment never reaches the server, so the caller names
    the id its form stands at, for a refusal after "yes" to open there, not
    at the top of a long page on a phone."""
    query = request.query_string.decode("utf-8", "replace")
    action = request.script_root + request.path + (f"?{query}" if query else "")
    if place and _PLACE.fullmatch(place):
        action += f"#{place}"
    return action


def once(form: OnceForm, *, earlier, recent, record, done: str | Callable[[], str], back: str,
         member: Membership | None, failed=None, asks=None,
         words: tuple[str, str] | None = None,
         place: str | None = None):  # type: ignore[no-untyped-def]
    """What every money form does when sent: validate; the same key sent again
    shows what was recorded (no second record); a record like one made in the
    last 24 h asks first, as does what the service finds unusual (AskFirst,
    recorded once confirmed: `record` passes `form.confirmed` on); else record
    through the service and commit once. Two
    sendings at the same moment: the unique key stops the second at commit.
    `failed(form, status)` shows a refused form (default: the errors page).
    `asks()`: what is unusual about this record (a question, or None), asked
    with the question of `recent` when both are, so that one "yes" answers
    what was asked; the service asks again under its lock (AskFirst).
    `words`: the heading and the yes of that question when what is done is
    not a record (ask_again); `place`: the id the form stands at on its page
    (ask_again). A refused form shown again asks again before its next
    record (its `confirm_again` cleared), with a new key if its own was
    missing or stale."""
    def _form_failed(form, member, status=422):  # type: ignore[no-untyped-def]
        fresh_start(form)
        if failed is not None:
            return failed(form, status)
        return _errors_page(form, member, status)

    if not form.validate_on_submit():
        return _form_failed(form, member)
    key = form.idempotency_key.data or ""
    try:
        services.check_key(key)
        if earlier(key) is not None:
            return _already(back)
        if not form.confirmed:
            question = recent()
            unusual = asks() if asks is not None else None
            if question or unusual:
                if earlier(key) is not None:  # it was this form, committed meanwhile
                    return _already(back)
                return ask_again(form, " ".join(q for q in (question, unusual) if q), back,
                                 anyway=not question, words=words, place=place)
        record(key)
        db.session.commit()
    except AskFirst as exc:  # unusual: recorded only when she says so
        db.session.rollback()
        return ask_again(form, str(exc), back, anyway=True, words=words, place=place)
    except DomainError as exc:
        db.session.rollback()
        apply_domain_error(form, exc)
        return _form_failed(form, member)
    except IntegrityError:
        db.session.rollback()
        if earlier(key) is not None:
            return _already(back)
        # Not this form's key: another request changed the same thing at the
        # same moment (a second reversal of one entry).
        form.form_errors.append(_("This was changed by someone else at the same moment. "
                                  "Look at the account and try again if needed."))
        return _form_failed(form, member, status=409)
    flash(done() if callable(done) else done, "success")
    return redirect(back)


def fresh_start(form: OnceForm) -> None:
    """A refused money form about to be shown again: a "yes" she gave to a
    question before the refusal does not answer what she sends next (it is
    asked again), and a form whose key was missing or stale gets a new one,
    else every sending of it would be refused as expired."""
    form.confirm_again.data = ""
    try:
        services.check_key(form.idempotency_key.data)
    except DomainError:
        form.new_key()


def _already(back: str) -> Response:
    flash(_("This was already recorded (the form was sent twice). Nothing more was "
            "recorded."), "info")
    return redirect(back)


def _statement_url(member: Membership) -> str:
    return url_for("ledger.statement", group_id=g.group.id, membership_id=member.id)


def same_entry(posting, currency: str) -> str | None:  # type: ignore[no-untyped-def]
    if posting is None:
        return None
    return _("The same entry (%(kind)s, %(amount)s, “%(memo)s”) was recorded at %(time)s. "
             "Record another?", kind=services.KIND_NAMES.get(posting.kind, posting.kind),
             amount=fmt_money(posting.amount, currency), memo=posting.memo,
             time=when(posting.created_at))


@bp.post("/groups/<int:group_id>/accounts/<int:membership_id>/payment")
@group_view(treasurer=True)
def record_payment(group_id: int, membership_id: int):  # type: ignore[no-untyped-def]
    member = member_in_group(g.group, membership_id)
    form = PaymentForm(currency=g.group.currency)
    currency = g.group.currency

    def recent() -> str | None:
        payment = services.recent_payment(db.session, member, amount=form.amount.minor or 0,
                                          method=form.method.data or "",
                                          reference=form.reference.data or "")
        if payment is None:
            return None
        return _("A payment of %(amount)s from %(name)s was recorded at %(time)s (receipt "
                 "№%(number)s). Record another?", amount=fmt_money(payment.amount, currency),
                 name=member.user.name, time=when(payment.created_at),
                 number=payment.receipt_number)

    recorded: list = []

    def record(key: str) -> None:
        payment, _new = services.record_payment(
            db.session, member, amount=form.amount.minor or 0, method=form.method.data,
            reference=form.reference.data or "", idempotency_key=key, actor=current_user)
        recorded.append(payment.receipt_number)

    return once(form, earlier=lambda key: services.payment_by_key(db.session, g.group.id, key),
                recent=recent, record=record, back=_statement_url(member), member=member,
                asks=lambda: far_beyond_owed(db.session, member, form.amount.minor or 0),
                failed=lambda form, status: _statement_page(member, refused=form,
                                                            status=status),
                done=lambda: _("Payment of %(amount)s recorded (receipt №%(number)s).",
                               amount=fmt_money(form.amount.minor, currency),
                               number=recorded[0]))


def _posting_form(form: OnceForm, member: Membership, *, kind: str, amount, memo,
                  record, done: str):  # type: ignore[no-untyped-def]
    """A form that makes one entry of a member's account. What goes out of her
    account (a charge) and what comes in (a refund) are not the same entry."""
    def recent() -> str | None:
        mine = services.member_account(db.session, member)
        debit = mine if amount() > 0 and kind == "adjustment" else None
        if kind == "adjustment" and amount() < 0:
            debit = services.group_accounts(db.session, g.group).suppliers
        return same_entry(services.recent_posting(
            db.session, g.group, kind=kind, amount=amount(), memo=memo(),
            membership_id=member.id, debit=debit), g.group.currency)

    return once(
        form, earlier=lambda key: services.posting_by_key(db.session, g.group.id, key),
        recent=recent, record=record, done=done, back=_statement_url(member), member=member,
        failed=lambda form, status: _statement_page(member, refused=form, status=status))


@bp.post("/groups/<int:group_id>/accounts/<int:membership_id>/write-off")
@group_view(treasurer=True)
def write_off(group_id: int, membership_id: int):  # type: ignore[no-untyped-def]
    member = member_in_group(g.group, membership_id)
    form = WriteOffForm(currency=g.group.currency)
    return _posting_form(
        form, member, kind="write_off", amount=lambda: form.amount.minor or 0,
        memo=lambda: form.reason.data or "",
        record=lambda key: services.write_off(db.session, member, amount=form.amount.minor or 0,
                                              reason=form.reason.data, actor=current_user,
                                              idempotency_key=key),
        done=_("The debt is written off; the solidarity fund carries it."))


@bp.post("/groups/<int:group_id>/accounts/<int:membership_id>/adjust")
@group_view(treasurer=True)
def adjust(group_id: int, membership_id: int):  # type: ignore[no-untyped-def]
    member = member_in_group(g.group, membership_id)
    form = AdjustmentForm(currency=g.group.currency)
    return _posting_form(
        form, member, kind="adjustment", amount=lambda: form.amount.minor or 0,
        memo=lambda: form.reason.data or "",
        record=lambda key: services.adjust_member(
            db.session, member, amount=form.amount.minor or 0, reason=form.reason.data,
            actor=current_user, idempotency_key=key),
        done=_("The adjustment is recorded."))


@bp.post("/groups/<int:group_id>/accounts/<int:membership_id>/postings/<int:posting_id>/reverse")
@group_view(treasurer=True)
def reverse(group_id: int, membership_id: int, posting_id: int):  # type: ignore[no-untyped-def]
    member = member_in_group(g.group, membership_id)
    form = ReverseForm()
    # A reversal needs no 24 h question: an entry is reversed once at most.
    # Reversing a payment into the cash (bank, wallet) takes it back out: more
    # than it holds is asked by the service (AskFirst), after every refusal
    # (not hers, reversed already), and made once she confirms.
    return once(
        form, earlier=lambda key: services.posting_by_key(db.session, g.group.id, key),
        recent=lambda: None,
        record=lambda key: services.reverse_posting(
            db.session, g.group, posting_id, reason=form.reason.data, actor=current_user,
            idempotency_key=key, account_id=services.member_account(db.session, member),
            overdraw=form.confirmed),
        done=_("The entry is reversed; both stay in the books."), back=_statement_url(member),
        member=member, words=(_("Reverse it anyway?"), _("Yes, reverse it")))


@bp.post("/groups/<int:group_id>/accounts/pay-out")
@group_view(treasurer=True)
def pay_out(group_id: int):  # type: ignore[no-untyped-def]
    form = PayOutForm(currency=g.group.currency)
    return once(
        form, earlier=lambda key: services.posting_by_key(db.session, g.group.id, key),
        recent=lambda: same_entry(services.recent_posting(
            db.session, g.group, kind="pay_out", amount=form.amount.minor or 0,
            memo=form.memo.data or ""), g.group.currency),
        asks=lambda: services.overdraw_question(db.session, g.group, form.method.data or "",
                                                form.amount.minor or 0),
        record=lambda key: services.pay_out(db.session, g.group, amount=form.amount.minor or 0,
                                            memo=form.memo.data, actor=current_user,
                                            method=form.method.data, idempotency_key=key,
                                            overdraw=form.confirmed),
        done=_("The payment out of the cash is recorded."),
        back=url_for("ledger.accounts", group_id=group_id), member=None)


@bp.post("/groups/<int:group_id>/accounts/transfer")
@group_view(treasurer=True)
def transfer(group_id: int):  # type: ignore[no-untyped-def]
    """Money moved between the group's accounts (the bank to the cash box…):
    the same move again within 24 h is asked first; more than the source
    holds is refused next to the form, as typed."""
    form = TransferForm(currency=g.group.currency)

    def done() -> str:
        amount = fmt_money(form.amount.minor or 0, g.group.currency)
        route = services.transfer_memo(form.source.data, form.target.data, None)
        route = route[:1].lower() + route[1:]  # «из банка в кассу», after a colon
        memo = (form.memo.data or "").strip()
        if memo:
            return _("Moved %(amount)s: %(route)s (%(memo)s).", amount=amount, route=route,
                     memo=memo)
        return _("Moved %(amount)s: %(route)s.", amount=amount, route=route)

    return once(
        form, earlier=lambda key: services.posting_by_key(db.session, g.group.id, key),
        recent=lambda: same_entry(services.recent_transfer(
            db.session, g.group, source=form.source.data or "", target=form.target.data or "",
            amount=form.amount.minor or 0), g.group.currency),
        record=lambda key: services.transfer_money(
            db.session, g.group, source=form.source.data or "", target=form.target.data or "",
            amount=form.amount.minor or 0, memo=form.memo.data or "", actor=current_user,
            idempotency_key=key),
        done=done, back=url_for("ledger.accounts", group_id=group_id), member=None,
        failed=lambda form, status: _accounts_page(refused=form, status=status),
        place="move-money")


def move_money_hint(group) -> tuple[str, str] | None:  # type: ignore[no-untyped-def]
    """For a page that pays out of the cash box alone and found it short:
    what the bank account and the mobile wallet hold, and where to move it
    into the cash box; None when they hold nothing."""
    held = services.money_held(db.session, group)
    if held["bank"] <= 0 and held["mobile"] <= 0:
        return None
    return (_("The bank account holds %(bank)s and the mobile wallet %(mobile)s: money can be "
              "moved from them into the cash box on the accounts page.",
              bank=fmt_money(max(held["bank"], 0), group.currency),
              mobile=fmt_money(max(held["mobile"], 0), group.currency)),
            url_for("ledger.accounts", group_id=group.id, _anchor="move-money"))


@bp.get("/groups/<int:group_id>/fund")
@group_view(treasurer=True)
def fund(group_id: int):  # type: ignore[no-untyped-def]
    accounts = services.group_accounts(db.session, g.group)
    _opening, lines = services.statement(db.session, accounts.fund)
    return render_then_commit("ledger/fund.html", group=g.group, lines=lines,
                              kinds=services.KIND_NAMES,
                              explained=services.fund_explained(db.session, g.group),
                              balance=lines[-1].balance if lines else 0)
