"""Certificates and declarations the group holds, its brand, and what a sales
lot carries on its labels (a certificate, the brand) with the unguessable code
of its public traceability page.

Coop stores and checks what the group enters; it does not judge conformity.
Scanned documents and logos are files outside the static folder, named by a
random token, served only to the group's members."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import CheckConstraint, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from coop.db import utcnow
from coop.extensions import db
from coop.groups.models import Membership

CERTIFICATE_KINDS = ("declaration", "certificate", "organic", "own_standard")


class Certificate(db.Model):  # type: ignore[name-defined,misc]
    __tablename__ = "certificates"
    __table_args__ = (
        CheckConstraint("kind IN ('declaration', 'certificate', 'organic', 'own_standard')",
                        name="kind"),
        CheckConstraint("valid_to >= valid_from", name="validity"),
        UniqueConstraint("group_id", "number"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    group_id: Mapped[int] = mapped_column(ForeignKey("groups.id"), index=True)
    kind: Mapped[str] = mapped_column(String(16))
    number: Mapped[str] = mapped_column(String(80))
    issuer: Mapped[str] = mapped_column(String(200))
    valid_from: Mapped[date]
    valid_to: Mapped[date]
    file_token: Mapped[str | None] = mapped_column(String(64))  # the stored scan's name
    file_size: Mapped[int | None]
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    products: Mapped[list[CertificateProduct]] = relationship(
        order_by="CertificateProduct.id", cascade="all, delete-orphan")
    members: Mapped[list[CertificateMember]] = relationship(
        order_by="CertificateMember.id", cascade="all, delete-orphan")


class CertificateProduct(db.Model):  # type: ignore[name-defined,misc]
    """A product in the certificate's scope, by name as the group sells it."""

    __tablename__ = "certificate_products"
    __table_args__ = (UniqueConstraint("certificate_id", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    certificate_id: Mapped[int] = mapped_column(ForeignKey("certificates.id"), index=True)
    name: Mapped[str] = mapped_column(String(160))


class CertificateMember(db.Model):  # type: ignore[name-defined,misc]
    """A member whose production the certificate covers."""

    __tablename__ = "certificate_members"
    __table_args__ = (UniqueConstraint("certificate_id", "membership_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    certificate_id: Mapped[int] = mapped_column(ForeignKey("certificates.id"), index=True)
    membership_id: Mapped[int] = mapped_column(ForeignKey("memberships.id"), index=True)

    membership: Mapped[Membership] = relationship()


class Brand(db.Model):  # type: ignore[name-defined,misc]
    """The group's brand: one per group."""

    __tablename__ = "brands"

    id: Mapped[int] = mapped_column(primary_key=True)
    group_id: Mapped[int] = mapped_column(ForeignKey("groups.id"), unique=True)
    name: Mapped[str] = mapped_column(String(80))
    text: Mapped[str] = mapped_column(String(300), default="")
    logo_token: Mapped[str | None] = mapped_column(String(64))
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class LotMark(db.Model):  # type: ignore[name-defined,misc]
    """What a sales lot carries: the certificate the treasurer chose (printed
    only while eligible), whether it carries the brand, and the code of its
    public traceability page."""

    __tablename__ = "lot_marks"

    id: Mapped[int] = mapped_column(primary_key=True)
    lot_id: Mapped[int] = mapped_column(ForeignKey("sale_lots.id"), unique=True)
    certificate_id: Mapped[int | None] = mapped_column(ForeignKey("certificates.id"))
    use_brand: Mapped[bool] = mapped_column(default=True)
    trace_code: Mapped[str] = mapped_column(String(32), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    certificate: Mapped[Certificate | None] = relationship()
