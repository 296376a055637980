from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from coop.errors import DomainError
from coop.ledger import services as ledger
from coop.ledger.models import Posting
from coop.orders import services
from coop.orders.models import Round
from coop.quantities import parse_quantity as q
from tests.factories import make_group, make_member

EXAMPLES = Path(__file__).resolve().parent.parent / "data" / "split"


def awarded_example_02(session: Session):  # type: ignore[no-untyped-def]
    """Spec example 02 as a round of the app: fabric (pack 30, by the half metre)
    and thread (pack 10), awarded at list prices, nothing delivered yet."""
    from coop.suppliers.models import PriceTier, Product, Supplier

    group = make_group(session, currency="TJS", language="tg")
    treasurer = make_member(session, group, "Хазинадор", role="treasurer")
    farangis, zarina, malika = (make_member(session, group, n)
                                for n in ("Фарангис", "Зарина", "Малика"))
    supplier = Supplier(group_id=group.id, name="Бозор", language="tg")
    session.add(supplier)
    session.flush()
    fabric = Product(group_id=group.id, supplier_id=supplier.id, article_code="F", name="Fabric",
                     unit="m", pack_size=q("30"), granularity=q("0.5"), weight_grams=0,
                     retail_price=38_000_000,
                     price_tiers=[PriceTier(min_qty=0, unit_price=27_400_000)])
    thread = Product(group_id=group.id, supplier_id=supplier.id, article_code="T",
                     name="Thread", unit="spool", pack_size=q("10"), granularity=q("1"),
                     weight_grams=0, price_tiers=[PriceTier(min_qty=0, unit_price=16_000_000)])
    session.add_all([fabric, thread])
    session.flush()
    rnd = services.create_round(session, group, treasurer.user, title="Curtains", deadline=None,
                                product_ids=[fabric.id, thread.id])
    services.move_round(session, rnd, treasurer.user, "open")
    f_item, t_item = rnd.items
    for member, lines in ((farangis, {f_item.id: ("25", "5"), t_item.id: ("4", "2")}),
                          (zarina, {f_item.id: ("22.5", "0")}),
                          (malika, {f_item.id: ("12.5", "2.5"), t_item.id: ("3", "1")})):
        services.save_order(session, rnd, member,
                            {k: (q(a), q(b)) for k, (a, b) in lines.items()}, member.user,
                            as_treasurer=False)
    services.add_shared_cost(session, rnd, name="Taxi from Isfara bazaar", amount=6000,
                             rule="equal")
    services.move_round(session, rnd, treasurer.user, "closed")
    services.award_at_list_prices(session, rnd, treasurer.user)
    session.commit()
    return group, treasurer, (farangis, zarina, malika), rnd


def test_delivery_over_two_days_reproduces_spec_example_02(session: Session) -> None:
    _group, treasurer, _members, rnd = awarded_example_02(session)
    f_item, t_item = rnd.items
    services.record_delivery(session, rnd, {f_item.id: (q("40"), q("4.5"))},
                             actor=treasurer.user)
    services.record_delivery(session, rnd, {f_item.id: (q("20"), 0), t_item.id: (q("10"), 0)},
                             actor=treasurer.user)
    services.confirm_delivery(session, rnd, treasurer.user)
    result = services.compute_split(session, rnd).result
    expected = json.loads((EXAMPLES / "02-short-delivery-and-damage.result.json").read_text())
    assert result["totals"] == expected["totals"]
    assert [m["total"] for m in result["members"]] == [m["total"] for m in expected["members"]]
    assert [m["losses"] for m in result["members"]] == ["51.10", "46.65", "25.55"]


