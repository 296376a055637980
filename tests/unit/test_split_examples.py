"""The worked examples of the split contract give exactly their stored results."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from coop.orders.split import ScenarioError, preview

DATA = Path(__file__).resolve().parent.parent / "data" / "split"
SCENARIOS = sorted(DATA.glob("*.scenario.json"))


def _load(path: Path) -> Any:
    return json.loads(path.read_text(encoding="utf-8"))


def _partner(scenario: Path, suffix: str) -> Path:
    return scenario.with_name(scenario.name.replace(".scenario.json", suffix))


def test_the_examples_are_there() -> None:
    # Guards against a moved folder silently turning the tests below into no tests.
    assert len(SCENARIOS) >= 3
    assert all(
        _partner(s, ".result.json").exists() or _partner(s, ".error.txt").exists()
        for s in SCENARIOS
    )


@pytest.mark.parametrize(
    "scenario", [s for s in SCENARIOS if _partner(s, ".result.json").exists()], ids=lambda p: p.name
)
def test_example_gives_its_stored_result(scenario: Path) -> None:
    expected = _load(_partner(scenario, ".result.json"))

    result = preview(_load(scenario))

    assert result == expected
    # Through JSON too: what the API sends must be plain JSON and the same.
    assert json.loads(json.dumps(result)) == expected


@pytest.mark.parametrize(
    "scenario", [s for s in SCENARIOS if _partner(s, ".error.txt").exists()], ids=lambda p: p.name
)
def test_bad_example_gives_its_stored_error(scenario: Path) -> None:
    expected = _load(_partner(scenario, ".error.txt"))["error"]

    with pytest.raises(ScenarioError) as caught:
        preview(_load(scenario))

    assert str(caught.value) == expected
