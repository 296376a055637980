"""The savings group's and the season's rows of links are lists (coop.css:
ul.links draws a dot between two items on one line only), not links with a
literal «·» between them: on a 390 px phone such a row wrapped and a dot
ended one line or began the next. The cycle's state, dates and links and its
share-out links, the meeting's date, state and cycle and its blank forms,
the share-out's links, the share-out question's meeting and sheets, the
passbook's cycle and share, and a seed loan's links."""

from __future__ import annotations

import re

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from tests.conftest import login, post
from tests.factories import PASSWORD
from tests.web.test_link_rows import _items
from tests.web.test_savings_walk_tg import _close_form, _language, _share_out_meeting
from tests.web.test_season_pages import signed_in, world


def _list(page: str, href_end: str) -> str:
    """The one ul.links list of the page holding a link whose address ends
    with `href_end`; no «·» written around it in its paragraph's stead."""
    found = [m for m in re.findall(r'<ul class="links[^"]*">(.*?)</ul>', page, re.S)
             if re.search(rf'href="[^"]*{re.escape(href_end)}"', m)]
    assert len(found) == 1, (href_end, found)
    return found[0]


def test_the_savings_rows_of_links_are_lists(client: FlaskClient, session: Session) -> None:
    w, meeting, cash = _share_out_meeting(session)
    login(client, w.treasurer.user.email, PASSWORD)
    _language(client, "ru")
    base = f"/groups/{w.group.id}/savings/{w.cycle.id}"
    cycle = client.get(base).get_data(as_text=True)
    items = _items(_list(cycle, "/indicators"))
    assert len(items) == 4 and "<strong>" in items[0], items  # state, dates, two links
    assert f'href="/groups/{w.group.id}/savings?all=1"' in items[2]
    items = _items(_list(cycle, f"{base}/share-out"))
    assert len(items) == 2 and f'href="{base}/share-out.pdf"' in items[0], items

    meeting_page = client.get(f"{base}/meetings/{meeting.id}").get_data(as_text=True)
    items = _items(_list(meeting_page, f'{base}'))  # date, state, the cycle
    assert len(items) == 3 and "<strong>" in items[1], items
    items = _items(_list(meeting_page, "/blank-form.pdf"))
    assert len(items) == 2 and ".csv" in items[1], items

    share_out = client.get(f"{base}/share-out").get_data(as_text=True)
    items = _items(_list(share_out, f"{base}/meetings/{meeting.id}#close"))
    assert len(items) == 3 and f'href="{base}"' in items[0], items
    assert f'href="{base}/share-out.pdf"' in items[2]

    asked = post(client, f"{base}/meetings/{meeting.id}/close?at=close", _close_form(w, cash))
    assert asked.status_code == 200
    items = _items(_list(asked.get_data(as_text=True), f"{base}/share-out.pdf"))
    assert len(items) == 4 and f'href="{base}/share-out"' in items[2], items

    member = w.members[0].id
    passbook = client.get(f"{base}/passbooks/{member}").get_data(as_text=True)
    items = _items(_list(passbook, f'{base}'))
    assert len(items) == 2 and "href" not in items[1], items  # the cycle, one share


def test_a_seed_loans_links_are_a_list(app_ctx: Flask, session: Session) -> None:
    w = world(session)
    treasurer = signed_in(app_ctx, w.treasurer.user.email)
    page = treasurer.get(f"{w.base}/loans/{w.loan.id}").get_data(as_text=True)
    items = _items(_list(page, f"{w.base}/loans"))
    assert len(items) == 2 and f'href="/groups/{w.group.id}/accounts/{w.aigul.id}"' in items[1]
