"""A 5-second database outage under a running app (gunicorn on the suite's
PostgreSQL, reached through a TCP proxy of the test's that cuts every
connection and then refuses new ones, as a dead port does).

During the outage pages and the API answer 503 with Retry-After, in the
visitor's language, never 500; payments sent during it are recorded once or
not at all, and none that was recorded was answered with an error; when the
database is back the app recovers by itself, within about a second, and the
same payment forms sent again record each payment exactly once. The figures
are printed (pytest -s)."""

from __future__ import annotations

import contextlib
import http.client
import json
import socket
import threading
import time
import uuid
from collections import Counter
from dataclasses import dataclass
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

from tests.conftest import is_postgres
from tests.factories import make_api_token, make_group, make_member
from tests.integration.test_scale_out import HOST, Browser, app_env, free_port, live_apps

pytestmark = [pytest.mark.postgres, pytest.mark.skipif(
    not is_postgres(),
    reason="a database outage under a running app needs COOP_TEST_DATABASE_URL on PostgreSQL")]

OUTAGE_SECONDS = 5.0
LEAD_SECONDS = 1.0


class DatabaseProxy:
    """127.0.0.1:<port> -> the database; `cut()` closes every connection and
    the port (connection refused), `restore()` listens again."""

    def __init__(self, target_host: str, target_port: int) -> None:
        self.target = (target_host, target_port)
        self.port = free_port()
        self.lock = threading.Lock()
        self.pairs: list[tuple[socket.socket, socket.socket]] = []
        self.listener: socket.socket | None = None
        self.restore()

    def restore(self) -> None:
        listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind((HOST, self.port))
        listener.listen(64)
        self.listener = listener
        threading.Thread(target=self._accept, args=(listener,), daemon=True).start()

    def cut(self) -> None:
        listener, self.listener = self.listener, None
        if listener is not None:
            # wakes the accept() of the other thread (close alone does not)
            with contextlib.suppress(OSError):
                listener.shutdown(socket.SHUT_RDWR)
            listener.close()
        with self.lock:
            pairs, self.pairs = self.pairs, []
        for pair in pairs:
            for sock in pair:
                with contextlib.suppress(OSError):
                    sock.shutdown(socket.SHUT_RDWR)
                sock.close()

    def _accept(self, listener: socket.socket) -> None:
        while True:
            try:
                client, _address = listener.accept()
            except OSError:
                return  # closed by cut()
            try:
                server = socket.create_connection(self.target, timeout=5)
            except OSError:
                client.close()
                continue
            server.settimeout(None)
            with self.lock:
                self.pairs.append((client, server))
            for source, sink in ((client, server), (server, client)):
                threading.Thread(target=self._pipe, args=(source, sink), daemon=True).start()

    @staticmethod
    def _pipe(source: socket.socket, sink: socket.socket) -> None:
        try:
            while data := source.recv(65536):
                sink.sendall(data)
        except OSError:
            pass
        for sock in (source, sink):
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)


@dataclass
class Answer:
    what: str
    started: float
    ended: float
    status: int | None  # None: no HTTP answer at all
    retry_after: str | None
    content_type: str
    body: str
    key: str = ""


def raw(port: int, method: str, path: str, headers: dict[str, str],
        body: str | None = None) -> tuple[int, dict[str, str], str]:
    conn = http.client.HTTPConnection(HOST, port, timeout=20)
    try:
        conn.request(method, path, body=body, headers=headers)
        response = conn.getresponse()
        return (response.status, {k.lower(): v for k, v in response.getheaders()},
                response.read().decode("utf-8", "replace"))
    finally:
        conn.close()


def stored_keys(group_id: int) -> Counter[str]:
    """How often each payment's key is in the database (read directly)."""
    from coop.extensions import db
    from coop.ledger.models import Payment

    with Session(db.engine) as check:
        return Counter(dict(check.execute(
            select(Payment.idempotency_key, func.count()).where(Payment.group_id == group_id)
            .group_by(Payment.idempotency_key)).all()))


