"""How Coop holds up over HTTP (run as `python bench/http.py`).

Makes a fresh PostgreSQL database (dropped at the end, also on Ctrl+C or an
error), applies the migrations, seeds an open round of 1,000 members x 50
products (every member orders every product: 50,000 request lines; 64 of them
sign in, each client's pages those of members of her own), serves it
with gunicorn as the README's production command does (a worker per core,
four threads each; rate limits in Redis) next to a bare Flask app with one
route returning "ok" (the yardstick, same workers), signs in, and drives
each from a separate process (wrk with a Lua script; without wrk, our own
keep-alive client) with 32 concurrent clients for 15 s per page:

- the bare endpoint;
- Coop's floor: a page of the same app (bench/coop_app.py) that signs the
  member in, as every page does, and returns "ok": no signed-in page can be
  faster;
- the member's "my share" page,
- the treasurer's round page (every member's bill),
- the member's order submission (POST with the CSRF token; 302);
- two yardsticks (bench/raw_app.py, same workers): the share page's reads and
  an order's writes written by hand in raw SQL, at the same URLs with the same
  cookies and forms: the most any implementation of those pages could reach.

Then a mixed run: the same 32 clients at once, one in five submitting orders
(each changes the round, so the share views keep meeting a new split) and
the others viewing their share, each kind from its own load generator, after
a warm-up long enough for each worker to split the round anew once (the runs
before it leave no chain of order changes to bring a split up to date from);
and the same mixed run again, measured from a change other than an order (as
a price or a cost changed by the treasurer: each worker splits anew).

Prints requests per second and p50/p95/p99 latency of each, with the
throughput as a share of the bare endpoint's and of Coop's floor; then the
targets, each measured in this run against the raw SQL yardstick of the same
work: the floor at least 90 % of the share page's reads (signing in costs
about one query), the share page and the order submission at least 50 % of
theirs, the round page at least 25 % of the share page's reads; and for the
mixed run: share p95 under 5x its warm p95, the two kinds using together at
least 90 % of what each reaches alone (neither got dearer by the mix), no
request waiting on another's work on the split for longer than one split (as
the app measured its waits and its splits: bench/coop_app.py records them in
Redis; a wait ends when the other's split is there, and the page's own work of
taking it is printed apart, with the slowest view's whole time, its time
queued for the cores included), and no response other than 2xx/3xx.
During the first mixed run it polls pg_stat_activity every 20 ms and prints
what the database's active backends were waiting on and running (where the
database's part of the mix goes). For each of Coop's cases and both mixed
runs it reads /proc to print how busy the cores were, and how much of that
was the app's workers and PostgreSQL: a run short of cores shows them near
100 % busy, a run that waited (on locks, on the database) leaves them idle.
It only prints; it never fails.

Settings: COOP_BENCH_PG (server URL, default postgresql+psycopg://postgres@
127.0.0.1:5432), COOP_BENCH_REDIS (default redis://127.0.0.1:6379/13; "none" to
keep the rate limits in memory), COOP_BENCH_SECONDS (default 15),
COOP_BENCH_ROUNDS (default 2: the single cases run this many times in turn,
each one's best turn shown with the rates of all turns; on a shared machine a
single turn of one case can meet a slow spell that the others did not),
COOP_BENCH_WORKERS (default: the machine's cores) and COOP_BENCH_THREADS
(default 4: gunicorn's threaded workers, each process keeping one live split
for all its threads; 1: its sync workers, a process a request).
"""

from __future__ import annotations

import http.client
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass
from http.cookies import SimpleCookie
from pathlib import Path
from urllib.parse import urlencode

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

PG_BASE = os.environ.get("COOP_BENCH_PG", "postgresql+psycopg://postgres@127.0.0.1:5432")
REDIS_URL = os.environ.get("COOP_BENCH_REDIS", "redis://127.0.0.1:6379/13")
SECONDS = float(os.environ.get("COOP_BENCH_SECONDS", "15"))
ROUNDS = max(1, int(os.environ.get("COOP_BENCH_ROUNDS", "2")))  # turns of the single cases
WARM_UP_SECONDS = 3.0
WORKERS = int(os.environ.get("COOP_BENCH_WORKERS", str(os.cpu_count() or 2)))
THREADS = int(os.environ.get("COOP_BENCH_THREADS", "4"))
CLIENTS = 32
MEMBERS = 1000
PRODUCTS = 50
MIXED_ORDERING = 0.20  # the mixed run: one client in five orders
# members who sign in: twice the clients, so that no two clients send one
# member's order at once (with 8, four clients each sent the same member's
# order and waited on each other's lock on her: a member on four phones)
LOGINS = 2 * CLIENTS
RAW_SHARE = "raw SQL: the share page's reads"
RAW_ORDER = "raw SQL: an order's writes (POST)"
HOST = "127.0.0.1"

