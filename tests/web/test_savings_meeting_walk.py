"""What a new treasurer's walk through the Russian meeting page found (360 px
phone): a fine (a grant, a correction, a cash difference) filled in again
after Back is asked about before it moves the money twice; a social-fund tick
on an absent member is refused, not dropped; the totals row totals the social
fund under labels that fit a total; her loan says what it is made of
(principal + the interest fallen due now); and the forms' messages speak as
the treasurer types: percent, the real rule on shares, the loan's multiple."""

from __future__ import annotations

import dataclasses
import html
import re

import pytest
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from coop.savings import services as savings
from coop.savings.models import Attendance, CashDifference, Correction, Fine, SocialGrant
from tests.conftest import csrf_token
from tests.savings_factory import DATES, example_settings, hold_meeting, make_savings_group
from tests.web.test_savings_pages import _count, _meeting_url, _version, _world
from tests.web.test_savings_walk_ru import _alerts, _as_treasurer, _text


def _ask_fields(page: str) -> dict[str, str]:
    """The hidden fields of the page that asks first ("Record it again?")."""
    return {html.unescape(n): html.unescape(v) for n, v in re.findall(
        r'<input type="hidden" name="([^"]+)" value="([^"]*)">', page)}


def _send(client: FlaskClient, world, meeting, path: str, fields: dict[str, str]):  # type: ignore[no-untyped-def]
    url = _meeting_url(world, meeting)
    page = client.get(url).get_data(as_text=True)
    return client.post(f"{url}/{path}", data={"csrf_token": csrf_token(client, url),
                                             "version": _version(page), **fields})


def _entries(world, kind: str) -> dict:  # type: ignore[no-untyped-def,type-arg]
    aigul = str(world.members[0].id)
    late = str(next(t.id for t in world.cycle.fine_types if t.code == "late"))
    return {
        "fine": ("fines", {"member": aigul, "fine_type": late, "amount": "", "paid": "y"},
                 Fine, "Такой штраф уже записан на этом собрании: Айгүл"),
        "grant": ("grants", {"member": aigul, "amount": "20", "reason": "болезнь"},
                  SocialGrant, "Такая помощь уже записана на этом собрании: Айгүл"),
        "difference": ("differences", {"bag": "loan", "amount": "-1", "reason": "не хватило"},
                       CashDifference, "Такая разница в кассе уже записана на этом собрании"),
        "share_adjustment": ("share-adjustments", {"member": aigul, "shares": "1",
                                                   "reason": "собрание 1: забыли долю"},
                             Correction, "Такое исправление её долей уже записано"),
    }[kind]


@pytest.mark.parametrize("kind", ["fine", "grant", "difference", "share_adjustment"])
def test_the_same_entry_filled_in_again_after_back_asks_first(
        client: FlaskClient, session: Session, kind: str) -> None:
    world = _world(session)
    meeting = world.meetings[0]
    _as_treasurer(client, world)
    path, fields, model, question = _entries(world, kind)
    before = _count(session, model)
    url = _meeting_url(world, meeting)
    page = client.get(url).get_data(as_text=True)
    sent = {"csrf_token": csrf_token(client, url), "version": _version(page), **fields}
    assert client.post(f"{url}/{path}", data=sent).status_code == 303
    # the very same form again (a double tap): the cycle moved on
    assert client.post(f"{url}/{path}", data=sent).status_code == 409
    # Back, the same filled in again on the page as it is now: asked first
    asked = _send(client, world, meeting, path, fields)
    text = _text(asked)
    assert asked.status_code == 200
    assert question in text and "Записать ещё раз?" in text, text[-2000:]
    assert _count(session, model) == before + 1
    # "No, go back" leaves one; "Yes" records the second, once
    again = _ask_fields(asked.get_data(as_text=True))
    assert again["confirm_again"] == "1"
    assert client.post(f"{url}/{path}", data=again).status_code == 303
    assert client.post(f"{url}/{path}", data=again).status_code == 409
    assert _count(session, model) == before + 2


def test_a_fine_paid_at_once_twice_would_count_twice_in_the_cash(
        client: FlaskClient, session: Session) -> None:
    world = _world(session)
    meeting = world.meetings[0]
    _as_treasurer(client, world)
    run = savings.run_cycle(session, world.cycle, world.group, through=1)
    expected = savings.expected_cash(run, meeting)["loan"][1]
    path, fields, _model, _q = _entries(world, "fine")
    assert _send(client, world, meeting, path, fields).status_code == 303
    assert _send(client, world, meeting, path, fields).status_code == 200  # asked
    session.expire_all()
    run = savings.run_cycle(session, world.cycle, world.group, through=1)
    assert savings.expected_cash(run, meeting)["loan"][1] == expected + 500  # once, 5,00


def test_a_second_fine_of_another_amount_is_not_asked(client: FlaskClient,
                                                      session: Session) -> None:
    world = _world(session)
    meeting = world.meetings[0]
    _as_treasurer(client, world)
    path, fields, _model, _q = _entries(world, "fine")
    assert _send(client, world, meeting, path, fields).status_code == 303
    assert _send(client, world, meeting, path, {**fields, "amount": "7"}).status_code == 303
    assert _count(session, Fine) == 2


