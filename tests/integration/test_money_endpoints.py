"""Every endpoint that moves money, sent the same request 10 times at once:
the books show it once.

The list of endpoints comes from the app's URL map: every endpoint that
accepts POST, PUT, PATCH or DELETE is either in MONEY (and in the harness) or
in NOT_MONEY with the reason it moves no money, so a new endpoint cannot be
forgotten (test_every_changing_endpoint_is_classified fails on it).

The requests go through the app in threads, each with its own app context,
database session and connection (the test client isolates them), as ten app
workers would; so they need PostgreSQL (row locks and concurrent writers).
Each case prints its figures (run with -s to read them)."""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from html.parser import HTMLParser
from types import SimpleNamespace
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from coop.groups.models import Group
from coop.ledger import services as ledger
from coop.ledger.checks import check_books
from coop.ledger.models import Payment, Posting
from coop.money import to_string
from tests.conftest import csrf_token, login
from tests.factories import make_api_token, make_group, make_member

PARALLEL = 10
KEY = "harness-key-0123456789"


@dataclass
class Case:
    """One request, how many records of its kind exist, and how many it makes once."""

    url: str
    count: Callable[[Session], int]
    group_id: int
    data: dict[str, str] | None = None  # a form (CSRF token added)
    json: dict[str, Any] | None = None
    headers: dict[str, str] = field(default_factory=dict)
    login: str | None = None
    once: int = 1
    confirm: str | None = None  # the confirmation page read first; its hidden fields go along
    method: str = "POST"


def counter(model: Any, *where: Any) -> Callable[[Session], int]:
    return lambda s: s.scalar(select(func.count()).select_from(model).where(*where)) or 0


def postings(kind: str) -> Callable[[Session], int]:
    return counter(Posting, Posting.kind == kind)


# --------------------------------------------------------------------------
# The worlds the requests are sent into
# --------------------------------------------------------------------------


def _ledger_world(s: Session) -> SimpleNamespace:
    group = make_group(s)
    treasurer = make_member(s, group, "Майрам", role="treasurer")
    aigul = make_member(s, group, "Айгүл")
    # She owes 103.00: what the write-off takes, and no more.
    ledger.adjust_member(s, aigul, amount=10300, reason="долг", actor=treasurer.user)
    payment, _ = ledger.record_payment(s, aigul, amount=700, method="cash", reference="",
                                       idempotency_key="setup-payment-0000001",
                                       actor=treasurer.user)
    s.commit()
    base = f"/groups/{group.id}/accounts"
    return SimpleNamespace(group=group, treasurer=treasurer, aigul=aigul, payment=payment,
                           base=base, email=treasurer.user.email)


def _paid_in(s: Session, member, treasurer, amounts: dict[str, int]) -> None:  # type: ignore[no-untyped-def]
    """Money a member paid into the cash, the bank account or the wallet: what
    the payments out below take (more is asked first: ledger.pay_from)."""
    for method, amount in amounts.items():
        ledger.record_payment(s, member, amount=amount, method=method, reference="",
                              idempotency_key=f"setup-{method}-{member.id}-00000000",
                              actor=treasurer.user)
    s.commit()


def case_ledger_record_payment(s: Session) -> Case:
    w = _ledger_world(s)
    # She owes 5,096.00: the payments sent below settle debt (a payment far
    # beyond what she owes is asked first, as an advance or a slip).
    ledger.adjust_member(s, w.aigul, amount=500000, reason="весна", actor=w.treasurer.user)
    s.commit()
    return Case(f"{w.base}/{w.aigul.id}/payment", counter(Payment), w.group.id,
                data={"amount": "500", "method": "cash", "reference": "", "idempotency_key": KEY},
                login=w.email, once=2)  # the setup's payment and this one


def case_api_record_payment(s: Session) -> Case:
    w = _ledger_world(s)
    # She owes 5,096.00, as for the form: a payment far beyond what she owes is
    # refused unless the body says "beyond_owed" (the form asks first).
    ledger.adjust_member(s, w.aigul, amount=500000, reason="весна", actor=w.treasurer.user)
    token = make_api_token(s, w.treasurer.user)
    s.commit()
    return Case(f"/api/v1/groups/{w.group.id}/accounts/{w.aigul.id}/payments", counter(Payment),
                w.group.id, json={"amount": "500.00", "method": "cash"},
                headers={"Authorization": f"Bearer {token}", "Idempotency-Key": KEY}, once=2)


def case_ledger_write_off(s: Session) -> Case:
    w = _ledger_world(s)
    return Case(f"{w.base}/{w.aigul.id}/write-off", postings("write_off"), w.group.id,
                data={"amount": "96", "reason": "Болезнь", "idempotency_key": KEY}, login=w.email)


def case_ledger_adjust(s: Session) -> Case:
    w = _ledger_world(s)
    return Case(f"{w.base}/{w.aigul.id}/adjust", postings("adjustment"), w.group.id,
                data={"amount": "-5", "reason": "Скидка", "idempotency_key": KEY},
                login=w.email, once=2)  # the setup's debt and this one


def case_ledger_reverse(s: Session) -> Case:
    w = _ledger_world(s)
    return Case(f"{w.base}/{w.aigul.id}/postings/{w.payment.posting_id}/reverse",
                postings("reversal"), w.group.id,
                data={"reason": "Ошибка", "idempotency_key": KEY}, login=w.email)


def case_ledger_pay_out(s: Session) -> Case:
    w = _ledger_world(s)
    _paid_in(s, w.aigul, w.treasurer, {"cash": 200000})  # what the pay-outs below take
    return Case(f"{w.base}/pay-out", postings("pay_out"), w.group.id,
                data={"amount": "300", "memo": "Транспорт", "method": "cash",
                      "idempotency_key": KEY},
                login=w.email)


def case_ledger_transfer(s: Session) -> Case:
    w = _ledger_world(s)
    _paid_in(s, w.aigul, w.treasurer, {"bank": 200000})  # what the moves below take
    return Case(f"{w.base}/transfer", postings("transfer"), w.group.id,
                data={"source": "bank", "target": "cash", "amount": "300", "memo": "",
                      "idempotency_key": KEY},
                login=w.email)


def _received_round(s: Session, *, confirm: bool = True, damaged: str = "4.5",
                    thread: str = "10") -> SimpleNamespace:
    from coop.orders import services as orders
    from coop.quantities import parse_quantity as q
    from tests.integration.test_settlement import awarded_example_02

    group, treasurer, members, rnd = awarded_example_02(s)
    f_item, t_item = rnd.items
    orders.record_delivery(s, rnd, {f_item.id: (q("60"), q(damaged)), t_item.id: (q(thread), 0)},
                           actor=treasurer.user)
    if confirm:
        orders.confirm_delivery(s, rnd, treasurer.user)
    s.commit()
    return SimpleNamespace(group=group, treasurer=treasurer, members=members, rnd=rnd,
                           f_item=f_item, t_item=t_item, email=treasurer.user.email,
                           base=f"/groups/{group.id}/rounds/{rnd.id}")


def case_orders_settle(s: Session) -> Case:
    from coop.orders.models import Settlement

    w = _received_round(s)
    return Case(f"{w.base}/settle", counter(Settlement), w.group.id, data={}, login=w.email,
                confirm=f"{w.base}/settle")


def case_orders_confirm_delivery(s: Session) -> Case:
    from coop.orders.models import RoundEvent

    w = _received_round(s, confirm=False)
    return Case(f"{w.base}/confirm-delivery", counter(RoundEvent, RoundEvent.to_state ==
                                                      "received"), w.group.id, data={},
                login=w.email, confirm=f"{w.base}/confirm-delivery?way=arrived")


def case_orders_credit_note(s: Session) -> Case:
    from coop.orders.models import CreditNote

    w = _received_round(s, confirm=False)
    return Case(f"{w.base}/credit-note", counter(CreditNote), w.group.id,
                data={"product": str(w.f_item.id), "amount": "10", "note": "КН-7",
                      "idempotency_key": KEY}, login=w.email)


def case_orders_delivery(s: Session) -> Case:
    from coop.orders.models import Delivery

    w = _received_round(s, confirm=False, thread="5")  # of 10 ordered: a spool more is fine
    return Case(f"{w.base}/delivery", counter(Delivery), w.group.id,
                data={f"received_{w.t_item.id}": "1", f"damaged_{w.t_item.id}": "0",
                      "action": "record", "idempotency_key": KEY}, login=w.email,
                once=3)  # the setup recorded two


