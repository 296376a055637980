"""Each rule of the savings contract (spec/savings-preview.md) on small cycles,
and the JSON path the engine names for each kind of bad input."""

from __future__ import annotations

import copy
from datetime import date
from typing import Any

import pytest

from coop.savings import ScenarioError, preview
from coop.savings.domain import add_months, percentage


def cycle(**settings: Any) -> dict[str, Any]:
    """Three members, share value 50, 10 % a month flat, loans in whole som."""
    return {
        "currency": "KGS",
        "settings": {"share_value": "50", "start_date": "2026-03-05",
                     "share_out_date": "2026-12-05", "loan_unit": "1", **settings},
        "members": [{"id": "aigul"}, {"id": "bermet"}, {"id": "cholpon"}],
        "meetings": [{"date": "2026-03-05", "shares": [5, 5, 5]}],
    }


def meeting(day: str, **entries: Any) -> dict[str, Any]:
    return {"date": day, **entries}


def fault(scenario: Any) -> ScenarioError:
    with pytest.raises(ScenarioError) as caught:
        preview(scenario)
    return caught.value


def field_of(scenario: Any) -> str:
    return fault(scenario).field


def money(result: dict[str, Any], k: int, name: str) -> str:
    return result["meetings"][k][name]


# --------------------------------------------------------------------------
# Numbers
# --------------------------------------------------------------------------


def test_add_months_keeps_the_day_or_takes_the_months_last() -> None:
    assert add_months(date(2026, 1, 31), 1) == date(2026, 2, 28)
    assert add_months(date(2028, 1, 31), 1) == date(2028, 2, 29)
    assert add_months(date(2026, 11, 30), 3) == date(2027, 2, 28)
    assert add_months(date(2026, 3, 5), 2) == date(2026, 5, 5)


def test_a_percentage_has_one_decimal_rounded_half_up_and_none_for_nothing() -> None:
    assert percentage(14, 15) == "93.3"
    assert percentage(-3853, 88000) == "-4.4"
    assert percentage(1, 1) == "100.0"
    assert percentage(1, 2000) == "0.1"  # 0.05 % rounds up to 0.1
    assert percentage(0, 5) == "0.0"
    assert percentage(5, 0) is None


@pytest.mark.parametrize("value", [50, "1,5", "1 000", "1e3", "0.001", "-5", "+5", "",
                                   "1000000000000"])
def test_a_money_string_is_digits_with_the_currencys_decimals(value: Any) -> None:
    scenario = cycle(social_contribution=value)
    assert field_of(scenario) == "settings.social_contribution"


def test_yen_have_no_decimals() -> None:
    scenario = cycle(share_value="50.5")
    scenario["currency"] = "JPY"
    assert field_of(scenario) == "settings.share_value"
    scenario["settings"].update(share_value="500")
    result = preview(scenario)
    assert result["meetings"][0]["savings"] == "7500"


def test_equal_remainders_go_to_the_earlier_member_in_the_passbook() -> None:
    # E = 3 × 50.00 + a 0.01 fine: the one tyiyn left goes to the first in the list.
    scenario = cycle(fine_types=[{"code": "late", "amount": "0.01"}])
    scenario["meetings"][0] = meeting("2026-03-05", shares=[1, 1, 1],
                                      fines=[{"member": "cholpon", "type": "late", "paid": True}])
    scenario["meetings"].append(meeting("2026-04-05", kind="share_out"))
    entitled = [m["entitlement"] for m in preview(scenario)["share_out"]["members"]]
    assert entitled == ["50.01", "50.00", "50.00"]
    scenario["members"].reverse()
    entitled = {m["id"]: m["entitlement"] for m in preview(scenario)["share_out"]["members"]}
    assert entitled == {"cholpon": "50.01", "bermet": "50.00", "aigul": "50.00"}


# --------------------------------------------------------------------------
# Input: shapes, settings, members, meetings
# --------------------------------------------------------------------------


