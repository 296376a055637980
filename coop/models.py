"""Every feature's models, imported once so that the metadata (and Alembic)
knows every table."""

from coop.api.models import ApiToken
from coop.auth.models import OneTimeToken, User
from coop.documents.models import Document, DocumentCounter
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
from coop.payables.models import SupplierPayment
from coop.quotes.models import (
    CounterOffer,
    CounterOfferLine,
    Quote,
    QuoteAward,
    QuoteLine,
    QuoteRevision,
    QuoteTier,
)
from coop.sales.models import (
    Buyer,
    CashPayout,
    Contribution,
    LotClosing,
    Sale,
    SaleCost,
    SaleGrade,
    SaleLine,
    SaleLot,
    SalePayout,
)
from coop.suppliers.models import PriceTier, Product, Supplier
from coop.timebank.models import (
    TimeAccount,
    TimeBankSettings,
    TimeBatch,
    TimeCategory,
    TimeMovement,
    TimePost,
    TimeTransfer,
)

__all__ = [
    "Account",
    "ApiToken",
    "AwardedTier",
    "Buyer",
    "CashPayout",
    "Contribution",
    "CounterOffer",
    "CounterOfferLine",
    "CreditNote",
    "Delivery",
    "Document",
    "DocumentCounter",
    "Group",
    "LotClosing",
    "Membership",
    "OneTimeToken",
    "Payment",
    "Posting",
    "PriceTier",
    "Product",
    "Quote",
    "QuoteAward",
    "QuoteLine",
    "QuoteRevision",
    "QuoteTier",
    "Request",
    "RequestChange",
    "Round",
    "RoundEvent",
    "RoundItem",
    "Sale",
    "SaleCost",
    "SaleGrade",
    "SaleLine",
    "SaleLot",
    "SalePayout",
    "Settlement",
    "SharedCost",
    "Supplier",
    "SupplierPayment",
    "TimeAccount",
    "TimeBankSettings",
    "TimeBatch",
    "TimeCategory",
    "TimeMovement",
    "TimePost",
    "TimeTransfer",
    "User",
]
