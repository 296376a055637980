"""Quotes through the services and the database: links, revisions, counter-
offers, the comparison with the split engine, and the award."""

from __future__ import annotations

import hashlib
from datetime import date, timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from coop.db import utcnow
from coop.errors import DomainError
from coop.orders import services as orders
from coop.orders.models import Round, SharedCost
from coop.quotes import services as quotes
from coop.quotes.models import CounterOffer, Quote, QuoteAward, QuoteLine, QuoteRevision, QuoteTier
from tests.factories import make_closed_round, make_quote, offer_input

TODAY = date(2026, 11, 22)
K = 1000  # thousandths of a unit
P = 1_000_000  # millionths of a som


def _offer_a(w, fee: int = 50000, valid_until=None):  # type: ignore[no-untyped-def]
    """Everything: seed 40 from 50, fabric 25, NPK 70 from 100; fee 500 som."""
    return offer_input({w.seed.id: (25 * K, [(0, 45 * P), (50 * K, 40 * P)]),
                        w.fabric.id: (30 * K, [(0, 25 * P)]),
                        w.npk.id: (50 * K, [(0, 75 * P), (100 * K, 70 * P)])},
                       fee=fee, valid_until=valid_until)


def _offer_b(w, fee: int = 30000):  # type: ignore[no-untyped-def]
    """No fabric; cheaper NPK (68 from 100 in packs of 25); fee 300 som."""
    return offer_input({w.seed.id: (10 * K, [(0, 44 * P)]), w.fabric.id: None,
                        w.npk.id: (25 * K, [(0, 72 * P), (100 * K, 68 * P)])}, fee=fee)


def _count(session: Session, model) -> int:  # type: ignore[no-untyped-def]
    return session.scalar(select(func.count()).select_from(model))


def test_asking_for_quotes_moves_the_round_and_keeps_only_a_hash(session: Session) -> None:
    w = make_closed_round(session)
    quote, token = make_quote(session, w)
    assert w.rnd.state == "quoting"
    assert quote.token_hash == hashlib.sha256(token.encode()).hexdigest()
    assert token not in quote.token_hash and len(token) >= 40
    lifetime = quote.link_expires_at - utcnow()
    assert timedelta(days=13, hours=23) < lifetime <= timedelta(days=14)
    assert quotes.open_quote(session, token).id == quote.id
    # asked again: a new link, the old one is dead
    [(same, new_token)] = quotes.request_quotes(session, w.rnd, w.treasurer.user,
                                                supplier_ids=[quote.supplier_id], days=3)
    assert same.id == quote.id and new_token != token
    with pytest.raises(quotes.LinkNotFound):
        quotes.open_quote(session, token)
    assert quotes.open_quote(session, new_token).id == quote.id


def test_request_refuses_bad_days_foreign_suppliers_and_open_rounds(session: Session) -> None:
    w = make_closed_round(session)
    other = make_closed_round(session)
    _quote, _token = make_quote(session, other)
    foreign = other.rnd.items[0].product.supplier_id
    session.commit()
    for kwargs in ({"supplier_ids": [foreign]}, {"supplier_ids": [], "days": 5},
                   {"supplier_ids": [w.seed.product.supplier_id], "days": 0},
                   {"supplier_ids": [w.seed.product.supplier_id], "days": 91}):
        with pytest.raises(DomainError):
            quotes.request_quotes(session, w.rnd, w.treasurer.user, **kwargs)
    session.rollback()
    assert session.get(Round, w.rnd.id).state == "closed"
    assert session.get(Round, other.rnd.id).state == "quoting"
    assert session.scalar(select(Quote.id).where(Quote.round_id == w.rnd.id)) is None


