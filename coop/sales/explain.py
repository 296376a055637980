"""A member's payout, line by line, as her page, her PDF and her message show
it: what she brought, what of it was sold, her share of each sale, of the
levy and of each cost. Words in the current locale (callers force hers)."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_DOWN, Decimal
from fractions import Fraction

from flask_babel import gettext as _

from coop import unit_text
from coop.groups.models import Group, Membership
from coop.i18n import fmt_money, fmt_number
from coop.money import minor_digits
from coop.sales import domain
from coop.sales.models import Sale, SaleCost, SaleGrade
from coop.sales.services import RULE_NAMES, LotView, PayoutLine, cost_label, lot_title


@dataclass(frozen=True)
class GradeLine:
    grade: SaleGrade
    contributed: int
    sold: int
    unsold: int
    value: int  # sold × factor (thousandths × thousandths)


@dataclass(frozen=True)
class MemberStatement:
    view: LotView
    membership: Membership
    payout: domain.MemberPayout
    grades: list[GradeLine]
    sales: list[tuple[Sale, int]]  # the sale, her share
    costs: list[tuple[SaleCost, int]]  # the cost, her share

    @property
    def closed(self) -> bool:
        return self.view.closed

    @property
    def value_share(self) -> Decimal | None:
        """Her value as a percentage of the lot's, to two decimals."""
        return self.view.value_share(self.payout)

    @property
    def by_value(self) -> domain.ValueShare | None:
        return domain.value_share(self.view.split, self.payout)

    def brought_any_of(self, sale: Sale) -> bool:
        """Whether the sale sold a grade she brought."""
        hers = {line.grade.id for line in self.grades}
        return any(line.grade_id in hers for line in sale.lines)


def part_label(mine: bool) -> str:
    """The column of her part of each sale, levy and cost: a part of the lot's
    money by value (the split, coop.sales.domain), not what of hers was sold."""
    return _("Your part, by value") if mine else _("Her part, by value")


def split_words(mine: bool) -> str:
    """What her part of a sale is, said where it is shown (found on a walk: a
    woman who brought only the second grade was shown "her share" of a sale of
    the first grade, as if she had sold in it)."""
    if mine:
        return _("Every sale of the lot is shared over the whole lot by the value of each "
                 "woman's produce sold (quantity × the grade's price factor), whatever grade "
                 "the sale was of. A sale's line shows your part of its money, not what of "
                 "your produce it sold.")
    return _("Every sale of the lot is shared over the whole lot by the value of each "
             "woman's produce sold (quantity × the grade's price factor), whatever grade "
             "the sale was of. A sale's line shows her part of its money, not what of her "
             "produce it sold.")


def sale_words(statement: MemberStatement, sale: Sale, mine: bool) -> str:
    """Said of a sale of none of the grades she brought; else nothing."""
    if statement.brought_any_of(sale):
        return ""
    return _("none of your grades in this sale") if mine else _(
        "none of her grades in this sale")


def member_statement(view: LotView, membership: Membership) -> MemberStatement | None:
    """Her lines of the lot's split; None when she has nothing in the lot."""
    payout = view.split.member(membership.id)
    if payout is None:
        return None
    grades = [GradeLine(g, c, s, u, s * g.factor) for g, c, s, u in zip(
        view.grades, payout.contributed, payout.sold, payout.unsold, strict=True) if c]
    return MemberStatement(view=view, membership=membership, payout=payout, grades=grades,
                           sales=list(zip(view.sales, payout.sales, strict=True)),
                           costs=list(zip(view.costs, payout.costs, strict=True)))


def value_units(value: int) -> Decimal:
    """A value (quantity × factor, both in thousandths) in units of full price."""
    return Decimal(value) / (domain.FACTOR_SCALE * 1000)


EXACT_PLACES = 4  # an exact share shown to 1/10000 of the major unit


def exact_money(value: Fraction, currency: str) -> str:
    """An exact amount in minor units (a fraction) in the major unit: as money
    when it is a whole number of minor units, else to four decimals with "…"
    when it has more (the digits shown are cut, not rounded): "1 893,3412… сом"."""
    if value.denominator == 1:
        return fmt_money(value.numerator, currency)
    major = Decimal(value.numerator) / Decimal(value.denominator) / 10 ** minor_digits(currency)
    shown = major.quantize(Decimal(1).scaleb(-EXACT_PLACES), rounding=ROUND_DOWN).normalize()
    return f"{fmt_number(shown)}{'' if shown == major else '…'} {unit_text.currency_name(currency)}"


