"""Certificates' and labels' dates through the services (the form and any
API call the same checks): an implausible date is refused with a DomainError
naming its field, and nothing is written."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from coop.certificates import services as certificates
from coop.certificates.models import Certificate, CertificateProduct
from coop.errors import DomainError
from coop.i18n import local_today
from tests.factories import make_equipment_world


def _data(valid_from, valid_to, number="KG-1"):  # type: ignore[no-untyped-def]
    return certificates.CertificateInput(
        kind="declaration", number=number, issuer="Кыргызтест", valid_from=valid_from,
        valid_to=valid_to, products=["Варенье из абрикосов"])


def _rows(session: Session) -> tuple[int, int]:
    session.expire_all()
    return (session.scalar(select(func.count()).select_from(Certificate)) or 0,
            session.scalar(select(func.count()).select_from(CertificateProduct)) or 0)


@pytest.mark.parametrize(("days_from", "valid_from", "valid_to", "field"), [
    (None, "1900-01-01", "9999-12-31", "valid_from"),
    (-30, None, "9999-12-31", "valid_to"),
    (400, None, None, "valid_from"),  # begins in more than a year: a typo in the year
    (-30, None, -31, "valid_to"),
])
def test_implausible_validity_is_refused_and_nothing_written(
        app_ctx, session: Session, tmp_path: Path, days_from, valid_from, valid_to, field  # type: ignore[no-untyped-def]
) -> None:
    from datetime import date

    w = make_equipment_world(session)
    today = local_today()
    start = date.fromisoformat(valid_from) if valid_from else today + timedelta(days=days_from)
    if isinstance(valid_to, str):
        end = date.fromisoformat(valid_to)
    elif isinstance(valid_to, int):
        end = today + timedelta(days=valid_to)
    else:
        end = start + timedelta(days=365)
    with pytest.raises(DomainError) as refused:
        certificates.save_certificate(session, w.group, _data(start, end),
                                      actor=w.treasurer.user, folder=tmp_path)
    assert refused.value.field == field
    session.rollback()
    assert _rows(session) == (0, 0)
    assert list(tmp_path.iterdir()) == []


def test_five_years_to_the_day_is_accepted_and_a_day_more_is_not(
        app_ctx, session: Session, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    from coop.certificates.domain import years_after

    w = make_equipment_world(session)
    start = local_today() - timedelta(days=10)
    cert = certificates.save_certificate(session, w.group, _data(start, years_after(start, 5)),
                                         actor=w.treasurer.user, folder=tmp_path)
    session.commit()
    with pytest.raises(DomainError) as refused:
        certificates.save_certificate(
            session, w.group, _data(start, years_after(start, 5) + timedelta(days=1)),
            actor=w.treasurer.user, folder=tmp_path, cert=cert)
    assert refused.value.field == "valid_to"
    session.rollback()
    session.expire_all()
    assert session.get(Certificate, cert.id).valid_to == years_after(start, 5)


def test_label_dates_are_checked(app_ctx) -> None:  # type: ignore[no-untyped-def]
    from datetime import date

    today = local_today()
    certificates.check_label_dates(today, today + timedelta(days=365))
    for packed, best, field in [
            (date(2999, 1, 1), date(2999, 6, 1), "packed_on"),
            (today + timedelta(days=1), today + timedelta(days=30), "packed_on"),
            (today, today - timedelta(days=1), "best_before"),
            (today - timedelta(days=60), today - timedelta(days=1), "best_before"),
            (today, date(2999, 1, 1), "best_before")]:
        with pytest.raises(DomainError) as refused:
            certificates.check_label_dates(packed, best)
        assert refused.value.field == field, (packed, best)
