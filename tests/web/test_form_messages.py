"""WTForms' own messages (a required field, a choice not offered) come in the
page's language, Kyrgyz and Tajik too, from Coop's catalogs, else from
WTForms' own catalog read from disk once per language and process
(coop/forms.py), not once per request. A date that cannot be read says so
and how to write it; an empty one is still required."""

from __future__ import annotations

from typing import Any

import pytest
from babel import support
from flask import Flask
from flask_babel import force_locale
from wtforms import DateField, DateTimeLocalField, StringField
from wtforms.validators import DataRequired

from coop import forms


class _Named(forms.Form):
    name = StringField("name", validators=[DataRequired()])


def _errors(app: Flask, locale: str) -> list[str]:
    with app.test_request_context(method="POST", data={"name": ""}), force_locale(locale):
        form = _Named(meta={"csrf": False})
        assert not form.validate()
        return list(form.name.errors)


def test_wtforms_messages_are_in_the_pages_language_from_a_catalog_read_once(
        app_ctx: Flask, monkeypatch: pytest.MonkeyPatch) -> None:
    forms._wtforms_catalog.cache_clear()
    loads: list[Any] = []
    real = support.Translations.load

    def counted(*args: Any, **kwargs: Any) -> Any:
        loads.append(kwargs.get("domain"))
        return real(*args, **kwargs)

    monkeypatch.setattr(support.Translations, "load", counted)
    assert _errors(app_ctx, "ru") == ["Обязательное поле."]
    assert _errors(app_ctx, "ru") == ["Обязательное поле."]  # another request
    assert _errors(app_ctx, "en") == ["This field is required."]
    assert loads.count("wtforms") == 2  # once for Russian, once for English