def test_expired_revoked_and_unknown_links(session: Session) -> None:
    w = make_closed_round(session)
    quote, token = make_quote(session, w, days=1)
    with pytest.raises(quotes.LinkGone) as expired:
        quotes.open_quote(session, token, now=utcnow() + timedelta(days=2))
    assert expired.value.status == 410
    quotes.revoke_link(session, quote)
    with pytest.raises(quotes.LinkGone) as revoked:
        quotes.open_quote(session, token)
    assert "withdrawn" in str(revoked.value)
    for bad in ("", token[:-1] + ("A" if token[-1] != "A" else "B"), "x" * 500):
        with pytest.raises(quotes.LinkNotFound) as unknown:
            quotes.open_quote(session, bad)
        assert unknown.value.status == 404


def test_each_submission_is_a_new_revision_and_earlier_ones_are_kept(session: Session) -> None:
    w = make_closed_round(session)
    quote, _token = make_quote(session, w)
    first = quotes.submit_revision(session, quote, _offer_a(w), today=TODAY)
    second = quotes.submit_revision(session, quote, _offer_a(w, fee=20000), today=TODAY)
    session.expire_all()
    revisions = session.scalars(select(QuoteRevision).where(QuoteRevision.quote_id == quote.id)
                                .order_by(QuoteRevision.number)).all()
    assert [(r.number, r.delivery_fee) for r in revisions] == [(1, 50000), (2, 20000)]
    assert revisions[0].id == first.id and revisions[1].id == second.id
    seed_line = next(line for line in revisions[0].lines if line.round_item_id == w.seed.id)
    assert [(t.min_qty, t.unit_price) for t in seed_line.tiers] == [(0, 45 * P), (50 * K, 40 * P)]
    assert session.get(Quote, quote.id).latest.number == 2


def test_counter_offer_and_revisions_form_one_history(session: Session) -> None:
    w = make_closed_round(session)
    quote, _token = make_quote(session, w)
    with pytest.raises(DomainError, match="not sent an offer"):
        quotes.send_counter_offer(session, quote, w.treasurer.user, message="?", targets={})
    quotes.submit_revision(session, quote, _offer_a(w), today=TODAY)
    counter = quotes.send_counter_offer(session, quote, w.treasurer.user,
                                        message="Можно дешевле NPK?",
                                        targets={w.npk.id: 65 * P})
    assert quotes.latest_counter(quote) is counter
    quotes.submit_revision(session, quote, _offer_a(w, fee=0), today=TODAY)
    session.expire_all()
    quote = session.get(Quote, quote.id)
    history = quotes.quote_history(quote)
    assert [e.kind for e in history] == ["revision", "counter", "revision"]
    assert history[1].counter.lines[0].target_price == 65 * P
    assert quotes.latest_counter(quote) is None  # answered
    for bad in ({"message": "", "targets": {}}, {"message": "x", "targets": {w.npk.id: -1}},
                {"message": "x" * 1001, "targets": {}}):
        with pytest.raises(DomainError):
            quotes.send_counter_offer(session, quote, w.treasurer.user, **bad)
    assert _count(session, CounterOffer) == 1


@pytest.mark.parametrize("case", ["tiers_not_growing", "negative_price", "no_zero_tier",
                                  "pack_not_multiple", "negative_fee", "past_validity",
                                  "nothing_offered", "foreign_item"])
