"""The JSON API: tokens, each resource's happy path and who may see what,
pagination, the problem+json errors, and answers that match the OpenAPI
document (each body is validated against the document's own schema)."""

from __future__ import annotations

import hashlib
import re
from types import SimpleNamespace
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from jsonschema import Draft202012Validator
from sqlalchemy import func, select, text
from sqlalchemy.orm import Session

from coop.api import openapi
from coop.api.models import ApiToken
from coop.auth.models import User
from coop.documents import services as documents
from coop.ledger.models import Payment
from coop.orders import services as orders
from coop.orders.models import Request
from coop.quantities import parse_quantity as q
from coop.quotes import services as quotes
from coop.sales import services as sales
from coop.suppliers.models import Product
from tests.conftest import csrf_token, login, post
from tests.factories import (
    make_api_token,
    make_awarded_quote,
    make_catalog,
    make_group,
    make_member,
    make_quote,
    make_sale_lot,
    make_settled_round,
)

API = "/api/v1"


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def conforms(app: Flask, response: Any, path: str, method: str = "get") -> Any:
    """The body is what the OpenAPI document says this operation answers."""
    document = openapi.document(app)
    operation = document["paths"][path][method]
    answer = operation["responses"][str(response.status_code)]
    if "$ref" in answer:
        answer = document["components"]["responses"][answer["$ref"].rsplit("/", 1)[1]]
    [(media_type, content)] = answer["content"].items()
    assert response.mimetype == media_type, response.get_data(as_text=True)[:300]
    validator = Draft202012Validator({**content["schema"], "components": document["components"]})
    body = response.get_json()
    errors = sorted(validator.iter_errors(body), key=str)
    assert not errors, f"{method.upper()} {path}: {errors[0]}"
    return body


def problem(response: Any, status: int, field: str | None = None) -> dict[str, Any]:
    assert response.status_code == status, response.get_data(as_text=True)[:500]
    assert response.mimetype == "application/problem+json"
    body = response.get_json()
    assert body["type"] == "about:blank" and body["status"] == status
    assert body["title"] and body["detail"]
    assert body.get("field") == field, body
    return body


@pytest.fixture()
def world(session: Session) -> SimpleNamespace:
    """A settled round (3 members), an open round on the same catalog, an
    outsider (treasurer of another group) and a token for each person."""
    w = make_settled_round(session, members=3)
    aigul, nurila, _third = w.members
    rnd = orders.create_round(session, w.group, w.treasurer.user, title="Осень", deadline=None,
                              product_ids=[p.id for p in w.products])
    orders.move_round(session, rnd, w.treasurer.user, "open")
    draft = orders.create_round(session, w.group, w.treasurer.user, title="Черновик",
                                deadline=None, product_ids=[w.products[0].id])
    other = make_group(session)
    outsider = make_member(session, other, "Фарангис", role="treasurer")
    tokens = {"treasurer": make_api_token(session, w.treasurer.user),
              "aigul": make_api_token(session, aigul.user),
              "nurila": make_api_token(session, nurila.user),
              "outsider": make_api_token(session, outsider.user)}
    session.commit()
    return SimpleNamespace(**vars(w), aigul=aigul, nurila=nurila, open=rnd, draft=draft,
                           other=other, outsider=outsider, tokens=tokens,
                           g=f"{API}/groups/{w.group.id}")


# --------------------------------------------------------------------------
# Tokens
# --------------------------------------------------------------------------


def test_a_token_is_made_on_her_page_shown_once_and_kept_only_as_a_hash(
        client: FlaskClient, session: Session, world) -> None:  # type: ignore[no-untyped-def]
    login(client, world.aigul.user.email)
    page = client.get("/account/tokens")
    assert page.status_code == 200 and "API tokens" in page.get_data(as_text=True)
    made = post(client, "/account/tokens", {"name": "Моя таблица"})
    assert made.status_code == 200
    assert made.headers["Cache-Control"] == "no-store"
    raw = re.search(r"coop_[A-Za-z0-9_-]{40,}", made.get_data(as_text=True)).group(0)
    session.expire_all()
    token = session.scalar(select(ApiToken).where(ApiToken.name == "Моя таблица"))
    assert token.token_hash == hashlib.sha256(raw.encode()).hexdigest()
    assert token.prefix == raw[:11] and raw not in {token.prefix, token.token_hash}
    assert raw not in client.get("/account/tokens").get_data(as_text=True)  # shown once
    assert token.prefix in client.get("/account/tokens").get_data(as_text=True)
    # the token works, and its last use is recorded
    assert client.application.test_client().get(
        f"{API}/groups", headers=bearer(raw)).status_code == 200
    session.expire_all()
    assert session.get(ApiToken, token.id).last_used_at is not None
    # a name is needed
    assert post(client, "/account/tokens", {"name": " "}).status_code == 422


