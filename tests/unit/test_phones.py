"""Phone numbers as people write them in Kyrgyzstan and Tajikistan, to E.164."""

from __future__ import annotations

import pytest

from coop.phones import looks_like_phone, readable, search_digits, sign_in_candidates, to_e164

KG_VALID = ["0555 10 00 03", "555100003", "8 555 10 00 03", "00996 555 100 003",
            "+996 555 100 003", "996555100003", "+996 (555) 10-00-03", "0555-10-00-03",
            "8(555)100003", "\u00a0+996\u00a0555\u00a0100\u00a0003 "]
TJ_VALID = ["92 700 00 02", "927000002", "8 92 700 00 02", "00992 92 700 00 02",
            "+992 92 700 00 02", "992927000002", "+992 (92) 700-00-02"]
INVALID = ["", "   ", "12345", "555 10 00 0", "0555 10 00 033 4", "phone", "+996 555 ABC",
           "0000000000", "+1", "555100003 ext 2", "٥٥٥١٠٠٠٠٣"]


@pytest.mark.parametrize("typed", KG_VALID)
def test_every_kyrgyz_form_is_one_number(typed: str) -> None:
    assert to_e164(typed, "KG") == "+996555100003"


@pytest.mark.parametrize("typed", TJ_VALID)
def test_every_tajik_form_is_one_number(typed: str) -> None:
    assert to_e164(typed, "TJ") == "+992927000002"


@pytest.mark.parametrize("typed", INVALID)
@pytest.mark.parametrize("region", ["KG", "TJ"])
def test_what_is_not_a_number_is_none(typed: str, region: str) -> None:
    assert to_e164(typed, region) is None


def test_the_groups_country_decides_a_local_form() -> None:
    # a Tajik mobile number typed locally is not a Kyrgyz one …
    assert to_e164("92 700 00 02", "KG") is None
    assert to_e164("8 92 700 00 02", "KG") is None
    # … but with its country code it is the Tajik number, in any group
    assert to_e164("992927000002", "KG") == "+992927000002"
    assert to_e164("00992927000002", "KG") == "+992927000002"
    assert to_e164("+996555100003", "TJ") == "+996555100003"
    assert to_e164("996555100003", "TJ") == "+996555100003"
    # a Bishkek landline
    assert to_e164("0312 62 00 00", "KG") == "+996312620000"
    assert to_e164("0312 62 00 00", "TJ") is None


def test_sign_in_tries_every_country_the_number_is_valid_in() -> None:
    assert sign_in_candidates("0555 10 00 03")[0] == "+996555100003"
    assert "+992555100003" in sign_in_candidates("555100003")
    assert sign_in_candidates("92 700 00 02")[0] == "+992927000002"
    assert sign_in_candidates("+996 555 100 003") == ["+996555100003"]
    assert sign_in_candidates("12345") == []


def test_search_digits_drop_prefixes() -> None:
    assert search_digits("0555 10") == "55510"
    assert search_digits("8 555") == "555"
    assert search_digits("+996 555") == "996555"
    assert search_digits("00996555") == "996555"
    assert search_digits("Айгүл") is None
    assert looks_like_phone("0555 10") and not looks_like_phone("Айгүл")


def test_readable() -> None:
    assert readable("+996555100003") == "+996 555 100 003"
    assert readable("as typed") == "as typed"
    assert readable(None) == ""
