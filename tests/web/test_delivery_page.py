"""The delivery page answers a POST that can go ahead with a redirect
(post/redirect/get): "Preview" to the preview's own address (what was typed,
the form's key, never the CSRF token), a recorded delivery to the plain
page. So Back never asks to resend a form, and the same form recorded again
(from the preview, Back, a double click) is recorded once. A POST that
cannot go ahead is answered on the spot: the page again, 422, what she typed
and the form's key kept, why not in her language, nothing written."""

from __future__ import annotations

import re
from html import unescape
from urllib.parse import parse_qs, urlsplit

import pytest
from flask.testing import FlaskClient
from flask_babel import force_locale, gettext
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from coop.orders.models import Delivery
from tests.conftest import login
from tests.factories import make_awarded_quote
from tests.integration.test_money_endpoints import hidden_fields

_KEY = re.compile(r'name="idempotency_key"[^>]*value="([^"]+)"')
_CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


def _deliveries(session: Session) -> int:
    session.expire_all()
    return session.scalar(select(func.count()).select_from(Delivery)) or 0


def _form(client: FlaskClient, url: str) -> tuple[str, str, str]:
    html = client.get(url).get_data(as_text=True)
    return html, _KEY.search(html).group(1), _CSRF.search(html).group(1)  # type: ignore[union-attr]


def test_preview_record_back_and_again(client: FlaskClient, session: Session) -> None:
    w, _quote, _token, _other, _other_token = make_awarded_quote(session)
    session.commit()
    login(client, w.treasurer.user.email)
    page = f"/groups/{w.group.id}/rounds/{w.rnd.id}/delivery"
    _html, key, csrf = _form(client, page)
    typed = {f"received_{w.seed.id}": "50", f"received_{w.npk.id}": "100",
             f"damaged_{w.npk.id}": "2", "note": "Машина 1"}

    preview = client.post(page, data={**typed, "action": "preview", "idempotency_key": key,
                                      "csrf_token": csrf})
    assert preview.status_code in (302, 303), preview.status_code
    address = preview.headers["Location"]
    query = parse_qs(urlsplit(address).query)
    assert urlsplit(address).path == page
    assert query["idempotency_key"] == [key] and "csrf_token" not in query
    assert query[f"damaged_{w.npk.id}"] == ["2"] and query["note"] == ["Машина 1"]
    shown = client.get(address)
    html = shown.get_data(as_text=True)
    assert shown.status_code == 200
    assert '<table class="changes' in html  # what changes for each member
    assert f'value="{key}"' in html and 'value="Машина 1"' in html
    assert f'name="damaged_{w.npk.id}" inputmode="decimal" autocomplete="off" value="2"' in html
    assert _deliveries(session) == 0  # a preview records nothing

    csrf = _CSRF.search(html).group(1)  # type: ignore[union-attr]
    recorded = client.post(page, data={**typed, "action": "record", "idempotency_key": key,
                                       "csrf_token": csrf})
    assert recorded.status_code in (302, 303)
    assert urlsplit(recorded.headers["Location"]).path == page
    assert "preview" not in recorded.headers["Location"]
    assert "The delivery is recorded." in client.get(recorded.headers["Location"]).get_data(
        as_text=True)
    assert _deliveries(session) == 2

    # Back to the preview's address: it says it is recorded, and offers it no more
    back = client.get(address)
    assert back.status_code in (302, 303) and "preview" not in back.headers["Location"]
    assert "This was recorded already." in client.get(back.headers["Location"]).get_data(
        as_text=True)
    # the same form sent again (the preview kept in the browser, a double click)
    again = client.post(page, data={**typed, "action": "record", "idempotency_key": key,
                                    "csrf_token": csrf})
    assert again.status_code in (302, 303)
    assert "This was recorded already." in client.get(again.headers["Location"]).get_data(
        as_text=True)
    assert _deliveries(session) == 2


