"""Quotes through the web: the treasurer's pages and the supplier's link."""

from __future__ import annotations

import re
from datetime import timedelta

from flask.testing import FlaskClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from coop.db import utcnow
from coop.orders.models import Request, Round, SharedCost
from coop.quotes import services as quotes
from coop.quotes.models import CounterOffer, Quote, QuoteRevision, QuoteTier
from coop.suppliers.models import Supplier
from tests.conftest import csrf_token, login, post
from tests.factories import make_closed_round, make_group, make_member, make_quote

K, P = 1000, 1_000_000
_LINK = re.compile(r'class="copy supplier-link" readonly>([^<]+)</textarea>')


def _base(w) -> str:  # type: ignore[no-untyped-def]
    return f"/groups/{w.group.id}/rounds/{w.rnd.id}/quotes"


def _offer_form(w, **overrides: str) -> dict[str, str]:  # type: ignore[no-untyped-def]
    """Seed 45 / from 50: 40, fabric 25, NPK 75 / from 100: 70, as a supplier types."""
    data = {
        f"available_{w.seed.id}": "y", f"pack_{w.seed.id}": "25",
        f"price_{w.seed.id}_0": "45,00", f"from_{w.seed.id}_1": "50",
        f"price_{w.seed.id}_1": "40",
        f"available_{w.fabric.id}": "y", f"pack_{w.fabric.id}": "30",
        f"price_{w.fabric.id}_0": "25",
        f"available_{w.npk.id}": "y", f"pack_{w.npk.id}": "50", f"price_{w.npk.id}_0": "75",
        f"from_{w.npk.id}_1": "100", f"price_{w.npk.id}_1": "70", f"max_{w.npk.id}": "500",
        "delivery_fee": "500", "lead_time_days": "5", "note": "Доставим в четверг",
    }
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


def _submit(client: FlaskClient, token: str, data: dict[str, str]):  # type: ignore[no-untyped-def]
    data = dict(data)
    data["csrf_token"] = csrf_token(client, f"/q/{token}")
    return client.post(f"/q/{token}", data=data)


def _revisions(session: Session) -> int:
    return session.scalar(select(func.count()).select_from(QuoteRevision))


def test_treasurer_asks_for_quotes_and_gets_one_link_per_supplier(client: FlaskClient,
                                                                   session: Session) -> None:
    w = make_closed_round(session)
    session.commit()
    login(client, w.treasurer.user.email)
    page = client.get(_base(w)).get_data(as_text=True)
    assert "Ask suppliers for prices" in page and "Семена томата" in page
    round_page = client.get(f"/groups/{w.group.id}/rounds/{w.rnd.id}").get_data(as_text=True)
    assert "Ask suppliers for quotes" in round_page
    catalog_supplier = w.seed.product.supplier_id
    response = post(client, f"{_base(w)}/request", {
        "suppliers": [str(catalog_supplier)], "new_name": "Ош-Агроснаб",
        "new_phone": "+996 555 12 34 56", "new_language": "ky", "days": "10"})
    assert response.status_code == 303  # to the page that shows the links
    assert response.headers["Location"].endswith(f"{_base(w)}/links")
    hashes = set(session.scalars(select(Quote.token_hash)))
    response = client.get(f"{_base(w)}/links")
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"
    links = _LINK.findall(response.get_data(as_text=True))
    assert len(links) == 2 and all("/q/" in link for link in links)
    assert "wa.me/996555123456" in response.get_data(as_text=True)
    # showing the page again (a reload, Back) shows the same links and makes none
    assert _LINK.findall(client.get(f"{_base(w)}/links").get_data(as_text=True)) == links
    session.expire_all()
    assert set(session.scalars(select(Quote.token_hash))) == hashes
    assert session.get(Round, w.rnd.id).state == "quoting"
    added = session.scalar(select(Supplier).where(Supplier.name == "Ош-Агроснаб"))
    assert added.language == "ky" and added.group_id == w.group.id
    assert client.get(links[0].replace("http://localhost", "")).status_code == 200
    again = client.get(f"/groups/{w.group.id}/rounds/{w.rnd.id}").get_data(as_text=True)
    assert "Quotes and comparison" in again


