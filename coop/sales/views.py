"""Joint sales pages. The treasurer runs a lot: contributions, buyers, sales,
costs, the payout preview and the closing. A member sees the lots, their
totals, her own contributions and her own payouts; anything of another
member is a 404, the treasurer's pages a 403."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import Any
from urllib.parse import urlencode

from flask import Blueprint, abort, flash, g, redirect, render_template, request, url_for
from flask_babel import force_locale, format_time, lazy_pgettext, to_user_timezone
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy.exc import IntegrityError

from coop import unit_text
from coop.errors import AskFirst, DomainError
from coop.extensions import db
from coop.forms import ActionForm, Form, apply_domain_error, choices, fill_unit, unit_typed
from coop.groups.access import group_view, member_in_group
from coop.groups.models import Membership
from coop.groups.services import list_members
from coop.i18n import fmt_date, fmt_money, input_number, input_percent, input_qty, local_today
from coop.ledger import services as ledger
from coop.ledger.forms import OnceForm
from coop.ledger.views import ask_again, fresh_start, move_money_hint, once, same_entry, when
from coop.money import TYPED_LIMIT
from coop.sales import documents, explain, services
from coop.sales.forms import (
    BuyerForm,
    CancelForm,
    CancelSaleForm,
    CashPayoutForm,
    ContributionForm,
    CorrectionForm,
    CostForm,
    LotForm,
    SaleForm,
    SalePaymentForm,
    parse_sale_lines,
    to_id,
)
from coop.sales.models import SaleLot, SalePayment
from coop.views import (
    Confirmation,
    already_done,
    confirmed,
    figures_token,
    pdf_response,
    saving,
)

bp = Blueprint("sales", __name__, template_folder="templates")

NAMES = {"states": services.STATE_NAMES, "buyer_kinds": services.BUYER_KIND_NAMES,
         "cost_kinds": services.COST_KIND_NAMES, "rules": services.RULE_NAMES,
         "unsold_names": services.UNSOLD_NAMES, "fund_label": services.fund_label,
         "method_names": ledger.METHOD_NAMES}


def _lot_or_404(lot_id: int) -> SaleLot:
    lot = services.get_lot(db.session, g.group, lot_id)
    if lot is None:
        abort(404)
    return lot


def _whose(membership_id: int | None) -> Membership:
    """Herself for a member; anyone of the group for the treasurer."""
    if membership_id is None:
        if g.membership is None:
            abort(404)
        return g.membership
    if not g.is_treasurer and (g.membership is None or g.membership.id != membership_id):
        abort(404)
    return member_in_group(g.group, membership_id)


# --------------------------------------------------------------------------
# Lots
# --------------------------------------------------------------------------


@bp.get("/groups/<int:group_id>/sales")
@group_view()
def list_lots(group_id: int):  # type: ignore[no-untyped-def]
    lots = services.list_lots(db.session, g.group)
    mine = services.member_lot_ids(db.session, g.membership) if g.membership else set()
    payouts = {p.lot_id: p for p in services.member_payouts(db.session, g.membership)} \
        if g.membership else {}
    return render_template("sales/lots.html", group=g.group, lots=lots, mine=mine,
                           payouts=payouts, paid_out=services.paid_out_lot_ids(db.session, lots),
                           paid_out_name=services.PAID_OUT_NAME, **NAMES)


def _lot_fields(form: LotForm) -> dict:
    levy = form.levy_percent.value
    rows, error = form.grade_inputs()
    if error:
        raise DomainError(error, field="grades")
    return {"product": form.product.data or "", "unit": unit_typed(form),
            "step": form.step.milli if form.step.milli is not None else 1000,
            "period_from": form.period_from.data, "period_to": form.period_to.data,
            "place": form.place.data or "",
            "levy_basis_points": int(levy * 100) if levy is not None else 0,
            "grades": [services.GradeInput(name, factor, gid) for name, factor, gid in rows]}


@bp.route("/groups/<int:group_id>/sales/new", methods=["GET", "POST"])
@group_view(treasurer=True)
def new_lot(group_id: int):  # type: ignore[no-untyped-def]
    form = LotForm()
    if request.method == "GET":
        form.step.data = "1"
        form.levy_percent.data = input_percent(g.group.levy_basis_points)
        form.grades[0].form.name.data, form.grades[0].form.factor.data = _("first grade"), "1"
        form.grades[1].form.name.data, form.grades[1].form.factor.data = (
            _("second grade"), input_number(Decimal("0.8")))
    if form.validate_on_submit():
        with saving(form) as saved:
            lot = services.create_lot(db.session, g.group, current_user, **_lot_fields(form))
        if saved:
            flash(_("The lot is open: record what the members bring."), "success")
            return redirect(url_for("sales.lot_page", group_id=group_id, lot_id=lot.id))
    status = 422 if request.method == "POST" else 200
    return render_template("sales/lot_form.html", group=g.group, form=form, lot=None), status


@bp.route("/groups/<int:group_id>/sales/<int:lot_id>/edit", methods=["GET", "POST"])
@group_view(treasurer=True)
def edit_lot(group_id: int, lot_id: int):  # type: ignore[no-untyped-def]
    lot = _lot_or_404(lot_id)
    if lot.state != services.OPEN:
        raise DomainError(_("This lot is closed and cannot be changed."))
    form = LotForm()
    if request.method == "GET":
        form.product.data, form.place.data = lot.product, lot.place
        fill_unit(form, lot.unit)
        form.step.data = input_qty(lot.step)
        form.period_from.data, form.period_to.data = lot.period_from, lot.period_to
        form.levy_percent.data = input_percent(lot.levy_basis_points)
        while len(form.grades) < min(len(lot.grades) + 1, services.MAX_GRADES):
            form.grades.append_entry()
        for entry, grade in zip(form.grades, lot.grades, strict=False):
            entry.form.id.data = str(grade.id)
            entry.form.name.data = grade.name
            entry.form.factor.data = input_qty(grade.factor)
    if form.validate_on_submit():
        with saving(form) as saved:
            services.update_lot(db.session, lot, **_lot_fields(form))
        if saved:
            flash(_("Saved."), "success")
            return redirect(url_for("sales.lot_page", group_id=group_id, lot_id=lot.id))
    status = 422 if request.method == "POST" else 200
    return render_template("sales/lot_form.html", group=g.group, form=form, lot=lot), status


def _contribution_form(lot: SaleLot, members: list[Membership], **kwargs: Any
                       ) -> ContributionForm:
    form = ContributionForm(**kwargs)
    form.member.choices = choices([(str(m.id), m.user.name) for m in members])
    form.grade.choices = choices([(str(gr.id), gr.name) for gr in lot.grades])
    return form


def _keyed(form: OnceForm) -> OnceForm:
    form.new_key()
    return form


def _cost_form(sales: list, **kwargs: Any) -> CostForm:  # type: ignore[type-arg]
    form = CostForm(currency=g.group.currency, **kwargs)
    form.sale.choices = choices([("", _("the whole lot"))] + [
        (str(s.id), f"{fmt_date(s.sold_on)} — {s.buyer.name}") for s in sales
        if s.cancelled_at is None])
    return form


@bp.get("/groups/<int:group_id>/sales/<int:lot_id>")
@group_view()
def lot_page(group_id: int, lot_id: int):  # type: ignore[no-untyped-def]
    return _lot_page(_lot_or_404(lot_id))


def _lot_page(lot: SaleLot, *, refused: Form | None = None, status: int = 200,
              sale_id: int | None = None, place: str | None = None,
              in_place: bool = True):  # type: ignore[no-untyped-def]
    """The lot with its forms; `refused`: a form of this page sent and refused,
    shown again as typed with its messages next to it (nothing was saved), the
    page scrolled to it by the fragment of the form's action (`sale_id`: the
    sale a refused payment was for; a sale that owes nothing now has no form:
    the message is said at the top). A refused cancel: `place`, the id of the
    row's cancel form it was sent from; `in_place`: False when that form is
    no longer on the page (its message is said at the top)."""
    context = {"group": g.group, "lot": lot, "stock": services.lot_stock(db.session, lot),
               "state_name": services.PAID_OUT_NAME if lot.id in services.paid_out_lot_ids(
                   db.session, [lot]) else services.STATE_NAMES[lot.state],
               "carried_to": services.carried_to(db.session, lot),
               "carried_from": db.session.get(SaleLot, lot.carried_from_id)
               if lot.carried_from_id else None, **NAMES}
    if g.is_treasurer:
        members = list_members(db.session, g.group, include_inactive=False)
        sales = services.lot_sales(db.session, lot)
        # the refused form as typed (its choices made as these), the other one blank
        contribution_form = refused if isinstance(refused, ContributionForm) else _keyed(
            _contribution_form(lot, members, formdata=None))
        cost_form = refused if isinstance(refused, CostForm) else _keyed(
            _cost_form(sales, formdata=None))
        all_payments = services.lot_sale_payments(db.session, sales)
        debts = services.sale_debts(db.session, sales, all_payments)
        payment_forms = {}
        for owing, debt in debts.items():
            if debt.owed:
                payment_form = SalePaymentForm(formdata=None, currency=g.group.currency)
                payment_form.amount.set_minor(debt.owed)
                payment_form.paid_on.data = local_today()
                payment_forms[owing] = _keyed(payment_form)
        placed = sale_id in payment_forms if isinstance(refused, SalePaymentForm) else in_place
        if isinstance(refused, SalePaymentForm) and placed:
            payment_forms[sale_id] = refused
        payments = [p for listed in all_payments.values() for p in listed]
        names = services.recorder_names(db.session, payments)
        context.update(refused_alone=not placed, place=place,
            recorded={p.id: _recorded(p, names.get(p.recorded_by_id or 0)) for p in payments},
            debts=debts, payment_forms=payment_forms, today=local_today(),
            all_payments=all_payments,
            entries=services.contribution_entries(db.session, lot), sales=sales,
            costs=services.lot_costs(db.session, lot), members=members,
            contribution_form=contribution_form, cost_form=cost_form,
            refused=refused, cancel_form=CancelForm(formdata=None), action_form=ActionForm())
    elif g.membership is not None:
        context.update(entries=services.contribution_entries(db.session, lot, g.membership))
    return render_template("sales/lot.html", **context), status


def _recorded(payment: SalePayment, name: str | None) -> str:
    """When a payment was recorded, and by whom: two payments of the same
    amount on the same day told apart. The time alone on the day it was paid."""
    if to_user_timezone(payment.recorded_at).date() == payment.paid_on:
        time = format_time(payment.recorded_at, "short")
        if name:
            return _("recorded at %(time)s by %(name)s", time=time, name=name)
        return _("recorded at %(time)s", time=time)
    moment = fmt_date(payment.recorded_at)
    if name:
        return _("recorded %(time)s by %(name)s", time=moment, name=name)
    return _("recorded %(time)s", time=moment)


# --------------------------------------------------------------------------
# Contributions
# --------------------------------------------------------------------------


@bp.post("/groups/<int:group_id>/sales/<int:lot_id>/contributions")
@group_view(treasurer=True)
def add_contribution(group_id: int, lot_id: int):  # type: ignore[no-untyped-def]
    """As every money form (coop.ledger.views.once): what a member brought
    decides her payout, so the same form sent twice records it once."""
    lot = _lot_or_404(lot_id)
    members = list_members(db.session, g.group, include_inactive=False)
    form = _contribution_form(lot, members)
    back = url_for("sales.lot_page", group_id=group_id, lot_id=lot_id, _anchor="contribute")

    def member() -> Membership:
        found = next((m for m in members if m.id == to_id(form.member.data)), None)
        if found is None:
            raise DomainError(_("Choose a member of the group."), field="member")
        return found

    def recent() -> str | None:  # the form sent again through Back, with a new key
        found = services.recent_contribution(
            db.session, lot, membership_id=member().id, grade_id=to_id(form.grade.data),
            quantity=form.quantity.milli or 0)
        if found is None:
            return None
        return _("The same delivery (%(name)s, %(quantity)s) was recorded at %(time)s. "
                 "Record another?", name=member().user.name, time=when(found.recorded_at),
                 quantity=unit_text.in_sentence(found.quantity, lot.unit))

    return once(
        form, earlier=lambda key: services.contribution_by_key(db.session, lot, key),
        recent=recent,
        record=lambda key: services.record_contribution(
            db.session, lot, member(), grade_id=to_id(form.grade.data),
            quantity=form.quantity.milli or 0, brought_on=form.brought_on.data,
            note=form.note.data or "", actor=current_user, idempotency_key=key),
        done=lambda: unit_text.note(lot.unit) + _(
            "Recorded: %(quantity)s from %(name)s.",
            quantity=unit_text.in_sentence(form.quantity.milli or 0, lot.unit),
            name=member().user.name),
        back=back, member=None, place="contribute",
        failed=lambda form, status: _lot_page(lot, refused=form, status=status))


@bp.route("/groups/<int:group_id>/sales/<int:lot_id>/contributions/<int:contribution_id>/correct",
          methods=["GET", "POST"])
@group_view(treasurer=True)
def correct_contribution(group_id: int, lot_id: int, contribution_id: int):  # type: ignore[no-untyped-def]
    lot = _lot_or_404(lot_id)
    original = services.get_contribution(db.session, lot, contribution_id)
    if original is None:
        abort(404)
    entry = next(e for e in services.contribution_entries(db.session, lot, original.membership)
                 if e.original.id in (original.id, original.corrects_id))
    form = CorrectionForm()
    form.grade.choices = choices([(str(gr.id), gr.name) for gr in lot.grades])

    def page(form: CorrectionForm, status: int):  # type: ignore[no-untyped-def]
        return render_template("sales/correct.html", group=g.group, lot=lot, entry=entry,
                               form=form, grades={gr.id: gr for gr in lot.grades}), status

    if request.method == "GET":
        grade_id, quantity = next(iter(entry.current.items()), (entry.original.grade_id, 0))
        form.grade.data, form.quantity.data = str(grade_id), input_qty(quantity)
        form.new_key()
        return page(form, 200)
    # As every money form (coop.ledger.views.once): sent twice, corrected once.
    return once(
        form, earlier=lambda key: services.contribution_by_key(db.session, lot, key),
        recent=lambda: None,
        record=lambda key: services.correct_contribution(
            db.session, lot, entry.original.id, grade_id=to_id(form.grade.data),
            quantity=form.quantity.milli or 0, reason=form.reason.data or "",
            actor=current_user, idempotency_key=key),
        done=_("The correction is recorded; the original stays in the history."),
        back=url_for("sales.lot_page", group_id=group_id, lot_id=lot_id,
                     _anchor="contributions"), member=None, failed=page)


# --------------------------------------------------------------------------
# Buyers
# --------------------------------------------------------------------------


@bp.route("/groups/<int:group_id>/buyers", methods=["GET", "POST"])
@group_view(treasurer=True)
def buyers(group_id: int):  # type: ignore[no-untyped-def]
    form = BuyerForm()
    if form.validate_on_submit():
        with saving(form) as saved:
            services.create_buyer(db.session, g.group, name=form.name.data or "",
                                  contact=form.contact.data or "", kind=form.kind.data or "")
        if saved:
            flash(_("The buyer is added."), "success")
            back = request.args.get("lot", type=int)
            if back and services.get_lot(db.session, g.group, back):
                return redirect(url_for("sales.new_sale", group_id=group_id, lot_id=back))
            return redirect(url_for("sales.buyers", group_id=group_id))
    status = 422 if request.method == "POST" else 200
    return render_template("sales/buyers.html", group=g.group, form=form,
                           buyers=services.list_buyers(db.session, g.group), **NAMES), status


@bp.route("/groups/<int:group_id>/buyers/<int:buyer_id>/edit", methods=["GET", "POST"])
@group_view(treasurer=True)
def edit_buyer(group_id: int, buyer_id: int):  # type: ignore[no-untyped-def]
    buyer = services.get_buyer(db.session, g.group, buyer_id)
    if buyer is None:
        abort(404)
    form = BuyerForm(obj=buyer) if request.method == "GET" else BuyerForm()
    if form.validate_on_submit():
        with saving(form) as saved:
            services.update_buyer(db.session, buyer, name=form.name.data or "",
                                  contact=form.contact.data or "", kind=form.kind.data or "")
        if saved:
            flash(_("Saved."), "success")
            return redirect(url_for("sales.buyers", group_id=group_id))
    status = 422 if request.method == "POST" else 200
    return render_template("sales/buyer_form.html", group=g.group, form=form,
                           buyer=buyer), status


# --------------------------------------------------------------------------
# Sales
# --------------------------------------------------------------------------


@bp.route("/groups/<int:group_id>/sales/<int:lot_id>/sell", methods=["GET", "POST"])
@group_view(treasurer=True)
def new_sale(group_id: int, lot_id: int):  # type: ignore[no-untyped-def]
    lot = _lot_or_404(lot_id)
    if lot.state != services.OPEN:
        raise DomainError(_("This lot is closed and cannot be changed."))
    buyer_list = services.list_buyers(db.session, g.group)
    # "no" to the gift question: the form as typed, sent back by its link
    again = request.method == "GET" and "idempotency_key" in request.args
    form = SaleForm(formdata=request.args) if again else SaleForm()
    form.buyer.choices = choices([(str(b.id), b.name) for b in buyer_list])
    typed: dict = {}
    error = None
    if again:
        fresh_start(form)
        lines, typed = parse_sale_lines(request.args)
        for grade_id, (_quantity, price) in lines.items():
            if price == 0:
                typed[grade_id].error = _("The price is 0: enter the price it was sold at.")
        error = _("Not recorded as a gift: nothing was saved. Enter the price, then record "
                  "the sale.")
    elif request.method == "GET":
        form.sold_on.data = local_today()
        form.new_key()
    if request.method == "POST" and form.validate_on_submit():
        lines, typed = parse_sale_lines(request.form)
        if any(line.error for line in typed.values()):
            error = _("Some quantities or prices are not right. Nothing was saved.")
        else:
            back = url_for("sales.lot_page", group_id=group_id, lot_id=lot_id, _anchor="sales")
            if (ledger.posting_by_key(db.session, g.group.id, form.idempotency_key.data)
                    or services.sale_by_key(db.session, lot, form.idempotency_key.data)):
                flash(_("This was recorded already."), "info")
                return redirect(back)
            same = None if form.confirmed else services.recent_sale(
                db.session, lot, buyer_id=to_id(form.buyer.data), lines=lines)
            if same is not None:  # the form sent again through Back, with a new key
                return ask_again(form, _(
                    "The same sale (%(buyer)s, %(amount)s) was recorded at %(time)s. Record "
                    "another?", buyer=same.buyer.name, time=when(same.recorded_at),
                    amount=fmt_money(same.revenue, g.group.currency)), back,
                    extra=[(name, request.form[name]) for name in request.form
                           if name.startswith(("quantity_", "price_"))])
            try:
                key = ledger.check_key(form.idempotency_key.data)
                sale = services.record_sale(db.session, lot, buyer_id=to_id(form.buyer.data),
                                            sold_on=form.sold_on.data, lines=lines,
                                            note=form.note.data or "", actor=current_user,
                                            idempotency_key=key, gift=form.confirmed,
                                            pay_later=form.pay_later,
                                            due_on=form.due_on.data)
                db.session.commit()
            except IntegrityError:  # the same form sent twice at the same moment
                db.session.rollback()
                flash(_("This was recorded already."), "info")
                return redirect(url_for("sales.lot_page", group_id=group_id, lot_id=lot_id,
                                        _anchor="sales"))
            except AskFirst as exc:  # a price of 0: a gift or a sample, once confirmed
                db.session.rollback()
                return ask_again(form, str(exc.message), _typed_again(lot, exc.field),
                                 anyway=True, words=(_("Record it as a gift?"),
                                                     _("Yes, it is a gift or a sample")),
                                 extra=[(name, request.form[name]) for name in request.form
                                        if name.startswith(("quantity_", "price_"))])
            except DomainError as exc:
                db.session.rollback()
                # said once: next to the box it is about (the banner on top says where
                # to look), or on top when it is about no box
                error = str(exc.message)
                grade_id = to_id((exc.field or "").rpartition("_")[2])
                if grade_id in typed and any(gr.id == grade_id for gr in lot.grades):
                    typed[grade_id].error = error
                    error = _("Some quantities or prices are not right. Nothing was saved.")
                elif exc.field in form:
                    apply_domain_error(form, exc)
                    error = None
            else:
                if sale.paid_later and sale.revenue:
                    flash(_("The sale is recorded: %(buyer)s owes %(amount)s. Record the "
                            "payment on the lot's page when the money comes.",
                            buyer=sale.buyer.name,
                            amount=fmt_money(sale.revenue, g.group.currency)), "success")
                elif not sale.revenue:  # all of it a gift or a sample
                    flash(_("The gift is recorded: nothing came into the cash."), "success")
                else:
                    flash(_("The sale is recorded and its payment is in the cash."), "success")
                return redirect(url_for("sales.lot_page", group_id=group_id, lot_id=lot_id,
                                        _anchor=f"sale-{sale.id}"))
    status = 422 if request.method == "POST" else 200
    if request.method == "POST":
        fresh_start(form)  # a "yes" before this refusal does not answer the next sending
    return render_template("sales/sale_form.html", group=g.group, lot=lot, form=form,
                           typed=typed, error=error, buyers=buyer_list,
                           stock=services.lot_stock(db.session, lot)), status


def _typed_again(lot: SaleLot, field: str | None) -> str:
    """The sell page with the form as typed in its address: the gift
    question's "no" (a link, no JavaScript) brings the form back to correct
    the price, opened at the first line at 0."""
    # each value no longer than its field takes (the note: its 300 characters),
    # and only this lot's grades: an address stays short whatever was sent
    limits = {"buyer": 20, "sold_on": 20, "payment": 20, "due_on": 20, "note": 300,
              "idempotency_key": 100}
    grades = {f"{kind}_{grade.id}" for grade in lot.grades for kind in ("quantity", "price")}
    sent = [(name, value[:limits.get(name, TYPED_LIMIT)])
            for name, value in request.form.items() if name in limits or name in grades]
    grade_id = to_id((field or "").rpartition("_")[2])
    return (url_for("sales.new_sale", group_id=lot.group_id, lot_id=lot.id) + "?"
            + urlencode(sent) + (f"#line-{grade_id}" if grade_id else ""))


@bp.post("/groups/<int:group_id>/sales/<int:lot_id>/sales/<int:sale_id>/cancel")
@group_view(treasurer=True)
def cancel_sale(group_id: int, lot_id: int, sale_id: int):  # type: ignore[no-untyped-def]
    lot = _lot_or_404(lot_id)
    sale = services.get_sale(db.session, lot, sale_id)
    if sale is None:
        abort(404)
    form = CancelSaleForm()
    # Its payment is taken back out of the cash: more than the cash holds is
    # asked first (ledger.reverse_posting), after every refusal.
    return _cancel(lot, form, "sales", f"sale-{sale.id}-cancel", sale, lambda: services.cancel_sale(
        db.session, lot, sale, reason=form.reason.data or "", actor=current_user,
        overdraw=form.confirmed),
        done=_("The sale is cancelled: its payment is reversed in the books."),
        again=_("The sale was cancelled already; nothing was done again."),
        words=(_("Cancel the sale anyway?"), _("Yes, cancel the sale")), buyer=sale.buyer.name)


@bp.post("/groups/<int:group_id>/sales/<int:lot_id>/sales/<int:sale_id>/payments")
@group_view(treasurer=True)
def record_sale_payment(group_id: int, lot_id: int, sale_id: int):  # type: ignore[no-untyped-def]
    """The buyer of a sale paid later pays (all or part). As every money form
    (coop.ledger.views.once): sent twice, recorded once; more than she owes
    is refused by the service, under the lot's lock."""
    lot = _lot_or_404(lot_id)
    sale = services.get_sale(db.session, lot, sale_id)
    if sale is None:
        abort(404)
    form = SalePaymentForm(currency=g.group.currency)
    back = url_for("sales.lot_page", group_id=group_id, lot_id=lot_id, _anchor=f"sale-{sale.id}")

    def failed(form: SalePaymentForm, status: int):  # type: ignore[no-untyped-def]
        return _lot_page(lot, refused=form, status=status, sale_id=sale.id)

    def recent() -> str | None:  # the form sent again through Back, with a new key
        found = services.recent_sale_payment(db.session, sale, amount=form.amount.minor or 0)
        if found is None:
            return None
        return _("The same payment of %(buyer)s (%(amount)s) was recorded at %(time)s. "
                 "Record another?", buyer=sale.buyer.name, time=when(found.recorded_at),
                 amount=fmt_money(found.amount, g.group.currency))

    return once(
        form, earlier=lambda key: ledger.posting_by_key(db.session, g.group.id, key),
        recent=recent,
        record=lambda key: services.record_sale_payment(
            db.session, lot, sale, amount=form.amount.minor or 0, method=form.method.data or "",
            paid_on=form.paid_on.data, actor=current_user, idempotency_key=key),
        done=lambda: _("The payment of %(buyer)s (%(amount)s) is recorded.",
                       buyer=sale.buyer.name,
                       amount=fmt_money(form.amount.minor or 0, g.group.currency)),
        back=back, member=None, failed=failed, place=f"pay-sale-{sale.id}")


