"""What a new user's walk of a joint sale found (a treasurer in Russian): a
sale at price 0 (or one that comes to no money) was recorded without a word
and lowered every payout; a bad number in the lot page's small forms (what a
member brought, a cost, the cash handed out) lost what was typed on a bare
error page; her payout page said "her share" of a sale of a grade she never
brought; and a cost's sale looked as if it decided who pays it."""

from __future__ import annotations

import io
import re
from datetime import date
from html import unescape

from flask.testing import FlaskClient
from pypdf import PdfReader
from sqlalchemy.orm import Session

from coop.errors import AskFirst, DomainError
from coop.quantities import parse_price as p
from coop.quantities import parse_quantity as q
from coop.sales import services
from tests.conftest import login, post
from tests.factories import make_buyer, make_group, make_member, make_sale_lot
from tests.web.test_sales_pages import counts, text


def apricots(session: Session):  # type: ignore[no-untyped-def]
    """The walk's lot: dried apricots by the kilogram in two grades; Aigul and
    Nurila brought first grade, Gulnara only second grade; 4.5 kg of first
    grade sold to a shop, 6 kg of second grade to a wholesaler; a market fee
    of 100 noted for the first sale, shared equally."""
    group = make_group(session, levy_basis_points=200)
    treasurer = make_member(session, group, "Майрам", role="treasurer", locale="ru")
    aigul = make_member(session, group, "Айгүл", locale="ru")
    nurila = make_member(session, group, "Нурила", locale="ru")
    gulnara = make_member(session, group, "Гүлнара", locale="ru")
    lot = make_sale_lot(session, group, treasurer, product="Урюк", unit="kg", step="0.1",
                        grades=(("первый сорт", "1"), ("второй сорт", "0.8")))
    first, second = lot.grades
    for woman, grade, kilos in ((aigul, first, "10"), (nurila, first, "8"),
                                (gulnara, second, "12")):
        services.record_contribution(session, lot, woman, grade_id=grade.id, quantity=q(kilos),
                                     actor=treasurer.user, brought_on=date(2026, 8, 10))
    shop, wholesaler = make_buyer(session, group), make_buyer(session, group, "Оптовик")
    sale = services.record_sale(session, lot, buyer_id=shop.id, sold_on=date(2026, 8, 20),
                                lines={first.id: (q("4.5"), p("270"))}, actor=treasurer.user)
    services.record_sale(session, lot, buyer_id=wholesaler.id, sold_on=date(2026, 8, 21),
                         lines={second.id: (q("6"), p("200"))}, actor=treasurer.user)
    services.add_cost(session, lot, kind="market_fee", amount=10000, rule="equal",
                      actor=treasurer.user, paid_on=date(2026, 8, 20), sale_id=sale.id)
    session.commit()
    return group, treasurer, (aigul, nurila, gulnara), lot, shop


def plain(response) -> str:  # type: ignore[no-untyped-def]
    return unescape(text(response))


def section(page: str, anchor: str) -> str:
    """The part of the page from the element with this id to the end of its form."""
    start = page.index(f'id="{anchor}"')
    return page[start:page.index("</form>", start)]


# --------------------------------------------------------------------------
# 1. A sale that comes to no money
# --------------------------------------------------------------------------


