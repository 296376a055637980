"""schemathesis against the API's own OpenAPI document, the Flask app called
as WSGI, signed in with a demo treasurer's token: every operation gets
generated requests, valid ones and (in a second pass) ones that break the
schema, and every answer must not be a server error and must be what the
document says (status code, content type, body schema).

Generated ids would almost never hit a row, so path parameters are drawn
mostly from the demo's real ids (and the items of a body from the rounds'
real items): the requests reach the services, including the writes. Bounded
and derandomized, so that it runs the same way, in well under two minutes,
on SQLite and PostgreSQL."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
from flask import Flask
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from schemathesis.checks import not_a_server_error
from schemathesis.generation import GenerationMode
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)
from sqlalchemy import select

from coop.api.inputs import IDEMPOTENCY_KEY
from coop.api.services import create_token
from coop.demo import KG_GROUP, load_demo
from coop.documents import services as documents
from coop.extensions import db, limiter
from coop.groups.models import Group
from coop.orders import services as orders
from coop.orders.models import Round, RoundItem
from coop.quotes import services as quotes
from coop.quotes.models import Quote
from coop.sales.models import SaleLot
from coop.season.models import SeedLoan, Survey
from coop.suppliers.models import Product, Supplier
from tests.conftest import _empty_tables
from tests.savings_factory import savings_ids

CHECKS = [not_a_server_error, response_schema_conformance, status_code_conformance,
          content_type_conformance]
EXAMPLES = {GenerationMode.POSITIVE: 20, GenerationMode.NEGATIVE: 8}


@pytest.fixture()
def demo(app: Flask) -> Iterator[dict[str, Any]]:
    """The demo, committed, with a treasurer's token, an awarded round (for
    deliveries), an issued invoice and a live quote link. No app context is
    held while the API is called: each request gets its own, as in production."""
    with app.app_context():
        session = db.session
        load_demo(session)
        group = session.scalar(select(Group).where(Group.name == KG_GROUP))
        treasurer = next(m for m in sorted(group.memberships, key=lambda m: m.id)
                         if m.is_treasurer)
        rounds = list(session.scalars(select(Round).where(Round.group_id == group.id)))
        closed = next(r for r in rounds if r.state == "closed")
        orders.award_at_list_prices(session, closed, treasurer.user)
        settled = next(r for r in rounds if r.state == "settled")
        member = next(m for m in group.memberships if m.id != treasurer.id and m.user.has_login)
        invoice = documents.issue_invoice(session, settled, member, treasurer.user)
        quote = session.scalar(select(Quote).join(Round).where(Round.group_id == group.id))
        link = quotes.new_link(session, quote)
        from coop.equipment.models import Asset

        _token, raw = create_token(session, treasurer.user, "schemathesis")
        members = sorted((m for m in group.memberships if not m.is_treasurer),
                         key=lambda m: m.id)
        savings = savings_ids(session, group, treasurer, members)
        ids = {
            "group_id": [group.id],
            "round_id": [r.id for r in rounds],
            "membership_id": [m.id for m in group.memberships],
            "supplier_id": list(session.scalars(select(Supplier.id).where(
                Supplier.group_id == group.id))),
            "product_id": list(session.scalars(select(Product.id).where(
                Product.group_id == group.id))),
            "lot_id": list(session.scalars(select(SaleLot.id).where(
                SaleLot.group_id == group.id))),
            "document_id": [invoice.id] if invoice else [],
            "survey_id": list(session.scalars(select(Survey.id).where(
                Survey.group_id == group.id))),
            "loan_id": list(session.scalars(select(SeedLoan.id).where(
                SeedLoan.group_id == group.id))),
            "token": [link],
            **{name: [value] for name, value in savings.items()},
            "asset_id": list(session.scalars(select(Asset.id).where(
                Asset.group_id == group.id))),
        }
        from coop.timebank.models import TimePost, TimeTransfer

        ids["transfer_id"] = list(session.scalars(select(TimeTransfer.id).where(
            TimeTransfer.group_id == group.id)))
        ids["post_id"] = list(session.scalars(select(TimePost.id).where(
            TimePost.group_id == group.id)))
        by_round: dict[int, list[int]] = {}
        for item_id, round_id in session.execute(select(RoundItem.id, RoundItem.round_id).join(
                Round).where(Round.group_id == group.id)):
            by_round.setdefault(round_id, []).append(item_id)
        quoted = by_round[quote.round_id]
        session.commit()
    yield {"token": raw, "ids": ids, "by_round": by_round, "quoted": quoted,
           "items": [item for items in by_round.values() for item in items]}
    with app.app_context():
        _empty_tables()
    limiter.reset()


def _real_ids(ids: dict[str, list[Any]], items: list[int]):  # type: ignore[no-untyped-def]
    def flatmap_path_parameters(_context, path_parameters):  # type: ignore[no-untyped-def]
        if not isinstance(path_parameters, dict):
            return st.just(path_parameters)
        return st.fixed_dictionaries({
            name: st.sampled_from([*ids.get(name, []), value] if ids.get(name) else [value])
            for name, value in path_parameters.items()})

    def flatmap_body(_context, body):  # type: ignore[no-untyped-def]
        lines = body.get("lines") if isinstance(body, dict) else None
        if not isinstance(lines, list) or not lines or not all(
                isinstance(line, dict) and "item_id" in line for line in lines):
            return st.just(body)
        real = st.lists(st.sampled_from(items), min_size=len(lines), max_size=len(lines),
                        unique=True) if len(lines) <= len(items) else st.just(None)
        return real.map(lambda chosen: body if chosen is None else {
            **body, "lines": [{**line, "item_id": item_id}
                              for line, item_id in zip(lines, chosen, strict=True)]})

    return flatmap_path_parameters, flatmap_body


@st.composite
def _documented(draw, operation, example, demo):  # type: ignore[no-untyped-def]
    """The operation's documented example body, on rows of the demo: real path
    ids, and items of the round in the path (or of the quote's round)."""
    params = {name: draw(st.sampled_from(demo["ids"][name]))
              for name in re.findall(r"{(\w+)}", operation.path)}
    items = demo["quoted"] if "token" in params else demo["by_round"].get(
        params.get("round_id"), demo["items"])
    # ids in the body (a seed loan's member, round and product; a survey's
    # products) drawn from the demo's rows too, so that the example reaches
    # the services
    season = "/seed-loans" in operation.path or "/surveys" in operation.path
    body = {**example, **{name: draw(st.sampled_from(demo["ids"][name]))
                          for name in ("membership_id", "round_id", "product_id")
                          if season and name in example and demo["ids"].get(name)}}
    if season and "product_ids" in example:
        body["product_ids"] = draw(st.lists(st.sampled_from(demo["ids"]["product_id"]),
                                            min_size=1, max_size=3, unique=True))
    if "lines" in example:
        chosen = draw(st.lists(st.sampled_from(items), min_size=1, max_size=len(items),
                               unique=True))
        body = {**body, "lines": [{**example["lines"][0], "item_id": item_id}
                                  for item_id in chosen]}
    headers = {}
    if any(p.name == IDEMPOTENCY_KEY for p in operation.headers):
        headers[IDEMPOTENCY_KEY] = str(draw(st.uuids()))
    return operation.Case(path_parameters=params, body=body, headers=headers,
                          media_type="application/json")


def test_the_api_keeps_to_its_openapi_document(app: Flask, demo) -> None:  # type: ignore[no-untyped-def]
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)
    document = app.test_client().get("/api/v1/openapi.json").get_json()
    paths_hook, body_hook = _real_ids(demo["ids"], demo["items"])
    schema.hook("flatmap_path_parameters")(paths_hook)
    schema.hook("flatmap_body")(body_hook)
    # schemathesis asks for gzip ("gzip, deflate", as requests does) but, calling
    # the app through WSGI, does not unpack it as an HTTP client would
    headers = {"Authorization": f"Bearer {demo['token']}", "Accept-Encoding": "identity"}
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 25
    for operation in operations:
        body = document["paths"][operation.path][operation.method.lower()].get("requestBody")
        if body is not None:
            example = body["content"]["application/json"]["example"]

            @settings(max_examples=EXAMPLES[GenerationMode.POSITIVE] // 2, deadline=None,
                      derandomize=True, database=None, phases=[Phase.generate],
                      suppress_health_check=list(HealthCheck))
            @given(case=_documented(operation, example, demo))
            def call_documented(case) -> None:  # type: ignore[no-untyped-def]
                case.call_and_validate(headers=headers, checks=CHECKS)

            call_documented()
        for mode, examples in EXAMPLES.items():
            @settings(max_examples=examples, deadline=None, derandomize=True, database=None,
                      phases=[Phase.explicit, Phase.generate],
                      suppress_health_check=list(HealthCheck))
            @given(case=operation.as_strategy(generation_mode=mode))
            def call(case) -> None:  # type: ignore[no-untyped-def]
                case.call_and_validate(headers=headers, checks=CHECKS)

            call()
