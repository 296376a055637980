"""The comparison, the award's confirmation and the links page through the web."""

from __future__ import annotations

import re

from flask.testing import FlaskClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from coop.orders import services as orders
from coop.orders.models import Round, SharedCost
from coop.quotes.models import Quote
from tests.conftest import login, post
from tests.integration.test_award import TODAY, _two_offers
from tests.integration.test_documents import pdf_text

_LINK = re.compile(r'class="copy supplier-link" readonly>([^<]+)</textarea>')


def _base(w) -> str:  # type: ignore[no-untyped-def]
    return f"/groups/{w.group.id}/rounds/{w.rnd.id}/quotes"


def _text(response) -> str:  # type: ignore[no-untyped-def]
    return response.get_data(as_text=True).replace("\xa0", " ").replace("\u202f", " ")


def _selected(html: str, name: str) -> str:
    select_html = html.split(f'name="{name}"', 1)[1].split("</select>", 1)[0]
    return re.search(r'<option value="([^"]+)" selected', select_html).group(1)  # type: ignore[union-attr]


def test_the_form_starts_from_the_cheapest_award(client: FlaskClient, session: Session) -> None:
    w, qa, qb = _two_offers(session)
    w.treasurer.user.locale = "en"
    session.commit()
    login(client, w.treasurer.user.email)
    html = _text(client.get(f"{_base(w)}/compare"))
    # A alone 10,250 is cheaper than B's NPK with two fees (10,350)
    assert "Cheapest award" in html and "10,250.00" in html
    assert "It saves 100.00 som against each product at its cheapest line (10,350.00 som" in html
    assert "The best single supplier is the cheapest award here" in html
    assert "Proven the cheapest" in html
    assert all(_selected(html, f"item_{i.id}") == str(qa.id) for i in (w.seed, w.fabric, w.npk))
    assert 'action="/groups/' in html and 'method="get"' in html  # the form asks first
    assert "Catalog list prices" in html and ">Now<" not in html
    npk = html.split(f'name="item_{w.npk.id}"', 1)[1].split("</select>", 1)[0]
    assert f'<option value="{qb.id}"' in npk  # B's NPK can still be chosen
    assert "Each product at its cheapest line" in html


def test_confirmation_shows_figures_and_changes_nothing(client: FlaskClient,
                                                        session: Session) -> None:
    w, qa, qb = _two_offers(session)
    w.treasurer.user.locale = "en"
    session.commit()
    login(client, w.treasurer.user.email)
    query = (f"item_{w.seed.id}={qa.id}&item_{w.fabric.id}={qa.id}&item_{w.npk.id}={qb.id}"
             "&rule=weight")
    page = client.get(f"{_base(w)}/award?{query}")
    html = _text(page)
    assert page.status_code == 200 and "Confirm the award" in html
    assert "3,250.00" in html and "7,100.00" in html  # 2750 + 500; 6800 + 300
    assert "This costs 100.00 som more than the cheapest award (10,250.00 som)" in html
    assert "<script" not in html and 'name="confirm" value="1"' in html
    session.expire_all()
    assert session.get(Round, w.rnd.id).state == "quoting"
    bad = client.get(f"{_base(w)}/award?{query}&item_{w.fabric.id}={qb.id}".replace(
        f"item_{w.fabric.id}={qa.id}&", ""))
    assert bad.status_code == 422 and "does not offer" in bad.get_data(as_text=True)
    junk = client.get(f"{_base(w)}/award?whole=abc")
    assert junk.status_code == 422
    form = {f"item_{w.seed.id}": str(qa.id), f"item_{w.fabric.id}": str(qa.id),
            f"item_{w.npk.id}": str(qb.id), "rule": "weight", "confirm": "1"}
    assert post(client, f"{_base(w)}/award", form).status_code == 302
    assert post(client, f"{_base(w)}/award", form).status_code == 302  # twice: one award
    # Back to the confirmation after the award: to the round, nothing changed
    back = client.get(f"{_base(w)}/award?{query}")
    assert back.status_code == 302
    session.expire_all()
    assert session.scalar(select(func.count()).select_from(SharedCost).where(
        SharedCost.round_id == w.rnd.id)) == 2
    other = dict(form, **{f"item_{w.npk.id}": str(qa.id)})
    refused = post(client, f"{_base(w)}/award", other)
    assert refused.status_code == 409
    round_page = client.get(f"/groups/{w.group.id}/rounds/{w.rnd.id}").get_data(as_text=True)
    scope = round_page.split('name="supplier"', 1)[1].split("</select>", 1)[0]
    assert qa.supplier.name in scope and qb.supplier.name in scope
    figures = round_page.split("Products and what the goods cost", 1)[1]
    assert figures.index(qa.supplier.name) < figures.index("NPK") < figures.index(
        qb.supplier.name)
    compare = client.get(f"{_base(w)}/compare").get_data(as_text=True)
    assert "As awarded" in compare and "Award as chosen above" not in compare
    assert "as on the round page" in compare and "have arrived since" not in compare
    # goods arrive, one short: the round page counts what arrived, and the
    # comparison no longer says that "as awarded" is what the round page shows
    orders.record_delivery(session, session.get(Round, w.rnd.id), {w.seed.id: (1000, 0)},
                           actor=w.treasurer.user)
    session.commit()
    after = client.get(f"{_base(w)}/compare").get_data(as_text=True)
    assert "As awarded" in after and "as on the round page" not in after
    assert "Goods have arrived since: what they pay for what arrived" in after
    printed = pdf_text(client.get(f"{_base(w)}/comparison.pdf").data)  # the group's language
    assert "С тех пор товар пришёл" in " ".join(printed.split())