@bp.post("/groups/<int:group_id>/sales/<int:lot_id>/sales/<int:sale_id>/payments/"
         "<int:payment_id>/cancel")
@group_view(treasurer=True)
def cancel_sale_payment(group_id: int, lot_id: int, sale_id: int, payment_id: int):  # type: ignore[no-untyped-def]
    lot = _lot_or_404(lot_id)
    sale = services.get_sale(db.session, lot, sale_id)
    payment = services.get_sale_payment(db.session, sale, payment_id) if sale else None
    if sale is None or payment is None:
        abort(404)
    form = CancelSaleForm()
    # Its money is taken back out of where it went: asked first when that holds less.
    return _cancel(lot, form, f"sale-{sale.id}", f"payment-{payment.id}-cancel", payment,
                   lambda: services.cancel_sale_payment(
        db.session, lot, sale, payment, reason=form.reason.data or "", actor=current_user,
        overdraw=form.confirmed),
        done=_("The payment is cancelled: it is reversed in the books and the buyer owes it "
               "again."),
        again=_("The payment was cancelled already; nothing was done again."),
        words=(_("Cancel the payment anyway?"), _("Yes, cancel the payment")),
        buyer=sale.buyer.name)


def _cancel(lot: SaleLot, form: CancelForm, anchor: str, place: str, target: Any,
            cancel: Callable[[], dict[str, int] | None], *, done: str, again: str,
            words: tuple[str, str] | None = None, buyer: str = ""):  # type: ignore[no-untyped-def]
    """A sale, a sale's payment or a cost cancelled from the lot's page: asked
    first when the service asks (AskFirst), said so when it was cancelled
    already (a second "yes", Back), refused in its place on the lot's page as
    typed (`place`: the id of `target`'s cancel form there). What the buyer
    had paid and is taken back out (the service returns it by method) is
    said: the treasurer gives it back to her."""
    back = url_for("sales.lot_page", group_id=lot.group_id, lot_id=lot.id, _anchor=anchor)
    if form.validate_on_submit():
        try:
            given_back = cancel()
            db.session.commit()
        except AskFirst as exc:
            db.session.rollback()
            return ask_again(form, str(exc), back, anyway=True, words=words, place=place)
        except services.CancelledAlready:
            return already_done(again, back)
        except DomainError as exc:
            db.session.rollback()
            apply_domain_error(form, exc)
        else:
            flash(" ".join([done, _give_back(given_back, buyer)]).strip(), "info")
            return redirect(back)
    if isinstance(form, CancelSaleForm):  # a "yes" before this refusal answers no next one
        form.confirm_again.data = ""
    return _lot_page(lot, refused=form, status=422, place=place,
                     in_place=lot.state == services.OPEN and target.cancelled_at is None)


