"""The OpenAPI 3.1 document of /api/v1, built from the URL map.

Each API view is declared with `coop.api.views.api_route`, which records its
description here (`describe`); `document` walks the app's URL map, so every
API route is in the document, with its method and path parameters, and a
route without a description stops the document from being built at all."""

from __future__ import annotations

import re
from typing import Any

from flask import Flask

from coop import units
from coop.api.inputs import (
    DECIMAL_PATTERN,
    DEFAULT_PER_PAGE,
    IDEMPOTENCY_KEY,
    IDEMPOTENCY_KEY_PATTERN,
    MAX_ITEMS,
    MAX_NUMBER_TEXT,
    MAX_PER_PAGE,
)
from coop.api.problems import PROBLEM_JSON
from coop.config import SUPPORTED_LOCALES
from coop.groups.models import LOSS_POLICIES, ROLES
from coop.ledger.models import PAYMENT_METHODS
from coop.orders.models import COST_RULES, ROUND_STATES
from coop.quotes import domain as quote_domain
from coop.quotes import services as quote_services
from coop.savings import models as savings_models
from coop.savings import schema as savings_schema
from coop.security import MAX_ID
from coop.suppliers import domain as catalog

PREFIX = "/api/v1"
IGNORED_METHODS = {"HEAD", "OPTIONS"}
_OPERATIONS: dict[str, dict[str, dict[str, Any]]] = {}
_ARGUMENT = re.compile(r"<(?:(?P<converter>[a-z]+)(?:\([^)]*\))?:)?(?P<name>\w+)>")


def describe(endpoint: str, method: str, spec: dict[str, Any]) -> None:
    """Record what one route does (see `_operation` for the keys of `spec`)."""
    _OPERATIONS.setdefault(endpoint, {})[method] = spec


def document(app: Flask) -> dict[str, Any]:
    """The OpenAPI document (built once per app)."""
    built = app.extensions.get("coop.api.openapi")
    if built is None:
        built = app.extensions["coop.api.openapi"] = _build(app)
    return built


def api_rules(app: Flask) -> list[Any]:
    return sorted((r for r in app.url_map.iter_rules() if r.rule.startswith(PREFIX + "/")),
                  key=lambda r: r.rule)


def openapi_path(rule: str) -> str:
    """'/api/v1/groups/<int:group_id>' -> '/groups/{group_id}'."""
    return _ARGUMENT.sub(lambda m: "{" + m.group("name") + "}", rule[len(PREFIX):])


def _build(app: Flask) -> dict[str, Any]:
    paths: dict[str, dict[str, Any]] = {}
    for rule in api_rules(app):
        converters = {m.group("name"): m.group("converter") or "default"
                      for m in _ARGUMENT.finditer(rule.rule)}
        for method in sorted(rule.methods - IGNORED_METHODS):
            spec = _OPERATIONS.get(rule.endpoint, {}).get(method)
            if spec is None:
                raise RuntimeError(f"{method} {rule.rule} ({rule.endpoint}) is not described: "
                                   "declare it with coop.api.views.api_route")
            operation = _operation(rule.endpoint, method, spec, converters)
            paths.setdefault(openapi_path(rule.rule), {})[method.lower()] = operation
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Coop API", "version": "1.0.0",
            "description": (
                "The JSON API of Coop: the same data and rules as the pages. Authenticate "
                "with a personal token (created on the page /account/tokens) in "
                "`Authorization: Bearer <token>`; it acts as its owner, with her roles. Money "
                "and quantities are decimal strings (\"1234.50\", \"2.5\"), never numbers. "
                "Lists take `?page=` and `?per_page=` (at most 100) and answer "
                "`{items, page, per_page, total}`. Errors are application/problem+json "
                "(RFC 9457) with a `detail` in the user's language and, when one field is at "
                "fault, its JSON path in `field`."),
        },
        "servers": [{"url": PREFIX}],
        "security": [{"bearerAuth": []}, {"sessionCookie": []}],
        "tags": [{"name": name} for name in ("groups", "catalog", "rounds", "ledger",
                                             "documents", "sales", "quotes", "savings",
                                             "equipment", "season", "meta")],
        "paths": dict(sorted(paths.items())),
        "components": {"schemas": SCHEMAS, "responses": _problem_responses(),
                       "securitySchemes": {
                           "bearerAuth": {"type": "http", "scheme": "bearer",
                                          "description": "A personal API token (coop_…)."},
                           "sessionCookie": {"type": "apiKey", "in": "cookie",
                                             "name": "session",
                                             "description": "The pages' sign-in; writes "
                                                            "must be application/json."}}},
    }


def ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def _operation(endpoint: str, method: str, spec: dict[str, Any],
               converters: dict[str, str]) -> dict[str, Any]:
    """Keys of `spec`: summary, tags, description; response (a schema name),
    status (of success, 200), pdf (the answer is a PDF); body (the request's
    schema name); paginated (True, or the name of a page schema with more
    fields); period (?from=&to=); idempotent (Idempotency-Key: True, required;
    "optional"); public (no sign-in); errors (the 4xx codes besides 401)."""
    parameters: list[dict[str, Any]] = [_path_parameter(name, converter)
                                        for name, converter in converters.items()]
    if spec.get("paginated"):
        parameters += [
            {"name": "page", "in": "query", "required": False,
             "schema": {"type": "integer", "minimum": 1, "maximum": 10**6, "default": 1}},
            {"name": "per_page", "in": "query", "required": False,
             "schema": {"type": "integer", "minimum": 1, "maximum": MAX_PER_PAGE,
                        "default": DEFAULT_PER_PAGE}}]
    if spec.get("period"):
        parameters += [{"name": name, "in": "query", "required": False,
                        "description": f"{what} day (YYYY-MM-DD, the group's time zone)",
                        "schema": {"type": "string", "format": "date"}}
                       for name, what in (("from", "First"), ("to", "Last"))]
    if spec.get("idempotent"):
        parameters.append({"name": IDEMPOTENCY_KEY, "in": "header",
                           "required": spec["idempotent"] is True,
                           "description": "Unique per request (a payment, an offer); the "
                                          "same key again records nothing new.",
                           "schema": {"type": "string",
                                      "pattern": IDEMPOTENCY_KEY_PATTERN}})
    operation: dict[str, Any] = {
        "operationId": endpoint.removeprefix("api."),
        "summary": spec["summary"], "tags": spec.get("tags", []),
        "parameters": parameters, "responses": _responses(spec),
    }
    if spec.get("description"):
        operation["description"] = spec["description"]
    if spec.get("public"):
        operation["security"] = []
    if spec.get("body"):
        media: dict[str, Any] = {"schema": ref(spec["body"])}
        if spec["body"] in EXAMPLES:
            media["example"] = EXAMPLES[spec["body"]]
        operation["requestBody"] = {"required": True, "content": {"application/json": media}}
    return operation


def _path_parameter(name: str, converter: str) -> dict[str, Any]:
    schema: dict[str, Any] = {"type": "integer", "minimum": 1, "maximum": MAX_ID} \
        if converter == "int" else {"type": "string", "minLength": 1, "maxLength": 100}
    return {"name": name, "in": "path", "required": True, "schema": schema}


def _responses(spec: dict[str, Any]) -> dict[str, Any]:
    if spec.get("pdf"):
        content = {"application/pdf": {"schema": {"type": "string", "format": "binary"}}}
    else:
        schema = ref(spec["response"])
        paginated = spec.get("paginated")
        if isinstance(paginated, str):
            schema = ref(paginated)
        elif paginated:
            schema = _page_of(schema)
        content = {"application/json": {"schema": schema}}
    responses: dict[str, Any] = {str(spec.get("status", 200)): {"description": "OK",
                                                                "content": content}}
    if spec.get("idempotent"):
        responses["200"] = {"description": "Sent again with the same Idempotency-Key: "
                                           "what was recorded the first time",
                            "content": content}
    codes = set(spec.get("errors", ()))
    if spec.get("paginated") or spec.get("period"):
        codes.add(422)  # a page, a page size or a day that is not one
    if not spec.get("public"):
        codes.add(401)
    codes.add(429)  # every route is rate-limited
    for code in sorted(codes):
        responses[str(code)] = {"$ref": f"#/components/responses/Problem{code}"}
    return responses


PROBLEM_DESCRIPTIONS = {
    400: "A header is missing or malformed (`field` names it)",
    401: "No token, or a token that is not valid (revoked, or expired)",
    403: "Her role in the group does not allow this (the treasurer's)",
    404: "No such thing, or not hers to see (another group's ids are unknown here)",
    409: "The resource is not in a state that allows this any more",
    410: "The link was withdrawn or has expired",
    413: "The body is too large",
    415: "The body is not application/json",
    422: "The input breaks a rule: `detail` says which, `field` names the field",
    429: "Too many requests from this token (or address): wait as long as Retry-After says",
}


def _problem_responses() -> dict[str, Any]:
    return {f"Problem{code}": {"description": text, "content": {
        PROBLEM_JSON: {"schema": ref("Problem")}}} for code, text in PROBLEM_DESCRIPTIONS.items()}


# --------------------------------------------------------------------------
# Schemas
# --------------------------------------------------------------------------

DECIMAL = {"type": "string", "pattern": DECIMAL_PATTERN, "maxLength": MAX_NUMBER_TEXT}
MONEY = {**DECIMAL, "description": "An amount in the group's currency, e.g. \"1234.50\""}
QUANTITY = {**DECIMAL, "description": "A quantity in the product's unit, e.g. \"2.5\""}
ID = {"type": "integer", "minimum": 1, "maximum": MAX_ID}
TEXT = {"type": "string"}
CONTAINER = {"enum": list(units.CONTAINERS), "description": "What a pack is: a sack of 50 kg"}
FLAG = {"type": "boolean"}
COUNT = {"type": "integer", "minimum": 0}
DAY = {"type": "string", "format": "date"}
MOMENT = {"type": "string", "format": "date-time"}


# What a supplier is owed: for a round, or in all (coop/payables).
OWED = {name: MONEY for name in ("goods", "delivery_fee", "credit_notes", "billed", "paid",
                                 "still_owed")}


def nullable(schema: dict[str, Any]) -> dict[str, Any]:
    return {"anyOf": [schema, {"type": "null"}]}


def obj(properties: dict[str, Any], *, optional: tuple[str, ...] = (),
        closed: bool = False) -> dict[str, Any]:
    """An object with these properties, all required but the `optional` ones;
    `closed`: no other property allowed (request bodies)."""
    schema: dict[str, Any] = {"type": "object", "properties": properties,
                              "required": [n for n in properties if n not in optional]}
    if closed:
        schema["additionalProperties"] = False
    return schema


def array(items: dict[str, Any], *, max_items: int | None = None) -> dict[str, Any]:
    schema: dict[str, Any] = {"type": "array", "items": items}
    if max_items is not None:
        schema["maxItems"] = max_items
    return schema


def _page_of(items: dict[str, Any], **extra: dict[str, Any]) -> dict[str, Any]:
    return obj({**extra, "items": array(items), "page": {"type": "integer", "minimum": 1},
                "per_page": {"type": "integer", "minimum": 1, "maximum": MAX_PER_PAGE},
                "total": COUNT})


