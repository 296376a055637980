"""The pure rules of quotes: valid offers, and what an offer costs on the
pooled demand (integers: thousandths, millionths, minor units)."""

from __future__ import annotations

from datetime import date

import pytest

from coop.quotes import domain
from coop.quotes.domain import LineInput, Need, Offer, OfferInput, Tier

K, P = 1000, 1_000_000
TODAY = date(2026, 11, 22)


def _messages(errors: list) -> str:  # type: ignore[type-arg]
    return " | ".join(str(e[1] if isinstance(e, tuple) else e) for e in errors)


# -- tiers and offers -------------------------------------------------------------

def test_good_tiers_pass() -> None:
    assert domain.check_tiers([Tier(0, 48 * P), Tier(50 * K, 42 * P)], 1 * K) == []
    assert domain.check_tiers([Tier(0, 0)], 500) == []  # free is a price


@pytest.mark.parametrize(("tiers", "message"), [
    ([], "for any quantity"),
    ([Tier(10 * K, 48 * P)], "first price must be for any quantity"),
    ([Tier(0, 48 * P), Tier(50 * K, 42 * P), Tier(50 * K, 40 * P)], "must grow"),
    ([Tier(0, 48 * P), Tier(50 * K, 42 * P), Tier(20 * K, 40 * P)], "must grow"),
    ([Tier(0, -1)], "cannot be negative"),
    ([Tier(0, 48 * P), Tier(2500, 40 * P)], "whole number of steps of 1"),
    ([Tier(q * K, P) for q in range(5)], "At most 4"),
])
def test_bad_tiers_are_named(tiers: list[Tier], message: str) -> None:
    assert message in _messages(domain.check_tiers(tiers, 1 * K))


def test_pack_size_must_be_a_whole_number_of_steps() -> None:
    assert domain.check_pack_size(30 * K, 500) == []
    assert "not a whole number of steps of 0.5" in _messages(domain.check_pack_size(750, 500))
    assert "more than 0" in _messages(domain.check_pack_size(0, 500))
    assert "pack size" in _messages(domain.check_pack_size(None, 500))


def test_check_offer_names_each_field() -> None:
    offer = OfferInput(lines={1: LineInput(True, 750, (Tier(0, 5 * P),)),
                              2: LineInput(True, 10 * K, (Tier(5 * K, 5 * P),), -1),
                              3: LineInput(False)},
                       delivery_fee=-5, lead_time_days=400,
                       valid_until=date(2026, 11, 21), note="x" * 1001)
    errors = domain.check_offer(offer, {1: 500, 2: 1000, 3: 1000}, TODAY)
    assert {field for field, _m in errors} == {"pack_1", "tiers_2", "max_2", "delivery_fee",
                                               "lead_time_days", "valid_until", "note"}


def test_an_offer_needs_one_product_and_only_round_products() -> None:
    nothing = OfferInput(lines={1: LineInput(False)})
    assert "Decline" in _messages(domain.check_offer(nothing, {1: 1000}, TODAY))
    stranger = OfferInput(lines={9: LineInput(True, K, (Tier(0, P),))})
    assert [f for f, _m in domain.check_offer(stranger, {1: 1000}, TODAY)] == ["lines"]
    valid_today = OfferInput(lines={1: LineInput(True, K, (Tier(0, P),))}, valid_until=TODAY)
    assert domain.check_offer(valid_today, {1: 1000}, TODAY) == []


def test_link_days() -> None:
    assert domain.check_link_days(14) == [] and domain.check_link_days(90) == []
    assert domain.check_link_days(0) and domain.check_link_days(91)


# -- cost on the demand -------------------------------------------------------------

def test_line_cost_follows_rules_1_to_3() -> None:
    # 45 firm + 10 tolerance in packs of 25: 1 full pack, 20 + 10 fill a second
    line = LineInput(True, 25 * K, (Tier(0, 45 * P), Tier(50 * K, 40 * P)))
    cost = domain.line_cost(Need(1, 45 * K, 10 * K), line, "KGS")
    assert (cost.packs, cost.ordered, cost.unit_price, cost.total) == (2, 50 * K, 40 * P, 200000)
    assert cost.status == domain.OK and cost.below_firm == 0
    # without enough tolerance the last pack is not ordered (and the lower tier is lost)
    short = domain.line_cost(Need(1, 45 * K, 4 * K), line, "KGS")
    assert (short.packs, short.unit_price, short.total, short.below_firm) == (
        1, 45 * P, 112500, 20 * K)


def test_line_cost_rounds_half_up_to_the_tyiyn() -> None:
    # 3 units at 0.125 som = 0.375 → 0.38
    cost = domain.line_cost(Need(1, 3 * K, 0), LineInput(True, K, (Tier(0, 125000),)), "KGS")
    assert cost.total == 38


