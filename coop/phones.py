"""Phone numbers in E.164 (`+996555100003`), read as people write them.

In Kyrgyzstan a mobile number is written `0555 10 00 03`, `555100003`,
`8 555 10 00 03` (the old trunk prefix), `00996 555 …` or `+996 555 …`; in
Tajikistan `92 700 00 02`, `8 92 700 00 02`, `992927000002` or `+992 …`. The
group's country says which country a number without its code belongs to. Pure:
no Flask, no database.
"""

from __future__ import annotations

import re

import phonenumbers
from phonenumbers import NumberParseException, PhoneNumberFormat, PhoneNumberType

# The countries a number typed at sign-in may belong to, first the likeliest:
# sign-in does not know the group yet.
SIGN_IN_REGIONS = ("KG", "TJ", "KZ", "UZ")
DEFAULT_REGION = SIGN_IN_REGIONS[0]

# spaces (also no-break and thin), brackets, dashes of every kind, dots, slashes
_FORMATTING = re.compile(r"[\s()\[\]\-./\u2010-\u2015\u2212]")
_DIGITS = re.compile(r"\+?[0-9]{3,17}")


def _cleaned(text: str) -> str | None:
    """'+996 (555) 10-00-03' -> '+996555100003'; None if anything else is in it."""
    cleaned = _FORMATTING.sub("", text or "")
    return cleaned if _DIGITS.fullmatch(cleaned) else None


def _readings(cleaned: str) -> list[str]:
    """What the digits may mean, in order: international when they say so, else
    national as written, without a trunk prefix 0 or 8, and last with the
    country code typed without its '+'."""
    if cleaned.startswith("+"):
        return [cleaned]
    if cleaned.startswith("00"):
        return ["+" + cleaned[2:]]
    readings = [cleaned]
    if cleaned[0] in "08":
        readings.append(cleaned[1:])
    readings.append("+" + cleaned)
    return readings


def to_e164(text: str | None, region: str) -> str | None:
    """The number in E.164, a local form read as one of `region` (ISO country
    code: KG, TJ…); None when it is not a valid phone number."""
    cleaned = _cleaned((text or "").strip())
    if cleaned is None:
        return None
    for reading in _readings(cleaned):
        try:
            number = phonenumbers.parse(reading, region)
        except NumberParseException:
            continue
        if phonenumbers.is_valid_number(number):
            return phonenumbers.format_number(number, PhoneNumberFormat.E164)
    return None


def sign_in_candidates(text: str | None, regions: tuple[str, ...] = SIGN_IN_REGIONS
                       ) -> list[str]:
    """Every E.164 number the text may be, one per country it is valid in, the
    likeliest first: '555100003' is a number in Kyrgyzstan and in Tajikistan."""
    found: list[str] = []
    for region in regions:
        number = to_e164(text, region)
        if number is not None and number not in found:
            found.append(number)
    return found


def looks_like_phone(text: str | None) -> bool:
    return _cleaned((text or "").strip()) is not None


def search_digits(text: str) -> str | None:
    """The digits to look for in stored E.164 numbers when someone searches by
    a part of a number as she writes it ('0555 10' -> '55510'); None when the
    search is not a number."""
    cleaned = _cleaned(text.strip())
    if cleaned is None:
        return None
    digits = cleaned.lstrip("+")
    if digits.startswith("00"):
        return digits[2:] or None
    if digits[0] in "08" and len(digits) > 3:
        return digits[1:]
    return digits


def example(region: str) -> str:
    """A mobile number of the country as people there write it: '0700 123 456'."""
    number = phonenumbers.example_number_for_type(region, PhoneNumberType.MOBILE)
    if number is None:
        return "+996 700 123 456"
    return phonenumbers.format_number(number, PhoneNumberFormat.NATIONAL)


def readable(e164: str | None) -> str:
    """'+996555100003' -> '+996 555 100 003' (as stored when it does not parse)."""
    if not e164:
        return ""
    try:
        number = phonenumbers.parse(e164, None)
    except NumberParseException:
        return e164
    return phonenumbers.format_number(number, PhoneNumberFormat.INTERNATIONAL)
