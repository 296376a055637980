"""What the group owes each supplier: her account in the books, her bill per
round, payments to her by cash, bank or mobile wallet, and the books balancing."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from coop.errors import AskFirst, DomainError
from coop.ledger import services as ledger
from coop.ledger.models import Account, Posting
from coop.orders import services as orders
from coop.payables import domain
from coop.payables import services as payables
from coop.payables.models import SupplierPayment
from tests.factories import make_two_supplier_round

KEY = "form-key-0000000000000"


def _pay(session: Session, w, supplier, amount: int, *, method: str = "cash",  # type: ignore[no-untyped-def]
         key: str = KEY, round_id: int | None = None, beyond_owed: bool = False,
         overdraw: bool = True):
    """These payments are made before the members pay (the treasurer makes up
    the money: `overdraw`, asked first on the pages); see
    test_paying_out_more_than_the_account_holds_asks_first."""
    return payables.pay_supplier(session, supplier, amount=amount, method=method,
                                 reference="№ 17", idempotency_key=key,
                                 actor=w.treasurer.user, round_id=round_id,
                                 beyond_owed=beyond_owed, overdraw=overdraw)


def _books(session: Session, w) -> ledger.Books:  # type: ignore[no-untyped-def]
    return ledger.books(session, w.group, [w.treasurer, w.aigul, w.nurila])


def test_settlement_posts_each_suppliers_bill_into_her_account(session: Session) -> None:
    w = make_two_supplier_round(session)
    bills = {b.supplier_id: b for b in payables.round_bills(session, w.rnd)}
    assert bills[w.agro.id] == domain.SupplierBill(w.agro.id, 50000, 20000, 6000)
    assert bills[w.agro.id].billed == 64000
    assert bills[w.textile.id] == domain.SupplierBill(w.textile.id, 30000, 0, 0)
    agro_account = payables.supplier_account(session, w.agro)
    assert ledger.account_balance(session, agro_account) == 64000
    assert ledger.account_balance(session, payables.supplier_account(session, w.textile)) == 30000
    books = _books(session, w)
    assert books.total == 0
    assert books.payables == 94000
    assert books.suppliers == 10000  # the taxi: no supplier bills it
    # the members pay everything: goods 800 − 60 credit + delivery 200 + taxi 100
    assert -books.members_net == 104000
    kinds = session.scalars(select(Posting.kind).where(
        (Posting.credit_account_id == agro_account) | (Posting.debit_account_id == agro_account))
        .order_by(Posting.id)).all()
    assert kinds == ["supplier_goods", "supplier_delivery", "supplier_credit"]


def test_the_bills_before_settlement_are_the_split_as_it_stands(session: Session) -> None:
    w = make_two_supplier_round(session, settle=False)
    bills = {b.supplier_id: b.billed for b in payables.round_bills(session, w.rnd)}
    assert bills == {w.agro.id: 64000, w.textile.id: 30000}
    assert _books(session, w).payables == 0  # nothing in the books before the settlement
    [agro] = payables.positions(session, w.group, w.agro)
    assert agro.total.owed == 64000 and agro.books_balance == 0
    assert not agro.rounds[0].in_books


def test_partial_payment_by_bank_lowers_what_is_owed(session: Session) -> None:
    w = make_two_supplier_round(session)
    payment, new = _pay(session, w, w.agro, 40000, method="bank", round_id=w.rnd.id)
    assert new and payment.amount == 40000
    [agro] = payables.positions(session, w.group, w.agro)
    assert (agro.total.billed, agro.total.paid, agro.total.owed) == (64000, 40000, 24000)
    assert agro.books_balance == 24000
    [row] = payables.round_supplier_bills(session, w.rnd)[:1]
    assert (row.name, row.position.goods, row.position.delivery, row.position.credit,
            row.position.paid, row.position.owed) == ("Агро-Семена", 50000, 20000, 6000,
                                                       40000, 24000)
    books = _books(session, w)
    assert books.total == 0
    assert (books.cash_on_hand, books.in_bank, books.in_mobile) == (0, -40000, 0)
    assert books.payables == 24000 + 30000


def test_member_payments_go_to_the_account_of_their_method(session: Session) -> None:
    w = make_two_supplier_round(session)
    actor = w.treasurer.user
    ledger.record_payment(session, w.aigul, amount=30000, method="cash", reference="",
                          idempotency_key="k-cash-000000000000", actor=actor)
    ledger.record_payment(session, w.aigul, amount=20000, method="mobile", reference="",
                          idempotency_key="k-mobile-0000000000", actor=actor)
    ledger.record_payment(session, w.nurila, amount=50000, method="bank", reference="",
                          idempotency_key="k-bank-000000000000", actor=actor)
    _pay(session, w, w.textile, 30000, method="mobile", key="k-pay-textile-00000")
    ledger.pay_out(session, w.group, amount=10000, memo="Такси", actor=actor, method="cash")
    books = _books(session, w)
    assert (books.cash_on_hand, books.in_bank, books.in_mobile) == (20000, 50000, -10000)
    assert books.suppliers == 0 and books.payables == 64000
    assert books.total == 0


def test_paying_more_than_is_owed_needs_a_confirmation(session: Session) -> None:
    w = make_two_supplier_round(session)
    with pytest.raises(DomainError, match=r"640\.00") as refused:
        _pay(session, w, w.agro, 70000)
    assert refused.value.field == "amount"
    assert "60.00\xa0som more" in str(refused.value.message)  # how much more, with its currency
    with pytest.raises(DomainError, match="Весна-2027"):
        _pay(session, w, w.textile, 30001, round_id=w.rnd.id)
    assert session.scalar(select(func.count()).select_from(SupplierPayment)) == 0
    _payment, new = _pay(session, w, w.agro, 70000, beyond_owed=True)
    assert new
    [agro] = payables.positions(session, w.group, w.agro)
    assert agro.total.owed == -6000 and agro.books_balance == -6000  # an advance
    assert _books(session, w).total == 0


def test_paying_out_more_than_the_account_holds_asks_first(session: Session) -> None:
    """A cash box, bank account or wallet cannot hold less than nothing: a
    payment out of more than it holds is asked first (AskFirst), says what it
    holds and what it would show, and is recorded only when confirmed."""
    w = make_two_supplier_round(session)
    actor = w.treasurer.user
    ledger.record_payment(session, w.nurila, amount=25000, method="bank", reference="",
                          idempotency_key="k-bank-000000000000", actor=actor)
    count = select(func.count()).select_from(Posting)
    before = session.scalar(count)
    with pytest.raises(AskFirst) as asked:
        _pay(session, w, w.agro, 40000, method="bank", overdraw=False)
    message = str(asked.value.message).replace("\xa0", " ")
    assert "bank account holds only 250.00 som" in message and "-150.00 som" in message
    with pytest.raises(AskFirst, match=r"cash box holds only 0\.00"):
        ledger.pay_out(session, w.group, amount=10000, memo="Такси", actor=actor)
    with pytest.raises(AskFirst, match=r"mobile wallet holds only 0\.00"):
        _pay(session, w, w.textile, 100, method="mobile", overdraw=False, key="k-mobile-00000000")
    assert session.scalar(count) == before  # asked before anything is written
    # what it holds is paid without a question, to the tyiyn
    _pay(session, w, w.agro, 25000, method="bank", overdraw=False)
    assert _books(session, w).in_bank == 0
    with pytest.raises(AskFirst, match=r"holds only 0\.00"):
        _pay(session, w, w.agro, 1, method="bank", overdraw=False, key="k-one-tyiyn-000000")
    # confirmed: recorded, and the books show it and still balance
    _pay(session, w, w.agro, 1, method="bank", overdraw=True, key="k-one-tyiyn-000000")
    books = _books(session, w)
    assert books.in_bank == -1 and books.total == 0


def test_the_same_payment_sent_twice_is_recorded_once(session: Session) -> None:
    w = make_two_supplier_round(session)
    first, new = _pay(session, w, w.agro, 10000)
    again, new_again = _pay(session, w, w.agro, 10000)
    assert new and not new_again and again.id == first.id
    assert ledger.account_balance(session, payables.supplier_account(session, w.agro)) == 54000


def test_bad_payments_are_refused(session: Session) -> None:
    w = make_two_supplier_round(session)
    for kwargs, field in (({"amount": 0}, "amount"), ({"amount": -5}, "amount"),
                          ({"amount": 100, "method": "barter"}, "method"),
                          ({"amount": 100, "round_id": 10**9}, "round")):
        amount = kwargs.pop("amount")
        with pytest.raises(DomainError) as refused:
            _pay(session, w, w.agro, amount, **kwargs)  # type: ignore[arg-type]
        assert refused.value.field == field
    with pytest.raises(DomainError, match="expired"):
        _pay(session, w, w.agro, 100, key="short")


def test_a_reversed_payment_is_owed_again(session: Session) -> None:
    w = make_two_supplier_round(session)
    payment, _new = _pay(session, w, w.agro, 40000, round_id=w.rnd.id)
    ledger.reverse_posting(session, w.group, payment.posting_id, reason="ошибка",
                           actor=w.treasurer.user)
    [agro] = payables.positions(session, w.group, w.agro)
    assert (agro.total.paid, agro.total.owed, agro.books_balance) == (0, 64000, 64000)
    assert _books(session, w).cash_on_hand == 0


def test_supplier_account_is_made_once(session: Session) -> None:
    w = make_two_supplier_round(session)
    first = payables.supplier_account(session, w.agro)
    assert payables.supplier_account(session, w.agro) == first
    assert session.scalar(select(func.count()).select_from(Account).where(
        Account.supplier_id == w.agro.id)) == 1


def test_settled_round_keeps_its_bills_when_read_again(session: Session) -> None:
    """The settled round's bills come from the books; the split gives the same."""
    w = make_two_supplier_round(session)
    from_books = payables.round_bills(session, w.rnd)
    from_split = domain.bills_of_split(orders.compute_split(session, w.rnd).outcome)
    assert sorted(from_books, key=lambda b: b.supplier_id) == sorted(
        from_split, key=lambda b: b.supplier_id)


def test_supplier_bills_domain() -> None:
    bills = domain.supplier_bills([(1, 100, 0), (2, 50, 10), (1, 30, 5)],
                                  [(1, 20), (None, 99), (3, 7)])
    assert bills == [domain.SupplierBill(1, 135, 20, 5), domain.SupplierBill(2, 60, 0, 10),
                     domain.SupplierBill(3, 0, 7, 0)]
    assert [b.billed for b in bills] == [150, 50, 7]
    assert domain.beyond_owed(100, 30) == 70
    assert domain.beyond_owed(100, -30) == 100
    assert domain.beyond_owed(20, 30) == 0
