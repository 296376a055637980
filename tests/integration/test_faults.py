"""The database connections die under load: the app (gunicorn, 2 workers x 4
threads, on the suite's PostgreSQL) takes members' order submissions, page
views and the treasurer's payments from several threads while, in the middle,
every connection to the database but ours is terminated.

Requests in flight then may fail, cleanly: an error page with no traceback,
or a dropped connection. The app recovers by itself (the pool checks idle connections) at once:
what starts a moment later succeeds. Nothing is lost or doubled: every order
that got a success response is in the database exactly once with its
quantities, and a payment form sent again after a failure records one payment."""

from __future__ import annotations

import threading
import time
import uuid
from dataclasses import dataclass

import psycopg
import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from tests.conftest import is_postgres
from tests.factories import make_group, make_member, make_product, make_supplier
from tests.integration.test_scale_out import Browser, app_env, live_apps

pytestmark = pytest.mark.skipif(
    not is_postgres(),
    reason="terminating the app's database connections needs COOP_TEST_DATABASE_URL on "
           "PostgreSQL")

STREAM_SECONDS = 5.0
KILL_AT = (1.5, 3.0)  # seconds into the stream
GRACE = 1.0  # a backend terminated takes a moment to go; a ping may still see it alive


@dataclass
class Attempt:
    what: str
    started: float
    ended: float
    status: int | None  # None: the connection failed
    body: str = ""
    value: object = None

    @property
    def ok(self) -> bool:
        return self.status is not None and 200 <= self.status < 400


def _terminate_backends(dsn: str) -> int:
    with psycopg.connect(dsn, autocommit=True) as conn:
        return len(conn.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
            "WHERE datname = current_database() AND pid <> pg_backend_pid()").fetchall())


