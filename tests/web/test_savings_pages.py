"""The savings group's pages: who may see and change what, bad input refused
with a message and nothing written, a form sent twice changes once, the
paper form entered from a spreadsheet all-or-nothing."""

from __future__ import annotations

import re

from flask.testing import FlaskClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from coop.savings.models import Attendance, Fine, SavingsLoan
from tests.conftest import csrf_token, login
from tests.factories import PASSWORD, make_group, make_member
from tests.savings_factory import hold_meeting, make_savings_group


def _world(session: Session, meetings: int = 1, close_last: bool = False):  # type: ignore[no-untyped-def]
    world = make_savings_group(session)
    for k in range(1, meetings + 1):
        hold_meeting(session, world, k, close_it=close_last or k < meetings)
    session.commit()
    return world


def _version(page: str) -> str:
    return re.search(r'name="version" (?:type="hidden" )?value="(\d+)"', page).group(1)


def _meeting_url(world, meeting) -> str:  # type: ignore[no-untyped-def]
    return f"/groups/{world.group.id}/savings/{world.cycle.id}/meetings/{meeting.id}"


def _count(session: Session, model) -> int:  # type: ignore[no-untyped-def]
    session.expire_all()
    return session.scalar(select(func.count()).select_from(model)) or 0


def _ru(client: FlaskClient) -> None:
    client.post("/language", data={"locale": "ru", "next": "/",
                                   "csrf_token": csrf_token(client, "/")})


def test_a_loan_sent_twice_is_entered_once(client: FlaskClient, session: Session) -> None:
    world = _world(session)
    meeting = world.meetings[0]
    login(client, world.treasurer.user.email, PASSWORD)
    page = client.get(_meeting_url(world, meeting)).get_data(as_text=True)
    data = {"csrf_token": csrf_token(client, _meeting_url(world, meeting)),
            "version": _version(page), "member": str(world.members[1].id), "principal": "200",
            "months": "1", "purpose": ""}
    loans = _count(session, SavingsLoan)
    first = client.post(f"{_meeting_url(world, meeting)}/loans", data=data)
    again = client.post(f"{_meeting_url(world, meeting)}/loans", data=data)  # Back, send again
    assert first.status_code == 303 and again.status_code == 409
    assert _count(session, SavingsLoan) == loans + 1


def test_a_loan_above_her_limit_is_refused_in_russian_and_nothing_written(
        client: FlaskClient, session: Session) -> None:
    world = _world(session)
    meeting = world.meetings[0]
    login(client, world.treasurer.user.email, PASSWORD)
    _ru(client)
    page = client.get(_meeting_url(world, meeting)).get_data(as_text=True)
    loans = _count(session, SavingsLoan)
    response = client.post(f"{_meeting_url(world, meeting)}/loans", data={
        "csrf_token": csrf_token(client, _meeting_url(world, meeting)),
        "version": _version(page), "member": str(world.members[1].id), "principal": "700",
        "months": "1", "purpose": ""})
    text = response.get_data(as_text=True).replace("\u00a0", " ")
    assert response.status_code == 422
    assert "600,00" in text and "Собрание 1" in text, text[-2000:]
    assert _count(session, SavingsLoan) == loans


def test_shares_above_the_most_are_refused(client: FlaskClient, session: Session) -> None:
    world = _world(session)
    meeting = world.meetings[0]
    login(client, world.treasurer.user.email, PASSWORD)
    url = _meeting_url(world, meeting)
    page = client.get(url).get_data(as_text=True)
    data = {"csrf_token": csrf_token(client, url), "version": _version(page)}
    for member in world.members:
        data[f"status_{member.id}"] = "present"
        data[f"shares_{member.id}"] = "6" if member is world.members[0] else "1"
    before = [a.shares for a in session.scalars(select(Attendance).order_by(Attendance.id))]
    response = client.post(f"{url}/register", data=data)
    assert response.status_code == 422
    session.expire_all()
    assert [a.shares for a in session.scalars(select(Attendance).order_by(Attendance.id))] == before


