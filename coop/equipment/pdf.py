"""The booking sheet for the wall: who has the asset on which half-day, with
room to sign at hand-over and return. Built on demand (not numbered), in the
reader's language, with the documents' helpers (DejaVu Sans, A4)."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from flask_babel import gettext as _
from reportlab.platypus import Flowable

from coop.documents import pdf
from coop.documents.parts import facts as _facts
from coop.documents.parts import title as _title
from coop.documents.pdf import para, styles
from coop.equipment import domain
from coop.equipment.models import Asset, Booking
from coop.groups.models import Group
from coop.i18n import fmt_date, fmt_money

SHEET_DAYS = 28


def booking_sheet_pdf(group: Group, asset: Asset, bookings: list[Booking], today: date) -> bytes:
    s, width = styles(), pdf.frame_width()
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
                (_("Usage fee"), fee if asset.fee else _("no fee"))], width),
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
    return pdf.render(meta, story, subject=title)
