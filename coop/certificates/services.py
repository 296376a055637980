"""Certificates, the brand, and what a sales lot's labels may carry.

Uploaded files (a certificate's scanned PDF, the brand's logo) are checked to
be what they claim, stored outside the static folder under a random name in
`folder` (the instance's uploads), and served only through the group's pages.

Functions take the session first, flush, never commit, raise DomainError."""

from __future__ import annotations

import secrets
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from io import BytesIO
from pathlib import Path

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from coop.auth.models import User
from coop.certificates import domain
from coop.certificates.models import (
    CERTIFICATE_KINDS,
    Brand,
    Certificate,
    CertificateMember,
    CertificateProduct,
    LotMark,
)
from coop.errors import DomainError, check_happened
from coop.groups.models import Group, Membership
from coop.sales.models import Contribution, Sale, SaleLot

KIND_NAMES = {"declaration": _l("Declaration of conformity"),
              "certificate": _l("Certificate of conformity"),
              "organic": _l("Organic certificate"),
              "own_standard": _l("Group's own quality standard")}
REFUSAL_TEXTS = {
    "no_certificate": _l("No certificate is chosen for this lot."),
    "product": _l("The lot's product is not in the certificate's scope."),
    "expired": _l("The certificate is no longer valid on %(day)s."),
    "not_yet": _l("The certificate is not yet valid on %(day)s."),
    "member": _l("Not every contributing member is covered: %(names)s."),
}
# The field each implausible date is shown under, and what she is told.
CERTIFICATE_DATE_TEXTS = {
    "too_early": ("valid_from", _l("Check the year: a document cannot be valid from before "
                                   "%(day)s.")),
    "too_late": ("valid_from", _l("Check the year: a document entered now cannot begin later "
                                  "than %(day)s.")),
    "ends_before": ("valid_to", _l("It cannot end before it begins.")),
    "too_long": ("valid_to", _l("Check the dates: a document is valid for at most %(years)s "
                                "years, so until %(day)s at the latest.")),
}
LABEL_DATE_TEXTS = {
    "before_packing": _l("Best before cannot be before packing."),
    "passed": _l("This day has already passed: a label cannot carry a best-before that is "
                 "over."),
    "too_long": _l("Check the year: best before can be at most %(years)s years after "
                   "packing, so %(day)s at the latest."),
}


# --------------------------------------------------------------------------
# Files
# --------------------------------------------------------------------------


def _store(folder: Path, content: bytes, suffix: str) -> str:
    folder.mkdir(parents=True, exist_ok=True)
    token = f"{secrets.token_urlsafe(24)}.{suffix}"
    (folder / token).write_bytes(content)
    return token


def file_path(folder: Path, token: str | None) -> Path | None:
    """The stored file, or None (a token is only ever one we made: no slashes)."""
    if not token or "/" in token or "\\" in token or token.startswith("."):
        return None
    path = folder / token
    return path if path.is_file() else None


def check_scan(content: bytes) -> None:
    if len(content) > domain.MAX_SCAN_BYTES:
        raise DomainError(_l("The scanned document may be at most 5 MB."), field="scan")
    if not domain.is_pdf(content):
        raise DomainError(_l("The scanned document must be a PDF file."), field="scan")


def check_logo(content: bytes) -> str:
    """The logo's kind (png, jpeg) once it is checked to be a picture."""
    if len(content) > domain.MAX_LOGO_BYTES:
        raise DomainError(_l("The logo may be at most 1 MB."), field="logo")
    kind = domain.image_kind(content)
    if kind is None:
        raise DomainError(_l("The logo must be a PNG or JPEG picture."), field="logo")
    try:
        from PIL import Image

        with Image.open(BytesIO(content)) as picture:
            picture.verify()
            if picture.width * picture.height > 25_000_000:
                raise DomainError(_l("The logo is too large a picture."), field="logo")
    except DomainError:
        raise
    except Exception as exc:  # a broken picture, whatever the library says about it
        raise DomainError(_l("The logo must be a PNG or JPEG picture."), field="logo") from exc
    return kind


