"""The time bank in the JSON API (/api/v1): posts, transfers, statements and
balances through the same services and access checks as the pages. Routes
are declared on the API blueprint with `api_route` (so they are in the
OpenAPI document); this module's schemas and examples join the document's."""

from __future__ import annotations

from typing import Any

from flask import abort, g, jsonify
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy.exc import IntegrityError

from coop.api import inputs, openapi
from coop.api.inputs import json_body, paginate
from coop.api.views import api_route, created
from coop.errors import DomainError
from coop.extensions import db
from coop.groups.access import member_in_group
from coop.groups.models import Membership
from coop.i18n import local_today
from coop.security import MAX_ID
from coop.timebank import services as tb
from coop.timebank.access import timebank_view
from coop.timebank.models import POST_KINDS, TRANSFER_KINDS, TRANSFER_STATES, TimeTransfer

ID, DAY, TEXT, FLAG = openapi.ID, openapi.DAY, openapi.TEXT, openapi.FLAG
MINUTES = {"type": "integer", "description": "Signed whole minutes"}
HOURS_TEXT = {"type": "string", "minLength": 1, "maxLength": 20,
              "description": "Time as people write it: \"2:30\", \"2,5\", \"2 ч 30\""}
openapi.SCHEMAS.update({
    "TimePost": openapi.obj({
        "id": ID, "kind": {"enum": list(POST_KINDS)}, "membership_id": ID, "name": TEXT,
        "category_id": ID, "category": TEXT, "title": TEXT, "description": TEXT,
        "valid_until": DAY, "for_group": FLAG}),
    "NewTimePost": openapi.obj({
        "kind": {"enum": list(POST_KINDS)}, "category_id": ID, "title": openapi.text(120),
        "description": openapi.text(1000), "valid_until": DAY, "for_group": FLAG},
        optional=("description", "valid_until", "for_group"), closed=True),
    "TimeTransfer": openapi.obj({
        "id": ID, "number": {"type": "integer", "minimum": 1},
        "state": {"enum": list(TRANSFER_STATES)}, "kind": {"enum": list(TRANSFER_KINDS)},
        "payer_id": openapi.nullable(ID), "payer": TEXT, "payee_id": openapi.nullable(ID),
        "payee": TEXT, "minutes": {"type": "integer", "minimum": 1}, "time": TEXT,
        "category_id": ID, "category": TEXT, "date_of_service": DAY, "note": TEXT,
        "on_behalf": FLAG, "reverses_id": openapi.nullable(ID),
        "reversed_by": openapi.nullable({"type": "integer"}), "withdrawn": FLAG}),
    "NewTimeTransfer": openapi.obj({
        "payer_id": openapi.nullable(ID), "payee_id": openapi.nullable(ID),
        "hours": HOURS_TEXT, "category_id": ID, "post_id": ID, "date_of_service": DAY,
        "note": openapi.text(300)},
        optional=("category_id", "post_id", "date_of_service", "note"), closed=True),
    "TimeReason": openapi.obj({"reason": openapi.text(300)}, closed=True),
    "TimeStatementLine": openapi.obj({
        "transfer_id": ID, "number": {"type": "integer"}, "date_of_service": DAY,
        "other": TEXT, "category": TEXT, "kind": {"enum": list(TRANSFER_KINDS)},
        "on_behalf": FLAG, "minutes": MINUTES, "balance": MINUTES}),
    "TimeBalance": openapi.obj({
        "membership_id": ID, "number": {"type": "integer"}, "name": TEXT, "active": FLAG,
        "balance": MINUTES, "flag": openapi.nullable({"enum": ["low", "high"]}),
        "days_without_exchange": {"type": "integer"}}),
})
openapi.SCHEMAS["TimeStatement"] = openapi._page_of(
    openapi.ref("TimeStatementLine"), membership_id=ID, name=TEXT, opening=MINUTES,
    balance=MINUTES)
openapi.SCHEMAS["TimeBalances"] = openapi._page_of(
    openapi.ref("TimeBalance"), bank=MINUTES, all_accounts=MINUTES)
