"""The delivery discrepancy report: what a supplier delivered against her
purchase order, numbered and stored like the other issued documents. Its
figures are the delivery's, the credit notes' and her bill's to the tyiyn; the
same record prints the same report; a changed record, a new one that names
the one it replaces; nothing before her delivery is recorded."""

from __future__ import annotations

import threading

import pytest
from flask_babel import force_locale
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from coop import unit_text
from coop.documents import services
from coop.documents.models import DISCREPANCY_REPORT, PURCHASE_ORDER, Document
from coop.errors import DomainError
from coop.i18n import fmt_money, local_today
from coop.orders import services as orders
from coop.orders.models import Round
from coop.payables import services as payables
from coop.quotes import services as quotes
from coop.suppliers.models import Supplier
from tests.factories import make_awarded_quote, make_two_supplier_round
from tests.integration.test_documents import has, pdf_text
from tests.integration.test_documents_numbering import run_together

K = 1000  # thousandths of a unit


def short_and_damaged(session: Session, *, confirm: bool = True):  # type: ignore[no-untyped-def]
    """`make_awarded_quote` (seed 50 at 40.00, fabric 30 m at 25.00, NPK 100 kg
    at 70.00, her delivery fee 500.00) delivered short and damaged: 40 seed of
    50 (3 torn), fabric in full, NPK 100 kg (4 kg wet), credited 200.00."""
    w, quote, token, other, other_token = make_awarded_quote(session)
    actor = w.treasurer.user
    orders.record_delivery(session, w.rnd, {w.seed.id: (40 * K, 3 * K),
                                            w.fabric.id: (30 * K, 0),
                                            w.npk.id: (100 * K, 4 * K)}, actor=actor)
    orders.record_credit_note(session, w.rnd, w.npk.id, amount=20000, note="4 кг намокли",
                              actor=actor)
    if confirm:
        orders.confirm_delivery(session, w.rnd, actor)
    session.commit()
    return w, quote, token, other, other_token


def report_count(session: Session) -> int:
    session.expire_all()
    return session.scalar(select(func.count()).select_from(Document).where(
        Document.doc_type == DISCREPANCY_REPORT)) or 0


def test_the_reports_figures_are_the_delivery_credit_notes_and_bill(session: Session) -> None:
    w, quote, _token, _other, _t = short_and_damaged(session)
    supplier = quote.supplier
    document = services.issue_discrepancy_report(session, w.rnd, supplier, None)
    session.commit()
    purchase_order = session.scalar(select(Document).where(
        Document.doc_type == PURCHASE_ORDER, Document.supplier_id == supplier.id))
    data = services.discrepancy_data(session, w.rnd, supplier, purchase_order,
                                     services.Stamp(document.number, local_today(), "ru"))
    # the figures, worked out by hand from the world
    seed, _fabric, npk = data.lines
    assert [(line.ordered, line.received, line.short, line.damaged) for line in data.lines] == [
        (50 * K, 40 * K, 10 * K, 3 * K), (30 * K, 30 * K, 0, 0), (100 * K, 100 * K, 0, 4 * K)]
    assert (seed.short_value, seed.damaged_value, npk.damaged_value) == (40000, 12000, 28000)
    assert (data.ordered_value, data.short_value, data.damaged_value) == (975000, 40000, 40000)
    assert (data.goods, data.good_value, data.credit, data.billed) == (935000, 895000, 20000,
                                                                      965000)
    assert data.ordered_value - data.short_value - data.damaged_value == data.good_value
    # ... and the app's own: the purchase order, the delivery, her bill, her credit notes
    order = quotes.supplier_order(session, quote)
    assert [line.ordered_value for line in data.lines] == [o.cost.total for o in order.lines]
    assert data.ordered_value == order.goods == purchase_order.amount - order.delivery_fee
    recorded = orders.delivery_totals(session, w.rnd)
    assert [(line.received, line.damaged) for line in data.lines] == [
        recorded[item.id] for item in (w.seed, w.fabric, w.npk)]
    bill = quotes.supplier_bill(session, quote)
    [row] = [b for b in payables.round_supplier_bills(session, w.rnd)
             if b.supplier_id == supplier.id]
    assert (data.goods, data.delivery_fee, data.credit, data.billed) == (
        bill.goods, bill.delivery, bill.credit, bill.billed)
    assert data.received_value == bill.goods and row.position.billed == bill.billed
    notes = quotes.supplier_credit_notes(session, quote)
    assert [(c.amount, c.note) for c in data.credits] == [(n.amount, n.note) for n in notes]
    assert document.amount == bill.billed and document.locale == "ru"
    assert document.number.startswith("DR-") and document.refers_to_id is None
    text = pdf_text(document.content)
    with force_locale("ru"):
        has(text, document.number, purchase_order.number, supplier.name, w.group.name,
            "Заказ поставщику", "За группу (казначей)", "За поставщика", "4 кг намокли",
            unit_text.quantity(10 * K, "пакет"), unit_text.quantity(3 * K, "пакет"),
            unit_text.quantity(4 * K, "кг"), unit_text.quantity(100 * K, "кг"),
            *[fmt_money(amount, "KGS") for amount in (
                40000, 12000, 28000, 975000, -40000, 895000, 935000, 50000, -20000,
                965000)])


