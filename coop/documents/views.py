"""Downloads of the documents, each from the page it belongs to and only for
whoever may see it: a member her own invoices and statement, the treasurer
everything of her group, a supplier her own purchase order and delivery
discrepancy report through her quote link. Anything else is a 404."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

from flask import Blueprint, Response, abort, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import to_utc
from flask_login import current_user
from sqlalchemy import select

from coop.documents import builders, services
from coop.documents.forms import CreditNoteForm
from coop.documents.models import INVOICE, Document
from coop.errors import DomainError
from coop.extensions import db
from coop.forms import choices
from coop.groups.access import group_view, member_in_group
from coop.groups.models import Membership
from coop.orders import domain as rounds
from coop.orders import services as orders
from coop.orders.models import Round
from coop.suppliers.models import Supplier
from coop.views import pdf_response

bp = Blueprint("documents", __name__, template_folder="templates")



def _stored(document: Document) -> Response:
    return pdf_response(services.document_bytes(document), document.filename, document.sha256)


def _round_or_404(round_id: int) -> Round:
    rnd = orders.get_round(db.session, g.group, round_id)
    if rnd is None or (rnd.state == rounds.DRAFT and not g.is_treasurer):
        abort(404)
    return rnd


def _member_or_404(membership_id: int) -> Membership:
    """Herself for a member; anyone of the group for the treasurer."""
    if not g.is_treasurer and (g.membership is None or g.membership.id != membership_id):
        abort(404)
    return member_in_group(g.group, membership_id)


def _reload(document: Document) -> Document:
    found = services.get_document(db.session, g.group, document.id)
    assert found is not None
    return found


# --------------------------------------------------------------------------
# A round's documents (treasurer)
# --------------------------------------------------------------------------


@bp.get("/groups/<int:group_id>/rounds/<int:round_id>/documents")
@group_view(treasurer=True)
def round_documents(group_id: int, round_id: int):  # type: ignore[no-untyped-def]
    rnd = _round_or_404(round_id)
    suppliers = services.awarded_suppliers(db.session, rnd) \
        if rnd.state in services.ORDERED_STATES else []
    return render_template(
        "documents/round_documents.html", group=g.group, rnd=rnd, suppliers=suppliers,
        documents=services.round_documents(db.session, rnd), states=orders.STATE_NAMES,
        can_order_form=rnd.state in services.FORM_STATES,
        can_distribute=rnd.state in services.ORDERED_STATES,
        can_invoice=rnd.state == rounds.SETTLED,
        can_compare=services.has_quotes(db.session, rnd),
        reports=services.reportable_suppliers(db.session, rnd))


@bp.get("/groups/<int:group_id>/rounds/<int:round_id>/purchase-orders/<int:supplier_id>.pdf")
@group_view(treasurer=True)
def purchase_order(group_id: int, round_id: int, supplier_id: int):  # type: ignore[no-untyped-def]
    rnd = _round_or_404(round_id)
    supplier = db.session.get(Supplier, supplier_id)
    if supplier is None or supplier.group_id != g.group.id:
        abort(404)
    document = services.issue_purchase_order(db.session, rnd, supplier, current_user)
    db.session.commit()
    return _stored(_reload(document))


@bp.get("/groups/<int:group_id>/rounds/<int:round_id>/discrepancy-reports/<int:supplier_id>.pdf")
@group_view(treasurer=True)
def discrepancy_report(group_id: int, round_id: int, supplier_id: int):  # type: ignore[no-untyped-def]
    """What the supplier delivered against her purchase order: issued on the
    first print, again (naming the one it replaces) only when her delivery's
    record changed. Before anything of hers is recorded: a clear refusal."""
    rnd = _round_or_404(round_id)
    supplier = db.session.get(Supplier, supplier_id)
    if supplier is None or supplier.group_id != g.group.id:
        abort(404)
    document = services.issue_discrepancy_report(db.session, rnd, supplier, current_user)
    db.session.commit()
    return _stored(_reload(document))


@bp.get("/groups/<int:group_id>/rounds/<int:round_id>/invoices/<int:membership_id>.pdf")
@group_view()
def invoice(group_id: int, round_id: int, membership_id: int):  # type: ignore[no-untyped-def]
    """Her invoice: issued on the first download, the same bytes ever after."""
    rnd = _round_or_404(round_id)
    member = _member_or_404(membership_id)
    if rnd.state != rounds.SETTLED:
        abort(404)
    document = services.issue_invoice(db.session, rnd, member, current_user)
    if document is None:
        abort(404)
    db.session.commit()
    return _stored(_reload(document))


@bp.get("/groups/<int:group_id>/rounds/<int:round_id>/invoices.pdf")
@group_view(treasurer=True)
def all_invoices(group_id: int, round_id: int):  # type: ignore[no-untyped-def]
    rnd = _round_or_404(round_id)
    content = services.invoices_pdf(db.session, rnd, current_user)
    db.session.commit()
    return pdf_response(content, f"invoices-round-{rnd.id}.pdf")


@bp.post("/groups/<int:group_id>/rounds/<int:round_id>/invoices/prepare")
@group_view(treasurer=True)
def prepare_invoices(group_id: int, round_id: int):  # type: ignore[no-untyped-def]
    """All invoices of a large round as a background job when Redis is there;
    without it, issued in this request, as before."""
    from coop import jobs

    rnd = _round_or_404(round_id)
    if rnd.state != rounds.SETTLED:
        abort(404)
    if jobs.start_round_invoices(rnd.id, current_user.id) is None:
        return redirect(url_for("documents.all_invoices", group_id=group_id, round_id=round_id))
    return redirect(url_for("documents.invoices_progress", group_id=group_id,
                            round_id=round_id))


@bp.get("/groups/<int:group_id>/rounds/<int:round_id>/invoices/progress")
@group_view(treasurer=True)
def invoices_progress(group_id: int, round_id: int):  # type: ignore[no-untyped-def]
    """n of N, refreshed every two seconds without JavaScript."""
    from coop import jobs

    rnd = _round_or_404(round_id)
    progress = jobs.progress(jobs.invoices_job_id(rnd.id))
    if progress is None:
        return redirect(url_for("documents.round_documents", group_id=group_id,
                                round_id=round_id))
    return render_template("documents/invoices_progress.html", group=g.group, rnd=rnd,
                           progress=progress)


@bp.get("/groups/<int:group_id>/rounds/<int:round_id>/distribution.pdf")
@group_view(treasurer=True)
def distribution_sheet(group_id: int, round_id: int):  # type: ignore[no-untyped-def]
    rnd = _round_or_404(round_id)
    content = builders.build_distribution_sheet(services.distribution_data(db.session, rnd))
    return pdf_response(content, f"distribution-round-{rnd.id}.pdf")


@bp.get("/groups/<int:group_id>/rounds/<int:round_id>/order-form.pdf")
@group_view(treasurer=True)
def order_form(group_id: int, round_id: int):  # type: ignore[no-untyped-def]
    rnd = _round_or_404(round_id)
    content = builders.build_order_form(services.order_form_data(db.session, rnd))
    return pdf_response(content, f"order-form-round-{rnd.id}.pdf")


@bp.get("/groups/<int:group_id>/rounds/<int:round_id>/quotes/comparison.pdf")
@group_view(treasurer=True)
def quote_comparison(group_id: int, round_id: int):  # type: ignore[no-untyped-def]
    from coop.orders.models import COST_RULES

    rnd = _round_or_404(round_id)
    rule = request.args.get("rule", "weight")
    if rule not in COST_RULES:
        abort(400)
    content = builders.build_quote_comparison(
        services.comparison_data(db.session, rnd, fee_rule=rule))
    return pdf_response(content, f"quote-comparison-round-{rnd.id}.pdf")


# --------------------------------------------------------------------------
# A member's statement and documents
# --------------------------------------------------------------------------


def _period() -> tuple[date | None, date | None, datetime | None, datetime | None]:
    """?from=YYYY-MM-DD&to=YYYY-MM-DD as on the statement page: the days, and
    their bounds in UTC (the group's time zone, `to` inclusive)."""
    def day(name: str) -> date | None:
        value = request.args.get(name, "").strip()
        if not value:
            return None
        try:
            return datetime.strptime(value, "%Y-%m-%d").date()
        except ValueError:
            abort(400)

    start, end = day("from"), day("to")
    return (start, end,
            to_utc(datetime.combine(start, time())) if start else None,
            to_utc(datetime.combine(end + timedelta(days=1), time())) if end else None)


@bp.get("/groups/<int:group_id>/accounts/<int:membership_id>/statement.pdf")
@group_view()
def statement(group_id: int, membership_id: int):  # type: ignore[no-untyped-def]
    member = _member_or_404(membership_id)
    start, end, start_at, end_at = _period()
    data = services.statement_data(db.session, member, start=start, end=end,
                                   start_at=start_at, end_at=end_at)
    db.session.commit()  # her account, made on first use
    return pdf_response(builders.build_statement(data), f"statement-{g.group.id}-{member.id}.pdf")


@bp.get("/groups/<int:group_id>/accounts/<int:membership_id>/receipts/<int:payment_id>.pdf")
@group_view()
def receipt(group_id: int, membership_id: int, payment_id: int):  # type: ignore[no-untyped-def]
    """The receipt of one of her payments: hers, or any for the treasurer."""
    receipt = services.receipt_pdf(db.session, _member_or_404(membership_id), payment_id)
    if receipt is None:
        abort(404)
    db.session.commit()  # her account, made on first use
    return pdf_response(*receipt)


def _credit_forms(member: Membership, invoices: list[Document]) -> list:  # type: ignore[type-arg]
    """A form per adjustment of her account that no credit note documents yet."""
    forms = []
    for posting in services.creditable_adjustments(db.session, member):
        form = CreditNoteForm(formdata=None)
        form.posting.data = str(posting.id)
        form.invoice.choices = choices([(d.id, d.number) for d in invoices])
        same_round = [d.id for d in invoices if d.round_id == posting.round_id]
        form.invoice.data = same_round[0] if same_round else invoices[-1].id
        forms.append((posting, form))
    return forms


@bp.get("/groups/<int:group_id>/accounts/<int:membership_id>/documents")
@group_view()
def member_documents(group_id: int, membership_id: int):  # type: ignore[no-untyped-def]
    member = _member_or_404(membership_id)
    documents = services.member_documents(db.session, member)
    invoices = [d for d in documents if d.doc_type == INVOICE]
    round_ids = {d.round_id for d in documents if d.round_id}
    titles = dict(db.session.execute(select(Round.id, Round.title).where(
        Round.id.in_(round_ids))).all()) if round_ids else {}
    return render_template(
        "documents/member_documents.html", group=g.group, member=member, documents=documents,
        titles=titles, numbers={d.id: d.number for d in documents},
        credit_forms=_credit_forms(member, invoices) if g.is_treasurer and invoices else [])


@bp.post("/groups/<int:group_id>/accounts/<int:membership_id>/credit-notes")
@group_view(treasurer=True)
def issue_credit_note(group_id: int, membership_id: int):  # type: ignore[no-untyped-def]
    member = member_in_group(g.group, membership_id)
    form = CreditNoteForm()
    form.invoice.choices = choices([(d.id, d.number) for d in services.member_documents(
        db.session, member) if d.doc_type == INVOICE])
    if not form.validate_on_submit() or not (form.posting.data or "").isdigit():
        abort(400)
    document = services.issue_credit_note(db.session, member, posting_id=int(form.posting.data),
                                          invoice_id=form.invoice.data, actor=current_user)
    db.session.commit()
    flash(_("Credit note %(number)s is issued.", number=document.number), "success")
    return redirect(url_for("documents.member_documents", group_id=group_id,
                            membership_id=membership_id))


@bp.get("/groups/<int:group_id>/documents/<int:document_id>.pdf")
@group_view()
def download(group_id: int, document_id: int):  # type: ignore[no-untyped-def]
    """An issued document, as it was issued."""
    document = services.get_document(db.session, g.group, document_id)
    if document is None:
        abort(404)
    if not g.is_treasurer and (g.membership is None
                               or document.membership_id != g.membership.id):
        abort(404)
    return _stored(document)


# --------------------------------------------------------------------------
# The supplier, through her quote link
# --------------------------------------------------------------------------


@bp.get("/q/<token>/purchase-order.pdf")
def supplier_purchase_order(token: str):  # type: ignore[no-untyped-def]
    """Her purchase order, once the group awarded her quote: only hers."""
    from coop.quotes import services as quotes

    quote = quotes.open_quote(db.session, token)
    rnd = quote.round
    if not quote.awards or rnd.state not in services.ORDERED_STATES:
        abort(404)
    return _supplier_copy(services.issue_purchase_order(db.session, rnd, quote.supplier, None))


@bp.get("/q/<token>/discrepancy-report.pdf")
def supplier_discrepancy_report(token: str):  # type: ignore[no-untyped-def]
    """Her delivery discrepancy report, once her delivery is recorded: only hers."""
    from coop.i18n import use_group_timezone
    from coop.quotes import services as quotes

    quote = quotes.open_quote(db.session, token)
    if not quote.awards:
        abort(404)
    use_group_timezone(quote.round.group)
    try:  # nothing of hers recorded yet: no report (its readiness checked once, there)
        document = services.issue_discrepancy_report(db.session, quote.round, quote.supplier,
                                                     None)
    except DomainError:
        abort(404)
    return _supplier_copy(document)


def _supplier_copy(document: Document) -> Response:
    """A document just issued (or found) for the supplier's link, as stored."""
    db.session.commit()
    found = db.session.get(Document, document.id)
    assert found is not None
    return _stored(found)
