"""What a new user's walk through a round in Russian found on the order form
and the share page: the form's hint under each product counted the firm
quantities alone, where the split and the round's page count the tolerances
too; a line with two mistakes showed one message, and a negative tolerance was
called a quantity; and the treasurer read a member's bill as if spoken to
herself ("Вы получаете")."""

from __future__ import annotations

import re

from flask import Flask
from flask.testing import FlaskClient
from flask_babel import force_locale
from sqlalchemy.orm import Session

from coop.errors import DomainError
from coop.orders import services
from tests.conftest import login, post
from tests.factories import make_catalog, make_group, make_member


def _round(session: Session, **group_settings: object):  # type: ignore[no-untyped-def]
    """An open round on `make_catalog` (tomato seed in packs of 25 bags), its
    people reading Russian."""
    group = make_group(session, **group_settings)
    treasurer = make_member(session, group, "Майрам", role="treasurer", locale="ru")
    aigul = make_member(session, group, "Айгүл", locale="ru")
    nurila = make_member(session, group, "Нурила", locale="ru")
    products = make_catalog(session, group)
    rnd = services.create_round(session, group, treasurer.user, title="Весна", deadline=None,
                                product_ids=[p.id for p in products])
    services.move_round(session, rnd, treasurer.user, "open")
    session.commit()
    return group, treasurer, aigul, nurila, rnd


def _order(session: Session, rnd, member, lines: dict) -> None:  # type: ignore[no-untyped-def]
    services.save_order(session, rnd, member, lines, member.user, as_treasurer=False)
    session.commit()


def _text(response) -> str:  # type: ignore[no-untyped-def]
    assert response.status_code in (200, 422), response.status_code
    return response.get_data(as_text=True).replace("\u00a0", " ")


def _seed_box(page: str, item_id: int) -> str:
    """The order form's fieldset of one product."""
    boxes = re.findall(r'<fieldset class="order-line.*?</fieldset>', page, re.S)
    return next(box for box in boxes if f'name="quantity_{item_id}"' in box)


def test_the_order_form_says_of_the_last_pack_what_the_round_page_says(
        client: FlaskClient, session: Session) -> None:
    """Firm 45 + 15 = 60 bags (2 packs of 25 and 10 over) with 20 of
    tolerance: the split orders 3 packs. The form said «Для последней
    упаковки нужно ещё 15 пакетов», pushing women to raise firm quantities for
    nothing; now it says what the round's page says. With 5 of tolerance, the
    last pack needs 10 more (25 − 10 − 5), firm or tolerance."""
    group, treasurer, aigul, nurila, rnd = _round(session)
    seed = rnd.items[0]
    _order(session, rnd, aigul, {seed.id: (45_000, 0)})
    _order(session, rnd, nurila, {seed.id: (15_000, 20_000)})
    assert services.compute_split(session, rnd).result["products"][0]["packs"] == 3

    base = f"/groups/{group.id}/rounds/{rnd.id}"
    filled = "3 упаковки: последнюю заполняет допуск."
    login(client, aigul.user.email)
    page = _text(client.get(f"{base}/order"))
    assert filled in _seed_box(page, seed.id) and "Для последней упаковки" not in page
    assert filled in _text(client.get(base))  # her view of the round

    login(client, treasurer.user.email)
    form_for_her = _text(client.get(f"{base}/order/{nurila.id}"))
    assert filled in _seed_box(form_for_her, seed.id)
    assert filled in _text(client.get(base))

    _order(session, rnd, nurila, {seed.id: (15_000, 5_000)})
    short = ("2 полные упаковки; для последней нужно ещё 10 пакетов (точно или в допуск), "
             "иначе её не закажут.")
    assert short in _seed_box(_text(client.get(f"{base}/order/{nurila.id}")), seed.id)
    assert short in _text(client.get(base))
    assert services.compute_split(session, rnd).result["products"][0]["packs"] == 2


