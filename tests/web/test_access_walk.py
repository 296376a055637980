"""Every route of the app, taken from the URL map (so a new route cannot be
forgotten), walked as: nobody, a member of another group, a member, a
treasurer. Each gets exactly what she may: nobody is sent to sign in, an
outsider learns nothing of the group, a member sees only her own, and no
route answers anyone with a server error."""

from __future__ import annotations

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from coop.demo import KG_GROUP, TJ_GROUP, load_demo
from coop.groups.models import Group
from coop.ledger.models import Payment, Posting
from coop.orders.models import Round, SharedCost
from coop.suppliers.models import Product
from tests.conftest import csrf_token, login

PUBLIC = {"auth.login", "auth.set_language", "auth.redeem_link", "quotes.supplier_quote",
          "quotes.supplier_decline", "documents.supplier_purchase_order",
          "documents.supplier_discrepancy_report", "static", "favicon",
          "quotes.static",
          # the API's description, and the supplier's quote through her link's token
          "api.openapi_document", "api.quote", "api.submit_quote",
          # a lot's traceability page, opened from the QR code on its labels
          "certificates.trace"}
SIGNED_IN = {"groups.home", "auth.change_password", "auth.logout", "api.split_preview",
             "api.savings_preview",
             "groups.create_group", "auth.api_tokens_page", "auth.revoke_api_token", "auth.account",
             "api.list_groups",
             # the programme's savings indicators: the platform admin's (403 to others)
             "savings.programme_indicators", "savings.programme_indicators_csv"}
# What a member opens in her own group (her own things only, where a member id is given).
MEMBER = {"groups.dashboard", "groups.members", "orders.list_rounds", "orders.round_page",
          "orders.order", "orders.share", "ledger.accounts", "ledger.statement",
          "ledger.statement_csv", "documents.statement", "documents.invoice",
          "documents.member_documents", "documents.download", "sales.list_lots",
          "sales.lot_page", "sales.payout", "sales.payout_pdf",
          "api.group", "api.members", "api.list_rounds", "api.round_detail", "api.my_order",
          "api.save_my_order", "api.member_order", "api.save_member_order", "api.round_split",
          "api.statement", "api.member_documents", "api.document", "api.list_lots",
          "api.lot_detail", "savings.group_indicators", "savings.group_indicators_csv",
          "savings.index", "api.savings_cycles",
          "equipment.list_assets", "equipment.asset_page", "equipment.book",
          "equipment.join_wait", "equipment.report", "equipment.report_csv",
          "equipment.booking_sheet",
          "certificates.list_certificates", "certificates.scan", "certificates.logo",
          "api.list_equipment", "api.equipment_detail", "api.book_equipment",
          "api.list_certificates",
          "season.home", "season.survey", "season.answer", "season.add_wish", "season.profile",
          "season.loans", "season.loan", "season.loan_slip", "api.surveys", "api.survey",
          "api.answers", "api.save_answers", "api.seed_loans", "api.seed_loan",
          # the time bank: the board, her hours, recording help, confirming what
          # she received (the walk's transfer waits for her confirmation)
          "timebank.home", "timebank.new_post", "timebank.add_post", "timebank.record_form",
          "timebank.record", "timebank.pending", "timebank.confirm", "timebank.reject",
          "timebank.transfer", "timebank.statement", "timebank.statement_pdf",
          "timebank.board_pdf", "timebank.digest",
          "api.timebank_posts", "api.timebank_add_post", "api.timebank_transfers",
          "api.timebank_record", "api.timebank_confirm", "api.timebank_reject",
          "api.timebank_statement"}


# A savings cycle's routes are walked in the demo's savings group (test_savings_walk).
CYCLE_ARGUMENTS = {"cycle_id"}
# What a member of a savings group opens of its cycle (every member's lines by default).
SAVINGS_MEMBER = {"savings.index", "savings.cycle", "savings.meeting", "savings.meeting_text",
                  "savings.meeting_record_pdf", "savings.passbook", "savings.passbook_pdf",
                  "savings.loan_card_pdf", "savings.share_out", "savings.share_out_pdf",
                  "api.savings_cycle", "api.savings_meeting", "api.savings_passbook"}


