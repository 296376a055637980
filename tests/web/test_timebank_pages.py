"""The time bank's pages through the test client: recording help as a member
and as the coordinator, confirming, rejecting, reversing, the batch and the
CSV import; bad input gets a 4xx with a Russian message and writes nothing;
hours shown per language; the same form sent twice records once."""

from __future__ import annotations

import io
import zipfile
from datetime import date, timedelta

import pytest
from flask import Flask
from flask.testing import FlaskClient
from flask_babel import force_locale
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from coop.timebank import services as tb
from coop.timebank.models import TimeMovement, TimePost, TimeTransfer
from tests.conftest import csrf_token, login, post
from tests.timebank_world import figures, make_time_bank

YESTERDAY = (date.today() - timedelta(days=1)).isoformat()


@pytest.fixture()
def world(session: Session):  # type: ignore[no-untyped-def]
    w = make_time_bank(session)
    session.commit()
    w.base = f"/groups/{w.group.id}/timebank"
    w.numbers = tb.number_of(session, w.group)
    return w


def _count(session: Session) -> int:
    session.expire_all()
    return session.scalar(select(func.count()).select_from(TimeTransfer)) or 0


def _record(client: FlaskClient, w, **changes: str):  # type: ignore[no-untyped-def]
    data = {"direction": "received", "other": str(w.bermet.id), "hours": "2:30",
            "category": str(w.categories["harvest"]), "post": "",
            "date_of_service": YESTERDAY, "note": "абрикосы", **changes}
    return post(client, f"{w.base}/record", data)


def test_she_records_help_she_received_and_sees_it_on_her_statement(
        client: FlaskClient, session: Session, world) -> None:  # type: ignore[no-untyped-def]
    login(client, world.aigul.user.email)
    assert client.get(f"{world.base}/record").status_code == 200
    response = _record(client, world)
    assert response.status_code == 302
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Записано и учтено." in page
    assert "Баланс: −2 ч 30 мин" in page
    assert figures(session, world)[:2] == (-150, 150)


@pytest.mark.parametrize("changes, message", [
    ({"hours": "0"}, "Время должно быть больше нуля."),
    ({"hours": "-1"}, "Время должно быть больше нуля."),
    ({"hours": "0:50"}, "В этой группе время записывается шагами по 15 мин."),
    ({"hours": "13"}, "В этой группе за один раз можно записать не больше 12 ч."),
    ({"hours": "2:75"}, "«2:75» — не время"),
    ({"hours": ""}, "This field is required"),
    ({"other": "self"}, "Участница не может записать помощь самой себе."),
    ({"date_of_service": (date.today() + timedelta(days=2)).isoformat()},
     "Дата помощи не может быть в будущем."),
    ({"date_of_service": "2020-01-01"}, "вступила в группу ("),
    ({"category": "999999"}, "Выберите категорию помощи."),
    ({"post": "999999"}, "Неизвестное или закрытое предложение или просьба."),
    ({"hours": "11"}, "получить помощи не больше чем на 600 минут (10 ч): её баланс 0 ч"),
])
def test_bad_input_gets_a_russian_message_and_writes_nothing(
        client: FlaskClient, session: Session, world, changes: dict,
        message: str) -> None:  # type: ignore[no-untyped-def]
    login(client, world.aigul.user.email)
    if changes.get("other") == "self":
        changes = {"other": str(world.aigul.id)}
    response = _record(client, world, **changes)
    text = response.get_data(as_text=True)
    assert 400 <= response.status_code < 500, response.status_code
    if message != "This field is required":
        assert message in text, text[:3000]
    assert _count(session) == 0


def test_another_group_s_member_is_unknown(client: FlaskClient, session: Session,
                                          world) -> None:  # type: ignore[no-untyped-def]
    other = make_time_bank(session)
    session.commit()
    login(client, world.aigul.user.email)
    response = _record(client, world, other=str(other.bermet.id))
    assert response.status_code == 404
    assert _count(session) == 0


def test_the_same_form_sent_twice_records_once(client: FlaskClient, session: Session,
                                               world) -> None:  # type: ignore[no-untyped-def]
    login(client, world.aigul.user.email)
    data = {"direction": "received", "other": str(world.bermet.id), "hours": "1",
            "category": str(world.categories["house"]), "post": "",
            "date_of_service": YESTERDAY, "note": "", "idempotency_key": "same-key-0123456789"}
    first = post(client, f"{world.base}/record", data)
    again = post(client, f"{world.base}/record", data)
    assert first.status_code == again.status_code == 302
    assert "уже записано" in client.get(again.headers["Location"]).get_data(as_text=True)
    assert _count(session) == 1