openapi.EXAMPLES.update({
    "NewTimePost": {"kind": "offer", "category_id": 1,
                    "title": "Помогу с закаткой варенья"},
    "NewTimeTransfer": {"payer_id": 2, "payee_id": 3, "hours": "2:30", "category_id": 2,
                        "note": "абрикосы"},
    "TimeReason": {"reason": "было 2 ч, а не 2 ч 30"},
})


def _post(row: tb.PostRow) -> dict[str, Any]:
    p = row.post
    return {"id": p.id, "kind": p.kind, "membership_id": p.membership_id, "name": row.name,
            "category_id": p.category_id, "category": row.category, "title": p.title,
            "description": p.description, "valid_until": p.valid_until.isoformat(),
            "for_group": p.for_group}


def _transfer(row: tb.TransferRow) -> dict[str, Any]:
    t = row.transfer
    return {"id": t.id, "number": t.number, "state": t.state, "kind": t.kind,
            "payer_id": row.payer_membership_id, "payer": row.payer,
            "payee_id": row.payee_membership_id, "payee": row.payee, "minutes": t.minutes,
            "time": tb.fmt_minutes(t.minutes), "category_id": t.category_id,
            "category": row.category, "date_of_service": t.date_of_service.isoformat(),
            "note": t.note, "on_behalf": t.on_behalf, "reverses_id": t.reverses_id,
            "reversed_by": row.reversed_by,
            # rejected by the one who recorded the help she gave: withdrawn
            "withdrawn": tb.withdrawn(t)}


def _row(transfer: TimeTransfer) -> dict[str, Any]:
    [row] = tb.transfer_rows(db.session, g.group, where=[TimeTransfer.id == transfer.id])
    return _transfer(row)


def _found(transfer_id: int) -> TimeTransfer:
    tb.enabled(db.session, g.group)
    found = tb.transfer_in_group(db.session, g.group, transfer_id)
    if found is None:
        abort(404)
    return found


def _member(body: inputs.Body, name: str) -> Membership | None:
    membership_id = body.integer(name, minimum=1, maximum=MAX_ID)
    if membership_id is None:
        return None
    return member_in_group(g.group, membership_id)


@api_route("/groups/<int:group_id>/timebank/posts", summary="The time bank's active offers "
           "and requests", tags=["timebank"], response="TimePost", paginated=True,
           errors=(404, 422))
@timebank_view()
def timebank_posts(group_id: int):  # type: ignore[no-untyped-def]
    tb.enabled(db.session, g.group)
    return jsonify(paginate(tb.list_posts(db.session, g.group), _post))


@api_route("/groups/<int:group_id>/timebank/posts", "POST", summary="Offer help or ask for "
           "it on the time bank's board", tags=["timebank"], body="NewTimePost",
           response="TimePost", status=201, errors=(400, 403, 404, 413, 415, 422))
@timebank_view()
def timebank_add_post(group_id: int):  # type: ignore[no-untyped-def]
    if g.membership is None:
        abort(403)
    body = json_body().only("kind", "category_id", "title", "description", "valid_until",
                            "for_group")
    post = tb.create_post(
        db.session, g.group, g.membership, kind=body.choice("kind", POST_KINDS),
        category_id=body.integer("category_id", minimum=1, maximum=MAX_ID, required=True),
        title=body.text("title", max_length=120, required=True),
        description=body.text("description", max_length=1000, multiline=True),
        valid_until=body.day("valid_until"), for_group=body.flag("for_group", default=False))
    db.session.commit()
    [row] = [r for r in tb.list_posts(db.session, g.group) if r.post.id == post.id] or [None]
    if row is None:  # pragma: no cover - a post just made is on the board
        abort(404)
    return created(_post(row))


@api_route("/groups/<int:group_id>/timebank/transfers", summary="Time transfers: all for "
           "the coordinator, hers for a member, newest first", tags=["timebank"],
           response="TimeTransfer", paginated=True, errors=(404, 422))
