"""A savings cycle in the browser, as a treasurer keeps it: spec/savings.md
§10 (example 01) set up and entered through the pages, meeting by meeting,
in Russian, each closed with the key-holders' count; then the share-out.
The same figures on the share-out page, in the issued share-out sheet (PDF),
in the members' passbooks and in the books. A close sent again through Back
changes nothing; confirming the share-out asks first, showing what it
confirms, and its "yes" sent again does nothing twice."""

from __future__ import annotations

import io
import re
from urllib.parse import urlencode

from pypdf import PdfReader
from sqlalchemy import select

from coop.extensions import db
from coop.ledger.checks import check_books
from coop.savings import services as savings
from coop.savings.models import SavingsCycle, ShareOut
from tests.browser.conftest import go_back, screenshot
from tests.factories import PASSWORD, make_group, make_member

NAMES = ("Айгүл", "Бермет", "Чолпон", "Динара", "Элмира")
SHARES = ((5, 4, 3, 5, 2), (5, 4, 3, 5, 0), (5, 4, 3, 3, 3), (5, 4, 3, 3, 3))
DATES = ("2026-03-05", "2026-04-05", "2026-05-05", "2026-06-05")


def _flat(text: str) -> str:
    return re.sub(r"\s+", " ", text.replace("\u00a0", " ").replace("\u202f", " "))


def _minor(text: str) -> int:
    digits = re.sub(r"[^\d,-]", "", text)
    whole, _, part = digits.partition(",")
    return int(whole or 0) * 100 + int((part + "00")[:2])


