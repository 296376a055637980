"""Rows of links are lists (coop.css: ul.links draws a dot between two links
on one line only), not links with a literal «·» between them: on a phone
such a row wrapped and a dot ended one line or began the next. The time
bank's links on each of its pages and its board's, the comparison's and an
offer's links, an overdue turn's message and the phone number to call."""

from __future__ import annotations

import re

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from tests.conftest import login
from tests.factories import make_closed_round, make_quote
from tests.timebank_world import make_time_bank
from tests.web.test_equipment_pages import _overdue_world, _ru
from tests.web.test_quotes import _base, _offer_form, _submit

DOTS = ("·", "&middot;", "&#183;", "&#xb7;")


def _lists(page: str, href: str) -> list[str]:
    """The ul.links lists of the page that hold a link to `href`."""
    return [m for m in re.findall(r'<ul class="links[^"]*">(.*?)</ul>', page, re.S)
            if f'href="{href}"' in m]


def _items(links: str) -> list[str]:
    """Its items; nothing but items in it (no dot, no word between them)."""
    assert re.sub(r"<li>.*?</li>", "", links, flags=re.S).strip() == "", links
    items = re.findall(r"<li>(.*?)</li>", links, re.S)
    for item in items:
        assert not any(d in item for d in DOTS), item
    return items


def _no_dot_between(page: str, first: str, last: str) -> None:
    """No «·» written between the first and the last link of a row."""
    between = page.split(f'href="{first}"', 1)[1].split(f'href="{last}"', 1)[0]
    assert not any(d in between for d in DOTS), between


def test_the_time_bank_links_are_a_list_on_each_page(client: FlaskClient,
                                                   session: Session) -> None:
    w = make_time_bank(session)
    session.commit()
    base = f"/groups/{w.group.id}/timebank"
    login(client, w.coordinator.user.email)
    pages = ["", "/pending", "/record", "/batch", "/import", "/reports", "/digest",
             f"/members/{w.aigul.id}", "/posts/new?kind=offer"]
    for path in pages:
        response = client.get(base + path)
        assert response.status_code == 200, path
        page = response.get_data(as_text=True)
        (links,) = _lists(page, f"{base}/pending")
        assert len(_items(links)) == 9, path  # every link of the coordinator's
        _no_dot_between(page, base, f"{base}/settings")
    board = client.get(base).get_data(as_text=True)
    (links,) = _lists(board, f"{base}/board.pdf")
    assert len(_items(links)) == 2 and f'href="{base}/digest"' in links
    _no_dot_between(board, f"{base}/board.pdf", f"{base}/digest")
    login(client, w.aigul.user.email)  # a member: her own links, in a list too
    page = client.get(base).get_data(as_text=True)
    (links,) = _lists(page, f"{base}/pending")
    assert len(_items(links)) == 4 and "/register" not in links


def test_the_comparison_and_an_offer_link_to_each_other_in_lists(client: FlaskClient,
                                                                session: Session) -> None:
    w = make_closed_round(session)
    quote, token = make_quote(session, w)
    session.commit()
    assert _submit(client, token, _offer_form(w)).status_code in (200, 302, 303)
    login(client, w.treasurer.user.email)
    base = _base(w)
    compare = client.get(f"{base}/compare").get_data(as_text=True)
    (links,) = _lists(compare, base)
    round_page = f"/groups/{w.group.id}/rounds/{w.rnd.id}"
    assert len(_items(links)) == 2 and f'href="{round_page}"' in links
    _no_dot_between(compare, base, round_page)
    offer = client.get(f"{base}/{quote.id}").get_data(as_text=True)
    (links,) = _lists(offer, base)
    assert len(_items(links)) == 2 and f'href="{base}/compare"' in links
    _no_dot_between(offer, base, f"{base}/compare")


def test_an_overdue_turn_and_the_number_to_call_are_a_list(app_ctx: Flask,
                                                           session: Session) -> None:
    w = _overdue_world(app_ctx, session)
    treasurer = _ru(app_ctx, w.treasurer)
    tel = 'href="tel:+996555010203"'
    asset = treasurer.get(w.base).get_data(as_text=True)
    flash = asset.split(f'id="overdue-{w.overdue.id}"', 1)[1].split("</div>", 1)[0]
    (links,) = _lists(flash, f"#booking-{w.overdue.id}")
    assert len(_items(links)) == 2 and tel in links
    card = asset.split(f'id="booking-{w.overdue.id}"', 1)[1].split("</form>", 1)[0]
    (links,) = _lists(card, "tel:+996555010203")
    items = _items(links)
    assert len(items) == 2 and f"Просрочено: должна была вернуть {w.due}" in items[0]
    listing = treasurer.get(f"/groups/{w.group.id}/equipment").get_data(as_text=True)
    row = listing.split(f'id="overdue-{w.overdue.id}"', 1)[1].split("</td>", 1)[0]
    (links,) = _lists(row, "tel:+996555010203")
    items = _items(links)
    assert len(items) == 2 and f"Просрочено: {w.name} должна была вернуть {w.due}" in items[0]
