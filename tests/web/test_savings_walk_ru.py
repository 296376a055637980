"""What a new member's walk through the Russian savings pages found: each
message says what is wrong in the reader's own words and formats (dates
05.04.2026, "3 × её сбережения"), her own passbook speaks to her, a new
register expects the social fund from everyone who comes, and the draft
share-out sheet prints no meeting that never was."""

from __future__ import annotations

import re

from flask import Flask
from flask.testing import FlaskClient
from flask_babel import force_locale
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from coop.savings import domain
from coop.savings import services as savings
from coop.savings.models import Attendance, SavingsLoan, SavingsMeeting
from tests.conftest import csrf_token, login
from tests.factories import PASSWORD
from tests.integration.test_documents import pdf_text
from tests.savings_factory import DATES, close, make_savings_group
from tests.web.test_savings_pages import _meeting_url, _version, _world


def _base(world) -> str:  # type: ignore[no-untyped-def]
    return f"/groups/{world.group.id}/savings/{world.cycle.id}"




def _ru(client: FlaskClient) -> None:
    client.post("/language", data={"locale": "ru", "next": "/",
                                   "csrf_token": csrf_token(client, "/")})


def _text(response) -> str:  # type: ignore[no-untyped-def]
    return response.get_data(as_text=True).replace("\u00a0", " ").replace("&#34;", '"')


def _alerts(text: str) -> list[str]:
    return re.findall(r'role="alert">([^<]*)<', text)


def _as_treasurer(client: FlaskClient, world) -> None:  # type: ignore[no-untyped-def]
    login(client, world.treasurer.user.email, PASSWORD)
    _ru(client)


def _register(client: FlaskClient, world, meeting, shares: dict[int, str]):  # type: ignore[no-untyped-def]
    url = _meeting_url(world, meeting)
    page = client.get(url).get_data(as_text=True)
    data = {"csrf_token": csrf_token(client, url), "version": _version(page)}
    for member in world.members:
        data[f"status_{member.id}"] = "present"
        data[f"shares_{member.id}"] = shares.get(member.id, "1")
        data[f"social_{member.id}"] = "y"
    return client.post(f"{url}/register", data=data)


def test_negative_shares_are_called_negative_not_fractional(client: FlaskClient,
                                                            session: Session) -> None:
    world = _world(session)
    _as_treasurer(client, world)
    aigul = world.members[0]
    before = [a.shares for a in session.scalars(select(Attendance).order_by(Attendance.id))]
    for typed in ("-1", "−1"):
        response = _register(client, world, world.meetings[0], {aigul.id: typed})
        text = _text(response)
        assert response.status_code == 422
        assert re.fullmatch(r"Айгүл.*: число долей не может быть отрицательным\.",
                            _alerts(text)[0]), _alerts(text)
        assert "целым" not in text
    for typed in ("1,5", "два"):
        response = _register(client, world, world.meetings[0], {aigul.id: typed})
        assert response.status_code == 422
        assert re.fullmatch(r"Айгүл.*: число долей должно быть целым\.",
                            _alerts(_text(response))[0])
    session.expire_all()
    assert [a.shares for a in session.scalars(select(Attendance).order_by(Attendance.id))] == before


def _loan(client: FlaskClient, world, meeting, months: str, principal: str = "100"):  # type: ignore[no-untyped-def]
    url = _meeting_url(world, meeting)
    page = client.get(url).get_data(as_text=True)
    return client.post(f"{url}/loans", data={
        "csrf_token": csrf_token(client, url), "version": _version(page),
        "member": str(world.members[1].id), "principal": principal, "months": months,
        "purpose": ""})


def test_a_loan_term_outside_the_groups_rule_says_the_term_and_the_rule(
        client: FlaskClient, session: Session) -> None:
    world = _world(session)  # the cycle lends for 3 months at most
    _as_treasurer(client, world)
    expected = "Срок займа — от 1 до 3 мес.: дольше правила группы не позволяют."
    for months in ("0", "4", "13"):
        response = _loan(client, world, world.meetings[0], months)
        text = _text(response)
        assert response.status_code == 422, months
        assert expected in text, (months, text[-1500:])
        assert "между 1 и 12" not in text and "должно быть от 1 до" not in text
    assert session.scalar(select(func.count()).select_from(SavingsLoan)) == 1  # Aigul's, M1


