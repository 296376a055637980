"""The worked examples of the savings contract (spec/savings-preview.md, copied
into tests/data/savings) give exactly their stored results, whole documents
compared to the tyiyn and diram."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from coop.savings import preview

DATA = Path(__file__).resolve().parent.parent / "data" / "savings"
SCENARIOS = sorted(DATA.glob("*.scenario.json"))


def _load(path: Path) -> Any:
    return json.loads(path.read_text(encoding="utf-8"))


def _result(scenario: Path) -> Path:
    return scenario.with_name(scenario.name.replace(".scenario.json", ".result.json"))


def test_the_examples_are_there() -> None:
    # Guards against a moved folder silently turning the tests below into no tests.
    assert len(SCENARIOS) >= 3
    assert all(_result(s).exists() for s in SCENARIOS)


@pytest.mark.parametrize("scenario", SCENARIOS, ids=lambda p: p.name)
def test_example_gives_its_stored_result(scenario: Path) -> None:
    expected = _load(_result(scenario))

    result = preview(_load(scenario))

    assert result == expected
    # Through JSON too: what the API sends must be plain JSON and the same.
    assert json.loads(json.dumps(result)) == expected


def test_example_01_share_out_as_the_spec_prints_it() -> None:
    result = preview(_load(DATA / "01-four-meetings-flat.scenario.json"))
    share_out = result["share_out"]
    assert [m["cash"] for m in share_out["members"]] == [
        "1058.00", "846.00", "574.00", "846.00", "423.00"]
    assert [m["residual"] for m in share_out["members"]] == ["0.19", "0.56", "0.92", "0.55",
                                                            "0.28"]
    assert share_out["equity"] == "3809.50" and share_out["total_shares"] == 72
    assert result["social_fund_carried"] == "132.50"
    assert [m["loan_bag"] for m in result["meetings"]] == ["220.00", "456.50", "1883.00",
                                                           "3749.50"]
    assert [m["income"] for m in result["meetings"]] == ["73.00", "194.50", "209.50", "209.50"]
    # Bermet and Dinara hold 16 shares each; Bermet, earlier in the passbook, gets 0.01 more.
    bermet, dinara = share_out["members"][1], share_out["members"][3]
    assert bermet["shares"] == dinara["shares"] == 16
    assert (bermet["entitlement"], dinara["entitlement"]) == ("846.56", "846.55")


def test_example_03_stops_mid_cycle() -> None:
    result = preview(_load(DATA / "03-mid-cycle-no-share-out.scenario.json"))
    assert result["share_out"] is None and result["social_fund_carried"] is None
    indicators = result["indicators"]
    assert (indicators["attendance_in_person"], indicators["loans_outstanding"],
            indicators["interest_receivable"], indicators["loan_fund_utilisation"],
            indicators["par0"], indicators["return_on_savings"], indicators["total_assets"]) == (
        "93.3", "965.75", "60.75", "33.9", "79.3", "7.8", "2989.50")
    dinara = indicators["projected_share_out"][3]
    assert dinara == {"id": "dinara", "entitlement": "700.43", "net": "-116.07"}
