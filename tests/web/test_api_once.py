"""What the pages ask or keep once, the API does too: a member's payment far
beyond what she could owe is refused unless the body says `beyond_owed` (the
payment form asks first, in the same words), and a supplier's offer sent
again with the same Idempotency-Key (a retry after a timeout) is recorded
once, as the offer form is with its hidden key."""

from __future__ import annotations

import html
from collections.abc import Iterator
from datetime import date, timedelta
from types import SimpleNamespace
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from coop.api import openapi
from coop.db import utcnow
from coop.ledger import services as ledger
from coop.ledger.advances import far_beyond_owed
from coop.ledger.models import Payment, Posting
from coop.orders import services as orders
from coop.quantities import parse_quantity as q
from coop.quotes import services as quotes
from coop.quotes.models import Quote, QuoteRevision
from tests.conftest import login, post
from tests.factories import (
    make_api_token,
    make_catalog,
    make_closed_round,
    make_group,
    make_member,
    make_quote,
)
from tests.integration.test_concurrency import run_together
from tests.web.test_api import API, bearer, conforms, problem

PAYMENTS = "/groups/{group_id}/accounts/{membership_id}/payments"
QUOTE = "/quotes/{token}"
P = 1_000_000


# --------------------------------------------------------------------------
# A member's payment far beyond what she owes
# --------------------------------------------------------------------------


@pytest.fixture()
def owing(session: Session) -> SimpleNamespace:
    """Aigul owes 1,200.00 and has ordered in an open round what could cost
    2,910.00 at most (60 tomato seed at 48.50, the base price): 4,110.00 in all."""
    group = make_group(session)
    treasurer = make_member(session, group, "Майрам", role="treasurer")
    aigul = make_member(session, group, "Айгүл")
    ledger.adjust_member(session, aigul, amount=120000, reason="Весна", actor=treasurer.user)
    products = make_catalog(session, group)
    rnd = orders.create_round(session, group, treasurer.user, title="Осень", deadline=None,
                              product_ids=[p.id for p in products])
    orders.move_round(session, rnd, treasurer.user, "open")
    orders.save_order(session, rnd, aigul, {rnd.items[0].id: (q("50"), q("10"))},
                      treasurer.user, as_treasurer=True)
    token = make_api_token(session, treasurer.user)
    session.commit()
    return SimpleNamespace(group=group, treasurer=treasurer, aigul=aigul,
                           exposure=orders.order_exposure(session, aigul),
                           headers={**bearer(token), "Accept-Language": "en"},
                           url=f"{API}/groups/{group.id}/accounts/{aigul.id}/payments")


def _pay(client: FlaskClient, world: SimpleNamespace, key: str, **body: Any):  # type: ignore[no-untyped-def]
    return client.post(world.url, json={"method": "cash", **body},
                       headers={**world.headers, "Idempotency-Key": key})


def _books(session: Session, world: SimpleNamespace) -> tuple[int, int, int]:
    session.expire_all()
    return (session.scalar(select(func.count()).select_from(Payment)) or 0,
            session.scalar(select(func.count()).select_from(Posting)) or 0,
            ledger.member_balance(session, world.aigul))


def test_a_payment_far_beyond_what_she_owes_is_refused_in_the_forms_words(
        app: Flask, client: FlaskClient, session: Session, owing) -> None:  # type: ignore[no-untyped-def]
    assert owing.exposure == 291000
    before = _books(session, owing)
    assert before == (0, 1, -120000)
    refused = problem(_pay(client, owing, "api-beyond-owed-0001", amount="4110.01"), 422,
                      "amount")
    expected = far_beyond_owed(session, owing.aigul, 411001)
    assert expected is not None
    assert refused["detail"] == f"{expected} Send “beyond_owed”: true to record it anyway."
    assert refused["confirm"] == "beyond_owed"
    assert "owes 1,200.00 som" in expected.replace("\u00a0", " ")
    assert "2,910.00 som at most" in expected.replace("\u00a0", " ")
    assert "leaves 0.01 som in credit" in expected.replace("\u00a0", " ")
    assert _books(session, owing) == before  # nothing recorded, her balance as it was
    # the payment form asks the very same question
    login(client, owing.treasurer.user.email)
    asked = post(client, f"/groups/{owing.group.id}/accounts/{owing.aigul.id}/payment",
                 {"amount": "4110.01", "method": "cash", "reference": ""},
                 headers={"Accept-Language": "en"})
    assert asked.status_code == 200 and "Record it anyway?" in asked.get_data(as_text=True)
    assert expected in html.unescape(asked.get_data(as_text=True))
    assert _books(session, owing) == before
    # what she owes and what her orders could cost is no advance: not asked
    paid = conforms(app, _pay(client, owing, "api-beyond-owed-0002", amount="4110.00"),
                    PAYMENTS, "post")
    assert paid["balance"] == "2910.00"
    assert _books(session, owing) == (1, 2, 291000)