@timebank_view()
def timebank_transfers(group_id: int):  # type: ignore[no-untyped-def]
    tb.enabled(db.session, g.group)
    where: list[object] = []
    if not g.is_coordinator:
        if g.membership is None:
            abort(404)
        mine = tb.member_account(db.session, g.membership)
        where.append((TimeTransfer.from_account_id == mine)
                     | (TimeTransfer.to_account_id == mine))
    body = paginate(tb.transfer_rows(db.session, g.group, where=where), _transfer)
    db.session.commit()  # her account, made on first use
    return jsonify(body)


@api_route("/groups/<int:group_id>/timebank/transfers", "POST", summary="Record help: "
           "received (confirmed at once), given (pending until confirmed) or, by the "
           "coordinator, from the register (confirmed, on behalf)", tags=["timebank"],
           body="NewTimeTransfer", response="TimeTransfer", status=201, idempotent=True,
           errors=(400, 403, 404, 413, 415, 422),
           description="`payer_id` received the help (null: the bank pays), `payee_id` gave "
                       "it (null: given to the bank). She who is the payer records a "
                       "confirmed transfer; she who is the payee a pending one; the "
                       "coordinator any. Send a unique Idempotency-Key: the same transfer "
                       "sent again is recorded once (200, the first one).")
@timebank_view()
def timebank_record(group_id: int):  # type: ignore[no-untyped-def]
    key = inputs.idempotency_key()
    body = json_body().only("payer_id", "payee_id", "hours", "category_id", "post_id",
                            "date_of_service", "note")
    payer, payee = _member(body, "payer_id"), _member(body, "payee_id")
    settings = tb.settings_of(db.session, g.group)
    most = settings.max_minutes_per_transfer if settings is not None else None
    line = tb.Line(payer, payee, tb.parse_minutes(body.text("hours", max_length=20,
                                                            required=True), most),
                   body.integer("category_id", minimum=1, maximum=MAX_ID),
                   body.day("date_of_service") or local_today(),
                   body.text("note", max_length=300),
                   post_id=body.integer("post_id", minimum=1, maximum=MAX_ID))
    me = g.membership
    mode = ("receiver" if me is not None and payer is not None and payer.id == me.id else
            "provider" if me is not None and payee is not None and payee.id == me.id else
            "coordinator")
    earlier = tb.transfer_by_key(db.session, g.group.id, key)
    if earlier is None:
        try:
            transfer, new = tb.record_transfer(db.session, g.group, line, actor=current_user,
                                               mode=mode, idempotency_key=key)
            db.session.commit()
            if new:
                return created(_row(transfer))
            earlier = transfer
        except IntegrityError:  # the same key at the same moment: the first one counts
            db.session.rollback()
            earlier = tb.transfer_by_key(db.session, g.group.id, key)
            assert earlier is not None
    if (earlier.minutes, earlier.date_of_service) != (line.minutes, line.date_of_service):
        raise DomainError(_l("This Idempotency-Key was sent with another transfer. Send a new "
                             "key for a new transfer."), field=inputs.IDEMPOTENCY_KEY)
    response = jsonify(_row(earlier))
    response.headers["Idempotent-Replayed"] = "true"
    return response


@api_route("/groups/<int:group_id>/timebank/transfers/<int:transfer_id>/confirm", "POST",
           summary="Confirm a pending transfer (she who received the help, or the "
           "coordinator); again: nothing more", tags=["timebank"], response="TimeTransfer",
           errors=(403, 404, 409, 422))
@timebank_view()
def timebank_confirm(group_id: int, transfer_id: int):  # type: ignore[no-untyped-def]
    transfer = _found(transfer_id)
    tb.confirm_transfer(db.session, g.group, transfer, actor=current_user)
    db.session.commit()
    return jsonify(_row(transfer))


