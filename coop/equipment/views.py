"""Pages of jointly owned equipment. Thin: check the form, call a service,
commit once, redirect. Booking, the return (its fee) and repairs are safe
against a double submit and Back (their keys, conditional moves)."""

from __future__ import annotations

from datetime import timedelta
from decimal import ROUND_HALF_UP, Decimal

from flask import Blueprint, abort, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from coop.csv_export import csv_amount, csv_bytes, csv_number, csv_response
from coop.equipment import domain, services
from coop.equipment.forms import (
    AssetForm,
    BookingForm,
    ConditionForm,
    RepairForm,
    StateForm,
    owner_shares,
)
from coop.equipment.models import Asset, Booking, Wait
from coop.errors import DomainError
from coop.extensions import db
from coop.forms import ActionForm, apply_domain_error, choices, error_messages
from coop.groups.access import group_view
from coop.groups.models import Membership
from coop.groups.services import list_members
from coop.i18n import fmt_money, local_today
from coop.ledger import services as ledger
from coop.ledger.views import once
from coop.orders.models import Round, RoundItem
from coop.quantities import qty_str
from coop.suppliers.models import Product
from coop.views import pdf_response, render_then_commit

bp = Blueprint("equipment", __name__, template_folder="templates")


@bp.app_template_filter("slot_date")
def slot_date(slot: int) -> str:
    """The day a booking's slot falls on, as the reader writes dates."""
    from coop.i18n import fmt_date

    return fmt_date(domain.slot_day(slot))


@bp.app_template_global("booking_span")
def booking_span(booking: Booking | Wait) -> str:
    """When a booking (or a wait) runs, as the refusals and the sheet say it."""
    return services.span_text(booking.slot_from, booking.slot_to)


@bp.app_template_global("booking_span_of")
def booking_span_of(slot_from: int, slot_to: int) -> str:
    """When [slot_from, slot_to) runs (a booking as it was booked)."""
    return services.span_text(slot_from, slot_to)


@bp.app_template_global("due_back")
def due_back(slot_to: int) -> str:
    """When a turn ending at `slot_to` was to come back, as the pages say it."""
    return services.due_text(slot_to)


CALENDAR_DAYS = 21
PAST_TURNS = 20  # the asset page's history; the usage report counts them all
NAMES = {"state_names": services.STATE_NAMES,
         "booking_state_names": services.BOOKING_STATE_NAMES,
         "fee_unit_names": services.FEE_UNIT_NAMES}


def _asset_or_404(asset_id: int) -> Asset:
    asset = services.asset_in_group(db.session, g.group, asset_id)
    if asset is None:
        abort(404)
    return asset


def _booking_or_404(asset: Asset, booking_id: int) -> Booking:
    booking = services.booking_in_group(db.session, g.group, booking_id)
    if booking is None or booking.asset_id != asset.id:
        abort(404)
    return booking


def _may_hand_over(asset: Asset) -> bool:
    """The treasurer, or the member who keeps the asset."""
    return g.is_treasurer or (g.membership is not None and asset.keeper_id == g.membership.id)


def _members() -> list[Membership]:
    return list_members(db.session, g.group, include_inactive=False)


def _phones(turns: list[Booking]) -> dict[int, str]:
    """The phone numbers of the members with these turns that the reader may
    see (the treasurer all of them), to call about an overdue turn."""
    from coop.groups.services import phone_visible

    return {b.membership_id: b.membership.user.phone for b in turns
            if b.membership.user.phone
            and phone_visible(b.membership, g.membership, is_treasurer=g.is_treasurer)}


