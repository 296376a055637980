"""The JSON API of equipment and certificates (/api/v1), on the API blueprint:
the same services and access checks as the pages. Imported by create_app
before the API blueprint is registered."""

from __future__ import annotations

from typing import Any

from flask import abort, g, jsonify, url_for
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy.exc import IntegrityError

from coop.api import inputs, openapi
from coop.api.inputs import json_body, paginate
from coop.api.openapi import DAY, FLAG, ID, MONEY, TEXT, array, nullable, obj
from coop.api.represent import amount
from coop.api.views import api_route, created
from coop.certificates import services as certificates
from coop.equipment import domain
from coop.equipment import services as equipment
from coop.equipment.models import Asset, Booking
from coop.errors import DomainError
from coop.extensions import db
from coop.groups.access import group_view
from coop.groups.models import Membership
from coop.i18n import local_today
from coop.sales import services as sales
from coop.security import MAX_ID

BOOKING = obj({"id": ID, "membership_id": ID, "name": TEXT, "from": DAY, "from_afternoon": FLAG,
               "to": DAY, "to_midday": FLAG, "state": {"enum": ["booked", "handed_over",
                                                                "returned", "cancelled"]},
               "fee": nullable(MONEY),
               "overdue": {**FLAG, "description": "Handed over and not taken back, though "
                           "her booked time is over (`due_back` says when it was due)"},
               "due_back": {**nullable(DAY), "description": "The day a turn handed over and "
                            "not yet taken back is due back (its last day, until midday when "
                            "`to_midday`), overdue or not; null for a turn not out"}})
ASSET = {"id": ID, "name": TEXT,
         "state": {"enum": ["available", "out", "overdue", "in_repair", "retired"],
                   "description": "As the pages show it: `out` while a turn is handed over "
                   "and not yet taken back, `overdue` when that turn's time is over; "
                   "`available` only when nobody has it (`out_turn` says who has it, also "
                   "while it is `in_repair`)"},
         "out_turn": {**nullable(obj({"booking_id": ID, "membership_id": ID, "name": TEXT,
                                      "due_back": DAY, "overdue": FLAG})),
                      "description": "The turn handed over and not yet taken back, or null"},
         "kept_at": TEXT, "fee": MONEY, "fee_unit": {"enum": ["day", "hour"]},
         "owners_pay_fee": FLAG, "maintenance_fund": MONEY}
openapi.SCHEMAS.update({
    "Asset": obj(ASSET),
    "AssetDetail": obj({**ASSET, "purchase_value": MONEY,
                        "owners": array(obj({"membership_id": ID, "name": TEXT,
                                             "share": MONEY})),
                        "bookings": array(BOOKING)}),
    "Booking": BOOKING,
    "NewBooking": obj({"membership_id": ID, "from": DAY, "from_afternoon": FLAG, "to": DAY,
                       "to_midday": FLAG, "note": {"type": "string", "maxLength": 300}},
                      optional=("membership_id", "from_afternoon", "to_midday", "note"),
                      closed=True),
    "Certificate": obj({"id": ID, "kind": {"enum": ["declaration", "certificate", "organic",
                                                    "own_standard"]},
                        "number": TEXT, "issuer": TEXT, "valid_from": DAY, "valid_to": DAY,
                        "products": array(TEXT), "member_ids": array(ID), "has_scan": FLAG}),
    "LotLabels": obj({"lot_id": ID, "certificate_number": nullable(TEXT), "carries": FLAG,
                      "reasons": array(TEXT), "trace_url": TEXT}),
})
openapi.EXAMPLES["NewBooking"] = {"from": "2026-05-04", "to": "2026-05-05",
                                  "to_midday": True, "note": "вспашка"}