def test_a_refused_delivery_is_shown_again_as_typed_on_the_spot(client: FlaskClient,
                                                               session: Session) -> None:
    w, _quote, _token, _other, _other_token = make_awarded_quote(session)
    session.commit()
    login(client, w.treasurer.user.email)
    page = f"/groups/{w.group.id}/rounds/{w.rnd.id}/delivery"
    for typed, message in (
            ({f"received_{w.seed.id}": "пять"}, "need correcting"),
            ({f"received_{w.npk.id}": "10", f"damaged_{w.npk.id}": "20"},
             "more damaged than received"),
            ({f"received_{w.npk.id}": "10", "delivered_on": "вчера"}, "Could not read the date"),
            # (found on a walk: a delivery "on" 01.01.2099 was recorded)
            ({f"received_{w.npk.id}": "10", "delivered_on": _tomorrow()},
             "This day is still to come"),
            ({}, "Enter what arrived for at least one product.")):
        for action in ("preview", "record"):
            _html, key, csrf = _form(client, page)
            # (a "yes" to a question asked before is not carried into the page shown again)
            yes = {"confirm_again": "1"} if action == "record" else {}
            sent = client.post(page, data={**typed, "action": action, "idempotency_key": key,
                                           "csrf_token": csrf, **yes})
            html = sent.get_data(as_text=True)
            assert sent.status_code == 422, (typed, action, sent.status_code)
            assert "Location" not in sent.headers
            assert message in html, (typed, html[:3000])
            for value in typed.values():
                assert f'value="{value}"' in html, (value, typed)
            assert f'value="{key}"' in html  # the same form: its key kept
            assert 'name="confirm_again"' in html
            assert not re.search(r'name="confirm_again"[^>]*value="1"', html)
    # the preview's own address, reloaded with what cannot be recorded, says so too
    _html, key, _csrf = _form(client, page)
    shown = client.get(f"{page}?preview=1&received_{w.seed.id}=пять&idempotency_key={key}")
    assert shown.status_code == 422 and "need correcting" in shown.get_data(as_text=True)
    assert _deliveries(session) == 0


@pytest.mark.parametrize("locale, typed", [("ky", "эки жүз"), ("tg", "шаст"), ("ru", "пять")])
def test_a_quantity_that_is_not_a_number_is_refused_in_her_language_without_a_redirect(
        client: FlaskClient, session: Session, locale: str, typed: str) -> None:
    """(Found on a walk in Kyrgyz and Tajik: the refusal went through a
    redirect, 302 and then the page.) Preview and Record alike: 422 on the
    spot, the message in her language next to the line, all she typed kept."""
    w, _quote, _token, _other, _other_token = make_awarded_quote(session)
    w.treasurer.user.locale = locale
    session.commit()
    login(client, w.treasurer.user.email)
    page = f"/groups/{w.group.id}/rounds/{w.rnd.id}/delivery"
    with client.application.test_request_context(), force_locale(locale):
        banner = gettext("Some quantities need correcting: see the marked lines. "
                         "Nothing was saved.")
    assert banner != "Some quantities need correcting: see the marked lines. Nothing was saved."
    for action in ("preview", "record"):
        _html, key, csrf = _form(client, page)
        sent = client.post(page, data={
            f"received_{w.seed.id}": typed, f"received_{w.npk.id}": "100",
            f"damaged_{w.npk.id}": "2", "note": "Машина 1", "action": action,
            "idempotency_key": key, "csrf_token": csrf})
        html = unescape(sent.get_data(as_text=True))
        assert sent.status_code == 422, (action, sent.status_code, sent.headers.get("Location"))
        assert banner in html, html[:3000]
        line = html.split(f'name="received_{w.seed.id}"', 1)[1].split("</fieldset>", 1)[0]
        assert f'value="{typed}"' in line and 'class="error"' in line  # marked, as typed
        assert f'name="damaged_{w.npk.id}" inputmode="decimal" autocomplete="off" value="2"' \
            in html and 'value="Машина 1"' in html and f'value="{key}"' in html
        assert _deliveries(session) == 0  # nothing written


def _tomorrow() -> str:
    from datetime import timedelta

    from coop.i18n import local_today

    return (local_today() + timedelta(days=1)).isoformat()


def test_a_delivery_dated_in_the_future_is_refused_by_the_service_the_api_calls(
        session: Session) -> None:
    from datetime import timedelta

    import pytest

    from coop.errors import DomainError
    from coop.i18n import local_today
    from coop.orders import services

    w, _quote, _token, _other, _other_token = make_awarded_quote(session)
    session.commit()
    with pytest.raises(DomainError, match="still to come") as refused:
        services.record_delivery(session, w.rnd, {w.npk.id: (10_000, 0)}, actor=w.treasurer.user,
                                 delivered_on=local_today() + timedelta(days=1))
    assert refused.value.field == "delivered_on"
    session.rollback()
    assert _deliveries(session) == 0
    assert services.record_delivery(session, w.rnd, {w.npk.id: (10_000, 0)},
                                    actor=w.treasurer.user, delivered_on=local_today()) == 1


def _ordered(session: Session, w) -> dict[int, int]:  # type: ignore[no-untyped-def]
    """Thousandths ordered from the supplier, per round item."""
    from coop.orders import services

    return services.ordered_quantities(services.compute_split(session, w.rnd, as_ordered=True))


