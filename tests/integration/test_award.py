"""The award on quotes, through the services: the comparison's figures never
change because of an award, the confirmation's figures are the round's after
it, and after a split award every page and purchase order names each
product's own supplier with her own codes."""

from __future__ import annotations

import io
from datetime import date

import pytest
from pypdf import PdfReader
from sqlalchemy import select
from sqlalchemy.orm import Session

from coop.documents import services as documents
from coop.errors import DomainError
from coop.orders import explain
from coop.orders import services as orders
from coop.orders.models import SharedCost
from coop.quotes import domain
from coop.quotes import services as quotes
from tests.factories import make_closed_round, make_quote, offer_input

TODAY = date(2026, 11, 22)
K, P = 1000, 1_000_000


def _two_offers(session: Session):  # type: ignore[no-untyped-def]
    """A has everything (fee 500 som); B has no fabric, NPK cheaper at 68 from
    100 kg, her own article code for it (fee 300 som)."""
    w = make_closed_round(session)
    qa, _ta = make_quote(session, w, "Альфа")
    qb, _tb = make_quote(session, w, "Бета")
    quotes.submit_revision(session, qa, offer_input(
        {w.seed.id: (25 * K, [(0, 45 * P), (50 * K, 40 * P)]),
         w.fabric.id: (30 * K, [(0, 25 * P)]),
         w.npk.id: (50 * K, [(0, 75 * P), (100 * K, 70 * P)])}, fee=50000), today=TODAY)
    quotes.submit_revision(session, qb, domain.OfferInput(lines={
        w.seed.id: domain.LineInput(True, 10 * K, (domain.Tier(0, 44 * P),)),
        w.fabric.id: domain.LineInput(False),
        w.npk.id: domain.LineInput(True, 25 * K, (domain.Tier(0, 72 * P),
                                                  domain.Tier(100 * K, 68 * P)),
                                   article_code="BN-77")}, delivery_fee=30000),
        today=TODAY)
    return w, qa, qb


def _figures(result: quotes.QuoteComparison) -> dict[str, object]:
    return {"landed": [(o.key, o.goods, o.delivery_fee, o.landed)
                       for o in result.comparison.offers],
            "members_total": dict(result.members_total), "catalog": result.current_total,
            "members": [(r.membership_id, r.current, dict(r.totals),
                         r.plans.get(quotes.CHEAPEST), r.plans.get(quotes.CHEAPEST_LINES))
                        for r in result.members],
            "cheapest": result.plans_total.get(quotes.CHEAPEST),
            "lines": result.plans_total.get(quotes.CHEAPEST_LINES)}


def test_the_comparison_names_the_cheapest_award_and_its_savings(session: Session) -> None:
    w, qa, _qb = _two_offers(session)
    result = quotes.compare_quotes(session, w.rnd, today=TODAY)
    award = result.comparison.award
    assert award is not None and award.cheapest is not None
    # A alone: 50 × 40 + 30 × 25 + 100 × 70 + 500 = 10,250; with B's NPK: 10,350
    assert award.cheapest.choice == {w.seed.id: qa.id, w.fabric.id: qa.id, w.npk.id: qa.id}
    assert award.cheapest.landed == 1_025_000 and award.cheapest.proven
    assert award.cheapest_lines is not None and award.cheapest_lines.landed == 1_035_000
    assert award.saving_against(award.cheapest_lines) == 10_000
    assert award.saving_against(award.best_single) == 0
    # the members pay the cheapest award's figures, by the split engine
    assert result.plans_total[quotes.CHEAPEST] == result.members_total[qa.id]
    assert result.plans_total[quotes.CHEAPEST_LINES] > result.plans_total[quotes.CHEAPEST]
    assert sum(r.plans[quotes.CHEAPEST] for r in result.members) == \
        result.plans_total[quotes.CHEAPEST]
    assert result.describe(award.cheapest.choice).startswith(qa.supplier.name + ": ")


