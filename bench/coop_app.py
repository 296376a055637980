"""Coop as bench/http.py serves it: the app of wsgi.py plus one page that
does nothing but what every signed-in page does first (the session cookie,
loading and checking the user, the response's headers) and then returns "ok".
Its throughput is the most any signed-in page of Coop could reach.

Each response that waited on another's work on a round's split, split a
round itself, or took the split another process shared, says so in a
Server-Timing header (`split-wait;dur=`, `split;dur=` and `split-take;dur=`,
milliseconds), and with Redis (COOP_REDIS_URL) records it where bench/http.py
reads it after a mixed run (split_waits): what a view waited on another's
split, apart from its time queued for the cores and from its own work of
taking that split once there. (Read on the server: wrk's Lua missed most of
these headers.)"""

import os
import uuid

from flask import Response
from flask_login import login_required

from coop.orders.cache import split_timings
from wsgi import app

# what bench/http.py reads: a sorted set of milliseconds per kind of timing
SPLIT_WAITS, SPLITS, TAKES = "coop:bench:split-wait", "coop:bench:split", "coop:bench:split-take"
KEYS = {"split-wait": SPLIT_WAITS, "split": SPLITS, "split-take": TAKES}
_redis = None


@app.get("/bench/signed-in-ok")
@login_required
def signed_in_ok() -> str:
    return "ok"


@app.after_request
def split_server_timing(response: Response) -> Response:
    waited, split, taken = split_timings()
    found = [(name, seconds) for name, seconds in (
        ("split-wait", waited), ("split", split), ("split-take", taken)) if seconds]
    if found:
        response.headers["Server-Timing"] = ", ".join(
            f"{name};dur={seconds * 1000:.1f}" for name, seconds in found)
        _record(found)
    return response


def _record(found: list[tuple[str, float]]) -> None:
    global _redis
    url = app.config.get("REDIS_URL")
    if not url:
        return
    if _redis is None:
        import redis

        _redis = redis.Redis.from_url(url, socket_timeout=5)
    pipe = _redis.pipeline(transaction=False)
    for name, seconds in found:
        pipe.zadd(KEYS[name], {f"{os.getpid()}:{uuid.uuid4().hex}": seconds * 1000})
    pipe.execute()
