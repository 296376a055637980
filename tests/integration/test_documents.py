"""Documents built from the demo data and the factories, read back with pypdf:
the names and amounts are there as text (formatted as on the pages), the
DejaVu fonts are embedded and Helvetica is not, long sheets break into pages
without losing anyone; numbers are gapless, issued documents never change."""

from __future__ import annotations

import dataclasses
import hashlib
import io
import re
from pathlib import Path

import pytest
from flask_babel import force_locale, gettext
from pypdf import PdfReader
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from coop import unit_text
from coop.documents import builders, domain, services
from coop.documents.models import Document, DocumentCounter
from coop.errors import DomainError
from coop.groups.models import Group, Membership
from coop.i18n import fmt_date, fmt_money
from coop.ledger import services as ledger
from coop.orders import cache as split_cache
from coop.orders import explain
from coop.orders import services as orders
from coop.orders.models import Round
from tests.factories import make_settled_round

# --------------------------------------------------------------------------
# Reading PDFs
# --------------------------------------------------------------------------

_SPACES = re.compile(r"[\s\u00a0\u202f\u2009]+")


def flat(text: str) -> str:
    """Whitespace of any kind (Babel's no-break spaces too) as one space."""
    return _SPACES.sub(" ", text).strip()


def pdf_text(content: bytes) -> str:
    reader = PdfReader(io.BytesIO(content))
    return flat(" ".join(page.extract_text() or "" for page in reader.pages))


def page_count(content: bytes) -> int:
    return len(PdfReader(io.BytesIO(content)).pages)


def pdf_fonts(content: bytes) -> dict[str, bool]:
    """{BaseFont: embedded?} of every font any page uses."""
    reader = PdfReader(io.BytesIO(content))
    fonts: dict[str, bool] = {}
    for page in reader.pages:
        resources = page.get("/Resources") or {}
        for font in (resources.get("/Font") or {}).values():
            font = font.get_object()
            name = str(font.get("/BaseFont"))
            descriptor = font.get("/FontDescriptor")
            if descriptor is None and "/DescendantFonts" in font:
                descriptor = font["/DescendantFonts"][0].get_object().get("/FontDescriptor")
            embedded = descriptor is not None and "/FontFile2" in descriptor.get_object()
            fonts[name] = fonts.get(name, False) or embedded
    return fonts


def assert_dejavu_only(content: bytes) -> None:
    fonts = pdf_fonts(content)
    assert fonts, "no fonts"
    assert all("DejaVu" in name for name in fonts), fonts
    assert all(fonts.values()), f"not embedded: {fonts}"
    assert b"Helvetica" not in content


def has(text: str, *parts: str) -> None:
    for part in parts:
        assert flat(part) in text, f"{part!r} not in the PDF text"


# --------------------------------------------------------------------------
# The demo: Russian, Kyrgyz and Tajik
# --------------------------------------------------------------------------


@pytest.fixture()
def demo(session: Session):  # type: ignore[no-untyped-def]
    from coop.demo import load_demo

    load_demo(session)
    session.commit()
    return session


def _round(session: Session, state: str, currency: str = "KGS") -> Round:
    return session.scalar(select(Round).join(Group).where(
        Round.state == state, Group.currency == currency).order_by(Round.id))


def test_invoice_shows_the_share_page_figures_to_the_tyiyn(demo: Session) -> None:
    rnd = _round(demo, "settled")
    invoices = services.issue_invoices(demo, rnd, None)
    demo.commit()
    assert len(invoices) == len(orders.compute_split(demo, rnd).outcome.members)
    for membership_id, document in invoices.items():
        membership = demo.get(Membership, membership_id)
        assert document.number.startswith("INV-") and document.locale == "ru"
        text = pdf_text(document.content)
        with force_locale("ru"):
            figures = split_cache.member_share(demo, rnd, membership_id)  # as the share page
            assert figures is not None
            share = explain.member_share(figures, "KGS")
            money = [fmt_money(line.amount, "KGS") for line in share.lines]
            money += [fmt_money(c.amount, "KGS") for c in [*share.shared, *share.losses]]
            money += [fmt_money(share.total, "KGS"), fmt_money(share.goods, "KGS")]
            if share.levy:
                money.append(fmt_money(share.levy.amount, "KGS"))
            if share.savings:  # saved, or paid more than at the bazaar: never "saved -34"
                money.append(fmt_money(abs(share.savings), "KGS"))
                assert share.bazaar and fmt_money(-abs(share.savings), "KGS") not in share.bazaar
                has(text, share.bazaar)
            has(text, membership.user.name, document.number, rnd.title, "Счёт", "Итого по счёту",
                *money, *[line.allocated_text for line in share.lines])
        assert document.amount == share.total
        assert_dejavu_only(document.content)