def text(max_length: int) -> dict[str, Any]:
    return {"type": "string", "maxLength": max_length}


TIER = obj({"min_qty": QUANTITY, "unit_price": DECIMAL})
GROUP = obj({
    "id": ID, "name": TEXT, "village": TEXT, "region": TEXT, "country": TEXT,
    "currency": TEXT, "language": TEXT, "levy_percent": DECIMAL, "cash_rounding": MONEY,
    "loss_policy": {"enum": list(LOSS_POLICIES)}, "credit_limit": nullable(MONEY),
    "membership": nullable(obj({"id": ID, "role": {"enum": list(ROLES)}})),
})
SUPPLIER_FIELDS = {"id": ID, "name": TEXT, "contact_person": TEXT, "phone": TEXT,
                   "address": TEXT, "language": TEXT, "active": FLAG, "product_count": COUNT}
ROUND_FIELDS = {"id": ID, "title": TEXT, "state": {"enum": list(ROUND_STATES)},
                "deadline": nullable(MOMENT), "delivery_place": TEXT,
                "delivery_date": nullable(DAY)}
LOT_FIELDS = {
    "id": ID, "title": TEXT, "product": TEXT, "unit": TEXT, "step": QUANTITY,
    "state": {"enum": ["open", "closed"]}, "period_from": DAY, "period_to": nullable(DAY),
    "place": TEXT, "levy_percent": DECIMAL,
    "grades": array(obj({"id": ID, "name": TEXT, "factor": DECIMAL})),
    "contributed": FLAG, "payout": nullable(MONEY),
}
GRADE_QUANTITY = obj({"grade_id": ID, "quantity": QUANTITY})
STATEMENT_LINE = obj({
    "id": ID, "created_at": MOMENT, "kind": TEXT, "memo": TEXT, "amount": MONEY,
    "balance": MONEY, "round_id": nullable(ID), "reverses_id": nullable(ID),
    "reversed_by_id": nullable(ID), "author": TEXT})
BALANCE = obj({"membership_id": ID, "name": TEXT, "active": FLAG, "balance": MONEY})
ITEM_ID = {**ID, "description": "The id of the product's line in the round (items[].id)"}
# what the last started pack still needs: of firm quantity alone (kept as it
# was: clients rely on it), and beyond the tolerances (the split's rule 1)
LAST_PACK_MISSING = {**QUANTITY, "description":
                     "Counts firm quantities only, the tolerances left out: what the last "
                     "started pack lacks of firm quantity to be full, in the product's unit "
                     "(\"0\" when no pack is started). Whether that pack is ordered: "
                     "last_pack_short"}
LAST_PACK_SHORT = {**QUANTITY, "description":
                   "What the last started pack needs beyond all the tolerances, firm or "
                   "tolerance, to be ordered (the split's pack rule), in the product's "
                   "unit: \"0\" when the tolerances fill it or no pack is started"}

# The split contract's scenario and result (spec/split.md, split-scenario.schema.json)
SCENARIO_ID = {"type": "string", "minLength": 1, "maxLength": 64}
SCENARIO = obj({
    "currency": {"type": "string", "pattern": "^[A-Z]{3}$"},
    "members": array(obj({"id": SCENARIO_ID, "name": TEXT}, optional=("name",), closed=True)),
    "products": array(obj({
        "id": SCENARIO_ID, "name": TEXT, "unit": TEXT, "supplier": SCENARIO_ID,
        "pack_size": DECIMAL, "granularity": DECIMAL, "weight_kg": DECIMAL,
        "retail_price": DECIMAL, "received": DECIMAL, "damaged": DECIMAL,
        "price_tiers": {**array(obj({"min_qty": DECIMAL, "unit_price": DECIMAL},
                                    closed=True)), "minItems": 1},
    }, optional=("name", "unit", "supplier", "pack_size", "granularity", "weight_kg",
                 "retail_price", "received", "damaged"), closed=True)),
    "requests": array(obj({"member": SCENARIO_ID, "product": SCENARIO_ID,
                           "quantity": DECIMAL, "tolerance": DECIMAL},
                          optional=("tolerance",), closed=True)),
    "shared_costs": array(obj({"name": TEXT, "amount": DECIMAL,
                               "rule": {"enum": list(COST_RULES)}, "supplier": SCENARIO_ID},
                              optional=("supplier",), closed=True)),
    "loss_policy": {"enum": list(LOSS_POLICIES)},
    "fund_levy_percent": DECIMAL,
    "cash_rounding": DECIMAL,
}, optional=("shared_costs", "loss_policy", "fund_levy_percent", "cash_rounding"), closed=True)
SPLIT_RESULT = obj({
    "members": array(obj({
        "id": TEXT,
        "lines": array(obj({"product": TEXT, "quantity": DECIMAL, "tolerance": DECIMAL,
                            "allocated": DECIMAL, "unit_price": DECIMAL, "amount": DECIMAL})),
        "goods": DECIMAL, "losses": DECIMAL,
        "shared": array(obj({"name": TEXT, "amount": DECIMAL})),
        "levy": DECIMAL, "rounding": DECIMAL, "total": DECIMAL,
        "retail_value": nullable(DECIMAL), "savings": nullable(DECIMAL),
    })),
    "products": array(obj({
        "id": TEXT, "packs": COUNT, "ordered": DECIMAL, "unit_price": DECIMAL,
        "received": DECIMAL, "damaged": DECIMAL, "allocated": DECIMAL, "bill": DECIMAL,
        "goods": DECIMAL, "loss": DECIMAL})),
    "totals": obj({name: DECIMAL for name in ("supplier_bill", "shared_costs", "levy",
                                               "rounding", "fund_covered", "members_total")}),
})
QUOTE_REVISION = obj({
    "number": {"type": "integer", "minimum": 1}, "declined": FLAG, "delivery_fee": MONEY,
    "lead_time_days": nullable({"type": "integer"}), "valid_until": nullable(DAY),
    "note": TEXT, "created_at": MOMENT,
    "lines": array(obj({"item_id": ID, "available": FLAG, "pack_size": nullable(QUANTITY),
                        "max_quantity": nullable(QUANTITY), "tiers": array(TIER)})),
})

