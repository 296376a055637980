"""Which language a person sees, and formatting helpers for templates."""

from __future__ import annotations

import time
from datetime import date, datetime
from decimal import Decimal
from functools import lru_cache
from typing import Any

from babel import Locale
from babel.numbers import format_decimal
from flask import Flask, current_app, g, has_app_context, has_request_context, request, session
from flask_babel import (
    format_date,
    format_datetime,
    get_locale,
    get_translations,
    to_user_timezone,
)
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from coop import money, unit_text
from coop.config import SUPPORTED_LOCALES
from coop.db import utcnow
from coop.quantities import PRICE_SCALE, QTY_SCALE

LANGUAGE_NAMES = {
    "en": "English",
    "ru": "Русский",
    "ky": "Кыргызча",
    "tg": "Тоҷикӣ",
}

TIMEZONE_NAMES = {"Asia/Bishkek": _l("Bishkek (UTC+6)"), "Asia/Dushanbe": _l("Dushanbe (UTC+5)"),
                  "Asia/Almaty": _l("Almaty (UTC+5)"), "Asia/Tashkent": _l("Tashkent (UTC+5)")}
COUNTRY_NAMES = {"KG": _l("Kyrgyzstan"), "TJ": _l("Tajikistan"), "KZ": _l("Kazakhstan"),
                 "UZ": _l("Uzbekistan")}


def select_locale() -> str:
    """A language the view forced (g.locale_override), else the user's setting,
    else the language picked this session, else the browser. Outside a request
    (CLI, jobs) English, the source language.

    Her account's language (User.locale) is what her documents, her share text
    and her account's message speak, so it is set the way a member on a shared
    phone expects (the rest of the rule is `note_language_choice` and
    `coop.auth.services.remember_language`):

    - signed in, the language she picks is stored on her account;
    - signed out, a language picked on the sign-in page (or her link's page)
      is kept for the sign-in that follows in this visit (within half an
      hour: SIGN_IN_CHOICE_SECONDS): she gets it after signing in, and her
      account stores it; over a language her account had, only when picked
      just before (SIGN_IN_OVERRIDE_SECONDS) and not kept for another account
      whose sign-in failed after it (a shared phone); she can change it back;
    - signing in without having picked one keeps her account's language (a
      phone someone else used before does not overwrite it); when the account
      has none, the language of the session or the browser shows, unstored;
    - setting her password through her invite (or reset) link is signing in
      on her own phone: the language that page was shown in (her browser's or
      her choice there) is stored when the account has none;
    - signing out leaves the phone in her language (the sign-in page after
      her reads it), and a choice made before her sign-in passes to nobody."""
    if not has_request_context():
        return "en"
    # a page may speak its visitor's language whoever is signed in (a supplier's link)
    override = g.get("locale_override")
    if override in SUPPORTED_LOCALES:
        return override
    if current_user and current_user.is_authenticated and current_user.locale:
        return current_user.locale
    chosen = session.get("locale")
    if chosen in SUPPORTED_LOCALES:
        return chosen
    best = request.accept_languages.best_match(SUPPORTED_LOCALES)
    return best or current_app.config["BABEL_DEFAULT_LOCALE"]


# The language picked while signed out, for the sign-in that follows: the
# session's "locale" alone cannot say it, as it outlives a sign-out (it is the
# language the last person on this phone read).
SIGN_IN_CHOICE = "locale-chosen"
SIGN_IN_CHOICE_SECONDS = 30 * 60  # "in this visit": a choice left on the phone goes stale
# over a language her account has already: only a choice made just before
# signing in, and not one with which another account was tried (a choice made
# by the woman before her on a shared phone must not overwrite hers)
SIGN_IN_OVERRIDE_SECONDS = 5 * 60


def note_language_choice(locale: str) -> None:
    """She picked `locale` while signed out (on the sign-in page, or the page
    of her invite link): the sign-in that follows takes it and stores it."""
    session[SIGN_IN_CHOICE] = [locale, int(time.time())]


def note_sign_in_tried(login: str) -> None:
    """A sign-in with `login` (coop.auth.services.login_key) did not get in:
    the choice made before it is kept for that account alone, should another
    be signed in next on this phone."""
    kept = session.get(SIGN_IN_CHOICE)
    if isinstance(kept, list) and len(kept) == 2:
        session[SIGN_IN_CHOICE] = [*kept, login]