def test_members_read_but_do_not_change(client: FlaskClient, session: Session) -> None:
    world = _world(session, meetings=2, close_last=True)
    aigul = world.memberships[0]  # the only member with a login
    login(client, aigul.user.email, PASSWORD)
    base = f"/groups/{world.group.id}/savings/{world.cycle.id}"
    assert client.get(base).status_code == 200
    assert client.get(f"{base}/passbooks/{world.members[0].id}").status_code == 200
    assert client.get(f"{base}/passbooks/{world.members[1].id}").status_code == 200  # all lines
    assert client.get(f"{base}/share-out").status_code == 200
    assert client.get(_meeting_url(world, world.meetings[0])).status_code == 200
    token = csrf_token(client, base)
    for path in ("/loans", "/fines", "/close", "/reopen", "/register"):
        response = client.post(_meeting_url(world, world.meetings[1]) + path,
                               data={"csrf_token": token, "version": "1"})
        assert response.status_code == 403, path
    assert client.post(f"{base}/meetings", data={"csrf_token": token}).status_code == 403


def test_another_group_learns_nothing(client: FlaskClient, session: Session) -> None:
    world = _world(session)
    other = make_group(session)
    stranger = make_member(session, other, "Жыпар", role="treasurer")
    session.commit()
    login(client, stranger.user.email, PASSWORD)
    base = f"/groups/{world.group.id}/savings/{world.cycle.id}"
    for url in (f"/groups/{world.group.id}/savings", base, f"{base}/share-out",
                _meeting_url(world, world.meetings[0]),
                f"{base}/passbooks/{world.members[0].id}"):
        assert client.get(url).status_code == 404, url
    # her own group's address with this cycle's number: not found either
    assert client.get(f"/groups/{other.id}/savings/{world.cycle.id}").status_code == 404


def _csv(rows: list[str]) -> bytes:
    return ("\n".join(rows) + "\n").encode("utf-8")


def test_the_paper_form_is_entered_all_or_nothing(client: FlaskClient, session: Session) -> None:
    from io import BytesIO

    world = make_savings_group(session)
    from coop.savings import services as savings
    meeting = savings.open_meeting(session, world.cycle, world.group, day=world.cycle.start_date,
                                   kind="regular", actor=world.treasurer.user)
    session.commit()
    login(client, world.treasurer.user.email, PASSWORD)
    _ru(client)
    url = _meeting_url(world, meeting)
    blank = client.get(f"{url}/form.csv")
    assert blank.status_code == 200 and "passbook" in blank.get_data(as_text=True)
    header = "passbook;name;attendance;shares;social;repayment;fine;fine_paid;loan;months;purpose"
    bad = _csv([header, "1;Айгүл;п;5;1;;;;730;2;семена", "2;Бермет;п;x;1;;;;;;",
                "3;Чолпон;пришла;3;1;;;;;;", "4;Динара;п;5;1;;;;;;", "5;Элмира;п;2;1;;;;;;"])
    page = client.get(url).get_data(as_text=True)
    response = client.post(f"{url}/import", data={
        "csrf_token": csrf_token(client, url), "version": _version(page),
        "file": (BytesIO(bad), "form.csv")}, content_type="multipart/form-data")
    text = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "строка 3" in text and "строка 4" in text, text[-3000:]
    assert _count(session, SavingsLoan) == 0
    good = _csv([header, "1;Айгүл;п;5;1;;;;730;2;семена", "2;Бермет;п;4;1;;;;;;",
                 "3;Чолпон;п;3;1;;;;;;", "4;Динара;п;5;1;;;;;;", "5;Элмира;п;2;1;;late;1;;;"])
    page = client.get(url).get_data(as_text=True)
    response = client.post(f"{url}/import", data={
        "csrf_token": csrf_token(client, url), "version": _version(page),
        "file": (BytesIO(good), "form.csv")}, content_type="multipart/form-data")
    assert response.status_code == 303, response.get_data(as_text=True)[-2000:]
    session.expire_all()
    assert _count(session, SavingsLoan) == 1 and _count(session, Fine) == 1
    shares = sorted(a.shares for a in session.scalars(select(Attendance).where(
        Attendance.meeting_id == meeting.id)))
    assert shares == [2, 3, 4, 5, 5]


