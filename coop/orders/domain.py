"""Pure rules of a round: which state moves are allowed, and how full the
packs are. No Flask, no database."""

from __future__ import annotations

from dataclasses import dataclass

DRAFT, OPEN, CLOSED, QUOTING = "draft", "open", "closed", "quoting"
AWARDED, RECEIVED, SETTLED, CANCELLED = "awarded", "received", "settled", "cancelled"

# The only moves there are. Awarding straight from `closed` buys at the
# catalog's list prices; `quoting` is the way through suppliers' offers.
TRANSITIONS: dict[str, frozenset[str]] = {
    DRAFT: frozenset({OPEN, CANCELLED}),
    OPEN: frozenset({CLOSED, CANCELLED}),
    CLOSED: frozenset({QUOTING, AWARDED, CANCELLED}),
    QUOTING: frozenset({AWARDED, CANCELLED}),
    AWARDED: frozenset({RECEIVED, CANCELLED}),
    RECEIVED: frozenset({SETTLED}),
    SETTLED: frozenset(),
    CANCELLED: frozenset(),
}

# States in which members' orders still count against their credit.
COMMITTED_STATES = (OPEN, CLOSED, QUOTING, AWARDED, RECEIVED)
# States whose products, settings and shared costs may still change.
EDITABLE_STATES = (DRAFT, OPEN, CLOSED, QUOTING)
COST_EDITABLE_STATES = (DRAFT, OPEN, CLOSED, QUOTING, AWARDED, RECEIVED)


def can_move(current: str, target: str) -> bool:
    return target in TRANSITIONS.get(current, frozenset())


@dataclass(frozen=True)
class PackFill:
    """How full the packs of one product are, in thousandths of the unit."""

    firm: int
    tolerance: int
    pack_size: int
    full_packs: int  # packs filled by firm quantities alone
    remainder: int  # firm quantity in the last, unfinished pack
    missing: int  # what the last pack still needs (0 when none is started)
    packs: int  # packs that would be ordered now (spec rule 1)

    @property
    def tolerance_fills_last(self) -> bool:
        return self.remainder > 0 and self.remainder + self.tolerance >= self.pack_size

    @property
    def short(self) -> int:
        """What the last started pack needs beyond all the tolerances, firm or
        tolerance, to be ordered (spec rule 1); 0 when the tolerances fill it
        or none is started. (`missing` counts the firm quantities alone.)"""
        return max(self.missing - self.tolerance, 0) if self.remainder else 0

    @property
    def fill_percent(self) -> int:
        """How full the last started pack is (100 when all packs are full)."""
        if self.remainder == 0:
            return 100 if self.full_packs else 0
        return self.remainder * 100 // self.pack_size


def pack_fill(firm: int, tolerance: int, pack_size: int) -> PackFill:
    full, remainder = divmod(firm, pack_size)
    missing = pack_size - remainder if remainder else 0
    packs = full + (1 if remainder and remainder + tolerance >= pack_size else 0)
    return PackFill(firm=firm, tolerance=tolerance, pack_size=pack_size, full_packs=full,
                    remainder=remainder, missing=missing, packs=packs)


def is_multiple(value: int, step: int) -> bool:
    return step > 0 and value % step == 0
