"""Every GET page of the demo, from the URL map (so a new page cannot be
forgotten), with the demo's ids filled in: the walk the layout and language
tests share. A route with a round is visited for every round of the group (a
round's pages differ by state)."""

from __future__ import annotations

from dataclasses import dataclass, field

from flask import Flask
from sqlalchemy import select
from sqlalchemy.orm import Session

from coop.demo import KG_GROUP, load_demo
from coop.groups.models import Group, Membership
from coop.orders.models import Round, SharedCost
from coop.suppliers.models import Product

# Not pages of the demo: the static files (the icon too) and the brand's logo, a link's
# redemption (it signs in as someone else), the API (JSON, no layout, no words
# of the catalog).
NOT_PAGES = {"static", "quotes.static", "favicon", "auth.redeem_link",
             "certificates.logo"}  # the brand's logo: a picture, no words


@dataclass
class SavingsDemo:
    """The demo's savings group (coop/savings/demo.py): its pages are walked
    as its own treasurer and member."""

    group: Group
    treasurer: Membership
    member: Membership
    params: dict[str, object]
    meetings: list[int]  # every meeting of the cycle, closed and open
    pages: list[tuple[str, str]] = field(default_factory=list)


@dataclass
class Demo:
    group: Group
    treasurer: Membership
    member: Membership
    rounds: list[Round]
    params: dict[str, object]
    supplier_token: str
    pages: list[tuple[str, str]] = field(default_factory=list)  # (endpoint, url)
    savings: SavingsDemo | None = None

    def walks(self) -> list[tuple[str, Membership, list[tuple[str, str]]]]:
        """(who, membership, pages): the producer group's pages as its member and
        treasurer, the savings group's as its own."""
        walks = [("member", self.member, self.pages), ("treasurer", self.treasurer, self.pages)]
        if self.savings is not None:
            walks += [("savings member", self.savings.member, self.savings.pages),
                      ("savings treasurer", self.savings.treasurer, self.savings.pages)]
        return walks

    @property
    def memberships(self) -> list[Membership]:
        return [*self.group.memberships,
                *(self.savings.group.memberships if self.savings else [])]


def load(app: Flask, session: Session) -> Demo:
    """The demo, with a supplier's link and an issued document to visit."""
    from coop.documents.models import Document
    from coop.quotes.models import Quote
    from coop.quotes.services import new_link
    from coop.sales.models import Buyer, Contribution, Sale, SaleLot

    load_demo(session)
    session.commit()
    group = session.scalar(select(Group).where(Group.name == KG_GROUP))
    members = sorted(group.memberships, key=lambda m: m.id)
    treasurer = next(m for m in members if m.role == "treasurer")
    member = next(m for m in members if m.role == "member" and m.user.has_login
                  and m.user.email)
    rounds = sorted(session.scalars(select(Round).where(Round.group_id == group.id)),
                    key=lambda r: r.id)
    quoted = [r for r in rounds if session.scalar(select(Quote.id).where(Quote.round_id == r.id))]
    # a supplier asked who speaks Russian (another speaks Kyrgyz); by her
    # language, not by the order the demo asked them in (on PostgreSQL that
    # order is not the suppliers' order)
    from coop.suppliers.models import Supplier

    quote = session.scalar(select(Quote).join(Supplier, Supplier.id == Quote.supplier_id)
                           .where(Quote.round_id == quoted[0].id, Supplier.language == "ru")
                           .order_by(Quote.id))
    # a supplier the settled round bought from (her purchase order and
    # discrepancy report exist) and one of her products: chosen, not the
    # first row PostgreSQL happens to return (after the demo's updates, the
    # order of its rows is not the order they were made in)
    from sqlalchemy import func

    from coop.orders.models import RoundItem

    settled = next(r for r in rounds if r.state == "settled")
    supplier_id = session.scalar(
        select(func.coalesce(RoundItem.awarded_supplier_id, Product.supplier_id))
        .join(Product, Product.id == RoundItem.product_id)
        .where(RoundItem.round_id == settled.id).order_by(RoundItem.id).limit(1))
    product = session.scalar(select(Product).where(Product.group_id == group.id,
                                                   Product.supplier_id == supplier_id)
                             .order_by(Product.id).limit(1))
    lot = session.scalar(select(SaleLot).where(SaleLot.group_id == group.id).order_by(SaleLot.id))
    params: dict[str, object] = {
        "group_id": group.id, "membership_id": member.id, "supplier_id": product.supplier_id,
        "product_id": product.id, "quote_id": quote.id, "lot_id": lot.id,
        "sale_id": session.scalar(select(Sale.id).where(Sale.lot_id == lot.id)
                                  .order_by(Sale.id)),
        "contribution_id": session.scalar(select(Contribution.id).where(
            Contribution.lot_id == lot.id).order_by(Contribution.id)),
        "buyer_id": session.scalar(select(Buyer.id).where(Buyer.group_id == group.id)
                                   .order_by(Buyer.id)),
        "cost_id": session.scalar(select(SharedCost.id).order_by(SharedCost.id)),
        "move": "close",  # (the question before closing orders; cancelling's: test_rounds)
    }
    from coop.certificates.models import Certificate, LotMark
    from coop.equipment.models import Asset

    params["asset_id"] = session.scalar(select(Asset.id).where(Asset.group_id == group.id)
                                        .order_by(Asset.id))
    params["cert_id"] = session.scalar(select(Certificate.id).where(
        Certificate.group_id == group.id).order_by(Certificate.id))
    params["code"] = session.scalar(select(LotMark.trace_code).where(LotMark.lot_id == lot.id)
                                    .order_by(LotMark.id))
    from coop.season.demo import demo_ids

    params.update(demo_ids(session, group))
    from coop.timebank.models import TimePost, TimeTransfer

    params["transfer_id"] = session.scalar(select(TimeTransfer.id).where(
        TimeTransfer.group_id == group.id, TimeTransfer.state == "pending")
        .order_by(TimeTransfer.id))
    params["post_id"] = session.scalar(select(TimePost.id).where(
        TimePost.group_id == group.id).order_by(TimePost.id))
    token = new_link(session, quote)
    session.commit()
    client = app.test_client()
    from tests.conftest import login

    login(client, treasurer.user.email, "demo-password")
    client.get(f"/groups/{group.id}/rounds/{settled.id}/invoices/{member.id}.pdf")
    params["document_id"] = session.scalar(select(Document.id).where(
        Document.group_id == group.id, Document.membership_id == member.id)
        .order_by(Document.id))
    params["token"] = token
    from coop.ledger.models import Payment

    params["payment_id"] = session.scalar(select(Payment.id).where(  # her receipt
        Payment.membership_id == member.id).order_by(Payment.id))
    assert params["payment_id"] is not None, "the demo's member has paid something"
    demo = Demo(group, treasurer, member, rounds, params, token)
    demo.savings = _savings(session)
    demo.pages = _pages(app, demo, quoted)
    demo.savings.pages = _savings_pages(app, demo.savings)
    return demo


