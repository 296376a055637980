"""The savings JSON API: example 01 of spec/savings.md §10 entered entirely
through the API gives the spec's share-out; bad input is a 422 problem naming
the field, with nothing written; who may read and who may change; a second
close or reopen is 409. Every answer is checked against the OpenAPI document."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from coop.ledger.checks import check_books
from coop.ledger.models import Posting
from coop.savings.models import SavingsCycle, SavingsLoan
from tests.factories import make_api_token, make_group, make_member
from tests.savings_factory import DATES, NAMES, SHARES
from tests.web.test_api import API, bearer, conforms, problem

CYCLE = "/groups/{group_id}/savings/cycles/{cycle_id}"
MEETING = CYCLE + "/meetings/{meeting_id}"
SETTINGS = {"start_date": "2026-03-05", "share_out_date": "2026-06-05", "share_value": "50.00",
            "min_shares": 1, "max_shares": 5, "social_contribution": "10.00",
            "interest_method": "flat", "rate_bp": 500, "loan_multiple": 300,
            "max_term_months": 3, "loan_unit": "1.00", "payout_unit": "1.00",
            "fine_types": [{"code": "absent", "name": "Пропуск собрания", "amount": "20.00"},
                           {"code": "late", "name": "Опоздание", "amount": "5.00"}]}


class Api:
    """A client with a token, whose answers are checked against the document."""

    def __init__(self, app: Flask, token: str) -> None:
        self.app, self.client, self.headers = app, app.test_client(), bearer(token)

    def call(self, method: str, path: str, status: int, json: Any = None,
             **ids: int) -> Any:
        response = self.client.open(API + path.format(**ids), method=method, json=json,
                                    headers=self.headers)
        assert response.status_code == status, response.get_data(as_text=True)[:800]
        return conforms(self.app, response, path, method.lower())


@pytest.fixture()
def world(app_ctx: Flask, session: Session) -> SimpleNamespace:
    group = make_group(session)
    treasurer = make_member(session, group, "Гүлнара", role="treasurer")
    members = [make_member(session, group, name) for name in NAMES]
    other = make_group(session)
    outsider = make_member(session, other, "Фарангис", role="treasurer")
    tokens = {"treasurer": make_api_token(session, treasurer.user),
              "aigul": make_api_token(session, members[0].user),
              "bermet": make_api_token(session, members[1].user),
              "outsider": make_api_token(session, outsider.user)}
    session.commit()
    return SimpleNamespace(group=group, treasurer=treasurer, members=members,
                           api={who: Api(app_ctx, token) for who, token in tokens.items()})


def set_up_cycle(w: SimpleNamespace, **settings: Any) -> dict[str, Any]:
    """Example 01's cycle through the API: created, five members, three key-holders, active."""
    api, gid = w.api["treasurer"], w.group.id
    cycle = api.call("POST", "/groups/{group_id}/savings/cycles", 201,
                     {**SETTINGS, **settings}, group_id=gid)
    assert cycle["state"] == "draft" and cycle["settings"]["share_value"] == "50.00"
    for n, membership in enumerate(w.members, start=1):
        member = api.call("POST", CYCLE + "/members", 201, {"membership_id": membership.id},
                          group_id=gid, cycle_id=cycle["id"])
        assert member["passbook_no"] == n and member["state"] == "active"
    api.call("PUT", CYCLE + "/key-holders", 200,
             {"membership_ids": [w.members[i].id for i in (1, 2, 4)]},
             group_id=gid, cycle_id=cycle["id"])
    cycle = api.call("POST", CYCLE + "/activate", 200, {}, group_id=gid, cycle_id=cycle["id"])
    assert cycle["state"] == "active" and len(cycle["key_holders"]) == 3
    return cycle


