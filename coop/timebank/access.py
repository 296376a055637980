"""Who may do what in a group's time bank: every member her own; the
coordinators (the treasurer, and the members she designates) the register,
confirmations and corrections of anyone's records, and the reports; the
treasurer alone the settings and who the coordinators are."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from flask import abort, g
from flask_login import current_user

from coop.extensions import db
from coop.groups.access import group_view
from coop.timebank import services as tb


def timebank_view(*, coordinator: bool = False, treasurer: bool = False
                  ) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """group_view, and g.is_coordinator read afresh on every request (a
    designation taken away counts at once); 403 to whom it is not for."""

    def decorate(view: Callable[..., Any]) -> Callable[..., Any]:
        @wraps(view)
        def checked(group_id: int, **kwargs: Any) -> Any:
            g.is_coordinator = g.is_treasurer or tb.is_coordinator(db.session, g.group,
                                                                   current_user)
            if coordinator and not g.is_coordinator:
                abort(403)
            return view(group_id=group_id, **kwargs)

        return group_view(treasurer=treasurer)(checked)

    return decorate