def test_the_refusal_is_in_the_readers_language(client: FlaskClient, owing) -> None:  # type: ignore[no-untyped-def]
    refused = problem(client.post(owing.url, json={"amount": "5000", "method": "cash"},
                                  headers={**owing.headers, "Accept-Language": "ru",
                                           "Idempotency-Key": "api-beyond-owed-ru01"}),
                      422, "amount")
    assert "должна 1" in refused["detail"] and "на её счёте переплату" in refused["detail"]


def test_beyond_owed_true_records_the_advance(app: Flask, client: FlaskClient,
                                              session: Session, owing) -> None:  # type: ignore[no-untyped-def]
    paid = conforms(app, _pay(client, owing, "api-beyond-owed-0003", amount="10000.00",
                              beyond_owed=True), PAYMENTS, "post")
    assert paid["amount"] == "10000.00" and paid["balance"] == "8800.00"
    assert _books(session, owing) == (1, 2, 880000)
    problem(_pay(client, owing, "api-beyond-owed-0004", amount="1", beyond_owed="yes"), 422,
            "beyond_owed")
    # false is the same as not said: more than her orders could cost is refused
    problem(_pay(client, owing, "api-beyond-owed-0005", amount="2910.01", beyond_owed=False),
            422, "amount")
    assert _books(session, owing) == (1, 2, 880000)


def test_a_replay_is_not_asked_again(app: Flask, client: FlaskClient, session: Session,
                                     owing) -> None:  # type: ignore[no-untyped-def]
    """She paid her whole debt and her orders: the same request again (its key)
    is the payment recorded, though the same amount now would be an advance."""
    first = _pay(client, owing, "api-replay-key-00001", amount="4110.00")
    assert first.status_code == 201
    again = _pay(client, owing, "api-replay-key-00001", amount="4110.00")
    assert again.status_code == 200 and again.headers["Idempotent-Replayed"] == "true"
    assert conforms(app, again, PAYMENTS, "post")["id"] == first.get_json()["id"]
    problem(_pay(client, owing, "api-replay-key-00002", amount="4110.00"), 422, "amount")
    # an advance said so, sent again without saying so: still the one recorded
    advance = _pay(client, owing, "api-replay-key-00003", amount="500.00", beyond_owed=True)
    assert advance.status_code == 201
    replay = _pay(client, owing, "api-replay-key-00003", amount="500.00")
    assert replay.status_code == 200 and replay.headers["Idempotent-Replayed"] == "true"
    assert replay.get_json()["id"] == advance.get_json()["id"]
    # the key with another amount is still refused as another payment
    problem(_pay(client, owing, "api-replay-key-00003", amount="600.00", beyond_owed=True),
            422, "Idempotency-Key")
    assert _books(session, owing) == (2, 3, 341000)


# --------------------------------------------------------------------------
# A supplier's offer sent again with the same Idempotency-Key
# --------------------------------------------------------------------------


@pytest.fixture()
def quoting(session: Session) -> Iterator[SimpleNamespace]:
    w = make_closed_round(session)
    quote, token = make_quote(session, w)
    session.commit()
    yield SimpleNamespace(**vars(w), quote=quote, url=f"{API}/quotes/{token}")