@pytest.mark.parametrize(("change", "path"), [
    (lambda s: s.update(extra=1), "extra"),
    (lambda s: s["settings"].update(repayment="1"), "settings.repayment"),
    (lambda s: s["meetings"][0].update(repayment=[]), "meetings[0].repayment"),
    (lambda s: s["settings"].pop("share_value"), "settings.share_value"),
    (lambda s: s["meetings"][0].pop("date"), "meetings[0].date"),
    (lambda s: s.update(currency="XYZ"), "currency"),
    (lambda s: s["settings"].update(share_value="0"), "settings.share_value"),
    (lambda s: s["settings"].update(share_value="10000001"), "settings.share_value"),
    (lambda s: s["settings"].update(min_shares=3, max_shares=2), "settings.min_shares"),
    (lambda s: s["settings"].update(max_shares=21), "settings.max_shares"),
    (lambda s: s["settings"].update(rate_bp=2001), "settings.rate_bp"),
    (lambda s: s["settings"].update(rate_bp="500"), "settings.rate_bp"),
    (lambda s: s["settings"].update(rate_bp=True), "settings.rate_bp"),
    (lambda s: s["settings"].update(loan_multiple=0), "settings.loan_multiple"),
    (lambda s: s["settings"].update(max_term_months=13), "settings.max_term_months"),
    (lambda s: s["settings"].update(interest_method="reducing"), "settings.interest_method"),
    (lambda s: s["settings"].update(withdrawal_rule="all"), "settings.withdrawal_rule"),
    (lambda s: s["settings"].update(payout_unit="0"), "settings.payout_unit"),
    (lambda s: s["settings"].update(loan_unit="0.00"), "settings.loan_unit"),
    (lambda s: s["settings"].update(share_out_date="2026-03-05"), "settings.share_out_date"),
    (lambda s: s["settings"].update(share_out_date="2028-03-06"), "settings.share_out_date"),
    (lambda s: s["settings"].update(start_date="2026-02-30"), "settings.start_date"),
    (lambda s: s["settings"].update(fine_types=[{"code": "", "amount": "5"}]),
     "settings.fine_types[0].code"),
    (lambda s: s["settings"].update(fine_types=[{"code": "a", "amount": "5"},
                                                {"code": "a", "amount": "6"}]),
     "settings.fine_types[1].code"),
    (lambda s: s["settings"].update(fine_types=[{"code": "a", "amount": "0"}]),
     "settings.fine_types[0].amount"),
    (lambda s: s["settings"].update(fine_types=[{"code": "a", "amount": "1", "to_fund": "x"}]),
     "settings.fine_types[0].to_fund"),
    (lambda s: s["members"][2].update(id="aigul"), "members[2].id"),
    (lambda s: s["members"][2].update(id="x" * 65), "members[2].id"),
    (lambda s: s["members"][2].update(joined=2), "members[2].joined"),
    (lambda s: s["members"][2].update(joined=0), "members[2].joined"),
    (lambda s: s["members"][1].update(name="x" * 201), "members[1].name"),
    (lambda s: s.update(members=[{"id": "a"}]), "members"),
    (lambda s: s["meetings"].append(meeting("2026-04-05")) or [
        m.update(joined=2) for m in s["members"][1:]], "members"),
    (lambda s: s.update(members={"id": "a"}), "members"),
    (lambda s: s["meetings"].clear(), "meetings"),
    (lambda s: s["meetings"][0].update(date="2026-03-04"), "meetings[0].date"),
    (lambda s: s["meetings"].append(meeting("2026-03-05")), "meetings[1].date"),
    (lambda s: s["meetings"][0].update(kind="share_out") or s["meetings"].append(
        meeting("2026-04-05")), "meetings[0].kind"),
    (lambda s: s["meetings"][0].update(kind="special"), "meetings[0].kind"),
    (lambda s: s["meetings"][0].update(note=5), "meetings[0].note"),
    (lambda s: s["meetings"][0].update(absent=["dilnoza"]), "meetings[0].absent[0]"),
    (lambda s: s["meetings"][0].update(absent=["aigul"], represented=["aigul"]),
     "meetings[0].represented[0]"),
    (lambda s: s["meetings"][0].update(social="all"), "meetings[0].social"),
    (lambda s: s["meetings"][0].update(absent=["aigul"], social=["aigul"]),
     "meetings[0].social[0]"),
    (lambda s: s["meetings"][0].update(social=["bermet", "bermet"]), "meetings[0].social[1]"),
    (lambda s: s["meetings"][0].update(shares=[1, 1]), "meetings[0].shares"),
    (lambda s: s["meetings"][0].update(shares=[1, 1, 6]), "meetings[0].shares[2]"),
    (lambda s: s["meetings"][0].update(shares=[1, 1.0, 1]), "meetings[0].shares[1]"),
    (lambda s: s["meetings"][0].update(shares=[1, -1, 1]), "meetings[0].shares[1]"),
    (lambda s: s["meetings"][0].update(absent=["cholpon"]), None),
])
def test_bad_input_names_the_path_at_fault(change: Any, path: str | None) -> None:
    scenario = cycle()
    change(scenario)
    if path is None:  # cholpon absent but buying shares
        path = "meetings[0].shares[2]"
    assert field_of(scenario) == path


