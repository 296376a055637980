from __future__ import annotations

import pytest

from coop.orders import domain


@pytest.mark.parametrize(("current", "target"), [
    ("draft", "open"), ("open", "closed"), ("closed", "quoting"), ("closed", "awarded"),
    ("quoting", "awarded"), ("awarded", "received"), ("received", "settled"),
    ("draft", "cancelled"), ("open", "cancelled"), ("awarded", "cancelled"),
])
def test_listed_moves_are_allowed(current: str, target: str) -> None:
    assert domain.can_move(current, target)


@pytest.mark.parametrize(("current", "target"), [
    ("draft", "closed"), ("open", "awarded"), ("closed", "open"), ("settled", "cancelled"),
    ("cancelled", "open"), ("received", "cancelled"), ("settled", "received"),
    ("open", "open"), ("draft", "settled"), ("nonsense", "open"), ("open", "nonsense"),
])
def test_other_moves_are_refused(current: str, target: str) -> None:
    assert not domain.can_move(current, target)


def test_pack_fill_counts_full_packs_and_whats_missing() -> None:
    fill = domain.pack_fill(firm=46_000, tolerance=15_000, pack_size=25_000)
    assert (fill.full_packs, fill.remainder, fill.missing, fill.packs) == (1, 21_000, 4_000, 2)
    assert fill.tolerance_fills_last
    assert fill.fill_percent == 84


def test_pack_fill_when_tolerance_cannot_fill_the_last_pack() -> None:
    fill = domain.pack_fill(firm=105_000, tolerance=25_000, pack_size=50_000)
    assert (fill.full_packs, fill.remainder, fill.missing, fill.packs) == (2, 5_000, 45_000, 2)
    assert not fill.tolerance_fills_last


def test_pack_fill_never_fills_a_pack_with_tolerance_alone() -> None:
    fill = domain.pack_fill(firm=0, tolerance=30_000, pack_size=25_000)
    assert fill.packs == 0 and fill.missing == 0 and fill.fill_percent == 0
    exact = domain.pack_fill(firm=50_000, tolerance=0, pack_size=25_000)
    assert (exact.packs, exact.missing, exact.fill_percent) == (2, 0, 100)


def test_what_the_last_pack_still_needs_counts_the_tolerances() -> None:
    """Rule 1 fills the last pack from the tolerances: firm 50 + tolerance 20
    in packs of 20 makes 3 packs, and the last needs nothing more; with 5 of
    tolerance it needs 5 more (firm or tolerance), not the 10 the firm leave."""
    filled = domain.pack_fill(firm=50_000, tolerance=20_000, pack_size=20_000)
    assert (filled.packs, filled.missing, filled.short) == (3, 10_000, 0)
    short = domain.pack_fill(firm=50_000, tolerance=5_000, pack_size=20_000)
    assert (short.packs, short.missing, short.short) == (2, 10_000, 5_000)
    assert domain.pack_fill(firm=40_000, tolerance=5_000, pack_size=20_000).short == 0