def test_request_with_bad_input_is_refused(client: FlaskClient, session: Session) -> None:
    w = make_closed_round(session)
    session.commit()
    login(client, w.treasurer.user.email)
    for data, message in (({"days": "14"}, "Choose at least one supplier"),
                          ({"new_name": "Новый", "days": "0"}, "from 1 to 90 days"),
                          ({"new_name": "Новый", "days": "abc"}, "")):
        response = post(client, f"{_base(w)}/request", data)
        assert response.status_code == 422, data
        assert message in response.get_data(as_text=True)
    session.expire_all()
    assert session.get(Round, w.rnd.id).state == "closed"
    assert session.scalar(select(Supplier.id).where(Supplier.name == "Новый")) is None


def test_supplier_quotes_in_her_language_without_an_account(client: FlaskClient,
                                                            session: Session) -> None:
    w = make_closed_round(session)
    quote, token = make_quote(session, w, "Каракол-Агро", language="ru")
    session.commit()
    page = client.get(f"/q/{token}")
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and '<html lang="ru">' in html
    assert page.headers["Cache-Control"] == "private, no-store"
    assert "Семена томата" in html and "Айгүл" not in html  # pooled, never who ordered
    assert "просит ваши цены" in html.split('id="greeting">')[1]  # while it asks
    # found on the walk: "at most 0 more" where nobody gave a tolerance
    fabric = html.split(f'id="line-{w.fabric.id}"')[1].split("</p>")[0]
    assert "ещё" in fabric  # 5 m of tolerance: said
    session.execute(Request.__table__.update().where(Request.round_item_id == w.npk.id)
                    .values(tolerance=0))
    session.commit()
    npk = client.get(f"/q/{token}").get_data(as_text=True).split(
        f'id="line-{w.npk.id}"')[1].split("</p>")[0]
    assert "Группе нужно 90" in npk and "ещё" not in npk, npk  # none: not "0 more"
    assert "<script" not in html and "style=" not in html
    response = _submit(client, token, _offer_form(w))
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    session.expire_all()
    revision = session.get(Quote, quote.id).latest
    assert (revision.number, revision.delivery_fee, revision.lead_time_days) == (1, 50000, 5)
    seed = next(line for line in revision.lines if line.round_item_id == w.seed.id)
    assert [(t.min_qty, t.unit_price) for t in seed.tiers] == [(0, 45 * P), (50 * K, 40 * P)]
    npk = next(line for line in revision.lines if line.round_item_id == w.npk.id)
    assert npk.max_quantity == 500 * K
    again = client.get(f"/q/{token}").get_data(as_text=True)
    assert 'value="40"' in again  # her prices shown for the next version
    english = make_quote(session, w, "Supplier", language="en")[1]
    w.treasurer.user.locale = "en"
    session.commit()
    assert '<html lang="en">' in client.get(f"/q/{english}").get_data(as_text=True)
    # whoever opens it, the page speaks the supplier's language
    login(client, w.treasurer.user.email)
    assert '<html lang="ru">' in client.get(f"/q/{token}").get_data(as_text=True)
    assert '<html lang="en">' in client.get(f"/groups/{w.group.id}/rounds").get_data(
        as_text=True)