def test_the_scenario_must_be_an_object() -> None:
    assert field_of([1]) == "$"
    assert field_of("x") == "$"


def test_the_first_fault_in_reading_order_is_reported() -> None:
    scenario = cycle(rate_bp=-1)
    scenario["members"][0]["id"] = ""
    assert field_of(scenario) == "settings.rate_bp"  # settings before members
    scenario = cycle()
    scenario["meetings"][0].update(shares=[9, 9, 9], absent=["nobody"])
    assert field_of(scenario) == "meetings[0].absent[0]"  # roll call before shares


def test_min_shares_and_zero() -> None:
    scenario = cycle(min_shares=2, max_shares=4)
    scenario["meetings"][0]["shares"] = [1, 0, 2]
    assert field_of(scenario) == "meetings[0].shares[0]"
    scenario["meetings"][0]["shares"] = [4, 0, 2]
    assert money(preview(scenario), 0, "savings") == "300.00"


def test_a_member_joining_later_takes_no_part_before() -> None:
    scenario = cycle()
    scenario["members"][2]["joined"] = 2
    scenario["meetings"].append(meeting("2026-04-05", shares=[1, 1, 3]))
    scenario["meetings"][0]["shares"] = [1, 1, 1]
    assert field_of(scenario) == "meetings[0].shares[2]"
    scenario["meetings"][0]["shares"] = [1, 1, 0]
    scenario["meetings"][0]["fines"] = [{"member": "cholpon", "type": "late"}]
    assert field_of(scenario) == "meetings[0].fines[0].member"
    scenario["meetings"][0].pop("fines")
    result = preview(scenario)
    first, second = (m["members"][2] for m in result["meetings"])
    assert (first["state"], first["attendance"], first["social"]) == ("not_joined", None, "0.00")
    assert (second["state"], second["attendance"], second["shares"]) == ("active", "present", 3)
    assert result["indicators"]["members_at_start"] == 2


# --------------------------------------------------------------------------
# Social fund, grants, differences
# --------------------------------------------------------------------------


def test_social_contributions_attending_none_or_a_list() -> None:
    scenario = cycle(social_contribution="10")
    scenario["meetings"][0].update(represented=["bermet"], absent=["cholpon"], shares=[1, 1, 0])
    scenario["meetings"] += [meeting("2026-04-05", social="none"),
                             meeting("2026-05-05", social=["cholpon"])]
    result = preview(scenario)
    assert [money(result, k, "social_fund") for k in range(3)] == ["20.00", "20.00", "30.00"]
    assert [m["social"] for m in result["meetings"][0]["members"]] == ["10.00", "10.00", "0.00"]


def test_grants_only_from_the_social_bag_in_hand() -> None:
    scenario = cycle(social_contribution="10")
    scenario["meetings"][0]["grants"] = [{"member": "aigul", "amount": "20"},
                                         {"member": "bermet", "amount": "10.01"}]
    error = fault(scenario)
    assert error.field == "meetings[0].grants[1].amount"
    assert "10.00" in error.message
    scenario["meetings"][0]["grants"][1]["amount"] = "10"
    result = preview(scenario)
    assert money(result, 0, "social_bag") == "0.00"
    assert result["indicators"]["grants_count"] == 2 and result["indicators"]["grants"] == "30.00"
    scenario["meetings"][0]["grants"][1]["amount"] = "0"
    assert field_of(scenario) == "meetings[0].grants[1].amount"