def case_api_record_delivery(s: Session) -> Case:
    from coop.orders.models import Delivery

    w = _received_round(s, confirm=False, thread="5")  # the rest comes with the request
    token = make_api_token(s, w.treasurer.user)
    s.commit()
    return Case(f"/api/v1/groups/{w.group.id}/rounds/{w.rnd.id}/deliveries", counter(Delivery),
                w.group.id, json={"lines": [{"item_id": w.t_item.id, "received": "5"}]},
                headers={"Authorization": f"Bearer {token}", "Idempotency-Key": KEY}, once=3)


def _closed_round(s: Session) -> SimpleNamespace:
    from tests.factories import make_closed_round

    w = make_closed_round(s)
    s.commit()
    w.email = w.treasurer.user.email
    w.base = f"/groups/{w.group.id}/rounds/{w.rnd.id}"
    return w


def case_orders_move_round(s: Session) -> Case:
    from coop.orders.models import RoundEvent

    w = _closed_round(s)
    return Case(f"{w.base}/award", counter(RoundEvent, RoundEvent.to_state == "awarded"),
                w.group.id, data={}, login=w.email)


def case_orders_add_cost(s: Session) -> Case:
    from coop.orders.models import SharedCost

    w = _closed_round(s)
    return Case(f"{w.base}/costs", counter(SharedCost), w.group.id,
                data={"name": "Грузовик", "amount": "1500", "rule": "weight", "supplier": "",
                      "idempotency_key": KEY}, login=w.email)


def case_orders_remove_cost(s: Session) -> Case:
    """A shared cost decides what every member pays: removed once, and the
    nine others are told it is gone (no 500)."""
    from coop.orders import services as orders
    from coop.orders.models import SharedCost

    w = _closed_round(s)
    cost = orders.add_shared_cost(s, w.rnd, name="Грузовик", amount=150000, rule="weight")
    s.commit()
    cost_id = cost.id
    return Case(f"{w.base}/costs/{cost_id}/delete",
                lambda s: 1 - counter(SharedCost, SharedCost.id == cost_id)(s),  # removed
                w.group.id, data={}, login=w.email)


def _open_round(s: Session) -> SimpleNamespace:
    """An open round; Айгүл ordered 30 packets of seed. What she orders is what
    she pays: ten identical saves at once change her order once."""
    from coop.orders import services as orders
    from coop.orders.models import RequestChange
    from tests.factories import make_catalog

    group = make_group(s)
    treasurer = make_member(s, group, "Майрам", role="treasurer")
    aigul = make_member(s, group, "Айгүл")
    products = make_catalog(s, group)
    rnd = orders.create_round(s, group, treasurer.user, title="Весна", deadline=None,
                              product_ids=[p.id for p in products])
    orders.move_round(s, rnd, treasurer.user, "open")
    seed = rnd.items[0]
    orders.save_order(s, rnd, aigul, {seed.id: (30000, 0)}, treasurer.user, as_treasurer=True)
    s.commit()
    changes = counter(RequestChange, RequestChange.membership_id == aigul.id)
    return SimpleNamespace(group=group, treasurer=treasurer, aigul=aigul, rnd=rnd, seed=seed,
                           changes=changes, once=changes(s) + 1,
                           base=f"/groups/{group.id}/rounds/{rnd.id}")


def case_orders_order(s: Session) -> Case:
    w = _open_round(s)
    return Case(f"{w.base}/order/{w.aigul.id}", w.changes, w.group.id,
                data={f"quantity_{w.seed.id}": "35", f"tolerance_{w.seed.id}": "0"},
                login=w.treasurer.user.email, once=w.once)


def _api_order(s: Session, mine: bool) -> Case:
    w = _open_round(s)
    user = w.aigul.user if mine else w.treasurer.user
    token = make_api_token(s, user)
    s.commit()
    url = f"/api/v1/groups/{w.group.id}/rounds/{w.rnd.id}/" + (
        "order" if mine else f"orders/{w.aigul.id}")
    return Case(url, w.changes, w.group.id, method="PUT",
                json={"lines": [{"item_id": w.seed.id, "quantity": "35"}]},
                headers={"Authorization": f"Bearer {token}"}, once=w.once)


def case_api_save_my_order(s: Session) -> Case:
    return _api_order(s, mine=True)


def case_api_save_member_order(s: Session) -> Case:
    return _api_order(s, mine=False)


def case_quotes_award(s: Session) -> Case:
    from datetime import timedelta

    from coop.db import utcnow
    from coop.orders.models import RoundEvent
    from coop.quotes import services as quotes
    from tests.factories import make_quote, offer_input

    w = _closed_round(s)
    quote, _token = make_quote(s, w, "Победитель")
    k, p = 1000, 1_000_000
    quotes.submit_revision(s, quote, offer_input(
        {w.seed.id: (25 * k, [(0, 45 * p)]), w.fabric.id: (30 * k, [(0, 25 * p)]),
         w.npk.id: (50 * k, [(0, 75 * p)])}, fee=50000,
        valid_until=date.today() + timedelta(days=30)), today=utcnow().date())
    s.commit()
    return Case(f"{w.base}/quotes/award", counter(RoundEvent, RoundEvent.to_state == "awarded"),
                w.group.id, data={}, login=w.email,
                confirm=f"{w.base}/quotes/award?whole={quote.id}&rule=weight")


def case_documents_issue_credit_note(s: Session) -> Case:
    from coop.documents import services as documents
    from coop.documents.models import CREDIT_NOTE, Document
    from tests.factories import make_settled_round

    w = make_settled_round(s, members=2)
    member = w.members[0]
    invoice = documents.issue_invoice(s, w.rnd, member, w.treasurer.user)
    adjustment = ledger.adjust_member(s, member, amount=-2000, reason="Брак",
                                      actor=w.treasurer.user, round_id=w.rnd.id)
    s.commit()
    return Case(f"/groups/{w.group.id}/accounts/{member.id}/credit-notes",
                counter(Document, Document.doc_type == CREDIT_NOTE), w.group.id,
                data={"posting": str(adjustment.id), "invoice": str(invoice.id)},
                login=w.treasurer.user.email)


def _jam(s: Session, *, closed: bool = False) -> SimpleNamespace:
    from tests.integration.test_sales_services import closed_jam, jam, sell

    if closed:
        group, treasurer, women, lot, grades, _view = closed_jam(s)
        buyer = None
    else:
        group, treasurer, women, lot, grades, (buyer, _other) = jam(s)
        sale = sell(s, lot, buyer, treasurer.user, [(grades[0], "5", "250")])
        from coop.sales import services as sales

        cost = sales.add_cost(s, lot, kind="transport", amount=5000, rule="value",
                              actor=treasurer.user)
        s.commit()
        return SimpleNamespace(group=group, treasurer=treasurer, email=treasurer.user.email,
                               women=women, lot=lot, grades=grades, buyer=buyer, sale=sale,
                               cost=cost, base=f"/groups/{group.id}/sales/{lot.id}")
    s.commit()
    return SimpleNamespace(group=group, email=treasurer.user.email, women=women, lot=lot,
                           grades=grades, base=f"/groups/{group.id}/sales/{lot.id}")


def case_sales_new_sale(s: Session) -> Case:
    from coop.sales.models import Sale

    w = _jam(s)
    top = w.grades[0]
    return Case(f"{w.base}/sell", counter(Sale), w.group.id,
                data={"buyer": str(w.buyer.id), "sold_on": "2026-09-02",
                      f"quantity_{top.id}": "3", f"price_{top.id}": "250", "note": "",
                      "idempotency_key": KEY}, login=w.email, once=2)


def case_sales_add_cost(s: Session) -> Case:
    from coop.sales.models import SaleCost

    w = _jam(s)
    return Case(f"{w.base}/costs", counter(SaleCost), w.group.id,
                data={"kind": "market_fee", "name": "Рынок", "amount": "100", "rule": "equal",
                      "paid_on": "2026-09-02", "sale": "", "idempotency_key": KEY},
                login=w.email, once=2)


def _contributions(lot_id: int) -> Callable[[Session], int]:
    from coop.sales.models import Contribution

    return counter(Contribution, Contribution.lot_id == lot_id)


def case_sales_add_contribution(s: Session) -> Case:
    w = _jam(s)  # four contributions recorded
    return Case(f"{w.base}/contributions", _contributions(w.lot.id), w.group.id,
                data={"member": str(w.women[2].id), "grade": str(w.grades[0].id),
                      "quantity": "7", "brought_on": "2026-08-12", "note": "",
                      "idempotency_key": KEY}, login=w.email, once=5)


