"""Beyond one machine: two app processes (gunicorn, as on two machines) that
share one PostgreSQL and one Redis, with the same COOP_SECRET_KEY. A session
signed in on one works on the other, the login rate limit counted on one
blocks on the other, and document numbers issued through both form one
gapless sequence.

Also the helpers of the tests against a running app (test_faults.py): a
gunicorn subprocess on a free port, killed at the end whatever happens, and a
small browser (cookies, CSRF tokens, no redirects followed, bounded timeouts)."""

from __future__ import annotations

import http.client
import os
import re
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from http.cookies import SimpleCookie
from pathlib import Path
from urllib.parse import urlencode

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from tests.conftest import database_url, is_postgres
from tests.factories import PASSWORD, make_group, make_member

REPO = Path(__file__).resolve().parents[2]
HOST = "127.0.0.1"
SECRET_KEY = "two-machines-one-secret-key-for-tests"
REDIS_DB = 14  # flushed by these tests: no other use of it, please

pytestmark = pytest.mark.skipif(
    not is_postgres(),
    reason="app processes sharing one database need COOP_TEST_DATABASE_URL on PostgreSQL "
           "(SQLite is a file on one machine)")


# --------------------------------------------------------------------------
# A running app, and a browser for it
# --------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return sock.getsockname()[1]


def redis_url(db: int) -> str:
    return f"redis://{HOST}:6379/{db}"


def require_redis(db: int):  # type: ignore[no-untyped-def]
    """A client of the local Redis, database `db`, emptied. Without Redis the
    test is skipped, except in CI (CI=true), which starts Redis: there it fails."""
    import redis

    client = redis.Redis.from_url(redis_url(db), socket_timeout=5, socket_connect_timeout=2)
    try:
        client.ping()
    except redis.RedisError as exc:
        message = f"needs Redis at {HOST}:6379 ({exc})"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    client.flushdb()
    return client


class LiveApp:
    """`gunicorn wsgi:app` in a subprocess on a free port of 127.0.0.1."""

    def __init__(self, env: dict[str, str], workers: int = 1, threads: int = 4) -> None:
        self.port = free_port()
        self.log = tempfile.TemporaryFile()  # noqa: SIM115 (closed by stop())
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "-w", str(workers), "--threads", str(threads),
             "-b", f"{HOST}:{self.port}", "--timeout", "30", "--graceful-timeout", "2",
             "wsgi:app"],
            cwd=REPO, env=env, stdout=self.log, stderr=subprocess.STDOUT)

    def wait_ready(self, timeout: float = 30) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and self.proc.poll() is None:
            try:
                conn = http.client.HTTPConnection(HOST, self.port, timeout=2)
                conn.request("GET", "/login")
                if conn.getresponse().status == 200:
                    return
            except OSError:
                time.sleep(0.1)
        raise RuntimeError(f"the app did not start:\n{self.output()[-3000:]}")

    def output(self) -> str:
        self.log.seek(0)
        return self.log.read().decode("utf-8", "replace")

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=5)
        self.log.close()