@bp.get("/groups/<int:group_id>/equipment")
@group_view()
def list_assets(group_id: int):  # type: ignore[no-untyped-def]
    today = local_today()
    now_slot = services.local_slot()
    assets = services.list_assets(db.session, g.group)
    funds = {a.id: services.fund_balance(db.session, a) for a in assets}
    mine = (services.upcoming(db.session, g.group, today, g.membership, out_too=True)
            if g.membership is not None else [])
    out_overdue = services.overdue_turns(db.session, g.group, now_slot)
    overdue: dict[int, list[Booking]] = {}
    for turn in out_overdue:
        overdue.setdefault(turn.asset_id, []).append(turn)
    return render_then_commit("equipment/list.html", group=g.group, assets=assets,
                              funds=funds, mine=mine, domain=domain, now_slot=now_slot,
                              overdue=overdue, phones=_phones(out_overdue),
                              out=services.out_turns(db.session, g.group),
                              held_up=services.held_up(db.session, out_overdue, now_slot),
                              **NAMES)


# --------------------------------------------------------------------------
# The asset: new, edit, state
# --------------------------------------------------------------------------


def _fill_asset_choices(form: AssetForm, members: list[Membership]) -> None:
    form.keeper.choices = choices([("", "—"), *[(str(m.id), m.user.name) for m in members]])
    rounds = db.session.execute(select(Round.id, Round.title).where(
        Round.group_id == g.group.id, Round.state.in_(("awarded", "received", "settled")))
        .order_by(Round.id.desc())).all()
    form.round.choices = choices([("", _("none: bought by hand")),
                                  *[(str(i), t) for i, t in rounds]])
    products = db.session.execute(select(Product.id, Product.name).join(
        RoundItem, RoundItem.product_id == Product.id).join(Round, Round.id == RoundItem.round_id)
        .where(Round.group_id == g.group.id).distinct().order_by(Product.name)).all()
    form.product.choices = choices([("", "—"), *[(str(i), n) for i, n in products]])


def _asset_input(form: AssetForm, owners: dict[int, int] | None) -> services.AssetInput:
    return services.AssetInput(
        name=form.name.data or "", purchase_value=form.purchase_value.minor or 0,
        bought_on=form.bought_on.data, kept_at=form.kept_at.data or "",
        keeper_id=form.keeper.data, fee=form.fee.minor or 0, fee_unit=form.fee_unit.data,
        owners_pay_fee=bool(form.owners_pay_fee.data), round_id=form.round.data,
        product_id=form.product.data, owners=owners)


def _asset_form_page(form: AssetForm, members: list[Membership], asset: Asset | None,
                     shares: dict[int, int], errors: list[str], status: int = 200):  # type: ignore[no-untyped-def]
    from coop.i18n import current_locale
    from coop.money import format_input

    shares_text = {m: format_input(v, g.group.currency, current_locale())
                   for m, v in shares.items()}
    return render_template("equipment/asset_form.html", group=g.group, form=form,
                           members=members, asset=asset, shares_text=shares_text,
                           share_errors=errors), status


@bp.route("/groups/<int:group_id>/equipment/new", methods=["GET", "POST"])
@group_view(treasurer=True)
def new_asset(group_id: int):  # type: ignore[no-untyped-def]
    members = _members()
    form = AssetForm(currency=g.group.currency)
    _fill_asset_choices(form, members)
    if request.method == "GET":
        return _asset_form_page(form, members, None, {}, [])
    shares, errors = owner_shares(request.form, [m.id for m in members], g.group.currency)
    if not form.validate() or errors:
        return _asset_form_page(form, members, None, shares, errors, 422)
    try:
        asset = services.create_asset(db.session, g.group, _asset_input(form, shares),
                                      current_user)
        db.session.commit()
    except DomainError as exc:
        db.session.rollback()
        apply_domain_error(form, exc)
        return _asset_form_page(form, members, None, shares, errors, 422)
    flash(_("%(name)s is added.", name=asset.name), "success")
    return redirect(url_for("equipment.asset_page", group_id=group_id, asset_id=asset.id))


