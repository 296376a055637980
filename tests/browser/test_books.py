from __future__ import annotations

from coop.demo import TJ_ROUND
from tests.browser.conftest import screenshot
from tests.browser.test_award import _flat, _pdf_text
from tests.browser.test_members import sign_in


def test_short_delivery_with_damage_settle_pay_and_reconcile(page, live_server) -> None:  # type: ignore[no-untyped-def]
    sign_in(page, live_server, "farangis@coop.example")
    page.click("nav.tabs >> text=Rounds")
    page.click(f"text={TJ_ROUND}")
    page.click("a.button:has-text('Delivery')")
    fabric = page.locator("fieldset", has_text="Матоъ")
    fabric.locator("input[name^=received_]").fill("60")
    fabric.locator("input[name^=damaged_]").fill("4,5")
    page.locator("fieldset", has_text="Ресмон").locator("input[name^=received_]").fill("10")
    page.click("button[value=preview]")
    changes = page.inner_text("table.changes")
    assert "Фарангис Азамова" in changes and "→" in changes  # fabric short for her
    screenshot(page, "delivery-preview")
    page.click("button[value=record]")
    assert "The delivery is recorded" in page.inner_text("main")
    page.click("a:has-text('with what is missing as short')")
    page.click("button:has-text('Yes: confirm the delivery')")
    page.click("a:has-text('Settle')")
    assert "Фарангис Азамова" in page.inner_text("#confirm-bills")
    page.click("button:has-text('Yes: settle')")
    assert "The round is settled" in page.inner_text("main")

    page.click("nav.tabs >> text=Accounts")
    page.click("main table >> text=Фарангис Азамова")
    assert "797.30" in page.inner_text(".big-balance")  # spec example 02
    form = page.locator("form[action$='/payment']")
    form.locator("input[name=amount]").fill("797,30")
    form.locator("select[name=method]").select_option("mobile")
    sent = {name: form.locator(f"[name={name}]").input_value()
            for name in ("csrf_token", "idempotency_key", "amount", "method", "reference")}
    action = live_server + form.get_attribute("action")
    page.click("button:has-text('Record payment')")
    assert "Payment of" in page.inner_text("main")
    assert "Nothing owed" in page.inner_text(".big-balance")
    # the same form sent again (a double click, a retry on a slow network)
    again = page.request.post(action, form=sent)
    assert again.ok and "already recorded" in again.text()
    page.reload()
    assert "Nothing owed" in page.inner_text(".big-balance")
    # her receipt, from her statement: the payment as recorded, her account after it
    receipt = page.locator("a.receipt").first
    number = receipt.inner_text().split("№")[1].strip()
    printed = _flat(_pdf_text(page, live_server + receipt.get_attribute("href")))
    assert f"№{number}" in printed and "797,30" in printed, printed
    assert "Фарангис Азамова" in printed
    statement = _flat(_pdf_text(page, page.url.split("?")[0] + "/statement.pdf"))
    assert number in statement  # the statement names the receipt
    page.click("nav.tabs >> text=Accounts")
    assert "The books balance" in page.inner_text("#reconciliation")
    screenshot(page, "accounts")