def test_paying_a_second_fine_of_the_same_kind_asks_first(client: FlaskClient,
                                                          session: Session) -> None:
    world = make_savings_group(session)
    elmira = world.members[4]
    absent = next(t.id for t in world.cycle.fine_types if t.code == "absent")
    hold_meeting(session, world, 1, close_it=False)
    for _ in range(2):  # two fines owed
        savings.add_fine(session, world.meetings[0], world.group, member_id=elmira.id,
                         fine_type_id=absent, amount=None, paid=False)
    from tests.savings_factory import close
    close(session, world, world.meetings[0])
    meeting = savings.open_meeting(session, world.cycle, world.group, day=DATES[1],
                                   kind="regular", actor=world.treasurer.user)
    savings.save_register(session, meeting, world.group, [
        savings.RegisterLine(m.id, "present", shares=1, social=True) for m in world.members])
    session.commit()
    _as_treasurer(client, world)
    fields = {"member": str(elmira.id), "fine_type": str(absent)}
    assert _send(client, world, meeting, "fines/pay", fields).status_code == 303
    asked = _send(client, world, meeting, "fines/pay", fields)
    assert asked.status_code == 200
    assert "Штраф этого вида уже отмечен оплаченным" in _text(asked)
    session.expire_all()
    assert len(list(session.scalars(select(Fine).where(
        Fine.paid_meeting_id == meeting.id)))) == 1


def test_a_second_loan_to_her_at_the_meeting_is_refused_not_asked(
        client: FlaskClient, session: Session) -> None:
    world = _world(session)  # Aigul borrows 730,00 at meeting 1
    _as_treasurer(client, world)
    response = _send(client, world, world.meetings[0], "loans", {
        "member": str(world.members[0].id), "principal": "730", "months": "2", "purpose": ""})
    assert response.status_code == 422
    assert re.search(r"Айгүл.* уже есть заём", _alerts(_text(response))[0]), _alerts(
        _text(response))


def test_a_social_tick_on_an_absent_member_is_refused_and_nothing_written(
        client: FlaskClient, session: Session) -> None:
    world = _world(session)
    meeting = world.meetings[0]
    _as_treasurer(client, world)
    elmira = world.members[4]
    before = {a.cycle_member_id: (a.status, a.shares, a.social) for a in session.scalars(
        select(Attendance).where(Attendance.meeting_id == meeting.id))}
    fields = {}
    for member, shares in zip(world.members, (5, 4, 3, 5, 0), strict=True):
        fields[f"status_{member.id}"] = "absent" if member is elmira else "present"
        fields[f"shares_{member.id}"] = str(shares or "")
        fields[f"social_{member.id}"] = "y"
    response = _send(client, world, meeting, "register", fields)
    assert response.status_code == 422, _alerts(_text(response))
    assert re.fullmatch(r"Элмира[^:]* отсутствует и не может платить в социальный фонд: "
                        r"снимите её галочку или отметьте, что она пришла\.",
                        _alerts(_text(response))[0]), _alerts(_text(response))
    session.expire_all()
    assert before == {a.cycle_member_id: (a.status, a.shares, a.social) for a in session.scalars(
        select(Attendance).where(Attendance.meeting_id == meeting.id))}


def test_the_totals_row_totals_the_social_fund_under_total_labels(
        client: FlaskClient, session: Session) -> None:
    world = _world(session)
    _as_treasurer(client, world)
    page = _text(client.get(_meeting_url(world, world.meetings[0])))
    foot = page[page.index("<tfoot>"):page.index("</tfoot>")]
    assert re.search(r'data-label="Социальный фонд">50,00 сом<', foot), foot
    assert "Её сбережения" not in foot and "Её заём" not in foot
    assert 'data-label="Сбережения всех">950,00 сом' in foot
    assert 'data-label="Займы всех">803,00 сом<br><span class="muted">730,00 сом + 73,00 сом ' \
        "проценты</span>" in foot


def test_her_loan_says_it_is_the_loan_and_this_months_interest(
        client: FlaskClient, session: Session) -> None:
    world = make_savings_group(session, settings=dataclasses.replace(
        example_settings(), interest_method="declining"))
    hold_meeting(session, world, 1)  # Aigul borrows 730,00 for 2 months
    meeting = savings.open_meeting(session, world.cycle, world.group, day=DATES[1],
                                   kind="regular", actor=world.treasurer.user)
    savings.save_register(session, meeting, world.group, [
        savings.RegisterLine(m.id, "present", shares=1, social=True) for m in world.members])
    session.commit()
    _as_treasurer(client, world)
    page = _text(client.get(_meeting_url(world, meeting)))
    row = page[page.index("1. Айгүл"):]
    row = row[:row.index("</tr>")]
    # 766,50 on the meeting, 730,00 on her passbook and the cycle: both right, and said
    assert "766,50 сом" in row
    assert "730,00 сом + 36,50 сом проценты за этот месяц" in row, row
    assert "к оплате на этом собрании 401,50 сом" in row and "просрочено" not in row


