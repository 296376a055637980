"""Every document the demo prints, with hostile data (long product names, long
article codes, long unit names, long member names, 9-digit amounts), in
Russian, Kyrgyz, Tajik and English: no two pieces of text on one line overlap
or run together, a code is broken only after one of its separators, and no
English is left in a Russian, Kyrgyz or Tajik document."""

from __future__ import annotations

import dataclasses
import io
import os
import re
from pathlib import Path

import pytest
from flask import Flask
from pypdf import PdfReader
from sqlalchemy import select
from sqlalchemy.orm import Session

from coop.auth.models import User
from coop.documents import builders, domain, pdf
from coop.documents import services as documents
from coop.groups.models import Membership
from coop.ledger import services as ledger
from coop.orders.models import Round
from coop.sales.models import Buyer
from coop.suppliers.models import Product, Supplier
from tests import demo_pages
from tests.conftest import login
from tests.english import english_in
from tests.factories import make_group, make_member
from tests.pdf_words import collisions, runs

CODE = "NS-KAP-03/2026-B"
LONG_UNIT = "мешок 50 кг"
LONG_NAME = ("Удобрение комплексное минеральное нитроаммофоска NPK 16-16-16 "
             "гранулированное, мешок")
LONG_MEMBER = "Гүлнара-Бүбүсара Осмонова-Жумабекова кызы"
BIG = 123_456_789_00  # 9 digits before the decimals


def make_hostile(session: Session, group_id: int) -> None:
    for number, product in enumerate(session.scalars(select(Product).where(
            Product.group_id == group_id))):
        product.name = f"{LONG_NAME} {number}"
        product.article_code = f"{CODE}-{number}"
        product.unit = LONG_UNIT
    for supplier in session.scalars(select(Supplier).where(Supplier.group_id == group_id)):
        supplier.name = f"ОсОО «{supplier.name} Агро-Торговый Дом Иссык-Куль»"
    for number, user in enumerate(session.scalars(select(User).join(Membership).where(
            Membership.group_id == group_id))):
        user.name = f"{LONG_MEMBER} {number}"
    for buyer in session.scalars(select(Buyer).where(Buyer.group_id == group_id)):
        buyer.name = f"{buyer.name} — оптовая база «Токмок-Агро-Экспорт»"
    for rnd in session.scalars(select(Round).where(Round.group_id == group_id)):
        rnd.change_token += 1  # the split's cache holds the names as they were
    session.commit()


def code_breaks(content: bytes) -> list[str]:
    """A piece of an article code that ends elsewhere than after a separator
    (NS-KAP-0 / 3 is cut; NS-KAP-03/ 2026-B-1 is not), a number cut, or a
    minus sign parted from its digits."""
    return [word for run in runs(content) for word in run.text.split()
            if word.startswith("NS-") and not word.startswith(CODE + "-")
            and word[-1] not in "-/"] + [
        f"a number cut after “{run.text}”" for run in runs(content)
        if re.search(r"\d,$", run.text) or re.fullmatch(r"[\d\s\u00a0]+\.", run.text)
        or re.search(r"(^|\s)[-\u2212]$", run.text)]


def _save(name: str, content: bytes) -> None:
    folder = os.environ.get("COOP_SCREENSHOTS")
    if folder:
        Path(folder).mkdir(parents=True, exist_ok=True)
        (Path(folder) / name).write_bytes(content)


@pytest.mark.parametrize("locale", ["ru", "ky", "tg", "en"])
def test_every_document_with_hostile_data_has_no_colliding_columns(
        app_ctx: Flask, session: Session, locale: str) -> None:
    demo = demo_pages.load(app_ctx, session)
    make_hostile(session, demo.group.id)
    demo.group.language = locale
    assert demo.savings is not None
    demo.savings.group.language = locale
    for membership in demo.memberships:
        membership.user.locale = locale
    for supplier in session.scalars(select(Supplier).where(Supplier.group_id == demo.group.id)):
        supplier.language = locale  # her purchase order and discrepancy report
    session.commit()
    client = app_ctx.test_client()
    login(client, demo.treasurer.user.email, "demo-password")
    savings_client = app_ctx.test_client()  # the savings group's papers, as its treasurer
    login(savings_client, demo.savings.treasurer.user.email, "demo-password")
    problems, seen, built = [], 0, set()
    for endpoint, url in [*demo.pages, *demo.savings.pages]:
        if not url.endswith(".pdf"):
            continue
        response = (savings_client if endpoint.startswith("savings.") else client).get(url)
        if response.status_code != 200:
            continue
        content = response.get_data()
        seen += 1
        built.add(endpoint)
        _save(f"{locale}-{endpoint}-{seen}.pdf", content)
        problems += [f"{url}: {p}" for p in collisions(content)]
        problems += [f"{url}: code broken at “{w}”" for w in code_breaks(content)]
        if locale != "en":
            text = " ".join(run.text for run in runs(content))
            problems += [f"{url}: English “{w}”" for w in english_in(text)]
    assert seen >= 8
    # every issued type among them (the settled round's discrepancy report too)
    assert {"documents.purchase_order", "documents.invoice",
            "documents.discrepancy_report"} <= built, built
    assert not problems, f"{len(problems)} problems:\n" + "\n".join(problems[:60])


