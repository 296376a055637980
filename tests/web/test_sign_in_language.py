"""The language a member chose before signing in is the one she gets after it,
and her account keeps it, so what is worded in her language (her share text,
her account's message, her statement, her invoices) follows the pages. Found
on a walk in Kyrgyz and Tajik: Кыргызча picked on the sign-in page gave
Kyrgyz pages but Russian documents (the group's language), or Tajik pages
when the account had Tajik stored; and a new member whose invite link opened
in Kyrgyz got Russian pages after it (the new-member form stored the group's
language on her account). The rule: coop.i18n.select_locale."""

from __future__ import annotations

import re

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from coop import i18n
from coop.auth import services as auth_services
from coop.auth.models import User
from coop.documents.models import Document
from tests.conftest import csrf_token, login, post
from tests.factories import make_group, make_member, make_settled_round
from tests.integration.test_documents import pdf_text

KY_CHANGE_PASSWORD = "Сырсөздү өзгөртүү"
TG_CHANGE_PASSWORD = "Иваз кардани парол"


def _choose(client: FlaskClient, locale: str, page: str = "/login",
            headers: dict[str, str] | None = None) -> None:
    """The footer's language select, as on `page` (signed out)."""
    response = client.post("/language", data={
        "locale": locale, "next": page,
        "csrf_token": csrf_token(client, page)}, headers=headers)
    assert response.status_code == 302, response.get_data(as_text=True)[:300]


def _speaks(client: FlaskClient, url: str = "/account/password", **headers: str) -> str:
    page = client.get(url, headers=headers, follow_redirects=True).get_data(as_text=True)
    found = re.search(r'<html lang="([a-z]+)"', page)
    assert found, page[:300]
    return found.group(1)


def _locale(session: Session, user_id: int) -> str | None:
    session.expire_all()
    user = session.get(User, user_id)
    assert user is not None
    return user.locale


def test_kyrgyz_picked_on_the_sign_in_page_is_her_language_and_her_documents(
        client: FlaskClient, session: Session) -> None:
    w = make_settled_round(session, members=2)  # the group speaks Russian
    session.commit()
    aigul = w.members[0]
    assert aigul.user.locale is None
    _choose(client, "ky")
    login(client, aigul.user.email)
    assert _locale(session, aigul.user_id) == "ky"
    # the pages, whatever the phone says
    assert _speaks(client, **{"Accept-Language": "ru-RU"}) == "ky"
    assert KY_CHANGE_PASSWORD in client.get("/account/password").get_data(as_text=True)
    # her share text, worded in her language
    base = f"/groups/{w.group.id}/rounds/{w.rnd.id}"
    share = client.get(f"{base}/share").get_data(as_text=True)
    text = share.split('id="copy-text"')[1].split("</textarea>")[0]
    assert "Жалпы:" in text and "Итого" not in text, text
    # her account's message
    account = client.get(f"/groups/{w.group.id}/accounts/{aigul.id}").get_data(as_text=True)
    text = account.split('id="copy-text"')[1].split("</textarea>")[0]
    assert "карызсыз" in text and "должны" not in text, text
    # her statement
    statement = client.get(f"/groups/{w.group.id}/accounts/{aigul.id}/statement.pdf")
    assert statement.status_code == 200
    words = pdf_text(statement.get_data())
    assert "Эсептен көчүрмө" in words and "Выписка" not in words
    # her invoice, issued as she opens it
    assert client.get(f"{base}/invoices/{aigul.id}.pdf").status_code == 200
    invoice = session.scalar(select(Document).where(Document.membership_id == aigul.id))
    assert invoice is not None and invoice.locale == "ky"