def _offer(w: SimpleNamespace, npk_price: str = "70") -> dict[str, Any]:
    return {"lines": [{"item_id": w.seed.id, "pack_size": "25",
                       "tiers": [{"min_qty": "0", "unit_price": "45"},
                                 {"min_qty": "50", "unit_price": "40"}]},
                      {"item_id": w.fabric.id, "pack_size": "30",
                       "tiers": [{"min_qty": "0", "unit_price": "25"}]},
                      {"item_id": w.npk.id, "pack_size": "50",
                       "tiers": [{"min_qty": "0", "unit_price": "75"},
                                 {"min_qty": "100", "unit_price": npk_price}]}],
            "delivery_fee": "500.00", "lead_time_days": 5, "note": "Вторник",
            "valid_until": (date.today() + timedelta(days=30)).isoformat()}


def _send(client: FlaskClient, w: SimpleNamespace, offer: dict[str, Any], key: str | None):  # type: ignore[no-untyped-def]
    headers = {"Accept-Language": "en", **({"Idempotency-Key": key} if key else {})}
    return client.post(w.url, json=offer, headers=headers)


def _revisions(session: Session, quote: Quote) -> list[int]:
    session.expire_all()
    return list(session.scalars(select(QuoteRevision.number).where(
        QuoteRevision.quote_id == quote.id).order_by(QuoteRevision.number)))


KEY = "offer-api-key-0123456789"


def test_the_same_offer_with_the_same_key_is_recorded_once(
        app: Flask, client: FlaskClient, session: Session, quoting) -> None:  # type: ignore[no-untyped-def]
    first = _send(client, quoting, _offer(quoting), KEY)
    made = conforms(app, first, QUOTE, "post")
    assert first.status_code == 201 and "Idempotent-Replayed" not in first.headers
    again = _send(client, quoting, _offer(quoting), KEY)
    assert again.status_code == 200 and again.headers["Idempotent-Replayed"] == "true"
    assert conforms(app, again, QUOTE, "post") == made
    assert _revisions(session, quoting.quote) == [1]
    # without the header, as before: the same offer as her latest is no new version
    problem(_send(client, quoting, _offer(quoting), None), 409)
    assert _revisions(session, quoting.quote) == [1]


def test_a_retry_after_a_counter_offer_is_still_the_revision_it_made(
        client: FlaskClient, session: Session, quoting) -> None:  # type: ignore[no-untyped-def]
    """The counter-offer came while her client waited: without the key, the
    same prices again are her answer to it (a new version); with it, the retry."""
    assert _send(client, quoting, _offer(quoting), KEY).status_code == 201
    session.expire_all()
    quotes.send_counter_offer(session, session.get(Quote, quoting.quote.id),
                              quoting.treasurer.user, message="Дешевле?",
                              targets={quoting.npk.id: 66 * P})
    session.commit()
    again = _send(client, quoting, _offer(quoting), KEY)
    assert again.status_code == 200 and again.headers["Idempotent-Replayed"] == "true"
    assert again.get_json()["number"] == 1
    assert _revisions(session, quoting.quote) == [1]
    answer = _send(client, quoting, _offer(quoting), "offer-api-key-answer-01")
    assert answer.status_code == 201 and answer.get_json()["number"] == 2


def test_the_same_key_with_another_offer_is_refused(client: FlaskClient, session: Session,
                                                    quoting) -> None:  # type: ignore[no-untyped-def]
    assert _send(client, quoting, _offer(quoting), KEY).status_code == 201
    refused = problem(_send(client, quoting, _offer(quoting, npk_price="69"), KEY), 422,
                      "Idempotency-Key")
    assert refused["detail"] == ("This Idempotency-Key was sent with another offer. Send a "
                                 "new key for a new offer.")
    problem(_send(client, quoting, {**_offer(quoting), "note": "Среда"}, KEY), 422,
            "Idempotency-Key")
    assert _revisions(session, quoting.quote) == [1]
    # a new key for the new offer
    other = _send(client, quoting, _offer(quoting, npk_price="69"), "offer-api-key-second-1")
    assert other.status_code == 201 and other.get_json()["number"] == 2
    assert _revisions(session, quoting.quote) == [1, 2]


def test_a_malformed_key_is_refused_and_nothing_is_recorded(
        client: FlaskClient, session: Session, quoting) -> None:  # type: ignore[no-untyped-def]
    for key in ("short", "with spaces in the key 1", "x" * 65):
        refused = problem(_send(client, quoting, _offer(quoting), key), 400, "Idempotency-Key")
        # an offer is no payment: the message says "request"
        assert "the same key when you send the same request again" in refused["detail"]
    assert _revisions(session, quoting.quote) == []


