"""The group's accounts page of a group that also keeps savings: its purchase
books say "cash on hand 0,00" while the savings bags hold the meetings'
money, so the page says where that money is, as the savings books hold it."""

from __future__ import annotations

import re

from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from coop.savings import services as savings
from tests.conftest import csrf_token, login
from tests.factories import PASSWORD, make_group, make_member
from tests.savings_factory import hold_meeting, make_savings_group


def _ru(client: FlaskClient) -> None:
    client.post("/language", data={"locale": "ru", "next": "/",
                                   "csrf_token": csrf_token(client, "/")})


def _digits(text: str) -> str:
    return re.sub(r"\D", "", text)


def test_the_accounts_page_says_what_the_savings_bags_hold(client: FlaskClient,
                                                           session: Session) -> None:
    world = make_savings_group(session)
    hold_meeting(session, world, 1)
    hold_meeting(session, world, 2)
    session.commit()
    bags = savings.savings_balances(session, world.cycle)
    loan, social = -bags["sg_box_loan"], -bags["sg_box_social"]
    assert loan > 0 and social > 0  # the meetings left money in both bags

    login(client, world.treasurer.user.email, PASSWORD)
    _ru(client)
    page = client.get(f"/groups/{world.group.id}/accounts").get_data(as_text=True)
    said = re.search(r'<p class="muted" id="savings-bags">(.*?)</p>', page, re.S)
    assert said, "the accounts page says nothing of the savings bags"
    text = said.group(1)
    assert "кредитном фонде" in text and "социальном фонде" in text
    amounts = re.findall(r"(\d[\d\s\u00a0\u202f]*,\d\d)", text)
    assert [_digits(a) for a in amounts] == [str(loan), str(social)]
    assert f"/groups/{world.group.id}/savings" in text


def test_a_group_without_savings_is_not_told_of_bags(client: FlaskClient,
                                                     session: Session) -> None:
    group = make_group(session)
    treasurer = make_member(session, group, "Гүлнара", role="treasurer")
    session.commit()
    login(client, treasurer.user.email, PASSWORD)
    page = client.get(f"/groups/{group.id}/accounts").get_data(as_text=True)
    assert 'id="savings-bags"' not in page
