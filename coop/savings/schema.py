"""JSON Schemas of the cycle preview's scenario and result (spec/savings-preview.md,
spec/savings-scenario.schema.json), for the OpenAPI document. Shapes only: the
rules that need the figures are the engine's, which names the path at fault."""

from __future__ import annotations

from typing import Any

_MONEY = {"type": "string", "pattern": r"^[0-9]+(\.[0-9]+)?$",
          "description": 'An amount in the currency, as a string: "50", "401.50"'}
_SIGNED_MONEY = {"type": "string", "pattern": r"^-?[0-9]+(\.[0-9]+)?$"}
_DATE = {"type": "string", "format": "date", "pattern": "^[0-9]{4}-[0-9]{2}-[0-9]{2}$"}
_ID = {"type": "string", "minLength": 1, "maxLength": 64}
_REASON = {"type": "string", "maxLength": 500}
_IDS = {"type": "array", "items": _ID}
_COUNT = {"type": "integer", "minimum": 0}
_NUMBER = {"type": "integer", "minimum": 1}
_PERCENT = {"anyOf": [{"type": "string", "pattern": r"^-?[0-9]+\.[0-9]$"}, {"type": "null"}],
            "description": 'A percentage with one decimal ("93.3"); null when undefined'}
_OUT_MONEY = {"type": "string", "pattern": r"^-?[0-9]+(\.[0-9]+)?$"}


def _obj(properties: dict[str, Any], required: tuple[str, ...] | None = None,
         *, closed: bool = True) -> dict[str, Any]:
    schema: dict[str, Any] = {"type": "object", "properties": properties,
                              "required": list(properties if required is None else required)}
    if closed:
        schema["additionalProperties"] = False
    return schema


def _list(items: dict[str, Any]) -> dict[str, Any]:
    return {"type": "array", "items": items}


def _nullable(schema: dict[str, Any]) -> dict[str, Any]:
    return {"anyOf": [schema, {"type": "null"}]}


SCENARIO = _obj({
    "currency": {"enum": ["KGS", "TJS", "USD", "EUR", "RUB", "KZT", "UZS", "JPY"]},
    "settings": _obj({
        "share_value": _MONEY,
        "min_shares": {"type": "integer", "minimum": 0, "maximum": 20, "default": 1},
        "max_shares": {"type": "integer", "minimum": 1, "maximum": 20, "default": 5},
        "social_contribution": _MONEY,
        "interest_method": {"enum": ["flat", "declining"], "default": "flat"},
        "rate_bp": {"type": "integer", "minimum": 0, "maximum": 2000, "default": 1000},
        "loan_multiple": {"type": "integer", "minimum": 1, "maximum": 1000, "default": 300},
        "max_term_months": {"type": "integer", "minimum": 1, "maximum": 12, "default": 3},
        "loan_unit": _MONEY,
        "payout_unit": _MONEY,
        "withdrawal_rule": {"enum": ["savings_only", "with_profit"], "default": "savings_only"},
        "fine_types": _list(_obj({"code": _ID, "name": {"type": "string", "maxLength": 200},
                                  "amount": _MONEY, "to_fund": {"enum": ["loan", "social"]}},
                                 ("code", "amount"))),
        "start_date": _DATE,
        "share_out_date": _DATE,
    }, ("share_value", "start_date", "share_out_date")),
    "members": {**_list(_obj({"id": _ID, "name": {"type": "string", "maxLength": 200},
                              "joined": {"type": "integer", "minimum": 1}}, ("id",))),
                "minItems": 2, "description": "In passbook order: the tie-break order"},
    "meetings": {**_list(_obj({
        "date": _DATE,
        "kind": {"enum": ["regular", "share_out"], "default": "regular"},
        "note": {"type": "string", "maxLength": 2000},
        "absent": _IDS,
        "represented": _IDS,
        "social": {"anyOf": [{"enum": ["attending", "none"]}, _IDS], "default": "attending"},
        "shares": {**_list({"type": "integer", "minimum": 0, "maximum": 20}),
                   "description": "One share count per member, in members order"},
        "repayments": _list(_obj({"member": _ID, "amount": _MONEY})),
        "fines": _list(_obj({"member": _ID, "type": _ID, "amount": _MONEY,
                             "paid": {"type": "boolean"}}, ("member", "type"))),
        "fine_payments": _list(_obj({"member": _ID, "type": _ID})),
        "fine_waivers": _list(_obj({"member": _ID, "type": _ID, "reason": _REASON},
                                   ("member", "type"))),
        "write_offs": _list(_obj({"member": _ID, "reason": _REASON}, ("member",))),
        "grants": _list(_obj({"member": _ID, "amount": _MONEY, "reason": _REASON},
                             ("member", "amount"))),
        "loans": _list(_obj({"member": _ID, "principal": _MONEY,
                             "months": {"type": "integer", "minimum": 1, "maximum": 12},
                             "purpose": _REASON}, ("member", "principal", "months"))),
        "withdrawals": _list(_obj({"member": _ID})),
        "differences": _list(_obj({"bag": {"enum": ["loan", "social"]},
                                   "amount": _SIGNED_MONEY, "reason": _REASON},
                                  ("bag", "amount"))),
    }, ("date",))), "minItems": 1},
})