def test_preview_shows_what_changes_for_each_member(session: Session) -> None:
    _group, _t, members, rnd = awarded_example_02(session)
    f_item, t_item = rnd.items
    before = services.compute_split(session, rnd, as_ordered=True)
    after = services.compute_split(session, rnd, extra_delivery={
        f_item.id: (q("55"), q("4.5")), t_item.id: (q("10"), 0)})
    changes = {c.membership_id: c for c in services.delivery_changes(before, after)}
    farangis = changes[members[0].id]
    # ordered 60 m: she had 25 + 5 tolerance -> 28; with 50.5 usable she gets less
    assert farangis.lines and farangis.lines[0][0] == "Fabric"
    assert farangis.lines[0][2] != farangis.lines[0][3]
    assert farangis.difference != 0
    assert session.scalar(select(func.count()).select_from(Posting)) == 0


def test_credit_note_lowers_the_loss_and_cannot_exceed_it(session: Session) -> None:
    _group, treasurer, _members, rnd = awarded_example_02(session)
    f_item, t_item = rnd.items
    services.record_delivery(session, rnd, {f_item.id: (q("60"), q("4.5")),
                                            t_item.id: (q("10"), 0)}, actor=treasurer.user)
    with pytest.raises(DomainError, match="more than what is still lost"):
        services.record_credit_note(session, rnd, f_item.id, amount=12331, note="",
                                    actor=treasurer.user)
    services.record_credit_note(session, rnd, f_item.id, amount=12330, note="CN-1",
                                actor=treasurer.user)
    result = services.compute_split(session, rnd).result
    fabric = result["products"][0]
    assert (fabric["bill"], fabric["loss"]) == ("1520.70", "0.00")
    assert result["totals"]["supplier_bill"] == "1680.70"


def test_settlement_posts_every_bill_and_the_books_balance(session: Session) -> None:
    group, treasurer, members, rnd = awarded_example_02(session)
    f_item, t_item = rnd.items
    services.record_delivery(session, rnd, {f_item.id: (q("60"), q("4.5")),
                                            t_item.id: (q("10"), 0)}, actor=treasurer.user)
    services.confirm_delivery(session, rnd, treasurer.user)
    services.settle_round(session, rnd, treasurer.user)
    session.commit()
    assert [ledger.member_balance(session, m) for m in members] == [-79730, -64205, -42465]
    books = ledger.books(session, group, [*members, treasurer])
    assert books.total == 0
    assert books.payables == 180400  # owed to the supplier, in her account
    assert books.suppliers == 6000  # owed for the taxi, which no supplier bills
    with pytest.raises(DomainError, match="cannot become"):
        services.settle_round(session, rnd, treasurer.user)
    session.rollback()
    # three members' charges and the supplier's goods
    assert session.scalar(select(func.count()).select_from(Posting)) == 4


def test_settled_round_is_read_only(session: Session) -> None:
    _group, treasurer, members, rnd = awarded_example_02(session)
    f_item, _t = rnd.items
    services.record_delivery(session, rnd, {f_item.id: (q("60"), 0)}, actor=treasurer.user)
    services.confirm_delivery(session, rnd, treasurer.user)
    services.settle_round(session, rnd, treasurer.user)
    for attempt in (
        lambda: services.record_delivery(session, rnd, {f_item.id: (q("1"), 0)},
                                         actor=treasurer.user),
        lambda: services.add_shared_cost(session, rnd, name="x", amount=100, rule="equal"),
        lambda: services.save_order(session, rnd, members[0], {f_item.id: (q("1"), 0)},
                                    treasurer.user, as_treasurer=True),
        lambda: services.record_credit_note(session, rnd, f_item.id, amount=1, note="",
                                            actor=treasurer.user),
    ):
        with pytest.raises(DomainError):
            attempt()


def test_settled_share_is_the_settled_split_even_if_the_catalog_changes(session: Session) -> None:
    _group, treasurer, _members, rnd = awarded_example_02(session)
    f_item, t_item = rnd.items
    services.record_delivery(session, rnd, {f_item.id: (q("60"), q("4.5")),
                                            t_item.id: (q("10"), 0)}, actor=treasurer.user)
    services.confirm_delivery(session, rnd, treasurer.user)
    settled = services.settle_round(session, rnd, treasurer.user).result
    f_item.awarded_tiers[0].unit_price = 1
    session.flush()
    assert services.compute_split(session, session.get(Round, rnd.id)).result == settled


