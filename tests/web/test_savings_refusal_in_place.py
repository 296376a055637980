"""A refused form on the meeting page says why beside that form, not in a
banner at the top: on a 390 px phone the close form is some 3,600 px below
the top, and the treasurer saw her form unchanged and no message. Each form
posts to `#<its place>`, so the page comes back opened at the message, and
the form keeps what she typed."""

from __future__ import annotations

import html
import re

from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from coop.savings import services as savings
from tests.web.test_savings_meeting_walk import _send
from tests.web.test_savings_pages import _meeting_url, _world
from tests.web.test_savings_walk_ru import _alerts, _as_treasurer, _text


def _place(page: str, start: str, end: str) -> str:
    """The page from the element that opens a place to the next one."""
    at = page.index(start)
    return page[at:page.index(end, at + len(start))]


def _form(page: str, action_ends: str) -> str:
    found = re.search(rf'<form method="post" action="[^"]*{re.escape(action_ends)}"[^>]*>'
                      r"(.*?)</form>", page, re.S)
    assert found, page[:3000]
    return found.group(1)


def _amount(minor: int) -> str:
    return f"{minor // 100},{minor % 100:02d}"


def test_a_refused_close_says_why_above_the_close_form_and_opens_there(
        client: FlaskClient, session: Session) -> None:
    world = _world(session)
    meeting = world.meetings[0]
    cash = savings.expected_cash(savings.check_meeting(session, meeting, world.group), meeting)
    session.rollback()
    _as_treasurer(client, world)
    page = client.get(_meeting_url(world, meeting)).get_data(as_text=True)
    assert re.search(r'action="[^"]*/close\?at=close#close"', page), page[-3000:]

    refused = _send(client, world, meeting, "close?at=close", {
        "closing_loan": _amount(cash["loan"][1]), "closing_social": _amount(cash["social"][1]),
        "key_holders": str(world.key_holder_ids[0])})
    assert refused.status_code == 422
    text = _text(refused)
    message = "Нужно подтверждений хранительниц ключей: 2; есть: 1."
    assert _alerts(text) == [message], _alerts(text)  # once, not also at the top
    form = _form(text, "/close?at=close#close")
    assert f'role="alert">{message}<' in form
    # above the form's first field, and what she typed is still there
    assert form.index(message) < form.index('name="opening_loan"')
    assert f'value="{_amount(cash["loan"][1])}"' in form
    assert text.index(message) > text.index('<h2 id="close">')


def test_a_refused_loan_says_why_inside_the_open_loan_form_keeping_it(
        client: FlaskClient, session: Session) -> None:
    world = _world(session)
    meeting = world.meetings[0]
    _as_treasurer(client, world)
    page = client.get(_meeting_url(world, meeting)).get_data(as_text=True)
    assert re.search(r'action="[^"]*/loans\?at=entries#loan"', page)
    assert '<details id="loan">' in page  # closed until a loan is refused

    bilal = str(world.members[1].id)
    refused = _send(client, world, meeting, "loans?at=entries", {
        "member": bilal, "principal": "100,50", "months": "1", "purpose": "семена"})
    assert refused.status_code == 422
    text = _text(refused)
    message = "Собрание 1: сумма займа должна быть кратна 1,00 сом"
    assert _alerts(text) == [message], _alerts(text)
    place = _place(text, '<details id="loan" open>', "</details>")
    form = _form(place, "/loans?at=entries#loan")
    assert f'role="alert">{message}<' in form
    assert form.index(message) < form.index('name="member"')
    assert re.search(rf'<option selected value="{bilal}">|<option value="{bilal}" selected',
                     form), form
    assert 'value="100,50"' in form and 'value="семена"' in form


def test_a_loan_form_left_empty_says_so_beside_the_field_and_once_above(
        client: FlaskClient, session: Session) -> None:
    world = _world(session)
    meeting = world.meetings[0]
    _as_treasurer(client, world)
    refused = _send(client, world, meeting, "loans?at=entries", {
        "member": str(world.members[1].id), "principal": "", "months": "1"})
    assert refused.status_code == 422
    place = _place(_text(refused), '<details id="loan" open>', "</details>")
    assert _alerts(place) == ["Пожалуйста, проверьте форму."], _alerts(place)
    field = _place(place, '<div class="field has-error">', "</div>")
    assert 'name="principal"' in field and 'aria-invalid="true"' in field
    error = re.search(r'<p class="error">([^<]+)</p>', field)
    assert error and html.unescape(error.group(1)).strip(), field
