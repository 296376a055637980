"""The share-out page explains why two members with the same shares get
different amounts: the sentence names the minor unit of the group's own
currency in every language. A Kyrgyz page of a group in somoni said
«тыйынга чейин» (the som's tyiyn) where the Tajik page said «дирам»."""

from __future__ import annotations

import re
from html import unescape

import pytest
from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from tests.conftest import login
from tests.factories import PASSWORD
from tests.savings_factory import hold_meeting, make_savings_group

UNITS = ("тыйын", "тийин", "дирам", "tyiyn", "diram")


def _tie_breaks(html: str) -> list[str]:
    return [re.sub(r"\s+", " ", unescape(p).replace("\u00a0", " "))
            for p in re.findall(r'<p class="explain">(.*?)</p>', html, re.S)]


@pytest.mark.parametrize(("currency", "locale", "unit", "said"), [
    ("TJS", "ky", "дирам", "сумманы так бөлүүгө мүмкүн болбосо (эң майда монета — дирам)"),
    ("TJS", "tg", "дирам", "агар маблағро то дирам тақсим кардан нашавад"),
    ("TJS", "ru", "дирам", "если сумму нельзя разделить точно (мельчайшая монета — дирам)"),
    ("TJS", "en", "diram", "a share-out that cannot be split to the diram gives"),
    ("KGS", "ky", "тыйын", "сумманы так бөлүүгө мүмкүн болбосо (эң майда монета — тыйын)"),
    ("KGS", "tg", "тийин", "агар маблағро то тийин тақсим кардан нашавад"),
    ("KGS", "en", "tyiyn", "a share-out that cannot be split to the tyiyn gives"),
])
def test_the_share_out_names_the_minor_unit_of_the_groups_currency(
        client: FlaskClient, session: Session, currency: str, locale: str, unit: str,
        said: str) -> None:
    world = make_savings_group(session, currency=currency)
    for k in (1, 2, 3, 4):
        hold_meeting(session, world, k)
    world.treasurer.user.locale = locale
    session.commit()
    login(client, world.treasurer.user.email, PASSWORD)
    response = client.get(f"/groups/{world.group.id}/savings/{world.cycle.id}/share-out")
    assert response.status_code == 200
    # §10: Бермет and Динара bought 16 shares each, Бермет gets 0,01 more
    [sentence] = _tie_breaks(response.get_data(as_text=True))
    assert "Бермет" in sentence and "Динара" in sentence, sentence
    assert said in sentence, sentence
    assert [u for u in UNITS if u in sentence.lower()] == [unit], sentence


def test_the_catalogs_name_no_minor_unit_in_a_sentence_about_any_currency() -> None:
    """The smallest coin of a seed loan, the tie-break of a share-out: their
    Kyrgyz, Russian and Tajik say «монета», «танга», or the unit the page
    passes (%(minor_unit)s), never one currency's tyiyn or diram."""
    from pathlib import Path

    from babel.messages.pofile import read_po

    root = Path(__file__).resolve().parents[2] / "coop" / "translations"
    used = {
        "This quantity is worth less than the smallest coin; bring more at once.",
        "%(first)s and %(second)s hold the same number of shares, yet %(first)s gets "
        "%(amount)s more: a share-out that cannot be split to the %(minor_unit)s gives the "
        "last coins to the largest remainders, and of two equal remainders to the smaller "
        "passbook number."}
    for locale in ("ru", "ky", "tg"):
        with (root / locale / "LC_MESSAGES" / "messages.po").open("rb") as fh:
            catalog = read_po(fh, locale=locale)
        for msgid in used:
            text = catalog.get(msgid).string
            assert text and not any(u in text.lower() for u in UNITS), (locale, text)


def test_every_currency_a_group_may_have_names_its_own_smallest_coin(app) -> None:  # type: ignore[no-untyped-def]
    """Not its code: a group in roubles was told «мельчайшая монета — RUB»."""
    from flask_babel import force_locale

    from coop.groups.services import CURRENCIES
    from coop.unit_text import minor_unit_name

    for locale in ("ru", "ky", "tg", "en"):
        with app.test_request_context(), force_locale(locale):
            for currency in CURRENCIES:
                assert minor_unit_name(currency) != currency, (locale, currency)
