"""JSON API, /api/v1. Calls the same services, with the same access checks, as
the pages; only the way in (JSON, decimal strings) and out (JSON, problem+json)
differs. The OpenAPI document (coop.api.openapi) describes every route here:
each is declared with `api_route`, which records its description."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Mapping
from datetime import date, datetime, time, timedelta
from typing import Any, Literal

from flask import Blueprint, Response, abort, current_app, g, jsonify, request
from flask_babel import gettext, refresh, to_utc
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from coop import money, savings, units
from coop.api import inputs, openapi, represent
from coop.api import services as tokens
from coop.api.inputs import Body, json_body, paginate
from coop.api.problems import Problem, register_problem_handlers
from coop.config import SUPPORTED_LOCALES
from coop.documents import services as documents
from coop.errors import DomainError
from coop.extensions import client_address, csrf, db, limiter
from coop.groups import services as groups
from coop.groups.access import group_view, member_in_group
from coop.groups.models import Membership
from coop.ledger import services as ledger
from coop.ledger.advances import far_beyond_owed
from coop.ledger.models import PAYMENT_METHODS
from coop.orders import domain as rounds
from coop.orders import services as orders
from coop.orders import split
from coop.orders.models import Round
from coop.outage import forget_commits
from coop.payables import services as payables
from coop.quantities import (
    parse_price,
    parse_quantity,
    parse_weight,
    price_str,
    qty_str,
    weight_str,
)
from coop.quotes import domain as quote_domain
from coop.quotes import services as quotes
from coop.sales import services as sales
from coop.savings import services as savings_services
from coop.security import MAX_ID
from coop.suppliers import domain as catalog
from coop.suppliers import services as suppliers
from coop.suppliers.access import supplier_in_group
from coop.views import pdf_response

bp = Blueprint("api", __name__, url_prefix="/api/v1")
# JSON only: a cross-site form cannot send application/json without CORS, and
# the session cookie is SameSite=Lax, so the API needs no CSRF token; every
# write insists on application/json (coop.api.inputs.json_body).
csrf.exempt(bp)
register_problem_handlers(bp)

MAX_SCENARIO_BYTES = 5 * 1024 * 1024
PUBLIC: set[str] = set()  # endpoints declared public=True: no sign-in


def _bearer_token() -> str | None:
    """The token of an `Authorization: Bearer …` header; None for any other."""
    scheme, _sep, raw = request.headers.get("Authorization", "").strip().partition(" ")
    return (raw.strip() or None) if scheme.lower() == "bearer" else None


def _api_client() -> str:
    """Whom the API limit counts: the token sent (by its hash), else the
    signed-in user, else the address."""
    raw = _bearer_token()
    if raw:
        return "api-token:" + tokens.hash_token(raw)[:32]
    if current_user.is_authenticated:
        return f"api-user:{current_user.id}"
    return "api-address:" + client_address()


# Checked before anything else of the request (Flask-Limiter's before_request),
# in Redis when COOP_REDIS_URL is set: the same count on every app server.
limiter.limit(lambda: current_app.config["API_RATE_LIMIT"], key_func=_api_client)(bp)
limiter.limit(lambda: current_app.config["API_ADDRESS_RATE_LIMIT"],
              key_func=lambda: "api-address:" + client_address())(bp)


def api_route(rule: str, method: str = "GET", **spec: Any
              ) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """A route of the blueprint, and its description in the OpenAPI document."""

    def decorate(view: Callable[..., Any]) -> Callable[..., Any]:
        endpoint = f"{bp.name}.{view.__name__}"
        openapi.describe(endpoint, method, spec)
        if spec.get("public"):
            PUBLIC.add(endpoint)
        return bp.route(rule, methods=[method])(view)

    return decorate


def created(body: dict[str, Any]) -> tuple[Response, int]:
    return jsonify(body), 201


# --------------------------------------------------------------------------
# Who is asking
# --------------------------------------------------------------------------


@bp.before_request
def authenticate() -> None:
    """A Bearer token acts as its user for this request; else the session's
    user (the pages' sign-in) may use the API too; else 401."""
    if request.endpoint in PUBLIC:
        return
    if request.headers.get("Authorization") is not None:
        raw = _bearer_token()
        token = tokens.authenticate(db.session, raw) if raw else None
        if token is None:
            raise Problem(401, _l("This API token is not valid, or it was revoked."),
                          field="Authorization",
                          headers={"WWW-Authenticate": 'Bearer error="invalid_token"'})
        if token.expired():
            raise Problem(401, _l("This API token has expired. Make a new one on your "
                                  "profile page."), field="Authorization",
                          headers={"WWW-Authenticate": 'Bearer error="invalid_token", '
                                   'error_description="expired"'})
        # What flask_login.login_user sets, without the session cookie it also writes.
        g._login_user = token.user
        if tokens.mark_used(db.session, token):
            db.session.commit()
            forget_commits()  # not what the request is for
        return
    if not current_user.is_authenticated:
        raise Problem(401, headers={"WWW-Authenticate": 'Bearer realm="coop"'})


@bp.after_request
def private(response: Response) -> Response:
    response.headers.setdefault("Cache-Control", "no-store")
    response.vary.add("Authorization")
    response.vary.add("Cookie")
    return response


def _whose(membership_id: int) -> Membership:
    """Herself for a member; anyone of the group for the treasurer (as the pages)."""
    if not g.is_treasurer and (g.membership is None or g.membership.id != membership_id):
        abort(404)
    return member_in_group(g.group, membership_id)


def _me() -> Membership:
    if g.membership is None:  # an admin with no membership has no order of her own
        abort(404)
    return g.membership


def _round_or_404(round_id: int, *, with_items: bool | Literal["products"] = True) -> Round:
    rnd = orders.get_round(db.session, g.group, round_id, with_items=with_items)
    if rnd is None or (rnd.state == rounds.DRAFT and not g.is_treasurer):
        abort(404)
    return rnd


def _tiers(body: Body, most: int, *, required: bool = False) -> list[tuple[int, int]]:
    """`tiers`: [{"min_qty": "0", "unit_price": "48.50"}, …] as (thousandths,
    millionths); the services check their order (one more than allowed is
    let through, so that their message says how many are)."""
    tiers = []
    for entry in body.objects("tiers", required=required, max_items=most + 1):
        entry.only("min_qty", "unit_price")
        tiers.append((entry.number("min_qty", parse_quantity, required=True) or 0,
                      entry.number("unit_price", parse_price, required=True) or 0))
    return tiers


def _item_lines(body: Body, fields: tuple[str, ...], items: set[int] | None = None,
                unknown: Any = None) -> Iterator[tuple[Body, int]]:
    """Each entry of the body's `lines` with its round item id: one of `items`
    (when given; else the service says) and listed once."""
    seen: set[int] = set()
    for entry in body.objects("lines", required=True):
        entry.only("item_id", *fields)
        item_id = entry.integer("item_id", minimum=1, maximum=MAX_ID, required=True) or 0
        if items is not None and item_id not in items:
            raise DomainError(unknown, field=entry.field("item_id"))
        if item_id in seen:
            raise DomainError(_l("This product is listed twice."), field=entry.field("item_id"))
        seen.add(item_id)
        yield entry, item_id


def _json_fields(exc: DomainError, paths: Mapping[int, str],
                 names: Mapping[str, str]) -> None:
    """A service's form field ("quantity_12") as the JSON path the client sent
    ("lines[0].quantity")."""
    part, _sep, item = (exc.field or "").rpartition("_")
    if part in names and item.isdigit() and int(item) in paths:
        exc.field = f"{paths[int(item)]}.{names[part]}"


# --------------------------------------------------------------------------
# The document and the split preview
# --------------------------------------------------------------------------


@api_route("/openapi.json", summary="This OpenAPI document", tags=["meta"], public=True,
           response="Document")
def openapi_document():  # type: ignore[no-untyped-def]
    response = jsonify(openapi.document(current_app))
    response.headers["Cache-Control"] = "public, max-age=300"
    return response


@api_route("/split-preview", "POST", summary="Run the split engine on a scenario",
           tags=["rounds"], body="Scenario", response="SplitResult", errors=(413, 415, 422),
           description="The scenario and result JSON of the split contract (spec/split.md).")
def split_preview():  # type: ignore[no-untyped-def]
    """The split engine on a scenario of spec/split.md: the result JSON."""
    body = json_body(MAX_SCENARIO_BYTES)
    try:
        result = split.preview(body.data)
    except split.ScenarioError as exc:
        raise DomainError(str(exc), exc.field) from exc
    return jsonify(result)


@api_route("/savings/preview", "POST", summary="Run the savings-group engine on a cycle",
           tags=["savings"], body="SavingsScenario", response="SavingsResult",
           errors=(413, 415, 422),
           description="A savings group's cycle, meeting by meeting, to its share-out: the "
                       "scenario and result JSON of spec/savings-preview.md. Bad input: 422 "
                       "with `field`, the JSON path at fault (meetings[1].shares[4]).")
def savings_preview():  # type: ignore[no-untyped-def]
    """The savings engine on a scenario of spec/savings-preview.md: the result JSON."""
    body = json_body(MAX_SCENARIO_BYTES)
    try:
        result = savings.preview(body.data)
    except savings.ScenarioError as exc:
        raise DomainError(f"{exc.field}: {exc.translated(gettext)}", exc.field) from exc
    return jsonify(result)


# --------------------------------------------------------------------------
# Groups and members
# --------------------------------------------------------------------------


@api_route("/groups", summary="The groups she belongs to (an admin: all)", tags=["groups"],
           response="Group", paginated=True)
def list_groups():  # type: ignore[no-untyped-def]
    found = groups.groups_of(db.session, current_user)
    mine = {m.group_id: m for m in db.session.scalars(select(Membership).where(
        Membership.user_id == current_user.id, Membership.active.is_(True)))}
    return jsonify(paginate(found, lambda grp: represent.group(grp, mine.get(grp.id))))


@api_route("/groups/<int:group_id>", summary="A group, its settings and her role",
           tags=["groups"], response="Group", errors=(404,))
@group_view()
def group(group_id: int):  # type: ignore[no-untyped-def]
    return jsonify(represent.group(g.group, g.membership))


@api_route("/groups/<int:group_id>/members", summary="The group's members", tags=["groups"],
           response="Member", paginated=True, errors=(404,),
           description="Active members; the treasurer sees inactive members and e-mails too. "
                       "A member sees another's phone number only when that one shows it.")
@group_view()
def members(group_id: int):  # type: ignore[no-untyped-def]
    found = groups.list_members(db.session, g.group, include_inactive=g.is_treasurer)
    return jsonify(paginate(found, lambda m: represent.member(
        m, with_email=g.is_treasurer,
        with_phone=groups.phone_visible(m, g.membership, is_treasurer=g.is_treasurer))))


@api_route("/groups/<int:group_id>/members", "POST", summary="Add a member (treasurer)",
           tags=["groups"], body="NewMember", response="Member", status=201,
           errors=(403, 404, 413, 415, 422),
           description="She gets no password: she signs in through an invite link, or the "
                       "treasurer acts for her.")
@group_view(treasurer=True)
def add_member(group_id: int):  # type: ignore[no-untyped-def]
    body = json_body().only("name", "email", "phone", "role", "locale")
    membership = groups.add_member(
        db.session, g.group, name=body.text("name", max_length=120, required=True),
        email=body.text("email", max_length=254), phone=body.text("phone", max_length=32),
        role=body.choice("role", ("member", "treasurer"), default="member"),
        locale=body.choice("locale", SUPPORTED_LOCALES, default="") or None)
    db.session.commit()
    return created(represent.member(membership, with_email=True))


# --------------------------------------------------------------------------
# Suppliers and products (the treasurer's, as the catalog pages)
# --------------------------------------------------------------------------


@api_route("/groups/<int:group_id>/suppliers", summary="The group's suppliers (treasurer)",
           tags=["catalog"], response="Supplier", paginated=True, errors=(403, 404))
@group_view(treasurer=True)
def list_suppliers(group_id: int):  # type: ignore[no-untyped-def]
    counts = suppliers.product_counts(db.session, g.group)
    return jsonify(paginate(suppliers.list_suppliers(db.session, g.group),
                            lambda s: represent.supplier(s, counts.get(s.id, 0))))


@api_route("/groups/<int:group_id>/suppliers/<int:supplier_id>",
           summary="A supplier and all her products, retired ones too (treasurer)",
           tags=["catalog"], response="SupplierDetail", errors=(403, 404))
@group_view(treasurer=True)
def supplier(group_id: int, supplier_id: int):  # type: ignore[no-untyped-def]
    found = supplier_in_group(g.group, supplier_id)
    products = suppliers.supplier_products(db.session, found)
    body = represent.supplier(found, sum(not p.retired for p in products))
    return jsonify({**body, "products": [represent.product(p) for p in products]})


@api_route("/groups/<int:group_id>/products", summary="The catalog: products on offer "
           "(treasurer)", tags=["catalog"], response="Product", paginated=True,
           errors=(403, 404))
@group_view(treasurer=True)
def list_products(group_id: int):  # type: ignore[no-untyped-def]
    return jsonify(paginate(suppliers.list_products(db.session, g.group), represent.product))


@api_route("/groups/<int:group_id>/products/<int:product_id>", summary="A product "
           "(treasurer)", tags=["catalog"], response="Product", errors=(403, 404))
@group_view(treasurer=True)
def product(group_id: int, product_id: int):  # type: ignore[no-untyped-def]
    try:
        found = suppliers.get_product(db.session, g.group, product_id)
    except DomainError:
        abort(404)
    return jsonify(represent.product(found))


@api_route("/groups/<int:group_id>/suppliers/<int:supplier_id>/products", "POST",
           summary="Add a product to a supplier's catalog (treasurer)", tags=["catalog"],
           body="NewProduct", response="Product", status=201, errors=(403, 404, 413, 415, 422))
@group_view(treasurer=True)
def add_product(group_id: int, supplier_id: int):  # type: ignore[no-untyped-def]
    """Read as a catalog line is (the same rules, defaults and messages): the
    decimal strings checked here first, so that a bad one is named by its path."""
    found = supplier_in_group(g.group, supplier_id)
    body = json_body().only(*catalog.COLUMNS)
    texts = {name: body.text(name, max_length=limit) for name, limit in (
        ("name", catalog.MAX_NAME), ("unit", catalog.MAX_UNIT),
        ("article_code", catalog.MAX_ARTICLE_CODE))}
    texts["pack_container"] = body.choice("pack_container", ("", *units.CONTAINERS), default="")
    for name, parse, show in (("pack_size", parse_quantity, qty_str),
                              ("granularity", parse_quantity, qty_str),
                              ("weight_kg", parse_weight, weight_str),
                              ("retail_price", parse_price, price_str),
                              ("seed_rate", parse_quantity, qty_str)):
        value = body.number(name, parse)
        texts[name] = "" if value is None else show(value)
    texts["tiers"] = "|".join(f"{qty_str(min_qty)}={price_str(price)}"
                              for min_qty, price in _tiers(body, catalog.MAX_TIERS,
                                                           required=True))
    data, errors = catalog.product_from_text(texts)
    if data is None:
        raise DomainError(errors[0][1], field=errors[0][0])
    created_product = suppliers.create_product(db.session, found, data)
    db.session.commit()
    return created(represent.product(created_product))


# --------------------------------------------------------------------------
# Rounds, orders and the split
# --------------------------------------------------------------------------


@api_route("/groups/<int:group_id>/rounds", summary="The group's rounds, newest first "
           "(drafts: treasurer)", tags=["rounds"], response="RoundSummary", paginated=True,
           errors=(404,))
@group_view()
def list_rounds(group_id: int):  # type: ignore[no-untyped-def]
    found = orders.list_rounds(db.session, g.group, include_drafts=g.is_treasurer)
    return jsonify(paginate(found, represent.round_summary))


@api_route("/groups/<int:group_id>/rounds/<int:round_id>", summary="A round: its products, "
           "pooled demand, pack fill and what arrived", tags=["rounds"], response="Round",
           errors=(404,))
@group_view()
def round_detail(group_id: int, round_id: int):  # type: ignore[no-untyped-def]
    rnd = _round_or_404(round_id)
    return jsonify(represent.round_detail(rnd, orders.pack_fills(db.session, rnd),
                                          orders.delivery_totals(db.session, rnd)))


def _order_response(rnd: Round, member: Membership) -> Response:
    return jsonify(represent.order(rnd, member, orders.order_of(db.session, rnd, member),
                                   rnd.state == rounds.OPEN))


def _save_order(rnd: Round, member: Membership) -> Response:
    """Her whole order from the body: listed products get their quantities,
    the others 0. All lines or none (save_order)."""
    body = json_body().only("lines")
    items = {item.id for item in rnd.items}
    lines: dict[int, tuple[int, int]] = {}
    paths: dict[int, str] = {}
    for entry, item_id in _item_lines(body, ("quantity", "tolerance"), items,
                                      _l("This product is not on offer in this round.")):
        lines[item_id] = (entry.number("quantity", parse_quantity, required=True) or 0,
                          entry.number("tolerance", parse_quantity, default=0) or 0)
        paths[item_id] = entry.path
    whole = {item_id: lines.get(item_id, (0, 0)) for item_id in items}
    try:
        orders.save_order(db.session, rnd, member, whole, current_user,
                          as_treasurer=g.is_treasurer)
    except DomainError as exc:
        _json_fields(exc, paths, {"quantity": "quantity", "tolerance": "tolerance"})
        raise
    db.session.commit()
    return _order_response(rnd, member)


@api_route("/groups/<int:group_id>/rounds/<int:round_id>/order", summary="Her own order",
           tags=["rounds"], response="Order", errors=(404,))
@group_view()
def my_order(group_id: int, round_id: int):  # type: ignore[no-untyped-def]
    return _order_response(_round_or_404(round_id, with_items="products"), _me())


@api_route("/groups/<int:group_id>/rounds/<int:round_id>/order", "PUT",
           summary="Set her own order", tags=["rounds"], body="OrderLines", response="Order",
           errors=(404, 413, 415, 422),
           description="Replaces the whole order: products not listed are set to 0.")
@group_view()
def save_my_order(group_id: int, round_id: int):  # type: ignore[no-untyped-def]
    return _save_order(_round_or_404(round_id, with_items="products"), _me())


@api_route("/groups/<int:group_id>/rounds/<int:round_id>/orders/<int:membership_id>",
           summary="A member's order (her own, or any for the treasurer)", tags=["rounds"],
           response="Order", errors=(404,))
@group_view()
def member_order(group_id: int, round_id: int, membership_id: int):  # type: ignore[no-untyped-def]
    rnd = _round_or_404(round_id, with_items="products")
    return _order_response(rnd, _whose(membership_id))


@api_route("/groups/<int:group_id>/rounds/<int:round_id>/orders/<int:membership_id>", "PUT",
           summary="Set a member's order (her own, or any for the treasurer)",
           tags=["rounds"], body="OrderLines", response="Order", errors=(404, 413, 415, 422),
           description="Replaces the whole order: products not listed are set to 0.")
@group_view()
def save_member_order(group_id: int, round_id: int, membership_id: int):  # type: ignore[no-untyped-def]
    rnd = _round_or_404(round_id, with_items="products")
    return _save_order(rnd, _whose(membership_id))


@api_route("/groups/<int:group_id>/rounds/<int:round_id>/split",
           summary="The round's split as it stands", tags=["rounds"], response="SplitResult",
           errors=(404, 422),
           description="The split contract's result JSON (spec/split.md): as ordered until "
                       "goods arrive, then with what arrived; a settled round's as settled. "
                       "The treasurer gets every member; a member gets only her own entry "
                       "(none if she ordered nothing), with the products and totals.")
@group_view()
def round_split(group_id: int, round_id: int):  # type: ignore[no-untyped-def]
    result = orders.compute_split(db.session, _round_or_404(round_id)).result
    if not g.is_treasurer:
        mine = str(g.membership.id) if g.membership else None
        result = {**result, "members": [m for m in result["members"] if m["id"] == mine]}
    return jsonify(result)


@api_route("/groups/<int:group_id>/rounds/<int:round_id>/deliveries", "POST",
           summary="Record what arrived (treasurer)", tags=["rounds"], body="NewDelivery",
           response="Delivery", status=201, errors=(403, 404, 413, 415, 422),
           description="Deliveries over several days add up; the round must be awarded. "
                       "With an Idempotency-Key header, the same request sent again adds "
                       "nothing (`added` is 0). More than was ordered from the supplier is "
                       "refused with the question (422, `confirm`: `beyond_ordered`) unless "
                       "`beyond_ordered` is true, as the delivery form asks first.")
@group_view(treasurer=True)
def record_delivery(group_id: int, round_id: int):  # type: ignore[no-untyped-def]
    rnd = _round_or_404(round_id)
    key = inputs.idempotency_key() if request.headers.get(inputs.IDEMPOTENCY_KEY) else None
    body = json_body().only("lines", "delivered_on", "note", "beyond_ordered")
    items = {item.id for item in rnd.items}
    lines: dict[int, tuple[int, int]] = {}
    paths: dict[int, str] = {}
    for entry, item_id in _item_lines(body, ("received", "damaged"), items,
                                      _l("This product is not in this round.")):
        lines[item_id] = (entry.number("received", parse_quantity, required=True) or 0,
                          entry.number("damaged", parse_quantity, default=0) or 0)
        paths[item_id] = entry.path
    try:
        added = orders.record_delivery(db.session, rnd, lines, actor=current_user,
                                       delivered_on=body.day("delivered_on"),
                                       note=body.text("note", max_length=300),
                                       idempotency_key=key,
                                       beyond_ordered=body.flag("beyond_ordered", default=False))
        db.session.commit()
    except DomainError as exc:
        _json_fields(exc, paths, {"received": "received", "damaged": "damaged"})
        raise
    except IntegrityError:  # the same key at the same moment: the first one counts
        db.session.rollback()
        added = 0
    totals = orders.delivery_totals(db.session, rnd)
    result = {"added": added, "delivered": [
        {"item_id": item_id, "received": qty_str(received),
         "damaged": qty_str(damaged)}
        for item_id, (received, damaged) in sorted(totals.items())]}
    if key and not added:  # the same key again: what the first one recorded
        response = jsonify(result)
        response.headers["Idempotent-Replayed"] = "true"
        return response
    return created(result)


# --------------------------------------------------------------------------
# The books
# --------------------------------------------------------------------------


@api_route("/groups/<int:group_id>/balances", summary="Every member's balance and the "
           "group's accounts (treasurer)", tags=["ledger"], response="Balance",
           paginated="Balances", errors=(403, 404))
@group_view(treasurer=True)
def balances(group_id: int):  # type: ignore[no-untyped-def]
    memberships = groups.list_members(db.session, g.group, include_inactive=True)
    books = ledger.books(db.session, g.group, memberships)
    currency = g.group.currency
    body = paginate(books.members, lambda row: represent.balance(row, currency),
                    **represent.balances_summary(books, currency))
    db.session.commit()  # the group's accounts, made on first use
    return jsonify(body)


def _period() -> tuple[datetime | None, datetime | None]:
    """?from=&to= (YYYY-MM-DD), days in the group's time zone, `to` inclusive."""
    start, end = inputs.query_day("from"), inputs.query_day("to")
    return (to_utc(datetime.combine(start, time())) if start else None,
            to_utc(datetime.combine(end + timedelta(days=1), time())) if end else None)


@api_route("/groups/<int:group_id>/accounts/<int:membership_id>/statement",
           summary="A member's statement: her postings with the running balance (her own, "
           "or any for the treasurer)", tags=["ledger"], response="StatementLine",
           paginated="Statement", errors=(404, 422), period=True)
@group_view()
def statement(group_id: int, membership_id: int):  # type: ignore[no-untyped-def]
    member = _whose(membership_id)
    start, end = _period()
    opening, lines = ledger.statement(db.session, ledger.member_account(db.session, member),
                                      start=start, end=end)
    currency = g.group.currency
    body = paginate(lines, lambda line: represent.statement_line(line, currency),
                    membership_id=member.id, name=member.user.name, currency=currency,
                    opening=represent.amount(opening, currency),
                    balance=represent.amount(ledger.member_balance(db.session, member),
                                             currency))
    db.session.commit()  # her account, made on first use
    return jsonify(body)


@api_route("/groups/<int:group_id>/accounts/<int:membership_id>/payments", "POST",
           summary="Record a member's payment into the cash (treasurer)", tags=["ledger"],
           body="NewPayment", response="Payment", status=201, idempotent=True,
           errors=(400, 403, 404, 413, 415, 422),
           description="More than she owes and her orders in rounds not yet settled could "
                       "cost is refused (422, `field` amount, the credit it would leave in "
                       "`detail`) unless `beyond_owed` is true (an advance, said so), as the "
                       "payment form asks first. Send a unique Idempotency-Key: the same "
                       "payment sent again with the same key is recorded once (200, the first "
                       "one, not asked again); the key sent with a different payment is "
                       "refused (422).")
@group_view(treasurer=True)
def record_payment(group_id: int, membership_id: int):  # type: ignore[no-untyped-def]
    member = member_in_group(g.group, membership_id)
    key = inputs.idempotency_key()
    body = json_body().only("amount", "method", "reference", "beyond_owed")
    currency = g.group.currency
    amount = body.money("amount", currency, required=True)
    method = body.choice("method", PAYMENT_METHODS)
    reference = body.text("reference", max_length=120)
    beyond_owed = body.flag("beyond_owed", default=False)
    payment = ledger.payment_by_key(db.session, g.group.id, key)
    if payment is None:
        question = None if beyond_owed else far_beyond_owed(db.session, member, amount)
        if question is not None:  # the form's question, as a refusal: the API cannot ask
            raise DomainError(question, field="amount", confirm="beyond_owed")
        try:
            payment, new = ledger.record_payment(
                db.session, member, amount=amount, method=method, reference=reference,
                idempotency_key=key, actor=current_user)
            db.session.commit()
            if new:  # else it was recorded while this one waited: a replay
                return created(represent.payment(payment, currency,
                                                 ledger.member_balance(db.session, member)))
        except IntegrityError:  # the same key at the same moment: the first one counts
            db.session.rollback()
            payment = ledger.payment_by_key(db.session, g.group.id, key)
            assert payment is not None
    if (payment.membership_id, payment.amount, payment.method, payment.reference) != (
            member.id, amount, method, reference.strip()):
        raise DomainError(_l("This Idempotency-Key was sent with another payment. Send a new "
                             "key for a new payment."), field=inputs.IDEMPOTENCY_KEY)
    response = jsonify(represent.payment(payment, currency,
                                         ledger.member_balance(db.session, member)))
    response.headers["Idempotent-Replayed"] = "true"
    return response


@api_route("/groups/<int:group_id>/payables",
           summary="What the group owes each supplier: billed, paid, still owed, round by "
           "round (treasurer)", tags=["ledger"], response="Payable", paginated=True,
           errors=(403, 404))
@group_view(treasurer=True)
def payables_list(group_id: int):  # type: ignore[no-untyped-def]
    currency = g.group.currency
    return jsonify(paginate(payables.positions(db.session, g.group),
                            lambda p: represent.payable(p, currency)))


@api_route("/groups/<int:group_id>/suppliers/<int:supplier_id>/payments", "POST",
           summary="Pay a supplier from the cash, the bank account or the mobile wallet "
           "(treasurer)", tags=["ledger"], body="NewSupplierPayment", response="SupplierPayment",
           status=201, idempotent=True, errors=(400, 403, 404, 413, 415, 422),
           description="For a round (`round_id`) or on account. More than is still owed is "
                       "refused (422) unless `beyond_owed` is true; more than the cash, the "
                       "bank account or the mobile wallet holds, unless `overdraw` is true "
                       "(the money came from elsewhere). Send a unique "
                       "Idempotency-Key: the same payment sent again with the same key is "
                       "recorded once (200, the first one); the key sent with a different "
                       "payment is refused (422).")
@group_view(treasurer=True)
def pay_supplier(group_id: int, supplier_id: int):  # type: ignore[no-untyped-def]
    supplier = supplier_in_group(g.group, supplier_id)
    key = inputs.idempotency_key()
    body = json_body().only("amount", "method", "reference", "round_id", "beyond_owed",
                            "overdraw")
    currency = g.group.currency
    amount = body.money("amount", currency, required=True)
    method = body.choice("method", PAYMENT_METHODS)
    reference = body.text("reference", max_length=120)
    round_id = body.integer("round_id", minimum=1, maximum=MAX_ID)
    beyond_owed = body.flag("beyond_owed", default=False)
    overdraw = body.flag("overdraw", default=False)
    payment = payables.payment_by_key(db.session, g.group.id, key)
    if payment is None:
        try:
            payment, new = payables.pay_supplier(
                db.session, supplier, amount=amount, method=method, reference=reference,
                idempotency_key=key, actor=current_user, round_id=round_id,
                beyond_owed=beyond_owed, overdraw=overdraw)
            db.session.commit()
            if new:  # else the same key was recorded while this one waited for the lock
                return created(represent.supplier_payment(
                    payment, currency, payables.still_owed(db.session, supplier)))
        except IntegrityError:  # the same key at the same moment: the first one counts
            db.session.rollback()
            payment = payables.payment_by_key(db.session, g.group.id, key)
            assert payment is not None
    if (payment.supplier_id, payment.amount, payment.method, payment.reference,
            payment.round_id) != (supplier.id, amount, method, reference.strip(), round_id):
        raise DomainError(_l("This Idempotency-Key was sent with another payment. Send a new "
                             "key for a new payment."), field=inputs.IDEMPOTENCY_KEY)
    response = jsonify(represent.supplier_payment(payment, currency,
                                                  payables.still_owed(db.session, supplier)))
    response.headers["Idempotent-Replayed"] = "true"
    return response


# --------------------------------------------------------------------------
# Documents
# --------------------------------------------------------------------------


@api_route("/groups/<int:group_id>/accounts/<int:membership_id>/documents",
           summary="A member's issued documents (her own, or any for the treasurer)",
           tags=["documents"], response="DocumentInfo", paginated=True, errors=(404,))
@group_view()
def member_documents(group_id: int, membership_id: int):  # type: ignore[no-untyped-def]
    member = _whose(membership_id)
    return jsonify(paginate(documents.member_documents(db.session, member),
                            lambda d: represent.document(d, g.group.currency)))


@api_route("/groups/<int:group_id>/documents/<int:document_id>",
           summary="An issued document, as the stored PDF", tags=["documents"], pdf=True,
           errors=(404, 422),
           description="A member gets her own documents; the treasurer every document of "
                       "the group.")
@group_view()
def document(group_id: int, document_id: int):  # type: ignore[no-untyped-def]
    found = documents.get_document(db.session, g.group, document_id)
    if found is None or not (g.is_treasurer or (
            g.membership is not None and found.membership_id == g.membership.id)):
        abort(404)
    return pdf_response(documents.document_bytes(found), found.filename, found.sha256)


@api_route("/groups/<int:group_id>/accounts/<int:membership_id>/payments/<int:payment_id>"
           "/receipt", summary="The receipt of one of her payments, as a PDF",
           tags=["documents"], pdf=True, errors=(404,),
           description="In her language: the receipt number, the day, how she paid, who "
                       "took it and her account right after it; marked if the payment was "
                       "reversed since. Hers for a member; any of the group's for the "
                       "treasurer (as the statement page links it).")
@group_view()
def payment_receipt(group_id: int, membership_id: int, payment_id: int):  # type: ignore[no-untyped-def]
    receipt = documents.receipt_pdf(db.session, _whose(membership_id), payment_id)
    if receipt is None:
        abort(404)
    db.session.commit()  # her account, made on first use
    return pdf_response(*receipt)


# --------------------------------------------------------------------------
# Joint sales
# --------------------------------------------------------------------------


@api_route("/groups/<int:group_id>/lots", summary="The group's sale lots, newest first",
           tags=["sales"], response="Lot", paginated=True, errors=(404,),
           description="`contributed` and `payout` are hers (the payout once the lot closed).")
@group_view()
def list_lots(group_id: int):  # type: ignore[no-untyped-def]
    mine: set[int] = set()
    payouts: dict[int, int] = {}
    if g.membership is not None:
        mine = sales.member_lot_ids(db.session, g.membership)
        payouts = {p.lot_id: p.amount for p in sales.member_payouts(db.session, g.membership)}
    return jsonify(paginate(sales.list_lots(db.session, g.group), lambda lot: represent.lot(
        lot, contributed=lot.id in mine, payout=payouts.get(lot.id))))


@api_route("/groups/<int:group_id>/lots/<int:lot_id>", summary="A lot: stock by grade, "
           "contributions and payouts", tags=["sales"], response="LotDetail", errors=(404,),
           description="A member gets her own contributions and payout; the treasurer every "
                       "member's. `payouts` is a preview until the lot closes, and null when "
                       "the lot cannot be split yet (costs but no contributions).")
@group_view()
def lot_detail(group_id: int, lot_id: int):  # type: ignore[no-untyped-def]
    lot = sales.get_lot(db.session, g.group, lot_id)
    if lot is None:
        abort(404)
    whose = None if g.is_treasurer else g.membership
    entries = sales.contribution_entries(db.session, lot, whose) \
        if g.is_treasurer or whose is not None else []
    payouts: list[dict[str, Any]] | None
    try:
        view = sales.compute_split(db.session, lot)
    except DomainError:
        payouts = None
    else:
        payouts = [represent.lot_payout(lot, membership, row) for membership, row in view.rows()
                   if g.is_treasurer or (whose is not None and membership.id == whose.id)]
        if g.is_treasurer:  # the fund's shares of produce returned for seed loans
            payouts += [represent.lot_payout(lot, loan.membership, row, seed_loan_id=loan.id)
                        for loan, row in view.fund_rows()]
    mine = sales.member_lot_ids(db.session, g.membership) if g.membership else set()
    paid = {p.lot_id: p.amount for p in sales.member_payouts(db.session, g.membership)} \
        if g.membership else {}
    return jsonify({
        **represent.lot(lot, contributed=lot.id in mine, payout=paid.get(lot.id)),
        "closed": lot.state == sales.CLOSED,
        "stock": [represent.stock(row) for row in sales.lot_stock(db.session, lot)],
        "contributions": [represent.contribution(entry) for entry in entries],
        "payouts": payouts,
        "sales": [represent.sale(debt, g.group.currency) for debt in sales.sale_debts(
            db.session, sales.lot_sales(db.session, lot)).values()] if g.is_treasurer else []})


# --------------------------------------------------------------------------
# The supplier's side: her quote, through her link's token (no account)
# --------------------------------------------------------------------------


def _open_quote(token: str):  # type: ignore[no-untyped-def]
    """The quote of this link (404 unknown, 410 withdrawn or expired), answered
    in the language she asks for, else hers."""
    found = quotes.open_quote(db.session, token)
    asked = request.accept_languages.best_match(SUPPORTED_LOCALES) \
        if request.headers.get("Accept-Language") else None
    g.locale_override = asked or found.supplier.language
    refresh()
    return found


def _quote_response(found: Any) -> dict[str, Any]:
    rnd = found.round
    currency = rnd.group.currency
    needs = quotes.round_needs(db.session, rnd)
    latest = found.latest
    return {
        "buyer": {"name": rnd.group.name, "village": rnd.group.village,
                  "region": rnd.group.region, "currency": currency},
        "round": {"title": rnd.title, "delivery_place": rnd.delivery_place,
                  "delivery_date": represent.day(rnd.delivery_date)},
        "supplier": {"name": found.supplier.name, "language": found.supplier.language},
        "status": quotes.quote_status(found), "can_answer": quotes.can_answer(found),
        "link_expires_at": represent.moment(found.link_expires_at),
        "items": [{"item_id": item.id, "name": item.product.name, "unit": item.product.unit,
                   "granularity": qty_str(item.product.granularity),
                   "pack_size": qty_str(item.product.pack_size),
                   "demand": {"firm": qty_str(needs[item.id].firm),
                              "tolerance": qty_str(needs[item.id].tolerance)}}
                  for item in rnd.items],
        "latest": None if latest is None else represent.revision(latest, currency),
        "counter_offer": represent.counter_offer(quotes.latest_counter(found)),
    }


@api_route("/quotes/<token>", summary="Her quote: the pooled demand, her latest offer and "
           "the group's counter-offer", tags=["quotes"], response="Quote", public=True,
           token=True, errors=(404, 410),
           description="For the supplier, through the token of her link (no account).")
def quote(token: str):  # type: ignore[no-untyped-def]
    return jsonify(_quote_response(_open_quote(token)))


@api_route("/quotes/<token>", "POST", summary="Send a new revision of her offer",
           tags=["quotes"], body="Offer", response="QuoteRevision", status=201, public=True,
           token=True, idempotent="optional", errors=(400, 404, 409, 410, 413, 415, 422),
           description="Products not listed are not in the offer. Earlier revisions stay "
                       "as they were. The same offer as her latest, with no counter-offer "
                       "since, records nothing (409). With an Idempotency-Key header, the "
                       "same offer sent again with the same key (a retry after a timeout) "
                       "is recorded once: 200 and the revision it made, even after a "
                       "counter-offer; the key sent with a different offer is refused (422).")
def submit_quote(token: str):  # type: ignore[no-untyped-def]
    found = _open_quote(token)
    key = inputs.idempotency_key() if request.headers.get(inputs.IDEMPOTENCY_KEY) else None
    if not quotes.can_answer(found) and quotes.revision_by_key(db.session, found, key) is None:
        raise Problem(409, _l("This purchase no longer takes offers."))
    currency = found.round.group.currency
    body = json_body().only("lines", "delivery_fee", "lead_time_days", "valid_until", "note")
    lines: dict[int, quote_domain.LineInput] = {}
    paths: dict[int, str] = {}
    # the round's items are the service's to check (check_offer)
    for entry, item_id in _item_lines(body, ("available", "pack_size", "max_quantity",
                                             "tiers")):
        paths[item_id] = entry.path
        if not entry.flag("available", default=True):
            lines[item_id] = quote_domain.LineInput(available=False)
            continue
        lines[item_id] = quote_domain.LineInput(
            True, entry.number("pack_size", parse_quantity),
            tuple(quote_domain.Tier(*tier) for tier in _tiers(entry, quote_domain.MAX_TIERS)),
            entry.number("max_quantity", parse_quantity))
    offer = quote_domain.OfferInput(
        lines=lines, delivery_fee=body.money("delivery_fee", currency),
        lead_time_days=body.integer("lead_time_days", minimum=-(10**9), maximum=10**9),
        valid_until=body.day("valid_until"),
        note=body.text("note", max_length=quote_domain.MAX_NOTE, multiline=True))
    try:
        revision = quotes.submit_revision(db.session, found, offer,
                                          today=documents.local_today(),
                                          idempotency_key=key, one_offer_per_key=True)
        db.session.commit()
    except quotes.OfferAlreadyReceived as exc:
        if key is None or exc.revision.idempotency_key != key:
            raise
        db.session.rollback()  # sent again with its key: what the first sending made
        revision = exc.revision
    except DomainError as exc:
        _json_fields(exc, paths, {"pack": "pack_size", "tiers": "tiers", "max": "max_quantity"})
        raise
    except IntegrityError:  # the same key at the same moment: the first one counts
        db.session.rollback()
        revision = quotes.offer_by_key(db.session, found, offer, key)  # or OfferKeyTaken
        if revision is None:
            raise
    else:
        return created(represent.revision(revision, currency))
    response = jsonify(represent.revision(revision, currency))
    response.headers["Idempotent-Replayed"] = "true"
    return response


# --------------------------------------------------------------------------
# Savings groups (coop/savings, spec/savings.md): cycles, meetings, passbooks
# --------------------------------------------------------------------------
#
# The treasurer (or an admin) changes; members read. A meeting's entries are
# drafts of the open meeting: they move no money until the close, which
# posts them (once: a second close or reopen is 409) and refuses cash counts
# that differ from what the entries make the bags hold. So the entry
# endpoints take no Idempotency-Key: a line sent twice shows in the meeting
# (GET) and in its expected cash, and is taken back with DELETE before the
# close; nothing of it reaches the books until the key-holders confirm.

SAVINGS = "/groups/<int:group_id>/savings/cycles"
SAVINGS_CYCLE = SAVINGS + "/<int:cycle_id>"
SAVINGS_MEETING = SAVINGS_CYCLE + "/meetings/<int:meeting_id>"
# A service's field as the API's name of it.
SAVINGS_FIELDS = {"member": "member_id", "fine_type": "fine_type_id", "membership":
                  "membership_id", "key_holders": "key_holder_ids", "closing_loan":
                  "closing_loan", "closing_social": "closing_social"}


def _cycle_or_404(cycle_id: int) -> Any:
    cycle = savings_services.get_cycle(db.session, g.group, cycle_id)
    if cycle is None:
        abort(404)
    return cycle


def _meeting_or_404(cycle: Any, meeting_id: int) -> Any:
    meeting = savings_services.get_meeting(db.session, cycle, meeting_id)
    if meeting is None:
        abort(404)
    return meeting


def _sees_all(cycle: Any) -> bool:
    return bool(g.is_treasurer or cycle.members_see_all_lines)


def _own_cycle_member(cycle: Any) -> Any:
    return savings_services.member_of(db.session, cycle, g.membership)


def _savings_field(exc: DomainError, body_fields: tuple[str, ...] = ()) -> DomainError:
    """The service's (or the engine's) field as the client sent it: `member` is
    `member_id`; an engine path (`loans[1].principal`) is the body's field
    (`principal`) when the body has one of that name."""
    name = exc.field or ""
    last = name.rpartition(".")[2]
    if name in SAVINGS_FIELDS:
        exc.field = SAVINGS_FIELDS[name]
    elif last in body_fields:
        exc.field = last
    elif last in SAVINGS_FIELDS and SAVINGS_FIELDS[last] in body_fields:
        exc.field = SAVINGS_FIELDS[last]
    return exc


def _filter_figures(figures: dict[str, Any] | None, mine: str | None, all_lines: bool
                    ) -> dict[str, Any] | None:
    """The engine's figures of a meeting (or a share-out): a member who may not
    see the others' lines gets the totals and her own line only."""
    if figures is None or all_lines:
        return figures
    out = dict(figures)
    for key in ("members", "repayments", "write_offs", "withdrawals"):
        if key in out:
            out[key] = [line for line in out[key]
                        if (line.get("id") if key == "members" else line.get("member")) == mine]
    return out


def _cycle_response(cycle: Any) -> dict[str, Any]:
    currency = g.group.currency
    members = savings_services.cycle_members(db.session, cycle)
    run = savings_services.closed_run(db.session, cycle, g.group)
    all_lines = _sees_all(cycle)
    own = _own_cycle_member(cycle)
    mine = run.ids.get(own.id) if run is not None and own is not None else None
    last = run.result["meetings"][-1] if run is not None else None
    share_out = run.result.get("share_out") if run is not None else None
    return {
        **represent.savings_cycle_summary(cycle, currency),
        "settings": represent.savings_settings(cycle, currency),
        "fine_types": [{"id": t.id, "code": t.code, "name": t.name,
                        "amount": represent.amount(t.default_amount, currency),
                        "to_fund": t.to_fund} for t in cycle.fine_types],
        "members": [represent.savings_member(m) for m in members],
        "key_holders": [{"id": h.id, "membership_id": h.membership_id,
                         "name": h.membership.user.name, "position": h.position}
                        for h in cycle.key_holders],
        "meetings": [represent.savings_meeting_summary(m)
                     for m in savings_services.meetings_of(db.session, cycle)],
        "figures": _filter_figures(last, mine, all_lines),
        "share_out": _filter_figures(share_out, mine, all_lines),
        "social_fund_carried": run.result.get("social_fund_carried") if run else None,
    }


def _meeting_response(cycle: Any, meeting: Any) -> dict[str, Any]:
    """A meeting: what it recorded (with the ids that take a line back), the
    engine's figures after it, and the cash each bag should hold."""
    currency = g.group.currency
    cur = lambda minor: represent.amount(minor, currency)  # noqa: E731
    members = {m.id: m for m in savings_services.cycle_members(db.session, cycle)}
    own = _own_cycle_member(cycle)
    all_lines = _sees_all(cycle)
    visible = lambda member_id: all_lines or (own is not None and own.id == member_id)  # noqa: E731
    entries = savings_services.meeting_entries(db.session, [meeting])
    figures = expected = None
    problem = None
    try:
        run = savings_services.run_cycle(db.session, cycle, g.group, through=meeting.number)
    except DomainError as exc:  # an open meeting whose entries an older closing changed
        run, problem = None, str(exc.message)
    mine = None
    if run is not None:
        mine = run.ids.get(own.id) if own is not None else None
        figures = _filter_figures(run.figures(meeting.number), mine, all_lines)
        bags = savings_services.expected_cash(run, meeting)
        expected = {bag: {"opening": cur(opening), "closing": cur(closing)}
                    for bag, (opening, closing) in bags.items()}
    repayments = {r.cycle_member_id: r.amount for r in entries.repayments[meeting.id]}
    ids = meeting.id
    return {
        **represent.savings_meeting_summary(meeting), "cycle_id": cycle.id,
        "reopened": meeting.reopened, "reopen_reason": meeting.reopen_reason,
        "counts": {name: cur(getattr(meeting, f"{name}_count")) for name in (
            "opening_loan", "opening_social", "closing_loan", "closing_social")},
        "register": [{"member_id": a.cycle_member_id,
                      "passbook_no": members[a.cycle_member_id].passbook_no,
                      "name": members[a.cycle_member_id].name, "status": a.status,
                      "shares": a.shares, "social": cur(a.social),
                      "repayment": cur(repayments.get(a.cycle_member_id, 0))}
                     for a in sorted(entries.attendance[ids],
                                     key=lambda a: members[a.cycle_member_id].passbook_no)
                     if visible(a.cycle_member_id)],
        "fines": [{"id": f.id, "member_id": f.cycle_member_id, "fine_type_id": f.fine_type_id,
                   "type": f.fine_type.code, "amount": cur(f.amount),
                   "paid_at_once": f.paid_at_once}
                  for f in entries.fines[ids] if visible(f.cycle_member_id)],
        "fine_payments": [{"id": f.id, "member_id": f.cycle_member_id,
                           "fine_type_id": f.fine_type_id, "amount": cur(f.amount)}
                          for f in entries.payments[ids] if visible(f.cycle_member_id)],
        "waivers": [{"id": f.id, "member_id": f.cycle_member_id, "fine_type_id": f.fine_type_id,
                     "amount": cur(f.amount), "reason": f.waive_reason}
                    for f in entries.waivers[ids] if visible(f.cycle_member_id)],
        "grants": [{"id": x.id, "member_id": x.cycle_member_id, "amount": cur(x.amount),
                    "reason": x.reason} for x in entries.grants[ids] if visible(x.cycle_member_id)],
        "loans": [{"id": x.id, "member_id": x.cycle_member_id, "number": x.number,
                   "principal": cur(x.principal), "months": x.term_months,
                   "purpose": x.purpose, "state": x.state}
                  for x in entries.loans[ids] if visible(x.cycle_member_id)],
        "write_offs": [{"id": x.id, "member_id": x.cycle_member_id, "reason": x.write_off_reason}
                       for x in entries.write_offs[ids] if visible(x.cycle_member_id)],
        "withdrawals": [{"id": m.id, "member_id": m.id} for m in members.values()
                        if m.withdrawn_meeting_id == ids and visible(m.id)],
        "differences": [{"id": d.id, "bag": d.bag, "amount": cur(d.amount), "reason": d.reason}
                        for d in entries.differences[ids]],
        "share_adjustments": [{"id": c.id, "member_id": c.cycle_member_id, "shares": c.shares,
                               "reason": c.reason} for c in entries.corrections[ids]
                              if c.kind == "shares" and visible(c.cycle_member_id)],
        "interest_waivers": [{"id": c.id, "member_id": c.cycle_member_id,
                              "amount": cur(c.amount), "reason": c.reason}
                             for c in entries.corrections[ids]
                             if c.kind == "interest" and visible(c.cycle_member_id)],
        "figures": figures, "expected_cash": expected, "problem": problem,
    }


def _key_holder_ids(body: Body, name: str = "key_holder_ids") -> list[int]:
    value = body.data.get(name)
    if not isinstance(value, list) or len(value) > 3:
        raise DomainError(_l("Send a list of up to three ids."), field=body.field(name))
    ids = []
    for index, item in enumerate(value):
        if isinstance(item, bool) or not isinstance(item, int) or not 1 <= item <= MAX_ID:
            raise DomainError(_l("Send a whole number here."), field=f"{name}[{index}]")
        ids.append(item)
    return ids


def _cycle_settings(body: Body) -> Any:
    currency = g.group.currency
    defaults = savings_services.CycleSettings(start_date=date.min, share_out_date=date.min,
                                              share_value=0)
    start, end = body.day("start_date"), body.day("share_out_date")
    for name, value in (("start_date", start), ("share_out_date", end)):
        if value is None:
            raise DomainError(_l("This field is needed."), field=name)
    def integer(name: str, lo: int, hi: int) -> int:
        value = body.integer(name, minimum=lo, maximum=hi)
        return getattr(defaults, name) if value is None else value

    fine_types = []
    for entry in body.objects("fine_types", max_items=20):
        entry.only("code", "name", "amount", "to_fund")
        code = entry.text("code", max_length=64, required=True)
        if not FINE_CODE.match(code):
            raise DomainError(_l("Letters, digits, - and _ only."), field=entry.field("code"))
        amount = entry.money("amount", currency, required=True)
        if amount <= 0:
            raise DomainError(_l("A fine is more than zero."), field=entry.field("amount"))
        fine_types.append((code, entry.text("name", max_length=200) or code, amount,
                           entry.choice("to_fund", ("loan", "social"), default="loan")))
    money_or = lambda name: body.money(name, currency,  # noqa: E731
                                       default=getattr(defaults, name))
    return savings_services.CycleSettings(
        start_date=start, share_out_date=end,  # type: ignore[arg-type]
        share_value=body.money("share_value", currency, required=True),
        min_shares=integer("min_shares", 0, 20), max_shares=integer("max_shares", 1, 20),
        social_contribution=money_or("social_contribution"),
        interest_method=body.choice("interest_method", ("flat", "declining"),
                                    default=defaults.interest_method),
        rate_bp=integer("rate_bp", 0, 2000), loan_multiple=integer("loan_multiple", 1, 1000),
        max_term_months=integer("max_term_months", 1, 12),
        loan_unit=money_or("loan_unit"), payout_unit=money_or("payout_unit"),
        confirm_loans_above=money_or("confirm_loans_above"),
        confirmations_required=integer("confirmations_required", 1, 3),
        withdrawal_rule=body.choice("withdrawal_rule", ("savings_only", "with_profit"),
                                    default=defaults.withdrawal_rule),
        members_see_all_lines=body.flag("members_see_all_lines",
                                        default=defaults.members_see_all_lines),
        fine_types=fine_types)


FINE_CODE = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
SETTINGS_FIELDS = ("start_date", "share_out_date", "share_value", "min_shares", "max_shares",
                   "social_contribution", "interest_method", "rate_bp", "loan_multiple",
                   "max_term_months", "loan_unit", "payout_unit", "confirm_loans_above",
                   "confirmations_required", "withdrawal_rule", "members_see_all_lines",
                   "fine_types")


@api_route(SAVINGS, summary="The group's savings cycles, newest first", tags=["savings"],
           response="SavingsCycleSummary", paginated=True, errors=(404,))
@group_view()
def savings_cycles(group_id: int):  # type: ignore[no-untyped-def]
    currency = g.group.currency
    return jsonify(paginate(savings_services.cycles(db.session, g.group),
                            lambda c: represent.savings_cycle_summary(c, currency)))


@api_route(SAVINGS, "POST", summary="Set up a new savings cycle (treasurer)", tags=["savings"],
           body="NewSavingsCycle", response="SavingsCycle", status=201,
           errors=(403, 404, 413, 415, 422),
           description="A draft: enrol its members, choose three key-holders, then activate "
                       "it. Money as decimal strings; `rate_bp` is the monthly rate in basis "
                       "points (500 = 5 %). The settings are fixed once the cycle runs.")
@group_view(treasurer=True)
def create_savings_cycle(group_id: int):  # type: ignore[no-untyped-def]
    body = json_body().only(*SETTINGS_FIELDS)
    try:
        cycle = savings_services.create_cycle(db.session, g.group, _cycle_settings(body),
                                              current_user)
    except DomainError as exc:
        raise _savings_field(exc, SETTINGS_FIELDS) from None
    db.session.commit()
    return created(_cycle_response(cycle))


@api_route(SAVINGS_CYCLE, summary="A savings cycle: settings, members, key-holders, meetings "
           "and its figures after the last closed meeting", tags=["savings"],
           response="SavingsCycle", errors=(404,),
           description="`figures` are the engine's (spec/savings-preview.md, a meeting of its "
                       "result) after the last closed meeting, null before; `share_out` once "
                       "shared out. A member sees every member's line unless the cycle's "
                       "`members_see_all_lines` is false; then only her own.")
@group_view()
def savings_cycle(group_id: int, cycle_id: int):  # type: ignore[no-untyped-def]
    return jsonify(_cycle_response(_cycle_or_404(cycle_id)))


@api_route(SAVINGS_CYCLE + "/members", "POST", summary="Enrol a member of the group in the "
           "cycle (treasurer)", tags=["savings"], body="NewSavingsMember",
           response="SavingsMember", status=201, errors=(403, 404, 409, 413, 415, 422),
           description="She gets the next passbook number; joining a running cycle, she takes "
                       "part from its next meeting.")
@group_view(treasurer=True)
def enrol_savings_member(group_id: int, cycle_id: int):  # type: ignore[no-untyped-def]
    cycle = _cycle_or_404(cycle_id)
    body = json_body().only("membership_id")
    membership_id = body.integer("membership_id", minimum=1, maximum=MAX_ID, required=True)
    membership = db.session.get(Membership, membership_id)
    if membership is None or membership.group_id != g.group.id:
        raise DomainError(_l("She is not an active member of this group."),
                          field="membership_id")
    try:
        member = savings_services.enrol(db.session, cycle, membership)
    except DomainError as exc:
        raise _savings_field(exc) from None
    db.session.commit()
    return created(represent.savings_member(member))


@api_route(SAVINGS_CYCLE + "/key-holders", "PUT", summary="Choose the cycle's three "
           "key-holders (treasurer)", tags=["savings"], body="SavingsKeyHolders",
           response="SavingsCycle", errors=(403, 404, 409, 413, 415, 422),
           description="Three different members of the cycle (by membership id), none a "
                       "treasurer; fixed once the cycle runs.")
@group_view(treasurer=True)
def set_savings_key_holders(group_id: int, cycle_id: int):  # type: ignore[no-untyped-def]
    cycle = _cycle_or_404(cycle_id)
    body = json_body().only("membership_ids")
    ids = _key_holder_ids(body, "membership_ids")
    try:
        savings_services.set_key_holders(db.session, cycle, ids)
    except DomainError as exc:
        if exc.field == "key_holders":
            exc.field = "membership_ids"
        raise
    db.session.commit()
    return jsonify(_cycle_response(cycle))


@api_route(SAVINGS_CYCLE + "/activate", "POST", summary="Start the cycle (treasurer)",
           tags=["savings"], body="SavingsActivate", response="SavingsCycle",
           errors=(403, 404, 409, 413, 415, 422),
           description="Two members at least and three key-holders; its settings are fixed "
                       "from now on. One cycle of a group runs at a time (409). A cycle "
                       "adopted mid-way (opening balances entered on its page) starts with "
                       "the bags as counted and the key-holders who confirm the count.")
@group_view(treasurer=True)
def activate_savings_cycle(group_id: int, cycle_id: int):  # type: ignore[no-untyped-def]
    cycle = _cycle_or_404(cycle_id)
    body = json_body().only("counted_loan", "counted_social", "key_holder_ids")
    counted = {name: body.money(name, g.group.currency) if name in body.data else None
               for name in ("counted_loan", "counted_social")}
    key_holders = _key_holder_ids(body) if "key_holder_ids" in body.data else []
    try:
        savings_services.activate(db.session, cycle, g.group,
                                  counted_loan=counted["counted_loan"],
                                  counted_social=counted["counted_social"],
                                  key_holder_ids=key_holders, actor=current_user,
                                  actor_membership=g.membership)
    except DomainError as exc:
        raise _savings_field(exc, SETTINGS_FIELDS) from None
    except IntegrityError:  # another cycle activated at the same moment
        db.session.rollback()
        raise Problem(409, _l("Another cycle of this group is running; share it out "
                              "first.")) from None
    db.session.commit()
    return jsonify(_cycle_response(cycle))


@api_route(SAVINGS_CYCLE + "/meetings", "POST", summary="Open the next meeting (treasurer)",
           tags=["savings"], body="NewSavingsMeeting", response="SavingsMeeting", status=201,
           errors=(403, 404, 409, 413, 415, 422),
           description="Its register lists every member absent until the roll call. "
                       "`kind` share_out opens the share-out meeting (no loans at it). One "
                       "meeting is open at a time (409).")
@group_view(treasurer=True)
def open_savings_meeting(group_id: int, cycle_id: int):  # type: ignore[no-untyped-def]
    cycle = _cycle_or_404(cycle_id)
    body = json_body().only("date", "kind")
    day = body.day("date")
    if day is None:
        raise DomainError(_l("This field is needed."), field="date")
    kind = body.choice("kind", ("regular", "share_out"), default="regular")
    try:
        meeting = savings_services.open_meeting(db.session, cycle, g.group, day=day, kind=kind,
                                                actor=current_user)
    except IntegrityError:  # another meeting opened at the same moment
        db.session.rollback()
        raise Problem(409, _l("Another meeting of this cycle is open; close it "
                              "first.")) from None
    db.session.commit()
    return created(_meeting_response(cycle, meeting))


@api_route(SAVINGS_MEETING, summary="A meeting: its register and entries, the engine's "
           "figures after it, and the cash each bag should hold", tags=["savings"],
           response="SavingsMeeting", errors=(404,),
           description="Each entry has the id that takes it back (DELETE …/<kind>/<id>) while "
                       "the meeting is open. `figures` is the engine's meeting "
                       "(spec/savings-preview.md) with this meeting's entries; "
                       "`expected_cash` per bag at the opening and the close.")
@group_view()
def savings_meeting(group_id: int, cycle_id: int, meeting_id: int):  # type: ignore[no-untyped-def]
    cycle = _cycle_or_404(cycle_id)
    return jsonify(_meeting_response(cycle, _meeting_or_404(cycle, meeting_id)))


@api_route(SAVINGS_MEETING + "/register", "PUT", summary="Save lines of the register: roll "
           "call, shares bought, social contribution, repayment (treasurer)", tags=["savings"],
           body="SavingsRegister", response="SavingsMeeting",
           errors=(403, 404, 409, 413, 415, 422),
           description="Each line replaces that member's line; members not listed keep "
                       "theirs. The whole cycle is checked again: a line the rules refuse "
                       "(more shares than allowed, a repayment above what she owes) is 422 "
                       "and nothing is saved.")
@group_view(treasurer=True)
def save_savings_register(group_id: int, cycle_id: int, meeting_id: int):  # type: ignore[no-untyped-def]
    cycle = _cycle_or_404(cycle_id)
    meeting = _meeting_or_404(cycle, meeting_id)
    body = json_body().only("lines")
    currency = g.group.currency
    lines, paths = [], {}
    for entry in body.objects("lines", required=True, max_items=MAX_SAVINGS_MEMBERS):
        entry.only("member_id", "status", "shares", "social", "repayment")
        member_id = entry.integer("member_id", minimum=1, maximum=MAX_ID, required=True) or 0
        if member_id in paths:
            raise DomainError(_l("This member is listed twice."), field=entry.field("member_id"))
        paths[member_id] = entry.path
        status = entry.choice("status", ("present", "represented", "absent"))
        lines.append(savings_services.RegisterLine(
            member_id, status, shares=entry.integer("shares", minimum=0, maximum=20) or 0,
            social=entry.flag("social", default=status != "absent"),
            repayment=entry.money("repayment", currency)))
    try:
        savings_services.save_register(db.session, meeting, g.group, lines)
    except DomainError as exc:
        raise _register_field(exc, cycle, meeting, paths) from None
    db.session.commit()
    return jsonify(_meeting_response(cycle, meeting))


MAX_SAVINGS_MEMBERS = 100


def _register_field(exc: DomainError, cycle: Any, meeting: Any,
                    paths: dict[int, str]) -> DomainError:
    """The line the client sent (`lines[1].shares`) for the engine's path: it
    names a member's shares by her place among the members (`shares[3]`) and a
    repayment by its place in the meeting (`repayments[0].amount`). The
    refused save is still in the session here (rolled back after)."""
    name = exc.field or ""
    member_id = None
    if name.startswith("shares[") and name.endswith("]"):
        taking_part = [m.id for m in savings_services.cycle_members(db.session, cycle)
                       if m.joined_meeting_no <= meeting.number]
        index = int(name[len("shares["):-1])
        member_id, part = (taking_part[index] if index < len(taking_part) else None), "shares"
    elif name.startswith("repayments["):
        index = int(name[len("repayments["):name.index("]")])
        repayments = savings_services.meeting_entries(db.session, [meeting]).repayments[meeting.id]
        member_id = repayments[index].cycle_member_id if index < len(repayments) else None
        part = "repayment"
    elif name in ("member", "status", "shares", "repayment"):
        entries = savings_services.meeting_entries(db.session, [meeting])
        registered = {a.cycle_member_id for a in entries.attendance[meeting.id]}
        member_id = next((i for i in paths if i not in registered), None)
        part = "member_id" if member_id is not None else name
    if member_id in paths:
        exc.field = f"{paths[member_id]}.{part}"
    return exc


def _entry_reader(kind: str) -> tuple[tuple[str, ...], Callable[..., Any]]:
    """The fields of an entry of this kind and the service that adds it."""
    s = savings_services
    member = lambda body: body.integer("member_id", minimum=1, maximum=MAX_ID,  # noqa: E731
                                       required=True) or 0
    fine_type = lambda body: body.integer("fine_type_id", minimum=1,  # noqa: E731
                                          maximum=MAX_ID, required=True) or 0
    reason = lambda body: body.text("reason", max_length=500, required=True)  # noqa: E731
    cur = lambda: g.group.currency  # noqa: E731
    readers: dict[str, tuple[tuple[str, ...], Callable[..., Any]]] = {
        "fine": (("member_id", "fine_type_id", "amount", "paid"), lambda m, b: s.add_fine(
            db.session, m, g.group, member_id=member(b), fine_type_id=fine_type(b),
            amount=b.money("amount", cur()) if "amount" in b.data else None,
            paid=b.flag("paid", default=False))),
        "fine_payment": (("member_id", "fine_type_id"), lambda m, b: s.pay_fine(
            db.session, m, g.group, member_id=member(b), fine_type_id=fine_type(b))),
        "waiver": (("member_id", "fine_type_id", "reason"), lambda m, b: s.waive_fine(
            db.session, m, g.group, member_id=member(b), fine_type_id=fine_type(b),
            reason=reason(b))),
        "grant": (("member_id", "amount", "reason"), lambda m, b: s.add_grant(
            db.session, m, g.group, member_id=member(b),
            amount=b.money("amount", cur(), required=True), reason=reason(b))),
        "loan": (("member_id", "principal", "months", "purpose"), lambda m, b: s.add_loan(
            db.session, m, g.group, member_id=member(b),
            principal=b.money("principal", cur(), required=True),
            months=b.integer("months", minimum=1, maximum=12, required=True),
            purpose=b.text("purpose", max_length=500))),
        "write_off": (("member_id", "reason"), lambda m, b: s.add_write_off(
            db.session, m, g.group, member_id=member(b), reason=reason(b))),
        "withdrawal": (("member_id",), lambda m, b: s.add_withdrawal(
            db.session, m, g.group, member_id=member(b))),
        "share_adjustment": (("member_id", "shares", "reason"), lambda m, b: s.add_share_adjustment(
            db.session, m, g.group, member_id=member(b),
            shares=b.integer("shares", minimum=-1000, maximum=1000, required=True) or 0,
            reason=reason(b))),
        "interest_waiver": (("member_id", "amount", "reason"), lambda m, b: s.add_interest_waiver(
            db.session, m, g.group, member_id=member(b),
            amount=b.money("amount", cur(), required=True), reason=reason(b))),
        "difference": (("bag", "amount", "reason"), lambda m, b: s.add_difference(
            db.session, m, g.group, bag=b.choice("bag", ("loan", "social")),
            amount=b.number("amount", lambda d: money.parse_amount(
                d, cur(), allow_negative=True), required=True),
            reason=reason(b))),
    }
    return readers[kind]


# kind of entry: (its path, its body's schema, what it is)
SAVINGS_ENTRIES = {
    "fine": ("fines", "NewSavingsFine", "Impose a fine (paid at once, or due)"),
    "fine_payment": ("fine-payments", "NewSavingsFinePayment",
                     "Record the payment of her earliest fine of this kind still due"),
    "waiver": ("waivers", "NewSavingsWaiver", "Waive her earliest fine of this kind still due"),
    "grant": ("grants", "NewSavingsGrant", "A grant from the social fund"),
    "loan": ("loans", "NewSavingsLoan", "A new loan from the loan bag"),
    "write_off": ("write-offs", "NewSavingsWriteOff", "Write off her loan"),
    "withdrawal": ("withdrawals", "NewSavingsWithdrawal",
                   "She leaves the cycle, paid out at this meeting"),
    "difference": ("differences", "NewSavingsDifference",
                   "A cash difference found in a bag (counted − expected), with its reason"),
    "share_adjustment": ("share-adjustments", "NewSavingsShareAdjustment",
                         "Correct her shares for an older meeting's mistake (more, or fewer: "
                         "negative); two key-holders confirm at the close"),
    "interest_waiver": ("interest-waivers", "NewSavingsInterestWaiver",
                        "Waive part of the interest charged on her loan and not yet paid; two "
                        "key-holders confirm at the close"),
}


def _add_entry_view(kind: str) -> Callable[..., Any]:
    path, schema, what = SAVINGS_ENTRIES[kind]

    def view(group_id: int, cycle_id: int, meeting_id: int):  # type: ignore[no-untyped-def]
        cycle = _cycle_or_404(cycle_id)
        meeting = _meeting_or_404(cycle, meeting_id)
        fields, add = _entry_reader(kind)
        body = json_body().only(*fields)
        try:
            add(meeting, body)
        except DomainError as exc:
            raise _savings_field(exc, fields) from None
        db.session.commit()
        return created(_meeting_response(cycle, meeting))

    view.__name__ = f"add_savings_{kind}"
    view = group_view(treasurer=True)(view)
    return api_route(
        f"{SAVINGS_MEETING}/{path}", "POST", summary=f"{what} (treasurer)", tags=["savings"],
        body=schema, response="SavingsMeeting", status=201,
        errors=(403, 404, 409, 413, 415, 422),
        description="A line of the open meeting, checked with the whole cycle by the engine "
                    "(422 naming the field, nothing saved); it moves money when the meeting "
                    "closes. No Idempotency-Key: a line sent twice shows in the meeting and "
                    "in its expected cash, and is taken back with DELETE before the close.",
    )(view)


def _remove_entry_view(kind: str) -> Callable[..., Any]:
    path, _schema, what = SAVINGS_ENTRIES[kind]

    def view(group_id: int, cycle_id: int, meeting_id: int, entry_id: int):  # type: ignore[no-untyped-def]
        cycle = _cycle_or_404(cycle_id)
        meeting = _meeting_or_404(cycle, meeting_id)
        try:
            savings_services.remove_entry(db.session, meeting, g.group, kind=kind,
                                          entry_id=entry_id)
        except savings_services.Conflict:
            raise
        except DomainError as exc:
            if exc.field is None:  # no such line at this meeting
                raise Problem(404, exc.message) from None
            raise
        db.session.commit()
        return jsonify(_meeting_response(cycle, meeting))

    view.__name__ = f"remove_savings_{kind}"
    view = group_view(treasurer=True)(view)
    return api_route(
        f"{SAVINGS_MEETING}/{path}/<int:entry_id>", "DELETE",
        summary=f"Take back: {what[0].lower()}{what[1:]} (treasurer)", tags=["savings"],
        response="SavingsMeeting", errors=(403, 404, 409, 422),
        description="Only while the meeting is open (409 once closed); 404 when the meeting "
                    "has no such line.")(view)


for _kind in SAVINGS_ENTRIES:
    _add_entry_view(_kind)
    _remove_entry_view(_kind)


@api_route(SAVINGS_MEETING + "/close", "POST", summary="Close the meeting: the counts, the "
           "key-holders' confirmation, every movement posted (treasurer)", tags=["savings"],
           body="SavingsClose", response="SavingsMeeting",
           errors=(403, 404, 409, 413, 415, 422),
           description="The counted cash of each bag must be what the books expect "
                       "(`expected_cash`), else record the difference first (422 naming "
                       "closing_loan or closing_social); so must an opening count when one "
                       "is sent, unless a difference of its bag is recorded at the meeting "
                       "(422 naming opening_loan or opening_social). Closing the share-out "
                       "meeting confirms the share-out and closes the cycle. Sent twice: the "
                       "second is 409, and the books hold the meeting once.")
@group_view(treasurer=True)
def close_savings_meeting(group_id: int, cycle_id: int, meeting_id: int):  # type: ignore[no-untyped-def]
    cycle = _cycle_or_404(cycle_id)
    meeting = _meeting_or_404(cycle, meeting_id)
    body = json_body().only("opening_loan", "opening_social", "closing_loan",
                            "closing_social", "key_holder_ids")
    currency = g.group.currency
    opening = {name: body.money(name, currency) if name in body.data else None
               for name in ("opening_loan", "opening_social")}
    counts = savings_services.Counts(
        opening["opening_loan"], opening["opening_social"],
        body.money("closing_loan", currency, required=True),
        body.money("closing_social", currency, required=True))
    key_holders = _key_holder_ids(body)
    try:
        savings_services.close_meeting(db.session, meeting, g.group, counts=counts,
                                       key_holder_ids=key_holders, actor=current_user,
                                       actor_membership=g.membership)
    except DomainError as exc:
        raise _savings_field(exc) from None
    except IntegrityError:  # the share-out or a confirmation recorded at the same moment
        db.session.rollback()
        raise Problem(409, _l("Meeting %(number)s is already closed.",
                              number=meeting.number)) from None
    db.session.commit()
    return jsonify(_meeting_response(cycle, meeting))


@api_route(SAVINGS_MEETING + "/reopen", "POST", summary="Reopen the last closed meeting to "
           "correct it (treasurer, with the key-holders)", tags=["savings"],
           body="SavingsReopen", response="SavingsMeeting",
           errors=(403, 404, 409, 413, 415, 422),
           description="Every posting it made is reversed (both stay in the books); its "
                       "entries are drafts again. Only the last meeting of a running cycle "
                       "(409 otherwise). Sent twice: the second is 409.")
@group_view(treasurer=True)
def reopen_savings_meeting(group_id: int, cycle_id: int, meeting_id: int):  # type: ignore[no-untyped-def]
    cycle = _cycle_or_404(cycle_id)
    meeting = _meeting_or_404(cycle, meeting_id)
    body = json_body().only("reason", "key_holder_ids")
    reason = body.text("reason", max_length=500, required=True)
    key_holders = _key_holder_ids(body)
    try:
        savings_services.reopen_meeting(db.session, meeting, g.group, reason=reason,
                                        key_holder_ids=key_holders, actor=current_user,
                                        actor_membership=g.membership)
    except DomainError as exc:
        raise _savings_field(exc) from None
    except IntegrityError:
        db.session.rollback()
        raise Problem(409, _l("Meeting %(number)s is open already.",
                              number=meeting.number)) from None
    db.session.commit()
    return jsonify(_meeting_response(cycle, meeting))


@api_route(SAVINGS_CYCLE + "/members/<int:member_id>/passbook", summary="A member's passbook: "
           "her line at every closed meeting and her loans", tags=["savings"],
           response="SavingsPassbook", errors=(404,),
           description="`lines` are the engine's member lines (spec/savings-preview.md, "
                       "meetings[k].members[j]) at each closed meeting; `loans` hers with "
                       "their installments. A member opens her own; another's only when the "
                       "cycle's `members_see_all_lines` is true.")
@group_view()
def savings_passbook(group_id: int, cycle_id: int, member_id: int):  # type: ignore[no-untyped-def]
    cycle = _cycle_or_404(cycle_id)
    member = savings_services.get_member(db.session, cycle, member_id)
    own = _own_cycle_member(cycle)
    if member is None or not (_sees_all(cycle) or (own is not None and own.id == member.id)):
        abort(404)
    run = savings_services.closed_run(db.session, cycle, g.group)
    lines: list[dict[str, Any]] = []
    loans: list[dict[str, Any]] = []
    if run is not None and member.id in {m.id for m in run.members}:
        name = run.ids[member.id]
        j = run.member_index(name)
        for k, meeting in enumerate(run.result["meetings"], start=1):
            line = meeting["members"][j]
            lines.append({**line, "meeting": k, "date": meeting["date"],
                          "meeting_id": run.meetings[k - 1].id})
        loans = [loan for loan in run.result["loans"] if loan["member"] == name]
    return jsonify({**represent.savings_member(member), "cycle_id": cycle.id,
                    "currency": g.group.currency,
                    "share_value": represent.amount(cycle.share_value, g.group.currency),
                    "lines": lines, "loans": loans})
# The season's routes (coop/season/api.py) join this blueprint here.
from coop.season import api as _season_api  # noqa: E402,F401