def test_bad_offers_store_nothing(session: Session, case: str) -> None:
    w = make_closed_round(session)
    other = make_closed_round(session)
    quote, _token = make_quote(session, w)
    session.commit()
    good = {w.seed.id: (25 * K, [(0, 45 * P)])}
    lines, fee, valid = dict(good), 0, None
    if case == "tiers_not_growing":
        lines = {w.seed.id: (25 * K, [(0, 45 * P), (50 * K, 40 * P), (50 * K, 39 * P)])}
    elif case == "negative_price":
        lines = {w.seed.id: (25 * K, [(0, -1)])}
    elif case == "no_zero_tier":
        lines = {w.seed.id: (25 * K, [(10 * K, 45 * P)])}
    elif case == "pack_not_multiple":
        lines = {w.fabric.id: (750, [(0, 25 * P)])}  # 0.75 m, the step is 0.5
    elif case == "negative_fee":
        fee = -100
    elif case == "past_validity":
        valid = TODAY - timedelta(days=1)
    elif case == "nothing_offered":
        lines = {w.seed.id: None}
    elif case == "foreign_item":
        lines[other.seed.id] = (25 * K, [(0, 1 * P)])
    with pytest.raises(quotes.OfferError) as error:
        quotes.submit_revision(session, quote, offer_input(lines, fee=fee, valid_until=valid),
                               today=TODAY)
    assert error.value.errors and error.value.status == 422
    session.rollback()
    assert session.get(Quote, quote.id) is not None
    assert (_count(session, QuoteRevision), _count(session, QuoteLine),
            _count(session, QuoteTier)) == (0, 0, 0)


def test_comparison_on_the_pooled_demand_and_member_totals_by_the_engine(session: Session
                                                                        ) -> None:
    w = make_closed_round(session)
    qa, _ = make_quote(session, w, "Альфа")
    qb, _ = make_quote(session, w, "Бета")
    qc, _ = make_quote(session, w, "Гамма")
    make_quote(session, w, "Молчит")  # asked, never answered: not compared
    quotes.submit_revision(session, qa, _offer_a(w), today=TODAY)
    quotes.submit_revision(session, qb, _offer_b(w), today=TODAY)
    quotes.decline_quote(session, qc, "Нет на складе")
    result = quotes.compare_quotes(session, w.rnd, today=TODAY)
    c = result.comparison
    assert [o.key for o in c.offers] == [qa.id, qb.id, qc.id]
    a, b, declined = c.offers
    # A: seed 2 packs of 25 = 50 at 40 (tier from 50); fabric 30 at 25; NPK 100 at 70
    assert (a.lines[w.seed.id].ordered, a.lines[w.seed.id].unit_price) == (50 * K, 40 * P)
    assert (a.goods, a.delivery_fee, a.landed) == (975000, 50000, 1025000)
    # B: seed 5 packs of 10 at 44; no fabric; NPK 4 packs of 25 = 100 at 68
    assert (b.lines[w.npk.id].packs, b.lines[w.npk.id].unit_price) == (4, 68 * P)
    assert b.missing == (w.fabric.id,) and b.landed == 220000 + 680000 + 30000
    assert declined.declined and declined.landed == 0
    assert c.best_per_item == {w.seed.id: qa.id, w.fabric.id: qa.id, w.npk.id: qb.id}
    assert c.best_single == qa.id  # B is cheaper but cannot deliver the fabric
    assert c.mix is not None and c.mix.landed == 200000 + 75000 + 680000 + 50000 + 30000
    # every member's total under A is what the split gives once A is awarded
    under_a = {row.membership_id: row.totals[qa.id] for row in result.members}
    assert set(under_a) == {w.aigul.id, w.nurila.id} and qc.id not in result.members_total
    assert result.members_total[qa.id] == sum(under_a.values())
    quotes.award_whole(session, w.rnd, w.treasurer.user, qa.id, today=TODAY)
    after = orders.compute_split(session, w.rnd)
    assert {m: after.member_result(m)["total"] for m in under_a} == {
        m: f"{total / 100:.2f}" for m, total in under_a.items()}
    assert after.outcome.totals.supplier_bill + 50000 == a.landed


