"""The season's rules, pure: area to seed, demand, order lines from answers,
the seed loans' dues, in-kind valuation, the payout's first claim, the
stock's value, the household counts."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from coop.season import domain


def test_an_area_becomes_seed_rounded_up_to_the_step() -> None:
    # 25 сотых × 0,3 = 7,5 → 8 (step 1)
    assert domain.quantity_for_area(25_000, 300, 1000) == 8000
    # 10 сотых × 0,25 kg = 2,5 kg, step 0,5 → 2,5
    assert domain.quantity_for_area(10_000, 250, 500) == 2500
    # half up before the step: 1,5 сотки × 0,001 = 0,0015 → 0,002 → step 0,01 → 0,01
    assert domain.quantity_for_area(1500, 1, 10) == 10
    # a hectare is 100 сотых
    assert domain.quantity_for_area(100_000 * domain.SOTKA_PER_HECTARE // 100, 300, 1000) \
        == 30_000


@given(st.integers(1, 10**7), st.integers(1, 10**5), st.integers(1, 10**4))
def test_seed_for_an_area_is_the_smallest_step_multiple_covering_it(area: int, rate: int,
                                                                      step: int) -> None:
    quantity = domain.quantity_for_area(area, rate, step)
    exact = domain.half_up_div(area * rate, 1000)
    assert quantity % step == 0 and exact <= quantity < exact + step


def test_survey_moves() -> None:
    assert domain.can_move_survey("draft", "open")
    assert domain.can_move_survey("open", "closed")
    assert domain.can_move_survey("closed", "open")
    assert domain.can_move_survey("closed", "converted")
    assert not domain.can_move_survey("converted", "open")
    assert not domain.can_move_survey("draft", "closed")
    assert not domain.can_move_survey("open", "converted")


def test_demand_adds_up_per_product_and_counts_members_once() -> None:
    answers = [domain.Answer(1, 10, 5000, 1000), domain.Answer(2, 10, 3000, 0),
               domain.Answer(1, 11, 0, 2000), domain.Answer(3, 11, 0, 0),
               domain.Answer(3, 99, 7000, 0)]  # a product not asked about
    rows = domain.demand([10, 11, 12], answers)
    assert [(r.product, r.firm, r.maybe, r.member_count) for r in rows] == [
        (10, 8000, 1000, 2), (11, 0, 2000, 1), (12, 0, 0, 0)]


def test_a_maybe_alone_is_no_order_line() -> None:
    assert domain.order_line(5000, 2000) == (5000, 2000)
    assert domain.order_line(0, 2000) == (0, 0)
    assert domain.order_line(3000, 0) == (3000, 0)


def test_loan_moves() -> None:
    assert domain.can_move_loan("proposed", "approved")
    assert domain.can_move_loan("approved", "delivered")
    assert domain.can_move_loan("delivered", "repaid")
    assert domain.can_move_loan("delivered", "written_off")
    assert domain.can_move_loan("proposed", "cancelled")
    assert not domain.can_move_loan("proposed", "delivered")
    assert not domain.can_move_loan("repaid", "written_off")
    assert not domain.can_move_loan("delivered", "cancelled")


def test_what_she_repays() -> None:
    assert domain.due_money(36850, 12000) == 44220  # 368,50 × 1,2
    assert domain.due_money(101, 12500) == 126  # 126,25 → half up 126
    assert domain.due_money(1, 15000) == 2  # 1,5 → 2
    # 25 kg at 1,2 → 30 kg; 11 bags at 1,25 → 13,75 → 14 (step 1)
    assert domain.due_kind(25000, 12000, 1000) == 30000
    assert domain.due_kind(11000, 12500, 1000) == 14000
    assert domain.due_kind(11000, 10000, 1000) == 11000


def test_a_repayment_is_principal_first_then_the_funds_income() -> None:
    loan = domain.LoanPosition(value=1000, due=1200)
    assert loan.split(700) == (700, 0)
    loan = domain.LoanPosition(value=1000, due=1200, principal_paid=700)
    assert loan.left == 500
    assert loan.split(500) == (300, 200)
    with pytest.raises(ValueError):
        loan.split(501)
    written = domain.LoanPosition(value=1000, due=1200, principal_paid=700, written_off=300)
    assert written.left == 0 and written.principal_left == 0


@given(st.integers(1, 10**9), st.integers(10000, 30000),
       st.lists(st.integers(1, 10**9), min_size=1, max_size=8))
def test_repayments_never_pass_what_is_due(value: int, bp: int, parts: list[int]) -> None:
    position = domain.LoanPosition(value=value, due=domain.due_money(value, bp))
    principal = income = 0
    for part in parts:
        part = min(part, position.left)
        if part == 0:
            break
        p, i = position.split(part)
        principal, income = principal + p, income + i
        position = domain.LoanPosition(value=value, due=position.due, principal_paid=principal,
                                       income_paid=income)
    assert principal <= value and principal + income <= position.due
    assert income == 0 or principal == value


@given(st.integers(1, 10**9), st.integers(1, 10**6),
       st.lists(st.integers(1, 10**5), min_size=1, max_size=10))
def test_in_kind_returns_in_parts_add_up_to_the_due_amount(due: int, due_qty: int,
                                                           parts: list[int]) -> None:
    returned, cleared = 0, 0
    for part in parts:
        part = min(part, due_qty - returned)
        if part == 0:
            break
        cleared += domain.kind_valuation(due, due_qty, returned, part)
        returned += part
    if returned == due_qty:
        assert cleared == due
    else:
        assert cleared == domain.half_up_div(due * returned, due_qty)


def test_the_payout_pays_the_loans_first_up_to_what_each_owes() -> None:
    assert domain.payout_deduction(1000, [300, 500]) == [300, 500]
    assert domain.payout_deduction(600, [300, 500]) == [300, 300]
    assert domain.payout_deduction(0, [300]) == [0]
    assert domain.payout_deduction(-50, [300]) == [0]
    assert domain.payout_deduction(100, []) == []


def test_stock_taken_out_at_its_average_value() -> None:
    assert domain.stock_out_value(30000, 44220, 10000) == 14740
    assert domain.stock_out_value(30000, 44220, 30000) == 44220
    with pytest.raises(ValueError):
        domain.stock_out_value(30000, 44220, 30001)


def test_household_counts_only() -> None:
    profiles = [domain.Profile(5, 25_000, 3, True), domain.Profile(2, None, 0, False),
                domain.Profile(None, 0, None, None), domain.Profile(9, 60_000, 1, True)]
    counts = domain.indicators(6, profiles)
    assert (counts.members, counts.answered, counts.migrant_households, counts.no_migrant,
            counts.with_livestock) == (6, 4, 2, 1, 2)
    assert counts.household_bands == {"1-3": 1, "4-6": 1, "7+": 1}
    assert counts.land_bands == {"0": 1, "1-10": 0, "11-50": 1, "51+": 1}
