"""The cheapest award (coop.quotes.optimise): examples, and properties against
a brute force over every product -> offer assignment."""

from __future__ import annotations

from datetime import date
from itertools import product as cartesian

from hypothesis import given, settings
from hypothesis import strategies as st

from coop.quotes import domain, optimise
from coop.quotes.domain import LineInput, Need, Offer, Tier

K, P = 1000, 1_000_000
TODAY = date(2026, 11, 22)


def _costs(needs: list[Need], offers: list[Offer]) -> list[domain.OfferCost]:
    return [domain.offer_cost(needs, offer, "KGS", TODAY) for offer in offers]


def _line(price: int, pack: int = 1 * K, *tiers: Tier, most: int | None = None) -> LineInput:
    return LineInput(True, pack, (Tier(0, price * P), *tiers), most)


def _award(needs: list[Need], offers: list[Offer], **kw: int) -> optimise.Award:
    return optimise.cheapest_award([n.item_id for n in needs if n.wanted],
                                   _costs(needs, offers), **kw)


def test_two_delivery_fees_cost_more_than_one_supplier_alone() -> None:
    """Issue 14: each product's cheapest line from two suppliers pays two fees
    and costs more than one supplier with everything."""
    needs = [Need(1, 100 * K, 0), Need(2, 10 * K, 0)]
    offers = [Offer(1, {1: _line(150), 2: _line(200)}, delivery_fee=2000_00),
              Offer(2, {1: _line(148), 2: _line(210)}, delivery_fee=1500_00)]
    award = _award(needs, offers)
    lines = award.cheapest_lines
    assert lines is not None and lines.choice == {1: 2, 2: 1}
    assert lines.landed == 14800_00 + 2000_00 + 2000_00 + 1500_00
    assert award.cheapest is not None and award.cheapest.choice == {1: 2, 2: 2}
    assert award.cheapest.landed == 14800_00 + 2100_00 + 1500_00
    assert award.saving_against(lines) == 1900_00
    assert award.best_single is not None and award.best_single.choice == {1: 2, 2: 2}
    assert award.saving_against(award.best_single) == 0
    assert award.cheapest.proven


def test_a_split_wins_when_it_saves_more_than_a_fee() -> None:
    needs = [Need(1, 100 * K, 0), Need(2, 100 * K, 0)]
    offers = [Offer(1, {1: _line(100), 2: _line(200)}, delivery_fee=500_00),
              Offer(2, {1: _line(200), 2: _line(100)}, delivery_fee=500_00)]
    award = _award(needs, offers)
    assert award.cheapest is not None and award.cheapest.choice == {1: 1, 2: 2}
    assert award.cheapest.landed == 20000_00 + 1000_00
    assert award.saving_against(award.best_single) == 10000_00 - 500_00


def test_tiers_apply_to_the_quantity_awarded_and_maximum_is_kept() -> None:
    needs = [Need(1, 60 * K, 0)]
    offers = [Offer(1, {1: _line(100, 1 * K, Tier(50 * K, 80 * P))}),
              Offer(2, {1: _line(90, most=40 * K)}),  # cheaper, but cannot deliver 60
              Offer(3, {1: LineInput(False)})]
    award = _award(needs, offers)
    assert award.cheapest is not None and award.cheapest.choice == {1: 1}
    assert award.cheapest.goods == 60 * 80 * 100


def test_ties_go_to_fewer_suppliers_then_the_earlier_quote() -> None:
    needs = [Need(1, 10 * K, 0), Need(2, 10 * K, 0)]
    offers = [Offer(1, {1: _line(10)}, delivery_fee=0),
              Offer(2, {2: _line(10)}, delivery_fee=0),
              Offer(3, {1: _line(10), 2: _line(10)}, delivery_fee=0),
              Offer(4, {1: _line(10), 2: _line(10)}, delivery_fee=0)]
    award = _award(needs, offers)
    assert award.cheapest is not None and award.cheapest.choice == {1: 3, 2: 3}


def test_expired_and_declined_offers_are_not_awarded() -> None:
    needs = [Need(1, 10 * K, 0)]
    offers = [Offer(1, {1: _line(1)}, valid_until=date(2026, 11, 1)),
              Offer(2, {1: _line(2)}, declined=True),
              Offer(3, {1: _line(30)})]
    award = _award(needs, offers)
    assert award.cheapest is not None and award.cheapest.choice == {1: 3}


def test_a_product_nobody_can_supply_is_reported() -> None:
    needs = [Need(1, 10 * K, 0), Need(2, 5 * K, 0), Need(3, 0, 0)]
    offers = [Offer(1, {1: _line(10), 2: _line(5, most=1 * K)})]
    award = _award(needs, offers)
    assert award.cheapest is None and award.infeasible == (2,)
    assert award.best_single is None and award.saving_against(None) is None


