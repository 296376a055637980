"""A group that adopts Coop in the middle of its cycle (spec/savings.md §4.3):
the engine started from the paper books' balances after meeting 2 of the
worked example gives the same meetings 3 and 4 and the same share-out as the
engine that saw the whole cycle."""

from __future__ import annotations

import copy
import json
from datetime import date
from pathlib import Path

import pytest

from coop.savings.domain import Opening, OpeningMember, ScenarioError, preview

EXAMPLE = Path(__file__).parents[1] / "data" / "savings" / "01-four-meetings-flat.scenario.json"


def _without_elmiras_fine() -> dict:  # type: ignore[type-arg]
    """Example 01 with no fine outstanding at meeting 2 (fines owed are settled
    on paper before adopting)."""
    scenario = json.loads(EXAMPLE.read_text())
    del scenario["meetings"][1]["fines"]
    del scenario["meetings"][2]["fine_payments"]
    return scenario


def test_adopting_after_meeting_2_gives_the_same_cycle() -> None:
    whole = preview(_without_elmiras_fine())
    adopted = copy.deepcopy(_without_elmiras_fine())
    adopted["meetings"] = adopted["meetings"][2:]
    opening = Opening(
        members={
            "aigul": OpeningMember(shares=10, loan_principal=36500, loan_interest=3650,
                                   due_dates=(date(2026, 5, 5),)),
            "bermet": OpeningMember(shares=8),
            "cholpon": OpeningMember(shares=6),
            "dinara": OpeningMember(shares=10, loan_principal=101500, loan_interest=10150,
                                    due_dates=(date(2026, 5, 5), date(2026, 6, 5))),
            "elmira": OpeningMember(shares=2),
        },
        income=17450, social_fund=9000)
    result = preview(adopted, opening)
    for theirs, ours in zip(whole["meetings"][2:], result["meetings"], strict=True):
        for key in ("loan_bag", "social_bag", "income", "social_fund", "savings",
                    "loans_principal", "loans_interest"):
            assert theirs[key] == ours[key], key
    assert result["share_out"]["members"] == whole["share_out"]["members"]
    assert result["social_fund_carried"] == whole["social_fund_carried"]
    assert opening.loan_bag(5000) == 45650  # the loan bag after meeting 2 (§10.1)


def test_balances_that_owe_more_than_the_box_holds_are_refused() -> None:
    scenario = _without_elmiras_fine()
    opening = Opening(members={"aigul": OpeningMember(
        shares=1, loan_principal=100000, due_dates=(date(2026, 5, 5),))})
    with pytest.raises(ScenarioError) as error:
        preview(scenario, opening)
    assert error.value.field == "opening"