# --------------------------------------------------------------------------
# Certificates
# --------------------------------------------------------------------------


@dataclass
class CertificateInput:
    kind: str
    number: str
    issuer: str
    valid_from: date | None
    valid_to: date | None
    products: list[str] = field(default_factory=list)
    member_ids: list[int] = field(default_factory=list)


def check_certificate_dates(valid_from: date, valid_to: date) -> None:
    """A certificate's validity as a treasurer copies it from the paper: not
    before 2000, beginning at most a year from today (a renewal is entered
    when it comes, before the old one ends), ending after it begins and
    within 5 years; a typo is refused."""
    from coop.i18n import fmt_date, local_today

    today = local_today()
    problem = domain.certificate_dates_problem(valid_from, valid_to, today)
    if problem is None:
        return
    field_name, text = CERTIFICATE_DATE_TEXTS[problem]
    day = {"too_early": domain.EARLIEST_VALID_FROM,
           "too_late": domain.years_after(today, domain.MAX_YEARS_AHEAD)}.get(
        problem, domain.years_after(valid_from, domain.MAX_VALIDITY_YEARS))
    raise DomainError(text % {"day": fmt_date(day), "years": domain.MAX_VALIDITY_YEARS},
                      field=field_name)


def _apply(session: Session, group: Group, cert: Certificate, data: CertificateInput) -> None:
    if data.kind not in CERTIFICATE_KINDS:
        raise DomainError(_l("Choose the kind of document."), field="kind")
    number = (data.number or "").strip()
    if not number:
        raise DomainError(_l("Give the document's number."), field="number")
    issuer = (data.issuer or "").strip()
    if not issuer:
        raise DomainError(_l("Say who issued it."), field="issuer")
    if data.valid_from is None or data.valid_to is None:
        raise DomainError(_l("Give the dates it is valid from and to."), field="valid_to")
    check_certificate_dates(data.valid_from, data.valid_to)
    clash = session.scalar(select(Certificate.id).where(
        Certificate.group_id == group.id, Certificate.number == number[:80]))
    if clash is not None and clash != cert.id:
        raise DomainError(_l("The group already has a document with this number."),
                          field="number")
    products = []
    seen = set()
    for name in data.products:
        name = " ".join((name or "").split())[:160]
        if name and domain.product_key(name) not in seen:
            seen.add(domain.product_key(name))
            products.append(name)
    if not products:
        raise DomainError(_l("Name at least one product it covers."), field="products")
    members = set()
    for membership_id in data.member_ids:
        member = session.get(Membership, membership_id)
        if member is None or member.group_id != group.id:
            raise DomainError(_l("Unknown member."), field="members")
        members.add(member.id)
    cert.kind, cert.number, cert.issuer = data.kind, number[:80], issuer[:200]
    cert.valid_from, cert.valid_to = data.valid_from, data.valid_to
    cert.products.clear()
    cert.members.clear()
    session.flush()
    cert.products.extend(CertificateProduct(name=name) for name in products)
    cert.members.extend(CertificateMember(membership_id=m) for m in sorted(members))


def save_certificate(session: Session, group: Group, data: CertificateInput, *,
                     actor: User, folder: Path, scan: bytes | None = None,
                     cert: Certificate | None = None) -> Certificate:
    """Create (or, given `cert`, change) a certificate; a scan replaces the old."""
    if scan is not None:
        check_scan(scan)
    if cert is None:
        cert = Certificate(group_id=group.id, created_by_id=actor.id)
    _apply(session, group, cert, data)
    session.add(cert)
    if scan is not None:
        cert.file_token = _store(folder, scan, "pdf")
        cert.file_size = len(scan)
    session.flush()
    return cert


