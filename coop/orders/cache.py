"""A round's split, computed once per change of the round.

Splitting a round of 1,000 members x 50 products takes a fraction of a second;
its pages are viewed far more often than it changes. The figures the pages show
(coop.orders.facts) are kept under the round's id and its `change_token`, which
every change to the split's inputs replaces (coop/orders/changes.py): a page
reads the token with the round, so it never meets figures older than the data.

Where they are kept: with `COOP_REDIS_URL`, in Redis, as JSON, shared by every
app process and machine (one key for the round's summary, one per member, so
that a member's page reads only her own bill); without it, in this process's
memory, for the one-machine default. While one process computes a round,
the others wait for its result instead of computing the same thing.

The pages' parts that are worded and laid out from those figures alone (a
member's bill, the round's product and member tables) are kept the same way,
as HTML, under the same key plus what else they depend on (the language, the
page of members): `fragment()`.

With SPLIT_CACHE_CHECK set (the test suite sets it), every figure and every
fragment read from the cache is compared with a fresh computation: a change
that forgot to renew the token, or a fragment whose key misses something it
depends on, fails the test that met it."""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from typing import Generic, Protocol, TypeVar

from flask import Flask, current_app
from markupsafe import Markup
from sqlalchemy.orm import Session

from coop.i18n import current_locale
from coop.orders import (
    changes,  # noqa: F401  (the tracking that renews the keys)
    facts,
)
from coop.orders.models import Round

_EXTENSION = "coop_split_cache"
T = TypeVar("T")
LIFETIME_SECONDS = 24 * 3600
_LOCK_SECONDS = 60


@dataclass(frozen=True)
class Computed:
    summary: facts.RoundFacts
    members: dict[int, facts.MemberFacts]  # membership id -> her bill


class Store(Protocol):
    def summary(self, key: str) -> facts.RoundFacts | None: ...
    def member(self, key: str, membership_id: int) -> tuple[bool, facts.MemberFacts | None]: ...
    def put(self, key: str, computed: Computed) -> None: ...
    def ready(self, key: str) -> bool: ...
    def computing(self, key: str) -> bool: ...
    def done_computing(self, key: str) -> None: ...
    def text(self, key: str) -> str | None: ...
    def put_text(self, key: str, text: str) -> None: ...


class _Recent(Generic[T]):
    """At most `limit` entries; the least recently used goes first."""

    def __init__(self, limit: int) -> None:
        self._entries: OrderedDict[str, T] = OrderedDict()
        self._limit = limit
        self._lock = threading.Lock()

    def get(self, key: str) -> T | None:
        with self._lock:
            found = self._entries.get(key)
            if found is not None:
                self._entries.move_to_end(key)
            return found

    def put(self, key: str, value: T) -> None:
        with self._lock:
            self._entries[key] = value
            self._entries.move_to_end(key)
            while len(self._entries) > self._limit:
                self._entries.popitem(last=False)


class MemoryStore:
    """The last rounds computed and pages' fragments made, in this process."""

    def __init__(self, rounds: int = 32, texts: int = 2000) -> None:
        self._rounds: _Recent[Computed] = _Recent(rounds)
        self._texts: _Recent[str] = _Recent(texts)

    def summary(self, key: str) -> facts.RoundFacts | None:
        entry = self._rounds.get(key)
        return entry.summary if entry else None

    def member(self, key: str, membership_id: int) -> tuple[bool, facts.MemberFacts | None]:
        entry = self._rounds.get(key)
        return (False, None) if entry is None else (True, entry.members.get(membership_id))

    def put(self, key: str, computed: Computed) -> None:
        self._rounds.put(key, computed)

    def ready(self, key: str) -> bool:
        return self._rounds.get(key) is not None

    def computing(self, key: str) -> bool:
        return True  # one process: nobody else to wait for

    def done_computing(self, key: str) -> None:
        pass

    def text(self, key: str) -> str | None:
        return self._texts.get(key)

    def put_text(self, key: str, text: str) -> None:
        self._texts.put(key, text)