# Savings groups (coop/savings): the engine's shapes are savings_schema's.
_SAVINGS_RESULT = savings_schema.RESULT["properties"]
SAVINGS_FIGURES = _SAVINGS_RESULT["meetings"]["items"]
SAVINGS_LINE = SAVINGS_FIGURES["properties"]["members"]["items"]
SAVINGS_LOAN = _SAVINGS_RESULT["loans"]["items"]
SAVINGS_CYCLE_FIELDS = {"id": ID, "number": {"type": "integer", "minimum": 1},
                        "state": {"enum": list(savings_models.CYCLE_STATES)},
                        "start_date": DAY, "share_out_date": DAY, "share_value": MONEY}
SAVINGS_MEMBER = obj({"id": ID, "membership_id": ID, "passbook_no": {"type": "integer",
                                                                     "minimum": 1},
                      "name": TEXT, "state": {"enum": ["active", "withdrawn", "shared_out"]},
                      "joined_meeting_no": {"type": "integer", "minimum": 1}})
SAVINGS_MEETING_FIELDS = {"id": ID, "number": {"type": "integer", "minimum": 1}, "date": DAY,
                          "kind": {"enum": list(savings_models.MEETING_KINDS)},
                          "state": {"enum": list(savings_models.MEETING_STATES)}}
SAVINGS_SETTINGS = {
    "start_date": DAY, "share_out_date": DAY, "share_value": MONEY,
    "min_shares": {"type": "integer", "minimum": 0, "maximum": 20},
    "max_shares": {"type": "integer", "minimum": 1, "maximum": 20},
    "social_contribution": MONEY, "interest_method": {"enum": list(savings_models.METHODS)},
    "rate_bp": {"type": "integer", "minimum": 0, "maximum": 2000,
                "description": "The monthly rate in basis points (500 = 5 %)"},
    "loan_multiple": {"type": "integer", "minimum": 1, "maximum": 1000,
                      "description": "A loan up to this percentage of her savings"},
    "max_term_months": {"type": "integer", "minimum": 1, "maximum": 12},
    "loan_unit": MONEY, "payout_unit": MONEY, "confirm_loans_above": MONEY,
    "confirmations_required": {"type": "integer", "minimum": 1, "maximum": 3},
    "withdrawal_rule": {"enum": list(savings_models.WITHDRAWAL_RULES)},
    "members_see_all_lines": FLAG,
}
SAVINGS_KEY_HOLDER_IDS = {**array(ID, max_items=3),
                          "description": "The ids of the cycle's key_holders who confirm"}
