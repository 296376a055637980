"""The treasurer, in Russian on a desktop, awards a round with two suppliers:
the form starts from the cheapest award (a split), she confirms it, and the
comparison (page and PDF) keeps its figures; each supplier's purchase order
has only her products, with her own article codes."""

from __future__ import annotations

import io
import os
import re
from datetime import date
from pathlib import Path

from flask_babel import force_locale
from pypdf import PdfReader

from coop.extensions import db
from coop.i18n import fmt_money
from coop.quotes import domain
from coop.quotes import services as quotes
from tests.browser.conftest import go_back, screenshot
from tests.factories import PASSWORD, make_closed_round, make_quote

K, P = 1000, 1_000_000
TODAY = date.today()


def _line(pack: int, *tiers: tuple[int, int], code: str) -> domain.LineInput:
    return domain.LineInput(True, pack * K, tuple(domain.Tier(q * K, p * P) for q, p in tiers),
                            article_code=code)


def _round_with_two_offers():  # type: ignore[no-untyped-def]
    """Альфа: seed 40, fabric 25, NPK 75; fee 300. Бета: seed 44, no fabric,
    NPK 72 / from 100 kg 60; fee 400. Pooled: seed 50, fabric 30, NPK 100."""
    session = db.session
    w = make_closed_round(session)
    w.treasurer.user.locale = "ru"
    qa, _ta = make_quote(session, w, "Альфа")
    qb, _tb = make_quote(session, w, "Бета")
    quotes.submit_revision(session, qa, domain.OfferInput(lines={
        w.seed.id: _line(25, (0, 40), code="AL-S25"),
        w.fabric.id: _line(30, (0, 25), code="AL-F30"),
        w.npk.id: _line(50, (0, 75), code="AL-N50")}, delivery_fee=30000), today=TODAY)
    quotes.submit_revision(session, qb, domain.OfferInput(lines={
        w.seed.id: _line(25, (0, 44), code="BT-S25"),
        w.fabric.id: domain.LineInput(False),
        w.npk.id: _line(50, (0, 72), (100, 60), code="BT-N50")}, delivery_fee=40000),
        today=TODAY)
    session.commit()
    return w, qa, qb


def _keep(name: str, content: bytes) -> None:
    """Saved when COOP_SCREENSHOTS names a folder, to look at the PDFs."""
    folder = os.environ.get("COOP_SCREENSHOTS")
    if folder:
        Path(folder).mkdir(parents=True, exist_ok=True)
        (Path(folder) / f"{name}.pdf").write_bytes(content)


def _pdf_text(page, url: str) -> str:  # type: ignore[no-untyped-def]
    response = page.request.get(url)
    assert response.status == 200 and response.headers["content-type"] == "application/pdf"
    reader = PdfReader(io.BytesIO(response.body()))
    return " ".join((p.extract_text() or "") for p in reader.pages)


def _flat(text: str) -> str:
    return re.sub(r"\s+", " ", text.replace("\u202f", " ").replace("\xa0", " "))


def _totals(page) -> list[str]:  # type: ignore[no-untyped-def]
    """The members' totals row of the comparison, as printed."""
    return [_flat(t) for t in page.locator("table.members-by-quote tfoot th").all_inner_texts()]


