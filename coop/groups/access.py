"""Who may see and change a group's data. Anything of a group a person does
not belong to is a 404: she must not even learn that it exists."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from flask import abort, g
from flask_login import current_user, login_required

from coop.extensions import db
from coop.groups.models import Group, Membership
from coop.groups.services import membership_of
from coop.i18n import use_group_timezone


def load_group(group_id: int, *, treasurer: bool = False) -> tuple[Group, Membership | None]:
    """The group and the current user's membership, or 404 / 403."""
    group = db.session.get(Group, group_id)
    if group is None:
        abort(404)
    membership = membership_of(db.session, current_user, group_id)
    if membership is None and not current_user.is_admin:
        abort(404)
    if treasurer and not (current_user.is_admin or (membership and membership.is_treasurer)):
        abort(403)
    use_group_timezone(group)
    return group, membership


def group_view(*, treasurer: bool = False) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """For views under /groups/<group_id>/: sets g.group and g.membership."""

    def decorate(view: Callable[..., Any]) -> Callable[..., Any]:
        @wraps(view)
        @login_required
        def wrapper(group_id: int, **kwargs: Any) -> Any:
            g.group, g.membership = load_group(group_id, treasurer=treasurer)
            g.is_treasurer = current_user.is_admin or bool(
                g.membership and g.membership.is_treasurer)
            return view(group_id=group_id, **kwargs)

        return wrapper

    return decorate


def member_in_group(group: Group, membership_id: int) -> Membership:
    """A membership of this group, or 404 (never one of another group)."""
    membership = db.session.get(Membership, membership_id)
    if membership is None or membership.group_id != group.id:
        abort(404)
    return membership