WRK_SCRIPT = r"""
-- bench/http.py: send the variants of BENCH_VARIANTS in turn (method, path,
-- cookie, body, tab-separated), print the figures on one line at the end.
-- Each of the BENCH_THREADS threads starts its turn at its own part of the
-- first half of the variants: a member's two orders lie a half apart, and
-- two threads sending one member's order at once would wait on each other's
-- lock on her (a second phone of hers, all evening), not on the app.
local threads = 0
function setup(thread)
  thread:set("index", threads)
  threads = threads + 1
end
local variants = {}
local n = 0
function init(args)
  for line in io.lines(os.getenv("BENCH_VARIANTS")) do
    local method, path, cookie, body = line:match("^([^\t]*)\t([^\t]*)\t([^\t]*)\t(.*)$")
    local headers = {}
    if cookie ~= "" then headers["Cookie"] = cookie end
    if method == "POST" then
      headers["Content-Type"] = "application/x-www-form-urlencoded"
    else
      body = nil
    end
    variants[#variants + 1] = wrk.format(method, path, headers, body)
  end
  local parts = 2 * tonumber(os.getenv("BENCH_THREADS") or "1")
  n = math.floor((index or 0) * #variants / parts)
end
function request()
  n = n + 1
  return variants[(n % #variants) + 1]
end
function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format("RESULT %d %d %d %d %d %d %d %d\n", summary.requests,
    summary.duration, latency:percentile(50), latency:percentile(95), latency:percentile(99),
    latency.max, e.status,
    e.connect + e.read + e.write + e.timeout))
end
"""



# --------------------------------------------------------------------------
# HTTP, as a browser does it: cookies and the form's CSRF token
# --------------------------------------------------------------------------

_CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


@dataclass
class Reply:
    status: int
    body: str
    cookies: dict[str, str]


def fetch(port: int, method: str, path: str, cookie: str = "", form: dict | None = None,
          timeout: float = 120) -> Reply:
    conn = http.client.HTTPConnection(HOST, port, timeout=timeout)
    try:
        headers = {"Cookie": cookie} if cookie else {}
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
        return Reply(response.status, text, {k: v.value for k, v in jar.items()})
    finally:
        conn.close()


def sign_in(port: int, login: str, password: str) -> str:
    """The session cookie of a signed-in user ("session=…")."""
    page = fetch(port, "GET", "/login")
    cookie = f"session={page.cookies['session']}"
    token = _CSRF.search(page.body)
    assert token, "no CSRF token on /login"
    reply = fetch(port, "POST", "/login", cookie, {
        "login": login, "password": password, "next": "", "csrf_token": token.group(1)})
    if reply.status != 302 or "session" not in reply.cookies:
        raise RuntimeError(f"sign-in of {login} failed: HTTP {reply.status}")
    return f"session={reply.cookies['session']}"


def csrf_of(port: int, path: str, cookie: str) -> str:
    page = fetch(port, "GET", path, cookie)
    token = _CSRF.search(page.body)
    if page.status != 200 or not token:
        raise RuntimeError(f"no form at {path}: HTTP {page.status}")
    return token.group(1)


# --------------------------------------------------------------------------
# The database, the servers and the load
# --------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return sock.getsockname()[1]


def _admin_dsn() -> str:
    return PG_BASE.replace("postgresql+psycopg://", "postgresql://", 1) + "/postgres"


def create_database(name: str) -> None:
    import psycopg

    with psycopg.connect(_admin_dsn(), autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')


def drop_database(name: str) -> None:
    import psycopg

    with psycopg.connect(_admin_dsn(), autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def redis_ready(url: str) -> bool:
    if url.lower() == "none":
        return False
    try:
        import redis

        return bool(redis.Redis.from_url(url, socket_timeout=2).ping())
    except Exception:
        return False


def flush_redis(url: str) -> None:
    import redis

    redis.Redis.from_url(url, socket_timeout=5).flushdb()


_SERVE = ["-w", str(WORKERS), *(["--threads", str(THREADS)] if THREADS > 1 else [])]
_SERVED = " ".join(_SERVE)


class Server:
    """A gunicorn serving `target`, stopped (with its workers) by stop()."""

    def __init__(self, target: str, env: dict[str, str], log: Path) -> None:
        self.port = free_port()
        self.log = log
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", *_SERVE, "-b", f"{HOST}:{self.port}",
             "--timeout", "120", target],
            cwd=REPO, env=env, stdout=log.open("wb"), stderr=subprocess.STDOUT)

    def wait_ready(self, path: str, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                break
            try:
                if fetch(self.port, "GET", path, timeout=5).status < 500:
                    return
            except OSError:
                time.sleep(0.2)
        raise RuntimeError(f"server did not start; its log:\n{self.log.read_text()[-3000:]}")

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=5)