def test_nothing_wanted_awards_nothing() -> None:
    award = _award([Need(1, 0, 0)], [Offer(1, {1: _line(10)})])
    assert award.cheapest is None and award.infeasible == ()


def test_many_suppliers_are_searched_and_not_called_proven() -> None:
    needs = [Need(i, 10 * K, 0) for i in range(1, 5)]
    offers = [Offer(k, {i: _line(10 + (i * k) % 7) for i in range(1, 5)},
                    delivery_fee=100_00 * (k % 3)) for k in range(1, 16)]
    exact = _award(needs, offers, exact_limit=20).cheapest
    searched = _award(needs, offers).cheapest
    assert exact is not None and searched is not None
    assert exact.proven and not searched.proven
    assert searched.landed == exact.landed  # on this case the search finds the optimum


# -- properties ----------------------------------------------------------------------

def _brute_force(needs: list[Need], costs: list[domain.OfferCost]) -> int | None:
    wanted = [n.item_id for n in needs if n.wanted]
    options = [[c for c in costs if c.awardable and c.lines[item].deliverable]
               for item in wanted]
    best = None
    for chosen in cartesian(*options):
        goods = sum(c.lines[item].total for item, c in zip(wanted, chosen, strict=True))
        fees = sum(c.delivery_fee for c in {c.key: c for c in chosen}.values())
        best = goods + fees if best is None else min(best, goods + fees)
    return best


@st.composite
def _cases(draw: st.DrawFn, max_offers: int = 5) -> tuple[list[Need], list[Offer]]:
    n_items = draw(st.integers(1, 4))
    needs = [Need(i, draw(st.integers(0, 30)) * K, draw(st.integers(0, 5)) * K)
             for i in range(1, n_items + 1)]
    offers = []
    for key in range(1, draw(st.integers(1, max_offers)) + 1):
        lines = {}
        for need in needs:
            if draw(st.integers(0, 4)) == 0:
                continue
            price = draw(st.integers(1, 300))
            tiers: tuple[Tier, ...] = (Tier(0, price * P),)
            if draw(st.booleans()):
                tiers += (Tier(draw(st.integers(1, 30)) * K, draw(st.integers(1, price)) * P),)
            most = draw(st.one_of(st.none(), st.integers(0, 40))) if draw(st.booleans()) \
                else None
            lines[need.item_id] = LineInput(True, draw(st.integers(1, 6)) * K, tiers,
                                            most * K if most is not None else None)
        offers.append(Offer(key, lines, delivery_fee=draw(st.integers(0, 5000)) * 100,
                            declined=draw(st.integers(0, 9)) == 0))
    return needs, offers


@settings(max_examples=300, deadline=None)
@given(_cases())
def test_the_award_equals_a_brute_force_and_beats_the_alternatives(
        case: tuple[list[Need], list[Offer]]) -> None:
    needs, offers = case
    costs = _costs(needs, offers)
    award = optimise.cheapest_award([n.item_id for n in needs if n.wanted], costs)
    brute = _brute_force(needs, costs)
    if not any(n.wanted for n in needs):
        assert award.cheapest is None
        return
    if brute is None:
        assert award.cheapest is None and award.infeasible
        return
    assert award.cheapest is not None and award.cheapest.landed == brute
    assert not award.infeasible
    by_key = {c.key: c for c in costs}
    # the plan's figures are what its lines and fees add up to
    assert award.cheapest.goods == sum(by_key[k].lines[i].total
                                       for i, k in award.cheapest.choice.items())
    assert award.cheapest.delivery_fees == sum(by_key[k].delivery_fee
                                               for k in award.cheapest.keys)
    assert all(by_key[k].awardable and by_key[k].lines[i].deliverable
               for i, k in award.cheapest.choice.items())
    assert award.cheapest_lines is not None
    assert award.cheapest.landed <= award.cheapest_lines.landed
    if award.best_single is not None:
        assert award.cheapest.landed <= award.best_single.landed
        assert (award.saving_against(award.best_single) or 0) >= 0


@settings(max_examples=60, deadline=None)
@given(_cases(max_offers=7))
def test_the_search_is_never_worse_than_its_starting_points(
        case: tuple[list[Need], list[Offer]]) -> None:
    needs, offers = case
    costs = _costs(needs, offers)
    wanted = [n.item_id for n in needs if n.wanted]
    searched = optimise.cheapest_award(wanted, costs, exact_limit=0)
    exact = optimise.cheapest_award(wanted, costs)
    assert (searched.cheapest is None) == (exact.cheapest is None)
    if searched.cheapest is not None and exact.cheapest is not None:
        assert not searched.cheapest.proven
        assert exact.cheapest.landed <= searched.cheapest.landed
        assert searched.cheapest_lines is not None
        assert searched.cheapest.landed <= searched.cheapest_lines.landed
        if searched.best_single is not None:
            assert searched.cheapest.landed <= searched.best_single.landed