def language_choice(*, over: str | None = None, login: str | None = None) -> str | None:
    """The language picked while signed out in this visit (the last half hour),
    if any; else None. It stays until `forget_language_choice`. `over`: the
    language her account has (None: none): then only a choice of the last
    five minutes counts, and not one kept for another account tried before
    (`login`, her sign-in's login_key)."""
    kept = session.get(SIGN_IN_CHOICE)
    if not isinstance(kept, list) or len(kept) not in (2, 3):
        return None
    locale, at, *tried = kept
    if locale not in SUPPORTED_LOCALES or not isinstance(at, int):
        return None
    age = time.time() - at
    if not 0 <= age <= SIGN_IN_CHOICE_SECONDS or (over and age > SIGN_IN_OVERRIDE_SECONDS):
        return None
    if over and tried and tried[0] != login:
        return None
    return str(locale)


def forget_language_choice() -> None:
    """Used by a sign-in, or left behind by a sign-out: it passes to nobody else."""
    session.pop(SIGN_IN_CHOICE, None)


def select_timezone() -> str | None:
    """The time zone of the group the request (or job) is about, set by
    `use_group_timezone`; else the app's default (COOP_TIMEZONE)."""
    return g.get("coop_timezone") if has_app_context() else None


def use_group_timezone(group: object) -> None:
    """Dates and times from here on read as in this group's time zone: deadlines
    typed, dates on pages, PDFs and CSV exports, "today" on documents."""
    zone = getattr(group, "timezone", None)
    if not zone or g.get("coop_timezone") == zone:
        return
    g.coop_timezone = zone
    cached = g.get("_flask_babel")
    if cached is not None and hasattr(cached, "babel_tzinfo"):
        del cached.babel_tzinfo


def local_today() -> date:
    """Today where the group lives (its time zone): the date documents carry and
    offers are valid until."""
    return to_user_timezone(utcnow()).date()


def current_locale() -> str:
    locale = get_locale()
    return "en" if locale is None else _locale_name(locale)


@lru_cache(maxsize=64)
def _locale_name(locale: Locale) -> str:
    return str(locale)  # Babel builds the string anew on every call


def fmt_money(minor: int | None, currency: str) -> str:
    if minor is None:
        return ""
    return money.format_money(minor, currency, current_locale())


def fmt_number(value: Decimal | int | float | str | None) -> str:
    if value is None or value == "":
        return ""
    if isinstance(value, float):  # a template's division (333 / 100): as it reads, 3,33
        value = repr(value)
    return money.format_number(Decimal(value), current_locale())


def fmt_qty(milli: int | None, locale: str | None = None) -> str:
    """A quantity kept in thousandths of the unit, for people: '2,5' (in the
    current locale, or `locale`)."""
    if milli is None:
        return ""
    return money.format_number(Decimal(milli) / QTY_SCALE, locale or current_locale())


def fmt_price(micro: int | None, locale: str | None = None) -> str:
    """A unit price kept in millionths, as a bare number: '48,5' (where it
    stands in a column headed with the currency, or in a form field)."""
    if micro is None:
        return ""
    return money.format_number(Decimal(micro) / PRICE_SCALE, locale or current_locale())


def input_number(value: Decimal | int) -> str:
    """A number as a form field is filled with: the user's decimal sign, no
    grouping (an English '1,000' would read back as one), no trailing zeros:
    '2,5', '1000', '1'."""
    return format_decimal(Decimal(value), format="0.######", locale=current_locale())


def input_qty(milli: int) -> str:
    return input_number(Decimal(milli) / QTY_SCALE)


def input_price(micro: int) -> str:
    return input_number(Decimal(micro) / PRICE_SCALE)


def input_percent(basis_points: int) -> str:
    return input_number(Decimal(basis_points) / 100)


def fmt_basis_points(value: int) -> str:
    """200 basis points -> '2' (percent)."""
    return money.format_number(Decimal(value) / 100, current_locale())


# Dates as people there write them: 02.12.2026 in Russian, Kyrgyz and Tajik;
# English unambiguous, 2 Dec 2026 (never 12/2/26).
DATE_PATTERNS = {"en": "d MMM yyyy"}
DATE_PATTERN = "dd.MM.yyyy"


