"""Suppliers and catalogs through the browser's eyes (no JavaScript)."""

from __future__ import annotations

import io

from flask.testing import FlaskClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from coop.suppliers.models import Product, Supplier
from tests.conftest import login, post
from tests.factories import make_group, make_member, make_product, make_supplier

HEADER = ("article_code;name;unit;pack_size;granularity;weight_kg;retail_price;tiers;"
          "pack_container")


def _setup(session: Session):  # type: ignore[no-untyped-def]
    group = make_group(session)
    treasurer = make_member(session, group, "Майрам", role="treasurer")
    member = make_member(session, group, "Айгүл")
    supplier = make_supplier(session, group, "Агро-Маркет")
    product = make_product(session, supplier, "Семена моркови", article_code="S-1")
    session.commit()
    return group, treasurer, member, supplier, product


def _upload(client: FlaskClient, url: str, data: bytes, filename: str = "catalog.csv"):  # type: ignore[no-untyped-def]
    return post(client, url, {"file": (io.BytesIO(data), filename)},
                content_type="multipart/form-data")


def _products(session: Session) -> int:
    session.expire_all()
    return session.scalar(select(func.count()).select_from(Product)) or 0


def test_treasurer_adds_and_edits_a_supplier(client: FlaskClient, session: Session) -> None:
    group, treasurer, _m, _s, _p = _setup(session)
    login(client, treasurer.user.email)
    assert "Suppliers" in client.get(f"/groups/{group.id}").get_data(as_text=True)
    response = post(client, f"/groups/{group.id}/suppliers/new", {
        "name": "Семена Кыргызстана", "contact_person": "Бакыт", "phone": "+996 555 12 34 56",
        "address": "Бишкек, Ошский рынок", "language": "ky"})
    assert response.status_code == 302
    supplier = session.scalar(select(Supplier).where(Supplier.name == "Семена Кыргызстана"))
    assert supplier is not None and supplier.group_id == group.id and supplier.language == "ky"
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Семена Кыргызстана" in page and "Бакыт" in page

    listing = client.get(f"/groups/{group.id}/suppliers").get_data(as_text=True)
    assert "Семена Кыргызстана" in listing and "Агро-Маркет" in listing

    edit_url = f"/groups/{group.id}/suppliers/{supplier.id}/edit"
    assert "Ошский рынок" in client.get(edit_url).get_data(as_text=True)
    assert post(client, edit_url, {"name": "Семена КР", "contact_person": "", "phone": "",
                                   "address": "", "language": "ru"}).status_code == 302
    session.expire_all()
    assert session.get(Supplier, supplier.id).name == "Семена КР"


def test_bad_supplier_input_is_422_and_stores_nothing(client: FlaskClient,
                                                      session: Session) -> None:
    group, treasurer, _m, supplier, _p = _setup(session)
    login(client, treasurer.user.email)
    for data, message in (
        ({"name": "", "language": "ru"}, "This field is required"),
        ({"name": supplier.name.upper(), "language": "ru"}, "already has a supplier"),
        ({"name": "X", "language": "de"}, "Not a valid choice"),
    ):
        response = post(client, f"/groups/{group.id}/suppliers/new", data)
        assert response.status_code == 422, data
        assert message in response.get_data(as_text=True), data
    assert session.scalar(select(func.count()).select_from(Supplier)) == 1


