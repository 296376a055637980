"""The group's motoblock, as the treasurer uses it on her phone (390 px, no
JavaScript needed): Айгүл has kept it past her turn, and the list and its page
say so (its state is hers, overdue, never "available"; the next member's turn
says it has not come back, and her booked days on the calendar that she
waits for it); the treasurer books
it for a member through the pages (a taken slot is refused), cannot hand it
over while Айгүл still has it (the page says so, and the overview lists the
turn not back), takes the overdue turn back (its booked day's fee, nothing
for lateness), cannot hand Чолпон's turn over days early across Нурила's
booking (named with her dates; once Нурила and then Гүлнара from the waiting
list put theirs off, she can), hands it over and takes it back before the booking began (the
whole booking is free: she books it for Айгүл, and the fee is for the
half-day she had it), records a repair the
fund cannot cover alone and sees it split among the owners by their shares;
then she prints the certified jam lot's labels (the declaration's number in
the PDF) and opens its public traceability page as a buyer would, signed out."""

from __future__ import annotations

import io
import re
from datetime import timedelta

from pypdf import PdfReader
from sqlalchemy import select

from coop.certificates.demo import NUMBER
from coop.demo import DEMO_PASSWORD, KG_GROUP
from coop.equipment import domain
from coop.equipment import services as equipment
from coop.equipment.demo import MOTOBLOCK
from coop.equipment.models import Asset
from coop.extensions import db
from coop.groups.models import Group, Membership
from coop.i18n import local_today
from coop.ledger import services as ledger
from coop.ledger.checks import check_books
from tests.browser.conftest import screenshot

MEMBER = "Чолпон Сыдыкова"
LATE = "Айгүл Токтогулова"
NEXT = "Нурила Асанова"  # the demo's booking for tomorrow


def _plain(text: str) -> str:
    return re.sub(r"[\u00a0\u202f ]+", " ", text)


def shown_day(iso: str) -> str:
    return f"{iso[8:10]}.{iso[5:7]}.{iso[:4]}"


def _fund(page) -> str:  # type: ignore[no-untyped-def]
    return _plain(page.inner_text("#fund"))


