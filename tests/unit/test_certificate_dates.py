"""Plausible dates on certificates and labels (coop.certificates.domain), pure:
a typo in a year (1900, 9999, 2999) is caught, a real document passes."""

from __future__ import annotations

from datetime import date

from coop.certificates import domain

TODAY = date(2026, 12, 7)


def problem(valid_from: date, valid_to: date, today: date) -> str | None:
    return domain.certificate_dates_problem(valid_from, valid_to, today)


def test_a_real_declaration_passes() -> None:
    assert problem(date(2026, 3, 10), date(2031, 3, 9), TODAY) is None
    assert problem(date(2026, 3, 10), date(2026, 3, 10), TODAY) is None


def test_a_certificate_from_1900_to_9999_is_refused() -> None:
    assert problem(date(1900, 1, 1), date(9999, 12, 31), TODAY) == "too_early"
    assert problem(date(2026, 1, 1), date(9999, 12, 31), TODAY) == "too_long"


def test_validity_runs_at_most_five_years_to_the_day() -> None:
    assert problem(date(2026, 1, 1), date(2031, 1, 1), TODAY) is None
    assert problem(date(2026, 1, 1), date(2031, 1, 2), TODAY) == "too_long"
    assert problem(date(2000, 1, 1), date(2001, 1, 1), TODAY) is None
    assert problem(date(1999, 12, 31), date(2001, 1, 1), TODAY) == "too_early"
    assert problem(date(2026, 1, 2), date(2026, 1, 1), TODAY) == "ends_before"


def test_a_renewal_may_begin_up_to_a_year_ahead() -> None:
    """Found in review: the reminders ask for a renewal before the old one
    ends, and it comes dated from a day still ahead."""
    assert problem(date(2027, 1, 1), date(2031, 12, 31), TODAY) is None
    assert problem(date(2027, 12, 7), date(2028, 12, 6), TODAY) is None
    assert problem(date(2027, 12, 8), date(2028, 12, 7), TODAY) \
        == "too_late"
    assert problem(date(2036, 1, 1), date(2037, 1, 1), TODAY) \
        == "too_late"


def test_years_after_29_february_is_the_28th() -> None:
    assert domain.years_after(date(2028, 2, 29), 5) == date(2033, 2, 28)
    assert domain.years_after(date(2028, 2, 29), 4) == date(2032, 2, 29)


def test_label_dates() -> None:
    packed = date(2026, 12, 1)
    assert domain.label_dates_problem(packed, date(2027, 12, 1), TODAY) is None
    assert domain.label_dates_problem(packed, TODAY, TODAY) is None
    assert domain.label_dates_problem(packed, date(2026, 11, 30), TODAY) == "before_packing"
    assert domain.label_dates_problem(packed, date(2026, 12, 6), TODAY) == "passed"
    assert domain.label_dates_problem(packed, date(2031, 12, 1), TODAY) is None
    assert domain.label_dates_problem(packed, date(2999, 12, 1), TODAY) == "too_long"
