"""Every figure of a member's bill with a one-line "why", for the pages.

Reads the split engine's outcome (coop.orders.split) and words it in the
user's language; computes nothing the engine did not."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import TYPE_CHECKING

from flask_babel import gettext as _

from coop.i18n import fmt_money, fmt_number
from coop.orders import split

if TYPE_CHECKING:
    from coop.orders.services import RoundSplit


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


def _num(value: int, decimals: int) -> str:
    return fmt_number(Decimal(value).scaleb(-decimals))


class RoundView:
    """The split of a round, worded for people."""

    def __init__(self, round_split: RoundSplit, currency: str) -> None:
        self.split = round_split
        self.outcome = round_split.outcome
        self.scenario = round_split.outcome.scenario
        self.currency = currency

    # -- helpers ---------------------------------------------------------

    def money(self, minor: int) -> str:
        return fmt_money(minor, self.currency)

    def qty(self, quantity: int) -> str:
        return _num(quantity, self.scenario.qty_decimals)

    def _basis(self, s: split.Split, value: int) -> str:
        if s.basis == "value":
            return self.money(value)
        if s.basis == "weight":
            return _("%(kg)s kg", kg=_num(value, s.basis_decimals))
        return _num(value, s.basis_decimals)

    def _share_why(self, s: split.Split, member: int, what: str) -> str:
        mine = s.bases.get(member, 0)
        if s.basis == "equal":
            return _("%(what)s shared equally among %(n)d members.", what=what,
                     n=len(s.bases))
        if s.basis == "per_member":
            return _("%(what)s: the same from each member.", what=what)
        if s.basis == "fund":
            return _("%(what)s: paid by the solidarity fund.", what=what)
        by = {"value": _("by goods value"), "weight": _("by weight"),
              "quantity": _("by quantity"), "allocated": _("by quantity received")}[s.basis]
        return _("%(what)s shared %(by)s: yours %(mine)s of %(total)s.", what=what, by=by,
                 mine=self._basis(s, mine), total=self._basis(s, s.total_basis))

    # -- products --------------------------------------------------------

    def product_rows(self) -> list[tuple[split.ProductOutcome, split.Product]]:
        return list(zip(self.outcome.products, self.scenario.products, strict=True))

    def member_rows(self) -> list[tuple[split.MemberOutcome, str, int]]:
        """(outcome, name, shared total) for the treasurer's table."""
        return [(m, self.scenario.members[m.index].name, sum(m.shared))
                for m in self.outcome.members]

    # -- one member ------------------------------------------------------

    def member(self, membership_id: int) -> MemberShare | None:
        index = self.split.member_index.get(membership_id)
        if index is None:
            return None
        outcome = self.outcome.members[index]
        share = MemberShare(membership_id=membership_id,
                            name=self.scenario.members[index].name, goods=outcome.goods,
                            total=outcome.total, retail_value=outcome.retail_value,
                            savings=outcome.savings)
        for line in self.outcome.lines_of(index):
            share.lines.append(self._line(line))
        share.losses = self._losses(index)
        share.losses_total = outcome.losses
        for cost, amount in zip(self.outcome.shared_costs, outcome.shared, strict=True):
            share.shared.append(ChargeView(cost.cost.name, amount, self._cost_why(cost, index)))
        share.shared_total = sum(outcome.shared)
        if outcome.levy or self.scenario.levy_percent:
            share.levy = ChargeView(_("Solidarity fund levy"), outcome.levy, _(
                "%(pct)s%% of your goods (%(goods)s) goes to the group's solidarity fund.",
                pct=fmt_number(Decimal(self.scenario.levy_percent.numerator)
                               / self.scenario.levy_percent.denominator),
                goods=self.money(outcome.goods)))
        if self.scenario.cash_rounding:
            share.rounding = ChargeView(_("Cash rounding"), outcome.rounding, _(
                "Your total is rounded to a multiple of %(step)s so that it can be paid in "
                "cash; the difference goes to (or comes from) the solidarity fund.",
                step=self.money(self.scenario.cash_rounding)))
        return share

    def _line(self, line: split.Line) -> LineView:
        outcome = self.outcome.products[line.product]
        product = self.scenario.products[line.product]
        price = Decimal(outcome.unit_price).scaleb(-6)
        numbers = {"unit": product.unit,
                   "pack": self.qty(product.pack_size), "ordered": self.qty(outcome.ordered),
                   "firm": self.qty(outcome.firm), "usable": self.qty(outcome.usable),
                   "allocated": self.qty(line.allocated), "quantity": self.qty(line.quantity),
                   "extra": self.qty(line.allocated - line.quantity)}
        if line.quantity and outcome.packs == 0:
            why = _("Not ordered: all members together did not fill one pack "
                    "(%(pack)s %(unit)s).", **numbers)
        elif line.allocated < line.quantity and outcome.usable < outcome.ordered:
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
                       price=fmt_number(price), **numbers)
        return LineView(product=product.name, unit=product.unit,
                        quantity=self.qty(line.quantity), tolerance=self.qty(line.tolerance),
                        allocated=self.qty(line.allocated), unit_price=fmt_number(price),
                        amount=line.amount, why=why)

    def _losses(self, member: int) -> list[ChargeView]:
        views = []
        for product_outcome, product in self.product_rows():
            s = product_outcome.loss_split
            if s is not None and member in s.shares and s.shares[member]:
                what = _("%(product)s: %(loss)s lost (damaged, or delivered beyond what was "
                         "asked)", product=product.name, loss=self.money(product_outcome.loss))
                views.append(ChargeView(product.name, s.shares[member],
                                        self._share_why(s, member, what)))
        s = self.outcome.round_loss
        if s is not None and s.shares.get(member):
            what = _("All the round's losses, %(loss)s,", loss=self.money(s.amount))
            views.append(ChargeView(_("Losses"), s.shares[member],
                                    self._share_why(s, member, what)))
        return views

    def _cost_why(self, cost: split.SharedCostOutcome, member: int) -> str:
        what = self.money(cost.cost.amount)
        if member not in cost.split.bases and cost.split.basis != "fund":
            if cost.cost.supplier:
                return _("Not yours: it is only for goods of another supplier.")
            return _("Not yours: you received no goods.")
        return self._share_why(cost.split, member, what)


def share_text(view: RoundView, membership_id: int, round_title: str, group_name: str,
               balance: int | None) -> str:
    """Her share as a message for WhatsApp or Telegram (in the current locale)."""
    share = view.member(membership_id)
    if share is None:
        return ""
    lines = [f"{group_name}: {round_title}", share.name]
    for line in share.lines:
        lines.append(f"• {line.product}: {line.allocated} {line.unit} — {view.money(line.amount)}")
    for charge in [*share.shared, *share.losses]:
        if charge.amount:
            lines.append(f"• {charge.name}: {view.money(charge.amount)}")
    for charge in (share.levy, share.rounding):
        if charge is not None and charge.amount:
            lines.append(f"• {charge.name}: {view.money(charge.amount)}")
    lines.append(_("Total: %(total)s", total=view.money(share.total)))
    if share.savings is not None and share.savings > 0:
        lines.append(_("You save %(saved)s against the bazaar.", saved=view.money(share.savings)))
    if balance is not None:
        if balance < 0:
            lines.append(_("Your account: you owe %(amount)s.", amount=view.money(-balance)))
        else:
            lines.append(_("Your account: %(amount)s in credit.", amount=view.money(balance)))
    return "\n".join(lines)