def test_without_wtforms_i18n_the_messages_are_wtforms_own(
        app_ctx: Flask, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(app_ctx.config, "WTF_I18N_ENABLED", False)
    assert _errors(app_ctx, "ru") == ["This field is required."]


# --------------------------------------------------------------------------
# WTForms' messages on real pages in Kyrgyz and Tajik (WTForms has neither:
# coop.forms.wtforms_messages puts them in Coop's catalogs), and a date that
# cannot be read said so, not "This field is required."
# --------------------------------------------------------------------------

REQUIRED = {"ru": "Обязательное поле.", "ky": "Бул талаа милдеттүү.", "tg": "Ин майдон ҳатмист."}
INTEGER = {"ru": "Введите целое число.", "ky": "Бүтүн сан жазыңыз.", "tg": "Адади бутун нависед."}
SHARES_RANGE = {"ru": "Число должно быть от -1000 до 1000.",
                "ky": "Сан кеминде -1000, көп дегенде 1000 болушу керек.",
                "tg": "Адад бояд аз -1000 то 1000 бошад."}
PASSWORD_LENGTH = {"ru": "Значение должно содержать от 8 до 200 символов.",
                   "ky": "Кеминде 8, көп дегенде 200 символ болушу керек.",
                   "tg": "Бояд аз 8 то 200 аломат бошад."}
CHOICE = {"ru": "Выберите вариант из списка.", "ky": "Тизмеден вариант тандаңыз.",
          "tg": "Вариантро аз рӯйхат интихоб кунед."}
UNREADABLE_DATE = "Не удалось прочитать дату: напишите её как 21.12.2026."
NO_SUCH_DATE = "Такой даты нет: 31.02.2026 — в этом месяце 28 дней."
LOCALES = ["ru", "ky", "tg"]


def _text(response: Any) -> str:
    import html

    return html.unescape(response.get_data(as_text=True)).replace("\u00a0", " ")


def _refused(response: Any, message: str) -> None:
    text = _text(response)
    assert 400 <= response.status_code < 500, response.status_code
    assert message in text, text[-3000:]
    assert "This field is required" not in text and "Not a valid" not in text


def _speaks(session: Any, membership: Any, locale: str) -> None:
    membership.user.locale = locale
    session.commit()


@pytest.mark.parametrize("locale", LOCALES)
def test_an_empty_sign_in_says_required_in_the_pages_language(client: Any, locale: str) -> None:
    from tests.conftest import csrf_token

    token = csrf_token(client, "/login")
    client.post("/language", data={"locale": locale, "next": "/login", "csrf_token": token})
    response = client.post("/login", data={"csrf_token": token, "login": "", "password": ""})
    _refused(response, REQUIRED[locale])
    assert _text(response).count(REQUIRED[locale]) == 2  # both fields


@pytest.mark.parametrize("locale", LOCALES)
def test_time_bank_hours_left_empty_say_required_in_her_language(session: Any,
                                                                 locale: str) -> None:
    from datetime import date, timedelta

    from flask import current_app

    from tests.conftest import login, post
    from tests.timebank_world import make_time_bank

    w = make_time_bank(session)
    _speaks(session, w.aigul, locale)
    client = current_app.test_client()
    login(client, w.aigul.user.email)
    response = post(client, f"/groups/{w.group.id}/timebank/record", {
        "direction": "received", "other": str(w.bermet.id), "hours": "",
        "category": str(w.categories["harvest"]), "post": "",
        "date_of_service": (date.today() - timedelta(days=1)).isoformat(), "note": ""})
    _refused(response, REQUIRED[locale])


@pytest.mark.parametrize("locale", LOCALES)
def test_savings_numbers_not_whole_or_out_of_range_in_her_language(session: Any,
                                                                   locale: str) -> None:
    import re

    from flask import current_app

    from coop.savings.models import Correction, SavingsLoan
    from tests.conftest import csrf_token, login
    from tests.factories import PASSWORD
    from tests.savings_factory import hold_meeting, make_savings_group

    world = make_savings_group(session)
    hold_meeting(session, world, 1, close_it=True)
    hold_meeting(session, world, 2, close_it=False)
    _speaks(session, world.treasurer, locale)
    loans = session.query(SavingsLoan).count()
    client = current_app.test_client()
    login(client, world.treasurer.user.email, PASSWORD)
    url = f"/groups/{world.group.id}/savings/{world.cycle.id}/meetings/{world.meetings[1].id}"
    page = client.get(url).get_data(as_text=True)
    version = re.search(r'name="version" (?:type="hidden" )?value="(\d+)"', page).group(1)
    common = {"csrf_token": csrf_token(client, url), "version": version,
              "member": str(world.members[1].id)}
    loan = client.post(f"{url}/loans", data={**common, "principal": "200", "months": "два",
                                             "purpose": ""})
    _refused(loan, INTEGER[locale])
    shares = client.post(f"{url}/share-adjustments", data={**common, "shares": "5000",
                                                           "reason": "ошибка"})
    _refused(shares, SHARES_RANGE[locale])
    session.expire_all()
    assert session.query(SavingsLoan).count() == loans
    assert session.query(Correction).count() == 0


@pytest.mark.parametrize("locale", LOCALES)
def test_length_and_choice_messages_in_the_pages_language(app_ctx: Flask, locale: str) -> None:
    from coop.auth.forms import LanguageForm, SetPasswordForm

    data = {"password": "short", "confirm": "short", "phone": "", "email": ""}
    with app_ctx.test_request_context(method="POST", data=data), force_locale(locale):
        form = SetPasswordForm(meta={"csrf": False})
        assert not form.validate()
        assert form.password.errors == [PASSWORD_LENGTH[locale]]
    with app_ctx.test_request_context(method="POST", data={"locale": "fr"}), \
            force_locale(locale):
        language = LanguageForm(meta={"csrf": False})
        assert not language.validate()
        assert language.locale.errors == [CHOICE[locale]]


@pytest.mark.parametrize("typed, message", [
    ("эртең", UNREADABLE_DATE), ("21/12", UNREADABLE_DATE),
    ("31.02.2026", "Такой даты нет: 31.02.2026 — в этом месяце 28 дней."),
    ("2026-13-01", "Такой даты нет: 2026-13-01.")])
def test_an_unreadable_booking_day_says_how_to_write_it(session: Any, typed: str,
                                                        message: str) -> None:
    from flask import current_app

    from coop.equipment.models import Booking
    from tests.conftest import login, post
    from tests.factories import make_equipment_world

    w = make_equipment_world(session)
    _speaks(session, w.treasurer, "ru")
    client = current_app.test_client()
    login(client, w.treasurer.user.email)
    form = {"member": str(w.other.id), "day_from": typed, "day_to": "2099-01-02",
            "part_from": "morning", "part_to": "evening", "note": ""}
    response = post(client, f"{w.base}/book", form)
    _refused(response, message)
    assert "Обязательное поле." not in _text(response)
    empty = post(client, f"{w.base}/book", {**form, "day_from": ""})
    _refused(empty, REQUIRED["ru"])
    assert UNREADABLE_DATE not in _text(empty)
    assert session.query(Booking).count() == 0


def test_a_booking_day_written_as_the_message_says_is_read(session: Any) -> None:
    from datetime import timedelta

    from flask import current_app

    from coop.equipment.models import Booking
    from coop.i18n import local_today
    from tests.conftest import login, post
    from tests.factories import make_equipment_world

    w = make_equipment_world(session)
    client = current_app.test_client()
    login(client, w.treasurer.user.email)
    day = local_today() + timedelta(days=3)
    response = post(client, f"{w.base}/book", {
        "member": str(w.other.id), "day_from": day.strftime("%d.%m.%Y"),
        "day_to": day.isoformat(), "part_from": "morning", "part_to": "evening", "note": ""})
    assert response.status_code == 302, _text(response)[-2000:]
    session.expire_all()
    assert session.query(Booking).count() == 1


@pytest.mark.parametrize("typed, message", [
    ("эртең", UNREADABLE_DATE), ("31.02.2026", NO_SUCH_DATE), ("", REQUIRED["ru"])])
def test_an_unreadable_time_bank_date_says_how_to_write_it(session: Any, typed: str,
                                                          message: str) -> None:
    from flask import current_app

    from coop.timebank.models import TimeTransfer
    from tests.conftest import login, post
    from tests.timebank_world import make_time_bank

    w = make_time_bank(session)
    session.commit()
    client = current_app.test_client()
    login(client, w.aigul.user.email)
    response = post(client, f"/groups/{w.group.id}/timebank/record", {
        "direction": "received", "other": str(w.bermet.id), "hours": "2:30",
        "category": str(w.categories["harvest"]), "post": "", "date_of_service": typed,
        "note": ""})
    _refused(response, message)
    for other in {REQUIRED["ru"], UNREADABLE_DATE, NO_SUCH_DATE} - {message}:
        assert other not in _text(response)
    assert session.query(TimeTransfer).count() == 0


def test_a_time_bank_date_written_as_the_message_says_is_read(session: Any) -> None:
    from datetime import date, timedelta

    from flask import current_app

    from coop.timebank.models import TimeTransfer
    from tests.conftest import login, post
    from tests.timebank_world import make_time_bank

    w = make_time_bank(session)
    session.commit()
    client = current_app.test_client()
    login(client, w.aigul.user.email)
    day = date.today() - timedelta(days=1)
    response = post(client, f"/groups/{w.group.id}/timebank/record", {
        "direction": "received", "other": str(w.bermet.id), "hours": "2:30",
        "category": str(w.categories["harvest"]), "post": "",
        "date_of_service": day.strftime("%d.%m.%Y"), "note": ""})
    assert response.status_code == 302, _text(response)[-2000:]
    session.expire_all()
    assert session.query(TimeTransfer).one().date_of_service == day


@pytest.mark.parametrize("locale, message", [
    ("ky", "Датаны окуу мүмкүн болгон жок: аны 21.12.2026 түрүндө жазыңыз."),
    ("tg", "Сана хонда нашуд: онро ба шакли 21.12.2026 нависед.")])
def test_the_date_message_in_kyrgyz_and_tajik(app_ctx: Flask, locale: str,
                                              message: str) -> None:
    class _Day(forms.Form):
        day = DateField("day", validators=[DataRequired()])

    with app_ctx.test_request_context(method="POST", data={"day": "эртең"}), \
            force_locale(locale):
        form = _Day(meta={"csrf": False})
        assert not form.validate()
        assert form.day.errors == [message]
        assert isinstance(form.day, forms.DateField)


@pytest.mark.parametrize("typed", [" ", "\t", "  \n "])
def test_a_date_of_spaces_alone_is_required_not_a_crash(app_ctx: Flask, typed: str) -> None:
    """Found in review: spaces in a date with InputRequired (the savings
    meeting's day) passed as typed and left None for the service: a 500."""
    from coop.savings.forms import OpenMeetingForm

    with app_ctx.test_request_context(method="POST", data={"date": typed, "kind": "regular",
                                                           "version": "1"}), \
            force_locale("ru"):
        form = OpenMeetingForm(meta={"csrf": False})
        assert not form.validate()
        assert form.date.errors == ["Обязательное поле."]


@pytest.mark.parametrize("locale, typed, message", [
    ("ru", "завтра в шесть", "Не удалось прочитать дату и время: напишите их как "
                             "21.12.2026 18:00."),
    ("ky", "31.02.2026 18", "Дата менен убакытты окуу мүмкүн болгон жок: аларды "
                             "21.12.2026 18:00 түрүндө жазыңыз."),
    ("tg", "21.12.2026", "Сана ва вақт хонда нашуданд: онҳоро ба шакли 21.12.2026 18:00 "
                         "нависед."),
    ("ru", "  \t ", "Обязательное поле."),
    ("ru", "", "Обязательное поле.")])
def test_a_moment_that_cannot_be_read_says_how_to_write_it(app_ctx: Flask, locale: str,
                                                           typed: str, message: str) -> None:
    """WTForms said «Неверное значение даты и времени.»; spaces alone are empty."""
    class _Moment(forms.Form):
        when = DateTimeLocalField("when", validators=[DataRequired()],
                                  format=["%Y-%m-%dT%H:%M"])

    with app_ctx.test_request_context(method="POST", data={"when": typed}), \
            force_locale(locale):
        form = _Moment(meta={"csrf": False})
        assert not form.validate()
        assert form.when.errors == [message]
        assert isinstance(form.when, forms.DateTimeField)


@pytest.mark.parametrize("typed", ["21.12.2026 18:00", "2026-12-21T18:00", " 21.12.2026  18:00 "])
def test_a_moment_typed_by_hand_or_sent_by_a_calendar_is_read(app_ctx: Flask,
                                                              typed: str) -> None:
    from datetime import datetime

    class _Moment(forms.Form):
        when = DateTimeLocalField("when", validators=[DataRequired()],
                                  format=["%Y-%m-%dT%H:%M"])

    with app_ctx.test_request_context(method="POST", data={"when": typed}):
        form = _Moment(meta={"csrf": False})
        assert form.validate(), form.errors
        assert form.when.data == datetime(2026, 12, 21, 18, 0)


# --------------------------------------------------------------------------
# A day written as asked but not in the calendar (31.02.2026) is told so, not
# told to write it as 21.12.2026: she did (found on a treasurer's walk)
# --------------------------------------------------------------------------


@pytest.mark.parametrize("locale, typed, message", [
    ("ru", "31.02.2026", "Такой даты нет: 31.02.2026 — в этом месяце 28 дней."),
    ("ru", "29.02.2028", None),  # a leap year: it exists
    ("ru", "30.02.2028", "Такой даты нет: 30.02.2028 — в этом месяце 29 дней."),
    ("ru", "31.04.2026", "Такой даты нет: 31.04.2026 — в этом месяце 30 дней."),
    ("ru", "32.01.2026", "Такой даты нет: 32.01.2026 — в этом месяце 31 день."),
    ("ru", "00.05.2026", "Такой даты нет: 00.05.2026 — в этом месяце 31 день."),
    ("ru", "12.13.2026", "Такой даты нет: 12.13.2026."),
    ("ru", "2026-02-30", "Такой даты нет: 2026-02-30 — в этом месяце 28 дней."),
    ("ru", "31.02.26", "Не удалось прочитать дату: напишите её как 21.12.2026."),
    # a year before 1000 (year 1 went on to a 500 in UTC); a plausible year
    # is for the service to say (a certificate from 2000 on…)
    ("ru", "01.01.0001", "01.01.0001: год должен быть от 1000 до 9999."),
    ("ru", "0999-01-01", "0999-01-01: год должен быть от 1000 до 9999."),
    ("ru", "21.12.9999", None),
    ("ru", "01.01.1900", None),
    ("ky", "31.02.2026", "Мындай дата жок: 31.02.2026 — бул айда 28 күн."),
    ("tg", "31.02.2026", "Чунин сана нест: 31.02.2026 — ин моҳ 28 рӯз дорад."),
    ("en", "31.02.2026", "There is no such date: 31.02.2026 – that month has 28 days.")])
def test_a_day_written_right_but_not_in_the_calendar_says_there_is_none(
        app_ctx: Flask, locale: str, typed: str, message: str | None) -> None:
    class _Day(forms.Form):
        day = DateField("day", validators=[DataRequired()])

    with app_ctx.test_request_context(method="POST", data={"day": typed}), \
            force_locale(locale):
        form = _Day(meta={"csrf": False})
        if message is None:
            assert form.validate(), form.errors
        else:
            assert not form.validate()
            assert form.day.errors == [message]


@pytest.mark.parametrize("locale, typed, message", [
    ("ru", "31.02.2026 18:00", "Такой даты нет: 31.02.2026 — в этом месяце 28 дней."),
    ("ru", "2026-02-31T18:00", "Такой даты нет: 2026-02-31 — в этом месяце 28 дней."),
    ("ru", "21.12.2026 25:00", "Такого времени нет: 25:00. Часы — от 0 до 23, минуты — от 0 "
                               "до 59."),
    ("ru", "21.12.2026 18:75", "Такого времени нет: 18:75. Часы — от 0 до 23, минуты — от 0 "
                               "до 59."),
    ("ru", "31.02.2026", "Не удалось прочитать дату и время: напишите их как "
                         "21.12.2026 18:00."),
    ("ru", "0001-01-01T00:00", "0001-01-01: год должен быть от 1900 до 2199."),
    ("tg", "01.01.0001 00:00", "01.01.0001: сол бояд аз 1900 то 2199 бошад."),
    ("ky", "31.02.2026 18:00", "Мындай дата жок: 31.02.2026 — бул айда 28 күн."),
    ("ky", "21.12.2026 24:00", "Мындай убакыт жок: 24:00. Саат 0дөн 23кө чейин, мүнөт 0дөн "
                               "59га чейин."),
    ("tg", "31.04.2026 09:30", "Чунин сана нест: 31.04.2026 — ин моҳ 30 рӯз дорад."),
    ("tg", "21.12.2026 18:60", "Чунин вақт нест: 18:60. Соат аз 0 то 23, дақиқа аз 0 то 59.")])
def test_a_moment_written_right_but_impossible_says_which_part_is_not(
        app_ctx: Flask, locale: str, typed: str, message: str) -> None:
    class _Moment(forms.Form):
        when = DateTimeLocalField("when", validators=[DataRequired()],
                                  format=["%Y-%m-%dT%H:%M"])

    with app_ctx.test_request_context(method="POST", data={"when": typed}), \
            force_locale(locale):
        form = _Moment(meta={"csrf": False})
        assert not form.validate()
        assert form.when.errors == [message]
