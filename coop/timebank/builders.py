"""The time bank's documents, through the documents package (its fonts,
page furniture, tables that never collide): a member's statement, the
month's register as in the office book, the notice board of offers and
requests. Made on demand, not numbered: they change as help is recorded.
`*_data` reads the database (a fixed number of queries); `build_*` words
and lays out, in the document's language, and returns PDF bytes."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from flask_babel import force_locale
from flask_babel import gettext as _
from reportlab.lib.units import mm
from reportlab.platypus import Flowable
from sqlalchemy.orm import Session

from coop.documents import pdf
from coop.documents.domain import GroupInfo, Stamp
from coop.documents.parts import facts, meta, title
from coop.documents.pdf import para, styles
from coop.documents.services import group_info, language, member_language
from coop.groups.models import Group, Membership
from coop.i18n import current_locale, fmt_date, fmt_month, local_today
from coop.timebank import services as tb


@dataclass(frozen=True)
class StatementPdf:
    group: GroupInfo
    stamp: Stamp
    member_name: str
    number: int
    start: date | None
    end: date | None
    statement: tb.Statement
    own: bool = False  # she prints it herself: it speaks to her


def statement_data(session: Session, group: Group, membership: Membership, *,
                   start: date | None, end: date | None, own: bool = False) -> StatementPdf:
    locale = member_language(membership)
    with force_locale(locale):
        found = tb.statement(session, group, membership, start=start, end=end)
    return StatementPdf(group_info(session, group),
                        Stamp(f"TB-{membership.id}", local_today(), locale),
                        membership.user.name, tb.number_of(session, group)[membership.id],
                        start, end, found, own)


def _period(start: date | None, end: date | None) -> str:
    if start and end:
        return _("%(start)s – %(end)s", start=fmt_date(start), end=fmt_date(end))
    if start:
        return _("from %(start)s", start=fmt_date(start))
    if end:
        return _("until %(end)s", end=fmt_date(end))
    return _("all entries")


def build_statement(data: StatementPdf) -> bytes:
    with force_locale(data.stamp.locale):
        s, width = styles(), pdf.frame_width()
        heading = _("Time bank statement")
        story: list[Flowable] = [
            title(heading, data.member_name),
            facts([(_("Member"), f"№{data.number} · {data.member_name}"),
                   (_("Period"), _period(data.start, data.end)),
                   (_("Printed on"), fmt_date(data.stamp.issued_on))], width),
            pdf.gap(4)]
        rows: list[list[Any]] = [[
            para(_("Date"), s.head), para(_("№"), s.head), para(_("Who and what"), s.head),
            para(_("Time"), s.head_right), para(_("Balance"), s.head_right)]]
        st = data.statement
        rows.append(["", "", para(_("Opening balance"), s.cell), "", tb.fmt_minutes(st.opening)])
        for line in st.lines:
            t = line.row.transfer
            what = [para(f"{line.other} · {line.row.category}", s.cell)]
            if line.row.mark:
                what.append(para(line.row.mark, s.why))
            if t.note:
                what.append(para(t.note, s.why))
            sign = "+" if line.minutes > 0 else ""
            rows.append([fmt_date(t.date_of_service), str(t.number), what,
                         sign + tb.fmt_minutes(line.minutes), tb.fmt_minutes(line.balance)])
        if not st.lines:
            rows.append(["", "", para(_("No entries yet."), s.why), "", ""])
        rows.append(["", "", para(_("Closing balance"), s.cell_bold), "",
                     tb.fmt_minutes(st.closing)])
        story.append(pdf.table(rows, [22 * mm, 12 * mm, width - 94 * mm, 30 * mm, 30 * mm],
                               numeric=(3, 4),
                               extra=[("FONTNAME", (4, -1), (4, -1), pdf.FONT_BOLD),
                                      ("LINEABOVE", (0, -1), (-1, -1), 0.9, pdf.INK)]))
        story += [pdf.gap(4), para(_("Balance today: %(time)s", time=tb.fmt_minutes(
            st.current)), s.body), pdf.gap(2),
            para(_("Plus: hours of help you gave others (or hours from the bank); minus: "
                   "hours of help you received. One hour of any help is one hour.")
                 if data.own else
                 _("Plus: hours of help she gave others (or hours from the bank); minus: "
                   "hours of help she received. One hour of any help is one hour."), s.small)]
        return pdf.render(meta(data.group, data.stamp, heading), story,
                          subject=data.member_name)


@dataclass(frozen=True)
class RegisterPdf:
    group: GroupInfo
    stamp: Stamp
    register: tb.Register
    numbers: dict[int, int]


def register_data(session: Session, group: Group, year: int, month: int) -> RegisterPdf:
    locale = language(current_locale())
    with force_locale(locale):
        found = tb.register(session, group, year, month)
    return RegisterPdf(group_info(session, group),
                       Stamp(f"TB-{year}-{month:02d}", local_today(), locale), found,
                       tb.number_of(session, group))


def build_register(data: RegisterPdf) -> bytes:
    with force_locale(data.stamp.locale):
        s, width = styles(), pdf.frame_width()
        reg = data.register
        heading = _("Time bank register")
        month = fmt_month(reg.year, reg.month)
        story: list[Flowable] = [
            title(heading, month),
            facts([(_("Month"), month), (_("Printed on"), fmt_date(data.stamp.issued_on))],
                  width), pdf.gap(3)]
        rows: list[list[Any]] = [[para(h, s.head) for h in (
            _("№"), _("Date"), _("Received help"), _("Gave help"), _("Category"))] + [
            para(_("Time"), s.head_right), para(_("Mark"), s.head)]]
        states = {"pending": _("waiting"), "rejected": _("rejected"), "confirmed": ""}
        for row in reg.rows:
            t = row.transfer
            payer = _numbered(row.payer, row.payer_membership_id, data.numbers)
            payee = _numbered(row.payee, row.payee_membership_id, data.numbers)
            marks = [m for m in (tb.recorded_as(t), _("record withdrawn") if tb.withdrawn(t)
                                 else states[t.state]) if m]
            if t.reverses_id:
                marks.append(_("corrects a record"))
            if row.reversed_by:
                marks.append(_("corrected by №%(number)d", number=row.reversed_by))
            rows.append([str(t.number), fmt_date(t.date_of_service), para(payer, s.cell),
                         para(payee, s.cell), para(row.category, s.cell),
                         tb.fmt_minutes(t.minutes), para("; ".join(marks), s.why)])
        if not reg.rows:
            rows.append(["", "", para(_("No entries yet."), s.why), "", "", "", ""])
        story.append(pdf.table(rows, [10 * mm, 20 * mm, 36 * mm, 36 * mm,
                                      width - 154 * mm, 22 * mm, 30 * mm], numeric=(5,)))
        story.append(para(_("Totals by category (confirmed help)"), s.h2))
        totals: list[list[Any]] = [[para(_("Category"), s.head), para(_("Exchanges"),
                                                                      s.head_right),
                                    para(_("Time"), s.head_right)]]
        for name, minutes, count in reg.by_category:
            totals.append([para(name, s.cell), str(count), tb.fmt_minutes(minutes)])
        totals.append([para(_("Total"), s.cell_bold), "", tb.fmt_minutes(reg.total)])
        story.append(pdf.table(totals, [width - 70 * mm, 30 * mm, 40 * mm], numeric=(1, 2)))
        story += [pdf.gap(6), pdf.signatures([_("Coordinator"), _("Checked by")], width)]
        return pdf.render(meta(data.group, data.stamp, heading), story)


def _numbered(name: str, membership_id: int | None, numbers: dict[int, int]) -> str:
    if membership_id is None:
        return name
    return f"№{numbers.get(membership_id, 0)} {name}"


@dataclass(frozen=True)
class BoardPdf:
    group: GroupInfo
    stamp: Stamp
    posts: list[tb.PostRow]


def board_data(session: Session, group: Group) -> BoardPdf:
    locale = language(current_locale())
    with force_locale(locale):
        posts = tb.list_posts(session, group)
    return BoardPdf(group_info(session, group), Stamp("TB-BOARD", local_today(), locale), posts)


def build_board(data: BoardPdf) -> bytes:
    with force_locale(data.stamp.locale):
        s, width = styles(), pdf.frame_width()
        heading = _("Time bank: offers and requests")
        story: list[Flowable] = [title(heading, ""), pdf.gap(2)]
        for kind, label in (("request", _("Help asked for")), ("offer", _("Help offered"))):
            story.append(para(label, s.h2))
            rows: list[list[Any]] = [[para(_("Category"), s.head), para(_("What"), s.head),
                                      para(_("Who"), s.head), para(_("Until"), s.head)]]
            for p in sorted((p for p in data.posts if p.post.kind == kind),
                            key=lambda p: (p.category, p.post.id)):
                what = [para(p.post.title, s.cell)]
                if p.post.description:
                    what.append(para(p.post.description, s.why))
                rows.append([para(p.category, s.cell), what, para(p.name, s.cell),
                             fmt_date(p.post.valid_until)])
            if len(rows) == 1:
                rows.append(["", para(_("Nothing at the moment."), s.why), "", ""])
            story.append(pdf.table(rows, [40 * mm, width - 120 * mm, 55 * mm, 25 * mm]))
        return pdf.render(meta(data.group, data.stamp, heading), story)
