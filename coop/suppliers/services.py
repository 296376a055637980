"""Suppliers, their products and catalog imports. Functions take the session
first, flush, never commit; a broken rule is a DomainError for the treasurer."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime

from flask_babel import gettext, ngettext
from flask_babel import lazy_gettext as _l
from sqlalchemy import ColumnElement, case, delete, func, insert, select, update
from sqlalchemy.orm import Session, contains_eager, joinedload, selectinload

from coop import phones, unit_text
from coop.config import SUPPORTED_LOCALES
from coop.db import utcnow
from coop.errors import DomainError
from coop.groups.models import Group, Membership
from coop.orders import changes as orders_changes
from coop.orders.models import Delivery, Request, Round, RoundItem
from coop.suppliers import domain
from coop.suppliers.domain import CatalogError, CatalogRow, ProductData, RowError, Tier
from coop.suppliers.models import PriceTier, Product, Supplier

MAX_SUPPLIER_NAME = 160
MAX_CONTACT = 120
MAX_PHONE = 40
MAX_ADDRESS = 300


# -- suppliers ------------------------------------------------------------------

def list_suppliers(session: Session, group: Group) -> list[Supplier]:
    return list(session.scalars(select(Supplier).where(Supplier.group_id == group.id)
                                .order_by(Supplier.name, Supplier.id)))


def product_counts(session: Session, group: Group) -> dict[int, int]:
    """Products on offer (not retired) per supplier id."""
    rows = session.execute(select(Product.supplier_id, func.count())
                           .where(Product.group_id == group.id, Product.retired.is_(False))
                           .group_by(Product.supplier_id))
    return {supplier_id: count for supplier_id, count in rows}


def get_supplier(session: Session, group: Group, supplier_id: int) -> Supplier:
    supplier = session.get(Supplier, supplier_id)
    if supplier is None or supplier.group_id != group.id:
        raise DomainError(_l("This supplier is not one of the group's."), field="supplier")
    return supplier


def create_supplier(session: Session, group: Group, *, name: str, contact_person: str = "",
                    phone: str = "", address: str = "", language: str | None = None
                    ) -> Supplier:
    supplier = Supplier(group_id=group.id)
    _set_supplier_fields(session, supplier, name=name, contact_person=contact_person,
                         phone=phone, address=address, language=language or group.language)
    session.add(supplier)
    session.flush()
    return supplier


def update_supplier(session: Session, supplier: Supplier, *, name: str, contact_person: str,
                    phone: str, address: str, language: str) -> None:
    _set_supplier_fields(session, supplier, name=name, contact_person=contact_person,
                         phone=phone, address=address, language=language)
    session.flush()


def _set_supplier_fields(session: Session, supplier: Supplier, *, name: str,
                         contact_person: str, phone: str, address: str, language: str) -> None:
    name = (name or "").strip()
    if not name:
        raise DomainError(_l("The supplier needs a name."), field="name")
    for field, value, limit in (("name", name, MAX_SUPPLIER_NAME),
                                ("contact_person", contact_person, MAX_CONTACT),
                                ("phone", phone, MAX_PHONE), ("address", address, MAX_ADDRESS)):
        if len((value or "").strip()) > limit:
            raise DomainError(_l("This is too long (at most %(n)d characters).", n=limit),
                              field=field)
    if language not in SUPPORTED_LOCALES:
        raise DomainError(_l("Unknown language."), field="language")
    # compared here, not in SQL: SQLite's lower() knows no Cyrillic
    others = session.scalars(select(Supplier.name).where(
        Supplier.group_id == supplier.group_id, Supplier.id != (supplier.id or 0)))
    if name.casefold() in {other.casefold() for other in others}:
        raise DomainError(_l("The group already has a supplier with this name."), field="name")
    supplier.name = name
    supplier.contact_person = (contact_person or "").strip()
    # E.164 when it is a number (the WhatsApp and SMS links need the country
    # code); a contact as written otherwise ("0555, after 18:00")
    group = session.get(Group, supplier.group_id)
    supplier.phone = (phones.to_e164(phone, group.country if group else phones.DEFAULT_REGION)
                      or (phone or "").strip())
    supplier.address = (address or "").strip()
    supplier.language = language


# -- products -------------------------------------------------------------------

def list_products(session: Session, group: Group, include_retired: bool = False
                  ) -> list[Product]:
    """The group's catalog, with supplier and price tiers loaded, by supplier and name."""
    query = (select(Product).join(Product.supplier)
             .options(contains_eager(Product.supplier), selectinload(Product.price_tiers))
             .where(Product.group_id == group.id)
             .order_by(Supplier.name, Product.name, Product.id))
    if not include_retired:
        query = query.where(Product.retired.is_(False))
    return list(session.scalars(query))