def test_a_provider_s_record_waits_and_only_the_receiver_confirms(
        app_ctx: Flask, session: Session, world) -> None:  # type: ignore[no-untyped-def]
    aigul, cholpon, bermet = (app_ctx.test_client() for _ in range(3))
    login(aigul, world.aigul.user.email)
    response = _record(aigul, world, direction="gave", other=str(world.cholpon.id), hours="3")
    assert response.status_code == 302
    pending = session.scalar(select(TimeTransfer))
    assert pending.state == "pending" and figures(session, world) == (0, 0, 0, 0, 0)
    url = f"{world.base}/transfers/{pending.id}/confirm"
    login(bermet, world.bermet.user.email)
    assert bermet.post(url, data={"csrf_token": csrf_token(bermet, "/")}).status_code == 403
    assert aigul.post(url, data={"csrf_token": csrf_token(aigul, "/")}).status_code == 403
    login(cholpon, world.cholpon.user.email)
    assert "Подтвердить: так было" in cholpon.get(f"{world.base}/pending").get_data(as_text=True)
    token = csrf_token(cholpon, "/")
    assert cholpon.post(url, data={"csrf_token": token}).status_code == 302
    assert cholpon.post(url, data={"csrf_token": token}).status_code == 302  # again: no-op
    session.expire_all()
    assert session.scalar(select(func.count()).select_from(TimeMovement)) == 2
    assert figures(session, world) == (180, 0, -180, 0, 0)
    # rejecting what is confirmed: 409, make a correction instead
    reject = cholpon.post(f"{world.base}/transfers/{pending.id}/reject",
                          data={"csrf_token": token, "reason": "нет"})
    assert reject.status_code == 409
    assert "сделайте исправление" in reject.get_data(as_text=True)


def test_rejecting_needs_a_reason(client: FlaskClient, session: Session,
                                  world) -> None:  # type: ignore[no-untyped-def]
    pending, _ = tb.record_transfer(session, world.group, tb.Line(
        world.cholpon, world.aigul, 60, world.categories["house"], date.today()),
        actor=world.aigul.user, mode="provider")
    session.commit()
    login(client, world.cholpon.user.email)
    url = f"{world.base}/transfers/{pending.id}/reject"
    assert post(client, url, {"reason": ""}).status_code == 422
    assert post(client, url, {"reason": "не было такого"}).status_code == 302
    session.expire_all()
    assert session.get(TimeTransfer, pending.id).state == "rejected"


def test_the_coordinator_s_register_line_batch_and_reversal(
        client: FlaskClient, session: Session, world) -> None:  # type: ignore[no-untyped-def]
    n = world.numbers
    login(client, world.coordinator.user.email)
    assert client.get(f"{world.base}/register").status_code == 200
    response = post(client, f"{world.base}/register", {
        "receiver": str(n[world.bermet.id]), "provider": str(n[world.aigul.id]),
        "hours": "2 ч 30", "category": str(world.categories["harvest"]),
        "date_of_service": YESTERDAY, "note": ""})
    assert response.status_code == 302
    first = session.scalar(select(TimeTransfer))
    assert first.on_behalf and first.state == "confirmed"
    bad = post(client, f"{world.base}/batch", {
        "direction": "many_to_one", "member": str(n[world.cholpon.id]),
        "category": str(world.categories["celebrations"]), "date_of_service": YESTERDAY,
        "note": "", "other_1": str(n[world.aigul.id]), "hours_1": "3",
        "other_2": "99", "hours_2": "3", "other_3": str(n[world.bermet.id]), "hours_3": "2:75"})
    assert bad.status_code == 422
    text = bad.get_data(as_text=True)
    assert "Строка 2: Нет участницы с номером 99." in text
    assert "Строка 3:" in text and "Ничего не записано" in text
    assert _count(session) == 1
    good = post(client, f"{world.base}/batch", {
        "direction": "many_to_one", "member": str(n[world.cholpon.id]),
        "category": str(world.categories["celebrations"]), "date_of_service": YESTERDAY,
        "note": "свадьба", "other_1": str(n[world.aigul.id]), "hours_1": "3",
        "other_2": str(n[world.bermet.id]), "hours_2": "3"})
    assert good.status_code == 302 and _count(session) == 3
    assert figures(session, world) == (330, 30, -360, 0, 0)
    url = f"{world.base}/transfers/{first.id}/reverse"
    assert post(client, url, {"reason": ""}).status_code == 422
    assert post(client, url, {"reason": "было 2 ч"}).status_code == 302
    assert post(client, url, {"reason": "ещё раз"}).status_code == 409
    assert figures(session, world) == (180, 180, -360, 0, 0)
    assert client.get(f"{world.base}/transfers/{first.id}").status_code == 200


