"""The time bank's pure rules (coop.timebank.domain): minutes as people type
them, the checks of a transfer, the hard floor and the soft limits, the
movements that add up to zero, the reports' arithmetic, the register's CSV,
and the spec's worked example (§4) on the rules alone."""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from coop.timebank import domain
from coop.timebank.domain import Rules, TimeRuleError


@pytest.mark.parametrize("typed, minutes", [
    ("2:30", 150), ("0:45", 45), ("12:00", 720), ("2,5", 150), ("2.5", 150), ("3", 180),
    ("2 ч 30", 150), ("2ч30м", 150), ("2 ч 30 мин", 150), ("2 с 30 мүн", 150),
    ("2 соат 30 дақ", 150), ("2,5 ч", 150), ("1,25", 75), ("45 мин", 45), ("90 мин", 90),
    ("3 ч", 180), ("3 часа", 180), ("2 h 30 min", 150), ("  2 Ч 30  ", 150), ("0", 0),
    ("1 саат", 60), ("2\u00a0ч", 120), ("2 саат 30 мүн", 150), ("6 саат", 360),
])
def test_minutes_are_read_as_people_type_them(typed: str, minutes: int) -> None:
    assert domain.parse_minutes(typed) == minutes


@pytest.mark.parametrize("typed, code", [
    ("2:75", "unreadable"), ("2:5", "unreadable"), ("", "unreadable"), ("два часа", "unreadable"),
    ("2 30", "unreadable"), ("2 ч 75", "unreadable"), ("1,5 мин", "unreadable"),
    ("0,01", "not_whole_minutes"), ("-2", "not_positive"), ("−1:00", "not_positive"),
    ("101", "too_long"), ("2;30", "unreadable"),
])
def test_what_is_not_a_time_is_refused_with_its_reason(typed: str, code: str) -> None:
    with pytest.raises(TimeRuleError) as refused:
        domain.parse_minutes(typed)
    assert refused.value.code == code


@given(st.integers(min_value=0, max_value=domain.MAX_TYPED_MINUTES))
def test_what_a_form_shows_back_reads_the_same(minutes: int) -> None:
    assert domain.parse_minutes(domain.input_text(minutes)) == minutes


def test_hours_and_minutes_keep_the_sign_apart() -> None:
    assert domain.hours_and_minutes(150) == (1, 2, 30)
    assert domain.hours_and_minutes(-240) == (-1, 4, 0)
    assert domain.hours_and_minutes(0) == (1, 0, 0)


@pytest.mark.parametrize("minutes, code", [
    (0, "not_positive"), (-15, "not_positive"), (50, "off_step"), (735, "above_max")])
def test_an_amount_is_positive_on_the_step_and_at_most_the_maximum(minutes: int,
                                                                   code: str) -> None:
    with pytest.raises(TimeRuleError) as refused:
        domain.check_amount(minutes, Rules())
    assert refused.value.code == code and refused.value.field == "minutes"
    domain.check_amount(720, Rules())
    domain.check_amount(15, Rules())


def test_the_date_of_the_help_is_not_in_the_future_nor_before_joining() -> None:
    today = date(2026, 12, 2)
    domain.check_dates(today, today, [date(2026, 1, 1)])
    with pytest.raises(TimeRuleError, match="future"):
        domain.check_dates(date(2026, 12, 3), today, [])
    with pytest.raises(TimeRuleError) as refused:
        domain.check_dates(date(2025, 12, 31), today, [date(2026, 1, 1)])
    assert refused.value.figures["joined"] == date(2026, 1, 1)


def test_the_hard_floor_blocks_and_says_the_most_she_can_give() -> None:
    assert domain.most_she_can_give(-240, -600) == 360
    assert domain.most_she_can_give(-700, -600) == 0
    assert domain.most_she_can_give(-240, None) is None
    domain.check_floor(-240, 360, -600)
    with pytest.raises(TimeRuleError) as refused:
        domain.check_floor(-240, 420, -600)
    assert refused.value.figures == {"most": 360, "balance": -240, "floor": -600}
    domain.check_floor(-10_000, 720, None)  # no floor: anything


def test_soft_limits_only_flag() -> None:
    rules = Rules(warn_below_minutes=-300, warn_above_minutes=2400)
    assert domain.soft_flag(-301, rules) == "low"
    assert domain.soft_flag(-300, rules) is None
    assert domain.soft_flag(2401, rules) == "high"
    assert domain.soft_flag(0, Rules(warn_below_minutes=None, warn_above_minutes=None)) is None