@bp.route("/groups/<int:group_id>/equipment/<int:asset_id>/edit", methods=["GET", "POST"])
@group_view(treasurer=True)
def edit_asset(group_id: int, asset_id: int):  # type: ignore[no-untyped-def]
    asset = _asset_or_404(asset_id)
    members = _members()
    form = AssetForm(currency=g.group.currency, obj=None if request.method == "POST" else asset)
    _fill_asset_choices(form, members)
    shares = {o.membership_id: o.share for o in asset.owners}
    if request.method == "GET":
        form.keeper.data = asset.keeper_id
        form.purchase_value.set_minor(asset.purchase_value)
        form.fee.set_minor(asset.fee)
        form.round.data, form.product.data = asset.round_id, asset.product_id
        return _asset_form_page(form, members, asset, shares, [])
    errors: list[str] = []
    if asset.round_id is None:
        shares, errors = owner_shares(request.form, [m.id for m in members], g.group.currency)
    if not form.validate() or errors:
        return _asset_form_page(form, members, asset, shares, errors, 422)
    try:
        services.update_asset(db.session, asset, _asset_input(
            form, shares if asset.round_id is None else None))
        db.session.commit()
    except DomainError as exc:
        db.session.rollback()
        apply_domain_error(form, exc)
        return _asset_form_page(form, members, asset, shares, errors, 422)
    flash(_("Saved."), "success")
    return redirect(url_for("equipment.asset_page", group_id=group_id, asset_id=asset.id))


@bp.post("/groups/<int:group_id>/equipment/<int:asset_id>/state")
@group_view(treasurer=True)
def set_state(group_id: int, asset_id: int):  # type: ignore[no-untyped-def]
    asset = _asset_or_404(asset_id)
    form = StateForm()
    back = url_for("equipment.asset_page", group_id=group_id, asset_id=asset.id)
    if not form.validate():
        return _refused(asset, error_messages(form))
    try:
        services.set_state(db.session, asset, form.state.data, today=local_today())
        db.session.commit()
    except DomainError as exc:
        db.session.rollback()
        return _refused(asset, [str(exc)])
    flash(_("Saved."), "success")
    return redirect(back)


def _refused(asset: Asset, errors: list[str], status: int = 422):  # type: ignore[no-untyped-def]
    return render_template("equipment/refused.html", group=g.group, asset=asset,
                           errors=errors), status


# --------------------------------------------------------------------------
# The asset's page: calendar, bookings, waiting list, repairs
# --------------------------------------------------------------------------


def _booking_form(members: list[Membership]) -> BookingForm:
    form = BookingForm(formdata=None)
    _fill_booking_choices(form, members)
    today = local_today()
    form.day_from.data = form.day_to.data = today + timedelta(days=1)
    if g.membership is not None:
        form.member.data = g.membership.id
    form.new_key()
    return form


def _fill_booking_choices(form: BookingForm, members: list[Membership]) -> None:
    if g.is_treasurer:
        form.member.choices = choices([(str(m.id), m.user.name) for m in members])
    elif g.membership is not None:
        form.member.choices = choices([(str(g.membership.id), g.membership.user.name)])


def _days(asset: Asset, first, bookings: list[Booking],  # type: ignore[no-untyped-def]
          overdue: list[Booking] | None = None, now_slot: int | None = None
          ) -> list[dict]:  # type: ignore[type-arg]
    """The calendar: each day with who holds its morning and its afternoon.
    While a turn is out past its end (`overdue`, the longest overdue first),
    a half-day nobody booked is not free: the asset is still out, until it
    comes back (nobody knows when): it shows the overdue turn; and a half-day
    another member booked is not hers to have: she waits for it
    (domain.waits_for_return). A turn handed over before its booking began
    holds the half-days from then on (domain.held_span, as a booking over
    them is refused): hers, marked out, not free."""
    now_slot = services.local_slot() if now_slot is None else now_slot
    days = []
    still_out = overdue[0] if overdue else None
    out = [(b, services.held_span(b, now_slot)) for b in bookings if b.state == "handed_over"]
    for offset in range(CALENDAR_DAYS):
        day = first + timedelta(days=offset)
        halves = []
        for slot in (domain.slot_of(day), domain.slot_of(day, True)):
            holder = next((b for b in bookings if b.slot_from <= slot < b.slot_to), None)
            if holder is None and still_out is not None and slot >= still_out.slot_to:
                halves.append({"holder": still_out, "still_out": True, "waits": False,
                               "out": False})
            elif holder is None:
                holder = next((b for b, (start, end) in out if start <= slot < end), None)
                halves.append({"holder": holder, "still_out": False, "waits": False,
                               "out": holder is not None})
            else:
                waits = holder is not None and still_out is not None and domain.waits_for_return(
                    holder.state, holder.membership_id == still_out.membership_id, True)
                halves.append({"holder": holder, "still_out": False, "waits": waits,
                               "out": False})
        days.append({"day": day, "halves": halves})
    return days


