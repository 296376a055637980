"""The rules of certificates and labels, pure: whether a lot may carry a
certificate's number and the brand, when a certificate needs a reminder,
whether a certificate's or a label's dates are plausible, whether an upload
is what it claims to be, and the label sizes."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

MAX_SCAN_BYTES = 5 * 1024 * 1024
MAX_LOGO_BYTES = 1024 * 1024
REMINDER_DAYS = (60, 14)
# Dates a treasurer may enter. Typed dates are checked for typos: 1900, 9999.
EARLIEST_VALID_FROM = date(2000, 1, 1)
# An EAEU declaration or certificate of conformity of serially made food runs
# at most 5 years (a batch's, or an organic certificate, less); a group's own
# standard is reviewed every few years: longer is a typo.
MAX_VALIDITY_YEARS = 5
# A renewal arrives before the old one ends: it may begin up to a year ahead.
MAX_YEARS_AHEAD = 1
# Jams, dried fruit, honey, pulses keep a year or two: more than 5 is a typo.
MAX_SHELF_LIFE_YEARS = 5


def product_key(name: str) -> str:
    """A product's name as compared: case, spaces and ё do not count."""
    return " ".join(name.replace("ё", "е").replace("Ё", "Е").casefold().split())


@dataclass(frozen=True)
class CertificateFacts:
    number: str
    valid_from: date
    valid_to: date
    products: frozenset[str]  # product_key of each product in scope
    members: frozenset[int]  # membership ids covered


@dataclass(frozen=True)
class Refusal:
    """Why a lot's label may not carry the certificate (a key and its details)."""

    reason: str  # no_certificate, product, expired, not_yet, member
    day: date | None = None
    member_ids: tuple[int, ...] = ()


def eligibility(cert: CertificateFacts | None, *, product: str, dates: Iterable[date],
                contributors: Iterable[int]) -> list[Refusal]:
    """Every reason the lot may not carry the certificate's number and the
    brand; an empty list means it may. `dates`: the sale dates (and the
    packing date); `contributors`: members who contributed to the lot."""
    if cert is None:
        return [Refusal("no_certificate")]
    refusals = []
    if product_key(product) not in cert.products:
        refusals.append(Refusal("product"))
    for day in sorted(set(dates)):
        if day > cert.valid_to:
            refusals.append(Refusal("expired", day))
        elif day < cert.valid_from:
            refusals.append(Refusal("not_yet", day))
    uncovered = tuple(sorted(set(contributors) - cert.members))
    if uncovered:
        refusals.append(Refusal("member", member_ids=uncovered))
    return refusals


def years_after(day: date, years: int) -> date:
    """The same day `years` later (29 February: the 28th in a common year)."""
    try:
        return day.replace(year=day.year + years)
    except ValueError:
        return day.replace(year=day.year + years, day=28)


def certificate_dates_problem(valid_from: date, valid_to: date, today: date) -> str | None:
    """What is implausible about a certificate's validity (too_early, too_late,
    ends_before, too_long), else None. A renewal may be entered before it
    begins (the reminders ask for it early), but not more than a year ahead."""
    if valid_from < EARLIEST_VALID_FROM:
        return "too_early"
    if valid_from > years_after(today, MAX_YEARS_AHEAD):
        return "too_late"
    if valid_to < valid_from:
        return "ends_before"
    if valid_to > years_after(valid_from, MAX_VALIDITY_YEARS):
        return "too_long"
    return None


def label_dates_problem(packed_on: date, best_before: date, today: date) -> str | None:
    """What is wrong with a label's best-before (before_packing, passed,
    too_long), else None. The packing day itself is checked apart: a day that
    has happened."""
    if best_before < packed_on:
        return "before_packing"
    if best_before < today:
        return "passed"
    if best_before > years_after(packed_on, MAX_SHELF_LIFE_YEARS):
        return "too_long"
    return None


def reminder_due(valid_to: date, today: date) -> int | None:
    """The reminder a certificate is in (60 or 14 days before its end, or 0
    once expired), else None."""
    left = (valid_to - today).days
    if left < 0:
        return 0
    for days in sorted(REMINDER_DAYS):
        if left <= days:
            return days
    return None


def is_pdf(content: bytes) -> bool:
    """A PDF starts with %PDF- and ends (give or take trailing bytes) with %%EOF."""
    return content.startswith(b"%PDF-") and b"%%EOF" in content[-2048:]


def image_kind(content: bytes) -> str | None:
    """png or jpeg by their signatures, else None."""
    if content.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png"
    if content.startswith(b"\xff\xd8\xff"):
        return "jpeg"
    return None


@dataclass(frozen=True)
class LabelSize:
    key: str
    columns: int
    rows: int
    width_mm: float
    height_mm: float


# Sheets of A4 self-adhesive labels sold in the region's stationery shops.
LABEL_SIZES = {
    "large": LabelSize("large", 2, 2, 105, 148.5),
    "medium": LabelSize("medium", 2, 4, 105, 74.25),
    "small": LabelSize("small", 3, 7, 70, 42.4),
}