def test_award_whole_freezes_terms_and_makes_the_fee_a_supplier_cost(session: Session) -> None:
    w = make_closed_round(session)
    qa, _ = make_quote(session, w, "Альфа")
    qb, _ = make_quote(session, w, "Бета")
    quotes.submit_revision(session, qa, _offer_a(w), today=TODAY)
    quotes.submit_revision(session, qb, _offer_b(w), today=TODAY)
    quotes.award_whole(session, w.rnd, w.treasurer.user, qa.id, today=TODAY,
                       cost_rule="value")
    session.commit()
    session.expire_all()
    rnd = orders.get_round(session, w.group, w.rnd.id)
    assert rnd.state == "awarded"
    for item in rnd.items:
        assert item.awarded_supplier_id == qa.supplier_id
    seed = next(i for i in rnd.items if i.id == w.seed.id)
    assert orders.item_terms(seed) == (qa.supplier_id, 25 * K, [(0, 45 * P), (50 * K, 40 * P)])
    [cost] = session.scalars(select(SharedCost).where(SharedCost.round_id == rnd.id)).all()
    assert (cost.amount, cost.rule, cost.supplier_id) == (50000, "value", qa.supplier_id)
    split = orders.compute_split(session, rnd)
    prices = {p["id"]: p["unit_price"] for p in split.result["products"]}
    assert prices == {str(w.seed.id): "40", str(w.fabric.id): "25", str(w.npk.id): "70"}
    assert split.result["totals"]["shared_costs"] == "500.00"
    # the outcome on the links
    qa, qb = session.get(Quote, qa.id), session.get(Quote, qb.id)
    assert quotes.quote_status(qa) == "awarded" and quotes.quote_status(qb) == "not_selected"
    order = quotes.supplier_order(session, qa)
    assert [(line.item.id, line.cost.packs, line.cost.total) for line in order.lines] == [
        (w.seed.id, 2, 200000), (w.fabric.id, 1, 75000), (w.npk.id, 2, 700000)]
    assert order.total == 1025000
    assert quotes.supplier_order(session, qb) is None
    with pytest.raises(DomainError):  # no more offers once awarded
        quotes.submit_revision(session, qb, _offer_b(w), today=TODAY)


def test_split_award_product_by_product(session: Session) -> None:
    w = make_closed_round(session)
    qa, _ = make_quote(session, w, "Альфа")
    qb, _ = make_quote(session, w, "Бета")
    quotes.submit_revision(session, qa, _offer_a(w), today=TODAY)
    quotes.submit_revision(session, qb, _offer_b(w), today=TODAY)
    quotes.award_quotes(session, w.rnd, w.treasurer.user,
                        {w.seed.id: qa.id, w.fabric.id: None, w.npk.id: qb.id}, today=TODAY)
    session.commit()
    session.expire_all()
    rnd = orders.get_round(session, w.group, w.rnd.id)
    terms = {item.id: orders.item_terms(item) for item in rnd.items}
    assert terms[w.seed.id][0] == qa.supplier_id
    assert terms[w.npk.id] == (qb.supplier_id, 25 * K, [(0, 72 * P), (100 * K, 68 * P)])
    fabric = w.fabric.product
    assert terms[w.fabric.id] == (fabric.supplier_id, fabric.pack_size, [(0, 27_400_000)])
    costs = session.scalars(select(SharedCost).where(SharedCost.round_id == rnd.id)
                            .order_by(SharedCost.id)).all()
    assert [(c.amount, c.rule, c.supplier_id) for c in costs] == [
        (50000, "weight", qa.supplier_id), (30000, "weight", qb.supplier_id)]
    awards = session.scalars(select(QuoteAward).order_by(QuoteAward.round_item_id)).all()
    assert {(a.round_item_id, a.quote_id) for a in awards} == {(w.seed.id, qa.id),
                                                               (w.npk.id, qb.id)}
    split = orders.compute_split(session, rnd)
    prices = {p["id"]: p["unit_price"] for p in split.result["products"]}
    assert prices == {str(w.seed.id): "40", str(w.fabric.id): "27.4", str(w.npk.id): "68"}


