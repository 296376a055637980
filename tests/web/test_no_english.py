"""No English string on a Russian, Kyrgyz or Tajik page: every page of the
demo (from the URL map) as a member and as the treasurer. And every link a
member is shown on her pages answers her, not 403 or 404."""

from __future__ import annotations

import re

import pytest
from flask import Flask
from sqlalchemy.orm import Session

from tests import demo_pages
from tests.conftest import login
from tests.english import english_in, visible_text


@pytest.mark.parametrize("locale", ["ru", "ky", "tg"])
def test_no_english_on_any_page(app_ctx: Flask, session: Session, locale: str) -> None:
    demo = demo_pages.load(app_ctx, session)
    for membership in demo.memberships:
        membership.user.locale = locale
    session.commit()
    found: dict[str, list[str]] = {}
    for _who, membership, pages in demo.walks():
        client = app_ctx.test_client()
        login(client, membership.user.email, "demo-password")
        for endpoint, url in pages:
            if demo_pages.is_document(url) or endpoint == "auth.logout":
                continue
            response = client.get(url)
            if response.status_code != 200 or response.mimetype != "text/html":
                continue
            for piece in english_in(visible_text(response.get_data(as_text=True))):
                found.setdefault(piece, []).append(url)
    assert not found, "\n".join(f"“{p}” on {urls[0]}" for p, urls in found.items())


@pytest.mark.parametrize("walk", ["member", "savings member"])
def test_every_link_on_a_members_page_answers_her(app_ctx: Flask, session: Session,
                                                  walk: str) -> None:
    demo = demo_pages.load(app_ctx, session)
    _who, member, pages = next(w for w in demo.walks() if w[0] == walk)
    client = app_ctx.test_client()
    login(client, member.user.email, "demo-password")
    links: dict[str, str] = {}
    for endpoint, url in pages:
        if demo_pages.is_document(url) or endpoint == "auth.logout":
            continue
        response = client.get(url)
        if response.status_code != 200 or response.mimetype != "text/html":
            continue
        for href in re.findall(r'<a [^>]*href="(/[^"#]*)', response.get_data(as_text=True)):
            links.setdefault(href.replace("&amp;", "&"), url)
    assert len(links) > 10
    refused = {href: where for href, where in links.items()
               if client.get(href).status_code in (401, 403, 404)}
    assert not refused, "\n".join(f"{href} (on {where})" for href, where in refused.items())


def test_members_see_names_not_phone_numbers_unless_shown(app_ctx: Flask,
                                                           session: Session) -> None:
    demo = demo_pages.load(app_ctx, session)
    others = sorted((m for m in demo.group.memberships
                     if m.user.phone and m.id not in (demo.member.id, demo.treasurer.id)),
                    key=lambda m: not m.user.has_login)
    shown, hidden = others[0], others[1]
    client = app_ctx.test_client()
    login(client, demo.member.user.email, "demo-password")
    members_url = f"/groups/{demo.group.id}/members"
    page = client.get(members_url).get_data(as_text=True)
    assert hidden.user.name in page and shown.user.name in page
    assert hidden.user.phone not in page and shown.user.phone not in page
    assert demo.member.user.phone in page  # her own
    api = client.get(f"/api/v1/groups/{demo.group.id}/members").get_json()
    phones = {m["name"]: m["phone"] for m in api["items"]}
    assert phones[hidden.user.name] is None and phones[shown.user.name] is None
    # she shows hers on her account page; the member then sees it
    other = app_ctx.test_client()
    assert shown.user.has_login
    login(other, shown.user.email or shown.user.phone, "demo-password")
    account = other.get("/account").get_data(as_text=True)
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', account).group(1)
    assert other.post("/account", data={"csrf_token": token, "shown": str(demo.group.id)}
                      ).status_code == 302
    page = client.get(members_url).get_data(as_text=True)
    assert shown.user.phone in page and hidden.user.phone not in page
    assert client.get(f"/api/v1/groups/{demo.group.id}/members").get_json()["items"]
    # the treasurer sees every phone number
    treasurer = app_ctx.test_client()
    login(treasurer, demo.treasurer.user.email, "demo-password")
    page = treasurer.get(members_url).get_data(as_text=True)
    assert hidden.user.phone in page and shown.user.phone in page
    # and the API tokens are on her account page, not in every header
    assert "/account/tokens" not in client.get(members_url).get_data(as_text=True)
    assert "/account/tokens" in client.get("/account").get_data(as_text=True)


def test_the_english_finder_finds_words_not_codes() -> None:
    """What the walks over pages and PDFs count as English left untranslated: a
    run of English words, even with a brand name in it; not a lot's trace code
    (random letters joined by a dash, a CI run met "zevx-afLMvEibyfz" on a
    label and called it English)."""
    assert english_in("Партия: the goods were delivered late") == [
        "the goods were delivered late"]
    assert english_in("send it on WhatsApp now please") == ["send it on WhatsApp now please"]
    assert english_in("Код партии: zevx-afLMvEibyfz") == []
    assert english_in("Код партии: 4f_Qa-9zT") == []
