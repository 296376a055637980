"""The season's writes in the JSON API: a survey made, opened, closed and
turned into a round; a seed loan proposed, approved, delivered, returned in
kind and written off. Through the same services as the pages: the same
rules, the same figures in the books; a state move sent again is done once."""

from __future__ import annotations

from datetime import timedelta

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from coop.i18n import local_today
from coop.ledger.checks import check_books
from coop.ledger.models import Posting
from coop.orders.models import Request, Round
from coop.season.models import SeedLoan, SeedRepayment, SeedStockMove, Survey
from tests.factories import make_api_token, make_settled_round
from tests.web.test_api import bearer, conforms, problem

KEY = "season-api-key-000001"


def _world(session: Session):  # type: ignore[no-untyped-def]
    w = make_settled_round(session, members=2)
    w.token = make_api_token(session, w.treasurer.user)
    w.member_token = make_api_token(session, w.members[0].user)
    session.commit()
    w.g = f"/api/v1/groups/{w.group.id}"
    return w


def _count(session: Session, model: type, *where: object) -> int:
    session.expire_all()
    return session.scalar(select(func.count()).select_from(model).where(*where)) or 0


def test_a_survey_is_made_opened_closed_and_turned_into_a_round(
        app: Flask, client: FlaskClient, session: Session) -> None:
    w = _world(session)
    treasurer, member = bearer(w.token), bearer(w.member_token)
    url = f"{w.g}/surveys"
    body = {"title": "Весна 2027", "product_ids": [p.id for p in w.products],
            "closes_on": (local_today() + timedelta(days=10)).isoformat()}
    problem(client.post(url, json=body, headers=member), 403)
    problem(client.post(url, json={**body, "product_ids": []}, headers=treasurer), 422,
            "product_ids")
    problem(client.post(url, json={**body, "product_ids": [1, "x"]}, headers=treasurer), 422,
            "product_ids[1]")
    problem(client.post(url, json={**body, "product_ids": [999999]}, headers=treasurer), 422,
            "product_ids")
    problem(client.post(url, json={**body, "title": " "}, headers=treasurer), 422, "title")
    assert _count(session, Survey) == 0
    made = conforms(app, client.post(url, json=body, headers=treasurer), url.replace(
        w.g, "/groups/{group_id}"), "post")
    assert made["state"] == "draft" and len(made["items"]) == 3
    survey_url = f"{url}/{made['id']}"
    # a member cannot see the draft; she answers once it is open
    problem(client.get(survey_url, headers=member), 404)
    problem(client.post(f"{survey_url}/move", json={"to": "open"}, headers=member), 403)
    opened = conforms(app, client.post(f"{survey_url}/move", json={"to": "open"},
                                       headers=treasurer),
                      "/groups/{group_id}/surveys/{survey_id}/move", "post")
    assert opened["state"] == "open"
    again = client.post(f"{survey_url}/move", json={"to": "open"}, headers=treasurer)
    assert again.status_code == 200 and again.get_json()["state"] == "open"
    problem(client.post(f"{survey_url}/convert", json={}, headers=treasurer), 409)
    seed_item, fabric_item = made["items"][0]["item_id"], made["items"][1]["item_id"]
    answered = client.put(f"{survey_url}/answers/{w.members[0].id}", headers=member, json={
        "lines": [{"item_id": seed_item, "firm": "10", "maybe": "5"},
                  {"item_id": fabric_item, "maybe": "1"}]})
    assert answered.status_code == 200, answered.get_data(as_text=True)
    # the demand counts what the round will carry: not the "maybe" alone
    detail = conforms(app, client.get(survey_url, headers=member),
                      "/groups/{group_id}/surveys/{survey_id}")
    items = {i["item_id"]: i for i in detail["items"]}
    assert [(items[i]["firm"], items[i]["maybe"], items[i]["members"],
             items[i]["answers_not_carried"], items[i]["not_offered"])
            for i in (seed_item, fabric_item)] == [("10", "5", 1, 0, None),
                                                   ("0", "0", 0, 1, None)]
    conforms(app, client.post(f"{survey_url}/move", json={"to": "closed"}, headers=treasurer),
             "/groups/{group_id}/surveys/{survey_id}/move", "post")
    problem(client.post(f"{survey_url}/convert", json={"title": "x" * 161},
                        headers=treasurer), 422, "title")
    rounds = _count(session, Round)
    done = conforms(app, client.post(f"{survey_url}/convert", json={"title": "Весна (опрос)"},
                                     headers=treasurer),
                    "/groups/{group_id}/surveys/{survey_id}/convert", "post")
    assert _count(session, Round) == rounds + 1 and done["lines"] == 1
    # the maybe-only line is reported, not carried
    assert [u["what"] for u in done["unconverted"]] == [w.fabric.product.name]
    rnd = session.get(Round, done["round_id"])
    assert rnd.title == "Весна (опрос)" and rnd.state == "draft"
    [request] = session.scalars(select(Request).where(Request.round_id == rnd.id))
    assert (request.membership_id, request.quantity, request.tolerance) == (
        w.members[0].id, 10_000, 5_000)
    problem(client.post(f"{survey_url}/convert", json={}, headers=treasurer), 409)
    problem(client.post(f"{survey_url}/move", json={"to": "open"}, headers=treasurer), 409)
    assert _count(session, Round) == rounds + 1


