"""A member on a Russian phone picks Кыргызча on the sign-in page, signs in
with her number, and reads Kyrgyz from then on: her pages, and her account's
message (worded in her account's language, which her sign-in stored). Found
on a walk: the pages were Kyrgyz, the message Russian (the group's)."""

from __future__ import annotations

from sqlalchemy import select

from coop.auth.models import User
from coop.demo import DEMO_PASSWORD, KG_GROUP
from coop.extensions import db
from coop.groups.models import Group, Membership
from tests.browser.conftest import screenshot

KY_STATES = ("эсебиңизде", "карызыңыз жок", "карызсыз")


def test_kyrgyz_picked_before_signing_in_is_hers_after_it(browser, live_server) -> None:  # type: ignore[no-untyped-def]
    context = browser.new_context(locale="ru-RU", viewport={"width": 390, "height": 844})
    page = context.new_page()
    page.set_default_timeout(15000)
    page.goto(f"{live_server}/login")
    assert page.get_attribute("html", "lang") == "ru"
    page.select_option("#lang-select", "ky")
    page.click("form.lang button")
    page.wait_for_load_state()
    assert page.get_attribute("html", "lang") == "ky"
    assert "/login" in page.url
    page.fill("input[name=login]", "0555 10 00 03")
    page.fill("input[name=password]", DEMO_PASSWORD)
    page.click("form.narrow button[type=submit]")
    page.wait_for_load_state()
    assert "/login" not in page.url
    assert page.get_attribute("html", "lang") == "ky"
    assert "Нурила Асанова" in page.inner_text("body")
    screenshot(page, "sign-in-ky-dashboard")

    db.session.expire_all()
    user = db.session.scalar(select(User).where(User.phone == "+996555100003"))
    assert user is not None and user.locale == "ky"
    membership = db.session.scalar(select(Membership).join(Group).where(
        Membership.user_id == user.id, Group.name == KG_GROUP))
    assert membership is not None
    page.goto(f"{live_server}/groups/{membership.group_id}/accounts/{membership.id}")
    assert page.get_attribute("html", "lang") == "ky"
    text = page.input_value("#copy-text")
    assert any(state in text for state in KY_STATES), text
    assert "должн" not in text and "группе" not in text, text
    screenshot(page, "sign-in-ky-account")
    context.close()