def test_an_invoice_prints_one_figure_to_pay(demo: Session) -> None:
    """Found by a new user: the charges' total and the first line of the
    settlement box both said «Итого к оплате», above a «К оплате» that differs
    once she has paid. The total is now the invoice's total, twice the same
    words and figure; «К оплате» alone says what she still has to pay."""
    rnd = _round(demo, "settled")
    split = orders.compute_split(demo, rnd)
    member_id = int(split.result["members"][0]["id"])
    member = demo.get(Membership, member_id)
    assert member is not None
    total = split.outcome.members[split.member_index[member_id]].total
    paid, due = domain.amount_due(total, ledger.member_balance(demo, member))
    invoice = services.issue_invoice(demo, rnd, member, None)
    text = pdf_text(invoice.content)
    with force_locale("ru"):
        assert "Итого к оплате" not in text, text
        assert text.count(flat(f"Итого по счёту {fmt_money(total, 'KGS')}")) == 2, text
        assert text.count("К оплате") == 1, text
        has(text, f"К оплате {fmt_money(due, 'KGS')}", fmt_money(paid, "KGS"))


def test_kyrgyz_and_tajik_letters_print(demo: Session) -> None:
    settled = _round(demo, "settled")
    aigul = demo.scalar(select(Membership).join(Membership.user).where(
        Membership.group_id == settled.group_id).where(
        Membership.user.has(name="Айгүл Токтогулова")))
    aigul.user.locale = "ky"
    demo.flush()
    invoice = services.issue_invoice(demo, settled, aigul, None)
    text = pdf_text(invoice.content)
    has(text, "Айгүл Токтогулова", "Эсеп-фактура", "Эсеп-фактуранын жалпы суммасы")
    assert {"ң", "ө", "ү"} <= set(text), "Kyrgyz letters"
    tajik = _round(demo, "awarded", "TJS")
    [po] = services.issue_purchase_orders(demo, tajik, None).values()
    text = pdf_text(po.content)
    has(text, "Фармоишнома", "Бозори Исфара", "Гурӯҳи дӯзандагони Исфара", "Вилояти Суғд",
        "Хазинадор: Фарангис Азамова")
    assert {"ғ", "ӣ", "қ", "ӯ", "ҳ", "ҷ"} <= set(text + pdf_text(
        builders.build_distribution_sheet(services.distribution_data(demo, tajik)))), \
        "Tajik letters"
    assert_dejavu_only(po.content)


def test_purchase_order_lines_fee_and_total(demo: Session) -> None:
    rnd = _round(demo, "awarded", "TJS")
    [po] = services.issue_purchase_orders(demo, rnd, None).values()
    text = pdf_text(po.content)
    with force_locale("tg"):
        # spec example 02 at list prices: 2 packs of 30 m at 27.40, 1 pack of 10 spools at 16
        has(text, "CF-1", "TH-5", "60 метр", "ғалтак: 10", fmt_money(164400, "TJS"),
            fmt_money(16000, "TJS"), fmt_money(180400, "TJS"), "Исфара")
    assert po.amount == 180400 and po.supplier_id is not None


def test_purchase_order_fee_is_the_awarded_quotes(session: Session) -> None:
    from tests.factories import make_awarded_quote

    w, quote, _token, _other, _t = make_awarded_quote(session, fee=50000)
    documents = services.issue_purchase_orders(session, w.rnd, None)
    assert list(documents) == [quote.supplier_id]
    text = pdf_text(documents[quote.supplier_id].content)
    from coop.quotes import services as quotes

    order = quotes.supplier_order(session, quote)
    with force_locale("ru"):
        has(text, quote.supplier.name, "Стоимость доставки", fmt_money(50000, "KGS"),
            fmt_money(order.goods, "KGS"), fmt_money(order.total, "KGS"))
        for line in order.lines:
            has(text, fmt_money(line.cost.total, "KGS"))


def test_statement_pdf_matches_the_statement(demo: Session) -> None:
    rnd = _round(demo, "settled")
    split = orders.compute_split(demo, rnd)
    member = split.members[split.result["members"][0]["id"]]
    data = services.statement_data(demo, member, start=None, end=None, start_at=None,
                                   end_at=None)
    content = builders.build_statement(data)
    text = pdf_text(content)
    _opening, lines = ledger.statement(demo, ledger.member_account(demo, member))
    with force_locale("ru"):
        has(text, member.user.name, "Выписка по счёту", "Оплата",
            *[fmt_money(line.amount, "KGS") for line in lines],
            *[fmt_money(line.balance, "KGS") for line in lines])
    assert data.closing == lines[-1].balance == ledger.member_balance(demo, member)
    assert_dejavu_only(content)


def test_order_form_and_quote_comparison_from_the_demo(demo: Session) -> None:
    from coop.groups.services import list_members

    open_round = _round(demo, "open")
    form = builders.build_order_form(services.order_form_data(demo, open_round))
    text = pdf_text(form)
    has(text, "Бланк заказа", *[item.product.name for item in open_round.items],
        *[m.user.name for m in list_members(demo, open_round.group, include_inactive=False)])
    assert_dejavu_only(form)
    quoting = _round(demo, "quoting")
    data = services.comparison_data(demo, quoting)
    content = builders.build_quote_comparison(data)
    text = pdf_text(content)
    assert data.offers
    with force_locale("ru"):
        has(text, "Сравнение предложений", *[o.supplier for o in data.offers],
            *[fmt_money(o.landed, "KGS") for o in data.offers if not o.declined],
            *[name for name, _now, _totals in data.members])
    assert_dejavu_only(content)
    with pytest.raises(DomainError):
        services.order_form_data(demo, quoting)