def supplier_products(session: Session, supplier: Supplier, include_retired: bool = True
                      ) -> list[Product]:
    """One supplier's products with their price tiers, on offer first, by name."""
    query = (select(Product).options(selectinload(Product.price_tiers))
             .where(Product.supplier_id == supplier.id)
             .order_by(Product.retired, Product.name, Product.id))
    if not include_retired:
        query = query.where(Product.retired.is_(False))
    return list(session.scalars(query))


def get_product(session: Session, group: Group, product_id: int) -> Product:
    """A product of this group's catalog (never one of another group)."""
    product = session.get(Product, product_id)
    if product is None or product.group_id != group.id:
        raise DomainError(_l("This product is not in the group's catalog."), field="product")
    return product


def product_data(product: Product) -> ProductData:
    """A stored product as the plain data the catalog rules and the CSV use."""
    return ProductData(
        name=product.name, unit=product.unit, pack_size=product.pack_size,
        granularity=product.granularity,
        tiers=tuple(Tier(t.min_qty, t.unit_price) for t in product.price_tiers),
        weight_grams=product.weight_grams, retail_price=product.retail_price,
        article_code=product.article_code, pack_container=product.pack_container,
        seed_rate=product.seed_rate)


def create_product(session: Session, supplier: Supplier, data: ProductData) -> Product:
    _check(data)
    _check_article_code_free(session, supplier, data.article_code, None)
    product = Product(group_id=supplier.group_id, supplier_id=supplier.id)
    _apply(product, data)
    session.add(product)
    session.flush()
    return product


def update_product(session: Session, product: Product, data: ProductData) -> None:
    _check(data)
    _check_article_code_free(session, product.supplier, data.article_code, product.id)
    # the row locked before the step is checked: of two edits at once, the
    # second waits and checks against the step the first one wrote. FOR NO
    # KEY UPDATE, the lock the UPDATE takes: a row that only refers to the
    # product (a round's item, a seed loan) does not wait for it, so a loan
    # proposed under her membership's lock cannot deadlock with the
    # memberships a step change locks next (step_change_refusals)
    step = session.scalar(select(Product.granularity).where(Product.id == product.id)
                          .with_for_update(key_share=True))
    if data.granularity != step:
        refusal = step_change_refusal(session, product.id, data.granularity, data.unit)
        if refusal is not None:
            raise DomainError(refusal, field="granularity")
    _apply(product, data)
    session.flush()


# a round in one of these states splits with the product's current step (a
# settled round reads the scenario it was settled with; a cancelled one, nothing)
UNSETTLED_STATES = ("draft", "open", "closed", "quoting", "awarded", "received")
# a round not yet awarded: its quotes' pack sizes may still be awarded
UNAWARDED_STATES = ("draft", "open", "closed", "quoting")


def step_change_refusal(session: Session, product_id: int, step: int, unit: str
                        ) -> str | None:
    """Why the product's step cannot become `step`, or None when it can."""
    return step_change_refusals(session, {product_id: (step, unit)}).get(product_id)


