"""While the database is unreachable: 503 with Retry-After, a page in the
user's language (problem+json under /api/), never a 500; and a change that
was committed is never answered with an error.

An outage is a connection that failed or died (PostgreSQL's connection and
shutdown errors, a refused connection, a pool that gives none), or a
database that is busy for a moment (a lock timeout, SQLite's "database is
locked"): trying again a few seconds later is the right advice for all of
them. Anything else stays a 500, as a fault of the code.

The pool checks a connection before lending it if it has been idle for more
than IDLE_PING_SECONDS (ping_idle_connections), so the app recovers by itself
when the database returns: a connection that died while idle is replaced
before any request meets it. One used a moment ago is lent as it is (a
check on every request is a round trip to the database each time): if the
database went away in that moment, the request that meets the dead
connection answers 503, and the pool drops every connection as old as it.

Rendering the 503 page reads nothing from the database: the language is the
one already known (the user loaded before the failure), else the session's
or the browser's.

A COMMIT sent whose answer never came (the connection died on the way) may
have been made or not: the 503 then says so, rather than "nothing was
changed"; the forms that move money carry an idempotency key, so sending
the same form again records the payment once.

After a commit the request does not need the database any more (expire on
commit is off; a view only flashes and redirects). If something there fails
all the same, the change is saved: a page answers 303 back to where the form
was, saying so, and the API 202; never 5xx (a retry of a payment would then
be a second payment but for its idempotency key).
"""

from __future__ import annotations

import json
import time
from typing import Any

from flask import (
    Flask,
    Response,
    current_app,
    flash,
    g,
    has_request_context,
    redirect,
    request,
    session,
)
from flask import url_for as flask_url_for
from flask_babel import lazy_gettext as _l
from sqlalchemy import event
from sqlalchemy import exc as sa_exc
from sqlalchemy import inspect as sa_inspect
from sqlalchemy.engine import Engine

from coop.config import SUPPORTED_LOCALES
from coop.extensions import db, login_manager
from coop.security import safe_next

RETRY_AFTER_SECONDS = 5
# PostgreSQL SQLSTATEs: connection exceptions (08…), the server shutting down
# or starting (57P01-57P03), too many connections, a lock not got in time,
# a serialisation failure or deadlock (the transaction can simply be retried).
_TRANSIENT_STATES = ("08", "57P01", "57P02", "57P03", "53300", "55P03", "40001", "40P01")

TITLE = _l("The service is unavailable for a moment")
TEXT = _l("The database cannot be reached right now. Nothing was changed. "
          "Please try again in a few seconds.")
UNSURE = _l("The connection to the database broke while saving, so it may or may not have "
             "been saved. Please open the page again in a few seconds to check.")
SAVED_BUT = _l("Saved. The page after it could not be shown: reload it in a few seconds "
               "if something is missing.")


def is_database_outage(error: BaseException) -> bool:
    if isinstance(error, sa_exc.TimeoutError):  # the pool gave no connection in time
        return True
    if not isinstance(error, sa_exc.DBAPIError):
        return False
    if error.connection_invalidated:
        return True
    if not isinstance(error, (sa_exc.OperationalError, sa_exc.InterfaceError)):
        return False
    state = getattr(error.orig, "sqlstate", None)
    if state is None:  # no answer from a server at all (refused, reset, closed)
        return "database is locked" in str(error.orig) or not _is_sqlite(error)
    return state.startswith(_TRANSIENT_STATES)


def _is_sqlite(error: sa_exc.DBAPIError) -> bool:
    return type(error.orig).__module__.startswith("sqlite3")


_SAFE_METHODS = ("GET", "HEAD", "OPTIONS")


def committed() -> bool:
    """Whether this request has committed the change it was sent for (a page
    that is only read commits an account made on first use, never that)."""
    return bool(has_request_context() and request.method not in _SAFE_METHODS
                and g.get("_coop_committed"))


def forget_commits() -> None:
    """What was committed so far is bookkeeping (a token's last use), not the
    change the request was sent for: an outage after it changed nothing."""
    g.pop("_coop_committed", None)
    g.pop("_coop_commit_sent", None)


def commit_unsure() -> bool:
    """Whether this request sent a COMMIT whose answer never came: the
    database may have made the change or not."""
    return bool(has_request_context() and request.method not in _SAFE_METHODS
                and g.get("_coop_commit_sent") and not g.get("_coop_committed"))


