"""A treasurer's hostile and clumsy typing, in the browser: "1..5" in a
payment is refused with the field named (not recorded as 15), "1 234,50" with
a no-break space is read; a name with a direction override is refused next
to the field; a formula typed as a payment reference comes out of
statement.csv as text, with the amount the page shows; and while the
database is down the page says so in the visitor's language (503)."""

from __future__ import annotations

import csv
import io

from sqlalchemy import event
from sqlalchemy.exc import OperationalError

from coop.extensions import db
from tests.browser.conftest import screenshot
from tests.browser.test_members import sign_in

FORMULA = '=HYPERLINK("http://evil.example/","Click")'


def test_typing_numbers_names_and_formulas(page, live_server) -> None:  # type: ignore[no-untyped-def]
    sign_in(page, live_server, "mairam@coop.example")
    page.click("nav.tabs >> text=Accounts")
    page.click("main table >> text=Айгүл Токтогулова")
    statement_url = page.url
    before = page.inner_text(".big-balance")

    form = page.locator("form[action$='/payment']")
    form.locator("input[name=amount]").fill("1..5")
    form.locator("input[name=reference]").fill(FORMULA)
    page.click("button:has-text('Record payment')")
    main = page.inner_text("main")
    assert "Amount paid: “1..5” is not a number." in main, main
    screenshot(page, "input-payment-1-dot-dot-5")

    page.goto(statement_url)
    assert page.inner_text(".big-balance") == before  # nothing recorded
    form = page.locator("form[action$='/payment']")
    form.locator("input[name=amount]").fill("1\u00a0234,50")
    form.locator("input[name=reference]").fill(FORMULA)
    page.click("button:has-text('Record payment')")
    assert "Payment of 1,234.50" in page.inner_text("main")
    rows = page.locator("main table tr", has_text="HYPERLINK")
    assert "1,234.50" in rows.first.inner_text()

    # statement.csv: the same amount, the formula as text
    csv_link = page.locator("a[href*='statement.csv']").first.get_attribute("href")
    reply = page.request.get(live_server + csv_link)
    assert reply.headers["content-type"] == "text/csv; charset=utf-8"
    cells = [cell for row in csv.reader(io.StringIO(reply.text().lstrip("\ufeff")),
                                        delimiter=";") for cell in row]
    # the demo group's language is Russian: its Excel reads a decimal comma
    assert "'" + FORMULA in cells and "1234,50" in cells

    # a name with a direction override: refused next to the field
    page.click("nav.tabs >> text=Members")
    page.click("a:has-text('Add member')")
    page.fill("input[name=name]", "\u202eлүгйА")
    page.click("main form button[type=submit]")
    assert "invisible control characters" in page.inner_text("main")
    screenshot(page, "input-member-bidi")


def test_a_database_outage_is_a_503_page_in_her_language(browser, live_server) -> None:  # type: ignore[no-untyped-def]
    import psycopg

    context = browser.new_context(locale="ky-KG", viewport={"width": 390, "height": 844})
    page = context.new_page()
    sign_in(page, live_server, "mairam@coop.example")
    page.click("nav.tabs >> a[href$='/accounts']")

    def refuse(*_args: object) -> None:
        raise OperationalError("SELECT 1", {}, psycopg.OperationalError("Connection refused"))

    engines = list(db.engines.values())  # the sign-in's, too
    for engine in engines:
        event.listen(engine, "before_cursor_execute", refuse)
    try:
        response = page.reload()
    finally:
        for engine in engines:
            event.remove(engine, "before_cursor_execute", refuse)
    assert response is not None and response.status == 503
    assert response.headers["retry-after"] == "5"
    assert "Маалымат базасы азыр жеткиликсиз" in page.inner_text("main")  # her browser's ky
    screenshot(page, "input-outage-503")
    assert page.reload().status == 200  # back by itself
    context.close()
