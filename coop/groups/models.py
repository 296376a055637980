from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, String, UniqueConstraint, false
from sqlalchemy.orm import Mapped, mapped_column, relationship

from coop.auth.models import User
from coop.db import utcnow
from coop.extensions import db
from coop.zones import DEFAULT_ZONE, zone_for_new_group

ROLE_TREASURER = "treasurer"
ROLE_MEMBER = "member"
ROLES = (ROLE_TREASURER, ROLE_MEMBER)
LOSS_POLICIES = ("product", "round", "fund")


class Group(db.Model):  # type: ignore[name-defined,misc]
    """A solidary producer group, with its currency, language and split settings."""

    __tablename__ = "groups"
    __table_args__ = (
        CheckConstraint("levy_basis_points >= 0 AND levy_basis_points <= 10000", name="levy"),
        CheckConstraint("cash_rounding >= 0", name="cash_rounding"),
        CheckConstraint("loss_policy IN ('product', 'round', 'fund')", name="loss_policy"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120))
    village: Mapped[str] = mapped_column(String(120), default="")
    region: Mapped[str] = mapped_column(String(120), default="")
    country: Mapped[str] = mapped_column(String(2))
    currency: Mapped[str] = mapped_column(String(3))
    language: Mapped[str] = mapped_column(String(8))
    # where the group lives: deadlines, dates on pages and documents (coop.i18n)
    timezone: Mapped[str] = mapped_column(String(40), default=zone_for_new_group,
                                          server_default=DEFAULT_ZONE)
    # Split settings (defaults for new rounds), all integers:
    levy_basis_points: Mapped[int] = mapped_column(default=0)  # 200 = 2 %
    cash_rounding: Mapped[int] = mapped_column(default=0)  # minor units; 0 = none
    loss_policy: Mapped[str] = mapped_column(String(16), default="product")
    credit_limit: Mapped[int | None]  # minor units a member may owe; None = no limit
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    memberships: Mapped[list[Membership]] = relationship(
        back_populates="group", order_by="Membership.id"
    )

    def __repr__(self) -> str:
        return f"<Group {self.id} {self.name!r}>"


class Membership(db.Model):  # type: ignore[name-defined,misc]
    """A person in a group with a role. Deactivated, never deleted."""

    __tablename__ = "memberships"
    __table_args__ = (
        UniqueConstraint("group_id", "user_id"),
        CheckConstraint("role IN ('treasurer', 'member')", name="role"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    group_id: Mapped[int] = mapped_column(ForeignKey("groups.id"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    role: Mapped[str] = mapped_column(String(16), default=ROLE_MEMBER)
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    deactivated_at: Mapped[datetime | None]
    # Bumped by every order change: the row lock that serialises a member's
    # concurrent orders, so that a credit limit holds across two tabs.
    order_lock: Mapped[int] = mapped_column(default=0, server_default="0")
    # Her phone number is the treasurer's to see; the other members see it only
    # when she chooses to show it (on her account page).
    show_phone: Mapped[bool] = mapped_column(default=False, server_default=false())

    group: Mapped[Group] = relationship(back_populates="memberships")
    user: Mapped[User] = relationship()

    @property
    def is_treasurer(self) -> bool:
        return self.active and self.role == ROLE_TREASURER
