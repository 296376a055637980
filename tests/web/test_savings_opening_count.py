"""The meeting page and the opening cash count (spec/savings.md §5 step 3,
§5.2): a count the books do not expect is refused with a 4xx in her language,
the form kept as she typed it and nothing written (also at the share-out
meeting, before its question, and through the API, naming the field); a
closed meeting shows an opening count that differed with its shortage."""

from __future__ import annotations

import re
from html import unescape

from flask.testing import FlaskClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from coop.documents.models import Document
from coop.ledger.models import Posting
from coop.money import to_string
from coop.savings import services as savings
from coop.savings.models import SavingsMeeting, ShareOut
from tests.conftest import csrf_token, login, post
from tests.factories import PASSWORD, make_api_token
from tests.savings_factory import hold_meeting, make_savings_group
from tests.web.test_api import API, bearer, problem


def _ru(client: FlaskClient) -> None:
    client.post("/language", data={"locale": "ru", "next": "/",
                                   "csrf_token": csrf_token(client, "/")})


def _text(response) -> str:  # type: ignore[no-untyped-def]
    html = unescape(re.sub(r"<[^>]+>", " ", response.get_data(as_text=True)))
    return re.sub(r"\s+", " ", html.replace("\u00a0", " ").replace("\u202f", " "))


def _amount(minor: int) -> str:
    return f"{minor // 100},{minor % 100:02d}"


def _count(session: Session, model) -> int:  # type: ignore[no-untyped-def]
    session.expire_all()
    return session.scalar(select(func.count()).select_from(model)) or 0


def _open_meeting(session: Session, k: int):  # type: ignore[no-untyped-def]
    """Example 01: the meetings before k closed, meeting k entered and open."""
    world = make_savings_group(session)
    for number in range(1, k):
        hold_meeting(session, world, number)
    meeting = hold_meeting(session, world, k, close_it=False)
    cash = savings.expected_cash(savings.check_meeting(session, meeting, world.group), meeting)
    session.commit()
    return world, meeting, cash


def _typed(page: str, name: str) -> str:
    found = re.search(rf'<input[^>]*name="{name}"[^>]*>', page)
    assert found, page[-3000:]
    value = re.search(r'value="([^"]*)"', found.group(0))
    return unescape(value.group(1)) if value else ""


def _refused_with_nothing_written(client: FlaskClient, session: Session, k: int) -> None:
    world, meeting, cash = _open_meeting(session, k)
    login(client, world.treasurer.user.email, PASSWORD)
    _ru(client)
    url = f"/groups/{world.group.id}/savings/{world.cycle.id}/meetings/{meeting.id}"
    postings, documents = _count(session, Posting), _count(session, Document)
    short = _amount(cash["social"][0] - 500)
    response = post(client, f"{url}/close?at=close", {
        "version": str(world.cycle.version), "opening_loan": "", "opening_social": short,
        "closing_loan": _amount(cash["loan"][1]), "closing_social": _amount(cash["social"][1]),
        "key_holders": [str(i) for i in world.key_holder_ids]})
    assert response.status_code == 422, _text(response)[:2000]
    text = _text(response)
    assert (f"В начале собрания пересчитано {short} сом (социальный фонд), а по записям "
            f"должно быть {_amount(cash['social'][0])} сом: проверьте пересчёт или запишите "
            "разницу -5,00 сом и её причину.") in text, text[:3000]
    assert "Да, подтвердить" not in text  # refused before the share-out's question
    page = response.get_data(as_text=True)
    assert _typed(page, "opening_social") == short and _typed(page, "opening_loan") == ""
    assert _typed(page, "closing_loan") == _amount(cash["loan"][1])
    assert _count(session, Posting) == postings and _count(session, Document) == documents
    assert _count(session, ShareOut) == 0
    assert session.get(SavingsMeeting, meeting.id).state == savings.OPEN


def test_an_opening_count_off_the_books_is_refused_in_russian_and_nothing_written(
        client: FlaskClient, session: Session) -> None:
    _refused_with_nothing_written(client, session, 2)


def test_at_the_share_out_it_is_refused_before_the_question(
        client: FlaskClient, session: Session) -> None:
    _refused_with_nothing_written(client, session, 4)


def test_a_closed_meeting_shows_the_opening_count_that_differed(
        client: FlaskClient, session: Session) -> None:
    world, meeting, cash = _open_meeting(session, 2)
    savings.add_difference(session, meeting, world.group, bag="loan", amount=-500,
                           reason="не хватило с прошлого раза")
    savings.close_meeting(session, meeting, world.group, counts=savings.Counts(
        cash["loan"][0] - 500, cash["social"][0], cash["loan"][1] - 500, cash["social"][1]),
        key_holder_ids=world.key_holder_ids, actor=world.treasurer.user)
    session.commit()
    login(client, world.treasurer.user.email, PASSWORD)
    _ru(client)
    url = f"/groups/{world.group.id}/savings/{world.cycle.id}/meetings/{meeting.id}"
    text = _text(client.get(url))
    assert "220,00 сом (пересчитано 215,00 сом; недостача 5,00 сом" in text, text[-3000:]
    assert "50,00 сом (пересчитано 50,00 сом)" in text, text[-3000:]


def test_the_api_refuses_it_naming_the_field_and_closes_with_the_books_count(
        client: FlaskClient, session: Session) -> None:
    world, meeting, cash = _open_meeting(session, 2)
    token = make_api_token(session, world.treasurer.user)
    session.commit()
    url = (f"{API}/groups/{world.group.id}/savings/cycles/{world.cycle.id}/meetings/"
           f"{meeting.id}/close")
    body = {"opening_loan": to_string(cash["loan"][0] - 500, "KGS"),
            "closing_loan": to_string(cash["loan"][1], "KGS"),
            "closing_social": to_string(cash["social"][1], "KGS"),
            "key_holder_ids": world.key_holder_ids}
    postings = _count(session, Posting)
    problem(client.post(url, json=body, headers=bearer(token)), 422, "opening_loan")
    assert _count(session, Posting) == postings
    body["opening_loan"] = to_string(cash["loan"][0], "KGS")
    closed = client.post(url, json=body, headers=bearer(token))
    assert closed.status_code == 200, closed.get_data(as_text=True)[:500]
    assert closed.get_json()["counts"]["opening_loan"] == "220.00"
    assert closed.get_json()["counts"]["opening_social"] is None
