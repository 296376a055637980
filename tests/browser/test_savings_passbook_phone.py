"""The demo savings group's passbooks, as its Tajik treasurer reads them on a
360 px phone while a meeting is open: a line's fines («таъин шуд 2,00
сомонӣ, пардохт шуд 0,00 сомонӣ») kept on one line made the page 473 px wide."""

from __future__ import annotations

from flask import Flask
from sqlalchemy import select
from sqlalchemy.orm import Session

from coop.auth.models import User
from coop.demo import load_demo
from coop.extensions import db
from coop.groups.models import Group
from coop.savings.demo import SG_GROUP
from coop.savings.models import CycleMember, SavingsCycle, SavingsMeeting
from tests.browser.conftest import screenshot
from tests.browser.test_phone_layout import _sign_in

WIDTH = 360
TREASURER = "mavluda@coop.example"


def test_every_passbook_fits_a_360_px_phone_in_tajik(app_ctx: Flask, session: Session,  # type: ignore[no-untyped-def]
                                                    browser, live_server: str) -> None:
    load_demo(session)
    session.commit()
    group = session.scalar(select(Group).where(Group.name == SG_GROUP))
    cycle = session.scalar(select(SavingsCycle).where(SavingsCycle.group_id == group.id,
                                                      SavingsCycle.state == "active"))
    assert cycle is not None
    assert session.scalar(select(SavingsMeeting).where(SavingsMeeting.cycle_id == cycle.id,
                                                       SavingsMeeting.state == "open"))
    members = session.scalars(select(CycleMember).where(CycleMember.cycle_id == cycle.id)).all()
    session.scalar(select(User).where(User.email == TREASURER)).locale = "tg"
    db.session.commit()
    context = browser.new_context(locale="tg", viewport={"width": WIDTH, "height": 780})
    page = context.new_page()
    page.set_default_timeout(15000)
    wide = []
    fines_seen = False
    try:
        _sign_in(page, live_server, TREASURER)
        for member in members:
            url = f"{live_server}/groups/{group.id}/savings/{cycle.id}/passbooks/{member.id}"
            assert page.goto(url).status == 200, url
            fines_seen = fines_seen or "таъин шуд" in page.inner_text("main")
            width = page.evaluate("document.documentElement.scrollWidth")
            if width > WIDTH:
                wide.append(f"{url}: {width}px")
                screenshot(page, f"tg-savings-passbook-{member.id}-too-wide")
    finally:
        context.close()
    assert fines_seen  # the lines that made it wide are there
    assert not wide, "\n".join(wide)