def test_award_refusals_change_nothing(session: Session) -> None:
    w = make_closed_round(session)
    qa, _ = make_quote(session, w, "Альфа")
    qb, _ = make_quote(session, w, "Бета")
    qc, _ = make_quote(session, w, "Гамма")
    qd, _ = make_quote(session, w, "Дельта")
    quotes.submit_revision(session, qa, _offer_a(w, valid_until=TODAY), today=TODAY)
    quotes.submit_revision(session, qb, _offer_b(w), today=TODAY)
    quotes.decline_quote(session, qc, "")
    limited = _offer_a(w)
    npk = limited.lines[w.npk.id]
    limited = offer_input({w.seed.id: None, w.npk.id: (npk.pack_size, [(0, 70 * P)], 60 * K)})
    quotes.submit_revision(session, qd, limited, today=TODAY)
    session.commit()
    tomorrow = TODAY + timedelta(days=1)
    cases = [
        ({w.seed.id: qa.id, w.fabric.id: qa.id, w.npk.id: qa.id}, tomorrow, "expired"),
        ({w.seed.id: qb.id, w.fabric.id: qb.id, w.npk.id: qb.id}, TODAY, "does not offer"),
        ({w.seed.id: qc.id, w.fabric.id: None, w.npk.id: None}, TODAY, "declined"),
        ({w.seed.id: None, w.fabric.id: None, w.npk.id: qd.id}, TODAY, "cannot deliver 100"),
        ({w.seed.id: qa.id, w.fabric.id: qa.id}, TODAY, "choose who supplies"),
        ({w.seed.id: 999999, w.fabric.id: None, w.npk.id: None}, TODAY, "no such quote"),
    ]
    for assignments, today, message in cases:
        with pytest.raises(DomainError, match=message):
            quotes.award_quotes(session, w.rnd, w.treasurer.user, assignments, today=today)
        session.rollback()
    with pytest.raises(DomainError, match="Unknown rule"):
        quotes.award_whole(session, w.rnd, w.treasurer.user, qa.id, today=TODAY,
                           cost_rule="magic")
    session.rollback()
    session.expire_all()
    rnd = session.get(Round, w.rnd.id)
    assert rnd.state == "quoting"
    assert all(item.awarded_supplier_id is None for item in rnd.items)
    assert _count(session, QuoteAward) == 0 and _count(session, SharedCost) == 0


def test_award_only_while_quoting(session: Session) -> None:
    w = make_closed_round(session)
    qa, _ = make_quote(session, w)
    quotes.submit_revision(session, qa, _offer_a(w), today=TODAY)
    orders.move_round(session, w.rnd, w.treasurer.user, "cancelled")
    with pytest.raises(DomainError, match="asking for quotes"):
        quotes.award_whole(session, w.rnd, w.treasurer.user, qa.id, today=TODAY)
    assert quotes.quote_status(qa) == "cancelled"


def test_quotes_demo_is_ready_to_compare_and_award(session: Session) -> None:
    from coop.demo import KG_GROUP, load_demo
    from coop.groups.models import Group
    from coop.quotes.demo import QUOTES_ROUND, ensure_quotes_demo

    load_demo(session)
    group = session.scalar(select(Group).where(Group.name == KG_GROUP))
    rnd = ensure_quotes_demo(session, group)
    assert ensure_quotes_demo(session, group).id == rnd.id  # idempotent
    session.commit()
    assert session.scalar(select(func.count()).select_from(Round).where(
        Round.title == QUOTES_ROUND)) == 1
    assert rnd.state == "quoting"
    result = quotes.compare_quotes(session, rnd, today=utcnow().date())
    assert len(result.compared) == 3
    assert all(len(o.lines) == 3 and o.awardable for o in result.comparison.offers)
    assert result.comparison.best_single is not None and result.members
    answered = [q for q in result.quotes if q.counter_offers]
    assert len(answered) == 1
    assert [e.kind for e in quotes.quote_history(answered[0])] == [
        "revision", "counter", "revision"]
    assert any(o.missing for o in result.comparison.offers)  # one cannot deliver spades
    quotes.award_whole(session, rnd, group.memberships[0].user,
                       result.comparison.best_single, today=utcnow().date())
    assert rnd.state == "awarded"
