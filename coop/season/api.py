"""The season in the JSON API (/api/v1): surveys with their demand, a
member's answers, seed loans and their cash repayments. The same services and
access checks as the pages; registered on the API blueprint when
coop.api.views imports this module, with its schemas in the OpenAPI
document."""

from __future__ import annotations

from typing import Any

from flask import Response, abort, g, jsonify
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy.exc import IntegrityError

from coop.api import inputs
from coop.api.inputs import json_body, paginate
from coop.api.openapi import (
    DAY,
    DECIMAL,
    EXAMPLES,
    FLAG,
    ID,
    MOMENT,
    MONEY,
    QUANTITY,
    SCHEMAS,
    TEXT,
    array,
    nullable,
    obj,
)
from coop.api.problems import Problem
from coop.api.views import _item_lines, _json_fields, _me, _whose, api_route, created
from coop.errors import DomainError
from coop.extensions import db
from coop.groups.access import group_view
from coop.groups.models import Membership
from coop.ledger.models import PAYMENT_METHODS
from coop.money import MoneyError, to_string
from coop.quantities import parse_quantity, qty_str
from coop.season import domain, services
from coop.season import loans as seed
from coop.season.models import LOAN_STATES, REPAY_MODES, SURVEY_STATES, SeedLoan, Survey
from coop.security import MAX_ID

SURVEY = {"id": ID, "title": TEXT, "state": {"enum": list(SURVEY_STATES)},
          "closes_on": nullable(DAY), "round_id": nullable(ID)}
ANSWER = obj({"item_id": ID, "firm": QUANTITY, "maybe": QUANTITY, "area": nullable(QUANTITY)})
LOAN = {"id": ID, "membership_id": ID, "name": TEXT, "round_id": ID, "product_id": ID,
        "product": TEXT, "quantity": QUANTITY, "value": MONEY,
        "repay_mode": {"enum": list(REPAY_MODES)}, "repay_ratio": DECIMAL, "due_on": DAY,
        "state": {"enum": list(LOAN_STATES)}, "due": MONEY, "left": MONEY}