def test_a_revoked_token_is_refused_and_only_she_can_revoke_hers(
        app: Flask, client: FlaskClient, session: Session, world) -> None:  # type: ignore[no-untyped-def]
    raw = world.tokens["aigul"]
    token = session.scalar(select(ApiToken).where(ApiToken.user_id == world.aigul.user.id))
    login(client, world.nurila.user.email)
    assert post(client, f"/account/tokens/{token.id}/revoke").status_code == 404
    api = app.test_client()
    assert api.get(f"{API}/groups", headers=bearer(raw)).status_code == 200
    client = app.test_client()
    login(client, world.aigul.user.email)
    revoked = post(client, f"/account/tokens/{token.id}/revoke")
    assert revoked.status_code == 302
    refused = api.get(f"{API}/groups", headers=bearer(raw))
    problem(refused, 401, "Authorization")
    assert "invalid_token" in refused.headers["WWW-Authenticate"]
    assert "revoked" in client.get("/account/tokens").get_data(as_text=True)


def test_a_token_works_for_the_period_chosen_then_says_it_expired(
        app: Flask, client: FlaskClient, session: Session, world) -> None:  # type: ignore[no-untyped-def]
    login(client, world.aigul.user.email)
    page = client.get("/account/tokens").get_data(as_text=True)
    assert '<option selected value="90">' in page  # the default
    made = {}
    for lifetime in ("30", "never"):
        reply = post(client, "/account/tokens", {"name": f"для {lifetime}", "lifetime": lifetime})
        assert reply.status_code == 200
        made[lifetime] = re.search(r"coop_[A-Za-z0-9_-]{40,}",
                                   reply.get_data(as_text=True)).group(0)
    assert post(client, "/account/tokens", {"name": "x", "lifetime": "7"}).status_code == 422
    assert post(client, "/account/tokens", {"name": "x", "lifetime": "abc"}).status_code == 422
    session.expire_all()
    monthly = session.scalar(select(ApiToken).where(ApiToken.name == "для 30"))
    forever = session.scalar(select(ApiToken).where(ApiToken.name == "для never"))
    assert forever.expires_at is None
    assert 29 < (monthly.expires_at - monthly.created_at).total_seconds() / 86400 <= 30
    api = app.test_client()
    assert api.get(f"{API}/groups", headers=bearer(made["30"])).status_code == 200
    monthly.expires_at = monthly.created_at  # a month has passed
    session.commit()
    expired = problem(api.get(f"{API}/groups", headers=bearer(made["30"])), 401, "Authorization")
    assert "expired" in expired["detail"]
    assert "expired" in api.get(f"{API}/groups", headers=bearer(made["30"])
                                ).headers["WWW-Authenticate"]
    assert api.get(f"{API}/groups", headers=bearer(made["never"])).status_code == 200
    listed = client.get("/account/tokens").get_data(as_text=True)
    assert "expired" in listed and "until revoked" in listed


