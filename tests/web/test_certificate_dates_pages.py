"""Typos in a certificate's or a label's dates, through the pages in Russian
(found by a new user: a certificate valid 01.01.1900–31.12.9999 was saved, a
label packed in 2999 printed): a 4xx, the message under the field, nothing
written and no PDF."""

from __future__ import annotations

import re
from datetime import timedelta
from urllib.parse import quote

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from coop.certificates.models import Certificate
from coop.i18n import local_today
from tests.conftest import post
from tests.factories import make_equipment_world
from tests.web.test_equipment_pages import _certificate_form, _jam_lot, _ru


def field_errors(page: str, name: str) -> list[str]:
    """The errors shown in the field block of the input `name`."""
    for block in page.split('<div class="field')[1:]:
        if f'name="{name}"' in block.split("</div>", 1)[0]:
            return re.findall(r'<p class="error">(.*?)</p>', block.split("</div>", 1)[0])
    raise AssertionError(f"no field {name}")


def _certificates(session: Session) -> int:
    session.expire_all()
    return session.scalar(select(func.count()).select_from(Certificate)) or 0


def test_a_certificate_from_1900_to_9999_is_refused(app_ctx, session: Session) -> None:  # type: ignore[no-untyped-def]
    w = make_equipment_world(session)
    client = _ru(app_ctx, w.treasurer)
    url = f"/groups/{w.group.id}/certificates/new"
    response = post(client, url, _certificate_form(valid_from="1900-01-01",
                                                   valid_to="9999-12-31"))
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert field_errors(page, "valid_from") == [
        "Проверьте год: срок действия документа не может начинаться раньше 01.01.2000."]
    assert _certificates(session) == 0
    start = local_today() - timedelta(days=30)
    response = post(client, url, _certificate_form(valid_from=start.isoformat(),
                                                   valid_to="9999-12-31"))
    assert response.status_code == 422
    (message,) = field_errors(response.get_data(as_text=True), "valid_to")
    assert message.startswith("Проверьте даты: документ действует не больше 5 лет")
    assert start.replace(year=start.year + 5).strftime("%d.%m.%Y") in message
    assert _certificates(session) == 0


def test_a_renewal_that_begins_next_month_is_entered_and_one_years_ahead_is_refused(
        app_ctx, session: Session) -> None:  # type: ignore[no-untyped-def]
    """Found in review: the 60- and 14-day reminders ask for the renewal early,
    and it comes dated from a day still ahead: it is entered. A start more
    than a year ahead is a typo in the year."""
    from coop.certificates.domain import years_after

    w = make_equipment_world(session)
    client = _ru(app_ctx, w.treasurer)
    today = local_today()
    far = years_after(today, 1) + timedelta(days=1)
    response = post(client, f"/groups/{w.group.id}/certificates/new", _certificate_form(
        valid_from=far.isoformat(), valid_to=(far + timedelta(days=365)).isoformat()))
    assert response.status_code == 422
    latest = years_after(today, 1).strftime("%d.%m.%Y")
    assert field_errors(response.get_data(as_text=True), "valid_from") == [
        f"Проверьте год: документ, внесённый сейчас, не может начинаться позже {latest}."]
    assert _certificates(session) == 0
    soon = today + timedelta(days=30)
    ok = post(client, f"/groups/{w.group.id}/certificates/new", _certificate_form(
        valid_from=soon.isoformat(), valid_to=(soon + timedelta(days=365)).isoformat()))
    assert ok.status_code == 302 and _certificates(session) == 1


def _labels(client, w, lot, packed_on, best_before):  # type: ignore[no-untyped-def]
    return client.get(f"/groups/{w.group.id}/sales/{lot.id}/labels.pdf?net=1&count=8"
                      f"&packed_on={packed_on}&best_before={best_before}&size=medium"
                      f"&grade={lot.grades[0].id}")


def test_a_label_packed_in_2999_does_not_print(app_ctx, session: Session) -> None:  # type: ignore[no-untyped-def]
    w = make_equipment_world(session)
    lot = _jam_lot(session, w, True)
    client = _ru(app_ctx, w.treasurer)
    response = _labels(client, w, lot, "2999-01-01", "2999-06-01")
    assert response.status_code == 400 and "application/pdf" not in response.content_type
    page = response.get_data(as_text=True)
    assert field_errors(page, "packed_on") == [
        "Этот день ещё не наступил: укажите день, когда это было."]
    assert "2999" not in page.split('id="eligibility"', 1)[1].split("</div>", 1)[0]
    today = local_today()
    assert _labels(client, w, lot, today, today + timedelta(days=365)).content_type == \
        "application/pdf"


def test_a_labels_best_before_is_after_packing_still_to_come_and_plausible(
        app_ctx, session: Session) -> None:  # type: ignore[no-untyped-def]
    w = make_equipment_world(session)
    lot = _jam_lot(session, w, True)
    client = _ru(app_ctx, w.treasurer)
    today = local_today()
    for packed, best, message in [
            (today, today - timedelta(days=1),
             "Срок годности не может закончиться раньше даты упаковки."),
            (today - timedelta(days=90), today - timedelta(days=1),
             "Этот день уже прошёл: на этикетке не может стоять истёкший срок годности."),
            (today, "2999-12-31", "Проверьте год: срок годности — не больше 5 лет после упаковки")]:
        response = _labels(client, w, lot, packed, best)
        assert response.status_code == 400, (packed, best)
        (shown,) = field_errors(response.get_data(as_text=True), "best_before")
        assert shown.startswith(message), shown


def test_a_label_count_that_is_not_a_whole_number_says_so_and_keeps_what_was_typed(
        app_ctx, session: Session) -> None:  # type: ignore[no-untyped-def]
    """The count said «Обязательное поле.» for letters typed (DataRequired
    after IntegerField left None), and for 0."""
    w = make_equipment_world(session)
    lot = _jam_lot(session, w, True)
    client = _ru(app_ctx, w.treasurer)
    today = local_today()
    url = (f"/groups/{w.group.id}/sales/{lot.id}/labels.pdf?net=1&packed_on={today}"
           f"&best_before={today + timedelta(days=90)}&size=medium&grade={lot.grades[0].id}")
    whole = "Напишите целое число от 1 до 500."
    for typed, message in (("восемь", whole), ("2,5", whole), ("0", whole), ("501", whole),
                           ("-3", whole), ("٨", whole), ("", "Обязательное поле."),
                           ("   ", "Обязательное поле.")):
        response = client.get(f"{url}&count={quote(typed)}")
        assert response.status_code == 400, typed
        assert "application/pdf" not in response.content_type
        page = response.get_data(as_text=True)
        assert field_errors(page, "count") == [message], (typed, field_errors(page, "count"))
        if typed.strip():
            assert f'value="{typed}"' in page, typed
    assert client.get(f"{url}&count=12").content_type == "application/pdf"