SCHEMAS.update({
    "Survey": obj(SURVEY),
    "SurveyDetail": obj({
        **SURVEY, "note": TEXT, "members_answered": {"type": "integer", "minimum": 0},
        "members_left_group": {"type": "integer", "minimum": 0, "description": "Of "
                               "`members_answered`, those who have since left the group: "
                               "their answers are not carried into the round"},
        "members_in_round": {"type": "integer", "minimum": 0, "description": "Members "
                             "with an order line the round made of the survey will carry"},
        "budget": {**MONEY, "description": "The goods the round would bill, before the "
                   "levy: each product's packs (the split's pack rule) at the tier their "
                   "quantity reaches, at the last awarded price, else the catalog's"},
        "levy": {**MONEY, "description": "The group's solidarity fund levy the round adds "
                 "on the goods (`budget`), by the split's rule over the whole budget: the "
                 "round rounds each member's levy, so its sum may differ by a minor unit "
                 "or so per member"},
        "budget_with_levy": {**MONEY, "description": "`budget` + `levy`: about what the "
                             "round would bill the members"},
        "items": array(obj({"item_id": ID, "product_id": ID, "name": TEXT, "unit": TEXT,
                            "granularity": QUANTITY, "seed_rate": nullable(QUANTITY),
                            "firm": QUANTITY, "maybe": QUANTITY,
                            "members": {"type": "integer", "minimum": 0},
                            "packs": {"type": "integer", "minimum": 0},
                            "budget": nullable(MONEY),
                            "answers_not_carried": {"type": "integer", "minimum": 0},
                            "not_offered": nullable(TEXT)}))}),
    "SurveyAnswers": obj({"membership_id": ID, "lines": array(ANSWER)}),
    "NewSurveyAnswers": obj({"lines": array(obj(
        {"item_id": ID, "firm": QUANTITY, "maybe": QUANTITY, "area": QUANTITY},
        optional=("firm", "maybe", "area"), closed=True))}, closed=True),
    "SeedLoan": obj({**LOAN, "repayments": array(obj({
        "id": ID, "kind": TEXT, "principal": MONEY, "income": MONEY, "quantity": QUANTITY,
        "lot_id": nullable(ID), "into_lot_id": nullable(ID), "created_at": MOMENT}))}),
    "SeedLoanSummary": obj(LOAN),
    "NewSeedRepayment": obj({"amount": MONEY, "method": {"enum": list(PAYMENT_METHODS)},
                             "note": {"type": "string", "maxLength": 300}},
                            optional=("note",), closed=True),
    "SeedRepayment": obj({"id": ID, "loan_id": ID, "principal": MONEY, "income": MONEY,
                          "left": MONEY, "state": {"enum": list(LOAN_STATES)},
                          "into_lot_id": nullable(ID), "replayed": FLAG}),
    "NewSurvey": obj({"title": {"type": "string", "maxLength": 160},
                      "product_ids": array(ID, max_items=services.MAX_PRODUCTS),
                      "note": {"type": "string", "maxLength": 500}, "closes_on": DAY},
                     optional=("note", "closes_on"), closed=True),
    "SurveyMove": obj({"to": {"enum": ["open", "closed"]}}, closed=True),
    "NewSurveyConversion": obj({"title": {"type": "string", "maxLength": 160}},
                               optional=("title",), closed=True),
    "SurveyConversion": obj({
        "survey_id": ID, "round_id": ID, "lines": {"type": "integer", "minimum": 0},
        "unconverted": array(obj({"what": TEXT, "member": TEXT, "reason": TEXT}))}),
    "NewSeedLoan": obj({
        "membership_id": ID, "round_id": ID, "product_id": ID,
        "repay_mode": {"enum": list(REPAY_MODES)},
        "repay_ratio": {**DECIMAL, "description": "What she repays for 1 borrowed, from 1 "
                        "to 3 (\"1.2\": 1.2 times the value, or the quantity in kind)"},
        "due_on": DAY, "note": {"type": "string", "maxLength": 300}},
        optional=("note",), closed=True),
    "SeedWriteOff": obj({"reason": {"type": "string", "maxLength": 300}}, closed=True),
    "NewSeedReturn": obj({
        "quantity": QUANTITY, "note": {"type": "string", "maxLength": 300},
        "lot_id": {**ID, "description": "An open sales lot of the seed's unit: her produce "
                   "goes into it in the fund's name (its share of the lot is paid to the "
                   "solidarity fund when the lot closes). Without it: into the seed stock."},
        "grade_id": {**ID, "description": "The lot's grade (with lot_id)"}},
        optional=("note", "lot_id", "grade_id"), closed=True),
})

EXAMPLES.update({
    "NewSurveyAnswers": {"lines": [{"item_id": 12, "firm": "10", "maybe": "5"},
                                   {"item_id": 13, "area": "25"}]},
    "NewSeedRepayment": {"amount": "500.00", "method": "cash", "note": "after the harvest"},
    "NewSurvey": {"title": "Spring sowing", "product_ids": [3, 4], "closes_on": "2099-03-01"},
    "SurveyMove": {"to": "open"},
    "NewSurveyConversion": {"title": "Spring sowing"},
    "NewSeedLoan": {"membership_id": 5, "round_id": 2, "product_id": 3, "repay_mode": "cash",
                    "repay_ratio": "1.2", "due_on": "2099-10-01"},
    "SeedWriteOff": {"reason": "The harvest was lost to hail"},
    "NewSeedReturn": {"quantity": "1", "note": "after the harvest"},
})


def _survey_or_404(survey_id: int) -> Survey:
    survey = services.get_survey(db.session, g.group, survey_id)
    if survey is None or (survey.state == domain.DRAFT and not g.is_treasurer):
        abort(404)
    return survey


def _survey(survey: Survey) -> dict[str, Any]:
    return {"id": survey.id, "title": survey.title, "state": survey.state,
            "closes_on": survey.closes_on.isoformat() if survey.closes_on else None,
            "round_id": survey.round_id}


@api_route("/groups/<int:group_id>/surveys", summary="The group's needs surveys, newest "
           "first (drafts for the treasurer only)", tags=["season"], response="Survey",
           paginated=True, errors=(404,))
@group_view()
def surveys(group_id: int):  # type: ignore[no-untyped-def]
    return jsonify(paginate(services.list_surveys(db.session, g.group,
                                                  include_drafts=g.is_treasurer), _survey))


