"""Downloads through the web client: who may see which document, the links on
the pages where each belongs, the same bytes every time, the supplier's
purchase order behind her quote link only."""

from __future__ import annotations

import hashlib

from flask.testing import FlaskClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from coop.documents.models import Document
from coop.ledger import services as ledger
from tests.conftest import login, post
from tests.factories import make_awarded_quote, make_member, make_settled_round
from tests.integration.test_documents import pdf_text


def _pdf(response) -> bytes:  # type: ignore[no-untyped-def]
    assert response.status_code == 200, response.get_data(as_text=True)[:500]
    assert response.mimetype == "application/pdf"
    return response.get_data()


def test_member_gets_her_invoice_and_nobody_elses(client: FlaskClient, session: Session) -> None:
    w = make_settled_round(session, members=2)
    session.commit()
    aigul, nurila = w.members
    base = f"/groups/{w.group.id}/rounds/{w.rnd.id}"
    login(client, aigul.user.email)
    share = client.get(f"{base}/share").get_data(as_text=True)
    assert f"{base}/invoices/{aigul.id}.pdf" in share
    first = _pdf(client.get(f"{base}/invoices/{aigul.id}.pdf"))
    again = _pdf(client.get(f"{base}/invoices/{aigul.id}.pdf"))
    assert first == again and aigul.user.name in pdf_text(first)
    document = session.scalar(select(Document).where(Document.membership_id == aigul.id))
    assert document.sha256 == hashlib.sha256(first).hexdigest()
    assert _pdf(client.get(f"/groups/{w.group.id}/documents/{document.id}.pdf")) == first
    # another member's invoice, statement, documents: as if they did not exist
    assert client.get(f"{base}/invoices/{nurila.id}.pdf").status_code == 404
    assert client.get(f"/groups/{w.group.id}/accounts/{nurila.id}/statement.pdf"
                      ).status_code == 404
    assert client.get(f"/groups/{w.group.id}/accounts/{nurila.id}/documents").status_code == 404
    # and the treasurer's sheets
    for path in ("invoices.pdf", "distribution.pdf", "documents", f"purchase-orders/"
                 f"{w.products[0].supplier_id}.pdf"):
        assert client.get(f"{base}/{path}").status_code == 403, path
    # nurila's stored invoice, once issued, is still not hers to see
    login(client, w.treasurer.user.email)
    _pdf(client.get(f"{base}/invoices/{nurila.id}.pdf"))
    other = session.scalar(select(Document).where(Document.membership_id == nurila.id))
    login(client, aigul.user.email)
    assert client.get(f"/groups/{w.group.id}/documents/{other.id}.pdf").status_code == 404
    assert session.scalar(select(func.count()).select_from(Document)) == 2


