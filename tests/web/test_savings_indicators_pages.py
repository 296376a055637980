"""The indicator pages and the funder's CSV: who sees what, the figures of
spec §10.4 on the page, one CSV row per group and quarter with totals."""

from __future__ import annotations

import pytest
from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from tests.conftest import login
from tests.factories import PASSWORD, make_admin, make_group, make_member
from tests.savings_factory import hold_meeting, make_savings_group


def _world(session: Session):  # type: ignore[no-untyped-def]
    world = make_savings_group(session)
    for k in (1, 2, 3):
        hold_meeting(session, world, k)
    session.commit()
    return world


def test_treasurer_and_member_see_the_groups_indicators(session: Session,
                                                         client: FlaskClient) -> None:
    world = _world(session)
    member = world.memberships[0]  # she has a login
    member.user.locale = "ru"
    session.commit()
    login(client, member.user.email, PASSWORD)
    page = client.get(f"/groups/{world.group.id}/savings/indicators")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    for figure in ("93,3", "2\u00a0700,00", "965,75", "60,75", "33,9", "79,3", "7,8",
                   "2\u00a0989,50"):
        assert figure in html, figure
    assert 'class="indicators-quarters stack"' in html and "data-label=" in html
    assert "2 кв. 2026" in html
    csv = client.get(f"/groups/{world.group.id}/savings/indicators.csv")
    assert csv.status_code == 200 and csv.mimetype == "text/csv"


def test_a_stranger_gets_404_and_a_member_no_programme(session: Session,
                                                       client: FlaskClient) -> None:
    world = _world(session)
    other = make_member(session, make_group(session), "Гүлзат")
    session.commit()
    login(client, other.user.email, PASSWORD)
    assert client.get(f"/groups/{world.group.id}/savings/indicators").status_code == 404
    assert client.get(f"/groups/{world.group.id}/savings/indicators.csv").status_code == 404
    assert client.get("/savings/indicators").status_code == 403
    assert client.get("/savings/indicators.csv").status_code == 403


def test_the_programme_page_and_the_funders_csv(session: Session, client: FlaskClient) -> None:
    first = _world(session)
    second = make_savings_group(session)
    hold_meeting(session, second, 1)
    second.group.region = "Согд"
    admin = make_admin(session)
    admin.locale = "ru"
    session.commit()
    login(client, admin.email, PASSWORD)
    page = client.get("/savings/indicators").get_data(as_text=True)
    assert first.group.name in page and second.group.name in page
    assert "Итого групп: 2 (KGS)" in page
    only = client.get("/savings/indicators?region=Согд").get_data(as_text=True)
    assert second.group.name in only and first.group.name not in only
    response = client.get("/savings/indicators.csv")
    assert response.status_code == 200
    lines = response.get_data().decode("utf-8-sig").split("\r\n")
    header = lines[0].split(";")
    assert len(header) == 38 and header[0] != "Quarter"  # in the reader's language
    rows = [line.split(";") for line in lines[1:] if line]
    # Q1: both groups and a total; Q2: the first group (M3) and a total
    assert [(r[0], r[1] in (first.group.name, second.group.name)) for r in rows] == [
        ("1 кв. 2026", True), ("1 кв. 2026", True), ("1 кв. 2026", False),
        ("2 кв. 2026", True), ("2 кв. 2026", False)]
    q2 = rows[3]
    savings = header.index(next(h for h in header if h.startswith("Сбереж")))
    assert q2[savings] == "2700,00"
    q1_total = rows[2]
    assert q1_total[savings] == "1900,00"  # 950,00 + 950,00


@pytest.mark.parametrize("locale", ["ru", "ky", "tg"])
def test_no_english_on_the_demo_groups_indicators(app_ctx, session: Session,  # type: ignore[no-untyped-def]
                                                  locale: str) -> None:
    from sqlalchemy import select

    from coop.auth.models import User
    from coop.demo import ADMIN_EMAIL, load_demo
    from coop.groups.models import Group
    from coop.savings.demo import SG_GROUP
    from tests.english import english_in, visible_text

    load_demo(session)
    group = session.scalar(select(Group).where(Group.name == SG_GROUP))
    people = ("mavluda@coop.example", "gulchehra@coop.example", ADMIN_EMAIL)
    for user in session.scalars(select(User).where(User.email.in_(people))):
        user.locale = locale
    session.commit()
    found: dict[str, str] = {}
    for email in people:
        client = app_ctx.test_client()
        login(client, email, "demo-password")
        urls = [f"/groups/{group.id}/savings/indicators"]
        if email == ADMIN_EMAIL:
            urls.append("/savings/indicators")
        for url in urls:
            response = client.get(url)
            assert response.status_code == 200, url
            for piece in english_in(visible_text(response.get_data(as_text=True))):
                found.setdefault(piece, url)
    assert not found, found