def test_no_offer_for_a_product_is_said_clearly(client: FlaskClient, session: Session) -> None:
    from coop.quotes import services as quotes
    from tests.factories import make_closed_round, make_quote, offer_input

    K, P = 1000, 1_000_000
    w = make_closed_round(session)
    quote, _t = make_quote(session, w, "Гамма")
    quotes.submit_revision(session, quote, offer_input(
        {w.seed.id: (25 * K, [(0, 45 * P)]), w.fabric.id: None, w.npk.id: None}), today=TODAY)
    w.treasurer.user.locale = "en"
    session.commit()
    login(client, w.treasurer.user.email)
    page = client.get(f"{_base(w)}/compare")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "No valid offer can supply: Ткань, NPK" in html
    assert _selected(html, f"item_{w.fabric.id}") == "list"


def test_links_are_made_only_by_a_post_and_shown_again_unchanged(client: FlaskClient,
                                                                  session: Session) -> None:
    w, qa, _qb = _two_offers(session)
    session.commit()
    login(client, w.treasurer.user.email)
    assert client.get(f"{_base(w)}/{qa.id}/link").status_code == 405
    assert client.get(f"{_base(w)}/{qa.id}/revoke").status_code == 405
    made = post(client, f"{_base(w)}/{qa.id}/link", {"days": "7"})
    assert made.status_code == 303 and made.headers["Location"].endswith(f"{_base(w)}/links")
    session.expire_all()
    token_hash = session.get(Quote, qa.id).token_hash
    first = _LINK.findall(client.get(f"{_base(w)}/links").get_data(as_text=True))
    again = _LINK.findall(client.get(f"{_base(w)}/links").get_data(as_text=True))
    assert len(first) == 1 and first == again
    session.expire_all()
    assert session.get(Quote, qa.id).token_hash == token_hash
    link = first[0].replace("http://localhost", "")
    assert client.get(link).status_code == 200  # still works after being shown twice
    assert post(client, f"{_base(w)}/{qa.id}/revoke").status_code == 302
    assert client.get(link).status_code == 410
    assert _LINK.findall(client.get(f"{_base(w)}/links").get_data(as_text=True)) == []


def test_award_at_list_prices_asks_first(client: FlaskClient, session: Session) -> None:
    from tests.factories import make_closed_round

    w = make_closed_round(session)
    w.treasurer.user.locale = "en"
    session.commit()
    login(client, w.treasurer.user.email)
    round_page = client.get(f"/groups/{w.group.id}/rounds/{w.rnd.id}").get_data(as_text=True)
    assert f'href="{_base(w)}/award?list=1"' in round_page  # a link: it only asks
    page = client.get(f"{_base(w)}/award?list=1")
    html = _text(page)
    assert page.status_code == 200 and "the catalog’s list prices" in html
    # spec rule 1 and 2 at list prices: 50 × 42 + 30 × 27.40 + 100 × 71.25
    assert "2,100.00" in html and "822.00" in html and "7,125.00" in html
    session.expire_all()
    assert session.get(Round, w.rnd.id).state == "closed"
    form = {f"item_{i.id}": "list" for i in (w.seed, w.fabric, w.npk)}
    form.update(rule="weight", confirm="1")
    assert post(client, f"{_base(w)}/award", form).status_code == 302
    again = post(client, f"{_base(w)}/award", form)
    assert again.status_code == 302
    assert "nothing was changed" in client.get(again.headers["Location"]).get_data(as_text=True)
    session.expire_all()
    rnd = session.get(Round, w.rnd.id)
    assert rnd.state == "awarded"
    assert {i.awarded_supplier_id for i in rnd.items} == {w.seed.product.supplier_id}