def _asset_page(asset: Asset, *, booking_form: BookingForm | None = None,
                repair_form: RepairForm | None = None, errors: list[str] | None = None,
                sent: tuple[int, ConditionForm] | None = None, status: int = 200):  # type: ignore[no-untyped-def]
    """The asset's page; shown again with `errors` (and the condition form
    `sent` for a turn, as it was filled) when a hand-over or return is refused."""
    today = local_today()
    now_slot = services.local_slot()
    members = _members()
    bookings = services.bookings_ahead(db.session, asset, today)
    overdue = [b for b in bookings if domain.is_overdue(b.state, b.slot_to, now_slot)]
    out = next((b for b in bookings if b.state == "handed_over"), None)
    calendar_end = today + timedelta(days=CALENDAR_DAYS - 1)
    if booking_form is None:
        booking_form = _booking_form(members)
    if repair_form is None:
        repair_form = RepairForm(formdata=None, currency=g.group.currency)
        repair_form.repaired_on.data = today
        repair_form.new_key()
    past, earlier = services.past_turns(db.session, asset, today, PAST_TURNS)
    condition_forms = {}
    # (a missed turn's hand-over, made on paper, may still be entered)
    for booking in [*bookings, *(b for b in past if b.state == "booked")]:
        condition = ConditionForm(formdata=None, prefix=f"b{booking.id}")
        condition.new_key()
        condition_forms[booking.id] = condition
    if sent is not None and sent[0] in condition_forms:
        condition_forms[sent[0]] = sent[1]
    repairs = services.repairs(db.session, asset)
    context = {
        "group": g.group, "asset": asset, "bookings": bookings, "today": today,
        "past": past, "earlier": earlier,
        "days": _days(asset, today, bookings, overdue, now_slot), "booking_form": booking_form,
        "errors": errors or [],
        "repair_form": repair_form, "condition_forms": condition_forms,
        "state_form": StateForm(formdata=None, state=asset.state),
        "action_form": ActionForm(), "waiting": services.waiting(db.session, asset),
        "fund": services.fund_balance(db.session, asset), "repairs": repairs,
        "repair_shares": services.repair_shares(db.session, [r.id for r in repairs]),
        "may_hand_over": _may_hand_over(asset), "domain": domain, "now_slot": now_slot,
        "overdue": overdue, "phones": _phones(overdue), "out": out,
        "held_up": services.held_up(db.session, overdue, now_slot),
        "calendar_end": calendar_end,
        "beyond_calendar": any(domain.end_day(b.slot_to) > calendar_end for b in bookings),
        "share_bp": dict(zip([o.id for o in asset.owners], domain.share_basis_points(
            [o.share for o in asset.owners]), strict=True)), **NAMES}
    html = render_template("equipment/asset.html", **context)
    db.session.commit()
    return html, status


@bp.get("/groups/<int:group_id>/equipment/<int:asset_id>")
@group_view()
def asset_page(group_id: int, asset_id: int):  # type: ignore[no-untyped-def]
    return _asset_page(_asset_or_404(asset_id))


def _slots(form: BookingForm) -> tuple[int, int]:
    return domain.slots(form.day_from.data, form.part_from.data == "afternoon",
                        form.day_to.data, form.part_to.data == "midday")