def test_bad_offers_get_a_message_and_store_nothing(client: FlaskClient,
                                                    session: Session) -> None:
    w = make_closed_round(session)
    _quote, token = make_quote(session, w, language="en")
    session.commit()
    cases = [
        ({f"price_{w.seed.id}_0": "сорок"}, "is not a number"),
        ({f"price_{w.seed.id}_0": "-5"}, "cannot be negative"),
        ({f"from_{w.npk.id}_1": "0"}, "must grow"),
        ({f"from_{w.npk.id}_1": "100", f"price_{w.npk.id}_1": ""}, "or neither"),
        ({f"pack_{w.fabric.id}": "0,75"}, "not a whole number of steps of 0.5"),
        ({f"pack_{w.seed.id}": ""}, "Give your pack size"),
        ({"delivery_fee": "-1"}, "cannot be negative"),
        ({"valid_until": "2001-01-01"}, "This date has passed"),
        ({"lead_time_days": "soon"}, ""),
    ]
    for overrides, message in cases:
        response = _submit(client, token, _offer_form(w, **overrides))
        assert response.status_code == 422, overrides
        html = response.get_data(as_text=True)
        assert message in html, (overrides, html[:3000])
        assert "Nothing was sent yet" in html
    assert _revisions(session) == 0
    assert session.scalar(select(func.count()).select_from(QuoteTier)) == 0


def test_links_open_only_their_own_quote(client: FlaskClient, session: Session) -> None:
    w = make_closed_round(session)
    other = make_closed_round(session)
    mine, token = make_quote(session, w, language="en")
    theirs, their_token = make_quote(session, other, language="en")
    session.commit()
    # items of another round sent through this link are not taken
    foreign = {f"available_{other.seed.id}": "y", f"pack_{other.seed.id}": "25",
               f"price_{other.seed.id}_0": "1"}
    response = _submit(client, token, {**{k: "" for k in _offer_form(w) if "_" in k},
                                       **foreign, "delivery_fee": "0"})
    assert response.status_code == 422
    assert _revisions(session) == 0
    assert _submit(client, token, _offer_form(w)).status_code == 302
    session.expire_all()
    assert session.get(Quote, theirs.id).latest is None
    assert session.get(Quote, mine.id).latest is not None
    page = client.get(f"/q/{their_token}").get_data(as_text=True)
    assert other.rnd.title in page and "Доставим в четверг" not in page
    # tampered, expired, revoked: nothing opens, nothing is stored
    tampered = token[:-2] + ("xy" if token[-2:] != "xy" else "zz")
    assert client.get(f"/q/{tampered}").status_code == 404
    assert client.get("/q/" + "a" * 300).status_code == 404
    mine = session.get(Quote, mine.id)
    mine.link_expires_at = utcnow() - timedelta(minutes=1)
    session.commit()
    expired = client.get(f"/q/{token}")
    assert expired.status_code == 410 and "expired" in expired.get_data(as_text=True)
    csrf = csrf_token(client, f"/q/{their_token}")
    assert client.post(f"/q/{token}", data={**_offer_form(w), "csrf_token": csrf}
                       ).status_code == 410
    quotes.revoke_link(session, session.get(Quote, theirs.id))
    session.commit()
    assert client.get(f"/q/{their_token}").status_code == 410
    assert client.post(f"/q/{their_token}/decline", data={"csrf_token": csrf}
                       ).status_code == 410
    assert _revisions(session) == 1


def test_supplier_without_csrf_token_is_refused(client: FlaskClient, session: Session) -> None:
    w = make_closed_round(session)
    _quote, token = make_quote(session, w, language="en")
    session.commit()
    assert client.post(f"/q/{token}", data=_offer_form(w)).status_code == 400
    assert _revisions(session) == 0


