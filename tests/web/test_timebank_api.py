"""The time bank in the JSON API: the same services and checks as the pages;
answers as the OpenAPI document says; refusals as problem+json in the
reader's language; the same Idempotency-Key records once."""

from __future__ import annotations

from datetime import date

import pytest
from flask.testing import FlaskClient
from jsonschema import Draft202012Validator
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from coop.api import openapi
from coop.timebank.models import TimeTransfer
from tests.factories import make_api_token
from tests.timebank_world import figures, make_time_bank


@pytest.fixture()
def world(session: Session):  # type: ignore[no-untyped-def]
    w = make_time_bank(session)
    w.tokens = {name: make_api_token(session, getattr(w, name).user)
                for name in ("coordinator", "aigul", "bermet", "cholpon")}
    session.commit()
    w.base = f"/api/v1/groups/{w.group.id}/timebank"
    return w


def _as(w, name: str, **headers: str) -> dict[str, str]:  # type: ignore[no-untyped-def]
    return {"Authorization": f"Bearer {w.tokens[name]}", "Accept-Language": "ru", **headers}


def _valid(client: FlaskClient, schema_name: str, body: dict) -> None:  # type: ignore[type-arg]
    """The body is what the OpenAPI document says (its references inlined)."""
    assert schema_name in client.get("/api/v1/openapi.json").get_json()["components"]["schemas"]
    Draft202012Validator(_inline(openapi.SCHEMAS[schema_name])).validate(body)


def _inline(node):  # type: ignore[no-untyped-def]
    if isinstance(node, dict):
        if "$ref" in node:
            return _inline(openapi.SCHEMAS[node["$ref"].rsplit("/", 1)[-1]])
        return {k: _inline(v) for k, v in node.items()}
    if isinstance(node, list):
        return [_inline(v) for v in node]
    return node


def test_record_confirm_and_statement_through_the_api(client: FlaskClient, session: Session,
                                                      world) -> None:  # type: ignore[no-untyped-def]
    w = world
    body = {"payer_id": w.cholpon.id, "payee_id": w.aigul.id, "hours": "2:30",
            "category_id": w.categories["harvest"], "note": "абрикосы"}
    key = {"Idempotency-Key": "api-time-key-000000001"}
    made = client.post(f"{w.base}/transfers", json=body, headers=_as(w, "aigul", **key))
    assert made.status_code == 201, made.get_json()
    assert made.get_json()["state"] == "pending" and made.get_json()["time"] == "2 ч 30 мин"
    _valid(client, "TimeTransfer", made.get_json())
    again = client.post(f"{w.base}/transfers", json=body, headers=_as(w, "aigul", **key))
    assert again.status_code == 200 and again.headers["Idempotent-Replayed"] == "true"
    transfer_id = made.get_json()["id"]
    url = f"{w.base}/transfers/{transfer_id}/confirm"
    assert client.post(url, headers=_as(w, "bermet")).status_code == 403
    confirmed = client.post(url, headers=_as(w, "cholpon"))
    assert confirmed.status_code == 200 and confirmed.get_json()["state"] == "confirmed"
    assert figures(session, w) == (150, 0, -150, 0, 0)
    statement = client.get(f"{w.base}/members/{w.cholpon.id}/statement",
                           headers=_as(w, "cholpon")).get_json()
    assert statement["balance"] == -150 and statement["items"][0]["minutes"] == -150
    _valid(client, "TimeStatement", statement)
    assert client.get(f"{w.base}/members/{w.aigul.id}/statement",
                      headers=_as(w, "cholpon")).status_code == 404
    balances = client.get(f"{w.base}/balances", headers=_as(w, "coordinator")).get_json()
    assert balances["all_accounts"] == 0 and balances["total"] == 4
    _valid(client, "TimeBalances", balances)
    assert client.get(f"{w.base}/balances", headers=_as(w, "aigul")).status_code == 403
    reversed_ = client.post(f"{w.base}/transfers/{transfer_id}/reverse", json={
        "reason": "ошибка"}, headers=_as(w, "coordinator",
                                         **{"Idempotency-Key": "api-time-rev-000000001"}))
    assert reversed_.status_code == 201 and reversed_.get_json()["kind"] == "reversal"
    assert figures(session, w) == (0, 0, 0, 0, 0)