def test_printed_twice_the_same_report(session: Session) -> None:
    w, quote, _token, _other, _t = short_and_damaged(session)
    first = services.issue_discrepancy_report(session, w.rnd, quote.supplier, None)
    session.commit()
    content, number = first.content, first.number
    again = services.issue_discrepancy_report(session, w.rnd, quote.supplier, None)
    session.commit()
    assert (again.id, again.number, again.content) == (first.id, number, content)
    assert report_count(session) == 1


def test_a_changed_record_issues_a_new_report_that_names_the_one_it_replaces(
        session: Session) -> None:
    w, quote, _token, _other, _t = make_awarded_quote(session)
    actor, supplier = w.treasurer.user, quote.supplier
    orders.record_delivery(session, w.rnd, {w.seed.id: (45 * K, 0)}, actor=actor)
    session.commit()
    first = services.issue_discrepancy_report(session, w.rnd, supplier, None)
    session.commit()
    with force_locale("ru"):  # what is not recorded yet counts as not delivered
        has(pdf_text(first.content), unit_text.quantity(5 * K, "пакет"),
            unit_text.quantity(100 * K, "кг"))
    # the rest of the goods arrive, some of it wet
    orders.record_delivery(session, w.rnd, {w.fabric.id: (30 * K, 0), w.npk.id: (100 * K, 4 * K)},
                           actor=actor)
    session.commit()
    second = services.issue_discrepancy_report(session, w.rnd, supplier, None)
    session.commit()
    assert second.number != first.number and second.refers_to_id == first.id
    has(pdf_text(second.content), first.number)
    # a credit note agreed: a third, naming the second; printed again: the third
    orders.record_credit_note(session, w.rnd, w.npk.id, amount=15000, note="мешок", actor=actor)
    session.commit()
    third = services.issue_discrepancy_report(session, w.rnd, supplier, None)
    session.commit()
    assert third.refers_to_id == second.id and third.number not in (first.number, second.number)
    text = pdf_text(third.content)
    has(text, second.number, "мешок")
    # confirming the delivery as it stands changes nothing recorded: the same report
    orders.confirm_delivery(session, w.rnd, actor)
    session.commit()
    assert services.issue_discrepancy_report(session, w.rnd, supplier, None).id == third.id
    assert report_count(session) == 3
    seqs = sorted(session.scalars(select(Document.seq).where(
        Document.doc_type == DISCREPANCY_REPORT)))
    assert seqs == [1, 2, 3]
    # issued documents are never changed
    session.expire_all()
    assert session.get(Document, first.id).content == first.content


