"""A supplier's offer is recorded once: the same form sent again (its key),
or the same offer as her latest with no counter-offer since, records nothing
new, even when the two sendings come at the same moment."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from coop.errors import DomainError
from coop.extensions import db
from coop.quotes import services as quotes
from coop.quotes.models import Quote, QuoteRevision
from tests.factories import make_closed_round, make_quote, offer_input
from tests.integration.test_concurrency import run_together

TODAY = date(2026, 11, 22)
K, P = 1000, 1_000_000
KEY = "offer-form-key-0123456789"


def _offer(w, npk_price: int = 70, note: str = ""):  # type: ignore[no-untyped-def]
    return offer_input({w.seed.id: (25 * K, [(0, 45 * P), (50 * K, 40 * P)]),
                        w.fabric.id: None,
                        w.npk.id: (50 * K, [(0, 75 * P), (100 * K, npk_price * P)], 500 * K)},
                       fee=50000, lead_time_days=5, note=note)


def _numbers(session: Session, quote: Quote) -> list[int]:
    session.expire_all()
    return list(session.scalars(select(QuoteRevision.number).where(
        QuoteRevision.quote_id == quote.id).order_by(QuoteRevision.number)))


def test_the_same_offer_again_records_nothing(session: Session) -> None:
    w = make_closed_round(session)
    quote, _token = make_quote(session, w)
    first = quotes.submit_revision(session, quote, _offer(w, note=" Вторник "), today=TODAY,
                                   idempotency_key=KEY)
    assert first.idempotency_key == KEY
    # the same form again, and the same offer from a form shown anew (a new key)
    for key in (KEY, "another-form-key-000000", None):
        with pytest.raises(quotes.OfferAlreadyReceived) as refused:
            quotes.submit_revision(session, quote, _offer(w, note="Вторник"), today=TODAY,
                                   idempotency_key=key)
        assert refused.value.revision.id == first.id and refused.value.status == 409
    assert _numbers(session, quote) == [1]
    # a real change is a new version; the same form, changed, too (its key is taken)
    second = quotes.submit_revision(session, quote, _offer(w, npk_price=69), today=TODAY,
                                    idempotency_key=KEY)
    assert second.number == 2 and second.idempotency_key is None
    assert _numbers(session, quote) == [1, 2]


def test_the_same_offer_after_a_counter_offer_or_a_decline_is_a_new_version(
        session: Session) -> None:
    w = make_closed_round(session)
    quote, _token = make_quote(session, w)
    quotes.submit_revision(session, quote, _offer(w), today=TODAY, idempotency_key=KEY)
    quotes.send_counter_offer(session, quote, w.treasurer.user, message="Дешевле?",
                              targets={w.npk.id: 66 * P})
    with pytest.raises(quotes.OfferAlreadyReceived):  # the old form again: the same sending
        quotes.submit_revision(session, quote, _offer(w), today=TODAY, idempotency_key=KEY)
    answer = quotes.submit_revision(session, quote, _offer(w), today=TODAY,
                                    idempotency_key="answer-form-key-00000000")
    assert answer.number == 2  # she keeps her prices: that is her answer
    quotes.decline_quote(session, quote, "Нет товара")
    assert quotes.submit_revision(session, quote, _offer(w), today=TODAY).number == 4


def test_an_identical_offer_for_an_awarded_round_says_it_is_received(session: Session) -> None:
    w = make_closed_round(session)
    quote, _token = make_quote(session, w)
    quotes.submit_revision(session, quote, _offer(w), today=TODAY, idempotency_key=KEY)
    quotes.award_quotes(session, w.rnd, w.treasurer.user,
                        {w.seed.id: quote.id, w.npk.id: quote.id, w.fabric.id: None},
                        today=TODAY)
    with pytest.raises(quotes.OfferAlreadyReceived):
        quotes.submit_revision(session, quote, _offer(w), today=TODAY, idempotency_key=KEY)
    with pytest.raises(DomainError, match="no longer takes offers"):
        quotes.submit_revision(session, quote, _offer(w, npk_price=60), today=TODAY)


def test_the_same_decline_again_is_the_one_she_sent(session: Session) -> None:
    w = make_closed_round(session)
    quote, _token = make_quote(session, w)
    first = quotes.decline_quote(session, quote, " Нет товара ")
    assert quotes.decline_quote(session, quote, "Нет товара").id == first.id
    assert quotes.decline_quote(session, quote, "Нет NPK").number == 2  # another answer
    assert _numbers(session, quote) == [1, 2]


@pytest.mark.postgres
def test_two_identical_offers_at_once_make_one_version(app_ctx, session: Session,  # type: ignore[no-untyped-def]
                                                       pg_only: None) -> None:
    w = make_closed_round(session)
    quote, _token = make_quote(session, w)
    session.commit()
    quote_id = quote.id

    def send(s: Session) -> None:
        found = s.get(Quote, quote_id)
        quotes.submit_revision(s, found, _offer(w), today=TODAY, idempotency_key=KEY)

    outcomes = run_together(app_ctx, send, n=4)
    assert sorted(outcomes) == ["ok", "refused", "refused", "refused"], outcomes
    db.session.expire_all()
    assert db.session.scalar(select(func.count()).select_from(QuoteRevision)) == 1


@pytest.mark.postgres
def test_two_identical_offers_from_two_forms_at_once_make_one_version(  # type: ignore[no-untyped-def]
        app_ctx, session: Session, pg_only: None) -> None:
    """The page shown twice (two keys), the same offer sent from both at once."""
    w = make_closed_round(session)
    quote, _token = make_quote(session, w)
    session.commit()
    quote_id, keys = quote.id, iter([f"{KEY}-a", f"{KEY}-b"])

    def send(s: Session) -> None:
        found = s.get(Quote, quote_id)
        quotes.submit_revision(s, found, _offer(w), today=TODAY, idempotency_key=next(keys))

    outcomes = run_together(app_ctx, send, n=2)
    assert sorted(outcomes) == ["ok", "refused"], outcomes
    db.session.expire_all()
    assert db.session.scalar(select(func.count()).select_from(QuoteRevision)) == 1
