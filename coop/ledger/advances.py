"""A member's payment beyond anything she could owe: kept as credit (an
advance), so it is asked first, by the payment form and by the API alike.

Apart from coop.ledger.services because it weighs her open orders too
(coop.orders.services), which itself posts to the books through the ledger."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Session

from coop.groups.models import Membership
from coop.i18n import fmt_money
from coop.ledger.services import member_balance
from coop.orders.services import order_exposure


def far_beyond_owed(session: Session, membership: Membership, amount: int) -> str | None:
    """What to ask before a payment of `amount` that goes beyond what she owes
    and what her orders in rounds not yet settled could cost (a slip of the
    keyboard, an extra zero, is likelier than such an advance); None when it
    does not."""
    owed = max(-member_balance(session, membership), 0)
    could_cost = order_exposure(session, membership)
    extra = amount - owed - could_cost
    if extra <= 0:
        return None
    currency = membership.group.currency
    return str(_l("%(name)s owes %(owed)s, and her orders in rounds not yet settled could cost "
                  "%(orders)s at most: a payment of %(amount)s leaves %(extra)s in credit in "
                  "her account.", name=membership.user.name, owed=fmt_money(owed, currency),
                  orders=fmt_money(could_cost, currency), amount=fmt_money(amount, currency),
                  extra=fmt_money(extra, currency)))
