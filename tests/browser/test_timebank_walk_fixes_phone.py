"""A long note without spaces (a pasted link, 300 characters), a long notice
and a long typed name on a 390 px phone, in Russian: no time-bank page
scrolls sideways, for the treasurer or for the member."""

from __future__ import annotations

from datetime import date, timedelta

from coop.extensions import db
from coop.timebank import services as tb
from tests.browser.conftest import screenshot
from tests.factories import PASSWORD
from tests.timebank_world import make_time_bank

NOTE = "https://example.org/" + "x" * 280  # 300 characters, no space


def _phone(browser, live_server: str, email: str):  # type: ignore[no-untyped-def]
    context = browser.new_context(locale="ru-RU", viewport={"width": 390, "height": 800})
    page = context.new_page()
    page.set_default_timeout(15000)
    page.goto(f"{live_server}/login")
    page.fill("input[name=login]", email)
    page.fill("input[name=password]", PASSWORD)
    page.click("main form button[type=submit]")
    page.wait_for_load_state()
    return context, page


def test_long_typed_text_never_widens_a_time_bank_page(browser, live_server) -> None:  # type: ignore[no-untyped-def]
    w = make_time_bank(db.session)
    w.bermet.user.name = "Бермет" + "Ж" * 114  # a name typed without a space: 120, the most
    day = date.today() - timedelta(days=1)
    cat = w.categories["house"]
    confirmed, _new = tb.record_transfer(db.session, w.group,
                                         tb.Line(w.aigul, w.bermet, 60, cat, day, NOTE),
                                         actor=w.coordinator.user, mode="coordinator")
    pending, _new = tb.record_transfer(db.session, w.group,
                                       tb.Line(w.aigul, w.bermet, 60, cat, day, NOTE),
                                       actor=w.bermet.user, mode="provider")
    tb.create_post(db.session, w.group, w.aigul, kind="offer", category_id=cat,
                   title="Т" * 120, description=NOTE)
    db.session.commit()
    base = f"{live_server}/groups/{w.group.id}/timebank"
    member_pages = [f"/transfers/{confirmed.id}", f"/transfers/{pending.id}", "/pending", "",
                    f"/members/{w.aigul.id}", "/record"]
    boss_pages = [*member_pages, f"/members/{w.bermet.id}", "/register", "/batch",
                  "/reports", "/digest"]
    for email, pages in ((w.coordinator.user.email, boss_pages),
                         (w.aigul.user.email, member_pages)):
        context, page = _phone(browser, live_server, email)
        try:
            for path in pages:
                response = page.goto(base + path)
                assert response is not None and response.status == 200, path
                wide = page.evaluate("document.documentElement.scrollWidth")
                inner = page.evaluate("window.innerWidth")
                name = path.strip("/").replace("/", "-") or "home"
                screenshot(page, f"timebank-long-{email.split('@')[0]}-{name}")
                assert wide <= inner, (email, path, wide, inner)
            page.goto(f"{base}/transfers/{confirmed.id}")
            assert NOTE[:40] in page.inner_text("main")
        finally:
            context.close()


def test_she_withdraws_the_help_she_recorded_on_a_phone(browser, live_server) -> None:  # type: ignore[no-untyped-def]
    """Aigul records 3 h of help she gave Cholpon, sees it wait, withdraws it
    with a reason from the list of what waits, and her balance and Cholpon's
    stay as they were; the record reads withdrawn, and Cholpon has nothing to
    confirm."""
    w = make_time_bank(db.session)
    db.session.commit()
    base = f"{live_server}/groups/{w.group.id}/timebank"
    context, page = _phone(browser, live_server, w.aigul.user.email)
    try:
        page.goto(f"{base}/record")
        page.select_option("select[name=direction]", "gave")
        page.select_option("select[name=other]", str(w.cholpon.id))
        page.fill("input[name=hours]", "3")
        page.select_option("select[name=category]", str(w.categories["house"]))
        page.fill("input[name=date_of_service]",
                  (date.today() - timedelta(days=1)).isoformat())
        page.click("main form button[type=submit]")
        page.wait_for_load_state()
        page.goto(f"{base}/pending")
        page.click("summary:has-text('Отозвать')")
        page.fill("input[name=reason]", "ошиблась: было 2 часа")
        screenshot(page, "timebank-withdraw-form")
        page.click("button:has-text('Отозвать')")
        page.wait_for_load_state()
        text = page.inner_text("main")
        screenshot(page, "timebank-withdrawn")
        assert "Отозвано: ничего не засчитано" in text, text[:500]
        assert "Отозвать" not in text
        assert page.evaluate("document.documentElement.scrollWidth") <= 390
    finally:
        context.close()
    db.session.expire_all()
    [record] = tb.transfer_rows(db.session, w.group)
    assert tb.withdrawn(record.transfer)
    assert (tb.member_balance(db.session, w.aigul), tb.member_balance(db.session, w.cholpon)) \
        == (0, 0)  # nothing was counted
    context, page = _phone(browser, live_server, w.cholpon.user.email)
    try:
        page.goto(f"{base}/pending")
        assert "Подтвердить" not in page.inner_text("main")
        page.goto(f"{base}/transfers/{record.transfer.id}")
        assert "отозвано той, кто записала" in page.inner_text("main")
    finally:
        context.close()
