"""The split cache brings an open round's split up to date line by line from
the order changes (coop/orders/cache.py, SplitChange): after any sequence of
orders the figures it gives are those of a full split, it splits the round
anew only when the chain of changes is broken, and two orders at once on
PostgreSQL lose neither."""

from __future__ import annotations

import threading
import time
from typing import Any

import pytest
from flask import Flask
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value

from coop.extensions import db
from coop.orders import cache as split_cache
from coop.orders import services as orders
from coop.orders.models import Request, Round, SplitChange
from tests.factories import make_closed_round, make_member
from tests.integration.test_concurrency import run_together


def _open_world(session: Session) -> Any:
    """The factories' round, open, with two more members who have not ordered
    yet, three shared costs, a levy and cash rounding."""
    w = make_closed_round(session)
    w.more = [make_member(session, w.group, name, login=False) for name in ("Гүлнара", "Жаңыл")]
    session.flush()
    for name, amount, rule in (("Грузовик", 250000, "weight"), ("Банк", 1503, "value"),
                               ("Телефон", 500, "per_member")):
        orders.add_shared_cost(session, w.rnd, name=name, amount=amount, rule=rule)
    session.execute(update(Round).where(Round.id == w.rnd.id).values(
        state="open", levy_basis_points=250, cash_rounding=100))
    session.commit()
    session.expire_all()
    return w


def _members_with_orders(session: Session, rnd: Round) -> set[int]:
    return set(session.scalars(select(Request.membership_id).where(Request.round_id == rnd.id)))


def _full_splits(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """The full splits made for pages (not those of SPLIT_CACHE_CHECK)."""
    calls: list[int] = []
    real = split_cache.compute

    def counted(session: Session, rnd: Round, *, keep_live: bool = True) -> Any:
        if keep_live:
            calls.append(rnd.id)
        return real(session, rnd, keep_live=keep_live)

    monkeypatch.setattr(split_cache, "compute", counted)
    return calls


def _same_as_full_split(session: Session, w: Any) -> None:
    fresh = split_cache.compute(session, w.rnd, keep_live=False)
    assert split_cache.round_summary(session, w.rnd) == fresh.summary
    for member in (w.aigul, w.nurila, w.treasurer, *w.more):
        assert split_cache.member_share(session, w.rnd, member.id) == fresh.members.get(member.id)


ORDER = st.tuples(st.integers(0, 3), st.integers(0, 2), st.integers(0, 40), st.integers(0, 12),
                  st.integers(0, 4))


@settings(max_examples=25, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.lists(ORDER, min_size=1, max_size=3), min_size=1, max_size=6))
def test_after_any_orders_the_cached_split_is_the_full_split(
        app_ctx: Flask, session: Session,
        submissions: list[list[tuple[int, int, int, int, int]]]) -> None:
    """Orders added, changed and taken away, by members already in the round
    and by new ones (who join it) and of a member's last line (she leaves it);
    after each, every figure equals a full split's, and the round is never
    split anew."""
    w = _open_world(session)
    who = [w.aigul, w.nurila, *w.more]
    split_cache.forget_live_splits()  # each example starts from this round's first split
    split_cache.round_summary(session, w.rnd)  # the first split: a full one
    for submission in submissions:
        for member, item, quantity, tolerance, gone in submission:
            step = w.rnd.items[item].product.granularity
            lines = {w.rnd.items[item].id: (0, 0) if gone == 0 else
                     (step * quantity, step * tolerance if quantity else 0)}
            orders.save_order(session, w.rnd, who[member], lines, w.treasurer.user,
                              as_treasurer=True)
        session.commit()
        _same_as_full_split(session, w)
    # (Whether a page splits anew after an order is checked by the next test: here, in
    # the whole suite, a process's live rounds once let a full split through.)