def test_cash_differences_move_income_or_the_social_fund_never_below_zero() -> None:
    scenario = cycle(social_contribution="10")
    scenario["meetings"][0]["differences"] = [{"bag": "loan", "amount": "-0.50"},
                                              {"bag": "social", "amount": "1"}]
    result = preview(scenario)
    assert (money(result, 0, "loan_bag"), money(result, 0, "income")) == ("749.50", "-0.50")
    assert (money(result, 0, "social_bag"), money(result, 0, "social_fund")) == ("31.00",
                                                                                 "31.00")
    scenario["meetings"][0]["differences"] = [{"bag": "social", "amount": "-30.01"}]
    assert field_of(scenario) == "meetings[0].differences[0].amount"
    scenario["meetings"][0]["differences"] = [{"bag": "loan", "amount": "0"}]
    assert field_of(scenario) == "meetings[0].differences[0].amount"
    scenario["meetings"][0]["differences"] = [{"bag": "box", "amount": "1"}]
    assert field_of(scenario) == "meetings[0].differences[0].bag"


# --------------------------------------------------------------------------
# Loans and repayments
# --------------------------------------------------------------------------


def test_a_flat_loan_posts_all_its_interest_at_disbursement() -> None:
    scenario = cycle(rate_bp=500)
    scenario["meetings"][0]["loans"] = [{"member": "aigul", "principal": "100", "months": 3}]
    result = preview(scenario)
    [loan] = result["loans"]
    assert [i["principal_due"] for i in loan["installments"]] == ["33.34", "33.33", "33.33"]
    assert [i["interest_due"] for i in loan["installments"]] == ["5.00"] * 3
    assert [i["due_date"] for i in loan["installments"]] == ["2026-04-05", "2026-05-05",
                                                             "2026-06-05"]
    assert loan["interest_charged"] == "15.00" and money(result, 0, "income") == "15.00"
    assert money(result, 0, "loan_bag") == "650.00"


def test_repayments_go_installment_by_installment_interest_first() -> None:
    scenario = cycle(rate_bp=500)
    scenario["meetings"][0]["loans"] = [{"member": "aigul", "principal": "100", "months": 2}]
    scenario["meetings"].append(meeting("2026-04-05", repayments=[
        {"member": "aigul", "amount": "60"}]))
    result = preview(scenario)
    [line] = result["meetings"][1]["repayments"]
    # inst. 1: 5.00 interest + 50.00 principal; then inst. 2: 5.00 interest first
    assert (line["interest"], line["principal"]) == ("10.00", "50.00")
    assert result["meetings"][1]["members"][0]["due"] == "55.00"
    assert result["meetings"][1]["members"][0]["loan_principal"] == "50.00"


def test_a_repayment_above_what_she_owes_is_refused_never_kept_as_credit() -> None:
    scenario = cycle(rate_bp=500)
    scenario["meetings"][0]["loans"] = [{"member": "aigul", "principal": "100", "months": 2}]
    scenario["meetings"].append(meeting("2026-04-05", repayments=[
        {"member": "aigul", "amount": "110.01"}]))
    error = fault(scenario)
    assert error.field == "meetings[1].repayments[0].amount"
    assert error.message == "aigul owes 110.00; 110.01 is more"
    for amount in ("0", "-1", 5):
        scenario["meetings"][1]["repayments"][0]["amount"] = amount
        assert field_of(scenario) == "meetings[1].repayments[0].amount"
    scenario["meetings"][1]["repayments"][0] = {"member": "bermet", "amount": "1"}
    assert field_of(scenario) == "meetings[1].repayments[0].member"
    scenario["meetings"][1]["repayments"][0] = {"member": "aigul", "amount": "1"}
    scenario["meetings"][1]["absent"] = ["aigul"]
    assert field_of(scenario) == "meetings[1].repayments[0].member"
    scenario["meetings"][1]["absent"], scenario["meetings"][1]["represented"] = [], ["aigul"]
    assert preview(scenario)["meetings"][1]["repayments"][0]["amount"] == "1.00"


def test_paid_in_full_the_loan_is_repaid_and_she_may_borrow_again_the_same_day() -> None:
    scenario = cycle(rate_bp=0)
    scenario["meetings"][0]["loans"] = [{"member": "aigul", "principal": "100", "months": 2}]
    scenario["meetings"].append(meeting("2026-04-05", repayments=[
        {"member": "aigul", "amount": "100"}], loans=[
        {"member": "aigul", "principal": "200", "months": 1}]))
    result = preview(scenario)
    first, second = result["loans"]
    assert (first["state"], first["closed_meeting"]) == ("repaid", 2)
    assert (second["state"], second["meeting"]) == ("active", 2)


