"""A member's share as a message (the share page's "copy as text"): each
charge named as on her bill, a product's loss as a loss, in her language."""

from __future__ import annotations

from flask_babel import force_locale

from coop import create_app
from coop.orders import explain
from coop.orders.facts import CostFacts, LineFacts, LossFacts, MemberFacts, Sharing


def _member() -> MemberFacts:
    by_value = Sharing("value", 2, 136_000, 1_000_000, 3)
    line = LineFacts(product="Тяпка садовая", unit="pc", pack_size=1000, packs=10, ordered=10_000,
                     firm=4_000, usable=9_000, unit_price=340_000_000, quantity=4_000,
                     tolerance=0, allocated=4_000, amount=136_000)
    return MemberFacts(
        membership_id=1, name="Айгүл", qty_decimals=3, levy_percent=(2, 1), cash_rounding=100,
        goods=136_000, losses=1_756 + 500, levy=2_720, rounding=24, total=141_000,
        retail_value=None, savings=None, lines=(line,),
        loss_items=(LossFacts("Тяпка садовая", 34_000, 1_756, by_value),
                    LossFacts(None, 1_000, 500, by_value)),
        costs=(CostFacts("Доставка", 30_000, None, 0, by_value),))


def test_a_products_loss_is_named_a_loss_in_the_message() -> None:
    app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": "sqlite://",
                      "SECRET_KEY": "test"})
    with app.test_request_context(), force_locale("ru"):
        text = explain.share_text(_member(), "KGS", "Весенний заказ", "Ала-Тоо", None)
    lines = text.replace("\u00a0", " ").splitlines()
    assert "• Потери: Тяпка садовая: 17,56 сом" in lines
    assert "• Потери: 5,00 сом" in lines  # the round's pooled losses
    assert not any(line.startswith("• Тяпка садовая: 17,56") for line in lines)
    assert "• Тяпка садовая: 4 штуки — 1 360,00 сом" in lines
    assert not any("Доставка" in line for line in lines)  # not hers: nothing to say


def test_a_suppliers_cost_she_does_not_share_says_she_received_none_of_its_goods() -> None:
    """She ordered a hose from the supplier whose delivery cost it is, and the
    one hose short was hers: the cost is not hers because she received none
    of that supplier's goods, not because her goods came from another one."""
    app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": "sqlite://",
                      "SECRET_KEY": "test"})
    not_hers = Sharing("value", 2, None, 800_000, 4)
    line = LineFacts(product="Шланг", unit="pc", pack_size=1000, packs=3, ordered=3_000,
                     firm=3_000, usable=2_000, unit_price=1_080_000_000, quantity=1_000,
                     tolerance=0, allocated=0, amount=0)
    member = MemberFacts(
        membership_id=2, name="Назгүл", qty_decimals=3, levy_percent=(0, 1), cash_rounding=0,
        goods=0, losses=0, levy=0, rounding=0, total=0, retail_value=None, savings=None,
        lines=(line,), loss_items=(),
        costs=(CostFacts("Доставка: Агро-Каракол", 150_000, "7", 0, not_hers),))
    with app.test_request_context(), force_locale("ru"):
        share = explain.member_share(member, "KGS")
    why = share.shared[0].why
    assert why == ("Не ваше: эту сумму делят те, кто получил товары этого поставщика, "
                   "а вы их не получили.")
    assert "другого поставщика" not in why


def test_a_line_cut_short_says_who_gets_the_unit_that_cannot_be_split() -> None:
    """Three asked for one hose each and two arrived: the one who gets none
    is told how it was decided; a line she got in full is not."""
    app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": "sqlite://",
                      "SECRET_KEY": "test"})
    short = LineFacts(product="Шланг", unit="pc", pack_size=1000, packs=3, ordered=3_000,
                      firm=3_000, usable=2_000, unit_price=1_080_000_000, quantity=1_000,
                      tolerance=0, allocated=0, amount=0)
    whole = LineFacts(product="Лопата", unit="pc", pack_size=1000, packs=9, ordered=9_000,
                      firm=9_000, usable=9_000, unit_price=480_000_000, quantity=1_000,
                      tolerance=0, allocated=1_000, amount=48_000)
    member = MemberFacts(
        membership_id=2, name="Назгүл", qty_decimals=3, levy_percent=(0, 1), cash_rounding=0,
        goods=48_000, losses=0, levy=0, rounding=0, total=48_000, retail_value=None,
        savings=None, lines=(short, whole), loss_items=(), costs=())
    with app.test_request_context(), force_locale("ru"):
        share = explain.member_share(member, "KGS")
    tie = "а при равных остатках — участнице, которая раньше вступила в группу"
    assert tie in share.lines[0].why and "вы получаете 0" in share.lines[0].why
    assert tie not in share.lines[1].why


def test_a_zero_balance_reads_as_her_share_page_says_it_in_every_language() -> None:
    """(Found on a walk: the copied text said «Ваш счёт: 0,00 сом в вашу
    пользу.» where her share page says «долга нет».) Owing and in credit
    keep their amounts."""
    from flask_babel import gettext

    app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": "sqlite://",
                      "SECRET_KEY": "test"})
    said = {"ru": "Ваш счёт: долга нет.", "ky": "Сиздин эсеп: карыз жок.",
            "tg": "Ҳисоби шумо: қарз нест."}
    for locale, text in said.items():
        with app.test_request_context(), force_locale(locale):
            zero = explain.share_text(_member(), "KGS", "Весна", "Ала-Тоо", 0).splitlines()
            page = gettext("Account: nothing owed")  # the share page's words (share.html)
            owes = explain.share_text(_member(), "KGS", "Весна", "Ала-Тоо", -1_000)
            credit = explain.share_text(_member(), "KGS", "Весна", "Ала-Тоо", 1_000)
        assert zero[-1] == text, (locale, zero[-1])
        assert page.split(": ", 1)[1] in zero[-1], (locale, page, zero[-1])
        assert not any("0,00" in line or "0.00" in line for line in zero[-1:]), locale
        assert "10,00" in owes.splitlines()[-1] and "10,00" in credit.splitlines()[-1], locale