def _for_whom(form: BookingForm) -> Membership:
    """Herself; the treasurer books for any member."""
    if not g.is_treasurer:
        if g.membership is None:
            abort(403)
        return g.membership
    member = db.session.get(Membership, form.member.data or 0)
    if member is None or member.group_id != g.group.id:
        raise DomainError(_("Unknown member."), field="member")
    return member


@bp.post("/groups/<int:group_id>/equipment/<int:asset_id>/book")
@group_view()
def book(group_id: int, asset_id: int):  # type: ignore[no-untyped-def]
    asset = _asset_or_404(asset_id)
    form = BookingForm()
    _fill_booking_choices(form, _members())
    back = url_for("equipment.asset_page", group_id=group_id, asset_id=asset.id)

    made: list[Booking] = []

    def record(key: str) -> None:
        made.append(services.book(db.session, asset, _for_whom(form), _slots(form),
                                  actor=current_user, today=local_today(),
                                  note=form.note.data or "", idempotency_key=key))

    def done() -> str:
        # not "%(name)s is booked": Russian needs the asset's gender for that
        booking = made[0]
        return _("Booking recorded: %(asset)s, %(member)s, %(when)s.", asset=asset.name,
                 member=booking.membership.user.name, when=booking_span(booking))

    def failed(form: BookingForm, status: int):  # type: ignore[no-untyped-def]
        if not form.idempotency_key.data:  # a stale form: the next try gets a key
            form.new_key()
        return _asset_page(asset, booking_form=form, status=status)

    return once(form, earlier=lambda key: services.booking_by_key(db.session, g.group.id, key),
                recent=lambda: None, record=record, back=back, member=None, failed=failed,
                done=done)


@bp.post("/groups/<int:group_id>/equipment/<int:asset_id>/wait")
@group_view()
def join_wait(group_id: int, asset_id: int):  # type: ignore[no-untyped-def]
    asset = _asset_or_404(asset_id)
    form = BookingForm()
    _fill_booking_choices(form, _members())
    if not form.validate():
        return _asset_page(asset, booking_form=form, status=422)
    try:
        services.join_waiting_list(db.session, asset, _for_whom(form), _slots(form),
                                   today=local_today())
        db.session.commit()
    except DomainError as exc:
        db.session.rollback()
        apply_domain_error(form, exc)
        return _asset_page(asset, booking_form=form, status=422)
    flash(_("You are on the waiting list: the time is booked for you as soon as it is free."),
          "success")
    return redirect(url_for("equipment.asset_page", group_id=group_id, asset_id=asset.id))


@bp.post("/groups/<int:group_id>/equipment/<int:asset_id>/waits/<int:wait_id>/cancel")
@group_view()
def cancel_wait(group_id: int, asset_id: int, wait_id: int):  # type: ignore[no-untyped-def]
    asset = _asset_or_404(asset_id)
    wait = db.session.get(Wait, wait_id)
    if wait is None or wait.asset_id != asset.id:
        abort(404)
    if not g.is_treasurer and (g.membership is None or wait.membership_id != g.membership.id):
        abort(403)
    if not ActionForm().validate():
        abort(400)
    services.cancel_wait(db.session, wait)
    db.session.commit()
    flash(_("Taken off the waiting list."), "success")
    return redirect(url_for("equipment.asset_page", group_id=group_id, asset_id=asset.id))


@bp.post("/groups/<int:group_id>/equipment/<int:asset_id>/bookings/<int:booking_id>/cancel")
@group_view()
def cancel_booking(group_id: int, asset_id: int, booking_id: int):  # type: ignore[no-untyped-def]
    asset = _asset_or_404(asset_id)
    booking = _booking_or_404(asset, booking_id)
    if not g.is_treasurer and (g.membership is None
                               or booking.membership_id != g.membership.id):
        abort(403)
    if not ActionForm().validate():
        abort(400)
    back = url_for("equipment.asset_page", group_id=group_id, asset_id=asset.id)
    if booking.state == "cancelled":
        flash(_("This was already recorded (the form was sent twice). Nothing more was "
                "recorded."), "info")
        return redirect(back)
    try:
        made = services.cancel_booking(db.session, booking, actor=current_user,
                                       today=local_today())
        db.session.commit()
    except DomainError as exc:
        db.session.rollback()
        return _refused(asset, [str(exc)])
    flash(_("The booking is cancelled."), "success")
    for new in made:
        flash(_("Booked from the waiting list for %(name)s.", name=new.membership.user.name),
              "info")
    return redirect(back)