def list_certificates(session: Session, group: Group) -> list[Certificate]:
    return list(session.scalars(select(Certificate).where(Certificate.group_id == group.id)
                                .order_by(Certificate.valid_to.desc(), Certificate.id)))


def certificate_in_group(session: Session, group: Group, cert_id: int) -> Certificate | None:
    cert = session.get(Certificate, cert_id)
    return cert if cert is not None and cert.group_id == group.id else None


def facts(cert: Certificate) -> domain.CertificateFacts:
    return domain.CertificateFacts(
        cert.number, cert.valid_from, cert.valid_to,
        frozenset(domain.product_key(p.name) for p in cert.products),
        frozenset(m.membership_id for m in cert.members))


@dataclass
class Reminder:
    certificate: Certificate
    days_left: int
    level: int  # 60, 14, or 0 once expired


def reminders(session: Session, group: Group, today: date) -> list[Reminder]:
    """Certificates ending within 60 days (or ended in the last 60), soonest first."""
    found = []
    for cert in list_certificates(session, group):
        level = domain.reminder_due(cert.valid_to, today)
        if level is None or (cert.valid_to - today).days < -60:
            continue
        found.append(Reminder(cert, (cert.valid_to - today).days, level))
    return sorted(found, key=lambda r: r.certificate.valid_to)


# --------------------------------------------------------------------------
# Brand
# --------------------------------------------------------------------------


def brand_of(session: Session, group: Group) -> Brand | None:
    return session.scalar(select(Brand).where(Brand.group_id == group.id))


def save_brand(session: Session, group: Group, *, name: str, text: str, folder: Path,
               logo: bytes | None = None, drop_logo: bool = False) -> Brand:
    name = " ".join((name or "").split())
    if not name:
        raise DomainError(_l("Give the brand a name."), field="name")
    kind = check_logo(logo) if logo is not None else None
    brand = brand_of(session, group) or Brand(group_id=group.id)
    session.add(brand)
    brand.name, brand.text = name[:80], (text or "").strip()[:300]
    if drop_logo:
        brand.logo_token = None
    if logo is not None and kind is not None:
        brand.logo_token = _store(folder, logo, "png" if kind == "png" else "jpg")
    from coop.db import utcnow

    brand.updated_at = utcnow()
    session.flush()
    return brand


# --------------------------------------------------------------------------
# Lots: what their labels may carry
# --------------------------------------------------------------------------


def check_label_dates(packed_on: date, best_before: date) -> None:
    """A label sheet's dates: packed on a day that has happened, best before
    a day after packing that is still to come, within 5 years of packing."""
    from coop.i18n import fmt_date, local_today

    check_happened(packed_on, "packed_on")
    problem = domain.label_dates_problem(packed_on, best_before, local_today())
    if problem is None:
        return
    latest = domain.years_after(packed_on, domain.MAX_SHELF_LIFE_YEARS)
    raise DomainError(LABEL_DATE_TEXTS[problem] % {"day": fmt_date(latest),
                                                   "years": domain.MAX_SHELF_LIFE_YEARS},
                      field="best_before")


def mark_of(session: Session, lot: SaleLot) -> LotMark:
    """The lot's marks and trace code (made on first use)."""
    mark = session.scalar(select(LotMark).where(LotMark.lot_id == lot.id))
    if mark is None:
        mark = LotMark(lot_id=lot.id, trace_code=secrets.token_urlsafe(12), use_brand=True)
        session.add(mark)
        session.flush()
    return mark


def set_lot_mark(session: Session, lot: SaleLot, *, certificate_id: int | None,
                 use_brand: bool) -> LotMark:
    mark = mark_of(session, lot)
    if certificate_id:
        cert = certificate_in_group(session, lot.group, certificate_id)
        if cert is None:
            raise DomainError(_l("Unknown certificate."), field="certificate")
        mark.certificate_id = cert.id
    else:
        mark.certificate_id = None
    mark.use_brand = use_brand
    session.flush()
    return mark


