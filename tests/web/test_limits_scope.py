"""Flask-Limiter's hooks run only where Coop has limits (coop.extensions
limit_only_where_limited): the sign-in form and the API. The limits
themselves are tested with their pages (test_auth.py, test_api.py)."""

from __future__ import annotations

import pytest
from flask import Flask
from flask.testing import FlaskClient

from coop.extensions import limited_endpoints, limiter


def test_the_limited_endpoints_are_the_sign_in_and_the_api(app: Flask) -> None:
    limited = limited_endpoints(app, limiter)
    api = {endpoint for endpoint in app.view_functions if endpoint.startswith("api.")}
    assert len(api) > 20
    assert limited == {"auth.login"} | api


def test_every_hook_of_the_limiter_is_guarded(app: Flask) -> None:
    """Should Flask-Limiter register its hooks otherwise, none is left to run
    on every request unnoticed, and none is lost."""
    def limiters(chain: list) -> list:  # type: ignore[type-arg]
        return [hook for hook in chain if limiter in (getattr(hook, "__self__", None),
                                                      *getattr(hook, "args", ()))]

    for hooks in (app.before_request_funcs, app.after_request_funcs,
                  app.teardown_request_funcs):
        chain = hooks.get(None, [])
        assert limiters(chain) == []
        assert len(limiters([getattr(hook, "__wrapped__", None) for hook in chain])) == 1


def test_a_page_without_limits_does_not_consult_the_limiter(
        client: FlaskClient, monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[str | None] = []
    resolve = limiter.limit_manager.resolve_limits

    def counting(*args, **kwargs):  # type: ignore[no-untyped-def]
        calls.append(args[1] if len(args) > 1 else kwargs.get("endpoint"))
        return resolve(*args, **kwargs)

    monkeypatch.setattr(limiter.limit_manager, "resolve_limits", counting)
    assert client.get("/").status_code == 302
    assert client.get("/no-such-page").status_code == 404
    assert calls == []
    assert client.get("/login").status_code == 200  # its limits are the POST's
    assert set(calls) == {"auth.login"}
    calls.clear()
    client.get("/api/v1/groups")
    assert calls, "the API's limits were not consulted"
