"""Every figure of a member's bill with a one-line "why", for the pages.

Words the figures of the split (coop.orders.facts, taken from the engine's
outcome) in the user's language; computes nothing the engine did not."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from flask_babel import gettext as _

from coop import money
from coop.i18n import current_locale, fmt_money
from coop.orders import facts


@dataclass
class LineView:
    product: str
    unit: str
    quantity: str
    tolerance: str
    allocated: str
    unit_price: str
    amount: int
    why: str


@dataclass
class ChargeView:
    name: str
    amount: int
    why: str


@dataclass
class MemberShare:
    membership_id: int
    name: str
    lines: list[LineView] = field(default_factory=list)
    goods: int = 0
    losses: list[ChargeView] = field(default_factory=list)
    losses_total: int = 0
    shared: list[ChargeView] = field(default_factory=list)
    shared_total: int = 0
    levy: ChargeView | None = None
    rounding: ChargeView | None = None
    total: int = 0
    retail_value: int | None = None
    savings: int | None = None


class _Words:
    """Numbers in the locale current when it was made (looked up once: a bill
    of fifty lines has a thousand numbers)."""

    def __init__(self, currency: str, qty_decimals: int) -> None:
        self.currency = currency
        self.qty_decimals = qty_decimals
        self.locale = current_locale()

    def money(self, minor: int) -> str:
        return money.format_money(minor, self.currency, self.locale)

    def number(self, value: Decimal) -> str:
        return money.format_number(value, self.locale)

    def num(self, value: int, decimals: int) -> str:
        return money.format_number(Decimal(value).scaleb(-decimals), self.locale)

    def qty(self, quantity: int) -> str:
        return self.num(quantity, self.qty_decimals)


class RoundSummary(_Words):
    """The treasurer's view of a round's split (coop.orders.facts.RoundFacts)."""

    def __init__(self, round_facts: facts.RoundFacts, currency: str) -> None:
        super().__init__(currency, round_facts.qty_decimals)
        self.products = round_facts.products
        self.members = round_facts.members
        self.totals = round_facts.totals


class _ShareWords(_Words):
    def __init__(self, member: facts.MemberFacts, currency: str) -> None:
        super().__init__(currency, member.qty_decimals)
        self.member = member

    def basis(self, s: facts.Sharing, value: int) -> str:
        if s.basis == "value":
            return self.money(value)
        if s.basis == "weight":
            return _("%(kg)s kg", kg=self.num(value, s.basis_decimals))
        return self.num(value, s.basis_decimals)

    def share_why(self, s: facts.Sharing, what: str) -> str:
        if s.basis == "equal":
            return _("%(what)s shared equally among %(n)d members.", what=what, n=s.count)
        if s.basis == "per_member":
            return _("%(what)s: the same from each member.", what=what)
        if s.basis == "fund":
            return _("%(what)s: paid by the solidarity fund.", what=what)
        by = {"value": _("by goods value"), "weight": _("by weight"),
              "quantity": _("by quantity"), "allocated": _("by quantity received")}[s.basis]
        return _("%(what)s shared %(by)s: yours %(mine)s of %(total)s.", what=what, by=by,
                 mine=self.basis(s, s.mine or 0), total=self.basis(s, s.total))

    def line(self, line: facts.LineFacts) -> LineView:
        price = Decimal(line.unit_price).scaleb(-6)
        numbers = {"unit": line.unit,
                   "pack": self.qty(line.pack_size), "ordered": self.qty(line.ordered),
                   "firm": self.qty(line.firm), "usable": self.qty(line.usable),
                   "allocated": self.qty(line.allocated), "quantity": self.qty(line.quantity),
                   "extra": self.qty(line.allocated - line.quantity)}
        if line.quantity and line.packs == 0:
            why = _("Not ordered: all members together did not fill one pack "
                    "(%(pack)s %(unit)s).", **numbers)
        elif line.allocated < line.quantity and line.usable < line.ordered:
            why = _("Only %(usable)s %(unit)s arrived usable for %(firm)s %(unit)s asked "
                    "firmly; shared by firm quantities, you get %(allocated)s.", **numbers)
        elif line.allocated < line.quantity:
            why = _("The group ordered %(ordered)s %(unit)s in full packs of %(pack)s for "
                    "%(firm)s %(unit)s asked firmly: tolerances could not fill one more pack. "
                    "Shared by firm quantities, you get %(allocated)s.", **numbers)
        elif line.allocated > line.quantity:
            why = _("Your %(quantity)s plus %(extra)s of your tolerance, to fill the group's "
                    "packs of %(pack)s %(unit)s.", **numbers)
        else:
            why = _("What you asked for. The group ordered %(ordered)s %(unit)s in packs of "
                    "%(pack)s.", **numbers)
        why += " " + _("Price for the group's quantity: %(price)s per %(unit)s.",
                       price=self.number(price), **numbers)
        return LineView(product=line.product, unit=line.unit,
                        quantity=self.qty(line.quantity), tolerance=self.qty(line.tolerance),
                        allocated=self.qty(line.allocated), unit_price=self.number(price),
                        amount=line.amount, why=why)

    def loss(self, item: facts.LossFacts) -> ChargeView:
        if item.product is None:
            what = _("All the round's losses, %(loss)s,", loss=self.money(item.loss))
            return ChargeView(_("Losses"), item.share, self.share_why(item.sharing, what))
        what = _("%(product)s: %(loss)s lost (damaged, or delivered beyond what was asked)",
                 product=item.product, loss=self.money(item.loss))
        return ChargeView(item.product, item.share, self.share_why(item.sharing, what))

    def cost(self, cost: facts.CostFacts) -> ChargeView:
        if cost.sharing.mine is None and cost.sharing.basis != "fund":
            why = (_("Not yours: it is only for goods of another supplier.") if cost.supplier
                   else _("Not yours: you received no goods."))
        else:
            why = self.share_why(cost.sharing, self.money(cost.amount))
        return ChargeView(cost.name, cost.share, why)


def member_share(member: facts.MemberFacts, currency: str) -> MemberShare:
    """Her bill with a "why" for every figure, in the current locale."""
    words = _ShareWords(member, currency)
    share = MemberShare(membership_id=member.membership_id, name=member.name,
                        goods=member.goods, total=member.total,
                        retail_value=member.retail_value, savings=member.savings)
    share.lines = [words.line(line) for line in member.lines]
    share.losses = [words.loss(item) for item in member.loss_items]
    share.losses_total = member.losses
    share.shared = [words.cost(cost) for cost in member.costs]
    share.shared_total = sum(cost.share for cost in member.costs)
    numerator, denominator = member.levy_percent
    if member.levy or numerator:
        share.levy = ChargeView(_("Solidarity fund levy"), member.levy, _(
            "%(pct)s%% of your goods (%(goods)s) goes to the group's solidarity fund.",
            pct=words.number(Decimal(numerator) / denominator), goods=words.money(member.goods)))
    if member.cash_rounding:
        share.rounding = ChargeView(_("Cash rounding"), member.rounding, _(
            "Your total is rounded to a multiple of %(step)s so that it can be paid in "
            "cash; the difference goes to (or comes from) the solidarity fund.",
            step=words.money(member.cash_rounding)))
    return share


def share_text(share: MemberShare, currency: str, round_title: str, group_name: str,
               balance: int | None) -> str:
    """Her share as a message for WhatsApp or Telegram (in the current locale)."""

    def money(minor: int) -> str:
        return fmt_money(minor, currency)

    lines = [f"{group_name}: {round_title}", share.name]
    for line in share.lines:
        lines.append(f"• {line.product}: {line.allocated} {line.unit} — {money(line.amount)}")
    for charge in [*share.shared, *share.losses]:
        if charge.amount:
            lines.append(f"• {charge.name}: {money(charge.amount)}")
    for charge in (share.levy, share.rounding):
        if charge is not None and charge.amount:
            lines.append(f"• {charge.name}: {money(charge.amount)}")
    lines.append(_("Total: %(total)s", total=money(share.total)))
    if share.savings is not None and share.savings > 0:
        lines.append(_("You save %(saved)s against the bazaar.", saved=money(share.savings)))
    if balance is not None:
        if balance < 0:
            lines.append(_("Your account: you owe %(amount)s.", amount=money(-balance)))
        else:
            lines.append(_("Your account: %(amount)s in credit.", amount=money(balance)))
    return "\n".join(lines)