def test_a_database_outage_answers_503_and_recovers(app, app_ctx, session: Session) -> None:
    group = make_group(session, name="Ала-Тоо")
    treasurer = make_member(session, group, "Казына", role="treasurer")
    aigul = make_member(session, group, "Айгүл")
    # she owes 100,000.00: the payments of 10.00 below settle debt, asked nothing
    from coop.ledger import services as ledger

    ledger.adjust_member(session, aigul, amount=10_000_000, reason="долг",
                         actor=treasurer.user)
    token = make_api_token(session, treasurer.user)
    session.commit()
    group_id, aigul_id, login = group.id, aigul.id, treasurer.user.email
    session.close()

    url = make_url(app.config["SQLALCHEMY_DATABASE_URI"])
    proxy = DatabaseProxy(url.host or HOST, url.port or 5432)
    env = app_env(COOP_DATABASE_URL=url.set(host=HOST, port=proxy.port).render_as_string(
        hide_password=False))
    statement = f"/groups/{group_id}/accounts/{aigul_id}"
    answers: list[Answer] = []
    lock = threading.Lock()
    with live_apps(1, env, workers=2, threads=4) as (live,):
        cashier = Browser(timeout=20)
        assert cashier.sign_in(live.port, login).status == 302
        form_token = cashier.csrf_token(live.port, statement)
        cookie = "; ".join(f"{k}={v}" for k, v in cashier.cookies.items())

        def ask(what: str, method: str, path: str, headers: dict[str, str],
                body: str | None = None, key: str = "") -> Answer:
            began = time.monotonic()
            try:
                status, got, text = raw(live.port, method, path, headers, body)
                answer = Answer(what, began, time.monotonic(), status,
                                got.get("retry-after"), got.get("content-type", ""), text, key)
            except OSError:
                answer = Answer(what, began, time.monotonic(), None, None, "", "", key)
            with lock:
                answers.append(answer)
            return answer

        page_headers = {"Cookie": cookie, "Accept-Language": "ky", "Accept": "text/html"}
        api_headers = {"Authorization": f"Bearer {token}", "Accept-Language": "ru"}

        def pay(key: str) -> Answer:
            from urllib.parse import urlencode

            return ask("payment", "POST", f"{statement}/payment", {
                **page_headers, "Content-Type": "application/x-www-form-urlencoded",
                "Referer": f"http://{HOST}:{live.port}{statement}"}, urlencode({
                    "csrf_token": form_token, "amount": "10", "method": "cash",
                    # its own reference: not a repeat of the last 24 h to ask about
                    "reference": key[-12:], "idempotency_key": key}), key)

        assert ask("warm", "GET", statement, page_headers).status == 200
        assert pay(f"outage-before-{uuid.uuid4().hex}").status == 302

        stop = threading.Event()

        def stream(kind: str) -> None:
            while not stop.is_set():
                if kind == "page":
                    ask("page", "GET", statement, page_headers)
                elif kind == "api":
                    ask("api", "GET", f"/api/v1/groups/{group_id}", api_headers)
                else:
                    pay(f"outage-{uuid.uuid4().hex}")
                time.sleep(0.05)

        threads = [threading.Thread(target=stream, args=(kind,))
                   for kind in ("page", "page", "api", "payment", "payment")]
        for thread in threads:
            thread.start()
        time.sleep(LEAD_SECONDS)  # payments and pages in flight when it goes
        proxy.cut()
        cut_at = time.monotonic()
        time.sleep(max(0.0, cut_at + OUTAGE_SECONDS - time.monotonic()))
        stop.set()
        for thread in threads:
            thread.join(timeout=30)
        proxy.restore()
        back_at = time.monotonic()
        during = [a for a in answers if cut_at <= a.started < back_at]
        at_the_cut = [a for a in answers if a.started < cut_at <= a.ended]

        # recovery: the first page that works again
        recovered_at = None
        while time.monotonic() < back_at + 30:
            if ask("recovery", "GET", statement, page_headers).status == 200:
                recovered_at = time.monotonic()
                break
            time.sleep(0.05)
        assert recovered_at is not None, "the app did not recover"
        recorded_by_outage = stored_keys(group_id)
        # the payments of the outage sent again, as a treasurer does
        resent = [pay(a.key) for a in during if a.what == "payment"]
        api_after = ask("api", "GET", f"/api/v1/groups/{group_id}", api_headers)
        assert api_after.status == 200
        proxy.cut()
        log = live.output()

    statuses = Counter(a.status for a in during)
    payments_during = [a for a in during if a.what == "payment"]
    stored = stored_keys(group_id)
    answered_ok = [a for a in payments_during if a.status in (302, 303)]
    recorded_during = [a for a in payments_during if recorded_by_outage[a.key]]
    all_payments = [a for a in answers if a.what == "payment" and a.started < back_at]
    errors_but_recorded = [a for a in all_payments if recorded_by_outage[a.key]
                           and (a.status is None or a.status >= 500)]
    print(f"\noutage {OUTAGE_SECONDS:.0f} s: {len(during)} requests during it: "
          + ", ".join(f"{status} x {n}" for status, n in sorted(
              statuses.items(), key=lambda item: str(item[0]))))
    print(f"  503: {statuses[503]}, 500: {statuses[500]}, no answer: {statuses[None]}")
    print(f"  payments sent during it: {len(payments_during)}; answered saved: "
          f"{len(answered_ok)}; recorded: {len(recorded_during)} (each "
          f"{set(recorded_by_outage[a.key] for a in payments_during)} times)")
    print(f"  payments answered 5xx but recorded (a COMMIT whose answer was lost): "
          f"{len(errors_but_recorded)}; answered 'may or may not have been saved': "
          f"{sum(1 for a in all_payments if 'сакталышы же' in a.body)}")
    print(f"  in flight at the cut: {len(at_the_cut)}: "
          f"{dict(Counter(a.status for a in at_the_cut))}; payments among them recorded: "
          f"{sum(1 for a in at_the_cut if a.what == 'payment' and recorded_by_outage[a.key])}")
    print(f"  after it: recovered in {recovered_at - back_at:.2f} s; the "
          f"{len(resent)} payments sent again: {Counter(a.status for a in resent)}; "
          f"every key recorded once: {all(n == 1 for n in stored.values())}")

    if any(a.status == 500 for a in answers):  # what went wrong, from the app's log
        print("\n".join(entry[:300] + " … " + entry[-1200:]
                        for entry in log.split("\n[") if "ERROR" in entry))
    assert during, "nothing was asked during the outage"
    assert statuses[500] == 0 and statuses[None] == 0, statuses
    assert all(a.status is not None and a.status != 500 for a in at_the_cut), at_the_cut
    assert set(statuses) == {503}, statuses  # every request of the outage
    for answer in during:
        assert answer.retry_after and int(answer.retry_after) >= 5, answer
        assert "Traceback" not in answer.body
        if answer.what == "api":
            assert answer.content_type.startswith("application/problem+json")
            assert "База данных сейчас недоступна" in json.loads(answer.body)["detail"]
        else:
            assert "Маалымат базасы азыр жеткиликсиз" in answer.body  # ky, her browser's
    # answered 503 but recorded: only a COMMIT whose answer was lost, and the
    # page says it may have been saved; "nothing was changed" is always true
    unsure = "сакталышы же сакталбашы мүмкүн"
    assert payments_during
    assert all(unsure in a.body for a in errors_but_recorded)
    assert not any(recorded_by_outage[a.key] for a in all_payments
                   if a.status == 503 and unsure not in a.body)
    assert all(recorded_by_outage[a.key] <= 1 for a in all_payments)
    assert all(recorded_by_outage[a.key] == 1 for a in all_payments if a.status in (302, 303))
    assert recovered_at - back_at < 5.0  # about a second; 8 test runs share 2 cores
    assert all(a.status == 302 for a in resent)  # recorded now, or "already recorded"
    assert all(stored[a.key] == 1 for a in payments_during)
    assert all(n == 1 for n in stored.values()), stored


