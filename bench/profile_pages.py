"""Where a page's time goes: `python bench/profile_pages.py [PAGE ...] [--top N]`.

Seeds the HTTP bench's round (1,000 members x 50 products) in a fresh
PostgreSQL database (dropped at the end), signs in through the app's test
client and requests each page many times, then as many times again under
cProfile, and prints per page: the mean time per request (without and with
the profiler), the SQL statements per request (and how many were
BEGIN/ROLLBACK/COMMIT or the pool's ping) and the functions with the most
time. PAGE is any of floor, share, share-unkept (the share page when her
bill's HTML is not kept: the first view of it in this process), round (the
treasurer's), member-round (a member's view of the round: its packs), order,
busy (an order, then another member's share page: the view meets a round
changed since its last view, as on a busy evening; her order goes back and
forth between two, so the other's bill is one of two, kept), busy-new (the
same, each order taking the group's total of a product to one not seen
before: the other's bill is new each time, as in bench/http.py's mixed run,
where many members order), busy-many (the same order, then the treasurer's
view of the share of each of the thousand members in turn: as the mixed run's
views, which meet bills of many members), share-elsewhere (her share page
just after another member's order made in another worker, a second app in
this process with its own split and kept pages: as most views of the mixed
run meet the round; only the view is timed and profiled, the order not) and
the yardsticks
raw-share and raw-order (bench/raw_app.py: the share page's reads and an
order's writes by hand in raw SQL, whose statements are not counted);
default: all. `--turns N`: time the pages N times in turn, page after page
(the machine's noise falls on each alike), and print each one's best and
median turn; a page that changes the round (order, busy) makes the next
turn's first view of a split page bring the split up to date, so time those
apart from the others. Same settings as bench/http.py (COOP_BENCH_PG);
COOP_PROFILE_CLOCK=cpu times the turns in this process's CPU time."""

from __future__ import annotations

import cProfile
import io
import itertools
import os
import pstats
import re
import sys
import time
import uuid
from collections import Counter
from collections.abc import Callable
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from bench._http_bench import PG_BASE, create_database, drop_database  # noqa: E402

REQUESTS = {"raw-share": 400, "floor": 400, "share": 200, "share-unkept": 200, "round": 100,
            "member-round": 100,
            "raw-order": 100, "order": 100, "busy": 60, "busy-new": 60,
            "busy-many": 60, "share-elsewhere": 60}
_CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


def main() -> None:
    argv, top = sys.argv[1:], 25
    if "--top" in argv:  # --top N
        at = argv.index("--top")
        top, argv = int(argv[at + 1]), argv[:at] + argv[at + 2:]
    top = int(next((a.split("=")[1] for a in argv if a.startswith("--top=")), top))
    turns = 1
    if "--turns" in argv:  # --turns N
        at = argv.index("--turns")
        turns, argv = int(argv[at + 1]), argv[:at] + argv[at + 2:]
    turns = int(next((a.split("=")[1] for a in argv if a.startswith("--turns=")), turns))
    args = [a for a in argv if not a.startswith("--")]
    pages = args or list(REQUESTS)
    db_name = f"coop_profile_{os.getpid()}_{uuid.uuid4().hex[:8]}"
    create_database(db_name)
    try:
        run(f"{PG_BASE}/{db_name}", pages, top, turns)
    finally:
        drop_database(db_name)