def app_env(**extra: str) -> dict[str, str]:
    """The environment of an app process on the suite's database."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("COOP_")}
    env.update(COOP_DATABASE_URL=database_url(Path(tempfile.gettempdir())),
               COOP_SECRET_KEY=SECRET_KEY, COOP_DEFAULT_LOCALE="en", PYTHONUNBUFFERED="1")
    env.update(extra)
    return env


@contextmanager
def live_apps(count: int, env: dict[str, str], **options: int) -> Iterator[list[LiveApp]]:
    apps: list[LiveApp] = []
    try:
        for _ in range(count):
            apps.append(LiveApp(env, **options))
        for app in apps:
            app.wait_ready()
        yield apps
    finally:
        for app in apps:
            app.stop()


_CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


@dataclass
class Reply:
    status: int
    body: str
    location: str = ""


class Browser:
    """Keeps the cookies, follows no redirect; every call has a timeout. The
    port says which app the request goes to: the cookies go to all of them,
    as to one site behind a load balancer."""

    def __init__(self, timeout: float = 15, forwarded_for: str = "") -> None:
        self.cookies: dict[str, str] = {}
        self.timeout = timeout
        self.forwarded_for = forwarded_for  # as a proxy in front would say

    def request(self, port: int, method: str, path: str, form: dict | None = None) -> Reply:
        conn = http.client.HTTPConnection(HOST, port, timeout=self.timeout)
        try:
            headers = {"Accept": "text/html"}
            if self.forwarded_for:
                headers["X-Forwarded-For"] = self.forwarded_for
            if self.cookies:
                headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
            body = None
            if form is not None:
                body = urlencode(form)
                headers["Content-Type"] = "application/x-www-form-urlencoded"
            conn.request(method, path, body=body, headers=headers)
            response = conn.getresponse()
            text = response.read().decode("utf-8", "replace")
            jar: SimpleCookie = SimpleCookie()
            for header in response.headers.get_all("Set-Cookie") or []:
                jar.load(header)
            for name, morsel in jar.items():
                if morsel.value:
                    self.cookies[name] = morsel.value
                else:
                    self.cookies.pop(name, None)
            return Reply(response.status, text, response.headers.get("Location", ""))
        finally:
            conn.close()

    def get(self, port: int, path: str) -> Reply:
        return self.request(port, "GET", path)

    def csrf_token(self, port: int, path: str) -> str:
        page = self.get(port, path)
        match = _CSRF.search(page.body)
        assert match, f"no form at {path}: HTTP {page.status}"
        return match.group(1)

    def post(self, port: int, path: str, form: dict, token: str | None = None) -> Reply:
        form = {**form, "csrf_token": token or self.csrf_token(port, "/login")}
        return self.request(port, "POST", path, form)

    def sign_in(self, port: int, login: str, password: str = PASSWORD) -> Reply:
        return self.post(port, "/login", {"login": login, "password": password, "next": ""})


# --------------------------------------------------------------------------
# Two apps, one database, one Redis
# --------------------------------------------------------------------------


@pytest.fixture(scope="module")
def two_apps(app):  # type: ignore[no-untyped-def]
    """Apps A and B (the suite's database is migrated by `app` first)."""
    require_redis(REDIS_DB)
    env = app_env(COOP_REDIS_URL=redis_url(REDIS_DB), COOP_LOGIN_RATE_LIMIT="3 per minute",
                  COOP_TRUSTED_PROXIES="1")
    with live_apps(2, env) as apps:
        yield apps


@pytest.fixture()
def apps(two_apps, app_ctx):  # type: ignore[no-untyped-def]
    """A and B, with the rate limits of earlier tests forgotten."""
    require_redis(REDIS_DB)
    return two_apps


def test_a_session_signed_in_on_one_app_works_on_the_other(apps, session: Session) -> None:
    a, b = apps
    group = make_group(session, name="Ак-Суу")
    member = make_member(session, group)
    session.commit()
    browser = Browser()
    assert browser.sign_in(a.port, member.user.email).status == 302
    page = browser.get(b.port, f"/groups/{group.id}")
    assert page.status == 200, page.status
    assert group.name in page.body
    # and signed out on B, she is out on A as well
    token = browser.csrf_token(b.port, f"/groups/{group.id}")
    assert browser.post(b.port, "/logout", {}, token).status == 302
    page = browser.get(a.port, f"/groups/{group.id}")
    assert page.status == 302 and "/login" in page.location


def test_the_login_rate_limit_counted_on_one_app_blocks_on_the_other(
        apps, session: Session) -> None:
    a, b = apps
    group = make_group(session)
    member, neighbour = make_member(session, group), make_member(session, group)
    session.commit()
    browser = Browser(forwarded_for="10.0.0.1")  # behind a proxy (COOP_TRUSTED_PROXIES=1)
    for port in (a.port, b.port, a.port):  # COOP_LOGIN_RATE_LIMIT: 3 per minute
        assert browser.sign_in(port, member.user.email, "wrong-password").status == 422
    blocked = browser.sign_in(b.port, member.user.email)  # the right password, too late
    assert blocked.status == 429, blocked.status
    assert "Traceback" not in blocked.body
    # her account stays blocked from anywhere; other people behind the same proxy are not
    assert Browser(forwarded_for="10.0.0.3").sign_in(a.port, member.user.email).status == 429
    assert Browser(forwarded_for="10.0.0.2").sign_in(b.port, neighbour.user.email).status == 302


def test_document_numbers_issued_through_both_apps_form_one_gapless_sequence(
        apps, session: Session) -> None:
    from coop.documents.models import INVOICE, Document

    a, b = apps
    group, treasurer, members, rnd = settled_round(session, members=8)
    session.commit()
    browser = Browser()
    assert browser.sign_in(a.port, treasurer.user.email).status == 302
    statuses: list[int] = []
    invoices = f"/groups/{group.id}/rounds/{rnd.id}/invoices"
    ids = [m.id for m in members]

    def issue(port: int, chosen: list[int]) -> None:
        for membership_id in chosen:
            statuses.append(browser.get(port, f"{invoices}/{membership_id}.pdf").status)

    # at the same moment, half through A and half through B; then again, the other way round
    threads = [threading.Thread(target=issue, args=(a.port, ids[0::2])),
               threading.Thread(target=issue, args=(b.port, ids[1::2]))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    issue(b.port, ids[0::2])
    issue(a.port, ids[1::2])
    assert statuses == [200] * 16, statuses
    session.expire_all()
    documents = list(session.scalars(select(Document).where(
        Document.group_id == group.id, Document.doc_type == INVOICE).order_by(Document.seq)))
    assert [d.seq for d in documents] == list(range(1, 9))
    assert sorted(d.membership_id for d in documents) == sorted(ids)
    assert len({d.number for d in documents}) == 8


def settled_round(session: Session, members: int):  # type: ignore[no-untyped-def]
    """A settled round in which `members` members ordered one product."""
    from coop.orders import services as orders
    from coop.quantities import parse_quantity as q
    from tests.factories import make_product, make_supplier

    group = make_group(session)
    treasurer = make_member(session, group, "Казына", role="treasurer")
    people = [make_member(session, group) for _ in range(members)]
    product = make_product(session, make_supplier(session, group), pack_size="5")
    rnd = orders.create_round(session, group, treasurer.user, title="Семена", deadline=None,
                              product_ids=[product.id])
    orders.move_round(session, rnd, treasurer.user, "open")
    (item,) = rnd.items
    for person in people:
        orders.save_order(session, rnd, person, {item.id: (q("5"), 0)}, person.user,
                          as_treasurer=False)
    orders.move_round(session, rnd, treasurer.user, "closed")
    orders.award_at_list_prices(session, rnd, treasurer.user)
    orders.record_delivery(session, rnd, {item.id: (q("5") * members, 0)},
                           actor=treasurer.user)
    orders.confirm_delivery(session, rnd, treasurer.user)
    orders.settle_round(session, rnd, treasurer.user)
    return group, treasurer, people, rnd
