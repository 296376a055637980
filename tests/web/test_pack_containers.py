"""A pack is a number of a unit in a container: "мешок 50 кг", "коробка 12 банок",
"sack of 50 kg". The formatter in every language, the product form, the catalog
file both ways, the API, and the pages and PDFs that print a pack size."""

from __future__ import annotations

import io
import os
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from flask_babel import force_locale
from openpyxl import Workbook
from sqlalchemy import select
from sqlalchemy.orm import Session

from coop import unit_text, units
from coop.suppliers import domain
from coop.suppliers.models import Product, Supplier
from tests.conftest import login, post
from tests.factories import make_settled_round
from tests.integration.test_documents import pdf_text
from tests.web.test_units_pages import _open_round, disagreements


def _keep(name: str, data: bytes) -> None:
    """Saved when COOP_SCREENSHOTS names a folder, to look at the documents."""
    folder = os.environ.get("COOP_SCREENSHOTS")
    if folder:
        Path(folder).mkdir(parents=True, exist_ok=True)
        (Path(folder) / name).write_bytes(data)


NUMBERS = [1000, 2000, 5000, 2500]  # 1, 2, 5, 2.5

PACKS = {  # (locale, unit, container) -> the pack of 1, 2, 5, 2.5 units
    ("ru", "kg", "sack"): ["мешок 1\u00a0кг", "мешок 2\u00a0кг", "мешок 5\u00a0кг",
                           "мешок 2,5\u00a0кг"],
    ("ru", "jar", "box"): ["коробка 1\u00a0банка", "коробка 2\u00a0банки",
                           "коробка 5\u00a0банок", "коробка 2,5\u00a0банки"],
    ("en", "kg", "sack"): ["sack of 1\u00a0kg", "sack of 2\u00a0kg", "sack of 5\u00a0kg",
                           "sack of 2.5\u00a0kg"],
    ("en", "bottle", "box"): ["box of 1\u00a0bottle", "box of 2\u00a0bottles",
                              "box of 5\u00a0bottles", "box of 2.5\u00a0bottles"],
    ("ky", "kg", "sack"): ["кап 1\u00a0кг", "кап 2\u00a0кг", "кап 5\u00a0кг", "кап 2,5\u00a0кг"],
    ("ky", "jar", "box"): ["куту 1\u00a0банка", "куту 2\u00a0банка", "куту 5\u00a0банка",
                           "куту 2,5\u00a0банка"],
    ("tg", "kg", "sack"): ["халта 1\u00a0кг", "халта 2\u00a0кг", "халта 5\u00a0кг",
                           "халта 2,5\u00a0кг"],
    ("tg", "l", "bottle"): ["шиша 1\u00a0л", "шиша 2\u00a0л", "шиша 5\u00a0л", "шиша 2,5\u00a0л"],
}


@pytest.mark.parametrize(("locale", "unit", "container"), list(PACKS))
def test_a_pack_with_its_container_reads_as_people_say_it(app: Flask, locale: str, unit: str,
                                                          container: str) -> None:
    with app.test_request_context(), force_locale(locale):
        assert [unit_text.pack(n, unit, container) for n in NUMBERS] == \
            PACKS[(locale, unit, container)]


@pytest.mark.parametrize(("locale", "expected"), [
    ("ru", "упаковка 20 пакетов"), ("en", "pack of 20 bags"), ("ky", "таңгак 20 пакет"),
    ("tg", "баста 20 пакет")])
def test_a_pack_without_a_container_prints_as_before(app: Flask, locale: str,
                                                     expected: str) -> None:
    with app.test_request_context(), force_locale(locale):
        assert unit_text.pack(20000, "bag") == expected
        assert unit_text.pack(20000, "bag", None) == expected
        assert unit_text.pack(None, "bag", "sack") == ""


def test_every_container_has_its_words_in_every_language(app: Flask) -> None:
    for locale in ("ru", "ky", "tg", "en"):
        with app.test_request_context(), force_locale(locale):
            names = [name for _code, name in unit_text.container_choices()]
            assert len(names) == len(units.CONTAINERS) + 1 and len(set(names)) == len(names)
            for code in units.CONTAINERS:
                text = unit_text.pack(50000, "kg", code)
                assert "%(" not in text and "50" in text
                assert text.split()[0] == unit_text.UnitWords().container(code)
            if locale != "en":  # no English word left on a translated page
                assert "of" not in unit_text.pack(50000, "kg", "sack")


def test_containers_are_units_of_the_list_named_in_any_language() -> None:
    assert set(units.CONTAINERS) <= set(units.CODES)
    assert not units.is_container("kg") and not units.is_container(None)
    for text, code in (("мешок", "sack"), ("Sack", "sack"), ("кап", "sack"), ("халта", "sack"),
                       ("коробка", "box"), ("қуттӣ", "box"), ("банка", "jar"), ("пакет", "bag")):
        assert units.container_for(text) == code
    assert units.container_for("кг") is None and units.container_for("ғалтак") is None