@api_route("/groups/<int:group_id>/surveys/<int:survey_id>", summary="A survey with its "
           "demand as the round it becomes will carry it: Σ sure, Σ maybe, members, packs "
           "and budget per product, and how many answers it will not carry", tags=["season"],
           response="SurveyDetail", errors=(404,))
@group_view()
def survey(group_id: int, survey_id: int):  # type: ignore[no-untyped-def]
    return jsonify(_survey_detail(_survey_or_404(survey_id)))


def _survey_detail(found: Survey) -> dict[str, Any]:
    demand = services.survey_demand(db.session, found)
    currency = g.group.currency
    return ({**_survey(found), "note": found.note, "members_answered": demand.members,
                    "members_left_group": demand.left_group,
                    "members_in_round": demand.in_round,
                    "budget": to_string(demand.budget, currency),
                    "levy": to_string(demand.levy, currency),
                    "budget_with_levy": to_string(demand.with_levy, currency),
                    "items": [{"item_id": r.item.id, "product_id": r.product.id,
                               "name": r.product.name, "unit": r.product.unit,
                               "granularity": qty_str(r.product.granularity),
                               "seed_rate": qty_str(r.product.seed_rate)
                               if r.product.seed_rate else None,
                               "firm": qty_str(r.firm), "maybe": qty_str(r.maybe),
                               "members": r.members, "packs": r.fill.packs,
                               "budget": to_string(r.budget, currency)
                               if r.unit_price is not None else None,
                               "answers_not_carried": r.not_carried,
                               "not_offered": str(r.not_offered)
                               if r.not_offered is not None else None}
                              for r in demand.rows]})


def _answers(survey: Survey, membership_id: int) -> Response:
    member = _whose(membership_id)
    rows = services.answers_of(db.session, survey, member)
    return jsonify({"membership_id": member.id, "lines": [
        {"item_id": item_id, "firm": qty_str(a.firm), "maybe": qty_str(a.maybe),
         "area": qty_str(a.area) if a.area is not None else None}
        for item_id, a in sorted(rows.items())]})


@api_route("/groups/<int:group_id>/surveys/<int:survey_id>/answers/<int:membership_id>",
           summary="A member's answers (her own, or any for the treasurer)", tags=["season"],
           response="SurveyAnswers", errors=(404,))
@group_view()
def answers(group_id: int, survey_id: int, membership_id: int):  # type: ignore[no-untyped-def]
    return _answers(_survey_or_404(survey_id), membership_id)


@api_route("/groups/<int:group_id>/surveys/<int:survey_id>/answers/<int:membership_id>", "PUT",
           summary="Set a member's answers (her own while the survey is open, or any for "
           "the treasurer)", tags=["season"], body="NewSurveyAnswers",
           response="SurveyAnswers", errors=(404, 413, 415, 422),
           description="Products listed get the answer given (an `area` in sotkas instead "
                       "of `firm` for seed with a seed rate); the others are left as they "
                       "are. All lines or none.")
@group_view()
def save_answers(group_id: int, survey_id: int, membership_id: int):  # type: ignore[no-untyped-def]
    found = _survey_or_404(survey_id)
    member = _whose(membership_id)
    body = json_body().only("lines")
    items = {item.id for item in found.items}
    lines: dict[int, services.AnswerInput] = {}
    paths: dict[int, str] = {}
    for entry, item_id in _item_lines(body, ("firm", "maybe", "area"), items,
                                      _l("This product is not in the survey.")):
        lines[item_id] = services.AnswerInput(
            firm=entry.number("firm", parse_quantity, default=0) or 0,
            maybe=entry.number("maybe", parse_quantity, default=0) or 0,
            area=entry.number("area", parse_quantity))
        paths[item_id] = entry.path
    own = g.membership is not None and g.membership.id == member.id
    try:
        services.save_answers(db.session, found, member, lines, current_user,
                              source="member" if own else "treasurer")
    except DomainError as exc:
        _json_fields(exc, paths, {"firm": "firm", "maybe": "maybe", "area": "area"})
        raise
    db.session.commit()
    return _answers(found, member.id)


