"""A member who recorded help she gave can withdraw it while it waits for
confirmation (she got the hours, the day or the person wrong), in Russian:
it becomes a rejection made by her, reads «отозвано» on the record, the
register and its PDF, counts nothing, and can no longer be confirmed. Nobody
else but the receiver and the coordinator can reject it; what is confirmed
cannot be withdrawn."""

from __future__ import annotations

import io
import re
import zipfile
from datetime import date, timedelta

import pytest
from flask import Flask
from flask.testing import FlaskClient
from pypdf import PdfReader
from sqlalchemy import select
from sqlalchemy.orm import Session

from coop.timebank import services as tb
from coop.timebank.models import TimeTransfer
from tests.conftest import login, post
from tests.timebank_world import figures, make_time_bank

YESTERDAY = (date.today() - timedelta(days=1)).isoformat()


@pytest.fixture()
def world(session: Session):  # type: ignore[no-untyped-def]
    w = make_time_bank(session)
    session.commit()
    w.base = f"/groups/{w.group.id}/timebank"
    return w


def _plain(text: str) -> str:
    return re.sub(r"[\u00a0\u202f ]+", " ", text)


def _she_gave(client: FlaskClient, w, hours: str = "3") -> TimeTransfer:  # type: ignore[no-untyped-def]
    """Aigul records 3 h of help she gave Cholpon: it waits for Cholpon."""
    response = post(client, f"{w.base}/record", {
        "direction": "gave", "other": str(w.cholpon.id), "hours": hours,
        "category": str(w.categories["house"]), "post": "", "date_of_service": YESTERDAY,
        "note": ""})
    assert response.status_code == 302, response.status_code
    return w.session.scalar(select(TimeTransfer).order_by(TimeTransfer.id.desc()))


def test_she_withdraws_what_she_recorded_and_nothing_is_counted(
        app_ctx: Flask, session: Session, world) -> None:  # type: ignore[no-untyped-def]
    world.session = session
    aigul = app_ctx.test_client()
    login(aigul, world.aigul.user.email)
    record = _she_gave(aigul, world)
    assert record.state == "pending"
    page = _plain(aigul.get(f"{world.base}/pending").get_data(as_text=True))
    assert "Отозвать" in page and f"/transfers/{record.id}/reject" in page
    # a reason is asked for: 422, the form open, nothing changed
    other = _she_gave(aigul, world, "1")  # a second record waits beside it
    refused = post(aigul, f"{world.base}/transfers/{record.id}/reject", {"reason": ""})
    assert refused.status_code == 422
    rows = {int(m.group(1)): m.group(2) for m in re.finditer(
        r'<div class="inline-form typed" id="t-(\d+)">(.*?)</div>', refused.get_data(
            as_text=True), re.S)}
    # the refusal and its message in her record's own place, open, the page opened there
    assert "<details open>" in rows[record.id] and 'class="error"' in rows[record.id]
    assert "Ничего не сохранено." in rows[record.id]
    assert f'/transfers/{record.id}/reject#t-{record.id}"' in rows[record.id]
    assert "<details open>" not in rows[other.id] and 'class="error"' not in rows[other.id]
    session.expire_all()
    assert session.get(TimeTransfer, record.id).state == "pending"
    done = post(aigul, f"{world.base}/transfers/{record.id}/reject",
                {"reason": "ошиблась: было 2 часа"})
    assert done.status_code == 302
    assert ("Отозвано: ничего не засчитано. Если помощь была, запишите её заново."
            in _plain(aigul.get(done.headers["Location"]).get_data(as_text=True)))
    session.expire_all()
    withdrawn = session.get(TimeTransfer, record.id)
    assert (withdrawn.state, withdrawn.decided_by_id) == ("rejected", world.aigul.user.id)
    assert figures(session, world) == (0, 0, 0, 0, 0)
    # the record says so, to her and in the register
    shown = _plain(aigul.get(f"{world.base}/transfers/{record.id}").get_data(as_text=True))
    assert "отозвано той, кто записала" in shown and "ошиблась: было 2 часа" in shown
    again = post(aigul, f"{world.base}/transfers/{record.id}/reject", {"reason": "ещё раз"})
    assert "Эта запись уже отозвана." in _plain(
        aigul.get(again.headers["Location"]).get_data(as_text=True))
    # Cholpon can no longer confirm it
    cholpon = app_ctx.test_client()
    login(cholpon, world.cholpon.user.email)
    waiting = cholpon.get(f"{world.base}/pending").get_data(as_text=True)
    assert f'id="t-{record.id}"' not in waiting and f'id="t-{other.id}"' in waiting
    assert post(cholpon, f"{world.base}/transfers/{record.id}/confirm", {}).status_code == 409
    assert figures(session, world) == (0, 0, 0, 0, 0)


