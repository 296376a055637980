"""Property test of the time bank's services: random sequences of transfers
(by the receiver, the provider, the coordinator, the bank), confirmations,
rejections and reversals keep the sum of all the group's time accounts at
zero, every transfer's movements at zero, and no member below the floor."""

from __future__ import annotations

from datetime import timedelta

from flask import Flask
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select
from sqlalchemy.orm import Session

from coop.errors import DomainError
from coop.i18n import local_today
from coop.timebank import services as tb
from coop.timebank.models import TimeTransfer
from tests.timebank_world import make_time_bank

STEP = st.one_of(
    st.tuples(st.just("record"), st.sampled_from(["receiver", "provider", "coordinator"]),
              st.integers(0, 3), st.integers(0, 3), st.integers(1, 48)),
    st.tuples(st.just("confirm"), st.integers(0, 30)),
    st.tuples(st.just("reject"), st.integers(0, 30)),
    st.tuples(st.just("reverse"), st.integers(0, 30)),
)


@settings(max_examples=30, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(steps=st.lists(STEP, min_size=1, max_size=25))
def test_random_operations_keep_every_sum_at_zero_and_the_floor(
        app_ctx: Flask, session: Session, steps: list) -> None:  # type: ignore[type-arg]
    w = make_time_bank(session, floor_minutes=-300)
    boss = w.coordinator.user
    people = [None, w.aigul, w.bermet, w.cholpon]  # None: the bank
    category = w.categories["house"]
    tb.grant_start_credits(session, w.group, actor=boss)
    for step in steps:
        try:
            with session.begin_nested():
                if step[0] == "record":
                    _kind, mode, payer, payee, quarters = step
                    line = tb.Line(people[payer], people[payee], quarters * 15, category,
                                   local_today() - timedelta(days=1))
                    actor = {"receiver": line.payer, "provider": line.payee}.get(mode)
                    tb.record_transfer(session, w.group, line,
                                       actor=actor.user if actor else boss, mode=mode)
                else:
                    transfers = list(session.scalars(select(TimeTransfer).where(
                        TimeTransfer.group_id == w.group.id).order_by(TimeTransfer.id)))
                    if not transfers:
                        continue
                    transfer = transfers[step[1] % len(transfers)]
                    if step[0] == "confirm":
                        tb.confirm_transfer(session, w.group, transfer, actor=boss)
                    elif step[0] == "reject":
                        tb.reject_transfer(session, w.group, transfer, actor=boss,
                                           reason="не было")
                    else:
                        tb.reverse_transfer(session, w.group, transfer, actor=boss,
                                            reason="ошибка")
        except DomainError:
            pass  # refused: nothing written (the savepoint is rolled back)
        total, bad = tb.check_sums(session, w.group)
        assert (total, bad) == (0, [])
        for member in people[1:]:
            # only a correction (which the floor does not stop) takes her below it
            account = tb.member_account(session, member)
            corrections = sum(
                t.minutes for t in session.scalars(select(TimeTransfer).where(
                    TimeTransfer.kind == "reversal", TimeTransfer.from_account_id == account)))
            assert tb.member_balance(session, member) + corrections >= -300
    session.rollback()