def test_a_member_cannot_reverse_nor_open_the_register(client: FlaskClient, session: Session,
                                                       world) -> None:  # type: ignore[no-untyped-def]
    done, _ = tb.record_transfer(session, world.group, tb.Line(
        world.bermet, world.aigul, 60, world.categories["house"], date.today()),
        actor=world.bermet.user, mode="receiver")
    session.commit()
    login(client, world.bermet.user.email)
    assert post(client, f"{world.base}/transfers/{done.id}/reverse",
                {"reason": "хочу"}).status_code == 403
    for page in ("register", "batch", "import", "reports", "settings", "export.zip"):
        assert client.get(f"{world.base}/{page}").status_code == 403, page
    # the statement of another member is not hers to see
    assert client.get(f"{world.base}/members/{world.aigul.id}").status_code == 404
    assert _count(session) == 1


def test_the_csv_import_is_all_or_nothing_with_line_numbers(
        client: FlaskClient, session: Session, world) -> None:  # type: ignore[no-untyped-def]
    n = world.numbers
    day = (date.today() - timedelta(days=1)).strftime("%d.%m.%Y")
    bad = (f"Дата;Получила;Помогла;Часы;Категория\n{day};{n[world.bermet.id]};"
           f"{n[world.aigul.id]};2:30;harvest\n{day};{n[world.cholpon.id]};77;1;harvest\n")
    login(client, world.coordinator.user.email)
    response = post(client, f"{world.base}/import",
                    {"file": (io.BytesIO(bad.encode("cp1251")), "register.csv")},
                    content_type="multipart/form-data")
    assert response.status_code == 422
    assert "Строка 3: Нет участницы с номером 77." in response.get_data(as_text=True)
    assert _count(session) == 0
    good = bad.replace(";77;", f";{n[world.aigul.id]};")
    response = post(client, f"{world.base}/import", {"text": good})
    assert response.status_code == 302 and _count(session) == 2


def test_posts_search_and_category_filter(client: FlaskClient, session: Session,
                                          world) -> None:  # type: ignore[no-untyped-def]
    login(client, world.aigul.user.email)
    response = post(client, f"{world.base}/posts", {
        "kind": "offer", "category": str(world.categories["baking"]),
        "title": "Пеку Боорсоки", "description": "", "valid_until": ""})
    assert response.status_code == 302
    assert post(client, f"{world.base}/posts", {"kind": "offer", "category": "",
                                                "title": ""}).status_code == 422
    assert session.scalar(select(func.count()).select_from(TimePost)) == 1
    page = client.get(f"{world.base}?q=боорсоки").get_data(as_text=True)
    assert "Пеку Боорсоки" in page
    other = client.get(f"{world.base}?category={world.categories['sewing']}")
    assert "Пеку Боорсоки" not in other.get_data(as_text=True)
    digest = client.get(f"{world.base}/digest").get_data(as_text=True)
    assert "Пеку Боорсоки" in digest


@pytest.mark.parametrize("locale, text", [
    ("ru", "2 ч 30 мин"), ("ky", "2 саат 30 мүн"), ("tg", "2 соат 30 дақ"), ("en", "2 h 30 min")])
def test_hours_are_shown_in_each_language(app_ctx: Flask, locale: str, text: str) -> None:
    with app_ctx.test_request_context(), force_locale(locale):
        assert tb.fmt_minutes(150) == text
        assert tb.fmt_minutes(-240).startswith("\u2212")