def test_the_cycles_rate_is_refused_in_percent_as_typed(client: FlaskClient,
                                                        session: Session) -> None:
    world = _world(session)
    _as_treasurer(client, world)
    url = f"/groups/{world.group.id}/savings/new"
    fields = {"csrf_token": csrf_token(client, url), "start_date": "2027-01-05",
              "share_out_date": "2027-12-05", "share_value": "50", "min_shares": "1",
              "max_shares": "5", "social_contribution": "0", "interest_method": "flat",
              "rate_percent": "25", "loan_multiple": "3", "max_term_months": "3",
              "loan_unit": "1", "payout_unit": "1", "confirm_loans_above": "0",
              "confirmations_required": "2", "withdrawal_rule": "savings_only",
              "fine_late": "5", "fine_absent": "20"}
    text = _text(client.post(url, data=fields))
    assert "Проценты в месяц — от 0 % до 20 %." in text, text[-3000:]
    assert "2000" not in text
    text = _text(client.post(url, data={**fields, "rate_percent": "5", "loan_multiple": "11"}))
    assert "Множитель — от 0,01 до 10." in text, text[-3000:]
    assert "1000" not in text


def test_far_too_many_shares_say_the_real_rule(client: FlaskClient, session: Session) -> None:
    world = _world(session)
    _as_treasurer(client, world)
    fields = {}
    for member in world.members:
        fields[f"status_{member.id}"] = "present"
        fields[f"shares_{member.id}"] = "1"
        fields[f"social_{member.id}"] = "y"
    fields[f"shares_{world.members[0].id}"] = "99999999999999"
    response = _send(client, world, world.meetings[0], "register", fields)
    assert response.status_code == 422
    assert re.fullmatch(r"Айгүл[^:]*: 99999999999999 долей — за собрание 0 или от 1 до 5",
                        _alerts(_text(response))[0]), _alerts(_text(response))


def test_a_loan_not_a_multiple_says_it_is_the_loan(client: FlaskClient,
                                                   session: Session) -> None:
    world = _world(session)
    _as_treasurer(client, world)
    response = _send(client, world, world.meetings[0], "loans", {
        "member": str(world.members[1].id), "principal": "100,50", "months": "1",
        "purpose": ""})
    assert response.status_code == 422
    assert _alerts(_text(response))[0] == "Собрание 1: сумма займа должна быть кратна 1,00 сом"


def test_a_new_register_saved_as_the_page_ticked_it_leaves_the_absent_out(
        client: FlaskClient, session: Session) -> None:
    """A register never saved comes with every social-fund box ticked, everyone
    absent until marked: saved with one member left absent, it is not refused
    for the tick the page put there; she pays nothing, the others pay."""
    world = make_savings_group(session)
    meeting = savings.open_meeting(session, world.cycle, world.group, day=DATES[0],
                                   kind="regular", actor=world.treasurer.user)
    world.meetings.append(meeting)
    session.commit()
    _as_treasurer(client, world)
    elmira = world.members[4]
    url = _meeting_url(world, meeting)
    page = client.get(url).get_data(as_text=True)
    assert 'name="register_fresh" value="1"' in page
    fields = {"csrf_token": csrf_token(client, url), "version": _version(page),
              "register_fresh": "1"}
    for member, shares in zip(world.members, (5, 4, 3, 5, 0), strict=True):
        assert re.search(rf'name="social_{member.id}" value="y" checked', page)
        fields[f"status_{member.id}"] = "absent" if member is elmira else "present"
        fields[f"shares_{member.id}"] = str(shares or "")
        fields[f"social_{member.id}"] = "y"
    response = client.post(f"{url}/register", data=fields)
    assert response.status_code == 303, _alerts(_text(response))
    session.expire_all()
    social = {a.cycle_member_id: a.social for a in session.scalars(
        select(Attendance).where(Attendance.meeting_id == meeting.id))}
    assert not social[elmira.id]
    assert all(social[m.id] for m in world.members if m is not elmira), social
    # saved once, the register is no longer new: her tick would now be hers
    assert 'name="register_fresh"' not in client.get(url).get_data(as_text=True)


@pytest.mark.parametrize("typed", ["²", "١٢", "5²"])
def test_shares_in_other_digits_are_refused_not_a_500(client: FlaskClient, session: Session,
                                                      typed: str) -> None:
    world = _world(session)
    _as_treasurer(client, world)
    fields = {}
    for member in world.members:
        fields[f"status_{member.id}"] = "present"
        fields[f"shares_{member.id}"] = "1"
        fields[f"social_{member.id}"] = "y"
    fields[f"shares_{world.members[0].id}"] = typed
    response = _send(client, world, world.meetings[0], "register", fields)
    assert response.status_code == 422
    assert _alerts(_text(response))[0].startswith("Айгүл"), _alerts(_text(response))
