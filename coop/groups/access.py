"""Who may see and change a group's data. Anything of a group a person does
not belong to is a 404: she must not even learn that it exists."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from flask import abort, g, has_request_context, request
from flask_login import current_user, login_required
from sqlalchemy import and_, select

from coop.auth.models import User
from coop.auth.services import load_user_by_session_id
from coop.extensions import db
from coop.groups.models import Group, Membership
from coop.groups.services import membership_of
from coop.i18n import use_group_timezone

_LOADED = "coop_group_signed_in"


def load_signed_in(session_id: str) -> User | None:
    """The signed-in user (Flask-Login's user loader). On a page of a group,
    the group and her membership come in the same query, kept for load_group:
    signing in and the group's access check cost one round trip together."""
    group_id = (request.view_args or {}).get("group_id") if has_request_context() else None
    user_id, _, nonce = session_id.partition(":")
    if not isinstance(group_id, int) or not user_id.isdigit():
        return load_user_by_session_id(db.session, session_id)
    row = db.session.execute(
        select(User, Group, Membership).select_from(User)
        .outerjoin(Group, Group.id == group_id)
        .outerjoin(Membership, and_(Membership.group_id == Group.id,
                                    Membership.user_id == User.id,
                                    Membership.active.is_(True)))
        .where(User.id == int(user_id))).first()
    if row is None or row[0].login_nonce != nonce or row[0].disabled:
        return None
    setattr(g, _LOADED, (group_id, row[1], row[2]))
    return row[0]


def load_group(group_id: int, *, treasurer: bool = False) -> tuple[Group, Membership | None]:
    """The group and the current user's membership, or 404 / 403."""
    loaded = g.pop(_LOADED, None) if current_user.is_authenticated else None
    if loaded is not None and loaded[0] == group_id:
        group, membership = loaded[1], loaded[2]
    else:
        group = db.session.get(Group, group_id)
        membership = None if group is None else membership_of(db.session, current_user,
                                                               group_id)
    if group is None:
        abort(404)
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