def _awarded(client: FlaskClient, session: Session):  # type: ignore[no-untyped-def]
    """The factories' awarded round, its treasurer signed in: (world, delivery page)."""
    w, _quote, _token, _other, _other_token = make_awarded_quote(session)
    session.commit()
    login(client, w.treasurer.user.email)
    return w, f"/groups/{w.group.id}/rounds/{w.rnd.id}/delivery"


def _typed(quantity: int) -> str:
    return f"{quantity / 1000:g}"


def test_the_same_delivery_sent_again_after_back_asks_before_it_counts_twice(
        client: FlaskClient, session: Session) -> None:
    """Back to the delivery page shows a new form (a new key): the same lines
    typed and sent again would add up to twice what arrived. It asks first,
    records nothing while it asks, and "yes" records it once."""
    w, page = _awarded(client, session)
    half = _ordered(session, w)[w.seed.id] // 2
    typed = {f"received_{w.seed.id}": _typed(half), "action": "record"}
    _html, key, csrf = _form(client, page)
    assert client.post(page, data={**typed, "idempotency_key": key, "csrf_token": csrf}
                       ).status_code in (302, 303)
    assert _deliveries(session) == 1

    _html, new_key, csrf = _form(client, page)  # Back: the page anew, a new key
    asked = client.post(page, data={**typed, "idempotency_key": new_key, "csrf_token": csrf})
    html = asked.get_data(as_text=True)
    assert asked.status_code == 200 and "Record another?" in html
    assert "The same delivery (" in html and "counts twice" in html
    assert _deliveries(session) == 1  # nothing while it asks
    assert f'value="{new_key}"' in html and f'name="received_{w.seed.id}"' in html
    yes = hidden_fields(html)
    assert yes["confirm_again"] == "1" and yes["action"] == "record"
    for _twice in range(2):  # "yes", and "yes" sent again: one more delivery
        assert client.post(page, data=yes).status_code in (302, 303)
    assert _deliveries(session) == 2


def test_more_than_was_ordered_asks_first_and_says_the_group_pays_for_it(
        client: FlaskClient, session: Session) -> None:
    w, page = _awarded(client, session)
    ordered = _ordered(session, w)[w.npk.id]
    _html, key, csrf = _form(client, page)
    exactly = {f"received_{w.npk.id}": _typed(ordered), "action": "record",
               "idempotency_key": key, "csrf_token": csrf}
    assert client.post(page, data=exactly).status_code in (302, 303)  # all of it: no question
    _html, key, csrf = _form(client, page)
    more = {f"received_{w.npk.id}": "1", "action": "record", "idempotency_key": key,
            "csrf_token": csrf}
    asked = client.post(page, data=more)
    html = asked.get_data(as_text=True)
    assert asked.status_code == 200 and "Record it anyway?" in html
    assert "more arrived than was ordered" in html and "the group pays the supplier" in html
    assert _deliveries(session) == 1
    yes = hidden_fields(html)
    assert client.post(page, data=yes).status_code in (302, 303)
    assert _deliveries(session) == 2


def test_a_line_sent_again_with_another_added_asks_and_a_closed_delivery_only_refuses(
        client: FlaskClient, session: Session) -> None:
    from coop.orders import services

    w, page = _awarded(client, session)
    half = _ordered(session, w)[w.seed.id] // 2
    _html, key, csrf = _form(client, page)
    seed = {f"received_{w.seed.id}": _typed(half), "action": "record"}
    client.post(page, data={**seed, "idempotency_key": key, "csrf_token": csrf})
    _html, key, csrf = _form(client, page)  # Back, the seed typed again, and the NPK added
    asked = client.post(page, data={**seed, f"received_{w.npk.id}": "1",
                                    "idempotency_key": key, "csrf_token": csrf})
    html = asked.get_data(as_text=True)
    assert asked.status_code == 200 and "Record another?" in html and "The same delivery" in html
    assert w.npk.product.name not in html.split("The same delivery")[1].split(")")[0]
    assert _deliveries(session) == 1

    services.confirm_delivery(session, session.merge(w.rnd), w.treasurer.user)
    session.commit()
    _html, key, csrf = _form(client, page)
    refused = client.post(page, data={**seed, "idempotency_key": key, "csrf_token": csrf})
    assert refused.status_code == 422  # refused as it stands, not asked about
    assert "Deliveries are recorded after the award" in refused.get_data(as_text=True)
    assert _deliveries(session) == 1
