"""Coop as bench/http.py serves it: the app of wsgi.py plus one page that
does nothing but what every signed-in page does first (the session cookie,
loading and checking the user, the response's headers) and then returns "ok".
Its throughput is the most any signed-in page of Coop could reach."""

from flask_login import login_required

from wsgi import app


@app.get("/bench/signed-in-ok")
@login_required
def signed_in_ok() -> str:
    return "ok"