def _big(data, **changes):  # type: ignore[no-untyped-def]
    return dataclasses.replace(data, **changes)


def test_nine_digit_amounts_keep_their_columns(app_ctx: Flask, session: Session) -> None:
    demo = demo_pages.load(app_ctx, session)
    make_hostile(session, demo.group.id)
    rounds = {r.state: r for r in session.scalars(select(Round).where(
        Round.group_id == demo.group.id))}
    settled = rounds["settled"]
    built = {}
    info = documents.group_info(session, demo.group)
    lines = [domain.OrderLine(product=f"{LONG_NAME} {n}", article_code=f"{CODE}-{n}",
                              unit=LONG_UNIT, pack_size=123_456_000, packs=123_456,
                              quantity=123_456_789_000, unit_price=BIG * 10_000, amount=BIG)
             for n in range(12)]
    order = domain.PurchaseOrderData(
        group=info, stamp=domain.Stamp("PO-2026-0001", settled.created_at.date(), "ru"),
        round_title=settled.title, supplier_name="ОсОО «Агро-Торговый Дом Иссык-Куль»",
        supplier_contact=LONG_MEMBER, supplier_phone="+996 555 12 34 56",
        supplier_address="Каракол, ул. Торговая 12", delivery_place="", delivery_date=None,
        lines=lines, fees=[domain.Charge("", BIG)], goods=BIG * 12, total=BIG * 13,
        from_quote=True)
    built["purchase order"] = builders.build_purchase_order(order)
    form = documents.order_form_data(session, rounds["open"])
    form = _big(form, products=[dataclasses.replace(
        p, prices=((0, BIG * 10_000), (123_456_000, BIG * 10_000)), granularity=1_000,
        pack_size=123_456_000) for p in form.products])
    built["order form"] = builders.build_order_form(form)
    sheet = documents.distribution_data(session, settled)
    # a settled round's sheet keeps the names it was settled with: made hostile here
    sheet = _big(sheet, members=[dataclasses.replace(m, name=f"{LONG_MEMBER} {n}", quantities={
        k: 123_456_789 for k in m.quantities}) for n, m in enumerate(sheet.members)],
        products=[dataclasses.replace(p, name=f"{LONG_NAME} {n}", unit=LONG_UNIT)
                  for n, p in enumerate(sheet.products)])
    built["distribution sheet"] = builders.build_distribution_sheet(sheet)
    [supplier] = documents.reportable_suppliers(session, settled)[:1]
    purchase_order = documents.issue_purchase_order(session, settled, supplier, None)
    report = documents.discrepancy_data(session, settled, supplier, purchase_order,
                                        domain.Stamp("DR-2026-0001", order.stamp.issued_on, "ru"))
    long_note = f"{LONG_NAME}: {LONG_MEMBER}, {CODE}-9"
    report = _big(report, replaces="DR-2026-0002", replaces_date=order.stamp.issued_on,
                  lines=[domain.DiscrepancyLine(
                      product=f"{LONG_NAME} {n}", article_code=f"{CODE}-{n}", unit=LONG_UNIT,
                      ordered=123_456_789_000, received=23_456_789_000,
                      damaged=3_456_789_000, unit_price=BIG * 10_000, ordered_value=BIG,
                      received_value=BIG // 5, damaged_value=BIG // 7) for n in range(12)],
                  credits=[domain.DiscrepancyCredit(f"{LONG_NAME} {n}", BIG, long_note)
                           for n in range(3)],
                  goods=BIG, delivery_fee=BIG, credit=BIG, billed=BIG)
    built["discrepancy report"] = builders.build_discrepancy_report(report)
    for name, content in built.items():
        _save(f"big-{name.replace(' ', '-')}.pdf", content)
        assert not collisions(content), (name, collisions(content)[:20])
        assert not code_breaks(content), (name, code_breaks(content))


BILLION = "1\u00a0000\u00a0000\u00a0000,00\u00a0сом"  # as Babel writes it in Russian


def _spaces(text: str) -> str:
    """The text as read back from a PDF: any kind of space as one plain space."""
    return re.sub(r"[\s\u00a0\u202f]+", " ", text).strip()


def test_a_negative_amount_keeps_its_minus_on_the_line_of_its_digits(
        app_ctx: Flask, session: Session) -> None:
    """A reversal of 1 000 000 000,00 in the statement's amount column: with the
    minus alone on the line above its digits, it read as a positive amount."""
    group = make_group(session)
    treasurer = make_member(session, group, "Майрам", role="treasurer")
    member = make_member(session, group, LONG_MEMBER, locale="ru")
    payment, _new = ledger.record_payment(
        session, member, amount=1_000_000_000_00, method="cash", reference="",
        idempotency_key="billion-payment-key", actor=treasurer.user)
    ledger.reverse_posting(session, group, payment.posting_id, reason="ошибка",
                           actor=treasurer.user)
    session.commit()
    content = builders.build_statement(documents.statement_data(
        session, member, start=None, end=None, start_at=None, end_at=None))
    _save("billion-reversal-statement.pdf", content)
    lines = [_spaces(line) for page in PdfReader(io.BytesIO(content)).pages
             for line in (page.extract_text() or "").splitlines()]
    billion = _spaces(BILLION)
    # the payment and the running balance after it, positive; the reversal, negative
    assert sum(line.count(billion) for line in lines) == 3, lines
    assert sum(line.count("-" + billion) for line in lines) == 1, lines
    assert not [line for line in lines if line in ("-", "\u2212")], lines
    assert [_spaces(run.text) for run in runs(content) if billion in _spaces(run.text)] == [
        billion, billion, "-" + billion]
    assert not code_breaks(content)


def test_amounts_are_not_broken_in_wrapped_cells() -> None:
    """pdf.wrapped (explanations under invoice lines) breaks at spaces, never
    at the no-break spaces that hold an amount together."""
    text = f"возврат -{BILLION} по решению собрания"
    lines = pdf.wrapped(text, pdf.FONT, 8.5, 60).split("\n")
    assert f"-{BILLION}" in lines
    fitted, _size = pdf.fit_lines(f"-{BILLION}", pdf.FONT, 8.5, 40)
    assert fitted == [f"-{BILLION}"]


@pytest.mark.parametrize("language", ["ru", "ky", "tg", "en"])
def test_the_purchase_orders_column_heads_are_printed_at_full_size(
        app_ctx: Flask, session: Session, language: str) -> None:
    """Found on the walk: "Упаковок" did not fit its column and was printed
    smaller than the other heads. Every head of the lines' table, in every
    language, at the heads' size."""
    from flask_babel import force_locale, gettext

    demo = demo_pages.load(app_ctx, session)
    info = documents.group_info(session, demo.group)
    settled = session.scalars(select(Round).where(Round.group_id == demo.group.id,
                                                  Round.state == "settled")).first()
    line = domain.OrderLine(product="Семена", article_code=CODE, unit="kg",
                            pack_size=1_000, packs=12, quantity=12_000,
                            unit_price=1_000_000_000, amount=1_200_000)
    order = domain.PurchaseOrderData(
        group=info, stamp=domain.Stamp("PO-2026-0001", settled.created_at.date(), language),
        round_title=settled.title, supplier_name="Агро", supplier_contact="", supplier_phone="",
        supplier_address="", delivery_place="", delivery_date=None, lines=[line], fees=[],
        goods=1_200_000, total=1_200_000, from_quote=True)
    with force_locale(language):
        content = builders.build_purchase_order(order)
        heads = [gettext(h) for h in ("Product", "Article code", "Pack size", "Packs",
                                      "Quantity", "Unit price", "Amount")]
    words = {word for head in heads for word in head.split()}
    # a head of two words may be on two lines: its runs are those made of its words alone
    printed = runs(content)
    top = next(run.y for run in printed if run.text.strip() == heads[0])  # the heads' row
    in_heads = [run for run in printed if run.text.split() and abs(run.y - top) < 10
                and set(run.text.split()) <= words]
    assert words == {word for run in in_heads for word in run.text.split()}, heads
    assert {round(run.size, 1) for run in in_heads} == {pdf.styles().head.fontSize}, [
        (run.text, run.size, run.y) for run in in_heads]