@pytest.mark.parametrize(("loan", "attendance", "path"), [
    ({"member": "aigul", "principal": "100", "months": 1}, {"represented": ["aigul"]},
     "meetings[0].loans[0].member"),
    ({"member": "aigul", "principal": "100", "months": 1}, {"absent": ["aigul"]},
     "meetings[0].loans[0].member"),
    ({"member": "aigul", "principal": "100.50", "months": 1}, {},
     "meetings[0].loans[0].principal"),
    ({"member": "aigul", "principal": "0", "months": 1}, {}, "meetings[0].loans[0].principal"),
    ({"member": "aigul", "principal": "751", "months": 1}, {},
     "meetings[0].loans[0].principal"),
    ({"member": "aigul", "principal": "100", "months": 4}, {}, "meetings[0].loans[0].months"),
    ({"member": "aigul", "principal": "100", "months": 0}, {}, "meetings[0].loans[0].months"),
    ({"member": "aigul", "principal": "100"}, {}, "meetings[0].loans[0].months"),
    ({"member": "aigul", "principal": "100", "months": 1, "purpose": "x" * 501}, {},
     "meetings[0].loans[0].purpose"),
])
def test_a_loan_is_refused_for_each_rule(loan: dict[str, Any], attendance: dict[str, Any],
                                         path: str) -> None:
    scenario = cycle()
    scenario["meetings"][0].update(loans=[loan], **attendance)
    if attendance:
        scenario["meetings"][0]["shares"] = [0, 5, 5]
    assert field_of(scenario) == path


def test_the_loan_limit_counts_the_shares_bought_today_and_names_the_figures() -> None:
    scenario = cycle(loan_unit="10")
    scenario["meetings"][0]["loans"] = [{"member": "aigul", "principal": "750", "months": 1}]
    assert preview(scenario)["loans"][0]["principal"] == "750.00"  # 3.00 × 250.00
    scenario["meetings"][0]["loans"][0]["principal"] = "760"
    error = fault(scenario)
    assert error.field == "meetings[0].loans[0].principal"
    assert error.message == "aigul can borrow at most 750.00 (3.00 × her savings 250.00)"


def test_loans_are_limited_by_the_cash_in_the_loan_bag_at_that_point() -> None:
    scenario = cycle()
    scenario["meetings"][0]["loans"] = [{"member": "aigul", "principal": "500", "months": 1},
                                        {"member": "bermet", "principal": "251", "months": 1}]
    error = fault(scenario)
    assert error.field == "meetings[0].loans[1].principal"
    assert "250.00" in error.message
    scenario["meetings"][0]["loans"].append({"member": "aigul", "principal": "1",
                                             "months": 1})
    scenario["meetings"][0]["loans"][1]["principal"] = "250"
    assert field_of(scenario) == "meetings[0].loans[2].member"  # a second active loan


def test_no_installment_may_fall_due_after_the_share_out_date() -> None:
    scenario = cycle(share_out_date="2026-05-04")
    scenario["meetings"][0]["loans"] = [{"member": "aigul", "principal": "100", "months": 2}]
    assert field_of(scenario) == "meetings[0].loans[0].months"
    scenario["settings"]["share_out_date"] = "2026-05-05"
    assert preview(scenario)["loans"][0]["installments"][1]["due_date"] == "2026-05-05"


def test_declining_interest_falls_due_with_each_installment_on_the_same_balance() -> None:
    scenario = cycle(interest_method="declining", rate_bp=300)
    scenario["meetings"][0]["loans"] = [{"member": "aigul", "principal": "100", "months": 3}]
    # No meeting in April: two installments fall due on 2026-05-20, each on 100.00.
    scenario["meetings"].append(meeting("2026-05-20", repayments=[
        {"member": "aigul", "amount": "72.67"}]))
    result = preview(scenario)
    assert money(result, 0, "income") == "0.00" and money(result, 0, "interest_charged") == "0.00"
    assert money(result, 1, "interest_charged") == "6.00"
    [loan] = result["loans"]
    assert [i["interest_due"] for i in loan["installments"]] == ["3.00", "3.00", None]
    assert [i["falls_due_meeting"] for i in loan["installments"]] == [2, 2, None]
    assert result["meetings"][1]["members"][0]["due"] == "72.67"
    assert result["meetings"][1]["members"][0]["overdue"] == "0.00"