def run(url: str, pages: list[str], top: int, turns: int = 1) -> None:
    import subprocess

    from sqlalchemy import create_engine, event

    env = {**os.environ, "COOP_DATABASE_URL": url, "COOP_SECRET_KEY": "profile",
           "COOP_DEFAULT_LOCALE": "ru"}
    env.pop("COOP_REDIS_URL", None)
    subprocess.run([sys.executable, "-m", "flask", "--app", "wsgi", "db", "upgrade"], cwd=REPO,
                   env=env, check=True, capture_output=True)
    from bench._seed import PASSWORD, seed

    engine = create_engine(url)
    seeded = seed(engine)
    with engine.connect() as conn:
        from sqlalchemy import text
        membership_ids = list(conn.scalars(text(
            "SELECT id FROM memberships WHERE group_id = :g AND role = 'member' ORDER BY id"),
            {"g": seeded.group_id}))
    engine.dispose()
    os.environ.update(env)
    from bench.coop_app import app
    from coop.extensions import db

    statements: list[str] = []
    with app.app_context():
        event.listen(db.engine, "before_cursor_execute",
                     lambda *a: statements.append(a[2].split()[0].upper()))
        event.listen(db.engine, "begin", lambda *a: statements.append("BEGIN"))
        event.listen(db.engine, "rollback", lambda *a: statements.append("ROLLBACK"))
        event.listen(db.engine, "commit", lambda *a: statements.append("COMMIT"))

    def signed_in(login: str):  # type: ignore[no-untyped-def]
        client = app.test_client()
        page = client.get("/login")
        token = _CSRF.search(page.text).group(1)  # type: ignore[union-attr]
        reply = client.post("/login", data={"login": login, "password": PASSWORD,
                                            "csrf_token": token, "next": ""})
        assert reply.status_code == 302, reply.status_code
        return client

    member = signed_in(seeded.member_logins[0])
    other = signed_in(seeded.member_logins[1])
    # another worker: the same app made again, with its own split and kept
    # pages (as each gunicorn worker has), for the orders share-elsewhere's
    # views meet
    from coop import create_app

    elsewhere = create_app().test_client()
    treasurer = signed_in(seeded.treasurer_login)
    round_path = f"/groups/{seeded.group_id}/rounds/{seeded.round_id}"
    token = _CSRF.search(member.get(f"{round_path}/order").text).group(1)  # type: ignore[union-attr]
    bump, orders = [0], [0]
    viewed = itertools.count()

    def order_form(new: bool = False) -> dict[str, str]:
        bump[0] ^= 1
        orders[0] += 1
        first = 10 + orders[0] % 500 if new else bump[0]  # a new total of it, or one of two
        form = {"csrf_token": token}
        for p, item_id in enumerate(seeded.item_ids):
            form[f"quantity_{item_id}"] = str(1 + (p * 3) % 9 + (first if p == 0 else 0))
            form[f"tolerance_{item_id}"] = str(p % 4)
        return form

    cookie = app.config["SESSION_COOKIE_NAME"]
    signed_in_cookie = member.get_cookie(cookie)
    assert signed_in_cookie is not None

    def order(new: bool = False, client=member):  # type: ignore[no-untyped-def]
        # the cookie as signed in, as bench/http.py's load sends it: the
        # redirect is not followed, and its flash would pile up in the session
        client.set_cookie(cookie, signed_in_cookie.value)
        reply = client.post(f"{round_path}/order", data=order_form(new))
        assert reply.status_code == 302, reply.status_code
        return reply

    # bench/http.py's yardsticks, in this process: the same reads and writes by
    # hand in raw SQL (bench/raw_app.py), with the member's session cookie
    from bench.raw_app import create_app as create_raw_app

    raw = create_raw_app({"SECRET_KEY": app.config["SECRET_KEY"], "DSN": url,
                          "PAGE_BYTES": len(member.get(f"{round_path}/share").data)}
                         ).test_client()
    raw.set_cookie(cookie, signed_in_cookie.value)

    def unkept():  # type: ignore[no-untyped-def]
        # the pages' parts this process keeps, forgotten (the round's split is
        # kept apart, live: it is not made anew)
        from coop.orders.cache import MemoryStore
        for name in ("coop_split_open_texts", "coop_split_cache"):
            if isinstance(app.extensions[name], MemoryStore):
                app.extensions[name] = MemoryStore(rounds=app.extensions[name]._rounds._limit)
        return member.get(f"{round_path}/share")

    calls = {
        "raw-share": lambda: raw.get(f"{round_path}/share"),
        "raw-order": lambda: raw.post(f"{round_path}/order", data=order_form()),
        "floor": lambda: member.get("/bench/signed-in-ok"),
        "share": lambda: member.get(f"{round_path}/share"),
        "share-unkept": unkept,
        "round": lambda: treasurer.get(round_path),
        "member-round": lambda: member.get(round_path),
        "order": lambda: order(),
        "busy": lambda: (order(), other.get(f"{round_path}/share"))[1],
        "busy-new": lambda: (order(new=True), other.get(f"{round_path}/share"))[1],
        "busy-many": lambda: (order(new=True), treasurer.get(
            f"{round_path}/share/{membership_ids[next(viewed) % len(membership_ids)]}"))[1],
        "share-elsewhere": lambda: other.get(f"{round_path}/share"),
    }
    # what goes before each request of a case, neither timed nor profiled
    before: dict[str, Callable[[], object]] = {
        "share-elsewhere": lambda: order(new=True, client=elsewhere)}
    # the plain timings, in turns: page after page, `turns` times over, so
    # that the machine's ups and downs fall on every page alike; in this
    # process's CPU time with COOP_PROFILE_CLOCK=cpu (what the machine's other
    # work does not lengthen; the database's time is left out)
    clock = time.process_time if os.environ.get("COOP_PROFILE_CLOCK") == "cpu" \
        else time.perf_counter
    plain: dict[str, list[float]] = {name: [] for name in pages}
    def nothing() -> None:
        pass

    for name in pages:
        for _ in range(5):
            before.get(name, nothing)()
            assert calls[name]().status_code < 400
    for _ in range(turns):
        for name in pages:
            call, n, prepare = calls[name], REQUESTS[name], before.get(name)
            if prepare is None:
                started = clock()
                for _ in range(n):
                    call()
                took = clock() - started
            else:
                took = 0.0
                for _ in range(n):
                    prepare()
                    started = clock()
                    call()
                    took += clock() - started
            plain[name].append(took / n * 1000)
    for name in pages:
        call, n = calls[name], REQUESTS[name]
        if turns > 1:
            each = sorted(plain[name])
            print(f"\n{name}: best {each[0]:.2f} ms, median {each[len(each) // 2]:.2f} ms "
                  f"per request over {turns} turns of {n}")
        prepare = before.get(name)
        profiler = cProfile.Profile()
        elapsed, kinds = 0.0, Counter[str]()
        for _ in range(n):
            if prepare is not None:
                prepare()  # (the other worker's statements: not this page's)
            statements.clear()
            started = time.perf_counter()
            profiler.enable()
            call()
            profiler.disable()
            elapsed += time.perf_counter() - started
            kinds.update(statements)
        print(f"\n== {name}: {min(plain[name]):.2f} ms per request ({elapsed / n * 1000:.2f} "
              f"under cProfile), "
              f"{kinds.total() / n:.1f} statements per request: "
              + ", ".join(f"{k} {v / n:.1f}" for k, v in kinds.most_common()))
        out = io.StringIO()
        pstats.Stats(profiler, stream=out).sort_stats("tottime").print_stats(top)
        out2 = io.StringIO()
        pstats.Stats(profiler, stream=out2).sort_stats("cumulative").print_stats(top)
        print("\n".join(line for line in out2.getvalue().splitlines()[4:] if line.strip()))
        print("\n".join(line for line in out.getvalue().splitlines()[4:] if line.strip()))
        if os.environ.get("COOP_PROFILE_CALLERS"):
            out3 = io.StringIO()
            pstats.Stats(profiler, stream=out3).print_callers(os.environ["COOP_PROFILE_CALLERS"])
            print(out3.getvalue())


if __name__ == "__main__":
    main()