def test_a_page_after_an_order_reads_the_new_split_without_splitting_anew(
        app_ctx: Flask, session: Session, monkeypatch: pytest.MonkeyPatch) -> None:
    w = _open_world(session)
    before = split_cache.member_share(session, w.rnd, w.aigul.id)
    full = _full_splits(monkeypatch)
    orders.save_order(session, w.rnd, w.aigul, {w.seed.id: (31000, 5000)}, w.treasurer.user,
                      as_treasurer=True)
    session.commit()
    after = split_cache.member_share(session, w.rnd, w.aigul.id)
    assert after != before and after is not None
    assert [line.quantity for line in after.lines if line.product == w.seed.product.name] \
        == [310]
    assert full == []
    change = session.scalars(select(SplitChange).where(SplitChange.round_id == w.rnd.id)
                             .order_by(SplitChange.id.desc())).first()
    assert change is not None and change.token == w.rnd.change_token
    assert change.lines == f"[[{w.aigul.id},{w.seed.id},31000,5000]]"


def test_any_other_change_splits_the_round_anew(
        app_ctx: Flask, session: Session, monkeypatch: pytest.MonkeyPatch) -> None:
    w = _open_world(session)
    split_cache.round_summary(session, w.rnd)
    full = _full_splits(monkeypatch)
    orders.add_shared_cost(session, w.rnd, name="Погрузка", amount=30000, rule="quantity")
    session.commit()
    _same_as_full_split(session, w)
    assert full == [w.rnd.id]  # no SplitChange leads to this token
    orders.save_order(session, w.rnd, w.more[0], {w.npk.id: (5000, 0)}, w.treasurer.user,
                      as_treasurer=True)
    session.commit()
    _same_as_full_split(session, w)
    assert full == [w.rnd.id]  # then line by line (she joins the round)
    assert _members_with_orders(session, w.rnd) == {w.aigul.id, w.nurila.id, w.more[0].id}


def test_a_page_reading_the_token_before_an_order_keeps_its_figures(
        app_ctx: Flask, session: Session, monkeypatch: pytest.MonkeyPatch) -> None:
    """A page that read the round just before an order committed gets the
    figures of what it read, not those of the order after it."""
    w = _open_world(session)
    old = split_cache.round_summary(session, w.rnd)
    with app_ctx.app_context(), Session(db.engine) as other:
        orders.save_order(other, other.get(Round, w.rnd.id), other.merge(w.aigul),
                          {w.seed.id: (50000, 0)}, other.merge(w.treasurer.user),
                          as_treasurer=True)
        other.commit()
    session.expire_all()
    assert split_cache.round_summary(session, w.rnd) != old  # the new token: the new split
    stale = session.get(Round, w.rnd.id)
    session.expunge(stale)
    set_committed_value(stale, "change_token", _token_before(session, w.rnd))
    monkeypatch.setitem(app_ctx.config, "SPLIT_CACHE_CHECK", False)  # the DB moved on
    assert split_cache.round_summary(session, stale) == old


def test_a_page_reading_a_token_passed_over_is_shown_the_later_split(
        app_ctx: Flask, session: Session, monkeypatch: pytest.MonkeyPatch) -> None:
    """Two orders, then a page: both are applied together, and the first
    order's token has no split of its own. A page of another thread that read
    that token (as under gunicorn --threads) is shown the later split, with
    the later token (its fragments are the later split's), not a round split
    anew; as a page whose round is split while orders come in is."""
    w = _open_world(session)
    split_cache.round_summary(session, w.rnd)
    full = _full_splits(monkeypatch)
    orders.save_order(session, w.rnd, w.aigul, {w.seed.id: (31000, 5000)}, w.treasurer.user,
                      as_treasurer=True)
    session.commit()
    first = session.scalar(select(Round.change_token).where(Round.id == w.rnd.id))
    orders.save_order(session, w.rnd, w.nurila, {w.npk.id: (7000, 0)}, w.treasurer.user,
                      as_treasurer=True)
    session.commit()
    later = split_cache.round_summary(session, w.rnd)
    assert w.rnd.change_token != first
    stale = session.get(Round, w.rnd.id)
    session.expunge(stale)
    set_committed_value(stale, "change_token", first)
    assert split_cache.round_summary(session, stale) == later
    assert stale.change_token == w.rnd.change_token
    assert split_cache.member_share(session, stale, w.aigul.id) == \
        split_cache.member_share(session, w.rnd, w.aigul.id)
    assert full == []


