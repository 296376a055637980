"""Behind a proxy (COOP_PROXY_HOPS): the links a treasurer sends by SMS and
WhatsApp use the scheme and host the user reached, not the app's own address."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from coop import create_app
from coop.config import testing_config
from coop.extensions import db
from tests.conftest import IsolatedClient, csrf_token, login
from tests.factories import make_closed_round

FORWARDED = {"X-Forwarded-Proto": "https", "X-Forwarded-Host": "coop.example.kg",
             "X-Forwarded-For": "203.0.113.7"}
_LINK = re.compile(r'class="copy supplier-link" readonly>([^<]+)</textarea>')


@pytest.fixture()
def proxied(app: Flask, app_ctx: Flask) -> Iterator[Flask]:
    """The same app and database, told that one proxy stands in front."""
    config = testing_config(app.config["SQLALCHEMY_DATABASE_URI"])
    config["PROXY_HOPS"] = 1
    behind = create_app(config)
    behind.test_client_class = IsolatedClient
    yield behind
    with behind.app_context():
        db.session.remove()
        db.engine.dispose()


def _post(client: FlaskClient, url: str, data: dict) -> object:
    data = {**data, "csrf_token": csrf_token(client)}
    return client.post(url, data=data)


def _links(client: FlaskClient, w) -> tuple[str, str, str]:  # type: ignore[no-untyped-def]
    base = f"/groups/{w.group.id}/rounds/{w.rnd.id}/quotes"
    page = _post(client, f"{base}/request", {
        "suppliers": [], "new_name": "Ош-Агроснаб", "new_phone": "0555 12 34 56",
        "new_language": "ru", "days": "10"})
    assert page.status_code in (302, 303)  # type: ignore[attr-defined]
    # links are made by the POST and shown after its redirect, behind the proxy too
    page = client.get(page.headers["Location"])  # type: ignore[attr-defined]
    quote_html = page.get_data(as_text=True)
    supplier_link = _LINK.findall(quote_html)[0]
    invite = _post(client, f"/groups/{w.group.id}/members/{w.aigul.id}/link", {})
    invite = client.get(invite.headers["Location"])  # type: ignore[attr-defined]
    invite_link = re.search(r'(https?://[^"<\s]+/link/[\w-]+)',
                            invite.get_data(as_text=True)).group(1)
    tokens = client.get("/account/tokens").get_data(as_text=True)
    api = re.search(r"(https?://[^\s<]+/api/v1)", tokens).group(1)
    assert "wa.me/996555123456" in quote_html  # the local number, with its country code
    return supplier_link, invite_link, api


def test_links_use_the_forwarded_scheme_and_host(proxied: Flask, session: Session) -> None:
    w = make_closed_round(session)
    session.commit()
    client = proxied.test_client()
    client.environ_base.update({f"HTTP_{k.upper().replace('-', '_')}": v
                                for k, v in FORWARDED.items()})
    # over HTTPS Flask-WTF wants a same-site Referer, which browsers send
    # (Referrer-Policy: same-origin)
    client.environ_base["HTTP_REFERER"] = "https://coop.example.kg/login"
    login(client, w.treasurer.user.email)
    supplier_link, invite_link, api = _links(client, w)
    print(f"\nbehind the proxy: {supplier_link}\n  {invite_link}\n  {api}")
    assert supplier_link.startswith("https://coop.example.kg/q/")
    assert invite_link.startswith("https://coop.example.kg/link/")
    assert api == "https://coop.example.kg/api/v1"
    # and the link works through the proxy
    assert client.get(supplier_link.removeprefix("https://coop.example.kg")).status_code == 200


def test_without_proxy_hops_forwarded_headers_are_not_believed(client: FlaskClient,
                                                               session: Session) -> None:
    w = make_closed_round(session)
    session.commit()
    client.environ_base.update({f"HTTP_{k.upper().replace('-', '_')}": v
                                for k, v in FORWARDED.items()})
    login(client, w.treasurer.user.email)
    supplier_link, invite_link, api = _links(client, w)
    assert supplier_link.startswith("http://localhost/q/")
    assert invite_link.startswith("http://localhost/link/")
    assert "coop.example.kg" not in api


def test_behind_the_proxy_the_limits_count_the_clients_address(proxied: Flask,
                                                               session: Session) -> None:
    from coop.extensions import client_address

    seen = {}

    @proxied.get("/_address_probe")
    def probe() -> str:
        seen["address"] = client_address()
        return "ok"

    proxied.test_client().get("/_address_probe", headers=FORWARDED,
                              environ_base={"REMOTE_ADDR": "10.0.0.2"})
    assert seen["address"] == "203.0.113.7"