def step_change_refusals(session: Session, changes: Mapping[int, tuple[int, str]]
                         ) -> dict[int, str]:
    """{product id: why its step cannot become the new one} for `changes`
    ({product id: (new step, unit)}); the products that may change are left
    out. A handful of grouped queries, whatever the number of products.

    Every round not yet settled or cancelled splits with the current step, so
    each member's quantity and tolerance there must be a whole number of the
    new steps, and, once awarded, the frozen pack size and what was received
    too (else the round's pages could no longer be computed); before the
    award, the pack sizes its quotes offer (one of them may be awarded). An
    open seed loan repaid in kind owes a quantity rounded to the step: the new
    step must neither move it nor leave a remainder she cannot return.

    The caller holds the products' row locks (FOR NO KEY UPDATE). What reads
    the step to check a round's figures against it is made to wait here,
    before the check (_lock_step_readers), so that of a step change and an
    order (a delivery, an award) at the same moment one goes first and the
    other is checked against what it left."""
    if not changes:
        return {}
    ids = sorted(changes)
    _lock_step_readers(session, ids)
    step_of = case({pid: step for pid, (step, _unit) in changes.items()},
                   value=RoundItem.product_id)
    off_lines: dict[int, dict[int, int]] = {}
    for product_id, round_id, count in session.execute(
            select(RoundItem.product_id, Round.id, func.count(Request.id))
            .join(RoundItem, RoundItem.round_id == Round.id)
            .join(Request, Request.round_item_id == RoundItem.id)
            .where(RoundItem.product_id.in_(ids), Round.state.in_(UNSETTLED_STATES),
                   ((Request.quantity % step_of) != 0) | ((Request.tolerance % step_of) != 0))
            .group_by(RoundItem.product_id, Round.id)):
        off_lines.setdefault(product_id, {})[round_id] = count
    off_terms: dict[int, set[int]] = {}
    for product_id, round_id, pack_size, received, damaged in session.execute(
            select(RoundItem.product_id, Round.id, RoundItem.awarded_pack_size,
                   func.coalesce(func.sum(Delivery.received), 0),
                   func.coalesce(func.sum(Delivery.damaged), 0))
            .join(RoundItem, RoundItem.round_id == Round.id)
            .outerjoin(Delivery, Delivery.round_item_id == RoundItem.id)
            .where(RoundItem.product_id.in_(ids), Round.state.in_(("awarded", "received")))
            .group_by(RoundItem.id, RoundItem.product_id, Round.id,
                      RoundItem.awarded_pack_size)):
        step = changes[product_id][0]
        if (pack_size or 0) % step or int(received) % step or int(damaged) % step:
            off_terms.setdefault(product_id, set()).add(round_id)
    off_packs = _off_step_quotes(session, ids, step_of)
    off_loans = _off_step_loans(session, changes)
    round_ids = {r for rounds in off_lines.values() for r in rounds}
    round_ids |= {r for rounds in off_terms.values() for r in rounds}
    round_ids |= {r for packs in off_packs.values() for r, _supplier, _pack in packs}
    titles = dict(session.execute(select(Round.id, Round.title).where(
        Round.id.in_(round_ids))).all()) if round_ids else {}
    refusals = {}
    for product_id in ids:
        step, unit = changes[product_id]
        step_text = unit_text.quantity(step, unit)
        places = []
        for round_id in sorted(set(off_lines.get(product_id, {}))
                               | off_terms.get(product_id, set())
                               | {r for r, _s, _p in off_packs.get(product_id, [])}):
            count = off_lines.get(product_id, {}).get(round_id)
            if count:
                places.append(ngettext(
                    "in the round «%(round)s» %(num)d order is not a multiple of %(step)s",
                    "in the round «%(round)s» %(num)d orders are not a multiple of %(step)s",
                    count, round=titles[round_id], step=step_text))
            if round_id in off_terms.get(product_id, set()):
                places.append(gettext(
                    "in the round «%(round)s» the awarded pack size or the quantity received "
                    "is not a multiple of %(step)s", round=titles[round_id], step=step_text))
            for pack_round, supplier, pack in off_packs.get(product_id, []):
                if pack_round == round_id:
                    places.append(gettext(
                        "in the round «%(round)s» %(supplier)s offers it in packs of "
                        "%(pack)s, not a multiple of %(step)s", round=titles[round_id],
                        supplier=supplier, pack=unit_text.quantity(pack, unit),
                        step=step_text))
        sentences = []
        if places:
            sentences.append(gettext(
                "The step cannot be changed: %(places)s. Fix them first, or wait until "
                "the round is settled.", places="; ".join(places)))
        loans = off_loans.get(product_id, [])
        if loans:
            sentences.append(ngettext(
                "The step cannot be changed while this seed loan is repaid in kind in "
                "steps of the present one: %(loans)s. Wait until it is repaid or written off.",
                "The step cannot be changed while these seed loans are repaid in kind in "
                "steps of the present one: %(loans)s. Wait until they are repaid or written "
                "off.", len(loans), loans="; ".join(loans)))
        if sentences:
            refusals[product_id] = " ".join(sentences)
    return refusals


