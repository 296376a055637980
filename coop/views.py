"""What the views of every feature share: one commit at the edge of the
request, and a service's refusal shown next to the field it names."""

from __future__ import annotations

from types import TracebackType
from typing import Any

from flask import render_template

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


def render_then_commit(template: str, **context: object) -> str:
    """Render, then commit what reading created (a group's or member's account,
    made on first use): committing first would expire every row the template reads."""
    html = render_template(template, **context)
    db.session.commit()
    return html