def test_members_and_strangers_cannot_see_the_treasurer_pages(client: FlaskClient,
                                                              session: Session) -> None:
    w = make_closed_round(session)
    quote, _token = make_quote(session, w)
    other = make_closed_round(session)
    other_quote, _t = make_quote(session, other)
    stranger = make_member(session, make_group(session), "Чужая", role="treasurer")
    session.commit()
    pages = ["", "/compare", f"/{quote.id}"]
    posts = ["/request", "/award", f"/{quote.id}/counter", f"/{quote.id}/link",
             f"/{quote.id}/revoke"]
    login(client, w.aigul.user.email)
    for suffix in pages:
        assert client.get(_base(w) + suffix).status_code == 403, suffix
    for suffix in posts:
        assert post(client, _base(w) + suffix, {"message": "x"}).status_code == 403, suffix
    client.post("/logout", data={"csrf_token": csrf_token(client, "/")})
    login(client, stranger.user.email)
    for suffix in pages:
        assert client.get(_base(w) + suffix).status_code == 404, suffix
    client.post("/logout", data={"csrf_token": csrf_token(client, "/")})
    login(client, w.treasurer.user.email)
    # another round's quote under this round, another group's round under this group
    assert client.get(f"{_base(w)}/{other_quote.id}").status_code == 404
    assert post(client, f"{_base(w)}/{other_quote.id}/revoke").status_code == 404
    assert client.get(f"/groups/{w.group.id}/rounds/{other.rnd.id}/quotes").status_code == 404
    session.expire_all()
    assert session.get(Quote, other_quote.id).link_revoked_at is None
    assert session.scalar(select(func.count()).select_from(CounterOffer)) == 0


def test_counter_offer_compare_and_award_through_the_pages(client: FlaskClient,
                                                           session: Session) -> None:
    w = make_closed_round(session)
    qa, token_a = make_quote(session, w, "Альфа", language="en")
    qb, token_b = make_quote(session, w, "Бета", language="en")
    session.commit()
    assert _submit(client, token_a, _offer_form(w)).status_code == 302
    assert _submit(client, token_b, _offer_form(
        w, **{f"available_{w.fabric.id}": "", f"price_{w.npk.id}_1": "68",
              "delivery_fee": "300"})).status_code == 302
    treasurer = w.treasurer.user.email
    login(client, treasurer)
    bad = post(client, f"{_base(w)}/{qa.id}/counter", {f"target_{w.npk.id}": "-3"})
    assert bad.status_code == 422 and "cannot be negative" in bad.get_data(as_text=True)
    sent = post(client, f"{_base(w)}/{qa.id}/counter",
                {f"target_{w.npk.id}": "66,5", "message": "Дешевле NPK?"})
    assert sent.status_code == 302
    # the supplier sees the counter-offer on her link and answers with a new version
    client.post("/logout", data={"csrf_token": csrf_token(client, "/")})
    page = client.get(f"/q/{token_a}").get_data(as_text=True)
    assert "66.5" in page and "Дешевле NPK?" in page
    assert _submit(client, token_a, _offer_form(w, **{f"price_{w.npk.id}_1": "66,5"})
                   ).status_code == 302
    login(client, treasurer)
    history = client.get(f"{_base(w)}/{qa.id}").get_data(as_text=True)
    assert history.index("version 1") < history.index("Counter-offer from the group") < \
        history.index("version 2")
    compare = client.get(f"{_base(w)}/compare")
    html = compare.get_data(as_text=True)
    assert compare.status_code == 200
    assert "<svg" in html and "style=" not in html and "<script" not in html
    assert "best single offer" in html and "cannot deliver" in html
    assert "What each member would pay" in html and w.aigul.user.name in html
    awarded = client.get(f"{_base(w)}/award?whole={qb.id}&rule=weight")
    assert awarded.status_code == 422  # Бета has no fabric
    assert "does not offer" in awarded.get_data(as_text=True)
    unconfirmed = post(client, f"{_base(w)}/award", {"whole": str(qa.id), "rule": "weight"})
    assert unconfirmed.status_code == 303 and "/award?" in unconfirmed.headers["Location"]
    confirm = client.get(unconfirmed.headers["Location"].replace("http://localhost", ""))
    assert confirm.status_code == 200 and "Award now" in confirm.get_data(as_text=True)
    assert "9,900.00" in confirm.get_data(as_text=True)  # 2000 + 750 + 6650 + 500
    session.expire_all()
    assert session.get(Round, w.rnd.id).state == "quoting"  # nothing awarded yet
    confirmed = {"whole": str(qa.id), "rule": "weight", "confirm": "1"}
    awarded = post(client, f"{_base(w)}/award", confirmed)
    assert awarded.status_code == 302
    again = post(client, f"{_base(w)}/award", confirmed)  # a double submit, or Back
    assert again.status_code == 302
    assert "nothing was changed" in client.get(again.headers["Location"]).get_data(as_text=True)
    session.expire_all()
    assert session.get(Round, w.rnd.id).state == "awarded"
    [fee] = session.scalars(select(SharedCost).where(SharedCost.round_id == w.rnd.id)).all()
    assert (fee.amount, fee.supplier_id, fee.rule) == (50000, qa.supplier_id, "weight")
    client.post("/logout", data={"csrf_token": csrf_token(client, "/")})
    chosen = client.get(f"/q/{token_a}").get_data(as_text=True)
    assert "Your order" in chosen and "9,900.00" in chosen  # 2000 + 750 + 6650 + 500
    assert "not selected" not in chosen and "Send my offer" not in chosen
    # found on the walk: after the award the page still said it asks for her prices
    greeting = chosen.split('id="greeting">')[1].split("</p>")[0]
    assert "bought “Весна” from you" in greeting and "asks you" not in greeting
    other = client.get(f"/q/{token_b}").get_data(as_text=True)
    assert "chose another offer" in other and "Send my offer" not in other
    assert "asks you" not in other.split('id="greeting">')[1].split("</p>")[0]