def _lock_step_readers(session: Session, ids: Sequence[int]) -> None:
    """Lock, in id order, what an order, a delivery and an award lock before
    they read the products' step: the memberships of the products' groups
    (an order locks hers first, lock_order, and reads the terms after), then
    the rounds in progress that carry them (a delivery and an award lock the
    round first and read the products again under it, read_products_again).
    One of them that is under way holds its lock until it commits: the check
    then waits and sees what it wrote. One that comes later waits for this
    change to commit and reads the new step. The order's path gains nothing.

    Products, then memberships, then rounds: an order takes her membership
    before the round, and no delivery, award or close takes a membership, so
    none of them waits the other way round. A member added while the change
    runs is not among the locked: her first order in those milliseconds is
    not serialised with it."""
    session.execute(select(Membership.id).where(Membership.group_id.in_(
        select(Product.group_id).where(Product.id.in_(ids))))
        .order_by(Membership.id).with_for_update(key_share=True, of=Membership))
    session.execute(select(Round.id).where(
        Round.id.in_(select(RoundItem.round_id).where(RoundItem.product_id.in_(ids))),
        Round.state.in_(UNSETTLED_STATES)).order_by(Round.id).with_for_update(of=Round))


def _off_step_quotes(session: Session, ids: Sequence[int], step_of: ColumnElement[int]
                     ) -> dict[int, list[tuple[int, str, int]]]:
    """{product id: [(round id, supplier, pack size)]}: the pack sizes off the
    new step in the latest revision of the quotes of a round not yet awarded."""
    from coop.quotes.models import Quote, QuoteLine, QuoteRevision

    latest = (select(QuoteRevision.quote_id, func.max(QuoteRevision.number).label("number"))
              .group_by(QuoteRevision.quote_id).subquery())
    found: dict[int, list[tuple[int, str, int]]] = {}
    for product_id, round_id, supplier, pack in session.execute(
            select(RoundItem.product_id, Round.id, Supplier.name, QuoteLine.pack_size)
            .join(RoundItem, RoundItem.round_id == Round.id)
            .join(QuoteLine, QuoteLine.round_item_id == RoundItem.id)
            .join(QuoteRevision, QuoteRevision.id == QuoteLine.revision_id)
            .join(latest, (latest.c.quote_id == QuoteRevision.quote_id)
                  & (latest.c.number == QuoteRevision.number))
            .join(Quote, Quote.id == QuoteRevision.quote_id)
            .join(Supplier, Supplier.id == Quote.supplier_id)
            .where(RoundItem.product_id.in_(ids), Round.state.in_(UNAWARDED_STATES),
                   QuoteRevision.declined.is_(False), QuoteLine.available.is_(True),
                   QuoteLine.pack_size.is_not(None), (QuoteLine.pack_size % step_of) != 0)
            .order_by(Round.id, Supplier.name, Quote.id)):
        found.setdefault(product_id, []).append((round_id, supplier, pack))
    return found


