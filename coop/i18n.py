"""Which language a person sees, and formatting helpers for templates."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from flask import Flask, current_app, request, session
from flask_babel import format_date, format_datetime, get_locale
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from coop import money
from coop.config import SUPPORTED_LOCALES

LANGUAGE_NAMES = {
    "en": "English",
    "ru": "Русский",
    "ky": "Кыргызча",
    "tg": "Тоҷикӣ",
}

COUNTRY_NAMES = {"KG": _l("Kyrgyzstan"), "TJ": _l("Tajikistan"), "KZ": _l("Kazakhstan"),
                 "UZ": _l("Uzbekistan")}


def select_locale() -> str:
    """The user's setting, else the language picked this session, else the browser."""
    if current_user and current_user.is_authenticated and current_user.locale:
        return current_user.locale
    chosen = session.get("locale")
    if chosen in SUPPORTED_LOCALES:
        return chosen
    best = request.accept_languages.best_match(SUPPORTED_LOCALES)
    return best or current_app.config["BABEL_DEFAULT_LOCALE"]


def current_locale() -> str:
    return str(get_locale() or "en")


def fmt_money(minor: int | None, currency: str) -> str:
    if minor is None:
        return ""
    return money.format_money(minor, currency, current_locale())


def fmt_number(value: Decimal | int | str | None) -> str:
    if value is None or value == "":
        return ""
    return money.format_number(Decimal(value), current_locale())


def fmt_date(value: date | datetime | None) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return format_datetime(value, "short")
    return format_date(value, "medium")


def register_template_helpers(app: Flask) -> None:
    app.jinja_env.filters["money"] = fmt_money
    app.jinja_env.filters["number"] = fmt_number
    app.jinja_env.filters["date"] = fmt_date
    app.jinja_env.globals["LANGUAGE_NAMES"] = LANGUAGE_NAMES
    app.jinja_env.globals["current_locale"] = current_locale