def _give_back(given_back: dict[str, int] | None, buyer: str) -> str:
    """"Give 800.00 back to the buyer", by method when more than one."""
    if not given_back or not sum(given_back.values()):
        return ""
    currency = g.group.currency
    amount = fmt_money(sum(given_back.values()), currency)
    if len(given_back) == 1:
        method = next(iter(given_back))
        return _("Give %(amount)s back to %(buyer)s %(how)s.", amount=amount, buyer=buyer,
                 how=GIVEN_BACK_HOW[method])
    return _("Give %(amount)s back to %(buyer)s: %(parts)s.", amount=amount, buyer=buyer,
              parts="; ".join(f"{how} {fmt_money(given_back[m], currency)}"
                             for m, how in GIVEN_BACK_HOW.items() if given_back.get(m)))


# how money is given back, said as one says it (ru: наличными, банковским переводом…)
GIVEN_BACK_HOW = {"cash": lazy_pgettext("given back", "in cash"),
                  "bank": lazy_pgettext("given back", "by bank transfer"),
                  "mobile": lazy_pgettext("given back", "by mobile money")}


@bp.get("/groups/<int:group_id>/sales/<int:lot_id>/sales/<int:sale_id>/invoice.pdf")
@group_view(treasurer=True)
def sales_invoice(group_id: int, lot_id: int, sale_id: int):  # type: ignore[no-untyped-def]
    """The buyer's invoice: numbered on the first download, the same bytes after."""
    lot = _lot_or_404(lot_id)
    sale = services.get_sale(db.session, lot, sale_id)
    if sale is None:
        abort(404)
    document = documents.issue_sales_invoice(db.session, lot, sale, current_user)
    db.session.commit()
    return pdf_response(documents.stored_bytes(db.session, g.group, document.id), document.filename)


