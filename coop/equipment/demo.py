"""Demo data for jointly owned equipment: the group's motoblock, bought by four
members, kept by Nurila; yesterday's turn taken and returned with its fee, a repair
paid from the fund and by the owners, and a booking for tomorrow."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from coop.equipment import domain, services
from coop.equipment.models import Asset
from coop.groups.models import Group, Membership
from coop.i18n import local_today

MOTOBLOCK = "Мотоблок «Зубр» МБ-7"


def ensure_equipment_demo(session: Session, group: Group) -> Asset | None:
    if session.scalar(select(Asset).where(Asset.group_id == group.id,
                                          Asset.name == MOTOBLOCK)) is not None:
        return None
    members = sorted(group.memberships, key=lambda m: m.id)
    treasurer = next(m for m in members if m.role == "treasurer")
    actor = treasurer.user
    owners: list[Membership] = [m for m in members if m.role == "member"][:4]
    today = local_today()
    asset = services.create_asset(session, group, services.AssetInput(
        name=MOTOBLOCK, purchase_value=8_600_000, bought_on=today.replace(month=3, day=15)
        if today.month > 3 else today, kept_at="двор Нурилы Асановой, ул. Ленина 14",
        keeper_id=next((m.id for m in members if m.user.name == "Нурила Асанова"), None),
        fee=30_000, fee_unit="day", owners_pay_fee=True,
        owners={m.id: share for m, share in zip(owners, [2_600_000, 2_000_000, 2_000_000,
                                                         2_000_000], strict=True)}),
        actor)
    # yesterday's turn, so that its return (now) is not early and its fee a
    # whole day's, whatever the hour the demo is loaded
    yesterday = today.fromordinal(today.toordinal() - 1)
    first = services.book(session, asset, owners[1],
                          domain.slots(yesterday, False, yesterday, False), actor=actor,
                          today=yesterday, note="вспашка огорода")
    services.hand_over(session, first, condition="исправен, бак полный")
    services.take_back(session, first, condition="исправен, нужна замена ремня",
                       minutes=None, actor=actor)
    services.record_repair(session, asset, cost=120_000, description="замена ремня привода",
                           mode="fund", method="cash", repaired_on=today, actor=actor,
                           idempotency_key="demo-motoblock-repair-0001")
    tomorrow = today.fromordinal(today.toordinal() + 1)
    two_days = domain.slots(tomorrow, False, tomorrow.fromordinal(tomorrow.toordinal() + 1),
                            True)
    services.book(session, asset, owners[2], two_days, actor=actor, today=today,
                  note="посадка картофеля")
    services.join_waiting_list(session, asset, owners[3], two_days, today=today)
    return asset
