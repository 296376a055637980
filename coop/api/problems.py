"""The API's errors, as `application/problem+json` (RFC 9457).

Every error under /api/ is a problem object: `type` ("about:blank"), `title`
(the HTTP status phrase), `status`, `detail` (what went wrong, in the user's
language) and, when one field is at fault, `field` (its JSON path, such as
`lines[2].quantity`, or a query parameter or header name). The pages keep
their HTML error pages (coop.errors)."""

from __future__ import annotations

import json
from typing import Any

from flask import Blueprint, Flask, Response, current_app, request
from flask_babel import lazy_gettext as _l
from sqlalchemy.exc import SQLAlchemyError
from werkzeug.exceptions import HTTPException
from werkzeug.http import HTTP_STATUS_CODES

from coop.errors import ERROR_TEXTS, DomainError, render_error
from coop.extensions import db

PROBLEM_JSON = "application/problem+json"
API_PATH = "/api/"

DETAILS = {
    **ERROR_TEXTS,
    401: _l("Sign in first: send your API token as “Authorization: Bearer …”."),
    415: _l("Send the body as JSON, with the header “Content-Type: application/json”."),
}


class Problem(Exception):
    """An error the API answers with this status (and a field, when one is at fault)."""

    def __init__(self, status: int, detail: Any = None, field: str | None = None,
                 headers: dict[str, str] | None = None) -> None:
        super().__init__(detail)
        self.status, self.detail, self.field = status, detail, field
        self.headers = headers or {}


def problem_response(status: int, detail: Any = None, field: str | None = None,
                     headers: dict[str, str] | None = None, *,
                     confirm: str | None = None) -> Response:
    body: dict[str, Any] = {
        "type": "about:blank",
        "title": HTTP_STATUS_CODES.get(status, "Error"),
        "status": status,
        "detail": str(detail or DETAILS.get(status) or DETAILS[400 if status < 500 else 500]),
    }
    if field:
        body["field"] = field
    if confirm:  # a refusal the caller may override: said in words and by name
        body["detail"] = " ".join((body["detail"], str(_l(
            "Send “%(flag)s”: true to record it anyway.", flag=confirm))))
        body["confirm"] = confirm
    # ASCII escapes: a lone surrogate someone sent cannot break the answer
    response = current_app.response_class(json.dumps(body), status=status,
                                          mimetype=PROBLEM_JSON)
    response.headers.update(headers or {})
    response.headers["Cache-Control"] = "no-store"
    return response


def _problem(exc: Problem) -> Response:
    db.session.rollback()
    return problem_response(exc.status, exc.detail, exc.field, exc.headers)


def _domain_problem(exc: DomainError) -> Response:
    db.session.rollback()
    return problem_response(exc.status, exc.message, exc.field, confirm=exc.confirm)


def _http_problem(exc: HTTPException) -> Response:
    db.session.rollback()
    status = exc.code or 500
    headers = {name: value for name, value in exc.get_headers()
               if name.lower() not in {"content-type", "content-length"}}
    return problem_response(status, None, None, headers)


def _unexpected_problem(exc: Exception) -> Response:
    current_app.logger.exception("unhandled error in the API")
    db.session.rollback()
    if current_app.config.get("TESTING") and current_app.config.get(
            "PROPAGATE_TEST_ERRORS", True):
        raise exc
    return problem_response(500)


def _not_found_or_not_allowed(exc: HTTPException):  # type: ignore[no-untyped-def]
    """Every 404 and 405 of the app: problem+json under /api/, else the error
    page that coop.errors renders for any other HTTP error."""
    if request.path.startswith(API_PATH):
        return _http_problem(exc)
    return render_error(exc.code or 500)


def _database_problem(exc: SQLAlchemyError) -> Response:
    from coop.outage import is_database_outage, outage_problem

    if is_database_outage(exc):
        return outage_problem(exc)
    return _unexpected_problem(exc)


def register_problem_handlers(bp: Blueprint) -> None:
    bp.register_error_handler(SQLAlchemyError, _database_problem)
    bp.register_error_handler(Problem, _problem)
    bp.register_error_handler(DomainError, _domain_problem)
    bp.register_error_handler(HTTPException, _http_problem)
    bp.register_error_handler(Exception, _unexpected_problem)

    def on_app(app: Flask) -> None:
        # A URL that matches no route (/api/v1/nothing, a wrong method)
        # belongs to no blueprint: only an app handler sees its 404 or 405.
        # Flask looks for a handler of the code before one of a class, so
        # this one answers every 404 and 405, and hands the pages' on.
        for code in (404, 405):
            app.register_error_handler(code, _not_found_or_not_allowed)

    bp.record_once(lambda state: on_app(state.app))
