from __future__ import annotations

from flask import Blueprint, abort, g, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy import select

from coop.errors import DomainError
from coop.extensions import db
from coop.forms import choices
from coop.groups.access import group_view
from coop.i18n import fmt_money
from coop.ledger import services as ledger
from coop.ledger.views import once, when
from coop.orders.models import Round
from coop.orders.services import STATE_NAMES
from coop.payables import domain, services
from coop.payables.forms import SupplierPaymentForm
from coop.suppliers.access import supplier_in_group
from coop.suppliers.models import Supplier
from coop.views import render_then_commit

bp = Blueprint("payables", __name__, template_folder="templates")


def _fill_choices(form: SupplierPaymentForm) -> None:
    suppliers = db.session.execute(select(Supplier.id, Supplier.name).where(
        Supplier.group_id == g.group.id).order_by(Supplier.name)).all()
    form.supplier.choices = choices([("", "—"), *[(str(i), n) for i, n in suppliers]])
    rounds = db.session.execute(select(Round.id, Round.title).where(
        Round.group_id == g.group.id, Round.state.in_(services.BILLED_STATES))
        .order_by(Round.id.desc())).all()
    form.round.choices = choices([("", _("none: on account")),
                                  *[(str(i), t) for i, t in rounds]])


def _form_page(form: SupplierPaymentForm, status: int = 200, confirm: bool = False):  # type: ignore[no-untyped-def]
    owed = services.positions(db.session, g.group)
    return render_then_commit("payables/pay.html", group=g.group, form=form, owed=owed,
                              confirm=confirm), status


@bp.get("/groups/<int:group_id>/payables/pay")
@group_view(treasurer=True)
def pay_form(group_id: int):  # type: ignore[no-untyped-def]
    form = SupplierPaymentForm(formdata=None, currency=g.group.currency)
    _fill_choices(form)
    form.supplier.data = request.args.get("supplier", type=int)
    form.round.data = request.args.get("round", type=int)
    form.new_key()
    return _form_page(form)


@bp.post("/groups/<int:group_id>/payables/pay")
@group_view(treasurer=True)
def pay(group_id: int):  # type: ignore[no-untyped-def]
    """As every money form (coop.ledger.views.once): the same form sent twice
    records once; a payment like one of the last 24 h asks first."""
    form = SupplierPaymentForm(currency=g.group.currency)
    _fill_choices(form)
    currency = g.group.currency

    def supplier() -> Supplier:
        found = db.session.get(Supplier, form.supplier.data or 0)
        if found is None or found.group_id != g.group.id:
            raise DomainError(_l("Unknown supplier."), field="supplier")
        return found

    def unusual() -> str | None:
        """More than the money account holds, asked; not before a payment
        beyond what is owed is refused (that is said first, by the service)."""
        amount = form.amount.minor or 0
        if not form.beyond_owed.data and domain.beyond_owed(
                amount, services.still_owed(db.session, supplier(), form.round.data)):
            return None
        return ledger.overdraw_question(db.session, g.group, form.method.data or "", amount)

    def recent() -> str | None:
        payment = services.recent_payment(db.session, supplier(),
                                          amount=form.amount.minor or 0,
                                          method=form.method.data or "",
                                          reference=form.reference.data or "")
        if payment is None:
            return None
        return _("A payment of %(amount)s to %(name)s was recorded at %(time)s. Record "
                 "another?", amount=fmt_money(payment.amount, currency),
                 name=supplier().name, time=when(payment.created_at))

    def record(key: str) -> None:
        services.pay_supplier(
            db.session, supplier(), amount=form.amount.minor or 0, method=form.method.data,
            reference=form.reference.data or "", idempotency_key=key, actor=current_user,
            round_id=form.round.data, beyond_owed=form.beyond_owed.data,
            overdraw=form.confirmed)

    def failed(form: SupplierPaymentForm, status: int):  # type: ignore[no-untyped-def]
        return _form_page(form, status, confirm=bool(form.amount.errors))

    back = url_for("payables.account", group_id=group_id,
                   supplier_id=form.supplier.data if (form.supplier.data or 0) > 0 else 0)
    if not (form.supplier.data or 0) > 0:
        back = url_for("payables.pay_form", group_id=group_id)
    return once(form, earlier=lambda key: services.payment_by_key(db.session, g.group.id, key),
                recent=recent, record=record, back=back, member=None, failed=failed,
                asks=unusual,
                done=lambda: _("%(amount)s paid to %(name)s is recorded.",
                               amount=fmt_money(form.amount.minor, currency),
                               name=supplier().name))


@bp.get("/groups/<int:group_id>/suppliers/<int:supplier_id>/account")
@group_view(treasurer=True)
def account(group_id: int, supplier_id: int):  # type: ignore[no-untyped-def]
    supplier = supplier_in_group(g.group, supplier_id)
    [position] = services.positions(db.session, g.group, supplier) or [None]
    if position is None:
        abort(404)
    _opening, lines = services.supplier_statement(db.session, supplier)
    return render_then_commit("payables/account.html", group=g.group, supplier=supplier,
                              position=position, lines=lines, kinds=ledger.KIND_NAMES,
                              states=STATE_NAMES)
