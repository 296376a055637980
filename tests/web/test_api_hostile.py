"""Hostile input on the API: text in numbers, huge and negative numbers, NUL
bytes, lone surrogates, 10 MB and deeply nested bodies, direction overrides
and letters buried in accents. Each gets a 4xx problem+json naming what is
wrong, never a 500, and nothing is written."""

from __future__ import annotations

import json
from types import SimpleNamespace
from typing import Any

import pytest
from flask.testing import FlaskClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from coop.auth.models import User
from coop.groups.models import Membership
from coop.ledger.models import Payment, Posting
from coop.orders import services as orders
from coop.orders.models import Request
from coop.suppliers.models import Product
from tests.factories import make_api_token, make_catalog, make_group, make_member

API = "/api/v1"


@pytest.fixture()
def world(session: Session) -> SimpleNamespace:
    group = make_group(session)
    treasurer = make_member(session, group, "Майрам", role="treasurer")
    aigul = make_member(session, group, "Айгүл")
    products = make_catalog(session, group)
    rnd = orders.create_round(session, group, treasurer.user, title="Весна", deadline=None,
                              product_ids=[p.id for p in products])
    orders.move_round(session, rnd, treasurer.user, "open")
    token = make_api_token(session, treasurer.user)
    session.commit()
    g = f"{API}/groups/{group.id}"
    return SimpleNamespace(
        group=group, aigul=aigul, rnd=rnd, products=products,
        headers={"Authorization": f"Bearer {token}"},
        members=f"{g}/members", order=f"{g}/rounds/{rnd.id}/orders/{aigul.id}",
        payments=f"{g}/accounts/{aigul.id}/payments",
        products_url=f"{g}/suppliers/{products[0].supplier_id}/products")


def counts(session: Session) -> tuple[int, ...]:
    session.expire_all()
    return tuple(session.scalar(select(func.count()).select_from(model)) or 0
                 for model in (User, Membership, Request, Payment, Posting, Product))


def refused(response: Any, status: int = 422, field: str | None = None) -> dict[str, Any]:
    assert response.status_code == status, response.get_data(as_text=True)[:400]
    assert response.mimetype == "application/problem+json"
    body = response.get_json()
    assert body["status"] == status and body["detail"]
    if field is not None:
        assert body.get("field") == field, body
    return body


def pay(client: FlaskClient, world: SimpleNamespace, body: Any, **headers: str):  # type: ignore[no-untyped-def]
    return client.post(world.payments, json=body, headers={
        **world.headers, "Idempotency-Key": "hostile-payment-0001", **headers})


def order(client: FlaskClient, world: SimpleNamespace, quantity: Any, **line: Any):  # type: ignore[no-untyped-def]
    return client.put(world.order, headers=world.headers, json={"lines": [
        {"item_id": world.rnd.items[0].id, "quantity": quantity, **line}]})


def test_text_in_numbers(client: FlaskClient, session: Session, world) -> None:  # type: ignore[no-untyped-def]
    before = counts(session)
    for amount in ("abc", "12,50", "1e3", "0x10", "١٢٣", "12.5.0", " 12", "", "NaN", "∞"):
        refused(pay(client, world, {"amount": amount, "method": "cash"}), field="amount")
    for amount in (12.5, 12, True, None, ["1"], {"v": "1"}):
        refused(pay(client, world, {"amount": amount, "method": "cash"}), field="amount")
    for quantity in ("two", "1/2", "2.5kg", 3, 2.5):
        refused(order(client, world, quantity), field="lines[0].quantity")
    refused(order(client, world, "1", item_id="7"), field="lines[0].item_id")
    refused(order(client, world, "1", item_id=1.0), field="lines[0].item_id")
    refused(client.get(f"{world.members}?page=x", headers=world.headers), field="page")
    assert counts(session) == before


def test_huge_numbers(client: FlaskClient, session: Session, world) -> None:  # type: ignore[no-untyped-def]
    before = counts(session)
    for amount in ("9" * 13, "1000000000000", "9" * 39, "9" * 41, "1" + "0" * 400):
        body = refused(pay(client, world, {"amount": amount, "method": "cash"}), field="amount")
        assert "large" in body["detail"]
    refused(order(client, world, "9" * 30), field="lines[0].quantity")
    refused(order(client, world, "1", item_id=2**64), field="lines[0].item_id")
    refused(order(client, world, "1", tolerance="0.0001"), field="lines[0].tolerance")
    refused(client.put(world.order, headers=world.headers, content_type="application/json",
                       data='{"lines": [{"item_id": ' + "9" * 5000 + ', "quantity": "1"}]}'),
            field="body")
    refused(client.post(world.payments, headers={**world.headers,
                                                 "Idempotency-Key": "hostile-payment-0002"},
                        content_type="application/json",
                        data='{"amount": 1e999, "method": "cash"}'), field="amount")
    for url in (f"{API}/groups/{2**63}", f"{API}/groups/{10**30}/members",
                f"{API}/groups/{world.group.id}/rounds/{10**25}"):
        refused(client.get(url, headers=world.headers), 404)
    assert counts(session) == before


