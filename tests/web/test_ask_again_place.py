"""The question before a second record like a recent one ("Record another?",
coop.ledger.views.ask_again) posts its "yes" where the form was sent: the
savings meeting's forms post to `?at=<section>#<place>`, and the question
posted to the bare path, so after "yes" the page went back to the roll call
(`#register`) and not to the section the form came from, and a refusal after
"yes" opened at the top of a long page on a phone. It keeps the request's own
path and query (nothing from elsewhere) and the form's place as its fragment."""

from __future__ import annotations

import html
import re

import pytest
from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from coop.savings.models import Fine, SocialGrant
from tests.conftest import csrf_token
from tests.web.test_savings_meeting_walk import _ask_fields, _entries
from tests.web.test_savings_pages import _count, _meeting_url, _version, _world
from tests.web.test_savings_walk_ru import _as_treasurer


def _send(client: FlaskClient, url: str, action: str, fields: dict[str, str]):  # type: ignore[no-untyped-def]
    page = client.get(url).get_data(as_text=True)
    return client.post(action, data={"csrf_token": csrf_token(client, url),
                                     "version": _version(page), **fields})


def _question_action(page: str) -> str:
    (action,) = re.findall(r'<form method="post" action="([^"]*)" novalidate>', page)
    return html.unescape(action)


@pytest.mark.parametrize("kind, model", [("fine", Fine), ("grant", SocialGrant)])
def test_yes_posts_to_the_forms_address_and_goes_back_to_its_section(
        client: FlaskClient, session: Session, kind: str, model: type) -> None:
    world = _world(session)
    meeting = world.meetings[0]
    _as_treasurer(client, world)
    path, fields, _model, question = _entries(world, kind)
    url = _meeting_url(world, meeting)
    sent_to = f"{url}/{path}?at=entries"  # as the meeting page's form: ...?at=entries#<place>
    before = _count(session, model)
    first = _send(client, url, sent_to, fields)
    assert first.status_code == 303 and first.headers["Location"].endswith("#entries")
    asked = _send(client, url, sent_to, fields)  # Back, the same filled in again
    page = asked.get_data(as_text=True)
    assert asked.status_code == 200 and question in page.replace("\u00a0", " ")
    action = _question_action(page)
    yes = client.post(action.split("#", 1)[0], data=_ask_fields(page))
    assert yes.status_code == 303, yes.status_code
    # back to the section the form came from, not to the roll call (#register)
    assert yes.headers["Location"].endswith(f"{url}#entries"), yes.headers["Location"]
    assert action == f"{sent_to}#{kind}", action  # its own path and query, and the form's place
    assert _count(session, model) == before + 2


def test_a_refusal_after_yes_opens_at_the_form(client: FlaskClient,
                                                  session: Session) -> None:
    world = _world(session)
    meeting = world.meetings[0]
    _as_treasurer(client, world)
    path, fields, _model, _question = _entries(world, "fine")
    url = _meeting_url(world, meeting)
    sent_to = f"{url}/{path}?at=entries"
    assert _send(client, url, sent_to, fields).status_code == 303
    page = _send(client, url, sent_to, fields).get_data(as_text=True)
    action = _question_action(page)
    answer = _ask_fields(page)
    grants, grant, _m, _q = _entries(world, "grant")
    assert _send(client, url, f"{url}/{grants}?at=entries", grant).status_code == 303
    # the meeting moved on meanwhile: "yes" is refused, on the page at the address
    # it was posted to, which opens at the section (an element of that id)
    refused = client.post(action.split("#", 1)[0], data=answer)
    assert refused.status_code == 409, refused.status_code
    assert action.endswith("?at=entries#fine")
    page = refused.get_data(as_text=True)
    # the message inside the fine's own place, opened, and nothing at the top
    place = page[page.index('<details id="fine" open>'):]
    place = place[:place.index("</details>")]
    assert 'role="alert"' in place, place[:2000]
    assert 'role="alert"' not in page[:page.index('id="register"')]


def test_a_form_without_a_section_keeps_its_own_address(client: FlaskClient,
                                                         session: Session) -> None:
    world = _world(session)
    meeting = world.meetings[0]
    _as_treasurer(client, world)
    path, fields, _model, _question = _entries(world, "grant")
    url = _meeting_url(world, meeting)
    assert _send(client, url, f"{url}/{path}", fields).status_code == 303
    page = _send(client, url, f"{url}/{path}", fields).get_data(as_text=True)
    assert _question_action(page) == f"{url}/{path}#grant"
    # a section that is no id of a page is not made a fragment; the query is its own
    odd = f'{url}/{path}?at=%22%3E%3Cb%3E'
    assert _send(client, url, f"{url}/{path}", {**fields, "amount": "21"}).status_code == 303
    page = _send(client, url, odd, {**fields, "amount": "21"}).get_data(as_text=True)
    assert _question_action(page) == f"{odd}#grant"
