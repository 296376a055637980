"""Confirmation pages for what cannot be undone: confirm the delivery (everything
came, or with what is missing as short) and settle. Each shows its figures
first, works without JavaScript, and is safe against a double submit, against
Back and send again, and in the wrong state (a clear 4xx, never a 500)."""

from __future__ import annotations

import re

from flask.testing import FlaskClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from coop.ledger import services as ledger
from coop.ledger.models import Posting
from coop.orders import services
from coop.orders.models import Delivery, Round, RoundEvent, Settlement
from tests.conftest import login, post
from tests.factories import make_catalog, make_group, make_member


def awarded(session: Session, **settings: object):  # type: ignore[no-untyped-def]
    """A round on make_catalog awarded at list prices: two members ordering;
    `settings`: the group's (its levy, its loss policy)."""
    group = make_group(session, **settings)
    treasurer = make_member(session, group, "Майрам", role="treasurer")
    aigul = make_member(session, group, "Айгүл")
    nurila = make_member(session, group, "Нурила")
    products = make_catalog(session, group)
    rnd = services.create_round(session, group, treasurer.user, title="Весна", deadline=None,
                                product_ids=[p.id for p in products])
    services.move_round(session, rnd, treasurer.user, "open")
    seed, _fabric, npk = rnd.items
    for member, lines in ((aigul, {seed.id: (25000, 0), npk.id: (30000, 0)}),
                          (nurila, {seed.id: (25000, 0), npk.id: (20000, 0)})):
        services.save_order(session, rnd, member, lines, treasurer.user, as_treasurer=True)
    services.add_shared_cost(session, rnd, name="Грузовик", amount=20000, rule="equal")
    services.move_round(session, rnd, treasurer.user, "closed")
    services.award_at_list_prices(session, rnd, treasurer.user)
    session.commit()
    return group, treasurer, aigul, nurila, rnd


def url(rnd: Round, suffix: str) -> str:
    return f"/groups/{rnd.group_id}/rounds/{rnd.id}{suffix}"


def text(response) -> str:  # type: ignore[no-untyped-def]
    return response.get_data(as_text=True).replace("\u00a0", " ").replace("\u202f", " ")


def token(page: str) -> str:
    found = re.search(r'name="figures" value="([0-9a-f]+)"', page)
    assert found, "no confirmation form on the page"
    return found.group(1)


def counts(session: Session) -> tuple[int, int, int, int]:
    session.expire_all()
    return tuple(session.scalar(select(func.count()).select_from(m)) or 0  # type: ignore[return-value]
                 for m in (Delivery, RoundEvent, Posting, Settlement))


def state(session: Session, rnd: Round) -> str:
    session.expire_all()
    return session.get(Round, rnd.id).state  # type: ignore[union-attr]


def test_goods_that_never_came_are_confirmed_as_short(client: FlaskClient,
                                                      session: Session) -> None:
    _g, treasurer, _a, _n, rnd = awarded(session)
    login(client, treasurer.user.email)
    delivery = text(client.get(url(rnd, "/delivery")))
    assert "Everything came: confirm the delivery" in delivery
    assert "Confirm the delivery with what is missing as short" in delivery
    page = client.get(url(rnd, "/confirm-delivery?way=short"))
    assert page.status_code == 200
    body = text(page)
    products = body.split('id="confirm-products"')[1].split("</table>")[0]
    assert products.count("<strong>") == 2  # seed and NPK: all short (fabric: nobody ordered)
    assert "50 bags" in products and "50 kilograms" in products
    figures = body.split('id="confirm-totals"')[1].split("</table>")[0]
    assert "0.00" in figures  # no supplier bill: nothing came
    before = counts(session)
    assert before[2] == 0
    done = post(client, url(rnd, "/confirm-delivery"), {"way": "short", "figures": token(body)})
    assert done.status_code == 303
    assert state(session, rnd) == "received"
    split = services.compute_split(session, session.get(Round, rnd.id))
    assert split.result["totals"]["supplier_bill"] == "0.00"
    assert [m["total"] for m in split.result["members"]] == ["0.00", "0.00"]
    assert counts(session)[0] == 0  # nothing recorded as arrived


def test_everything_came_books_the_rest_and_the_figures_agree(client: FlaskClient,
                                                              session: Session) -> None:
    _g, treasurer, aigul, nurila, rnd = awarded(session)
    seed, _fabric, npk = rnd.items
    services.record_delivery(session, rnd, {seed.id: (20000, 0)}, actor=treasurer.user)
    session.commit()
    login(client, treasurer.user.email)
    short = text(client.get(url(rnd, "/confirm-delivery?way=short")))
    arrived = text(client.get(url(rnd, "/confirm-delivery?way=arrived")))
    assert token(short) != token(arrived)
    # short: 30 of 50 seed sachets missing, all the NPK missing
    assert "30 bags" in short.split('id="confirm-products"')[1].split("</table>")[0]
    products = arrived.split('id="confirm-products"')[1].split("</table>")[0]
    assert "<strong>" not in products  # nothing short when everything came
    members_total = re.search(r'class="num total">([^<]+)<', arrived.split(
        'id="confirm-totals"')[1]).group(1)
    done = post(client, url(rnd, "/confirm-delivery"),
                {"way": "arrived", "figures": token(arrived)})
    assert done.status_code == 303
    session.expire_all()
    assert services.delivery_totals(session, rnd) == {seed.id: (50000, 0), npk.id: (50000, 0)}
    # the settlement page shows the same total as the confirmation did
    settle = text(client.get(url(rnd, "/settle")))
    assert re.search(r'class="num total">([^<]+)<', settle.split(
        'id="confirm-totals"')[1]).group(1) == members_total
    assert "Айгүл" in settle and "Нурила" in settle
    response = post(client, url(rnd, "/settle"), {"figures": token(settle)})
    assert response.status_code == 303
    assert state(session, rnd) == "settled"
    charged = -(ledger.member_balance(session, aigul) + ledger.member_balance(session, nurila))
    assert charged == 620000 and re.sub(r"\D", "", members_total) == str(charged)