class RedisStore:
    """Shared by every process: `<key>:ok` is written last, so its presence
    says that the summary and every member's bill are there."""

    def __init__(self, url: str, prefix: str = "coop:split:") -> None:
        import redis

        self._redis = redis.Redis.from_url(url, socket_timeout=5)
        self._prefix = prefix

    def summary(self, key: str) -> facts.RoundFacts | None:
        ok, text = self._redis.mget(self._prefix + key + ":ok", self._prefix + key + ":summary")
        return facts.RoundFacts.from_json(text) if ok and text else None

    def member(self, key: str, membership_id: int) -> tuple[bool, facts.MemberFacts | None]:
        ok, text = self._redis.mget(self._prefix + key + ":ok",
                                    f"{self._prefix}{key}:m:{membership_id}")
        if not ok:
            return False, None
        return True, facts.MemberFacts.from_json(text) if text else None

    def put(self, key: str, computed: Computed) -> None:
        base = self._prefix + key
        pipe = self._redis.pipeline(transaction=False)
        # the parts outlive the marker, so that the marker never points at nothing
        pipe.set(base + ":summary", computed.summary.to_json(), ex=LIFETIME_SECONDS + 60)
        for membership_id, member in computed.members.items():
            pipe.set(f"{base}:m:{membership_id}", member.to_json(), ex=LIFETIME_SECONDS + 60)
        pipe.set(base + ":ok", b"1", ex=LIFETIME_SECONDS)
        pipe.execute()

    def ready(self, key: str) -> bool:
        return bool(self._redis.exists(self._prefix + key + ":ok"))

    def computing(self, key: str) -> bool:
        """True: this process computes; False: another one is at it."""
        return bool(self._redis.set(self._prefix + key + ":lock", b"1", nx=True,
                                    ex=_LOCK_SECONDS))

    def done_computing(self, key: str) -> None:
        self._redis.delete(self._prefix + key + ":lock")

    def text(self, key: str) -> str | None:
        found = self._redis.get(self._prefix + key)
        return found.decode() if found is not None else None

    def put_text(self, key: str, text: str) -> None:
        self._redis.set(self._prefix + key, text.encode(), ex=LIFETIME_SECONDS)


def init_app(app: Flask) -> None:
    url = app.config.get("REDIS_URL")
    app.extensions[_EXTENSION] = RedisStore(url) if url else MemoryStore()


def _store() -> Store:
    return current_app.extensions[_EXTENSION]


def _key(rnd: Round) -> str:
    return f"{rnd.id}:{rnd.change_token}"


def compute(session: Session, rnd: Round) -> Computed:
    from coop.orders.services import compute_split, load_round

    outcome = compute_split(session, load_round(session, rnd)).outcome
    return Computed(summary=facts.round_facts(outcome),
                    members={int(m.id): facts.member_facts(outcome, m.index)
                             for m in outcome.members})


def _fill(session: Session, rnd: Round, key: str) -> Computed | None:
    """Compute and keep the round's figures; None if another process was
    computing them and has kept them meanwhile (read them from the store)."""
    store = _store()
    if not store.computing(key):
        deadline = time.monotonic() + _LOCK_SECONDS
        while time.monotonic() < deadline:
            time.sleep(0.05)
            if store.ready(key):
                return None
    try:
        computed = compute(session, rnd)
        store.put(key, computed)
    finally:
        store.done_computing(key)
    return computed


def round_summary(session: Session, rnd: Round) -> facts.RoundFacts:
    """The round's products, totals and one row per member, as the split has them."""
    key = _key(rnd)
    found = _store().summary(key)
    if found is not None:
        _check(session, rnd, lambda c: c.summary == found)
        return found
    computed = _fill(session, rnd, key)
    found = computed.summary if computed else _store().summary(key)
    return found if found is not None else compute(session, rnd).summary


def member_share(session: Session, rnd: Round, membership_id: int
                 ) -> facts.MemberFacts | None:
    """Her bill in the round's split; None if she has nothing in it."""
    key = _key(rnd)
    hit, found = _store().member(key, membership_id)
    if hit:
        _check(session, rnd, lambda c: c.members.get(membership_id) == found)
        return found
    computed = _fill(session, rnd, key)
    if computed is None:
        hit, found = _store().member(key, membership_id)
        if not hit:  # gone again already (evicted): compute it here
            computed = compute(session, rnd)
    return computed.members.get(membership_id) if computed else found


def fragment(rnd: Round, name: str, render: Callable[[], str]) -> Markup:
    """The HTML `render()` makes of the round's cached figures, kept under the
    round's key, `name` and the language: `name` must say whatever else the
    HTML depends on (whose bill, which page; the currency and the round's
    state are covered by the round's key)."""
    key = f"{_key(rnd)}:f:{name}:{current_locale()}"
    store = _store()
    found = store.text(key)
    if found is None:
        found = str(render())
        store.put_text(key, found)
    elif current_app.config.get("SPLIT_CACHE_CHECK") and str(render()) != found:
        raise AssertionError(f"the cached fragment {key} differs from a fresh one: its "
                             "name misses something the HTML depends on")
    return Markup(found)


def _check(session: Session, rnd: Round, same: Callable[[Computed], bool]) -> None:
    if current_app.config.get("SPLIT_CACHE_CHECK") and not same(compute(session, rnd)):
        raise AssertionError(
            f"the split cache of round {rnd.id} is stale: a change to what its split is "
            "made of did not renew rounds.change_token (coop/orders/changes.py)")