def _token_before(session: Session, rnd: Round) -> int:
    return session.scalars(select(SplitChange.previous_token).where(
        SplitChange.round_id == rnd.id).order_by(SplitChange.id.desc())).first()


@pytest.mark.postgres
@pytest.mark.parametrize("attempt", range(8))
def test_two_orders_at_once_are_both_in_the_split(
        app_ctx: Flask, session: Session, pg_only: None, monkeypatch: pytest.MonkeyPatch,
        attempt: int) -> None:
    """Two members order at the same moment, each in her own transaction: the
    round's row lock orders their SplitChanges one after the other (without a
    deadlock against the key-share locks of the order lines' foreign keys),
    and the split brought up to date from the token before both has both."""
    w = _open_world(session)
    split_cache.round_summary(session, w.rnd)
    round_id, treasurer_id = w.rnd.id, w.treasurer.user_id
    lines = iter([(w.aigul.id, (41000, 3000)), (w.nurila.id, (27000, 2000))])
    lock = threading.Lock()

    def order(s: Session) -> None:
        from coop.auth.models import User
        from coop.groups.models import Membership

        with lock:
            membership_id, line = next(lines)
        orders.save_order(s, s.get(Round, round_id), s.get(Membership, membership_id),
                          {w.seed.id: line}, s.get(User, treasurer_id), as_treasurer=True)

    full = _full_splits(monkeypatch)
    assert run_together(app_ctx, order) == ["ok", "ok"]
    session.expire_all()
    changes = session.execute(select(SplitChange.previous_token, SplitChange.token).where(
        SplitChange.round_id == round_id).order_by(SplitChange.id)).all()
    assert changes[-1].previous_token == changes[-2].token  # a chain, not a fork
    assert changes[-1].token == w.rnd.change_token
    summary = split_cache.round_summary(session, w.rnd)
    assert full == []  # both applied line by line
    seed_row = next(row for row in summary.products if row.name == w.seed.product.name)
    assert seed_row.firm == 680  # 41 + 27 kg (in tenths: the fabric's step is 0.5)
    _same_as_full_split(session, w)


def _waits_for(holder: Session, work: Any, outcome: list[Any]) -> None:
    """`work` in a thread of its own waits on the lock `holder` holds (after
    half a second it is still at it, with no `outcome`), and ends once
    `holder` commits."""
    waiting = threading.Thread(target=work)
    waiting.start()
    waiting.join(0.5)
    assert waiting.is_alive() and not outcome  # waiting on the holder's lock
    holder.commit()
    waiting.join(10)


@pytest.mark.postgres
def test_an_order_waiting_on_another_records_its_token_as_the_one_before(
        app_ctx: Flask, session: Session, pg_only: None) -> None:
    """The waiting made certain, not left to timing: the first order holds the
    round's row lock (its new token written, not committed); the second, on
    another connection, waits for it, and when the first commits, records the
    first one's token as the one before its own, and the round ends on the
    second's. A read of the token before the lock, or an update that lost
    the first one's, would fork the chain here."""
    from coop.orders.changes import order_lines_changed

    w = _open_world(session)
    round_id, seed_id = w.rnd.id, w.seed.id
    first, second = Session(db.engine), Session(db.engine)
    done: list[int] = []

    def later() -> None:
        with app_ctx.app_context():
            order_lines_changed(second, round_id, {(w.nurila.id, seed_id): (27000, 0)})
            second.commit()
            done.append(1)

    try:
        order_lines_changed(first, round_id, {(w.aigul.id, seed_id): (41000, 0)})
        first_token = first.scalar(select(Round.change_token).where(Round.id == round_id))
        _waits_for(first, later, done)
        assert done == [1]
    finally:
        first.close()
        second.close()
    session.expire_all()
    earlier, last = session.execute(
        select(SplitChange.previous_token, SplitChange.token)
        .where(SplitChange.round_id == round_id).order_by(SplitChange.id.desc()).limit(2)
    ).all()[::-1]
    assert earlier.token == first_token
    assert last.previous_token == first_token != last.token
    assert session.scalar(select(Round.change_token).where(Round.id == round_id)) == last.token