SAVINGS_MEMBER_ID = {**ID, "description": "The member's id in the cycle (members[].id)"}
SAVINGS_FINE_TYPE_ID = {**ID, "description": "The cycle's fine_types[].id"}
SAVINGS_REASON = text(500)
SAVINGS_SCHEMAS: dict[str, Any] = {
    "SavingsCycleSummary": obj(SAVINGS_CYCLE_FIELDS),
    "SavingsCycle": obj({
        **SAVINGS_CYCLE_FIELDS,
        "settings": obj({**SAVINGS_SETTINGS, "opening_social": MONEY}),
        "fine_types": array(obj({"id": ID, "code": TEXT, "name": TEXT, "amount": MONEY,
                                 "to_fund": {"enum": list(savings_models.FUNDS)}})),
        "members": array(SAVINGS_MEMBER),
        "key_holders": array(obj({"id": ID, "membership_id": ID, "name": TEXT,
                                  "position": {"type": "integer", "minimum": 1,
                                               "maximum": 3}})),
        "meetings": array(obj(SAVINGS_MEETING_FIELDS)),
        "figures": nullable(SAVINGS_FIGURES),
        "share_out": _SAVINGS_RESULT["share_out"],
        "social_fund_carried": nullable(MONEY),
    }),
    "NewSavingsCycle": obj({
        **SAVINGS_SETTINGS,
        "fine_types": array(obj({"code": {"type": "string", "minLength": 1, "maxLength": 64,
                                          "pattern": "^[A-Za-z0-9_-]+$"},
                                 "name": text(200), "amount": MONEY,
                                 "to_fund": {"enum": list(savings_models.FUNDS)}},
                                optional=("name", "to_fund"), closed=True), max_items=20),
    }, optional=(*(n for n in SAVINGS_SETTINGS if n not in (
        "start_date", "share_out_date", "share_value")), "fine_types"), closed=True),
    "SavingsMember": SAVINGS_MEMBER,
    "NewSavingsMember": obj({"membership_id": ID}, closed=True),
    "SavingsKeyHolders": obj({"membership_ids": array(ID, max_items=3)}, closed=True),
    "Empty": obj({}, closed=True),
    "NewSavingsMeeting": obj({"date": DAY, "kind": {"enum": list(savings_models.MEETING_KINDS)}},
                             optional=("kind",), closed=True),
    "SavingsMeeting": obj({
        **SAVINGS_MEETING_FIELDS, "cycle_id": ID, "reopened": COUNT, "reopen_reason": TEXT,
        "counts": obj({name: nullable(MONEY) for name in (
            "opening_loan", "opening_social", "closing_loan", "closing_social")}),
        "register": array(obj({"member_id": ID, "passbook_no": {"type": "integer",
                                                                "minimum": 1},
                               "name": TEXT,
                               "status": {"enum": list(savings_models.ATTENDANCE)},
                               "shares": COUNT, "social": MONEY, "repayment": MONEY})),
        "fines": array(obj({"id": ID, "member_id": ID, "fine_type_id": ID, "type": TEXT,
                            "amount": MONEY, "paid_at_once": FLAG})),
        "fine_payments": array(obj({"id": ID, "member_id": ID, "fine_type_id": ID,
                                    "amount": MONEY})),
        "waivers": array(obj({"id": ID, "member_id": ID, "fine_type_id": ID, "amount": MONEY,
                              "reason": TEXT})),
        "grants": array(obj({"id": ID, "member_id": ID, "amount": MONEY, "reason": TEXT})),
        "loans": array(obj({"id": ID, "member_id": ID,
                            "number": nullable({"type": "integer", "minimum": 1}),
                            "principal": MONEY, "months": {"type": "integer", "minimum": 1},
                            "purpose": TEXT,
                            "state": {"enum": list(savings_models.LOAN_STATES)}})),
        "write_offs": array(obj({"id": ID, "member_id": ID, "reason": TEXT})),
        "withdrawals": array(obj({"id": ID, "member_id": ID})),
        "differences": array(obj({"id": ID, "bag": {"enum": list(savings_models.FUNDS)},
                                  "amount": MONEY, "reason": TEXT})),
        "share_adjustments": array(obj({"id": ID, "member_id": ID,
                                        "shares": {"type": "integer"}, "reason": TEXT})),
        "interest_waivers": array(obj({"id": ID, "member_id": ID, "amount": MONEY,
                                       "reason": TEXT})),
        "figures": nullable(SAVINGS_FIGURES),
        "expected_cash": nullable(obj({bag: obj({"opening": MONEY, "closing": MONEY})
                                       for bag in ("loan", "social")})),
        "problem": nullable(TEXT),
    }),
    "SavingsRegister": obj({"lines": array(obj({
        "member_id": SAVINGS_MEMBER_ID,
        "status": {"enum": list(savings_models.ATTENDANCE)},
        "shares": {"type": "integer", "minimum": 0, "maximum": 20},
        "social": {**FLAG, "description": "She paid the social contribution (default: "
                                          "unless absent)"},
        "repayment": MONEY}, optional=("shares", "social", "repayment"), closed=True),
        max_items=100)}, closed=True),
    "NewSavingsFine": obj({"member_id": SAVINGS_MEMBER_ID, "fine_type_id": SAVINGS_FINE_TYPE_ID,
                           "amount": {**MONEY, "description": "Default: the fine type's"},
                           "paid": FLAG}, optional=("amount", "paid"), closed=True),
    "NewSavingsFinePayment": obj({"member_id": SAVINGS_MEMBER_ID,
                                  "fine_type_id": SAVINGS_FINE_TYPE_ID}, closed=True),
    "NewSavingsWaiver": obj({"member_id": SAVINGS_MEMBER_ID,
                             "fine_type_id": SAVINGS_FINE_TYPE_ID, "reason": SAVINGS_REASON},
                            closed=True),
    "NewSavingsGrant": obj({"member_id": SAVINGS_MEMBER_ID, "amount": MONEY,
                            "reason": SAVINGS_REASON}, closed=True),
    "NewSavingsLoan": obj({"member_id": SAVINGS_MEMBER_ID, "principal": MONEY,
                           "months": {"type": "integer", "minimum": 1, "maximum": 12},
                           "purpose": SAVINGS_REASON}, optional=("purpose",), closed=True),
    "NewSavingsWriteOff": obj({"member_id": SAVINGS_MEMBER_ID, "reason": SAVINGS_REASON},
                              closed=True),
    "NewSavingsWithdrawal": obj({"member_id": SAVINGS_MEMBER_ID}, closed=True),
    "NewSavingsShareAdjustment": obj({
        "member_id": SAVINGS_MEMBER_ID,
        "shares": {"type": "integer", "minimum": -1000, "maximum": 1000,
                   "description": "More shares, or fewer (negative); not 0"},
        "reason": SAVINGS_REASON}, closed=True),
    "NewSavingsInterestWaiver": obj({"member_id": SAVINGS_MEMBER_ID, "amount": MONEY,
                                     "reason": SAVINGS_REASON}, closed=True),
    "NewSavingsDifference": obj({"bag": {"enum": list(savings_models.FUNDS)},
                                 "amount": {**MONEY, "description": "Counted − expected: "
                                                                    "negative when short"},
                                 "reason": SAVINGS_REASON}, closed=True),
    "SavingsClose": obj({"opening_loan": MONEY, "opening_social": MONEY, "closing_loan": MONEY,
                         "closing_social": MONEY, "key_holder_ids": SAVINGS_KEY_HOLDER_IDS},
                        optional=("opening_loan", "opening_social"), closed=True),
    "SavingsReopen": obj({"reason": SAVINGS_REASON, "key_holder_ids": SAVINGS_KEY_HOLDER_IDS},
                         closed=True),
    "SavingsActivate": obj({"counted_loan": MONEY, "counted_social": MONEY,
                            "key_holder_ids": SAVINGS_KEY_HOLDER_IDS},
                           optional=("counted_loan", "counted_social", "key_holder_ids"),
                           closed=True),
    "SavingsPassbook": obj({
        **SAVINGS_MEMBER["properties"], "cycle_id": ID, "currency": TEXT, "share_value": MONEY,
        "lines": array(obj({**SAVINGS_LINE["properties"], "meeting": {"type": "integer",
                                                                      "minimum": 1},
                            "date": DAY, "meeting_id": ID})),
        "loans": array(SAVINGS_LOAN)}),
}
SAVINGS_EXAMPLES: dict[str, Any] = {
    "NewSavingsCycle": {"start_date": "2026-03-05", "share_out_date": "2027-03-05",
                        "share_value": "50.00", "min_shares": 1, "max_shares": 5,
                        "social_contribution": "10.00", "interest_method": "flat",
                        "rate_bp": 500, "loan_multiple": 300, "max_term_months": 3,
                        "loan_unit": "1.00", "payout_unit": "1.00",
                        "fine_types": [{"code": "absent", "name": "Пропуск", "amount": "20.00"},
                                       {"code": "late", "name": "Опоздание", "amount": "5.00"}]},
    "NewSavingsMember": {"membership_id": 12},
    "SavingsKeyHolders": {"membership_ids": [13, 14, 16]},
    "Empty": {},
    "NewSavingsMeeting": {"date": "2026-03-05", "kind": "regular"},
    "SavingsRegister": {"lines": [{"member_id": 3, "status": "present", "shares": 5,
                                   "social": True, "repayment": "401.50"},
                                  {"member_id": 4, "status": "absent", "shares": 0}]},
    "NewSavingsFine": {"member_id": 7, "fine_type_id": 1, "paid": False},
    "NewSavingsFinePayment": {"member_id": 7, "fine_type_id": 1},
    "NewSavingsWaiver": {"member_id": 7, "fine_type_id": 1, "reason": "болела"},
    "NewSavingsGrant": {"member_id": 5, "amount": "60.00", "reason": "болезнь"},
    "NewSavingsLoan": {"member_id": 3, "principal": "730.00", "months": 2, "purpose": "семена"},
    "NewSavingsWriteOff": {"member_id": 5, "reason": "уехала навсегда"},
    "NewSavingsWithdrawal": {"member_id": 6},
    "NewSavingsShareAdjustment": {"member_id": 4, "shares": -1,
                                  "reason": "на встрече 3 записали лишнюю долю"},
    "NewSavingsInterestWaiver": {"member_id": 3, "amount": "20.00",
                                 "reason": "вернула заём досрочно"},
    "NewSavingsDifference": {"bag": "loan", "amount": "-1.00", "reason": "не хватило монеты"},
    "SavingsClose": {"opening_loan": "0.00", "opening_social": "0.00",
                     "closing_loan": "220.00", "closing_social": "50.00",
                     "key_holder_ids": [1, 2]},
    "SavingsReopen": {"reason": "ошибка в долях", "key_holder_ids": [1, 2]},
    "SavingsActivate": {},
}