def test_a_catalog_line_names_its_container_in_any_language() -> None:
    base = {"article_code": "A", "name": "Мука", "unit": "кг", "pack_size": "50",
            "tiers": "0=40"}
    for text, code in (("мешок", "sack"), ("кап", "sack"), ("Box", "box"), ("", None)):
        product, errors = domain.product_from_text({**base, "pack_container": text})
        assert errors == [] and product is not None and product.pack_container == code
    product, errors = domain.product_from_text({**base, "pack_container": "кг"})
    assert product is None and [name for name, _m in errors] == ["pack_container"]


def _product_url(session: Session, locale: str = "ru"):  # type: ignore[no-untyped-def]
    group, treasurer, products, rnd = _open_round(session, locale)
    supplier_url = f"/groups/{group.id}/suppliers/{products[0].supplier_id}"
    return group, treasurer, products, rnd, supplier_url


def test_the_product_form_offers_containers_beside_the_pack_size(client: FlaskClient,
                                                                 session: Session) -> None:
    _group, treasurer, _products, _rnd, supplier_url = _product_url(session)
    login(client, treasurer.user.email)
    page = client.get(f"{supplier_url}/products/new").get_data(as_text=True)
    assert '<select id="pack_container" name="pack_container"><option value="">без тары</option>' \
        in page
    assert '<option value="sack">мешок</option>' in page
    assert page.index('name="pack_size"') < page.index('name="pack_container"') \
        < page.index('name="weight_kg"')
    fields = {"name": "Мука", "article_code": "FL-1", "unit": "kg", "unit_other": "",
              "granularity": "1", "pack_size": "50", "weight_kg": "1", "retail_price": "",
              "tiers": "0 = 40"}
    assert post(client, f"{supplier_url}/products/new",
                {**fields, "pack_container": "sack"}).status_code == 302
    assert post(client, f"{supplier_url}/products/new",
                {**fields, "article_code": "FL-2", "pack_container": ""}).status_code == 302
    bad = post(client, f"{supplier_url}/products/new",
               {**fields, "article_code": "FL-3", "pack_container": "kg"})
    assert bad.status_code == 422
    assert "Тара — пакет, мешок" in bad.get_data(as_text=True)
    session.expire_all()
    stored = {p.article_code: p.pack_container for p in session.scalars(select(Product))}
    assert stored["FL-1"] == "sack" and stored["FL-2"] is None and "FL-3" not in stored
    assert stored["A0"] is None  # a product saved before keeps no container
    flour = session.scalar(select(Product).where(Product.article_code == "FL-1"))
    edit = client.get(f"{supplier_url}/products/{flour.id}").get_data(as_text=True)
    assert '<option selected value="sack">мешок</option>' in edit
    supplier_page = client.get(supplier_url).get_data(as_text=True)
    assert "мешок 50\u00a0кг" in supplier_page
    assert not disagreements(supplier_page)


def test_export_and_import_carry_the_container(client: FlaskClient, session: Session) -> None:
    _group, treasurer, products, _rnd, supplier_url = _product_url(session)
    npk = products[2]
    npk.pack_container = "sack"
    session.commit()
    login(client, treasurer.user.email)
    data = client.get(f"{supplier_url}/export.csv").get_data()
    lines = data.decode("utf-8-sig").splitlines()
    assert lines[0].endswith(";tiers;pack_container;seed_rate")
    assert any(line.startswith("A2;NPK;") and line.endswith(";sack;") for line in lines)
    assert any(line.startswith("A0;") and line.endswith(";;") for line in lines)
    again = post(client, f"{supplier_url}/import", {"file": (io.BytesIO(data), "c.csv")},
                 content_type="multipart/form-data")
    assert again.status_code == 302
    session.expire_all()
    assert {p.article_code: p.pack_container for p in session.scalars(select(Product))} == \
        {"A0": None, "A1": None, "A2": "sack"}
    # a Russian file names the container in Russian (or Kyrgyz…), under "Тара"
    ru = ("Артикул;Название;Ед.;Упаковка;Тара;Шаг;Цены\r\n"
          "A0;Семена томата;пакет;25;коробка;1;0=48,50|50=42\r\n"
          "A2;NPK;кг;50;кап;1;0=78|100=71,25\r\n"
          "B9;Масло;л;12;бутылка;1;0=150\r\n").encode()
    done = post(client, f"{supplier_url}/import", {"file": (io.BytesIO(ru), "ru.csv")},
                content_type="multipart/form-data")
    assert done.status_code == 302
    session.expire_all()
    stored = {p.article_code: p.pack_container for p in session.scalars(select(Product))}
    assert stored == {"A0": "box", "A1": None, "A2": "sack", "B9": "bottle"}
    bad = ("article_code;name;unit;pack_size;pack_container;tiers\r\n"
           "C1;Соль;kg;10;килограмм;0=20\r\n").encode()
    refused = post(client, f"{supplier_url}/import", {"file": (io.BytesIO(bad), "bad.csv")},
                   content_type="multipart/form-data")
    assert refused.status_code == 422
    assert "строка 2" in refused.get_data(as_text=True)
    # an Excel workbook, the container's column in English words
    book = Workbook()
    sheet = book.active
    sheet.append(["article_code", "name", "unit", "pack_size", "pack_container", "tiers"])
    sheet.append(["X1", "Сахар", "kg", 50, "Sack", "0=70"])
    out = io.BytesIO()
    book.save(out)
    xlsx = post(client, f"{supplier_url}/import", {"file": (io.BytesIO(out.getvalue()),
                                                            "c.xlsx")},
                content_type="multipart/form-data")
    assert xlsx.status_code == 302
    session.expire_all()
    assert session.scalar(select(Product.pack_container).where(
        Product.article_code == "X1")) == "sack"