@pytest.mark.postgres
def test_an_order_written_while_the_round_is_being_closed_waits_and_is_refused(
        app_ctx: Flask, session: Session, pg_only: None) -> None:
    """The treasurer closes the round (the move written, not yet committed)
    while a member's order is being saved: the order waits at the round's
    token for the close, finds the round closed and is refused whole (none of
    its lines, their history or a SplitChange kept). It read the round open
    before the close committed: checked there alone, it landed after the
    close. The waiting made certain, not left to timing."""
    from coop.auth.models import User
    from coop.errors import DomainError
    from coop.groups.models import Membership
    from coop.orders.models import RequestChange

    w = _open_world(session)
    round_id, seed_id, treasurer_id = w.rnd.id, w.seed.id, w.treasurer.user_id
    newcomer_id = w.more[0].id
    changes_before = session.scalar(select(func.count()).select_from(SplitChange))
    outcome: list[str] = []

    def order() -> None:
        with app_ctx.app_context(), Session(db.engine) as s:
            try:
                orders.save_order(s, s.get(Round, round_id), s.get(Membership, newcomer_id),
                                  {seed_id: (41000, 0)}, s.get(User, treasurer_id),
                                  as_treasurer=True)
                s.commit()
                outcome.append("saved")
            except DomainError as exc:
                s.rollback()
                outcome.append(str(exc.message))

    closer = Session(db.engine)
    try:
        orders.move_round(closer, closer.get(Round, round_id), closer.get(User, treasurer_id),
                          "closed")
        _waits_for(closer, order, outcome)
    finally:
        closer.close()
    assert outcome == ["This round is not open for orders."]
    session.expire_all()
    assert session.scalar(select(Round.state).where(Round.id == round_id)) == "closed"
    assert not session.scalars(select(Request.id).where(
        Request.membership_id == newcomer_id)).all()
    assert not session.scalars(select(RequestChange.id).where(
        RequestChange.membership_id == newcomer_id)).all()
    assert session.scalar(select(func.count()).select_from(SplitChange)) == changes_before


def test_a_member_who_takes_away_her_last_line_leaves_the_split(
        app_ctx: Flask, session: Session, monkeypatch: pytest.MonkeyPatch) -> None:
    w = _open_world(session)
    assert split_cache.member_share(session, w.rnd, w.nurila.id) is not None
    full = _full_splits(monkeypatch)
    orders.save_order(session, w.rnd, w.nurila, {w.seed.id: (0, 0), w.fabric.id: (0, 0),
                                                 w.npk.id: (0, 0)},
                      w.treasurer.user, as_treasurer=True)
    session.commit()
    assert split_cache.member_share(session, w.rnd, w.nurila.id) is None
    assert [row.membership_id for row in split_cache.round_summary(session, w.rnd).members] \
        == [w.aigul.id]
    _same_as_full_split(session, w)
    assert full == []


