"""Supplier quotes: links, revisions, counter-offers, the comparison on the
pooled demand, and the award. Functions take the session first, flush, never
commit, and raise DomainError with a message for people."""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select
from sqlalchemy.orm import Session, selectinload

from coop import money, unit_text
from coop.auth.models import User
from coop.db import utcnow
from coop.errors import DomainError
from coop.orders import domain as rounds
from coop.orders import services as orders
from coop.orders import split
from coop.orders.models import COST_RULES, CreditNote, Round, RoundItem
from coop.payables.domain import RoundPosition
from coop.quantities import price_str, qty_str
from coop.quotes import domain
from coop.quotes.models import (
    CounterOffer,
    CounterOfferLine,
    Quote,
    QuoteAward,
    QuoteLine,
    QuoteRevision,
    QuoteTier,
)
from coop.suppliers.models import Supplier

# Waiting for an offer, offered, declined; after the award: awarded, not selected.
WAITING, OFFERED, DECLINED = "waiting", "offered", "declined"
AWARDED, NOT_SELECTED, CANCELLED = "awarded", "not_selected", "cancelled"
STATUS_NAMES = {
    WAITING: _l("waiting for an offer"), OFFERED: _l("offered"), DECLINED: _l("declined"),
    AWARDED: _l("awarded"), NOT_SELECTED: _l("not selected"), CANCELLED: _l("cancelled"),
}
# After the award every supplier can read the outcome on her link for this long.
OUTCOME_LINK_DAYS = 30
MAX_TOKEN_LENGTH = 100


class LinkNotFound(DomainError):
    status = 404


class LinkGone(DomainError):
    status = 410


class OfferError(DomainError):
    """An offer breaks rules; `errors` lists every (field, message)."""

    def __init__(self, errors: Sequence[tuple[str, Any]]) -> None:
        super().__init__(errors[0][1], field=errors[0][0])
        self.errors = list(errors)


# --------------------------------------------------------------------------
# Links
# --------------------------------------------------------------------------


