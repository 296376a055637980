"""JSON API, /api/v1. Calls the same services, with the same access checks, as
the pages; only the way in (JSON, decimal strings) and out (JSON, problem+json)
differs. The OpenAPI document (coop.api.openapi) describes every route here:
each is declared with `api_route`, which records its description."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from datetime import datetime, time, timedelta
from typing import Any, Literal

from flask import Blueprint, Response, abort, current_app, g, jsonify, request
from flask_babel import gettext, refresh, to_utc
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from coop import savings, units
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
from coop.security import MAX_ID
from coop.suppliers import domain as catalog
from coop.suppliers import services as suppliers
from coop.suppliers.access import supplier_in_group

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
                              ("retail_price", parse_price, price_str)):
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
                       "nothing (`added` is 0).")
@group_view(treasurer=True)
def record_delivery(group_id: int, round_id: int):  # type: ignore[no-untyped-def]
    rnd = _round_or_404(round_id)
    key = inputs.idempotency_key() if request.headers.get(inputs.IDEMPOTENCY_KEY) else None
    body = json_body().only("lines", "delivered_on", "note")
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
                                       idempotency_key=key)
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
           description="Send a unique Idempotency-Key: the same payment sent again with the "
                       "same key is recorded once (200, the first one); the key sent with a "
                       "different payment is refused (422).")
@group_view(treasurer=True)
def record_payment(group_id: int, membership_id: int):  # type: ignore[no-untyped-def]
    member = member_in_group(g.group, membership_id)
    key = inputs.idempotency_key()
    body = json_body().only("amount", "method", "reference")
    currency = g.group.currency
    amount = body.money("amount", currency, required=True)
    method = body.choice("method", PAYMENT_METHODS)
    reference = body.text("reference", max_length=120)
    payment = ledger.payment_by_key(db.session, g.group.id, key)
    if payment is None:
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
                       "refused (422) unless `beyond_owed` is true. Send a unique "
                       "Idempotency-Key: the same payment sent again with the same key is "
                       "recorded once (200, the first one); the key sent with a different "
                       "payment is refused (422).")
@group_view(treasurer=True)
def pay_supplier(group_id: int, supplier_id: int):  # type: ignore[no-untyped-def]
    supplier = supplier_in_group(g.group, supplier_id)
    key = inputs.idempotency_key()
    body = json_body().only("amount", "method", "reference", "round_id", "beyond_owed")
    currency = g.group.currency
    amount = body.money("amount", currency, required=True)
    method = body.choice("method", PAYMENT_METHODS)
    reference = body.text("reference", max_length=120)
    round_id = body.integer("round_id", minimum=1, maximum=MAX_ID)
    beyond_owed = body.flag("beyond_owed", default=False)
    payment = payables.payment_by_key(db.session, g.group.id, key)
    if payment is None:
        try:
            payment, new = payables.pay_supplier(
                db.session, supplier, amount=amount, method=method, reference=reference,
                idempotency_key=key, actor=current_user, round_id=round_id,
                beyond_owed=beyond_owed)
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
    response = Response(documents.document_bytes(found), mimetype="application/pdf")
    response.headers["Content-Disposition"] = f'inline; filename="{found.filename}"'
    response.headers["Cache-Control"] = "private, no-store"
    response.set_etag(found.sha256)
    return response


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
    mine = sales.member_lot_ids(db.session, g.membership) if g.membership else set()
    paid = {p.lot_id: p.amount for p in sales.member_payouts(db.session, g.membership)} \
        if g.membership else {}
    return jsonify({
        **represent.lot(lot, contributed=lot.id in mine, payout=paid.get(lot.id)),
        "closed": lot.state == sales.CLOSED,
        "stock": [represent.stock(row) for row in sales.lot_stock(db.session, lot)],
        "contributions": [represent.contribution(entry) for entry in entries],
        "payouts": payouts})


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
           token=True, errors=(404, 409, 410, 413, 415, 422),
           description="Products not listed are not in the offer. Earlier revisions stay "
                       "as they were.")
def submit_quote(token: str):  # type: ignore[no-untyped-def]
    found = _open_quote(token)
    if not quotes.can_answer(found):
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
                                          today=documents.local_today())
    except DomainError as exc:
        _json_fields(exc, paths, {"pack": "pack_size", "tiers": "tiers", "max": "max_quantity"})
        raise
    db.session.commit()
    return created(represent.revision(revision, currency))


# The season's routes (coop/season/api.py) join this blueprint here.
from coop.season import api as _season_api  # noqa: E402,F401