def test_split_award_and_decline_through_the_pages(client: FlaskClient, session: Session
                                                   ) -> None:
    w = make_closed_round(session)
    qa, token_a = make_quote(session, w, "Альфа", language="en")
    qb, token_b = make_quote(session, w, "Бета", language="en")
    session.commit()
    assert _submit(client, token_a, _offer_form(w)).status_code == 302
    declined = post(client, f"/q/{token_b}/decline", {"reason": "Нет на складе"})
    assert declined.status_code == 302
    assert "decline" in client.get(f"/q/{token_b}").get_data(as_text=True)
    login(client, w.treasurer.user.email)
    html = client.get(f"{_base(w)}/compare").get_data(as_text=True)
    assert "declined" in html
    refused = post(client, f"{_base(w)}/award", {
        f"item_{w.seed.id}": str(qb.id), f"item_{w.fabric.id}": "list",
        f"item_{w.npk.id}": "list", "rule": "weight", "split": "1", "confirm": "1"})
    assert refused.status_code == 422 and "declined" in refused.get_data(as_text=True)
    done = post(client, f"{_base(w)}/award", {
        f"item_{w.seed.id}": str(qa.id), f"item_{w.fabric.id}": "list",
        f"item_{w.npk.id}": str(qa.id), "rule": "quantity", "split": "1", "confirm": "1"})
    assert done.status_code == 302
    session.expire_all()
    rnd = session.get(Round, w.rnd.id)
    suppliers = {item.id: item.awarded_supplier_id for item in rnd.items}
    assert suppliers == {w.seed.id: qa.supplier_id, w.npk.id: qa.supplier_id,
                         w.fabric.id: w.fabric.product.supplier_id}
    order = client.get(f"/q/{token_a}").get_data(as_text=True)
    assert "Семена томата" in order and "Ткань" not in order.split("Your order")[1].split(
        "</table>")[0]


def test_her_delivery_fee_is_asked_in_the_groups_currency(client: FlaskClient,
                                                          session: Session) -> None:
    """Found on the walk: the supplier's delivery fee field named no currency."""
    w = make_closed_round(session)
    _quote, token = make_quote(session, w, "Каракол-Агро", language="ru")
    session.commit()
    page = client.get(f"/q/{token}").get_data(as_text=True)
    assert "Стоимость доставки до села группы, сом</label>" in page, page
