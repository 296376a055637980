"""The savings engine through its two doors: `POST /api/v1/savings/preview`
(signed in, as the split preview) and `flask coop savings-preview FILE`."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from tests.conftest import login
from tests.factories import make_group, make_member
from tests.web.test_api import conforms, problem

EXAMPLES = Path(__file__).resolve().parent.parent / "data" / "savings"
URL = "/api/v1/savings/preview"


def _example(name: str) -> dict:  # type: ignore[type-arg]
    return json.loads((EXAMPLES / name).read_text(encoding="utf-8"))


def test_the_api_gives_the_examples_results_to_a_signed_in_member(
        client: FlaskClient, session: Session) -> None:
    group = make_group(session)
    aigul = make_member(session, group, "Айгүл")
    session.commit()
    scenario = _example("02-declining-join-withdraw.scenario.json")
    assert client.post(URL, json=scenario).status_code == 401
    login(client, aigul.user.email)

    response = client.post(URL, json=scenario)

    assert response.status_code == 200
    body = conforms(client.application, response, "/savings/preview", "post")
    assert body == _example("02-declining-join-withdraw.result.json")
    # Mid-cycle: no share-out, and the document still describes the answer.
    mid = client.post(URL, json=_example("03-mid-cycle-no-share-out.scenario.json"))
    assert conforms(client.application, mid, "/savings/preview", "post")["share_out"] is None


def test_the_api_names_the_field_at_fault(client: FlaskClient, session: Session) -> None:
    group = make_group(session)
    aigul = make_member(session, group, "Айгүл", locale="en")
    session.commit()
    login(client, aigul.user.email)
    scenario = _example("01-four-meetings-flat.scenario.json")
    scenario["meetings"][1]["repayments"][0]["amount"] = "900"

    answer = problem(client.post(URL, json=scenario), 422,
                     "meetings[1].repayments[0].amount")

    assert "aigul owes 803.00; 900.00 is more" in answer["detail"]
    scenario = _example("01-four-meetings-flat.scenario.json")
    scenario["meetings"][0]["shares"][4] = 6
    problem(client.post(URL, json=scenario), 422, "meetings[0].shares[4]")
    problem(client.post(URL, json=[1, 2]), 422, "body")  # refused before the engine
    assert client.post(URL, data="{not json", content_type="application/json"
                       ).status_code == 422
    huge = b'{"currency": "KGS", "members": [' + b" " * (6 * 1024 * 1024) + b"]}"
    assert client.post(URL, data=huge, content_type="application/json").status_code == 413


@pytest.mark.parametrize(("locale", "message"), [
    ("ru", "aigul должна 803.00; 900.00 — больше"),
    ("ky", "aigul 803.00 карыз; 900.00 андан көп"),
    ("tg", "aigul 803.00 қарздор аст; 900.00 зиёдтар аст"),
])
def test_the_api_says_it_in_her_language(client: FlaskClient, session: Session, locale: str,
                                         message: str) -> None:
    group = make_group(session)
    member = make_member(session, group, "Айгүл", locale=locale)
    session.commit()
    login(client, member.user.email)
    scenario = _example("01-four-meetings-flat.scenario.json")
    scenario["meetings"][1]["repayments"][0]["amount"] = "900"

    answer = problem(client.post(URL, json=scenario), 422, "meetings[1].repayments[0].amount")

    assert answer["detail"] == f"meetings[1].repayments[0].amount: {message}"


def test_the_openapi_document_describes_the_preview(client: FlaskClient) -> None:
    document = client.get("/api/v1/openapi.json").get_json()
    operation = document["paths"]["/savings/preview"]["post"]
    assert operation["tags"] == ["savings"]
    schemas = document["components"]["schemas"]
    assert "shares" in schemas["SavingsScenario"]["properties"]["meetings"]["items"]["properties"]
    assert "share_out" in schemas["SavingsResult"]["properties"]


def test_the_cli_prints_the_result_or_one_line_and_exit_2(runner, tmp_path: Path
                                                           ) -> None:  # type: ignore[no-untyped-def]
    ok = runner.invoke(args=["coop", "savings-preview",
                             str(EXAMPLES / "01-four-meetings-flat.scenario.json")])
    assert ok.exit_code == 0, ok.output
    assert json.loads(ok.output) == _example("01-four-meetings-flat.result.json")

    scenario = _example("01-four-meetings-flat.scenario.json")
    scenario["settings"]["rate_bp"] = 2500
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps(scenario), encoding="utf-8")
    result = runner.invoke(args=["coop", "savings-preview", str(bad)])
    assert result.exit_code == 2
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: settings.rate_bp: ")
    junk = tmp_path / "junk.json"
    junk.write_bytes(b"\xff\xfe not json")
    result = runner.invoke(args=["coop", "savings-preview", str(junk)])
    assert result.exit_code == 2 and result.output.startswith("error: ")
    assert "Traceback" not in result.output
