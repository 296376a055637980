"""The spec's worked example group (coop/timebank, spec §4): start credit 120,
floor −600; Aigul, Bermet and Cholpon; a coordinator."""

from __future__ import annotations

from datetime import timedelta
from types import SimpleNamespace

from sqlalchemy.orm import Session

from coop.db import utcnow
from coop.timebank import services as tb
from tests.factories import make_group, make_member


def make_time_bank(session: Session, **settings: object) -> SimpleNamespace:
    group = make_group(session)
    coordinator = make_member(session, group, "Майрам", role="treasurer", locale="ru")
    aigul = make_member(session, group, "Айгүл", locale="ru")
    bermet = make_member(session, group, "Бермет", locale="ru")
    cholpon = make_member(session, group, "Чолпон", locale="ru")
    for m in (coordinator, aigul, bermet, cholpon):  # they joined a month ago
        m.created_at = utcnow() - timedelta(days=30)
    values = {"start_credit_minutes": 120, "floor_minutes": -600, **settings}
    tb.save_settings(session, group, coordinator.user, **values)
    session.flush()
    categories = {c.code: c.id for c in tb.categories(session)}
    return SimpleNamespace(group=group, coordinator=coordinator, aigul=aigul, bermet=bermet,
                           cholpon=cholpon, categories=categories)


def figures(session: Session, w: SimpleNamespace) -> tuple[int, int, int, int, int]:
    """A, B, C, bank, Σ as in the spec's table."""
    a, b, c = (tb.member_balance(session, m) for m in (w.aigul, w.bermet, w.cholpon))
    bank = tb.bank_balance(session, w.group)
    return a, b, c, bank, a + b + c + bank
