from __future__ import annotations

from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from coop.auth.models import User
from tests.conftest import csrf_token, login, post
from tests.factories import PASSWORD, make_group, make_member


def _member(session: Session, **kwargs: object):  # type: ignore[no-untyped-def]
    group = make_group(session)
    membership = make_member(session, group, **kwargs)
    session.commit()
    return group, membership


def test_sign_in_with_email_then_sign_out(client: FlaskClient, session: Session) -> None:
    group, m = _member(session)
    response = login(client, m.user.email)
    assert response.headers["Location"] == "/"
    home = client.get("/", follow_redirects=True)
    assert m.user.name in home.get_data(as_text=True)
    assert post(client, "/logout").status_code == 302
    assert client.get(f"/groups/{group.id}").status_code == 302  # back to sign-in


def test_sign_in_with_phone_in_any_format(client: FlaskClient, session: Session) -> None:
    _group, m = _member(session)
    m.user.phone = "+996555123456"
    session.commit()
    login(client, "+996 (555) 12-34-56")


def test_wrong_password_is_refused_with_a_message(client: FlaskClient, session: Session) -> None:
    _group, m = _member(session)
    response = post(client, "/login", {"login": m.user.email, "password": "wrong-one"})
    assert response.status_code == 422
    assert "Wrong login or password" in response.get_data(as_text=True)
    assert client.get("/").status_code == 302


def test_member_without_login_cannot_sign_in(client: FlaskClient, session: Session) -> None:
    _group, m = _member(session, login=False)
    m.user.phone = "+996555000111"
    session.commit()
    response = post(client, "/login", {"login": "+996555000111", "password": "anything-1"})
    assert response.status_code == 422


def test_login_without_csrf_token_is_rejected(client: FlaskClient, session: Session) -> None:
    _group, m = _member(session)
    response = client.post("/login", data={"login": m.user.email, "password": PASSWORD})
    assert response.status_code == 400
    assert "form has expired" in response.get_data(as_text=True)
    assert client.get("/").status_code == 302  # still signed out


def test_login_is_rate_limited_per_account(client: FlaskClient, session: Session,
                                           app_ctx) -> None:  # type: ignore[no-untyped-def]
    _group, m = _member(session)
    app_ctx.config["LOGIN_RATE_LIMIT"] = "3 per minute"
    try:
        for _ in range(3):
            response = post(client, "/login", {"login": m.user.email, "password": "bad-pass"})
            assert response.status_code == 422
        response = post(client, "/login", {"login": m.user.email, "password": PASSWORD})
        assert response.status_code == 429
        assert "Too many attempts" in response.get_data(as_text=True)
    finally:
        app_ctx.config["LOGIN_RATE_LIMIT"] = "10 per 5 minutes"


def test_login_rate_limit_per_address_covers_many_accounts(
        client: FlaskClient, session: Session, app_ctx) -> None:  # type: ignore[no-untyped-def]
    app_ctx.config["LOGIN_ADDRESS_RATE_LIMIT"] = "3 per minute"
    try:
        codes = [post(client, "/login", {"login": f"nobody{i}@example.org",
                                         "password": "x-password"}).status_code
                 for i in range(4)]
    finally:
        app_ctx.config["LOGIN_ADDRESS_RATE_LIMIT"] = "50 per 5 minutes"
    assert codes == [422, 422, 422, 429]


def test_next_redirect_stays_on_the_site(client: FlaskClient, session: Session) -> None:
    group, m = _member(session)
    token = csrf_token(client)
    for evil in ("https://evil.example/", "//evil.example/x", "/\\evil.example", "javascript:x"):
        response = client.post("/login", data={"csrf_token": token, "login": m.user.email,
                                                "password": PASSWORD, "next": evil})
        assert response.headers["Location"] == "/", evil
        post(client, "/logout")
        token = csrf_token(client)
    response = client.post("/login", data={"csrf_token": token, "login": m.user.email,
                                            "password": PASSWORD,
                                            "next": f"/groups/{group.id}/members"})
    assert response.headers["Location"] == f"/groups/{group.id}/members"


