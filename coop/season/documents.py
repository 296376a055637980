"""What the season's printed sheets show, read from the database (the
builders in pdf.py take plain data)."""

from __future__ import annotations

from flask_babel import to_user_timezone
from sqlalchemy.orm import Session

from coop.db import utcnow
from coop.documents import services as documents
from coop.documents.domain import Stamp
from coop.groups.models import Group
from coop.groups.services import list_members
from coop.i18n import local_today
from coop.orders.models import Round
from coop.season import domain
from coop.season import loans as seed
from coop.season.models import SeedLoan, Survey
from coop.season.pdf import (
    FormProduct,
    LoanSlipData,
    SlipRepayment,
    SlipWriteOff,
    SurveyFormData,
    build_loan_slip,
    build_survey_form,
)


def survey_form_pdf(session: Session, survey: Survey) -> bytes:
    group = session.get(Group, survey.group_id)
    assert group is not None
    members = sorted((m.user.name for m in list_members(session, group, include_inactive=False)),
                     key=str.casefold)
    products = [FormProduct(i.product.name, i.product.unit, i.product.granularity,
                            i.product.seed_rate) for i in survey.items]
    stamp = Stamp(f"SV-{survey.id}", local_today(), documents.language(group.language))
    return build_survey_form(SurveyFormData(
        group=documents.group_info(session, group), stamp=stamp, title=survey.title,
        note=survey.note, closes_on=survey.closes_on, products=products, members=members))


def loan_slip_pdf(session: Session, loan: SeedLoan) -> bytes:
    """The slip in her language (her own, else the group's)."""
    membership = loan.membership
    group = membership.group
    rnd = session.get(Round, loan.round_id)
    assert rnd is not None
    now = seed.position(loan)
    locale = documents.member_language(membership)
    with documents_locale(locale):
        state = str(seed.STATE_NAMES[loan.state])
        names = {k: str(v) for k, v in seed.REPAYMENT_NAMES.items()}
    # the day in the group's time zone, as the loan page dates it (not UTC's)
    repayments = [SlipRepayment(on=to_user_timezone(r.created_at or utcnow()).date(),
                                what=names[r.kind],
                                amount=r.amount, quantity=r.quantity,
                                write_off=r.kind == "write_off")
                  for r in loan.repayments]
    written_off = loan_written_off(loan)
    return build_loan_slip(LoanSlipData(
        group=documents.group_info(session, group),
        stamp=Stamp(f"SL-{loan.id}", local_today(), locale),
        member_name=membership.user.name, member_phone=membership.user.phone or "",
        round_title=rnd.title, product=loan.product.name, unit=loan.product.unit,
        quantity=loan.quantity, value=loan.value, repay_mode=loan.repay_mode,
        repay_bp=loan.repay_bp, due_money=now.due,
        due_quantity=domain.due_kind(loan.quantity, loan.repay_bp, loan.product.granularity),
        due_on=loan.due_on, state=state, left=now.left, repayments=repayments,
        cancelled=loan.state == domain.CANCELLED, written_off=written_off))


def loan_written_off(loan: SeedLoan) -> SlipWriteOff | None:
    """What a written-off loan gave up, for its slip and its page (the same
    figures, in the same words: pdf.written_off_text); None for any other loan."""
    if loan.state != domain.WRITTEN_OFF:
        return None
    now = seed.position(loan)
    return SlipWriteOff(on=seed.written_off_on(loan), amount=now.unpaid,
                        lost=now.written_off, premium=now.unpaid - now.written_off)


def documents_locale(locale: str):  # type: ignore[no-untyped-def]
    from flask_babel import force_locale

    return force_locale(locale)
