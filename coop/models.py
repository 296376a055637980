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
from coop.season.models import (
    HouseholdProfile,
    SeedLoan,
    SeedRepayment,
    SeedStockMove,
    Survey,
    SurveyAnswer,
    SurveyItem,
    SurveyWish,
)
from coop.suppliers.models import PriceTier, Product, Supplier

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
    "HouseholdProfile",
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
    "SeedLoan",
    "SeedRepayment",
    "SeedStockMove",
    "Settlement",
    "SharedCost",
    "Supplier",
    "SupplierPayment",
    "Survey",
    "SurveyAnswer",
    "SurveyItem",
    "SurveyWish",
    "User",
]