def test_a_sale_at_price_zero_is_asked_first_and_a_tiny_amount_refused(
        client: FlaskClient, session: Session) -> None:
    """A price of 0 (a forgotten price, or a gift or a sample) is asked
    first, naming what it does to the payouts, and recorded only on "yes";
    a quantity and price that come to less than a tyiyn are refused."""
    group, treasurer, _women, lot, shop = apricots(session)
    first, second = lot.grades
    login(client, treasurer.user.email)
    url = f"/groups/{group.id}/sales/{lot.id}/sell"
    before = counts(session)
    form = {"buyer": shop.id, "sold_on": "2026-08-22", "note": "",
            f"quantity_{first.id}": "0,1", f"price_{first.id}": "0,01",
            f"quantity_{second.id}": "", f"price_{second.id}": ""}
    response = post(client, url, form)
    page = plain(response)
    words = "первый сорт: 0,1 килограмма по этой цене — это меньше 0,01 сом"
    assert response.status_code == 422, page[:2000]
    assert page.count(words) == 1, page[:4000]
    assert 'value="0,1"' in page and 'value="0,01"' in page  # as typed
    assert "Record a sale" not in page  # in her language
    assert counts(session) == before

    asked = post(client, url, {**form, f"quantity_{first.id}": "4,5", f"price_{first.id}": "0"})
    page = plain(asked)
    assert asked.status_code == 200, page[:2000]
    assert "По цене 0: первый сорт, 4,5 килограмма. Это уходит из партии бесплатно" in page, \
        page[:4000]
    assert counts(session) == before  # nothing yet
    stock = {s.grade.id: s for s in services.lot_stock(session, lot)}
    assert stock[first.id].sold == q("4.5")  # only the sale of the walk's set-up
    fields = dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"',
                             text(asked)))
    assert fields.get("confirm_again") and fields[f"price_{first.id}"] == "0"
    yes = post(client, url, {k: unescape(v) for k, v in fields.items()})
    assert yes.status_code == 302, plain(yes)[:2000]
    stock = {s.grade.id: s for s in services.lot_stock(session, lot)}
    assert stock[first.id].sold == q("9")  # the gift counted as sold, once confirmed
    assert "Подарок записан: в кассу ничего не поступило." in plain(
        client.get(yes.headers["Location"]))


def test_a_yes_to_a_gift_does_not_answer_the_form_sent_after_a_refusal(
        client: FlaskClient, session: Session) -> None:
    """Found by a review: the question came before the other checks, and the
    form refused after its "yes" came back with the yes in it, so the next
    sending recorded every line at 0 unasked. Now it is asked once all else
    is right, naming every line at 0, and a refused form asks again."""
    group, treasurer, _women, lot, shop = apricots(session)
    first, second = lot.grades
    login(client, treasurer.user.email)
    url = f"/groups/{group.id}/sales/{lot.id}/sell"
    before = counts(session)
    form = {"buyer": shop.id, "sold_on": "2026-08-22", "note": "",
            f"quantity_{first.id}": "1", f"price_{first.id}": "0",
            f"quantity_{second.id}": "1", f"price_{second.id}": ""}
    refused = post(client, url, form)  # grade 2 has no price: refused before any question
    page = plain(refused)
    assert refused.status_code == 422 and "второй сорт: укажите цену" in page.lower(), \
        page[:3000]
    assert "По цене 0" not in page
    # she sends it with her yes still on the form (as a page that kept it would)
    again = post(client, url, {**form, f"price_{second.id}": "0", "confirm_again": "1",
                               f"quantity_{first.id}": "5"})
    assert again.status_code == 302  # the explicit yes of this sending: recorded
    assert counts(session) != before
    # a form refused and shown again carries no yes
    shown = post(client, url, {**form, "confirm_again": "1"})
    assert shown.status_code == 422
    assert '<input id="confirm_again" name="confirm_again" type="hidden" value="">' in \
        text(shown)
    both = post(client, url, {**form, f"price_{second.id}": "0"})
    page = plain(both)
    assert both.status_code == 200
    assert "По цене 0: первый сорт, 1 килограмм; второй сорт, 1 килограмм." in page, page[:3000]


def test_the_service_asks_before_a_gift_and_refuses_no_money(session: Session) -> None:
    """The checks are the service's: anything else that records a sale gets them too."""
    _group, treasurer, _women, lot, shop = apricots(session)
    first, _second = lot.grades
    for quantity, price, kind in (("4.5", "0", AskFirst), ("0.1", "0.01", DomainError),
                                  ("0.2", "0.02", DomainError)):
        try:
            services.record_sale(session, lot, buyer_id=shop.id, sold_on=date(2026, 8, 22),
                                 lines={first.id: (q(quantity), p(price))},
                                 actor=treasurer.user)
        except DomainError as exc:
            assert type(exc) is kind and exc.field == f"price_{first.id}"
        else:
            raise AssertionError(f"{quantity} × {price} was recorded")
        session.rollback()
    # 0.3 kg × 0.02 = 0.006, rounded half up to 0.01: money, recorded
    sale = services.record_sale(session, lot, buyer_id=shop.id, sold_on=date(2026, 8, 22),
                                lines={first.id: (q("0.3"), p("0.02"))}, actor=treasurer.user)
    assert sale.revenue == 1
    gift = services.record_sale(session, lot, buyer_id=shop.id, sold_on=date(2026, 8, 22),
                                lines={first.id: (q("1"), p("0"))}, actor=treasurer.user,
                                gift=True)
    assert gift.revenue == 0 and gift.posting_id is None


