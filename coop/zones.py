"""Where a group lives, in time: the zone its deadlines, dates and documents
read in. Pure: no Flask, no database."""

from __future__ import annotations

from typing import Any

DEFAULT_ZONE = "Asia/Bishkek"
# by the group's country, else its currency
ZONE_BY_COUNTRY = {"KG": "Asia/Bishkek", "TJ": "Asia/Dushanbe", "KZ": "Asia/Almaty",
                   "UZ": "Asia/Tashkent"}
ZONE_BY_CURRENCY = {"KGS": "Asia/Bishkek", "TJS": "Asia/Dushanbe", "KZT": "Asia/Almaty",
                    "UZS": "Asia/Tashkent"}
TIMEZONES = ("Asia/Bishkek", "Asia/Dushanbe", "Asia/Almaty", "Asia/Tashkent")


def default_timezone(country: str | None, currency: str | None) -> str:
    return (ZONE_BY_COUNTRY.get(country or "") or ZONE_BY_CURRENCY.get(currency or "")
            or DEFAULT_ZONE)


def zone_for_new_group(context: Any) -> str:
    """The column default for a group inserted without a zone (SQLAlchemy calls
    it with the insert's parameters)."""
    params = context.get_current_parameters()
    return default_timezone(params.get("country"), params.get("currency"))