def _propose(client: FlaskClient, w, mode: str = "cash", key: str = KEY, **extra):  # type: ignore[no-untyped-def]
    return client.post(f"{w.g}/seed-loans", headers={**bearer(w.token), "Idempotency-Key": key},
                       json={"membership_id": w.members[0].id, "round_id": w.rnd.id,
                             "product_id": w.seed.product_id, "repay_mode": mode,
                             "repay_ratio": "1.2",
                             "due_on": (local_today() + timedelta(days=120)).isoformat(),
                             **extra})


def test_a_seed_loan_is_proposed_approved_delivered_and_written_off(
        app: Flask, client: FlaskClient, session: Session) -> None:
    w = _world(session)
    treasurer, member = bearer(w.token), bearer(w.member_token)
    problem(client.post(f"{w.g}/seed-loans", json={}, headers={
        **member, "Idempotency-Key": KEY}), 403)
    problem(_propose(client, w, repay_ratio="0.5"), 422, "repay_ratio")
    problem(_propose(client, w, repay_ratio="1.23456"), 422, "repay_ratio")
    problem(_propose(client, w, due_on=local_today().isoformat()), 422, "due_on")
    problem(_propose(client, w, membership_id=999999), 422, "membership_id")
    problem(_propose(client, w, product_id=999999), 422, "product_id")
    problem(client.post(f"{w.g}/seed-loans", headers=treasurer, json={}), 400,
            "Idempotency-Key")
    assert _count(session, SeedLoan) == 0
    first = _propose(client, w)
    loan = conforms(app, first, "/groups/{group_id}/seed-loans", "post")
    assert first.status_code == 201 and loan["state"] == "proposed"
    assert loan["repay_ratio"] == "1.2000"
    replay = _propose(client, w)
    assert replay.status_code == 200 and replay.headers["Idempotent-Replayed"] == "true"
    assert replay.get_json()["id"] == loan["id"] and _count(session, SeedLoan) == 1
    problem(_propose(client, w, key=KEY, product_id=w.fabric.product_id), 422,
            "Idempotency-Key")
    base = f"{w.g}/seed-loans/{loan['id']}"
    problem(client.post(f"{base}/deliver", headers=treasurer), 409)  # not approved yet
    for step in ("approve", "deliver", "write-off", "cancel"):
        problem(client.post(f"{base}/{step}", json={"reason": "x"}, headers=member), 403)
    for _ in range(2):
        approved = conforms(app, client.post(f"{base}/approve", headers=treasurer),
                            "/groups/{group_id}/seed-loans/{loan_id}/approve", "post")
        assert approved["state"] == "approved"
    for _ in range(2):  # delivered once: one posting
        delivered = conforms(app, client.post(f"{base}/deliver", headers=treasurer),
                             "/groups/{group_id}/seed-loans/{loan_id}/deliver", "post")
        assert delivered["state"] == "delivered"
    assert _count(session, Posting, Posting.kind == "seed_loan") == 1
    assert delivered["left"] == delivered["due"] != "0.00"
    problem(client.post(f"{base}/cancel", headers=treasurer), 409)
    problem(client.post(f"{base}/returns", json={"quantity": "1"},
                        headers={**treasurer, "Idempotency-Key": KEY + "r"}), 409)
    problem(client.post(f"{base}/write-off", json={"reason": " "}, headers=treasurer), 422,
            "reason")
    for _ in range(2):
        gone = conforms(app, client.post(f"{base}/write-off", json={"reason": "Град"},
                                         headers=treasurer),
                        "/groups/{group_id}/seed-loans/{loan_id}/write-off", "post")
        assert gone["state"] == "written_off"
    assert _count(session, SeedRepayment, SeedRepayment.kind == "write_off") == 1
    assert _count(session, Posting, Posting.kind == "seed_write_off") == 1
    assert check_books(session, w.group.id) == []


