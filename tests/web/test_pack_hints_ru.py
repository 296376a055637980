"""What the last pack still needs, said alike wherever it is shown. The
round's page and the order form count the tolerances (spec/split.md rule 1);
the needs survey's hint counted the "sure" answers alone («ещё 3 пакета
заполнят следующую» when the "maybe" already filled it), the API had only the
firm-only figure, and a round with no full pack read «0 полных упаковок; для
последней…». Now the survey says what its round will do, each "maybe" its
tolerance (a "maybe" without a "sure" becomes none), in the round's words;
the API adds `last_pack_short`; and no full pack yet reads «Первая упаковка
ещё не заполнена…»."""

from __future__ import annotations

import re

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from coop.orders import services as orders
from coop.orders.models import Round
from coop.quantities import parse_quantity as q
from coop.season import services as season
from coop.season.services import AnswerInput
from tests.conftest import login
from tests.factories import make_api_token, make_catalog, make_group, make_member
from tests.web.test_api import bearer, conforms


def _text(response) -> str:  # type: ignore[no-untyped-def]
    assert response.status_code == 200, response.status_code
    return re.sub(r"\s+", " ", response.get_data(as_text=True).replace("\u00a0", " "))


def _people(session: Session):  # type: ignore[no-untyped-def]
    """A group reading Russian on `make_catalog`: tomato seed in packs of 25
    bags, fabric in packs of 30 m (step 0.5), NPK in packs of 50 kg."""
    group = make_group(session)
    treasurer = make_member(session, group, "Майрам", role="treasurer", locale="ru")
    aigul = make_member(session, group, "Айгүл", locale="ru")
    nurila = make_member(session, group, "Нурила", locale="ru")
    return group, treasurer, aigul, nurila, make_catalog(session, group)


def _demand_row(page: str, item_id: int) -> str:
    return re.search(rf'<tr data-item="{item_id}">.*?</tr>', page, re.S).group(0)


def _packs(row: str) -> int:
    return int(re.search(r'<td class="num packs"[^>]*>(\d+)</td>', row).group(1))


def test_the_survey_says_what_its_round_will_do_with_the_last_pack(
        app_ctx: Flask, client: FlaskClient, session: Session) -> None:
    """Tomato: sure 20 + 2, maybe 5 → the "maybe" fills the first pack (it
    said «ещё 3 пакета заполнят следующую»). NPK: sure 60 with maybe 3, and
    Nurila's maybe 10 with no "sure" (the round carries no tolerance for it)
    → the last pack needs 37 kg more. Fabric: sure 20 m and a maybe-only
    10 m → no pack yet (the "maybe" alone filled one before), 10 m short.
    Made a round, its page says the same of the same numbers."""
    group, treasurer, aigul, nurila, (tomato, fabric, npk) = _people(session)
    survey = season.create_survey(session, group, treasurer.user, title="Весна",
                                  product_ids=[tomato.id, fabric.id, npk.id])
    season.move_survey(session, survey, "open")
    items = {item.product_id: item.id for item in survey.items}
    season.save_answers(session, survey, aigul, {
        items[tomato.id]: AnswerInput(firm=q("20")),
        items[npk.id]: AnswerInput(firm=q("60"), maybe=q("3")),
        items[fabric.id]: AnswerInput(firm=q("20"))}, aigul.user, source="member")
    season.save_answers(session, survey, nurila, {
        items[tomato.id]: AnswerInput(firm=q("2"), maybe=q("5")),
        items[npk.id]: AnswerInput(maybe=q("10")),
        items[fabric.id]: AnswerInput(maybe=q("10"))}, nurila.user, source="member")
    season.move_survey(session, survey, "closed")
    session.commit()

    login(client, treasurer.user.email)
    page = _text(client.get(f"/groups/{group.id}/season/surveys/{survey.id}"))
    seed_row, npk_row, fabric_row = (_demand_row(page, items[p.id])
                                     for p in (tomato, npk, fabric))
    assert "первую упаковку заполняет «может быть»" in seed_row
    assert "заполнят следующую" not in page
    assert ("для последней упаковки нужно ещё 37 килограммов (точно или «может быть»), "
            "иначе её не закажут") in npk_row
    assert ("первая упаковка ещё не заполнена: нужно ещё 10 метров (точно или «может "
            "быть»), иначе её не закажут") in fabric_row
    assert [_packs(r) for r in (seed_row, npk_row, fabric_row)] == [1, 1, 0]

    rnd = season.convert_survey(session, survey, treasurer.user, title="Весна").round
    session.commit()
    converted = session.get(Round, rnd.id)
    split = orders.compute_split(session, converted).result
    packs = {p["id"]: p["packs"] for p in split["products"]}  # by the round's item
    item_of = {item.product_id: str(item.id) for item in converted.items}
    assert [packs[item_of[p.id]] for p in (tomato, npk, fabric)] == [1, 1, 0]
    round_page = _text(client.get(f"/groups/{group.id}/rounds/{rnd.id}"))
    assert "1 упаковка: последнюю заполняет допуск." in round_page
    assert ("1 полная упаковка; для последней нужно ещё 37 килограммов (точно или в "
            "допуск), иначе её не закажут.") in round_page
    assert ("Первая упаковка ещё не заполнена: нужно ещё 10 метров (точно или в допуск), "
            "иначе её не закажут.") in round_page