def _loan(loan: SeedLoan, *, detail: bool = False) -> dict[str, Any]:
    currency = g.group.currency
    now = seed.position(loan)
    body: dict[str, Any] = {
        "id": loan.id, "membership_id": loan.membership_id, "name": loan.membership.user.name,
        "round_id": loan.round_id, "product_id": loan.product_id, "product": loan.product.name,
        "quantity": qty_str(loan.quantity), "value": to_string(loan.value, currency),
        "repay_mode": loan.repay_mode, "repay_ratio": _ratio(loan.repay_bp),
        "due_on": loan.due_on.isoformat(), "state": loan.state,
        "due": to_string(now.due, currency),
        "left": to_string(now.left if loan.state == domain.DELIVERED else 0, currency)}
    if detail:
        body["repayments"] = [{"id": r.id, "kind": r.kind,
                               "principal": to_string(r.principal, currency),
                               "income": to_string(r.income, currency),
                               "quantity": qty_str(r.quantity), "lot_id": r.lot_id,
                               "into_lot_id": seed.lot_of(db.session, r),
                               "created_at": r.created_at.isoformat() + "Z"}
                              for r in loan.repayments]
    return body


def _ratio(bp: int) -> str:
    """12000 → "1.2000": the ratio as an exact decimal string."""
    whole, rest = divmod(bp, domain.BP)
    return f"{whole}.{rest:04d}"


def _loan_or_404(loan_id: int) -> SeedLoan:
    loan = seed.get_loan(db.session, g.group, loan_id)
    if loan is None or (not g.is_treasurer and (
            g.membership is None or loan.membership_id != g.membership.id)):
        abort(404)
    return loan


@api_route("/groups/<int:group_id>/seed-loans", summary="Seed loans (the treasurer: all; a "
           "member: her own), newest first", tags=["season"], response="SeedLoanSummary",
           paginated=True, errors=(404,))
@group_view()
def seed_loans(group_id: int):  # type: ignore[no-untyped-def]
    if g.is_treasurer:
        found = seed.list_loans(db.session, g.group)
    else:
        found = seed.list_loans(db.session, g.group, _me())
    return jsonify(paginate(found, _loan))


@api_route("/groups/<int:group_id>/seed-loans/<int:loan_id>", summary="A seed loan, what is "
           "due and left, and its repayments", tags=["season"], response="SeedLoan",
           errors=(404,))
@group_view()
def seed_loan(group_id: int, loan_id: int):  # type: ignore[no-untyped-def]
    return jsonify(_loan(_loan_or_404(loan_id), detail=True))


@api_route("/groups/<int:group_id>/seed-loans/<int:loan_id>/repayments", "POST",
           summary="Record a cash repayment of a seed loan (treasurer)", tags=["season"],
           body="NewSeedRepayment", response="SeedRepayment", status=201, idempotent=True,
           errors=(400, 403, 404, 413, 415, 422),
           description="Principal first, then the fund's income on the ratio. More than is "
                       "left is refused (422). The same Idempotency-Key again records "
                       "nothing new (200, the first one).")
@group_view(treasurer=True)
def repay(group_id: int, loan_id: int):  # type: ignore[no-untyped-def]
    loan = _loan_or_404(loan_id)
    key = inputs.idempotency_key()
    body = json_body().only("amount", "method", "note")
    currency = g.group.currency
    amount = body.money("amount", currency, required=True)
    method = body.choice("method", PAYMENT_METHODS)
    note = body.text("note", max_length=300)
    existing = seed.repayment_by_key(db.session, g.group.id, key)
    if existing is None:
        try:
            repayment, new = seed.repay_cash_once(db.session, loan, amount=amount,
                                                  method=method, actor=current_user,
                                                  idempotency_key=key, note=note)
            db.session.commit()
            if new:  # else the same key was recorded while this one waited for the lock
                return created(_repayment(repayment, loan, replayed=False))
            existing = repayment
        except IntegrityError:
            db.session.rollback()
            existing = seed.repayment_by_key(db.session, g.group.id, key)
            assert existing is not None
    if existing.loan_id != loan.id or existing.kind != "cash" or existing.amount != amount:
        raise DomainError(_l("This Idempotency-Key was sent with another payment. Send a new "
                             "key for a new payment."), field=inputs.IDEMPOTENCY_KEY)
    response = jsonify(_repayment(existing, loan, replayed=True))
    response.headers["Idempotent-Replayed"] = "true"
    return response