# --------------------------------------------------------------------------
# Costs
# --------------------------------------------------------------------------


@bp.post("/groups/<int:group_id>/sales/<int:lot_id>/costs")
@group_view(treasurer=True)
def add_cost(group_id: int, lot_id: int):  # type: ignore[no-untyped-def]
    """As every money form (coop.ledger.views.once): sent twice, recorded once;
    the same cost paid in the last 24 h (Back, and the form sent again with a
    new key) asked first. More than the cash holds is asked by the service
    (ledger.pay_from raises AskFirst, under the lock), after what it refuses
    (a closed lot, an unknown kind)."""
    lot = _lot_or_404(lot_id)
    form = _cost_form(services.lot_sales(db.session, lot))
    back = url_for("sales.lot_page", group_id=group_id, lot_id=lot_id, _anchor="costs")

    def recent() -> str | None:  # the form sent again through Back, with a new key
        found = services.recent_cost(db.session, lot, kind=form.kind.data or "",
                                     name=form.name.data or "", amount=form.amount.minor or 0)
        if found is None:
            return None
        return _("The same cost (%(name)s, %(amount)s) was recorded at %(time)s. Record "
                 "another?", name=services.cost_label(found), time=when(found.recorded_at),
                 amount=fmt_money(found.amount, g.group.currency))

    return once(
        form, earlier=lambda key: ledger.posting_by_key(db.session, g.group.id, key),
        recent=recent,
        record=lambda key: services.add_cost(
            db.session, lot, kind=form.kind.data or "", name=form.name.data or "",
            amount=form.amount.minor or 0, rule=form.rule.data or "",
            paid_on=form.paid_on.data,
            sale_id=to_id(form.sale.data) if form.sale.data else None, actor=current_user,
            idempotency_key=key, overdraw=form.confirmed),
        done=_("The cost is recorded as paid from the cash."), back=back, member=None,
        place="add-cost",
        failed=lambda form, status: _lot_page(lot, refused=form, status=status))


