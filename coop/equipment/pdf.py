"""The booking sheet for the wall: who has the asset on which half-day of the
next four weeks, with room to sign at hand-over and return, then every later
booking as a list (a booking may be made for any day to come, and a grid of
every day until the last would run to pages of empty rows). Who has it now
heads the sheet, with any turn handed over whose time is over and that is not
yet back, marked overdue with the day it was due back; a hand-over or return
already made prints ticked with its day, not as an empty box; while a turn
is overdue, the grid's half-days nobody booked say it is still out (not
free), and those another member booked that she waits for it (as the asset's
page). Built on demand
(not numbered), in the reader's language, with the documents' helpers
(DejaVu Sans, A4)."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any
from xml.sax.saxutils import escape

from flask_babel import gettext as _
from flask_babel import to_user_timezone
from reportlab.platypus import Flowable

from coop.documents import pdf
from coop.documents.parts import facts as _facts
from coop.documents.parts import title as _title
from coop.documents.pdf import bold, para, rich, styles
from coop.equipment import domain
from coop.equipment.models import Asset, Booking
from coop.equipment.services import due_text, held_span, span_text
from coop.groups.models import Group
from coop.i18n import fmt_date, fmt_money

SHEET_DAYS = 28


def booking_sheet_pdf(group: Group, asset: Asset, bookings: list[Booking], today: date,
                      now_slot: int | None = None) -> bytes:
    """`bookings`: every booking ahead, and every turn out (services.bookings_ahead);
    `now_slot`: the half-day it is now (services.local_slot), for what is overdue."""
    s, width = styles(), pdf.frame_width()
    last_day = today + timedelta(days=SHEET_DAYS - 1)
    first_slot = domain.slot_of(today)
    now_slot = first_slot if now_slot is None else now_slot
    out = [b for b in bookings if b.state == "handed_over"]
    overdue = [b for b in out if domain.is_overdue(b.state, b.slot_to, now_slot)]
    in_grid = [b for b in bookings if b.slot_to > first_slot]
    held = [(b, held_span(b, now_slot)) for b in out]  # a turn out holds, as a booking is refused
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
                (_("Who has it now"), "; ".join(
                    _("%(name)s, since %(date)s", name=b.membership.user.name,
                      date=_day_of(b.handed_over_at))
                    + (f". {_overdue(b)}" if b in overdue else "") for b in out)),
                (_("Usage fee"), fee if asset.fee else _("no fee")),
                (_("Days on this sheet"), f"{fmt_date(today)} – {fmt_date(last_day)}")], width),
        pdf.gap(3),
    ]
    if overdue:
        story += [rich(bold(_("Handed over and not yet taken back")), s.h3),
                  _turns_table(overdue, width, overdue=True), pdf.gap(3)]
    head = [_("Day"), _("Morning"), _("Afternoon"), _("Handed over"), _("Returned")]
    rows: list[list[Any]] = [[para(h, s.head) for h in head]]
    for offset in range(SHEET_DAYS):
        day = today + timedelta(days=offset)
        halves = (domain.slot_of(day), domain.slot_of(day, True))
        cells = []
        for slot in halves:
            holder = next((b for b in in_grid if b.slot_from <= slot < b.slot_to), None)
            if holder is None and overdue and slot >= overdue[0].slot_to:
                # not free: the asset is still out, until it comes back
                cells.append(para(_("Still out, overdue: %(name)s",
                                    name=overdue[0].membership.user.name), s.cell))
            elif holder is not None and overdue and domain.waits_for_return(
                    holder.state, holder.membership_id == overdue[0].membership_id, True):
                # hers booked, but not hers to have: as the asset page says
                cells.append(para(_("%(name)s — waiting: the equipment is not back yet",
                                    name=holder.membership.user.name), s.cell))
            elif holder is None and any(start <= slot < end for _b, (start, end) in held):
                # handed over before its booking began: hers from then on (held_span)
                early = next(b for b, (start, end) in held if start <= slot < end)
                cells.append(para(_("%(name)s — handed over, out with her",
                                    name=early.membership.user.name), s.cell))
            else:
                cells.append(para(_holder(holder), s.cell) if holder else "")
        # the boxes on the turn's first day on the grid (today for one begun before)
        starting = [b for b in in_grid if max(b.slot_from, first_slot) in halves]
        rows.append([fmt_date(day), *cells,
                     "\n".join(_box(b.handed_over_at) for b in starting),
                     "\n".join(_box(b.returned_at) for b in starting)])
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
    return [pdf.gap(3), rich(bold(heading), s.h3), _turns_table(later, width)]


def _overdue(booking: Booking) -> str:
    return _("Overdue: she was to return it on %(date)s", date=due_text(booking.slot_to))


def _turns_table(bookings: list[Booking], width: float, overdue: bool = False) -> Flowable:
    """A line per turn: who, when (and, `overdue`, when it was due back), the
    note, and its hand-over and return."""
    s = styles()
    head = [_("Member"), _("When"), _("Note"), _("Handed over"), _("Returned")]
    rows: list[list[Any]] = [[para(h, s.head) for h in head]]
    for booking in bookings:
        when = escape(span_text(booking.slot_from, booking.slot_to))
        if overdue:
            when += "<br/>" + bold(_overdue(booking))
        rows.append([para(booking.membership.user.name, s.cell), rich(when, s.cell),
                     para(booking.note or "", s.cell), _box(booking.handed_over_at),
                     _box(booking.returned_at)])
    return pdf.table(rows, [width * 0.22, width * 0.28, width * 0.2, width * 0.15,
                            width * 0.15], grid=True)


def _day_of(moment: datetime | None) -> str:
    """The day (in the group's time zone) a moment kept in UTC fell on."""
    return fmt_date(to_user_timezone(moment).date()) if moment else ""


def _box(done_at: datetime | None) -> str:
    """A box to tick by hand, or, when it was done, ticked with its day."""
    return f"☑ {_day_of(done_at)}" if done_at else "☐"


def _holder(booking: Booking) -> str:
    """Who holds a half-day; a turn returned before its end says so."""
    name = booking.membership.user.name
    return f"{name} ({_('returned')})" if booking.state == "returned" else name