def _booking(booking: Booking, currency: str, now_slot: int | None = None) -> dict[str, Any]:
    now_slot = equipment.local_slot() if now_slot is None else now_slot
    out = booking.state == "handed_over"
    return {"id": booking.id, "membership_id": booking.membership_id,
            "name": booking.membership.user.name,
            "from": domain.slot_day(booking.slot_from).isoformat(),
            "from_afternoon": domain.is_afternoon(booking.slot_from),
            "to": domain.end_day(booking.slot_to).isoformat(),
            "to_midday": domain.ends_midday(booking.slot_to), "state": booking.state,
            "fee": amount(booking.fee, currency),
            "overdue": domain.is_overdue(booking.state, booking.slot_to, now_slot),
            "due_back": domain.end_day(booking.slot_to).isoformat() if out else None}


def _asset(asset: Asset, currency: str, out: Booking | None, now_slot: int) -> dict[str, Any]:
    """`out`: its turn handed over and not yet taken back (one at a time)."""
    overdue = out is not None and domain.is_overdue(out.state, out.slot_to, now_slot)
    return {"id": asset.id, "name": asset.name,
            "state": domain.shown_asset_state(asset.state, out is not None, overdue),
            "out_turn": None if out is None else {
                "booking_id": out.id, "membership_id": out.membership_id,
                "name": out.membership.user.name,
                "due_back": domain.end_day(out.slot_to).isoformat(), "overdue": overdue},
            "kept_at": asset.kept_at,
            "fee": amount(asset.fee, currency), "fee_unit": asset.fee_unit,
            "owners_pay_fee": asset.owners_pay_fee,
            "maintenance_fund": amount(equipment.fund_balance(db.session, asset), currency)}


def _asset_or_404(asset_id: int) -> Asset:
    asset = equipment.asset_in_group(db.session, g.group, asset_id)
    if asset is None:
        abort(404)
    return asset


@api_route("/groups/<int:group_id>/equipment", summary="The group's jointly owned equipment",
           tags=["equipment"], response="Asset", paginated=True, errors=(404,))
@group_view()
def list_equipment(group_id: int):  # type: ignore[no-untyped-def]
    currency = g.group.currency
    now_slot = equipment.local_slot()
    out = equipment.out_turns(db.session, g.group)
    body = paginate(equipment.list_assets(db.session, g.group),
                    lambda a: _asset(a, currency, out.get(a.id), now_slot))
    db.session.commit()  # a maintenance-fund account made on first use
    return jsonify(body)


@api_route("/groups/<int:group_id>/equipment/<int:asset_id>",
           summary="Equipment: its owners and shares, and every booking still ahead (and any "
           "turn handed over and not yet taken back)",
           tags=["equipment"], response="AssetDetail", errors=(404,),
           description="Each booking says whether it is `overdue` (handed over and not taken "
                       "back, though its time is over) and, for a turn out, the day it is "
                       "`due_back`. The equipment's `state` is `out` (or `overdue`) while a "
                       "turn is out, never `available`; `out_turn` names who has it.")
@group_view()
def equipment_detail(group_id: int, asset_id: int):  # type: ignore[no-untyped-def]
    asset = _asset_or_404(asset_id)
    currency = g.group.currency
    now_slot = equipment.local_slot()
    bookings = equipment.bookings_ahead(db.session, asset, local_today())
    out = next((b for b in bookings if b.state == "handed_over"), None)  # as the page finds it
    body = {**_asset(asset, currency, out, now_slot),
            "purchase_value": amount(asset.purchase_value, currency),
            "owners": [{"membership_id": o.membership_id, "name": o.membership.user.name,
                        "share": amount(o.share, currency)} for o in asset.owners],
            "bookings": [_booking(b, currency, now_slot) for b in bookings]}
    db.session.commit()
    return jsonify(body)


@api_route("/groups/<int:group_id>/equipment/<int:asset_id>/bookings", "POST",
           summary="Book equipment for herself (or, the treasurer, for a member)",
           tags=["equipment"], body="NewBooking", response="Booking", status=201,
           idempotent=True, errors=(400, 403, 404, 413, 415, 422),
           description="From the morning (or afternoon, `from_afternoon`) of `from` until the "
                       "evening (or midday, `to_midday`) of `to`. A time already booked, a "
                       "day in the past, more than 60 days, a member no longer active or "
                       "equipment in repair are refused (422). The same Idempotency-Key sent "
                       "again answers the first booking (200).")