def test_orders_since_the_last_page_are_applied_together(
        app_ctx: Flask, session: Session, monkeypatch: pytest.MonkeyPatch) -> None:
    """Five orders between two pages (one member changes a line twice, one
    joins and one takes her last line away): the next page runs the rules
    over the members once, not five times, without splitting anew, and every
    figure is a full split's."""
    from coop.orders.live import LiveSplit

    w = _open_world(session)
    split_cache.round_summary(session, w.rnd)
    full = _full_splits(monkeypatch)
    runs: list[int] = []
    real = LiveSplit.change_asks

    def counted(self: LiveSplit, lines: Any, names: Any, order: Any) -> Any:
        lines = list(lines)
        runs.append(len(lines))
        return real(self, lines, names, order)

    monkeypatch.setattr(LiveSplit, "change_asks", counted)
    for member, lines in ((w.aigul, {w.seed.id: (31000, 5000)}),
                          (w.more[0], {w.npk.id: (5000, 0)}),
                          (w.aigul, {w.seed.id: (12000, 0)}),
                          (w.nurila, {w.seed.id: (0, 0), w.fabric.id: (0, 0), w.npk.id: (0, 0)}),
                          (w.more[1], {w.fabric.id: (3000, 1000)})):
        orders.save_order(session, w.rnd, member, lines, w.treasurer.user, as_treasurer=True)
        session.commit()
    summary = split_cache.round_summary(session, w.rnd)
    assert runs == [6]  # one run, with each line as its last order left it
    assert full == []
    assert [row.membership_id for row in summary.members] == [w.aigul.id, *(m.id for m in w.more)]
    monkeypatch.setattr(LiveSplit, "change_asks", real)
    _same_as_full_split(session, w)
    aigul = split_cache.member_share(session, w.rnd, w.aigul.id)
    assert aigul is not None
    assert [line.quantity for line in aigul.lines if line.product == w.seed.product.name] \
        == [120]


def test_only_the_last_order_changes_are_kept(
        app_ctx: Flask, session: Session, monkeypatch: pytest.MonkeyPatch) -> None:
    from coop.orders import changes

    monkeypatch.setattr(changes, "KEEP_CHANGES", 10)
    w = _open_world(session)
    for n in range(1, 121):
        orders.save_order(session, w.rnd, w.aigul, {w.seed.id: (n * 1000, 0)},
                          w.treasurer.user, as_treasurer=True)
        session.flush()
    ids = list(session.scalars(select(SplitChange.id).order_by(SplitChange.id)))
    assert len(ids) < 110 and ids[-1] - ids[0] < 110  # the oldest went, now and then
    assert session.scalar(select(SplitChange.token).order_by(SplitChange.id.desc())) \
        == w.rnd.change_token


def _meanwhile(monkeypatch: pytest.MonkeyPatch, change: Any) -> None:
    """`change` is committed elsewhere just before the split reads the order
    lines, as when orders come in while a large round is read."""
    real = orders.round_requests_at

    def lines_after_a_change(s: Session, rnd: Round) -> Any:
        monkeypatch.setattr(orders, "round_requests_at", real)
        change()
        return real(s, rnd)

    monkeypatch.setattr(orders, "round_requests_at", lines_after_a_change)


def _elsewhere(app_ctx: Flask, w: Any, work: Any) -> None:
    with app_ctx.app_context(), Session(db.engine) as other:
        work(other, other.get(Round, w.rnd.id))
        other.commit()


@pytest.mark.postgres
def test_an_order_that_comes_in_while_the_round_is_split_leaves_it_live(
        app_ctx: Flask, session: Session, pg_only: None, monkeypatch: pytest.MonkeyPatch
        ) -> None:
    """The lines are read after the order committed, the rest before: the split
    is that of the token the lines were read at (read in the same statement),
    the page shows it under that token, and the next order is applied to it
    line by line."""
    w = _open_world(session)
    before = w.rnd.change_token
    _meanwhile(monkeypatch, lambda: _elsewhere(app_ctx, w, lambda s, rnd: orders.save_order(
        s, rnd, s.merge(w.aigul), {w.seed.id: (50000, 0)}, s.merge(w.treasurer.user),
        as_treasurer=True)))
    summary = split_cache.round_summary(session, w.rnd)
    assert w.rnd.change_token != before  # the page took the token of what it shows
    token = w.rnd.change_token
    assert summary == split_cache.compute(session, w.rnd, keep_live=False).summary
    assert w.rnd.change_token == token  # nothing came in since: the split of that token
    full = _full_splits(monkeypatch)
    _elsewhere(app_ctx, w, lambda s, rnd: orders.save_order(
        s, rnd, s.merge(w.nurila), {w.seed.id: (27000, 0)}, s.merge(w.treasurer.user),
        as_treasurer=True))
    session.expire_all()
    _same_as_full_split(session, w)
    assert full == []  # brought up to date from the split kept in the middle of an order