def date_pattern(locale: str | None = None) -> str:
    return DATE_PATTERNS.get((locale or current_locale()).split("_")[0], DATE_PATTERN)


def fmt_date(value: date | datetime | None) -> str:
    """A date '02.12.2026' (en '2 Dec 2026'); a moment, kept in UTC, as the
    date and time in the group's time zone: '02.12.2026 18:00'."""
    if value is None:
        return ""
    pattern = date_pattern()
    if isinstance(value, datetime):
        return format_datetime(value, f"{pattern} HH:mm")
    return format_date(value, pattern)


def fmt_month(year: int, month: int) -> str:
    """A month as people say it: 'ноябрь 2026', 'November 2026'."""
    return format_date(date(year, month, 1), "LLLL y")


def fmt_timestamp(value: datetime) -> str:
    """A moment kept in naive UTC, in the group's time zone, for CSV files:
    '2026-12-02 18:00' (sorts as text, reads everywhere)."""
    return to_user_timezone(value).strftime("%Y-%m-%d %H:%M")


def _translations() -> Any:
    """Flask-Babel's translations for the locale of the moment, looked up once
    per locale and request instead of once per string: a page's labels asked
    for them 15 to 35 times, at about 7 µs a time. Kept with Flask-Babel's own
    per-request state, under the locale object it holds: force_locale puts
    another one there (and back), so a forced language is never served the
    request's translations, nor the reverse."""
    ctx = g.get("_flask_babel") if has_app_context() else None
    if ctx is not None:
        kept = getattr(ctx, "coop_translations", None)
        locale = getattr(ctx, "babel_locale", None)
        if kept is not None and locale is not None and kept[0] is locale \
                and kept[1] is getattr(ctx, "babel_domain", None):
            return kept[2]
    found = get_translations()
    ctx = g.get("_flask_babel") if has_app_context() else None
    if ctx is not None and getattr(ctx, "babel_locale", None) is not None:
        ctx.coop_translations = (ctx.babel_locale, getattr(ctx, "babel_domain", None), found)
    return found


def register_template_helpers(app: Flask) -> None:
    # the templates' _() and ngettext(), as Flask-Babel installs them, but
    # finding the translations once per locale and request (_translations)
    app.jinja_env.install_gettext_callables(
        gettext=lambda s: _translations().ugettext(s),
        ngettext=lambda s, p, n: _translations().ungettext(s, p, n),
        pgettext=lambda c, s: _translations().upgettext(c, s),
        npgettext=lambda c, s, p, n: _translations().unpgettext(c, s, p, n),
        newstyle=True)
    app.jinja_env.filters["money"] = fmt_money
    app.jinja_env.filters["number"] = fmt_number
    app.jinja_env.filters["date"] = fmt_date
    app.jinja_env.filters["qty"] = fmt_qty
    app.jinja_env.filters["price"] = fmt_price
    app.jinja_env.filters["percent_bp"] = fmt_basis_points
    app.jinja_env.globals["qty_unit"] = unit_text.quantity
    app.jinja_env.globals["qty_unit_dec"] = unit_text.decimal_quantity
    app.jinja_env.globals["unit_label"] = unit_text.label
    app.jinja_env.globals["other_unit"] = unit_text.is_other
    app.jinja_env.globals["order_text"] = unit_text.order
    app.jinja_env.globals["qty_in"] = unit_text.in_sentence
    app.jinja_env.globals["unit_note"] = unit_text.note
    app.jinja_env.globals["sentence_end"] = unit_text.sentence_end
    app.jinja_env.globals["unit_price"] = unit_text.unit_price
    app.jinja_env.globals["price_money"] = unit_text.price
    app.jinja_env.globals["per_unit"] = unit_text.per
    app.jinja_env.globals["currency_name"] = unit_text.currency_name
    app.jinja_env.globals["minor_unit_name"] = unit_text.minor_unit_name
    app.jinja_env.globals["pack_of"] = unit_text.pack
    app.jinja_env.globals["container_of"] = unit_text.container_of
    app.jinja_env.globals["LANGUAGE_NAMES"] = LANGUAGE_NAMES
    app.jinja_env.globals["current_locale"] = current_locale
