from coop.extensions import db
from tests.browser.conftest import screenshot
from tests.factories import PASSWORD
from tests.savings_factory import hold_meeting, make_savings_group


def test_shots(page, live_server, app_ctx):
    world = make_savings_group(db.session)
    for k in (1, 2):
        hold_meeting(db.session, world, k)
    m3 = hold_meeting(db.session, world, 3, close_it=False)
    db.session.commit()
    page.goto(f"{live_server}/login")
    page.fill("input[name=login]", world.treasurer.user.email)
    page.fill("input[name=password]", PASSWORD)
    page.click("main form button[type=submit]")
    base = f"{live_server}/groups/{world.group.id}/savings/{world.cycle.id}"
    page.goto(f"{base}/meetings/{m3.id}?lang=ru")
    screenshot(page, "sg-meeting-open")
    page.goto(f"{base}")
    screenshot(page, "sg-cycle")
    page.goto(f"{base}/share-out")
    screenshot(page, "sg-share-out")
    page.goto(f"{base}/passbooks/{world.members[3].id}")
    screenshot(page, "sg-passbook")