def test_a_choice_made_on_the_sign_in_page_beats_the_accounts_language_and_is_kept(
        client: FlaskClient, session: Session) -> None:
    group = make_group(session)
    bubusara = make_member(session, group, "Бүбүсара", locale="tg")
    session.commit()
    _choose(client, "ky")
    login(client, bubusara.user.email)
    assert _speaks(client) == "ky"
    assert _locale(session, bubusara.user_id) == "ky"
    # she can change it back, signed in: stored again
    post(client, "/language", {"locale": "tg", "next": "/"})
    assert _locale(session, bubusara.user_id) == "tg"
    assert TG_CHANGE_PASSWORD in client.get("/account/password").get_data(as_text=True)


def test_without_a_choice_this_visit_the_accounts_language_stays(
        client: FlaskClient, session: Session) -> None:
    """A shared phone: the woman before her read Kyrgyz (and picked it before
    signing in); signing in without picking, she gets her own Tajik."""
    group = make_group(session)
    aigul = make_member(session, group, "Айгүл")
    bubusara = make_member(session, group, "Бүбүсара", locale="tg")
    session.commit()
    _choose(client, "ky")
    login(client, aigul.user.email)
    assert _locale(session, aigul.user_id) == "ky"
    assert post(client, "/logout").status_code == 302
    assert _speaks(client, "/login") == "ky"  # the sign-in page, as the phone was left
    login(client, bubusara.user.email)
    assert _speaks(client, **{"Accept-Language": "ky"}) == "tg"
    assert _locale(session, bubusara.user_id) == "tg"
    # and the sign-in page after her is in hers
    assert post(client, "/logout").status_code == 302
    assert _speaks(client, "/login") == "tg"


def test_a_choice_is_kept_past_a_wrong_password_but_not_for_long(
        client: FlaskClient, session: Session, monkeypatch: pytest.MonkeyPatch) -> None:
    group = make_group(session)
    aigul = make_member(session, group, "Айгүл", locale="tg")
    nurila = make_member(session, group, "Нурила", locale="tg")
    session.commit()
    _choose(client, "ky")
    assert post(client, "/login", {"login": aigul.user.email,
                                   "password": "not-hers"}).status_code == 422
    login(client, aigul.user.email)
    assert _locale(session, aigul.user_id) == "ky"
    post(client, "/logout")
    # a choice left on the phone long ago is not hers
    _choose(client, "ru")
    monkeypatch.setattr(i18n, "SIGN_IN_CHOICE_SECONDS", -1)
    login(client, nurila.user.email)
    assert _locale(session, nurila.user_id) == "tg"
    assert _speaks(client) == "tg"


def test_signing_in_without_a_choice_stores_nothing_on_an_account_without_one(
        client: FlaskClient, session: Session) -> None:
    """The browser of a phone she may have borrowed is no choice of hers."""
    group = make_group(session)
    aigul = make_member(session, group, "Айгүл")
    session.commit()
    login(client, aigul.user.email)
    assert _speaks(client, **{"Accept-Language": "ky-KG,ky;q=0.9"}) == "ky"
    assert _locale(session, aigul.user_id) is None


def test_a_new_member_gets_no_language_of_her_own_by_default(
        client: FlaskClient, session: Session) -> None:
    """Found on the walk: a Kyrgyz treasurer's new member got the group's
    Russian preselected, and stored."""
    group = make_group(session)  # Russian
    treasurer = make_member(session, group, "Майрам", role="treasurer", locale="ky")
    session.commit()
    login(client, treasurer.user.email)
    form = client.get(f"/groups/{group.id}/members/new").get_data(as_text=True)
    assert re.search(r'<option selected value="">Телефонундагыдай же өзү тандагандай</option>',
                     form), form
    assert not re.search(r'<option selected value="(ru|ky|tg|en)">', form)
    response = post(client, f"/groups/{group.id}/members/new",
                    {"name": "Сезим Осмонова", "phone": "0555 100 777", "email": "",
                     "locale": "", "role": "member"})
    assert response.status_code == 302
    sezim = session.scalar(select(User).where(User.name == "Сезим Осмонова"))
    assert sezim is not None and sezim.locale is None