def _repayment(repayment: Any, loan: SeedLoan, *, replayed: bool) -> dict[str, Any]:
    db.session.refresh(loan)
    currency = g.group.currency
    left = seed.position(loan).left if loan.state == domain.DELIVERED else 0
    return {"id": repayment.id, "loan_id": loan.id,
            "principal": to_string(repayment.principal, currency),
            "income": to_string(repayment.income, currency),
            "left": to_string(left, currency), "state": loan.state,
            "into_lot_id": seed.lot_of(db.session, repayment), "replayed": replayed}


# --------------------------------------------------------------------------
# The treasurer's writes: a survey made, opened, closed and turned into a
# round; a seed loan proposed, approved, delivered, returned in kind,
# written off. A state move sent again finds it done and answers the same
# (200); a move the state does not allow is a conflict (409).
# --------------------------------------------------------------------------


def _conflict(exc: DomainError) -> Problem | DomainError:
    """A rule about the state (no field at fault) is a 409; the rest stay 422."""
    return Problem(409, exc.message) if exc.field is None else exc


@api_route("/groups/<int:group_id>/surveys", "POST", summary="Make a draft needs survey "
           "over catalog products (treasurer)", tags=["season"], body="NewSurvey",
           response="SurveyDetail", status=201, errors=(403, 404, 413, 415, 422))
@group_view(treasurer=True)
def create_survey(group_id: int):  # type: ignore[no-untyped-def]
    body = json_body().only("title", "product_ids", "note", "closes_on")
    title = body.text("title", max_length=160, required=True)
    product_ids = body.integers("product_ids", minimum=1, maximum=MAX_ID, required=True,
                                max_items=services.MAX_PRODUCTS)
    note = body.text("note", max_length=500, multiline=True)
    closes_on = body.day("closes_on")
    try:
        found = services.create_survey(db.session, g.group, current_user, title=title,
                                       product_ids=product_ids, note=note, closes_on=closes_on)
    except DomainError as exc:
        if exc.field == "products":
            exc.field = "product_ids"
        raise
    db.session.commit()
    return created(_survey_detail(found))


@api_route("/groups/<int:group_id>/surveys/<int:survey_id>/move", "POST",
           summary="Open a survey to the members' answers, or close it (treasurer)",
           tags=["season"], body="SurveyMove", response="SurveyDetail",
           errors=(403, 404, 409, 413, 415, 422),
           description="Already there: nothing changes (200). A move its state does not "
                       "allow (a converted survey) is refused (409).")
@group_view(treasurer=True)
def move_survey(group_id: int, survey_id: int):  # type: ignore[no-untyped-def]
    found = _survey_or_404(survey_id)
    target = json_body().only("to").choice("to", (domain.OPEN, domain.CLOSED))
    if found.state != target:
        try:
            services.move_survey(db.session, found, target)
        except DomainError as exc:
            db.session.rollback()
            db.session.refresh(found)
            if found.state != target:
                raise _conflict(exc) from None
        db.session.commit()
    return jsonify(_survey_detail(found))


@api_route("/groups/<int:group_id>/surveys/<int:survey_id>/convert", "POST",
           summary="Turn a closed survey into a draft round, each member's order "
           "pre-filled (treasurer)", tags=["season"], body="NewSurveyConversion",
           response="SurveyConversion", status=201, errors=(403, 404, 409, 413, 415, 422),
           description="Sure → quantity, maybe → tolerance. Every line it cannot carry is "
                       "listed in `unconverted` with the reason. Once only: a survey "
                       "already converted, or not closed, is refused (409). The round's "
                       "title is the survey's unless `title` is given.")
@group_view(treasurer=True)
def convert_survey(group_id: int, survey_id: int):  # type: ignore[no-untyped-def]
    found = _survey_or_404(survey_id)
    title = json_body().only("title").text("title", max_length=160)
    title = (title or found.title).strip()[:160]
    try:
        done = services.convert_survey(db.session, found, current_user, title=title)
    except DomainError as exc:
        raise _conflict(exc) from None
    db.session.commit()
    return created({"survey_id": found.id, "round_id": done.round.id, "lines": done.lines,
                    "unconverted": [{"what": u.what, "member": u.member, "reason": str(u.reason)}
                                    for u in done.unconverted]})