def test_reports_and_the_export(client: FlaskClient, session: Session,
                                world) -> None:  # type: ignore[no-untyped-def]
    tb.grant_start_credits(session, world.group, actor=world.coordinator.user)
    tb.record_transfer(session, world.group, tb.Line(
        world.bermet, world.aigul, 150, world.categories["harvest"], date.today()),
        actor=world.bermet.user, mode="receiver")
    session.commit()
    login(client, world.coordinator.user.email)
    page = client.get(f"{world.base}/reports").get_data(as_text=True)
    assert "Все счета вместе: 0 ч." in page
    assert "только помогает" in page and "только получает помощь" in page
    archive = zipfile.ZipFile(io.BytesIO(client.get(f"{world.base}/export.zip").get_data()))
    assert sorted(archive.namelist()) == ["balances.csv", "categories.csv", "posts.csv",
                                               "transfers.csv"]
    balances = archive.read("balances.csv").decode("utf-8-sig")
    assert f";{world.aigul.user.name};да;270;150;0;" in balances


def test_help_like_one_of_the_last_day_asks_before_it_is_recorded_again(
        client: FlaskClient, session: Session, world) -> None:  # type: ignore[no-untyped-def]
    login(client, world.aigul.user.email)
    assert _record(client, world).status_code == 302
    asked = _record(client, world)  # a new key: the form shown again after Back
    assert asked.status_code == 200
    text = asked.get_data(as_text=True)
    assert "Такая же помощь" in text and "Записать ещё одну?" in text
    assert 'name="confirm_again" value="1"' in text
    assert _count(session) == 1
    assert _record(client, world, confirm_again="1").status_code == 302
    assert _count(session) == 2


def _many(session: Session, w, count: int) -> None:  # type: ignore[no-untyped-def]
    for n in range(count):
        tb.record_transfer(session, w.group, tb.Line(
            w.bermet if n % 2 else w.aigul, w.aigul if n % 2 else w.bermet, 15,
            w.categories["house" if n % 3 else "harvest"],
            date.today() - timedelta(days=n % 25)), actor=w.coordinator.user,
            mode="coordinator")
    session.commit()


def test_the_statement_and_the_reports_need_no_more_queries_for_more_transfers(
        client: FlaskClient, session: Session, world, count_queries) -> None:  # type: ignore[no-untyped-def]
    login(client, world.coordinator.user.email)
    pages = [f"{world.base}/members/{world.aigul.id}", f"{world.base}/reports",
             f"{world.base}/members/{world.aigul.id}/statement.pdf"]
    _many(session, world, 6)
    few = []
    for url in pages:
        with count_queries() as n:
            assert client.get(url).status_code == 200
        few.append(n[0])
    _many(session, world, 70)  # more than a page of the statement (50 lines)
    many = []
    for url in pages:
        with count_queries() as n:
            assert client.get(url).status_code == 200
        many.append(n[0])
    assert many == few, (pages, few, many)
    second = client.get(f"{world.base}/members/{world.aigul.id}?page=2").get_data(as_text=True)
    assert "Страница 2 из 2" in second


def test_the_coordinator_opens_the_time_bank_with_the_spec_s_defaults(
        client: FlaskClient, session: Session) -> None:
    from coop.timebank.models import TimeBankSettings
    from tests.factories import make_group, make_member

    group = make_group(session)
    boss = make_member(session, group, "Майрам", role="treasurer", locale="ru")
    member = make_member(session, group, "Айгүл", locale="ru")
    session.commit()
    base = f"/groups/{group.id}/timebank"
    login(client, member.user.email)
    assert client.get(base).status_code == 404  # not open: a member finds nothing
    client.post("/logout", data={"csrf_token": csrf_token(client, "/")})
    login(client, boss.user.email)
    assert client.get(base).headers["Location"].endswith(f"{base}/settings")
    page = client.get(f"{base}/settings").get_data(as_text=True)
    assert 'value="12:00"' in page and 'value="10:00"' in page
    refused = post(client, f"{base}/settings", {"enabled": "y", "step_minutes": "15",
                                                "max_hours": "12:10", "floor_hours": "10"})
    assert refused.status_code == 422
    assert "кратен шагу" in refused.get_data(as_text=True)
    assert session.scalar(select(func.count()).select_from(TimeBankSettings)) == 0
    saved = post(client, f"{base}/settings", {
        "enabled": "y", "step_minutes": "15", "max_hours": "12", "floor_hours": "10",
        "warn_below_hours": "5", "warn_above_hours": "40", "start_credit_hours": "2",
        "provider_may_record": "y"})
    assert saved.status_code == 302
    settings = session.scalar(select(TimeBankSettings))
    assert (settings.max_minutes_per_transfer, settings.floor_minutes,
            settings.warn_below_minutes, settings.warn_above_minutes,
            settings.start_credit_minutes) == (720, -600, -300, 2400, 120)


