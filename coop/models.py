"""Every feature's models, imported once so that the metadata (and Alembic)
knows every table."""

from coop.auth.models import OneTimeToken, User
from coop.groups.models import Group, Membership
from coop.ledger.models import Account, Payment, Posting
from coop.orders.models import (
    AwardedTier,
    CreditNote,
    Delivery,
    Request,
    RequestChange,
    Round,
    RoundEvent,
    RoundItem,
    Settlement,
    SharedCost,
)
from coop.suppliers.models import PriceTier, Product, Supplier

__all__ = [
    "Account",
    "AwardedTier",
    "CreditNote",
    "Delivery",
    "Group",
    "Membership",
    "OneTimeToken",
    "Payment",
    "Posting",
    "PriceTier",
    "Product",
    "Request",
    "RequestChange",
    "Round",
    "RoundEvent",
    "RoundItem",
    "Settlement",
    "SharedCost",
    "Supplier",
    "User",
]