def test_treasurer_prints_everything_and_another_group_sees_nothing(client: FlaskClient,
                                                                     session: Session) -> None:
    w = make_settled_round(session, members=3)
    stranger = make_settled_round(session, members=1)
    session.commit()
    base = f"/groups/{w.group.id}/rounds/{w.rnd.id}"
    login(client, w.treasurer.user.email)
    page = client.get(base).get_data(as_text=True)
    assert f"{base}/documents" in page and f"{base}/distribution.pdf" in page
    documents_page = client.get(f"{base}/documents").get_data(as_text=True)
    supplier_id = w.products[0].supplier_id
    assert f"{base}/purchase-orders/{supplier_id}.pdf" in documents_page
    purchase_order = _pdf(client.get(f"{base}/purchase-orders/{supplier_id}.pdf"))
    assert "PO-" in pdf_text(purchase_order)
    combined = pdf_text(_pdf(client.get(f"{base}/invoices.pdf")))
    for member in w.members:
        assert member.user.name in combined
    sheet = pdf_text(_pdf(client.get(f"{base}/distribution.pdf")))
    assert all(m.user.name in sheet for m in w.members)
    statement = pdf_text(_pdf(client.get(
        f"/groups/{w.group.id}/accounts/{w.members[0].id}/statement.pdf?from=2020-01-01")))
    assert w.members[0].user.name in statement
    assert client.get(f"/groups/{w.group.id}/accounts/{w.members[0].id}/statement.pdf"
                      "?from=yesterday").status_code == 400
    listed = client.get(f"{base}/documents").get_data(as_text=True)
    assert listed.count("/documents/") >= 4  # the purchase order and three invoices
    # another group's treasurer: 404 on every address of this group
    login(client, stranger.treasurer.user.email)
    for path in (f"{base}/documents", f"{base}/invoices.pdf", f"{base}/distribution.pdf",
                 f"{base}/invoices/{w.members[0].id}.pdf",
                 f"/groups/{w.group.id}/accounts/{w.members[0].id}/statement.pdf",
                 f"/groups/{w.group.id}/documents/1.pdf"):
        assert client.get(path).status_code == 404, path
    # her own group with this group's member or document ids: 404 too
    own = f"/groups/{stranger.group.id}/rounds/{stranger.rnd.id}"
    assert client.get(f"{own}/invoices/{w.members[0].id}.pdf").status_code == 404
    document = session.scalar(select(Document).where(Document.group_id == w.group.id))
    assert client.get(f"/groups/{stranger.group.id}/documents/{document.id}.pdf"
                      ).status_code == 404
    assert client.get(f"{own}/purchase-orders/{supplier_id}.pdf").status_code == 404


def test_statement_page_links_to_the_pdf_and_the_credit_notes(client: FlaskClient,
                                                              session: Session) -> None:
    w = make_settled_round(session, members=1)
    member = w.members[0]
    refund = ledger.adjust_member(session, member, amount=-1500, reason="Порванный пакет",
                                  actor=w.treasurer.user, round_id=w.rnd.id)
    session.commit()
    login(client, w.treasurer.user.email)
    page = client.get(f"/groups/{w.group.id}/accounts/{member.id}").get_data(as_text=True)
    assert f"/groups/{w.group.id}/accounts/{member.id}/statement.pdf" in page
    docs_url = f"/groups/{w.group.id}/accounts/{member.id}/documents"
    assert docs_url in page
    assert "Issue credit note" not in client.get(docs_url).get_data(as_text=True)  # no invoice
    _pdf(client.get(f"/groups/{w.group.id}/rounds/{w.rnd.id}/invoices/{member.id}.pdf"))
    listing = client.get(docs_url).get_data(as_text=True)
    assert "Issue credit note" in listing and "Порванный пакет" in listing
    invoice = session.scalar(select(Document).where(Document.doc_type == "invoice"))
    response = post(client, f"/groups/{w.group.id}/accounts/{member.id}/credit-notes",
                    {"posting": str(refund.id), "invoice": str(invoice.id)})
    assert response.status_code == 302
    note = session.scalar(select(Document).where(Document.doc_type == "credit_note"))
    assert note.refers_to_id == invoice.id and invoice.number in pdf_text(note.content)
    listing = client.get(docs_url).get_data(as_text=True)
    assert note.number in listing and "Issue credit note" not in listing
    # a member may read her credit note but not issue one
    make_member(session, w.group)
    session.commit()
    login(client, member.user.email)
    assert _pdf(client.get(f"/groups/{w.group.id}/documents/{note.id}.pdf")) == note.content
    assert post(client, f"/groups/{w.group.id}/accounts/{member.id}/credit-notes",
                {"posting": str(refund.id), "invoice": str(invoice.id)}).status_code == 403