def contributors(session: Session, lot: SaleLot) -> list[int]:
    """Members whose contributions to the lot add up to more than nothing."""
    rows = session.execute(select(Contribution.membership_id, func.sum(Contribution.quantity))
                           .where(Contribution.lot_id == lot.id)
                           .group_by(Contribution.membership_id)).all()
    return sorted(m for m, total in rows if (total or 0) > 0)


def sale_dates(session: Session, lot: SaleLot) -> list[date]:
    return list(session.scalars(select(Sale.sold_on).where(
        Sale.lot_id == lot.id, Sale.cancelled_at.is_(None)).distinct()))


@dataclass
class Eligibility:
    certificate: Certificate | None
    refusals: list[domain.Refusal]
    reasons: list[str]  # the refusals in words

    @property
    def ok(self) -> bool:
        return not self.refusals


def eligibility(session: Session, lot: SaleLot, *, on: Iterable[date] = ()) -> Eligibility:
    """May the lot's labels carry its certificate's number and the brand? On
    every sale date of the lot and the dates in `on` (the packing date)."""
    from coop.i18n import fmt_date

    mark = mark_of(session, lot)
    cert = mark.certificate
    dates = [*sale_dates(session, lot), *on]
    members = contributors(session, lot)
    refusals = domain.eligibility(facts(cert) if cert else None, product=lot.product,
                                  dates=dates, contributors=members)
    reasons = []
    for refusal in refusals:
        if refusal.reason == "member":
            names = session.scalars(select(Membership).where(
                Membership.id.in_(refusal.member_ids)))
            text = ", ".join(sorted(m.user.name for m in names))
            reasons.append(str(REFUSAL_TEXTS["member"] % {"names": text}))
        elif refusal.day is not None:
            reasons.append(str(REFUSAL_TEXTS[refusal.reason] % {"day": fmt_date(refusal.day)}))
        else:
            reasons.append(str(REFUSAL_TEXTS[refusal.reason]))
    return Eligibility(cert, refusals, reasons)


@dataclass(frozen=True)
class SaleBrand:
    """What a lot's sales invoice carries: the brand, its logo file (None: no
    logo, or none stored) and the certificate's kind and number."""

    name: str
    text: str
    logo: Path | None
    certificate: str


def upload_folder() -> Path:
    """Where uploads live: outside the static folder (instance/uploads by default)."""
    from flask import current_app

    configured = current_app.config.get("COOP_UPLOAD_DIR")
    return Path(configured) if configured else Path(current_app.instance_path) / "uploads"


def sale_brand(session: Session, lot: SaleLot, sold_on: date) -> SaleBrand | None:
    """The brand a sale of the lot on `sold_on` may carry on its invoice: as on
    the labels, only with the lot's certificate covering its product, valid on
    that day, and covering every member who contributed; None otherwise (and
    when the group has no brand or the lot is marked without it). Reads only:
    a lot never marked carries nothing."""
    brand = brand_of(session, lot.group)
    mark = session.scalar(select(LotMark).where(LotMark.lot_id == lot.id))
    if brand is None or mark is None or not mark.use_brand or mark.certificate is None:
        return None
    cert = mark.certificate
    if domain.eligibility(facts(cert), product=lot.product, dates=[sold_on],
                          contributors=contributors(session, lot)):
        return None
    return SaleBrand(name=brand.name, text=brand.text,
                     logo=file_path(upload_folder(), brand.logo_token),
                     certificate=f"{KIND_NAMES[cert.kind]} {cert.number}")


def lot_by_code(session: Session, code: str) -> tuple[SaleLot, LotMark] | None:
    code = (code or "").strip()
    if not 8 <= len(code) <= 32:
        return None
    mark = session.scalar(select(LotMark).where(LotMark.trace_code == code))
    if mark is None:
        return None
    lot = session.get(SaleLot, mark.lot_id)
    return (lot, mark) if lot is not None else None