def _rules(app: Flask) -> list:  # type: ignore[type-arg]
    return sorted((r for r in app.url_map.iter_rules() if r.endpoint not in PUBLIC
                   and not (r.arguments & CYCLE_ARGUMENTS)), key=lambda r: r.rule)


def _cycle_rules(app: Flask) -> list:  # type: ignore[type-arg]
    return sorted((r for r in app.url_map.iter_rules() if r.arguments & CYCLE_ARGUMENTS),
                  key=lambda r: r.rule)


@pytest.fixture()
def world(app_ctx: Flask, session: Session):  # type: ignore[no-untyped-def]
    load_demo(session)
    session.commit()
    group = session.scalar(select(Group).where(Group.name == KG_GROUP))
    other = session.scalar(select(Group).where(Group.name == TJ_GROUP))
    rounds = {r.state: r for r in session.scalars(select(Round).where(Round.group_id == group.id))}
    members = sorted(group.memberships, key=lambda m: m.id)
    treasurer, aigul, someone_else = members[0], members[1], members[2]
    settled = rounds["settled"]
    quoting = rounds["quoting"]
    from coop.quotes.models import Quote

    quote = session.scalar(select(Quote).where(Quote.round_id == quoting.id))
    product = session.scalar(select(Product).where(Product.group_id == group.id))
    params = {
        "group_id": group.id, "membership_id": someone_else.id, "supplier_id":
        product.supplier_id, "product_id": product.id, "quote_id": quote.id,
        "cost_id": session.scalar(select(SharedCost.id).where(SharedCost.round_id == settled.id)),
        "posting_id": session.scalar(select(Posting.id).where(
            Posting.membership_id == someone_else.id)),
        # someone else's payment: her receipt is hers and the treasurer's
        "payment_id": session.scalar(select(Payment.id).where(
            Payment.membership_id == someone_else.id)),
        "action": None, "move": "close", "filename": "coop.css",
    }
    assert params["payment_id"] is not None
    from coop.sales.models import Buyer, Contribution, Sale, SaleLot

    lot = session.scalar(select(SaleLot).where(SaleLot.group_id == group.id).order_by(SaleLot.id))
    params.update(
        lot_id=lot.id,
        sale_id=session.scalar(select(Sale.id).where(Sale.lot_id == lot.id)),
        contribution_id=session.scalar(select(Contribution.id).where(
            Contribution.lot_id == lot.id)),
        buyer_id=session.scalar(select(Buyer.id).where(Buyer.group_id == group.id)))
    from coop.timebank.models import TimePost, TimeTransfer

    # a record Aigul is to confirm; a notice of someone else (she may not take it off)
    params["transfer_id"] = session.scalar(select(TimeTransfer.id).where(
        TimeTransfer.group_id == group.id, TimeTransfer.state == "pending"))
    params["post_id"] = session.scalar(select(TimePost.id).where(
        TimePost.group_id == group.id, TimePost.membership_id != aigul.id))
    from coop.api.services import create_token

    params["token_id"] = create_token(session, aigul.user, "walk")[0].id
    from coop.certificates.models import Certificate, LotMark
    from coop.equipment.models import Asset, Booking, Wait

    # someone else's booking and place on the waiting list; the walk's member keeps nothing
    params["asset_id"] = session.scalar(select(Asset.id).where(Asset.group_id == group.id))
    params["booking_id"] = session.scalar(select(Booking.id).where(
        Booking.asset_id == params["asset_id"], Booking.state == "booked",
        Booking.membership_id != aigul.id))
    params["wait_id"] = session.scalar(select(Wait.id).where(
        Wait.asset_id == params["asset_id"], Wait.membership_id != aigul.id))
    params["cert_id"] = session.scalar(select(Certificate.id).where(
        Certificate.group_id == group.id))
    params["code"] = session.scalar(select(LotMark.trace_code).where(LotMark.lot_id == lot.id))
    assert all(params[k] for k in ("asset_id", "booking_id", "wait_id", "cert_id", "code")), {
        k: params[k] for k in ("asset_id", "booking_id", "wait_id", "cert_id", "code")}
    from coop.season.models import SeedLoan, Survey, SurveyWish

    # her own loan (a member opens it; another's is refused in test_season_pages), a
    # wish of someone else, the converted survey
    params.update(
        survey_id=session.scalar(select(Survey.id).where(Survey.group_id == group.id)
                                 .order_by(Survey.id).limit(1)),
        loan_id=session.scalar(select(SeedLoan.id).where(SeedLoan.membership_id == aigul.id)
                               .limit(1)),
        wish_id=session.scalar(select(SurveyWish.id).where(
            SurveyWish.membership_id != aigul.id).limit(1)),
        step="approve", target="open")
    session.commit()
    # a document of someone else: the treasurer issues her invoice
    client = app_ctx.test_client()
    login(client, treasurer.user.email, "demo-password")
    client.get(f"/groups/{group.id}/rounds/{settled.id}/invoices/{someone_else.id}.pdf")
    from coop.documents.models import Document

    params["document_id"] = session.scalar(select(Document.id).where(
        Document.group_id == group.id, Document.membership_id == someone_else.id))
    return {"group": group, "other": other, "treasurer": treasurer, "member": aigul,
            "outsider": next(m for m in other.memberships if m.role == "treasurer"),
            "params": params, "settled": settled, "quoting": quoting}