def test_protected_page_sends_to_sign_in_with_next(client: FlaskClient, session: Session) -> None:
    group, _m = _member(session)
    response = client.get(f"/groups/{group.id}/members")
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/login?next=/groups/{group.id}/members")


def test_change_password_signs_out_other_sessions(app_ctx, session: Session) -> None:  # type: ignore[no-untyped-def]
    _group, m = _member(session)
    phone, laptop = app_ctx.test_client(), app_ctx.test_client()
    login(phone, m.user.email)
    login(laptop, m.user.email)
    bad = post(phone, "/account/password", {"current_password": "nope-nope",
                                            "new_password": "new-password-1",
                                            "confirm": "new-password-1"})
    assert bad.status_code == 422
    response = post(phone, "/account/password", {"current_password": PASSWORD,
                                                 "new_password": "new-password-1",
                                                 "confirm": "new-password-1"})
    assert response.status_code == 302
    assert phone.get("/").status_code in (200, 302)
    assert phone.get("/account/password").status_code == 200
    assert laptop.get("/account/password").status_code == 302  # signed out
    login(laptop, m.user.email, "new-password-1")


def test_session_cookie_is_httponly_and_lax(client: FlaskClient, session: Session) -> None:
    _group, m = _member(session)
    response = login(client, m.user.email)
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie
    assert "SameSite=Lax" in cookie


def test_every_page_has_a_strict_content_security_policy(client: FlaskClient) -> None:
    response = client.get("/login")
    csp = response.headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp
    assert "unsafe-inline" not in csp
    assert "<script" not in response.get_data(as_text=True)
    assert response.headers["X-Content-Type-Options"] == "nosniff"


def test_language_switch_for_anonymous_visitor(client: FlaskClient) -> None:
    response = post(client, "/language", {"locale": "ru", "next": "/login"})
    assert response.headers["Location"] == "/login"
    assert "Войти" in client.get("/login").get_data(as_text=True)


def test_browser_language_is_used_when_nothing_is_chosen(client: FlaskClient) -> None:
    page = client.get("/login", headers={"Accept-Language": "ru-RU,ru;q=0.9"})
    assert "Войти" in page.get_data(as_text=True)
    page = client.get("/login", headers={"Accept-Language": "en-US"})
    assert "Sign in" in page.get_data(as_text=True)


def test_signed_in_users_language_setting_wins(client: FlaskClient, session: Session) -> None:
    _group, m = _member(session, locale="ru")
    login(client, m.user.email)
    page = client.get("/account/password", headers={"Accept-Language": "en"})
    assert "Сменить пароль" in page.get_data(as_text=True)
    post(client, "/language", {"locale": "en"})
    session.expire_all()
    assert session.get(User, m.user.id).locale == "en"
    page = client.get("/account/password", headers={"Accept-Language": "ru"})
    assert "Change password" in page.get_data(as_text=True)


def test_signing_in_on_a_database_in_memory_reads_it_through_the_session() -> None:
    """A database in memory is one connection's alone: there the sign-in reads
    through the request's session, not a connection of its own."""
    from flask_migrate import upgrade

    from coop import create_app
    from coop.config import testing_config
    from coop.extensions import SIGN_IN_BIND, db
    from tests.conftest import MIGRATIONS, IsolatedClient

    app = create_app(testing_config("sqlite://"))
    app.test_client_class = IsolatedClient
    with app.app_context():
        upgrade(directory=MIGRATIONS)
        assert SIGN_IN_BIND not in db.engines
        group = make_group(db.session)
        member = make_member(db.session, group)
        db.session.commit()
        client = app.test_client()
        login(client, member.user.email, PASSWORD)
        assert client.get(f"/groups/{group.id}").status_code == 200
        db.session.remove()