# --------------------------------------------------------------------------
# 2. The lot page's small forms, refused in place
# --------------------------------------------------------------------------


def test_a_refused_contribution_shows_the_lot_page_with_the_form_as_typed(
        client: FlaskClient, session: Session) -> None:
    group, treasurer, (aigul, _nurila, _gulnara), lot, _shop = apricots(session)
    first, second = lot.grades
    login(client, treasurer.user.email)
    url = f"/groups/{group.id}/sales/{lot.id}"
    before = counts(session)
    for quantity, words in (("abc", "«abc» — не число."),
                            ("-2", "Количество не может быть отрицательным.")):
        response = post(client, f"{url}/contributions", {
            "member": aigul.id, "grade": second.id, "quantity": quantity,
            "brought_on": "2026-08-12", "note": "мешок у ворот"})
        page = plain(response)
        assert response.status_code == 422, page[:2000]
        assert "<h1>Урюк" in page and 'id="sales"' in page  # the lot's page, not a bare one
        form = section(page, "contribute")
        assert f'action="{url}/contributions#contribute"' in form  # scrolled to it
        assert "Ничего не сохранено" in form and words in form, form
        assert page.count(words) == 1
        assert f'value="{quantity}"' in form and 'value="мешок у ворот"' in form
        assert re.search(rf'<option selected value="{aigul.id}"|<option value="{aigul.id}" '
                         r'selected', form), form
        assert re.search(rf'<option selected value="{second.id}"|<option value="{second.id}" '
                         r'selected', form), form
        assert "Ничего не сохранено" not in section(page, "add-cost")  # the other form blank
        assert counts(session) == before
    assert first  # both grades offered


def test_a_refused_cost_shows_the_lot_page_with_the_form_as_typed(
        client: FlaskClient, session: Session) -> None:
    group, treasurer, _women, lot, _shop = apricots(session)
    login(client, treasurer.user.email)
    url = f"/groups/{group.id}/sales/{lot.id}"
    before = counts(session)
    for amount, words in (("сто", "«сто» — не число."),
                          ("0", "Сумма должна быть больше нуля.")):
        response = post(client, f"{url}/costs", {"kind": "transport", "name": "Такси",
                                                 "amount": amount, "rule": "quantity",
                                                 "sale": "", "paid_on": "2026-08-20"})
        page = plain(response)
        assert response.status_code == 422, page[:2000]
        assert "<h1>Урюк" in page and 'id="contributions"' in page
        form = section(page, "add-cost")
        assert f'action="{url}/costs#add-cost"' in form
        assert "Ничего не сохранено" in form and words in form, form
        assert page.count(words) == 1
        assert f'value="{amount}"' in form and 'value="Такси"' in form
        assert re.search(r'<option selected value="quantity"|<option value="quantity" '
                         r'selected', form), form
        assert "Ничего не сохранено" not in section(page, "contribute")
        assert counts(session) == before


def test_a_refused_cash_payout_shows_her_payout_page_with_the_form_as_typed(
        client: FlaskClient, session: Session) -> None:
    group, treasurer, (aigul, _nurila, _gulnara), lot, _shop = apricots(session)
    services.close_lot(session, lot, treasurer.user,
                       unsold_actions={g.id: "return" for g in lot.grades})
    session.commit()
    login(client, treasurer.user.email)
    url = f"/groups/{group.id}/sales/{lot.id}/payout/{aigul.id}"
    before = counts(session)
    for amount, words in (("abc", "«abc» — не число."),
                          ("1000000", "На её счёте только")):  # more than her account holds
        response = post(client, f"{url}/cash", {"amount": amount, "note": "на рынке"})
        page = plain(response)
        assert response.status_code == 422, page[:2000]
        assert "Выплата: " in page and "Как посчитана доля" in page  # her payout page
        form = section(page, "hand-out")
        assert f'action="{url}/cash#hand-out"' in form
        assert "Ничего не сохранено" in form and words in form, form
        assert f'value="{amount}"' in form and 'value="на рынке"' in form
        assert counts(session) == before