_MEETING_MEMBER = _obj({
    "id": _ID, "state": {"enum": ["not_joined", "active", "withdrawn"]},
    "attendance": _nullable({"enum": ["present", "represented", "absent"]}),
    "social": _OUT_MONEY, "shares_bought": _COUNT, "shares": _COUNT, "savings": _OUT_MONEY,
    "loan_principal": _OUT_MONEY, "loan_interest": _OUT_MONEY, "fines_due": _OUT_MONEY,
    "due": _OUT_MONEY, "overdue": _OUT_MONEY, "days_overdue": _COUNT,
})
_MEETING_REQUIRED = ("number", "date", "kind", "loan_bag", "social_bag", "income", "social_fund",
                     "savings", "loans_principal", "loans_interest", "fines_due_loan",
                     "fines_due_social", "interest_charged", "repayments", "write_offs",
                     "withdrawals", "members")
_MEETING = _obj({
    "number": _NUMBER, "date": _DATE, "kind": {"enum": ["regular", "share_out"]},
    **{name: _OUT_MONEY for name in ("loan_bag", "social_bag", "income", "social_fund",
                                     "savings", "loans_principal", "loans_interest",
                                     "fines_due_loan", "fines_due_social",
                                     "interest_charged")},
    "repayments": _list(_obj({"member": _ID, "loan": _NUMBER, "amount": _OUT_MONEY,
                              "interest": _OUT_MONEY, "principal": _OUT_MONEY})),
    "write_offs": _list(_obj({"member": _ID, "loan": _NUMBER, "principal": _OUT_MONEY,
                              "interest": _OUT_MONEY})),
    "withdrawals": _list(_obj({"member": _ID, "shares": _COUNT,
                               **{name: _OUT_MONEY for name in ("savings", "profit", "set_off",
                                                                "net", "cash", "residual")}})),
    "members": _list(_MEETING_MEMBER),
    # The services' corrections (not of the scenario): only on a meeting that has any.
    "adjustments": _list(_obj({"member": _ID, "shares": {"type": "integer"},
                               "amount": _OUT_MONEY, "reason": _REASON})),
    "interest_waivers": _list(_obj({"member": _ID, "loan": _NUMBER, "amount": _OUT_MONEY,
                                    "reason": _REASON})),
}, _MEETING_REQUIRED)
_LOAN = _obj({
    "number": _NUMBER, "member": _ID, "meeting": _NUMBER, "principal": _OUT_MONEY,
    "months": _NUMBER, "interest_charged": _OUT_MONEY,
    "installments": _list(_obj({
        "seq": _NUMBER, "due_date": _DATE, "falls_due_meeting": _nullable(_NUMBER),
        "principal_due": _OUT_MONEY, "interest_due": _nullable(_OUT_MONEY),
        "principal_paid": _OUT_MONEY, "interest_paid": _OUT_MONEY,
        # only where a waiver (the services') took some of its interest, and
        # where it carried interest from the paper books (the services' opening)
        "interest_waived": _OUT_MONEY, "interest_brought": _OUT_MONEY},
        ("seq", "due_date", "falls_due_meeting", "principal_due", "interest_due",
         "principal_paid", "interest_paid"))),
    "state": {"enum": ["active", "repaid", "written_off", "set_off"]},
    "closed_meeting": _nullable(_NUMBER),
    "interest_waived": _OUT_MONEY,  # only on a loan with a waiver (the services')
}, ("number", "member", "meeting", "principal", "months", "interest_charged", "installments",
    "state", "closed_meeting"))