def hold_meeting(w: SimpleNamespace, cycle: dict[str, Any], k: int, *,
                 close_it: bool = True) -> dict[str, Any]:
    """Meeting k (1..4) of §10.1, entered through the API and (by default) closed."""
    api, gid = w.api["treasurer"], w.group.id
    ids = {"group_id": gid, "cycle_id": cycle["id"]}
    member = {m["name"].rsplit(" ", 1)[0]: m["id"] for m in cycle["members"]}
    types = {t["code"]: t["id"] for t in cycle["fine_types"]}
    meeting = api.call("POST", CYCLE + "/meetings", 201,
                       {"date": DATES[k - 1].isoformat(),
                        "kind": "share_out" if k == 4 else "regular"}, **ids)
    ids["meeting_id"] = meeting["id"]
    absent = {"Элмира"} if k == 2 else set()
    repayments = {2: {"Айгүл": "401.50"}, 3: {"Айгүл": "401.50", "Динара": "300.00"},
                  4: {"Динара": "816.50", "Чолпон": "150.00"}}.get(k, {})
    api.call("PUT", MEETING + "/register", 200, {"lines": [
        {"member_id": member[name], "status": "absent" if name in absent else "present",
         "shares": SHARES[k - 1][j], **({"repayment": repayments[name]}
                                        if name in repayments else {})}
        for j, name in enumerate(NAMES)]}, **ids)
    if k == 1:
        api.call("POST", MEETING + "/loans", 201, {"member_id": member["Айгүл"],
                                                   "principal": "730.00", "months": 2,
                                                   "purpose": "семена"}, **ids)
    if k == 2:
        api.call("POST", MEETING + "/fines", 201, {"member_id": member["Элмира"],
                                                   "fine_type_id": types["absent"]}, **ids)
        api.call("POST", MEETING + "/loans", 201, {"member_id": member["Динара"],
                                                   "principal": "1015.00", "months": 2,
                                                   "purpose": "овца"}, **ids)
    if k == 3:
        api.call("POST", MEETING + "/fine-payments", 201,
                 {"member_id": member["Элмира"], "fine_type_id": types["absent"]}, **ids)
        api.call("POST", MEETING + "/fines", 201, {"member_id": member["Бермет"],
                                                   "fine_type_id": types["late"],
                                                   "paid": True}, **ids)
        api.call("POST", MEETING + "/grants", 201, {"member_id": member["Чолпон"],
                                                    "amount": "60.00", "reason": "болезнь"},
                 **ids)
        api.call("POST", MEETING + "/loans", 201, {"member_id": member["Чолпон"],
                                                   "principal": "200.00", "months": 1}, **ids)
    meeting = api.call("GET", MEETING, 200, **ids)
    if close_it:
        meeting = close(w, cycle, meeting)
    return meeting


def close_body(cycle: dict[str, Any], meeting: dict[str, Any]) -> dict[str, Any]:
    cash = meeting["expected_cash"]
    return {"opening_loan": cash["loan"]["opening"], "opening_social": cash["social"]["opening"],
            "closing_loan": cash["loan"]["closing"], "closing_social": cash["social"]["closing"],
            "key_holder_ids": [h["id"] for h in cycle["key_holders"][:2]]}


def close(w: SimpleNamespace, cycle: dict[str, Any], meeting: dict[str, Any],
          status: int = 200) -> dict[str, Any]:
    return w.api["treasurer"].call("POST", MEETING + "/close", status,
                                   close_body(cycle, meeting), group_id=w.group.id,
                                   cycle_id=cycle["id"], meeting_id=meeting["id"])