def test_a_double_submit_and_back_confirm_once(client: FlaskClient, session: Session) -> None:
    _g, treasurer, _a, _n, rnd = awarded(session)
    login(client, treasurer.user.email)
    page = text(client.get(url(rnd, "/confirm-delivery?way=arrived")))
    form = {"way": "arrived", "figures": token(page)}
    first = post(client, url(rnd, "/confirm-delivery"), form)
    assert first.status_code == 303
    after_first = counts(session)
    second = post(client, url(rnd, "/confirm-delivery"), form)  # the second click
    assert second.status_code == 303
    assert counts(session) == after_first  # no second delivery, no second event
    shown = text(client.get(second.headers["Location"]))
    assert "The delivery was confirmed already; nothing was done again." in shown
    back = client.get(url(rnd, "/confirm-delivery?way=arrived"))  # Back, then reload
    assert back.status_code == 200
    assert "The delivery is confirmed." in text(back) and 'name="figures"' not in text(back)

    settle = text(client.get(url(rnd, "/settle")))
    form = {"figures": token(settle)}
    assert post(client, url(rnd, "/settle"), form).status_code == 303
    settled = counts(session)
    again = post(client, url(rnd, "/settle"), form)
    assert again.status_code == 303 and counts(session) == settled
    assert "nothing was posted again" in text(client.get(again.headers["Location"]))
    assert "The round is settled." in text(client.get(url(rnd, "/settle")))
    assert settled[3] == 1


def test_changed_figures_or_no_confirmation_do_nothing(client: FlaskClient,
                                                       session: Session) -> None:
    _g, treasurer, _a, _n, rnd = awarded(session)
    seed = rnd.items[0]
    login(client, treasurer.user.email)
    page = text(client.get(url(rnd, "/confirm-delivery?way=short")))
    # another tab records a delivery meanwhile: the "yes" was for other figures
    services.record_delivery(session, rnd, {seed.id: (25000, 0)}, actor=treasurer.user)
    session.commit()
    before = counts(session)
    stale = post(client, url(rnd, "/confirm-delivery"), {"way": "short", "figures": token(page)})
    assert stale.status_code == 409
    assert "The figures changed since the page was shown" in text(stale)
    assert token(text(stale)) != token(page)
    unseen = post(client, url(rnd, "/confirm-delivery"), {"way": "short"})
    assert unseen.status_code == 200 and 'name="figures"' in text(unseen)
    assert counts(session) == before and state(session, rnd) == "awarded"


def test_wrong_state_and_bad_input_are_4xx(client: FlaskClient, session: Session) -> None:
    _g, treasurer, aigul, _n, rnd = awarded(session)
    login(client, treasurer.user.email)
    settle = client.get(url(rnd, "/settle"))  # not received yet
    assert settle.status_code == 422
    assert "once its delivery is confirmed" in text(settle)
    assert post(client, url(rnd, "/settle"), {"figures": "abc"}).status_code == 422
    assert client.get(url(rnd, "/confirm-delivery?way=maybe")).status_code == 400
    assert post(client, url(rnd, "/confirm-delivery"), {"way": "x", "figures": "1"}
                ).status_code == 400
    assert client.post(url(rnd, "/confirm-delivery"), data={"way": "short"}).status_code == 400
    assert state(session, rnd) == "awarded"
    client.post("/logout", data={})
    login(client, aigul.user.email)
    assert client.get(url(rnd, "/confirm-delivery?way=short")).status_code == 403
    assert client.get(url(rnd, "/settle")).status_code == 403


def _amount(cell: str) -> int:
    """'-1,234.50 som' in minor units."""
    sign = -1 if "-" in cell or "−" in cell else 1
    return sign * int(re.sub(r"\D", "", cell))


def test_the_totals_add_up_to_what_the_members_are_charged(client: FlaskClient,
                                                           session: Session) -> None:
    """Found on the walk: the totals listed the credit notes as a figure of
    their own ("already deducted") and the fund's part as a plus, so a
    treasurer adding the column did not reach the total. Now every figure in
    the column adds up to it; the credit notes are said in words."""
    _g, treasurer, _a, _n, rnd = awarded(session, levy_basis_points=200, loss_policy="fund")
    seed, _fabric, npk = rnd.items
    services.record_delivery(session, rnd, {seed.id: (50000, 5000), npk.id: (50000, 0)},
                             actor=treasurer.user)
    services.record_credit_note(session, rnd, seed.id, amount=15000, note="пакеты порваны",
                                actor=treasurer.user)
    session.commit()
    login(client, treasurer.user.email)
    page = text(client.get(url(rnd, "/confirm-delivery?way=arrived")))
    table = page.split('id="confirm-totals"')[1].split("</table>")[0]
    body, foot = table.split("<tfoot>")
    figures = [_amount(cell) for cell in re.findall(r'<td class="num">([^<]+)</td>', body)]
    total = _amount(re.search(r'class="num total">([^<]+)<', foot).group(1))
    split = services.compute_split(session, rnd).outcome.totals
    assert split.fund_covered > 0 and split.levy > 0  # the fund pays the damaged seed
    assert len(figures) == 5 and -split.fund_covered in figures
    assert sum(figures) == total == split.members_total, (figures, total)
    assert "their credit notes of 150.00 som already deducted" in body
