"""Coordinators of the time bank who are not the treasurer (spec §2.3: the
treasurer role or a coordinator role): the treasurer designates them in the
time bank's settings; they get the register, confirmations and corrections
of anyone's records and the reports, nothing else of the treasurer's; a
designation taken away counts on the next request."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from coop.errors import NotAllowed
from coop.timebank import services as tb
from coop.timebank.models import TimeTransfer
from tests.conftest import login, post
from tests.timebank_world import figures, make_time_bank

YESTERDAY = (date.today() - timedelta(days=1)).isoformat()
COORDINATOR_PAGES = ("register", "batch", "import", "reports", "export.zip",
                     "register.pdf")


@pytest.fixture()
def world(session: Session):  # type: ignore[no-untyped-def]
    w = make_time_bank(session)
    session.commit()
    w.base = f"/groups/{w.group.id}/timebank"
    w.numbers = tb.number_of(session, w.group)
    return w


def _designate(client: FlaskClient, w, *members) -> None:  # type: ignore[no-untyped-def]
    response = post(client, f"{w.base}/coordinators",
                    {"coordinators": [str(m.id) for m in members]})
    assert response.status_code == 302, response.get_data(as_text=True)[:800]


def _register_line(client: FlaskClient, w, hours: str = "1"):  # type: ignore[no-untyped-def]
    n = w.numbers
    return post(client, f"{w.base}/register", {
        "receiver": str(n[w.cholpon.id]), "provider": str(n[w.aigul.id]), "hours": hours,
        "category": str(w.categories["house"]), "date_of_service": YESTERDAY,
        "note": "с бумажной квитанции"})


def test_a_designated_coordinator_keeps_the_register_until_it_is_taken_away(
        app_ctx: Flask, session: Session, world) -> None:  # type: ignore[no-untyped-def]
    treasurer, bermet = app_ctx.test_client(), app_ctx.test_client()
    login(treasurer, world.coordinator.user.email)
    login(bermet, world.bermet.user.email)
    # not yet designated: a member like any other
    for page in COORDINATOR_PAGES:
        assert bermet.get(f"{world.base}/{page}").status_code == 403, page
    assert _register_line(bermet, world).status_code == 403
    settings = treasurer.get(f"{world.base}/settings").get_data(as_text=True)
    assert "Координаторы банка времени" in settings

    _designate(treasurer, world, world.bermet)
    assert tb.coordinator_ids(session, world.group) == {world.bermet.id}
    page = treasurer.get(f"{world.base}/settings").get_data(as_text=True)
    assert f'value="{world.bermet.id}" checked' in page
    for page in COORDINATOR_PAGES:
        assert bermet.get(f"{world.base}/{page}").status_code == 200, page
    home = bermet.get(f"{world.base}").get_data(as_text=True)
    assert "Журнал" in home and "Настройки банка времени" not in home
    # she records a paper slip for Cholpon and Aigul: confirmed, on behalf
    response = _register_line(bermet, world)
    assert response.status_code == 302
    assert "Строка записана за участницу и учтена." in bermet.get(
        response.headers["Location"]).get_data(as_text=True)
    slip = session.scalar(select(TimeTransfer).order_by(TimeTransfer.id.desc()))
    assert slip.on_behalf and slip.state == "confirmed"
    assert slip.recorded_by_id == world.bermet.user_id
    assert figures(session, world) == (60, 0, -60, 0, 0)
    # she confirms a record Aigul made of help she gave Cholpon (not hers to confirm
    # as a member: she is no party to it)
    pending, _new = tb.record_transfer(session, world.group, tb.Line(
        world.cholpon, world.aigul, 90, world.categories["sewing"], date.today()),
        actor=world.aigul.user, mode="provider")
    session.commit()
    assert "Чолпон" in bermet.get(f"{world.base}/pending").get_data(as_text=True)
    confirm = post(bermet, f"{world.base}/transfers/{pending.id}/confirm", {})
    assert confirm.status_code == 302
    session.expire_all()
    assert session.get(TimeTransfer, pending.id).state == "confirmed"
    assert figures(session, world) == (150, 0, -150, 0, 0)
    # she may correct a record, and open anyone's statement
    assert bermet.get(f"{world.base}/members/{world.cholpon.id}").status_code == 200
    assert post(bermet, f"{world.base}/transfers/{slip.id}/reverse",
                {"reason": "квитанция не та"}).status_code == 302
    assert figures(session, world) == (90, 0, -90, 0, 0)
    # nothing else of the treasurer's: the settings, the coordinators, the start credits,
    # and nothing outside the time bank
    assert bermet.get(f"{world.base}/settings").status_code == 403
    assert post(bermet, f"{world.base}/settings", {"max_hours": "12"}).status_code == 403
    assert post(bermet, f"{world.base}/coordinators",
                {"coordinators": [str(world.cholpon.id)]}).status_code == 403
    assert post(bermet, f"{world.base}/start-credits", {}).status_code == 403
    assert bermet.get(f"/groups/{world.group.id}/rounds/new").status_code in (403, 404)
    assert tb.coordinator_ids(session, world.group) == {world.bermet.id}

    # taken away: the next request is a member's again
    _designate(treasurer, world)
    assert tb.coordinator_ids(session, world.group) == set()
    for page in COORDINATOR_PAGES:
        assert bermet.get(f"{world.base}/{page}").status_code == 403, page
    assert _register_line(bermet, world).status_code == 403
    assert bermet.get(f"{world.base}/members/{world.cholpon.id}").status_code == 404
    assert figures(session, world) == (90, 0, -90, 0, 0)


def test_a_member_not_designated_is_refused_by_the_services(
        session: Session, world) -> None:  # type: ignore[no-untyped-def]
    line = tb.Line(world.cholpon, world.aigul, 60, world.categories["house"], date.today())
    with pytest.raises(NotAllowed):
        tb.record_transfer(session, world.group, line, actor=world.bermet.user,
                           mode="coordinator")
    tb.set_coordinators(session, world.group, [world.bermet.id], actor=world.coordinator.user)
    assert tb.is_coordinator(session, world.group, world.bermet.user)
    tb.record_transfer(session, world.group, line, actor=world.bermet.user, mode="coordinator")
    # a coordinator does not choose coordinators nor change the rules
    with pytest.raises(NotAllowed):
        tb.set_coordinators(session, world.group, [world.cholpon.id], actor=world.bermet.user)
    with pytest.raises(NotAllowed):
        tb.save_settings(session, world.group, world.bermet.user, step_minutes=30)
    # a deactivated member is no longer a coordinator, at once
    world.bermet.active = False
    session.flush()
    assert not tb.is_coordinator(session, world.group, world.bermet.user)
    # the treasurer is one anyway: designating her adds no row
    world.bermet.active = True
    tb.set_coordinators(session, world.group, [world.coordinator.id, world.aigul.id],
                        actor=world.coordinator.user)
    assert tb.coordinator_ids(session, world.group) == {world.aigul.id}


def test_designating_someone_not_in_the_group_is_refused(
        client: FlaskClient, session: Session, world) -> None:  # type: ignore[no-untyped-def]
    other = make_time_bank(session)
    session.commit()
    login(client, world.coordinator.user.email)
    response = post(client, f"{world.base}/coordinators",
                    {"coordinators": [str(other.aigul.id)]})
    assert response.status_code == 422
    assert "Этой участницы нет в группе." in response.get_data(as_text=True)
    assert tb.coordinator_ids(session, world.group) == set()
