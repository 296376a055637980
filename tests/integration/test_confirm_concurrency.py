"""Two "yes" at the same moment on PostgreSQL (two app workers): confirming the
delivery with the rest arrived takes effect once and books the rest once; the
other request is refused, never half-done. (Two closings of a lot at once:
tests/integration/test_sales_services.py; two settlements: test_concurrency.py.)"""

from __future__ import annotations

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from coop.auth.models import User
from coop.orders import services as orders
from coop.orders.models import Delivery, Round, RoundEvent
from coop.quantities import parse_quantity as q
from tests.integration.test_concurrency import run_together
from tests.integration.test_settlement import awarded_example_02

pytestmark = pytest.mark.postgres


def test_two_confirmations_with_the_rest_arrived_book_the_rest_once(  # type: ignore[no-untyped-def]
        app_ctx, session: Session, pg_only) -> None:
    _group, treasurer, _members, rnd = awarded_example_02(session)
    f_item, t_item = rnd.items
    orders.record_delivery(session, rnd, {f_item.id: (q("40"), 0)}, actor=treasurer.user)
    session.commit()
    rest = orders.rest_of_delivery(session, rnd)
    assert rest == {f_item.id: (q("20"), 0), t_item.id: (q("10"), 0)}
    round_id, user_id = rnd.id, treasurer.user_id

    def confirm(s: Session) -> None:
        orders.confirm_delivery(s, s.get(Round, round_id), s.get(User, user_id),
                                way=orders.REST_ARRIVED)

    outcomes = run_together(app_ctx, confirm)
    assert sorted(outcomes) == ["ok", "refused"], outcomes
    session.expire_all()
    assert orders.delivery_totals(session, rnd) == {f_item.id: (q("60"), 0),
                                                    t_item.id: (q("10"), 0)}
    assert session.scalar(select(func.count()).select_from(Delivery)) == 3
    assert session.scalar(select(func.count()).select_from(RoundEvent).where(
        RoundEvent.round_id == round_id, RoundEvent.to_state == "received")) == 1