def test_killed_database_connections_lose_and_double_nothing(app, app_ctx,
                                                              session: Session) -> None:
    from coop.extensions import db
    from coop.ledger.models import Payment, Posting
    from coop.orders import services as orders
    from coop.orders.models import Request, RequestChange

    group = make_group(session, name="Ала-Тоо")
    treasurer = make_member(session, group, "Казына", role="treasurer")
    members = [make_member(session, group) for _ in range(4)]
    product = make_product(session, make_supplier(session, group), pack_size="5",
                           granularity="1")
    rnd = orders.create_round(session, group, treasurer.user, title="Семена", deadline=None,
                              product_ids=[product.id])
    orders.move_round(session, rnd, treasurer.user, "open")
    session.commit()
    group_id, round_id, item_id = group.id, rnd.id, rnd.items[0].id
    people = [(m.id, m.user.email) for m in members]
    treasurer_login = treasurer.user.email
    session.close()  # no connection of ours is open while they are killed

    dsn = app.config["SQLALCHEMY_DATABASE_URI"].replace("postgresql+psycopg://",
                                                        "postgresql://", 1)
    attempts: list[Attempt] = []
    lock = threading.Lock()
    env = app_env(COOP_LOGIN_RATE_LIMIT="100 per minute")
    with live_apps(1, env, workers=2, threads=4) as (live,):
        browsers = []
        for _membership_id, login in people:
            browser = Browser(timeout=20)
            assert browser.sign_in(live.port, login).status == 302
            browsers.append(browser)
        cashier = Browser(timeout=20)
        assert cashier.sign_in(live.port, treasurer_login).status == 302
        round_path = f"/groups/{group_id}/rounds/{round_id}"
        start = time.monotonic()
        stop_at = start + STREAM_SECONDS

        def record(what: str, call, value: object = None) -> Attempt:  # type: ignore[no-untyped-def]
            began = time.monotonic()
            try:
                reply = call()
                attempt = Attempt(what, began, time.monotonic(), reply.status, reply.body,
                                  value)
            except OSError:
                attempt = Attempt(what, began, time.monotonic(), None, "", value)
            with lock:
                attempts.append(attempt)
            return attempt

        def member_stream(browser: Browser, index: int) -> None:
            token = browser.csrf_token(live.port, f"{round_path}/order")
            quantity = 0
            while time.monotonic() < stop_at:
                quantity += 1  # every submission a new quantity: each is traceable
                record(f"order:{index}", lambda q=quantity: browser.post(
                    live.port, f"{round_path}/order",
                    {f"quantity_{item_id}": str(q), f"tolerance_{item_id}": "0"}, token),
                    quantity)
                record("share", lambda: browser.get(live.port, f"{round_path}/share"))

        def payment_stream() -> None:
            membership_id = people[0][0]
            path = f"/groups/{group_id}/accounts/{membership_id}/payment"
            token = cashier.csrf_token(live.port, f"/groups/{group_id}/accounts/{membership_id}")
            while time.monotonic() < stop_at:
                key = f"fault-test-{uuid.uuid4().hex}"
                fields = {"amount": "10", "method": "cash",
                          # each its own receipt: not asked "another?"
                          "reference": key[-20:], "idempotency_key": key}
                for _ in range(20):  # sent again until it is acknowledged, as people do
                    done = record("payment", lambda f=dict(fields): cashier.post(
                        live.port, path, f, token), key)
                    if done.status == 200 and 'name="confirm_again"' in done.body:
                        # asked first, recorded nothing (a payment before her first
                        # order is beyond what she owes): she says yes, same key
                        done.what = "payment asked"
                        fields["confirm_again"] = "1"
                        continue
                    if done.ok or time.monotonic() > stop_at + 5:
                        break

        threads = [threading.Thread(target=member_stream, args=(b, i))
                   for i, b in enumerate(browsers)]
        threads.append(threading.Thread(target=payment_stream))
        for thread in threads:
            thread.start()
        kills = []
        for at in KILL_AT:
            time.sleep(max(0.0, start + at - time.monotonic()))
            began = time.monotonic()
            killed = _terminate_backends(dsn)
            kills.append((began, time.monotonic(), killed))
        for thread in threads:
            thread.join(timeout=STREAM_SECONDS + 30)
        assert not any(t.is_alive() for t in threads)
        after = Browser(timeout=20)
        assert after.sign_in(live.port, people[1][1]).status == 302
        assert after.get(live.port, f"{round_path}/share").status == 200

    assert all(killed > 0 for _, _, killed in kills), kills
    # failures: only requests in flight while the connections were killed, and clean
    def in_flight(a: Attempt) -> bool:
        return any(a.started <= k_end + GRACE and a.ended >= k_start
                   for k_start, k_end, _ in kills)

    failed = [a for a in attempts if not a.ok]
    assert all(in_flight(a) for a in failed), [(a.what, a.status) for a in failed]
    assert all(a.status is None or a.status >= 500 for a in failed), \
        [(a.what, a.status, a.body[:300]) for a in failed]
    for a in failed:
        assert "Traceback" not in a.body and 'File "' not in a.body, a.body[:2000]
    # recovered by itself: everything after the kills (and their grace) succeeded
    last_kill = kills[-1][1]
    later = [a for a in attempts if a.started > last_kill + GRACE]
    assert later and all(a.ok for a in later)
    assert "Traceback" not in "".join(a.body for a in attempts)

    # nothing lost, nothing doubled
    with Session(db.engine) as check:
        for index, (membership_id, _login) in enumerate(people):
            mine = [a for a in attempts if a.what == f"order:{index}"]
            acknowledged = [a.value for a in mine if a.ok]
            unknown = {a.value for a in mine if not a.ok}
            assert acknowledged, f"member {index}: no order went through"
            changes = list(check.scalars(select(RequestChange.new_quantity).where(
                RequestChange.round_id == round_id,
                RequestChange.membership_id == membership_id)))
            for value in acknowledged:  # in thousandths: 1 unit = 1000
                assert changes.count(value * 1000) == 1, (index, value, changes)
            assert {c // 1000 for c in changes} <= set(acknowledged) | unknown
            rows = list(check.scalars(select(Request).where(
                Request.round_id == round_id, Request.membership_id == membership_id)))
            assert len(rows) == 1
            assert rows[0].quantity == max(changes)
            assert rows[0].quantity // 1000 in {max(acknowledged)} | {
                v for v in unknown if v > max(acknowledged)}

        payments = [a for a in attempts if a.what == "payment"]
        acknowledged_keys = {a.value for a in payments if a.ok}
        assert all(a.status == 302 for a in payments if a.ok), \
            [(a.status, a.body[:300]) for a in payments if a.ok and a.status != 302]
        tried_keys = {a.value for a in payments}
        stored = dict(check.execute(
            select(Payment.idempotency_key, func.count()).where(Payment.group_id == group_id)
            .group_by(Payment.idempotency_key)).all())
        assert acknowledged_keys and acknowledged_keys <= set(stored)
        assert set(stored) <= tried_keys
        assert all(count == 1 for count in stored.values()), stored
        postings = check.scalar(select(func.count()).select_from(Posting).where(
            Posting.group_id == group_id, Posting.kind == "payment"))
        assert postings == len(stored)