@bp.post("/groups/<int:group_id>/sales/<int:lot_id>/costs/<int:cost_id>/cancel")
@group_view(treasurer=True)
def cancel_cost(group_id: int, lot_id: int, cost_id: int):  # type: ignore[no-untyped-def]
    lot = _lot_or_404(lot_id)
    cost = services.get_cost(db.session, lot, cost_id)
    if cost is None:
        abort(404)
    form = CancelForm()
    return _cancel(lot, form, "costs", f"cost-{cost.id}-cancel", cost, lambda: services.cancel_cost(
        db.session, lot, cost, reason=form.reason.data or "", actor=current_user),
        done=_("The cost is cancelled: its payment is reversed in the books."),
        again=_("The cost was cancelled already; nothing was done again."))


# --------------------------------------------------------------------------
# Preview and closing
# --------------------------------------------------------------------------


@bp.route("/groups/<int:group_id>/sales/<int:lot_id>/close", methods=["GET", "POST"])
@group_view(treasurer=True)
def close_lot(group_id: int, lot_id: int):  # type: ignore[no-untyped-def]
    """The confirmation before closing: every member's payout as it would be,
    the debt set off against it and the cash to hand over, what is left unsold
    of each grade and what happens to it. Once closed, the same page is the
    payout sheet. A second "close" (double click, Back) finds it closed."""
    lot = _lot_or_404(lot_id)
    form = ActionForm()
    error = None
    changed = False
    chosen = {gr.id: request.form.get(f"unsold_{gr.id}", "return") for gr in lot.grades}
    here = url_for("sales.close_lot", group_id=group_id, lot_id=lot_id)
    if request.method == "POST" and not form.validate_on_submit():
        abort(400)
    if request.method == "POST" and lot.state != services.OPEN:
        return already_done(_("The lot was closed already; nothing was done again."), here)
    try:
        view = services.compute_split(db.session, lot)
    except DomainError as exc:
        view, error = None, str(exc.message)
    token = figures_token(services.domain.split_to_dict(view.split)) if view else ""
    if request.method == "POST" and view is not None:
        seen = confirmed(token)
        if seen:
            try:
                services.close_lot(db.session, lot, current_user, unsold_actions=chosen)
            except DomainError as exc:
                db.session.rollback()
                if services.get_lot(db.session, g.group, lot_id).state != services.OPEN:
                    return already_done(_("The lot was closed already; nothing was done "
                                          "again."), here)
                error = str(exc.message)
            else:
                db.session.commit()
                flash(_("The lot is closed: every member's payout is credited to her account. "
                        "Hand out the cash and record it."), "success")
                return redirect(here, code=303)
        else:
            changed = seen is False
            if not changed:
                error = _("Check the payouts below, then close the lot.")
    sheet = services.payout_sheet(db.session, lot, view) if view else None
    confirm = Confirmation(action=here, token=token,
                           back=url_for("sales.lot_page", group_id=group_id, lot_id=lot_id),
                           button=_("Yes: close the lot and credit the payouts"))
    status = 409 if changed else 422 if error and request.method == "POST" else 200
    owing = services.unpaid_sales(db.session, lot) if lot.state == services.OPEN else []
    return render_template("sales/close.html", group=g.group, lot=lot, view=view, form=form,
                           error=error, chosen=chosen, explain=explain, sheet=sheet, owing=owing,
                           confirm=confirm, changed=changed,
                           state_name=services.lot_state_name(sheet) if sheet
                           else services.STATE_NAMES[lot.state], **NAMES), status


