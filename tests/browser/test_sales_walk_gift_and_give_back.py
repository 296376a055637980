"""What a new user's walk of joint sales found, walked again on a 390 px
phone in Russian: a line typed at a price of 0 asks whether it is a gift;
"no" brings the sale form back as she typed it, opened at the line, and she
corrects the price → the buyer, who pays later, pays twice (cash, then bank):
each payment says when and by whom it was recorded → the sale's cancel names
her payments and what to give back; sent without a reason it is refused in
its place, opened there; with a reason, the sale is cancelled and the flash
says to give back 800,00 сом, by method."""

from __future__ import annotations

import re
from datetime import timedelta

from sqlalchemy import select

from coop.extensions import db
from coop.i18n import local_today
from coop.ledger.checks import check_books
from coop.quantities import parse_quantity as q
from coop.sales import services as sales
from coop.sales.models import Sale, SalePayment
from tests.browser.conftest import screenshot
from tests.browser.test_award import _flat
from tests.browser.test_journey_two_suppliers import _fits, _sign_in
from tests.factories import make_group, make_member, make_sale_lot

PHONE = {"width": 390, "height": 800}
BUYER = "ОсОО «Ысык-Көл Агро Экспорт»"


def _in_view(page, selector: str) -> bool:  # type: ignore[no-untyped-def]
    """The element's top is on the screen: the page was opened at it."""
    box = page.locator(selector).bounding_box()
    return box is not None and 0 <= box["y"] < PHONE["height"]


def test_no_to_a_gift_then_a_partly_paid_sale_cancelled(browser, live_server) -> None:  # type: ignore[no-untyped-def]
    session = db.session
    group = make_group(session)
    treasurer = make_member(session, group, "Майрам", role="treasurer", locale="ru")
    aigul = make_member(session, group, "Айгүл", locale="ru")
    lot = make_sale_lot(session, group, treasurer)
    top, first = lot.grades
    for grade, jars in ((top, "20"), (first, "6")):
        sales.record_contribution(session, lot, aigul, grade_id=grade.id, quantity=q(jars),
                                  actor=treasurer.user, brought_on=lot.period_from)
    sales.create_buyer(session, group, name=BUYER, contact="Бишкек", kind="wholesaler")
    session.commit()
    lot_url = f"{live_server}/groups/{group.id}/sales/{lot.id}"
    t_ctx, t = _sign_in(browser, live_server, treasurer.user.email, PHONE)
    try:
        # -- a line at 0: asked; "no" brings the form back as typed -----------------------
        t.goto(lot_url)
        t.click("a.button[href$='/sell']")
        t.select_option("select[name=buyer]", label=BUYER)
        sold_on = (local_today() - timedelta(days=2)).isoformat()
        due_on = (local_today() + timedelta(days=10)).isoformat()
        t.fill("input[name=sold_on]", sold_on)
        t.check("input[name=payment][value=later]")
        t.fill("input[name=due_on]", due_on)
        t.fill(f"input[name=quantity_{top.id}]", "10")
        t.fill(f"input[name=price_{top.id}]", "300")
        t.fill(f"input[name=quantity_{first.id}]", "2")
        t.fill(f"input[name=price_{first.id}]", "0")
        t.fill("input[name=note]", "на рынке в Караколе")
        t.click("main form button[type=submit]")
        assert "Записать как подарок?" in t.inner_text("main")
        assert _fits(t)
        screenshot(t, "sales-walk-01-gift-asked")
        t.click("text=Нет, вернуться")
        assert t.url.endswith(f"#line-{first.id}"), t.url
        said = _flat(t.inner_text("main"))
        assert "Не записано как подарок: ничего не сохранено." in said, said[:800]
        assert "Цена 0: укажите цену, по которой продали." in _flat(
            t.inner_text(f"#line-{first.id}"))
        assert _in_view(t, f"#line-{first.id}")
        assert t.locator("select[name=buyer] option:checked").inner_text() == BUYER
        assert t.is_checked("input[name=payment][value=later]")
        assert t.input_value("input[name=sold_on]") == sold_on
        assert t.input_value("input[name=due_on]") == due_on
        assert t.input_value("input[name=note]") == "на рынке в Караколе"
        assert [t.input_value(f"input[name={name}]") for name in (
            f"quantity_{top.id}", f"price_{top.id}", f"quantity_{first.id}",
            f"price_{first.id}")] == ["10", "300", "2", "0"]
        assert _fits(t)
        screenshot(t, "sales-walk-02-no-brings-the-form-back")
        assert session.scalar(select(Sale.id).where(Sale.lot_id == lot.id)) is None  # nothing yet
        t.fill(f"input[name=price_{first.id}]", "250")
        t.click("main form button[type=submit]")
        assert "Продажа записана" in t.inner_text("main")
        sale = session.scalars(select(Sale).where(Sale.lot_id == lot.id)).one()
        assert sale.revenue == 350000 and sale.paid_later

        # -- two payments, each with its time and who recorded it --------------------------
        for amount, method in (("500", "cash"), ("300", "bank")):
            form = t.locator(f"#pay-sale-{sale.id}")
            form.locator("input[name=amount]").fill(amount)
            form.locator("select[name=method]").select_option(method)
            form.locator("button[type=submit]").click()
            assert "записана" in t.inner_text("main")
        recorded = [_flat(x) for x in t.locator(
            f"#sale-payments-{sale.id} .payment-recorded").all_inner_texts()]
        assert len(recorded) == 2 and all(
            re.fullmatch(rf"записано в \d\d:\d\d, {treasurer.user.name}", x) for x in recorded), \
            recorded

        # -- the cancel names her payments and what to give back --------------------------
        box = f"#sale-{sale.id}-cancel"
        t.click(f"{box} summary")
        intro = _flat(t.inner_text(box))
        assert "При отмене оплаты покупателя сторнируются:" in intro, intro
        assert "500,00 сом (наличными)" in intro and "300,00 сом (банковский перевод)" in intro
        assert "Верните покупателю 800,00 сом." in intro
        assert _fits(t)
        screenshot(t, "sales-walk-03-cancel-names-the-payments")
        t.click(f"{box} button[type=submit]")  # no reason: refused in its place
        assert t.url.endswith(box), t.url
        assert t.locator(box).get_attribute("open") is not None
        alert = t.locator(f"{box} [role=alert]")
        assert "Ничего не сохранено" in alert.inner_text()
        assert "Обязательное поле." in _flat(t.inner_text(box))
        assert _in_view(t, f"{box} [role=alert]")
        assert _fits(t)
        screenshot(t, "sales-walk-04-cancel-refused-in-place")
        session.expire_all()
        assert session.get(Sale, sale.id).cancelled_at is None
        t.fill(f"{box} input[name=reason]", "покупатель вернул товар")
        t.click(f"{box} button[type=submit]")
        said = _flat(t.inner_text("main"))
        assert "Продажа отменена" in said
        assert (f"Верните 800,00 сом покупателю {BUYER}: наличными 500,00 сом; "
                "банковским переводом 300,00 сом.") in said, said[:800]
        assert _fits(t)
        screenshot(t, "sales-walk-05-give-back-by-method")
        session.expire_all()
        assert all(p.cancelled_at for p in session.scalars(
            select(SalePayment).where(SalePayment.sale_id == sale.id)))
        assert check_books(session, group.id) == []
    finally:
        t_ctx.close()
