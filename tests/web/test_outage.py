"""A database that cannot be reached: every statement the app sends fails as
a dead PostgreSQL connection does. Pages answer 503 with Retry-After and a
page in the visitor's language, the API a 503 problem; nothing is written;
and when the database is back the next request works. A failure after a
commit never turns the saved change into an error. (The same with a real
PostgreSQL outage: tests/integration/test_outage.py.)"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from types import SimpleNamespace

import psycopg
import pytest
from sqlalchemy import event, func, select
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm import Session

from coop.extensions import db
from coop.ledger import services as ledger
from coop.ledger.models import Payment
from coop.outage import RETRY_AFTER_SECONDS, is_database_outage
from tests.conftest import csrf_token, login
from tests.factories import make_api_token, make_group, make_member


@contextmanager
def database_down() -> Iterator[None]:
    def refuse(*_args: object) -> None:
        raise OperationalError("SELECT 1", {}, psycopg.OperationalError(
            "connection to server at \"127.0.0.1\", port 5432 failed: Connection refused"))

    engines = list(db.engines.values())  # the sign-in's, too
    for engine in engines:
        event.listen(engine, "before_cursor_execute", refuse)
    try:
        yield
    finally:
        for engine in engines:
            event.remove(engine, "before_cursor_execute", refuse)


@pytest.fixture()
def world(session: Session) -> SimpleNamespace:
    group = make_group(session)
    treasurer = make_member(session, group, "Казына", role="treasurer", locale="ky")
    aigul = make_member(session, group, "Айгүл")
    # she owes 500.00: the 150.00 paid below settles debt, asked nothing
    ledger.adjust_member(session, aigul, amount=50000, reason="весна", actor=treasurer.user)
    token = make_api_token(session, treasurer.user)
    session.commit()
    return SimpleNamespace(group=group, treasurer=treasurer, aigul=aigul, token=token,
                           statement=f"/groups/{group.id}/accounts/{aigul.id}")


def payments(session: Session) -> int:
    session.expire_all()
    return session.scalar(select(func.count()).select_from(Payment)) or 0


def test_pages_answer_503_in_the_visitors_language_and_recover(app_ctx, session, world
                                                               ) -> None:  # type: ignore[no-untyped-def]
    client = app_ctx.test_client()
    login(client, world.treasurer.user.email)
    token = csrf_token(client, world.statement)
    with database_down():
        page = client.get(world.statement, headers={"Accept-Language": "tg"})
        signed_out = app_ctx.test_client().get("/login?x=1", headers={"Accept-Language": "ru"})
        sent = client.post(f"{world.statement}/payment", data={
            "csrf_token": token, "amount": "150", "method": "cash", "reference": "",
            "idempotency_key": "outage-test-key-0001"})
    assert page.status_code == 503
    assert page.headers["Retry-After"] == str(RETRY_AFTER_SECONDS)
    # her own language is in the database: the page speaks her browser's
    assert "Пойгоҳи маълумот ҳоло дастнорас аст" in page.get_data(as_text=True)
    assert "Traceback" not in page.get_data(as_text=True)
    assert sent.status_code == 503 and sent.headers["Retry-After"]
    assert payments(session) == 0
    # the sign-in page reads nothing from the database: it still works
    assert signed_out.status_code == 200
    # back: the very next request works, the same form records the payment once
    assert client.get(world.statement).status_code == 200
    again = client.post(f"{world.statement}/payment", data={
        "csrf_token": token, "amount": "150", "method": "cash", "reference": "",
        "idempotency_key": "outage-test-key-0001"})
    assert again.status_code == 302
    assert payments(session) == 1


def test_a_page_speaks_the_language_of_the_user_read_before_the_failure(
        app_ctx, session, world, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from coop.ledger import views

    client = app_ctx.test_client()
    login(client, world.treasurer.user.email)

    def statement_fails(*_args: object, **_kwargs: object) -> None:
        raise OperationalError("SELECT", {}, psycopg.OperationalError("server closed the "
                                                                        "connection"))

    monkeypatch.setattr(views.services, "statement", statement_fails)
    page = client.get(world.statement, headers={"Accept-Language": "ru"})
    assert page.status_code == 503
    assert "Маалымат базасы азыр жеткиликсиз" in page.get_data(as_text=True)  # her ky


def test_the_api_answers_a_503_problem(app_ctx, session, world) -> None:  # type: ignore[no-untyped-def]
    client = app_ctx.test_client()
    with database_down():
        response = client.get(f"/api/v1/groups/{world.group.id}",
                              headers={"Authorization": f"Bearer {world.token}",
                                       "Accept-Language": "ru"})
    assert response.status_code == 503
    assert response.mimetype == "application/problem+json"
    # the API's rate limit headers make it the later of the two waits
    assert int(response.headers["Retry-After"]) >= RETRY_AFTER_SECONDS
    assert "База данных сейчас недоступна" in response.get_json()["detail"]


def test_a_failure_after_the_commit_does_not_turn_a_payment_into_an_error(
        app_ctx, session, world, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from coop.ledger import views

    client = app_ctx.test_client()
    login(client, world.treasurer.user.email)
    token = csrf_token(client, world.statement)

    def flash_queries_a_dead_database(*_args: object, **_kwargs: object) -> None:
        raise OperationalError("SELECT", {}, psycopg.OperationalError("server closed the "
                                                                        "connection"))

    monkeypatch.setattr(views, "flash", flash_queries_a_dead_database)
    sent = client.post(f"{world.statement}/payment", headers={
        "Referer": f"http://localhost{world.statement}"}, data={
        "csrf_token": token, "amount": "150", "method": "cash", "reference": "",
        "idempotency_key": "outage-test-key-0002"})
    assert sent.status_code == 303, sent.get_data(as_text=True)[:500]
    assert sent.headers["Location"].endswith(world.statement)
    assert payments(session) == 1
    monkeypatch.undo()
    shown = client.get(world.statement).get_data(as_text=True)
    assert "Сакталды." in shown  # the treasurer reads ky: saved, said in her language


def test_what_is_an_outage() -> None:
    import sqlite3

    dead = psycopg.OperationalError("connection refused")
    assert is_database_outage(OperationalError("x", {}, dead))
    locked = sqlite3.OperationalError("database is locked")
    assert is_database_outage(OperationalError("x", {}, locked))
    # a fault of the code stays a fault of the code
    assert not is_database_outage(OperationalError("x", {}, sqlite3.OperationalError(
        "no such table: nothing")))
    assert not is_database_outage(IntegrityError("x", {}, Exception("unique")))
    assert not is_database_outage(ValueError("x"))


def test_what_a_request_commits_on_the_side_is_not_its_change(app_ctx, session, world,
                                                               monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """The API marks its token used (a commit) before the payment: a payment
    that then fails is a 503, not 'saved'; a page that is only read is a 503."""
    from coop.ledger import services

    def dead(*_args: object, **_kwargs: object) -> None:
        raise OperationalError("INSERT", {}, psycopg.OperationalError("server closed the "
                                                                        "connection"))

    monkeypatch.setattr(services, "record_payment", dead)
    client = app_ctx.test_client()
    response = client.post(f"/api/v1/groups/{world.group.id}/accounts/{world.aigul.id}/payments",
                           json={"amount": "10.00", "method": "cash"},
                           headers={"Authorization": f"Bearer {world.token}",
                                    "Idempotency-Key": "outage-api-key-000001"})
    assert response.status_code == 503, response.get_data(as_text=True)
    session.expire_all()
    from coop.api.models import ApiToken

    assert session.scalar(select(ApiToken.last_used_at)) is not None  # that was committed
    monkeypatch.setattr(services, "statement", dead)
    login(client, world.treasurer.user.email)
    assert client.get(world.statement).status_code == 503  # its account commit is no change


def test_a_connection_lost_after_the_answer_was_made_does_not_turn_it_into_an_error(
        app_ctx, session, world, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """The database goes away between the request's last statement and its end,
    where its transaction is rolled back: the answer made is sent, the broken
    session is dropped, and the next request works."""
    from flask import request_finished

    client = app_ctx.test_client()
    api = {"Authorization": f"Bearer {world.token}", "Accept-Language": "ru"}
    dialect = db.engine.dialect
    rollback = dialect.do_rollback
    armed: list[bool] = []
    refused: list[str] = []

    def arm(_sender: object, **_extra: object) -> None:
        armed.append(True)

    dead = ("database is locked" if dialect.name == "sqlite" else
            "consuming input failed: server closed the connection unexpectedly")

    def rollback_on_a_dead_connection(dbapi_connection: object) -> None:
        if armed:
            refused.append("ROLLBACK")
            raise dialect.loaded_dbapi.OperationalError(dead)
        rollback(dbapi_connection)

    monkeypatch.setattr(dialect, "do_rollback", rollback_on_a_dead_connection)
    with request_finished.connected_to(arm, app_ctx):
        answer = client.get(f"/api/v1/groups/{world.group.id}", headers=api)
    armed.clear()
    assert refused, "the request's transaction was not rolled back at its end"
    assert answer.status_code == 200
    assert answer.get_json()["name"] == world.group.name
    monkeypatch.undo()
    again = client.get(f"/api/v1/groups/{world.group.id}", headers=api)
    assert again.status_code == 200 and again.get_json()["name"] == world.group.name