@group_view()
def book_equipment(group_id: int, asset_id: int):  # type: ignore[no-untyped-def]
    asset = _asset_or_404(asset_id)
    key = inputs.idempotency_key()
    body = json_body().only("membership_id", "from", "from_afternoon", "to", "to_midday",
                            "note")
    membership_id = body.integer("membership_id", minimum=1, maximum=MAX_ID)
    first, last = body.day("from"), body.day("to")
    if first is None or last is None:
        raise DomainError(_l("Give the first and the last day."),
                          field="from" if first is None else "to")
    if last < first:
        raise DomainError(_l("The end of the booking must be after its start."), field="to")
    slot_range = domain.slots(first, body.flag("from_afternoon", default=False), last,
                              body.flag("to_midday", default=False))
    note = body.text("note", max_length=300)
    if g.is_treasurer and membership_id is not None:
        member = db.session.get(Membership, membership_id)
        if member is None or member.group_id != g.group.id:
            raise DomainError(_l("Unknown member."), field="membership_id")
    elif g.membership is not None and membership_id in (None, g.membership.id):
        member = g.membership
    else:
        abort(403)
    existing = equipment.booking_by_key(db.session, g.group.id, key)
    if existing is None:
        try:
            booking, new = equipment.book_once(db.session, asset, member, slot_range,
                                               actor=current_user, today=local_today(),
                                               note=note, idempotency_key=key)
            db.session.commit()
            if new:  # else the same key was booked while this one waited for the lock
                return created(_booking(booking, g.group.currency))
            existing = booking
        except IntegrityError:
            db.session.rollback()
            existing = equipment.booking_by_key(db.session, g.group.id, key)
            if existing is None:
                raise DomainError(equipment.taken_message(db.session, asset, slot_range),
                                  field="from") from None
    # (what was booked: a turn back early ends where it came back, booked_to keeps it;
    # one back before it began holds the time she had it, booked_from keeps its start)
    booked_to = existing.slot_to if existing.booked_to is None else existing.booked_to
    booked_from = existing.slot_from if existing.booked_from is None else existing.booked_from
    if (existing.asset_id, existing.membership_id, booked_from, booked_to) != (
            asset.id, member.id, *slot_range):
        raise DomainError(_l("This Idempotency-Key was sent with another booking. Send a new "
                             "key for a new booking."), field=inputs.IDEMPOTENCY_KEY)
    response = jsonify(_booking(existing, g.group.currency))
    response.headers["Idempotent-Replayed"] = "true"
    return response


@api_route("/groups/<int:group_id>/certificates",
           summary="The group's certificates and declarations", tags=["equipment"],
           response="Certificate", paginated=True, errors=(404,))
@group_view()
def list_certificates(group_id: int):  # type: ignore[no-untyped-def]
    return jsonify(paginate(certificates.list_certificates(db.session, g.group), lambda c: {
        "id": c.id, "kind": c.kind, "number": c.number, "issuer": c.issuer,
        "valid_from": c.valid_from.isoformat(), "valid_to": c.valid_to.isoformat(),
        "products": [p.name for p in c.products],
        "member_ids": [m.membership_id for m in c.members], "has_scan": bool(c.file_token)}))


@api_route("/groups/<int:group_id>/lots/<int:lot_id>/labels",
           summary="Whether a lot's labels may carry its certificate and the brand, and why "
           "not (treasurer)", tags=["sales"], response="LotLabels", errors=(403, 404))
@group_view(treasurer=True)
def lot_labels(group_id: int, lot_id: int):  # type: ignore[no-untyped-def]
    lot = sales.get_lot(db.session, g.group, lot_id)
    if lot is None:
        abort(404)
    verdict = certificates.eligibility(db.session, lot, on=[local_today()])
    mark = certificates.mark_of(db.session, lot)
    body = {"lot_id": lot.id, "carries": verdict.ok,
            "certificate_number": verdict.certificate.number if verdict.certificate else None,
            "reasons": verdict.reasons,
            "trace_url": url_for("certificates.trace", code=mark.trace_code, _external=True)}
    db.session.commit()
    return jsonify(body)