def test_example_01_through_the_pages_to_the_share_out_sheet(page, live_server, app_ctx) -> None:  # type: ignore[no-untyped-def]
    group = make_group(db.session)
    treasurer = make_member(db.session, group, "Гүлнара", role="treasurer", locale="ru")
    women = [make_member(db.session, group, name, login=False) for name in NAMES]
    db.session.commit()
    t = page
    t.goto(f"{live_server}/login")
    t.fill("input[name=login]", treasurer.user.email)
    t.fill("input[name=password]", PASSWORD)
    t.click("main form button[type=submit]")
    base = f"{live_server}/groups/{group.id}/savings"

    # -- the cycle: settings, members, key-holders, start ---------------------------------
    t.goto(f"{base}/new")
    t.fill("input[name=start_date]", "2026-03-05")
    t.fill("input[name=share_out_date]", "2026-06-05")
    t.fill("input[name=share_value]", "50")
    t.fill("input[name=social_contribution]", "10")
    t.fill("input[name=rate_percent]", "5")
    t.fill("input[name=fine_late]", "5")
    t.fill("input[name=fine_absent]", "20")
    t.fill("input[name=payout_unit]", "1")
    t.click("main form button[type=submit]")
    assert "Сберкнижка" in t.inner_text("main") or "Участницы" in t.inner_text("main")
    cycle_url = t.url
    for woman in women:
        t.select_option("select[name=membership]", str(woman.id))
        t.click("form:has(select[name=membership]) button[type=submit]")
    for field, woman in zip(("first", "second", "third"), (women[1], women[2], women[4]),
                            strict=True):
        t.select_option(f"select[name={field}]", str(woman.id))
    t.click("form:has(select[name=third]) button[type=submit]")
    t.click("form[action$='/activate'] button")
    assert "идёт" in t.inner_text("main") or "выполняется" in t.inner_text("main") \
        or "activ" not in t.url
    screenshot(t, "savings-01-cycle")
    cycle = db.session.scalar(select(SavingsCycle).where(SavingsCycle.group_id == group.id))
    assert cycle is not None and cycle.state == "active"
    members = savings.cycle_members(db.session, cycle)
    mid = {name: members[i].id for i, name in enumerate(NAMES)}
    keys = [str(h.id) for h in cycle.key_holders][:2]

    # -- the four meetings ------------------------------------------------------------------
    for k in range(4):
        t.goto(cycle_url)
        t.fill("input[name=date]", DATES[k])
        if k == 3:
            t.select_option("select[name=kind]", "share_out")
        t.click("form[action$='/meetings'] button[type=submit]")
        # the meeting's page, once it is shown (a loaded machine shows it late)
        t.wait_for_selector("form[action*='/register']")
        meeting_url = t.url.split("#")[0]
        absent = {"Элмира"} if k == 1 else set()
        repay = {1: {"Айгүл": "401,50"}, 2: {"Айгүл": "401,50", "Динара": "300"},
                 3: {"Динара": "816,50", "Чолпон": "150"}}.get(k, {})
        for j, name in enumerate(NAMES):
            i = mid[name]
            t.select_option(f"select[name=status_{i}]", "absent" if name in absent else "present")
            t.fill(f"input[name=shares_{i}]", str(SHARES[k][j]))
            if name not in absent:
                t.check(f"input[name=social_{i}]")
            else:  # an absent member pays nothing into the social fund
                t.uncheck(f"input[name=social_{i}]")
            t.fill(f"input[name=repayment_{i}]", repay.get(name, ""))
        t.click("form[action*='/register'] button[type=submit]")
        assert "Ошибка" not in t.inner_text("main"), t.inner_text("main")[:800]

        def entry(summary: str, action: str, fields: dict[str, str]) -> None:
            t.click(f"summary:has-text('{summary}')")
            form = t.locator(f"form[action*='{action}']")
            for name, value in fields.items():
                if name in ("member", "fine_type"):
                    form.locator(f"select[name={name}]").select_option(value)
                elif name == "paid":
                    form.locator("input[name=paid]").check()
                else:
                    form.locator(f"input[name={name}]").fill(value)
            form.locator("button[type=submit]").click()
            assert not t.locator("p.error.banner").count(), t.inner_text("main")[:800]

        types = {ft.code: str(ft.id) for ft in cycle.fine_types}
        if k == 0:
            entry("Заём", "/loans", {"member": str(mid["Айгүл"]), "principal": "730",
                                     "months": "2", "purpose": "семена"})
        if k == 1:
            entry("Назначить штраф", "/fines", {"member": str(mid["Элмира"]),
                                                "fine_type": types["absent"]})
            entry("Заём", "/loans", {"member": str(mid["Динара"]), "principal": "1015",
                                     "months": "2", "purpose": "овца"})
        if k == 2:
            entry("Штраф уплачен или прощён", "/fines/pay", {"member": str(mid["Элмира"]),
                                                  "fine_type": types["absent"]})
            entry("Назначить штраф", "/fines", {"member": str(mid["Бермет"]),
                                                "fine_type": types["late"], "paid": "y"})
            entry("Помощь из социального фонда", "/grants", {
                "member": str(mid["Чолпон"]), "amount": "60", "reason": "болезнь"})
            entry("Заём", "/loans", {"member": str(mid["Чолпон"]), "principal": "200",
                                     "months": "1", "purpose": ""})
        if k == 3:  # the preview the treasurer is sent to is what she will confirm
            t.set_viewport_size({"width": 360, "height": 780})
            t.click("a:has-text('Посмотреть распределение перед подтверждением')")
            preview = _flat(t.inner_text("main"))
            screenshot(t, "savings-05b-share-out-preview")
            assert "отклонено" not in preview and "808,19" not in preview, preview[:1500]
            for figure in ("1 058,19", "846,56", "634,92", "846,55", "423,28", "3 809,50",
                           "52,91", "574,00", "132,50"):
                assert figure in preview, (figure, preview[:2000])
            draft = t.request.get(f"{base}/{cycle.id}/share-out.pdf")
            assert draft.status == 200, draft.status
            text = _flat(" ".join(p.extract_text() for p in PdfReader(
                io.BytesIO(draft.body())).pages))
            for figure in ("ЧЕРНОВИК", "1 058,19", "846,55", "574,00", "3 747,00", "132,50"):
                assert figure in text, (figure, text[:2000])
            assert "SGS-" not in text
            t.goto(meeting_url)
            t.set_viewport_size({"width": 390, "height": 844})
        # the count: what the box holds, as the page expects it
        cells = t.locator("#cash ~ .table-wrap table tbody tr")
        expected_loan = cells.nth(0).locator("td").nth(2).inner_text()
        expected_social = cells.nth(1).locator("td").nth(2).inner_text()
        t.fill("input[name=closing_loan]", _flat(expected_loan).replace(" ", "").rstrip("сом"))
        t.fill("input[name=closing_social]",
               _flat(expected_social).replace(" ", "").rstrip("сом"))
        for key in keys:
            t.check(f"input[name=key_holders][value='{key}']")
        screenshot(t, f"savings-0{k + 2}-meeting-{k + 1}")
        t.click("form[action*='/close?'] button[type=submit]")
        if k == 3:  # the share-out closes the cycle: it asks first, with what it confirms
            asked = _flat(t.inner_text("main"))
            screenshot(t, "savings-05c-share-out-question")
            assert db.session.scalar(select(ShareOut).where(ShareOut.cycle_id == cycle.id)) \
                is None
            for words in ("Подтвердить распределение цикла", "3 809,50", "3 747,00", "2,50",
                          "60,00", "Назад"):
                assert words in asked, (words, asked[:2000])
            assert t.locator("main a[href$='/share-out']").count()
            yes = t.locator("form.confirm-form")
            action = yes.get_attribute("action")
            sent = [(i.get_attribute("name"), i.get_attribute("value"))
                    for i in yes.locator("input[type=hidden]").all()]
            t.click("form.confirm-form button[type=submit]:has-text('Да, подтвердить')")
            assert "Распределение подтверждено" in t.inner_text("main"), \
                t.inner_text("main")[:1500]
            # Back to the question and "yes" again (Chromium asks to send the form
            # again: this is what it sends): nothing is done twice, and it says so
            again = t.request.post(f"{live_server}{action}", data=urlencode(sent),
                                   headers={"Content-Type": "application/x-www-form-urlencoded"},
                                   max_redirects=0)
            assert again.status == 303, again.status
            t.goto(meeting_url)
            assert "уже подтверждено" in _flat(t.inner_text("main")), \
                t.inner_text("main")[:1500]
            db.session.expire_all()
            assert len(db.session.scalars(select(ShareOut).where(
                ShareOut.cycle_id == cycle.id)).all()) == 1
        else:
            assert "закрыто" in t.inner_text("main"), t.inner_text("main")[:1500]
        if k == 0:  # Back to the filled form, and "close" again: nothing changes
            go_back(t)
            if t.locator("form[action*='/close?']").count():
                t.click("form[action*='/close?'] button[type=submit]")
            assert "изменилось" in _flat(t.inner_text("main")) or \
                "закрыто" in t.inner_text("main")
            t.goto(meeting_url)
        closing_loan = _minor(expected_loan)
        assert closing_loan == [22000, 45650, 188300, 374950][k], (k, expected_loan)

    # -- the share-out: page, issued sheet, passbooks, books --------------------------------
    t.goto(f"{base}/{cycle.id}/share-out")
    sheet_page = _flat(t.inner_text("main"))
    screenshot(t, "savings-06-share-out")
    for figure in ("1 058,00", "846,00", "574,00", "423,00", "3 809,50", "132,50"):
        assert figure in sheet_page, (figure, sheet_page[:2000])
    assert "Бермет" in sheet_page and "Динара" in sheet_page and "больше" in sheet_page
    response = t.request.get(f"{base}/{cycle.id}/share-out.pdf")
    assert response.status == 200
    pdf = _flat(" ".join(p.extract_text() for p in PdfReader(io.BytesIO(response.body())).pages))
    for figure in ("1 058", "846", "574", "423", "3 809,50", "132,50", "SGS-"):
        assert figure in pdf, (figure, pdf[:2000])
    for name in NAMES:
        assert name in pdf
    db.session.expire_all()
    share_out = db.session.scalar(select(ShareOut).where(ShareOut.cycle_id == cycle.id))
    assert share_out is not None
    assert [line.cash for line in share_out.lines] == [105800, 84600, 57400, 84600, 42300]
    t.set_viewport_size({"width": 360, "height": 780})
    t.goto(f"{base}/{cycle.id}/passbooks/{mid['Чолпон']}")
    passbook = _flat(t.inner_text("main"))
    screenshot(t, "savings-07-passbook-after-share-out")
    assert "600,00" in passbook  # her savings, 12 shares of 50,00
    # what happened, not "if we shared out today": her part, the loan set off, the cash
    assert "Если бы" not in passbook and "Должна по займу 60,00" not in passbook
    for figure in ("634,92", "60,00", "574,00", "0,92", "погашен"):
        assert figure in passbook, (figure, passbook[:2000])
    response = t.request.get(f"{base}/{cycle.id}/passbooks/{mid['Чолпон']}.pdf")
    book = _flat(" ".join(p.extract_text() for p in PdfReader(io.BytesIO(response.body())).pages))
    assert "Ваша доля при распределении 574,92" not in book
    for figure in ("634,92", "574,00", "0,92"):
        assert figure in book, (figure, book[:2000])
    # the finished cycle: its outcome, the loan fund handed out, the social fund carried
    t.goto(f"{base}/{cycle.id}")
    outcome = _flat(t.inner_text("main"))
    screenshot(t, "savings-08-cycle-after-share-out")
    assert "Если бы" not in outcome and "Выдано в долг" not in outcome
    for figure in ("3 809,50", "3 747,00", "2,50", "132,50", "52,91"):
        assert figure in outcome, (figure, outcome[:2000])
    # the share-out meeting: her loan set off, not overdue
    t.goto(meeting_url)
    record = _flat(t.inner_text("main"))
    screenshot(t, "savings-09-share-out-meeting")
    assert "просрочено 60,00" not in record and "зачтены" in record, record[:2000]
    balances = savings.savings_balances(db.session, cycle)
    assert balances["sg_box_loan"] == 0 and balances["sg_income"] == 0
    assert -balances["sg_box_social"] == balances["sg_social"] == 13250
    assert check_books(db.session, group.id) == []
