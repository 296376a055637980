"""The time bank under concurrent requests (PostgreSQL: row locks, real
concurrent writers): two coordinators confirming one pending record at the
same moment move its hours once; ten different register lines at once that
each would take one member below the hard floor: only what fits is recorded."""

from __future__ import annotations

import threading
from collections import Counter
from datetime import date

import pytest
from flask import Flask
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from coop.timebank import services as tb
from coop.timebank.models import TimeMovement, TimeTransfer
from tests.conftest import csrf_token, login
from tests.factories import make_member
from tests.integration.test_money_endpoints import KEY, Case, send_together
from tests.timebank_world import figures, make_time_bank

pytestmark = pytest.mark.postgres


def test_two_coordinators_confirming_at_once_move_the_hours_once(
        app_ctx: Flask, session: Session, pg_only: None) -> None:
    w = make_time_bank(session)
    second = make_member(session, w.group, "Гүлнара", role="treasurer")
    pending, _ = tb.record_transfer(session, w.group, tb.Line(
        w.cholpon, w.aigul, 120, w.categories["house"], date.today()),
        actor=w.aigul.user, mode="provider")
    session.commit()
    clients, tokens = [], []
    for person in (w.coordinator, second) * 3:
        client = app_ctx.test_client()
        login(client, person.user.email)
        clients.append(client)
        tokens.append(csrf_token(client, "/"))
    barrier = threading.Barrier(len(clients))
    outcomes: list[str] = [""] * len(clients)
    url = f"/groups/{w.group.id}/timebank/transfers/{pending.id}/confirm"

    def send(i: int) -> None:
        barrier.wait()
        try:
            outcomes[i] = str(clients[i].post(url, data={"csrf_token": tokens[i]}).status_code)
        except Exception as exc:
            outcomes[i] = type(exc).__name__

    threads = [threading.Thread(target=send, args=(i,)) for i in range(len(clients))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    session.expire_all()
    moved = session.scalar(select(func.count()).select_from(TimeMovement).where(
        TimeMovement.transfer_id == pending.id))
    print(f"two coordinators × 3 confirming at once -> {dict(Counter(outcomes))}, "
          f"{moved} movements")
    assert all(o == "302" for o in outcomes), outcomes
    assert moved == 2
    assert figures(session, w) == (120, 0, -120, 0, 0)


def test_ten_register_lines_at_once_never_break_the_floor(
        app_ctx: Flask, session: Session, pg_only: None) -> None:
    w = make_time_bank(session)  # floor −10 h, no start credit given
    numbers = tb.number_of(session, w.group)
    session.commit()
    case = Case(f"/groups/{w.group.id}/timebank/register",
                lambda s: s.scalar(select(func.count()).select_from(TimeTransfer)) or 0,
                w.group.id, data={"receiver": str(numbers[w.aigul.id]),
                                  "provider": str(numbers[w.bermet.id]), "hours": "6",
                                  "category": str(w.categories["house"]),
                                  "date_of_service": date.today().isoformat(), "note": "",
                                  "idempotency_key": KEY},
                login=w.coordinator.user.email)
    # ten different forms, each confirmed past the "same help" question: the lock decides
    outcomes = send_together(app_ctx, case, vary=lambda i: {
        "idempotency_key": f"{KEY}-{i:03d}", "confirm_again": "1"})
    session.expire_all()
    made = case.count(session)
    print(f"ten lines of 6 h at once, floor −10 h -> {dict(Counter(outcomes))}, {made} recorded")
    assert sorted(outcomes) == ["302"] + ["422"] * 9, outcomes
    assert made == 1
    assert tb.member_balance(session, w.aigul) == -360
    assert tb.check_sums(session, w.group) == (0, [])


def test_withdrawing_and_confirming_at_once_end_one_way(
        app_ctx: Flask, session: Session, pg_only: None) -> None:
    """Aigul withdraws the help she recorded while Cholpon confirms it, at the
    same moment, three times each: the record ends either confirmed (its hours
    moved once, the withdrawals answered 409) or withdrawn (nothing moved, the
    confirmations answered 409), never both."""
    w = make_time_bank(session)
    pending, _ = tb.record_transfer(session, w.group, tb.Line(
        w.cholpon, w.aigul, 120, w.categories["house"], date.today()),
        actor=w.aigul.user, mode="provider")
    session.commit()
    base = f"/groups/{w.group.id}/timebank/transfers/{pending.id}"
    sends = []
    for person, action, data in ((w.aigul, "reject", {"reason": "ошиблась"}),
                                 (w.cholpon, "confirm", {})) * 3:
        client = app_ctx.test_client()
        login(client, person.user.email)
        sends.append((client, f"{base}/{action}", {**data, "csrf_token": csrf_token(client, "/")},
                      action))
    barrier = threading.Barrier(len(sends))
    outcomes: list[tuple[str, str]] = [("", "")] * len(sends)

    def send(i: int) -> None:
        client, url, data, action = sends[i]
        barrier.wait()
        try:
            outcomes[i] = (action, str(client.post(url, data=data).status_code))
        except Exception as exc:
            outcomes[i] = (action, type(exc).__name__)

    threads = [threading.Thread(target=send, args=(i,)) for i in range(len(sends))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    session.expire_all()
    record = session.get(TimeTransfer, pending.id)
    moved = session.scalar(select(func.count()).select_from(TimeMovement).where(
        TimeMovement.transfer_id == pending.id))
    print(f"withdraw × 3 and confirm × 3 at once -> {dict(Counter(outcomes))}, "
          f"{record.state}, {moved} movements")
    if record.state == "confirmed":
        assert moved == 2 and figures(session, w) == (120, 0, -120, 0, 0)
        assert {o for a, o in outcomes if a == "reject"} == {"409"}, outcomes
        assert {o for a, o in outcomes if a == "confirm"} == {"302"}, outcomes
    else:
        assert record.state == "rejected" and tb.withdrawn(record)
        assert moved == 0 and figures(session, w) == (0, 0, 0, 0, 0)
        assert {o for a, o in outcomes if a == "reject"} == {"302"}, outcomes
        assert {o for a, o in outcomes if a == "confirm"} == {"409"}, outcomes
