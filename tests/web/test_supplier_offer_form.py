"""The supplier's offer form behind her link, as she uses it: the same form
sent again (a double click, or Back and send) records nothing new and tells
her, in her language, that her offer is already received; a real change, or
an answer to a counter-offer, is a new version. Every mistake in the form is
shown at once, next to its field, with what she typed kept."""

from __future__ import annotations

import re

from flask.testing import FlaskClient
from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import Session

from coop.quotes import services as quotes
from coop.quotes.models import QuoteRevision
from tests.factories import make_closed_round, make_quote
from tests.web.test_quotes import _offer_form

_KEY = re.compile(r'name="idempotency_key"[^>]*value="([^"]*)"')
_CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


def _shown(client: FlaskClient, token: str) -> tuple[str, str]:
    """The key and CSRF token of the offer form, as her page shows it."""
    html = client.get(f"/q/{token}").get_data(as_text=True)
    form = html[html.index(f'action="/q/{token}"'):]
    key = _KEY.search(form)
    assert key and len(key.group(1)) >= 16, "the offer form carries a key"
    return key.group(1), _CSRF.search(form).group(1)  # type: ignore[union-attr]


def _send(client: FlaskClient, token: str, data: dict[str, str], key: str, csrf: str):  # type: ignore[no-untyped-def]
    return client.post(f"/q/{token}", data={**data, "idempotency_key": key,
                                             "csrf_token": csrf})


def _revisions(session: Session) -> list[int]:
    session.expire_all()
    return list(session.scalars(select(QuoteRevision.number).order_by(QuoteRevision.id)))


def _already(number: int) -> str:
    with force_locale("ru"):
        return _("Your offer is already received (version %(n)d). Nothing new was sent.",
                 n=number)


def test_the_same_form_sent_twice_records_one_version_and_says_so(
        client: FlaskClient, session: Session) -> None:
    w = make_closed_round(session)
    _quote, token = make_quote(session, w, language="ru")
    session.commit()
    data = _offer_form(w)
    key, csrf = _shown(client, token)
    first = _send(client, token, data, key, csrf)
    assert first.status_code in (302, 303)
    second = _send(client, token, data, key, csrf)  # a double click
    assert second.status_code in (302, 303), second.get_data(as_text=True)[:2000]
    assert _revisions(session) == [1]
    page = client.get(second.headers["Location"]).get_data(as_text=True)
    assert _already(1) in page, page[:3000]
    assert '<html lang="ru">' in page


def test_the_same_offer_sent_again_after_back_adds_nothing(client: FlaskClient,
                                                           session: Session) -> None:
    """After Back her page is shown anew (it is never cached): a new key, the
    same offer. It is already received; a real change is a new version."""
    w = make_closed_round(session)
    _quote, token = make_quote(session, w, language="ru")
    session.commit()
    data = _offer_form(w)
    key, csrf = _shown(client, token)
    assert _send(client, token, data, key, csrf).status_code in (302, 303)
    new_key, csrf = _shown(client, token)
    assert new_key != key
    again = _send(client, token, data, new_key, csrf)
    assert again.status_code in (302, 303)
    assert _revisions(session) == [1]
    assert _already(1) in client.get(again.headers["Location"]).get_data(as_text=True)
    # a real change (a lower NPK price) is a new version, with her thanks
    changed = {**data, f"price_{w.npk.id}_1": "69"}
    key, csrf = _shown(client, token)
    sent = _send(client, token, changed, key, csrf)
    assert sent.status_code in (302, 303)
    assert _revisions(session) == [1, 2]
    with force_locale("ru"):
        thanks = _("Thank you! Your offer is sent to the group (version %(n)d).", n=2)
    assert thanks in client.get(sent.headers["Location"]).get_data(as_text=True)


def test_the_same_offer_after_a_counter_offer_is_her_answer(client: FlaskClient,
                                                            session: Session) -> None:
    """The group asked for lower prices; she sends the same prices again: that
    is her answer (she keeps them), a new version the treasurer sees."""
    w = make_closed_round(session)
    quote, token = make_quote(session, w, language="ru")
    session.commit()
    data = _offer_form(w)
    key, csrf = _shown(client, token)
    assert _send(client, token, data, key, csrf).status_code in (302, 303)
    session.expire_all()
    quotes.send_counter_offer(session, session.get(type(quote), quote.id), w.treasurer.user,
                              message="Дешевле?", targets={})
    session.commit()
    # the old form, sent once more with its old key, is still the same sending
    assert _send(client, token, data, key, csrf).status_code in (302, 303)
    assert _revisions(session) == [1]
    key, csrf = _shown(client, token)
    assert _send(client, token, data, key, csrf).status_code in (302, 303)
    assert _revisions(session) == [1, 2]


def test_every_mistake_is_shown_at_once_next_to_its_field(client: FlaskClient,
                                                          session: Session) -> None:
    w = make_closed_round(session)
    _quote, token = make_quote(session, w, language="en")
    session.commit()
    data = _offer_form(w, **{
        f"price_{w.seed.id}_0": "сорок",  # not a number
        f"pack_{w.fabric.id}": "",  # no pack size
        f"from_{w.npk.id}_1": "0",  # the quantities must grow
        "delivery_fee": "-1",  # negative
        "valid_until": "2001-01-01",  # passed
        "lead_time_days": "soon",  # not a number
    })
    key, csrf = _shown(client, token)
    response = _send(client, token, data, key, csrf)
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert "Nothing was sent yet" in html

    def block(start: str, end: str) -> str:
        return html[html.index(start):html.index(end, html.index(start))]

    seed = block(f'id="line-{w.seed.id}"', "</fieldset>")
    fabric = block(f'id="line-{w.fabric.id}"', "</fieldset>")
    npk = block(f'id="line-{w.npk.id}"', "</fieldset>")
    assert "is not a number" in seed and "сорок" in seed  # kept as typed
    assert "Give your pack size" in fabric and "Give your pack size" not in seed + npk
    assert "must grow" in npk
    fee = block('for="delivery_fee"', "</div>")
    assert "cannot be negative" in fee and 'value="-1"' in fee
    until = block('for="valid_until"', "</div>")
    assert "This date has passed" in until and 'value="2001-01-01"' in until
    lead = block('for="lead_time_days"', "</div>")
    assert 'class="error"' in lead and 'value="soon"' in lead
    # the rest of what she typed is kept too
    assert 'value="Доставим в четверг"' in html or "Доставим в четверг</textarea>" in html
    assert f'name="price_{w.npk.id}_1" value="70"' in html
    # the list at the top names every mistake
    summary = block('class="error-summary"', "</ul>")
    for message in ("is not a number", "Give your pack size", "must grow",
                    "cannot be negative", "This date has passed"):
        assert message in summary, (message, summary)
    assert _revisions(session) == []
