"""What a review of the meeting page's refusals found: the section a form
goes back to (?at=) went into the Location header as typed (a newline in it
answered 500 after the entry was committed); a kept form refused where the
page no longer shows it (the meeting closed meanwhile) said only "check the
form", its fields' words shown nowhere; the "record it again?" question of
an app served under a prefix posted outside it."""

from __future__ import annotations

import html
import re

from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from coop.savings.models import SocialGrant
from tests.conftest import csrf_token
from tests.web.test_savings_meeting_walk import _entries
from tests.web.test_savings_pages import _count, _meeting_url, _version, _world
from tests.web.test_savings_walk_ru import _as_treasurer


def test_a_section_that_is_no_section_goes_back_to_the_register(client: FlaskClient,
                                                                 session: Session) -> None:
    world = _world(session)
    _as_treasurer(client, world)
    url = _meeting_url(world, world.meetings[0])
    path, fields, _model, _question = _entries(world, "grant")
    page = client.get(url).get_data(as_text=True)
    before = _count(session, SocialGrant)
    sent = client.post(f"{url}/{path}?at=x%0d%0aSet-Cookie:%20a=b",
                       data={"csrf_token": csrf_token(client, url), "version": _version(page),
                             **fields})
    assert sent.status_code == 303, sent.status_code
    assert sent.headers["Location"].endswith(f"{url}#register")
    assert "Set-Cookie" not in sent.headers or "a=b" not in sent.headers["Set-Cookie"]
    assert _count(session, SocialGrant) == before + 1


def test_a_form_the_page_no_longer_shows_says_what_was_wrong_at_the_top(
        client: FlaskClient, session: Session) -> None:
    world = _world(session, meetings=1, close_last=True)  # the meeting is closed
    _as_treasurer(client, world)
    url = _meeting_url(world, world.meetings[0])
    page = client.get(url).get_data(as_text=True)
    assert 'action="' + f"{url}/grants" not in page  # no grant form on a closed meeting
    refused = client.post(f"{url}/grants?at=entries",
                          data={"csrf_token": csrf_token(client, url),
                                "version": _version(page), "member": "",
                                "amount": "abc", "reason": ""})
    text = html.unescape(refused.get_data(as_text=True)).replace("\u00a0", " ")
    assert refused.status_code == 422
    banners = re.findall(r'<p class="error banner" role="alert">(.*?)</p>', text, re.S)
    assert banners and banners != ["Пожалуйста, проверьте форму."], banners
    assert any("abc" in b or "Сумма" in b for b in banners), banners


def test_the_question_of_an_app_under_a_prefix_posts_inside_it(client: FlaskClient,
                                                                session: Session) -> None:
    world = _world(session)
    _as_treasurer(client, world)
    url = _meeting_url(world, world.meetings[0])
    path, fields, _model, _question = _entries(world, "grant")
    base = "http://localhost/coop"
    for _ in range(2):  # the second, the same again: asked
        page = client.get(url, base_url=base).get_data(as_text=True)
        sent = client.post(f"{url}/{path}?at=entries", base_url=base,
                           data={"csrf_token": csrf_token(client, url),
                                 "version": _version(page), **fields})
    asked = sent.get_data(as_text=True)
    assert sent.status_code == 200, sent.status_code
    (action,) = re.findall(r'<form method="post" action="([^"]*)" novalidate>', asked)
    assert html.unescape(action) == f"/coop{url}/{path}?at=entries#grant", action