def _off_step_loans(session: Session, changes: Mapping[int, tuple[int, str]]
                    ) -> dict[int, list[str]]:
    """{product id: the open in-kind seed loans a new step would break, named}:
    what she owes is rounded up to the step (coop.season.loans.due_quantity),
    so the new step must give the same due, and what is left of it must be a
    whole number of new steps."""
    from coop.season import domain as season
    from coop.season import loans as seed
    from coop.season.models import SeedLoan

    found: dict[int, list[str]] = {}
    for loan in session.scalars(
            select(SeedLoan)
            .options(joinedload(SeedLoan.product),
                     joinedload(SeedLoan.membership).joinedload(Membership.user),
                     selectinload(SeedLoan.repayments))
            .where(SeedLoan.product_id.in_(sorted(changes)), SeedLoan.repay_mode == "kind",
                   SeedLoan.state == season.DELIVERED)
            .order_by(SeedLoan.id)):
        step, unit = changes[loan.product_id]
        due = seed.due_quantity(loan)
        left = due - seed.returned_quantity(loan)
        if season.due_kind(loan.quantity, loan.repay_bp, step) != due or left % step:
            found.setdefault(loan.product_id, []).append(gettext(
                "%(loan)s of %(member)s (%(left)s of %(due)s still to return)",
                loan=seed.loan_title(loan), member=loan.membership.user.name,
                left=unit_text.quantity(left, unit), due=unit_text.quantity(due, unit)))
    return found


def set_seed_rate(session: Session, product: Product, rate: int | None) -> bool:
    """The product's seed per сотка (thousandths of the unit, None: not seed),
    the one rate the catalog form, the catalog file and the needs survey use;
    True when it changed."""
    errors = domain.check_seed_rate(rate)
    if errors:
        raise DomainError(errors[0], field="seed_rate")
    if product.seed_rate == rate:
        return False
    product.seed_rate = rate
    session.flush()
    return True


def retire_product(session: Session, product: Product) -> None:
    """No longer offered; kept, since rounds may refer to it."""
    if product.retired:
        raise DomainError(_l("This product is already retired."))
    product.retired = True
    session.flush()


def reinstate_product(session: Session, product: Product) -> None:
    if not product.retired:
        raise DomainError(_l("This product is already on offer."))
    product.retired = False
    session.flush()


def _check(data: ProductData) -> None:
    errors = domain.check_product(data)
    if errors:
        field, message = errors[0]
        raise DomainError(message, field=field)


def _check_article_code_free(session: Session, supplier: Supplier, code: str | None,
                             product_id: int | None) -> None:
    if code is None:
        return
    query = select(Product.id).where(Product.supplier_id == supplier.id,
                                     Product.article_code == code)
    if product_id is not None:
        query = query.where(Product.id != product_id)
    if session.scalar(query) is not None:
        raise DomainError(_l("Another product of this supplier has the article code %(code)s.",
                             code=code), field="article_code")


def _apply(product: Product, data: ProductData) -> None:
    product.article_code = data.article_code
    product.name = data.name
    product.unit = data.unit
    product.pack_size = data.pack_size
    product.pack_container = data.pack_container
    product.granularity = data.granularity
    product.weight_grams = data.weight_grams
    product.retail_price = data.retail_price
    product.seed_rate = data.seed_rate
    _set_tiers(product, data.tiers)


def _set_tiers(product: Product, tiers: Sequence[Tier]) -> None:
    """Change the tiers in place: a tier that keeps its quantity keeps its row, so
    that no new row meets an old one with the same (product, min_qty) in a flush
    (inserts run before deletes)."""
    by_qty = {tier.min_qty: tier for tier in product.price_tiers}
    wanted = []
    for tier in tiers:
        row = by_qty.get(tier.min_qty)
        if row is None:
            row = PriceTier(min_qty=tier.min_qty, unit_price=tier.unit_price)
        elif row.unit_price != tier.unit_price:
            row.unit_price = tier.unit_price
        wanted.append(row)
    if [id(row) for row in wanted] != [id(row) for row in product.price_tiers]:
        product.price_tiers = wanted


# -- catalog import and export -----------------------------------------------------

@dataclass(frozen=True)
class ImportResult:
    added: int
    updated: int
    unchanged: int
    retired: int  # of the products in the file, how many stay retired

    @property
    def total(self) -> int:
        return self.added + self.updated + self.unchanged