def _minutes(form: ConditionForm) -> int | None:
    if form.hours.value is None:
        return None
    return int((form.hours.value * 60).quantize(Decimal(1), rounding=ROUND_HALF_UP))


def _move(asset: Asset, booking: Booking, action: str):  # type: ignore[no-untyped-def]
    if not _may_hand_over(asset):
        abort(403)
    form = ConditionForm(prefix=f"b{booking.id}")
    back = url_for("equipment.asset_page", group_id=g.group.id, asset_id=asset.id)
    if not form.validate():
        return _refused(asset, error_messages(form))
    made: list[Booking] = []
    try:
        if action == "hand_over":
            done = services.hand_over(db.session, booking, condition=form.condition.data)
        else:
            done, made = services.take_back_once(db.session, booking,
                                                 condition=form.condition.data,
                                                 minutes=_minutes(form), actor=current_user)
        db.session.commit()
    except DomainError as exc:
        db.session.rollback()
        # the page again, saying why (another turn still out…), nothing written
        return _asset_page(asset, errors=[str(exc)], sent=(booking.id, form), status=exc.status)
    if not done:
        flash(_("This was already recorded (the form was sent twice). Nothing more was "
                "recorded."), "info")
    elif action == "hand_over":
        flash(_("Handed over to %(name)s.", name=booking.membership.user.name), "success")
    else:
        flash(_("Taken back from %(name)s; usage fee %(fee)s.",
                name=booking.membership.user.name,
                fee=fmt_money(booking.fee or 0, g.group.currency)), "success")
        if booking.booked_from is not None and booking.booked_to is not None:
            flash(_("Back before the booking began: its time, %(when)s, is free for others "
                    "to book.", when=services.span_text(booking.booked_from, booking.booked_to)),
                  "info")
        elif booking.booked_to is not None:
            flash(_("Back before the end of the booking: from %(when)s it is free for others "
                    "to book.", when=services.free_from_text(booking.slot_to)), "info")
        for new in made:
            flash(_("Booked from the waiting list for %(name)s.",
                    name=new.membership.user.name), "info")
    return redirect(back)


@bp.post("/groups/<int:group_id>/equipment/<int:asset_id>/bookings/<int:booking_id>/hand-over")
@group_view()
def hand_over(group_id: int, asset_id: int, booking_id: int):  # type: ignore[no-untyped-def]
    asset = _asset_or_404(asset_id)
    return _move(asset, _booking_or_404(asset, booking_id), "hand_over")


@bp.post("/groups/<int:group_id>/equipment/<int:asset_id>/bookings/<int:booking_id>/return")
@group_view()
def take_back(group_id: int, asset_id: int, booking_id: int):  # type: ignore[no-untyped-def]
    asset = _asset_or_404(asset_id)
    return _move(asset, _booking_or_404(asset, booking_id), "take_back")


@bp.post("/groups/<int:group_id>/equipment/<int:asset_id>/repairs")
@group_view(treasurer=True)
def record_repair(group_id: int, asset_id: int):  # type: ignore[no-untyped-def]
    asset = _asset_or_404(asset_id)
    form = RepairForm(currency=g.group.currency)
    back = url_for("equipment.asset_page", group_id=group_id, asset_id=asset.id)

    def record(key: str) -> None:
        services.record_repair(db.session, asset, cost=form.cost.minor or 0,
                               description=form.description.data or "", mode=form.mode.data,
                               method=form.method.data, repaired_on=form.repaired_on.data,
                               actor=current_user, idempotency_key=key,
                               overdraw=form.confirmed)

    def failed(form: RepairForm, status: int):  # type: ignore[no-untyped-def]
        return _asset_page(asset, repair_form=form, status=status)

    return once(form, earlier=lambda key: services.repair_by_key(db.session, g.group.id, key),
                recent=lambda: None, record=record, back=back, member=None, failed=failed,
                asks=lambda: ledger.overdraw_question(db.session, g.group, form.method.data or "",
                                                      form.cost.minor or 0),
                done=lambda: _("The repair of %(amount)s is recorded.",
                               amount=fmt_money(form.cost.minor or 0, g.group.currency)))


