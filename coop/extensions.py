"""Flask extensions, created unbound; create_app() binds them."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import Any

from flask import Flask, current_app, request
from flask_babel import Babel
from flask_limiter import Limiter
from flask_login import LoginManager
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_wtf import CSRFProtect

from coop.db import Base


class _SQLAlchemy(SQLAlchemy):
    def _teardown_session(self, exc: BaseException | None) -> None:
        """The request's session is closed at its end, which rolls back what it
        only read. If the database went away after the answer was made, that
        rollback fails: the answer stands (what it committed is committed, what
        it did not is not), the session's connections are dropped unused, and
        the session is forgotten all the same."""
        from coop.outage import is_database_outage

        try:
            self.session.remove()
        except Exception as error:
            if not is_database_outage(error):
                raise
            current_app.logger.warning("the database went away at the end of a request: %s",
                                       error)
            try:
                self.session.invalidate()
            except Exception:  # nothing more can be done with a dead connection
                current_app.logger.info("dropping the session's connections failed",
                                        exc_info=True)
            self.session.registry.clear()


# A view commits once, at its end, and then only flashes and redirects: the
# objects it holds need not be loaded again after the commit (the signed-in
# user was, for the flash's language: three round trips on every form sent).
# The job worker, one long app context, starts each job on a fresh session.
db = _SQLAlchemy(model_class=Base, session_options={"expire_on_commit": False})
SIGN_IN_BIND = "sign_in"  # db.engines[SIGN_IN_BIND]: the same database, in autocommit
migrate = Migrate(render_as_batch=True, compare_type=True)
csrf = CSRFProtect()
login_manager = LoginManager()
babel = Babel()


def client_address() -> str:
    """The client's address, for the rate limits. Behind COOP_TRUSTED_PROXIES
    proxies it is the one they saw (X-Forwarded-For, counted from the right:
    what a client puts in front of it is ignored); else the peer's. Behind
    COOP_PROXY_HOPS, ProxyFix has already put the client's address there."""
    if current_app.config.get("PROXY_HOPS", 0):
        return request.remote_addr or "127.0.0.1"
    trusted = current_app.config.get("TRUSTED_PROXIES", 0)
    if trusted:
        hops = [h.strip() for h in request.headers.get("X-Forwarded-For", "").split(",")]
        hops = [h for h in hops if h]
        if len(hops) >= trusted:
            return hops[-trusted]
    return request.remote_addr or "127.0.0.1"


limiter = Limiter(key_func=client_address, default_limits=[])


# Flask-Limiter's view decorator marks the view it wraps with this attribute
_LIMITER_MARK = "__wrapper-limiter-instance"


def limit_only_where_limited(app: Flask, limiter: Limiter) -> None:
    """Flask-Limiter checks every request: a before_request hook (the
    blueprints' limits), an after_request one (deductions, headers) and a
    teardown one, some 0.3 ms of a signed-in page that does nothing else
    (bench/profile_pages.py floor), though Coop limits only the sign-in form
    (its view's decorators) and the API (its blueprint's limits). Here its
    three hooks run for those endpoints alone: an endpoint whose view one of
    its decorators wraps, or that belongs to a blueprint with limits of its
    own (`limited_endpoints`, worked out on the first request, when every
    route is registered)."""
    endpoints: list[frozenset[str]] = []

    def limited() -> bool:
        if not endpoints:
            endpoints.append(limited_endpoints(app, limiter))
        return request.endpoint in endpoints[0]

    def guarded(hook: Callable[..., Any], *, answer: bool) -> Callable[..., Any]:
        """`hook` where limited; elsewhere nothing, or the answer passed on."""
        def run(*args: Any) -> Any:
            if limited():
                return hook(*args)
            return args[0] if answer else None
        run.__wrapped__ = hook  # type: ignore[attr-defined]
        return run

    for hooks, answer in ((app.before_request_funcs, False), (app.after_request_funcs, True),
                          (app.teardown_request_funcs, False)):
        chain = hooks.get(None, [])
        for i, hook in enumerate(chain):
            if getattr(hook, "__self__", None) is limiter or (
                    isinstance(hook, partial) and limiter in hook.args):
                chain[i] = guarded(hook, answer=answer)


def limited_endpoints(app: Flask, limiter: Limiter) -> frozenset[str]:
    """The endpoints Flask-Limiter has limits for: a view one of its
    decorators wraps, or one of a blueprint (or a parent blueprint) given
    limits. tests/unit/test_limits_scope.py checks the set and that the
    limits still hold, should Flask-Limiter mark them otherwise."""
    blueprint_limits = limiter.limit_manager._blueprint_limits

    def of_limited_blueprint(endpoint: str) -> bool:
        parts = endpoint.split(".")[:-1]
        names = {".".join(parts[:i]) for i in range(1, len(parts) + 1)} | set(parts)
        return any(name in blueprint_limits for name in names)

    return frozenset(endpoint for endpoint, view in app.view_functions.items()
                     if getattr(view, _LIMITER_MARK, None) == limiter  # (a weak proxy)
                     or of_limited_blueprint(endpoint))