def test_cheapest_award_chosen_confirmed_and_printed(browser, live_server) -> None:  # type: ignore[no-untyped-def]
    w, qa, qb = _round_with_two_offers()
    base = f"{live_server}/groups/{w.group.id}/rounds/{w.rnd.id}"
    context = browser.new_context(locale="ru-RU", viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.set_default_timeout(15000)
    page.goto(f"{live_server}/login")
    page.fill("input[name=login]", w.treasurer.user.email)
    page.fill("input[name=password]", PASSWORD)
    page.click("form.narrow button[type=submit]")

    page.goto(f"{base}/quotes/compare")
    summary = _flat(page.inner_text(".award-summary"))
    with force_locale("ru"):
        cheapest, single, saving = (fmt_money(m, "KGS") for m in (945_000, 1_055_000,
                                                                   110_000))
    # A: seed 2000 + fabric 750; B: NPK 100 × 60 = 6000; fees 300 + 400
    assert "Альфа" in summary and "Бета" in summary and _flat(cheapest) in summary
    assert _flat(saving) in summary and _flat(single) in summary
    # the form starts from that award: NPK to Бета, the rest to Альфа
    assert page.input_value(f"select[name=item_{w.npk.id}]") == str(qb.id)
    assert page.input_value(f"select[name=item_{w.seed.id}]") == str(qa.id)
    assert page.input_value(f"select[name=item_{w.fabric.id}]") == str(qa.id)
    before = _totals(page)
    members_total = _flat(page.inner_text("table.members-by-quote .members-total-cheapest"))
    pdf_before = _flat(_pdf_text(page, f"{base}/quotes/comparison.pdf"))
    assert _flat(cheapest) in pdf_before and _flat(saving) in pdf_before
    assert members_total in pdf_before
    screenshot(page, "award-compare-ru")

    # the main button asks first, in figures, and changes nothing yet
    page.click("form.award-form button[name=split]")
    assert "/quotes/award?" in page.url
    confirm = _flat(page.inner_text("main"))
    with force_locale("ru"):
        assert _flat(fmt_money(305_000, "KGS")) in confirm  # Альфа: 2750 + 300
        assert _flat(fmt_money(640_000, "KGS")) in confirm  # Бета: 6000 + 400
    assert members_total in confirm
    screenshot(page, "award-confirm-ru")
    page.click("form:has(input[name=confirm]) button[type=submit]")
    assert "/quotes" not in page.url  # the round page
    round_text = page.inner_text("main")
    assert "Альфа" in round_text and "Бета" in round_text

    # Back and the same confirmation sent again: nothing is awarded twice
    go_back(page)
    if page.locator("form:has(input[name=confirm])").count():  # the page as it was
        page.click("form:has(input[name=confirm]) button[type=submit]")
    assert "/quotes" not in page.url and page.locator(".flash").count() >= 1
    db.session.expire_all()
    from sqlalchemy import func, select

    from coop.orders.models import SharedCost
    assert db.session.scalar(select(func.count()).select_from(SharedCost).where(
        SharedCost.round_id == w.rnd.id)) == 2

    # the comparison keeps its figures after the award, on the page and in the PDF
    page.goto(f"{base}/quotes/compare")
    after = _totals(page)
    assert after[:len(before)] == before
    assert _flat(page.inner_text("table.members-by-quote .members-total-awarded")) == \
        members_total
    pdf_after = _flat(_pdf_text(page, f"{base}/quotes/comparison.pdf"))
    for figure in (cheapest, saving, single):
        assert _flat(figure) in pdf_after
    assert pdf_after.count(members_total) == pdf_before.count(members_total) + 1  # as awarded

    # each supplier's purchase order: only her products, her codes
    po_a = _flat(_pdf_text(page, f"{base}/purchase-orders/{qa.supplier_id}.pdf"))
    po_b = _flat(_pdf_text(page, f"{base}/purchase-orders/{qb.supplier_id}.pdf"))
    assert "AL-S25" in po_a and "AL-F30" in po_a and "NPK" not in po_a
    assert "AL-N50" not in po_a and "BT-" not in po_a
    assert "BT-N50" in po_b and "NPK" in po_b and "Семена" not in po_b and "Ткань" not in po_b
    assert "AL-" not in po_b and "A2" not in po_b
    with force_locale("ru"):
        assert _flat(fmt_money(305_000, "KGS")) in po_a
        assert _flat(fmt_money(640_000, "KGS")) in po_b
    for url, name in ((f"purchase-orders/{qa.supplier_id}.pdf", "award-po-a"),
                      (f"purchase-orders/{qb.supplier_id}.pdf", "award-po-b"),
                      ("quotes/comparison.pdf", "award-comparison")):
        _keep(name, page.request.get(f"{base}/{url}").body())
    # shared costs can be scoped to either awarded supplier
    page.goto(base)
    scope = page.locator("select[name=supplier] option").all_inner_texts()
    assert any("Альфа" in o for o in scope) and any("Бета" in o for o in scope)
    context.close()