def test_no_full_pack_yet_is_said_plainly_on_the_round_and_the_order_form(
        client: FlaskClient, session: Session) -> None:
    group, treasurer, aigul, _nurila, (tomato, _fabric, _npk) = _people(session)
    rnd = orders.create_round(session, group, treasurer.user, title="Весна", deadline=None,
                              product_ids=[tomato.id])
    orders.move_round(session, rnd, treasurer.user, "open")
    seed = rnd.items[0]
    orders.save_order(session, rnd, aigul, {seed.id: (20_000, 2_000)}, aigul.user,
                      as_treasurer=False)
    session.commit()
    said = ("Первая упаковка ещё не заполнена: нужно ещё 3 пакета (точно или в допуск), "
            "иначе её не закажут.")
    login(client, aigul.user.email)
    base = f"/groups/{group.id}/rounds/{rnd.id}"
    for page in (_text(client.get(base)), _text(client.get(f"{base}/order"))):
        assert said in page
        assert "0 полных упаковок" not in page


def test_the_api_says_what_the_last_pack_needs_beyond_the_tolerances(
        app: Flask, client: FlaskClient, session: Session) -> None:
    """`last_pack_missing` keeps its meaning (firm quantities only: 25 − 20 =
    5); `last_pack_short` counts the tolerances as the split does (5 − 2 =
    3), and is 0 when they fill the pack (NPK: 60 + 45 of packs of 50)."""
    group, treasurer, aigul, _nurila, (tomato, _fabric, npk) = _people(session)
    rnd = orders.create_round(session, group, treasurer.user, title="Весна", deadline=None,
                              product_ids=[tomato.id, npk.id])
    orders.move_round(session, rnd, treasurer.user, "open")
    seed, fertiliser = rnd.items
    orders.save_order(session, rnd, aigul, {seed.id: (20_000, 2_000),
                                            fertiliser.id: (60_000, 45_000)}, aigul.user,
                      as_treasurer=False)
    token = make_api_token(session, aigul.user)
    session.commit()
    body = conforms(app, client.get(f"/api/v1/groups/{group.id}/rounds/{rnd.id}",
                                    headers=bearer(token)),
                    "/groups/{group_id}/rounds/{round_id}")
    packs = {item["product_id"]: item["packs"] for item in body["items"]}
    assert packs[tomato.id] == {"full": 0, "ordered": 0, "last_pack_filled": "20",
                                "last_pack_missing": "5", "last_pack_short": "3",
                                "fill_percent": 80}
    assert packs[npk.id]["ordered"] == 2
    assert (packs[npk.id]["last_pack_missing"], packs[npk.id]["last_pack_short"]) == ("40", "0")
