"""The product page refuses a step that a round in progress does not fit, and
the round's pages keep working."""

from __future__ import annotations

from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from coop.orders import services as orders
from coop.suppliers.models import Product
from tests.conftest import login, post
from tests.factories import make_closed_round


def test_a_refused_step_change_leaves_the_round_pages_working(
        client: FlaskClient, session: Session) -> None:
    world = make_closed_round(session)
    orders.award_at_list_prices(session, world.rnd, world.treasurer.user)
    session.commit()
    fabric = world.fabric.product
    group, supplier = world.group, fabric.supplier
    login(client, world.treasurer.user.email)
    edit_url = f"/groups/{group.id}/suppliers/{supplier.id}/products/{fabric.id}"
    form = {"name": "Ткань", "unit": "м", "article_code": fabric.article_code,
            "pack_size": "30", "granularity": "3", "weight_kg": "0,2",
            "retail_price": "38", "tiers": "0 = 27,40"}

    response = post(client, edit_url, form, headers={"Accept-Language": "ru"})
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert ("Шаг нельзя изменить: в закупке «Весна» 2 заказа не кратны 3 метра. Сначала "
            "исправьте их или дождитесь, пока закупка будет рассчитана.") in page
    session.expire_all()
    assert session.get(Product, fabric.id).granularity == 500

    for url in (f"/groups/{group.id}/rounds/{world.rnd.id}",
                f"/groups/{group.id}/suppliers/{supplier.id}"):
        assert client.get(url).status_code == 200, url


def test_a_step_a_quote_does_not_fit_is_refused_and_the_comparison_speaks_russian(
        client: FlaskClient, session: Session) -> None:
    from sqlalchemy import update

    from tests.integration.test_step_change import _quoted_round

    world, quote = _quoted_round(session)  # NPK offered in packs of 25 kg
    supplier_name = quote.supplier.name
    npk = world.npk.product
    group, supplier = world.group, npk.supplier
    login(client, world.treasurer.user.email)
    edit_url = f"/groups/{group.id}/suppliers/{supplier.id}/products/{npk.id}"
    form = {"name": "NPK", "unit": "кг", "article_code": npk.article_code,
            "pack_size": "50", "granularity": "10", "weight_kg": "1",
            "retail_price": "95", "tiers": "0 = 78\n100 = 71,25"}
    response = post(client, edit_url, form, headers={"Accept-Language": "ru"})
    assert response.status_code == 422
    page = response.get_data(as_text=True).replace("\xa0", " ")
    assert (f"Шаг нельзя изменить: в закупке «Весна» {supplier_name} предлагает его "
            "упаковками по 25 килограммов, что не кратно 10 килограммов.") in page
    session.expire_all()
    assert session.get(Product, npk.id).granularity == 1000

    # a step changed behind the service's back: the comparison says it in words
    session.execute(update(Product).where(Product.id == npk.id).values(granularity=10_000))
    session.commit()
    compare = client.get(f"/groups/{group.id}/rounds/{world.rnd.id}/quotes/compare",
                         headers={"Accept-Language": "ru"})
    assert compare.status_code == 200
    html = compare.get_data(as_text=True)
    assert "products[" not in html and "granularity" not in html
    assert f"{supplier_name}: Не удается рассчитать закупку: размер упаковки" in html
