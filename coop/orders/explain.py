"""Every figure of a member's bill with a one-line "why", for the pages.

Words the figures of the split (coop.orders.facts, taken from the engine's
outcome) in the user's language; computes nothing the engine did not."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from flask_babel import get_translations

from coop import money, unit_text
from coop.i18n import current_locale, fmt_price, fmt_qty
from coop.orders import facts
from coop.orders.cache import _Recent
from coop.orders.domain import PackFill
from coop.unit_text import UnitWords


@dataclass(frozen=True, slots=True)
class LineView:
    product: str
    unit: str
    quantity: str
    tolerance: str
    allocated: str
    unit_price: str
    amount: int
    why: str
    allocated_text: str = ""  # "2,5 килограмма"
    asked: str = ""  # "Asked 30, tolerance 5, price 48.5"
    amount_text: str = ""  # the amount in money, for the page


@dataclass
class ChargeView:
    name: str
    amount: int
    why: str
    amount_text: str = ""


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
    bazaar: str | None = None  # what the same goods would cost at the bazaar, worded
    own: bool = True  # worded to her ("you get"), else of her ("she gets")


class _Words:
    """Words and numbers in the locale current when it was made. The locale and
    its translations are looked up once: a bill of fifty lines has a thousand
    numbers and hundreds of sentences, and Flask-Babel looks them up anew on
    every call."""

    def __init__(self, currency: str, qty_decimals: int) -> None:
        self.currency = currency
        self.qty_decimals = qty_decimals
        self.locale = current_locale()
        self._translations = get_translations()
        self.units = UnitWords(self.locale, self._translations)

    def gettext(self, string: str, **variables: object) -> str:
        """flask_babel.gettext, with the translations looked up once."""
        text = self._translations.ugettext(string)
        return text % variables if variables else text

    def money(self, minor: int) -> str:
        return money.format_money(minor, self.currency, self.locale)

    def number(self, value: Decimal) -> str:
        return money.format_number(value, self.locale)

    def num(self, value: int, decimals: int) -> str:
        return money.format_number(Decimal(value).scaleb(-decimals), self.locale)

    def qty(self, quantity: int) -> str:
        return self.num(quantity, self.qty_decimals)

    def qty_unit(self, quantity: int, unit: str) -> str:
        """'2,5 килограмма': a quantity of the split (in 10**-qty_decimals) with its unit."""
        return self.units.quantity(quantity, unit, self.qty_decimals)

    def price_money(self, micro: int) -> str:
        """'38,00 сом': a unit price with the currency, where the unit is said nearby."""
        return self.units.price(micro, self.currency)

    def unit_price(self, micro: int, unit: str) -> str:
        """'38,00 сом за пакет'."""
        return self.units.unit_price(micro, self.currency, unit)

    def ngettext(self, singular: str, plural: str, num: int, **variables: object) -> str:
        """flask_babel.ngettext, with the translations looked up once."""
        variables.setdefault("num", num)
        return self._translations.ungettext(singular, plural, num) % variables

    def thousandths(self, milli: int) -> str:
        """A quantity kept in thousandths, as the `qty` filter shows it."""
        return fmt_qty(milli, self.locale)

    def price(self, micro: int) -> str:
        """A unit price kept in millionths, as the `price` filter shows it."""
        return fmt_price(micro, self.locale)


@dataclass
class PackRow:
    """One product of the "demand and packs" table, worded."""

    product: str
    supplier: str
    pack: str
    firm: str
    tolerance: str
    percent: int
    status: str


def pack_rows(fills: list[tuple[Any, PackFill]],
              shared_out: list[int] | None = None) -> list[PackRow]:
    """[(round item, PackFill)] worded for the table (orders/_packs.html);
    `shared_out`: once the goods are in, what of each was shared out among the
    members (thousandths of its unit), said after its packs: the packs are
    those ordered, and a short or damaged delivery leaves less."""
    words = _Words("", 3)
    _, qty = words.gettext, words.thousandths
    rows, tolerance = [], _("tolerance")
    for position, (item, fill) in enumerate(fills):
        product = item.product
        unit = product.unit
        status = _pack_status(words, fill, unit)
        if shared_out is not None and fill.firm:
            status += " " + _("Shared out after the delivery: %(quantity)s.",
                              quantity=words.units.quantity(shared_out[position], unit))
        rows.append(PackRow(
            product=product.name, supplier=(item.awarded_supplier or product.supplier).name,
            pack=words.units.pack(fill.pack_size, unit,
                                  unit_text.container_of(product, fill.pack_size)),
            firm=words.units.quantity(fill.firm, unit),
            tolerance=f"+ {qty(fill.tolerance)} {tolerance}", percent=fill.fill_percent,
            status=status))
    return rows


def pack_statuses(fills: list[tuple[Any, PackFill]]) -> dict[int, str]:
    """{round item id: how its packs fill}, as the round's table says it
    (pack_rows), for the order form: the tolerances counted, as the split
    counts them. (The form says an "other" unit just before.)"""
    words = _Words("", 3)
    return {item.id: _pack_status(words, fill, item.product.unit, unit_note=False)
            for item, fill in fills}


def _pack_status(words: _Words, fill: PackFill, unit: str, *, unit_note: bool = True) -> str:
    """How many packs the group's orders make of a product under the split's
    rule 1 (spec/split.md): whether the tolerances fill the last one, and if
    not, what it still needs beyond them. `unit_note`: an "other" unit (no
    grammar, bare numbers) is said first."""
    _, ngettext = words.gettext, words.ngettext
    if fill.firm == 0:
        return _("No orders yet.")
    if fill.remainder == 0:
        return ngettext("%(num)d full pack.", "%(num)d full packs.", fill.full_packs)
    if fill.tolerance_fills_last:
        return ngettext("%(num)d pack: tolerance fills the last one.",
                        "%(num)d packs: tolerance fills the last one.", fill.packs)
    other = unit_text.is_other(unit)  # no grammar: the unit apart, a bare number
    missing = (words.units.number(fill.short) if other
               else words.units.quantity(fill.short, unit))
    note = unit_text.note(unit) if unit_note else ""
    if fill.full_packs == 0:  # not "0 full packs; the last…"
        return note + _("The first pack is not full yet: it needs %(missing)s more (firm or "
                        "tolerance), or it is not ordered.", missing=missing)
    return note + ngettext(
        "%(num)d full pack; the last needs %(missing)s more (firm or tolerance), "
        "or it is not ordered.",
        "%(num)d full packs; the last needs %(missing)s more (firm or tolerance), "
        "or it is not ordered.",
        fill.full_packs, missing=missing)


class RoundSummary(_Words):
    """The treasurer's view of a round's split (coop.orders.facts.RoundFacts)."""

    def __init__(self, round_facts: facts.RoundFacts, currency: str) -> None:
        super().__init__(currency, round_facts.qty_decimals)
        self.products = round_facts.products
        self.members = round_facts.members
        self.totals = round_facts.totals


# the least recently shown go first: the bills of the members viewing them on
# a busy evening (a hundred bills of fifty lines), not a whole round's
_LINE_VIEWS: _Recent[LineView] = _Recent(5_000)


class _ShareWords(_Words):
    """The "why" of each figure of a member's bill: to her ("you get") on her
    own view of it, of her ("she gets") on another's (the treasurer's)."""

    def __init__(self, currency: str, qty_decimals: int, *, own: bool = True) -> None:
        super().__init__(currency, qty_decimals)
        self.own = own

    def basis(self, s: facts.Sharing, value: int) -> str:
        _ = self.gettext
        if s.basis == "value":
            return self.money(value)
        if s.basis == "weight":
            return _("%(kg)s kg", kg=self.num(value, s.basis_decimals))
        return self.num(value, s.basis_decimals)

    def share_why(self, s: facts.Sharing, what: str) -> str:
        _ = self.gettext
        if s.basis == "equal":
            return _("%(what)s shared equally among %(n)d members.", what=what, n=s.count)
        if s.basis == "per_member":
            return _("%(what)s: the same from each member.", what=what)
        if s.basis == "fund":
            return _("%(what)s: paid by the solidarity fund.", what=what)
        by = {"value": _("by goods value"), "weight": _("by weight"),
              "quantity": _("by quantity"), "allocated": _("by quantity received")}[s.basis]
        mine, total = self.basis(s, s.mine or 0), self.basis(s, s.total)
        if not self.own:
            return _("%(what)s shared %(by)s: hers %(mine)s of %(total)s.", what=what, by=by,
                     mine=mine, total=total)
        return _("%(what)s shared %(by)s: yours %(mine)s of %(total)s.", what=what, by=by,
                 mine=mine, total=total)

    def line(self, line: facts.LineFacts) -> LineView:
        """The line worded; the same line in the same locale, currency,
        quantity unit and person (to her, or of her) is worded once per
        process (after an order, every bill of the round is shown anew, most
        of its lines as they were)."""
        key = (self.locale, self.currency, self.qty_decimals, self.own, line)
        found = _LINE_VIEWS.get(key)
        if found is None:
            found = self._line(line)
            _LINE_VIEWS.put(key, found)
        return found

    def _line(self, line: facts.LineFacts) -> LineView:
        _ = self.gettext
        price = Decimal(line.unit_price).scaleb(-6)
        unit = line.unit
        numbers = {name: self.qty_unit(value, unit) for name, value in (
            ("pack", line.pack_size), ("ordered", line.ordered), ("firm", line.firm),
            ("usable", line.usable), ("allocated", line.allocated),
            ("quantity", line.quantity), ("extra", line.allocated - line.quantity))}
        if line.quantity and line.packs == 0:
            why = _("Not ordered: all members together did not fill one pack "
                    "(%(pack)s).", **numbers)
        elif line.allocated < line.quantity and line.usable < line.ordered:
            why = _("Only %(usable)s arrived usable for %(firm)s asked firmly; shared by "
                    "firm quantities, you get %(allocated)s.", **numbers) if self.own else _(
                "Only %(usable)s arrived usable for %(firm)s asked firmly; shared by "
                "firm quantities, she gets %(allocated)s.", **numbers)
        elif line.allocated < line.quantity:
            why = _("The group ordered %(ordered)s in full packs of %(pack)s for %(firm)s "
                    "asked firmly: tolerances could not fill one more pack. Shared by firm "
                    "quantities, you get %(allocated)s.", **numbers) if self.own else _(
                "The group ordered %(ordered)s in full packs of %(pack)s for %(firm)s "
                "asked firmly: tolerances could not fill one more pack. Shared by firm "
                "quantities, she gets %(allocated)s.", **numbers)
        elif line.allocated > line.quantity:
            why = _("Your %(quantity)s plus %(extra)s of your tolerance, to fill the group's "
                    "packs of %(pack)s.", **numbers) if self.own else _(
                "Her %(quantity)s plus %(extra)s of her tolerance, to fill the group's "
                "packs of %(pack)s.", **numbers)
        else:
            why = _("What you asked for. The group ordered %(ordered)s in packs of "
                    "%(pack)s.", **numbers) if self.own else _(
                "What she asked for. The group ordered %(ordered)s in packs of "
                "%(pack)s.", **numbers)
        if line.quantity and line.packs and line.allocated < line.quantity:
            # who of those who asked the same gets the unit that is short (split.md)
            why += " " + _("What cannot be split evenly goes to the largest remainders, "
                           "and between equal ones to the member who joined the group "
                           "earlier.")
        why += " " + _("Price for the group's quantity: %(price)s.",
                       price=self.unit_price(line.unit_price, unit))
        return LineView(product=line.product, unit=line.unit, quantity=self.qty(line.quantity),
                        tolerance=self.qty(line.tolerance), allocated=self.qty(line.allocated),
                        unit_price=self.number(price), amount=line.amount, why=why,
                        asked=_("Asked %(q)s, tolerance %(t)s, price %(p)s",
                                q=numbers["quantity"], t=self.qty_unit(line.tolerance, unit),
                                p=self.unit_price(line.unit_price, unit)),
                        amount_text=self.money(line.amount),
                        allocated_text=numbers["allocated"])

    def loss(self, item: facts.LossFacts) -> ChargeView:
        _ = self.gettext
        if item.product is None:
            what = _("All the round's losses, %(loss)s,", loss=self.money(item.loss))
            return ChargeView(_("Losses"), item.share, self.share_why(item.sharing, what),
                              self.money(item.share))
        what = _("%(product)s: %(loss)s lost (damaged, or delivered beyond what was asked)",
                 product=item.product, loss=self.money(item.loss))
        return ChargeView(_("Loss: %(name)s", name=item.product), item.share,
                          self.share_why(item.sharing, what), self.money(item.share))

    def cost(self, cost: facts.CostFacts) -> ChargeView:
        _ = self.gettext
        if cost.sharing.mine is None and cost.sharing.basis != "fund":
            # (she may have ordered from that supplier and received none of it)
            if self.own:
                why = (_("Not yours: it is shared by those who received goods of this "
                         "supplier, and you received none.") if cost.supplier
                       else _("Not yours: you received no goods."))
            else:
                why = (_("Not hers: it is shared by those who received goods of this "
                         "supplier, and she received none.") if cost.supplier
                       else _("Not hers: she received no goods."))
        else:
            why = self.share_why(cost.sharing, self.money(cost.amount))
        return ChargeView(cost.name, cost.share, why, self.money(cost.share))


def member_share(member: facts.MemberFacts, currency: str, *, own: bool = True
                 ) -> MemberShare:
    """Her bill with a "why" for every figure, in the current locale: `own`,
    worded to her (her own page, her invoice), else of her (the treasurer's
    view of it)."""
    words = _ShareWords(currency, member.qty_decimals, own=own)
    _ = words.gettext
    share = MemberShare(membership_id=member.membership_id, name=member.name,
                        goods=member.goods, total=member.total,
                        retail_value=member.retail_value, savings=member.savings, own=own)
    share.lines = [words.line(line) for line in member.lines]
    share.bazaar = _bazaar(words, member.retail_value, member.savings, own=own)
    share.losses = [words.loss(item) for item in member.loss_items]
    share.losses_total = member.losses
    share.shared = [words.cost(cost) for cost in member.costs]
    share.shared_total = sum(cost.share for cost in member.costs)
    numerator, denominator = member.levy_percent
    if member.levy or numerator:
        pct = words.number(Decimal(numerator) / denominator)
        goods = words.money(member.goods)
        share.levy = ChargeView(_("Solidarity fund levy"), member.levy, _(
            "%(pct)s%% of your goods (%(goods)s) goes to the group's solidarity fund.",
            pct=pct, goods=goods) if own else _(
            "%(pct)s%% of her goods (%(goods)s) goes to the group's solidarity fund.",
            pct=pct, goods=goods), words.money(member.levy))
    if member.cash_rounding:
        step = words.money(member.cash_rounding)
        share.rounding = ChargeView(_("Cash rounding"), member.rounding, _(
            "Your total is rounded to a multiple of %(step)s so that it can be paid in "
            "cash; the difference goes to (or comes from) the solidarity fund.",
            step=step) if own else _(
            "Her total is rounded to a multiple of %(step)s so that it can be paid in "
            "cash; the difference goes to (or comes from) the solidarity fund.",
            step=step), words.money(member.rounding))
    return share


def _bazaar(words: _Words, retail: int | None, savings: int | None, *, own: bool = True
            ) -> str | None:
    if retail is None:
        return None
    _ = words.gettext
    if savings and savings > 0:
        if not own:
            return _("At the bazaar the same goods would cost %(retail)s: she saves "
                     "%(saved)s.", retail=words.money(retail), saved=words.money(savings))
        return _("At the bazaar the same goods would cost %(retail)s: you save %(saved)s.",
                 retail=words.money(retail), saved=words.money(savings))
    if savings and savings < 0:
        if not own:
            return _("At the bazaar the same goods would cost %(retail)s: here she pays "
                     "%(more)s more, with the shared costs.",
                     retail=words.money(retail), more=words.money(-savings))
        return _("At the bazaar the same goods would cost %(retail)s: here you pay %(more)s "
                 "more, with the shared costs.",
                 retail=words.money(retail), more=words.money(-savings))
    return _("At the bazaar the same goods would cost %(retail)s, as much as here.",
             retail=words.money(retail))


def share_text(member: facts.MemberFacts, currency: str, round_title: str, group_name: str,
               balance: int | None) -> str:
    """Her share as a message for WhatsApp or Telegram (in the current locale):
    what she gets and pays, without the "why"."""
    words = _ShareWords(currency, member.qty_decimals)
    _ = words.gettext
    money = words.money
    lines = [f"{group_name}: {round_title}", member.name]
    for line in member.lines:
        view = words.line(line)  # worded as on her bill
        lines.append(f"• {line.product}: {view.allocated_text} — {view.amount_text}")
    charges = [(cost.name, cost.share) for cost in member.costs]
    charges += [(words.loss(item).name, item.share) for item in member.loss_items]
    charges += [(_("Solidarity fund levy"), member.levy),
                (_("Cash rounding"), member.rounding)]
    lines += [f"• {name}: {money(amount)}" for name, amount in charges if amount]
    lines.append(_("Total: %(total)s", total=money(member.total)))
    if member.savings is not None and member.savings > 0:
        lines.append(_("You save %(saved)s against the bazaar.",
                                   saved=money(member.savings)))
    if balance is not None:
        if balance < 0:
            lines.append(_("Your account: you owe %(amount)s.",
                                       amount=money(-balance)))
        elif balance == 0:  # as her share page says it, not "0,00 in your favour"
            lines.append(_("Your account: nothing owed."))
        else:
            lines.append(_("Your account: %(amount)s in credit.",
                                       amount=money(balance)))
    return "\n".join(lines)