def test_a_member_deactivated_while_a_record_waits_cannot_have_it_confirmed(
        client: FlaskClient, session: Session, world) -> None:  # type: ignore[no-untyped-def]
    pending, _ = tb.record_transfer(session, world.group, tb.Line(
        world.cholpon, world.aigul, 60, world.categories["house"], date.today()),
        actor=world.aigul.user, mode="provider")
    world.aigul.active = False
    session.commit()
    login(client, world.coordinator.user.email)
    response = post(client, f"{world.base}/transfers/{pending.id}/confirm", {})
    assert response.status_code == 422
    assert "больше не активная участница" in response.get_data(as_text=True)
    assert figures(session, world) == (0, 0, 0, 0, 0)


OVER_THE_LIMIT = "В этой группе за один раз можно записать не больше 12 ч."


@pytest.mark.parametrize("typed", ["150", "150:00", "120 ч", "7200 мин", "101 ч 30"])
def test_too_much_time_names_the_group_s_limit_not_the_parser_s(
        client: FlaskClient, session: Session, world, typed: str) -> None:  # type: ignore[no-untyped-def]
    """Found on a treasurer's walk: 150 hours said «Это больше, чем 100 ч.»
    where the limit in force is 12 h: on every form that records time."""
    n = world.numbers
    login(client, world.coordinator.user.email)
    day = (date.today() - timedelta(days=1)).strftime("%d.%m.%Y")
    answers = [
        _record(client, world, other=str(world.aigul.id), hours=typed),
        post(client, f"{world.base}/register", {
            "receiver": str(n[world.bermet.id]), "provider": str(n[world.aigul.id]),
            "hours": typed, "category": str(world.categories["harvest"]),
            "date_of_service": YESTERDAY, "note": ""}),
        post(client, f"{world.base}/batch", {
            "direction": "many_to_one", "member": str(n[world.cholpon.id]),
            "category": str(world.categories["celebrations"]), "date_of_service": YESTERDAY,
            "note": "", "other_1": str(n[world.aigul.id]), "hours_1": typed}),
        post(client, f"{world.base}/import", {"text": (
            f"Дата;Получила;Помогла;Часы;Категория\n{day};{n[world.bermet.id]};"
            f"{n[world.aigul.id]};{typed};harvest\n")})]
    for response in answers:
        text = response.get_data(as_text=True)
        assert response.status_code == 422, response.status_code
        assert OVER_THE_LIMIT in text, text[:3000]
        assert "100 ч" not in text
    assert _count(session) == 0


def test_a_limit_above_a_hundred_hours_is_the_one_named(
        client: FlaskClient, session: Session) -> None:
    w = make_time_bank(session, max_minutes_per_transfer=200 * 60)
    session.commit()
    login(client, w.bermet.user.email)
    response = post(client, f"/groups/{w.group.id}/timebank/record", {
        "direction": "gave", "other": str(w.aigul.id), "hours": "250",
        "category": str(w.categories["harvest"]), "post": "", "date_of_service": YESTERDAY,
        "note": ""})
    text = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "В этой группе за один раз можно записать не больше 200 ч." in text
    assert "100 ч" not in text


def test_the_same_help_again_says_the_day_then_at_what_time(
        client: FlaskClient, session: Session, world) -> None:  # type: ignore[no-untyped-def]
    """«уже записана в 07.12.2026, 13:24» read wrong: «уже записана
    07.12.2026 в 13:24»."""
    import re

    from flask_babel import format_datetime

    login(client, world.aigul.user.email)
    assert _record(client, world).status_code == 302
    again = _record(client, world)  # Back and send: a new key, the same figures
    text = again.get_data(as_text=True)
    first = session.scalar(select(TimeTransfer))
    with world_app_context(client), force_locale("ru"):
        day = format_datetime(first.created_at, "dd.MM.yyyy")
        hour = format_datetime(first.created_at, "HH:mm")
    assert f"уже записана {day} в {hour} под №{first.number}." in text, text[:3000]
    assert not re.search(r"записана в \d", text)
    assert _count(session) == 1


def world_app_context(client: FlaskClient):  # type: ignore[no-untyped-def]
    return client.application.test_request_context()