def test_example_01_through_the_api_gives_the_share_out_of_the_spec(
        world: SimpleNamespace, session: Session) -> None:
    w, api = world, world.api["treasurer"]
    cycle = set_up_cycle(w)
    bags = []
    for k in (1, 2, 3, 4):
        meeting = hold_meeting(w, cycle, k)
        assert meeting["state"] == "closed"
        figures = meeting["figures"]
        bags.append((figures["loan_bag"], figures["social_bag"], figures["income"]))
    # §10.1: the bags and the income at each close
    assert bags[:3] == [("220.00", "50.00", "73.00"), ("456.50", "90.00", "194.50"),
                        ("1883.00", "80.00", "209.50")]
    ids = {"group_id": w.group.id, "cycle_id": cycle["id"]}
    cycle = api.call("GET", CYCLE, 200, **ids)
    assert cycle["state"] == "closed"
    share_out = cycle["share_out"]
    assert [m["cash"] for m in share_out["members"]] == [
        "1058.00", "846.00", "574.00", "846.00", "423.00"]
    assert [m["residual"] for m in share_out["members"]] == [
        "0.19", "0.56", "0.92", "0.55", "0.28"]
    assert cycle["social_fund_carried"] == "132.50"
    assert {m["state"] for m in cycle["members"]} == {"shared_out"}
    # her passbook: a line at every closed meeting, her loan with its installments
    aigul = cycle["members"][0]
    passbook = w.api["aigul"].call("GET", CYCLE + "/members/{member_id}/passbook", 200,
                                   member_id=aigul["id"], **ids)
    assert [line["shares"] for line in passbook["lines"]] == [5, 10, 15, 20]
    assert [line["savings"] for line in passbook["lines"]] == [
        "250.00", "500.00", "750.00", "1000.00"]
    [loan] = passbook["loans"]
    assert loan["principal"] == "730.00" and loan["state"] == "repaid"
    assert [i["interest_due"] for i in loan["installments"]] == ["36.50", "36.50"]
    assert check_books(session, w.group.id) == []


def test_a_second_close_and_a_second_reopen_are_409_and_post_nothing(
        world: SimpleNamespace, session: Session) -> None:
    w = world
    cycle = set_up_cycle(w)
    meeting = hold_meeting(w, cycle, 1, close_it=False)
    close(w, cycle, meeting)
    postings = session.scalar(select(func.count()).select_from(Posting))
    problem(w.api["treasurer"].client.post(
        f"{API}/groups/{w.group.id}/savings/cycles/{cycle['id']}/meetings/{meeting['id']}/close",
        json=close_body(cycle, meeting), headers=w.api["treasurer"].headers), 409)
    ids = {"group_id": w.group.id, "cycle_id": cycle["id"], "meeting_id": meeting["id"]}
    reopen = {"reason": "ошибка в долях",
              "key_holder_ids": [h["id"] for h in cycle["key_holders"][:2]]}
    reopened = w.api["treasurer"].call("POST", MEETING + "/reopen", 200, reopen, **ids)
    assert reopened["state"] == "open" and reopened["reopened"] == 1
    w.api["treasurer"].call("POST", MEETING + "/reopen", 409, reopen, **ids)
    session.expire_all()
    reversals = session.scalar(select(func.count()).select_from(Posting).where(
        Posting.kind == "reversal"))
    assert reversals == postings  # each posting reversed once
    assert check_books(session, w.group.id) == []


def _count(session: Session, model: Any) -> int:
    session.expire_all()
    return session.scalar(select(func.count()).select_from(model)) or 0


@pytest.mark.parametrize("change, field", [
    ({"share_value": "abc"}, "share_value"),
    ({"share_value": "-5"}, "share_value"),
    ({"max_shares": 50}, "max_shares"),
    ({"rate_bp": "5"}, "rate_bp"),
    ({"interest_method": "simple"}, "interest_method"),
    ({"start_date": "5.3.2026"}, "start_date"),
    ({"colour": "red"}, "colour"),
    ({"fine_types": [{"code": "late", "amount": "0"}]}, "fine_types[0].amount"),
])
def test_a_bad_cycle_is_422_naming_the_field_and_nothing_is_written(
        world: SimpleNamespace, session: Session, change: dict[str, Any], field: str) -> None:
    api = world.api["treasurer"]
    response = api.client.post(f"{API}/groups/{world.group.id}/savings/cycles",
                               json={**SETTINGS, **change}, headers=api.headers)
    problem(response, 422, field)
    assert _count(session, SavingsCycle) == 0