def test_corrections_on_the_meeting_page_in_russian(client: FlaskClient,
                                                   session: Session) -> None:
    """A share corrected and interest waived at meeting 2: listed on the page;
    a share correction below none refused in Russian with nothing written."""
    from coop.savings.models import Correction

    world = _world(session, meetings=2)
    meeting = world.meetings[1]
    url = _meeting_url(world, meeting)
    login(client, world.treasurer.user.email, PASSWORD)
    _ru(client)
    page = client.get(url).get_data(as_text=True)
    assert "Исправить прежнее собрание" in page and "Простить проценты по займу" in page
    token = csrf_token(client, url)
    refused = client.post(f"{url}/share-adjustments", data={
        "csrf_token": token, "version": _version(page),
        "member": str(world.member("Элмира").id), "shares": "-9",
        "reason": "лишние доли на встрече 1"})
    text = refused.get_data(as_text=True).replace("\u00a0", " ")
    assert refused.status_code == 422 and "меньше нуля быть не может" in text
    assert _count(session, Correction) == 0
    done = client.post(f"{url}/share-adjustments", data={
        "csrf_token": token, "version": _version(page),
        "member": str(world.member("Бермет").id), "shares": "-1",
        "reason": "на встрече 1 записали лишнюю долю"})
    assert done.status_code == 303
    page = client.get(url).get_data(as_text=True)
    waived = client.post(f"{url}/interest-waivers", data={
        "csrf_token": token, "version": _version(page),
        "member": str(world.member("Айгүл").id), "amount": "10", "reason": "болела весь месяц"})
    assert waived.status_code == 303
    page = client.get(url).get_data(as_text=True).replace("\u00a0", " ")
    assert "Исправление долей:" in page and "-1" in page
    assert "Прощены проценты:" in page and "10,00" in page
    assert _count(session, Correction) == 2


def test_a_group_adopting_coop_enters_fines_owed_and_the_key_holders_confirm_the_count(
        client: FlaskClient, session: Session) -> None:
    """The opening balances on the cycle page with a fine still owed; the start
    refused with one key-holder, done with two, their names on the page."""
    from coop.savings import services as savings
    from coop.savings.models import SavingsCycle
    from tests.savings_factory import NAMES, example_settings

    group = make_group(session)
    treasurer = make_member(session, group, "Гүлнара", role="treasurer")
    women = [make_member(session, group, name, login=False) for name in NAMES[:3]]
    cycle = savings.create_cycle(session, group, example_settings(), treasurer.user)
    members = [savings.enrol(session, cycle, w) for w in women]
    savings.set_key_holders(session, cycle, [w.id for w in women])
    session.commit()
    absent = next(t.id for t in cycle.fine_types if t.code == "absent")
    url = f"/groups/{group.id}/savings/{cycle.id}"
    login(client, treasurer.user.email, PASSWORD)
    _ru(client)
    page = client.get(url).get_data(as_text=True)
    assert "Неуплаченный штраф" in page
    token = csrf_token(client, url)
    form = {"csrf_token": token, "version": _version(page), "income": "30", "social_fund": "",
            f"shares_{members[0].id}": "4", f"fines_{members[0].id}": "20",
            f"fine_type_{members[0].id}": str(absent), f"shares_{members[1].id}": "2"}
    assert client.post(f"{url}/opening", data=form).status_code == 303
    page = client.get(url).get_data(as_text=True).replace("\u00a0", " ")
    # 6 shares of 50,00 + 30,00 of income − the 20,00 fine still owed
    assert "310,00" in page
    holders = [str(h.id) for h in cycle.key_holders]
    start = {"csrf_token": token, "version": _version(page), "counted_loan": "310",
             "counted_social": "0", "key_holders": holders[:1]}
    refused = client.post(f"{url}/activate", data=start)
    assert refused.status_code == 422
    session.expire_all()
    assert session.get(SavingsCycle, cycle.id).state == "draft"
    page = client.get(url).get_data(as_text=True)
    start = {**start, "version": _version(page), "key_holders": holders[:2]}
    assert client.post(f"{url}/activate", data=start).status_code == 303
    session.expire_all()
    assert session.get(SavingsCycle, cycle.id).state == "active"
    page = client.get(url).get_data(as_text=True)
    assert "начальный пересчёт подтвердили" in page
    assert women[0].user.name in page.split("начальный пересчёт подтвердили")[1][:400]