def share_working(statement: MemberStatement, currency: str) -> list[str]:
    """How her share comes about, step by step, with the figures she can check
    on a calculator (the page and the PDF say the same): what is split by value,
    her value units of the lot's, her exact share and how it was rounded, then
    the costs shared otherwise. Words in the current locale."""
    working = statement.by_value
    if working is None:
        return []
    split, p, cur = statement.view.split, statement.payout, currency
    value_costs = sum(c.amount for c in statement.view.costs if c.rule == domain.VALUE)
    other = sum(share for cost, share in statement.costs if cost.rule != domain.VALUE)
    mine, total = value_units(working.value), value_units(working.total_value)
    lines = [
        _("To share by value: sales %(revenue)s − fund levy %(levy)s − costs shared by value "
          "%(costs)s = %(net)s.", revenue=fmt_money(split.revenue, cur),
          levy=fmt_money(split.levy, cur), costs=fmt_money(value_costs, cur),
          net=fmt_money(working.by_value, cur)),
        _("Value units (what was sold × the grade's price factor): %(mine)s of the lot's "
          "%(total)s, that is %(percent)s.", mine=fmt_number(mine), total=fmt_number(total),
          percent=percent(statement.value_share)),
        _("Exact share: %(net)s × %(mine)s ÷ %(total)s = %(exact)s.",
          net=fmt_money(working.by_value, cur), mine=fmt_number(mine), total=fmt_number(total),
          exact=exact_money(working.exact, cur)),
    ]
    step = fmt_money(1, cur)
    if working.rounding > 0:
        lines.append(_("Rounded up to %(share)s. Every share is rounded to %(step)s so that "
                       "together they make exactly %(net)s: first each one down, then what is "
                       "left is handed out %(step)s at a time to the shares whose cut-off part "
                       "was largest; this share got %(step)s.",
                       share=fmt_money(working.share, cur), step=step,
                       net=fmt_money(working.by_value, cur)))
    elif working.rounding < 0:
        lines.append(_("Rounded down to %(share)s. Every share is rounded to %(step)s so that "
                       "together they make exactly %(net)s: first each one down, then what is "
                       "left is handed out %(step)s at a time to the shares whose cut-off part "
                       "was largest; this share got none.",
                       share=fmt_money(working.share, cur), step=step,
                       net=fmt_money(working.by_value, cur)))
    else:
        lines.append(_("No rounding needed: %(share)s.", share=fmt_money(working.share, cur)))
    lines.append(_("Each sale, the levy and each cost shared by value are shared the same "
                   "way, so the lines of the table add up to %(share)s.",
                   share=fmt_money(working.share, cur)))
    if other:
        lines.append(_("Then the costs shared by quantity or equally: −%(costs)s. Payout: "
                       "%(payout)s.", costs=fmt_money(other, cur),
                       payout=fmt_money(p.payout, cur)))
    return lines


def unsold_words(statement: MemberStatement, line: GradeLine) -> str:
    unit = statement.view.lot.unit
    amount = unit_text.quantity(line.unsold, unit)
    if not statement.closed:
        return _("%(amount)s not sold yet", amount=amount)
    if line.grade.unsold_action == domain.CARRY:
        return _("%(amount)s carried to a new lot", amount=amount)
    return _("%(amount)s given back", amount=amount)  # read by her and by the treasurer


def rule_words(cost: SaleCost) -> str:
    return str(RULE_NAMES.get(cost.rule, cost.rule))


def statement_text(statement: MemberStatement | None, group: Group, balance: int | None,
                   cash: PayoutLine | None = None) -> str:
    """Her payout as a message for WhatsApp or Telegram (current locale)."""
    if statement is None:
        return ""
    lot, cur = statement.view.lot, group.currency
    lines = [f"{group.name}: {lot_title(lot)}", statement.membership.user.name]
    if not statement.closed:
        lines.append(_("Preview: the lot is not closed yet, the figures may change."))
    for line in statement.grades:
        text = _("%(grade)s: brought %(brought)s, sold %(sold)s",
                 grade=line.grade.name, brought=unit_text.quantity(line.contributed, lot.unit),
                 sold=unit_text.quantity(line.sold, lot.unit))
        if line.unsold:
            text += f", {unsold_words(statement, line)}"
        lines.append(f"• {text}")
    lines.append(_("Your part of the lot's sales, by value: %(amount)s",
                   amount=fmt_money(statement.payout.revenue, cur)))
    if statement.payout.levy:
        lines.append(_("Solidarity fund levy: −%(amount)s",
                       amount=fmt_money(statement.payout.levy, cur)))
    for cost, share in statement.costs:
        if share:
            lines.append(f"• {cost_label(cost)}: −{fmt_money(share, cur)}")
    if statement.payout.payout >= 0:
        lines.append(_("Your payout: %(amount)s", amount=fmt_money(statement.payout.payout, cur)))
    else:
        lines.append(_("The costs were more than the sales: you owe %(amount)s.",
                       amount=fmt_money(-statement.payout.payout, cur)))
    if cash is not None and cash.entitled > 0:
        if cash.seed_loans:
            lines.append(_("Seed loans repaid first: −%(amount)s",
                           amount=fmt_money(cash.seed_loans, cur)))
        if cash.set_off:
            lines.append(_("Set off against what you owed the group: −%(amount)s",
                           amount=fmt_money(cash.set_off, cur)))
        lines.append(_("Cash for you: %(amount)s", amount=fmt_money(cash.cash_due, cur)))
        if statement.closed and cash.handed:
            lines.append(_("Cash handed to you: %(amount)s", amount=fmt_money(cash.handed, cur)))
    if balance is not None:
        if balance < 0:
            lines.append(_("Your account: you owe %(amount)s.", amount=fmt_money(-balance, cur)))
        elif balance == 0:
            lines.append(_("Your account: nothing owed."))
        else:
            lines.append(_("Your account: %(amount)s in credit.",
                           amount=fmt_money(balance, cur)))
    return "\n".join(lines)


def percent(value: Decimal | None) -> str:
    return "" if value is None else f"{fmt_number(value)} %"

