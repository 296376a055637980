"""The savings indicator pages of the demo's savings group on a 390 px phone,
in the four languages, as its treasurer, a member and the platform admin:
nothing scrolls sideways, tap targets are big enough (the checks of
test_phone_layout)."""

from __future__ import annotations

import pytest
from flask import Flask
from sqlalchemy import select
from sqlalchemy.orm import Session

from coop.auth.models import User
from coop.demo import ADMIN_EMAIL, load_demo
from coop.extensions import db
from coop.groups.models import Group
from coop.savings.demo import SG_GROUP
from tests.browser.conftest import screenshot
from tests.browser.test_phone_layout import HEIGHT, WIDTH, _check, _sign_in

PEOPLE = ("mavluda@coop.example", "gulchehra@coop.example", ADMIN_EMAIL)


@pytest.mark.parametrize("locale", ["ru", "ky", "tg", "en"])
def test_indicator_pages_fit_a_phone(app_ctx: Flask, session: Session, browser,  # type: ignore[no-untyped-def]
                                     live_server: str, locale: str) -> None:
    load_demo(session)
    session.commit()
    group = session.scalar(select(Group).where(Group.name == SG_GROUP))
    for user in session.scalars(select(User).where(User.email.in_(PEOPLE))):
        user.locale = locale
    db.session.commit()
    context = browser.new_context(locale=locale, viewport={"width": WIDTH, "height": HEIGHT})
    page = context.new_page()
    page.set_default_timeout(15000)
    problems: list[str] = []
    try:
        for email in PEOPLE:
            _sign_in(page, live_server, email)
            assert "/login" not in page.url, page.url
            urls = [f"/groups/{group.id}/savings/indicators"]
            if email == ADMIN_EMAIL:
                urls += ["/savings/indicators", "/savings/indicators?region=Вилояти Суғд"]
            for url in urls:
                response = page.goto(live_server + url)
                assert response.status == 200, f"{email} {url}: {response.status}"
                assert page.locator("table.stack td[data-label]").count() > 0, url
                assert page.locator("table td").first.is_visible(), url
                problems += _check(page, live_server + url, email)
                screenshot(page, f"{locale}-savings-indicators-{email.split('@')[0]}")
    finally:
        context.close()
    assert not problems, "\n".join(problems)
