from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from coop import money


@pytest.mark.parametrize(
    ("text", "minor"),
    [
        ("1234", 123400),
        ("1234.50", 123450),
        ("1 234,50", 123450),
        ("1\u00a0234,5", 123450),
        ("1.234,50", 123450),
        ("1,234.50", 123450),
        ("0,01", 1),
        (" 12 ", 1200),
        ("1 000 000", 100000000),
    ],
)
def test_parse_amount_accepts_what_people_type(text: str, minor: int) -> None:
    assert money.parse_amount(text, "KGS") == minor


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("abc", "not a number"),
        ("", "not a number"),
        ("12.345", "at most 2 decimals"),
        ("1,2,3.4.5", "not a number"),
        ("-5", "negative"),
        ("1e5", "not a number"),
        ("NaN", "not a number"),
        ("Infinity", "not a number"),
        ("99999999999999", "too large"),
        ("12\x00", "not a number"),
    ],
)
def test_parse_amount_refuses_what_is_not_money(text: str, reason: str) -> None:
    with pytest.raises(money.MoneyError) as excinfo:
        money.parse_amount(text, "KGS")
    assert reason in str(excinfo.value)


def test_negative_amounts_only_when_allowed() -> None:
    assert money.parse_amount("-12,5", "TJS", allow_negative=True) == -1250
    assert money.parse_amount("\u22123", "TJS", allow_negative=True) == -300


def test_to_string_and_decimal() -> None:
    assert money.to_string(123450, "KGS") == "1234.50"
    assert money.to_string(-5, "KGS") == "-0.05"
    assert money.to_decimal(7, "USD") == Decimal("0.07")


def test_format_money_follows_the_locale() -> None:
    ru = money.format_money(123450, "KGS", "ru")
    assert ru.replace("\u00a0", " ").startswith("1 234,50")
    en = money.format_money(123450, "KGS", "en")
    assert en.replace("\u00a0", " ") == "1,234.50 som"
    assert money.format_money(100, "USD", "ru").replace("\u00a0", " ") == "1,00 $"


def test_half_up_div_rounds_halves_away_from_zero() -> None:
    assert money.half_up_div(5, 2) == 3
    assert money.half_up_div(-5, 2) == -3
    assert money.half_up_div(4, 3) == 1
    assert money.half_up_div(5, 3) == 2