def test_treasurer_adds_a_product_with_price_tiers(client: FlaskClient,
                                                   session: Session) -> None:
    group, treasurer, _m, supplier, _p = _setup(session)
    login(client, treasurer.user.email)
    url = f"/groups/{group.id}/suppliers/{supplier.id}/products/new"
    assert client.get(url).status_code == 200
    response = post(client, url, {
        "name": "Кетмень", "unit": "шт", "article_code": "T-7", "pack_size": "10",
        "granularity": "1", "weight_kg": "1,2", "retail_price": "450",
        "tiers": "0 = 380\r\n10 = 350,50\r\n"})
    assert response.status_code == 302
    product = session.scalar(select(Product).where(Product.article_code == "T-7"))
    assert (product.pack_size, product.granularity, product.weight_grams,
            product.retail_price) == (10_000, 1000, 1200, 450_000_000)
    assert [(t.min_qty, t.unit_price) for t in product.price_tiers] == [
        (0, 380_000_000), (10_000, 350_500_000)]
    page = client.get(f"/groups/{group.id}/suppliers/{supplier.id}").get_data(as_text=True)
    assert "Кетмень" in page and "350.5" in page

    # the edit page shows the tiers one per line, and saves changes
    edit_url = f"/groups/{group.id}/suppliers/{supplier.id}/products/{product.id}"
    assert "0 = 380\n10 = 350.5" in client.get(edit_url).get_data(as_text=True)
    russian = client.get(edit_url, headers={"Accept-Language": "ru"}).get_data(as_text=True)
    assert "0 = 380\n10 = 350,5" in russian
    response = post(client, edit_url, {
        "name": "Кетмень большой", "unit": "шт", "article_code": "T-7", "pack_size": "10",
        "granularity": "1", "weight_kg": "", "retail_price": "", "tiers": "0 = 370"})
    assert response.status_code == 302
    session.expire_all()
    product = session.get(Product, product.id)
    assert (product.name, product.weight_grams, product.retail_price) == (
        "Кетмень большой", 0, None)
    assert [(t.min_qty, t.unit_price) for t in product.price_tiers] == [(0, 370_000_000)]


def test_bad_product_input_is_422_with_messages_and_nothing_stored(
        client: FlaskClient, session: Session) -> None:
    group, treasurer, _m, supplier, product = _setup(session)
    login(client, treasurer.user.email)
    url = f"/groups/{group.id}/suppliers/{supplier.id}/products/new"
    base = {"name": "Лук", "unit": "kg", "article_code": "", "pack_size": "5",
            "granularity": "1", "weight_kg": "", "retail_price": "", "tiers": "0 = 30"}
    for changes, message in (
        ({"name": ""}, "The product needs a name."),
        ({"pack_size": "2,5"}, "The pack size 2.5 is not a whole number of steps of 1."),
        ({"granularity": "0"}, "The step must be more than 0."),
        ({"tiers": "50 = 42"}, "The first price must start at 0"),
        ({"tiers": "0 = 42\n50 42"}, "write each price as quantity = price"),
        ({"tiers": "0 = 1,1234567"}, "at most 6 decimals"),
        ({"tiers": "0 = 5\n20 = 4\n10 = 3"}, "The quantities must grow"),
        ({"retail_price": "abc"}, "is not a number"),
        ({"article_code": "S-1"}, "Another product of this supplier has the article code S-1"),
    ):
        response = post(client, url, {**base, **changes})
        assert response.status_code == 422, changes
        assert message in response.get_data(as_text=True), changes
    assert _products(session) == 1

    edit_url = f"/groups/{group.id}/suppliers/{supplier.id}/products/{product.id}"
    response = post(client, edit_url, {**base, "tiers": ""})
    assert response.status_code == 422
    assert "Give at least one price" in response.get_data(as_text=True)
    session.expire_all()
    assert session.get(Product, product.id).name == "Семена моркови"


def test_retire_and_offer_again(client: FlaskClient, session: Session) -> None:
    group, treasurer, _m, supplier, product = _setup(session)
    login(client, treasurer.user.email)
    base = f"/groups/{group.id}/suppliers/{supplier.id}/products/{product.id}"
    assert post(client, f"{base}/retire").status_code == 302
    session.expire_all()
    assert session.get(Product, product.id).retired
    assert "Offer again" in client.get(base).get_data(as_text=True)
    assert post(client, f"{base}/retire").status_code == 422  # already retired
    assert post(client, f"{base}/reinstate").status_code == 302
    session.expire_all()
    assert not session.get(Product, product.id).retired
    assert client.delete(base).status_code == 405  # never deleted


def test_member_gets_403_on_every_supplier_page(client: FlaskClient, session: Session) -> None:
    group, _t, member, supplier, product = _setup(session)
    login(client, member.user.email)
    assert "Suppliers" not in client.get(f"/groups/{group.id}").get_data(as_text=True)
    base = f"/groups/{group.id}/suppliers"
    for url in (base, f"{base}/new", f"{base}/{supplier.id}", f"{base}/{supplier.id}/edit",
                f"{base}/{supplier.id}/products/new", f"{base}/{supplier.id}/import",
                f"{base}/{supplier.id}/export.csv",
                f"{base}/{supplier.id}/products/{product.id}"):
        assert client.get(url).status_code == 403, url
    assert post(client, f"{base}/new", {"name": "Чужой", "language": "ru"}).status_code == 403
    assert post(client, f"{base}/{supplier.id}/products/{product.id}/retire").status_code == 403
    assert _upload(client, f"{base}/{supplier.id}/import",
                   f"{HEADER}\nZ;Z;kg;1;1;0;;0=1\n".encode()).status_code == 403
    assert session.scalar(select(func.count()).select_from(Supplier)) == 1
    assert _products(session) == 1 and not session.get(Product, product.id).retired


