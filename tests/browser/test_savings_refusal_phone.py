"""The demo group's Russian-speaking treasurer closes the open meeting on a
390 px phone with one key-holder ticked of the two needed: the close is
refused, and the page comes back opened at the close form with the message
on the screen (without JavaScript: the form posts to `#close`). The message
used to be a banner at the top, some 3,600 px above the form she sent."""

from __future__ import annotations

import os
from pathlib import Path

from flask import Flask
from sqlalchemy import select
from sqlalchemy.orm import Session

from coop.auth.models import User
from coop.extensions import db
from coop.groups.models import Group
from coop.savings import services as savings
from coop.savings.demo import SG_GROUP
from coop.savings.models import SavingsCycle, SavingsMeeting
from tests.browser.conftest import screenshot
from tests.browser.test_phone_layout import _sign_in

TREASURER = "mavluda@coop.example"


def _amount(minor: int) -> str:
    return f"{minor // 100},{minor % 100:02d}"


def test_a_refused_close_opens_the_phone_at_its_message(app_ctx: Flask, session: Session,  # type: ignore[no-untyped-def]
                                                        browser, live_server: str) -> None:
    group = session.scalar(select(Group).where(Group.name == SG_GROUP))
    cycle = session.scalar(select(SavingsCycle).where(SavingsCycle.group_id == group.id,
                                                      SavingsCycle.state == "active"))
    meeting = session.scalar(select(SavingsMeeting).where(SavingsMeeting.cycle_id == cycle.id,
                                                          SavingsMeeting.state == "open"))
    cash = savings.expected_cash(savings.check_meeting(session, meeting, group), meeting)
    db.session.rollback()
    session.scalar(select(User).where(User.email == TREASURER)).locale = "ru"
    db.session.commit()
    context = browser.new_context(locale="ru-RU", viewport={"width": 390, "height": 800})
    page = context.new_page()
    page.set_default_timeout(15000)
    try:
        _sign_in(page, live_server, TREASURER)
        url = f"{live_server}/groups/{group.id}/savings/{cycle.id}/meetings/{meeting.id}"
        assert page.goto(url).status == 200
        form = page.locator('form[action*="/close?at=close"]')
        form.locator('input[name="closing_loan"]').fill(_amount(cash["loan"][1]))
        form.locator('input[name="closing_social"]').fill(_amount(cash["social"][1]))
        boxes = form.locator('input[name="key_holders"]')
        for i in range(boxes.count()):
            boxes.nth(i).set_checked(i == 0)
        with page.expect_navigation() as sent:
            form.locator('button[type="submit"]').click()
        assert sent.value.status == 422
        page.wait_for_load_state("load")
        screenshot(page, "ru-savings-close-refused")
        if os.environ.get("COOP_SCREENSHOTS"):  # the screen as she sees it, not the whole page
            page.screenshot(path=str(Path(os.environ["COOP_SCREENSHOTS"])
                                     / "ru-savings-close-refused-screen.png"))
        where = page.evaluate("""() => {
            const box = (el) => el && {top: el.getBoundingClientRect().top,
                                       bottom: el.getBoundingClientRect().bottom,
                                       text: el.textContent.trim()};
            return {alert: box(document.querySelector('main [role=alert]')),
                    field: box(document.querySelector(
                        'form[action*="/close?at=close"] input[name=closing_loan]')),
                    height: window.innerHeight, scrolled: window.scrollY};
        }""")
        assert where["alert"] and where["alert"]["text"], page.inner_text("main")[:2000]
        # the message and the form she sent, both on the screen as the page opens
        for seen in (where["alert"], where["field"]):
            assert seen["top"] >= 0 and seen["bottom"] <= where["height"], where
        assert where["field"]["top"] > where["alert"]["top"], where  # the message above it
    finally:
        context.close()
