"""The indicators of savings groups (spec/savings.md §11): a group's page (its
treasurer and its members see it), the programme's page for the platform
admin (every group, or a region's), and the CSV a programme sends its funder:
one row per group and quarter (as of the last meeting closed in the quarter,
as SAVIX reports), with a totals row per quarter and currency."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from babel.numbers import get_decimal_symbol
from flask import abort, g, render_template, request
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required

from coop.csv_export import csv_amount, csv_bytes, csv_date, csv_number
from coop.csv_export import csv_response as send_csv
from coop.extensions import db
from coop.groups.access import group_view
from coop.i18n import current_locale, fmt_money
from coop.savings import indicators
from coop.savings.indicators import Figures, GroupIndicators
from coop.savings.views import bp


@bp.app_template_filter("tenths")
def tenths_text(value: int | None) -> str:
    """A percentage kept in tenths, for people: "93,3 %"; "—" without a denominator."""
    if value is None:
        return "—"
    whole, tenth = divmod(abs(value), 10)
    sign = "−" if value < 0 else ""
    return f"{sign}{whole}{get_decimal_symbol(current_locale())}{tenth}\u00a0%"


def _tenths_csv(value: int | None, language: str | None) -> str:
    if value is None:
        return "—"
    whole, tenth = divmod(abs(value), 10)
    return csv_number(f"{'-' if value < 0 else ''}{whole}.{tenth}", language)


# The columns of the CSV and of the pages: (title, kind, shown in the phone's
# summary of a row, how to read it from Figures).
Column = tuple[Any, str, bool, Callable[[Figures], int | None]]
COLUMNS: list[Column] = [
    (_l("Members"), "count", True, lambda f: f.members),
    (_l("Members at the start"), "count", False, lambda f: f.members_at_start),
    (_l("Withdrawn"), "count", False, lambda f: f.withdrawn),
    (_l("Drop-out rate"), "percent", False, lambda f: f.drop_out_rate),
    (_l("Attendance in person"), "percent", True, lambda f: f.attendance_in_person),
    (_l("Attendance with representatives"), "percent",
     False, lambda f: f.attendance_with_representative),
    (_l("Savings"), "money", True, lambda f: f.savings),
    (_l("Savings per member"), "money", False, lambda f: f.savings_per_member),
    (_l("Loans outstanding (number)"), "count", False, lambda f: f.loans_outstanding_count),
    (_l("Loans outstanding (principal)"), "money", True, lambda f: f.loans_outstanding),
    (_l("Interest receivable"), "money", False, lambda f: f.interest_receivable),
    (_l("Members with a loan"), "percent", False, lambda f: f.members_with_loan),
    (_l("Loans disbursed (number)"), "count", False, lambda f: f.loans_disbursed_count),
    (_l("Loans disbursed (value)"), "money", False, lambda f: f.loans_disbursed),
    (_l("Average loan"), "money", False, lambda f: f.average_loan),
    (_l("Loan fund utilisation"), "percent", True, lambda f: f.loan_fund_utilisation),
    (_l("Portfolio at risk (any day late)"), "percent", True, lambda f: f.par0),
    (_l("Portfolio at risk (30 days late)"), "percent", False, lambda f: f.par30),
    (_l("Net income"), "money", False, lambda f: f.net_income),
    (_l("Return on savings"), "percent", True, lambda f: f.return_on_savings),
    (_l("Return on savings, a year"), "percent", False, lambda f: f.return_on_savings_annualised),
    (_l("Written off"), "money", False, lambda f: f.written_off),
    (_l("Write-off ratio"), "percent", False, lambda f: f.write_off_ratio),
    (_l("Social fund"), "money", False, lambda f: f.social_fund),
    (_l("Grants (number)"), "count", False, lambda f: f.grants_count),
    (_l("Grants (value)"), "money", False, lambda f: f.grants),
    (_l("Fines due"), "money", False, lambda f: f.fines_due),
    (_l("Loan bag cash"), "money", False, lambda f: f.loan_bag),
    (_l("Social bag cash"), "money", False, lambda f: f.social_bag),
    (_l("Total assets"), "money", True, lambda f: f.total_assets),
]


def _cells(figures: Figures, currency: str) -> list[dict[str, str]]:
    """The columns of one row, as a page shows them."""
    out = []
    for title, kind, summary, read in COLUMNS:
        value = read(figures)
        if kind == "money":
            text = "—" if value is None else fmt_money(value, currency)
        elif kind == "percent":
            text = tenths_text(value)
        else:
            text = str(value)
        out.append({"title": str(title), "text": text, "summary": summary})
    return out


def _quarter(row: GroupIndicators) -> str:
    year, quarter = row.quarter
    return _("Q%(quarter)s %(year)s", quarter=quarter, year=year)


def _csv(rows: list[GroupIndicators], language: str | None) -> bytes:
    """One row per group and quarter, then per quarter a totals row per currency."""
    header = [_("Quarter"), _("Group"), _("Village"), _("Region"), _("Currency"), _("Cycle"),
              _("Meeting"), _("Date"), *[str(column[0]) for column in COLUMNS]]

    def cells(figures: Figures, currency: str) -> list[str]:
        out = []
        for _title, kind, _summary, read in COLUMNS:
            value = read(figures)
            if kind == "money":
                out.append("—" if value is None else csv_amount(value, currency, language))
            elif kind == "percent":
                out.append(_tenths_csv(value, language))
            else:
                out.append(str(value))
        return out

    lines: list[list[str]] = []
    by_quarter: dict[str, list[GroupIndicators]] = {}
    for row in sorted(rows, key=lambda r: (r.quarter, r.group_name.casefold(), r.group_id)):
        by_quarter.setdefault(_quarter(row), []).append(row)
    for quarter, members in by_quarter.items():
        for row in members:
            lines.append([quarter, row.group_name, row.village, row.region, row.currency,
                          str(row.cycle_number), str(row.meeting_number),
                          csv_date(row.date, language), *cells(row.figures, row.currency)])
        for currency, total in indicators.totals(members).items():
            lines.append([quarter, _("Total: %(count)s groups", count=total.groups), "", "",
                          currency, "", "", "", *cells(total, currency)])
    return csv_bytes(header, lines)


def _table(rows: Iterable[GroupIndicators]) -> list[dict[str, Any]]:
    return [{"row": row, "cells": _cells(row.figures, row.currency)} for row in rows]


def _totals(rows: list[GroupIndicators]) -> list[dict[str, Any]]:
    return [{"currency": currency, "figures": total, "cells": _cells(total, currency)}
            for currency, total in indicators.totals(rows).items()]


# --------------------------------------------------------------------------
# A group's indicators: its treasurer and its members
# --------------------------------------------------------------------------


@bp.get("/groups/<int:group_id>/savings/indicators")
@group_view()
def group_indicators(group_id: int):  # type: ignore[no-untyped-def]
    latest = indicators.compute(db.session, group_ids=[group_id])
    quarters = indicators.compute(db.session, group_ids=[group_id], by_quarter=True)
    quarters.reverse()  # the latest first
    return render_template(
        "savings/indicators_group.html", group=g.group, latest=latest[0] if latest else None,
        cells=_cells(latest[0].figures, g.group.currency) if latest else [],
        quarters=_table(quarters), columns=COLUMNS, quarter=_quarter)


@bp.get("/groups/<int:group_id>/savings/indicators.csv")
@group_view()
def group_indicators_csv(group_id: int):  # type: ignore[no-untyped-def]
    rows = indicators.compute(db.session, group_ids=[group_id], by_quarter=True)
    return send_csv(_csv(rows, g.group.language), f"savings-indicators-{group_id}.csv")


# --------------------------------------------------------------------------
# The programme: every group, or a region's (the platform admin)
# --------------------------------------------------------------------------


def _region() -> str | None:
    region = (request.args.get("region") or "").strip()[:120]
    return region or None


@bp.get("/savings/indicators")
@login_required
def programme_indicators():  # type: ignore[no-untyped-def]
    if not current_user.is_admin:
        abort(403)
    region = _region()
    rows = indicators.compute(db.session, region=region)
    return render_template(
        "savings/indicators_programme.html", rows=_table(rows), totals=_totals(rows),
        regions=indicators.regions(db.session), region=region or "", quarter=_quarter)


@bp.get("/savings/indicators.csv")
@login_required
def programme_indicators_csv():  # type: ignore[no-untyped-def]
    if not current_user.is_admin:
        abort(403)
    region = _region()
    rows = indicators.compute(db.session, region=region, by_quarter=True)
    name = "savings-indicators" + (f"-{region}" if region else "") + ".csv"
    return send_csv(_csv(rows, current_locale()), name)
