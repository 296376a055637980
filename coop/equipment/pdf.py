"""The booking sheet for the wall: who has the asset on which half-day of the
next four weeks, with room to sign at hand-over and return, then every later
booking as a list (a booking may be made for any day to come, and a grid of
every day until the last would run to pages of empty rows). Built on demand
(not numbered), in the reader's language, with the documents' helpers
(DejaVu Sans, A4)."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from flask_babel import gettext as _
from reportlab.platypus import Flowable

from coop.documents import pdf
from coop.documents.parts import facts as _facts
from coop.documents.parts import title as _title
from coop.documents.pdf import bold, para, rich, styles
from coop.equipment import domain
from coop.equipment.models import Asset, Booking
from coop.equipment.services import span_text
from coop.groups.models import Group
from coop.i18n import fmt_date, fmt_money

SHEET_DAYS = 28


def booking_sheet_pdf(group: Group, asset: Asset, bookings: list[Booking], today: date) -> bytes:
    """`bookings`: every booking ahead (services.bookings_ahead)."""
    s, width = styles(), pdf.frame_width()
    last_day = today + timedelta(days=SHEET_DAYS - 1)
    title = _("Booking sheet")
    place = ", ".join(p for p in (group.village, group.region) if p)
    meta = pdf.PageMeta(group_name=group.name, group_place=place, title=title,
                        reference=asset.name, date=fmt_date(today),
                        page_label=_("Page %(page)d of %(pages)d"))
    fee = (_("%(amount)s per day", amount=fmt_money(asset.fee, group.currency))
           if asset.fee_unit == "day" else
           _("%(amount)s per hour", amount=fmt_money(asset.fee, group.currency)))
    story: list[Flowable] = [
        _title(title, asset.name),
        _facts([(_("Where it is kept"), asset.kept_at),
                (_("Who keeps it"), asset.keeper.user.name if asset.keeper else ""),
                (_("Usage fee"), fee if asset.fee else _("no fee")),
                (_("Days on this sheet"), f"{fmt_date(today)} – {fmt_date(last_day)}")], width),
        pdf.gap(3),
    ]
    head = [_("Day"), _("Morning"), _("Afternoon"), _("Handed over"), _("Returned")]
    rows: list[list[Any]] = [[para(h, s.head) for h in head]]
    for offset in range(SHEET_DAYS):
        day = today + timedelta(days=offset)
        cells = []
        for slot in (domain.slot_of(day), domain.slot_of(day, True)):
            holder = next((b for b in bookings if b.slot_from <= slot < b.slot_to), None)
            cells.append(para(holder.membership.user.name, s.cell) if holder else "")
        starts = any(b.slot_from in (domain.slot_of(day), domain.slot_of(day, True))
                     for b in bookings)
        rows.append([fmt_date(day), *cells, "☐" if starts else "", "☐" if starts else ""])
    story.append(pdf.table(rows, [width * 0.18, width * 0.27, width * 0.27, width * 0.14,
                                  width * 0.14], grid=True))
    story += _later(bookings, last_day, width)
    return pdf.render(meta, story, subject=title)


def _later(bookings: list[Booking], last_day: date, width: float) -> list[Flowable]:
    """The bookings that hold a day after the grid's last, each whole."""
    s = styles()
    after = domain.slot_of(last_day) + 2
    later = [b for b in bookings if b.slot_to > after]
    heading = _("Bookings after %(date)s", date=fmt_date(last_day))
    if not later:
        return [pdf.gap(3), para(_("No bookings after %(date)s.", date=fmt_date(last_day)),
                                 s.body)]
    head = [_("Member"), _("When"), _("Note"), _("Handed over"), _("Returned")]
    rows: list[list[Any]] = [[para(h, s.head) for h in head]]
    for booking in later:
        rows.append([para(booking.membership.user.name, s.cell),
                     para(span_text(booking.slot_from, booking.slot_to), s.cell),
                     para(booking.note or "", s.cell), "☐", "☐"])
    return [pdf.gap(3), rich(bold(heading), s.h3),
            pdf.table(rows, [width * 0.24, width * 0.3, width * 0.22, width * 0.12,
                             width * 0.12], grid=True)]
