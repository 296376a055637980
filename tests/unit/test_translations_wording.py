"""Wording a walk in Kyrgyz and Tajik found misleading, kept right in the
catalogs: Kyrgyz hours written out (a bare «с» reads as сом), «же» ("or")
not next to «так» where it reads as the Russian «так же», a suffix never cut
off a number it cannot agree with, the Tajik distribution sheet's line "as
of" a date like its column, the cash difference read as a subtraction."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parents[2]


def _catalog(locale: str) -> dict[str, tuple[str, ...]]:
    """msgid (the singular) -> its translations, the entries in use only."""
    path = ROOT / "coop" / "translations" / locale / "LC_MESSAGES" / "messages.po"
    with path.open("rb") as fh:
        catalog = read_po(fh, locale=locale)
    return {(m.id if isinstance(m.id, str) else m.id[0]):
            (m.string if isinstance(m.string, tuple) else (m.string,))
            for m in catalog if m.id}


@pytest.fixture(scope="module")
def ky() -> dict[str, tuple[str, ...]]:
    return _catalog("ky")


@pytest.fixture(scope="module")
def tg() -> dict[str, tuple[str, ...]]:
    return _catalog("tg")


def _all(catalog: dict[str, tuple[str, ...]]) -> list[tuple[str, str]]:
    return [(msgid, text) for msgid, texts in catalog.items() for text in texts]


def test_kyrgyz_hours_are_written_saat_not_s(ky: dict[str, tuple[str, ...]]) -> None:
    assert ky["%(hours)d h"] == ("%(hours)d саат",)
    assert ky["%(hours)d h %(minutes)d min"] == ("%(hours)d саат %(minutes)d мүн",)
    for msgid, text in _all(ky):
        assert not re.search(r"(%\(\w+\)d|\d) с\b", text), (msgid, text)


def test_kyrgyz_or_is_never_read_as_russian_tak_zhe(ky: dict[str, tuple[str, ...]]) -> None:
    for msgid, text in _all(ky):
        assert "так же" not in text.lower(), (msgid, text)
    assert "(так заказдан же кошумчадан)" in ky[
        "The first pack is not full yet: it needs %(missing)s more (firm or tolerance), or it "
        "is not ordered."][0]


def test_kyrgyz_from_to_keeps_its_suffixes_on_a_word(ky: dict[str, tuple[str, ...]]) -> None:
    """«1 ден 5 чейин»: a suffix cut off a number agrees with no number (1ден,
    5тен, 6дан): it goes on the word after the number, or a dash stands."""
    for msgid, text in _all(ky):
        assert not re.search(r"%\(\w+\)[sd] [дт][еаоө]н %\(\w+\)[sd]", text), (msgid, text)
    shares = ky["%(member)s: %(shares)s shares — 0 or %(min)s to %(max)s per meeting"][0]
    assert shares % {"member": "Айгүл", "shares": "7", "min": "1", "max": "5"} == (
        "Айгүл: 7 үлүш — бир жыйында 0 же 1 үлүштөн 5 үлүшкө чейин")


def test_the_tajik_distribution_line_says_as_of_like_its_column(
        tg: dict[str, tuple[str, ...]]) -> None:
    column = tg["To pay on %(date)s"][0]
    line = tg["To pay on %(date)s (her share %(share)s, paid %(paid)s)"][0]
    assert column == "Бояд пардохт шавад, ба ҳолати %(date)s"
    assert line.startswith(column + " (") and " то %(date)s" not in line


def test_the_cash_difference_reads_as_counted_less_expected(
        ky: dict[str, tuple[str, ...]], tg: dict[str, tuple[str, ...]]) -> None:
    label = "Counted minus expected (minus for a shortage)"
    assert ky[label] == ("Саналгандан болушу керек сумманы кемиткенде чыккан айырма "
                         "(жетишпесе — минус менен)",)
    assert tg[label] == ("Фарқи шумурдашуда аз маблағе, ки бояд бошад (агар кам бошад — "
                         "бо минус)",)


def test_a_savings_meeting_is_one_word_in_each_language(
        ky: dict[str, tuple[str, ...]], tg: dict[str, tuple[str, ...]]) -> None:
    """A savings meeting is «ҷаласа» in Tajik and «жыйын» in Kyrgyz on every
    label, the correction of an older one too (not «маҷлис», «жыйналыш»; the
    record, «суратмаҷлис», is its own word)."""
    assert tg["Correct an older meeting"] == ("Ислоҳи ҷаласаи пешина",)
    assert ky["Correct an older meeting"] == ("Мурунку жыйынды оңдоо",)
    for msgid, text in _all(tg):
        assert not re.search(r"(?<!сурат)маҷлис", text, re.I), (msgid, text)
    for msgid, text in _all(ky):
        assert "жыйналыш" not in text.lower(), (msgid, text)