def _ratio_bp(value: Any) -> int:
    bp = value * domain.BP
    if bp != int(bp):
        raise MoneyError(_l("At most 4 decimals."))
    return int(bp)


_LOAN_FIELDS = {"member": "membership_id", "round": "round_id", "product": "product_id"}


@api_route("/groups/<int:group_id>/seed-loans", "POST", summary="Propose a seed loan: a "
           "member's whole allocation of a product in an awarded round (treasurer)",
           tags=["season"], body="NewSeedLoan", response="SeedLoan", status=201,
           idempotent=True, errors=(400, 403, 404, 413, 415, 422),
           description="Quantity and value come from the round's split. Repaid in cash or "
                       "in kind at `repay_ratio` (1 to 3), or from her next sales payout, "
                       "by `due_on` (after the harvest). Nothing is posted until it is "
                       "delivered. The same Idempotency-Key again proposes nothing new "
                       "(200, the first one).")
@group_view(treasurer=True)
def propose_seed_loan(group_id: int):  # type: ignore[no-untyped-def]
    key = inputs.idempotency_key()
    body = json_body().only("membership_id", "round_id", "product_id", "repay_mode",
                            "repay_ratio", "due_on", "note")
    membership_id = body.integer("membership_id", minimum=1, maximum=MAX_ID, required=True)
    round_id = body.integer("round_id", minimum=1, maximum=MAX_ID, required=True) or 0
    product_id = body.integer("product_id", minimum=1, maximum=MAX_ID, required=True) or 0
    repay_mode = body.choice("repay_mode", REPAY_MODES)
    repay_bp = body.number("repay_ratio", _ratio_bp, required=True) or 0
    due_on = body.day("due_on")
    if due_on is None:
        raise DomainError(_l("This field is needed."), field="due_on")
    note = body.text("note", max_length=300)
    member = db.session.get(Membership, membership_id)
    if member is None or member.group_id != g.group.id:
        raise DomainError(_l("Unknown member."), field="membership_id")
    existing = seed.loan_by_key(db.session, g.group.id, key)
    if existing is None:
        try:
            loan, new = seed.propose_loan_once(
                db.session, g.group, member, round_id=round_id, product_id=product_id,
                repay_mode=repay_mode, repay_bp=repay_bp, due_on=due_on, actor=current_user,
                note=note, idempotency_key=key)
            db.session.commit()
            if new:
                return created(_loan(loan, detail=True))
            existing = loan
        except DomainError as exc:
            exc.field = _LOAN_FIELDS.get(exc.field or "", exc.field)
            raise
        except IntegrityError:
            db.session.rollback()
            existing = seed.loan_by_key(db.session, g.group.id, key)
            if existing is None:
                raise
    if (existing.membership_id, existing.round_id, existing.product_id) != (
            member.id, round_id, product_id):
        raise DomainError(_l("This Idempotency-Key was sent with another seed loan. Send a "
                             "new key for a new loan."), field=inputs.IDEMPOTENCY_KEY)
    response = jsonify(_loan(existing, detail=True))
    response.headers["Idempotent-Replayed"] = "true"
    return response


def _loan_step(loan_id: int, target: str, step: Any) -> Response:
    """A conditional state move: sent twice (or ten times at once), done once."""
    loan = _loan_or_404(loan_id)
    if loan.state != target:
        try:
            step(loan)
            db.session.commit()
        except DomainError as exc:
            db.session.rollback()
            db.session.refresh(loan)
            if loan.state != target:
                raise _conflict(exc) from None
    db.session.refresh(loan)
    return jsonify(_loan(loan, detail=True))


@api_route("/groups/<int:group_id>/seed-loans/<int:loan_id>/approve", "POST",
           summary="Approve a proposed seed loan (treasurer)", tags=["season"],
           response="SeedLoan", errors=(403, 404, 409),
           description="Already approved: nothing changes (200). A loan in another state is "
                       "refused (409).")
@group_view(treasurer=True)
def approve_seed_loan(group_id: int, loan_id: int):  # type: ignore[no-untyped-def]
    return _loan_step(loan_id, domain.APPROVED,
                      lambda loan: seed.approve_loan(db.session, loan, current_user))