def test_seed_returned_in_kind_through_the_api_goes_into_the_stock(
        app: Flask, client: FlaskClient, session: Session) -> None:
    w = _world(session)
    treasurer = bearer(w.token)
    loan = _propose(client, w, mode="kind").get_json()
    base = f"{w.g}/seed-loans/{loan['id']}"
    client.post(f"{base}/approve", headers=treasurer)
    client.post(f"{base}/deliver", headers=treasurer)
    keyed = {**treasurer, "Idempotency-Key": KEY + "-return"}
    problem(client.post(f"{base}/returns", json={"quantity": "0"}, headers=keyed), 422,
            "quantity")
    problem(client.post(f"{base}/returns", json={"quantity": "100000"}, headers=keyed), 422,
            "quantity")
    first = client.post(f"{base}/returns", json={"quantity": "1", "note": "урожай"},
                        headers=keyed)
    got = conforms(app, first, "/groups/{group_id}/seed-loans/{loan_id}/returns", "post")
    assert first.status_code == 201 and got["state"] == "delivered" and not got["replayed"]
    again = client.post(f"{base}/returns", json={"quantity": "1", "note": "урожай"},
                        headers=keyed)
    assert again.status_code == 200 and again.get_json()["id"] == got["id"]
    assert _count(session, SeedStockMove, SeedStockMove.kind == "loan_return") == 1
    problem(client.post(f"{base}/returns", json={"quantity": "2"}, headers=keyed), 422,
            "Idempotency-Key")
    assert check_books(session, w.group.id) == []


def test_produce_returned_through_the_api_goes_into_a_sales_lot_for_the_fund(
        app: Flask, client: FlaskClient, session: Session) -> None:
    from coop.sales.models import Contribution
    from tests.factories import make_sale_lot

    w = _world(session)
    jars = make_sale_lot(session, w.group, w.treasurer)
    lot = make_sale_lot(session, w.group, w.treasurer, product="Семена томата", unit="пакет")
    session.commit()
    treasurer = bearer(w.token)
    loan = _propose(client, w, mode="kind").get_json()
    base = f"{w.g}/seed-loans/{loan['id']}"
    client.post(f"{base}/approve", headers=treasurer)
    client.post(f"{base}/deliver", headers=treasurer)
    keyed = {**treasurer, "Idempotency-Key": KEY + "-lot"}
    grade = lot.grades[0].id
    problem(client.post(f"{base}/returns", json={"quantity": "1", "lot_id": lot.id},
                        headers=keyed), 422, "grade_id")
    problem(client.post(f"{base}/returns", json={"quantity": "1", "lot_id": jars.id,
                                                 "grade_id": jars.grades[0].id},
                        headers=keyed), 422, "lot")
    problem(client.post(f"{base}/returns", json={"quantity": "1", "lot_id": 999999,
                                                 "grade_id": grade}, headers=keyed), 422, "lot")
    body = {"quantity": "1", "lot_id": lot.id, "grade_id": grade}
    first = client.post(f"{base}/returns", json=body, headers=keyed)
    got = conforms(app, first, "/groups/{group_id}/seed-loans/{loan_id}/returns", "post")
    assert first.status_code == 201 and got["into_lot_id"] == lot.id
    again = client.post(f"{base}/returns", json=body, headers=keyed)
    assert again.status_code == 200 and again.get_json()["id"] == got["id"]
    problem(client.post(f"{base}/returns", json={"quantity": "1"}, headers=keyed), 422,
            "Idempotency-Key")  # the same key, into the stock: another return
    assert _count(session, SeedStockMove) == 0
    assert _count(session, Contribution, Contribution.seed_loan_id == loan["id"]) == 1
    detail = client.get(base, headers=treasurer).get_json()
    assert [r["into_lot_id"] for r in detail["repayments"]] == [lot.id]
    lot_detail = conforms(app, client.get(f"{w.g}/lots/{lot.id}", headers=treasurer),
                          "/groups/{group_id}/lots/{lot_id}", "get")
    assert [c["seed_loan_id"] for c in lot_detail["contributions"]] == [loan["id"]]
    [fund] = lot_detail["payouts"]
    assert fund["seed_loan_id"] == loan["id"] and fund["membership_id"] == loan["membership_id"]
    assert check_books(session, w.group.id) == []