def _counted_pings(monkeypatch: pytest.MonkeyPatch, engine: Any) -> list[int]:
    pings: list[int] = []
    real = engine.dialect._do_ping_w_event

    def ping(dbapi_connection: Any) -> bool:
        pings.append(1)
        return real(dbapi_connection)

    monkeypatch.setattr(engine.dialect, "_do_ping_w_event", ping)
    return pings


def test_a_connection_used_a_moment_ago_is_lent_without_a_ping(
        app_ctx: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    from coop import outage
    from coop.extensions import db

    with db.engine.connect() as conn:  # a connection in the pool, returned just now
        conn.execute(select(1))
    pings = _counted_pings(monkeypatch, db.engine)
    for _ in range(3):
        with db.engine.connect() as conn:
            assert conn.execute(select(1)).scalar() == 1
    assert pings == []
    monkeypatch.setattr(outage, "IDLE_PING_SECONDS", 0.0)  # now each has been idle
    with db.engine.connect() as conn:
        assert conn.execute(select(1)).scalar() == 1
    assert pings == [1]


@pytest.mark.skipif(not is_postgres(), reason="ends a PostgreSQL server process")
def test_a_connection_that_died_while_idle_is_replaced_before_it_is_lent(
        app_ctx: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    """The database ended the pooled connection while it was idle (a restart,
    an idle timeout): the next request gets a new one, not an error."""
    from sqlalchemy import text

    from coop import outage
    from coop.extensions import db

    with db.engine.connect() as conn, db.engine.connect() as other:
        pid = conn.execute(text("SELECT pg_backend_pid()")).scalar()
        conn.commit()
        other.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
    monkeypatch.setattr(outage, "IDLE_PING_SECONDS", 0.0)
    pings = _counted_pings(monkeypatch, db.engine)
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:  # the backend takes a moment to go
        with db.engine.connect() as probe:
            alive = probe.execute(text("SELECT count(*) FROM pg_stat_activity WHERE pid = :pid"),
                                  {"pid": pid}).scalar()
        if not alive:
            break
        time.sleep(0.05)
    with db.engine.connect() as a, db.engine.connect() as b:
        pids = {a.execute(text("SELECT pg_backend_pid()")).scalar(),
                b.execute(text("SELECT pg_backend_pid()")).scalar()}
    assert pid not in pids
    assert len(pings) >= 2
