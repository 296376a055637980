"""Defects a new user's walk found in the time bank, through the test client,
in Russian: the refusal at the floor says the refused member cannot RECEIVE
help (on her statement «she gave» means help she gave); the date before
joining names which member joined later; her own statement speaks to her
(page and PDF), the treasurer's view of it stays in the third person; a long
note is marked as typed text (it breaks anywhere: see the phone test)."""

from __future__ import annotations

import io
import re
from datetime import date, timedelta

import pytest
from flask.testing import FlaskClient
from flask_babel import force_locale
from pypdf import PdfReader
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from coop.db import utcnow
from coop.errors import DomainError
from coop.timebank import services as tb
from coop.timebank.models import TimeBankSettings, TimeTransfer
from tests.conftest import login, post
from tests.timebank_world import figures, make_time_bank

YESTERDAY = (date.today() - timedelta(days=1)).isoformat()


@pytest.fixture()
def world(session: Session):  # type: ignore[no-untyped-def]
    w = make_time_bank(session)
    session.commit()
    w.base = f"/groups/{w.group.id}/timebank"
    w.numbers = tb.number_of(session, w.group)
    return w


def _count(session: Session) -> int:
    session.expire_all()
    return session.scalar(select(func.count()).select_from(TimeTransfer)) or 0


def _plain(text: str) -> str:
    return re.sub(r"[\u00a0\u202f ]+", " ", text)


def _register(client: FlaskClient, w, receiver, provider, hours: str):  # type: ignore[no-untyped-def]
    return post(client, f"{w.base}/register", {
        "receiver": str(w.numbers[receiver.id]), "provider": str(w.numbers[provider.id]),
        "hours": hours, "category": str(w.categories["house"]),
        "date_of_service": YESTERDAY, "note": ""})


def _to_floor(session: Session, w) -> None:  # type: ignore[no-untyped-def]
    """Aigul received 10 h of help from Bermet: she is at the floor (−10 h)."""
    tb.record_transfer(session, w.group, tb.Line(w.aigul, w.bermet, 600, w.categories["house"],
                                                 date.today()),
                       actor=w.coordinator.user, mode="coordinator")
    session.commit()


# 1. the floor: she cannot RECEIVE more help, never «she can give»

def test_at_the_floor_she_cannot_receive_help_until_she_helps(
        client: FlaskClient, session: Session, world) -> None:  # type: ignore[no-untyped-def]
    _to_floor(session, world)
    made = _count(session)
    login(client, world.coordinator.user.email)
    response = _register(client, world, world.aigul, world.bermet, "1")
    assert response.status_code == 422
    text = _plain(response.get_data(as_text=True))
    assert (f"{world.aigul.user.name} не может сейчас получить помощь: её баланс −10 ч — это "
            "предел группы. Сначала ей нужно кому-то помочь.") in text, text[:4000]
    assert "отдать" not in text and "0 минут" not in text
    assert _count(session) == made and figures(session, world)[:2] == (-600, 600)


def test_near_the_floor_she_can_receive_at_most_so_much_help(
        client: FlaskClient, session: Session, world) -> None:  # type: ignore[no-untyped-def]
    tb.record_transfer(session, world.group, tb.Line(world.aigul, world.bermet, 480,
                                                     world.categories["house"], date.today()),
                       actor=world.coordinator.user, mode="coordinator")
    session.commit()
    login(client, world.coordinator.user.email)
    response = _register(client, world, world.aigul, world.cholpon, "3")
    assert response.status_code == 422
    text = _plain(response.get_data(as_text=True))
    assert (f"{world.aigul.user.name} может сейчас получить помощи не больше чем на "
            "120 минут (2 ч): её баланс −8 ч, а предел группы −10 ч.") in text, text[:4000]
    assert "отдать" not in text


def test_past_a_floor_raised_later_she_is_told_both_figures(
        client: FlaskClient, session: Session, world) -> None:  # type: ignore[no-untyped-def]
    _to_floor(session, world)
    settings = session.scalar(select(TimeBankSettings).where(
        TimeBankSettings.group_id == world.group.id))
    settings.floor_minutes = -300
    session.commit()
    login(client, world.coordinator.user.email)
    text = _plain(_register(client, world, world.aigul, world.bermet, "1").get_data(
        as_text=True))
    assert (f"{world.aigul.user.name} не может сейчас получить помощь: её баланс −10 ч — ниже "
            "предела группы (−5 ч). Сначала ей нужно кому-то помочь.") in text, text[:4000]


def test_hours_to_the_bank_past_the_floor_are_given_not_received(
        app_ctx, session: Session, world) -> None:  # type: ignore[no-untyped-def]
    with force_locale("ru"), pytest.raises(DomainError) as refused:
        tb.record_transfer(session, world.group, tb.Line(world.aigul, None, 660,
                                                         world.categories["group_work"],
                                                         date.today()),
                           actor=world.coordinator.user, mode="coordinator")
    assert str(refused.value) == (f"{world.aigul.user.name} может отдать банку сейчас не "
                                  "больше 10 ч своих часов: её баланс 0 ч, а предел группы "
                                  "−10 ч.")


