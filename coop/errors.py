"""The one exception services raise, and the error pages."""

from __future__ import annotations

from typing import Any

from flask import Flask, jsonify, render_template, request
from flask_babel import lazy_gettext as _l
from flask_wtf.csrf import CSRFError
from sqlalchemy.exc import SQLAlchemyError
from werkzeug.exceptions import HTTPException


class DomainError(Exception):
    """A rule of the business was broken; the message is for the treasurer.

    `field` names the form field or JSON field at fault, when there is one;
    `confirm`, the flag (a form's tick box, the API's boolean) that makes it
    go through when sent true: a refusal that the treasurer may override.
    """

    status = 422

    def __init__(self, message: Any, field: str | None = None, *,
                 confirm: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field
        self.confirm = confirm

    def __str__(self) -> str:
        return str(self.message)


STILL_TO_COME = _l("This day is still to come: enter the day it happened.")


def check_happened(day: Any, field: str) -> None:
    """A day something happened (a sale, a contribution, a delivery): today at
    the latest, in the group's time zone."""
    from coop.i18n import local_today

    if day is not None and day > local_today():
        raise DomainError(STILL_TO_COME, field=field)


class NotAllowed(DomainError):
    status = 403


class AskFirst(DomainError):
    """Not refused, but unusual enough to ask the treasurer first: a form
    answers with the question and records only when she confirms (the API,
    which cannot ask, refuses with the question as its message)."""


ERROR_TITLES = {
    400: _l("Bad request"),
    403: _l("Not allowed"),
    404: _l("Not found"),
    405: _l("Not allowed"),
    413: _l("Too large"),
    422: _l("Cannot do that"),
    429: _l("Too many attempts"),
    500: _l("Something went wrong"),
    503: _l("The service is unavailable for a moment"),
}

ERROR_TEXTS = {
    400: _l("The request could not be understood. Please go back and try again."),
    403: _l("You are not allowed to do this."),
    404: _l("There is nothing here. Check the address, or go back to your groups."),
    405: _l("This address does not accept that kind of request."),
    413: _l("What you sent is too large."),
    429: _l("Too many attempts. Please wait a few minutes and try again."),
    500: _l("Something went wrong on our side. Nothing was changed. Please try again later."),
}


def _wants_json() -> bool:
    return request.path.startswith("/api/") or (
        request.accept_mimetypes.best == "application/json"
    )


def render_error(status: int, message: Any = None):  # type: ignore[no-untyped-def]
    from coop.extensions import db

    db.session.rollback()
    title = ERROR_TITLES.get(status, ERROR_TITLES[400 if status < 500 else 500])
    return render_error_page(status, title, message or ERROR_TEXTS.get(status, title))


def render_error_page(status: int, title: Any, text: Any):  # type: ignore[no-untyped-def]
    if _wants_json():
        return jsonify({"error": str(text), "status": status}), status
    return render_template("errors/error.html", status=status, title=title, text=text), status


def register_errorhandlers(app: Flask) -> None:
    @app.errorhandler(CSRFError)
    def csrf_error(exc: CSRFError):  # type: ignore[no-untyped-def]
        return render_error(400, _l("The form has expired or was sent from elsewhere. "
                                    "Please reload the page and try again."))

    @app.errorhandler(DomainError)
    def domain_error(exc: DomainError):  # type: ignore[no-untyped-def]
        return render_error(exc.status, exc.message)

    @app.errorhandler(HTTPException)
    def http_error(exc: HTTPException):  # type: ignore[no-untyped-def]
        status = exc.code or 500
        return render_error(status, None)

    @app.errorhandler(SQLAlchemyError)
    def database_error(exc: SQLAlchemyError):  # type: ignore[no-untyped-def]
        from coop.outage import is_database_outage, outage_page

        if is_database_outage(exc):
            return outage_page(exc)
        return unexpected_error(exc)

    @app.errorhandler(Exception)
    def unexpected_error(exc: Exception):  # type: ignore[no-untyped-def]
        app.logger.exception("unhandled error")
        if app.config.get("TESTING") and app.config.get("PROPAGATE_TEST_ERRORS", True):
            raise exc
        return render_error(500)
