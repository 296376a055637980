"""One process, many threads (gunicorn's threaded workers, as the README's
production command runs it): the threads share the process's live split of
an open round and its kept bills, while each orders and reads in its own
transaction. Whatever the interleaving, every bill a thread reads, and every
share page it is shown, is that of a full split of the round (SPLIT_CACHE_CHECK
makes each read and each kept page compare itself with a fresh one), and at
the end the kept split is the full one. The threads order together, then read
together: the check's full split reads the round as it stands, so no order
may commit between a read and its check."""

from __future__ import annotations

import random
import sys
import threading

import pytest
from flask import Flask
from sqlalchemy.orm import Session

from coop.extensions import db
from coop.orders import cache as split_cache
from coop.orders import services as orders
from coop.orders.models import Round
from tests.conftest import login
from tests.factories import PASSWORD
from tests.integration.test_split_live_cache import _full_splits, _open_world, _same_as_full_split

THREADS = 4
ORDERS = 20  # each thread's


@pytest.mark.postgres
def test_threads_ordering_and_reading_bills_at_once_always_read_a_full_splits_figures(
        app_ctx: Flask, session: Session, pg_only: None,
        monkeypatch: pytest.MonkeyPatch) -> None:
    w = _open_world(session)
    split_cache.round_summary(session, w.rnd)  # the live split every thread starts from
    assert app_ctx.config["SPLIT_CACHE_CHECK"]
    round_id, treasurer_id = w.rnd.id, w.treasurer.user_id
    members = [w.aigul.id, w.nurila.id, *(m.id for m in w.more)]
    items = [w.seed.id, w.fabric.id, w.npk.id]
    round_path = f"/groups/{w.group.id}/rounds/{round_id}"
    clients = []  # the treasurer's pages of each member's share, one browser a thread
    for _ in range(THREADS):
        clients.append(app_ctx.test_client())
        login(clients[-1], w.treasurer.user.email, PASSWORD)
    full = _full_splits(monkeypatch)
    together = threading.Barrier(THREADS, timeout=60)
    failures: list[str] = []
    reads: list[int] = []

    def worker(seat: int) -> None:
        from coop.auth.models import User
        from coop.groups.models import Membership

        rng = random.Random(seat)
        membership_id = members[seat]
        for _ in range(ORDERS):
            try:  # each order and each read a request of its own: an app context, a session
                together.wait()
                with app_ctx.app_context(), Session(db.engine) as s:
                    line = (rng.randrange(1, 40) * 1000, rng.randrange(0, 5) * 1000)
                    orders.save_order(s, s.get(Round, round_id), s.get(Membership, membership_id),
                                      {rng.choice(items): line}, s.get(User, treasurer_id),
                                      as_treasurer=True)
                    s.commit()
                together.wait()  # (the check's full split must see the round the read saw)
                for reader in (membership_id, members[(seat + 1) % len(members)]):
                    with app_ctx.app_context(), Session(db.engine) as s:
                        split_cache.member_share(s, s.get(Round, round_id), reader)
                    page = clients[seat].get(f"{round_path}/share/{reader}")
                    assert page.status_code == 200, page.status_code
                    reads.append(reader)
            except Exception as exc:  # a stale bill: SPLIT_CACHE_CHECK's AssertionError
                failures.append(f"{type(exc).__name__}: {exc}")

    threads = [threading.Thread(target=worker, args=(seat,)) for seat in range(THREADS)]
    switching = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)  # threads taking turns every few bytecodes: races show
    try:
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=120)
    finally:
        sys.setswitchinterval(switching)
    assert not any(thread.is_alive() for thread in threads)
    assert failures == []
    assert len(reads) == THREADS * ORDERS * 2
    session.expire_all()
    _same_as_full_split(session, w)
    # the threads brought the one live split up to date line by line (a thread
    # that found it behind a token another thread's advance passed over was
    # shown the later split), never splitting the round anew for a page
    assert full == []