def test_the_engines_term_message_names_the_term_too(app: Flask) -> None:
    """A term out of range found by the engine (a stored or imported loan)
    reads as the service's own message."""
    error = domain.ScenarioError("meetings[0].loans[0].months",
                                 "must be between %(low)s and %(high)s", {"low": 1, "high": 3})
    meeting = SavingsMeeting(number=6)
    with app.test_request_context(), force_locale("ru"):
        message = str(savings._domain_error(error, "TJS", [meeting]).message)
    assert message == ("Собрание 6: Срок займа — от 1 до 3 мес.: дольше правила группы не "
                       "позволяют.")


def test_a_meeting_before_the_last_gives_the_date_as_russians_write_it(
        client: FlaskClient, session: Session) -> None:
    world = _world(session, meetings=2, close_last=True)  # the last on 2026-04-05
    _as_treasurer(client, world)
    base = _base(world)
    page = client.get(base).get_data(as_text=True)
    response = client.post(f"{base}/meetings", data={
        "csrf_token": csrf_token(client, base), "version": _version(page),
        "date": "2026-04-01", "kind": "regular"})
    text = _text(response)
    assert response.status_code == 422
    assert "Прошлое собрание было 05.04.2026; это должно быть позже." in text, text[-1500:]
    assert "2026-04-05" not in text
    page = client.get(base).get_data(as_text=True)
    response = client.post(f"{base}/meetings", data={
        "csrf_token": csrf_token(client, base), "version": _version(page),
        "date": "2026-03-01", "kind": "regular"})
    assert "Цикл начинается 05.03.2026." in _text(response)


def test_the_share_out_date_in_a_loan_refusal_is_a_russian_date(client: FlaskClient,
                                                                session: Session) -> None:
    world = _world(session, meetings=3)  # meeting 3 open, 2026-05-05; share-out 2026-06-05
    _as_treasurer(client, world)
    response = _loan(client, world, world.meetings[2], "2", principal="100")
    text = _text(response)
    assert response.status_code == 422
    assert "после даты распределения 05.06.2026" in text, text[-1500:]
    assert "2026-06-05" not in text


def test_the_loan_limit_gives_the_multiple_as_a_russian_number(client: FlaskClient,
                                                               session: Session) -> None:
    world = _world(session)
    _as_treasurer(client, world)
    response = _loan(client, world, world.meetings[0], "1", principal="700")
    text = _text(response)
    assert response.status_code == 422
    assert "может взять не больше 600,00 сом (3 × её сбережения 200,00 сом)" in text, \
        text[-1500:]
    assert "3.00" not in text


def test_her_own_passbook_speaks_to_her(client: FlaskClient, session: Session) -> None:
    world = _world(session, meetings=2, close_last=True)
    aigul, bermet = world.members[0], world.members[1]  # Aigul has a login
    login(client, world.memberships[0].user.email, PASSWORD)
    _ru(client)
    own = _text(client.get(f"{_base(world)}/passbooks/{aigul.id}"))
    assert "Ваши доли" in own and "Ваши сбережения" in own and "Вы должны по займу" in own
    assert "ваши 10 из" in own and "дали бы вам" in own
    assert "Её доли" not in own and "Её сбережения" not in own
    other = _text(client.get(f"{_base(world)}/passbooks/{bermet.id}"))
    assert "Её доли" in other and "Ваши доли" not in other


def test_the_treasurer_reads_a_members_passbook_in_the_third_person(
        client: FlaskClient, session: Session) -> None:
    world = _world(session, meetings=2, close_last=True)
    _as_treasurer(client, world)
    page = _text(client.get(f"{_base(world)}/passbooks/{world.members[0].id}"))
    assert "Её доли" in page and "Её сбережения" in page and "Ваши доли" not in page