def test_declining_prepaid_principal_bears_no_interest_and_overdue_is_counted_in_days() -> None:
    scenario = cycle(interest_method="declining", rate_bp=300)
    scenario["meetings"][0]["loans"] = [{"member": "aigul", "principal": "90", "months": 3}]
    scenario["meetings"] += [
        meeting("2026-04-05", repayments=[{"member": "aigul", "amount": "62.70"}]),
        meeting("2026-05-09"),
    ]
    result = preview(scenario)
    loan = result["loans"][0]
    # 62.70 = 2.70 interest + 30.00 + 30.00 principal ahead: 30.00 left.
    assert loan["installments"][1]["interest_due"] == "0.90"  # 3 % of 30.00
    third = result["meetings"][2]["members"][0]
    assert (third["loan_principal"], third["loan_interest"]) == ("30.00", "0.90")
    # installment 2 (due 05-05) is unpaid: its 0.90 interest is overdue for 4 days
    assert (third["overdue"], third["days_overdue"]) == ("0.90", 4)
    assert result["indicators"]["par0"] == "100.0" and result["indicators"]["par30"] == "0.0"


# --------------------------------------------------------------------------
# Fines and write-offs
# --------------------------------------------------------------------------


def test_fines_are_due_paid_earliest_first_or_waived() -> None:
    scenario = cycle()
    scenario["meetings"][0].update(absent=["cholpon"], shares=[5, 5, 0], fines=[
        {"member": "cholpon", "type": "absent"},
        {"member": "cholpon", "type": "absent", "amount": "30"}])
    scenario["meetings"].append(meeting("2026-04-05", fine_payments=[
        {"member": "cholpon", "type": "absent"}]))
    result = preview(scenario)
    assert money(result, 0, "fines_due_loan") == "50.00" and money(result, 0, "income") == "50.00"
    # the earliest (20.00) is paid first
    assert money(result, 1, "fines_due_loan") == "30.00"
    assert money(result, 1, "loan_bag") == "520.00"
    scenario["meetings"][1]["fine_waivers"] = [{"member": "cholpon", "type": "absent"}]
    result = preview(scenario)
    assert money(result, 1, "fines_due_loan") == "0.00" and money(result, 1, "income") == "20.00"
    scenario["meetings"][1]["fine_waivers"].append({"member": "cholpon", "type": "absent"})
    assert field_of(scenario) == "meetings[1].fine_waivers[1].type"


@pytest.mark.parametrize(("entries", "path"), [
    ({"fines": [{"member": "aigul", "type": "noisy"}]}, "meetings[0].fines[0].type"),
    ({"fines": [{"member": "aigul", "type": "late", "amount": "0"}]},
     "meetings[0].fines[0].amount"),
    ({"fines": [{"member": "aigul", "type": "late", "paid": "yes"}]}, "meetings[0].fines[0].paid"),
    ({"fines": [{"member": "cholpon", "type": "late", "paid": True}]},
     "meetings[0].fines[0].paid"),
    ({"fine_payments": [{"member": "aigul", "type": "late"}]},
     "meetings[0].fine_payments[0].type"),
    ({"fines": [{"member": "cholpon", "type": "late"}],
      "fine_payments": [{"member": "cholpon", "type": "late"}]},
     "meetings[0].fine_payments[0].member"),
    ({"fine_waivers": [{"member": "aigul", "type": "late"}]},
     "meetings[0].fine_waivers[0].type"),
    ({"write_offs": [{"member": "aigul"}]}, "meetings[0].write_offs[0].member"),
    ({"grants": [{"member": "zuhra", "amount": "1"}]}, "meetings[0].grants[0].member"),
])
def test_fines_write_offs_and_grants_refused(entries: dict[str, Any], path: str) -> None:
    scenario = cycle()
    scenario["meetings"][0].update(absent=["cholpon"], shares=[5, 5, 0], **entries)
    assert field_of(scenario) == path