@bp.get("/groups/<int:group_id>/sales/<int:lot_id>/payout-sheet.pdf")
@group_view(treasurer=True)
def payout_sheet_pdf(group_id: int, lot_id: int):  # type: ignore[no-untyped-def]
    lot = _lot_or_404(lot_id)
    content = documents.payout_sheet_pdf(db.session, lot)
    db.session.commit()  # accounts made on first use
    return pdf_response(content, f"payout-sheet-{lot.id}.pdf")


# --------------------------------------------------------------------------
# A member's payout
# --------------------------------------------------------------------------


@bp.get("/groups/<int:group_id>/sales/<int:lot_id>/payout")
@bp.get("/groups/<int:group_id>/sales/<int:lot_id>/payout/<int:membership_id>")
@group_view()
def payout(group_id: int, lot_id: int, membership_id: int | None = None):  # type: ignore[no-untyped-def]
    return _payout_page(_lot_or_404(lot_id), _whose(membership_id))


def _payout_page(lot: SaleLot, member: Membership, *, refused: CashPayoutForm | None = None,
                 status: int = 200):  # type: ignore[no-untyped-def]
    """Her payout; `refused`: the cash form sent and refused, shown again as
    typed with its messages next to it (nothing was recorded)."""
    view = services.compute_split(db.session, lot)
    statement = explain.member_statement(view, member)
    balance = ledger.member_balance(db.session, member)
    sheet = services.payout_sheet(db.session, lot, view)
    cash = sheet.line(member.id)
    with force_locale(member.user.locale or g.group.language):
        text = explain.statement_text(statement, g.group, balance, cash)
    cash_form = refused
    if refused is not None:
        fresh_start(refused)
    if g.is_treasurer and cash_form is None:
        cash_form = CashPayoutForm(formdata=None, currency=g.group.currency)
        cash_form.new_key()
        if cash is not None and view.closed and 0 < cash.still_to_hand <= balance:
            cash_form.amount.set_minor(cash.still_to_hand)
    return render_template("sales/payout.html", group=g.group, lot=lot, member=member,
                           view=view, statement=statement, balance=balance, text=text,
                           cash_form=cash_form, refused=refused, explain=explain, cash=cash,
                           state_name=services.lot_state_name(sheet), **NAMES), status