_SHARE_OUT = _obj({
    "meeting": _NUMBER, "equity": _OUT_MONEY, "total_shares": _COUNT,
    **{name: _OUT_MONEY for name in ("savings", "income", "loan_bag", "value_per_share",
                                     "profit_per_share", "payout_total", "residual_total")},
    "return_on_savings": _PERCENT,
    "members": _list(_obj({"id": _ID, "shares": _COUNT,
                           **{name: _OUT_MONEY for name in (
                               "savings", "entitlement", "profit", "set_off", "net", "cash",
                               "residual")}})),
})
_INDICATORS = _obj({
    "as_of_meeting": _NUMBER, "date": _DATE,
    "members": _COUNT, "members_at_start": _COUNT, "withdrawn": _COUNT,
    "drop_out_rate": _PERCENT, "attendance_in_person": _PERCENT,
    "attendance_with_representative": _PERCENT,
    "savings": _OUT_MONEY, "savings_per_member": _nullable(_OUT_MONEY),
    "loans_outstanding_count": _COUNT, "loans_outstanding": _OUT_MONEY,
    "interest_receivable": _OUT_MONEY, "members_with_loan": _PERCENT,
    "loans_disbursed_count": _COUNT, "loans_disbursed": _OUT_MONEY,
    "average_loan": _nullable(_OUT_MONEY), "loan_fund_utilisation": _PERCENT,
    "par0": _PERCENT, "par30": _PERCENT, "net_income": _OUT_MONEY,
    "return_on_savings": _PERCENT, "return_on_savings_annualised": _PERCENT,
    "written_off": _OUT_MONEY, "write_off_ratio": _PERCENT, "social_fund": _OUT_MONEY,
    "grants_count": _COUNT, "grants": _OUT_MONEY, "fines_due": _OUT_MONEY,
    "total_assets": _OUT_MONEY,
    "projected_share_out": _nullable(_list(_obj({"id": _ID, "entitlement": _OUT_MONEY,
                                                 "net": _OUT_MONEY}))),
})
RESULT = _obj({
    "currency": {"type": "string"},
    "meetings": _list(_MEETING),
    "loans": _list(_LOAN),
    "share_out": _nullable(_SHARE_OUT),
    "social_fund_carried": _nullable(_OUT_MONEY),
    "indicators": _INDICATORS,
})

# A short cycle for the OpenAPI document: two meetings, a loan repaid, a share-out.
EXAMPLE = {
    "currency": "KGS",
    "settings": {"share_value": "50", "min_shares": 1, "max_shares": 5,
                 "social_contribution": "10", "interest_method": "flat", "rate_bp": 500,
                 "loan_unit": "1", "payout_unit": "1", "start_date": "2026-03-05",
                 "share_out_date": "2026-05-05"},
    "members": [{"id": "aigul", "name": "Айгүл"}, {"id": "bermet", "name": "Бермет"},
                {"id": "cholpon", "name": "Чолпон", "joined": 2}],
    "meetings": [
        {"date": "2026-03-05", "shares": [5, 4, 0],
         "loans": [{"member": "aigul", "principal": "300", "months": 1, "purpose": "seed"}]},
        {"date": "2026-04-05", "kind": "share_out", "absent": ["bermet"], "shares": [5, 0, 2],
         "repayments": [{"member": "aigul", "amount": "315"}],
         "fines": [{"member": "bermet", "type": "absent"}]},
    ],
}