def test_a_new_register_expects_the_social_fund_from_everyone(client: FlaskClient,
                                                               session: Session) -> None:
    world = _world(session, meetings=1, close_last=True)
    meeting = savings.open_meeting(session, world.cycle, world.group, day=DATES[1],
                                   kind="regular", actor=world.treasurer.user)
    session.commit()
    _as_treasurer(client, world)
    url = _meeting_url(world, meeting)
    page = client.get(url).get_data(as_text=True)
    for member in world.members:
        assert re.search(rf'name="social_{member.id}" value="y" checked', page), member.name
    # sent as shown, with Elmira absent and her box left ticked: refused, as
    # shares of an absent member are, naming her; nothing written, and the
    # page keeps what was typed to correct it
    data = {"csrf_token": csrf_token(client, url), "version": _version(page)}
    elmira = world.members[4]
    for member in world.members:
        data[f"status_{member.id}"] = "absent" if member is elmira else "present"
        data[f"shares_{member.id}"] = "" if member is elmira else "1"
        data[f"social_{member.id}"] = "y"
    response = client.post(f"{url}/register", data=data)
    assert response.status_code == 422
    assert "Элмира" in _alerts(_text(response))[0]
    assert "не может платить в социальный фонд" in _alerts(_text(response))[0]
    assert re.search(rf'name="shares_{world.members[0].id}" value="1"', _text(response))
    session.expire_all()
    assert not any(a.social or a.shares for a in session.scalars(
        select(Attendance).where(Attendance.meeting_id == meeting.id)))
    # her box unticked: the four who came pay, Elmira nothing
    del data[f"social_{elmira.id}"]
    response = client.post(f"{url}/register", data=data)
    assert response.status_code == 303, _text(response)[-1500:]
    session.expire_all()
    paid = {a.cycle_member_id: a.social for a in session.scalars(
        select(Attendance).where(Attendance.meeting_id == meeting.id))}
    assert paid == {m.id: 0 if m is elmira else 1000 for m in world.members}
    # the treasurer unticks who did not pay: that stays unticked; absent, unticked
    page = client.get(url).get_data(as_text=True)
    assert re.search(rf'name="social_{elmira.id}" value="y">', page)
    data["version"] = _version(page)
    del data[f"social_{world.members[1].id}"]
    assert client.post(f"{url}/register", data=data).status_code == 303
    page = client.get(url).get_data(as_text=True)
    assert re.search(rf'name="social_{world.members[1].id}" value="y">', page)


def _first_meeting(session: Session):  # type: ignore[no-untyped-def]
    """The cycle's first meeting, open, everyone present with two shares."""
    world = make_savings_group(session)
    meeting = savings.open_meeting(session, world.cycle, world.group, day=DATES[1],
                                   kind="regular", actor=world.treasurer.user)
    world.meetings.append(meeting)
    savings.save_register(session, meeting, world.group, [
        savings.RegisterLine(m.id, "present", shares=2, social=True) for m in world.members])
    return world, meeting


def test_the_draft_share_out_sheet_prints_no_meeting_that_never_was(
        client: FlaskClient, session: Session) -> None:
    world, meeting = _first_meeting(session)
    close(session, world, meeting)  # no loan: a share-out today would be allowed
    session.commit()
    _as_treasurer(client, world)
    response = client.get(f"{_base(world)}/share-out.pdf")
    assert response.status_code == 200
    text = pdf_text(response.data)
    assert "Собрание распределения" not in text
    assert "06.04.2026" not in text  # the day after the last meeting: nobody's meeting
    assert "Расчёт на Собрание 1, 05.04.2026" in text, text[:1500]
    assert "Дата распределения (по плану) 05.06.2026" in text, text[:1500]


def test_who_owes_more_than_her_share_out_is_told_in_russian_amounts(app: Flask) -> None:
    error = domain.ScenarioError(
        "meetings[3]", "some owe more than their share-out: %(members)s. "
        "Record a repayment or a write-off first",
        {"members": "Чолпон (3) 2300.00 > 1500.00; Динара 1.50 > 0.75"})
    with app.test_request_context(), force_locale("ru"):
        message = str(savings._domain_error(error, "KGS").message).replace("\u00a0", " ")
    assert ("Чолпон (3) должна 2 300,00 сом, а её доля при распределении — 1 500,00 сом; "
            "Динара должна 1,50 сом" in message), message
    assert ">" not in message
    assert "2300.00" not in message


def test_the_return_on_savings_is_written_as_the_reader_writes_numbers(
        client: FlaskClient, session: Session) -> None:
    world, meeting = _first_meeting(session)
    late = next(t.id for t in world.cycle.fine_types if t.code == "late")
    savings.add_fine(session, meeting, world.group, member_id=world.members[0].id,
                     fine_type_id=late, amount=None, paid=True)  # 5,00 on 500,00 savings
    close(session, world, meeting)
    session.commit()
    login(client, world.treasurer.user.email, PASSWORD)
    english = _text(client.get(f"{_base(world)}/share-out"))
    assert "1.0 % on savings" in english, english[-2500:]
    _ru(client)
    russian = _text(client.get(f"{_base(world)}/share-out"))
    assert "1,0 % на сбережения" in russian