def test_each_box_of_a_line_says_what_is_wrong_with_it(client: FlaskClient,
                                                       session: Session) -> None:
    group, _treasurer, aigul, _nurila, rnd = _round(session)
    seed, fabric, _npk = rnd.items
    url = f"/groups/{group.id}/rounds/{rnd.id}/order"
    login(client, aigul.user.email)
    response = post(client, url, {f"quantity_{seed.id}": "много",
                                  f"tolerance_{seed.id}": "-2"})
    page = _text(response)
    assert response.status_code == 422
    box = _seed_box(page, seed.id)
    assert "«много» — не число." in box
    assert "Допуск не может быть отрицательным." in box
    assert "Количество не может быть отрицательным." not in box
    assert len(re.findall(r'aria-invalid="true"', box)) == 2  # each box marked

    # a right quantity and a negative tolerance: the tolerance alone is marked
    page = _text(post(client, url, {f"quantity_{fabric.id}": "3",
                                    f"tolerance_{fabric.id}": "-1"}))
    box = _seed_box(page, fabric.id)
    assert "Допуск не может быть отрицательным." in box and "Количество" not in re.sub(
        r"<label[^>]*>.*?</label>", "", box, flags=re.S)
    assert re.search(rf'id="t{fabric.id}"[^>]*aria-invalid="true"', box)
    assert not re.search(rf'id="q{fabric.id}"[^>]*aria-invalid', box)
    assert services.order_of(session, rnd, aigul) == {}


def test_a_negative_tolerance_is_named_so_by_the_service(app_ctx: Flask,
                                                        session: Session) -> None:
    """The same rule for the API and any caller of save_order."""
    _group, _treasurer, aigul, _nurila, rnd = _round(session)
    seed = rnd.items[0]
    try:
        services.save_order(session, rnd, aigul, {seed.id: (5_000, -2_000)}, aigul.user,
                            as_treasurer=False)
    except DomainError as exc:
        with app_ctx.test_request_context(), force_locale("ru"):
            message = str(exc.message)
        assert exc.field == f"tolerance_{seed.id}"
    else:  # pragma: no cover
        raise AssertionError("a negative tolerance was saved")
    assert message == "Семена томата: допуск не может быть отрицательным."


def _her_round(session: Session):  # type: ignore[no-untyped-def]
    """Aigul gets 20 bags of seed plus 3 of her tolerance (firm 20 + 27 = 47,
    tolerance 10: 2 packs of 25), and 30 m of fabric, as asked; with a levy,
    cash rounding and bazaar prices, every line of her bill has its "why"."""
    group, treasurer, aigul, nurila, rnd = _round(session, levy_basis_points=200,
                                                  cash_rounding=100)
    seed, fabric, _npk = rnd.items
    _order(session, rnd, aigul, {seed.id: (20_000, 10_000), fabric.id: (30_000, 0)})
    _order(session, rnd, nurila, {seed.id: (27_000, 0)})
    return group, treasurer, aigul, rnd


SECOND_PERSON = ("Вы получаете", "Ваши 20 пакетов плюс 3 пакета из вашего допуска",
                 "Сколько вы просили.", "от стоимости ваших товаров", "вы экономите")
THIRD_PERSON = ("Она получает", "Её 20 пакетов плюс 3 пакета из её допуска",
                "Сколько она просила.", "от стоимости её товаров", "она экономит")


def test_the_treasurer_reads_a_member_s_bill_in_the_third_person(
        app_ctx: Flask, client: FlaskClient, session: Session, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """Her own page speaks to her, as before; the treasurer's view of it, of
    her. The bill is kept as HTML and its lines per process: the member's view
    first, then the treasurer's (kept parts not checked against fresh ones, as
    in production), and back: each reads her own."""
    monkeypatch.setitem(app_ctx.config, "SPLIT_CACHE_CHECK", False)
    group, treasurer, aigul, rnd = _her_round(session)
    url = f"/groups/{group.id}/rounds/{rnd.id}/share"
    as_treasurer = app_ctx.test_client()
    login(as_treasurer, treasurer.user.email)
    login(client, aigul.user.email)
    for _again in range(2):
        own = _text(client.get(url))
        assert "Моя доля" in own
        for text in SECOND_PERSON:
            assert text in own, text
        for text in THIRD_PERSON:
            assert text not in own, text
        # her account, under her bill (not the text to copy, which speaks to her too)
        assert "Ваш счёт: " in own[own.index('<table class="share'):own.index('id="copy-text"')]

        other = _text(as_treasurer.get(f"{url}/{aigul.id}"))
        assert f"Доля: {aigul.user.name}" in other
        bill = other[other.index('<table class="share'):other.index('id="copy-text"')]
        for text in THIRD_PERSON:
            assert text in bill, text
        for text in ("Вы получаете", "Ваши ", "ваш", " вы ", "Ваш счёт"):
            assert text not in bill, text
        assert "Счёт: " in bill  # her account, of her