def case_sales_correct_contribution(s: Session) -> Case:
    from coop.sales.models import Contribution

    w = _jam(s)
    # Айгүл's 12 jars of the top grade were 10: one correction row (-2)
    first = s.scalar(select(Contribution).where(Contribution.lot_id == w.lot.id)
                     .order_by(Contribution.id).limit(1))
    assert first is not None
    return Case(f"{w.base}/contributions/{first.id}/correct", _contributions(w.lot.id),
                w.group.id, data={"grade": str(first.grade_id), "quantity": "10",
                                  "reason": "Пересчёт", "idempotency_key": KEY},
                login=w.email, once=5)


def case_sales_edit_lot(s: Session) -> Case:
    """Grades and their price factors decide the payouts: a grade added by ten
    forms at once is added once."""
    from coop.sales.models import SaleGrade

    w = _jam(s)
    data = {"product": w.lot.product, "unit": w.lot.unit, "step": "1",
            "period_from": "2026-08-01", "period_to": "", "place": "",
            "levy_percent": "2"}
    for i, grade in enumerate(w.grades):
        data.update({f"grades-{i}-id": str(grade.id), f"grades-{i}-name": grade.name,
                     f"grades-{i}-factor": str(grade.factor / 1000)})
    data.update({"grades-2-id": "", "grades-2-name": "Третий", "grades-2-factor": "0.5"})
    return Case(f"{w.base}/edit", counter(SaleGrade, SaleGrade.lot_id == w.lot.id,
                                          SaleGrade.name == "Третий"),
                w.group.id, data=data, login=w.email)


def case_sales_cancel_sale(s: Session) -> Case:
    w = _jam(s)
    # The sale's 1,250.00 leaves the cash again, which paid the 50.00 cost from
    # it: more than it holds would be asked first (ledger.reverse_posting).
    _paid_in(s, w.women[0], w.treasurer, {"cash": 5000})
    return Case(f"{w.base}/sales/{w.sale.id}/cancel", postings("reversal"), w.group.id,
                data={"reason": "Ошибка"}, login=w.email)


def case_sales_cancel_cost(s: Session) -> Case:
    w = _jam(s)
    return Case(f"{w.base}/costs/{w.cost.id}/cancel", postings("reversal"), w.group.id,
                data={"reason": "Ошибка"}, login=w.email)


def _owed(s: Session) -> tuple[SimpleNamespace, Any]:
    """The jam world with a second sale, paid later: 2 top jars at 250.00."""
    from coop.quantities import parse_price, parse_quantity
    from coop.sales import services as sales

    w = _jam(s)
    top = w.grades[0]
    sale = sales.record_sale(s, w.lot, buyer_id=w.buyer.id, sold_on=date(2026, 9, 2),
                             lines={top.id: (parse_quantity("2"), parse_price("250"))},
                             actor=w.treasurer.user, pay_later=True)
    s.commit()
    return w, sale


def case_sales_record_sale_payment(s: Session) -> Case:
    from coop.sales.models import SalePayment

    w, sale = _owed(s)
    return Case(f"{w.base}/sales/{sale.id}/payments", counter(SalePayment), w.group.id,
                data={"amount": "100", "method": "cash", "paid_on": "2026-09-03",
                      "idempotency_key": KEY}, login=w.email)


def case_sales_cancel_sale_payment(s: Session) -> Case:
    from coop.sales import services as sales

    w, sale = _owed(s)
    payment = sales.record_sale_payment(s, w.lot, sale, amount=10000, method="cash",
                                        actor=w.treasurer.user, paid_on=date(2026, 9, 3),
                                        idempotency_key="setup-sale-payment-01")
    s.commit()
    return Case(f"{w.base}/sales/{sale.id}/payments/{payment.id}/cancel", postings("reversal"),
                w.group.id, data={"reason": "Ошибка"}, login=w.email)


def case_sales_close_lot(s: Session) -> Case:
    from coop.sales.models import LotClosing

    w = _jam(s)
    return Case(f"{w.base}/close", counter(LotClosing), w.group.id,
                data={f"unsold_{g.id}": "return" for g in w.grades}, login=w.email,
                confirm=f"{w.base}/close")


def case_sales_pay_cash(s: Session) -> Case:
    from coop.sales.models import CashPayout

    w = _jam(s, closed=True)
    return Case(f"{w.base}/payout/{w.women[1].id}/cash", counter(CashPayout), w.group.id,
                data={"amount": "10", "note": "", "idempotency_key": KEY}, login=w.email)


def _payables_world(s: Session) -> SimpleNamespace:
    from tests.factories import make_two_supplier_round

    w = make_two_supplier_round(s)  # settled: Агро-Семена is owed 640.00
    _paid_in(s, w.aigul, w.treasurer, {"cash": 50000, "bank": 20000, "mobile": 10000})
    return w


def _supplier_payments() -> Callable[[Session], int]:
    from coop.payables.models import SupplierPayment

    return counter(SupplierPayment)


def case_payables_pay(s: Session) -> Case:
    w = _payables_world(s)
    return Case(f"/groups/{w.group.id}/payables/pay", _supplier_payments(), w.group.id,
                data={"supplier": str(w.agro.id), "amount": "100", "method": "cash",
                      "reference": "", "round": "", "idempotency_key": KEY},
                login=w.treasurer.user.email)


def case_api_pay_supplier(s: Session) -> Case:
    w = _payables_world(s)
    token = make_api_token(s, w.treasurer.user)
    s.commit()
    return Case(f"/api/v1/groups/{w.group.id}/suppliers/{w.agro.id}/payments",
                _supplier_payments(), w.group.id, json={"amount": "100.00", "method": "bank"},
                headers={"Authorization": f"Bearer {token}", "Idempotency-Key": KEY})


# --------------------------------------------------------------------------
# The time bank: hours are countable (integer minutes), like money
# --------------------------------------------------------------------------


def _time_world(s: Session) -> SimpleNamespace:
    from tests.timebank_world import make_time_bank

    w = make_time_bank(s)
    s.commit()
    w.base = f"/groups/{w.group.id}/timebank"
    w.today = date.today().isoformat()
    return w


def _time_transfers(*where: Any) -> Callable[[Session], int]:
    from coop.timebank.models import TimeTransfer

    return counter(TimeTransfer, *where)


def _time_batches() -> Callable[[Session], int]:
    from coop.timebank.models import TimeBatch

    return counter(TimeBatch)


def case_timebank_record(s: Session) -> Case:
    w = _time_world(s)
    return Case(f"{w.base}/record", _time_transfers(), w.group.id,
                data={"direction": "received", "other": str(w.bermet.id), "hours": "1:30",
                      "category": str(w.categories["house"]), "post": "",
                      "date_of_service": w.today, "note": "", "idempotency_key": KEY},
                login=w.aigul.user.email)


def case_timebank_register_entry(s: Session) -> Case:
    from coop.timebank import services as tb

    w = _time_world(s)
    numbers = tb.number_of(s, w.group)
    return Case(f"{w.base}/register", _time_transfers(), w.group.id,
                data={"receiver": str(numbers[w.aigul.id]),
                      "provider": str(numbers[w.bermet.id]), "hours": "6",
                      "category": str(w.categories["house"]), "date_of_service": w.today,
                      "note": "", "idempotency_key": KEY},
                login=w.coordinator.user.email)


def case_timebank_batch(s: Session) -> Case:
    from coop.timebank import services as tb

    w = _time_world(s)
    numbers = tb.number_of(s, w.group)
    return Case(f"{w.base}/batch", _time_batches(), w.group.id,
                data={"direction": "many_to_one", "member": str(numbers[w.cholpon.id]),
                      "category": str(w.categories["celebrations"]),
                      "date_of_service": w.today, "note": "свадьба",
                      "other_1": str(numbers[w.aigul.id]), "hours_1": "3",
                      "other_2": str(numbers[w.bermet.id]), "hours_2": "3",
                      "idempotency_key": KEY},
                login=w.coordinator.user.email)  # one batch of two lines


def case_timebank_import_register(s: Session) -> Case:
    from coop.timebank import services as tb

    w = _time_world(s)
    numbers = tb.number_of(s, w.group)
    day = date.today().strftime("%d.%m.%Y")
    text = (f"{day};{numbers[w.cholpon.id]};{numbers[w.aigul.id]};2;harvest;\n"
            f"{day};0;{numbers[w.bermet.id]};1;group_work;\n")
    return Case(f"{w.base}/import", _time_batches(), w.group.id,
                data={"text": text, "idempotency_key": KEY},
                login=w.coordinator.user.email)


def _time_pending(s: Session) -> tuple[SimpleNamespace, Any]:
    from coop.timebank import services as tb

    w = _time_world(s)
    pending, _new = tb.record_transfer(s, w.group, tb.Line(
        w.cholpon, w.aigul, 120, w.categories["house"], date.today()),
        actor=w.aigul.user, mode="provider")
    s.commit()
    return w, pending