def test_distribution_sheet_of_the_settled_demo_round(demo: Session) -> None:
    rnd = _round(demo, "settled")
    data = services.distribution_data(demo, rnd)
    content = builders.build_distribution_sheet(data)
    text = pdf_text(content)
    split = orders.compute_split(demo, rnd)
    with force_locale("ru"):
        for member in split.result["members"]:
            for line in member["lines"]:
                if line["allocated"] != "0":
                    has(text, split.members[member["id"]].user.name)
        has(text, "Ведомость раздачи", "По участницам", "По товарам",
            *[unit_text.quantity(p.total, p.unit) for p in data.products])
    assert not data.provisional
    assert_dejavu_only(content)


# --------------------------------------------------------------------------
# Long sheets: pages break, headers repeat, nobody is cut off
# --------------------------------------------------------------------------


def _big_sheet(members: int, products: int) -> domain.DistributionData:
    names = [f"Участница {i:03d} Гүлнара-{'ӨҢҮ'[i % 3]}" for i in range(members)]
    sheet_products = [domain.SheetProduct(name=f"Товар {p:02d} «Семена»", unit="кг",
                                          total=sum(1000 * (1 + (m + p) % 4)
                                                    for m in range(members) if (m + p) % 5 == 0))
                      for p in range(products)]
    # her share, and half of it still owed by every third member
    money = [(10000 * (1 + m % 7), 5000 * (1 + m % 7) if m % 3 == 0 else 0)
             for m in range(members)]
    sheet_members = [domain.SheetMember(name, "", {p: 1000 * (1 + (m + p) % 4)
                                                   for p in range(products) if (m + p) % 5 == 0},
                                        total=money[m][0], paid=money[m][0] - money[m][1],
                                        due=money[m][1], balance=-money[m][1])
                     for m, name in enumerate(names)]
    group = domain.GroupInfo("Группа «Светлая Поляна»", "Светлая Поляна", "KGS")
    return domain.DistributionData(
        group=group, stamp=domain.Stamp("DS-R1", __import__("datetime").date(2026, 3, 1), "ru"),
        round_title="Большая закупка", state="settled", delivery_place="", delivery_date=None,
        provisional=False, products=sheet_products, members=sheet_members, money=True,
        settled=True, members_total=sum(total for total, _due in money))


def test_distribution_sheet_for_300_members_and_60_products(app_ctx) -> None:  # type: ignore[no-untyped-def]
    big = builders.build_distribution_sheet(_big_sheet(300, 60))
    small = builders.build_distribution_sheet(_big_sheet(30, 60))
    reader = PdfReader(io.BytesIO(big))
    assert len(reader.pages) > page_count(small) * 3
    text = pdf_text(big)
    for i in range(300):
        # by member, by product and once per block of the matrix
        assert text.count(f"Участница {i:03d} Гүлнара-{'ӨҢҮ'[i % 3]}") >= 3, i
    for p in range(60):
        assert f"Товар {p:02d}" in text
    with force_locale("ru"):  # the money table's totals, after 300 members
        total = sum(10000 * (1 + m % 7) for m in range(300))
        due = sum(5000 * (1 + m % 7) for m in range(0, 300, 3))
        has(text, f"Итого {fmt_money(total, 'KGS')} {fmt_money(total - due, 'KGS')} "
                  f"{fmt_money(due, 'KGS')}")
    # the matrix: 60 products in blocks; member names on every block's pages
    blocks = re.findall(r"Товары (\d+)–(\d+) из 60", text)
    assert len(blocks) >= 3 and blocks[0][0] == "1" and blocks[-1][1] == "60"
    last = flat(reader.pages[-1].extract_text())
    assert "Участница" in last and re.search(r"Страница (\d+) из \1", last)
    landscape = [p for p in reader.pages if p.mediabox.width > p.mediabox.height]
    assert landscape and len(landscape) < len(reader.pages)
    assert_dejavu_only(big)


def test_order_form_for_300_members_and_60_products(app_ctx) -> None:  # type: ignore[no-untyped-def]
    data = domain.OrderFormData(
        group=domain.GroupInfo("Группа", "Село", "KGS"),
        stamp=domain.Stamp("OF-R1", __import__("datetime").date(2026, 3, 1), "ky"),
        round_title="Жазгы сатып алуу", deadline=None, delivery_place="", delivery_date=None,
        products=[domain.SheetProduct(f"Товар {p:02d}", "кг", f"A{p}", 25000, 1000,
                                      prices=((0, 48_500_000), (50000, 42_000_000)))
                  for p in range(60)],
        members=[f"Мүчө {i:03d}" for i in range(300)])
    content = builders.build_order_form(data)
    text = pdf_text(content)
    for i in range(300):
        assert text.count(f"Мүчө {i:03d}") >= 2, i  # in every block of products
    has(text, "Заказ бланкы", "48,50 сом", "50 килограмм баштап: 42,00 сом")
    assert page_count(content) > 20