def test_supplier_gets_only_her_purchase_order_through_her_link(client: FlaskClient,
                                                                session: Session) -> None:
    w, quote, token, _other, other_token = make_awarded_quote(session)
    session.commit()
    page = client.get(f"/q/{token}").get_data(as_text=True)
    assert f"/q/{token}/purchase-order.pdf" in page
    first = _pdf(client.get(f"/q/{token}/purchase-order.pdf"))
    text = pdf_text(first)
    assert quote.supplier.name in text and w.group.name in text
    assert _pdf(client.get(f"/q/{token}/purchase-order.pdf")) == first
    # the supplier who lost has no purchase order; a made-up link is nothing
    assert client.get(f"/q/{other_token}/purchase-order.pdf").status_code == 404
    assert client.get("/q/not-a-real-token/purchase-order.pdf").status_code == 404
    assert session.scalar(select(func.count()).select_from(Document)) == 1
    # nor can she reach the group's pages or documents without signing in
    document = session.scalar(select(Document))
    response = client.get(f"/groups/{w.group.id}/documents/{document.id}.pdf")
    assert response.status_code in (302, 401)


def test_order_form_and_comparison_from_the_round_pages(client: FlaskClient,
                                                        session: Session) -> None:
    from tests.factories import make_closed_round, make_quote

    w = make_closed_round(session)
    make_quote(session, w)
    session.commit()
    login(client, w.treasurer.user.email)
    base = f"/groups/{w.group.id}/rounds/{w.rnd.id}"
    compare = client.get(f"{base}/quotes/compare").get_data(as_text=True)
    assert f"{base}/quotes/comparison.pdf" in compare
    text = pdf_text(_pdf(client.get(f"{base}/quotes/comparison.pdf")))
    assert w.rnd.title in text
    assert client.get(f"{base}/quotes/comparison.pdf?rule=nonsense").status_code == 400
    # the order form is for rounds still taking orders
    assert client.get(f"{base}/order-form.pdf").status_code == 422


def test_discrepancy_report_for_the_treasurer_and_only_her_own_for_the_supplier(
        client: FlaskClient, session: Session) -> None:
    from coop.orders import services as orders

    w, quote, token, _other, other_token = make_awarded_quote(session)
    session.commit()
    base = f"/groups/{w.group.id}/rounds/{w.rnd.id}"
    report = f"{base}/discrepancy-reports/{quote.supplier_id}.pdf"
    # before her delivery is recorded: no link, nothing to print, nothing issued
    assert "/discrepancy-report.pdf" not in client.get(f"/q/{token}").get_data(as_text=True)
    assert client.get(f"/q/{token}/discrepancy-report.pdf").status_code == 404
    login(client, w.treasurer.user.email)
    assert "/discrepancy-reports/" not in client.get(f"{base}/documents").get_data(as_text=True)
    assert client.get(report).status_code == 422
    assert session.scalar(select(func.count()).select_from(Document)) == 0
    orders.record_delivery(session, w.rnd, {w.seed.id: (40000, 3000), w.npk.id: (100000, 0)},
                           actor=w.treasurer.user)
    session.commit()
    assert report in client.get(f"{base}/documents").get_data(as_text=True)
    treasurers = _pdf(client.get(report))
    assert client.post(report).status_code == 405  # printing moves no money: GET only
    post(client, "/logout")
    # her page links her report; her link gives the treasurer's very report
    assert f"/q/{token}/discrepancy-report.pdf" in client.get(f"/q/{token}").get_data(
        as_text=True)
    hers = _pdf(client.get(f"/q/{token}/discrepancy-report.pdf"))
    assert hers == treasurers and quote.supplier.name in pdf_text(hers)
    # the supplier who lost has none; a made-up link is nothing
    assert "/discrepancy-report.pdf" not in client.get(f"/q/{other_token}").get_data(
        as_text=True)
    assert client.get(f"/q/{other_token}/discrepancy-report.pdf").status_code == 404
    assert client.get("/q/not-a-real-token/discrepancy-report.pdf").status_code == 404
    assert client.post(f"/q/{token}/discrepancy-report.pdf").status_code == 405
    # one report, and the purchase order it names
    types = sorted(session.scalars(select(Document.doc_type)))
    assert types == ["discrepancy_report", "purchase_order"]