def test_line_cost_flags_what_she_cannot_deliver() -> None:
    need = Need(1, 90 * K, 10 * K)
    assert domain.line_cost(need, None, "KGS").status == domain.NOT_OFFERED
    assert domain.line_cost(need, LineInput(False), "KGS").status == domain.UNAVAILABLE
    capped = domain.line_cost(need, LineInput(True, 50 * K, (Tier(0, P),), 60 * K), "KGS")
    assert capped.status == domain.TOO_LITTLE and not capped.deliverable
    enough = domain.line_cost(need, LineInput(True, 50 * K, (Tier(0, P),), 100 * K), "KGS")
    assert enough.deliverable


def _offers() -> tuple[list[Need], list[Offer]]:
    needs = [Need(1, 45 * K, 10 * K), Need(2, 25 * K, 5 * K), Need(3, 90 * K, 10 * K),
             Need(4, 0, 0)]  # product 4: nobody ordered it
    a = Offer(10, {1: LineInput(True, 25 * K, (Tier(0, 45 * P), Tier(50 * K, 40 * P))),
                   2: LineInput(True, 30 * K, (Tier(0, 25 * P),)),
                   3: LineInput(True, 50 * K, (Tier(0, 75 * P), Tier(100 * K, 70 * P)))},
              delivery_fee=50000)
    b = Offer(20, {1: LineInput(True, 10 * K, (Tier(0, 44 * P),)), 2: LineInput(False),
                   3: LineInput(True, 25 * K, (Tier(0, 72 * P), Tier(100 * K, 68 * P)))},
              delivery_fee=30000)
    expired = Offer(30, {n: LineInput(True, 5 * K, (Tier(0, 1 * P),)) for n in (1, 2, 3)},
                    valid_until=date(2026, 11, 21))
    declined = Offer(40, {}, declined=True)
    return needs, [a, b, expired, declined]


def test_compare_finds_best_per_product_best_single_and_the_mix() -> None:
    needs, offers = _offers()
    c = domain.compare(needs, offers, "KGS", TODAY)
    a, b, expired, declined = c.offers
    assert (a.goods, a.landed, a.complete) == (975000, 1025000, True)
    assert (b.landed, b.missing) == (930000, (2,))
    assert expired.expired and not expired.awardable and expired.landed < a.landed
    assert declined.declined and declined.delivery_fee == 0
    # the expired offer is cheapest everywhere but is never "best"
    assert c.best_per_item == {1: 10, 2: 10, 3: 20, 4: None}
    assert c.best_single == 10
    assert c.mix is not None and c.mix.choice == {1: 10, 2: 10, 3: 20}
    assert (c.mix.goods, c.mix.delivery_fees) == (200000 + 75000 + 680000, 80000)


def test_equal_prices_prefer_the_offer_that_buys_more_of_the_demand() -> None:
    need = [Need(1, 45 * K, 0)]
    big_packs = Offer(1, {1: LineInput(True, 25 * K, (Tier(0, 10 * P),))})  # 25 bought
    small_packs = Offer(2, {1: LineInput(True, 5 * K, (Tier(0, 10 * P),))})  # 45 bought
    assert domain.compare(need, [big_packs, small_packs], "KGS", TODAY).best_per_item == {1: 2}


def test_no_complete_valid_offer_means_no_best_single_and_no_mix() -> None:
    needs, (_a, b, expired, _declined) = _offers()
    c = domain.compare(needs, [b, expired], "KGS", TODAY)
    assert c.best_single is None and c.mix is None and c.best_per_item[2] is None
    assert domain.compare(needs, [], "KGS", TODAY).offers == []


def test_only_a_complete_valid_offer_is_a_choice_for_the_members_star() -> None:
    needs, offers = _offers()
    a, b, expired, _declined = domain.compare(needs, offers, "KGS", TODAY).offers
    assert [domain.member_caveats(o) for o in (a, b, expired)] == [
        (), (domain.INCOMPLETE,), (domain.EXPIRED,)]
    assert [domain.is_member_choice(o) for o in (a, b, expired)] == [True, False, False]
    # the lowest among the choices only: B and the catalog are lower, and not counted
    totals = {"catalog": 90, a.key: 120, b.key: 100, expired.key: 95, "cheapest": 120,
              "lines": 130}
    assert domain.lowest_choices(totals, [a.key, "cheapest", "lines"]) == {a.key, "cheapest"}
    assert domain.lowest_choices({a.key: None}, [a.key]) == frozenset()
    assert domain.lowest_choices(totals, []) == frozenset()


def test_tier_for_is_the_engines_rule_2() -> None:
    tiers = (Tier(0, 48 * P), Tier(50 * K, 42 * P), Tier(100 * K, 40 * P))
    assert [domain.tier_for(tiers, q).unit_price for q in (0, 49999, 50 * K, 150 * K)] == [
        48 * P, 48 * P, 42 * P, 40 * P]


def test_bar_lengths() -> None:
    assert domain.bar_lengths([100, 50, 0, 1], 300) == [300, 150, 0, 3]
    assert domain.bar_lengths([1, 10**9], 300) == [1, 300]
    assert domain.bar_lengths([], 300) == [] and domain.bar_lengths([0], 300) == [0]
