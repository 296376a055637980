"""What the views of every feature share: one commit at the edge of the
request, a service's refusal shown next to the field it names, and the
confirmation pattern for what cannot be undone."""

from __future__ import annotations

import hashlib
import hmac
import json
from dataclasses import dataclass, field
from types import TracebackType
from typing import Any

from flask import Response, flash, redirect, render_template, request

from coop.errors import DomainError
from coop.extensions import db
from coop.forms import apply_domain_error


class saving:
    """Run the services inside the block; commit once if they succeed, else roll
    back and show their DomainError on the form. `saved` is true when saved.

        with saving(form) as saved:
            services.do_it(db.session, ...)
        if saved:
            return redirect(...)
    """

    def __init__(self, form: Any) -> None:
        self.form = form
        self.ok = False

    def __enter__(self) -> saving:
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 _trace: TracebackType | None) -> bool:
        if kind is None:
            db.session.commit()
            self.ok = True
            return False
        if isinstance(error, DomainError):
            db.session.rollback()
            apply_domain_error(self.form, error)
            return True
        return False

    def __bool__(self) -> bool:
        return self.ok


def pdf_response(content: bytes, filename: str, etag: str | None = None) -> Response:
    """A PDF shown in the browser (saved under `filename`), never cached by others."""
    response = Response(content, mimetype="application/pdf")
    response.headers["Content-Disposition"] = f'inline; filename="{filename}"'
    response.headers["Cache-Control"] = "private, no-store"
    response.headers["X-Robots-Tag"] = "noindex, nofollow"
    if etag:
        response.set_etag(etag)
    return response


def render_then_commit(template: str, **context: object) -> str:
    """Render, then commit what reading created (a group's or member's account,
    made on first use): committing first would expire every row the template reads."""
    html = render_template(template, **context)
    db.session.commit()
    return html


# --------------------------------------------------------------------------
# Confirmation pages: what cannot be undone asks first, in figures
# --------------------------------------------------------------------------


def figures_token(*figures: object) -> str:
    """A short digest of the figures a confirmation page shows. The page sends
    it back with the "yes"; if the figures changed meanwhile (a delivery
    recorded in another tab, a sale added), the "yes" is not for these figures
    and the page is shown again instead."""
    text = json.dumps(figures, sort_keys=True, default=str, ensure_ascii=False)
    return hashlib.sha256(text.encode()).hexdigest()[:20]


@dataclass
class Confirmation:
    """What a confirmation page asks (templates: confirm.html's `confirm_form`).

    The view pattern, for a state change that cannot be undone:
      GET  shows the figures and the form (or, once done, what was done);
      POST with the token of the figures the treasurer saw does it: the
           change itself is a conditional UPDATE or holds a row lock, so a
           second POST (a double click, Back and send again) finds it done,
           does nothing, and says so (`already_done`), never a 500;
      POST whose figures changed shows the page again (409) with the new ones.
    """

    action: str  # where the "yes" is posted
    button: str  # the "yes", saying what it does
    back: str  # where "no" goes
    token: str  # figures_token of what the page shows
    fields: dict[str, str] = field(default_factory=dict)  # hidden fields sent along
    danger: bool = False


def confirmed(token: str) -> bool | None:
    """None when the POST carries no token (the confirmation was not seen),
    else whether it is the token of the figures as they are now."""
    sent = request.form.get("figures", "")
    if not sent:
        return None
    return hmac.compare_digest(sent, token)


def already_done(message: str, url: str):  # type: ignore[no-untyped-def]
    """The answer to a second "yes": what was done, nothing done again (303)."""
    db.session.rollback()
    flash(message, "info")
    return redirect(url, code=303)
