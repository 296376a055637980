"""Properties of the savings engine on random cycles (spec/savings-preview.md):
the books balance at every close; the share-out gives out exactly the equity,
by largest remainder with the passbook tie-break, in payout units, and leaves
every savings, loan, fines and income balance and the loan bag at zero.

A cycle is drawn entry by entry: each drawn entry (a repayment, a fine, a loan,
a withdrawal…) is kept only if the engine accepts the cycle with it, so the
cycles are valid and varied; the properties are then checked on the result."""

from __future__ import annotations

import copy
from datetime import date, timedelta
from fractions import Fraction
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from coop.savings import ScenarioError, preview

PROPERTY_SETTINGS = settings(max_examples=60, deadline=None,
                             suppress_health_check=[HealthCheck.too_slow])
DIGITS = {"KGS": 2, "JPY": 0}


def minor(text: str, digits: int) -> int:
    whole, _sep, part = text.lstrip("-").partition(".")
    value = int(whole) * 10**digits + int(part.ljust(digits, "0") or 0)
    return -value if text.startswith("-") else value


def money_text(value: int, digits: int) -> str:
    if not digits:
        return str(value)
    return f"{value // 10**digits}.{value % 10**digits:0{digits}d}"


def accepted(scenario: dict[str, Any]) -> dict[str, Any] | None:
    try:
        return preview(scenario)
    except ScenarioError:
        return None