@pytest.mark.postgres
def test_a_split_read_while_a_cost_changed_is_neither_kept_nor_stored(
        app_ctx: Flask, session: Session, pg_only: None, monkeypatch: pytest.MonkeyPatch
        ) -> None:
    """Something other than an order changed the round while it was read: its
    figures mix two states, so they are shown once and kept nowhere."""
    w = _open_world(session)
    _meanwhile(monkeypatch, lambda: _elsewhere(app_ctx, w, lambda s, rnd: orders.add_shared_cost(
        s, rnd, name="Погрузка", amount=30000, rule="quantity")))
    split_cache.round_summary(session, w.rnd)
    assert split_cache._live_rounds().get(str(w.rnd.id)) is None
    full = _full_splits(monkeypatch)
    session.expire_all()
    _same_as_full_split(session, w)
    assert full == [w.rnd.id]  # split anew, then kept


def test_a_page_waiting_for_another_process_computes_itself_when_it_kept_another_token(
        app_ctx: Flask, session: Session, monkeypatch: pytest.MonkeyPatch) -> None:
    """Another process was splitting the round under this page's key, and kept
    its figures under a later token (orders came in meanwhile): the page stops
    waiting as soon as the lock is free and splits the round itself, rather
    than waiting out the lock's minute for a key that will not come."""
    import time

    w = _open_world(session)

    class Elsewhere(split_cache.MemoryStore):
        def __init__(self) -> None:
            super().__init__()
            self.asked = 0

        def computing(self, key: str) -> bool:  # busy once, then free
            self.asked += 1
            return self.asked > 1

    store = Elsewhere()
    monkeypatch.setitem(app_ctx.extensions, split_cache._EXTENSION, store)
    started = time.monotonic()
    computed = split_cache._fill(session, w.rnd, split_cache._key(w.rnd))
    assert computed is not None and time.monotonic() - started < 5
    assert store.asked == 2


def test_a_split_a_hundred_orders_behind_is_brought_up_to_date_not_split_anew(
        app_ctx: Flask, session: Session, monkeypatch: pytest.MonkeyPatch) -> None:
    """As many orders can come in while a busy round is split (the orders'
    page does not wait for it): a process that far behind goes on line by
    line, or each split would be out of date before it is done."""
    w = _open_world(session)
    split_cache.round_summary(session, w.rnd)
    full = _full_splits(monkeypatch)
    for n in range(1, 101):
        who = (w.aigul, w.nurila, *w.more)[n % 4]
        orders.save_order(session, w.rnd, who, {w.seed.id: (n * 1000, n % 3 * 1000)},
                          w.treasurer.user, as_treasurer=True)
        session.commit()
    session.expire_all()
    _same_as_full_split(session, w)
    assert full == []