def test_negative_amounts_and_quantities(client: FlaskClient, session: Session, world) -> None:  # type: ignore[no-untyped-def]
    before = counts(session)
    for amount in ("-5", "-0.01", "0", "0.00", "-1e3"):
        refused(pay(client, world, {"amount": amount, "method": "cash"}), field="amount")
    refused(order(client, world, "-1"), field="lines[0].quantity")
    refused(order(client, world, "1", tolerance="-2"), field="lines[0].tolerance")
    refused(client.post(world.products_url, headers=world.headers, json={
        "name": "Лук", "unit": "kg", "tiers": [{"min_qty": "0", "unit_price": "-1"}]}),
        field="tiers[0].unit_price")
    refused(client.get(f"{world.members}?per_page=-5", headers=world.headers), field="per_page")
    assert counts(session) == before


def test_nul_bytes_and_control_characters(client: FlaskClient, session: Session, world) -> None:  # type: ignore[no-untyped-def]
    before = counts(session)
    for name in ("Ай\x00гүл", "\x00", "Айгүл\x1b[31m", "A\x7fB", "A\nB", "Lone \ud800 surrogate"):
        body = refused(client.post(world.members, headers=world.headers, json={"name": name}),
                       field="name")
        assert "control characters" in body["detail"]
    refused(pay(client, world, {"amount": "10", "method": "cash", "reference": "MB\x00-1"}),
            field="reference")
    refused(pay(client, world, {"amount": "10", "method": "cash\x00"}), field="method")
    refused(pay(client, world, {"amount": "1\x000", "method": "cash"}), field="amount")
    refused(client.post(world.members, headers=world.headers,
                        json={"name\x00": "x", "name": "Айгүл"}), field="name\\x00")
    refused(pay(client, world, {"amount": "10", "method": "cash"},
                **{"Idempotency-Key": "key-with-nul\x00-0000000"}), 400, "Idempotency-Key")
    refused(client.get(f"{API}/quotes/%00%00", headers=world.headers), 404)
    refused(client.get(f"{world.members}?page=1%00", headers=world.headers), field="page")
    # a path no route matches, with a NUL in its query: still problem+json
    refused(client.get(f"{API}/groups/-12/accounts/8/documents?x%00=1", headers=world.headers),
            field="x\\x00")
    assert counts(session) == before


def test_bodies_that_are_too_large_malformed_or_not_json(client: FlaskClient, session: Session,
                                                        world) -> None:  # type: ignore[no-untyped-def]
    before = counts(session)
    ten_mb = b'{"name": "' + b"A" * (10 * 1024 * 1024) + b'"}'
    refused(client.post(world.members, headers=world.headers, data=ten_mb,
                        content_type="application/json"), 413)
    for data in (b"[" * 100_000 + b"]" * 100_000, b'{"name": ' * 50_000, b"{not json",
                 b'{"name": "\xff\xfe"}', b"", b'{"name": NaN}', b'{"name": Infinity}'):
        refused(client.post(world.members, headers=world.headers, data=data,
                            content_type="application/json"), field="body")
    for data in ('["Айгүл"]'.encode(), '"Айгүл"'.encode(), b"null", b"42"):
        refused(client.post(world.members, headers=world.headers, data=data,
                            content_type="application/json"), field="body")
    for content_type in ("text/plain", "application/x-www-form-urlencoded",
                         "multipart/form-data; boundary=x", "application/jsonx"):
        refused(client.post(world.members, headers=world.headers, content_type=content_type,
                            data=json.dumps({"name": "Айгүл"})), 415, "Content-Type")
    refused(client.post(world.members, headers=world.headers, json={"nmae": "Айгүл"}),
            field="nmae")
    refused(client.put(world.order, headers=world.headers, json={"lines": [
        {"item_id": world.rnd.items[0].id, "quantity": "1"}] * 2}), field="lines[1].item_id")
    refused(client.put(world.order, headers=world.headers, json={"lines": ["1"] * 501}),
            field="lines")
    refused(client.put(world.order, headers=world.headers, json={"lines": "all"}), field="lines")
    assert counts(session) == before


def test_direction_overrides_and_buried_accents(client: FlaskClient, session: Session,
                                               world) -> None:  # type: ignore[no-untyped-def]
    before = counts(session)
    for name in ("Айгүл\u202eлүгйА", "\u2067Айгүл\u2069", "Ai\u200fgul",
                 "\u0301Айгүл", "Ай" + "\u0301" * 6 + "гүл"):
        refused(client.post(world.members, headers=world.headers, json={"name": name}),
                field="name")
    assert counts(session) == before
    # right-to-left letters are letters, and accents typed apart are joined (NFC)
    for name, stored in (("فرنگیس عظیمووا", "فرنگیس عظیمووا"), ("Гүлзи\u0306на", "Гүлзйна"),
                         ("Шаҳло Қодирова", "Шаҳло Қодирова")):
        made = client.post(world.members, headers=world.headers, json={"name": name})
        assert made.status_code == 201, made.get_json()
        assert made.get_json()["name"] == stored


def test_an_unknown_api_address_or_method_is_a_problem_too(client: FlaskClient, world) -> None:  # type: ignore[no-untyped-def]
    refused(client.get(f"{API}/groups/{world.group.id}/nothing", headers=world.headers), 404)
    refused(client.get(f"{API}/groups/-1", headers=world.headers), 404)
    refused(client.patch(world.members, headers=world.headers, json={}), 405)
    refused(client.get(f"{API}/" + "a" * 5000, headers=world.headers), 404)