@given(st.lists(st.integers(-10**15, 10**15), max_size=50), st.integers(1, 10**6))
def test_half_up_divs_is_half_up_div_of_each(numerators: list[int], denominator: int) -> None:
    halves = [k * denominator for k in range(-3, 4)] + [
        (2 * k + 1) * denominator for k in range(-3, 3)]  # at and next to the halves
    numerators = numerators + [h // 2 for h in halves] + [-(h // 2) for h in halves]
    assert money.half_up_divs(numerators, denominator) == [
        money.half_up_div(x, denominator) for x in numerators]
    assert money.half_up_divs([5, -5, 7, -7], 2) == [3, -3, 4, -4]
    with pytest.raises(ValueError):
        money.half_up_divs([1], 0)


def test_largest_remainder_gives_leftovers_to_largest_fractions() -> None:
    # 100 over 1:1:1 -> 33.33 each; the one unit left goes to the first listed
    assert money.largest_remainder(100, [1, 1, 1]) == [34, 33, 33]
    # 10 over 3:3:4 -> 3, 3, 4 exactly
    assert money.largest_remainder(10, [3, 3, 4]) == [3, 3, 4]
    # 7 over 1:2 -> 2.33, 4.67 -> the unit goes to the larger fraction (second)
    assert money.largest_remainder(7, [1, 2]) == [2, 5]


def test_largest_remainder_ties_go_to_the_first_listed() -> None:
    assert money.largest_remainder(1, [5, 5]) == [1, 0]
    assert money.largest_remainder(2, [1, 1, 1]) == [1, 1, 0]


def test_largest_remainder_zero_weights() -> None:
    assert money.largest_remainder(10, [0, 3, 0]) == [0, 10, 0]
    assert money.largest_remainder(10, [0, 0, 0]) == [4, 3, 3]
    assert money.largest_remainder(-10, [1, 1, 1]) == [-4, -3, -3]


def test_largest_remainder_refuses_nonsense() -> None:
    with pytest.raises(ValueError):
        money.largest_remainder(5, [])
    with pytest.raises(ValueError):
        money.largest_remainder(5, [1, -1])
    assert money.largest_remainder(0, []) == []


@given(
    total=st.integers(min_value=-(10**12), max_value=10**12),
    weights=st.lists(st.sampled_from([0, 1, 2, 3, 7, 10**9]) | st.integers(0, 10**9),
                     min_size=1, max_size=40),
)
def test_a_part_at_a_time_is_largest_remainder_s_part(total: int, weights: list[int]) -> None:
    # few distinct weights: many equal remainders, whose order is the list's
    parts = money.RemainderParts(total, weights)
    assert [parts[i] for i in range(len(weights))] == money.largest_remainder(total, weights)
    assert parts[-1] == money.largest_remainder(total, weights)[-1]


def test_a_part_at_a_time_ties_zero_weights_and_nonsense() -> None:
    assert [money.RemainderParts(2, [1, 1, 1])[i] for i in range(3)] == [1, 1, 0]
    assert [money.RemainderParts(10, [0, 0, 0])[i] for i in range(3)] == [4, 3, 3]
    assert [money.RemainderParts(-100, [1, 1, 1])[i] for i in range(3)] == [-34, -33, -33]
    assert len(money.RemainderParts(0, [])) == 0
    with pytest.raises(IndexError):
        money.RemainderParts(5, [1, 2])[2]
    with pytest.raises(ValueError):
        money.RemainderParts(5, [])
    with pytest.raises(ValueError):
        money.RemainderParts(5, [1, -1])


@given(
    total=st.integers(min_value=-(10**12), max_value=10**12),
    weights=st.lists(st.integers(min_value=0, max_value=10**9), min_size=1, max_size=40),
)
def test_split_always_adds_up(total: int, weights: list[int]) -> None:
    parts = money.largest_remainder(total, weights)
    assert sum(parts) == total
    assert len(parts) == len(weights)


@given(
    total=st.integers(min_value=0, max_value=10**9),
    weights=st.lists(st.integers(min_value=0, max_value=10**6), min_size=1, max_size=30),
)
def test_each_part_is_within_one_of_its_exact_share(total: int, weights: list[int]) -> None:
    parts = money.largest_remainder(total, weights)
    weight_sum = sum(weights) or len(weights)
    effective = weights if sum(weights) else [1] * len(weights)
    for part, weight in zip(parts, effective, strict=True):
        exact_floor = total * weight // weight_sum
        assert exact_floor <= part <= exact_floor + 1
        if weight == 0:
            assert part == 0


def _largest_remainder_by_definition(total: int, weights: list[int]) -> list[int]:
    """The rule as the spec words it, written plainly (the engine's version
    is written for speed): floors of the exact shares, then one unit each to
    the largest fractions, equal fractions to the earliest listed."""
    if total < 0:
        return [-part for part in _largest_remainder_by_definition(-total, weights)]
    if not any(weights):
        weights = [1] * len(weights)
    weight_sum = sum(weights)
    parts = [total * w // weight_sum for w in weights]
    fractions = sorted(((-(total * w % weight_sum), i) for i, w in enumerate(weights)))
    for _, i in fractions[:total - sum(parts)]:
        parts[i] += 1
    return parts


@given(
    total=st.integers(min_value=-(10**12), max_value=10**12),
    # few distinct weights and small totals too, so that equal fractions are common
    weights=st.one_of(
        st.lists(st.integers(min_value=0, max_value=10**9), min_size=1, max_size=60),
        st.lists(st.integers(min_value=0, max_value=4), min_size=1, max_size=60)),
)
def test_largest_remainder_is_the_rule_as_written(total: int, weights: list[int]) -> None:
    assert money.largest_remainder(total, weights) == \
        _largest_remainder_by_definition(total, weights)


def test_largest_remainder_over_a_thousand_members_is_the_rule_as_written() -> None:
    # the size the live split runs it at; ties among members of equal weight
    weights = [(m * 7919) % 53 for m in range(1000)]
    for total in (1, 999, 1000, 18_000_00, 123_457, 10**12 + 1):
        assert money.largest_remainder(total, weights) == \
            _largest_remainder_by_definition(total, weights)


@given(st.integers(min_value=0, max_value=10**13), st.sampled_from(["KGS", "TJS", "USD"]))
def test_parse_of_to_string_round_trips(minor: int, currency: str) -> None:
    assert money.parse_amount(money.to_string(minor, currency), currency) == minor