# --------------------------------------------------------------------------
# 3. Saying what her part of a sale is, and that a cost's sale is a note
# --------------------------------------------------------------------------


def test_her_part_of_a_sale_of_a_grade_she_did_not_bring_says_what_it_is(
        client: FlaskClient, session: Session) -> None:
    group, treasurer, (_aigul, _nurila, gulnara), lot, _shop = apricots(session)
    view = services.compute_split(session, lot)
    mine = view.split.member(gulnara.id)
    assert mine is not None and mine.sales[0] > 0  # by value: the rule stays
    url = f"/groups/{group.id}/sales/{lot.id}/payout/{gulnara.id}"
    login(client, treasurer.user.email)
    page = plain(client.get(url))
    assert "Её доля" not in page
    assert "Её часть, по стоимости" in page
    assert "делится на всю партию по стоимости проданной продукции" in page
    first_sale = page[page.index("20.08.2026"):page.index("21.08.2026")]
    assert "в этой продаже нет сортов, которые она сдала" in first_sale
    assert "нет сортов" not in page[page.index("21.08.2026"):]  # the second grade's sale
    client.get("/logout")
    login(client, gulnara.user.email)
    own = plain(client.get(f"/groups/{group.id}/sales/{lot.id}/payout"))
    assert "Ваша доля" not in own and "Ваша часть, по стоимости" in own
    assert "в этой продаже нет сортов, которые вы сдали" in own
    statement = client.get(f"{url}/statement.pdf")
    assert statement.status_code == 200
    words = re.sub(r"\s+", " ", " ".join(
        pg.extract_text() for pg in PdfReader(io.BytesIO(statement.data)).pages)
        .replace("\u00a0", " ").replace("\u202f", " "))
    assert "Ваша доля" not in words
    assert "Ваша часть, по стоимости" in words
    assert "нет сортов, которые вы сдали" in words
    assert "Ваша часть выручки партии, по стоимости" in words


def test_a_cost_noted_for_a_sale_says_it_is_shared_over_the_whole_lot(
        client: FlaskClient, session: Session) -> None:
    group, treasurer, women, lot, _shop = apricots(session)
    view = services.compute_split(session, lot)
    fee = [view.split.member(w.id).costs[0] for w in women]  # type: ignore[union-attr]
    assert sorted(fee) == [3333, 3333, 3334]  # over the whole lot, whatever its sale
    login(client, treasurer.user.email)
    page = plain(client.get(f"/groups/{group.id}/sales/{lot.id}"))
    assert "Относится к продаже (только пометка)" in page
    assert "Только для записи: расход делится на всю партию по правилу выше" in page
    assert "отмечен к продаже 20.08.2026 — Магазин «Береке»" in page
    assert "только для записи: делится на всю партию" in page


def test_a_refused_lot_form_asks_again_and_gets_a_key_it_can_send(
        client: FlaskClient, session: Session) -> None:
    """Found by a review: the lot page's refused form kept a "yes" given
    before the refusal, and a missing key, so every sending of it was
    refused as expired; its question after a refusal posted without the
    form's place."""
    group, treasurer, (aigul, _nurila, _gulnara), lot, _shop = apricots(session)
    first, _second = lot.grades
    login(client, treasurer.user.email)
    url = f"/groups/{group.id}/sales/{lot.id}"
    form = {"member": aigul.id, "grade": first.id, "quantity": "abc",
            "brought_on": "2026-08-10", "note": "", "idempotency_key": "",
            "confirm_again": "1"}
    refused = post(client, f"{url}/contributions", form)
    page = text(refused)
    assert refused.status_code == 422
    place = section(page, "contribute")
    assert 'name="confirm_again" type="hidden" value=""' in place, place[:2000]
    key = re.search(r'name="idempotency_key" type="hidden" value="([^"]*)"', place).group(1)
    assert len(key) >= 16  # a key it can be sent with
    # the same delivery twice: the question posts to the form's place
    good = {**form, "quantity": "2", "confirm_again": "", "idempotency_key": key}
    assert post(client, f"{url}/contributions", good).status_code == 302
    asked = post(client, f"{url}/contributions", {**good, "idempotency_key": "k" * 24})
    assert asked.status_code == 200
    assert f'action="{url}/contributions#contribute"' in text(asked), text(asked)[:3000]