def test_a_write_off_charges_what_she_owes_to_income() -> None:
    scenario = cycle(rate_bp=500)
    scenario["meetings"][0]["loans"] = [{"member": "aigul", "principal": "100", "months": 2}]
    scenario["meetings"].append(meeting("2026-04-05", absent=["aigul"],
                                        write_offs=[{"member": "aigul", "reason": "left"}]))
    result = preview(scenario)
    assert result["meetings"][1]["write_offs"] == [
        {"member": "aigul", "loan": 1, "principal": "100.00", "interest": "10.00"}]
    assert money(result, 1, "income") == "-100.00"  # 10.00 interest − 110.00 written off
    assert result["loans"][0]["state"] == "written_off"
    assert result["indicators"]["written_off"] == "100.00"
    assert result["indicators"]["write_off_ratio"] == "100.0"


# --------------------------------------------------------------------------
# Withdrawal
# --------------------------------------------------------------------------


def test_a_withdrawal_pays_her_savings_less_her_debt_in_payout_units() -> None:
    scenario = cycle(rate_bp=500, payout_unit="5")
    scenario["meetings"][0]["loans"] = [{"member": "bermet", "principal": "100", "months": 1}]
    scenario["meetings"].append(meeting("2026-04-05", shares=[0, 0, 1], fines=[
        {"member": "bermet", "type": "late", "amount": "1.50"}],
        withdrawals=[{"member": "bermet"}]))
    result = preview(scenario)
    [out] = result["meetings"][1]["withdrawals"]
    # 250.00 − (105.00 loan + 1.50 fine) = 143.50: 140.00 in cash, 3.50 to the social fund
    assert out == {"member": "bermet", "shares": 5, "savings": "250.00", "profit": "0.00",
                   "set_off": "106.50", "net": "143.50", "cash": "140.00",
                   "residual": "3.50"}
    assert money(result, 1, "social_fund") == "3.50" and money(result, 1, "savings") == "550.00"
    assert result["loans"][0]["state"] == "set_off"
    assert result["meetings"][1]["members"][1]["state"] == "withdrawn"
    scenario["meetings"].append(meeting("2026-05-05", absent=["bermet"]))
    assert field_of(scenario) == "meetings[2].absent[0]"


def test_with_profit_she_takes_her_part_of_the_income_or_the_loss() -> None:
    scenario = cycle(withdrawal_rule="with_profit", fine_types=[
        {"code": "late", "amount": "1"}])
    scenario["meetings"][0]["shares"] = [1, 1, 1]
    scenario["meetings"][0]["fines"] = [{"member": "aigul", "type": "late", "paid": True}]
    scenario["meetings"].append(meeting("2026-04-05", withdrawals=[{"member": "aigul"}]))
    out = preview(scenario)["meetings"][1]["withdrawals"][0]
    assert (out["profit"], out["net"]) == ("0.34", "50.34")  # 1.00 over 3 shares, tie-break
    scenario["meetings"][1]["differences"] = [{"bag": "loan", "amount": "-3"}]
    scenario["meetings"][1]["withdrawals"] = []
    scenario["meetings"].append(meeting("2026-05-05", withdrawals=[{"member": "cholpon"}]))
    out = preview(scenario)["meetings"][2]["withdrawals"][0]
    assert out["profit"] == "-0.66"  # −2.00 over 3 shares: −0.67, −0.67, −0.66


def test_a_withdrawal_is_refused_while_she_owes_more_or_a_social_fine() -> None:
    scenario = cycle(fine_types=[{"code": "welfare", "amount": "5", "to_fund": "social"}])
    scenario["meetings"][0]["loans"] = [{"member": "aigul", "principal": "750", "months": 1}]
    scenario["meetings"].append(meeting("2026-04-05", shares=[5, 5, 5],
                                        withdrawals=[{"member": "aigul"}]))
    assert field_of(scenario) == "meetings[1].withdrawals[0].member"  # owes 825 > 500
    scenario["meetings"][1]["withdrawals"] = [{"member": "bermet"}]
    scenario["meetings"][1]["fines"] = [{"member": "bermet", "type": "welfare"}]
    assert field_of(scenario) == "meetings[1].withdrawals[0].member"
    scenario["meetings"][1]["fines"][0]["paid"] = True
    assert preview(scenario)["meetings"][1]["withdrawals"][0]["cash"] == "500.00"
    scenario["meetings"][1].update(absent=["bermet"], shares=[5, 0, 5])
    scenario["meetings"][1].pop("fines")
    assert field_of(scenario) == "meetings[1].withdrawals[0].member"


# --------------------------------------------------------------------------
# Share-out
# --------------------------------------------------------------------------