@st.composite
def cycles(draw: st.DrawFn) -> tuple[dict[str, Any], dict[str, Any]]:
    currency = draw(st.sampled_from(sorted(DIGITS)))
    digits = DIGITS[currency]
    unit = 10**digits
    n = draw(st.integers(2, 7))
    count = draw(st.integers(1, 8))
    min_shares = draw(st.integers(0, 2))
    max_shares = draw(st.integers(max(min_shares, 1), 5))
    ids = [f"m{j}" for j in range(n)]
    joined = [1, 1] + [draw(st.integers(1, count)) for _ in range(n - 2)]
    start = date(2026, 1, 10)
    scenario: dict[str, Any] = {
        "currency": currency,
        "settings": {
            "share_value": money_text(draw(st.integers(1, 100)) * unit // 2 or 1, digits),
            "min_shares": min_shares, "max_shares": max_shares,
            "social_contribution": money_text(draw(st.sampled_from([0, 1, 5])) * unit, digits),
            "interest_method": draw(st.sampled_from(["flat", "declining"])),
            "rate_bp": draw(st.integers(0, 2000)),
            "loan_multiple": draw(st.integers(50, 400)),
            "max_term_months": draw(st.integers(1, 4)),
            "loan_unit": money_text(draw(st.sampled_from([1, unit, 10 * unit])), digits),
            "payout_unit": money_text(draw(st.sampled_from([1, unit, 5 * unit])), digits),
            "withdrawal_rule": draw(st.sampled_from(["savings_only", "with_profit"])),
            "fine_types": [{"code": "late", "amount": money_text(3 * unit + 7, digits)},
                           {"code": "absent", "amount": money_text(10 * unit, digits)},
                           {"code": "welfare", "amount": money_text(2 * unit, digits),
                            "to_fund": "social"}],
            "start_date": start.isoformat(),
            "share_out_date": "2026-12-31",
        },
        "members": [{"id": ids[j], "joined": joined[j]} for j in range(n)],
        "meetings": [],
    }
    # Every meeting is there from the start (with only its date, a meeting
    # asks nothing of anyone), and filled in turn.
    day = start
    for k in range(count):
        if k:
            day += timedelta(days=draw(st.integers(7, 50)))
        scenario["meetings"].append({"date": day.isoformat()})
    result: dict[str, Any] | None = None
    for k in range(count):
        day = date.fromisoformat(scenario["meetings"][k]["date"])
        states = ([m["state"] for m in result["meetings"][k - 1]["members"]] if result
                  else ["not_joined"] * n)
        enrolled = [j for j in range(n)
                    if states[j] == "active" or (states[j] == "not_joined" and joined[j] == k + 1)]
        status = {j: draw(st.sampled_from(["present", "present", "represented", "absent"]))
                  for j in enrolled}
        mtg: dict[str, Any] = {
            "date": day.isoformat(),
            "absent": [ids[j] for j in enrolled if status[j] == "absent"],
            "represented": [ids[j] for j in enrolled if status[j] == "represented"],
            "social": draw(st.sampled_from(["attending", "none"])),
            "shares": [draw(st.sampled_from([0, min_shares, max_shares]))
                       if status.get(j, "absent") != "absent" else 0 for j in range(n)],
        }
        scenario["meetings"][k] = mtg
        result = accepted(scenario)
        assert result is not None, scenario  # the roll call and shares are valid by construction
        last = k == count - 1
        share_out = last and draw(st.booleans())
        kinds = ["repayments"] * 4 + ["fines", "fine_payments", "fine_waivers", "write_offs",
                                      "grants", "differences"]
        if not share_out:
            kinds += ["loans"] * 4 + ["withdrawals"]
        loan_unit = minor(scenario["settings"]["loan_unit"], digits)
        for _ in range(draw(st.integers(0, 15))):
            kind = draw(st.sampled_from(kinds))
            j = draw(st.integers(0, n - 1))
            member = ids[j]
            amount = money_text(draw(st.integers(1, 60 * unit)), digits)
            line = result["meetings"][k]["members"][j]
            owed = minor(line["loan_principal"], digits) + minor(line["loan_interest"], digits)
            repay = draw(st.sampled_from([owed, owed // 2, owed - 1, 1]))
            entry: dict[str, Any] = {
                "repayments": {"member": member, "amount": money_text(max(repay, 1), digits)},
                "fines": {"member": member, "type": draw(st.sampled_from(
                    ["late", "absent", "welfare"])), "paid": draw(st.booleans())},
                "fine_payments": {"member": member,
                                  "type": draw(st.sampled_from(["late", "absent", "welfare"]))},
                "fine_waivers": {"member": member,
                                 "type": draw(st.sampled_from(["late", "absent", "welfare"]))},
                "write_offs": {"member": member},
                "grants": {"member": member, "amount": amount},
                "differences": {"bag": draw(st.sampled_from(["loan", "social"])),
                                "amount": ("-" if draw(st.booleans()) else "") + amount},
                "loans": {"member": member,
                          "principal": money_text(loan_unit * draw(st.integers(1, 30)), digits),
                          "months": draw(st.integers(1, 4))},
                "withdrawals": {"member": member},
            }[kind]
            trial = copy.deepcopy(scenario)
            trial["meetings"][k].setdefault(kind, []).append(entry)
            trial_result = accepted(trial)
            if trial_result is not None:
                scenario, result = trial, trial_result
        assert result is not None
        if share_out:
            trial = copy.deepcopy(scenario)
            trial["meetings"][-1]["kind"] = "share_out"
            trial_result = accepted(trial)
            if trial_result is None:  # clear what blocks it: loans and social fines
                before = result["meetings"][k]["members"]
                zero = money_text(0, digits)
                trial["meetings"][-1].setdefault("write_offs", []).extend(
                    {"member": m["id"]} for m in before
                    if m["loan_principal"] != zero or m["loan_interest"] != zero)
                trial_result = accepted(trial)
            if trial_result is not None:
                scenario, result = trial, trial_result
    assert result is not None
    return scenario, result


def _check_books(scenario: dict[str, Any], result: dict[str, Any]) -> None:
    digits = DIGITS[scenario["currency"]]
    value = minor(scenario["settings"]["share_value"], digits)
    for mtg in result["meetings"]:
        m = {key: minor(mtg[key], digits) for key in (
            "loan_bag", "social_bag", "income", "social_fund", "savings", "loans_principal",
            "loans_interest", "fines_due_loan", "fines_due_social")}
        assert (m["loan_bag"] + m["loans_principal"] + m["loans_interest"] + m["fines_due_loan"]
                == m["savings"] + m["income"])
        assert m["social_bag"] + m["fines_due_social"] == m["social_fund"]
        assert m["loan_bag"] >= 0 and m["social_bag"] >= 0
        lines = mtg["members"]
        assert [line["id"] for line in lines] == [x["id"] for x in scenario["members"]]
        assert sum(minor(line["savings"], digits) for line in lines) == m["savings"]
        assert sum(line["shares"] for line in lines) * value == m["savings"]
        assert sum(minor(line["loan_principal"], digits) for line in lines) == m[
            "loans_principal"]
        assert sum(minor(line["fines_due"], digits) for line in lines) == (
            m["fines_due_loan"] + m["fines_due_social"])
    indicators = result["indicators"]
    assert minor(indicators["total_assets"], digits) == (
        minor(indicators["savings"], digits) + minor(indicators["net_income"], digits)
        + minor(indicators["social_fund"], digits))
    for loan in result["loans"]:
        installments = loan["installments"]
        assert sum(minor(i["principal_due"], digits) for i in installments) == minor(
            loan["principal"], digits)
        for i in installments:
            assert 0 <= minor(i["principal_paid"], digits) <= minor(i["principal_due"], digits)
            assert minor(i["interest_paid"], digits) <= minor(i["interest_due"] or "0", digits)
        parts = [minor(i["principal_due"], digits) for i in installments]
        assert max(parts) - min(parts) <= 1 and parts == sorted(parts, reverse=True)


@PROPERTY_SETTINGS
@given(cycles())
def test_the_books_balance_at_every_close(drawn: tuple[dict[str, Any], dict[str, Any]]) -> None:
    scenario, result = drawn
    _check_books(scenario, result)
    # the same scenario always gives the same result
    assert preview(copy.deepcopy(scenario)) == result


@PROPERTY_SETTINGS
@given(cycles())
def test_the_share_out_gives_out_exactly_the_equity(
        drawn: tuple[dict[str, Any], dict[str, Any]]) -> None:
    scenario, result = drawn
    share_out = result["share_out"]
    if share_out is None:
        assert result["social_fund_carried"] is None
        return
    digits = DIGITS[scenario["currency"]]
    value = minor(scenario["settings"]["share_value"], digits)
    unit = minor(scenario["settings"]["payout_unit"], digits)
    last = result["meetings"][-1]
    equity = minor(share_out["equity"], digits)
    income = minor(last["income"], digits)
    lines = share_out["members"]
    shares = [line["shares"] for line in lines]
    total = sum(shares)
    entitled = [minor(line["entitlement"], digits) for line in lines]
    set_off = [minor(line["set_off"], digits) for line in lines]
    cash = [minor(line["cash"], digits) for line in lines]
    residual = [minor(line["residual"], digits) for line in lines]
    loan_bag = minor(last["loan_bag"], digits)
    assert total == share_out["total_shares"] > 0
    assert equity == value * total + income == sum(entitled) == loan_bag + sum(set_off)
    assert sum(cash) + sum(residual) == loan_bag == minor(share_out["loan_bag"], digits)
    assert all(c % unit == 0 and c >= 0 and 0 <= r < unit
               for c, r in zip(cash, residual, strict=True))
    # largest remainder: each gets her exact share rounded down or up by one unit …
    exact = [Fraction(equity * s, total) for s in shares]
    assert all(e - x > -1 and e - x < 1 for e, x in zip(entitled, exact, strict=True))
    # … and of two with equal shares, the earlier in the passbook never gets less
    for a in range(len(lines)):
        for b in range(a + 1, len(lines)):
            if shares[a] == shares[b]:
                assert entitled[a] >= entitled[b]
    for line, e, s in zip(lines, entitled, shares, strict=True):
        assert minor(line["profit"], digits) == e - value * s
        assert minor(line["net"], digits) == e - minor(line["set_off"], digits)
    assert minor(result["social_fund_carried"], digits) == (
        minor(last["social_fund"], digits) + sum(residual))
    # after the share-out nothing is left on any savings, loan or fines balance
    assert all(loan["state"] != "active" for loan in result["loans"])
    assert minor(last["fines_due_social"], digits) == 0