def _url(rule, world) -> str:  # type: ignore[no-untyped-def]
    values = {}
    for name in rule.arguments:
        if name == "round_id":
            values[name] = (world["quoting"] if "quote" in rule.rule else world["settled"]).id
        elif name == "action":
            values[name] = "deactivate" if "members" in rule.rule else "retire"
        else:
            assert name in world["params"], f"{rule.rule}: give the walk a value for <{name}>"
            values[name] = world["params"][name]
    return rule.build(values, append_unknown=False)[1]


def _visit(client: FlaskClient, rule, url: str, token: str):  # type: ignore[no-untyped-def]
    methods = rule.methods - {"HEAD", "OPTIONS"}
    responses = []
    if "GET" in methods:
        responses.append(("GET", client.get(url)))
    if "POST" in methods:
        responses.append(("POST", client.post(url, data={"csrf_token": token})))
    for method in sorted(methods & {"PUT", "DELETE"}):  # the API's: JSON
        responses.append((method, client.open(url, method=method, json={})))
    return responses


def test_nobody_is_sent_to_sign_in_everywhere(app_ctx: Flask, world) -> None:  # type: ignore[no-untyped-def]
    client = app_ctx.test_client()
    token = csrf_token(client)
    for rule in _rules(app_ctx):
        for method, response in _visit(client, rule, _url(rule, world), token):
            where = f"{method} {rule.rule}"
            if rule.rule.startswith("/api/"):
                assert response.status_code == 401, where
            else:
                assert response.status_code == 302, where
                assert "/login" in response.headers["Location"], where


def test_a_member_of_another_group_learns_nothing(app_ctx: Flask, world) -> None:  # type: ignore[no-untyped-def]
    client = app_ctx.test_client()
    login(client, world["outsider"].user.email, "demo-password")
    token = csrf_token(client)
    name = world["group"].name
    for rule in _rules(app_ctx):
        if "<int:group_id>" not in rule.rule:
            continue
        for method, response in _visit(client, rule, _url(rule, world), token):
            assert response.status_code == 404, f"{method} {rule.rule}"
            assert name.encode() not in response.get_data(), f"{method} {rule.rule}"


