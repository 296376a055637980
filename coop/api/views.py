"""JSON API, /api/v1. Calls the same services and engine as the pages."""

from __future__ import annotations

from flask import Blueprint, jsonify, request
from flask_login import current_user

from coop.extensions import csrf
from coop.orders import split

bp = Blueprint("api", __name__, url_prefix="/api/v1")
# JSON only: a cross-site form cannot send application/json without CORS, and
# the session cookie is SameSite=Lax, so the API needs no CSRF token.
csrf.exempt(bp)

MAX_SCENARIO_BYTES = 5 * 1024 * 1024


def problem(status: int, message: str, field: str | None = None):  # type: ignore[no-untyped-def]
    body = {"error": message, "status": status}
    if field:
        body["field"] = field
    return jsonify(body), status


@bp.before_request
def require_sign_in():  # type: ignore[no-untyped-def]
    if not current_user.is_authenticated:
        return problem(401, "sign in first")
    return None


@bp.post("/split-preview")
def split_preview():  # type: ignore[no-untyped-def]
    """The split engine on a scenario of spec/split.md: the result JSON."""
    request.max_content_length = MAX_SCENARIO_BYTES
    if not request.is_json:
        return problem(415, "body: send the scenario as application/json")
    data = request.get_json(silent=True)  # 413 above MAX_SCENARIO_BYTES
    if data is None:
        return problem(422, "body: not valid JSON")
    try:
        result = split.preview(data)
    except split.ScenarioError as exc:
        return problem(422, str(exc), exc.field)
    return jsonify(result)