def _note_commit(_session: Any) -> None:
    if has_request_context():
        g._coop_committed = True


def _note_commit_sent(_connection: Any) -> None:
    if has_request_context():
        g._coop_commit_sent = True


# What the error page and the language choice read of the signed-in user.
_USER_FIELDS = ("name", "locale", "disabled")


def _user_at_hand() -> Any:
    """The signed-in user if what the page reads of her is loaded; a failed
    flush or a rollback expires it, and reading it again would ask the database."""
    user = g.get("_login_user")
    if user is None or isinstance(user, login_manager.anonymous_user):
        return None
    loaded = sa_inspect(user).dict
    return user if all(name in loaded for name in _USER_FIELDS) else None


def _speak_without_the_database() -> None:
    """Fix this response's language without asking the database: the user's
    if it is at hand, else the one picked this session, else the browser's;
    and show her as signed out if she is not at hand."""
    user = _user_at_hand()
    if user is None:
        g._login_user = login_manager.anonymous_user()
    if g.get("locale_override") in SUPPORTED_LOCALES:
        return
    chosen = user.locale if user is not None else None
    if chosen not in SUPPORTED_LOCALES:
        chosen = session.get("locale")
    if chosen not in SUPPORTED_LOCALES:
        chosen = request.accept_languages.best_match(SUPPORTED_LOCALES) or \
            current_app.config["BABEL_DEFAULT_LOCALE"]
    g.locale_override = chosen


def _discard_transaction() -> None:
    try:
        db.session.rollback()
    except Exception:
        current_app.logger.info("rollback on a dead connection failed", exc_info=True)


def outage_page(error: BaseException) -> Any:
    """The answer of a page request to a database outage."""
    from coop.errors import render_error_page

    current_app.logger.warning("database unavailable: %s", error)
    _speak_without_the_database()
    if committed():
        _discard_transaction()
        flash(str(SAVED_BUT), "info")
        back = safe_next(_same_site_referrer(), flask_url_for("groups.home"))
        return redirect(back, 303)
    body, status = render_error_page(503, TITLE, UNSURE if commit_unsure() else TEXT)
    _discard_transaction()
    return body, status, {"Retry-After": str(RETRY_AFTER_SECONDS)}


def outage_problem(error: BaseException) -> Response:
    """The API's answer to a database outage (problem+json)."""
    from coop.api.problems import problem_response

    current_app.logger.warning("database unavailable: %s", error)
    _speak_without_the_database()
    _discard_transaction()
    if committed():
        return current_app.response_class(
            json.dumps({"status": 202, "detail": str(SAVED_BUT)}), status=202,
            mimetype="application/json")
    return problem_response(503, UNSURE if commit_unsure() else TEXT, None,
                            {"Retry-After": str(RETRY_AFTER_SECONDS)})


def _same_site_referrer() -> str | None:
    referrer = request.referrer or ""
    root = request.host_url.rstrip("/")
    return referrer[len(root):] if referrer.startswith(root + "/") else None


def register_outage_handling(app: Flask) -> None:
    if not event.contains(db.session, "after_commit", _note_commit):
        event.listen(db.session, "after_commit", _note_commit)
    if not event.contains(Engine, "commit", _note_commit_sent):
        event.listen(Engine, "commit", _note_commit_sent)
    with app.app_context():
        for engine in db.engines.values():
            ping_idle_connections(engine)


IDLE_PING_SECONDS = 0.5
_RETURNED = "coop_returned_at"


def ping_idle_connections(engine: Engine) -> None:
    """Before a connection idle for more than IDLE_PING_SECONDS is lent, ask
    the database whether it is still there; a dead one is replaced (the pool
    tries again with a new connection)."""
    pool = engine.pool

    def fresh(_dbapi_connection: Any, record: Any) -> None:
        record.info[_RETURNED] = time.monotonic()

    def lend(dbapi_connection: Any, record: Any, _proxy: Any) -> None:
        returned = record.info.get(_RETURNED)
        if returned is not None and time.monotonic() - returned < IDLE_PING_SECONDS:
            return
        if not engine.dialect._do_ping_w_event(dbapi_connection):
            raise sa_exc.DisconnectionError("the connection died while idle")

    event.listen(pool, "connect", fresh)
    event.listen(pool, "checkin", fresh)
    event.listen(pool, "checkout", lend)