def test_a_retry_after_the_award_is_still_the_revision_it_made(
        client: FlaskClient, session: Session, quoting) -> None:  # type: ignore[no-untyped-def]
    assert _send(client, quoting, _offer(quoting), KEY).status_code == 201
    session.expire_all()
    quotes.award_whole(session, quoting.rnd, quoting.treasurer.user, quoting.quote.id,
                       today=utcnow().date())
    session.commit()
    again = _send(client, quoting, _offer(quoting), KEY)
    assert again.status_code == 200 and again.get_json()["number"] == 1
    problem(_send(client, quoting, _offer(quoting), "offer-api-key-late-0001"), 409)
    problem(_send(client, quoting, _offer(quoting, npk_price="60"), KEY), 422,
            "Idempotency-Key")
    assert _revisions(session, quoting.quote) == [1]


@pytest.mark.parametrize("npk_price, status", [("70", 200), ("69", 422)])
def test_the_same_key_at_the_same_moment_counts_once(  # type: ignore[no-untyped-def]
        client: FlaskClient, session: Session, quoting, monkeypatch, npk_price: str,
        status: int) -> None:
    """The other request's revision committed after this one looked for its key
    (what the lock prevents on PostgreSQL): the unique key stops this one at
    the flush, and the answer is the first one's (or the refusal)."""
    assert _send(client, quoting, _offer(quoting), KEY).status_code == 201
    session.expire_all()
    quotes.send_counter_offer(session, session.get(Quote, quoting.quote.id),
                              quoting.treasurer.user, message="Дешевле?",
                              targets={quoting.npk.id: 66 * P})
    session.commit()
    real_lookup, real_submit = quotes.revision_by_key, quotes.submit_revision
    blind = [False]

    def lookup(*args: Any, **kwargs: Any) -> QuoteRevision | None:
        return None if blind[0] else real_lookup(*args, **kwargs)

    def submit(*args: Any, **kwargs: Any) -> QuoteRevision:
        blind[0] = True  # its own look-ups miss the first sending's revision
        try:
            return real_submit(*args, **kwargs)
        finally:
            blind[0] = False

    monkeypatch.setattr(quotes, "revision_by_key", lookup)
    monkeypatch.setattr(quotes, "submit_revision", submit)
    answer = _send(client, quoting, _offer(quoting, npk_price=npk_price), KEY)
    assert answer.status_code == status, answer.get_data(as_text=True)
    if status == 200:
        assert answer.headers["Idempotent-Replayed"] == "true"
        assert answer.get_json()["number"] == 1
    else:
        problem(answer, 422, "Idempotency-Key")
    assert _revisions(session, quoting.quote) == [1]


@pytest.mark.postgres
@pytest.mark.parametrize("attempt", range(3))
def test_two_sendings_with_the_same_key_at_once_make_one_revision(  # type: ignore[no-untyped-def]
        app_ctx: Flask, session: Session, quoting, pg_only: None, attempt: int) -> None:
    statuses: list[int] = []

    def send(_session: Session) -> None:
        response = app_ctx.test_client().post(quoting.url, json=_offer(quoting),
                                              headers={"Idempotency-Key": KEY})
        statuses.append(response.status_code)

    outcomes = run_together(app_ctx, send)
    assert outcomes == ["ok", "ok"], outcomes
    assert sorted(statuses) == [200, 201], statuses
    assert _revisions(session, quoting.quote) == [1]


def test_the_document_says_so(app: Flask) -> None:
    document = openapi.document(app)
    payment = document["components"]["schemas"]["NewPayment"]
    assert payment["properties"]["beyond_owed"]["type"] == "boolean"
    assert "beyond_owed" not in payment["required"]
    pay = document["paths"][PAYMENTS]["post"]
    assert "beyond_owed" in pay["description"]
    assert [p["required"] for p in pay["parameters"] if p["name"] == "Idempotency-Key"] == [True]
    offer = document["paths"][QUOTE]["post"]
    assert [p["required"] for p in offer["parameters"]
            if p["name"] == "Idempotency-Key"] == [False]
    assert {"200", "201", "400", "409", "422"} <= set(offer["responses"])
    assert "Idempotency-Key" in offer["description"]