def _invite(session: Session, locale: str | None = None) -> tuple[User, str]:
    group = make_group(session)  # Russian
    treasurer = make_member(session, group, "Майрам", role="treasurer")
    sezim = make_member(session, group, "Сезим", login=False, locale=locale).user
    sezim.phone = "+996555100777"
    raw = auth_services.issue_link_token(session, treasurer.user, sezim,
                                         auth_services.PURPOSE_INVITE)
    session.commit()
    return sezim, f"/link/{raw}"


def _set_password(client: FlaskClient, link: str, **headers: str) -> str:
    response = post(client, link, {"phone": "0555 100 777", "email": "",
                                   "password": "her-password-1", "confirm": "her-password-1"},
                    headers=headers)
    assert response.status_code == 302, response.get_data(as_text=True)[:800]
    return client.get(response.headers["Location"], headers=headers,
                      follow_redirects=True).get_data(as_text=True)


def test_an_invite_opened_on_a_kyrgyz_phone_makes_her_account_kyrgyz(
        app: Flask, session: Session) -> None:
    sezim, link = _invite(session)
    phone = {"Accept-Language": "ky-KG,ky;q=0.9,ru;q=0.8"}
    client = app.test_client()
    assert '<html lang="ky">' in client.get(link, headers=phone).get_data(as_text=True)
    after = _set_password(client, link, **phone)
    assert "Сырсөзүңүз коюлду. Кош келиңиз!" in after
    assert _locale(session, sezim.id) == "ky"
    # every page after it, whatever the browser asks
    assert _speaks(client, **{"Accept-Language": "ru"}) == "ky"


def test_a_language_picked_on_the_invite_page_is_stored(app: Flask, session: Session) -> None:
    sezim, link = _invite(session)
    client = app.test_client()
    russian = {"Accept-Language": "ru-RU"}
    _choose(client, "tg", page=link, headers=russian)
    assert '<html lang="tg">' in client.get(link, headers=russian).get_data(as_text=True)
    _set_password(client, link, **russian)
    assert _locale(session, sezim.id) == "tg"
    assert _speaks(client, **russian) == "tg"


def test_an_invite_keeps_the_language_her_treasurer_stored(app: Flask,
                                                           session: Session) -> None:
    """Chosen by her treasurer, for a member who could not choose: her phone's
    language does not replace it (a choice of hers on the page would)."""
    sezim, link = _invite(session, locale="tg")
    client = app.test_client()
    phone = {"Accept-Language": "ky-KG"}
    after = _set_password(client, link, **phone)
    assert "Пароли шумо гузошта шуд" in after  # the welcome, as the pages after it
    assert _locale(session, sezim.id) == "tg"
    assert _speaks(client, **phone) == "tg"


def test_a_choice_left_by_another_on_a_shared_phone_does_not_overwrite_hers(
        client: FlaskClient, session: Session, monkeypatch: pytest.MonkeyPatch) -> None:
    """Found in review: Айгүл picks Kyrgyz, mistypes her password and leaves;
    Гүлнара signs in on the same phone: her Tajik stays hers. And a choice
    made a while ago (not just before signing in) fills an account without a
    language, but does not overwrite one."""
    group = make_group(session)
    aigul = make_member(session, group, "Айгүл", locale="tg")
    gulnara = make_member(session, group, "Гүлнара", locale="tg")
    asel = make_member(session, group, "Асель")
    session.commit()
    _choose(client, "ky")
    assert post(client, "/login", {"login": aigul.user.email,
                                   "password": "not-hers"}).status_code == 422
    login(client, gulnara.user.email)
    assert _locale(session, gulnara.user_id) == "tg"
    assert _speaks(client) == "tg"
    post(client, "/logout")
    _choose(client, "ky")
    monkeypatch.setattr(i18n, "SIGN_IN_OVERRIDE_SECONDS", -1)  # picked a while ago
    login(client, aigul.user.email)
    assert _locale(session, aigul.user_id) == "tg"
    post(client, "/logout")
    _choose(client, "ky")
    login(client, asel.user.email)  # none of her own: the choice fills it
    assert _locale(session, asel.user_id) == "ky"
