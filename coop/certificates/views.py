"""Pages of certificates, the brand, a lot's labels, and the public
traceability page of a lot (no login; only what a buyer may see: product,
grades, village, group; never a member's name)."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from pathlib import Path

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    g,
    redirect,
    render_template,
    request,
    send_file,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user

from coop.certificates import services
from coop.certificates.forms import BrandForm, CertificateForm, LabelForm, LotMarkForm
from coop.certificates.models import Certificate
from coop.errors import DomainError
from coop.extensions import db
from coop.forms import apply_domain_error, choices, error_messages
from coop.groups.access import group_view
from coop.groups.models import Group
from coop.groups.services import list_members
from coop.i18n import local_today
from coop.sales import services as sales
from coop.sales.models import SaleLot
from coop.views import pdf_response, render_then_commit

bp = Blueprint("certificates", __name__, template_folder="templates")


def upload_folder() -> Path:
    """Where uploads live: outside the static folder (instance/uploads by default)."""
    return services.upload_folder()


def _certificate_or_404(cert_id: int) -> Certificate:
    cert = services.certificate_in_group(db.session, g.group, cert_id)
    if cert is None:
        abort(404)
    return cert


def _lot_or_404(lot_id: int) -> SaleLot:
    lot = sales.get_lot(db.session, g.group, lot_id)
    if lot is None:
        abort(404)
    return lot


@bp.get("/groups/<int:group_id>/certificates")
@group_view()
def list_certificates(group_id: int):  # type: ignore[no-untyped-def]
    today = local_today()
    return render_then_commit(
        "certificates/list.html", group=g.group,
        certificates=services.list_certificates(db.session, g.group), today=today,
        reminders=services.reminders(db.session, g.group, today),
        brand=services.brand_of(db.session, g.group), kinds=services.KIND_NAMES)


def _upload(field_name: str) -> bytes | None:
    """The uploaded file's bytes (None when none was chosen), read up to a limit
    just above what any upload may be: a bigger one is refused by the service."""
    storage = request.files.get(field_name)
    if storage is None or not storage.filename:
        return None
    return storage.stream.read(6 * 1024 * 1024)


def _certificate_page(form: CertificateForm, cert: Certificate | None, status: int = 200):  # type: ignore[no-untyped-def]
    return render_template("certificates/form.html", group=g.group, form=form, cert=cert,
                           members=list_members(db.session, g.group, include_inactive=False)
                           ), status


@bp.route("/groups/<int:group_id>/certificates/new", methods=["GET", "POST"])
@bp.route("/groups/<int:group_id>/certificates/<int:cert_id>/edit", methods=["GET", "POST"])
@group_view(treasurer=True)
def edit_certificate(group_id: int, cert_id: int | None = None):  # type: ignore[no-untyped-def]
    cert = _certificate_or_404(cert_id) if cert_id is not None else None
    form = CertificateForm()
    if request.method == "GET":
        form = CertificateForm(formdata=None, obj=cert)
        if cert is not None:
            form.products.data = "\n".join(p.name for p in cert.products)
            form.members.data = [m.membership_id for m in cert.members]
        else:
            form.members.data = [m.id for m in list_members(db.session, g.group,
                                                            include_inactive=False)]
        return _certificate_page(form, cert)
    if not form.validate():
        return _certificate_page(form, cert, 422)
    data = services.CertificateInput(
        kind=form.kind.data, number=form.number.data or "", issuer=form.issuer.data or "",
        valid_from=form.valid_from.data, valid_to=form.valid_to.data,
        products=(form.products.data or "").splitlines(),
        member_ids=[m for m in form.members.data or [] if m])
    try:
        saved = services.save_certificate(db.session, g.group, data, actor=current_user,
                                          folder=upload_folder(), scan=_upload("scan"),
                                          cert=cert)
        db.session.commit()
    except DomainError as exc:
        db.session.rollback()
        apply_domain_error(form, exc)
        return _certificate_page(form, cert, 422)
    flash(_("The document %(number)s is saved.", number=saved.number), "success")
    return redirect(url_for("certificates.list_certificates", group_id=group_id))


def _send(token: str | None, mimetype: str, name: str):  # type: ignore[no-untyped-def]
    path = services.file_path(upload_folder(), token)
    if path is None:
        abort(404)
    response = send_file(path, mimetype=mimetype, download_name=name, max_age=0)
    response.headers["Cache-Control"] = "private, no-store"
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response


@bp.get("/groups/<int:group_id>/certificates/<int:cert_id>/scan.pdf")
@group_view()
def scan(group_id: int, cert_id: int):  # type: ignore[no-untyped-def]
    cert = _certificate_or_404(cert_id)
    return _send(cert.file_token, "application/pdf", f"certificate-{cert.id}.pdf")


@bp.route("/groups/<int:group_id>/brand", methods=["GET", "POST"])
@group_view(treasurer=True)
def brand(group_id: int):  # type: ignore[no-untyped-def]
    current = services.brand_of(db.session, g.group)
    if request.method == "GET":
        form = BrandForm(formdata=None, obj=current)
        return render_template("certificates/brand.html", group=g.group, form=form,
                               brand=current)
    form = BrandForm()
    if form.validate():
        try:
            services.save_brand(db.session, g.group, name=form.name.data or "",
                                text=form.text.data or "", folder=upload_folder(),
                                logo=_upload("logo"), drop_logo=bool(form.drop_logo.data))
            db.session.commit()
            flash(_("Saved."), "success")
            return redirect(url_for("certificates.list_certificates", group_id=group_id))
        except DomainError as exc:
            db.session.rollback()
            apply_domain_error(form, exc)
    return render_template("certificates/brand.html", group=g.group, form=form,
                           brand=current), 422


@bp.get("/groups/<int:group_id>/brand/logo")
@group_view()
def logo(group_id: int):  # type: ignore[no-untyped-def]
    current = services.brand_of(db.session, g.group)
    token = current.logo_token if current else None
    kind = "image/png" if token and token.endswith(".png") else "image/jpeg"
    return _send(token, kind, "logo" + (Path(token).suffix if token else ""))


# --------------------------------------------------------------------------
# A lot's labels
# --------------------------------------------------------------------------


def _label_form(lot: SaleLot, formdata=None) -> LabelForm:  # type: ignore[no-untyped-def]
    form = LabelForm(formdata=formdata)
    form.grade.choices = choices([(str(grade.id), grade.name) for grade in lot.grades])
    if formdata is None:
        today = local_today()
        form.grade.data = lot.grades[0].id if lot.grades else None
        form.packed_on.data = today
        form.best_before.data = today + timedelta(days=180)
        form.net.data, form.net.value = "1", Decimal(1)
        form.size.data = "medium"
        form.count.data = 8
    return form


def _mark_form(lot: SaleLot, mark) -> LotMarkForm:  # type: ignore[no-untyped-def]
    form = LotMarkForm(formdata=None, certificate=mark.certificate_id, use_brand=mark.use_brand)
    form.certificate.choices = choices(
        [("", _("none"))] + [(str(c.id), f"{c.number} ({services.KIND_NAMES[c.kind]})")
                             for c in services.list_certificates(db.session, g.group)])
    return form


def _labels_page(lot: SaleLot, label_form: LabelForm, status: int = 200,
                 mark_form: LotMarkForm | None = None):  # type: ignore[no-untyped-def]
    mark = services.mark_of(db.session, lot)
    # a refused packing day (2999) is no day to check the certificate on
    packed = ([label_form.packed_on.data]
              if label_form.packed_on.data and not label_form.packed_on.errors else [])
    html = render_template(
        "certificates/labels.html", group=g.group, lot=lot, mark=mark,
        eligibility=services.eligibility(db.session, lot, on=packed),
        brand=services.brand_of(db.session, g.group), label_form=label_form,
        mark_form=mark_form or _mark_form(lot, mark),
        trace_url=url_for("certificates.trace", code=mark.trace_code, _external=True))
    db.session.commit()
    return html, status


@bp.get("/groups/<int:group_id>/sales/<int:lot_id>/labels")
@group_view(treasurer=True)
def labels(group_id: int, lot_id: int):  # type: ignore[no-untyped-def]
    lot = _lot_or_404(lot_id)
    return _labels_page(lot, _label_form(lot))


@bp.post("/groups/<int:group_id>/sales/<int:lot_id>/labels")
@group_view(treasurer=True)
def set_marks(group_id: int, lot_id: int):  # type: ignore[no-untyped-def]
    lot = _lot_or_404(lot_id)
    form = LotMarkForm()
    form.certificate.choices = []
    if not form.validate():
        return _labels_page(lot, _label_form(lot), 422, form)
    try:
        services.set_lot_mark(db.session, lot, certificate_id=form.certificate.data,
                              use_brand=bool(form.use_brand.data))
        db.session.commit()
    except DomainError as exc:
        db.session.rollback()
        apply_domain_error(form, exc)
        return render_template("certificates/refused.html", group=g.group,
                               errors=error_messages(form),
                               back=url_for("certificates.labels", group_id=group_id,
                                            lot_id=lot.id)), 422
    flash(_("Saved."), "success")
    return redirect(url_for("certificates.labels", group_id=group_id, lot_id=lot.id))


@bp.get("/groups/<int:group_id>/sales/<int:lot_id>/labels.pdf")
@group_view(treasurer=True)
def labels_pdf(group_id: int, lot_id: int):  # type: ignore[no-untyped-def]
    from coop.certificates.pdf import LabelData, label_sheet_pdf

    lot = _lot_or_404(lot_id)
    # Without options (a link), the sheet as the labels page proposes it.
    form = _label_form(lot, request.args if request.args else None)
    if request.args and not form.validate():
        return _labels_page(lot, form, 400)
    grade = next((grade for grade in lot.grades if grade.id == form.grade.data), None)
    if grade is None:
        form.grade.errors = [_("Choose a grade of this lot.")]
        return _labels_page(lot, form, 400)
    try:
        services.check_label_dates(form.packed_on.data, form.best_before.data)
    except DomainError as exc:
        apply_domain_error(form, exc)
        return _labels_page(lot, form, 400)
    net = form.net.value or Decimal(0)
    if net <= 0:
        form.net.errors = [_("The net quantity must be more than zero.")]
        return _labels_page(lot, form, 400)
    mark = services.mark_of(db.session, lot)
    verdict = services.eligibility(db.session, lot, on=[form.packed_on.data])
    brand = services.brand_of(db.session, g.group)
    carries = verdict.ok
    from coop import unit_text

    data = LabelData(
        brand=brand.name if brand and mark.use_brand and carries else "",
        brand_text=brand.text if brand and mark.use_brand and carries else "",
        logo=services.file_path(upload_folder(), brand.logo_token)
        if brand and mark.use_brand and carries else None,
        product=lot.product, grade=grade.name,
        net=unit_text.quantity(int(net * 1000), lot.unit),
        lot=f"№ {lot.id}", group=g.group.name, village=g.group.village,
        packed_on=form.packed_on.data, best_before=form.best_before.data,
        certificate=f"{services.KIND_NAMES[verdict.certificate.kind]}\n{verdict.certificate.number}"
        if carries and verdict.certificate else "",
        url=url_for("certificates.trace", code=mark.trace_code, _external=True),
        code=mark.trace_code)
    content = label_sheet_pdf(data, form.size.data, form.count.data)
    db.session.commit()
    return pdf_response(content, f"labels-lot-{lot.id}.pdf")


# --------------------------------------------------------------------------
# The public traceability page
# --------------------------------------------------------------------------


@bp.get("/t/<code>")
def trace(code: str):  # type: ignore[no-untyped-def]
    found = services.lot_by_code(db.session, code)
    if found is None:
        abort(404)
    lot, mark = found
    group = db.session.get(Group, lot.group_id)
    verdict = services.eligibility(db.session, lot)
    brand = services.brand_of(db.session, group) if mark.use_brand and verdict.ok else None
    response = current_app.make_response(render_template(
        "certificates/trace.html", lot=lot, public_group=group, brand=brand,
        certificate=verdict.certificate if verdict.ok else None, kinds=services.KIND_NAMES))
    db.session.commit()
    response.headers["Cache-Control"] = "public, max-age=300"
    response.headers["X-Robots-Tag"] = "noindex"
    return response