def test_a_transfer_moves_two_sides_that_add_up_to_zero() -> None:
    assert domain.movements(1, 2, 150) == [(1, -150), (2, 150)]
    with pytest.raises(TimeRuleError, match="self_transfer"):
        domain.movements(1, 1, 150)
    with pytest.raises(TimeRuleError):
        domain.movements(1, 2, 0)


def test_the_worked_example_on_the_rules_alone() -> None:
    """§4: A, B, C and the bank (accounts 1, 2, 3, 0); start credit 120, floor −600."""
    moves: list[tuple[int, int]] = []

    def table() -> tuple[int, ...]:
        b = domain.balances(moves)
        row = tuple(b.get(a, 0) for a in (1, 2, 3, 0))
        return (*row, sum(row))

    for member in (1, 2, 3):
        moves += domain.movements(0, member, 120)
    assert table() == (120, 120, 120, -360, 0)
    moves += domain.movements(2, 1, 150)  # B received 150 from A
    assert table() == (270, -30, 120, -360, 0)
    moves += domain.movements(3, 1, 180) + domain.movements(3, 2, 180)  # the wedding
    assert table() == (450, 150, -240, -360, 0)
    with pytest.raises(TimeRuleError) as refused:  # C asks to pay B 420
        domain.check_floor(domain.balances(moves)[3], 420, -600)
    assert refused.value.figures["most"] == 360
    assert table() == (450, 150, -240, -360, 0)
    moves += domain.movements(0, 1, 60)  # the bank pays A for seed sorting
    assert table() == (510, 150, -240, -420, 0)
    moves += domain.movements(1, 2, 150) + domain.movements(2, 1, 120)  # reversal, anew
    assert table() == (480, 180, -240, -420, 0)


@given(st.lists(st.tuples(st.integers(0, 5), st.integers(0, 5), st.integers(1, 720)),
                max_size=60))
def test_any_sequence_of_transfers_sums_to_zero(transfers) -> None:  # type: ignore[no-untyped-def]
    moves: list[tuple[int, int]] = []
    for source, target, minutes in transfers:
        if source != target:
            moves += domain.movements(source, target, minutes)
    assert sum(domain.balances(moves).values()) == 0


def test_who_only_gives_and_who_only_receives() -> None:
    day = date(2026, 3, 1)
    found = domain.activity([(1, 60, day), (2, -60, day), (3, 30, day), (3, -15,
                                                                         date(2026, 4, 1))])
    assert domain.one_way(found[1]) == "only_gives"
    assert domain.one_way(found[2]) == "only_receives"
    assert domain.one_way(found[3]) is None
    assert found[3].last == date(2026, 4, 1) and found[3].exchanges == 2
    assert domain.days_without_exchange(None, date(2026, 4, 1), date(2026, 1, 1)) == 90


def test_hours_by_category_and_month() -> None:
    cells = domain.by_category_and_month([(1, date(2026, 3, 1), 60), (1, date(2026, 3, 9), 30),
                                          (2, date(2026, 4, 1), 15)])
    assert cells[(1, "2026-03")].minutes == 90 and cells[(1, "2026-03")].exchanges == 2
    assert cells[(2, "2026-04")].minutes == 15


def test_the_register_csv_reports_every_bad_line_by_its_number() -> None:
    data = ("Дата;Получила;Помогла;Часы;Категория\n"
            "25.03.2026;3;1;2:30;harvest;абрикосы\n"
            "2026-03-26;4;0;3;celebrations\n"
            "31.02.2026;3;1;1;harvest\n"
            "25.03.2026;x;1;1;harvest\n"
            "25.03.2026;3;1;2:75;harvest\n"
            "25.03.2026;3;1\n"
            "\n").encode("cp1251")
    parsed = domain.parse_register_csv(data)
    assert [(line.line, line.receiver, line.provider, line.minutes) for line in parsed.lines] \
        == [(2, 3, 1, 150), (3, 4, 0, 180)]
    assert parsed.lines[0].note == "абрикосы"
    assert [(n, e.code) for n, e in parsed.errors] == [
        (4, "bad_date"), (5, "bad_member_number"), (6, "unreadable"), (7, "too_few_cells")]


def test_an_empty_register_is_refused() -> None:
    with pytest.raises(TimeRuleError, match="empty_file"):
        domain.parse_register_csv(b"\xef\xbb\xbf\n\n")