def _hash_token(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


def _issue_link(quote: Quote, days: int) -> str:
    """A fresh random token for the quote; the one before stops working."""
    for message in domain.check_link_days(days):
        raise DomainError(message, field="days")
    raw = secrets.token_urlsafe(32)
    quote.token_hash = _hash_token(raw)
    quote.link_expires_at = utcnow() + timedelta(days=days)
    quote.link_revoked_at = None
    return raw


def list_quotes(session: Session, rnd: Round) -> list[Quote]:
    return list(session.scalars(
        select(Quote).where(Quote.round_id == rnd.id).order_by(Quote.id)
        .options(selectinload(Quote.supplier),
                 selectinload(Quote.revisions).selectinload(QuoteRevision.lines)
                 .selectinload(QuoteLine.tiers),
                 selectinload(Quote.counter_offers).selectinload(CounterOffer.lines),
                 selectinload(Quote.awards))))


def get_quote(session: Session, rnd: Round, quote_id: int) -> Quote | None:
    quote = session.get(Quote, quote_id)
    return quote if quote is not None and quote.round_id == rnd.id else None


def request_quotes(session: Session, rnd: Round, actor: User, *, supplier_ids: Sequence[int],
                   new_supplier: Mapping[str, str] | None = None,
                   days: int = domain.DEFAULT_LINK_DAYS) -> list[tuple[Quote, str]]:
    """Ask suppliers of the group (and maybe one added on the spot) for prices:
    a link per supplier, returned with its raw token (shown once, never kept).
    The first request moves the round from closed to quoting. A supplier asked
    again gets a new link; her earlier one stops working."""
    if rnd.state not in (rounds.CLOSED, rounds.QUOTING):
        raise DomainError(_l("Ask for quotes once the round is closed for orders, "
                             "and before it is awarded."))
    for message in domain.check_link_days(days):
        raise DomainError(message, field="days")
    if not orders.has_requests(session, rnd):
        raise DomainError(_l("Nobody has ordered anything in this round."))
    wanted = list(dict.fromkeys(supplier_ids))
    # in the order she chose them (the links page lists them so; the
    # database returns them in an order of its own)
    suppliers = sorted(session.scalars(select(Supplier).where(
        Supplier.id.in_(wanted), Supplier.group_id == rnd.group_id)),
        key=lambda s: wanted.index(s.id)) if wanted else []
    if len(suppliers) != len(wanted):
        raise DomainError(_l("This supplier is not one of the group's."), field="suppliers")
    if new_supplier and (new_supplier.get("name") or "").strip():
        from coop.suppliers import services as supplier_services

        suppliers.append(supplier_services.create_supplier(
            session, rnd.group, name=new_supplier["name"],
            phone=new_supplier.get("phone") or "",
            language=new_supplier.get("language") or rnd.group.language))
    if not suppliers:
        raise DomainError(_l("Choose at least one supplier, or add one."), field="suppliers")
    existing = {q.supplier_id: q for q in session.scalars(
        select(Quote).where(Quote.round_id == rnd.id))}
    links = []
    for supplier in suppliers:
        quote = existing.get(supplier.id)
        if quote is None:
            quote = Quote(round_id=rnd.id, supplier=supplier, created_by_id=actor.id)
            session.add(quote)
        links.append((quote, _issue_link(quote, days)))
    if rnd.state == rounds.CLOSED:
        orders.move_round(session, rnd, actor, rounds.QUOTING)
    session.flush()
    return links


def new_link(session: Session, quote: Quote, days: int = domain.DEFAULT_LINK_DAYS) -> str:
    if quote.round.state == rounds.CANCELLED:
        raise DomainError(_l("The round is cancelled."))
    raw = _issue_link(quote, days)
    session.flush()
    return raw


def revoke_link(session: Session, quote: Quote) -> None:
    if quote.link_revoked_at is None:
        quote.link_revoked_at = utcnow()
    session.flush()


def link_matches(quote: Quote, raw: str) -> bool:
    """Is `raw` the quote's current link (not one it replaced)?"""
    return secrets.compare_digest(quote.token_hash, _hash_token(raw))


def link_state(quote: Quote, now: datetime | None = None) -> str:
    if quote.link_revoked_at is not None:
        return "revoked"
    if quote.link_expires_at < (now or utcnow()):
        return "expired"
    return "active"


def open_quote(session: Session, raw: str, now: datetime | None = None) -> Quote:
    """The quote a link opens: 404 for a link that never was (or was replaced),
    410 for a withdrawn or expired one."""
    if not raw or len(raw) > MAX_TOKEN_LENGTH:
        raise LinkNotFound(_l("This link is not valid. Check that it was copied whole, "
                              "or ask the group for a new one."))
    quote = session.scalar(select(Quote).where(Quote.token_hash == _hash_token(raw)))
    if quote is None:
        raise LinkNotFound(_l("This link is not valid. Check that it was copied whole, "
                              "or ask the group for a new one."))
    state = link_state(quote, now)
    if state == "revoked":
        raise LinkGone(_l("The group has withdrawn this link. Ask them for a new one."))
    if state == "expired":
        raise LinkGone(_l("This link has expired. Ask the group for a new one."))
    return quote


# --------------------------------------------------------------------------
# The supplier's offers
# --------------------------------------------------------------------------


def quote_status(quote: Quote) -> str:
    if quote.awards:
        return AWARDED
    state = quote.round.state
    if state == rounds.CANCELLED:
        return CANCELLED
    if state in (rounds.AWARDED, rounds.RECEIVED, rounds.SETTLED):
        return NOT_SELECTED
    latest = quote.latest
    if latest is None:
        return WAITING
    return DECLINED if latest.declined else OFFERED


def can_answer(quote: Quote) -> bool:
    return quote.round.state == rounds.QUOTING and not quote.awards


def _lock_quote(session: Session, quote: Quote) -> int:
    """Lock the quote row (two submissions at once get numbers one after the
    other) and return the next revision number."""
    session.execute(select(Quote.id).where(Quote.id == quote.id).with_for_update())
    session.refresh(quote.round, ["state"])
    last = session.scalar(select(func.max(QuoteRevision.number))
                          .where(QuoteRevision.quote_id == quote.id))
    return int(last or 0) + 1


class OfferAlreadyReceived(DomainError):
    """The offer sent is one the group has already: the same form sent again
    (a double click, or Back and send), or the same offer as her latest with
    no counter-offer since. Nothing new is recorded; `revision` is the one
    that has it."""

    status = 409

    def __init__(self, revision: QuoteRevision) -> None:
        super().__init__(_l("Your offer is already received (version %(n)d). Nothing new "
                            "was sent.", n=revision.number))
        self.revision = revision


class OfferKeyTaken(DomainError):
    """The key sent with an offer made a revision that says something else:
    an API client's Idempotency-Key (the header it names) stands for one
    offer; the offer form, changed after it was sent once, makes a new
    version instead. Nothing is recorded."""

    def __init__(self, revision: QuoteRevision) -> None:
        super().__init__(_l("This Idempotency-Key was sent with another offer. Send a new "
                            "key for a new offer."), field="Idempotency-Key")
        self.revision = revision


def _line_terms(item_id: int, line: Any) -> tuple[Any, ...]:
    """What one line of an offer or of a revision says, in one shape."""
    if not line.available:
        return (item_id, False, None, None, None, ())
    return (item_id, True, line.pack_size, line.max_quantity, line.article_code or None,
            tuple(sorted((t.min_qty, t.unit_price) for t in line.tiers)))


def _offer_terms(offer: domain.OfferInput) -> tuple[Any, ...]:
    """What an offer says, in a form to compare with a revision's."""
    lines = tuple(sorted(_line_terms(item_id, line) for item_id, line in offer.lines.items()))
    return (offer.delivery_fee, offer.lead_time_days, offer.valid_until, offer.note.strip(),
            lines)


def _revision_terms(revision: QuoteRevision) -> tuple[Any, ...] | None:
    if revision.declined:
        return None
    lines = tuple(sorted(_line_terms(line.round_item_id, line) for line in revision.lines))
    return (revision.delivery_fee, revision.lead_time_days, revision.valid_until,
            revision.note, lines)


def revision_by_key(session: Session, quote: Quote, key: str | None) -> QuoteRevision | None:
    """The revision an earlier sending of the same form made, if any."""
    if not key:
        return None
    return session.scalar(select(QuoteRevision).where(QuoteRevision.quote_id == quote.id,
                                                      QuoteRevision.idempotency_key == key))


def offer_by_key(session: Session, quote: Quote, offer: domain.OfferInput,
                 key: str | None) -> QuoteRevision | None:
    """The revision this key made, when it has this very offer; None when the
    key made none; OfferKeyTaken when it made one with another offer."""
    earlier = revision_by_key(session, quote, key)
    if earlier is None:
        return None
    if _revision_terms(earlier) != _offer_terms(offer):
        raise OfferKeyTaken(earlier)
    return earlier


def already_received(session: Session, quote: Quote, offer: domain.OfferInput,
                     idempotency_key: str | None = None) -> QuoteRevision | None:
    """The revision that already has this offer, if any: the one the same form
    made (sent again unchanged), or her latest when it says the same and no
    counter-offer came since (the same prices sent after a counter-offer are
    her answer to it: a new version)."""
    terms = _offer_terms(offer)
    earlier = revision_by_key(session, quote, idempotency_key)
    if earlier is not None and _revision_terms(earlier) == terms:
        return earlier
    latest = _latest_revision(session, quote)
    if latest is None or _revision_terms(latest) != terms or _countered_since(session, latest):
        return None
    return latest


def _latest_revision(session: Session, quote: Quote) -> QuoteRevision | None:
    """Her latest revision as the database has it now (after the lock)."""
    return session.scalar(select(QuoteRevision).where(QuoteRevision.quote_id == quote.id)
                          .order_by(QuoteRevision.number.desc()).limit(1))


def _countered_since(session: Session, revision: QuoteRevision) -> bool:
    """Has the group sent a counter-offer since this revision?"""
    return session.scalar(select(CounterOffer.id).where(
        CounterOffer.quote_id == revision.quote_id,
        CounterOffer.created_at >= revision.created_at).limit(1)) is not None


def offer_errors(quote: Quote, offer: domain.OfferInput, today: date) -> domain.FieldErrors:
    """Every rule the offer breaks, as (field, message); empty when it is fine."""
    granularities = {item.id: item.product.granularity for item in quote.round.items}
    return domain.check_offer(offer, granularities, today)


def submit_revision(session: Session, quote: Quote, offer: domain.OfferInput, *,
                    today: date, idempotency_key: str | None = None,
                    one_offer_per_key: bool = False) -> QuoteRevision:
    """A new revision of the supplier's offer; the earlier ones stay as they were.

    An offer the group already has (`already_received`) records nothing and
    raises OfferAlreadyReceived. The quote row is locked first, so of two
    identical sendings at the same moment the second finds the first's. With
    `one_offer_per_key` (the API), a key that made a revision with another
    offer is refused (OfferKeyTaken), whatever came since."""
    key = (idempotency_key or "").strip()[:64] or None
    number = _lock_quote(session, quote)
    if one_offer_per_key:
        keyed = offer_by_key(session, quote, offer, key)
        if keyed is not None:
            raise OfferAlreadyReceived(keyed)
    earlier = already_received(session, quote, offer, key)
    if earlier is not None:
        raise OfferAlreadyReceived(earlier)
    if not can_answer(quote):
        raise DomainError(_l("This purchase no longer takes offers."))
    errors = offer_errors(quote, offer, today)
    if errors:
        raise OfferError(errors)
    if revision_by_key(session, quote, key) is not None:
        key = None  # her form changed after it was sent once: a new version, keyless
    revision = QuoteRevision(
        quote=quote, number=number, declined=False, delivery_fee=offer.delivery_fee,
        lead_time_days=offer.lead_time_days, valid_until=offer.valid_until,
        note=offer.note.strip(), idempotency_key=key)
    for item_id, line in sorted(offer.lines.items()):
        if line.available:
            revision.lines.append(QuoteLine(
                round_item_id=item_id, available=True, pack_size=line.pack_size,
                max_quantity=line.max_quantity, article_code=line.article_code or None,
                tiers=[QuoteTier(min_qty=t.min_qty, unit_price=t.unit_price)
                       for t in line.tiers]))
        else:
            revision.lines.append(QuoteLine(round_item_id=item_id, available=False))
    session.add(revision)
    session.flush()
    return revision


def decline_quote(session: Session, quote: Quote, reason: str) -> QuoteRevision:
    """The supplier says no (a revision too: she may still send an offer later).
    The same answer sent again (a double click, Back) is the one she sent."""
    number = _lock_quote(session, quote)
    if not can_answer(quote):
        raise DomainError(_l("This purchase no longer takes offers."))
    reason = (reason or "").strip()
    if len(reason) > domain.MAX_NOTE:
        raise DomainError(_l("This is too long (at most %(n)d characters).",
                             n=domain.MAX_NOTE), field="reason")
    latest = _latest_revision(session, quote)
    if latest is not None and latest.declined and latest.note == reason \
            and not _countered_since(session, latest):
        return latest
    revision = QuoteRevision(quote=quote, number=number, declined=True, note=reason)
    session.add(revision)
    session.flush()
    return revision


def send_counter_offer(session: Session, quote: Quote, actor: User, *, message: str,
                       targets: Mapping[int, int]) -> CounterOffer:
    """Target unit prices (millionths) for some products, and a message."""
    session.refresh(quote.round, ["state"])
    if not can_answer(quote):
        raise DomainError(_l("Counter-offers are for a round that is asking for quotes."))
    if quote.latest is None:
        raise DomainError(_l("The supplier has not sent an offer yet."))
    message = (message or "").strip()
    if len(message) > domain.MAX_MESSAGE:
        raise DomainError(_l("This is too long (at most %(n)d characters).",
                             n=domain.MAX_MESSAGE), field="message")
    item_ids = {item.id for item in quote.round.items}
    for item_id, price in targets.items():
        if item_id not in item_ids:
            raise DomainError(_l("This product is not in the round."))
        if price < 0:
            raise DomainError(_l("A price cannot be negative."), field=f"target_{item_id}")
    if not message and not targets:
        raise DomainError(_l("Give a target price or a message."), field="message")
    counter = CounterOffer(quote=quote, message=message, created_by_id=actor.id,
                           lines=[CounterOfferLine(round_item_id=item_id, target_price=price)
                                  for item_id, price in sorted(targets.items())])
    session.add(counter)
    session.flush()
    return counter


@dataclass(frozen=True)
class HistoryEntry:
    at: datetime
    kind: str  # "revision" or "counter"
    revision: QuoteRevision | None = None
    counter: CounterOffer | None = None


def quote_history(quote: Quote) -> list[HistoryEntry]:
    """Revisions and counter-offers interleaved by time, oldest first."""
    entries = [HistoryEntry(r.created_at, "revision", revision=r) for r in quote.revisions]
    entries += [HistoryEntry(c.created_at, "counter", counter=c) for c in quote.counter_offers]
    return sorted(entries, key=lambda e: (e.at, e.kind == "revision"))


def latest_counter(quote: Quote) -> CounterOffer | None:
    """The counter-offer the supplier has not answered yet, if any."""
    if not quote.counter_offers:
        return None
    counter = quote.counter_offers[-1]
    latest = quote.latest
    if latest is not None and latest.created_at > counter.created_at:
        return None
    return counter


def offer_of(revision: QuoteRevision, quote_id: int) -> domain.Offer:
    lines = {line.round_item_id: domain.LineInput(
        available=line.available, pack_size=line.pack_size,
        tiers=tuple(domain.Tier(t.min_qty, t.unit_price) for t in line.tiers),
        max_quantity=line.max_quantity, article_code=line.article_code or "")
        for line in revision.lines}
    return domain.Offer(key=quote_id, lines=lines, delivery_fee=revision.delivery_fee,
                        valid_until=revision.valid_until, declined=revision.declined)


# --------------------------------------------------------------------------
# The comparison
# --------------------------------------------------------------------------


@dataclass
class MemberRow:
    membership_id: int
    name: str
    current: int  # her total at the catalog's list prices, before any award
    totals: dict[int, int]  # quote id -> her total under that quote alone
    plans: dict[str, int] = field(default_factory=dict)  # plan name -> her total
    # the columns (quote ids, plan names) with her lowest total among the
    # group's real choices: the ★ on the comparison page and in its PDF
    cheapest: frozenset[int | str] = frozenset()


# The award plans the comparison shows beside the single offers (their member
# totals under `MemberRow.plans` and `QuoteComparison.plans_total`).
CHEAPEST, CHEAPEST_LINES, AWARDED = "cheapest", "lines", "awarded"


@dataclass
class QuoteComparison:
    rnd: Round
    currency: str
    needs: dict[int, domain.Need]
    quotes: list[Quote]  # every quote of the round, in the order asked
    compared: list[Quote]  # those with a revision, in the comparison's order
    comparison: domain.Comparison
    members: list[MemberRow] = field(default_factory=list)
    members_total: dict[int, int] = field(default_factory=dict)  # quote id -> all members
    current_total: int = 0  # all members, at the catalog's list prices
    plans_total: dict[str, int] = field(default_factory=dict)  # plan name -> all members
    engine_errors: dict[int, str] = field(default_factory=dict)
    fee_rule: str = "weight"
    awarded: dict[int, int] = field(default_factory=dict)  # item id -> quote id, if awarded
    # goods have arrived (a delivery recorded, or confirmed): "as awarded" is
    # then what members would pay for what was ordered, no longer the round's bills
    after_delivery: bool = False

    def quote(self, key: int) -> Quote:
        return next(q for q in self.quotes if q.id == key)

    @property
    def award(self) -> Any:
        return self.comparison.award

    @property
    def member_columns(self) -> list[domain.OfferCost]:
        """The offers with a column of member totals, in the comparison's order."""
        return [o for o in self.comparison.offers
                if not o.declined and o.key in self.members_total]

    @property
    def plan_columns(self) -> list[str]:
        """The award plans shown after the offers; each product at its cheapest
        line only when it is not the cheapest award itself."""
        award = self.comparison.award
        return [name for name in (CHEAPEST, CHEAPEST_LINES, AWARDED)
                if name in self.plans_total and not (
                    name == CHEAPEST_LINES and award is not None
                    and self.same_plan(award.cheapest, award.cheapest_lines))]

    def caveats(self, key: int) -> tuple[str, ...]:
        """Why the quote's member totals are no choice the group has
        (domain.INCOMPLETE, domain.EXPIRED); empty when they are one."""
        cost = self.comparison.offer(key)
        return domain.member_caveats(cost) if cost is not None else ()

    def caveat_notes(self, key: int) -> list[Any]:
        """The caveats worded short, for next to each of the quote's figures."""
        return [domain.CAVEAT_NOTES[caveat] for caveat in self.caveats(key)]

    def caveats_explained(self, key: int) -> list[Any]:
        """The caveats worded in full, for above the quote's column."""
        return [domain.CAVEAT_EXPLAINED[caveat] for caveat in self.caveats(key)]

    def describe(self, choice: Mapping[int, int]) -> str:
        """"Supplier: product, product; Supplier: product": who gets what in a plan."""
        names = {item.id: item.product.name for item in self.rnd.items}
        by_quote: dict[int, list[str]] = {}
        for item_id, key in choice.items():
            by_quote.setdefault(key, []).append(names[item_id])
        return "; ".join(f"{self.quote(key).supplier.name}: {', '.join(products)}"
                         for key, products in by_quote.items())

    def infeasible_names(self) -> str:
        award = self.comparison.award
        names = {item.id: item.product.name for item in self.rnd.items}
        return ", ".join(names[i] for i in (award.infeasible if award else ()))

    def same_plan(self, first: Any, second: Any) -> bool:
        return first is not None and second is not None and first.choice == second.choice


def round_needs(session: Session, rnd: Round) -> dict[int, domain.Need]:
    demand = orders.round_demand(session, rnd)
    return {item.id: domain.Need(item.id, *demand.get(item.id, (0, 0))) for item in rnd.items}


def plan_scenario(base: dict[str, Any], rnd: Round,
                  parts: Sequence[tuple[Quote, domain.Offer, Sequence[int]]],
                  fee_rule: str = "weight") -> dict[str, Any]:
    """The round's split scenario (`base`, left as it is) with, for each part
    (a quote, its offer, the round items it gets), that quote's pack sizes and
    tiers, and its delivery fee as a cost of its goods; the other products keep
    the base's terms (the catalog's list prices)."""
    scenario = {**base, "products": [dict(entry) for entry in base["products"]],
                "shared_costs": list(base["shared_costs"])}
    entries = {int(entry["id"]): entry for entry in scenario["products"]}
    for quote, offer, item_ids in parts:
        for item_id in item_ids:
            line = offer.lines[item_id]
            entry = entries[item_id]
            entry["supplier"] = str(quote.supplier_id)
            entry["pack_size"] = qty_str(line.pack_size or 0)
            entry["price_tiers"] = [
                {"min_qty": qty_str(t.min_qty), "unit_price": price_str(t.unit_price)}
                for t in line.tiers]
        if offer.delivery_fee and item_ids and not offer.declined:
            scenario["shared_costs"].append({
                "name": str(_l("Delivery by %(name)s", name=quote.supplier.name)),
                "amount": money.to_string(offer.delivery_fee, rnd.group.currency),
                "rule": fee_rule, "supplier": str(quote.supplier_id)})
    return scenario


def quote_scenario(base: dict[str, Any], rnd: Round, quote: Quote, cost: domain.OfferCost,
                   offer: domain.Offer, fee_rule: str = "weight") -> dict[str, Any]:
    """The scenario with everything the quote can deliver bought on it."""
    items = [item_id for item_id in offer.lines if cost.lines.get(item_id)
             and cost.lines[item_id].deliverable]
    return plan_scenario(base, rnd, [(quote, offer, items)], fee_rule)


def catalog_scenario(session: Session, rnd: Round, requests: list[orders.RequestLine]
                     ) -> dict[str, Any]:
    """The round's scenario on the catalog's terms, as before any award: the
    products at their list prices and pack sizes, without the delivery fees an
    award added. The comparison starts from it, so that an award never changes
    a quote's figures."""
    scenario = orders.build_scenario(session, rnd, requests)
    for item, entry in zip(rnd.items, scenario["products"], strict=True):
        product = item.product
        entry["supplier"] = str(product.supplier_id)
        entry["pack_size"] = qty_str(product.pack_size)
        entry["price_tiers"] = [{"min_qty": qty_str(t.min_qty),
                                 "unit_price": price_str(t.unit_price)}
                                for t in product.price_tiers]
    from_award = {index for index, cost in enumerate(rnd.shared_costs)
                  if cost.quote_id is not None}
    scenario["shared_costs"] = [entry for index, entry in enumerate(scenario["shared_costs"])
                                if index not in from_award]
    return scenario


def compare_quotes(session: Session, rnd: Round, *, today: date,
                   fee_rule: str = "weight") -> QuoteComparison:
    """Every quote's latest revision on the round's demand, the cheapest
    award, and every member's total under each, by the split engine itself."""
    quotes = list_quotes(session, rnd)
    compared = [q for q in quotes if q.latest is not None]
    needs = round_needs(session, rnd)
    offers = [offer_of(q.latest, q.id) for q in compared]  # type: ignore[arg-type]
    currency = rnd.group.currency
    comparison = domain.compare(list(needs.values()), offers, currency, today)
    result = QuoteComparison(rnd=rnd, currency=currency, needs=needs, quotes=quotes,
                             compared=compared, comparison=comparison, fee_rule=fee_rule,
                             awarded={a.round_item_id: a.quote_id
                                      for q in quotes for a in q.awards})
    _member_totals(session, result, offers)
    return result


def _run(scenario: dict[str, Any]) -> split.SplitOutcome:
    return split.run(split.parse_scenario(scenario))


def _member_totals(session: Session, result: QuoteComparison,
                   offers: list[domain.Offer]) -> None:
    rnd = result.rnd
    requests = orders.round_requests(session, rnd)
    if not requests:
        return
    base_scenario = catalog_scenario(session, rnd, requests)
    try:
        base = _run(base_scenario)
    except split.ScenarioError:
        return  # the round page says why; the comparison above still stands
    members = base.scenario.members
    rows = [MemberRow(int(m.id), m.name, base.members[i].total, {})
            for i, m in enumerate(members)]
    result.current_total = base.totals.members_total
    for quote, offer, cost in zip(result.compared, offers, result.comparison.offers,
                                  strict=True):
        if cost.declined:
            continue
        scenario = quote_scenario(base_scenario, rnd, quote, cost, offer, result.fee_rule)
        try:
            outcome = _run(scenario)
        except split.ScenarioError as exc:
            # a sentence, not the engine's English JSON path
            result.engine_errors[quote.id] = str(orders.unsplittable(scenario, exc))
            continue
        for row, member in zip(rows, outcome.members, strict=True):
            row.totals[quote.id] = member.total
        result.members_total[quote.id] = outcome.totals.members_total
    award = result.comparison.award
    by_key = {quote.id: (quote, offer) for quote, offer in zip(result.compared, offers,
                                                              strict=True)}
    plans = {CHEAPEST: award.cheapest if award else None,
             CHEAPEST_LINES: award.cheapest_lines if award else None}
    for name, plan in plans.items():
        if plan is None:
            continue
        parts = [(by_key[key][0], by_key[key][1],
                  [item for item, k in plan.choice.items() if k == key])
                 for key in dict.fromkeys(plan.choice.values()) if key in by_key]
        try:
            outcome = _run(plan_scenario(base_scenario, rnd, parts, result.fee_rule))
        except split.ScenarioError:
            continue
        for row, member in zip(rows, outcome.members, strict=True):
            row.plans[name] = member.total
        result.plans_total[name] = outcome.totals.members_total
    if rnd.state in (rounds.AWARDED, rounds.RECEIVED, rounds.SETTLED):
        _awarded_totals(session, rnd, result, rows)
    result.members = rows
    _mark_cheapest(result)


def _mark_cheapest(result: QuoteComparison) -> None:
    """Each member's ★, the one rule for the page and the PDF: her lowest total
    among the group's real choices, an offer that covers everything and can
    be awarded, or an award plan. Never the catalog list prices (nobody can
    award them), nor an incomplete offer (what it lacks counted at list
    price, without delivery) or an expired one."""
    choices: list[int | str] = [o.key for o in result.member_columns
                                if domain.is_member_choice(o)]
    choices += result.plan_columns
    for row in result.members:
        totals: dict[int | str, int] = {**row.totals, **row.plans}
        row.cheapest = domain.lowest_choices(totals, choices)


def _awarded_totals(session: Session, rnd: Round, result: QuoteComparison,
                    rows: list[MemberRow]) -> None:
    """What members pay on the round's terms as awarded for what they
    ordered: the round page's figures until goods arrive (after that, the
    round page counts what arrived, and `after_delivery` says so)."""
    result.after_delivery = orders.goods_arrived(session, rnd)
    try:
        awarded = orders.compute_split(session, rnd, as_ordered=True)
    except DomainError:
        return
    totals = {int(m.id): awarded.outcome.members[i].total
              for i, m in enumerate(awarded.outcome.scenario.members)}
    for row in rows:
        if row.membership_id in totals:
            row.plans[AWARDED] = totals[row.membership_id]
    result.plans_total[AWARDED] = awarded.outcome.totals.members_total


# --------------------------------------------------------------------------
# The award
# --------------------------------------------------------------------------

LIST_PRICE = None  # an assignment: buy the item at the catalog's list price


def _check_awardable(quote: Quote, item: RoundItem, need: domain.Need, currency: str,
                     today: date) -> domain.LineInput:
    name = quote.supplier.name
    latest = quote.latest
    if latest is None:
        raise DomainError(_l("%(supplier)s has not sent an offer.", supplier=name))
    if latest.declined:
        raise DomainError(_l("%(supplier)s declined.", supplier=name))
    if domain.is_expired(latest.valid_until, today):
        raise DomainError(_l("The offer of %(supplier)s has expired; ask for a new one.",
                             supplier=name))
    line = offer_of(latest, quote.id).lines.get(item.id)
    cost = domain.line_cost(need, line, currency)
    if cost.status == domain.TOO_LITTLE:
        raise DomainError(_l("%(supplier)s cannot deliver %(qty)s of %(product)s.",
                             supplier=name, qty=unit_text.quantity(cost.ordered,
                                                                   item.product.unit),
                             product=item.product.name))
    if not cost.deliverable or line is None:
        raise DomainError(_l("%(supplier)s does not offer %(product)s.", supplier=name,
                             product=item.product.name))
    # the step may have changed in the catalog since she quoted: a pack off it
    # would be frozen into a round that can then no longer be split
    pack = line.pack_size or item.product.pack_size  # as `award_quotes` freezes it
    if domain.check_pack_size(pack, item.product.granularity):
        raise DomainError(_l(
            "%(supplier)s offers %(product)s in packs of %(pack)s, which is not a multiple "
            "of the product's step, %(step)s: ask her for a new offer, or set the step back "
            "in the catalog.", supplier=name, product=item.product.name,
            pack=unit_text.quantity(pack, item.product.unit),
            step=unit_text.quantity(item.product.granularity, item.product.unit)))
    return line


PlanRow = tuple[RoundItem, "Quote | None", "domain.LineInput | None"]


def _plan_award(session: Session, rnd: Round, assignments: Mapping[int, int | None], *,
                today: date, cost_rule: str) -> list[PlanRow]:
    """Check an award ({round item id: quote id, or None for the catalog's list
    price}) without changing anything: each product with its quote and line."""
    at_list = all(quote_id is None for quote_id in assignments.values())
    if not (rnd.state == rounds.QUOTING or (rnd.state == rounds.CLOSED and at_list)):
        raise DomainError(_l("Only a round that is asking for quotes can be awarded on "
                             "quotes."))
    if cost_rule not in COST_RULES:
        raise DomainError(_l("Unknown rule."), field="rule")
    if not orders.has_requests(session, rnd):
        raise DomainError(_l("Nobody has ordered anything in this round."))
    quotes = {q.id: q for q in list_quotes(session, rnd)}
    needs = round_needs(session, rnd)
    currency = rnd.group.currency
    plan: list[PlanRow] = []
    for item in rnd.items:
        need = needs[item.id]
        if item.id not in assignments and need.wanted:
            raise DomainError(_l("%(product)s has orders: choose who supplies it.",
                                 product=item.product.name), field=f"item_{item.id}")
        quote_id = assignments.get(item.id)
        if quote_id is None:
            plan.append((item, None, None))
            continue
        quote = quotes.get(quote_id)
        if quote is None:
            raise DomainError(_l("There is no such quote in this round."),
                              field=f"item_{item.id}")
        plan.append((item, quote, _check_awardable(quote, item, need, currency, today)))
    return plan


def _article_code(session: Session, item: RoundItem, supplier_id: int,
                  line: domain.LineInput | None) -> str | None:
    """The supplier's own code for the product: the one on her quote, else the
    one in her catalog for a product of the same name; never another
    supplier's code."""
    if line is not None and line.article_code:
        return line.article_code
    if supplier_id == item.product.supplier_id:
        return item.product.article_code
    from coop.suppliers.models import Product

    return session.scalar(select(Product.article_code).where(
        Product.supplier_id == supplier_id,
        func.lower(Product.name) == item.product.name.lower()).limit(1))


def award_quotes(session: Session, rnd: Round, actor: User,
                 assignments: Mapping[int, int | None], *, today: date,
                 cost_rule: str = "weight") -> list[Quote]:
    """Award the round, product by product: {round item id: quote id, or None
    for the catalog's list price}. Every product with orders needs an entry;
    products nobody ordered that are not named go at list price.

    Freezes the terms the split uses from now on (with the supplier's own
    article code), records which revision won each product, and makes each
    awarded quote's delivery fee a shared cost of that supplier's goods (split
    by `cost_rule`). The round row is locked first and the move to awarded is
    conditional: of two award requests at once, one awards, the other is
    refused."""
    session.execute(select(Round.id).where(Round.id == rnd.id).with_for_update())
    session.refresh(rnd, ["state"])
    orders.read_products_again(session, rnd)  # the step and pack checked and frozen
    plan = _plan_award(session, rnd, assignments, today=today, cost_rule=cost_rule)
    orders.move_round(session, rnd, actor, rounds.AWARDED)
    awarded: dict[int, Quote] = {}
    for item, quote, line in plan:
        if quote is None or line is None:
            orders.freeze_item(item, supplier_id=item.product.supplier_id,
                               pack_size=item.product.pack_size,
                               tiers=[(t.min_qty, t.unit_price)
                                      for t in item.product.price_tiers])
            item.awarded_article_code = item.product.article_code
            continue
        orders.freeze_item(item, supplier_id=quote.supplier_id,
                           pack_size=line.pack_size or item.product.pack_size,
                           tiers=[(t.min_qty, t.unit_price) for t in line.tiers])
        item.awarded_article_code = _article_code(session, item, quote.supplier_id, line)
        session.add(QuoteAward(round_id=rnd.id, quote=quote, revision=quote.latest,
                               round_item_id=item.id, awarded_by_id=actor.id))
        awarded[quote.id] = quote
    for quote in awarded.values():
        fee = quote.latest.delivery_fee if quote.latest else 0
        if fee:
            cost = orders.add_shared_cost(session, rnd, name=str(_l(
                "Delivery by %(name)s", name=quote.supplier.name)), amount=fee, rule=cost_rule,
                supplier_id=quote.supplier_id)
            cost.quote_id = quote.id
    until = utcnow() + timedelta(days=OUTCOME_LINK_DAYS)
    for quote in list_quotes(session, rnd):
        if quote.link_revoked_at is None and quote.link_expires_at < until:
            quote.link_expires_at = until
    session.flush()
    return list(awarded.values())


def whole_assignments(session: Session, rnd: Round, quote_id: int) -> dict[int, int | None]:
    """Everything to one quote: the products with orders must all be hers; those
    nobody ordered go to her when she offers them, else at list price."""
    quote = get_quote(session, rnd, quote_id)
    if quote is None:
        raise DomainError(_l("There is no such quote in this round."))
    needs = round_needs(session, rnd)
    offered = offer_of(quote.latest, quote.id).lines if quote.latest else {}
    assignments: dict[int, int | None] = {}
    for item in rnd.items:
        line = offered.get(item.id)
        if needs[item.id].wanted or (line is not None and line.available):
            assignments[item.id] = quote.id
    return assignments


def award_whole(session: Session, rnd: Round, actor: User, quote_id: int, *, today: date,
                cost_rule: str = "weight") -> list[Quote]:
    return award_quotes(session, rnd, actor, whole_assignments(session, rnd, quote_id),
                        today=today, cost_rule=cost_rule)


def awarded_as(session: Session, rnd: Round, assignments: Mapping[int, int | None]) -> bool:
    """Is the round already awarded exactly so? (A second submit of the same
    award, or the same form again after Back, then changes nothing.)"""
    session.refresh(rnd, ["state"])
    if rnd.state not in (rounds.AWARDED, rounds.RECEIVED, rounds.SETTLED):
        return False
    made = {item_id: quote_id for item_id, quote_id in session.execute(
        select(QuoteAward.round_item_id, QuoteAward.quote_id)
        .where(QuoteAward.round_id == rnd.id))}
    wanted = {item: quote for item, quote in assignments.items() if quote is not None}
    return made == wanted


@dataclass
class SupplierShare:
    """One supplier in an award about to be made: her products and what they cost."""

    name: str
    products: list[tuple[RoundItem, domain.LineCost]]
    goods: int
    delivery_fee: int
    at_list_price: bool = False  # the catalog's list prices, no quote

    @property
    def total(self) -> int:
        return self.goods + self.delivery_fee


@dataclass
class AwardPreview:
    """What an award will do, in figures, before it is made."""

    assignments: dict[int, int | None]
    suppliers: list[SupplierShare]
    at_list_price: list[RoundItem]
    cost_rule: str
    members_total: int | None  # what the members pay on these terms (the split)
    landed: int  # what all the suppliers are paid: goods and delivery fees


def preview_award(session: Session, rnd: Round, assignments: Mapping[int, int | None], *,
                  today: date, cost_rule: str = "weight") -> AwardPreview:
    """The award checked as `award_quotes` checks it, and its figures: each
    supplier, her products, goods, fee and total; members' total."""
    plan = _plan_award(session, rnd, assignments, today=today, cost_rule=cost_rule)
    needs = round_needs(session, rnd)
    currency = rnd.group.currency
    shares: dict[int, SupplierShare] = {}
    parts: dict[int, tuple[Quote, domain.Offer, list[int]]] = {}
    at_list = []
    catalog: dict[int, SupplierShare] = {}
    for item, quote, line in plan:
        if quote is None or line is None:
            if needs[item.id].wanted:
                at_list.append(item)
                product = item.product
                terms = domain.LineInput(True, product.pack_size, tuple(
                    domain.Tier(t.min_qty, t.unit_price) for t in product.price_tiers))
                cost = domain.line_cost(needs[item.id], terms, currency)
                share = catalog.setdefault(product.supplier_id, SupplierShare(
                    product.supplier.name, [], 0, 0, at_list_price=True))
                share.products.append((item, cost))
                share.goods += cost.total
            continue
        cost = domain.line_cost(needs[item.id], line, currency)
        fee = quote.latest.delivery_fee if quote.latest else 0
        share = shares.setdefault(quote.id, SupplierShare(quote.supplier.name, [], 0, fee))
        share.products.append((item, cost))
        share.goods += cost.total
        offer = offer_of(quote.latest, quote.id)  # type: ignore[arg-type]
        parts.setdefault(quote.id, (quote, offer, []))[2].append(item.id)
    members_total = None
    requests = orders.round_requests(session, rnd)
    if requests:
        scenario = plan_scenario(catalog_scenario(session, rnd, requests), rnd,
                                 list(parts.values()), cost_rule)
        try:
            members_total = _run(scenario).totals.members_total
        except split.ScenarioError:
            members_total = None
    suppliers = list(shares.values()) + list(catalog.values())
    return AwardPreview(dict(assignments), suppliers, at_list, cost_rule, members_total,
                        sum(s.total for s in suppliers))


# --------------------------------------------------------------------------
# What an awarded supplier delivers
# --------------------------------------------------------------------------


@dataclass
class OrderLine:
    item: RoundItem
    cost: domain.LineCost


@dataclass
class SupplierOrder:
    lines: list[OrderLine]
    delivery_fee: int
    goods: int

    @property
    def total(self) -> int:
        return self.goods + self.delivery_fee


def supplier_order(session: Session, quote: Quote) -> SupplierOrder | None:
    """What the supplier is to deliver, on the terms frozen at the award."""
    if not quote.awards:
        return None
    rnd = quote.round
    needs = round_needs(session, rnd)
    awarded = {a.round_item_id for a in quote.awards}
    lines = []
    for item in rnd.items:
        if item.id not in awarded:
            continue
        _supplier, pack_size, tiers = orders.item_terms(item)
        terms = domain.LineInput(True, pack_size, tuple(domain.Tier(q, p) for q, p in tiers))
        lines.append(OrderLine(item, domain.line_cost(needs[item.id], terms,
                                                      rnd.group.currency)))
    fee = quote.awards[0].revision.delivery_fee
    return SupplierOrder(lines, fee, sum(line.cost.total for line in lines))


def supplier_credit_notes(session: Session, quote: Quote) -> list[CreditNote]:
    """The credit notes the group recorded on what this supplier delivered
    (damaged or missing goods), oldest first: what lowers her bill."""
    items = sorted({a.round_item_id for a in quote.awards})
    if not items:
        return []
    return list(session.scalars(select(CreditNote).where(
        CreditNote.round_id == quote.round_id, CreditNote.round_item_id.in_(items))
        .order_by(CreditNote.recorded_at, CreditNote.id)))


def supplier_bill(session: Session, quote: Quote) -> RoundPosition | None:
    """Her bill for the round once the delivery is confirmed: goods received,
    delivery fee, credit notes, the total, what the group paid her for the
    round and what it still owes. The same as the round page's supplier bills
    and the books (coop.payables), else None."""
    rnd = quote.round
    if not quote.awards or rnd.state not in (rounds.RECEIVED, rounds.SETTLED):
        return None
    from coop.payables import services as payables

    return next((bill.position for bill in payables.round_supplier_bills(session, rnd)
                 if bill.supplier_id == quote.supplier_id), None)
