"""Needs surveys: the members' intentions before a round, their demand, and
the draft round they become; the household profile and its counts; the seed
rates of the catalog. Functions flush, never commit. (Seed loans: loans.py.)"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from flask_babel import lazy_gettext as _l
from flask_babel import lazy_pgettext
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session, joinedload, selectinload

from coop import unit_text
from coop.auth.models import User
from coop.db import utcnow
from coop.errors import DomainError
from coop.groups.models import Group, Membership
from coop.money import MoneyError, half_up_div
from coop.orders import domain as round_rules
from coop.orders import services as orders
from coop.orders.models import AwardedTier, Round, RoundItem
from coop.quantities import local_qty, parse_quantity
from coop.quotes.domain import LineInput, Need, Tier, line_cost
from coop.season import domain
from coop.season.models import HouseholdProfile, Survey, SurveyAnswer, SurveyItem, SurveyWish
from coop.suppliers import domain as catalog
from coop.suppliers import services as suppliers
from coop.suppliers.models import Product

STATE_NAMES = {"draft": _l("draft"), "open": _l("open for answers"),
               "closed": lazy_pgettext("needs survey", "closed"),
               "converted": _l("turned into a round")}
SOURCE_NAMES = {"member": _l("by herself"), "treasurer": _l("by the treasurer"),
                "paper": _l("from the paper form"), "import": _l("imported")}
MAX_TITLE = 160
MAX_PRODUCTS = 200


# --------------------------------------------------------------------------
# Surveys
# --------------------------------------------------------------------------


def list_surveys(session: Session, group: Group, *, include_drafts: bool) -> list[Survey]:
    query = select(Survey).where(Survey.group_id == group.id)
    if not include_drafts:
        query = query.where(Survey.state != domain.DRAFT)
    return list(session.scalars(query.order_by(Survey.id.desc())))


def get_survey(session: Session, group: Group, survey_id: int) -> Survey | None:
    survey = session.get(Survey, survey_id)
    return survey if survey is not None and survey.group_id == group.id else None


def _check_title(title: str) -> str:
    title = (title or "").strip()
    if not title:
        raise DomainError(_l("The survey needs a title."), field="title")
    if len(title) > MAX_TITLE:
        raise DomainError(_l("The title is too long."), field="title")
    return title


def _products(session: Session, group: Group, product_ids: Iterable[int]) -> list[Product]:
    wanted = list(dict.fromkeys(product_ids))
    if not wanted:
        raise DomainError(_l("Choose at least one product."), field="products")
    if len(wanted) > MAX_PRODUCTS:
        raise DomainError(_l("At most %(n)d products.", n=MAX_PRODUCTS), field="products")
    found = {p.id: p for p in session.scalars(select(Product).where(
        Product.id.in_(wanted), Product.group_id == group.id))}
    if any(pid not in found for pid in wanted):
        raise DomainError(_l("Unknown product."), field="products")
    retired = [p.name for p in found.values() if p.retired]
    if retired:
        raise DomainError(_l("%(name)s is retired and cannot be offered.", name=retired[0]),
                          field="products")
    return [found[pid] for pid in wanted]


def create_survey(session: Session, group: Group, actor: User, *, title: str,
                  product_ids: Iterable[int], note: str = "",
                  closes_on: date | None = None) -> Survey:
    survey = Survey(group_id=group.id, title=_check_title(title), note=(note or "").strip()[:500],
                    closes_on=closes_on, state=domain.DRAFT, created_by_id=actor.id)
    for position, product in enumerate(_products(session, group, product_ids)):
        survey.items.append(SurveyItem(product_id=product.id, position=position))
    session.add(survey)
    session.flush()
    return survey


def update_survey(session: Session, survey: Survey, *, title: str, product_ids: Iterable[int],
                  note: str = "", closes_on: date | None = None) -> None:
    """Title, note, closing day and products, while the survey is not closed;
    a product with answers stays."""
    _lock(session, survey)
    if survey.state not in (domain.DRAFT, domain.OPEN):
        raise DomainError(_l("A closed survey cannot be changed; open it again first."))
    group = session.get(Group, survey.group_id)
    assert group is not None
    products = _products(session, group, product_ids)
    keep = {p.id for p in products}
    answered = set(session.scalars(select(SurveyAnswer.item_id).where(
        SurveyAnswer.survey_id == survey.id)))
    for item in list(survey.items):
        if item.product_id not in keep:
            if item.id in answered:
                raise DomainError(_l("%(name)s has answers already and stays in the survey.",
                                     name=item.product.name), field="products")
            survey.items.remove(item)
    present = {item.product_id for item in survey.items}
    for position, product in enumerate(products):
        if product.id not in present:
            survey.items.append(SurveyItem(product_id=product.id, position=position))
    survey.title, survey.note = _check_title(title), (note or "").strip()[:500]
    survey.closes_on = closes_on
    session.flush()


def lock_steps(session: Session, product_ids: Iterable[int]) -> None:
    """The products' rows share-locked (FOR SHARE) in id order until the
    transaction ends, and read again under the lock (step, retired, tiers):
    what checks quantities against a step and writes what a step change
    checks (a survey's round, a return of seed in kind) calls it before it
    reads the step and before any other lock a step change takes.

    A step change locks the product FOR NO KEY UPDATE first, which a share
    lock waits for and makes wait: one under way is waited for, and its new
    step is the one checked against here; one that comes later waits for
    this transaction and then finds what it wrote (coop.suppliers.services.
    step_change_refusals). Two readers share the lock. Taken first of the
    locks a step change takes (products, then memberships, then rounds), in
    the order it takes them, so neither waits for the other the other way
    round: no deadlock."""
    ids = sorted(set(product_ids))
    if ids:
        session.scalars(select(Product).where(Product.id.in_(ids)).order_by(Product.id)
                        .options(selectinload(Product.price_tiers))
                        .with_for_update(read=True)
                        .execution_options(populate_existing=True)).all()


def _lock(session: Session, survey: Survey) -> None:
    """Serialise what changes a survey (answers, moves, the conversion): an
    UPDATE of its row holds it until the transaction ends."""
    session.execute(update(Survey).where(Survey.id == survey.id)
                    .values(lock=Survey.lock + 1).execution_options(synchronize_session=False))
    session.refresh(survey, ["state", "round_id"])


def move_survey(session: Session, survey: Survey, target: str) -> None:
    """Open, close or open again; only the listed moves, one conditional UPDATE."""
    current = survey.state
    if target == domain.CONVERTED or not domain.can_move_survey(current, target):
        raise DomainError(_l("A survey that is %(state)s cannot become %(target)s.",
                             state=STATE_NAMES.get(current, current),
                             target=STATE_NAMES.get(target, target)))
    if target == domain.OPEN and not survey.items:
        raise DomainError(_l("Add at least one product before opening the survey."))
    moved = session.execute(update(Survey).where(Survey.id == survey.id, Survey.state == current)
                            .values(state=target, lock=Survey.lock + 1)
                            .execution_options(synchronize_session=False))
    if moved.rowcount != 1:
        session.refresh(survey, ["state"])
        raise DomainError(_l("This survey was changed meanwhile: it is now %(state)s.",
                             state=STATE_NAMES.get(survey.state, survey.state)))
    session.refresh(survey, ["state"])


# --------------------------------------------------------------------------
# Answers
# --------------------------------------------------------------------------


@dataclass(frozen=True)
class AnswerInput:
    """A member's answer for one product as typed: firm and maybe in
    thousandths, or an area in thousandths of a сотка (then firm is computed)."""

    firm: int = 0
    maybe: int = 0
    area: int | None = None


def area_from_text(text: str, unit: str) -> int:
    """An area as typed in сотых or гектар, in thousandths of a сотка."""
    value = parse_quantity(text)  # thousandths; MoneyError for junk
    if unit == "ha":
        value *= domain.SOTKA_PER_HECTARE
    return value


def resolve(item: SurveyItem, answer: AnswerInput) -> tuple[int, int, int | None]:
    """(firm, maybe, area) as stored, or a DomainError naming the field."""
    product = item.product
    step = product.granularity
    firm, maybe = answer.firm, answer.maybe
    if answer.area is not None:
        if answer.area <= 0:
            raise DomainError(_l("%(product)s: the area must be more than zero.",
                                 product=product.name), field=f"area_{item.id}")
        if answer.area > 10**9:
            raise DomainError(_l("%(product)s: the area is too large.", product=product.name),
                              field=f"area_{item.id}")
        if not product.seed_rate:
            raise DomainError(_l("%(product)s has no seed rate: give a quantity instead of "
                                 "an area.", product=product.name), field=f"area_{item.id}")
        firm = domain.quantity_for_area(answer.area, product.seed_rate, step)
    for value, name in ((firm, "firm"), (maybe, "maybe")):
        if value < 0:
            raise DomainError(_l("%(product)s: a quantity cannot be negative.",
                                 product=product.name), field=f"{name}_{item.id}")
        if value >= 10**12:
            raise DomainError(_l("The number is too large."), field=f"{name}_{item.id}")
        if not round_rules.is_multiple(value, step):
            raise DomainError(_l("%(product)s: order in steps of %(step)s (%(value)s is not).",
                                 product=product.name,
                                 step=unit_text.quantity(step, product.unit),
                                 value=local_qty(value)), field=f"{name}_{item.id}")
    return firm, maybe, answer.area


def answers_of(session: Session, survey: Survey, membership: Membership
               ) -> dict[int, SurveyAnswer]:
    return {a.item_id: a for a in session.scalars(select(SurveyAnswer).where(
        SurveyAnswer.survey_id == survey.id, SurveyAnswer.membership_id == membership.id))}


def save_answers(session: Session, survey: Survey, membership: Membership,
                 lines: Mapping[int, AnswerInput], actor: User, *, source: str) -> int:
    """Set a member's answers: {survey item id: answer}, all or none. The
    treasurer may answer for her (also from the paper form) until the survey
    is converted; the member herself only while it is open."""
    _lock(session, survey)
    if source == "member" and survey.state != domain.OPEN:
        raise DomainError(_l("This survey is not open for answers."))
    if survey.state not in (domain.OPEN, domain.CLOSED):
        raise DomainError(_l("This survey is not open for answers."))
    if not membership.active or membership.group_id != survey.group_id:
        raise DomainError(_l("Only active members of the group can answer."))
    items = {item.id: item for item in survey.items}
    existing = answers_of(session, survey, membership)
    changed = 0
    for item_id, answer in lines.items():
        item = items.get(item_id)
        if item is None:
            raise DomainError(_l("This product is not in the survey."))
        firm, maybe, area = resolve(item, answer)
        row = existing.get(item_id)
        if row is None:
            if not (firm or maybe):
                continue
            session.add(SurveyAnswer(survey_id=survey.id, item_id=item_id,
                                     membership_id=membership.id, firm=firm, maybe=maybe,
                                     area=area, source=source, updated_by_id=actor.id))
            changed += 1
        elif not (firm or maybe):
            session.delete(row)
            changed += 1
        elif (row.firm, row.maybe, row.area) != (firm, maybe, area):
            row.firm, row.maybe, row.area, row.source = firm, maybe, area, source
            row.updated_by_id, row.updated_at = actor.id, utcnow()
            changed += 1
    session.flush()
    return changed


def add_wish(session: Session, survey: Survey, membership: Membership, *, text: str,
             quantity: str, actor: User) -> SurveyWish:
    _lock(session, survey)
    if survey.state not in (domain.OPEN, domain.CLOSED):
        raise DomainError(_l("This survey is not open for answers."))
    text, quantity = (text or "").strip(), (quantity or "").strip()
    if not text:
        raise DomainError(_l("Say what you would like."), field="text")
    if len(text) > 200 or len(quantity) > 60:
        raise DomainError(_l("This is too long."), field="text")
    existing = session.scalar(select(SurveyWish).where(
        SurveyWish.survey_id == survey.id, SurveyWish.membership_id == membership.id,
        SurveyWish.text == text))
    if existing is not None:
        existing.quantity = quantity
        session.flush()
        return existing
    wish = SurveyWish(survey_id=survey.id, membership_id=membership.id, text=text,
                      quantity=quantity, created_by_id=actor.id)
    session.add(wish)
    session.flush()
    return wish


def remove_wish(session: Session, survey: Survey, wish_id: int,
                membership: Membership | None) -> None:
    """Her own wish (or any, for the treasurer: membership None)."""
    _lock(session, survey)
    wish = session.get(SurveyWish, wish_id)
    if wish is None or wish.survey_id != survey.id or (
            membership is not None and wish.membership_id != membership.id):
        raise DomainError(_l("There is no such wish."))
    if survey.state == domain.CONVERTED:
        raise DomainError(_l("This survey is not open for answers."))
    session.delete(wish)
    session.flush()


def wishes(session: Session, survey: Survey, membership: Membership | None = None
           ) -> list[SurveyWish]:
    query = select(SurveyWish).where(SurveyWish.survey_id == survey.id).options(
        joinedload(SurveyWish.membership).joinedload(Membership.user))
    if membership is not None:
        query = query.where(SurveyWish.membership_id == membership.id)
    return list(session.scalars(query.order_by(SurveyWish.text, SurveyWish.id)))


# --------------------------------------------------------------------------
# Demand
# --------------------------------------------------------------------------


@dataclass
class DemandRow:
    """One product's demand as the round will carry it: the answers the
    conversion refuses are not counted (`not_carried` says how many)."""

    item: SurveyItem
    firm: int  # Σ the quantities the round takes
    maybe: int  # Σ the "maybe" it takes as tolerance
    members: int  # members with an order line in it
    fill: round_rules.PackFill  # those firm and tolerance, in packs
    unit_price: int | None  # millionths per unit: the last known price
    price_from: str  # "award" (a round's award) or "catalog"
    budget: int  # minor units: what the round would bill, the packs ordered × that price
    not_carried: int = 0  # answers the conversion will not carry
    not_offered: Any | None = None  # why the round cannot offer the product at all

    @property
    def product(self) -> Product:
        return self.item.product


@dataclass
class SurveyDemand:
    rows: list[DemandRow]
    members: int  # members who answered anything
    wishes: int
    not_carried: dict[int, Any] = field(default_factory=dict)  # answer id: why not
    left_group: int = 0  # of `members`, those no longer active (none of it is carried)
    in_round: int = 0  # members with an order line the round will carry
    levy_bp: int = 0  # the group's levy, the round made of the survey takes it on

    @property
    def budget(self) -> int:
        """The goods only, before the levy."""
        return sum(r.budget for r in self.rows)

    @property
    def levy(self) -> int:
        """The levy the round would add to the goods: the split's rule (spec
        rule 8: half up of the goods' value × the levy) over the whole budget;
        the round rounds each member's levy apart, so its sum may differ from
        this by a tyiyn or so per member."""
        return half_up_div(self.budget * self.levy_bp, 10_000)

    @property
    def with_levy(self) -> int:
        return self.budget + self.levy


def last_tiers(session: Session, product: Product) -> tuple[tuple[Tier, ...] | None, str]:
    """The price tiers the group last bought the product at (its latest award),
    else the catalog's; None when they do not start from quantity 0."""
    tiers = list(session.execute(
        select(AwardedTier.min_qty, AwardedTier.unit_price)
        .where(AwardedTier.round_item_id == select(func.max(RoundItem.id)).where(
            RoundItem.product_id == product.id,
            RoundItem.awarded_supplier_id.is_not(None)).scalar_subquery())
        .order_by(AwardedTier.min_qty)))
    source = "award"
    if not tiers:
        tiers = [(t.min_qty, t.unit_price) for t in product.price_tiers]
        source = "catalog"
    if not tiers or tiers[0][0] != 0:
        return None, source
    return tuple(Tier(q, p) for q, p in tiers), source


def budget_of(session: Session, product: Product, firm: int, maybe: int, currency: str
              ) -> tuple[int | None, int, str]:
    """(unit price, budget, where the price is from) of a product's demand:
    what the round would bill for it, the packs the split's pack rule orders
    at the tier their quantity reaches (coop.quotes.domain.line_cost, spec
    rules 1-3, the comparison's own), not the sure quantity × the price: a
    last pack the "maybe" fills is billed whole, one not filled not at all.
    With the product's pack size, as the round made of the survey orders it."""
    tiers, source = last_tiers(session, product)
    if tiers is None:
        return None, 0, source
    cost = line_cost(Need(0, firm, maybe), LineInput(available=True,
                                                     pack_size=product.pack_size, tiers=tiers),
                     currency)
    assert cost.tier is not None
    return cost.tier.unit_price, cost.total, source


def survey_answers(session: Session, survey: Survey) -> list[SurveyAnswer]:
    return list(session.scalars(select(SurveyAnswer).where(SurveyAnswer.survey_id == survey.id)
                                .options(joinedload(SurveyAnswer.membership)
                                         .joinedload(Membership.user))
                                .order_by(SurveyAnswer.membership_id, SurveyAnswer.item_id)))


def survey_demand(session: Session, survey: Survey) -> SurveyDemand:
    """Σ firm, Σ maybe and members per product, counting exactly the order
    lines the conversion will carry into the round (carried_line): not the
    answers of a member no longer active, nor a quantity off the product's
    step, nor a "maybe" alone, nor anything for a product the round cannot
    offer; each of those is in `not_carried` with the reason. The packs the
    split's pack rule would order (coop.orders.domain.pack_fill), as the
    round's page will show them; a budget of what the round would bill for
    them at the last known prices (budget_of). How many members answered,
    how many of them have left the group, and how many the round will carry."""
    group = session.get(Group, survey.group_id)
    assert group is not None
    answers = survey_answers(session, survey)
    not_offered = dict((item.id, reason) for item, reason in _refused_products(survey))
    items = {item.id: item for item in survey.items}
    lines: list[domain.Answer] = []
    not_carried: dict[int, Any] = {}
    for a in answers:
        line, reason = carried_line(a, items[a.item_id].product, not_offered.get(a.item_id))
        if line is None:
            not_carried[a.id] = reason
        else:
            lines.append(domain.Answer(a.membership_id, a.item_id, *line))
    rows = domain.demand([i.id for i in survey.items], lines)
    left_out: dict[int, int] = {}
    for a in answers:
        if a.id in not_carried:
            left_out[a.item_id] = left_out.get(a.item_id, 0) + 1
    out = []
    for item, row in zip(survey.items, rows, strict=True):
        product = item.product
        fill = round_rules.pack_fill(row.firm, row.maybe, product.pack_size)
        price, budget, source = budget_of(session, product, row.firm, row.maybe,
                                          group.currency)
        out.append(DemandRow(item=item, firm=row.firm, maybe=row.maybe,
                             members=row.member_count, fill=fill, unit_price=price,
                             price_from=source, budget=budget,
                             not_carried=left_out.get(item.id, 0),
                             not_offered=not_offered.get(item.id)))
    members = {a.membership_id for a in answers if a.firm or a.maybe}
    left_group = {a.membership_id for a in answers
                  if a.membership_id in members and not a.membership.active}
    wish_count = session.scalar(select(func.count(SurveyWish.id)).where(
        SurveyWish.survey_id == survey.id)) or 0
    return SurveyDemand(rows=out, members=len(members), wishes=int(wish_count),
                        not_carried=not_carried, left_group=len(left_group),
                        in_round=len({line.member for line in lines}),
                        levy_bp=group.levy_basis_points)


# --------------------------------------------------------------------------
# Survey → draft round
# --------------------------------------------------------------------------


@dataclass(frozen=True)
class Unconverted:
    """A line the conversion could not carry into the round, and why."""

    what: str  # product or wish text
    member: str  # her name ("" for a whole product)
    reason: Any  # translated text


@dataclass
class Conversion:
    round: Round
    lines: int
    unconverted: list[Unconverted]


def convertible(session: Session, survey: Survey) -> tuple[list[SurveyItem], list[Unconverted]]:
    """The survey's products a round can offer, and why the others cannot."""
    refused = _refused_products(survey)
    bad = {item.id for item, _reason in refused}
    return ([item for item in survey.items if item.id not in bad],
            [Unconverted(item.product.name, "", reason) for item, reason in refused])


def carried_line(answer: SurveyAnswer, product: Product, not_offered: Any | None = None
                 ) -> tuple[tuple[int, int] | None, Any | None]:
    """The order line (quantity, tolerance) the conversion makes of an answer,
    or None and why not: the product is not offered (`not_offered`, its
    reason), she is no longer an active member, a "maybe" alone, a quantity
    off the product's step. The one rule of both the conversion and the
    survey's demand, so that their figures agree."""
    if not_offered is not None:
        return None, not_offered
    if not answer.membership.active:
        return None, _l("she is no longer an active member of the group")
    quantity, tolerance = domain.order_line(answer.firm, answer.maybe)
    if not quantity:
        return None, _l("only a “maybe”: a round's tolerance needs a firm quantity")
    step = product.granularity
    firm_off = not round_rules.is_multiple(quantity, step)
    maybe_off = not round_rules.is_multiple(tolerance, step)
    named = unit_text.quantity(step, product.unit)
    if firm_off and maybe_off:  # the reason names each figure that is off, and only those
        return None, _l("the quantities “sure” and “maybe” are not multiples of %(step)s",
                        step=named)
    if firm_off:
        return None, _l("the quantity “sure” is not a multiple of %(step)s", step=named)
    if maybe_off:
        return None, _l("the “maybe” is not a multiple of %(step)s", step=named)
    return (quantity, tolerance), None


def _wish_lines(session: Session, survey: Survey) -> list[Unconverted]:
    return [Unconverted(wish.text, wish.membership.user.name,
                        _l("not in the catalog: add it to the catalog?"))
            for wish in wishes(session, survey)]


def conversion_report(session: Session, survey: Survey) -> list[Unconverted]:
    """For a converted survey, every line its round did not take, and why
    (worked out again from the survey and the round as they are)."""
    if survey.round_id is None:
        return []
    rnd = session.get(Round, survey.round_id)
    assert rnd is not None
    offered = {ri.product_id for ri in rnd.items}
    report = [Unconverted(item.product.name, "", reason)
              for item, reason in _refused_products(survey) if item.product_id not in offered]
    for answer in survey_answers(session, survey):
        product = answer.item.product
        if product.id not in offered:
            continue
        reason = carried_line(answer, product)[1]
        if reason is not None:
            report.append(Unconverted(product.name, answer.membership.user.name, reason))
    return report + _wish_lines(session, survey)


def _refused_products(survey: Survey) -> list[tuple[SurveyItem, Any]]:
    found = []
    for item in survey.items:
        product = item.product
        if product.retired:
            found.append((item, _l("retired in the catalog")))
        elif not any(t.min_qty == 0 for t in product.price_tiers):
            found.append((item, _l("no price from quantity 0")))
    return found


def convert_survey(session: Session, survey: Survey, actor: User, *, title: str) -> Conversion:
    """Make a draft round of the closed survey, each member's order pre-filled
    (firm → quantity, maybe → tolerance). Every line it cannot carry is
    reported: a retired or unpriced product, a member no longer active, a
    quantity off the product's step, a maybe without a firm quantity, a
    free-text wish (add it to the catalog first). Once only: the survey row
    is locked and moves to `converted` with the round. The products' steps
    are read under a share lock (lock_steps): a step change at the same
    moment goes either before, and the answers are checked against its new
    step, or after, and is checked against the round."""
    _lock(session, survey)
    if survey.state != domain.CLOSED:
        if survey.state == domain.CONVERTED:
            raise DomainError(_l("This survey is already a round."))
        raise DomainError(_l("Close the survey before turning it into a round."))
    group = session.get(Group, survey.group_id)
    assert group is not None
    # the steps checked below stay the steps until the round is committed: a
    # step change under way is waited for; one that comes later finds the round
    lock_steps(session, [item.product_id for item in survey.items])
    items, unconverted = convertible(session, survey)
    if not items:
        raise DomainError(_l("None of the survey's products can be offered in a round."))
    rnd = orders.create_round(session, group, actor, title=title, deadline=None,
                              product_ids=[i.product_id for i in items])
    round_items = {ri.product_id: ri for ri in rnd.items}
    by_item = {i.id: i for i in items}
    lines = 0
    for answer in survey_answers(session, survey):
        item = by_item.get(answer.item_id)
        if item is None:
            continue  # reported above, once per product
        product = item.product
        line, reason = carried_line(answer, product)
        if line is None:
            unconverted.append(Unconverted(product.name, answer.membership.user.name, reason))
            continue
        quantity, tolerance = line
        orders._apply_line(session, rnd, answer.membership, round_items[product.id].id, None,
                           quantity, tolerance, actor)
        lines += 1
    unconverted += _wish_lines(session, survey)
    moved = session.execute(update(Survey).where(Survey.id == survey.id,
                                                 Survey.state == domain.CLOSED)
                            .values(state=domain.CONVERTED, round_id=rnd.id)
                            .execution_options(synchronize_session=False))
    if moved.rowcount != 1:
        raise DomainError(_l("This survey is already a round."))
    session.refresh(survey, ["state", "round_id"])
    session.flush()
    return Conversion(round=rnd, lines=lines, unconverted=unconverted)


# --------------------------------------------------------------------------
# CSV import: all or nothing, every bad line by its number
# --------------------------------------------------------------------------

IMPORT_COLUMNS = ("member", "product", "firm", "maybe", "area")
# The columns as the page, the template's header and the errors name them, in
# the page's language; a file headed in any of the app's languages is read
# (a group passes files around), and so are the spellings people write.
IMPORT_COLUMN_NAMES = {"member": lazy_pgettext("survey import column", "member"),
                       "product": lazy_pgettext("survey import column", "product"),
                       "firm": lazy_pgettext("survey import column", "firm"),
                       "maybe": lazy_pgettext("survey import column", "maybe"),
                       "area": lazy_pgettext("survey import column", "area")}
_ALIASES = {"member": "member", "участница": "member", "member_name": "member", "имя": "member",
            "phone": "member", "телефон": "member",
            "product": "product", "товар": "product", "article_code": "product",
            "артикул": "product", "firm": "firm", "точно": "firm", "quantity": "firm",
            "количество": "firm", "maybe": "maybe", "возможно": "maybe", "tolerance": "maybe",
            "area": "area", "площадь": "area", "сотых": "area", "area_sotka": "area"}


def import_column_names() -> list[str]:
    """The columns in order, named in the current language."""
    return [str(IMPORT_COLUMN_NAMES[column]) for column in IMPORT_COLUMNS]


def _import_aliases() -> dict[str, str]:
    from flask_babel import force_locale

    from coop.config import SUPPORTED_LOCALES

    aliases = dict(_ALIASES)
    for locale in SUPPORTED_LOCALES:
        with force_locale(locale):
            for column, name in IMPORT_COLUMN_NAMES.items():
                aliases.setdefault(_key(str(name)), column)
    return aliases


@dataclass(frozen=True)
class ImportLine:
    line: int
    membership: Membership
    item: SurveyItem
    answer: AnswerInput


def _key(text: str) -> str:
    return "".join(ch for ch in text.strip().lower() if ch.isalnum() or ch == "_")


def read_answers_csv(session: Session, survey: Survey, data: bytes
                     ) -> list[ImportLine]:
    """Read the file, a CSV or an Excel workbook (.xlsx, its first sheet) as the
    catalog import reads them; CatalogError (coop.suppliers.domain) with every
    bad line, by the CSV's line or the sheet's row number."""
    from coop.suppliers.domain import CatalogError, RowError

    rows = catalog.read_rows(data)
    while rows and not any(c.strip() for c in rows[0][1]):  # a sheet's empty rows on top
        rows = rows[1:]
    if not rows:
        raise CatalogError([RowError(1, "", _l("The file is empty."))])
    header_line, header = rows[0]
    aliases = _import_aliases()
    columns: dict[str, int] = {}
    for index, cell in enumerate(header):
        name = aliases.get(_key(catalog._unquote_formula(cell)))
        if name and name not in columns:
            columns[name] = index
    missing = [c for c in ("member", "product") if c not in columns]
    if missing or not ({"firm", "maybe", "area"} & columns.keys()):
        raise CatalogError([RowError(header_line, "", _l(
            "The header row must name the columns, for example: %(example)s",
            example=";".join(import_column_names())))])
    members = _members_by_key(session, survey.group_id)
    items = {}
    for item in survey.items:
        items[_key(item.product.name)] = item
        if item.product.article_code:
            items.setdefault(_key(item.product.article_code), item)
    errors: list[RowError] = []
    lines: list[ImportLine] = []
    seen: dict[tuple[int, int], int] = {}

    def label(name: str) -> str:  # as the import page names the column
        return str(IMPORT_COLUMN_NAMES[name]) if name in IMPORT_COLUMN_NAMES else ""

    def cell(cells: list[str], name: str) -> str:
        index = columns.get(name)
        return catalog._unquote_formula(cells[index]).strip() \
            if index is not None and index < len(cells) else ""

    for number, cells in rows[1:]:
        if not any(c.strip() for c in cells):
            continue
        member_text, product_text = cell(cells, "member"), cell(cells, "product")
        membership = members.get(_key(member_text))
        if membership is None:
            errors.append(RowError(number, label("member"), _l("No active member of the group is "
                                                        "called %(name)s.", name=member_text)))
        item = items.get(_key(product_text))
        if item is None:
            errors.append(RowError(number, label("product"), _l("%(name)s is not in the survey.",
                                                         name=product_text)))
        values: dict[str, int | None] = {}
        for name in ("firm", "maybe", "area"):
            raw = cell(cells, name)
            try:
                values[name] = parse_quantity(raw) if raw else None
            except MoneyError as exc:
                errors.append(RowError(number, label(name), exc.message))
        if membership is None or item is None or len(values) < 3:
            continue
        if (membership.id, item.id) in seen:
            errors.append(RowError(number, "", _l("The same member and product are also on "
                                                  "line %(line)d.",
                                                  line=seen[(membership.id, item.id)])))
            continue
        seen[(membership.id, item.id)] = number
        answer = AnswerInput(firm=values["firm"] or 0, maybe=values["maybe"] or 0,
                             area=values["area"])
        try:
            resolve(item, answer)
        except DomainError as exc:
            errors.append(RowError(number, label((exc.field or "").split("_")[0]),
                                   exc.message))
            continue
        lines.append(ImportLine(number, membership, item, answer))
    if errors:
        raise CatalogError(errors)
    return lines


def _members_by_key(session: Session, group_id: int) -> dict[str, Membership]:
    found: dict[str, Membership] = {}
    for membership in session.scalars(select(Membership).where(
            Membership.group_id == group_id, Membership.active.is_(True))
            .options(joinedload(Membership.user))):
        found.setdefault(_key(membership.user.name), membership)
        if membership.user.phone:
            found.setdefault(_key(membership.user.phone), membership)
    return found


def import_answers(session: Session, survey: Survey, data: bytes, actor: User) -> int:
    """Import answers from a CSV or .xlsx, all or nothing; returns how many lines."""
    lines = read_answers_csv(session, survey, data)
    by_member: dict[int, tuple[Membership, dict[int, AnswerInput]]] = {}
    for line in lines:
        by_member.setdefault(line.membership.id, (line.membership, {}))[1][line.item.id] = \
            line.answer
    for membership, answers in by_member.values():
        save_answers(session, survey, membership, answers, actor, source="import")
    return len(lines)


def answers_csv_template(survey: Survey) -> bytes:
    from coop.csv_export import csv_bytes

    return csv_bytes(import_column_names(), (["", item.product.name, "", "", ""]
                                      for item in survey.items))


# --------------------------------------------------------------------------
# Reminder and the paper form
# --------------------------------------------------------------------------


def missing_members(session: Session, survey: Survey) -> list[Membership]:
    """Active members who have not answered yet."""
    answered = select(SurveyAnswer.membership_id).where(SurveyAnswer.survey_id == survey.id)
    return list(session.scalars(select(Membership).where(
        Membership.group_id == survey.group_id, Membership.active.is_(True),
        Membership.id.not_in(answered)).options(joinedload(Membership.user))
        .order_by(Membership.id)))


# --------------------------------------------------------------------------
# Household profile
# --------------------------------------------------------------------------


def profile_of(session: Session, membership: Membership) -> HouseholdProfile | None:
    return session.scalar(select(HouseholdProfile).where(
        HouseholdProfile.membership_id == membership.id))


def save_profile(session: Session, membership: Membership, actor: User, *,
                 household_size: int | None, land: int | None, livestock: int | None,
                 migrant_abroad: bool | None, services_wanted: str) -> HouseholdProfile:
    if household_size is not None and not 1 <= household_size <= 60:
        raise DomainError(_l("A household has from 1 to 60 people."), field="household_size")
    if land is not None and not 0 <= land <= 10**9:
        raise DomainError(_l("The land must be zero or more."), field="land")
    if livestock is not None and not 0 <= livestock <= 100000:
        raise DomainError(_l("The number of animals must be zero or more."),
                          field="livestock")
    profile = profile_of(session, membership)
    if profile is None:
        profile = HouseholdProfile(membership_id=membership.id)
        session.add(profile)
    profile.household_size, profile.land, profile.livestock = household_size, land, livestock
    profile.migrant_abroad = migrant_abroad
    profile.services_wanted = (services_wanted or "").strip()[:300]
    profile.updated_by_id, profile.updated_at = actor.id, utcnow()
    session.flush()
    return profile


def group_indicators(session: Session, group: Group) -> domain.Indicators:
    members = session.scalar(select(func.count(Membership.id)).where(
        Membership.group_id == group.id, Membership.active.is_(True))) or 0
    rows = session.scalars(select(HouseholdProfile).join(
        Membership, Membership.id == HouseholdProfile.membership_id).where(
        Membership.group_id == group.id, Membership.active.is_(True)))
    return domain.indicators(int(members), (domain.Profile(
        p.household_size, p.land, p.livestock, p.migrant_abroad) for p in rows))


# --------------------------------------------------------------------------
# Seed rates of the catalog
# --------------------------------------------------------------------------


def seed_products(session: Session, group: Group) -> list[Product]:
    return list(session.scalars(select(Product).where(
        Product.group_id == group.id, Product.retired.is_(False)).order_by(Product.name)))


def set_seed_rates(session: Session, group: Group, rates: Mapping[int, int | None]) -> int:
    """{product id: thousandths of the unit per сотка, or None}; returns how many changed.
    The rows are locked in id order first (FOR NO KEY UPDATE, as a step change
    and an import lock them): written in the form's order, they could wait
    crosswise for a conversion's or another writer's locks (lock_steps)."""
    session.execute(select(Product.id).where(
        Product.group_id == group.id, Product.id.in_(sorted(rates)))
        .order_by(Product.id).with_for_update(key_share=True))
    products = {p.id: p for p in seed_products(session, group)}
    changed = 0
    for product_id, rate in rates.items():
        product = products.get(product_id)
        if product is None:
            raise DomainError(_l("Unknown product."))
        try:
            changed += suppliers.set_seed_rate(session, product, rate)
        except DomainError as exc:
            raise DomainError(_l("%(product)s: %(reason)s", product=product.name,
                                 reason=exc.message), field=f"rate_{product_id}") from exc
    session.flush()
    return changed
