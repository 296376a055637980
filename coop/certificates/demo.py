"""Demo data for certificates: a declaration of conformity for the apricot jam
covering every member who contributed, the group's brand, and the jam lot
carrying both (its labels print the declaration's number and a QR code)."""

from __future__ import annotations

from datetime import timedelta
from io import BytesIO
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from coop.certificates import services
from coop.certificates.models import Certificate
from coop.groups.models import Group
from coop.i18n import local_today
from coop.sales.demo import DEMO_PRODUCT
from coop.sales.models import SaleLot

NUMBER = "ЕАЭС N RU Д-KG.РА01.В.12345/26"


def _scan() -> bytes:
    """A one-page PDF standing in for the scanned declaration."""
    from reportlab.pdfgen.canvas import Canvas

    from coop.documents.pdf import FONT, register_fonts

    register_fonts()
    out = BytesIO()
    canvas = Canvas(out)
    canvas.setFont(FONT, 14)
    canvas.drawString(72, 760, "Декларация о соответствии")
    canvas.drawString(72, 736, NUMBER)
    canvas.drawString(72, 712, "ТР ТС 021/2011 «О безопасности пищевой продукции»")
    canvas.save()
    return out.getvalue()


def _logo() -> bytes:
    """A small round logo: an apricot on a leaf-green ring."""
    from PIL import Image, ImageDraw

    picture = Image.new("RGB", (160, 160), "white")
    draw = ImageDraw.Draw(picture)
    draw.ellipse((6, 6, 154, 154), fill="#2e7d32")
    draw.ellipse((26, 26, 134, 134), fill="#f9a825")
    draw.ellipse((70, 20, 110, 50), fill="#66bb6a")
    out = BytesIO()
    picture.save(out, "PNG")
    return out.getvalue()


def ensure_certificates_demo(session: Session, group: Group, folder: Path) -> None:
    if session.scalar(select(Certificate).where(Certificate.group_id == group.id,
                                                Certificate.number == NUMBER)) is not None:
        return
    treasurer = next(m for m in group.memberships if m.role == "treasurer")
    today = local_today()
    lot = session.scalar(select(SaleLot).where(SaleLot.group_id == group.id,
                                               SaleLot.product == DEMO_PRODUCT))
    members = [m.id for m in group.memberships if m.active]
    cert = services.save_certificate(session, group, services.CertificateInput(
        kind="declaration", number=NUMBER, issuer="ОсОО «Кыргызтест», орган по сертификации",
        valid_from=today - timedelta(days=320), valid_to=today + timedelta(days=45),
        products=[DEMO_PRODUCT, "Варенье из облепихи"], member_ids=members),
        actor=treasurer.user, folder=folder, scan=_scan())
    services.save_brand(session, group, name="Светлая Поляна",
                        text="Домашнее варенье с берегов Иссык-Куля", folder=folder,
                        logo=_logo())
    if lot is not None:
        services.set_lot_mark(session, lot, certificate_id=cert.id, use_brand=True)
