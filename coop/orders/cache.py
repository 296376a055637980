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
the others wait for its result instead of computing the same thing. (An open
round's figures are not stored in Redis bill by bill: its live split is, below.)

The pages' parts that are worded and laid out from those figures alone (a
member's bill, the round's product and member tables) are kept the same way,
as HTML, under the same key plus what else they depend on (the language, the
page of members): `fragment()`. An open round's are kept in each process
only, even with Redis: every order replaces its token. A member's share page
shows of the round's figures only her bill, so in an open round it is kept
under her bill's figures (numbered in the process: `_Numbers`; and the token
the process's live split started from, which says the rest of the round)
instead of the token: after another member's order that left her bill as it
was, her page is not made anew.

An open round's split changes with every order. Each process keeps the split
of the last open rounds it computed (coop.orders.live.LiveSplit) and brings it
up to date line by line, from the order changes the database keeps for it
(SplitChange: the lines, the token before and after, written in the order's
transaction): a page meeting a new token reads the changes since the token it
holds, in one query, and applies them in milliseconds instead of splitting the
round anew (a member's first order brings her into the split, her last line
taken away takes her out). Anything else that changed the round (a price, a
cost, the award, a name) breaks that chain, and the round is split anew.

With Redis, the process that splits an open round anew keeps that live split
there (pickled, signed with the app's secret key, under a fingerprint of the
split's code), so that the other processes take it and bring it up to date
from the same chain of order changes instead of each splitting the round anew:
after a change other than an order, one process splits the round, the pages
of the others wait for it once and take it as soon as it is there, and then
all of them go on line by line (`_shared_version`). Its bills are made as
pages ask for them (`_Bills`): a thousand made and stored for a token that the
next order replaces would double the time of the split the pages wait for.
Likewise, after an order the live split works out the bill a page asks for,
for her alone (`SplitOutcome.bill`), and all of them only for a page that
shows them all.

With SPLIT_CACHE_CHECK set (the test suite sets it), every figure and every
fragment read from the cache is compared with a fresh computation: a change
that forgot to renew the token, or a fragment whose key misses something it
depends on, fails the test that met it."""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import io
import itertools
import json
import pickle
import secrets
import threading
import time
import zlib
from collections import OrderedDict
from collections.abc import Callable, Hashable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from itertools import chain
from pathlib import Path as FilePath
from typing import Any, Generic, NoReturn, Protocol, TypeVar

from flask import Flask, current_app, g, request
from flask import session as session_cookie
from flask_wtf.csrf import generate_csrf
from markupsafe import Markup, escape
from sqlalchemy import func, select
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value

from coop.i18n import current_locale
from coop.ledger.forms import new_form_key
from coop.orders import (
    changes,  # noqa: F401  (the tracking that renews the keys)
    facts,
    live,
    split,
)
from coop.orders.live import LiveSplit
from coop.orders.models import Round, SplitChange

_EXTENSION = "coop_split_cache"
_LIVE_EXTENSION = "coop_split_live"
_OPEN_TEXTS_EXTENSION = "coop_split_open_texts"
# the pages' parts a process keeps (packed), of any round without Redis, of
# open rounds with it
TEXT_BYTES = 32 * 1024 * 1024
LIVE_ROUNDS = 4  # open rounds whose split a process keeps up to date
_VERSIONS = 4  # the last splits of each, for pages that read a token just replaced
# at most this many order changes are applied together; more: split anew (as
# many orders can come in while a busy round is split: fewer would make that
# split out of date before it is done, and again the next time)
_CHAIN = 512
T = TypeVar("T")
LIFETIME_SECONDS = 24 * 3600
_LOCK_SECONDS = 60
_POLL_SECONDS = 0.025  # how often a page waiting for another process's split looks
_UNKEPT = "coop_split_unkept"  # g: rounds whose figures this request may not keep
_LIVE_READ = "coop_split_live_read"  # g: round id -> (token, the live version a bill was read of)
# g: round id -> (token, the order changes from it on) as the page's sign-in read them
_SIGNED_IN_CHANGES = "coop_split_signed_in_changes"
# g: (round id, membership id) of the open round's page being made to be kept
# whole in this process, whose parts are not kept apart (kept_page)
_IN_KEPT_PAGE = "coop_split_in_kept_page"
# g: this request's seconds waiting on another's work on a split, splitting a
# round itself, and taking the live split another process shared (fetching,
# unpickling, bringing it up to date: its own work once the wait is over)
_WAITED, _SPLIT, _TAKEN = "coop_split_waited", "coop_split_made", "coop_split_taken"


def _code_fingerprint() -> str:
    """Of the code a shared live split is pickled by: a process of another
    version does not take it (unreadable sources: shared with no process)."""
    digest = hashlib.sha256()
    for module in (split, live):
        try:
            digest.update(FilePath(module.__file__ or "").read_bytes())
        except OSError:
            digest.update(secrets.token_bytes(16))
    return digest.hexdigest()[:16]


LIVE_FINGERPRINT = _code_fingerprint()


@dataclass(frozen=True)
class Computed:
    summary: facts.RoundFacts
    members: Mapping[int, facts.MemberFacts]  # membership id -> her bill
    token: int | None = None  # the round's change token these are the figures of


class _Bills(Mapping[int, facts.MemberFacts]):
    """Each member's bill in a split, made when first asked for: a page needs
    one, and an open round's split is not stored bill by bill."""

    def __init__(self, outcome: split.SplitOutcome) -> None:
        self._outcome = outcome
        self._index = _member_index(outcome.scenario.members)
        self._made: dict[int, facts.MemberFacts] = {}

    def __getitem__(self, membership_id: int) -> facts.MemberFacts:
        found = self._made.get(membership_id)
        if found is None:
            found = facts.member_facts(self._outcome, self._index[membership_id])
            self._made[membership_id] = found
        return found

    def __iter__(self) -> Iterator[int]:
        return iter(self._index)

    def __len__(self) -> int:
        return len(self._index)


# The last members' index made: the live split keeps its members (the same
# tuple) from one order to the next until one joins or leaves, and each
# version of a busy round's split is asked for a bill.
_last_index: tuple[tuple[split.Member, ...], dict[int, int]] | None = None


def _member_index(members: tuple[split.Member, ...]) -> dict[int, int]:
    """Membership id -> her place in the split (never changed once made)."""
    global _last_index
    last = _last_index
    if last is not None and last[0] is members:
        return last[1]
    index = {int(m.id): position for position, m in enumerate(members)}
    _last_index = (members, index)
    return index


class Store(Protocol):
    shared: bool

    def summary(self, key: str) -> facts.RoundFacts | None: ...
    def member(self, key: str, membership_id: int) -> tuple[bool, facts.MemberFacts | None]: ...
    def put(self, key: str, computed: Computed) -> None: ...
    def ready(self, key: str) -> bool: ...
    def computing(self, key: str) -> bool: ...
    def done_computing(self, key: str) -> None: ...
    def text(self, key: str) -> str | None: ...
    def data(self, key: str) -> bytes | None: ...  # the text kept, as UTF-8
    def put_text(self, key: str, text: str) -> None: ...
    def live_token(self, round_id: int) -> int | None: ...
    def live(self, round_id: int) -> bytes | None: ...
    def put_live(self, round_id: int, token: int, blob: bytes) -> None: ...
    def waiter(self) -> _Waiter: ...


class _Waiter:
    """How a page waiting for another process's split waits between looks:
    asleep for the given seconds (one process: nobody else to hear from)."""

    def wait(self, seconds: float) -> None:
        time.sleep(seconds)

    def close(self) -> None:
        pass


class _NewsWaiter(_Waiter):
    """Woken as soon as another process tells news of a split (it stored one,
    shared a live one, or let go of the lock), else after the given seconds:
    a page stops waiting when the split it waits for is there, not up to a
    poll later. Subscribed before the page first looks, so that news told
    between a look and the wait wakes it at once."""

    def __init__(self, connection: Any, channel: str) -> None:
        self._pubsub = connection.pubsub(ignore_subscribe_messages=True)
        try:
            self._pubsub.subscribe(channel)
        except Exception:  # no news: it looks every poll, as before
            self.close()

    def wait(self, seconds: float) -> None:
        if self._pubsub is None:
            time.sleep(seconds)
            return
        try:
            deadline = time.monotonic() + seconds
            while (left := deadline - time.monotonic()) > 0:
                if self._pubsub.get_message(timeout=left) is not None:
                    return  # news: look now
        except Exception:  # a cache must not fail a page: it looks every poll
            self.close()
            time.sleep(max(deadline - time.monotonic(), 0))

    def close(self) -> None:
        """Its connection given back (also when Redis failed it: not left
        held until the page ends)."""
        if self._pubsub is not None:
            with contextlib.suppress(Exception):
                self._pubsub.close()
            self._pubsub = None


class _Recent(Generic[T]):
    """At most `limit` entries, or with `weigh(key, value)`, entries weighing
    at most `limit` together; the least recently used goes first (also the
    worded bill lines of coop/orders/explain.py)."""

    def __init__(self, limit: int, weigh: Callable[[Hashable, T], int] | None = None) -> None:
        self._entries: OrderedDict[Hashable, tuple[T, int]] = OrderedDict()
        self._limit = limit
        self._weigh = weigh
        self._weight = 0
        self._lock = threading.Lock()

    def get(self, key: Hashable) -> T | None:
        with self._lock:
            found = self._entries.get(key)
            if found is None:
                return None
            self._entries.move_to_end(key)
            return found[0]

    def peek(self, key: Hashable) -> T | None:
        """As get(), without counting as a use (what goes first stays first)."""
        with self._lock:
            found = self._entries.get(key)
            return None if found is None else found[0]

    def put(self, key: Hashable, value: T) -> None:
        weight = self._weigh(key, value) if self._weigh else 1
        with self._lock:
            old = self._entries.pop(key, None)
            if old is not None:
                self._weight -= old[1]
            if weight > self._limit:
                return  # it alone is over the limit: kept, it would push out everything
            self._entries[key] = (value, weight)
            self._weight += weight
            while self._weight > self._limit and self._entries:
                self._weight -= self._entries.popitem(last=False)[1][1]

    def drop(self, key: str, value: T) -> None:
        """Forget `key` if it still holds `value` (not one put there since)."""
        with self._lock:
            found = self._entries.get(key)
            if found is not None and found[0] is value:
                del self._entries[key]
                self._weight -= found[1]

    def __len__(self) -> int:
        return len(self._entries)


def _packed_weight(key: Hashable, packed: bytes) -> int:
    """What a kept page part takes in memory: the packed bytes, its key and
    the keeping (the entry, the tuple, the objects' headers), about 300 bytes."""
    return len(packed) + len(str(key)) + 300


class MemoryStore:
    """The last rounds computed and pages' fragments made, in this process."""

    shared = False  # its processes' live splits are their own

    def __init__(self, rounds: int = 32, text_bytes: int = TEXT_BYTES) -> None:
        self._rounds: _Recent[Computed] = _Recent(rounds)
        # pages' parts, packed: a round of a thousand members is a thousand
        # bills (some 40 KB each in memory, 4 KB packed) and each process
        # keeps them all. Kept by count, two per member, they were pushed out
        # before their member came back, and every view made hers anew.
        self._texts: _Recent[bytes] = _Recent(text_bytes, weigh=_packed_weight)

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
        found = self.data(key)
        return None if found is None else found.decode()

    def data(self, key: str) -> bytes | None:
        packed = self._texts.get(key)
        return None if packed is None else zlib.decompress(packed)

    def put_text(self, key: str, text: str) -> None:
        self._texts.put(key, zlib.compress(text.encode(), 1))

    # one process: its live splits are its own (_live_rounds), none to share
    def live_token(self, round_id: int) -> int | None:
        return None

    def live(self, round_id: int) -> bytes | None:
        return None

    def put_live(self, round_id: int, token: int, blob: bytes) -> None:
        pass

    def waiter(self) -> _Waiter:
        return _Waiter()


class RedisStore:
    """Shared by every process: `<key>:ok` is written last, so its presence
    says that the summary and every member's bill are there."""

    shared = True  # a live split is shared with the other processes

    def __init__(self, url: str, prefix: str = "coop:split:") -> None:
        import redis

        self._redis = redis.Redis.from_url(url, socket_timeout=5)
        self._prefix = prefix
        self._news = prefix + "news"  # told when a split is stored, shared or let go of

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
        pipe.publish(self._news, b"stored")
        pipe.execute()

    def ready(self, key: str) -> bool:
        return bool(self._redis.exists(self._prefix + key + ":ok"))

    def computing(self, key: str) -> bool:
        """True: this process computes; False: another one is at it."""
        return bool(self._redis.set(self._prefix + key + ":lock", b"1", nx=True,
                                    ex=_LOCK_SECONDS))

    def done_computing(self, key: str) -> None:
        pipe = self._redis.pipeline(transaction=False)
        pipe.delete(self._prefix + key + ":lock")
        pipe.publish(self._news, b"free")
        pipe.execute()

    def waiter(self) -> _Waiter:
        return _NewsWaiter(self._redis, self._news)

    def text(self, key: str) -> str | None:
        found = self.data(key)
        return found.decode() if found is not None else None

    def data(self, key: str) -> bytes | None:
        found: bytes | None = self._redis.get(self._prefix + key)
        return found

    def put_text(self, key: str, text: str) -> None:
        self._redis.set(self._prefix + key, text.encode(), ex=LIFETIME_SECONDS)

    def _live_key(self, round_id: int) -> str:
        return f"{self._prefix}live:{LIVE_FINGERPRINT}:{round_id}"

    def live_token(self, round_id: int) -> int | None:
        """The change token of the round's last shared live split (a few bytes:
        asked before the split itself, which is near a megabyte)."""
        found = self._redis.get(self._live_key(round_id) + ":token")
        return int(found) if found is not None else None

    def live(self, round_id: int) -> bytes | None:
        return self._redis.get(self._live_key(round_id))

    def put_live(self, round_id: int, token: int, blob: bytes) -> None:
        key = self._live_key(round_id)
        pipe = self._redis.pipeline(transaction=True)  # the two keys agree
        pipe.set(key, blob, ex=LIFETIME_SECONDS)
        pipe.set(key + ":token", str(token).encode(), ex=LIFETIME_SECONDS)
        pipe.publish(self._news, b"shared")
        pipe.execute()


@dataclass
class _Version:
    """The split of a round at one change token, and its figures as asked for."""

    outcome: split.SplitOutcome
    # the token of the split this version was brought up to date from, by
    # orders alone: whatever else the round's pages show is as it was then
    origin: int
    summary: facts.RoundFacts | None = None
    bills: _Bills | None = None
    bill_keys: dict[int, str] = field(default_factory=dict)  # membership id -> bill_key()

    def round_facts(self) -> facts.RoundFacts:
        if self.summary is None:
            self.summary = facts.round_facts(self.outcome)
        return self.summary

    def member_facts(self, membership_id: int) -> facts.MemberFacts | None:
        if self.bills is None:
            self.bills = _Bills(self.outcome)
        return self.bills.get(membership_id)

    def bill_key(self, membership_id: int) -> str:
        """A key that says the round's state as at `origin` and her bill's
        figures in this version, whichever version: the same in the next one
        if its order did not change them (`fragment`)."""
        found = self.bill_keys.get(membership_id)
        if found is None:
            number = _BILLS_SEEN.number(self.member_facts(membership_id))
            found = self.bill_keys[membership_id] = f"o{self.origin}:b{number}"
        return found


class _Numbers:
    """A number for each distinct value (compared whole, as a dict key), the
    same while it is remembered: the last `limit` values. One forgotten gets
    a new number if it comes again; no number is ever given to two values.
    This process's own: what is kept under such a number is kept here too."""

    def __init__(self, limit: int) -> None:
        self._limit = limit
        self._numbers: OrderedDict[Hashable, int] = OrderedDict()
        self._next = itertools.count(1)
        self._lock = threading.Lock()

    def number(self, value: Hashable) -> int:
        with self._lock:
            found = self._numbers.get(value)
            if found is None:
                found = self._numbers[value] = next(self._next)
                if len(self._numbers) > self._limit:
                    self._numbers.popitem(last=False)
            else:
                self._numbers.move_to_end(value)
            return found


# Her bill's figures, numbered: a page kept under her bill (fragment(bill_of=...))
# is kept under its number. A number instead of a digest of the figures' JSON,
# which took as long as working out her bill: the figures are hashed and
# compared as records. (Such pages are kept in this process only: fragment().)
# The last 1,024 bills seen: a bill of 50 lines holds about 10 KB, and a bill
# forgotten only costs its page made anew.
_BILLS_SEEN = _Numbers(1024)


Path = list[tuple[int, list[list[int]]]]  # (token, [[membership, item, quantity, tolerance]])


class _LiveRound:
    """An open round's split in this process, brought up to date line by line."""

    def __init__(self, token: int, live_split: LiveSplit) -> None:
        outcome = live_split.outcome
        scenario = outcome.scenario
        self.live = live_split
        self.items = {int(p.id): i for i, p in enumerate(scenario.products)}
        self.unit = 10 ** (3 - scenario.qty_decimals)  # thousandths per quantity unit
        self.token = token
        self.versions: OrderedDict[int, _Version] = OrderedDict()
        # a token passed over by an advance -> the later token it was applied with
        self.passed: OrderedDict[int, int] = OrderedDict()
        self.origin = token  # every later version is this one's, moved by orders alone
        self._keep(token, outcome)
        self.lock = threading.Lock()

    def _keep(self, token: int, outcome: split.SplitOutcome) -> None:
        self.token = token
        self.versions[token] = _Version(outcome, self.origin)
        while len(self.versions) > _VERSIONS:
            self.versions.popitem(last=False)

    def later(self, token: int) -> int | None:
        """The token of the kept split that an advance applied `token`'s order
        with (a later one); None if `token` was not passed over, or long ago."""
        found = self.passed.get(token)
        return found if found in self.versions else None

    def newcomers(self, path: Path) -> set[int]:
        """The members who order in `path` and are not in the split yet."""
        return {line[0] for _, lines in path for line in lines
                if not self.live.has_member(str(line[0]))}

    def advance(self, path: Path, names: dict[int, str]) -> bool:
        """Apply the order changes of `path` (`names`: of the members who
        join) and keep the split of its last token. A line is a member's whole
        ask of a product, so the changes are applied together, each line as
        its last change left it: the rules over the members run once, however
        many orders came in since this process last looked. The tokens in
        between get no split of their own: a page of another thread that read
        one of them (and no sync worker's page can) is shown the later split,
        as a page whose round is split while orders come in is. False if a
        line cannot be applied line by line (a product not in the round, a
        quantity finer than the split's unit, a scenario the split refuses):
        then this is no longer the round's split, and the caller drops it."""
        known = {str(membership_id): name for membership_id, name in names.items()}
        last = path[-1][0]
        lines: dict[tuple[str, int], tuple[int, int]] = {}
        for _, changed in path:
            for membership_id, item_id, quantity, tolerance in changed:
                product = self.items.get(item_id)
                if product is None or quantity % self.unit or tolerance % self.unit:
                    return False
                lines[str(membership_id), product] = (quantity // self.unit,
                                                      tolerance // self.unit)
        try:
            with split.collector_paused():  # as in a full split: no cycles to find
                outcome = self.live.change_asks(
                    [(member, product, *ask) for (member, product), ask in lines.items()],
                    known, int)
        except (split.ScenarioError, KeyError):
            return False
        self._keep(last, outcome)
        for token, _ in path[:-1]:
            self.passed[token] = last
        while len(self.passed) > _CHAIN * _VERSIONS:
            self.passed.popitem(last=False)
        return True


def init_app(app: Flask) -> None:
    url = app.config.get("REDIS_URL")
    app.extensions[_EXTENSION] = RedisStore(url) if url else MemoryStore()
    app.extensions[_LIVE_EXTENSION] = _Recent[_LiveRound](LIVE_ROUNDS)
    app.extensions[_OPEN_TEXTS_EXTENSION] = MemoryStore(rounds=0)


def _store() -> Store:
    return current_app.extensions[_EXTENSION]


def _shares_live(store: Store, rnd: Round) -> bool:
    """With Redis, an open round is shared as its live split (`_share`), and
    neither its bills nor its pages' parts are stored there: every order
    replaces its token."""
    return store.shared and rnd.state == "open"


def _key(rnd: Round) -> str:
    return f"{rnd.id}:{rnd.change_token}"


def compute(session: Session, rnd: Round, *, keep_live: bool = True) -> Computed:
    """The round's figures from a full split; an open round's split is kept
    (`keep_live`) to be brought up to date line by line.

    Orders may come in while a large round is read (each statement sees what
    was committed before it): the figures are those of the change token the
    order lines were read at, if only orders came in meanwhile (so that its
    prices, costs and names were the same all along); else their token is
    None, and they are neither kept nor stored."""
    from coop.orders.services import compute_split, load_round

    since = load_round(session, rnd).change_token  # rnd itself, read again
    round_split = compute_split(session, rnd)
    outcome = round_split.outcome
    token = _token_read(session, rnd, since, round_split.lines_token)
    with split.collector_paused():  # a thousand bills' records: no cycles among them
        if keep_live and token is not None and rnd.state == "open":
            entry = _LiveRound(token, LiveSplit(outcome.scenario, outcome))
            _live_rounds().put(str(rnd.id), entry)
            _share(rnd, token, entry.live)
        return Computed(summary=facts.round_facts(outcome), members=_Bills(outcome),
                        token=token)


def _token_read(session: Session, rnd: Round, since: int, lines_token: int | None
                ) -> int | None:
    """The change token of a split whose order lines were read at `lines_token`
    and whose other inputs were read from token `since` on; None if something
    other than an order changed the round meanwhile."""
    token = since if lines_token is None else lines_token
    now = session.scalar(select(Round.change_token).where(Round.id == rnd.id))
    if now == since:
        return token
    path = _order_path(session, rnd.id, since, now)
    if path is None or token not in {since, *(t for t, _ in path)}:
        return None
    return token


def forget_live_splits() -> None:
    """Drop this process's live splits (the test suite does, after emptying
    the database: round ids may be given again, and meeting an old round's
    split would cost a query to find it is not this round's)."""
    current_app.extensions[_LIVE_EXTENSION] = _Recent[_LiveRound](LIVE_ROUNDS)


def _live_rounds() -> _Recent[_LiveRound]:
    return current_app.extensions[_LIVE_EXTENSION]


def _live_version(session: Session, rnd: Round) -> _Version | None:
    """The open round's split at its token from this process's live split,
    brought up to date if need be, else from the one another process shared;
    None if there is none to bring."""
    if rnd.state != "open":
        return None
    entry = _live_rounds().get(str(rnd.id))
    if entry is not None:
        asked = time.perf_counter()
        with entry.lock:
            _timed(_WAITED, asked)  # another thread bringing it up to date
            version = _brought_up(session, rnd, entry)
        if version is not None:
            return version
    return _shared_version(session, rnd, have=entry.token if entry is not None else None)


def _timed(name: str, since: float) -> None:
    """Add the time since `since` to this request's `name` (split_timings)."""
    taken = time.perf_counter() - since
    if taken > 0.0001:  # (an uncontended lock is no wait worth telling)
        g.setdefault(name, []).append(taken)


def split_timings() -> tuple[float, float, float]:
    """This request's seconds waiting on another's work on a round's split
    (another process splitting it anew, another thread bringing the live split
    up to date), splitting a round itself, and taking the split another
    process shared: a waiting page's wait is to be within one split
    (bench/coop_app.py tells them in a Server-Timing header)."""
    return sum(g.get(_WAITED, ())), sum(g.get(_SPLIT, ())), sum(g.get(_TAKEN, ()))


def _brought_up(session: Session, rnd: Round, entry: _LiveRound) -> _Version | None:
    """`entry`'s split at the page's token (holding `entry.lock`); None if it
    cannot be brought there."""
    token = rnd.change_token
    found = entry.versions.get(token)
    if found is not None:
        return found
    later = entry.later(token)
    if later is not None:  # its order was applied together with later ones
        set_committed_value(rnd, "change_token", later)  # its fragments are the later's
        return entry.versions[later]
    path = _order_path(session, rnd.id, entry.token, token)
    if path is None:  # another change, or this page reads an older token
        return None
    if not _advanced(session, entry, path):
        _live_rounds().drop(str(rnd.id), entry)
        return None
    return entry.versions.get(token)


def _advanced(session: Session, entry: _LiveRound, path: Path) -> bool:
    newcomers = entry.newcomers(path)
    if newcomers:
        from coop.orders.services import member_names

        names = member_names(session, newcomers)
    else:
        names = {}
    return entry.advance(path, names)


def _share(rnd: Round, token: int, live_split: LiveSplit) -> None:
    """Keep the round's live split at `token` where the other processes find it."""
    store = _store()
    if _shares_live(store, rnd):
        pickled = pickle.dumps(live_split, protocol=pickle.HIGHEST_PROTOCOL)
        store.put_live(rnd.id, token, b"%d:" % token + _signature(token, pickled) + pickled)


def _signature(token: int, pickled: bytes) -> bytes:
    secret = current_app.config["SECRET_KEY"]
    key = hmac.digest(secret.encode() if isinstance(secret, str) else secret,
                      b"coop.orders.cache: a shared live split", "sha256")
    return hmac.digest(key, b"%d:" % token + pickled, "sha256")


def _unpacked(blob: bytes | None, token: int) -> LiveSplit | None:
    """The live split in `blob` if it is that of `token` and signed with this
    app's key (nothing else is unpickled); None if not."""
    if blob is None:
        return None
    head, _, rest = blob.partition(b":")
    if head != b"%d" % token:  # shared anew meanwhile
        return None
    signature, pickled = rest[:32], rest[32:]
    if not hmac.compare_digest(signature, _signature(token, pickled)):
        current_app.logger.warning("a shared live split with a wrong signature was ignored")
        return None
    try:
        with split.collector_paused():
            found = _SplitUnpickler(io.BytesIO(pickled)).load()  # signed by this app
    except Exception:  # a cache: whatever is wrong with it, the round is split anew
        current_app.logger.warning("a shared live split was ignored", exc_info=True)
        return None
    return found if isinstance(found, LiveSplit) else None


class _SplitUnpickler(pickle.Unpickler):
    """Makes nothing but a live split's own parts, even of a signed pickle."""

    def find_class(self, module: str, name: str) -> Any:
        if module in {split.__name__, live.__name__} or (module, name) == (
                "fractions", "Fraction"):
            return super().find_class(module, name)
        raise pickle.UnpicklingError(f"{module}.{name} is not part of a live split")


def _shared_version(session: Session, rnd: Round, have: int | None) -> _Version | None:
    """The open round's split at its token from the live split another process
    shared (with Redis), brought up to date line by line; None if there is
    none, or none this page's token is reached from by orders alone, or it is
    the one this process holds (`have`). A page that read a token before the
    shared split's, with only orders between, is shown the shared one, as a
    page whose round is split while orders come in is."""
    store = _store()
    if not _shares_live(store, rnd):
        return None
    token = store.live_token(rnd.id)
    if token is None or token == have:
        return None
    page = rnd.change_token
    path = [] if token == page else _order_path(session, rnd.id, token, page)
    if path is None and _order_path(session, rnd.id, page, token) is None:
        return None  # something other than an order changed the round between them
    taking = time.perf_counter()
    try:
        live_split = _unpacked(store.live(rnd.id), token)
        if live_split is None:
            return None
        entry = _LiveRound(token, live_split)
        if path and not _advanced(session, entry, path):
            return None
    finally:
        _timed(_TAKEN, taking)
    _live_rounds().put(str(rnd.id), entry)
    if path is None:
        set_committed_value(rnd, "change_token", token)  # its fragments are the shared's
    return entry.versions[entry.token]


def live_token(round_id: int) -> int | None:
    """The token this process's live split of the round is at, if it holds
    one: the sign-in of a page that reads the split reads the order changes
    since it with the round, in its one statement (coop.groups.access)."""
    entry = _live_rounds().peek(str(round_id))  # (a look: not a use that keeps it)
    return entry.token if entry is not None else None


def signed_in_changes(round_id: int, since: int, rows: list[tuple[int, int, str]]) -> None:
    """The sign-in read these order changes (previous token, token, lines),
    from the one made at `since` on: _order_path takes them instead of asking."""
    g.setdefault(_SIGNED_IN_CHANGES, {})[round_id] = (since, rows)


def _order_path(session: Session, round_id: int, since: int, until: int) -> Path | None:
    """The order changes from token `since` to token `until`, oldest first;
    None if something else changed the round meanwhile (or too much). Reads
    only the changes from `since` on: one or two on a busy evening's page,
    read by the page's sign-in with the round when it could (signed_in_changes)."""
    if since == until:
        return []
    read = g.get(_SIGNED_IN_CHANGES, {}).pop(round_id, None)
    if read is not None and read[0] == since:
        path = _path_of(read[1], since, until)
        if path is not None:
            return path
    first = select(func.min(SplitChange.id)).where(
        SplitChange.round_id == round_id, SplitChange.previous_token == since).scalar_subquery()
    rows = session.execute(
        select(SplitChange.previous_token, SplitChange.token, SplitChange.lines)
        .where(SplitChange.round_id == round_id, SplitChange.id >= first)
        .order_by(SplitChange.id).limit(_CHAIN)).all()
    return _path_of(rows, since, until)


def _path_of(rows: Iterable[tuple[int, int, str]], since: int, until: int) -> Path | None:
    after = {previous: (token, lines) for previous, token, lines in rows}
    path, token = [], since
    while token != until:
        if token not in after:
            return None
        token, lines = after.pop(token)
        path.append((token, json.loads(lines)))
    return path


def _fill(session: Session, rnd: Round, key: str) -> Computed | _Version | None:
    """Compute and keep the round's figures. If another process is computing
    them: None once it has stored them (read them from the store), or, an open
    round's, the live split it shared, brought up to date (its figures may be
    of a later token: orders came in meanwhile)."""
    store = _store()
    sharing = _shares_live(store, rnd)
    # An open round shared live is split by one process at a time whatever
    # token its pages read: orders come in while it is split, and a page of a
    # later token takes the shared split and brings it up to date, rather than
    # splitting the round beside it (each split then took twice as long, and
    # its pages waited on two). Figures kept by token are locked by token.
    lock = f"{rnd.id}:live" if sharing else key
    # a split is timed from its ask for the lock, before a page refused it
    # starts its wait: the two compared (bench/http.py) from the same moment
    splitting = time.perf_counter()
    if not store.computing(lock):
        waiter = store.waiter()
        waiting: float | None = time.perf_counter()
        try:
            shared = store.live_token(rnd.id) if sharing else None
            deadline = time.monotonic() + _LOCK_SECONDS
            while time.monotonic() < deadline:
                waiter.wait(_POLL_SECONDS)
                if store.ready(key):
                    return None
                if sharing and (now := store.live_token(rnd.id)) != shared:
                    shared = now  # shared anew: taken without waiting for the lock
                    # the wait is over when the split is there: taking it (timed
                    # apart, _TAKEN) is this page's own work, as a split would be
                    _timed(_WAITED, waiting)
                    waiting = None
                    version = _live_version(session, rnd)
                    if version is None and _read_again(session, rnd):
                        # this page read the round before a change other than an
                        # order that the shared split is past: a split of its own
                        # would read the round again and split it as it is now
                        # (compute), which is what was shared, one split earlier
                        version = _live_version(session, rnd)
                    if version is not None:
                        return version
                    waiting = time.perf_counter()  # not one for this page: waits on
                # done, but kept under another token (orders came in meanwhile) or
                # under none: this process computes its own
                if store.computing(lock):
                    break
        finally:
            waiter.close()
            if waiting is not None:
                _timed(_WAITED, waiting)
        splitting = time.perf_counter()  # the lock had: from now
    try:
        return _computed(session, rnd)
    finally:
        store.done_computing(lock)
        _timed(_SPLIT, splitting)


def _read_again(session: Session, rnd: Round) -> bool:
    """Read the round's row again into `rnd` (its token and state as they are
    now); True if its token moved since the page read it."""
    token = rnd.change_token
    session.execute(select(Round).where(Round.id == rnd.id)
                    .execution_options(populate_existing=True)).scalar_one()
    return rnd.change_token != token


def _computed(session: Session, rnd: Round) -> Computed:
    """The round's figures from a full split, kept under their own token, which
    the page then shows them as (orders may have come in since it read the
    round): its fragments are those of the same figures."""
    computed = compute(session, rnd)
    if computed.token is None:
        g.setdefault(_UNKEPT, set()).add(rnd.id)
        return computed
    set_committed_value(rnd, "change_token", computed.token)
    store = _store()
    # an open round shared: the others take the live split compute() shared (a
    # thousand bills made and written for a token that the next order replaces
    # would double the time of the split that every page waits for)
    if not _shares_live(store, rnd):
        store.put(_key(rnd), computed)
    return computed


def round_summary(session: Session, rnd: Round) -> facts.RoundFacts:
    """The round's products, totals and one row per member, as the split has them."""
    version = _live_version(session, rnd)
    if version is None:
        key = _key(rnd)
        found = _store().summary(key)
        if found is not None:
            _check(session, rnd, lambda c: c.summary == found)
            return found
        figures = _fill(session, rnd, key)
        if not isinstance(figures, _Version):
            found = figures.summary if figures else _store().summary(key)
            return found if found is not None else _computed(session, rnd).summary
        version = figures
    live = version.round_facts()
    _check(session, rnd, lambda c: c.summary == live, live=True)
    return live


def member_share(session: Session, rnd: Round, membership_id: int
                 ) -> facts.MemberFacts | None:
    """Her bill in the round's split; None if she has nothing in it."""
    version = _live_version(session, rnd)
    if version is None:
        key = _key(rnd)
        hit, found = _store().member(key, membership_id)
        if hit:
            _check(session, rnd, lambda c: c.members.get(membership_id) == found)
            return found
        figures = _fill(session, rnd, key)
        if not isinstance(figures, _Version):
            if figures is None:
                hit, found = _store().member(key, membership_id)
                if not hit:  # gone again already (evicted): compute it here
                    figures = _computed(session, rnd)
            if figures:
                found = figures.members.get(membership_id)
            # the split just made is kept live: its pages keyed as those after the next order
            entry = _live_rounds().get(str(rnd.id)) if rnd.state == "open" else None
            if entry is not None and rnd.change_token in entry.versions:
                _read_live(rnd, rnd.change_token, entry.versions[rnd.change_token])
            return found
        version = figures
    live = version.member_facts(membership_id)
    token = rnd.change_token  # (the check below reads the round again: it may be later then)
    _check(session, rnd, lambda c: c.members.get(membership_id) == live, live=True)
    _read_live(rnd, token, version)
    return live


def _read_live(rnd: Round, token: int, version: _Version) -> None:
    """This page read her bill of `version`, the live split at `token`:
    its parts are kept under her bill (`fragment(bill_of=...)`)."""
    g.setdefault(_LIVE_READ, {})[rnd.id] = (token, version)


def code_digest() -> str:
    """A digest of the code that makes the HTML (templates, Python, compiled
    translations, and the static files whose versioned addresses a kept page
    names), made once per process: a fragment kept in Redis by the release
    before is not served by one that words or lays it out anew."""
    global _CODE_DIGEST
    if _CODE_DIGEST is None:
        root = FilePath(__file__).resolve().parent.parent
        digest = hashlib.sha256()
        for path in sorted(root.rglob("*")):
            if path.suffix in (".py", ".html", ".mo", ".css", ".js", ".png", ".svg") \
                    and path.is_file():
                digest.update(path.relative_to(root).as_posix().encode())
                digest.update(path.read_bytes())
        _CODE_DIGEST = digest.hexdigest()[:12]
    return _CODE_DIGEST


_CODE_DIGEST: str | None = None


def fragment(rnd: Round, name: str, render: Callable[[], str], *,
             bill_of: int | None = None) -> Markup:
    """The HTML `render()` makes of the round's cached figures, kept under the
    round's key, `name`, the language and the code's digest: `name` must say
    whatever else the HTML depends on (whose bill, which page; the currency
    and the round's state are covered by the round's key).

    `bill_of`: the HTML shows of the round's figures only this member's bill,
    as `member_share` read it. In an open round, whose every order replaces
    the token, it is then kept under the bill's figures instead of the token
    (with the token the live split started from, which says the rest of the
    round: an order changes nothing else): another member's order that left
    her bill as it was does not make the page anew."""
    kept = _fragment_store(rnd, name, bill_of)
    if kept is None:  # figures of no one token, or a part of a page kept whole
        return Markup(render())
    return Markup(_kept_text(*kept, render, "its name"))


def _fragment_store(rnd: Round, name: str, bill_of: int | None) -> tuple[Store, str] | None:
    """Where fragment() keeps its HTML: the store and the key (None: nowhere)."""
    if rnd.id in g.get(_UNKEPT, ()):  # figures of no one token
        return None
    if bill_of is not None and g.get(_IN_KEPT_PAGE) == (rnd.id, bill_of):
        return None  # kept in the page (kept_page)
    round_key = _key(rnd)
    read = g.get(_LIVE_READ, {}).get(rnd.id) if bill_of is not None else None
    by_bill = read is not None and read[0] == rnd.change_token
    if by_bill:
        round_key = f"{rnd.id}:{read[1].bill_key(bill_of)}"  # (a number of this process's)
    key = f"{round_key}:f:{name}:{current_locale()}:{code_digest()}"
    store = _store()
    if by_bill or _shares_live(store, rnd):
        # an open round's pages' parts are worth keeping only a moment: in this
        # process, not in Redis (there a busy round's bills piled up, 35 KB a
        # view, for a day); and a bill's number is this process's own
        store = current_app.extensions[_OPEN_TEXTS_EXTENSION]
    return store, key


def _kept_text(store: Store, key: str, render: Callable[[], str], named_by: str) -> str:
    """What `store` keeps under `key`, else `render()`, kept there. With
    SPLIT_CACHE_CHECK, what was kept is compared with a fresh `render()`: a
    key that misses something the text depends on (what `named_by` says)
    fails the test that met it."""
    found = store.text(key)
    if found is None:
        found = str(render())
        store.put_text(key, found)
    elif current_app.config.get("SPLIT_CACHE_CHECK") and str(render()) != found:
        _differs(key, named_by)
    return found


def _kept_data(store: Store, key: str, render: Callable[[], str], named_by: str) -> bytes:
    """As _kept_text(), as UTF-8: a whole page goes out as it was kept, not
    read into a string and written out again (some 30 µs of a 30 KB page)."""
    found = store.data(key)
    if found is None:
        text = str(render())
        store.put_text(key, text)
        return text.encode()
    if current_app.config.get("SPLIT_CACHE_CHECK") and str(render()).encode() != found:
        _differs(key, named_by)
    return found


def _differs(key: str, named_by: str) -> NoReturn:
    raise AssertionError(f"the cached fragment {key} differs from a fresh one: "
                         f"{named_by} misses something the HTML depends on")


# What a kept page carries where the request's CSRF token goes, and where the
# key of a form that moves money goes (coop.ledger.forms.OnceForm: each view
# gets a new one): markup, so that no text a person typed (a name, a title),
# escaped where a page shows it, can ever read the same, and the same in every
# process (a page kept in Redis is served by them all). It is put in as markup
# and replaced where it stands as a form field's value.
CSRF_PLACEHOLDER = Markup("<coop-csrf-token/>")
FORM_KEY_PLACEHOLDER = Markup("<coop-form-key/>")
_CSRF_VALUE = f'value="{CSRF_PLACEHOLDER}"'.encode()
_FORM_KEY_VALUE = f'value="{FORM_KEY_PLACEHOLDER}"'.encode()


def kept_page(rnd: Round, name: str, shown: tuple[Any, ...],
              render: Callable[..., str], *, bill_of: int | None = None,
              parts: Mapping[str, Callable[[], str]] | None = None) -> bytes:
    """A whole page of the round, kept as fragment() keeps a part, under the
    round's key, `name`, a digest of `shown`, the language and the code's
    digest: `shown` must hold whatever else the page depends on (who is signed
    in and her name, the group's name, the address, the balance shown...).
    `render(csrf, form_key)`
    makes it with `csrf` as the value of its forms' CSRF token fields and
    `form_key` as the key of its form that moves money, if it has one; on the
    way out, the token of this request is put in, and a new key in each such
    form. Made afresh and kept nowhere: a page with a message waiting to be
    shown (a flash), and an address with a query (none of these pages reads
    one, and each would be kept apart). `bill_of`: as `fragment()`'s.

    `parts` (name -> what makes the part: HTML as Markup, or text to be
    escaped): the parts of the page that show the round's figures, each kept
    by its maker as `fragment()` keeps it. The page is kept whole as without
    them, and also the page around them, under the round's id and state and
    `shown` alone, not under its figures: it must show nothing else of the
    round. After an order that changed her bill, only the bill is made anew
    and put into the page around it. `render(csrf, form_key, parts)` gets
    each part, or a placeholder where it goes."""
    if "_flashes" in session_cookie or request.query_string:
        if parts is None:
            return str(render(generate_csrf(), new_form_key())).encode()
        return str(render(generate_csrf(), new_form_key(),
                          {part: make() for part, make in parts.items()})).encode()
    digest = hashlib.sha256(repr(shown).encode()).hexdigest()[:32]
    if parts is None:
        def whole() -> str:
            return str(render(CSRF_PLACEHOLDER, FORM_KEY_PLACEHOLDER))
    else:
        slots = {part: Markup(f"<coop-part-{part}/>") for part in parts}

        def whole() -> str:  # the page kept around its parts, with them put in
            page = _kept_around(rnd, f"page:{name}:{digest}", lambda: str(
                render(CSRF_PLACEHOLDER, FORM_KEY_PLACEHOLDER, slots)))
            for part, make in parts.items():
                page = page.replace(slots[part], escape(make()), 1)
            return page

    kept = _fragment_store(rnd, f"page:{name}:{digest}", bill_of)
    if kept is None:
        page = str(whole()).encode()
    else:
        # An open round's page, kept whole in this process (under her bill, or
        # the token with Redis): its parts are not kept apart as well. Kept
        # apart, they would serve only a page of the same figures whose `shown`
        # changed (her balance), while each new bill, every order's on a busy
        # evening, cost two more packings and twice the memory.
        if parts is not None and kept[0] is current_app.extensions[_OPEN_TEXTS_EXTENSION]:
            g.setdefault(_IN_KEPT_PAGE, (rnd.id, bill_of))
        try:
            page = _kept_data(*kept, whole, "its name")
        finally:
            g.pop(_IN_KEPT_PAGE, None)
    page = page.replace(_CSRF_VALUE, f'value="{generate_csrf()}"'.encode())
    pieces = page.split(_FORM_KEY_VALUE)
    return b"".join(chain.from_iterable(
        (piece, f'value="{new_form_key()}"'.encode()) for piece in pieces[:-1])) + pieces[-1]


def _kept_around(rnd: Round, name: str, render: Callable[[], str]) -> str:
    """The page around a round's figures (`kept_page(parts=...)`), kept in
    this process under the round's id and state, `name`, the language and
    the code's digest: not under its change token, which every order replaces."""
    key = f"{rnd.id}:{rnd.state}:around:{name}:{current_locale()}:{code_digest()}"
    return _kept_text(current_app.extensions[_OPEN_TEXTS_EXTENSION], key, render,
                      "`shown` (kept_page)")


def _check(session: Session, rnd: Round, same: Callable[[Computed], bool], *,
           live: bool = False) -> None:
    if not current_app.config.get("SPLIT_CACHE_CHECK") or same(
            compute(session, rnd, keep_live=False)):
        return
    if live:
        raise AssertionError(
            f"the split cache of round {rnd.id} is stale: brought up to date line by line, "
            "it differs from a full split (a change that did not renew the token or record "
            "its lines, coop/orders/changes.py; or coop/orders/live.py)")
    raise AssertionError(
            f"the split cache of round {rnd.id} is stale: a change to what its split is "
            "made of did not renew rounds.change_token (coop/orders/changes.py)")