# --------------------------------------------------------------------------
# Numbers and immutability
# --------------------------------------------------------------------------


def test_numbers_are_per_group_type_and_year_and_gapless(session: Session) -> None:
    a = make_settled_round(session, members=3)
    b = make_settled_round(session, members=2)
    year = services.local_today().year
    invoices_a = services.issue_invoices(session, a.rnd, None)
    invoices_b = services.issue_invoices(session, b.rnd, None)
    pos_a = services.issue_purchase_orders(session, a.rnd, None)
    assert sorted(d.number for d in invoices_a.values()) == [
        f"INV-{year}-000{n}" for n in (1, 2, 3)]
    assert sorted(d.number for d in invoices_b.values()) == [
        f"INV-{year}-000{n}" for n in (1, 2)]
    assert [d.number for d in pos_a.values()] == [f"PO-{year}-0001"]
    counters = {(c.group_id, c.doc_type): c.last for c in session.scalars(
        select(DocumentCounter))}
    assert counters == {(a.group.id, "invoice"): 3, (b.group.id, "invoice"): 2,
                        (a.group.id, "purchase_order"): 1}


def test_an_issued_invoice_is_issued_once_and_never_changes(session: Session) -> None:
    w = make_settled_round(session, members=2)
    first = services.issue_invoice(session, w.rnd, w.members[0], w.treasurer.user)
    session.commit()
    content, number = first.content, first.number
    assert first.sha256 == hashlib.sha256(content).hexdigest() and first.size == len(content)
    # a payment later does not change the issued invoice, and nothing is numbered again
    ledger.record_payment(session, w.members[0], amount=1000, method="cash", reference="",
                          idempotency_key="k" * 20, actor=w.treasurer.user)
    again = services.issue_invoice(session, w.rnd, w.members[0], None)
    assert again.id == first.id and again.number == number
    assert services.document_bytes(services.get_document(session, w.group, first.id)) == content
    assert session.scalar(select(func.count()).select_from(Document)) == 1
    assert session.scalar(select(DocumentCounter.last)) == 1


def test_paid_and_due_on_the_invoice() -> None:
    assert domain.amount_due(50000, -50000) == (0, 50000)  # nothing paid
    assert domain.amount_due(50000, -20000) == (30000, 20000)  # paid 300 of it
    assert domain.amount_due(50000, 10000) == (50000, 0)  # paid in full and more
    assert domain.amount_due(50000, -80000) == (0, 50000)  # older debts stay in the account


def test_invoices_only_for_settled_rounds(session: Session) -> None:
    from tests.factories import make_closed_round

    w = make_closed_round(session)
    with pytest.raises(DomainError):
        services.issue_invoices(session, w.rnd, None)
    with pytest.raises(DomainError):
        services.distribution_data(session, w.rnd)


def test_all_invoices_in_one_pdf(session: Session) -> None:
    w = make_settled_round(session, members=4)
    combined = services.invoices_pdf(session, w.rnd, None)
    issued = services.issue_invoices(session, w.rnd, None)
    assert page_count(combined) == sum(page_count(d.content) for d in issued.values())
    text = pdf_text(combined)
    has(text, *[d.number for d in issued.values()], *[m.user.name for m in w.members])
    # found on the walk: numbered in one order, combined in another. Now
    # numbered by name, and combined in number order: the two agree
    numbers = sorted(d.number for d in issued.values())
    assert [text.index(n) for n in numbers] == sorted(text.index(n) for n in numbers)
    by_name = sorted(w.members, key=lambda m: m.user.name.casefold())
    assert [issued[m.id].number for m in by_name] == numbers


def test_credit_note_for_an_adjustment_refers_to_the_invoice(session: Session) -> None:
    w = make_settled_round(session, members=2)
    member = w.members[0]
    invoice = services.issue_invoice(session, w.rnd, member, None)
    refund = ledger.adjust_member(session, member, amount=-2550, reason="Пакет семян порван",
                                  actor=w.treasurer.user, round_id=w.rnd.id)
    note = services.issue_credit_note(session, member, posting_id=refund.id,
                                      invoice_id=invoice.id, actor=w.treasurer.user)
    assert note.number.startswith("CN-") and note.refers_to_id == invoice.id
    assert note.amount == 2550 and note.posting_id == refund.id
    text = pdf_text(note.content)
    with force_locale("ru"):
        has(text, "Кредит-нота", invoice.number, "Пакет семян порван", fmt_money(2550, "KGS"),
            fmt_money(invoice.amount - 2550, "KGS"), member.user.name)
    # once per adjustment; the invoice is untouched
    again = services.issue_credit_note(session, member, posting_id=refund.id,
                                       invoice_id=invoice.id, actor=None)
    assert again.id == note.id
    assert services.creditable_adjustments(session, member) == []
    payment, _new = ledger.record_payment(session, member, amount=100, method="cash",
                                          reference="", idempotency_key="p" * 20,
                                          actor=w.treasurer.user)
    with pytest.raises(DomainError, match="adjustment"):
        services.issue_credit_note(session, member, posting_id=payment.posting_id,
                                   invoice_id=invoice.id, actor=None)
    other = services.issue_invoice(session, w.rnd, w.members[1], None)
    charge = ledger.adjust_member(session, member, amount=700, reason="Ещё", actor=None)
    with pytest.raises(DomainError):
        services.issue_credit_note(session, member, posting_id=charge.id,
                                   invoice_id=other.id, actor=None)
    correction = services.issue_credit_note(session, member, posting_id=charge.id,
                                            invoice_id=invoice.id, actor=None)
    assert correction.amount == -700 and "Корректировка" in pdf_text(correction.content)


