"""Coop as bench/http.py serves it: the app of wsgi.py plus one page that
does nothing but what every signed-in page does first (the session cookie,
loading and checking the user, the response's headers) and then returns "ok".
Its throughput is the most any signed-in page of Coop could reach.

Each response that waited on another's work on a round's split, or split a
round itself, says so in a Server-Timing header (`split-wait;dur=` and
`split;dur=`, milliseconds), which bench/http.py's load generators read: a
view's wait on another's split, apart from its time queued for the cores."""

from flask import Response
from flask_login import login_required

from coop.orders.cache import split_timings
from wsgi import app


@app.get("/bench/signed-in-ok")
@login_required
def signed_in_ok() -> str:
    return "ok"


@app.after_request
def split_server_timing(response: Response) -> Response:
    waited, split = split_timings()
    parts = [f"{name};dur={seconds * 1000:.1f}"
             for name, seconds in (("split-wait", waited), ("split", split)) if seconds]
    if parts:
        response.headers["Server-Timing"] = ", ".join(parts)
    return response