SCHEMAS: dict[str, Any] = {
    "Problem": obj({
        "type": {"type": "string", "format": "uri-reference"}, "title": TEXT,
        "status": {"type": "integer", "minimum": 400, "maximum": 599}, "detail": TEXT,
        "field": {"type": "string", "description": "The field at fault: a JSON path "
                                                   "(lines[2].quantity), a query parameter "
                                                   "or a header"},
        "confirm": {"type": "string", "description": "A refusal the caller may override: "
                                                     "the boolean field (beyond_owed, "
                                                     "overdraw) that records it anyway when "
                                                     "sent true"},
    }, optional=("field", "confirm")),
    "Document": {"type": "object", "description": "An OpenAPI 3.1 document"},
    "Group": GROUP,
    "Member": obj({"id": ID, "name": TEXT, "phone": nullable(TEXT), "email": nullable(TEXT),
                   "role": {"enum": list(ROLES)}, "active": FLAG, "has_login": FLAG}),
    "NewMember": obj({"name": text(120), "email": text(254), "phone": text(32),
                      "role": {"enum": list(ROLES)}, "locale": {"enum": list(SUPPORTED_LOCALES)}},
                     optional=("email", "phone", "role", "locale"), closed=True),
    "Supplier": obj(SUPPLIER_FIELDS),
    "SupplierDetail": obj({**SUPPLIER_FIELDS, "products": array(ref("Product"))}),
    "Tier": TIER,
    "Product": obj({
        "id": ID, "supplier_id": ID, "article_code": nullable(TEXT), "name": TEXT,
        "unit": TEXT, "pack_size": QUANTITY, "pack_container": nullable(CONTAINER),
        "granularity": QUANTITY, "weight_kg": DECIMAL,
        "retail_price": nullable(DECIMAL), "seed_rate": nullable(QUANTITY), "retired": FLAG,
        "tiers": array(ref("Tier"))}),
    "NewProduct": obj({
        "name": text(catalog.MAX_NAME), "unit": text(catalog.MAX_UNIT),
        "article_code": text(catalog.MAX_ARTICLE_CODE), "pack_size": QUANTITY,
        "pack_container": {"enum": ["", *units.CONTAINERS], "description":
                           "What the pack is (\"sack\": a sack of pack_size units); "
                           "empty for none"},
        "granularity": QUANTITY, "weight_kg": DECIMAL, "retail_price": DECIMAL,
        "seed_rate": {**QUANTITY, "description": "Seed to sow one sotka (100 m²), in the "
                      "product's unit; leave out when this is not seed"},
        "tiers": array(obj({"min_qty": QUANTITY, "unit_price": DECIMAL}, closed=True),
                       max_items=catalog.MAX_TIERS + 1),
    }, optional=("article_code", "pack_size", "pack_container", "granularity", "weight_kg",
                 "retail_price", "seed_rate"), closed=True),
    "RoundSummary": obj(ROUND_FIELDS),
    "Round": obj({
        **ROUND_FIELDS, "loss_policy": {"enum": list(LOSS_POLICIES)},
        "levy_percent": DECIMAL, "cash_rounding": MONEY,
        "items": array(obj({
            "id": ID, "product_id": ID, "name": TEXT, "unit": TEXT, "granularity": QUANTITY,
            "supplier_id": ID, "pack_size": QUANTITY, "tiers": array(ref("Tier")),
            "demand": obj({"firm": QUANTITY, "tolerance": QUANTITY}),
            "packs": obj({"full": COUNT, "ordered": COUNT, "last_pack_filled": QUANTITY,
                          "last_pack_missing": LAST_PACK_MISSING,
                          "last_pack_short": LAST_PACK_SHORT,
                          "fill_percent": {"type": "integer", "minimum": 0, "maximum": 100}}),
            "delivered": obj({"received": QUANTITY, "damaged": QUANTITY}),
        })),
    }),
    "Order": obj({
        "round_id": ID, "membership_id": ID, "name": TEXT, "can_order": FLAG,
        "lines": array(obj({"item_id": ITEM_ID, "product_id": ID, "name": TEXT, "unit": TEXT,
                            "granularity": QUANTITY, "quantity": QUANTITY,
                            "tolerance": QUANTITY})),
    }),
    "OrderLines": obj({"lines": array(obj({"item_id": ITEM_ID, "quantity": QUANTITY,
                                           "tolerance": QUANTITY},
                                          optional=("tolerance",), closed=True),
                                      max_items=MAX_ITEMS)}, closed=True),
    "Scenario": SCENARIO,
    "SplitResult": SPLIT_RESULT,
    "SavingsScenario": savings_schema.SCENARIO,
    "SavingsResult": savings_schema.RESULT,
    **SAVINGS_SCHEMAS,
    "NewDelivery": obj({
        "lines": array(obj({"item_id": ITEM_ID, "received": QUANTITY, "damaged": QUANTITY},
                           optional=("damaged",), closed=True), max_items=MAX_ITEMS),
        "delivered_on": DAY, "note": text(300),
        "beyond_ordered": {**FLAG, "description": "Record it even when more would then have "
                           "arrived than was ordered from the supplier (the group pays for "
                           "it; what nobody asked for is a loss)"},
    }, optional=("delivered_on", "note", "beyond_ordered"), closed=True),
    "Delivery": obj({"added": COUNT, "delivered": array(obj({
        "item_id": ITEM_ID, "received": QUANTITY, "damaged": QUANTITY}))}),
    "Balance": BALANCE,
    "Balances": _page_of(BALANCE, currency=TEXT, fund=MONEY, cash_on_hand=MONEY,
                         payables=MONEY, owed_to_suppliers=MONEY, in_bank=MONEY,
                         in_mobile_wallet=MONEY, members_owe=MONEY, members_credit=MONEY),
    "StatementLine": STATEMENT_LINE,
    "Statement": _page_of(STATEMENT_LINE, membership_id=ID, name=TEXT, currency=TEXT,
                          opening=MONEY, balance=MONEY),
    "NewPayment": obj({"amount": MONEY, "method": {"enum": list(PAYMENT_METHODS)},
                       "reference": text(120),
                       "beyond_owed": {**FLAG, "description": "Record it even when it is "
                                       "more than she owes and her open orders could cost "
                                       "(the rest stays as credit in her account)"}},
                      optional=("reference", "beyond_owed"), closed=True),
    "Payment": obj({"id": ID, "membership_id": ID, "amount": MONEY,
                    "method": {"enum": list(PAYMENT_METHODS)}, "reference": TEXT,
                    "created_at": MOMENT, "posting_id": ID, "balance": MONEY,
                    "receipt_number": TEXT}),
    "NewSupplierPayment": obj({"amount": MONEY, "method": {"enum": list(PAYMENT_METHODS)},
                               "reference": text(120), "round_id": nullable(ID),
                               "beyond_owed": FLAG, "overdraw": FLAG},
                              optional=("reference", "round_id", "beyond_owed", "overdraw"),
                              closed=True),
    "SupplierPayment": obj({"id": ID, "supplier_id": ID, "round_id": nullable(ID),
                            "amount": MONEY, "method": {"enum": list(PAYMENT_METHODS)},
                            "reference": TEXT, "created_at": MOMENT, "posting_id": ID,
                            "still_owed": MONEY}),
    "Payable": obj({"supplier_id": ID, "name": TEXT, **OWED, "books_balance": MONEY,
                    "rounds": array(obj({"round_id": nullable(ID), "title": TEXT,
                                         "state": nullable(TEXT), "in_books": FLAG,
                                         **OWED}))}),
    "DocumentInfo": obj({"id": ID, "number": TEXT, "doc_type": TEXT, "issued_on": DAY,
                         "amount": nullable(MONEY), "round_id": nullable(ID), "size": COUNT}),
    "Lot": obj(LOT_FIELDS),
    "LotDetail": obj({
        **LOT_FIELDS, "closed": FLAG,
        "stock": array(obj({"grade_id": ID, "pooled": QUANTITY, "sold": QUANTITY,
                            "available": QUANTITY})),
        "contributions": array(obj({
            "id": ID, "membership_id": ID, "name": TEXT, "brought_on": DAY, "kind": TEXT,
            "note": TEXT, "recorded_by": TEXT, "recorded": GRADE_QUANTITY,
            "corrections": COUNT, "current": array(GRADE_QUANTITY),
            "seed_loan_id": {**nullable(ID), "description": "Produce she brought to repay "
                             "this seed loan in kind: its share goes to the solidarity fund"}})),
        "payouts": nullable(array(obj({
            "membership_id": ID, "name": TEXT,
            "seed_loan_id": {**nullable(ID), "description": "Set on the fund's share of "
                             "produce returned for this seed loan (paid to the solidarity "
                             "fund, not to the member named)"},
            "grades": array(obj({"grade_id": ID, "contributed": QUANTITY, "sold": QUANTITY,
                                 "unsold": QUANTITY})),
            "revenue": MONEY, "levy": MONEY, "costs": MONEY, "payout": MONEY}))),
        "sales": {**array(obj({
            "id": ID, "buyer": TEXT, "sold_on": DAY, "amount": MONEY,
            "cancelled": FLAG,
            "paid_later": {**FLAG, "description": "The buyer pays later (not into the cash "
                           "when sold): what she owes is `owed`, by `due_on` if agreed"},
            "due_on": nullable(DAY), "paid": MONEY, "owed": MONEY,
            "paid_on": {**nullable(DAY), "description": "The day it was paid in full (the "
                        "last payment's); null while owed"}})),
                  "description": "The lot's sales and what their buyers still owe (the "
                                 "treasurer's; empty for a member)"},
    }),
    "Quote": obj({
        "buyer": obj({"name": TEXT, "village": TEXT, "region": TEXT, "currency": TEXT}),
        "round": obj({"title": TEXT, "delivery_place": TEXT, "delivery_date": nullable(DAY)}),
        "supplier": obj({"name": TEXT, "language": TEXT}),
        "status": {"enum": list(quote_services.STATUS_NAMES)}, "can_answer": FLAG,
        "link_expires_at": MOMENT,
        "items": array(obj({"item_id": ITEM_ID, "name": TEXT, "unit": TEXT,
                            "granularity": QUANTITY, "pack_size": QUANTITY,
                            "demand": obj({"firm": QUANTITY, "tolerance": QUANTITY})})),
        "latest": nullable(ref("QuoteRevision")),
        "counter_offer": nullable(obj({
            "message": TEXT, "created_at": MOMENT,
            "targets": array(obj({"item_id": ITEM_ID, "target_price": DECIMAL}))})),
    }),
    "QuoteRevision": QUOTE_REVISION,
    "Offer": obj({
        "lines": array(obj({
            "item_id": ITEM_ID, "available": FLAG, "pack_size": QUANTITY,
            "max_quantity": nullable(QUANTITY),
            "tiers": array(obj({"min_qty": QUANTITY, "unit_price": DECIMAL}, closed=True),
                           max_items=quote_domain.MAX_TIERS + 1),
        }, optional=("available", "pack_size", "max_quantity", "tiers"), closed=True),
            max_items=MAX_ITEMS),
        "delivery_fee": MONEY,
        "lead_time_days": nullable({"type": "integer", "minimum": 0,
                                    "maximum": quote_domain.MAX_LEAD_DAYS}),
        "valid_until": nullable(DAY), "note": text(quote_domain.MAX_NOTE),
    }, optional=("delivery_fee", "lead_time_days", "valid_until", "note"), closed=True),
}