@api_route("/groups/<int:group_id>/seed-loans/<int:loan_id>/deliver", "POST",
           summary="Record that she has the seed: the fund takes over its value from her "
           "purchase account (treasurer)", tags=["season"], response="SeedLoan",
           errors=(403, 404, 409),
           description="The round must be settled. Posted once: already delivered, "
                       "nothing more (200).")
@group_view(treasurer=True)
def deliver_seed_loan(group_id: int, loan_id: int):  # type: ignore[no-untyped-def]
    return _loan_step(loan_id, domain.DELIVERED,
                      lambda loan: seed.deliver_loan(db.session, loan, current_user))


@api_route("/groups/<int:group_id>/seed-loans/<int:loan_id>/cancel", "POST",
           summary="Cancel a seed loan before its seed is handed over (treasurer)",
           tags=["season"], response="SeedLoan", errors=(403, 404, 409))
@group_view(treasurer=True)
def cancel_seed_loan(group_id: int, loan_id: int):  # type: ignore[no-untyped-def]
    return _loan_step(loan_id, domain.CANCELLED,
                      lambda loan: seed.cancel_loan(db.session, loan, current_user))


@api_route("/groups/<int:group_id>/seed-loans/<int:loan_id>/write-off", "POST",
           summary="Write off what is left of a delivered seed loan: the solidarity fund "
           "carries the loss (treasurer)", tags=["season"], body="SeedWriteOff",
           response="SeedLoan", errors=(403, 404, 409, 413, 415, 422),
           description="Once: already written off, nothing more (200).")
@group_view(treasurer=True)
def write_off_seed_loan(group_id: int, loan_id: int):  # type: ignore[no-untyped-def]
    reason = json_body().only("reason").text("reason", max_length=300, required=True)
    if not reason.strip():
        raise DomainError(_l("Say why the loan is written off."), field="reason")
    return _loan_step(loan_id, domain.WRITTEN_OFF, lambda loan: seed.write_off_loan(
        db.session, loan, reason=reason, actor=current_user))


@api_route("/groups/<int:group_id>/seed-loans/<int:loan_id>/returns", "POST",
           summary="Record seed she brings back into the group's stock, or her produce into "
           "an open sales lot in the fund's name (a loan repaid in kind; treasurer)",
           tags=["season"], body="NewSeedReturn",
           response="SeedRepayment", status=201, idempotent=True,
           errors=(400, 403, 404, 409, 413, 415, 422),
           description="Valued at the loan's due amount for its due quantity; the last part "
                       "clears what is left. More than she owes is refused (422). The same "
                       "Idempotency-Key again records nothing new (200, the first one).")
@group_view(treasurer=True)
def return_seed(group_id: int, loan_id: int):  # type: ignore[no-untyped-def]
    loan = _loan_or_404(loan_id)
    key = inputs.idempotency_key()
    body = json_body().only("quantity", "note", "lot_id", "grade_id")
    quantity = body.number("quantity", parse_quantity, required=True) or 0
    note = body.text("note", max_length=300)
    lot_id = body.integer("lot_id", minimum=1, maximum=MAX_ID)
    grade_id = body.integer("grade_id", minimum=1, maximum=MAX_ID, required=lot_id is not None)
    existing = seed.repayment_by_key(db.session, g.group.id, key)
    if existing is None:
        try:
            repayment, new = seed.repay_in_kind_once(db.session, loan, quantity=quantity,
                                                     actor=current_user, idempotency_key=key,
                                                     note=note, lot_id=lot_id,
                                                     grade_id=grade_id)
            db.session.commit()
            if new:
                return created(_repayment(repayment, loan, replayed=False))
            existing = repayment
        except DomainError as exc:
            raise _conflict(exc) from None
        except IntegrityError:
            db.session.rollback()
            existing = seed.repayment_by_key(db.session, g.group.id, key)
            if existing is None:
                raise
    if (existing.loan_id != loan.id or existing.kind != "kind" or existing.quantity != quantity
            or seed.lot_of(db.session, existing) != lot_id):
        raise DomainError(_l("This Idempotency-Key was sent with another return. Send a new "
                             "key for a new one."), field=inputs.IDEMPOTENCY_KEY)
    response = jsonify(_repayment(existing, loan, replayed=True))
    response.headers["Idempotent-Replayed"] = "true"
    return response