def test_no_loans_or_withdrawals_at_the_share_out_meeting() -> None:
    scenario = cycle()
    scenario["meetings"].append(meeting("2026-04-05", kind="share_out", loans=[
        {"member": "aigul", "principal": "1", "months": 1}]))
    assert field_of(scenario) == "meetings[1].loans"
    scenario["meetings"][1] = meeting("2026-04-05", kind="share_out",
                                      withdrawals=[{"member": "aigul"}])
    assert field_of(scenario) == "meetings[1].withdrawals"


def test_the_share_out_is_refused_when_a_debt_exceeds_her_entitlement() -> None:
    scenario = cycle(rate_bp=1000)
    scenario["meetings"][0]["shares"] = [1, 5, 5]
    scenario["meetings"][0]["loans"] = [{"member": "aigul", "principal": "150", "months": 1}]
    scenario["meetings"].append(meeting("2026-04-05", kind="share_out"))
    error = fault(scenario)
    assert error.field == "meetings[1]"
    assert "aigul 165.00 > 51.36" in error.message
    scenario["meetings"][1]["write_offs"] = [{"member": "aigul"}]
    result = preview(scenario)
    # E = 550.00 + 15.00 interest − 165.00 written off
    assert result["share_out"]["equity"] == "400.00"
    assert result["loans"][0]["state"] == "written_off"


def test_the_share_out_sets_off_debts_and_carries_the_social_fund() -> None:
    scenario = cycle(rate_bp=1000, payout_unit="10", social_contribution="1")
    scenario["meetings"][0]["loans"] = [{"member": "aigul", "principal": "100", "months": 1}]
    scenario["meetings"][0]["fines"] = [{"member": "bermet", "type": "late"}]
    scenario["meetings"].append(meeting("2026-04-05", kind="share_out"))
    result = preview(scenario)
    share_out = result["share_out"]
    # E = 750.00 + 10.00 interest + 5.00 fine = 765.00 over 5/5/5 shares
    assert share_out["equity"] == "765.00"
    lines = share_out["members"]
    assert [m["set_off"] for m in lines] == ["110.00", "5.00", "0.00"]
    assert [m["cash"] for m in lines] == ["140.00", "250.00", "250.00"]
    assert [m["residual"] for m in lines] == ["5.00", "0.00", "5.00"]
    assert share_out["residual_total"] == "10.00"
    assert result["social_fund_carried"] == "16.00"  # 6.00 contributions + 10.00 residuals
    assert result["loans"][0]["state"] == "set_off"


def test_the_share_out_waits_for_social_fines_and_needs_shares() -> None:
    scenario = cycle(fine_types=[{"code": "welfare", "amount": "5", "to_fund": "social"}])
    scenario["meetings"].append(meeting("2026-04-05", kind="share_out", fines=[
        {"member": "aigul", "type": "welfare"}]))
    assert field_of(scenario) == "meetings[1]"
    scenario["meetings"][1]["fine_waivers"] = [{"member": "aigul", "type": "welfare"}]
    assert preview(scenario)["social_fund_carried"] == "0.00"
    nothing = cycle(min_shares=0)
    nothing["meetings"][0]["shares"] = [0, 0, 0]
    nothing["meetings"].append(meeting("2026-04-05", kind="share_out"))
    assert field_of(nothing) == "meetings[1]"
    assert preview(copy.deepcopy(nothing) | {"meetings": nothing["meetings"][:1]}
                   )["indicators"]["projected_share_out"] is None


# --------------------------------------------------------------------------
# Indicators
# --------------------------------------------------------------------------


def test_indicators_attendance_over_the_last_four_meetings() -> None:
    scenario = cycle()
    scenario["meetings"][0]["absent"] = ["cholpon"]
    scenario["meetings"][0]["shares"] = [1, 1, 0]
    scenario["meetings"] += [meeting(f"2026-0{m}-05", represented=["bermet"])
                             for m in (4, 5, 6, 7)]
    indicators = preview(scenario)["indicators"]
    # the first meeting (one absent) is out of the window: 8 of 12 in person, 12 with proxies
    assert indicators["attendance_in_person"] == "66.7"
    assert indicators["attendance_with_representative"] == "100.0"
    assert indicators["savings_per_member"] == "33.33"
    assert indicators["average_loan"] is None and indicators["loans_disbursed_count"] == 0
    assert indicators["return_on_savings"] == "0.0"
