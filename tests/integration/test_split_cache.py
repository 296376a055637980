"""The split cache (coop/orders/cache.py) and the change tracking that keys it
(coop/orders/changes.py): every change to what a round's split is made of
renews the round's change token, nothing else does, and the figures a page
reads are those of a fresh split."""

from __future__ import annotations

import json
import pickle
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import asdict
from decimal import Decimal
from pathlib import Path as FilePath
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select, update
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value

from coop.orders import cache as split_cache
from coop.orders import facts
from coop.orders import services as orders
from coop.orders.models import Request, Round
from coop.suppliers import services as suppliers
from tests.factories import make_closed_round, make_member
from tests.integration.test_scale_out import redis_url, require_redis
from tests.integration.test_split_live_cache import (
    _full_splits,
    _open_world,
    _same_as_full_split,
)

REDIS_DB = 12  # flushed by these tests: no other use of it, please (test_scale_out: 14)


def _token(session: Session, rnd: Round) -> int:
    return session.execute(select(Round.change_token).where(Round.id == rnd.id)).scalar_one()


def _open(session: Session) -> Any:
    w = make_closed_round(session)
    session.execute(update(Round).where(Round.id == w.rnd.id).values(state="open"))
    session.expire_all()
    return w


def _awarded(session: Session) -> Any:
    w = make_closed_round(session)
    orders.award_at_list_prices(session, w.rnd, w.treasurer.user)
    session.flush()
    return w


def _order(session: Session, w: Any) -> None:
    orders.save_order(session, w.rnd, w.aigul, {w.seed.id: (35000, 0)}, w.treasurer.user,
                      as_treasurer=True)


def _round_settings(session: Session, w: Any) -> None:
    orders.update_round(session, w.rnd, title=w.rnd.title, deadline=None,
                        product_ids=[p.id for p in w.products], loss_policy="round",
                        levy_basis_points=200, cash_rounding=0)


def _add_cost(session: Session, w: Any) -> None:
    orders.add_shared_cost(session, w.rnd, name="Транспорт", amount=150000, rule="weight",
                           supplier_id=None)


def _remove_cost(session: Session, w: Any) -> None:
    orders.remove_shared_cost(session, w.rnd, w.rnd.shared_costs[0].id)


def _price(session: Session, w: Any) -> None:
    data = suppliers.product_data(w.products[0])
    tiers = tuple(type(t)(t.min_qty, t.unit_price - 1000) for t in data.tiers)
    suppliers.update_product(session, w.products[0], type(data)(**{
        **{f: getattr(data, f) for f in data.__dataclass_fields__}, "tiers": tiers}))


def _catalog_import(session: Session, w: Any) -> None:
    csv = suppliers.export_catalog(session, w.products[0].supplier)
    suppliers.import_catalog(session, w.products[0].supplier,
                             csv.replace(b"0=48,5|", b"0=47|"))


def _product_name(session: Session, w: Any) -> None:
    w.products[1].name = "Ткань бязь"


def _member_name(session: Session, w: Any) -> None:
    w.nurila.user.name = "Нурила Асанова"


def _delivery(session: Session, w: Any) -> None:
    orders.record_delivery(session, w.rnd, {w.seed.id: (50000, 5000)}, actor=w.treasurer.user)


def _delivered(session: Session) -> Any:
    w = _awarded(session)
    _delivery(session, w)
    session.flush()
    return w


def _credit(session: Session, w: Any) -> None:
    orders.record_credit_note(session, w.rnd, w.seed.id, amount=10000, note="",
                              actor=w.treasurer.user)


def _award(session: Session, w: Any) -> None:
    orders.award_at_list_prices(session, w.rnd, w.treasurer.user)


CHANGES: dict[str, tuple[Callable[[Session], Any], Callable[[Session, Any], None]]] = {
    "an order": (_open, _order),
    "the round's split settings": (make_closed_round, _round_settings),
    "a shared cost added": (make_closed_round, _add_cost),
    "a product's price": (make_closed_round, _price),
    "the catalog import": (make_closed_round, _catalog_import),
    "a product's name": (make_closed_round, _product_name),
    "a member's name": (make_closed_round, _member_name),
    "the award": (make_closed_round, _award),
    "a delivery": (_awarded, _delivery),
    "a credit note": (_delivered, _credit),
}


@pytest.mark.parametrize("change", CHANGES, ids=list(CHANGES))
def test_every_change_to_the_split_renews_the_token(session: Session, change: str) -> None:
    make, act = CHANGES[change]
    w = make(session)
    session.flush()
    before = _token(session, w.rnd)
    act(session, w)
    session.flush()
    assert _token(session, w.rnd) != before
    assert w.rnd.change_token == _token(session, w.rnd)  # the loaded round knows it too