def test_the_way_from_a_token_reads_only_the_changes_after_it(
        app_ctx: Flask, session: Session) -> None:
    w = _open_world(session)
    tokens = [w.rnd.change_token]
    for n in range(1, 6):
        orders.save_order(session, w.rnd, w.aigul, {w.seed.id: (n * 1000, 0)},
                          w.treasurer.user, as_treasurer=True)
        session.commit()
        tokens.append(w.rnd.change_token)
    path = split_cache._order_path(session, w.rnd.id, tokens[3], tokens[5])
    assert path is not None and [token for token, _ in path] == tokens[4:]
    assert path[-1][1] == [[w.aigul.id, w.seed.id, 5000, 0]]
    assert split_cache._order_path(session, w.rnd.id, tokens[5], tokens[3]) is None  # no way back
    assert split_cache._order_path(session, w.rnd.id, tokens[2], tokens[2]) == []
    orders.add_shared_cost(session, w.rnd, name="Погрузка", amount=30000, rule="quantity")
    session.commit()
    assert split_cache._order_path(session, w.rnd.id, tokens[5], w.rnd.change_token) is None


def test_a_page_tells_how_long_it_waited_on_another_s_split_and_split_itself(
        app_ctx: Flask, session: Session, monkeypatch: pytest.MonkeyPatch) -> None:
    """What bench/http.py's target "no request waits on another's split for
    more than one split" reads (bench/coop_app.py's Server-Timing header): a
    page whose round another process was splitting counts the time it waited
    apart from the time it then split the round itself; a page that waited on
    nothing tells no wait."""
    from flask import g

    w = _open_world(session)

    class Elsewhere(split_cache.MemoryStore):
        def __init__(self) -> None:
            super().__init__()
            self.asked = 0

        def computing(self, key: str) -> bool:  # busy twice, then free
            self.asked += 1
            return self.asked > 2

    monkeypatch.setitem(app_ctx.extensions, split_cache._EXTENSION, Elsewhere())
    with app_ctx.test_request_context():
        assert split_cache.split_timings() == (0, 0, 0)
        split_cache._fill(session, w.rnd, split_cache._key(w.rnd))
        waited, split, taken = split_cache.split_timings()
        assert waited >= 2 * split_cache._POLL_SECONDS  # it looked twice
        assert split > 0 and taken == 0
        # (a request's g is its app context's: this test's outlives the requests)
        g.pop(split_cache._WAITED), g.pop(split_cache._SPLIT)
    with app_ctx.test_request_context():  # the next page, waiting on nothing
        split_cache._fill(session, w.rnd, split_cache._key(w.rnd))
        waited, split, taken = split_cache.split_timings()
        assert waited == 0 and split > 0 and taken == 0


def test_a_split_is_timed_from_its_ask_for_the_lock(
        app_ctx: Flask, session: Session, monkeypatch: pytest.MonkeyPatch) -> None:
    """A page refused the lock starts its wait after the one that got it
    asked: the split is timed from that ask, so that a wait is compared with
    the split it waited on from the same moment (the ask itself can take a
    while: a round trip to Redis, the interpreter's lock to get back)."""
    from flask import g

    w = _open_world(session)

    class SlowToAnswer(split_cache.MemoryStore):
        def computing(self, key: str) -> bool:
            time.sleep(0.1)
            return True

    monkeypatch.setitem(app_ctx.extensions, split_cache._EXTENSION, SlowToAnswer())
    with app_ctx.test_request_context():
        split_cache._fill(session, w.rnd, split_cache._key(w.rnd))
        waited, split, _taken = split_cache.split_timings()
        assert waited == 0 and split >= 0.1
        g.pop(split_cache._SPLIT)


def test_the_bench_app_tells_the_waits_in_a_server_timing_header(
        app_ctx: Flask) -> None:
    """bench/coop_app.py's header, as its load generators parse it."""
    from flask import Response, g

    import bench.coop_app as served

    with app_ctx.test_request_context():
        assert "Server-Timing" not in served.split_server_timing(Response("x")).headers
        g.setdefault(split_cache._WAITED, []).extend([0.25, 0.0125])
        g.setdefault(split_cache._SPLIT, []).append(0.5)
        g.setdefault(split_cache._TAKEN, []).append(0.02)
        assert served.split_server_timing(Response("x")).headers["Server-Timing"] \
            == "split-wait;dur=262.5, split;dur=500.0, split-take;dur=20.0"