def is_savings(rule) -> bool:  # type: ignore[no-untyped-def]
    return rule.endpoint.startswith("savings.")


def _savings(session: Session) -> SavingsDemo:
    """The savings group of the demo with a closed and an open meeting, a
    member with a passbook and a loan."""
    from coop.savings.demo import SG_GROUP
    from coop.savings.models import CycleMember, SavingsCycle, SavingsLoan, SavingsMeeting

    group = session.scalar(select(Group).where(Group.name == SG_GROUP))
    members = sorted(group.memberships, key=lambda m: m.id)
    treasurer = next(m for m in members if m.role == "treasurer")
    member = next(m for m in members if m.role == "member" and m.user.has_login
                  and m.user.email)
    cycle = session.scalar(select(SavingsCycle).where(SavingsCycle.group_id == group.id))
    mine = session.scalar(select(CycleMember).where(CycleMember.cycle_id == cycle.id,
                                                    CycleMember.membership_id == member.id))
    loan = session.scalar(select(SavingsLoan).where(
        SavingsLoan.cycle_id == cycle.id, SavingsLoan.number.is_not(None),
        SavingsLoan.cycle_member_id == mine.id)) or session.scalar(select(SavingsLoan).where(
            SavingsLoan.cycle_id == cycle.id, SavingsLoan.number.is_not(None)))
    meetings = list(session.scalars(select(SavingsMeeting.id).where(
        SavingsMeeting.cycle_id == cycle.id).order_by(SavingsMeeting.number)))
    params: dict[str, object] = {"group_id": group.id, "cycle_id": cycle.id,
                                 "member_id": mine.id, "loan_id": loan.id}
    return SavingsDemo(group, treasurer, member, params, meetings)


def _savings_pages(app: Flask, savings: SavingsDemo) -> list[tuple[str, str]]:
    pages = []
    for rule in sorted(app.url_map.iter_rules(), key=lambda r: r.rule):
        if "GET" not in rule.methods or not is_savings(rule):
            continue
        values = {}
        for name in rule.arguments - {"meeting_id"}:
            assert name in savings.params, f"{rule.rule}: give the savings walk <{name}>"
            values[name] = savings.params[name]
        for meeting in savings.meetings if "meeting_id" in rule.arguments else [None]:
            if meeting is not None:
                values["meeting_id"] = meeting
            pages.append((rule.endpoint, rule.build(values, append_unknown=False)[1]))
    return pages


def _pages(app: Flask, demo: Demo, quoted: list[Round]) -> list[tuple[str, str]]:
    pages = []
    for rule in sorted(app.url_map.iter_rules(), key=lambda r: r.rule):
        if ("GET" not in rule.methods or rule.endpoint in NOT_PAGES
                or rule.rule.startswith("/api/") or is_savings(rule)):
            continue
        values = {}
        for name in rule.arguments - {"round_id"}:
            assert name in demo.params, f"{rule.rule}: give the page walk a value for <{name}>"
            values[name] = demo.params[name]
        if "round_id" in rule.arguments:
            rounds = quoted if "quote_id" in rule.arguments else demo.rounds
            for rnd in rounds:
                pages.append((rule.endpoint, rule.build({**values, "round_id": rnd.id},
                                                        append_unknown=False)[1]))
        else:
            pages.append((rule.endpoint, rule.build(values, append_unknown=False)[1]))
    return pages


def is_document(url: str) -> bool:
    return url.endswith((".pdf", ".csv", ".zip"))