def test_another_groups_supplier_or_product_is_404(client: FlaskClient,
                                                   session: Session) -> None:
    group, treasurer, _m, supplier, _p = _setup(session)
    other_group, _ot, _om, other_supplier, other_product = _setup(session)
    login(client, treasurer.user.email)
    mine = f"/groups/{group.id}/suppliers"
    for url in (f"{mine}/{other_supplier.id}", f"{mine}/{other_supplier.id}/edit",
                f"{mine}/{other_supplier.id}/import", f"{mine}/{other_supplier.id}/export.csv",
                f"{mine}/{other_supplier.id}/products/new",
                f"{mine}/{other_supplier.id}/products/{other_product.id}",
                f"{mine}/{supplier.id}/products/{other_product.id}",
                f"/groups/{other_group.id}/suppliers",
                f"/groups/{other_group.id}/suppliers/{other_supplier.id}"):
        response = client.get(url)
        assert response.status_code == 404, url
        assert other_supplier.name not in response.get_data(as_text=True)
    assert post(client, f"{mine}/{supplier.id}/products/{other_product.id}/retire"
                ).status_code == 404
    assert post(client, f"{mine}/{other_supplier.id}/edit", {
        "name": "Hacked", "language": "ru"}).status_code == 404
    assert _upload(client, f"{mine}/{other_supplier.id}/import",
                   f"{HEADER}\nZ;Z;kg;1;1;0;;0=1\n".encode()).status_code == 404
    session.expire_all()
    assert session.get(Supplier, other_supplier.id).name == other_supplier.name
    assert not session.get(Product, other_product.id).retired
    assert _products(session) == 2


def test_csv_upload_adds_and_updates(client: FlaskClient, session: Session) -> None:
    group, treasurer, _m, supplier, product = _setup(session)
    login(client, treasurer.user.email)
    url = f"/groups/{group.id}/suppliers/{supplier.id}/import"
    page = client.get(url).get_data(as_text=True)
    assert "0=48,50|50=42" in page and 'enctype="multipart/form-data"' in page
    data = ("\ufeffАртикул;Название;Ед.;Упаковка;Шаг;Вес_кг;Розничная_цена;Цены\r\n"
            "S-1;Семена моркови;кг;5;0,5;1;60;0=45|50=40\r\n"
            "T-7;Кетмень;шт;1;1;1,2;;0=380\r\n").encode()
    response = _upload(client, url, data)
    assert response.status_code == 302
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "1 added, 1 updated, 0 unchanged" in page
    session.expire_all()
    assert [(t.min_qty, t.unit_price) for t in session.get(Product, product.id).price_tiers
            ] == [(0, 45_000_000), (50_000, 40_000_000)]
    assert _products(session) == 2


def test_csv_upload_with_bad_lines_lists_them_all_and_writes_nothing(
        client: FlaskClient, session: Session) -> None:
    group, treasurer, _m, supplier, product = _setup(session)
    login(client, treasurer.user.email)
    url = f"/groups/{group.id}/suppliers/{supplier.id}/import"
    data = (f"{HEADER}\n"
            "S-1;Семена моркови;кг;5;0,5;1;60;0=1\n"
            "N-1;Лук;kg;2,5;1;;;0=30\n"
            "N-2;Чеснок;kg;1;1;;;10=30\n"
            "N-3;Укроп;kg;1;1;;;0=30\n"
            "N-3;Петрушка;kg;1;1;;;0=30\n").encode()
    response = _upload(client, url, data)
    assert response.status_code == 422
    text = response.get_data(as_text=True)
    assert "Nothing was imported." in text
    assert "line 3, pack_size: The pack size 2.5 is not a whole number of steps of 1." in text
    assert "line 4, tiers: The first price must start at 0" in text
    assert "line 6, article_code: The article code N-3 is also on line 5." in text
    assert _products(session) == 1
    assert [t.unit_price for t in session.get(Product, product.id).price_tiers] == [
        48_500_000, 42_000_000]