def import_catalog(session: Session, supplier: Supplier, data: bytes) -> ImportResult:
    """Read a catalog CSV and write it, all or nothing: CatalogError lists every
    bad line and nothing is written."""
    return upsert_catalog(session, supplier, domain.parse_catalog(data))


def upsert_catalog(session: Session, supplier: Supplier, rows: Sequence[CatalogRow]
                   ) -> ImportResult:
    """Add the products whose article code is new, update the others in place.

    Products not in `rows` are left alone; a retired product stays retired.
    The supplier's catalog is read with two queries into a dict by article
    code and written with a handful of bulk (executemany) statements, whatever
    the number of lines: with `add_all` the ORM sends one INSERT … RETURNING per
    object on SQLite, far too slow for 10,000 lines."""
    _check_rows(rows)
    existing = _load_catalog(session, supplier)
    now = utcnow()
    new_rows: list[ProductData] = []
    changed: list[tuple[_Stored, ProductData]] = []
    new_steps: dict[int, tuple[int, str]] = {}
    line_of: dict[int, int] = {}
    unchanged = retired = 0
    for row in rows:
        stored = existing.get(row.product.article_code)
        if stored is None:
            new_rows.append(row.product)
            continue
        retired += stored.retired
        data = row.product if row.has_seed_rate else replace(
            row.product, seed_rate=stored.data.seed_rate)
        if stored.data == data:
            unchanged += 1
        else:
            changed.append((stored, data))
            if data.granularity != stored.data.granularity:
                new_steps[stored.id] = (data.granularity, data.unit)
                line_of[stored.id] = row.line
    refusals = step_change_refusals(session, new_steps)
    if refusals:  # nothing is written yet
        raise CatalogError(sorted((RowError(line_of[product_id], "granularity", refusal)
                                   for product_id, refusal in refusals.items()),
                                  key=lambda error: error.line))
    _insert_products(session, supplier, new_rows, now)
    _update_products(session, changed, now)
    if changed:  # bulk statements: the flush does not see them (coop/orders/changes.py)
        orders_changes.supplier_catalog_changed(session, supplier.id)
    # what the session holds of this catalog is now out of date
    for obj in list(session.identity_map.values()):
        if isinstance(obj, Product | PriceTier):
            session.expire(obj)
    session.expire(supplier, ["products"])
    return ImportResult(added=len(new_rows), updated=len(changed), unchanged=unchanged,
                        retired=retired)


def _check_rows(rows: Sequence[CatalogRow]) -> None:
    errors = [RowError(row.line, field, message) for row in rows
              for field, message in domain.check_product(row.product)]
    first_line: dict[str | None, int] = {}
    for row in rows:
        code = row.product.article_code
        if not code:
            errors.append(RowError(row.line, "article_code", _l("The article code is needed.")))
        elif code in first_line:
            errors.append(RowError(row.line, "article_code", _l(
                "The article code %(code)s is also on line %(line)d.", code=code,
                line=first_line[code])))
        else:
            first_line[code] = row.line
    if errors:
        raise CatalogError(sorted(errors, key=lambda error: error.line))


@dataclass
class _Stored:
    id: int
    retired: bool
    data: ProductData
    tier_ids: dict[int, int]  # min_qty -> price_tiers.id