def test_an_award_never_changes_the_comparison(session: Session) -> None:
    """Issue 14: after the award one supplier's delivery fee was counted twice
    and the "now" column showed award prices."""
    w, qa, qb = _two_offers(session)
    before = _figures(quotes.compare_quotes(session, w.rnd, today=TODAY))
    choice = {w.seed.id: qa.id, w.fabric.id: qa.id, w.npk.id: qb.id}
    preview = quotes.preview_award(session, w.rnd, choice, today=TODAY)
    assert [(s.name, s.goods, s.delivery_fee, s.total) for s in preview.suppliers] == [
        (qa.supplier.name, 275_000, 50_000, 325_000), (qb.supplier.name, 680_000, 30_000,
                                                       710_000)]
    assert orders.get_round(session, w.group, w.rnd.id).state == "quoting"  # nothing yet
    quotes.award_quotes(session, w.rnd, w.treasurer.user, choice, today=TODAY)
    session.commit()
    after = quotes.compare_quotes(session, w.rnd, today=TODAY)
    assert _figures(after) == before
    # what the confirmation said the members pay is what the round says now
    awarded = orders.compute_split(session, w.rnd, as_ordered=True)
    assert preview.members_total == awarded.outcome.totals.members_total
    assert after.plans_total[quotes.AWARDED] == preview.members_total
    fees = session.scalars(select(SharedCost).where(SharedCost.round_id == w.rnd.id)
                           .order_by(SharedCost.id)).all()
    assert [(c.amount, c.quote_id) for c in fees] == [(50_000, qa.id), (30_000, qb.id)]


def test_a_second_award_is_refused_and_the_same_one_recognised(session: Session) -> None:
    w, qa, _qb = _two_offers(session)
    whole = quotes.whole_assignments(session, w.rnd, qa.id)
    quotes.award_quotes(session, w.rnd, w.treasurer.user, whole, today=TODAY)
    assert quotes.awarded_as(session, w.rnd, whole)
    assert not quotes.awarded_as(session, w.rnd, {**whole, w.npk.id: None})
    with pytest.raises(DomainError):
        quotes.award_quotes(session, w.rnd, w.treasurer.user, whole, today=TODAY)
    assert len(session.scalars(select(SharedCost).where(
        SharedCost.round_id == w.rnd.id)).all()) == 1


def _pdf_text(content: bytes) -> str:
    return " ".join((page.extract_text() or "") for page in PdfReader(io.BytesIO(content)).pages)


def test_after_a_split_award_each_product_names_its_own_supplier(session: Session) -> None:
    w, qa, qb = _two_offers(session)
    quotes.award_quotes(session, w.rnd, w.treasurer.user,
                        {w.seed.id: qa.id, w.fabric.id: qa.id, w.npk.id: qb.id}, today=TODAY)
    session.commit()
    rnd = orders.get_round(session, w.group, w.rnd.id)
    assert rnd is not None
    assert orders.round_suppliers(session, rnd) == [(qa.supplier_id, qa.supplier.name),
                                                    (qb.supplier_id, qb.supplier.name)]
    rows = explain.pack_rows(orders.pack_fills(session, rnd))
    assert [r.supplier for r in rows] == [qa.supplier.name, qa.supplier.name,
                                          qb.supplier.name]
    issued = documents.issue_purchase_orders(session, rnd, None)
    assert list(issued) == [qa.supplier_id, qb.supplier_id]
    text_a, text_b = (_pdf_text(issued[s].content) for s in (qa.supplier_id, qb.supplier_id))
    # A gave no codes and has no catalog: none shown, never the catalog supplier's
    assert "Семена томата" in text_a and "Ткань" in text_a and "NPK" not in text_a
    assert "A0" not in text_a and "A1" not in text_a
    assert "NPK" in text_b and "BN-77" in text_b
    assert "Семена" not in text_b and "Ткань" not in text_b
    assert "A2" not in text_b  # never the catalog supplier's code on another's order
    assert issued[qb.supplier_id].amount == 680_000 + 30_000
    assert issued[qa.supplier_id].amount == 275_000 + 50_000


@pytest.mark.postgres
def test_two_awards_at_once_award_once(app_ctx, session: Session, pg_only: None) -> None:  # type: ignore[no-untyped-def]
    """A double click, or two tabs: the round row is locked and the move to
    awarded is conditional, so exactly one award is made."""
    from coop.auth.models import User
    from coop.orders.models import Round
    from coop.quotes.models import QuoteAward
    from tests.integration.test_concurrency import run_together

    w, qa, qb = _two_offers(session)
    session.commit()
    round_id, user_id = w.rnd.id, w.treasurer.user_id
    choice = {w.seed.id: qa.id, w.fabric.id: qa.id, w.npk.id: qb.id}

    def award(s: Session) -> None:
        quotes.award_quotes(s, s.get(Round, round_id), s.get(User, user_id), choice,
                            today=TODAY)

    outcomes = run_together(app_ctx, award, n=3)
    assert sorted(outcomes) == ["ok", "refused", "refused"], outcomes
    session.expire_all()
    assert len(session.scalars(select(QuoteAward).where(
        QuoteAward.round_id == round_id)).all()) == 3
    assert [c.amount for c in session.scalars(select(SharedCost).where(
        SharedCost.round_id == round_id))] == [50_000, 30_000]