def test_the_api_shows_and_takes_the_container(client: FlaskClient, session: Session) -> None:
    from coop.api import services as tokens

    group, treasurer, products, _rnd, _url = _product_url(session)
    supplier = session.get(Supplier, products[0].supplier_id)
    _token, raw = tokens.create_token(session, treasurer.user, "test")
    session.commit()
    headers = {"Authorization": f"Bearer {raw}"}
    url = f"/api/v1/groups/{group.id}/suppliers/{supplier.id}/products"
    body = {"name": "Мука", "unit": "kg", "article_code": "FL-9", "pack_size": "50",
            "pack_container": "sack", "tiers": [{"min_qty": "0", "unit_price": "40"}]}
    made = client.post(url, json=body, headers=headers)
    assert made.status_code == 201, made.get_json()
    assert made.get_json()["pack_container"] == "sack"
    plain = client.post(url, json={**body, "article_code": "FL-8", "pack_container": ""},
                        headers=headers)
    assert plain.status_code == 201 and plain.get_json()["pack_container"] is None
    bad = client.post(url, json={**body, "article_code": "FL-7", "pack_container": "kg"},
                      headers=headers)
    assert bad.status_code == 422
    spec = client.get("/api/v1/openapi.json").get_json()["components"]["schemas"]
    assert "sack" in spec["Product"]["properties"]["pack_container"]["anyOf"][0]["enum"]
    assert "pack_container" in spec["NewProduct"]["properties"]


def test_the_order_page_the_round_and_the_order_form_print_the_container(
        client: FlaskClient, session: Session) -> None:
    group, treasurer, products, rnd, _url = _product_url(session)
    seed, _fabric, npk = products
    npk.pack_container = "sack"
    seed.pack_container = "box"
    session.commit()
    login(client, treasurer.user.email)
    base = f"/groups/{group.id}/rounds/{rnd.id}"
    order = client.get(f"{base}/order").get_data(as_text=True)
    assert "Упаковка: мешок 50\u00a0кг, шаг 1 килограмм." in order
    assert "Упаковка: коробка 25\u00a0пакетов, шаг 1 пакет." in order
    assert "Упаковка 30 метров, шаг 0,5 метра." in order  # no container: as before
    assert not disagreements(order)
    round_page = client.get(base).get_data(as_text=True)
    assert "мешок 50\u00a0кг" in round_page and "коробка 25\u00a0пакетов" in round_page
    form = client.get(f"{base}/order-form.pdf")
    assert form.status_code == 200
    _keep("packs-order-form.pdf", form.get_data())
    text = pdf_text(form.get_data())
    assert "мешок 50" in text and "коробка 25" in text
    assert not disagreements(text)


def test_the_purchase_order_prints_the_container(client: FlaskClient,
                                                 session: Session) -> None:
    w = make_settled_round(session, members=2)
    npk = w.products[2]
    npk.pack_container = "sack"
    session.commit()
    login(client, w.treasurer.user.email)
    base = f"/groups/{w.group.id}/rounds/{w.rnd.id}"
    response = client.get(f"{base}/purchase-orders/{npk.supplier_id}.pdf")
    assert response.status_code == 200
    _keep("packs-purchase-order.pdf", response.get_data())
    text = pdf_text(response.get_data())
    assert "мешок 50" in text and "кг" in text
    # the article code "A2" stands before the pack in the text: not a number of sacks
    assert not disagreements(text.replace("A2", ""))


def test_the_round_page_names_goods_and_shared_costs_for_a_treasurer(
        client: FlaskClient, session: Session) -> None:
    w = make_settled_round(session, members=2)
    session.commit()
    login(client, w.treasurer.user.email)
    url = f"/groups/{w.group.id}/rounds/{w.rnd.id}"
    page = client.get(url).get_data(as_text=True)
    assert "<h2>Products and what the goods cost</h2>" in page and "supplier bill " not in page
    assert "= goods " in page and "+ shared costs (delivery fees, transport…) " in page
    w.treasurer.user.locale = "ru"
    session.commit()
    page = client.get(url).get_data(as_text=True)
    assert "<h2>Товары и их стоимость</h2>" in page
    assert "Товары и счёт поставщика" not in page and "= счёт поставщика" not in page
    check = page.split("Проверка: участницы платят", 1)[1].split("</p>", 1)[0]
    assert "= товары " in check and "+ общие расходы (доставка, транспорт…) " in check