def test_a_change_to_the_cycle_refused_is_a_4xx_on_the_cycle_page_in_russian(
        client: FlaskClient, session: Session) -> None:
    """Opening a meeting sent twice (Back), with a date to come, or with no
    date: each answered with the cycle's page, the reason in Russian above it,
    a 409 or a 422, and no meeting written; the first one sent opens one."""
    from datetime import date, timedelta

    from coop.savings.models import SavingsMeeting

    world = _world(session, meetings=1, close_last=True)
    url = f"/groups/{world.group.id}/savings/{world.cycle.id}"
    login(client, world.treasurer.user.email, PASSWORD)
    _ru(client)
    page = client.get(url).get_data(as_text=True)
    base = {"csrf_token": csrf_token(client, url), "version": _version(page),
            "kind": "regular"}
    meetings = _count(session, SavingsMeeting)

    to_come = client.post(f"{url}/meetings", data={
        **base, "date": (date.today() + timedelta(days=30)).isoformat()})
    assert to_come.status_code == 422
    assert "Дата собрания не может быть в будущем." in to_come.get_data(as_text=True)
    no_date = client.post(f"{url}/meetings", data={**base, "date": ""})
    assert no_date.status_code == 422
    assert "Укажите дату собрания." in no_date.get_data(as_text=True)
    assert _count(session, SavingsMeeting) == meetings

    day = {**base, "date": date.today().isoformat()}
    first = client.post(f"{url}/meetings", data=day)
    again = client.post(f"{url}/meetings", data=day)
    assert first.status_code == 303
    assert again.status_code == 409
    shown = again.get_data(as_text=True)
    assert "Это уже сделано, или собрание изменилось" in shown
    assert _count(session, SavingsMeeting) == meetings + 1
    opened = session.scalar(select(func.max(SavingsMeeting.id)))
    assert first.headers["Location"].endswith(f"{url}/meetings/{opened}")
    assert f'href="{url}/meetings/{opened}"' in shown  # the cycle's page, as it is now


def test_a_loan_limit_and_a_rate_in_hundredths_read_as_written(
        client: FlaskClient, session: Session) -> None:
    """A limit of 3,33 × her savings and a rate of 1,15 % were divided in the
    template as floats and printed as «3,330000000000000071054273576»."""
    world = _world(session)
    world.cycle.loan_multiple, world.cycle.rate_bp = 333, 115
    session.commit()
    login(client, world.treasurer.user.email, PASSWORD)
    _ru(client)
    cycle = client.get(f"/groups/{world.group.id}/savings/{world.cycle.id}").get_data(
        as_text=True)
    assert "3,33 ×" in cycle and "1,15 %" in cycle and "0000000" not in cycle
    meeting = client.get(_meeting_url(world, world.meetings[0])).get_data(as_text=True)
    assert "3,33 ×" in meeting and "0000000" not in meeting


def test_her_passbooks_loan_column_is_named_as_on_the_printed_passbook(
        client: FlaskClient, session: Session) -> None:
    """(Found on a walk: the column read ky «Дагы карызбыз», tg «Ҳанӯз
    қарздорем», "we still owe", the words of the supplier pages, where the
    group owes.) Her loan left, in the printed passbook's words."""
    world = _world(session, meetings=2, close_last=True)
    aigul = world.memberships[0]
    login(client, aigul.user.email, PASSWORD)
    url = f"/groups/{world.group.id}/savings/{world.cycle.id}/passbooks/{world.members[0].id}"
    for locale, words, not_these in (("ru", "Остаток долга", "Ещё должны"),
                                     ("ky", "Карыздын калдыгы", "Дагы карызбыз"),
                                     ("tg", "Бақияи қарз", "Ҳанӯз қарздорем")):
        client.post("/language", data={"locale": locale, "next": "/",
                                       "csrf_token": csrf_token(client, "/")})
        page = client.get(url).get_data(as_text=True)
        assert f'<th class="num">{words}</th>' in page, (locale, page[:2000])
        assert not_these not in page, locale