@api_route("/groups/<int:group_id>/timebank/transfers/<int:transfer_id>/reject", "POST",
           summary="Reject a pending transfer, with a reason (the one who received the help, "
           "or the coordinator); or withdraw it (the one who recorded help she gave)",
           tags=["timebank"],
           body="TimeReason", response="TimeTransfer",
           errors=(400, 403, 404, 409, 413, 415, 422))
@timebank_view()
def timebank_reject(group_id: int, transfer_id: int):  # type: ignore[no-untyped-def]
    transfer = _found(transfer_id)
    body = json_body().only("reason")
    tb.reject_transfer(db.session, g.group, transfer, actor=current_user,
                       reason=body.text("reason", max_length=300, required=True))
    db.session.commit()
    return jsonify(_row(transfer))


@api_route("/groups/<int:group_id>/timebank/transfers/<int:transfer_id>/reverse", "POST",
           summary="Correct a confirmed transfer by its reversal (coordinator)",
           tags=["timebank"], body="TimeReason", response="TimeTransfer", status=201,
           idempotent=True, errors=(400, 403, 404, 409, 413, 415, 422))
@timebank_view(coordinator=True)
def timebank_reverse(group_id: int, transfer_id: int):  # type: ignore[no-untyped-def]
    transfer = _found(transfer_id)
    key = inputs.idempotency_key()
    body = json_body().only("reason")
    reason = body.text("reason", max_length=300, required=True)
    try:
        reversal, new = tb.reverse_transfer(db.session, g.group, transfer, actor=current_user,
                                            reason=reason, idempotency_key=key)
        db.session.commit()
    except IntegrityError:  # the same key, or another reversal, at the same moment
        db.session.rollback()
        found = tb.transfer_by_key(db.session, g.group.id, key)
        if found is None:
            raise tb.Conflict(_l("This help was already corrected (reversed).")) from None
        reversal, new = found, False
    if new:
        return created(_row(reversal))
    response = jsonify(_row(reversal))
    response.headers["Idempotent-Replayed"] = "true"
    return response


@api_route("/groups/<int:group_id>/timebank/members/<int:membership_id>/statement",
           summary="A member's time statement: confirmed transfers with the running balance "
           "(her own, or any for the coordinator)", tags=["timebank"],
           response="TimeStatementLine", paginated="TimeStatement", errors=(404, 422),
           period=True)
@timebank_view()
def timebank_statement(group_id: int, membership_id: int):  # type: ignore[no-untyped-def]
    tb.enabled(db.session, g.group)
    if not g.is_coordinator and (g.membership is None or g.membership.id != membership_id):
        abort(404)
    member = member_in_group(g.group, membership_id)
    found = tb.statement(db.session, g.group, member, start=inputs.query_day("from"),
                         end=inputs.query_day("to"))
    body = paginate(found.lines, lambda line: {
        "transfer_id": line.row.transfer.id, "number": line.row.transfer.number,
        "date_of_service": line.row.transfer.date_of_service.isoformat(),
        "other": line.other, "category": line.row.category, "kind": line.row.transfer.kind,
        "on_behalf": line.row.transfer.on_behalf, "minutes": line.minutes,
        "balance": line.balance},
        membership_id=member.id, name=member.user.name, opening=found.opening,
        balance=found.current)
    db.session.commit()
    return jsonify(body)


@api_route("/groups/<int:group_id>/timebank/balances", summary="Every member's time balance "
           "with soft-limit flags, and the bank's (coordinator)", tags=["timebank"],
           response="TimeBalance", paginated="TimeBalances", errors=(403, 404, 422))
@timebank_view(coordinator=True)
def timebank_balances(group_id: int):  # type: ignore[no-untyped-def]
    settings = tb.enabled(db.session, g.group)
    rows = tb.member_rows(db.session, g.group, settings)
    bank = tb.bank_balance(db.session, g.group)
    return jsonify(paginate(rows, lambda r: {
        "membership_id": r.membership.id, "number": r.number, "name": r.name,
        "active": r.membership.active, "balance": r.balance, "flag": r.flag,
        "days_without_exchange": r.days_without},
        bank=bank, all_accounts=bank + sum(r.balance for r in rows)))