def test_bad_meeting_entries_are_422_naming_the_field_and_nothing_is_written(
        world: SimpleNamespace, session: Session) -> None:
    w, api = world, world.api["treasurer"]
    cycle = set_up_cycle(w)
    meeting = hold_meeting(w, cycle, 1, close_it=False)
    base = (f"{API}/groups/{w.group.id}/savings/cycles/{cycle['id']}/meetings/"
            f"{meeting['id']}")
    bermet = cycle["members"][1]["id"]
    loans = _count(session, SavingsLoan)
    # Бермет bought 4 shares (200.00): she may borrow three times that, 600.00
    refused = problem(api.client.post(f"{base}/loans", json={
        "member_id": bermet, "principal": "700.00", "months": 2}, headers=api.headers),
        422, "principal")
    assert "600" in refused["detail"]
    assert _count(session, SavingsLoan) == loans
    problem(api.client.post(f"{base}/loans", json={"member_id": bermet, "principal": "1,5",
                                                   "months": 2}, headers=api.headers),
            422, "principal")
    problem(api.client.post(f"{base}/loans", json={"member_id": 10**6, "principal": "10.00",
                                                   "months": 2}, headers=api.headers),
            422, "member_id")
    # six shares, above the five a meeting allows: her line is named
    before = api.call("GET", MEETING, 200, group_id=w.group.id, cycle_id=cycle["id"],
                      meeting_id=meeting["id"])
    problem(api.client.put(f"{base}/register", json={"lines": [
        {"member_id": cycle["members"][0]["id"], "status": "present", "shares": 5},
        {"member_id": bermet, "status": "present", "shares": 6}]}, headers=api.headers),
        422, "lines[1].shares")
    after = api.call("GET", MEETING, 200, group_id=w.group.id, cycle_id=cycle["id"],
                     meeting_id=meeting["id"])
    assert after["register"] == before["register"]
    # a repayment by someone who owes nothing
    problem(api.client.put(f"{base}/register", json={"lines": [
        {"member_id": bermet, "status": "present", "shares": 4, "repayment": "10.00"}]},
        headers=api.headers), 422, "lines[0].repayment")
    problem(api.client.put(f"{base}/register", json={"lines": [
        {"member_id": bermet, "status": "present"}, {"member_id": bermet, "status": "absent"}]},
        headers=api.headers), 422, "lines[1].member_id")
    problem(api.client.put(f"{base}/register", json={"lines": [
        {"member_id": 10**6, "status": "present"}]}, headers=api.headers),
        422, "lines[0].member_id")
    # a count that differs from the books: nothing posted
    body = close_body(cycle, meeting)
    problem(api.client.post(f"{base}/close", json={**body, "closing_loan": "219.00"},
                            headers=api.headers), 422, "closing_loan")
    problem(api.client.post(f"{base}/close", json={**body, "key_holder_ids": [
        cycle["key_holders"][0]["id"]]}, headers=api.headers), 422, "key_holder_ids")
    assert _count(session, Posting) == 0
    problem(api.client.delete(f"{base}/grants/{10**6}", headers=api.headers), 404)


def test_who_may_read_and_who_may_change(world: SimpleNamespace, session: Session) -> None:
    w = world
    cycle = set_up_cycle(w)
    meeting = hold_meeting(w, cycle, 1)
    ids = {"group_id": w.group.id, "cycle_id": cycle["id"], "meeting_id": meeting["id"]}
    aigul, bermet, outsider = w.api["aigul"], w.api["bermet"], w.api["outsider"]
    # members read the cycle, its meetings and (the cycle shows every line) each passbook
    assert aigul.call("GET", CYCLE, 200, **ids)["figures"]["loan_bag"] == "220.00"
    assert len(aigul.call("GET", MEETING, 200, **ids)["register"]) == 5
    aigul.call("GET", CYCLE + "/members/{member_id}/passbook", 200,
               member_id=cycle["members"][1]["id"], **ids)
    # but change nothing
    path = f"{API}/groups/{w.group.id}/savings/cycles"
    for url, method, body in (
            (path, "POST", SETTINGS),
            (f"{path}/{cycle['id']}/meetings", "POST", {"date": "2026-04-05"}),
            (f"{path}/{cycle['id']}/meetings/{meeting['id']}/reopen", "POST",
             {"reason": "ошибка", "key_holder_ids": [1, 2]}),
            (f"{path}/{cycle['id']}/meetings/{meeting['id']}/register", "PUT", {"lines": []})):
        problem(bermet.client.open(url, method=method, json=body, headers=bermet.headers), 403)
    # another group's cycle is unknown to an outsider, and under another group's path
    problem(outsider.client.get(f"{path}/{cycle['id']}", headers=outsider.headers), 404)
    treasurer = w.api["treasurer"]
    other = make_group(session)
    session.commit()
    problem(treasurer.client.get(f"{API}/groups/{other.id}/savings/cycles/{cycle['id']}",
                                 headers=treasurer.headers), 404)