def test_a_rejection_by_the_receiver_is_not_a_withdrawal(
        app_ctx: Flask, session: Session, world) -> None:  # type: ignore[no-untyped-def]
    world.session = session
    aigul, cholpon = app_ctx.test_client(), app_ctx.test_client()
    login(aigul, world.aigul.user.email)
    record = _she_gave(aigul, world)
    login(cholpon, world.cholpon.user.email)
    page = _plain(cholpon.get(f"{world.base}/pending").get_data(as_text=True))
    assert "Подтвердить: так было" in page and "Отозвать" not in page
    assert post(cholpon, f"{world.base}/transfers/{record.id}/reject",
                {"reason": "не было"}).status_code == 302
    session.expire_all()
    shown = _plain(aigul.get(f"{world.base}/transfers/{record.id}").get_data(as_text=True))
    assert "отклонено" in shown and "отозвано" not in shown


def test_only_the_one_who_recorded_it_may_withdraw_it(
        app_ctx: Flask, session: Session, world) -> None:  # type: ignore[no-untyped-def]
    world.session = session
    aigul, bermet = app_ctx.test_client(), app_ctx.test_client()
    login(aigul, world.aigul.user.email)
    record = _she_gave(aigul, world)
    login(bermet, world.bermet.user.email)
    assert post(bermet, f"{world.base}/transfers/{record.id}/reject",
                {"reason": "просто так"}).status_code in (403, 404)
    session.expire_all()
    assert session.get(TimeTransfer, record.id).state == "pending"


def test_what_is_confirmed_cannot_be_withdrawn(
        app_ctx: Flask, session: Session, world) -> None:  # type: ignore[no-untyped-def]
    world.session = session
    aigul, cholpon = app_ctx.test_client(), app_ctx.test_client()
    login(aigul, world.aigul.user.email)
    record = _she_gave(aigul, world)
    login(cholpon, world.cholpon.user.email)
    assert post(cholpon, f"{world.base}/transfers/{record.id}/confirm", {}).status_code == 302
    late = post(aigul, f"{world.base}/transfers/{record.id}/reject", {"reason": "ошиблась"})
    assert late.status_code == 409
    assert "сделайте исправление" in late.get_data(as_text=True)
    assert figures(session, world) == (180, 0, -180, 0, 0)


def test_the_register_pdf_marks_it_withdrawn(
        client: FlaskClient, session: Session, world) -> None:  # type: ignore[no-untyped-def]
    record, _ = tb.record_transfer(session, world.group, tb.Line(
        world.cholpon, world.aigul, 60, world.categories["house"], date.today()),
        actor=world.aigul.user, mode="provider")
    session.commit()
    tb.reject_transfer(session, world.group, record, actor=world.aigul.user,
                       reason="ошиблась днём")
    session.commit()
    assert tb.withdrawn(record)
    login(client, world.coordinator.user.email)
    register = client.get(f"{world.base}/register")
    assert register.status_code == 200
    assert "отозвано той, кто записала" in _plain(register.get_data(as_text=True))
    export = client.get(f"{world.base}/export.zip")
    assert export.status_code == 200, export.status_code
    with zipfile.ZipFile(io.BytesIO(export.data)) as archive:
        csv = archive.read("transfers.csv").decode("utf-8-sig")
    assert "отозвано той, кто записала" in csv
    pdf = client.get(f"{world.base}/register.pdf")
    assert pdf.status_code == 200, pdf.status_code
    text = _plain(" ".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf.data)).pages))
    assert "запись отозвана" in text


def test_recording_help_from_a_request_names_who_asked_and_its_category(
        client: FlaskClient, session: Session, world) -> None:  # type: ignore[no-untyped-def]
    """Found on a walk: from Cholpon's request, «I helped» opened the form with
    «Кто» empty, and sending it said «Выберите участницу». The one who asked
    and the request's category are chosen; her own post chooses nobody; an
    address with a post id beyond any is the empty form, not an error."""
    asked = tb.create_post(session, world.group, world.cholpon, kind="request",
                           category_id=world.categories["sewing"], title="Сшить курпачу")
    mine = tb.create_post(session, world.group, world.aigul, kind="offer",
                          category_id=world.categories["baking"], title="Испеку лепёшки")
    session.commit()
    login(client, world.aigul.user.email)

    def chosen(path: str, name: str) -> list[str]:
        page = client.get(path).get_data(as_text=True)
        select = re.search(rf'<select[^>]*name="{name}".*?</select>', page, re.S).group(0)
        return re.findall(r'<option selected value="([^"]*)"', select)

    asking = f"{world.base}/record?post={asked.id}&direction=gave"
    assert chosen(asking, "other") == [str(world.cholpon.id)]
    assert chosen(asking, "category") == [str(world.categories["sewing"])]
    assert chosen(f"{world.base}/record?post={mine.id}&direction=gave", "other") in ([], [""])
    for post_id in ("99999999999999999999999", "-3", "x"):
        assert client.get(f"{world.base}/record?post={post_id}").status_code == 200