# --------------------------------------------------------------------------
# Usage report and the booking sheet
# --------------------------------------------------------------------------


@bp.get("/groups/<int:group_id>/equipment/<int:asset_id>/report")
@group_view()
def report(group_id: int, asset_id: int):  # type: ignore[no-untyped-def]
    asset = _asset_or_404(asset_id)
    usage = services.usage_report(db.session, asset)
    names = {m.id: m.user.name for m in list_members(db.session, g.group)}
    return render_then_commit("equipment/report.html", group=g.group, asset=asset,
                              usage=usage, names=names, **NAMES)


@bp.get("/groups/<int:group_id>/equipment/<int:asset_id>/report.csv")
@group_view()
def report_csv(group_id: int, asset_id: int):  # type: ignore[no-untyped-def]
    """The usage report's figures as the page shows them, for the group's
    spreadsheet: a line per member, the totals, then what the asset earned
    and cost and what its maintenance fund holds."""
    asset = _asset_or_404(asset_id)
    usage = services.usage_report(db.session, asset)
    names = {m.id: m.user.name for m in list_members(db.session, g.group)}
    currency, language = g.group.currency, g.group.language
    hourly = asset.fee_unit == "hour"

    def amount(minor: int) -> str:
        return csv_amount(minor, currency, language)

    def quantity(milli: int) -> str:
        return csv_number(qty_str(milli), language)

    def row(name: str, turns: int, half_days: int, minutes: int, fees: int,
            repairs: int) -> list[str]:
        hours = [quantity(minutes * 1000 // 60)] if hourly else []
        return [name, str(turns), quantity(half_days * 500), *hours, amount(fees),
                amount(repairs)]

    header = [_("Member"), _("Turns"), _("Days used"), *([_("Hours used")] if hourly else []),
              _("Usage fees"), _("Repairs paid")]
    lines = usage.lines
    rows = [row(names.get(line.membership_id, "—"), line.turns, line.half_days, line.minutes,
                line.fees, line.repairs) for line in lines]
    rows.append(row(_("Total"), sum(line.turns for line in lines),
                    sum(line.half_days for line in lines), sum(line.minutes for line in lines),
                    usage.fees, usage.repairs - usage.repairs_from_fund))
    rows += [[], [_("Earned in usage fees"), amount(usage.fees)],
             [_("Spent on repairs"), amount(usage.repairs)],
             [_("Repairs paid from the maintenance fund"), amount(usage.repairs_from_fund)],
             [_("Repairs paid by the owners"), amount(usage.repairs - usage.repairs_from_fund)],
             [_("Maintenance fund"), amount(usage.fund_balance)]]
    data = csv_bytes(header, rows)
    db.session.commit()
    return csv_response(data, f"usage-{asset.id}.csv")


@bp.get("/groups/<int:group_id>/equipment/<int:asset_id>/sheet.pdf")
@group_view()
def booking_sheet(group_id: int, asset_id: int):  # type: ignore[no-untyped-def]
    from coop.equipment.pdf import booking_sheet_pdf

    asset = _asset_or_404(asset_id)
    today = local_today()
    bookings = services.bookings_ahead(db.session, asset, today)
    content = booking_sheet_pdf(g.group, asset, bookings, today, services.local_slot())
    db.session.commit()
    return pdf_response(content, f"booking-sheet-{asset.id}.pdf")