def _load_catalog(session: Session, supplier: Supplier) -> dict[str | None, _Stored]:
    """The supplier's products with an article code (those an import may
    change), their rows locked in id order first (FOR NO KEY UPDATE, as
    update_product): the steps read here are the ones checked and replaced,
    and two imports at once do not deadlock."""
    session.execute(select(Product.id).where(
        Product.supplier_id == supplier.id, Product.article_code.is_not(None))
        .order_by(Product.id).with_for_update(key_share=True))
    tiers: dict[int, list[tuple[int, int, int]]] = {}
    for tier_id, product_id, min_qty, unit_price in session.execute(
            select(PriceTier.id, PriceTier.product_id, PriceTier.min_qty, PriceTier.unit_price)
            .join(Product, Product.id == PriceTier.product_id)
            .where(Product.supplier_id == supplier.id)
            .order_by(PriceTier.product_id, PriceTier.min_qty)):
        tiers.setdefault(product_id, []).append((tier_id, min_qty, unit_price))
    stored = {}
    for row in session.execute(
            select(Product.id, Product.retired, Product.article_code, Product.name, Product.unit,
                   Product.pack_size, Product.granularity, Product.weight_grams,
                   Product.retail_price, Product.pack_container, Product.seed_rate)
            .where(Product.supplier_id == supplier.id, Product.article_code.is_not(None))):
        own = tiers.get(row.id, [])
        stored[row.article_code] = _Stored(
            id=row.id, retired=row.retired,
            tier_ids={min_qty: tier_id for tier_id, min_qty, _price in own},
            data=ProductData(
                name=row.name, unit=row.unit, pack_size=row.pack_size,
                granularity=row.granularity, weight_grams=row.weight_grams,
                retail_price=row.retail_price, article_code=row.article_code,
                pack_container=row.pack_container, seed_rate=row.seed_rate,
                tiers=tuple(Tier(min_qty, price) for _id, min_qty, price in own)))
    return stored


def _columns(data: ProductData) -> dict[str, object]:
    return {"article_code": data.article_code, "name": data.name, "unit": data.unit,
            "pack_size": data.pack_size, "pack_container": data.pack_container,
            "granularity": data.granularity,
            "weight_grams": data.weight_grams, "retail_price": data.retail_price,
            "seed_rate": data.seed_rate}


def _insert_products(session: Session, supplier: Supplier, products: Sequence[ProductData],
                     now: datetime) -> None:
    if not products:
        return
    # no RETURNING: the ORM sends it row by row on SQLite; one SELECT is cheaper
    session.execute(insert(Product), [
        {**_columns(data), "group_id": supplier.group_id, "supplier_id": supplier.id,
         "retired": False, "created_at": now, "updated_at": now} for data in products])
    new_codes = {data.article_code for data in products}
    ids = {code: product_id for code, product_id in session.execute(
        select(Product.article_code, Product.id).where(Product.supplier_id == supplier.id))
        if code in new_codes}
    session.execute(insert(PriceTier), [
        {"product_id": ids[data.article_code], "min_qty": tier.min_qty,
         "unit_price": tier.unit_price} for data in products for tier in data.tiers])


def _update_products(session: Session, changes: Sequence[tuple[_Stored, ProductData]],
                     now: datetime) -> None:
    """Tiers change in place: a quantity that stays keeps its row, so no new row
    ever meets an old one with the same (product, min_qty)."""
    if not changes:
        return
    session.execute(update(Product), [
        {**_columns(data), "id": stored.id, "updated_at": now} for stored, data in changes])
    price_updates, additions, removals = [], [], []
    for stored, data in changes:
        old_prices = {tier.min_qty: tier.unit_price for tier in stored.data.tiers}
        for tier in data.tiers:
            if tier.min_qty not in old_prices:
                additions.append({"product_id": stored.id, "min_qty": tier.min_qty,
                                  "unit_price": tier.unit_price})
            elif old_prices[tier.min_qty] != tier.unit_price:
                price_updates.append({"id": stored.tier_ids[tier.min_qty],
                                      "unit_price": tier.unit_price})
        wanted = {tier.min_qty for tier in data.tiers}
        removals += [tier_id for min_qty, tier_id in stored.tier_ids.items()
                     if min_qty not in wanted]
    for start in range(0, len(removals), 500):
        session.execute(delete(PriceTier).where(PriceTier.id.in_(removals[start:start + 500])))
    if price_updates:
        session.execute(update(PriceTier), price_updates)
    if additions:
        session.execute(insert(PriceTier), additions)


def export_catalog(session: Session, supplier: Supplier, language: str | None = "ru") -> bytes:
    """The products on offer as the catalog CSV that `import_catalog` reads
    back, with numbers as a spreadsheet in the group's `language` reads them."""
    return domain.write_catalog((product_data(product) for product in
                                 supplier_products(session, supplier, include_retired=False)),
                                language)