def case_timebank_confirm(s: Session) -> Case:
    from coop.timebank.models import TimeMovement

    w, pending = _time_pending(s)
    # two movements once; the setup made none, so count the pair as one
    return Case(f"{w.base}/transfers/{pending.id}/confirm",
                lambda session: (counter(TimeMovement, TimeMovement.transfer_id == pending.id)(
                    session) + 1) // 2, w.group.id, data={}, login=w.cholpon.user.email)


def case_timebank_reverse(s: Session) -> Case:
    from coop.timebank import services as tb

    w = _time_world(s)
    done, _new = tb.record_transfer(s, w.group, tb.Line(
        w.cholpon, w.aigul, 120, w.categories["house"], date.today()),
        actor=w.cholpon.user, mode="receiver")
    s.commit()
    return Case(f"{w.base}/transfers/{done.id}/reverse",
                _time_transfers(_reversal_kind()), w.group.id,
                data={"reason": "ошибка", "idempotency_key": KEY},
                login=w.coordinator.user.email)


def _reversal_kind() -> Any:
    from coop.timebank.models import TimeTransfer

    return TimeTransfer.kind == "reversal"


def case_timebank_start_credits(s: Session) -> Case:
    from coop.timebank import services as tb
    from coop.timebank.models import TimeTransfer

    w = _time_world(s)
    for m in (w.coordinator, w.aigul, w.bermet):  # Cholpon has not had hers yet
        tb.grant_start_credit(s, m, actor=w.coordinator.user)
    s.commit()
    return Case(f"{w.base}/start-credits", _time_transfers(TimeTransfer.kind == "start_credit"),
                w.group.id, data={}, login=w.coordinator.user.email, once=4)


def case_api_timebank_transfer(s: Session) -> Case:
    w = _time_world(s)
    token = make_api_token(s, w.aigul.user)
    s.commit()
    return Case(f"/api/v1/groups/{w.group.id}/timebank/transfers", _time_transfers(),
                w.group.id, json={"payer_id": w.aigul.id, "payee_id": w.bermet.id,
                                  "hours": "1:30", "category_id": w.categories["house"],
                                  "date_of_service": date.today().isoformat()},
                headers={"Authorization": f"Bearer {token}", "Idempotency-Key": KEY})


def case_api_timebank_confirm(s: Session) -> Case:
    from coop.timebank.models import TimeMovement

    w, pending = _time_pending(s)
    token = make_api_token(s, w.cholpon.user)
    s.commit()
    return Case(f"/api/v1/groups/{w.group.id}/timebank/transfers/{pending.id}/confirm",
                lambda session: (counter(TimeMovement, TimeMovement.transfer_id == pending.id)(
                    session) + 1) // 2, w.group.id, json={},
                headers={"Authorization": f"Bearer {token}"})


def case_api_timebank_reverse(s: Session) -> Case:
    from coop.timebank import services as tb

    w = _time_world(s)
    done, _new = tb.record_transfer(s, w.group, tb.Line(
        w.cholpon, w.aigul, 120, w.categories["house"], date.today()),
        actor=w.cholpon.user, mode="receiver")
    token = make_api_token(s, w.coordinator.user)
    s.commit()
    return Case(f"/api/v1/groups/{w.group.id}/timebank/transfers/{done.id}/reverse",
                _time_transfers(_reversal_kind()), w.group.id, json={"reason": "ошибка"},
                headers={"Authorization": f"Bearer {token}", "Idempotency-Key": KEY})
def _savings_world(s: Session, *, closed: bool = False) -> SimpleNamespace:
    """Example 01's first meeting entered (Айгүл's loan a draft), open or closed."""
    from tests.savings_factory import hold_meeting, make_savings_group

    w = make_savings_group(s)
    meeting = hold_meeting(s, w, 1, close_it=closed)
    s.commit()
    base = f"/groups/{w.group.id}/savings/{w.cycle.id}/meetings/{meeting.id}"
    return SimpleNamespace(w=w, meeting=meeting, base=base, version=str(w.cycle.version),
                           email=w.treasurer.user.email,
                           keys=[str(i) for i in w.key_holder_ids])


def _savings_counter(model_name: str, *where: Any) -> Callable[[Session], int]:
    from coop.savings import models

    return counter(getattr(models, model_name), *where)


def case_savings_close(s: Session) -> Case:
    from coop.savings.models import SavingsMeeting

    x = _savings_world(s)
    return Case(f"{x.base}/close", _savings_counter("SavingsMeeting",
                                                    SavingsMeeting.state == "closed"),
                x.w.group.id, data={"version": x.version, "closing_loan": "220",
                                    "closing_social": "50", "key_holders": x.keys},
                login=x.email)


def case_savings_reopen(s: Session) -> Case:
    from coop.savings.models import SavingsMeeting

    x = _savings_world(s, closed=True)
    return Case(f"{x.base}/reopen", _savings_counter("SavingsMeeting",
                                                     SavingsMeeting.reopened > 0),
                x.w.group.id, data={"version": x.version, "reason": "ошибка в долях",
                                    "key_holders": x.keys}, login=x.email)


def case_savings_add_loan(s: Session) -> Case:
    x = _savings_world(s)
    return Case(f"{x.base}/loans", _savings_counter("SavingsLoan"), x.w.group.id,
                data={"version": x.version, "member": str(x.w.members[1].id),
                      "principal": "200", "months": "1", "purpose": ""},
                login=x.email, once=2)  # Айгүл's and this one


def case_savings_add_fine(s: Session) -> Case:
    x = _savings_world(s)
    late = next(t.id for t in x.w.cycle.fine_types if t.code == "late")
    return Case(f"{x.base}/fines", _savings_counter("Fine"), x.w.group.id,
                data={"version": x.version, "member": str(x.w.members[2].id),
                      "fine_type": str(late), "amount": ""}, login=x.email)


def case_savings_add_grant(s: Session) -> Case:
    x = _savings_world(s)
    return Case(f"{x.base}/grants", _savings_counter("SocialGrant"), x.w.group.id,
                data={"version": x.version, "member": str(x.w.members[2].id),
                      "amount": "10", "reason": "болезнь"}, login=x.email)


def case_savings_activate(s: Session) -> Case:
    """A group adopting Coop mid-cycle: its opening balances are posted at the start."""
    from coop.savings import services as savings
    from coop.savings.models import SavingsCycle
    from tests.savings_factory import example_settings

    group = make_group(s)
    treasurer = make_member(s, group, "Гүлнара", role="treasurer")
    women = [make_member(s, group, name) for name in ("Айгүл", "Бермет", "Чолпон", "Динара")]
    cycle = savings.create_cycle(s, group, example_settings(), treasurer.user)
    members = [savings.enrol(s, cycle, m) for m in women]
    savings.set_key_holders(s, cycle, [w.id for w in women[:3]])
    savings.set_opening(s, cycle, group, income=1000, social_fund=500, balances=[
        savings.OpeningBalance(m.id, 4) for m in members])
    s.commit()
    return Case(f"/groups/{group.id}/savings/{cycle.id}/activate",
                _savings_counter("SavingsCycle", SavingsCycle.state == "active"), group.id,
                data={"version": str(cycle.version), "counted_loan": "810",
                      "counted_social": "5",
                      "key_holders": [str(h.id) for h in cycle.key_holders][:2]},
                login=treasurer.user.email)
def _savings_meeting(s: Session, *, closed: bool) -> SimpleNamespace:
    """Example 01's first meeting (Айгүл borrows 730.00), open or closed."""
    from coop.savings import services as savings
    from tests.savings_factory import close, hold_meeting, make_savings_group

    world = make_savings_group(s)
    meeting = hold_meeting(s, world, 1, close_it=False)
    run = savings.check_meeting(s, meeting, world.group)
    cash = savings.expected_cash(run, meeting)
    if closed:
        close(s, world, meeting)
    token = make_api_token(s, world.treasurer.user)
    s.commit()
    return SimpleNamespace(
        world=world, meeting=meeting, cash=cash, token=token,
        url=f"/api/v1/groups/{world.group.id}/savings/cycles/{world.cycle.id}/meetings/"
            f"{meeting.id}", headers={"Authorization": f"Bearer {token}"})


def _meeting_postings(meeting_id: int, kind: str) -> Callable[[Session], int]:
    return counter(Posting, Posting.sg_meeting_id == meeting_id, Posting.kind == kind)


def case_api_close_savings_meeting(s: Session) -> Case:
    """Ten closes of one meeting: one closes (its loan paid out once), nine 409."""
    w = _savings_meeting(s, closed=False)
    return Case(f"{w.url}/close", _meeting_postings(w.meeting.id, "sg_loan_out"),
                w.world.group.id, headers=w.headers,
                json={"closing_loan": to_string(w.cash["loan"][1], "KGS"),
                      "closing_social": to_string(w.cash["social"][1], "KGS"),
                      "key_holder_ids": w.world.key_holder_ids})


def case_api_reopen_savings_meeting(s: Session) -> Case:
    """Ten reopens of one closed meeting: its postings reversed once (counted
    on its loan's payment), nine 409."""
    w = _savings_meeting(s, closed=True)
    loan_out = s.scalar(select(Posting.id).where(Posting.sg_meeting_id == w.meeting.id,
                                                 Posting.kind == "sg_loan_out"))
    return Case(f"{w.url}/reopen", counter(Posting, Posting.reverses_id == loan_out),
                w.world.group.id, headers=w.headers,
                json={"reason": "ошибка в долях", "key_holder_ids": w.world.key_holder_ids})
def _equipment(s: Session, *, handed_over: bool = False) -> SimpleNamespace:
    from coop.equipment import domain
    from coop.equipment import services as equipment
    from coop.i18n import local_today
    from tests.factories import make_equipment_world

    w = make_equipment_world(s)
    w.email = w.treasurer.user.email
    if handed_over:
        today = local_today()
        w.booking = equipment.book(s, w.asset, w.other, domain.slots(today, False, today, False),
                                   actor=w.treasurer.user, today=today)
        equipment.hand_over(s, w.booking, condition="исправен")
        s.commit()
    return w


def case_equipment_book(s: Session) -> Case:
    from coop.equipment.models import Booking

    w = _equipment(s)
    return Case(f"{w.base}/book", counter(Booking), w.group.id,
                data={"member": str(w.other.id), "day_from": "2099-05-04", "part_from": "morning",
                      "day_to": "2099-05-05", "part_to": "evening", "note": "",
                      "idempotency_key": KEY}, login=w.email)


def case_equipment_take_back(s: Session) -> Case:
    w = _equipment(s, handed_over=True)
    return Case(f"{w.base}/bookings/{w.booking.id}/return", postings("equipment_fee"),
                w.group.id, data={f"b{w.booking.id}-condition": "исправен",
                                  f"b{w.booking.id}-idempotency_key": KEY}, login=w.email)


def case_equipment_record_repair(s: Session) -> Case:
    from coop.equipment.models import Repair

    w = _equipment(s)
    _paid_in(s, w.other, w.treasurer, {"cash": 100000})  # what the repair takes
    return Case(f"{w.base}/repairs", counter(Repair), w.group.id,
                data={"cost": "1000", "description": "ремень", "mode": "fund",
                      "method": "cash", "repaired_on": "2026-12-01", "idempotency_key": KEY},
                login=w.email)


def case_api_book_equipment(s: Session) -> Case:
    from coop.equipment.models import Booking

    w = _equipment(s)
    token = make_api_token(s, w.treasurer.user)
    s.commit()
    return Case(f"/api/v1/groups/{w.group.id}/equipment/{w.asset.id}/bookings", counter(Booking),
                w.group.id, json={"membership_id": w.other.id, "from": "2099-05-04",
                                  "to": "2099-05-05"},
                headers={"Authorization": f"Bearer {token}", "Idempotency-Key": KEY})


def _seed_world(s: Session, state: str = "delivered", mode: str = "cash") -> SimpleNamespace:
    """A settled round and a seed loan of its first member's tomato seed, as
    far as `state` (proposed, approved, delivered)."""
    from datetime import timedelta

    from coop.i18n import local_today
    from coop.season import loans
    from tests.factories import make_settled_round

    w = make_settled_round(s, members=2)
    member = w.members[0]
    loan = loans.propose_loan(s, w.group, member, round_id=w.rnd.id,
                              product_id=w.seed.product_id, repay_mode=mode, repay_bp=12000,
                              due_on=local_today() + timedelta(days=100),
                              actor=w.treasurer.user)
    if state in ("approved", "delivered"):
        loans.approve_loan(s, loan, w.treasurer.user)
    if state == "delivered":
        loans.deliver_loan(s, loan, w.treasurer.user)
    s.commit()
    w.loan, w.member = loan, member
    w.base = f"/groups/{w.group.id}/season/loans/{loan.id}"
    w.email = w.treasurer.user.email
    return w


def _repayments(kind: str) -> Callable[[Session], int]:
    from coop.season.models import SeedRepayment

    return counter(SeedRepayment, SeedRepayment.kind == kind)


def case_season_propose_loan(s: Session) -> Case:
    from datetime import timedelta

    from coop.i18n import local_today
    from coop.season.models import SeedLoan
    from tests.factories import make_settled_round

    w = make_settled_round(s, members=2)
    s.commit()
    return Case(f"/groups/{w.group.id}/season/loans/new", counter(SeedLoan), w.group.id,
                data={"member": str(w.members[1].id), "round": str(w.rnd.id),
                      "product": str(w.seed.product_id), "repay_mode": "payout",
                      "repay_ratio": "1,2", "note": "", "idempotency_key": KEY,
                      "due_on": (local_today() + timedelta(days=100)).isoformat()},
                login=w.treasurer.user.email)


def case_season_loan_step(s: Session) -> Case:
    w = _seed_world(s, state="approved")
    return Case(f"{w.base}/deliver", postings("seed_loan"), w.group.id, data={},
                login=w.email)


def case_season_repay_cash(s: Session) -> Case:
    w = _seed_world(s)
    return Case(f"{w.base}/repay", _repayments("cash"), w.group.id,
                data={"amount": "10", "method": "cash", "note": "", "idempotency_key": KEY},
                login=w.email)


def case_api_repay(s: Session) -> Case:
    w = _seed_world(s)
    token = make_api_token(s, w.treasurer.user)
    s.commit()
    return Case(f"/api/v1/groups/{w.group.id}/seed-loans/{w.loan.id}/repayments",
                _repayments("cash"), w.group.id, json={"amount": "10.00", "method": "cash"},
                headers={"Authorization": f"Bearer {token}", "Idempotency-Key": KEY})


def case_season_repay_kind(s: Session) -> Case:
    w = _seed_world(s, mode="kind")
    return Case(f"{w.base}/return", _repayments("kind"), w.group.id,
                data={"quantity": "1", "note": "", "idempotency_key": KEY}, login=w.email)


def case_season_write_off(s: Session) -> Case:
    w = _seed_world(s)
    return Case(f"{w.base}/write-off", _repayments("write_off"), w.group.id,
                data={"reason": "Засуха", "idempotency_key": KEY}, login=w.email)


def case_season_stock_out(s: Session) -> Case:
    from coop.season import loans
    from coop.season.models import SeedStockMove

    w = _seed_world(s, mode="kind")
    loans.repay_in_kind(s, w.loan, quantity=loans.due_quantity(w.loan),
                        actor=w.treasurer.user)
    s.commit()
    return Case(f"/groups/{w.group.id}/season/stock/out",
                counter(SeedStockMove, SeedStockMove.kind == "out"), w.group.id,
                data={"product": str(w.loan.product_id), "quantity": "1", "note": "Участок",
                      "idempotency_key": KEY}, login=w.email)


def _closed_survey(s: Session) -> SimpleNamespace:
    """A survey Айгүл answered, closed: ready to become a round."""
    from coop.season import services as season
    from coop.season.services import AnswerInput
    from tests.factories import make_catalog

    group = make_group(s)
    treasurer = make_member(s, group, "Майрам", role="treasurer")
    aigul = make_member(s, group, "Айгүл")
    products = make_catalog(s, group)
    survey = season.create_survey(s, group, treasurer.user, title="Весна",
                                  product_ids=[p.id for p in products])
    season.move_survey(s, survey, "open")
    season.save_answers(s, survey, aigul, {survey.items[0].id: AnswerInput(firm=10000)},
                        aigul.user, source="member")
    season.move_survey(s, survey, "closed")
    s.commit()
    return SimpleNamespace(group=group, treasurer=treasurer, survey=survey)


def case_season_convert(s: Session) -> Case:
    from coop.orders.models import Round

    w = _closed_survey(s)
    url = f"/groups/{w.group.id}/season/surveys/{w.survey.id}/convert"
    return Case(url, counter(Round, Round.group_id == w.group.id), w.group.id, data={},
                login=w.treasurer.user.email, confirm=url)


def _api(w: SimpleNamespace, s: Session) -> dict[str, str]:
    token = make_api_token(s, w.treasurer.user)
    s.commit()
    return {"Authorization": f"Bearer {token}", "Idempotency-Key": KEY}


def case_api_propose_seed_loan(s: Session) -> Case:
    from datetime import timedelta

    from coop.i18n import local_today
    from coop.season.models import SeedLoan
    from tests.factories import make_settled_round

    w = make_settled_round(s, members=2)
    return Case(f"/api/v1/groups/{w.group.id}/seed-loans", counter(SeedLoan), w.group.id,
                json={"membership_id": w.members[1].id, "round_id": w.rnd.id,
                      "product_id": w.seed.product_id, "repay_mode": "payout",
                      "repay_ratio": "1.2",
                      "due_on": (local_today() + timedelta(days=100)).isoformat()},
                headers=_api(w, s))


def case_api_deliver_seed_loan(s: Session) -> Case:
    w = _seed_world(s, state="approved")
    return Case(f"/api/v1/groups/{w.group.id}/seed-loans/{w.loan.id}/deliver",
                postings("seed_loan"), w.group.id, json={}, headers=_api(w, s))


def case_api_write_off_seed_loan(s: Session) -> Case:
    w = _seed_world(s)
    return Case(f"/api/v1/groups/{w.group.id}/seed-loans/{w.loan.id}/write-off",
                _repayments("write_off"), w.group.id, json={"reason": "Засуха"},
                headers=_api(w, s))


def case_api_return_seed(s: Session) -> Case:
    w = _seed_world(s, mode="kind")
    return Case(f"/api/v1/groups/{w.group.id}/seed-loans/{w.loan.id}/returns",
                _repayments("kind"), w.group.id, json={"quantity": "1"}, headers=_api(w, s))


def case_api_convert_survey(s: Session) -> Case:
    from coop.orders.models import Round

    w = _closed_survey(s)
    return Case(f"/api/v1/groups/{w.group.id}/surveys/{w.survey.id}/convert",
                counter(Round, Round.group_id == w.group.id), w.group.id, json={},
                headers=_api(w, s))


MONEY: dict[str, Callable[[Session], Case]] = {
    "api.book_equipment": case_api_book_equipment,
    "equipment.book": case_equipment_book,
    "equipment.take_back": case_equipment_take_back,
    "equipment.record_repair": case_equipment_record_repair,
    "timebank.record": case_timebank_record,
    "timebank.register_entry": case_timebank_register_entry,
    "timebank.batch": case_timebank_batch,
    "timebank.import_register": case_timebank_import_register,
    "timebank.confirm": case_timebank_confirm,
    "timebank.reverse": case_timebank_reverse,
    "timebank.start_credits": case_timebank_start_credits,
    "api.timebank_record": case_api_timebank_transfer,
    "api.timebank_confirm": case_api_timebank_confirm,
    "api.timebank_reverse": case_api_timebank_reverse,
    "payables.pay": case_payables_pay,
    "api.pay_supplier": case_api_pay_supplier,
    "ledger.record_payment": case_ledger_record_payment,
    "api.record_payment": case_api_record_payment,
    "ledger.write_off": case_ledger_write_off,
    "ledger.adjust": case_ledger_adjust,
    "ledger.reverse": case_ledger_reverse,
    "ledger.pay_out": case_ledger_pay_out,
    "ledger.transfer": case_ledger_transfer,
    "orders.settle": case_orders_settle,
    "orders.confirm_delivery": case_orders_confirm_delivery,
    "orders.credit_note": case_orders_credit_note,
    "orders.delivery": case_orders_delivery,
    "api.record_delivery": case_api_record_delivery,
    "orders.move_round": case_orders_move_round,
    "orders.add_cost": case_orders_add_cost,
    "orders.remove_cost": case_orders_remove_cost,
    "orders.order": case_orders_order,
    "api.save_my_order": case_api_save_my_order,
    "api.save_member_order": case_api_save_member_order,
    "quotes.award": case_quotes_award,
    "documents.issue_credit_note": case_documents_issue_credit_note,
    "sales.new_sale": case_sales_new_sale,
    "sales.add_contribution": case_sales_add_contribution,
    "sales.correct_contribution": case_sales_correct_contribution,
    "sales.edit_lot": case_sales_edit_lot,
    "sales.add_cost": case_sales_add_cost,
    "sales.cancel_sale": case_sales_cancel_sale,
    "sales.cancel_cost": case_sales_cancel_cost,
    "sales.record_sale_payment": case_sales_record_sale_payment,
    "sales.cancel_sale_payment": case_sales_cancel_sale_payment,
    "sales.close_lot": case_sales_close_lot,
    "sales.pay_cash": case_sales_pay_cash,
    "savings.close": case_savings_close,
    "savings.reopen": case_savings_reopen,
    "savings.add_loan": case_savings_add_loan,
    "savings.add_fine": case_savings_add_fine,
    "savings.add_grant": case_savings_add_grant,
    "savings.activate": case_savings_activate,
    "api.close_savings_meeting": case_api_close_savings_meeting,
    "api.reopen_savings_meeting": case_api_reopen_savings_meeting,
    "season.propose_loan": case_season_propose_loan,
    "season.loan_step": case_season_loan_step,
    "season.repay_cash": case_season_repay_cash,
    "api.repay": case_api_repay,
    "season.repay_kind": case_season_repay_kind,
    "season.write_off": case_season_write_off,
    "season.stock_out": case_season_stock_out,
    "season.convert": case_season_convert,
    "api.propose_seed_loan": case_api_propose_seed_loan,
    "api.deliver_seed_loan": case_api_deliver_seed_loan,
    "api.write_off_seed_loan": case_api_write_off_seed_loan,
    "api.return_seed": case_api_return_seed,
    "api.convert_survey": case_api_convert_survey,
}

SAVINGS_DRAFT = ("a draft line of an open savings meeting: nothing moves until the close, "
                 "whose counts must match it; a page's form carries the cycle's version, so "
                 "sent again it is a 409")

NOT_MONEY: dict[str, str] = {
    "api.create_savings_cycle": "creates a draft savings cycle",
    "api.enrol_savings_member": "enrols a member in a savings cycle (a passbook number)",
    "api.set_savings_key_holders": "chooses a draft cycle's key-holders",
    "api.activate_savings_cycle": "starts a savings cycle (its accounts, no posting; a second "
                                  "start is 409)",
    "api.open_savings_meeting": "opens a savings meeting (one open at a time: the second 409)",
    "api.save_savings_register": SAVINGS_DRAFT + "; each line replaces the member's line",
    **{f"api.add_savings_{kind}": SAVINGS_DRAFT for kind in (
        "fine", "fine_payment", "waiver", "grant", "loan", "write_off", "withdrawal",
        "difference", "share_adjustment", "interest_waiver")},
    **{f"api.remove_savings_{kind}": "takes back " + SAVINGS_DRAFT for kind in (
        "fine", "fine_payment", "waiver", "grant", "loan", "write_off", "withdrawal",
        "difference", "share_adjustment", "interest_waiver")},
    "season.cancel_loan": "cancels a proposed or approved seed loan once (a conditional move, "
                          "after a confirmation page); nothing was lent, no money moves",
    "equipment.new_asset": "adds equipment and its owners' shares; no money moves",
    "equipment.edit_asset": "changes equipment's details and fee; no money moves",
    "equipment.set_state": "available, in repair or retired",
    "equipment.join_wait": "a place on the waiting list (the same request keeps one place)",
    "equipment.cancel_wait": "leaves the waiting list",
    "equipment.cancel_booking": "frees a slot, once (a conditional move); no money moves",
    "equipment.hand_over": "notes the condition at hand-over, once (a conditional move)",
    "certificates.edit_certificate": "a certificate's details and scan",
    "certificates.brand": "the group's brand and logo",
    "certificates.set_marks": "which certificate a lot's labels carry",
    "api.add_member": "adds a member",
    "api.add_product": "adds a catalog product",
    "api.split_preview": "computes a split, writes nothing",
    "api.savings_preview": "computes a savings cycle from the scenario sent, writes nothing",
    "auth.account": "her password, tokens and whether her phone number is shown",
    "api.submit_quote": "a supplier's quote revision (a price offer, no money moves)",
    "auth.api_tokens_page": "creates an API token",
    "auth.change_password": "the password",
    "auth.login": "signs in",
    "auth.logout": "signs out",
    "auth.redeem_link": "sets a password from an invite link",
    "auth.revoke_api_token": "revokes a token",
    "auth.set_language": "the interface language",
    "documents.prepare_invoices": "starts the invoices job; invoices are numbered once per "
                                  "member and round (their subject is unique)",
    "groups.add_member": "adds a member",
    "groups.create_group": "creates a group",
    "groups.member": "a member's name and role",
    "groups.member_link": "an invite or password link",
    "groups.member_status": "deactivates or reactivates a member (her history stays)",
    "groups.settings": "the group's settings",
    "orders.edit_round": "a round's title, dates and products before it closes",
    "orders.new_round": "creates a draft round",
    "quotes.counter_offer": "a message to a supplier",
    "quotes.new_link": "a supplier's link",
    "quotes.request_quotes": "asks suppliers for quotes",
    "quotes.revoke_link": "revokes a supplier's link",
    "quotes.supplier_decline": "a supplier declines to quote",
    "quotes.supplier_quote": "a supplier's quote revision (a price offer, no money moves)",
    "sales.buyers": "adds a buyer",
    "sales.edit_buyer": "a buyer's name and contact",
    "sales.new_lot": "creates a lot",
    "suppliers.add_product": "adds a catalog product",
    "suppliers.add_supplier": "adds a supplier",
    "suppliers.edit_product": "a catalog product",
    "suppliers.edit_supplier": "a supplier",
    "suppliers.import_catalog": "imports a catalog (all or nothing)",
    "suppliers.product_status": "retires or reinstates a product",
    "timebank.add_post": "an offer or request on the time bank's board",
    "timebank.close_post": "takes a notice off the time bank's board",
    "timebank.reject": "rejects a pending time record: it never moved hours (a second "
                       "reject is a no-op)",
    "timebank.settings": "the time bank's rules",
    "timebank.coordinators": "who of the members keeps the time bank's register beside the "
                             "treasurer: it moves no hours itself",
    "api.timebank_add_post": "an offer or request on the time bank's board",
    "api.timebank_reject": "rejects a pending time record: it never moved hours",
    "savings.new_cycle": "sets up a savings cycle (a draft)",
    "savings.edit_cycle": "a draft savings cycle's settings",
    "savings.enrol": "enrols a member in a savings cycle",
    "savings.unenrol": "takes a member out of a draft savings cycle",
    "savings.key_holders": "a draft savings cycle's key-holders",
    "savings.cancel": "cancels a draft savings cycle",
    "savings.open_meeting": "opens a savings meeting (one open per cycle: a unique index)",
    "savings.register": SAVINGS_DRAFT,
    "savings.pay_fine": SAVINGS_DRAFT,
    "savings.waive_fine": SAVINGS_DRAFT,
    "savings.add_write_off": SAVINGS_DRAFT,
    "savings.add_share_adjustment": SAVINGS_DRAFT,
    "savings.add_interest_waiver": SAVINGS_DRAFT,
    "savings.add_withdrawal": SAVINGS_DRAFT,
    "savings.add_difference": SAVINGS_DRAFT,
    "savings.remove_entry": SAVINGS_DRAFT,
    "savings.import_form": SAVINGS_DRAFT,
    "savings.opening": "a draft savings cycle's opening balances (posted at its start)",
    "season.new_survey": "creates a draft needs survey",
    "season.edit_survey": "a survey's title, note and products",
    "season.move_survey": "opens or closes a survey (a conditional state move)",
    "season.answer": "sets her answers to a survey of intentions (the same answers sent "
                     "twice are the same answers); no money",
    "api.save_answers": "sets her answers to a survey of intentions; no money",
    "season.add_wish": "a wish not in the catalog (unique per member and text)",
    "season.remove_wish": "removes a wish",
    "season.import_answers": "imports survey answers (all or nothing); no money",
    "season.profile": "her optional household profile",
    "season.seed_rates": "the catalog's seed rates",
    "api.create_survey": "creates a draft needs survey",
    "api.move_survey": "opens or closes a survey (a conditional state move)",
    "api.approve_seed_loan": "approves a proposed seed loan (a conditional state move; "
                             "nothing is posted until it is delivered)",
    "api.cancel_seed_loan": "cancels a seed loan before delivery (a conditional state "
                            "move; nothing was posted)",
}

CHANGING = {"POST", "PUT", "PATCH", "DELETE"}


def changing_endpoints(app: Flask) -> set[str]:
    return {rule.endpoint for rule in app.url_map.iter_rules()
            if rule.methods and rule.methods & CHANGING}


def test_every_changing_endpoint_is_classified(app: Flask) -> None:
    endpoints = changing_endpoints(app)
    unclassified = endpoints - MONEY.keys() - NOT_MONEY.keys()
    assert not unclassified, (
        f"classify these endpoints: in MONEY with a case if they move money, else in "
        f"NOT_MONEY with the reason: {sorted(unclassified)}")
    assert not MONEY.keys() & NOT_MONEY.keys()
    assert not (MONEY.keys() | NOT_MONEY.keys()) - endpoints, "gone from the app"


# --------------------------------------------------------------------------
# Sending the same request ten times at once
# --------------------------------------------------------------------------


def hidden_fields(html: str) -> dict[str, str]:
    """The hidden inputs of a page's forms (a confirmation's figures token,
    the choices it confirms)."""
    fields: dict[str, str] = {}

    class Hidden(HTMLParser):
        def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
            a = dict(attrs)
            if tag == "input" and a.get("type") == "hidden" and a.get("name"):
                fields[a["name"] or ""] = a.get("value") or ""

    Hidden().feed(html)
    return fields


def send_together(app: Flask, case: Case, n: int = PARALLEL,
                  vary: Callable[[int], dict[str, str]] | None = None) -> list[str]:
    """`n` clients with the same session cookie send `case` at the same moment
    (the i-th form's fields changed by `vary(i)`, when given); their outcomes:
    status codes, or the name of what was raised."""
    first = app.test_client()
    data = None
    if case.login:
        login(first, case.login)
    if case.data is not None:
        data = {**case.data, "csrf_token": csrf_token(first, "/")}
    if case.confirm is not None:  # as the treasurer does: the figures first, then the "yes"
        page = first.get(case.confirm)
        assert page.status_code == 200, (case.confirm, page.status_code)
        data = {**(data or {}), **hidden_fields(page.get_data(as_text=True))}
    cookie_name = app.config["SESSION_COOKIE_NAME"]
    cookie = first.get_cookie(cookie_name)
    clients = []
    for _ in range(n):
        client = app.test_client()
        if cookie is not None:
            client.set_cookie(cookie_name, cookie.value)
        clients.append(client)
    barrier = threading.Barrier(n)
    outcomes: list[str] = [""] * n

    def send(i: int) -> None:
        barrier.wait()
        try:
            if case.json is not None:
                response = clients[i].open(case.url, method=case.method, json=case.json,
                                           headers=case.headers)
            else:
                sent = {**(data or {}), **(vary(i) if vary else {})}
                response = clients[i].post(case.url, data=sent, headers=case.headers)
            outcomes[i] = str(response.status_code)
        except Exception as exc:
            outcomes[i] = type(exc).__name__

    threads = [threading.Thread(target=send, args=(i,)) for i in range(n)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    return outcomes


FIGURES: list[str] = []


@pytest.mark.postgres
@pytest.mark.parametrize("endpoint", sorted(MONEY))
def test_the_same_request_ten_times_at_once_counts_once(app_ctx: Flask, session: Session,
                                                        pg_only: None, endpoint: str) -> None:
    case = MONEY[endpoint](session)
    before = case.count(session)
    outcomes = send_together(app_ctx, case)
    session.expire_all()
    after = case.count(session)
    doubles = after - case.once
    line = (f"{endpoint}: {PARALLEL} at once -> {dict(sorted(Counter(outcomes).items()))}, "
            f"{after} on the books (once is {case.once}), doubles {max(doubles, 0)}")
    FIGURES.append(line)
    print(line)
    assert before == case.once - 1, "the case's set-up made what it says"
    # what reports a creation (201) created: no replay says it created
    assert outcomes.count("201") <= 1, line
    assert all(o.isdigit() and int(o) < 500 for o in outcomes), line
    assert after == case.once, line
    assert check_books(session, case.group_id) == []


@pytest.mark.postgres
@pytest.mark.parametrize("endpoint", ["ledger.pay_out", "payables.pay"])
def test_ten_payments_out_at_once_take_no_more_than_the_cash_holds(
        app_ctx: Flask, session: Session, pg_only: None, endpoint: str) -> None:
    """Ten different payments out of the cash at once (ten keys, ten notes, none
    confirmed), each 40 % of what the cash holds: two fit; the other eight are
    asked first (200, nothing written), never recorded past what it holds."""
    case = MONEY[endpoint](session)
    group = session.get(Group, case.group_id)
    assert group is not None
    held = -ledger.account_balance(session, ledger.money_account(session, group, "cash"))
    part = held * 4 // 10 // 100  # whole som
    note = "memo" if endpoint == "ledger.pay_out" else "reference"
    case.data = {**(case.data or {}), "amount": str(part), "method": "cash"}
    if endpoint == "payables.pay":
        case.data["beyond_owed"] = "y"  # what is owed to her is not the limit tested here
    before = case.count(session)
    outcomes = send_together(app_ctx, case, vary=lambda i: {
        "idempotency_key": f"{KEY}-{i:03d}", note: f"Транспорт {i}"})
    session.expire_all()
    made = case.count(session) - before
    line = (f"{endpoint} (10 payments out of the cash at once): "
            f"{dict(sorted(Counter(outcomes).items()))}, {made} recorded")
    FIGURES.append(line)
    print(line)
    assert made == 2, line
    assert sorted(outcomes) == ["200"] * 8 + ["302"] * 2, line
    assert -ledger.account_balance(session, ledger.money_account(session, group, "cash")) >= 0
    assert check_books(session, case.group_id) == []


@pytest.mark.postgres
def test_ten_moves_out_of_the_bank_at_once_take_no_more_than_it_holds(
        app_ctx: Flask, session: Session, pg_only: None) -> None:
    """Ten different moves from the bank account to the cash box at once (ten
    keys, none a repeat of another), each 40 % of what the bank holds: two
    fit; the other eight are refused next to the form (422), never moved past
    what it holds: a move is not a payment from elsewhere, nothing is asked."""
    case = case_ledger_transfer(session)
    group = session.get(Group, case.group_id)
    assert group is not None
    held = ledger.money_held(session, group)["bank"]
    case.data = {**(case.data or {}), "amount": str(held * 4 // 10 // 100)}  # whole som
    outcomes = send_together(app_ctx, case, vary=lambda i: {
        "idempotency_key": f"{KEY}-{i:03d}", "confirm_again": "1"})
    session.expire_all()
    made = case.count(session)
    line = (f"ledger.transfer (10 moves out of the bank at once): "
            f"{dict(sorted(Counter(outcomes).items()))}, {made} recorded")
    FIGURES.append(line)
    print(line)
    assert made == 2, line
    assert sorted(outcomes) == ["302"] * 2 + ["422"] * 8, line
    assert ledger.money_held(session, group)["bank"] == held - 2 * (held * 4 // 10)
    assert check_books(session, case.group_id) == []


@pytest.mark.postgres
@pytest.mark.parametrize("endpoint, limit", [
    ("ledger.write_off", lambda s: 1),  # 96.00 of her 103.00 - 7.00 debt: room for one
    ("ledger.reverse", lambda s: 1),  # an entry is reversed once
    ("sales.pay_cash", lambda s: None),  # no more than her account holds (checked below)
])
def test_ten_different_forms_at_once_stay_within_what_the_books_allow(
        app_ctx: Flask, session: Session, pg_only: None, endpoint: str, limit: Any) -> None:
    """The locks, not the keys: ten forms (ten keys), all confirmed, at once."""
    case = MONEY[endpoint](session)
    if endpoint == "sales.pay_cash":
        from coop.groups.models import Membership

        member = session.get(Membership, int(case.url.split("/")[-2]))
        held = ledger.member_balance(session, member)
        case.data = {**(case.data or {}), "amount": f"{held * 4 // 10 // 100}"}  # 40 %: two fit
    outcomes = send_together(app_ctx, case, vary=lambda i: {
        "idempotency_key": f"{KEY}-{i:03d}", "confirm_again": "1"})
    session.expire_all()
    made = case.count(session)
    line = (f"{endpoint} (10 forms, 10 keys): {dict(sorted(Counter(outcomes).items()))}, "
            f"{made} on the books")
    FIGURES.append(line)
    print(line)
    assert all(o.isdigit() and int(o) < 500 for o in outcomes), line
    expected = limit(session)
    if expected is not None:
        assert made == expected, line
    else:
        assert made == 2, line
        assert ledger.member_balance(session, member) >= 0
    assert check_books(session, case.group_id) == []


@pytest.mark.postgres
def test_a_sale_at_price_0_ten_at_once_is_recorded_once(app_ctx: Flask, session: Session,
                                                        pg_only: None) -> None:
    """A gift or a sample (the price of 0 asked first, and confirmed): no
    payment, no entry in the books: the sale's own key stops the doubles."""
    case = case_sales_new_sale(session)
    price = next(k for k in (case.data or {}) if k.startswith("price_"))
    case.data = {**(case.data or {}), price: "0", "confirm_again": "1"}
    outcomes = send_together(app_ctx, case)
    session.expire_all()
    made = case.count(session)
    line = (f"sales.new_sale at price 0: {PARALLEL} at once -> "
            f"{dict(sorted(Counter(outcomes).items()))}, {made} on the books "
            f"(once is {case.once})")
    FIGURES.append(line)
    print(line)
    assert all(o.isdigit() and int(o) < 500 for o in outcomes), line
    assert made == case.once, line
    assert check_books(session, case.group_id) == []


def _seed_lot_case(s: Session, api: bool) -> tuple[Case, Callable[[Session], int]]:
    """A loan repaid in kind, returned whole into an open sales lot of
    sachets in the fund's name (the page's form, or the API); what counts:
    her loan's returns, and the lot's contributions for the fund."""
    from coop.quantities import qty_str
    from coop.sales.models import Contribution
    from coop.season import loans
    from tests.factories import make_sale_lot

    w = _seed_world(s, mode="kind")
    lot = make_sale_lot(s, w.group, w.treasurer, product="Семена томата", unit="пакет")
    s.commit()
    due = qty_str(loans.due_quantity(w.loan))
    grade = lot.grades[0].id
    fund_rows = counter(Contribution, Contribution.seed_loan_id == w.loan.id)
    if api:
        return Case(f"/api/v1/groups/{w.group.id}/seed-loans/{w.loan.id}/returns",
                    _repayments("kind"), w.group.id,
                    json={"quantity": due, "lot_id": lot.id, "grade_id": grade},
                    headers=_api(w, s)), fund_rows
    return Case(f"{w.base}/return", _repayments("kind"), w.group.id,
                data={"quantity": due, "destination": f"{lot.id}-{grade}", "note": "",
                      "idempotency_key": KEY}, login=w.email), fund_rows


@pytest.mark.postgres
@pytest.mark.parametrize("api", [False, True], ids=["page", "api"])
def test_a_seed_return_into_a_sales_lot_ten_at_once_is_recorded_once(
        app_ctx: Flask, session: Session, pg_only: None, api: bool) -> None:
    """The same return sent ten times at once (one key): one repayment, one
    contribution in the fund's name; then ten forms with ten keys, each the
    whole due quantity: the loan's lock lets none of them through."""
    case, fund_rows = _seed_lot_case(session, api)
    outcomes = send_together(app_ctx, case)
    session.expire_all()
    line = (f"seed return into a lot ({'api' if api else 'page'}): {PARALLEL} at once -> "
            f"{dict(sorted(Counter(outcomes).items()))}, {case.count(session)} returns, "
            f"{fund_rows(session)} fund contributions")
    FIGURES.append(line)
    print(line)
    assert all(o.isdigit() and int(o) < 500 for o in outcomes), line
    assert outcomes.count("201") <= 1, line
    assert case.count(session) == 1 and fund_rows(session) == 1, line
    assert check_books(session, case.group_id) == []
    if api:
        case.headers = {**case.headers, "Idempotency-Key": f"{KEY}-other"}
        outcomes = send_together(app_ctx, case)
    else:
        outcomes = send_together(app_ctx, case, vary=lambda i: {
            "idempotency_key": f"{KEY}-{i:03d}", "confirm_again": "1"})
    session.expire_all()
    assert all(o.isdigit() and int(o) < 500 for o in outcomes), outcomes
    assert case.count(session) == 1 and fund_rows(session) == 1
    assert check_books(session, case.group_id) == []


@pytest.mark.postgres
def test_ten_deliveries_at_once_past_what_was_ordered_record_one_and_ask_the_rest(
        app_ctx: Flask, session: Session, pg_only: None) -> None:
    """Half the thread has arrived; ten forms (ten keys) each bring the other
    half at the same moment. The first makes it all; each of the others would
    make more arrive than was ordered, which is asked first, under the
    round's lock: one is recorded and nine ask, whatever the timing."""
    from coop.orders.models import Delivery

    case = case_orders_delivery(session)
    before = case.count(session)
    thread = next(name for name in case.data or {} if name.startswith("received_"))
    outcomes = send_together(app_ctx, case, vary=lambda i: {
        "idempotency_key": f"{KEY}-{i:02d}", thread: "5"})
    session.expire_all()
    assert case.count(session) == before + 1, outcomes
    assert sorted(outcomes) == ["200"] * 9 + ["302"], outcomes
    arrived = session.scalar(select(func.sum(Delivery.received)).where(
        Delivery.round_item_id == int(thread.removeprefix("received_"))))
    assert arrived == 10000  # 10 spools: what was ordered, not 55