@dataclass
class Figures:
    requests: int
    seconds: float
    p50: float  # milliseconds
    p95: float
    p99: float
    errors: int  # responses not 2xx/3xx, and failed connections
    most: float = 0.0  # the slowest request, milliseconds
    cpu: CpuUse | None = None  # where the cores' time went meanwhile (Coop's cases)

    @property
    def rate(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0


def wrk_path() -> str | None:
    found = shutil.which("wrk")
    if found:
        return found
    if os.geteuid() == 0 and shutil.which("apt-get"):
        print("installing wrk (apt-get install wrk)…", flush=True)
        quiet = {"stdout": subprocess.DEVNULL, "stderr": subprocess.DEVNULL}
        env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
        if subprocess.run(["apt-get", "install", "-y", "-qq", "wrk"], env=env,
                          **quiet).returncode != 0:
            subprocess.run(["apt-get", "update", "-qq"], env=env, **quiet)
            subprocess.run(["apt-get", "install", "-y", "-qq", "wrk"], env=env, **quiet)
    return shutil.which("wrk")


def drive(tool: str | None, port: int, variants: list[tuple[str, str, str, str]],
          seconds: float, workdir: Path, clients: int = CLIENTS) -> Figures:
    """`variants` (method, path, cookie, body) in turn from `clients` connections."""
    return drive_together(tool, port, [(variants, clients)], seconds, workdir)[0]


def drive_together(tool: str | None, port: int,
                   loads: list[tuple[list[tuple[str, str, str, str]], int]], seconds: float,
                   workdir: Path) -> list[Figures]:
    """Several loads at once, each its variants from its own connections (one
    load generator each), so that each kind of request has its own figures."""
    procs = []
    for variants, clients in loads:
        variants_file = workdir / f"variants-{uuid.uuid4().hex}.tsv"
        variants_file.write_text("".join("\t".join(v) + "\n" for v in variants),
                                 encoding="utf-8")
        threads = min(clients, os.cpu_count() or 2)
        if tool:
            script = workdir / "bench.lua"  # each wrk thread reads it: written once
            if not script.exists():
                script.write_text(WRK_SCRIPT)
            command = [tool, "-t", str(threads), "-c", str(clients),
                       "-d", f"{seconds:g}s", "--timeout", "60s", "-s", str(script),
                       f"http://{HOST}:{port}/"]
        else:
            command = [sys.executable, str(REPO / "bench" / "_load.py"), HOST, str(port),
                       str(variants_file), str(clients), str(seconds)]
        procs.append(subprocess.Popen(
            command, env={**os.environ, "BENCH_VARIANTS": str(variants_file),
                          "BENCH_THREADS": str(threads)},
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True))
    return [_figures(tool, proc, seconds) for proc in procs]


def _figures(tool: str | None, proc: subprocess.Popen, seconds: float) -> Figures:
    stdout, stderr = proc.communicate(timeout=seconds + 120)
    if tool:
        line = next((x for x in stdout.splitlines() if x.startswith("RESULT ")), None)
        if line is None:
            raise RuntimeError(f"wrk failed: {stdout[-1000:]} {stderr[-1000:]}")
        requests, micros, p50, p95, p99, most, status, socket_errors = map(
            int, line.split()[1:])
        return Figures(requests, micros / 1e6, p50 / 1000, p95 / 1000, p99 / 1000,
                       status + socket_errors, most / 1000)
    import json

    data = json.loads(stdout.strip().splitlines()[-1])
    return Figures(data["requests"], data["seconds"], data["p50"] / 1000, data["p95"] / 1000,
                   data["p99"] / 1000, data["status_errors"] + data["socket_errors"],
                   data["max"] / 1000)


class DatabaseActivity:
    """What this database's PostgreSQL backends are doing while a block runs:
    pg_stat_activity polled every 20 ms from a thread, over one connection of
    its own (a poll is one small statement). Each active backend a poll finds
    counts once: its wait (none: running, or ready to run) and the start of
    its statement."""

    POLL_SECONDS = 0.02

    def __init__(self, url: str) -> None:
        self.dsn = url.replace("postgresql+psycopg://", "postgresql://", 1)
        self.polls = 0
        self.waits: dict[str, int] = {}
        self.statements: dict[str, int] = {}

    def __enter__(self) -> DatabaseActivity:
        import threading

        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._poll, daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()

    def _poll(self) -> None:
        import psycopg

        with psycopg.connect(self.dsn, autocommit=True) as connection:
            while not self._stop.is_set():
                rows = connection.execute(
                    "SELECT coalesce(wait_event_type || '/' || wait_event, 'running'),"
                    " left(regexp_replace(query, '\\s+', ' ', 'g'), 40) FROM pg_stat_activity"
                    " WHERE datname = current_database() AND state = 'active'"
                    " AND pid <> pg_backend_pid()").fetchall()
                self.polls += 1
                for wait, statement in rows:
                    self.waits[wait] = self.waits.get(wait, 0) + 1
                    self.statements[statement] = self.statements.get(statement, 0) + 1
                time.sleep(self.POLL_SECONDS)

    def report(self, title: str) -> None:
        found = sum(self.waits.values())
        print(f"{title}: {self.polls} polls of pg_stat_activity, {found / max(self.polls, 1):.2f} "
              f"backends active a poll")
        if not found:
            return
        for label, counts in (("waiting on", self.waits), ("statement", self.statements)):
            top = sorted(counts.items(), key=lambda item: -item[1])[:6]
            print(f"    {label}: " + "; ".join(f"{name} {count / found:.0%}"
                                              for name, count in top))


class CpuUse:
    """Where the machine's CPU went while a block ran, from /proc: the share of
    all cores busy (user and system time), and of that the app's workers
    (children of `server_pid`) and PostgreSQL's processes; the rest is the
    load generators and whatever else ran. Tells whether a run was short of
    cores (busy near 100 %) or waited (on locks, on the database) with
    cores idle."""

    def __init__(self, server_pid: int) -> None:
        self.server_pid = server_pid
        self.busy = self.app = self.database = 0.0  # shares of all cores' time

    @staticmethod
    def _machine() -> tuple[int, int]:
        with open("/proc/stat", encoding="ascii") as fh:
            fields = [int(x) for x in fh.readline().split()[1:]]
        idle = fields[3] + fields[4]  # idle, iowait
        return sum(fields[:8]) - idle, sum(fields[:8])

    def _processes(self) -> dict[int, tuple[str, int]]:
        """pid -> (app / database / other, user + system ticks)."""
        found: dict[int, tuple[str, int]] = {}
        for entry in os.listdir("/proc"):
            if not entry.isdigit():
                continue
            try:
                with open(f"/proc/{entry}/stat", encoding="ascii", errors="replace") as fh:
                    raw = fh.read()
            except OSError:
                continue
            name, rest = raw[raw.index("(") + 1:raw.rindex(")")], raw[raw.rindex(")") + 2:]
            fields = rest.split()
            kind = "app" if int(fields[1]) == self.server_pid else \
                "database" if name.startswith("postgres") else "other"
            found[int(entry)] = (kind, int(fields[11]) + int(fields[12]))
        return found

    def __enter__(self) -> CpuUse:
        self._started = (self._machine(), self._processes())
        return self

    def __exit__(self, *exc: object) -> None:
        (busy0, total0), before = self._started
        busy1, total1 = self._machine()
        elapsed = max(total1 - total0, 1)
        self.busy = (busy1 - busy0) / elapsed
        used = {"app": 0, "database": 0, "other": 0}
        for pid, (kind, ticks) in self._processes().items():
            used[kind] += ticks - before.get(pid, (kind, 0))[1]
        self.app, self.database = used["app"] / elapsed, used["database"] / elapsed

    def words(self) -> str:
        return (f"cores busy {self.busy:.0%} of the run: the app's workers {self.app:.0%}, "
                f"PostgreSQL {self.database:.0%}, the load generators and the rest "
                f"{max(self.busy - self.app - self.database, 0):.0%}")


@dataclass
class SplitWaits:
    """What the app's pages told during a run (bench/coop_app.py records each
    wait on another's work on a split, and each split of its own, in Redis)."""

    waits: int = 0
    longest_wait: float = 0.0  # milliseconds
    splits: int = 0
    longest_split: float = 0.0
    takes: int = 0  # took the split another process shared, once there
    longest_take: float = 0.0

    @staticmethod
    def clear(url: str) -> None:
        import redis

        from bench.coop_app import SPLIT_WAITS, SPLITS, TAKES

        redis.Redis.from_url(url).delete(SPLIT_WAITS, SPLITS, TAKES)

    @classmethod
    def read(cls, url: str) -> SplitWaits:
        import redis

        from bench.coop_app import SPLIT_WAITS, SPLITS, TAKES

        connection = redis.Redis.from_url(url)
        figures = []
        for key in (SPLIT_WAITS, SPLITS, TAKES):
            top = connection.zrange(key, -1, -1, withscores=True)
            figures += [connection.zcard(key), top[0][1] if top else 0.0]
        return cls(*figures)


def drain(port: int) -> None:
    """Wait until the server has answered what the load left queued: a sync
    worker finishes every request it accepted, even one whose client left."""
    fetch(port, "GET", "/", timeout=600)


def order_form(seeded, member_index: int, token: str, bump: bool) -> str:  # type: ignore[no-untyped-def]
    """The member's whole order as the form sends it; `bump` adds 1 to the
    first line, so that alternate submissions really change her order."""
    form = {"csrf_token": token}
    for p, item_id in enumerate(seeded.item_ids):
        quantity = 1 + (member_index * 7 + p * 3) % 9 + (1 if bump and p == 0 else 0)
        form[f"quantity_{item_id}"] = str(quantity)
        form[f"tolerance_{item_id}"] = str((member_index + p) % 4)
    return urlencode(form)


def mixed_warm_up_seconds(split_seconds: float) -> float:
    """The mixed run's warm-up: the usual one plus a full split of the round
    by each worker, one after another (they share the cores). Before it, the
    raw SQL yardstick changed the round without the order records Coop keeps
    (as a treasurer's price change would), and the orders-only run left more
    changes than a split is brought up to date from: each worker splits the
    round anew once (the first view after start shows what that costs). The
    mixed run measures the busy evening after that: the round changing with
    every order, each worker bringing its split up to date."""
    return float(round(WARM_UP_SECONDS + min(WORKERS * split_seconds, 40.0)))  # wrk: whole s


def change_the_round(url: str, round_id: int) -> None:
    """What any change other than an order does to the split cache (a price,
    a cost, the award): a new change token, with no order change leading to
    it, so that every process splits the round anew."""
    from sqlalchemy import create_engine, text

    engine = create_engine(url)
    try:
        with engine.begin() as conn:
            conn.execute(text("UPDATE rounds SET change_token = change_token + 1 WHERE id = :r"),
                         {"r": round_id})
    finally:
        engine.dispose()


def timed(label: str):  # type: ignore[no-untyped-def]
    class _Timer:
        def __enter__(self):  # type: ignore[no-untyped-def]
            self.start = time.perf_counter()
            print(f"{label}…", end=" ", flush=True)
            return self

        def __exit__(self, *exc: object) -> None:
            if exc[0] is None:
                print(f"{time.perf_counter() - self.start:.1f} s", flush=True)

    return _Timer()


def run(workdir: Path, db_name: str) -> None:
    from sqlalchemy import create_engine

    from bench._seed import PASSWORD, seed

    url = f"{PG_BASE}/{db_name}"
    use_redis = redis_ready(REDIS_URL)
    env = {**os.environ, "COOP_DATABASE_URL": url, "COOP_SECRET_KEY": uuid.uuid4().hex,
           "COOP_DEFAULT_LOCALE": "ru", "PYTHONUNBUFFERED": "1"}
    env.pop("COOP_REDIS_URL", None)
    if use_redis:
        env["COOP_REDIS_URL"] = REDIS_URL
        flush_redis(REDIS_URL)

    with timed(f"database {db_name}: migrations"):
        subprocess.run([sys.executable, "-m", "flask", "--app", "wsgi", "db", "upgrade"],
                       cwd=REPO, env=env, check=True, capture_output=True, timeout=300)
    with timed(f"seeding {MEMBERS:,} members x {PRODUCTS} products"):
        engine = create_engine(url)
        seeded = seed(engine, members=MEMBERS, products=PRODUCTS, with_login=LOGINS)
        engine.dispose()

    servers: list[Server] = []
    try:
        with timed(f"starting gunicorn {_SERVED} (Coop and the bare app)"):
            coop = Server("bench.coop_app:app", env, workdir / "coop.log")
            servers.append(coop)
            bare = Server("bench.bare_app:app", env, workdir / "bare.log")
            servers.append(bare)
            coop.wait_ready("/login")
            bare.wait_ready("/")

        g, r = seeded.group_id, seeded.round_id
        round_path = f"/groups/{g}/rounds/{r}"
        with timed("signing in (treasurer and members)"):
            treasurer = sign_in(coop.port, seeded.treasurer_login, PASSWORD)
            members = [sign_in(coop.port, login, PASSWORD) for login in seeded.member_logins]
        first = {}
        for label, path, cookie in (("share", f"{round_path}/share", members[0]),
                                    ("round", round_path, treasurer)):
            started = time.perf_counter()
            reply = fetch(coop.port, "GET", path, cookie)
            first[label] = (time.perf_counter() - started, reply.status, len(reply.body))
        order_path = f"{round_path}/order"
        posts = []
        for bump in (True, False):
            for index, cookie in enumerate(members):
                token = csrf_of(coop.port, order_path, cookie)
                posts.append(("POST", order_path, cookie, order_form(seeded, index, token, bump)))
        check = fetch(coop.port, "POST", order_path, members[0],
                      dict(x.split("=", 1) for x in posts[0][3].split("&")))
        if check.status != 302:
            raise RuntimeError(f"order submission: HTTP {check.status}")

        with timed(f"starting gunicorn {_SERVED} (the raw SQL yardsticks)"):
            raw = Server("bench.raw_app:create_app()", {**env, "COOP_BENCH_PAGE_BYTES":
                                               str(first["share"][2])}, workdir / "raw.log")
            servers.append(raw)
            raw.wait_ready(f"{round_path}/share")

        tool = wrk_path()
        floor_label = "Coop: signed in, \"ok\" (floor)"
        share_views = [("GET", f"{round_path}/share", cookie, "") for cookie in members]
        cases = [
            ("bare endpoint (\"ok\")", bare.port, [("GET", "/", "", "")]),
            (floor_label, coop.port,
             [("GET", "/bench/signed-in-ok", cookie, "") for cookie in members]),
            ("member: my share", coop.port, share_views),
            ("treasurer: round page", coop.port, [("GET", round_path, treasurer, "")]),
            ("member: order submission (POST)", coop.port, posts),
            (RAW_SHARE, raw.port, share_views),
            (RAW_ORDER, raw.port, posts),
        ]
        mixed_warm_up = mixed_warm_up_seconds(first["share"][0])
        turns: dict[str, list[Figures]] = {label: [] for label, _, _ in cases}
        for turn in range(ROUNDS):
            for label, port, variants in cases:
                # after a turn's orders each worker splits the round anew: time for that
                warm_up = mixed_warm_up if turn and label in (
                    "member: my share", "treasurer: round page") else WARM_UP_SECONDS
                with timed(f"{label} ({turn + 1}/{ROUNDS}): warm-up {warm_up:g} s, then "
                           f"{SECONDS:g} s"):
                    drive(tool, port, variants, warm_up, workdir)
                    drain(port)
                    with CpuUse(coop.proc.pid) as cpu:
                        turns[label].append(drive(tool, port, variants, SECONDS, workdir))
                    turns[label][-1].cpu = cpu if port == coop.port else None
                    drain(port)
        # each case's best turn: a turn that met a slow spell of the shared
        # machine says less about the code than about its neighbours
        results = {label: max(runs, key=lambda f: f.rate) for label, runs in turns.items()}
        ordering = round(CLIENTS * MIXED_ORDERING)
        with timed(f"mixed: {CLIENTS - ordering} clients viewing their share, {ordering} "
                   f"ordering: warm-up {mixed_warm_up:.0f} s, then {SECONDS:g} s"):
            mixed = [(share_views, CLIENTS - ordering), (posts, ordering)]
            drive_together(tool, coop.port, mixed, mixed_warm_up, workdir)
            drain(coop.port)
            if use_redis:
                SplitWaits.clear(REDIS_URL)
            with DatabaseActivity(url) as database, CpuUse(coop.proc.pid) as mixed_cpu:
                mixed_share, mixed_order = drive_together(tool, coop.port, mixed, SECONDS,
                                                          workdir)
            mixed_waits = SplitWaits.read(REDIS_URL) if use_redis else None
            drain(coop.port)
        with timed(f"mixed again, just after a change other than an order: no warm-up, "
                   f"{SECONDS:g} s"):
            change_the_round(url, r)
            if use_redis:
                SplitWaits.clear(REDIS_URL)
            with CpuUse(coop.proc.pid) as after_cpu:
                after_share, after_order = drive_together(tool, coop.port, mixed, SECONDS,
                                                          workdir)
            after_waits = SplitWaits.read(REDIS_URL) if use_redis else None
            drain(coop.port)
    finally:
        for server in servers:
            server.stop()
        if use_redis:
            flush_redis(REDIS_URL)

    bare_rate = results[cases[0][0]].rate
    print()
    print(f"Coop over HTTP: one open round of {seeded.members:,} members x "
          f"{seeded.products} products ({seeded.request_lines:,} request lines), PostgreSQL, "
          f"rate limits in {'Redis' if use_redis else 'memory (no Redis)'}")
    print(f"gunicorn {_SERVED}, {CLIENTS} concurrent clients, {SECONDS:g} s each after "
          f"{WARM_UP_SECONDS:g} s of warm-up, load from {'wrk' if tool else 'bench/_load.py'}, "
          f"{os.cpu_count()} CPU cores shared by all")
    print(f"first view after start: share page {first['share'][0] * 1000:.0f} ms "
          f"(HTTP {first['share'][1]}, {first['share'][2] / 1024:.0f} KiB), round page "
          f"{first['round'][0] * 1000:.0f} ms (HTTP {first['round'][1]}, "
          f"{first['round'][2] / 1024:.0f} KiB)")
    print()
    floor_rate = results[floor_label].rate
    not_pages = (cases[0][0], RAW_SHARE, RAW_ORDER)  # yardsticks, with the floor
    print(f"each case run {ROUNDS} times in turn, its best turn shown; req/s of every turn "
          f"at the end of its line")
    print(f"{'':35} {'requests':>8} {'req/s':>8} {'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8} "
          f"{'vs bare':>8} {'vs floor':>8} {'errors':>7}  turns")
    for label, figures in results.items():
        ratio = figures.rate / bare_rate if bare_rate else 0.0
        of_floor = f"{figures.rate / floor_rate:8.2%}" if label not in not_pages \
            and floor_rate else f"{'':8}"
        errors = sum(f.errors for f in turns[label])
        each = " ".join(f"{f.rate:.0f}" for f in turns[label])
        print(f"{label:35} {figures.requests:8d} {figures.rate:8.1f} {figures.p50:8.1f} "
              f"{figures.p95:8.1f} {figures.p99:8.1f} {ratio:8.2%} {of_floor} "
              f"{errors:7d}  {each}")
    print("where the cores' time went during each Coop case's best turn:")
    for label, figures in results.items():
        if figures.cpu is not None:
            print(f"  {label:35} {figures.cpu.words()}")
    print()
    print("targets, each page's throughput against its raw SQL yardstick in this run:")
    for label, yardstick, target in (
            (floor_label, RAW_SHARE, 0.90), ("member: my share", RAW_SHARE, 0.50),
            ("member: order submission (POST)", RAW_ORDER, 0.50),
            ("treasurer: round page", RAW_SHARE, 0.25)):
        base = results[yardstick].rate
        ratio = results[label].rate / base if base else 0.0
        print(f"  {label:35} {ratio:7.2%} of {yardstick.removeprefix('raw SQL: ')} "
              f"(target {target:.0%}): {'met' if ratio >= target else 'NOT met'}")
    print()
    warm = results["member: my share"]
    alone = results["member: order submission (POST)"]
    print_mixed(f"mixed run: {CLIENTS} clients, {ordering} of them ({MIXED_ORDERING:.0%}) "
                f"submitting orders that change the round, the others viewing their share "
                f"(after a warm-up of {mixed_warm_up:.0f} s, time for each worker to split the "
                f"round anew once):", mixed_share, mixed_order, warm, alone, first,
                apply_ms=change_ms(url, seeded.round_id), cpu=mixed_cpu,
                waits=mixed_waits)
    database.report("  PostgreSQL during the mixed run (each active backend a poll found "
                    "counts once)")
    print_mixed("the same mixed run just after a change other than an order (a price, a cost: "
                f"each worker splits the round anew), measured from the change for "
                f"{SECONDS:g} s:", after_share, after_order, warm, alone, first, cpu=after_cpu,
                waits=after_waits)
    errors = sum(f.errors for f in (*(f for runs in turns.values() for f in runs), mixed_share,
                                    mixed_order, after_share, after_order))
    print(f"target: no response other than 2xx/3xx: {'met' if errors == 0 else 'NOT met'} "
          f"({errors} errors)")


def change_ms(url: str, round_id: int, changes: int = 50) -> float:
    """The median time to bring this run's round's split up to date after one
    of the mixed run's orders (a member's first line one more, or one less),
    and to read a member's bill of it, as a worker does it for her share page:
    the round read from the bench's database and split by the app's own code,
    then each change applied to the kept split as a page applies the changes
    it reads (coop.orders.cache._LiveRound.advance), and the bill of a member
    drawn at random read from it as her page reads it (_Version.member_facts:
    in the mixed run each worker serves about one share view per order). In
    this process, after the runs: nothing else is running."""
    import random

    from coop import create_app
    from coop.extensions import db
    from coop.orders import cache, split
    from coop.orders.live import LiveSplit
    from coop.orders.models import Round
    from coop.orders.services import compute_split

    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "bench", "REDIS_URL": None})
    with app.app_context():
        rnd = db.session.get(Round, round_id)
        outcome = compute_split(db.session, rnd).outcome
        entry = cache._LiveRound(0, LiveSplit(outcome.scenario, outcome))
        first, step = outcome.products[0], outcome.scenario.products[0].granularity
        rng = random.Random(19)
        times = []
        for token in range(1, changes + 1):
            at = rng.randrange(len(first.members))  # (nobody joins or leaves: places stay)
            member = int(outcome.scenario.members[first.members[at]].id)
            now = entry.live.outcome.products[0]
            quantity, tolerance = now.quantities[at], now.tolerances[at]
            quantity += step if token % 2 else -step if quantity > step else step
            path = [(token, [[member, int(first.id), quantity * entry.unit,
                              tolerance * entry.unit]])]
            viewer = int(outcome.scenario.members[rng.randrange(len(outcome.scenario.members))].id)
            with split.collector_paused():
                started = time.perf_counter()
                if not entry.advance(path, {}):
                    raise RuntimeError("the bench's order could not be applied line by line")
                entry.versions[token].member_facts(viewer)
                times.append(time.perf_counter() - started)
        db.session.remove()
        db.engine.dispose()
    return sorted(times)[len(times) // 2] * 1000


def print_mixed(title: str, mixed_share: Figures, mixed_order: Figures, warm: Figures,
                alone: Figures, first: dict[str, tuple[float, int, int]], *,
                apply_ms: float | None = None, cpu: CpuUse | None = None,
                waits: SplitWaits | None = None) -> None:
    """A mixed run's figures and its targets; `apply_ms`: the time to bring
    the split up to date after an order, to say what keeping it in every
    worker costs at the run's order rate."""
    print(title)
    print(f"{'':35} {'requests':>8} {'req/s':>8} {'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8} "
          f"{'max ms':>8} {'errors':>7}")
    for label, figures in (("member: my share", mixed_share),
                           ("member: order submission (POST)", mixed_order)):
        print(f"{label:35} {figures.requests:8d} {figures.rate:8.1f} {figures.p50:8.1f} "
              f"{figures.p95:8.1f} {figures.p99:8.1f} {figures.most:8.1f} {figures.errors:7d}")
    if cpu is not None:
        print(f"  {cpu.words()}")
    ratio = mixed_share.p95 / warm.p95 if warm.p95 else 0.0
    print(f"  share p95 {mixed_share.p95:.1f} ms, {ratio:.1f}x its warm p95 ({warm.p95:.1f} ms; "
          f"target under 5x): {'met' if ratio < 5 else 'NOT met'}")
    # Each kind of request costs what it costs alone when the two shares of the
    # capacity add up to 1: orders/s over the orders-only rate plus views/s over
    # the views-only rate. Less means that mixing them made one of them dearer
    # (an order waiting on a split, a view splitting the round anew).
    used = (mixed_order.rate / alone.rate if alone.rate else 0.0) \
        + (mixed_share.rate / warm.rate if warm.rate else 0.0)
    if apply_ms is not None:
        # every worker keeps its own live split: each order is applied once in each
        cores = os.cpu_count() or 1
        busy = WORKERS * apply_ms / 1000 * mixed_order.rate
        print(f"  each order is applied to the split in each of the {WORKERS} workers "
              f"({apply_ms:.1f} ms a change to this round and a member's bill of it, as the "
              f"app applies and reads them, timed after the runs): {WORKERS} x "
              f"{apply_ms:.1f} ms x {mixed_order.rate:.1f} "
              f"orders/s = {busy:.2f} CPU-seconds a second, {busy / cores:.0%} of the "
              f"{cores} cores, before any page is made")
    print(f"  order submission {mixed_order.rate:.1f} req/s ({mixed_order.rate / alone.rate:.0%} "
          f"of its rate alone) + share views {mixed_share.rate / warm.rate:.0%} of theirs = "
          f"{used:.0%} of the capacity (target: at least 90%, each costing what it costs "
          f"alone): {'met' if used >= 0.9 else 'NOT met'}")
    recompute = first["share"][0] * 1000
    print(f"  slowest share view {mixed_share.most:.0f} ms (its time queued for the cores "
          f"included); splitting the round anew (the first view after start) took "
          f"{recompute:.0f} ms: {'within' if mixed_share.most < recompute + warm.p99 else 'beyond'}"
          f" one split")
    # what a page spent waiting on another's work on the split, apart from its
    # time queued for the cores, as the app measured it (Server-Timing)
    if waits is None:
        print("  waits on another's work on the split: not measured (they are read from "
              "Redis, and this run had no Redis)")
        return
    one = waits.longest_split if waits.splits else recompute
    print(f"  waits on another's work on the split, as the app measured them: "
          f"{waits.waits} requests waited, the longest {waits.longest_wait:.0f} ms; "
          f"{waits.splits} split the round themselves"
          + (f", the longest {one:.0f} ms" if waits.splits else f" (one split: the first "
             f"view's {recompute:.0f} ms)")
          + f": no request waited on another's split for more than one split: "
          f"{'met' if waits.longest_wait <= one else 'NOT met'}")
    if waits.takes:
        print(f"  and then, their own work once it was there: {waits.takes} requests took "
              f"the split another worker shared (fetched from Redis, unpickled, brought up "
              f"to date), the longest in {waits.longest_take:.0f} ms")


def main() -> None:
    signal.signal(signal.SIGTERM, lambda *_: (_ for _ in ()).throw(KeyboardInterrupt()))
    db_name = f"coop_bench_{os.getpid()}_{uuid.uuid4().hex[:8]}"
    workdir = Path(tempfile.mkdtemp(prefix="coop-bench-"))
    created = False
    try:
        create_database(db_name)
        created = True
        run(workdir, db_name)
    except KeyboardInterrupt:
        print("\ninterrupted; cleaning up", flush=True)
    except Exception as exc:  # a bench prints, it does not fail
        print(f"\nthe bench stopped: {type(exc).__name__}: {exc}", flush=True)
    finally:
        if created:
            try:
                drop_database(db_name)
            except Exception as exc:
                print(f"could not drop {db_name}: {exc}", flush=True)
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