# What a request looks like (item ids are the ids of a round's items[]).
EXAMPLES: dict[str, Any] = {
    "NewMember": {"name": "Айгүл Токтогулова", "phone": "+996 555 10 00 02", "role": "member",
                  "locale": "ky"},
    "NewProduct": {"name": "Семена моркови", "unit": "kg", "article_code": "CAR-1",
                   "pack_size": "5", "granularity": "0.5", "weight_kg": "1",
                   "retail_price": "60", "tiers": [{"min_qty": "0", "unit_price": "48.50"},
                                                   {"min_qty": "50", "unit_price": "42"}]},
    "OrderLines": {"lines": [{"item_id": 12, "quantity": "2", "tolerance": "1"}]},
    "NewDelivery": {"lines": [{"item_id": 12, "received": "25", "damaged": "1"}],
                    "note": "Truck from Karakol"},
    "NewPayment": {"amount": "1234.50", "method": "mobile", "reference": "MB-1001"},
    "NewSupplierPayment": {"amount": "4000.00", "method": "bank", "reference": "PP-17",
                           "round_id": 3},
    "Offer": {"lines": [{"item_id": 12, "available": True, "pack_size": "1",
                         "tiers": [{"min_qty": "0", "unit_price": "45"},
                                   {"min_qty": "50", "unit_price": "40"}]}],
              "delivery_fee": "500.00", "lead_time_days": 5, "note": "Delivery on Tuesdays"},
    "Scenario": {
        "currency": "KGS",
        "members": [{"id": "m1", "name": "Aigul"}, {"id": "m2", "name": "Nurila"}],
        "products": [{"id": "p1", "name": "Tomato seed", "unit": "sachet", "supplier": "s1",
                      "pack_size": "25", "granularity": "1", "weight_kg": "0.01",
                      "retail_price": "65",
                      "price_tiers": [{"min_qty": "0", "unit_price": "48.50"},
                                      {"min_qty": "50", "unit_price": "42"}]}],
        "requests": [{"member": "m1", "product": "p1", "quantity": "12", "tolerance": "4"},
                     {"member": "m2", "product": "p1", "quantity": "9", "tolerance": "6"}],
        "shared_costs": [{"name": "Truck", "amount": "180.00", "rule": "weight"}],
        "loss_policy": "product", "fund_levy_percent": "2", "cash_rounding": "1.00"},
    "SavingsScenario": savings_schema.EXAMPLE,
    **SAVINGS_EXAMPLES,
}