@bp.get("/groups/<int:group_id>/sales/<int:lot_id>/payout/<int:membership_id>/statement.pdf")
@group_view()
def payout_pdf(group_id: int, lot_id: int, membership_id: int):  # type: ignore[no-untyped-def]
    lot = _lot_or_404(lot_id)
    member = _whose(membership_id)
    content = documents.payout_statement_pdf(db.session, lot, member)
    db.session.commit()  # her account, made on first use
    return pdf_response(content, f"payout-{lot.id}-{member.id}.pdf")


@bp.post("/groups/<int:group_id>/sales/<int:lot_id>/payout/<int:membership_id>/cash")
@group_view(treasurer=True)
def pay_cash(group_id: int, lot_id: int, membership_id: int):  # type: ignore[no-untyped-def]
    lot = _lot_or_404(lot_id)
    member = member_in_group(g.group, membership_id)
    form = CashPayoutForm(currency=g.group.currency)
    back = url_for("sales.payout", group_id=group_id, lot_id=lot_id, membership_id=member.id)
    if not form.validate_on_submit():
        return _payout_page(lot, member, refused=form, status=422)
    amount = form.amount.minor or 0
    # nothing is asked of more than her account holds or the lot still owes her,
    # which is refused (found on the walks: 1 000 000 asked about the cash first,
    # and the same hand-out again asked "record another?", then each was refused)
    within = amount <= min(ledger.member_balance(db.session, member),
                           services.lot_cash_still_to_hand(db.session, lot, member))
    if within and not form.confirmed and not services.payout_by_key(
            db.session, g.group.id, form.idempotency_key.data or ""):
        # Handed out again, like one recorded in the last 24 h (Back, or typed twice)?
        question = same_entry(ledger.recent_posting(
            db.session, g.group, kind="payout_cash", amount=amount,
            memo=services.payout_memo(lot, form.note.data or ""), membership_id=member.id),
            g.group.currency)
        # more than the cash box holds: asked with it, so that one "yes" answers both
        unusual = ledger.overdraw_question(db.session, g.group, "cash", amount, cash_only=True)
        if question or unusual:
            return ask_again(form, " ".join(q for q in (question, unusual) if q), back,
                             anyway=not question, place="hand-out",
                             hint=move_money_hint(g.group) if unusual else None)
    try:
        _payout, new = services.pay_member(
            db.session, member, amount=form.amount.minor or 0, note=form.note.data or "",
            idempotency_key=form.idempotency_key.data or "", lot_id=lot.id, actor=current_user,
            overdraw=form.confirmed)
        db.session.commit()
    except AskFirst as exc:  # more than the cash box holds: recorded once confirmed
        db.session.rollback()
        return ask_again(form, str(exc), back, anyway=True, place="hand-out",
                         hint=move_money_hint(g.group))
    except DomainError as exc:
        db.session.rollback()
        apply_domain_error(form, exc)
        return _payout_page(lot, member, refused=form, status=422)
    except IntegrityError:  # the same form sent twice at the same moment
        db.session.rollback()
        new = False
    if new:
        flash(_("The cash handed to %(name)s is recorded.", name=member.user.name), "success")
    else:
        flash(_("This was recorded already."), "info")
    return redirect(back)


