"""Her share page is kept whole (coop.orders.cache.kept_page), with the CSRF
token of each request put in on the way out: served from the keep, it is the
page she would have been shown, its forms work, and nothing of another
session or an earlier state shows through."""

from __future__ import annotations

import re

from flask import Flask, template_rendered
from flask.testing import FlaskClient
from sqlalchemy import update
from sqlalchemy.orm import Session

from coop.auth.models import User
from coop.groups.models import Group
from coop.orders.models import Request
from tests.conftest import login
from tests.web.test_query_counts import _a_member_signed_in

_CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


def _her_round(app_ctx: Flask, session: Session):  # type: ignore[no-untyped-def]
    group, rnd, member, client = _a_member_signed_in(app_ctx, session)
    session.add(Request(round_id=rnd.id, round_item_id=rnd.items[0].id, membership_id=member.id,
                        quantity=2000, tolerance=0))
    session.commit()
    return group, rnd, member, client, f"/groups/{group.id}/rounds/{rnd.id}/share"


def _view(app_ctx: Flask, client: FlaskClient, url: str) -> tuple[str, list[str]]:
    """The page and the templates rendered to make it."""
    rendered: list[str] = []

    def seen(_sender: Flask, template, context, **_extra) -> None:  # type: ignore[no-untyped-def]
        rendered.append(template.name)

    template_rendered.connect(seen, app_ctx)
    try:
        response = client.get(url)
    finally:
        template_rendered.disconnect(seen, app_ctx)
    assert response.status_code == 200
    return response.get_data(as_text=True), rendered


def test_her_share_page_is_kept_and_its_forms_carry_this_session_s_token(
        app_ctx: Flask, session: Session, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    _group, _rnd, member, client, url = _her_round(app_ctx, session)
    first, rendered = _view(app_ctx, client, url)
    assert "orders/share.html" in rendered
    # the suite's check of kept parts against fresh ones makes them anew: off
    # here, as in production, to see that nothing is made
    monkeypatch.setitem(app_ctx.config, "SPLIT_CACHE_CHECK", False)
    again, rendered = _view(app_ctx, client, url)
    assert rendered == []  # from the keep, nothing made anew
    assert _CSRF.sub("", again) == _CSRF.sub("", first)
    assert "coop-csrf-token" not in again

    # the same member on another phone: her own session's token, and it works
    other = app_ctx.test_client()
    login(other, member.user.email)
    page, rendered = _view(app_ctx, other, url)
    assert rendered == []
    tokens = set(_CSRF.findall(page))
    assert len(tokens) == 1 and tokens.isdisjoint(_CSRF.findall(again))
    # (the other phone's token is refused here: the tokens are of their sessions)
    assert other.post("/logout", data={"csrf_token": _CSRF.findall(again)[0]}
                      ).status_code == 400
    assert other.post("/logout", data={"csrf_token": tokens.pop()}).status_code == 302
    assert other.get(url).status_code == 302  # signed out: to the sign-in page
    assert client.get(url).status_code == 200  # the first phone is still signed in


def test_a_kept_share_page_follows_her_name_the_group_s_and_a_message(
        app_ctx: Flask, session: Session) -> None:
    group, _rnd, member, client, url = _her_round(app_ctx, session)
    _view(app_ctx, client, url)
    session.execute(update(Group).where(Group.id == group.id).values(name="Новое имя группы"))
    session.commit()
    page, rendered = _view(app_ctx, client, url)
    assert "Новое имя группы" in page and "orders/share.html" in rendered

    with client.session_transaction() as cookie:
        cookie["_flashes"] = [("info", "Сообщение для неё")]
    page, rendered = _view(app_ctx, client, url)
    assert "Сообщение для неё" in page and "orders/share.html" in rendered
    page, _rendered = _view(app_ctx, client, url)
    assert "Сообщение для неё" not in page

    session.get(User, member.user_id).name = "Айгерим"  # (a new name renews the round's key)
    session.commit()
    page, rendered = _view(app_ctx, client, url)
    assert "Айгерим" in page and "orders/share.html" in rendered


def test_no_text_she_types_takes_the_token_of_whoever_reads_her_page(
        app_ctx: Flask, session: Session, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """The token goes where the page's forms carry it, nowhere else: a name
    written like the keep's stand-in for it stays her name, escaped, on the
    treasurer's view of her share, and the treasurer's token is in her two
    forms alone. An address with a query is made afresh, not kept apart."""
    from coop.orders.cache import CSRF_PLACEHOLDER

    group, _rnd, member, _client, url = _her_round(app_ctx, session)
    session.get(User, member.user_id).name = f"Ана {CSRF_PLACEHOLDER} coop-csrf-token"
    session.commit()
    treasurer = session.get(Group, group.id).memberships[0]
    as_treasurer = app_ctx.test_client()
    login(as_treasurer, treasurer.user.email)
    her_share = f"{url}/{member.id}"
    for _view_again in range(2):  # made, then from the keep
        page, _rendered = _view(app_ctx, as_treasurer, her_share)
        tokens = _CSRF.findall(page)
        assert len(tokens) == 2 and len(set(tokens)) == 1
        assert page.count(tokens[0]) == 2
        assert "Ана &lt;coop-csrf-token/&gt; coop-csrf-token" in page
        assert str(CSRF_PLACEHOLDER) not in page

    monkeypatch.setitem(app_ctx.config, "SPLIT_CACHE_CHECK", False)
    for n in (1, 2):
        page, rendered = _view(app_ctx, as_treasurer, f"{her_share}?n={n}")
        assert "orders/share.html" in rendered and f"?n={n}" in page