def test_nothing_before_her_delivery_is_recorded(session: Session) -> None:
    w, quote, _token, _other, _t = make_awarded_quote(session)
    session.commit()
    assert not services.discrepancy_report_ready(session, w.rnd, quote.supplier)
    assert services.reportable_suppliers(session, w.rnd) == []
    with pytest.raises(DomainError):
        services.issue_discrepancy_report(session, w.rnd, quote.supplier, None)
    session.rollback()
    assert session.scalar(select(func.count()).select_from(Document)) == 0
    orders.record_delivery(session, w.rnd, {w.npk.id: (100 * K, 0)}, actor=w.treasurer.user)
    session.commit()
    assert services.reportable_suppliers(session, w.rnd) == [quote.supplier]


def test_each_supplier_her_own_products_and_bill(session: Session) -> None:
    """Two suppliers in one settled round: each report has her products, her
    credit notes and her bill, as the books have it."""
    w = make_two_supplier_round(session)
    session.commit()
    rnd = session.get(Round, w.rnd.id)
    bills = {b.supplier_id: b for b in payables.round_bills(session, rnd)}
    texts = {}
    for supplier in (w.agro, w.textile):
        document = services.issue_discrepancy_report(session, rnd, supplier, None)
        session.commit()
        assert document.amount == bills[supplier.id].billed
        texts[supplier.id] = pdf_text(document.content)
    with force_locale("ru"):
        # 2 seed damaged (100.00), credited 60.00; her bill 500 + 200 - 60 = 640.00
        has(texts[w.agro.id], "Семена", "2 пакета", fmt_money(6000, "KGS"),
            fmt_money(64000, "KGS"), fmt_money(10000, "KGS"), fmt_money(20000, "KGS"))
        has(texts[w.textile.id], "Ткань", fmt_money(30000, "KGS"))
    assert "Ткань" not in texts[w.agro.id] and "Семена" not in texts[w.textile.id]
    assert fmt_money(64000, "KGS") not in texts[w.textile.id]


def test_two_prints_at_the_same_moment_issue_one_number(app_ctx, session: Session,  # type: ignore[no-untyped-def]
                                                        pg_only) -> None:
    w, quote, _token, _other, _t = short_and_damaged(session)
    round_id, supplier_id = w.rnd.id, quote.supplier_id
    numbers: list[str] = []
    lock = threading.Lock()

    def issue(s: Session, _i: int) -> None:
        document = services.issue_discrepancy_report(s, s.get(Round, round_id),
                                                     s.get(Supplier, supplier_id), None)
        with lock:
            numbers.append(document.number)

    outcomes = run_together(app_ctx, issue, 6)
    assert outcomes == ["ok"] * 6, outcomes
    assert len(set(numbers)) == 1, numbers
    assert report_count(session) == 1
    # the purchase order it names was issued on the way, once
    assert session.scalar(select(func.count()).select_from(Document).where(
        Document.doc_type == PURCHASE_ORDER)) == 1


def test_the_command_line_writes_each_suppliers_report(session: Session, runner,  # type: ignore[no-untyped-def]
                                                      tmp_path) -> None:
    """`flask coop documents ROUND --out DIR` writes the discrepancy report of
    each supplier whose delivery is recorded, beside her purchase order; run
    again, the same report (number and bytes)."""
    from coop.cli import coop_cli

    w = make_two_supplier_round(session)
    session.commit()
    result = runner.invoke(coop_cli, ["documents", str(w.rnd.id), "--out", str(tmp_path)])
    assert result.exit_code == 0, result.output
    year = local_today().year
    reports = sorted(p.name for p in tmp_path.iterdir() if p.name.startswith("DR-"))
    assert reports == [f"DR-{year}-0001.pdf", f"DR-{year}-0002.pdf"]
    assert report_count(session) == 2
    texts = [pdf_text((tmp_path / name).read_bytes()) for name in reports]
    assert sum("Ткань" in text for text in texts) == 1  # each her own products
    first = (tmp_path / reports[0]).read_bytes()
    again = runner.invoke(coop_cli, ["documents", str(w.rnd.id), "--out", str(tmp_path)])
    assert again.exit_code == 0 and (tmp_path / reports[0]).read_bytes() == first
    assert report_count(session) == 2