def test_upload_refuses_wrong_files_with_a_clear_message(client: FlaskClient,
                                                         session: Session) -> None:
    group, treasurer, _m, supplier, _p = _setup(session)
    login(client, treasurer.user.email)
    url = f"/groups/{group.id}/suppliers/{supplier.id}/import"
    too_big = (f"{HEADER}\n".encode() + b"#" * (5 * 1024 * 1024))
    cases = (
        (post(client, url, {}, content_type="multipart/form-data"), "Choose the CSV file"),
        (_upload(client, url, b"PK\x03\x04", "catalog.xlsx"), "cannot be read as a catalog"),
        (_upload(client, url, b"%PDF-1.4", "catalog.pdf"), "Upload a CSV file"),
        (_upload(client, url, too_big), "larger than 5 MB"),
        # Windows-1251 is read: what is wrong is the header
        (_upload(client, url, "артикул;название\n".encode("cp1251")),
         "lacks the column(s) unit, tiers"),
        (_upload(client, url, "артикул;x\nА;Б\n".encode() + "В;Г\n".encode("cp1251")),
         "not UTF-8"),
        (_upload(client, url, b""), "The file is empty."),
    )
    for response, message in cases:
        assert response.status_code == 422, message
        assert message in response.get_data(as_text=True), message
    assert _products(session) == 1


def test_upload_above_the_server_limit_gets_413_with_a_message(app_ctx, client: FlaskClient,  # type: ignore[no-untyped-def]
                                                               session: Session) -> None:
    group, treasurer, _m, supplier, _p = _setup(session)
    login(client, treasurer.user.email)
    limit = app_ctx.config["MAX_CONTENT_LENGTH"]
    response = _upload(client, f"/groups/{group.id}/suppliers/{supplier.id}/import",
                       b"x" * (limit + 1))
    assert response.status_code == 413
    assert "at most 5 MB" in response.get_data(as_text=True)


def test_export_then_import_reads_back_identically(client: FlaskClient,
                                                   session: Session) -> None:
    group, treasurer, _m, supplier, _p = _setup(session)
    make_product(session, supplier, 'Лопата; "Кузнец"', unit="шт", granularity="1",
                 pack_size="2", tiers="0 = 300,123456\n10 = 280", retail_price="",
                 weight_kg="1,75")
    session.commit()
    login(client, treasurer.user.email)
    response = client.get(f"/groups/{group.id}/suppliers/{supplier.id}/export.csv")
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "text/csv; charset=utf-8"
    assert "attachment" in response.headers["Content-Disposition"]
    data = response.get_data()
    assert data.startswith(b"\xef\xbb\xbf")
    lines = data.decode("utf-8-sig").splitlines()
    assert lines[0] == HEADER + ";seed_rate"
    assert "S-1;Семена моркови;kg;5;0,5;1;60;0=48,5|50=42;;" in lines
    before = _catalog(session)
    response = _upload(client, f"/groups/{group.id}/suppliers/{supplier.id}/import", data)
    assert response.status_code == 302
    assert "0 added, 0 updated, 2 unchanged" in client.get(
        response.headers["Location"]).get_data(as_text=True)
    assert _catalog(session) == before


def _catalog(session: Session) -> list[tuple]:  # type: ignore[type-arg]
    session.expire_all()
    return [(p.article_code, p.name, p.unit, p.pack_size, p.granularity, p.weight_grams,
             p.retail_price, [(t.min_qty, t.unit_price) for t in p.price_tiers])
            for p in session.scalars(select(Product).order_by(Product.id))]


def test_pages_have_no_inline_script_or_style(client: FlaskClient, session: Session) -> None:
    group, treasurer, _m, supplier, product = _setup(session)
    login(client, treasurer.user.email)
    base = f"/groups/{group.id}/suppliers"
    for url in (base, f"{base}/new", f"{base}/{supplier.id}", f"{base}/{supplier.id}/edit",
                f"{base}/{supplier.id}/import", f"{base}/{supplier.id}/products/new",
                f"{base}/{supplier.id}/products/{product.id}"):
        page = client.get(url)
        assert page.status_code == 200, url
        text = page.get_data(as_text=True)
        assert "<script" not in text and "style=" not in text and " on" + "click" not in text