def test_the_refusal_in_english_says_receive(app_ctx, session: Session,
                                            world) -> None:  # type: ignore[no-untyped-def]
    _to_floor(session, world)
    with force_locale("en"), pytest.raises(DomainError) as refused:
        tb.record_transfer(session, world.group, tb.Line(world.aigul, world.cholpon, 60,
                                                         world.categories["house"],
                                                         date.today()),
                           actor=world.aigul.user, mode="receiver")
    assert str(refused.value) == (f"{world.aigul.user.name} cannot receive help now: her "
                                  "balance is −10 h, which is the group's limit. First she "
                                  "needs to help someone.")


# 3. the date before joining names her

def test_a_date_before_joining_names_the_member_who_joined_later(
        client: FlaskClient, session: Session, world) -> None:  # type: ignore[no-untyped-def]
    world.bermet.created_at = utcnow() - timedelta(days=3)
    session.commit()
    joined = tb.joined_on(world.bermet).strftime("%d.%m.%Y")
    login(client, world.aigul.user.email)
    response = post(client, f"{world.base}/record", {
        "direction": "received", "other": str(world.bermet.id), "hours": "1",
        "category": str(world.categories["harvest"]), "post": "",
        "date_of_service": (date.today() - timedelta(days=10)).isoformat(), "note": ""})
    assert response.status_code == 422
    text = _plain(response.get_data(as_text=True))
    assert (f"Дата помощи раньше, чем {world.bermet.user.name} вступила в группу "
            f"({joined}).") in text, text[:4000]
    assert _count(session) == 0


# 4. her own statement speaks to her; the treasurer's view of it does not

def test_her_own_statement_speaks_to_her(client: FlaskClient, session: Session,
                                         world) -> None:  # type: ignore[no-untyped-def]
    login(client, world.aigul.user.email)
    page = _plain(client.get(f"{world.base}/members/{world.aigul.id}").get_data(as_text=True))
    assert ("Плюс — часы вашей помощи другим (или часы от банка); минус — часы помощи, "
            "которую получили вы.") in page
    assert "она отдала" not in page and "её помощи" not in page
    assert "<h1 class=\"typed\">Мои часы</h1>" in page


def test_the_treasurer_sees_her_statement_in_the_third_person(
        client: FlaskClient, session: Session, world) -> None:  # type: ignore[no-untyped-def]
    login(client, world.coordinator.user.email)
    page = _plain(client.get(f"{world.base}/members/{world.aigul.id}").get_data(as_text=True))
    assert ("Плюс — часы её помощи другим (или часы от банка); минус — часы помощи, "
            "которую получила она.") in page
    assert "вашей помощи" not in page and "она отдала" not in page


def _pdf_text(client: FlaskClient, url: str) -> str:
    response = client.get(url)
    assert response.status_code == 200
    text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(response.data)).pages)
    return " ".join(text.split())


def test_her_own_statement_pdf_speaks_to_her_and_the_treasurer_s_does_not(
        app_ctx, session: Session, world) -> None:  # type: ignore[no-untyped-def]
    url = f"{world.base}/members/{world.aigul.id}/statement.pdf"
    her, boss = app_ctx.test_client(), app_ctx.test_client()
    login(her, world.aigul.user.email)
    login(boss, world.coordinator.user.email)
    own = _pdf_text(her, url)
    assert "вашей помощи другим" in own and "получили вы" in own, own
    assert "она отдала" not in own
    other = _pdf_text(boss, url)
    assert "её помощи другим" in other and "получила она" in other, other
    assert "вашей" not in other


# 2. a long note: typed text is marked to break anywhere (the phone test measures it)

def test_a_long_note_is_shown_as_typed_text(client: FlaskClient, session: Session,
                                            world) -> None:  # type: ignore[no-untyped-def]
    note = "https://example.org/" + "x" * 280
    transfer, _new = tb.record_transfer(
        session, world.group, tb.Line(world.aigul, world.bermet, 60, world.categories["house"],
                                      date.today(), note),
        actor=world.aigul.user, mode="receiver")
    session.commit()
    login(client, world.aigul.user.email)
    page = client.get(f"{world.base}/transfers/{transfer.id}").get_data(as_text=True)
    assert '<dl class="facts typed">' in page and note in page
    css = client.get("/static/coop.css").get_data(as_text=True)
    assert ".typed," in css and "overflow-wrap:anywhere" in css


# the reports: «only gives help», not «only gives (hours) away»

def test_the_reports_say_who_only_helps(client: FlaskClient, session: Session,
                                        world) -> None:  # type: ignore[no-untyped-def]
    tb.record_transfer(session, world.group, tb.Line(world.aigul, world.bermet, 60,
                                                     world.categories["house"], date.today()),
                       actor=world.coordinator.user, mode="coordinator")
    session.commit()
    login(client, world.coordinator.user.email)
    page = client.get(f"{world.base}/reports").get_data(as_text=True)
    assert "только помогает" in page and "только получает помощь" in page
    assert "только отдаёт" not in page