def test_motoblock_booked_handed_over_returned_repaired_and_a_certified_label(
        browser, live_server) -> None:  # type: ignore[no-untyped-def]
    group = db.session.scalar(select(Group).where(Group.name == KG_GROUP))
    asset = db.session.scalar(select(Asset).where(Asset.name == MOTOBLOCK))
    assert group is not None and asset is not None
    fund_before = equipment.fund_balance(db.session, asset)
    # Айгүл's turn three days ago, handed over and not brought back
    three_days_ago = local_today() - timedelta(days=3)
    late_member = next(m for m in group.memberships if m.user.name == LATE)
    assert isinstance(late_member, Membership)
    late = equipment.book(db.session, asset, late_member,
                          domain.slots(three_days_ago, False, three_days_ago, False),
                          actor=late_member.user, today=three_days_ago)
    equipment.hand_over(db.session, late, condition="исправен")
    db.session.commit()
    due = three_days_ago.strftime("%d.%m.%Y")
    overdue = f"Просрочено: {LATE} должна была вернуть {due}"
    day = (local_today() + timedelta(days=5)).isoformat()
    context = browser.new_context(locale="ru-RU", viewport={"width": 390, "height": 844},
                                  java_script_enabled=False)
    page = context.new_page()
    page.set_default_timeout(15000)
    try:
        page.goto(f"{live_server}/login")
        page.fill("input[name=login]", "mairam@coop.example")
        page.fill("input[name=password]", DEMO_PASSWORD)
        page.click("form.narrow button[type=submit]")
        # the overview tells the treasurer what has not come back, with a link to it
        not_back = page.locator("#overdue-equipment")
        assert (f"Просрочено: {MOTOBLOCK} — {LATE} должна была вернуть {due}"
                in _plain(not_back.inner_text()))
        assert not_back.locator(f"a[href$='/equipment/{asset.id}#booking-{late.id}']").count() == 1
        page.click("main nav.more >> text=Техника")  # from the overview
        assert overdue in _plain(page.inner_text("main"))  # the group's list
        # its state is who has it, overdue: never "available" while it is out
        state = _plain(page.locator("main tbody tr", has_text=MOTOBLOCK)
                       .locator("td[data-label='Состояние']").inner_text())
        assert f"выдана: {LATE}, до {due}" in state and "просрочена" in state
        assert "доступна" not in state
        page.click(f"text={MOTOBLOCK}")
        title = _plain(page.inner_text("h1"))
        assert f"выдана: {LATE}, до {due}" in title and "просрочена" in title
        assert "доступна" not in title
        assert _fund(page) == "0,00 сом"
        assert overdue in _plain(page.inner_text(".flash.overdue"))
        card = page.locator(f"#booking-{late.id}")
        assert f"Просрочено: должна была вернуть {due}" in _plain(card.inner_text())
        assert card.locator("a[href='tel:+996555100002']").count() == 1  # to phone her
        assert (f"Техника ещё не возвращена: {LATE} должна была вернуть её {due}." in
                _plain(page.locator(".booking", has_text=NEXT).inner_text()))
        # the calendar does not show today as free: it is still out with her
        today_row = _plain(page.locator("#calendar ~ .table-wrap tbody tr").first.inner_text())
        assert f"Не возвращена, просрочено: {LATE}" in today_row and "свободно" not in today_row
        # Нурила's day tomorrow is not hers while it is out: she waits for it
        tomorrow_row = _plain(page.locator("#calendar ~ .table-wrap tbody tr").nth(1).inner_text())
        assert f"{NEXT} — ждёт: техника ещё не вернулась" in tomorrow_row
        page.set_viewport_size({"width": 360, "height": 800})
        screenshot(page, "equipment-overdue-360")
        page.set_viewport_size({"width": 390, "height": 844})

        form = page.locator("form[action$='/book']")
        form.locator("select[name=member]").select_option(label=MEMBER)
        form.locator("input[name=day_from]").fill(day)
        form.locator("input[name=day_to]").fill(day)
        sent = {name: form.locator(f"input[name={name}]").input_value()
                for name in ("csrf_token", "idempotency_key", "day_from", "day_to")}
        sent.update(member=form.locator("select[name=member]").input_value(),
                    part_from="morning", part_to="evening", note="")
        action = live_server + form.get_attribute("action")
        form.locator("button[type=submit]").first.click()
        assert "Бронь записана" in page.inner_text("main")
        assert MEMBER in page.inner_text("#calendar ~ .table-wrap")
        screenshot(page, "equipment-booked")
        # The same form sent again (a double click, Back and send): still one booking
        again = page.request.post(action, form=sent)
        assert again.ok and ("уже записано" in again.text()
                             or "already recorded" in again.text())
        page.reload()
        assert page.locator(".booking", has_text=MEMBER).count() == 1

        # Someone else wants the same day: refused, in Russian
        form = page.locator("form[action$='/book']")
        form.locator("select[name=member]").select_option(label="Айгүл Токтогулова")
        form.locator("input[name=day_from]").fill(day)
        form.locator("input[name=day_to]").fill(day)
        form.locator("button[type=submit]").first.click()
        assert "Это время уже занято" in page.inner_text("main")

        page.goto(f"{live_server}/groups/{group.id}/equipment/{asset.id}")
        # Айгүл still has it: handing it over to Чолпон is refused, naming her
        card = page.locator(".booking", has_text=MEMBER)
        card.locator("form[action$='/hand-over'] input[name$='-condition']").fill(
            "исправен, бак полный")
        with page.expect_response(lambda r: r.url.endswith("/hand-over")) as answer:
            card.locator("form[action$='/hand-over'] button").click()
        response = answer.value
        assert response.status == 422
        assert (f"Техника ещё у {LATE}: должна была вернуть {due}."
                in _plain(page.inner_text("[role=alert]")))
        assert page.locator("#calendar").count() == 1  # the asset's page again
        card = page.locator(".booking", has_text=MEMBER)
        assert "забронировано" in card.inner_text() and "Выдано:" not in card.inner_text()
        screenshot(page, "equipment-hand-over-refused")

        # Айгүл brings hers back: her booked day's fee, nothing for lateness
        card = page.locator(f"#booking-{late.id}")
        card.locator("form[action$='/return'] input[name$='-condition']").fill("исправен")
        card.locator("form[action$='/return'] button").click()
        main = _plain(page.inner_text("main"))
        assert f"Принято обратно: {LATE}; плата за пользование 300,00 сом" in main
        assert "Просрочено" not in main and "ещё не возвращена" not in main
        assert "Не возвращена" not in main
        assert _fund(page) == "300,00 сом"
        assert "выдана" not in page.inner_text("h1") and "доступна" in page.inner_text("h1")

        # Handed over today, Чолпон's turn in five days would keep it from Нурила,
        # booked tomorrow: refused, naming her and her dates, nothing written
        tomorrow, after = (local_today() + timedelta(days=n) for n in (1, 2))
        card = page.locator(".booking", has_text=MEMBER)
        card.locator("form[action$='/hand-over'] input[name$='-condition']").fill(
            "исправен, бак полный")
        with page.expect_response(lambda r: r.url.endswith("/hand-over")) as answer:
            card.locator("form[action$='/hand-over'] button").click()
        assert answer.value.status == 422
        assert (f"Сначала записана {NEXT}: {tomorrow:%d.%m.%Y} – {after:%d.%m.%Y} "
                "(до обеда). Выдать технику до начала брони можно, только если до неё "
                "никто не записан.") in _plain(page.inner_text("[role=alert]"))
        card = page.locator(".booking", has_text=MEMBER)
        assert "забронировано" in card.inner_text() and "Выдано:" not in card.inner_text()
        tomorrow_row = _plain(page.locator("#calendar ~ .table-wrap tbody tr").nth(1).inner_text())
        assert tomorrow_row.count(NEXT) == 2 and "ждёт" not in tomorrow_row
        page.set_viewport_size({"width": 360, "height": 800})
        screenshot(page, "equipment-early-hand-over-refused-360")
        page.set_viewport_size({"width": 390, "height": 844})
        # Нурила puts her planting off: her booking goes to the waiting list's
        # Гүлнара, who puts it off too; then nobody is booked before Чолпон
        page.goto(f"{live_server}/groups/{group.id}/equipment/{asset.id}")
        page.locator(".booking", has_text=NEXT).locator(
            "form[action$='/cancel'] button").click()
        assert "Забронировано из очереди для Гүлнара Осмонова" in page.inner_text("main")
        page.locator(".booking", has_text="Гүлнара Осмонова").locator(
            "form[action$='/cancel'] button").click()
        assert "Бронь отменена" in page.inner_text("main")

        card = page.locator(".booking", has_text=MEMBER)
        card.locator("form[action$='/hand-over'] input[name$='-condition']").fill(
            "исправен, бак полный")
        card.locator("form[action$='/hand-over'] button").click()
        assert f"Выдано: {MEMBER}" in page.inner_text("main")
        assert f"выдана: {MEMBER}, до {shown_day(day)}" in _plain(page.inner_text("h1"))
        card = page.locator(".booking", has_text=MEMBER)
        card.locator("form[action$='/return'] input[name$='-condition']").fill("исправен")
        card.locator("form[action$='/return'] button").click()
        # back before her day began, in the half-day it went out: she pays that
        # half-day (150 som), and all of her booked day is free for others
        main = _plain(page.inner_text("main"))
        shown = (local_today() + timedelta(days=5)).strftime("%d.%m.%Y")
        assert "плата за пользование 150,00 сом" in main
        assert (f"Возвращено до начала брони: её время, {shown}, свободно, его могут "
                "забронировать другие.") in main
        card = page.locator(".booking", has_text=MEMBER)
        assert f"бронь была на {shown}." in _plain(card.inner_text())
        form = page.locator("form[action$='/book']")
        form.locator("select[name=member]").select_option(label=LATE)
        form.locator("input[name=day_from]").fill(day)
        form.locator("input[name=day_to]").fill(day)
        form.locator("button[type=submit]").first.click()
        assert "Бронь записана" in page.inner_text("main")  # the whole day, morning too
        screenshot(page, "equipment-returned-early")
        fund_after_fee = fund_before + 45_000
        assert _fund(page) == "450,00 сом"

        # A repair of 1 450 som: the fund pays its 450, the four owners share 1 000
        form = page.locator("form[action$='/repairs']")
        form.locator("input[name=cost]").fill("1450")
        form.locator("input[name=description]").fill("замена сцепления")
        form.locator("select[name=mode]").select_option("fund")
        form.locator("button[type=submit]").click()
        assert "Ремонт на 1 450,00 сом записан" in _plain(page.inner_text("main"))
        assert _fund(page) == "0,00 сом"
        repairs = _plain(page.inner_text("#repairs"))
        assert "замена сцепления" in repairs
        for name, share in (("Айгүл Токтогулова", "302,32"), ("Майрам Дүйшөнбаева", "232,56"),
                            ("Нурила Асанова", "232,56"), ("Гүлнара Осмонова", "232,56")):
            assert f"{name}: {share} сом" in repairs, repairs
        screenshot(page, "equipment-repaired")
        page.click("text=Отчёт об использовании")
        # the demo's turn, Чолпон's half-day and Айгүл's day
        assert _plain(page.inner_text("#earned")) == "750,00 сом"
        # the same figures as a spreadsheet for the group's Russian Excel
        csv = page.request.get(live_server + page.locator("#report-csv").get_attribute("href"),
                               headers={"Accept-Language": "ru"})
        assert csv.ok and csv.headers["content-type"] == "text/csv; charset=utf-8"
        rows = [line.split(";") for line in csv.body().decode("utf-8-sig").splitlines()]
        totals = {row[0]: row[1] for row in rows if len(row) == 2}
        assert totals["Заработано платой за пользование"] == "750,00"
        assert totals["Потрачено на ремонт"] + " сом" == _plain(
            page.inner_text("#repairs-total")).replace(" ", "", 1)
        assert totals["Фонд обслуживания"] == "0,00"
        assert [row[3] for row in rows if row[0] == MEMBER] == ["150,00"]

        # The certified jam lot: its labels carry the declaration's number
        page.click("nav.tabs >> text=Продажи")
        page.click("text=Варенье из абрикосов")
        page.click("text=Этикетки")
        assert "На этикетках будут номер" in page.inner_text("#eligibility")
        label_url = page.locator("form[action$='/labels.pdf']").get_attribute("action")
        pdf = page.request.get(f"{live_server}{label_url}?grade=&size=small&count=21")
        assert pdf.status == 400  # no grade chosen: the page says so, no PDF
        grade = page.locator("select[name=grade] option").first.get_attribute("value")
        pdf = page.request.get(f"{live_server}{label_url}?grade={grade}&net=0,5"
                               f"&packed_on={local_today().isoformat()}"
                               f"&best_before={(local_today() + timedelta(days=365)).isoformat()}"
                               "&size=medium&count=8")
        assert pdf.status == 200 and pdf.headers["content-type"] == "application/pdf"
        text = _plain("".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf.body())).pages))
        assert NUMBER in text and "Светлая Поляна" in text and "Варенье из абрикосов" in text
        trace = page.locator("#trace-link").get_attribute("href")
    finally:
        context.close()

    # The buyer scans the QR code: no sign-in, no member's name
    buyer = browser.new_context(locale="ru-RU", viewport={"width": 390, "height": 844})
    try:
        public = buyer.new_page()
        public.goto(f"{live_server}{trace}")
        body = public.inner_text("main")
        assert "Варенье из абрикосов" in body and "Светлая Поляна" in body
        assert NUMBER in body
        assert MEMBER not in body and "Майрам Дукенбаева" not in body
        screenshot(public, "trace-page")
    finally:
        buyer.close()

    db.session.expire_all()
    assert equipment.fund_balance(db.session, asset) == fund_after_fee - 45_000
    assert check_books(db.session, group.id) == []
    books = ledger.books(db.session, group, list(group.memberships))
    assert books.total == 0