def test_bad_deliveries_are_refused(session: Session) -> None:
    _group, treasurer, _members, rnd = awarded_example_02(session)
    f_item, t_item = rnd.items
    for lines, message in (
        ({f_item.id: (q("10"), q("11"))}, "more damaged than received"),
        ({t_item.id: (q("2.5"), 0)}, "steps of .*1"),
        ({}, "at least one product"),
        ({999999: (q("1"), 0)}, "not in this round"),
    ):
        with pytest.raises(DomainError, match=message):
            services.record_delivery(session, rnd, lines, actor=treasurer.user)
    assert services.delivery_totals(session, rnd) == {}


def test_payments_write_offs_adjustments_and_reversals(session: Session) -> None:
    group = make_group(session)
    treasurer = make_member(session, group, role="treasurer")
    member = make_member(session, group)
    actor = treasurer.user
    ledger.adjust_member(session, member, amount=50000, reason="round A", actor=actor)
    payment, new = ledger.record_payment(session, member, amount=30000, method="mobile",
                                         reference="MB-1", idempotency_key="k" * 20,
                                         actor=actor)
    again, new_again = ledger.record_payment(session, member, amount=30000, method="mobile",
                                             reference="MB-1", idempotency_key="k" * 20,
                                             actor=actor)
    assert new and not new_again and again.id == payment.id
    assert ledger.member_balance(session, member) == -20000
    with pytest.raises(DomainError, match="owes only"):
        ledger.write_off(session, member, amount=20001, reason="illness", actor=actor)
    ledger.write_off(session, member, amount=5000, reason="illness", actor=actor)
    assert ledger.member_balance(session, member) == -15000
    mirror = ledger.reverse_posting(session, group, payment.posting_id, reason="bounced",
                                    actor=actor)
    assert ledger.member_balance(session, member) == -45000
    with pytest.raises(DomainError, match="already reversed"):
        ledger.reverse_posting(session, group, payment.posting_id, reason="x", actor=actor)
    with pytest.raises(DomainError, match="cannot be reversed"):
        ledger.reverse_posting(session, group, mirror.id, reason="x", actor=actor)
    books = ledger.books(session, group, [treasurer, member])
    assert books.total == 0 and books.fund == -5000 and books.cash == 0


@pytest.mark.parametrize(("amount", "message"), [(0, "more than zero"), (-5, "more than zero"),
                                                 (10**15, "too large")])
def test_bad_payment_amounts(session: Session, amount: int, message: str) -> None:
    group = make_group(session)
    member = make_member(session, group)
    with pytest.raises(DomainError, match=message):
        ledger.record_payment(session, member, amount=amount, method="cash", reference="",
                              idempotency_key="x" * 20, actor=member.user)
    with pytest.raises(DomainError, match="Unknown payment method"):
        ledger.record_payment(session, member, amount=100, method="cheque", reference="",
                              idempotency_key="y" * 20, actor=member.user)
    assert session.scalar(select(func.count()).select_from(Posting)) == 0


def test_cash_on_hand_is_what_came_in_minus_what_went_out(session: Session) -> None:
    group = make_group(session)
    treasurer = make_member(session, group, role="treasurer")
    member = make_member(session, group)
    ledger.record_payment(session, member, amount=50000, method="cash", reference="",
                          idempotency_key="cash-on-hand-key-1", actor=treasurer.user)
    ledger.pay_out(session, group, amount=20000, memo="Агро-Каракол", actor=treasurer.user)
    books = ledger.books(session, group, [treasurer, member])
    assert books.cash_on_hand == 30000
    assert books.cash_on_hand == books.members_net + books.fund + books.suppliers