def test_a_member_sees_only_her_own_lines_when_the_cycle_says_so(
        world: SimpleNamespace) -> None:
    w = world
    cycle = set_up_cycle(w, members_see_all_lines=False)
    meeting = hold_meeting(w, cycle, 1)
    ids = {"group_id": w.group.id, "cycle_id": cycle["id"], "meeting_id": meeting["id"]}
    aigul = w.api["aigul"]
    mine, hers = cycle["members"][0]["id"], cycle["members"][1]["id"]
    own = aigul.call("GET", CYCLE + "/members/{member_id}/passbook", 200, member_id=mine, **ids)
    assert own["lines"][0]["savings"] == "250.00"
    problem(aigul.client.get(
        f"{API}/groups/{w.group.id}/savings/cycles/{cycle['id']}/members/{hers}/passbook",
        headers=aigul.headers), 404)
    seen = aigul.call("GET", MEETING, 200, **ids)
    assert [line["member_id"] for line in seen["register"]] == [mine]
    assert [line["id"] for line in seen["figures"]["members"]] == [
        own["lines"][0]["id"]]
    assert seen["figures"]["loan_bag"] == "220.00"  # the totals are the group's
    # the treasurer sees all
    assert len(w.api["treasurer"].call("GET", MEETING, 200, **ids)["register"]) == 5


def test_a_cycle_adopted_mid_way_starts_through_the_api_with_the_count_confirmed(
        world: SimpleNamespace, session: Session) -> None:
    """Opening balances entered (as on the cycle page); the start needs the bags as
    counted and the key-holders' confirmation: 422 naming the field, then 200."""
    from coop.savings import services as savings

    api, gid = world.api["treasurer"], world.group.id
    cycle = api.call("POST", "/groups/{group_id}/savings/cycles", 201, SETTINGS, group_id=gid)
    members = [api.call("POST", CYCLE + "/members", 201, {"membership_id": m.id},
                        group_id=gid, cycle_id=cycle["id"]) for m in world.members[:3]]
    api.call("PUT", CYCLE + "/key-holders", 200,
             {"membership_ids": [m.id for m in world.members[:3]]},
             group_id=gid, cycle_id=cycle["id"])
    row = session.get(SavingsCycle, cycle["id"])
    savings.set_opening(session, row, world.group, income=0, social_fund=0, balances=[
        savings.OpeningBalance(members[0]["id"], 4)])
    session.commit()
    keys = [h["id"] for h in api.call("GET", CYCLE, 200, group_id=gid,
                                      cycle_id=cycle["id"])["key_holders"]]
    missing = api.call("POST", CYCLE + "/activate", 422, {}, group_id=gid, cycle_id=cycle["id"])
    assert "counted_loan" in str(missing)
    few = api.call("POST", CYCLE + "/activate", 422,
                   {"counted_loan": "200.00", "counted_social": "0", "key_holder_ids": keys[:1]},
                   group_id=gid, cycle_id=cycle["id"])
    assert "key_holder" in str(few)
    started = api.call("POST", CYCLE + "/activate", 200,
                       {"counted_loan": "200.00", "counted_social": "0",
                        "key_holder_ids": keys[:2]}, group_id=gid, cycle_id=cycle["id"])
    assert started["state"] == "active"
    assert len(savings.opening_confirmations(session, row)) == 2
