"""bench/raw_app.py, the raw SQL yardstick of bench/http.py, stands for "the
least these pages must do". It must do that work: read Coop's own session and
check the login nonce, and write, for an order, the same rows that Coop's
order page writes. Else its figures say nothing."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from flask import Flask
from sqlalchemy import select
from sqlalchemy.orm import Session

from bench import raw_app
from bench._seed import PASSWORD, seed
from coop.auth.models import User
from coop.extensions import db
from coop.groups.models import Membership
from coop.orders.models import Request, RequestChange, Round
from tests.conftest import is_postgres, login, post

pytestmark = pytest.mark.skipif(not is_postgres(),
                                reason="raw SQL for PostgreSQL: COOP_TEST_DATABASE_URL")


@pytest.fixture()
def raw(app: Flask) -> Iterator[Flask]:
    yield raw_app.create_app({"TESTING": True, "SECRET_KEY": app.config["SECRET_KEY"],
                              "DSN": app.config["SQLALCHEMY_DATABASE_URI"],
                              "PAGE_BYTES": 1234})
    raw_app.close_connections()


def _lines(session: Session, membership_id: int) -> list[tuple[int, int, int]]:
    return [tuple(row) for row in session.execute(
        select(Request.round_item_id, Request.quantity, Request.tolerance)
        .where(Request.membership_id == membership_id).order_by(Request.round_item_id))]


def _history(session: Session, membership_id: int) -> list[tuple[int, ...]]:
    return [tuple(row) for row in session.execute(
        select(RequestChange.round_item_id, RequestChange.old_quantity,
               RequestChange.old_tolerance, RequestChange.new_quantity,
               RequestChange.new_tolerance, RequestChange.changed_by_id)
        .where(RequestChange.membership_id == membership_id)
        .order_by(RequestChange.round_item_id))]


def _membership(session: Session, login_name: str) -> tuple[int, int]:
    user_id, membership_id = session.execute(
        select(User.id, Membership.id).join(Membership, Membership.user_id == User.id)
        .where(User.email == login_name)).one()
    return user_id, membership_id


def test_the_raw_order_writes_what_coops_order_page_writes(app_ctx: Flask, session: Session,
                                                           raw: Flask) -> None:
    seeded = seed(db.engine, members=3, products=3, with_login=2)
    coop_a, coop_b = app_ctx.test_client(), app_ctx.test_client()
    login(coop_a, seeded.member_logins[0], PASSWORD)
    login(coop_b, seeded.member_logins[1], PASSWORD)
    (user_a, member_a), (user_b, member_b) = (_membership(session, x)
                                              for x in seeded.member_logins)
    before = {m: _lines(session, m) for m in (member_a, member_b)}
    path = f"/groups/{seeded.group_id}/rounds/{seeded.round_id}/order"
    form = {}
    for item_id in seeded.item_ids:
        form[f"quantity_{item_id}"], form[f"tolerance_{item_id}"] = "4", "1"
    token = session.get(Round, seeded.round_id).change_token

    assert post(coop_a, path, form).status_code == 302  # Coop's page, for member A
    through_raw = raw.test_client()
    through_raw.set_cookie("session", coop_b.get_cookie("session").value)
    response = through_raw.post(path, data=form)  # the yardstick, for member B
    assert response.status_code == 302

    session.expire_all()
    wanted = [(item_id, 4000, 1000) for item_id in seeded.item_ids]
    assert _lines(session, member_a) == _lines(session, member_b) == wanted
    for member, user in ((member_a, user_a), (member_b, user_b)):
        assert _history(session, member) == [
            (item, q, t, 4000, 1000, user) for item, q, t in before[member]
            if (q, t) != (4000, 1000)]
    assert session.get(Round, seeded.round_id).change_token != token

    # sent again, nothing changes and nothing more is written
    written = _history(session, member_b)
    assert through_raw.post(path, data=form).status_code == 302
    session.expire_all()
    assert _history(session, member_b) == written


def test_the_raw_pages_check_the_session_and_the_input(app_ctx: Flask, session: Session,
                                                       raw: Flask) -> None:
    seeded = seed(db.engine, members=2, products=2, with_login=1)
    coop = app_ctx.test_client()
    login(coop, seeded.member_logins[0], PASSWORD)
    user_id, member = _membership(session, seeded.member_logins[0])
    client = raw.test_client()
    share = f"/groups/{seeded.group_id}/rounds/{seeded.round_id}/share"
    order = f"/groups/{seeded.group_id}/rounds/{seeded.round_id}/order"

    assert client.get(share).status_code == 401  # no session
    client.set_cookie("session", coop.get_cookie("session").value)
    page = client.get(share)
    assert page.status_code == 200 and len(page.data) == 1234
    assert client.get(f"/groups/{seeded.group_id + 1}/rounds/{seeded.round_id}/share"
                      ).status_code == 404  # not her group

    before = _lines(session, member)
    half = {f"quantity_{seeded.item_ids[0]}": "0,5"}  # the product is ordered by the whole
    assert client.post(order, data=half).status_code == 422
    assert client.post(order, data={f"quantity_{seeded.item_ids[0]}": "lots"}
                       ).status_code == 422
    session.expire_all()
    assert _lines(session, member) == before and _history(session, member) == []

    user = session.get(User, user_id)
    user.login_nonce = "signed-out-elsewhere"
    session.commit()
    assert client.get(share).status_code == 401  # the nonce is checked, as Coop does