# --------------------------------------------------------------------------
# Query counts do not grow with the members
# --------------------------------------------------------------------------


def test_queries_per_document_do_not_grow_with_the_members(session: Session,  # type: ignore[no-untyped-def]
                                                           count_queries) -> None:
    small = make_settled_round(session, members=3)
    large = make_settled_round(session, members=25)
    session.commit()
    counts = {}
    for name, world in (("small", small), ("large", large)):
        session.expire_all()
        rnd = session.get(Round, world.rnd.id)
        with count_queries() as n:
            services.issue_invoice(session, rnd, world.members[0], None)
        invoice = n[0]
        with count_queries() as n:
            services.issue_invoices(session, rnd, None)
        all_invoices = n[0]
        with count_queries() as n:
            builders.build_distribution_sheet(services.distribution_data(session, rnd))
        sheet = n[0]
        with count_queries() as n:
            services.issue_purchase_orders(session, rnd, None)
        purchase_orders = n[0]
        counts[name] = (invoice, all_invoices, sheet, purchase_orders)
        session.rollback()
    assert counts["small"] == counts["large"], counts


# --------------------------------------------------------------------------
# The command line
# --------------------------------------------------------------------------


def test_cli_writes_every_document_of_a_round(session: Session, runner, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    from coop.cli import coop_cli

    w = make_settled_round(session, members=3)
    session.commit()
    result = runner.invoke(coop_cli, ["documents", str(w.rnd.id), "--out", str(tmp_path)])
    assert result.exit_code == 0, result.output
    names = sorted(p.name for p in tmp_path.iterdir())
    year = services.local_today().year
    assert names == sorted([f"INV-{year}-000{n}.pdf" for n in (1, 2, 3)]
                           + [f"PO-{year}-0001.pdf", f"DR-{year}-0001.pdf",  # delivered
                              f"distribution-round-{w.rnd.id}.pdf"])
    # run again: the same numbered documents, byte for byte
    first = (tmp_path / f"INV-{year}-0001.pdf").read_bytes()
    again = runner.invoke(coop_cli, ["documents", str(w.rnd.id), "--out", str(tmp_path)])
    assert again.exit_code == 0 and (tmp_path / f"INV-{year}-0001.pdf").read_bytes() == first
    missing = runner.invoke(coop_cli, ["documents", "999999", "--out", str(tmp_path)])
    assert missing.exit_code != 0


# --------------------------------------------------------------------------
# Russian, Kyrgyz and Tajik are complete
# --------------------------------------------------------------------------




def test_an_invoice_names_an_earlier_debt_beside_what_is_due_on_it(session: Session) -> None:
    """Found on the walk: "Balance due" counted her payments and credit against
    this invoice but left an older debt out, unsaid. The older debt and the
    whole sum now print below it. (Older: charged before the round; one
    charged after it is not this invoice's: test_a_later_charge_is_not_owed...)"""
    w = _five_product_round(session, old_debts={0: 12345})
    member = w.members[0]
    share_total = _share_total(session, w.rnd, member)
    balance = ledger.member_balance(session, member)
    _paid, due = domain.amount_due(share_total, balance)
    invoice = services.issue_invoices(session, w.rnd, None, membership_ids=[member.id])[member.id]
    session.commit()
    text = pdf_text(invoice.content)
    assert (due, -balance - due) == (share_total, 12345), (balance, due)
    with force_locale("ru"):
        has(text, "К оплате", fmt_money(due, "KGS"), "Прежний долг (не по этому счёту)",
            fmt_money(-balance - due, "KGS"), "Всего к оплате с прежним долгом",
            fmt_money(-balance, "KGS"))


# --------------------------------------------------------------------------
# Found on a new user's walk: the distribution sheet had no money, and an
# invoice of a few products left its signatures alone on a second sheet
# --------------------------------------------------------------------------


def _five_product_round(session: Session, old_debts: dict[int, int] | None = None
                        ):  # type: ignore[no-untyped-def]
    """A settled round of five products and two shared costs, in a group with
    a levy and cash rounding (as the demo's): Асель, Нурила and Гүлнара;
    `old_debts` {member's index: amount} charged to them before it is settled."""
    from types import SimpleNamespace

    from tests.factories import make_catalog, make_group, make_member, make_product

    group = make_group(session, "Светлая Поляна — группа солидарных производителей",
                       levy_basis_points=200, cash_rounding=100)
    treasurer = make_member(session, group, "Майрам", role="treasurer")
    people = [make_member(session, group, name) for name in ("Асель", "Нурила", "Гүлнара")]
    products = make_catalog(session, group)
    supplier = products[0].supplier
    products += [make_product(session, supplier, "Семена моркови «Нантская»", "пакет", "20",
                              "1", "0 = 31,20", weight_kg="0,01", retail_price="45"),
                 make_product(session, supplier, "Тяпка садовая", "шт", "10", "1", "0 = 390",
                              weight_kg="0,8", retail_price="480")]
    rnd = orders.create_round(session, group, treasurer.user, title="Весна", deadline=None,
                              product_ids=[p.id for p in products],
                              delivery_place="Дом культуры")
    orders.move_round(session, rnd, treasurer.user, "open")
    seed, fabric, npk, carrot, hoe = rnd.items
    for i, member in enumerate(people):
        orders.save_order(session, rnd, member, {
            seed.id: ((10 + i) * 1000, 15000), fabric.id: ((3 + i) * 1000 + 500, 1000),
            npk.id: ((20 + 5 * i) * 1000, 10000), carrot.id: ((5 + i) * 1000, 5000),
            hoe.id: ((2 + i % 2) * 1000, 2000)}, treasurer.user, as_treasurer=True)
    orders.add_shared_cost(session, rnd, name="Грузовик", amount=150000, rule="weight")
    orders.add_shared_cost(session, rnd, name="Маршрутка до Каракола", amount=60000,
                           rule="equal")
    orders.move_round(session, rnd, treasurer.user, "closed")
    orders.award_at_list_prices(session, rnd, treasurer.user)
    arrived = {item.id: (fill.packs * fill.pack_size, 2000 if item is npk and fill.packs else 0)
               for item, fill in orders.pack_fills(session, rnd)}
    orders.record_delivery(session, rnd, arrived, actor=treasurer.user)
    orders.confirm_delivery(session, rnd, treasurer.user)
    for index, amount in (old_debts or {}).items():
        ledger.adjust_member(session, people[index], amount=amount, reason="старый долг",
                             actor=treasurer.user)
    orders.settle_round(session, rnd, treasurer.user)
    session.flush()
    return SimpleNamespace(group=group, treasurer=treasurer, members=people, rnd=rnd)


def _share_total(session: Session, rnd: Round, member: Membership) -> int:
    figures = split_cache.member_share(session, rnd, member.id)  # as her share page
    assert figures is not None
    with force_locale("ru"):
        return explain.member_share(figures, rnd.group.currency).total


def _charged_in_the_books(session: Session, rnd: Round) -> int:
    """What the ledger charged the members for the round (charge, levy, rounding)."""
    from coop.ledger.models import Account, Posting

    member_accounts = select(Account.id).where(Account.group_id == rnd.group_id,
                                               Account.kind == "member")
    kinds = ("charge", "levy", "rounding")

    def side(column):  # type: ignore[no-untyped-def]
        return session.scalar(select(func.coalesce(func.sum(Posting.amount), 0)).where(
            Posting.round_id == rnd.id, Posting.kind.in_(kinds), column.in_(member_accounts)))

    return side(Posting.debit_account_id) - side(Posting.credit_account_id)


def test_the_distribution_sheet_says_what_each_member_still_owes(session: Session) -> None:
    """On handing-out day the treasurer could not see that Асель still owes
    1 105,00: the sheet had goods and no money. Each member's block now has her
    share, what she paid and what she is to pay (ticked when she pays), as of
    the day printed; the table of them adds up to what the round charged."""
    w = _five_product_round(session, old_debts={2: 40000})
    asel, nurila, gulnara = w.members
    cur = w.group.currency
    asel_total = _share_total(session, w.rnd, asel)
    ledger.record_payment(session, asel, amount=asel_total - 110500, method="cash",
                          reference="", idempotency_key="asel-payment-0001", actor=w.treasurer.user)
    ledger.record_payment(session, nurila, amount=_share_total(session, w.rnd, nurila),
                          method="cash", reference="", idempotency_key="nurila-payment-0001",
                          actor=w.treasurer.user)
    session.commit()
    data = services.distribution_data(session, w.rnd)
    text = pdf_text(builders.build_distribution_sheet(data))
    today = services.local_today()
    with force_locale("ru"):
        on = fmt_date(today)
        has(text, f"Суммы — на {on}, день печати ведомости")
        dues = {}
        for member in w.members:
            total = _share_total(session, w.rnd, member)
            balance = ledger.member_balance(session, member)
            paid, due = domain.amount_due(total, balance)  # as her invoice
            invoice = pdf_text(services.issue_invoice(session, w.rnd, member, None).content)
            has(invoice, f"К оплате {fmt_money(due, cur)}")  # the same figure
            her_line = (f"К оплате на {on} (её доля {fmt_money(total, cur)}, оплачено "
                        f"{fmt_money(paid, cur)}) {fmt_money(due, cur)}" if due else
                        f"К оплате на {on} — ничего: её доля {fmt_money(total, cur)} "
                        f"оплачена {fmt_money(0, cur)}")
            has(text, her_line,
                f"{member.user.name} {fmt_money(total, cur)} {fmt_money(paid, cur)} "
                f"{fmt_money(due, cur)}")  # her line of the money table
            dues[member.id] = due
        assert dues[asel.id] == 110500 and dues[nurila.id] == 0
        has(text, f"К оплате на {on} (её доля", "1 105,00",
            "Прежний долг (не по этой закупке) 400,00",
            f"Всего к оплате с прежним долгом {fmt_money(dues[gulnara.id] + 40000, cur)}")
        charged = _charged_in_the_books(session, w.rnd)
        assert data.shares_total == data.members_total == charged
        has(text, "Деньги по участницам",
            f"Итого {fmt_money(charged, cur)} "
            f"{fmt_money(sum(m.paid for m in data.members), cur)} "
            f"{fmt_money(sum(dues.values()), cur)}",
            f"Начислено участницам по этой закупке: {fmt_money(charged, cur)}")


def test_a_later_charge_is_not_owed_on_this_round_s_papers(session: Session) -> None:
    """Found in review: her payments go to her oldest debts first, so a charge
    posted after the round (a later round, a fine) is what she still owes of
    it, not this round. Асель paid this round in full, then 600,00 was charged
    to her: this round's sheet and an invoice issued now say she owes nothing
    on it; Нурила paid nothing: she owes her share on it, not her share and
    the later 600,00."""
    w = _five_product_round(session)
    asel, nurila, _gulnara = w.members
    cur = w.group.currency
    ledger.record_payment(session, asel, amount=_share_total(session, w.rnd, asel),
                          method="cash", reference="", idempotency_key="asel-payment-0002",
                          actor=w.treasurer.user)
    for member in (asel, nurila):
        ledger.adjust_member(session, member, amount=60000, reason="следующая закупка",
                             actor=w.treasurer.user)
    session.commit()
    assert ledger.member_balance(session, asel) == -60000
    data = services.distribution_data(session, w.rnd)
    by_name = {m.name: m for m in data.members}
    nurila_total = _share_total(session, w.rnd, nurila)
    mine, hers = by_name[asel.user.name], by_name[nurila.user.name]
    assert (mine.due, mine.earlier) == (0, 0)
    assert (hers.paid, hers.due, hers.earlier) == (0, nurila_total, 0)
    text = pdf_text(builders.build_distribution_sheet(data))
    with force_locale("ru"):
        assert "Прежний долг" not in text, text
        for member, due in ((asel, 0), (nurila, nurila_total)):
            invoice = pdf_text(services.issue_invoice(session, w.rnd, member, None).content)
            has(invoice, f"К оплате {fmt_money(due, cur)}")
            assert "Прежний долг" not in invoice, invoice


def test_a_credit_counts_on_this_round_s_papers_as_it_stands(session: Session) -> None:
    """Found in a walk: her invoice said «Счёт: 11 809,72 сом в пользу
    участницы» where the books said 4 358,20: the later debits left out of a
    debt were also added to a credit (cash handed to her, a later charge), a
    credit she never had. Асель paid this round and 1 000,00 more, then was
    charged 600,00: her papers show her credit as the books do, 400,00, and
    nothing due; Нурила paid nothing and was handed 1 000,00 after: she owes
    her share on this round, no more."""
    w = _five_product_round(session)
    asel, nurila, _gulnara = w.members
    cur = w.group.currency
    asel_total = _share_total(session, w.rnd, asel)
    ledger.record_payment(session, asel, amount=asel_total + 100000, method="cash",
                          reference="", idempotency_key="asel-payment-0003",
                          actor=w.treasurer.user)
    ledger.adjust_member(session, asel, amount=60000, reason="следующая закупка",
                         actor=w.treasurer.user)
    ledger.adjust_member(session, nurila, amount=100000, reason="выдано наличными",
                         actor=w.treasurer.user)
    session.commit()
    assert ledger.member_balance(session, asel) == 40000
    balances = services.balances_for_round(session, w.rnd)
    nurila_total = _share_total(session, w.rnd, nurila)
    assert balances[asel.id] == 40000
    assert balances[nurila.id] == -nurila_total
    data = services.distribution_data(session, w.rnd)
    by_name = {m.name: m for m in data.members}
    assert (by_name[asel.user.name].due, by_name[asel.user.name].earlier) == (0, 0)
    assert (by_name[nurila.user.name].due, by_name[nurila.user.name].earlier) == (
        nurila_total, 0)
    with force_locale("ru"):
        invoice = pdf_text(services.issue_invoice(session, w.rnd, asel, None).content)
        has(invoice, f"{fmt_money(40000, cur)} в пользу участницы")
        assert fmt_money(40000 + 60000, cur) not in invoice, invoice


def test_a_reversal_is_no_later_charge_on_this_round_s_papers(session: Session) -> None:
    """Found in review: a payment recorded for Асель by mistake and reversed
    after the round was settled is a debit on her account after the round's
    charges: it was left out as a "later charge", and her papers said she
    owed nothing while the books said she owed her share. And Нурила's later
    charge, reversed, is no charge either."""
    w = _five_product_round(session)
    asel, nurila, _gulnara = w.members
    cur = w.group.currency
    asel_total = _share_total(session, w.rnd, asel)
    nurila_total = _share_total(session, w.rnd, nurila)
    payment, _new = ledger.record_payment(session, asel, amount=asel_total, method="cash",
                                          reference="", idempotency_key="asel-mistake-0001",
                                          actor=w.treasurer.user)
    ledger.reverse_posting(session, w.group, payment.posting_id, reason="не её платёж",
                           actor=w.treasurer.user)
    later = ledger.adjust_member(session, nurila, amount=60000, reason="ошибка",
                                 actor=w.treasurer.user)
    ledger.reverse_posting(session, w.group, later.id, reason="не было", actor=w.treasurer.user)
    session.commit()
    assert ledger.member_balance(session, asel) == -asel_total
    assert ledger.member_balance(session, nurila) == -nurila_total
    balances = services.balances_for_round(session, w.rnd)
    assert (balances[asel.id], balances[nurila.id]) == (-asel_total, -nurila_total)
    by_name = {m.name: m for m in services.distribution_data(session, w.rnd).members}
    assert by_name[asel.user.name].due == asel_total
    assert by_name[nurila.user.name].due == nurila_total
    with force_locale("ru"):
        invoice = pdf_text(services.issue_invoice(session, w.rnd, asel, None).content)
        has(invoice, f"К оплате {fmt_money(asel_total, cur)}")


def test_the_distribution_sheet_of_a_round_not_settled_counts_the_share_to_come(
        demo: Session) -> None:
    """Before settlement her account does not count the round yet: what she is
    to pay is her share as settling will charge it, less what she has in credit."""
    rnd = _round(demo, "awarded", "TJS")
    data = services.distribution_data(demo, rnd)
    assert data.money and not data.settled
    split = orders.compute_split(demo, rnd)
    balances = services.member_balances(demo, rnd.group)
    by_name = {m.name: m for m in data.members}
    for index, member in enumerate(split.outcome.scenario.members):
        total = split.outcome.members[index].total
        sheet = by_name[member.name]
        assert (sheet.total, (sheet.paid, sheet.due)) == (
            total, domain.amount_due(total, balances.get(int(member.id), 0) - total))
    assert data.shares_total == data.members_total
    text = pdf_text(builders.build_distribution_sheet(data))
    with force_locale(data.stamp.locale):
        has(text, gettext("To be charged to members for this round: %(amount)s",
                          amount=fmt_money(data.members_total, "TJS")))


def test_an_invoice_of_five_products_and_shared_costs_takes_one_sheet(session: Session
                                                                      ) -> None:
    """Its signatures («Казначей / Получила») went alone onto a second page;
    and the demo's invoices stay on one page."""
    # an older debt: two more lines in the settlement box
    w = _five_product_round(session, old_debts={1: 110500})
    for member in w.members:
        invoice = services.issue_invoice(session, w.rnd, member, None)
        assert invoice is not None
        assert page_count(invoice.content) == 1, member.user.name
        has(pdf_text(invoice.content), "Казначей", "Получила (участница)", "К оплате")


def test_demo_invoices_take_one_sheet(demo: Session) -> None:
    rnd = _round(demo, "settled")
    for invoice in services.issue_invoices(demo, rnd, None).values():
        assert page_count(invoice.content) == 1, invoice.number


def test_a_long_invoice_keeps_its_signatures_with_the_settlement(demo: Session) -> None:
    """A longer invoice runs onto more pages; its signatures go with the
    settlement box, never alone on a page (they were, at 6, 7, 22 and 23 lines)."""
    rnd = _round(demo, "settled")
    split = orders.compute_split(demo, rnd)
    member_id = int(split.result["members"][0]["id"])
    member = demo.get(Membership, member_id)
    assert member is not None
    balance = ledger.member_balance(demo, member)
    with force_locale("ru"):
        share = explain.member_share(split_cache.member_share(demo, rnd, member_id), "KGS")
        paid, due = domain.amount_due(share.total, balance)
        to_pay = f"К оплате {fmt_money(due, 'KGS')}"
    pages_seen = set()
    for count in range(4, 25):
        content = builders.build_invoice(domain.InvoiceData(
            group=services.group_info(demo, rnd.group),
            stamp=domain.Stamp("INV-2026-0099", services.local_today(), "ru"),
            round_title=rnd.title, settled_on=None, member_name=member.user.name,
            member_phone="", share=dataclasses.replace(share, lines=(share.lines * 25)[:count]),
            balance=balance, paid=paid, due=due))
        pages = [flat(page.extract_text()) for page in PdfReader(io.BytesIO(content)).pages]
        pages_seen.add(len(pages))
        signed = [i for i, page in enumerate(pages) if "Получила (участница)" in page]
        assert signed == [len(pages) - 1], (count, signed)
        has(pages[-1], "Итого по счёту", to_pay, "Казначей")
    assert pages_seen == {1, 2, 3}
