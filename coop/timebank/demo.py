"""The demo's time bank (Svetlaya Polyana): a few months of help between the
members, recorded every way the app allows. Idempotent: made once."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from coop.db import utcnow
from coop.groups.models import Group, Membership
from coop.i18n import local_today
from coop.timebank import services as tb

# (receiver index, provider index, minutes, category, days ago, note); index in
# the group's memberships by id (0 the treasurer, 1 Aigul…), None = the bank
EXCHANGES = [
    (3, 1, 150, "harvest", 95, "абрикосы на сушку"),
    (1, 4, 120, "childcare", 80, ""),
    (5, 2, 180, "baking", 66, "лепёшки к поминкам"),
    (None, 6, 60, "group_work", 60, "сортировка семян для группы"),
    (2, 7, 90, "sewing", 45, "занавески"),
    (4, 3, 240, "house", 30, "посадка картофеля"),
    (6, 1, 60, "transport", 12, "до Каракола на базар"),
]
# the wedding of Chynara's daughter: four women helped the family 3 h each
WEDDING = (8, [1, 2, 3, 5], 180, "celebrations", 20)
POSTS = [
    (1, "offer", "baking", "Пеку боорсоки и лепёшки к празднику", "Нужна мука хозяйки."),
    (3, "offer", "harvest", "Помогу с закаткой варенья и сушкой урожая", ""),
    (4, "request", "childcare", "Посидеть с детьми во вторник утром", "Двое детей, 3 и 6 лет."),
    (5, "offer", "teaching", "Научу пользоваться телефоном и WhatsApp", ""),
    (7, "request", "eldercare", "Навестить маму в Светлой Поляне, помочь по дому", ""),
    (2, "request", "sewing", "Подшить платья к свадьбе", ""),
]


def ensure_timebank_demo(session: Session, group: Group) -> None:
    if tb.settings_of(session, group) is not None:
        return
    members = list(session.scalars(select(Membership).where(Membership.group_id == group.id)
                                   .order_by(Membership.id)))
    coordinator = members[0]
    for m in members:  # they joined long before the time bank opened
        m.created_at = min(m.created_at, utcnow() - timedelta(days=200))
    boss = coordinator.user
    tb.save_settings(session, group, boss, start_credit_minutes=120, floor_minutes=-600)
    categories = {c.code: c.id for c in tb.categories(session)}
    tb.grant_start_credits(session, group, actor=boss)
    today = local_today()

    def who(index: int | None) -> Membership | None:
        return None if index is None else members[index]

    for number, (receiver, provider, minutes, code, days, note) in enumerate(EXCHANGES):
        line = tb.Line(who(receiver), who(provider), minutes, categories[code],
                       today - timedelta(days=days), note)
        transfer, _new = tb.record_transfer(session, group, line, actor=boss,
                                            mode="coordinator",
                                            idempotency_key=f"demo-exchange-{number:08d}")
        if number == 0:  # it was 2 h, not 2 h 30: corrected, and recorded anew
            tb.reverse_transfer(session, group, transfer, actor=boss,
                                reason="было 2 ч, а не 2 ч 30")
            tb.record_transfer(session, group, tb.Line(
                who(receiver), who(provider), 120, categories[code],
                today - timedelta(days=days), note), actor=boss, mode="coordinator")
    family, helpers, minutes, code, days = WEDDING
    tb.record_batch(session, group, [
        tb.Line(members[family], members[h], minutes, categories[code],
                today - timedelta(days=days), "свадьба", line=n)
        for n, h in enumerate(helpers, start=1)], actor=boss,
        idempotency_key="demo-wedding-000000001")
    # Nurila recorded the help she gave Aigul: it waits for Aigul's confirmation
    tb.record_transfer(session, group, tb.Line(members[1], members[3], 90,
                                               categories["house"], today - timedelta(days=2),
                                               "прополка огорода"),
                       actor=members[3].user, mode="provider")
    for index, kind, code, title, description in POSTS:
        tb.create_post(session, group, members[index], kind=kind,
                       category_id=categories[code], title=title, description=description)