def test_a_member_sees_her_own_and_nothing_of_the_treasurer(app_ctx: Flask, world) -> None:  # type: ignore[no-untyped-def]
    client = app_ctx.test_client()
    member = world["member"]
    login(client, member.user.email, "demo-password")
    token = csrf_token(client)
    unclassified = []
    for rule in _rules(app_ctx):
        if rule.endpoint in SIGNED_IN or "<int:group_id>" not in rule.rule:
            if rule.endpoint not in SIGNED_IN:
                unclassified.append(rule.rule)
            continue
        url = _url(rule, world)
        for method, response in _visit(client, rule, url, token):
            where = f"{method} {rule.rule}"
            code = response.status_code
            if rule.endpoint not in MEMBER:
                assert code in (403, 404), f"{where}: a treasurer's page gave {code}"
            elif "membership_id" in rule.arguments or "document_id" in rule.arguments:
                assert code in (403, 404), f"{where}: another member's gave {code}"
            elif rule.rule.startswith("/api/"):
                # let in, and told what the form post lacks (JSON, an Idempotency-Key)
                assert code in (200, 400, 405, 415, 422), f"{where}: {code}"
            elif rule.rule.startswith("/api/") and method == "POST":
                # the walk posts a form, not JSON: past the access check the API
                # refuses the body (415) or the missing Idempotency-Key (400)
                assert code in (200, 201, 400, 405, 415, 422), f"{where}: {code}"
            else:
                assert code in (200, 302, 405, 422), f"{where}: {code}"
    assert not unclassified, f"classify these routes in the walk: {unclassified}"
    # and her own things open
    group, settled = world["group"], world["settled"]
    for url in (f"/groups/{group.id}/accounts/{member.id}",
                f"/groups/{group.id}/rounds/{settled.id}/share/{member.id}",
                f"/groups/{group.id}/rounds/{settled.id}/invoices/{member.id}.pdf"):
        assert client.get(url).status_code == 200, url


def test_the_treasurer_never_meets_a_server_error(app_ctx: Flask, world) -> None:  # type: ignore[no-untyped-def]
    client = app_ctx.test_client()
    login(client, world["treasurer"].user.email, "demo-password")
    token = csrf_token(client)
    for rule in _rules(app_ctx):
        if rule.endpoint in {"auth.logout"}:
            continue
        for method, response in _visit(client, rule, _url(rule, world), token):
            assert response.status_code < 500, f"{method} {rule.rule}"
            assert b"Traceback" not in response.get_data(), f"{method} {rule.rule}"


@pytest.fixture()
def savings_world(app_ctx: Flask, session: Session, world):  # type: ignore[no-untyped-def]
    """The demo's savings group: its cycle, a closed meeting, another member's
    passbook and loan."""
    from coop.savings.demo import SG_GROUP
    from coop.savings.models import CycleMember, SavingsCycle, SavingsLoan, SavingsMeeting

    group = session.scalar(select(Group).where(Group.name == SG_GROUP))
    members = sorted(group.memberships, key=lambda m: m.id)
    treasurer = next(m for m in members if m.role == "treasurer")
    member = next(m for m in members if m.role == "member" and m.user.has_login)
    cycle = session.scalar(select(SavingsCycle).where(SavingsCycle.group_id == group.id))
    other = session.scalar(select(CycleMember).where(
        CycleMember.cycle_id == cycle.id, CycleMember.membership_id != member.id,
        CycleMember.membership_id != treasurer.id))
    params = {"group_id": group.id, "cycle_id": cycle.id, "member_id": other.id,
              "meeting_id": session.scalar(select(SavingsMeeting.id).where(
                  SavingsMeeting.cycle_id == cycle.id, SavingsMeeting.state == "closed")),
              "loan_id": session.scalar(select(SavingsLoan.id).where(
                  SavingsLoan.cycle_id == cycle.id, SavingsLoan.number.is_not(None))),
              "entry_id": 1}
    return {"group": group, "treasurer": treasurer, "member": member,
            "outsider": world["treasurer"], "params": params}


def _cycle_url(rule, params) -> str:  # type: ignore[no-untyped-def]
    missing = rule.arguments - params.keys()
    assert not missing, f"{rule.rule}: give the savings walk a value for {missing}"
    return rule.build({k: params[k] for k in rule.arguments}, append_unknown=False)[1]