def test_the_api_is_rate_limited_per_token_and_per_address(
        app: Flask, session: Session, world, monkeypatch: pytest.MonkeyPatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setitem(app.config, "API_RATE_LIMIT", "5 per minute")
    monkeypatch.setitem(app.config, "API_ADDRESS_RATE_LIMIT", "8 per minute")
    from coop.extensions import limiter

    limiter.reset()
    api = app.test_client()
    aigul, nurila = bearer(world.tokens["aigul"]), bearer(world.tokens["nurila"])
    assert [api.get(f"{API}/groups", headers=aigul).status_code for _ in range(5)] == [200] * 5
    refused = api.get(f"{API}/groups", headers=aigul)
    problem(refused, 429)
    assert int(refused.headers["Retry-After"]) > 0
    # another token has its own count…
    assert [api.get(f"{API}/groups", headers=nurila).status_code for _ in range(3)] == [200] * 3
    # …but one address cannot go past its own limit by changing tokens
    problem(api.get(f"{API}/groups", headers=nurila), 429)
    problem(api.get(f"{API}/groups", headers=bearer("coop_" + "x" * 43)), 429)
    # the pages are not counted with the API
    assert app.test_client().get("/login").status_code == 200
    limiter.reset()


def test_no_token_a_bad_token_or_a_disabled_user_is_a_401(
        client: FlaskClient, session: Session, world) -> None:  # type: ignore[no-untyped-def]
    nobody = client.get(f"{API}/groups")
    problem(nobody, 401)
    assert nobody.headers["WWW-Authenticate"].startswith("Bearer")
    for header in ("Bearer", "Bearer coop_nothing", "Basic abc", f"Token {world.tokens['aigul']}",
                   "Bearer " + "x" * 5000):
        problem(client.get(f"{API}/groups", headers={"Authorization": header}), 401,
                "Authorization")
    world.aigul.user.disabled = True
    session.commit()
    problem(client.get(f"{API}/groups", headers=bearer(world.tokens["aigul"])), 401,
            "Authorization")


def test_another_groups_token_sees_nothing_of_this_group(
        client: FlaskClient, world) -> None:  # type: ignore[no-untyped-def]
    outsider = bearer(world.tokens["outsider"])
    groups = client.get(f"{API}/groups", headers=outsider).get_json()
    assert [grp["id"] for grp in groups["items"]] == [world.other.id]
    for url in (world.g, f"{world.g}/members", f"{world.g}/rounds",
                f"{world.g}/rounds/{world.rnd.id}", f"{world.g}/rounds/{world.rnd.id}/split",
                f"{world.g}/balances", f"{world.g}/suppliers", f"{world.g}/lots",
                f"{world.g}/accounts/{world.aigul.id}/statement"):
        response = client.get(url, headers=outsider)
        problem(response, 404)
        assert world.group.name.encode() not in response.get_data()
    problem(client.post(f"{world.g}/members", json={"name": "X"}, headers=outsider), 404)


# --------------------------------------------------------------------------
# Groups and members
# --------------------------------------------------------------------------


def test_groups_and_members(app: Flask, client: FlaskClient, session: Session,
                            world) -> None:  # type: ignore[no-untyped-def]
    mine = conforms(app, client.get(f"{API}/groups", headers=bearer(world.tokens["aigul"])),
                    "/groups")
    assert [grp["id"] for grp in mine["items"]] == [world.group.id]
    assert mine["items"][0]["membership"] == {"id": world.aigul.id, "role": "member"}
    group = conforms(app, client.get(world.g, headers=bearer(world.tokens["aigul"])),
                     "/groups/{group_id}")
    assert group["currency"] == "KGS" and group["levy_percent"] == "0"
    as_member = conforms(app, client.get(f"{world.g}/members",
                                         headers=bearer(world.tokens["aigul"])),
                         "/groups/{group_id}/members")
    assert as_member["total"] == 4 and all(m["email"] is None for m in as_member["items"])
    as_treasurer = client.get(f"{world.g}/members", headers=bearer(world.tokens["treasurer"]))
    assert all(m["email"] for m in as_treasurer.get_json()["items"])

    problem(client.post(f"{world.g}/members", json={"name": "Жылдыз"},
                        headers=bearer(world.tokens["aigul"])), 403)
    added = client.post(f"{world.g}/members", headers=bearer(world.tokens["treasurer"]),
                        json={"name": "  Жылдыз Мамыткулова ", "phone": "+996 555 100 006",
                              "locale": "ky"})
    body = conforms(app, added, "/groups/{group_id}/members", "post")
    assert body["name"] == "Жылдыз Мамыткулова" and body["phone"] == "+996555100006"
    assert body["has_login"] is False and body["role"] == "member"
    problem(client.post(f"{world.g}/members", headers=bearer(world.tokens["treasurer"]),
                        json={"name": "X", "phone": "+996 555 100 006"}), 422, "phone")
    problem(client.post(f"{world.g}/members", headers=bearer(world.tokens["treasurer"]),
                        json={"name": "X", "role": "boss"}), 422, "role")


def test_pagination(app: Flask, client: FlaskClient, world) -> None:  # type: ignore[no-untyped-def]
    headers = bearer(world.tokens["treasurer"])
    everyone = client.get(f"{world.g}/members", headers=headers).get_json()
    assert everyone["page"] == 1 and everyone["per_page"] == 50 and everyone["total"] == 4
    pages = [conforms(app, client.get(f"{world.g}/members?per_page=3&page={n}",
                                      headers=headers), "/groups/{group_id}/members")
             for n in (1, 2, 3)]
    assert [len(page["items"]) for page in pages] == [3, 1, 0]
    assert [m["id"] for page in pages for m in page["items"]] == [
        m["id"] for m in everyone["items"]]
    for query, field in (("per_page=0", "per_page"), ("per_page=101", "per_page"),
                         ("page=0", "page"), ("page=abc", "page"), ("page=1.5", "page"),
                         ("per_page=-1", "per_page"), ("page=" + "9" * 40, "page")):
        problem(client.get(f"{world.g}/members?{query}", headers=headers), 422, field)


# --------------------------------------------------------------------------
# Suppliers and products
# --------------------------------------------------------------------------


def test_the_catalog_is_the_treasurers(app: Flask, client: FlaskClient, session: Session,
                                      world) -> None:  # type: ignore[no-untyped-def]
    treasurer, member = bearer(world.tokens["treasurer"]), bearer(world.tokens["aigul"])
    product = world.products[0]
    for url in (f"{world.g}/suppliers", f"{world.g}/products",
                f"{world.g}/products/{product.id}",
                f"{world.g}/suppliers/{product.supplier_id}"):
        problem(client.get(url, headers=member), 403)
    listed = conforms(app, client.get(f"{world.g}/suppliers", headers=treasurer),
                      "/groups/{group_id}/suppliers")
    assert listed["items"][0]["product_count"] == 3
    detail = conforms(app, client.get(f"{world.g}/suppliers/{product.supplier_id}",
                                      headers=treasurer),
                      "/groups/{group_id}/suppliers/{supplier_id}")
    assert {p["name"] for p in detail["products"]} == {"Семена томата", "Ткань", "NPK"}
    one = conforms(app, client.get(f"{world.g}/products/{product.id}", headers=treasurer),
                   "/groups/{group_id}/products/{product_id}")
    assert one["tiers"] == [{"min_qty": "0", "unit_price": "48.5"},
                            {"min_qty": "50", "unit_price": "42"}]
    assert one["pack_size"] == "25" and one["weight_kg"] == "0.01"
    conforms(app, client.get(f"{world.g}/products", headers=treasurer),
             "/groups/{group_id}/products")
    # another group's product and supplier are unknown here
    other_product = make_catalog(session, world.other)[0]
    session.commit()
    problem(client.get(f"{world.g}/products/{other_product.id}", headers=treasurer), 404)
    problem(client.get(f"{world.g}/suppliers/{other_product.supplier_id}", headers=treasurer),
            404)
    problem(client.post(f"{world.g}/suppliers/{other_product.supplier_id}/products",
                        json={}, headers=treasurer), 404)
    problem(client.get(f"{world.g}/products/999999", headers=treasurer), 404)

    url = f"{world.g}/suppliers/{product.supplier_id}/products"
    new = {"name": "Семена моркови", "unit": "kg", "article_code": "CAR-1", "pack_size": "5",
           "granularity": "0.5", "weight_kg": "1", "retail_price": "60",
           "tiers": [{"min_qty": "0", "unit_price": "48.50"},
                     {"min_qty": "50", "unit_price": "42"}]}
    problem(client.post(url, json=new, headers=member), 403)
    made = conforms(app, client.post(url, json=new, headers=treasurer),
                    "/groups/{group_id}/suppliers/{supplier_id}/products", "post")
    assert made["granularity"] == "0.5" and made["tiers"][0]["unit_price"] == "48.5"
    assert session.get(Product, made["id"]).pack_size == q("5")
    problem(client.post(url, json=new, headers=treasurer), 422, "article_code")
    onion = client.post(url, headers=treasurer, json={
        "name": "  Лук   репчатый ", "unit": "kg", "tiers": [{"min_qty": "0", "unit_price": "30"}]})
    assert onion.status_code == 201  # as a catalog line is read: one line, the defaults
    assert (onion.get_json()["name"], onion.get_json()["granularity"],
            onion.get_json()["pack_size"]) == ("Лук репчатый", "1", "1")
    problem(client.post(url, json={**new, "article_code": "CAR-2", "pack_size": "5.25"},
                        headers=treasurer), 422, "pack_size")
    problem(client.post(url, json={**new, "article_code": "CAR-3", "tiers": [
        {"min_qty": "10", "unit_price": "1"}]}, headers=treasurer), 422, "tiers")
    problem(client.post(url, json={**new, "article_code": "CAR-4", "tiers": [
        {"min_qty": "0", "unit_price": "x"}]}, headers=treasurer), 422, "tiers[0].unit_price")
    assert made["seed_rate"] is None
    sown = conforms(app, client.post(url, json={**new, "article_code": "CAR-5",
                                                "seed_rate": "0.05"}, headers=treasurer),
                    "/groups/{group_id}/suppliers/{supplier_id}/products", "post")
    assert sown["seed_rate"] == "0.05" and session.get(Product, sown["id"]).seed_rate == 50
    problem(client.post(url, json={**new, "article_code": "CAR-6", "seed_rate": "0"},
                        headers=treasurer), 422, "seed_rate")


# --------------------------------------------------------------------------
# Rounds, orders, the split, deliveries
# --------------------------------------------------------------------------


def test_rounds_and_a_round_with_its_demand(app: Flask, client: FlaskClient,
                                           world) -> None:  # type: ignore[no-untyped-def]
    as_member = conforms(app, client.get(f"{world.g}/rounds",
                                         headers=bearer(world.tokens["aigul"])),
                         "/groups/{group_id}/rounds")
    assert [r["id"] for r in as_member["items"]] == [world.open.id, world.rnd.id]
    as_treasurer = client.get(f"{world.g}/rounds", headers=bearer(world.tokens["treasurer"]))
    assert world.draft.id in [r["id"] for r in as_treasurer.get_json()["items"]]
    problem(client.get(f"{world.g}/rounds/{world.draft.id}",
                       headers=bearer(world.tokens["aigul"])), 404)
    detail = conforms(app, client.get(f"{world.g}/rounds/{world.rnd.id}",
                                      headers=bearer(world.tokens["aigul"])),
                      "/groups/{group_id}/rounds/{round_id}")
    seed = detail["items"][0]
    assert seed["demand"] == {"firm": "33", "tolerance": "45"}  # 10 + 11 + 12, 3 × 15
    assert seed["packs"]["ordered"] >= 1 and seed["delivered"]["received"] != "0"
    assert detail["state"] == "settled"


def test_her_order_read_and_set_as_decimal_strings(app: Flask, client: FlaskClient,
                                                  session: Session, world) -> None:  # type: ignore[no-untyped-def]
    aigul = bearer(world.tokens["aigul"])
    url = f"{world.g}/rounds/{world.open.id}/order"
    seed, fabric, npk = world.open.items
    empty = conforms(app, client.get(url, headers=aigul),
                     "/groups/{group_id}/rounds/{round_id}/order")
    assert empty["can_order"] is True and {line["quantity"] for line in empty["lines"]} == {"0"}
    saved = client.put(url, headers=aigul, json={"lines": [
        {"item_id": fabric.id, "quantity": "2.5", "tolerance": "0.5"},
        {"item_id": seed.id, "quantity": "10"}]})
    body = conforms(app, saved, "/groups/{group_id}/rounds/{round_id}/order", "put")
    assert [(line["quantity"], line["tolerance"]) for line in body["lines"]] == [
        ("10", "0"), ("2.5", "0.5"), ("0", "0")]
    session.expire_all()
    stored = {r.round_item_id: (r.quantity, r.tolerance) for r in session.scalars(
        select(Request).where(Request.membership_id == world.aigul.id,
                              Request.round_id == world.open.id))}
    assert stored == {seed.id: (10000, 0), fabric.id: (2500, 500)}
    # the whole order is replaced: what is not listed is 0
    client.put(url, headers=aigul, json={"lines": [{"item_id": npk.id, "quantity": "1"}]})
    session.expire_all()
    assert session.scalar(select(func.count()).select_from(Request).where(
        Request.membership_id == world.aigul.id, Request.round_id == world.open.id)) == 1
    # a quantity off the product's step is named by its JSON path; nothing changes
    problem(client.put(url, headers=aigul, json={"lines": [
        {"item_id": seed.id, "quantity": "1"},
        {"item_id": fabric.id, "quantity": "0.3"}]}), 422, "lines[1].quantity")
    problem(client.put(url, headers=aigul, json={"lines": [
        {"item_id": world.rnd.items[0].id, "quantity": "1"}]}), 422, "lines[0].item_id")
    session.expire_all()
    assert session.scalar(select(Request.quantity).where(
        Request.membership_id == world.aigul.id, Request.round_id == world.open.id)) == 1000
    # a settled round takes no orders
    problem(client.put(f"{world.g}/rounds/{world.rnd.id}/order", headers=aigul,
                       json={"lines": []}), 422)


def test_a_members_order_is_hers_and_the_treasurers(client: FlaskClient, session: Session,
                                                   world) -> None:  # type: ignore[no-untyped-def]
    url = f"{world.g}/rounds/{world.open.id}/orders/{world.nurila.id}"
    line = {"lines": [{"item_id": world.open.items[2].id, "quantity": "5"}]}
    problem(client.get(url, headers=bearer(world.tokens["aigul"])), 404)
    problem(client.put(url, json=line, headers=bearer(world.tokens["aigul"])), 404)
    assert client.get(url, headers=bearer(world.tokens["nurila"])).status_code == 200
    saved = client.put(url, json=line, headers=bearer(world.tokens["treasurer"]))
    assert saved.status_code == 200
    assert saved.get_json()["lines"][2]["quantity"] == "5"


def test_the_split_the_treasurer_sees_all_a_member_her_own(
        app: Flask, client: FlaskClient, world) -> None:  # type: ignore[no-untyped-def]
    url = f"{world.g}/rounds/{world.rnd.id}/split"
    full = conforms(app, client.get(url, headers=bearer(world.tokens["treasurer"])),
                    "/groups/{group_id}/rounds/{round_id}/split")
    assert len(full["members"]) == 3
    hers = conforms(app, client.get(url, headers=bearer(world.tokens["aigul"])),
                    "/groups/{group_id}/rounds/{round_id}/split")
    assert [m["id"] for m in hers["members"]] == [str(world.aigul.id)]
    assert hers["members"][0] == next(m for m in full["members"]
                                      if m["id"] == str(world.aigul.id))
    assert hers["products"] == full["products"] and hers["totals"] == full["totals"]
    assert re.fullmatch(r"-?\d+\.\d{2}", hers["totals"]["members_total"])


def test_deliveries_are_recorded_by_the_treasurer(app: Flask, client: FlaskClient,
                                                 session: Session) -> None:
    w, _quote, _token, _other, _other_token = make_awarded_quote(session)
    treasurer = make_api_token(session, w.treasurer.user)
    member = make_api_token(session, w.aigul.user)
    session.commit()
    url = f"{API}/groups/{w.group.id}/rounds/{w.rnd.id}/deliveries"
    lines = {"lines": [{"item_id": w.seed.id, "received": "50", "damaged": "2"},
                       {"item_id": w.npk.id, "received": "100"}], "delivered_on": "2026-04-02",
             "note": "Грузовик"}
    problem(client.post(url, json=lines, headers=bearer(member)), 403)
    recorded = conforms(app, client.post(url, json=lines, headers=bearer(treasurer)),
                        "/groups/{group_id}/rounds/{round_id}/deliveries", "post")
    assert recorded["added"] == 2
    assert {d["item_id"]: (d["received"], d["damaged"]) for d in recorded["delivered"]} == {
        w.seed.id: ("50", "2"), w.npk.id: ("100", "0")}
    problem(client.post(url, headers=bearer(treasurer), json={"lines": [
        {"item_id": w.seed.id, "received": "1", "damaged": "2"}]}), 422, "lines[0].damaged")
    problem(client.post(url, headers=bearer(treasurer), json={"lines": [
        {"item_id": w.seed.id, "received": "1"}, {"item_id": w.seed.id, "received": "1"}]}),
        422, "lines[1].item_id")
    problem(client.post(f"{API}/groups/{w.group.id}/rounds/{w.rnd.id + 999}/deliveries",
                        json=lines, headers=bearer(treasurer)), 404)
    # more than was ordered from the supplier: the form's question, as a refusal
    more = {"lines": [{"item_id": w.seed.id, "received": "1"}]}
    asked = problem(client.post(url, json=more, headers=bearer(treasurer)), 422)
    assert asked["confirm"] == "beyond_ordered" and "more arrived than was ordered" in asked[
        "detail"] and "51" in asked["detail"]
    recorded = client.post(url, json={**more, "beyond_ordered": True}, headers=bearer(treasurer))
    assert recorded.status_code == 201 and recorded.get_json()["added"] == 1


# --------------------------------------------------------------------------
# The books
# --------------------------------------------------------------------------


def test_balances_statement_and_payments(app: Flask, client: FlaskClient, session: Session,
                                         world) -> None:  # type: ignore[no-untyped-def]
    treasurer, aigul = bearer(world.tokens["treasurer"]), bearer(world.tokens["aigul"])
    problem(client.get(f"{world.g}/balances", headers=aigul), 403)
    books = conforms(app, client.get(f"{world.g}/balances", headers=treasurer),
                     "/groups/{group_id}/balances")
    owed = {row["membership_id"]: row["balance"] for row in books["items"]}
    assert owed[world.aigul.id].startswith("-") and books["currency"] == "KGS"

    statement_url = f"{world.g}/accounts/{world.aigul.id}/statement"
    statement = conforms(app, client.get(statement_url, headers=aigul),
                         "/groups/{group_id}/accounts/{membership_id}/statement")
    assert statement["balance"] == owed[world.aigul.id] and statement["total"] >= 1
    assert statement["items"][-1]["balance"] == statement["balance"]
    problem(client.get(f"{world.g}/accounts/{world.nurila.id}/statement", headers=aigul), 404)
    assert client.get(statement_url, headers=treasurer).status_code == 200
    problem(client.get(f"{statement_url}?from=2026-13-01", headers=aigul), 422, "from")
    later = client.get(f"{statement_url}?from=2100-01-01", headers=aigul).get_json()
    assert later["items"] == [] and later["opening"] == statement["balance"]

    url = f"{world.g}/accounts/{world.aigul.id}/payments"
    key = {"Idempotency-Key": "pay-aigul-2026-04-02-1"}
    problem(client.post(url, json={"amount": "100.00", "method": "cash"},
                        headers={**aigul, **key}), 403)
    problem(client.post(url, json={"amount": "100.00", "method": "cash"}, headers=treasurer),
            400, "Idempotency-Key")
    paid = conforms(app, client.post(url, headers={**treasurer, **key},
                                     json={"amount": "1234.50", "method": "mobile",
                                           "reference": "MB-1001"}),
                    "/groups/{group_id}/accounts/{membership_id}/payments", "post")
    assert paid["amount"] == "1234.50" and paid["method"] == "mobile"
    again = client.post(url, headers={**treasurer, **key},
                        json={"amount": "1234.50", "method": "mobile", "reference": "MB-1001"})
    assert again.status_code == 200 and again.headers["Idempotent-Replayed"] == "true"
    assert again.get_json()["id"] == paid["id"]
    problem(client.post(url, headers={**treasurer, **key},
                        json={"amount": "99.00", "method": "mobile", "reference": "MB-1001"}),
            422, "Idempotency-Key")
    session.expire_all()
    assert session.scalar(select(func.count()).select_from(Payment)) == 1
    problem(client.post(url, headers={**treasurer, "Idempotency-Key": "another-key-12345"},
                        json={"amount": "1.234", "method": "cash"}), 422, "amount")
    problem(client.post(url, headers={**treasurer, "Idempotency-Key": "another-key-12345"},
                        json={"amount": "1", "method": "cheque"}), 422, "method")


# --------------------------------------------------------------------------
# Documents and sales
# --------------------------------------------------------------------------


def test_documents_as_the_download_page_allows(client: FlaskClient, session: Session,
                                              world) -> None:  # type: ignore[no-untyped-def]
    invoice = documents.issue_invoice(session, world.rnd, world.aigul, world.treasurer.user)
    session.commit()
    url = f"{world.g}/documents/{invoice.id}"
    hers = client.get(url, headers=bearer(world.tokens["aigul"]))
    assert hers.status_code == 200 and hers.mimetype == "application/pdf"
    assert hers.data.startswith(b"%PDF") and hers.headers["ETag"].strip('"') == invoice.sha256
    assert client.get(url, headers=bearer(world.tokens["treasurer"])).status_code == 200
    problem(client.get(url, headers=bearer(world.tokens["nurila"])), 404)
    problem(client.get(url, headers=bearer(world.tokens["outsider"])), 404)
    listed = client.get(f"{world.g}/accounts/{world.aigul.id}/documents",
                        headers=bearer(world.tokens["aigul"])).get_json()
    assert [d["id"] for d in listed["items"]] == [invoice.id]
    problem(client.get(f"{world.g}/accounts/{world.aigul.id}/documents",
                       headers=bearer(world.tokens["nurila"])), 404)


def test_lots_with_her_contributions_and_payout(app: Flask, client: FlaskClient,
                                               session: Session, world) -> None:  # type: ignore[no-untyped-def]
    lot = make_sale_lot(session, world.group, world.treasurer)
    top, _first = lot.grades
    for woman, jars in ((world.aigul, "12"), (world.nurila, "24")):
        sales.record_contribution(session, lot, woman, grade_id=top.id, quantity=q(jars),
                                  actor=world.treasurer.user)
    session.commit()
    listed = conforms(app, client.get(f"{world.g}/lots", headers=bearer(world.tokens["aigul"])),
                      "/groups/{group_id}/lots")
    assert listed["items"][0]["contributed"] is True and listed["items"][0]["payout"] is None
    url = f"{world.g}/lots/{lot.id}"
    hers = conforms(app, client.get(url, headers=bearer(world.tokens["aigul"])),
                    "/groups/{group_id}/lots/{lot_id}")
    assert [c["membership_id"] for c in hers["contributions"]] == [world.aigul.id]
    assert [p["membership_id"] for p in hers["payouts"]] == [world.aigul.id]
    assert hers["stock"][0]["pooled"] == "36"
    everyone = client.get(url, headers=bearer(world.tokens["treasurer"])).get_json()
    assert len(everyone["contributions"]) == 2 and len(everyone["payouts"]) == 2
    problem(client.get(f"{world.g}/lots/{lot.id + 999}", headers=bearer(world.tokens["aigul"])),
            404)


# --------------------------------------------------------------------------
# The supplier's quote through her link
# --------------------------------------------------------------------------


def test_the_supplier_reads_the_demand_and_sends_a_revision(
        app: Flask, client: FlaskClient, session: Session) -> None:
    from tests.factories import make_closed_round

    w = make_closed_round(session)
    quote, token = make_quote(session, w, language="ky")
    session.commit()
    url = f"{API}/quotes/{token}"
    seen = conforms(app, client.get(url), "/quotes/{token}")
    assert seen["can_answer"] is True and seen["status"] == "waiting"
    assert {i["item_id"]: i["demand"] for i in seen["items"]}[w.seed.id] == {
        "firm": "45", "tolerance": "10"}
    offer = {"lines": [{"item_id": w.seed.id, "pack_size": "25",
                        "tiers": [{"min_qty": "0", "unit_price": "45"},
                                  {"min_qty": "50", "unit_price": "40"}]},
                       {"item_id": w.fabric.id, "available": False}],
             "delivery_fee": "500.00", "lead_time_days": 5, "note": "Вторник"}
    sent = conforms(app, client.post(url, json=offer), "/quotes/{token}", "post")
    assert sent["number"] == 1 and sent["delivery_fee"] == "500.00"
    assert client.get(url).get_json()["latest"]["number"] == 1
    bad = {**offer, "lines": [{"item_id": w.seed.id, "pack_size": "25",
                               "tiers": [{"min_qty": "10", "unit_price": "45"}]}]}
    problem(client.post(url, json=bad), 422, "lines[0].tiers")  # a detail, checked there
    problem(client.get(f"{API}/quotes/not-a-token"), 404)
    quotes.revoke_link(session, quote)
    session.commit()
    problem(client.get(url), 410)
    problem(client.post(url, json=offer), 410)


def test_an_awarded_quote_takes_no_more_offers(client: FlaskClient, session: Session) -> None:
    w, _quote, token, _other, _other_token = make_awarded_quote(session)
    session.commit()
    assert client.get(f"{API}/quotes/{token}").get_json()["status"] == "awarded"
    problem(client.post(f"{API}/quotes/{token}", json={"lines": [
        {"item_id": w.seed.id, "pack_size": "25",
         "tiers": [{"min_qty": "0", "unit_price": "1"}]}]}), 409)


# --------------------------------------------------------------------------
# Errors and the session's sign-in
# --------------------------------------------------------------------------


def test_everything_under_api_answers_problem_json_and_pages_keep_html(
        app: Flask, client: FlaskClient, world, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    headers = bearer(world.tokens["treasurer"])
    problem(client.get(f"{API}/no-such-thing", headers=headers), 404)
    problem(client.get("/api/v2/groups"), 404)
    not_allowed = client.delete(f"{API}/groups", headers=headers)
    problem(not_allowed, 405)
    assert "GET" in not_allowed.headers["Allow"]
    page = client.get("/no-such-page")
    assert page.status_code == 404 and page.mimetype == "text/html"
    from coop.groups import services as groups

    def broken(*_args: object) -> None:
        raise RuntimeError("a bug")

    monkeypatch.setattr(groups, "groups_of", broken)
    monkeypatch.setitem(app.config, "PROPAGATE_TEST_ERRORS", False)
    body = problem(client.get(f"{API}/groups", headers=headers), 500)
    assert "a bug" not in body["detail"]


def test_session_sign_in_works_and_writes_must_be_json(client: FlaskClient, session: Session,
                                                      world) -> None:  # type: ignore[no-untyped-def]
    login(client, world.aigul.user.email)
    assert client.get(f"{API}/groups").status_code == 200
    url = f"{world.g}/rounds/{world.open.id}/order"
    line = {"lines": [{"item_id": world.open.items[2].id, "quantity": "3"}]}
    # a cross-site form can only send form or text bodies: refused, nothing written
    token = csrf_token(client)
    for kwargs in ({"data": {"csrf_token": token}},
                   {"data": '{"lines": []}', "content_type": "text/plain"}):
        problem(client.put(url, **kwargs), 415, "Content-Type")
    assert session.scalar(select(func.count()).select_from(Request).where(
        Request.round_id == world.open.id)) == 0
    assert client.put(url, json=line).status_code == 200


def test_the_openapi_document_is_public_and_lists_every_api_route(
        app: Flask, client: FlaskClient) -> None:
    response = client.get(f"{API}/openapi.json")
    assert response.status_code == 200 and "Set-Cookie" not in response.headers
    document = response.get_json()
    assert document["openapi"].startswith("3.1")
    assert document["components"]["securitySchemes"]["bearerAuth"] == {
        "type": "http", "scheme": "bearer", "description": "A personal API token (coop_…)."}
    routes = {(re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", rule.rule[len(API):]), method.lower())
              for rule in app.url_map.iter_rules() if rule.rule.startswith(API + "/")
              for method in rule.methods - {"HEAD", "OPTIONS"}}
    documented = {(path, method) for path, operations in document["paths"].items()
                  for method in operations}
    assert routes == documented
    assert len(routes) >= 25
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            where = f"{method.upper()} {path}"
            public = operation.get("security") == []
            assert public == (path in ("/openapi.json", "/quotes/{token}")), where
            assert public or "401" in operation["responses"], where
            errors = [code for code in operation["responses"] if code.startswith("4")]
            for code in errors:
                answer = document["components"]["responses"][
                    operation["responses"][code]["$ref"].rsplit("/", 1)[1]]
                assert list(answer["content"]) == ["application/problem+json"], where
            names = set(re.findall(r"{(\w+)}", path))
            assert names == {p["name"] for p in operation["parameters"] if p["in"] == "path"}
            if "requestBody" in operation:
                assert {"413", "415", "422"} <= set(operation["responses"]), where
    Draft202012Validator.check_schema({"$defs": document["components"]["schemas"]})


def test_nothing_personal_is_cached_or_leaks_into_a_cookie(
        client: FlaskClient, session: Session, world) -> None:  # type: ignore[no-untyped-def]
    response = client.get(world.g, headers=bearer(world.tokens["aigul"]))
    assert response.headers["Cache-Control"] == "no-store"
    assert "Set-Cookie" not in response.headers
    assert "Authorization" in response.headers["Vary"]
    # the raw token is nowhere in the database
    raw = world.tokens["aigul"]
    for table in ("api_tokens", "users"):
        rows = session.execute(text(f"SELECT * FROM {table}")).all()
        assert all(raw not in str(value) for row in rows for value in row)
    assert session.scalar(select(func.count()).select_from(User)) > 0