@pytest.mark.parametrize("change, status, words", [
    ({"hours": "2:75"}, 422, "не время"),
    ({"hours": "0"}, 422, "больше нуля"),
    ({"hours": "11"}, 422, "может сейчас получить помощи не больше чем на 600 минут (10 ч)"),
    ({"payee_id": 999_999}, 404, None),
    ({"colour": "red"}, 422, None),
    ({"category_id": 999_999}, 422, "категорию"),
])
def test_bad_transfers_are_refused_as_problems_and_nothing_is_written(
        client: FlaskClient, session: Session, world, change: dict, status: int,
        words: str | None) -> None:  # type: ignore[no-untyped-def]
    w = world
    body = {"payer_id": w.aigul.id, "payee_id": w.bermet.id, "hours": "1",
            "category_id": w.categories["house"], "date_of_service": date.today().isoformat(),
            **change}
    response = client.post(f"{w.base}/transfers", json=body, headers=_as(
        w, "aigul", **{"Idempotency-Key": "api-time-bad-000000001"}))
    assert response.status_code == status, response.get_json()
    assert response.headers["Content-Type"].startswith("application/problem+json")
    if words:
        assert words in response.get_json()["detail"]
    assert session.scalar(select(func.count()).select_from(TimeTransfer)) == 0


def test_posts_through_the_api(client: FlaskClient, world) -> None:  # type: ignore[no-untyped-def]
    w = world
    made = client.post(f"{w.base}/posts", json={
        "kind": "request", "category_id": w.categories["childcare"],
        "title": "Посидеть с детьми"}, headers=_as(w, "bermet"))
    assert made.status_code == 201
    listed = client.get(f"{w.base}/posts", headers=_as(w, "aigul")).get_json()
    assert [p["title"] for p in listed["items"]] == ["Посидеть с детьми"]
    assert client.post(f"{w.base}/posts", json={"kind": "gift", "category_id": 1, "title": "x"},
                       headers=_as(w, "bermet")).status_code == 422


def test_she_withdraws_her_own_record_through_the_api(client: FlaskClient, session: Session,
                                                      world) -> None:  # type: ignore[no-untyped-def]
    """The one who recorded help she gave withdraws it with the same call the
    receiver rejects with; the answer says it was withdrawn, a rejection by
    the receiver says it was not; someone else gets 403."""
    w = world
    ids = []
    for key in ("api-time-key-withdraw-01", "api-time-key-withdraw-02"):
        made = client.post(f"{w.base}/transfers", json={
            "payer_id": w.cholpon.id, "payee_id": w.aigul.id, "hours": "1",
            "category_id": w.categories["house"]},
            headers=_as(w, "aigul", **{"Idempotency-Key": key}))
        assert made.status_code == 201 and made.get_json()["withdrawn"] is False
        ids.append(made.get_json()["id"])
    mine, theirs = (f"{w.base}/transfers/{i}/reject" for i in ids)
    assert client.post(mine, json={"reason": "не то"}, headers=_as(w, "bermet")).status_code \
        == 403
    withdrawn = client.post(mine, json={"reason": "ошиблась"}, headers=_as(w, "aigul"))
    assert withdrawn.status_code == 200, withdrawn.get_json()
    assert (withdrawn.get_json()["state"], withdrawn.get_json()["withdrawn"]) == (
        "rejected", True)
    _valid(client, "TimeTransfer", withdrawn.get_json())
    rejected = client.post(theirs, json={"reason": "не было"}, headers=_as(w, "cholpon"))
    assert (rejected.get_json()["state"], rejected.get_json()["withdrawn"]) == (
        "rejected", False)
    assert figures(session, w) == (0, 0, 0, 0, 0)