def test_removing_a_cost_renews_the_token(session: Session) -> None:
    w = make_closed_round(session)
    _add_cost(session, w)
    session.flush()
    before = _token(session, w.rnd)
    _remove_cost(session, w)
    session.flush()
    assert _token(session, w.rnd) != before


def test_other_changes_keep_the_token(session: Session) -> None:
    w = make_closed_round(session)
    other = make_closed_round(session)
    session.flush()
    before = _token(session, w.rnd)
    w.rnd.title, w.rnd.delivery_place = "Осень", "Мектеп"  # not in the split
    make_member(session, w.group, "Жаңы мүчө")
    orders.add_shared_cost(session, other.rnd, name="Банк", amount=5000, rule="equal",
                           supplier_id=None)
    session.flush()
    assert _token(session, w.rnd) == before


def test_a_page_reads_the_split_of_the_data_as_it_is_now(
        app_ctx: Flask, session: Session, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(app_ctx.config, "SPLIT_CACHE_CHECK", False)
    w = _open(session)
    first = split_cache.member_share(session, w.rnd, w.aigul.id)
    assert first is not None and first.lines[0].quantity == 300  # 30 sachets, in 0.1
    _order(session, w)
    session.commit()
    again = split_cache.member_share(session, w.rnd, w.aigul.id)
    assert again is not None and again.lines[0].quantity == 350
    assert again == facts.member_facts(
        orders.compute_split(session, w.rnd).outcome,
        orders.compute_split(session, w.rnd).member_index[w.aigul.id])
    assert split_cache.member_share(session, w.rnd, w.treasurer.id) is None  # ordered nothing


def test_a_change_that_bypasses_the_tracking_is_caught_by_the_check(
        app_ctx: Flask, session: Session) -> None:
    assert app_ctx.config["SPLIT_CACHE_CHECK"]
    w = _open(session)
    assert split_cache.member_share(session, w.rnd, w.aigul.id) is not None
    session.execute(update(Request).where(Request.membership_id == w.aigul.id)
                    .values(quantity=Request.quantity + 1000))
    with pytest.raises(AssertionError, match="stale"):
        split_cache.member_share(session, w.rnd, w.aigul.id)


def test_the_summary_has_the_split_totals(app_ctx: Flask, session: Session) -> None:
    w = make_closed_round(session)
    summary = split_cache.round_summary(session, w.rnd)
    outcome = orders.compute_split(session, w.rnd).outcome
    assert summary.totals["members_total"] == outcome.totals.members_total
    assert [m.total for m in summary.members] == [m.total for m in outcome.members]
    assert sum(m.total for m in summary.members) == summary.totals["members_total"]
    assert [p.bill for p in summary.products] == [p.bill for p in outcome.products]
    assert facts.RoundFacts.from_json(summary.to_json()) == summary


def test_member_figures_survive_json(session: Session) -> None:
    w = _awarded(session)
    _add_cost(session, w)
    _delivery(session, w)
    session.flush()
    round_split = orders.compute_split(session, w.rnd)
    for index in range(len(round_split.outcome.members)):
        member = facts.member_facts(round_split.outcome, index)
        assert facts.MemberFacts.from_json(member.to_json()) == member
        assert member.to_json() == json.dumps(asdict(member), separators=(",", ":"))
    aigul = facts.member_facts(round_split.outcome, round_split.member_index[w.aigul.id])
    assert aigul.loss_items and aigul.costs and aigul.levy_percent[1] > 0
    assert Decimal(aigul.total) == Decimal(round_split.outcome.members[
        round_split.member_index[w.aigul.id]].total)


# -- Redis: shared by processes ----------------------------------------------------


@pytest.fixture()
def redis_store(app_ctx: Flask, monkeypatch: pytest.MonkeyPatch) -> split_cache.RedisStore:
    connection = require_redis(REDIS_DB)
    store = split_cache.RedisStore(redis_url(REDIS_DB))
    monkeypatch.setitem(app_ctx.extensions, "coop_split_cache", store)
    yield store
    connection.flushdb()


def _counting(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    calls: list[int] = []
    real = split_cache.compute

    def counted(session: Session, rnd: Round, **options: Any) -> split_cache.Computed:
        calls.append(rnd.id)
        return real(session, rnd, **options)

    monkeypatch.setattr(split_cache, "compute", counted)
    return calls


def test_redis_keeps_one_bill_per_member_for_every_process(
        app_ctx: Flask, session: Session, redis_store: split_cache.RedisStore,
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(app_ctx.config, "SPLIT_CACHE_CHECK", False)
    w = make_closed_round(session)
    session.commit()
    calls = _counting(monkeypatch)
    aigul = split_cache.member_share(session, w.rnd, w.aigul.id)
    assert calls == [w.rnd.id]
    # another process: another store on the same Redis
    elsewhere = split_cache.RedisStore(redis_url(REDIS_DB))
    key = f"{w.rnd.id}:{w.rnd.change_token}"
    assert elsewhere.member(key, w.aigul.id) == (True, aigul)
    assert elsewhere.member(key, w.treasurer.id) == (True, None)  # in the round, no bill
    assert elsewhere.summary(key) == split_cache.round_summary(session, w.rnd)
    assert split_cache.member_share(session, w.rnd, w.nurila.id) is not None
    assert calls == [w.rnd.id]  # computed once for all


def test_an_open_rounds_split_is_shared_live_not_bill_by_bill(
        app_ctx: Flask, session: Session, redis_store: split_cache.RedisStore,
        monkeypatch: pytest.MonkeyPatch) -> None:
    """Its token lasts until the next order: the other processes take the live
    split and bring it up to date, rather than bills written for that token."""
    monkeypatch.setitem(app_ctx.config, "SPLIT_CACHE_CHECK", False)
    w = _open(session)
    session.commit()
    calls = _counting(monkeypatch)
    aigul = split_cache.member_share(session, w.rnd, w.aigul.id)
    assert calls == [w.rnd.id]
    key = f"{w.rnd.id}:{w.rnd.change_token}"
    assert redis_store.member(key, w.aigul.id) == (False, None)
    assert redis_store.live_token(w.rnd.id) == w.rnd.change_token
    split_cache.forget_live_splits()  # another process
    assert split_cache.member_share(session, w.rnd, w.aigul.id) == aigul
    _order(session, w)
    session.commit()
    changed = split_cache.member_share(session, w.rnd, w.aigul.id)
    # brought up to date line by line from the order change, not split anew
    assert changed is not None and changed != aigul and calls == [w.rnd.id]
    assert changed == split_cache.compute(session, w.rnd).members[w.aigul.id]


def test_a_process_waits_for_the_one_computing_the_round(
        app_ctx: Flask, session: Session, redis_store: split_cache.RedisStore,
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(app_ctx.config, "SPLIT_CACHE_CHECK", False)
    w = _open(session)
    session.commit()
    key = f"{w.rnd.id}:{w.rnd.change_token}"
    computed = split_cache.compute(session, w.rnd)
    assert redis_store.computing(key)  # "another process" is at it…
    finisher = threading.Timer(0.3, redis_store.put, (key, computed))
    finisher.start()
    calls = _counting(monkeypatch)
    started = time.monotonic()
    found = split_cache.member_share(session, w.rnd, w.aigul.id)
    finisher.join()
    assert found == computed.members[w.aigul.id]
    assert calls == [] and time.monotonic() - started >= 0.25  # …so this one waited


# -- Redis: a live split shared by processes ---------------------------------------


def _another_process() -> None:
    """What this process holds of live splits is forgotten, as if the next page
    were served by another process (the Redis store is the same)."""
    split_cache.forget_live_splits()


def test_a_process_takes_the_live_split_another_shared_and_goes_on_line_by_line(
        app_ctx: Flask, session: Session, redis_store: split_cache.RedisStore,
        monkeypatch: pytest.MonkeyPatch) -> None:
    assert app_ctx.config["SPLIT_CACHE_CHECK"]
    w = _open_world(session)
    full = _full_splits(monkeypatch)
    split_cache.member_share(session, w.rnd, w.aigul.id)
    assert full == [w.rnd.id]
    assert redis_store.live_token(w.rnd.id) == w.rnd.change_token
    _another_process()
    orders.save_order(session, w.rnd, w.more[0], {w.npk.id: (5000, 1000)}, w.treasurer.user,
                      as_treasurer=True)  # she joins the round
    orders.save_order(session, w.rnd, w.aigul, {w.seed.id: (31000, 0)}, w.treasurer.user,
                      as_treasurer=True)
    session.commit()
    session.expire_all()
    _same_as_full_split(session, w)
    assert full == [w.rnd.id]  # taken from Redis and brought up to date: not split anew
    assert split_cache._live_rounds().get(str(w.rnd.id)) is not None
    bill = split_cache.member_share(session, w.rnd, w.more[0].id)
    assert bill is not None and bill.lines


def test_a_shared_live_split_past_another_change_is_not_taken(
        app_ctx: Flask, session: Session, redis_store: split_cache.RedisStore,
        monkeypatch: pytest.MonkeyPatch) -> None:
    w = _open_world(session)
    full = _full_splits(monkeypatch)
    split_cache.round_summary(session, w.rnd)
    shared = redis_store.live_token(w.rnd.id)
    _another_process()
    orders.add_shared_cost(session, w.rnd, name="Погрузка", amount=30000, rule="quantity")
    session.commit()
    session.expire_all()
    _same_as_full_split(session, w)
    assert full == [w.rnd.id, w.rnd.id]  # split anew, and that split shared in its turn
    assert redis_store.live_token(w.rnd.id) == w.rnd.change_token != shared


def test_a_page_that_read_a_token_before_the_shared_split_is_shown_the_shared_one(
        app_ctx: Flask, session: Session, redis_store: split_cache.RedisStore,
        monkeypatch: pytest.MonkeyPatch) -> None:
    w = _open_world(session)
    before = w.rnd.change_token
    orders.save_order(session, w.rnd, w.aigul, {w.seed.id: (31000, 0)}, w.treasurer.user,
                      as_treasurer=True)
    session.commit()
    session.expire_all()
    split_cache.compute(session, w.rnd)  # another process splits the round after the order
    shared = redis_store.live_token(w.rnd.id)
    assert shared is not None and shared != before
    _another_process()
    full = _full_splits(monkeypatch)
    set_committed_value(w.rnd, "change_token", before)  # the page read the round before it
    bill = split_cache.member_share(session, w.rnd, w.aigul.id)
    assert w.rnd.change_token == shared  # shown as the later split: its fragments too
    assert bill == split_cache.compute(session, w.rnd, keep_live=False).members[w.aigul.id]
    assert full == []


def test_a_shared_live_split_not_signed_with_the_apps_key_is_never_unpickled(
        app_ctx: Flask, session: Session, redis_store: split_cache.RedisStore,
        monkeypatch: pytest.MonkeyPatch) -> None:
    w = _open_world(session)
    split_cache.round_summary(session, w.rnd)
    token = w.rnd.change_token
    blob = redis_store.live(w.rnd.id)
    assert blob is not None
    head, _, rest = blob.partition(b":")
    forged = pickle.dumps({"not": "a split"})
    redis_store.put_live(w.rnd.id, token, head + b":" + rest[:32] + forged)
    _another_process()
    unpickled: list[bytes] = []
    monkeypatch.setattr(split_cache._SplitUnpickler, "load",
                        lambda self: unpickled.append(self))
    full = _full_splits(monkeypatch)
    _order_more(session, w, 31000)  # the figures kept in Redis are those of the token before
    summary = split_cache.round_summary(session, w.rnd)
    assert unpickled == [] and full == [w.rnd.id]  # split anew instead
    assert summary == split_cache.compute(session, w.rnd, keep_live=False).summary
    # that split is shared, signed; read by an app with another key: the same
    monkeypatch.setitem(app_ctx.config, "SECRET_KEY", "another key")
    _another_process()
    _order_more(session, w, 32000)
    split_cache.member_share(session, w.rnd, w.aigul.id)
    assert unpickled == [] and full == [w.rnd.id, w.rnd.id]


def _order_more(session: Session, w: Any, quantity: int) -> None:
    orders.save_order(session, w.rnd, w.aigul, {w.seed.id: (quantity, 0)}, w.treasurer.user,
                      as_treasurer=True)
    session.commit()
    session.expire_all()


MADE: list[str] = []


def _made(what: str) -> None:
    MADE.append(what)


class _Payload:
    """Pickled, it calls _made when loaded: what a forged pickle would do."""

    def __reduce__(self) -> Any:
        return _made, ("made",)


def test_a_signed_pickle_of_anything_but_a_live_split_makes_nothing(
        app_ctx: Flask, session: Session, redis_store: split_cache.RedisStore) -> None:
    w = _open_world(session)
    split_cache.round_summary(session, w.rnd)
    token = w.rnd.change_token
    for pickled in (pickle.dumps(_Payload()), pickle.dumps(OrderedDict())):
        pickle.loads(pickled)  # as a plain unpickler does
        redis_store.put_live(w.rnd.id, token,
                             b"%d:" % token + split_cache._signature(token, pickled[:-2])
                             + pickled[:-2])  # cut short: ignored, not an error
        assert split_cache._unpacked(redis_store.live(w.rnd.id), token) is None
        redis_store.put_live(w.rnd.id, token,
                             b"%d:" % token + split_cache._signature(token, pickled) + pickled)
        assert split_cache._unpacked(redis_store.live(w.rnd.id), token) is None
    assert MADE == ["made"]  # by the plain unpickler alone
    MADE.clear()


def test_a_shared_live_split_of_other_code_is_not_seen(
        app_ctx: Flask, session: Session, redis_store: split_cache.RedisStore,
        monkeypatch: pytest.MonkeyPatch) -> None:
    w = _open_world(session)
    split_cache.round_summary(session, w.rnd)
    assert redis_store.live_token(w.rnd.id) == w.rnd.change_token
    monkeypatch.setattr(split_cache, "LIVE_FINGERPRINT", "0" * 16)  # a later version's process
    assert redis_store.live_token(w.rnd.id) is None and redis_store.live(w.rnd.id) is None


class _SplittingElsewhere(split_cache.RedisStore):
    """Redis as seen while another process splits the round: the lock is
    taken once (then free), and its shared live split is not there until the
    page first looks whether the figures are ready."""

    def __init__(self) -> None:
        super().__init__(redis_url(REDIS_DB))
        self.asked = 0
        self.done = False  # the other process is still at it

    def computing(self, key: str) -> bool:  # busy once, then free
        self.asked += 1
        return self.asked > 1 and super().computing(key)

    def ready(self, key: str) -> bool:  # it has finished by the first look
        self.done = True
        return super().ready(key)

    def live_token(self, round_id: int) -> int | None:
        return super().live_token(round_id) if self.done else None


def test_a_page_waiting_for_another_process_takes_the_live_split_it_shared(
        app_ctx: Flask, session: Session, redis_store: split_cache.RedisStore,
        monkeypatch: pytest.MonkeyPatch) -> None:
    """Another process was splitting the round under this page's key and kept
    its split under a later token (an order came in meanwhile): as soon as it
    has shared it, the page takes that live split, rather than splitting the
    round too, and without waiting for its lock."""

    w = _open_world(session)
    before = w.rnd.change_token
    _order_more(session, w, 31000)
    store = _SplittingElsewhere()
    monkeypatch.setitem(app_ctx.extensions, split_cache._EXTENSION, store)
    split_cache.compute(session, w.rnd)  # the other process's split, shared
    store.done = True
    shared = store.live_token(w.rnd.id)
    assert shared == w.rnd.change_token != before
    store.done = False
    _another_process()
    set_committed_value(w.rnd, "change_token", before)  # the page read the round before
    full = _full_splits(monkeypatch)
    bill = split_cache.member_share(session, w.rnd, w.aigul.id)
    assert store.asked == 1 and full == []  # waited, then took the shared split
    assert w.rnd.change_token == shared
    assert bill == split_cache.compute(session, w.rnd, keep_live=False).members[w.aigul.id]
    assert store.computing(f"{w.rnd.id}:{before}")  # its lock was let go


def test_a_page_that_read_the_round_before_a_price_change_takes_the_split_shared_after_it(
        app_ctx: Flask, session: Session, redis_store: split_cache.RedisStore,
        monkeypatch: pytest.MonkeyPatch) -> None:
    """A page in flight when the treasurer changed the round (a cost: no order
    leads from its token to the new one) waits while another process splits
    the round as it now is; once shared, the page reads the round again and
    takes that split, rather than splitting the round a second time, as a
    split of its own would have read the round again anyway."""

    w = _open_world(session)
    before = w.rnd.change_token
    orders.add_shared_cost(session, w.rnd, name="Транспорт", amount=50000, rule="quantity")
    session.commit()
    session.expire_all()
    store = _SplittingElsewhere()
    monkeypatch.setitem(app_ctx.extensions, split_cache._EXTENSION, store)
    split_cache.compute(session, w.rnd)  # the other process's split, shared
    after = w.rnd.change_token
    _another_process()
    set_committed_value(w.rnd, "change_token", before)  # the page read the round before
    full = _full_splits(monkeypatch)
    bill = split_cache.member_share(session, w.rnd, w.aigul.id)
    assert full == [] and store.asked == 1  # took the shared split, not a second split
    assert w.rnd.change_token == after
    fresh = split_cache.compute(session, w.rnd, keep_live=False).members[w.aigul.id]
    assert bill == fresh and any(cost.name == "Транспорт" for cost in bill.costs)


def test_a_page_waits_on_another_process_until_its_split_is_there_and_takes_it_apart(
        app_ctx: Flask, session: Session, redis_store: split_cache.RedisStore,
        monkeypatch: pytest.MonkeyPatch) -> None:
    """What bench/http.py reads as "waited on another's split": the time until
    the other process's live split is shared, not the page's own work of
    fetching, unpickling and bringing it up to date, which is told apart
    (split_timings' third figure)."""
    from flask import g

    class Elsewhere(split_cache.RedisStore):
        def __init__(self) -> None:
            super().__init__(redis_url(REDIS_DB))
            self.busy = True  # the other process is splitting

        def computing(self, key: str) -> bool:
            return not self.busy and super().computing(key)

        def ready(self, key: str) -> bool:  # shared by the page's first look
            self.busy = False
            return super().ready(key)

        def live_token(self, round_id: int) -> int | None:
            return None if self.busy else super().live_token(round_id)

        def live(self, round_id: int) -> bytes | None:
            time.sleep(0.2)  # a large split, slow to fetch
            return super().live(round_id)

    w = _open_world(session)
    before = w.rnd.change_token
    _order_more(session, w, 31000)
    store = Elsewhere()
    monkeypatch.setitem(app_ctx.extensions, split_cache._EXTENSION, store)
    with app_ctx.test_request_context():
        store.busy = False
        split_cache.compute(session, w.rnd)  # the other process's split, shared
        store.busy = True
        _another_process()
        set_committed_value(w.rnd, "change_token", before)  # the page read the round before
        full = _full_splits(monkeypatch)
        assert split_cache.member_share(session, w.rnd, w.aigul.id) is not None
        assert full == []  # took the shared split
        waited, split, taken = split_cache.split_timings()
        assert split == 0 and taken >= 0.2
        assert split_cache._POLL_SECONDS / 2 <= waited < 0.2
        g.pop(split_cache._WAITED), g.pop(split_cache._TAKEN)


def test_the_summary_fills_packs_as_the_orders_add_up(app_ctx: Flask, session: Session) -> None:
    from coop.demo import load_demo

    load_demo(session)
    session.commit()
    rounds = list(session.scalars(select(Round).where(Round.state != "cancelled")))
    assert {r.state for r in rounds} >= {"open", "closed", "awarded", "settled"}
    for rnd in rounds:
        summary = split_cache.round_summary(session, rnd)
        assert orders.summary_fills(rnd, summary) == orders.pack_fills(session, rnd), rnd.title


# -- Fragments: HTML made from the cached figures --------------------------------------


def _counted_render() -> tuple[list[str], Callable[[], str]]:
    """A render() that says how many times it was called, in what it makes."""
    made: list[str] = []

    def render() -> str:
        made.append("x")
        return f"<p>{len(made)}</p>"

    return made, render


def test_a_fragment_is_made_once_per_round_change_and_language(
        app_ctx: Flask, session: Session, monkeypatch: pytest.MonkeyPatch) -> None:
    from flask_babel import force_locale

    monkeypatch.setitem(app_ctx.config, "SPLIT_CACHE_CHECK", False)
    w = _open(session)
    session.commit()
    made, render = _counted_render()

    with app_ctx.test_request_context():
        with force_locale("ru"):
            first = split_cache.fragment(w.rnd, "bill:1", render)
            assert split_cache.fragment(w.rnd, "bill:1", render) == first == "<p>1</p>"
            assert split_cache.fragment(w.rnd, "bill:2", render) == "<p>2</p>"  # another name
        with force_locale("ky"):
            assert split_cache.fragment(w.rnd, "bill:1", render) == "<p>3</p>"  # another language
        _order(session, w)
        session.commit()
        with force_locale("ru"):
            assert split_cache.fragment(w.rnd, "bill:1", render) == "<p>4</p>"  # the round changed
            assert split_cache.fragment(w.rnd, "bill:1", render) == "<p>4</p>"
            # a release that changed the templates, the code or the wording
            monkeypatch.setattr(split_cache, "_CODE_DIGEST", "another-release")
            assert split_cache.fragment(w.rnd, "bill:1", render) == "<p>5</p>"
    assert len(made) == 5


def test_the_code_digest_changes_with_a_template(monkeypatch: pytest.MonkeyPatch) -> None:
    first = split_cache.code_digest()
    assert split_cache.code_digest() == first and len(first) == 12
    monkeypatch.setattr(split_cache, "_CODE_DIGEST", None)
    template = FilePath(split_cache.__file__).parent / "templates" / "orders" / "_share_bill.html"
    monkeypatch.setattr(FilePath, "read_bytes", lambda self: (
        b"changed" if self == template else FilePath.read_text(self, "latin-1").encode("latin-1")))
    assert split_cache.code_digest() != first


def test_a_fragment_whose_name_misses_what_it_depends_on_is_caught_by_the_check(
        app_ctx: Flask, session: Session) -> None:
    assert app_ctx.config["SPLIT_CACHE_CHECK"]
    w = _open(session)
    with app_ctx.test_request_context():
        split_cache.fragment(w.rnd, "bill", lambda: "<p>Айгуль</p>")
        assert split_cache.fragment(w.rnd, "bill", lambda: "<p>Айгуль</p>") == "<p>Айгуль</p>"
        with pytest.raises(AssertionError, match="misses something"):
            split_cache.fragment(w.rnd, "bill", lambda: "<p>Нурила</p>")


def test_redis_keeps_fragments_for_every_process(
        app_ctx: Flask, session: Session, redis_store: split_cache.RedisStore,
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(app_ctx.config, "SPLIT_CACHE_CHECK", False)
    w = make_closed_round(session)
    session.commit()
    with app_ctx.test_request_context():
        split_cache.fragment(w.rnd, "bill", lambda: "<p>Сумма</p>")
        elsewhere = split_cache.RedisStore(redis_url(REDIS_DB))
        monkeypatch.setitem(app_ctx.extensions, "coop_split_cache", elsewhere)
        assert split_cache.fragment(w.rnd, "bill", lambda: "<p>again</p>") == "<p>Сумма</p>"


def test_an_open_rounds_page_parts_are_kept_in_the_process_not_in_redis(
        app_ctx: Flask, session: Session, redis_store: split_cache.RedisStore,
        monkeypatch: pytest.MonkeyPatch) -> None:
    """Every order replaces an open round's token: what its pages' parts were
    kept under is of no use a moment later, and kept in Redis for a day, a
    busy round's bills piled up there (35 KB a view)."""
    monkeypatch.setitem(app_ctx.config, "SPLIT_CACHE_CHECK", False)
    w = _open(session)
    session.commit()
    made, render = _counted_render()

    with app_ctx.test_request_context():
        for quantity in (31000, 32000, 33000):
            _order_more(session, w, quantity)
            first = split_cache.fragment(w.rnd, "bill", render)
            assert split_cache.fragment(w.rnd, "bill", render) == first  # kept
        assert len(made) == 3  # once per token
        assert list(redis_store._redis.scan_iter(match="*:f:*")) == []
        session.execute(update(Round).where(Round.id == w.rnd.id).values(state="closed"))
        session.commit()
        session.expire_all()
        split_cache.fragment(w.rnd, "bill", render)
        assert len(list(redis_store._redis.scan_iter(match="*:f:*"))) == 1  # closed: shared


def test_kept_things_weighed_go_least_recently_used_first() -> None:
    recent: split_cache._Recent[str] = split_cache._Recent(10, weigh=lambda _k, v: len(v))
    recent.put("a", "aaaa")
    recent.put("b", "bbbb")
    recent.put("c", "cc")
    assert [recent.get(k) for k in "abc"] == ["aaaa", "bbbb", "cc"]  # 10 of 10
    recent.get("a")  # used: b is now the least recently used
    recent.put("d", "d")
    assert recent.get("b") is None and len(recent) == 3
    recent.put("a", "a")  # replaced: its old weight no longer counts
    recent.put("e", "eeeee")
    assert [recent.get(k) for k in "acde"] == ["a", "cc", "d", "eeeee"]
    kept = recent.get("e")
    recent.drop("e", "other")  # holds another value: kept
    assert recent.get("e") == kept
    recent.drop("e", kept)
    recent.put("f", "ffffff")  # 1 + 2 + 1 + 6: fits only because e's weight went with it
    assert [recent.get(k) for k in "acdf"] == ["a", "cc", "d", "ffffff"]
    recent.put("g", "g" * 11)  # heavier than the whole limit: not kept, nothing pushed out
    assert recent.get("g") is None
    assert [recent.get(k) for k in "acdf"] == ["a", "cc", "d", "ffffff"]
    recent.put("f", "f" * 11)  # nor kept in place of a lighter one
    assert recent.get("f") is None and len(recent) == 3
    recent.put("h", "hhhhhh")  # the weight f left went with it: nothing else pushed out
    assert [recent.get(k) for k in "acdh"] == ["a", "cc", "d", "hhhhhh"]


def test_a_kept_page_part_weighs_its_key_and_keeping_too() -> None:
    store = split_cache.MemoryStore(text_bytes=10_000)
    for n in range(100):  # tiny parts: their packed bytes alone would let all 100 stay
        store.put_text(f"7:123:f:share:{n}:ru:abcdef", "<p>1</p>")
    kept = [n for n in range(100) if store.text(f"7:123:f:share:{n}:ru:abcdef") is not None]
    assert 0 < len(kept) < 100 and kept == list(range(100 - len(kept), 100))


def test_a_process_keeps_two_parts_of_each_of_a_thousand_members_bills(
        app_ctx: Flask, session: Session, monkeypatch: pytest.MonkeyPatch) -> None:
    """The share page keeps two parts per member (her bill, its text), the
    round page one per page of members. Kept by count (two thousand; with
    Redis, a thousand), a round of a thousand members pushed each out before
    its member came back, and every view made hers anew."""
    monkeypatch.setitem(app_ctx.config, "SPLIT_CACHE_CHECK", False)
    monkeypatch.setitem(app_ctx.extensions, "coop_split_cache", split_cache.MemoryStore())
    w = _open(session)
    session.commit()
    made: list[tuple[int, str]] = []

    def html(member: int, part: str) -> str:  # 50 lines of a bill, some 5 KB
        return f"<table>{part}" + "".join(
            f'<tr><td>Семена {p}</td><td data-label="Сумма">{member * p} сом</td></tr>'
            for p in range(50)) + "</table>"

    with app_ctx.test_request_context():
        for _ in range(2):
            for member in range(1000):
                parts = ("share", "share-text") + (("round-members",) if member % 50 == 0 else ())
                for part in parts:
                    shown = split_cache.fragment(
                        w.rnd, f"{part}:{member}",
                        lambda m=member, p=part: made.append((m, p)) or html(m, p))
                    assert shown == html(member, part)
    assert len(made) == 2020  # each made once: the second time round, all were kept


def test_a_page_waiting_for_another_process_wakes_when_it_tells_news(
        redis_store: split_cache.RedisStore) -> None:
    """A page waiting while another process splits the round looks again as
    soon as that process lets go of the lock, stores the figures or shares its
    live split (Redis publish), not a poll later; with no news it waits out
    its time, and news told before the wait (after it subscribed) wakes it at
    once."""
    elsewhere = split_cache.RedisStore(redis_url(REDIS_DB))
    tellings: list[Callable[[], None]] = [
        lambda: elsewhere.done_computing("9:1"),
        lambda: elsewhere.put_live(9, 2, b"blob"),
    ]
    for tell in tellings:
        waiter = redis_store.waiter()
        try:
            timer = threading.Timer(0.2, tell)
            started = time.monotonic()
            timer.start()
            waiter.wait(5.0)
            took = time.monotonic() - started
            timer.join()
        finally:
            waiter.close()
        assert 0.15 < took < 2.0, took
    waiter = redis_store.waiter()
    try:
        started = time.monotonic()
        waiter.wait(0.3)  # nobody tells anything
        assert time.monotonic() - started >= 0.29
        elsewhere.done_computing("9:1")  # told between a look and the wait
        started = time.monotonic()
        waiter.wait(5.0)
        assert time.monotonic() - started < 2.0
    finally:
        waiter.close()


def test_a_page_of_a_later_token_waits_for_the_one_split_of_the_round(
        app_ctx: Flask, session: Session, redis_store: split_cache.RedisStore,
        monkeypatch: pytest.MonkeyPatch) -> None:
    """Another process is splitting the open round (after a change other than
    an order) when an order comes in: the page that reads the order's token
    does not split the round beside it (its own token's lock would have been
    free); it waits for the one split of the round, takes it when it is shared
    and brings it up to date by the order."""
    w = _open_world(session)
    split_cache.compute(session, w.rnd)  # the other process's split, at this token…
    token, blob = redis_store.live_token(w.rnd.id), redis_store.live(w.rnd.id)
    assert token == w.rnd.change_token and blob
    redis_store._redis.delete(redis_store._live_key(w.rnd.id),
                              redis_store._live_key(w.rnd.id) + ":token")
    _another_process()
    assert redis_store.computing(f"{w.rnd.id}:live")  # …still at it
    _order_more(session, w, 31000)  # an order: the page reads a later token
    assert w.rnd.change_token != token

    def shared() -> None:  # the other process is done
        redis_store.put_live(w.rnd.id, token, blob)
        redis_store.done_computing(f"{w.rnd.id}:live")

    finisher = threading.Timer(0.3, shared)
    full = _full_splits(monkeypatch)
    started = time.monotonic()
    finisher.start()
    bill = split_cache.member_share(session, w.rnd, w.aigul.id)
    finisher.join()
    assert full == [] and time.monotonic() - started >= 0.25  # waited, split nothing
    assert bill == split_cache.compute(session, w.rnd, keep_live=False).members[w.aigul.id]