def test_the_seed_rate_is_edited_on_the_product_form_and_read_by_the_survey(
        client: FlaskClient, session: Session) -> None:
    """One rate: the catalog form writes it, the season's rates page and the
    survey read it; a catalog file without the column keeps it, one with the
    column changes it, and the export writes it."""
    from coop.season import services as season
    from coop.season.services import AnswerInput

    group, treasurer, _m, supplier, product = _setup(session)
    login(client, treasurer.user.email)
    edit_url = f"/groups/{group.id}/suppliers/{supplier.id}/products/{product.id}"
    fields = {"name": "Семена моркови", "unit": "kg", "article_code": "S-1", "pack_size": "5",
              "granularity": "0,5", "weight_kg": "1", "retail_price": "60",
              "tiers": "0 = 48,50\n50 = 42"}
    response = post(client, edit_url, {**fields, "seed_rate": "0"})
    assert response.status_code == 422 and "seed rate must be more than zero" in \
        response.get_data(as_text=True)
    assert post(client, edit_url, {**fields, "seed_rate": "0,25"}).status_code == 302
    session.expire_all()
    assert session.get(Product, product.id).seed_rate == 250
    assert 'value="0,25"' in client.get(
        edit_url, headers={"Accept-Language": "ru"}).get_data(as_text=True)
    rates = client.get(f"/groups/{group.id}/season/seed-rates").get_data(as_text=True)
    assert 'value="0.25"' in rates

    survey = season.create_survey(session, group, treasurer.user, title="Весна",
                                  product_ids=[product.id])
    season.move_survey(session, survey, "open")
    [item] = survey.items
    assert season.resolve(item, AnswerInput(area=8000))[0] == 2000  # 8 сотых × 0,25 = 2 kg
    session.commit()

    url = f"/groups/{group.id}/suppliers/{supplier.id}/import"
    without = (HEADER + "\r\nS-1;Семена моркови;kg;5;0,5;1;60;0=48,50|50=42;\r\n").encode()
    assert _upload(client, url, without).status_code == 302
    session.expire_all()
    assert session.get(Product, product.id).seed_rate == 250
    with_rate = (HEADER + ";seed_rate\r\nS-1;Семена моркови;kg;5;0,5;1;60;0=48,50|50=42;;"
                 "0,3\r\n").encode()
    response = _upload(client, url, with_rate)
    assert "1 updated" in client.get(response.headers["Location"]).get_data(as_text=True)
    session.expire_all()
    assert session.get(Product, product.id).seed_rate == 300
    lines = client.get(f"/groups/{group.id}/suppliers/{supplier.id}/export.csv"
                       ).get_data().decode("utf-8-sig").splitlines()
    assert lines[0] == HEADER + ";seed_rate"
    assert "S-1;Семена моркови;kg;5;0,5;1;60;0=48,5|50=42;;0,3" in lines


def test_an_xlsx_catalog_sets_the_seed_rate(client: FlaskClient, session: Session) -> None:
    from tests.unit.test_catalog_files import xlsx

    group, treasurer, _m, supplier, product = _setup(session)
    login(client, treasurer.user.email)
    url = f"/groups/{group.id}/suppliers/{supplier.id}/import"
    book = xlsx([["Артикул", "Название", "Ед.", "Цены", "Норма высева"],
                 ["S-1", "Семена моркови", "kg", "0=48,5", 0.05],
                 ["T-1", "Лопата", "piece", "0=300", None]])
    response = _upload(client, url, book, "Каталог.xlsx")
    assert response.status_code == 302
    session.expire_all()
    assert session.get(Product, product.id).seed_rate == 50
    assert session.scalar(select(Product.seed_rate).where(Product.article_code == "T-1")) is None
    bad = xlsx([["Артикул", "Название", "Ед.", "Цены", "Норма высева"],
                ["S-1", "Семена моркови", "kg", "0=48,5", -1]])
    response = _upload(client, url, bad, "Каталог.xlsx")
    assert response.status_code == 422 and "line 2" in response.get_data(as_text=True)
    session.expire_all()
    assert session.get(Product, product.id).seed_rate == 50
