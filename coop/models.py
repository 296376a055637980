"""Every feature's models, imported once so that the metadata (and Alembic)
knows every table."""

from coop.auth.models import OneTimeToken, User
from coop.groups.models import Group, Membership
from coop.ledger.models import Account, Posting
from coop.orders.models import (
    AwardedTier,
    Request,
    RequestChange,
    Round,
    RoundEvent,
    RoundItem,
    SharedCost,
)
from coop.suppliers.models import PriceTier, Product, Supplier

__all__ = [
    "Account", "AwardedTier", "Group", "Membership", "OneTimeToken", "Posting", "PriceTier",
    "Product", "Request", "RequestChange", "Round", "RoundEvent", "RoundItem", "SharedCost",
    "Supplier", "User",
]
