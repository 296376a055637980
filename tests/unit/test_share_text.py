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