def test_savings_walk(app_ctx: Flask, savings_world) -> None:  # type: ignore[no-untyped-def]
    """A savings cycle's routes as nobody, an outsider, a member and its treasurer."""
    rules = _cycle_rules(app_ctx)
    assert {r.endpoint for r in rules} >= SAVINGS_MEMBER - {"savings.index"}
    params = savings_world["params"]
    nobody = app_ctx.test_client()
    outsider, member, treasurer = (app_ctx.test_client() for _ in range(3))
    login(outsider, savings_world["outsider"].user.email, "demo-password")
    login(member, savings_world["member"].user.email, "demo-password")
    login(treasurer, savings_world["treasurer"].user.email, "demo-password")
    tokens = {id(c): csrf_token(c) for c in (nobody, outsider, member, treasurer)}
    name = savings_world["group"].name.encode()
    for rule in rules:
        url = _cycle_url(rule, params)
        api = rule.rule.startswith("/api/")
        for method, response in _visit(nobody, rule, url, tokens[id(nobody)]):
            assert response.status_code == (401 if api else 302), f"{method} {rule.rule}"
        for method, response in _visit(outsider, rule, url, tokens[id(outsider)]):
            assert response.status_code == 404, f"{method} {rule.rule}"
            assert name not in response.get_data(), f"{method} {rule.rule}"
        for method, response in _visit(member, rule, url, tokens[id(member)]):
            code = response.status_code
            if method == "GET" and rule.endpoint in SAVINGS_MEMBER:
                assert code in (200, 302) or (
                    code == 404 and rule.endpoint == "savings.share_out_pdf"), \
                    f"{method} {rule.rule}: {code}"
            else:
                assert code in (403, 404) or (api and code in (400, 405, 415, 422)), \
                    f"{method} {rule.rule}: a treasurer's gave {code}"
        for method, response in _visit(treasurer, rule, url, tokens[id(treasurer)]):
            assert response.status_code < 500, f"{method} {rule.rule}"


# What a coordinator of the time bank designated by the treasurer opens beyond a
# member's: the register, batches, imports, corrections, the reports, anyone's
# statement; not the settings, the coordinators, the start credits.
TIMEBANK_COORDINATOR = {
    "timebank.register_form", "timebank.register_entry", "timebank.batch_form",
    "timebank.batch", "timebank.import_form", "timebank.import_register",
    "timebank.reverse", "timebank.reports", "timebank.register_pdf", "timebank.export",
    "timebank.close_post", "api.timebank_reverse", "api.timebank_balances"}


def test_a_time_bank_coordinator_gets_its_pages_and_nothing_else(app_ctx: Flask, session: Session,
                                                                 world) -> None:  # type: ignore[no-untyped-def]
    from coop.timebank import services as tb

    member = world["member"]
    tb.set_coordinators(session, world["group"], [member.id], actor=world["treasurer"].user)
    session.commit()
    client = app_ctx.test_client()
    login(client, member.user.email, "demo-password")
    token = csrf_token(client)
    opened = set()
    for rule in _rules(app_ctx):
        if "<int:group_id>" not in rule.rule or rule.endpoint in SIGNED_IN:
            continue
        url = _url(rule, world)
        for method, response in _visit(client, rule, url, token):
            where = f"{method} {rule.rule}"
            code = response.status_code
            assert code < 500, where
            if rule.endpoint in TIMEBANK_COORDINATOR:
                assert code not in (403, 404), f"{where}: a coordinator's page gave {code}"
                opened.add(rule.endpoint)
            elif rule.endpoint.startswith(("timebank.", "api.timebank")) and \
                    "membership_id" in rule.arguments:
                assert code not in (403, 404), f"{where}: anyone's statement gave {code}"
            elif rule.endpoint not in MEMBER:
                assert code in (403, 404), f"{where}: a treasurer's page gave {code}"
    assert opened == TIMEBANK_COORDINATOR
    # taken away: a member again, at once
    tb.set_coordinators(session, world["group"], [], actor=world["treasurer"].user)
    session.commit()
    group_id = world["group"].id
    for path in ("register", "batch", "import", "reports", "export.zip"):
        assert client.get(f"/groups/{group_id}/timebank/{path}").status_code == 403, path
