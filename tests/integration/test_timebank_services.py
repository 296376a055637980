"""The time bank's services on the database: the spec's worked example step
by step, the ways of recording, confirmation, rejection, reversal, batches,
the CSV register, start credits, and the sums that always come to zero."""

from __future__ import annotations

from datetime import timedelta

import pytest
from flask import Flask
from flask_babel import force_locale
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from coop.errors import DomainError, NotAllowed
from coop.i18n import local_today
from coop.timebank import services as tb
from coop.timebank.models import TimeMovement, TimeTransfer
from tests.timebank_world import figures, make_time_bank


def _line(payer, payee, minutes, category, days_ago=1, **kw):  # type: ignore[no-untyped-def]
    return tb.Line(payer, payee, minutes, category, local_today() - timedelta(days=days_ago),
                   **kw)


def test_the_worked_example_step_by_step(app_ctx: Flask, session: Session) -> None:
    w = make_time_bank(session)
    boss = w.coordinator.user
    # the coordinator has no start credit in the example: only A, B and C
    for m in (w.aigul, w.bermet, w.cholpon):
        tb.grant_start_credit(session, m, actor=boss)
    assert figures(session, w) == (120, 120, 120, -360, 0)
    first, new = tb.record_transfer(
        session, w.group, _line(w.bermet, w.aigul, 150, w.categories["harvest"]),
        actor=w.bermet.user, mode="receiver")
    assert new and first.state == "confirmed"
    assert figures(session, w) == (270, -30, 120, -360, 0)
    tb.record_batch(session, w.group, [
        _line(w.cholpon, w.aigul, 180, w.categories["celebrations"], line=1),
        _line(w.cholpon, w.bermet, 180, w.categories["celebrations"], line=2)],
        actor=boss, idempotency_key="wedding-0000000000001")
    assert figures(session, w) == (450, 150, -240, -360, 0)
    with force_locale("ru"), pytest.raises(DomainError) as refused:
        tb.record_transfer(session, w.group,
                           _line(w.cholpon, w.bermet, 420, w.categories["sewing"]),
                           actor=w.cholpon.user, mode="receiver")
    name = w.cholpon.user.name
    assert str(refused.value) == (f"{name} может сейчас получить помощи не больше чем на "
                                  "360 минут (6 ч): её баланс −4 ч, а предел группы −10 ч.")
    assert figures(session, w) == (450, 150, -240, -360, 0)
    tb.record_transfer(session, w.group, tb.Line(None, w.aigul, 60, w.categories["group_work"],
                                                 local_today(), "сортировка семян"),
                       actor=boss, mode="coordinator")
    assert figures(session, w) == (510, 150, -240, -420, 0)
    tb.reverse_transfer(session, w.group, first, actor=boss, reason="было 2 ч, не 2 ч 30")
    tb.record_transfer(session, w.group, _line(w.bermet, w.aigul, 120, w.categories["harvest"]),
                       actor=boss, mode="coordinator")
    assert figures(session, w) == (480, 180, -240, -420, 0)
    assert tb.check_sums(session, w.group) == (0, [])


def test_the_refusal_in_english_is_the_spec_s_words(app_ctx: Flask, session: Session) -> None:
    w = make_time_bank(session)
    for m in (w.aigul, w.bermet, w.cholpon):
        tb.grant_start_credit(session, m, actor=w.coordinator.user)
    tb.record_transfer(session, w.group, _line(w.cholpon, w.aigul, 360, w.categories["sewing"]),
                       actor=w.cholpon.user, mode="receiver")
    with force_locale("en"), pytest.raises(DomainError) as refused:
        tb.record_transfer(session, w.group,
                           _line(w.cholpon, w.bermet, 420, w.categories["sewing"]),
                           actor=w.cholpon.user, mode="receiver")
    assert str(refused.value) == (f"{w.cholpon.user.name} can give at most 360 minutes (6 h) "
                                  "now: her balance is −4 h and the group's limit is −10 h.")


def test_the_provider_records_and_the_receiver_confirms_once(app_ctx: Flask,
                                                             session: Session) -> None:
    w = make_time_bank(session)
    pending, _new = tb.record_transfer(
        session, w.group, _line(w.cholpon, w.aigul, 180, w.categories["house"]),
        actor=w.aigul.user, mode="provider")
    assert pending.state == "pending"
    assert figures(session, w)[:3] == (0, 0, 0)
    with pytest.raises(NotAllowed):  # the provider cannot confirm her own record
        tb.confirm_transfer(session, w.group, pending, actor=w.aigul.user)
    with pytest.raises(NotAllowed):  # nor a member who is not a party
        tb.confirm_transfer(session, w.group, pending, actor=w.bermet.user)
    assert tb.confirm_transfer(session, w.group, pending, actor=w.cholpon.user) is True
    assert tb.confirm_transfer(session, w.group, pending, actor=w.cholpon.user) is False
    assert figures(session, w) == (180, 0, -180, 0, 0)
    assert session.scalar(select(func.count()).select_from(TimeMovement).where(
        TimeMovement.transfer_id == pending.id)) == 2
    with pytest.raises(tb.Conflict):
        tb.reject_transfer(session, w.group, pending, actor=w.cholpon.user, reason="нет")


def test_a_rejected_record_moves_nothing(app_ctx: Flask, session: Session) -> None:
    w = make_time_bank(session)
    pending, _ = tb.record_transfer(
        session, w.group, _line(w.cholpon, w.aigul, 60, w.categories["house"]),
        actor=w.aigul.user, mode="provider")
    with pytest.raises(DomainError):
        tb.reject_transfer(session, w.group, pending, actor=w.cholpon.user, reason=" ")
    assert tb.reject_transfer(session, w.group, pending, actor=w.cholpon.user,
                              reason="этого не было") is True
    assert tb.reject_transfer(session, w.group, pending, actor=w.cholpon.user,
                              reason="этого не было") is False
    with pytest.raises(tb.Conflict):
        tb.confirm_transfer(session, w.group, pending, actor=w.coordinator.user)
    assert figures(session, w) == (0, 0, 0, 0, 0)


def test_the_provider_may_not_record_when_the_group_says_so(app_ctx: Flask,
                                                            session: Session) -> None:
    w = make_time_bank(session, provider_may_record=False)
    with pytest.raises(NotAllowed):
        tb.record_transfer(session, w.group, _line(w.cholpon, w.aigul, 60,
                                                   w.categories["house"]),
                           actor=w.aigul.user, mode="provider")


@pytest.mark.parametrize("change, field", [
    ({"minutes": 0}, "minutes"), ({"minutes": 50}, "minutes"), ({"minutes": 735}, "minutes"),
    ({"days_ago": -1}, "date_of_service"), ({"days_ago": 400}, "date_of_service"),
])
def test_bad_lines_are_refused_and_nothing_is_written(app_ctx: Flask, session: Session,
                                                      change: dict, field: str) -> None:
    w = make_time_bank(session)
    values = {"minutes": 60, "days_ago": 1, **change}
    with pytest.raises(DomainError) as refused:
        tb.record_transfer(session, w.group, _line(w.bermet, w.aigul, values["minutes"],
                                                   w.categories["house"],
                                                   days_ago=values["days_ago"]),
                           actor=w.bermet.user, mode="receiver")
    assert refused.value.field == field
    assert session.scalar(select(func.count()).select_from(TimeTransfer)) == 0


def test_self_transfer_inactive_member_and_unknown_category(app_ctx: Flask,
                                                           session: Session) -> None:
    w = make_time_bank(session)
    with pytest.raises(DomainError):
        tb.record_transfer(session, w.group, _line(w.aigul, w.aigul, 60, w.categories["house"]),
                           actor=w.aigul.user, mode="receiver")
    with pytest.raises(DomainError):
        tb.record_transfer(session, w.group, _line(w.aigul, w.bermet, 60, 999_999),
                           actor=w.aigul.user, mode="receiver")
    w.bermet.active = False
    with pytest.raises(DomainError):
        tb.record_transfer(session, w.group, _line(w.aigul, w.bermet, 60,
                                                   w.categories["house"]),
                           actor=w.aigul.user, mode="receiver")
    with pytest.raises(NotAllowed):  # she records help she received, not someone else's
        tb.record_transfer(session, w.group, _line(w.cholpon, w.aigul, 60,
                                                   w.categories["house"]),
                           actor=w.aigul.user, mode="receiver")


def test_a_batch_with_bad_lines_records_nothing_and_lists_every_one(app_ctx: Flask,
                                                                   session: Session) -> None:
    w = make_time_bank(session)
    cat = w.categories["celebrations"]
    with pytest.raises(tb.BatchRefused) as refused:
        tb.record_batch(session, w.group, [
            _line(w.cholpon, w.aigul, 180, cat, line=1),
            _line(w.cholpon, w.cholpon, 180, cat, line=2),
            _line(w.cholpon, w.bermet, 50, cat, line=3),
            _line(w.cholpon, w.bermet, 480, cat, line=4)],  # below the floor after line 1
            actor=w.coordinator.user, idempotency_key="batch-bad-0000000001")
    assert [n for n, _m in refused.value.lines] == [2, 3, 4]
    assert session.scalar(select(func.count()).select_from(TimeTransfer)) == 0
    transfers, new = tb.record_batch(session, w.group, [
        _line(w.cholpon, w.aigul, 180, cat, line=1),
        _line(w.cholpon, w.bermet, 180, cat, line=2)],
        actor=w.coordinator.user, idempotency_key="batch-good-000000001")
    again, new_again = tb.record_batch(session, w.group, [
        _line(w.cholpon, w.aigul, 180, cat, line=1)],
        actor=w.coordinator.user, idempotency_key="batch-good-000000001")
    assert new and not new_again and [t.id for t in again] == [t.id for t in transfers]
    assert [t.number for t in transfers] == [1, 2]
    assert figures(session, w) == (180, 180, -360, 0, 0)


def test_the_register_csv_is_imported_all_or_nothing(app_ctx: Flask, session: Session) -> None:
    w = make_time_bank(session)
    numbers = tb.number_of(session, w.group)
    a, b, c = (numbers[m.id] for m in (w.aigul, w.bermet, w.cholpon))
    day = (local_today() - timedelta(days=2)).strftime("%d.%m.%Y")
    bad = (f"Дата;Получила;Помогла;Часы;Категория;Заметка\n"
           f"{day};{b};{a};2:30;Переработка фруктов и урожая;абрикосы\n"
           f"{day};{c};{a};2:75;harvest;\n"
           f"31.02.2026;{c};{a};1;harvest;\n"
           f"{day};{c};99;1;harvest;\n"
           f"{day};{c};{a};1;вязание;\n").encode()
    with pytest.raises(tb.BatchRefused) as refused:
        tb.import_register(session, w.group, bad, actor=w.coordinator.user,
                           idempotency_key="import-bad-000000001")
    assert [n for n, _m in refused.value.lines] == [3, 4, 5, 6]
    assert session.scalar(select(func.count()).select_from(TimeTransfer)) == 0
    good = (f"{day};{b};{a};2:30;Переработка фруктов и урожая;абрикосы\n"
            f"{day};0;{c};1 ч;group_work;сортировка\n").encode("cp1251")
    transfers, new = tb.import_register(session, w.group, good, actor=w.coordinator.user,
                                        idempotency_key="import-good-00000001")
    assert new and len(transfers) == 2 and all(t.on_behalf for t in transfers)
    assert figures(session, w) == (150, -150, 60, -60, 0)


def test_a_start_credit_is_granted_once(app_ctx: Flask, session: Session) -> None:
    w = make_time_bank(session)
    first, new = tb.grant_start_credit(session, w.aigul, actor=w.coordinator.user)
    again, new_again = tb.grant_start_credit(session, w.aigul, actor=w.coordinator.user)
    assert new and not new_again and first.id == again.id
    assert tb.grant_start_credits(session, w.group, actor=w.coordinator.user) == 3
    assert tb.grant_start_credits(session, w.group, actor=w.coordinator.user) == 0
    assert figures(session, w)[:4] == (120, 120, 120, -480)  # and the coordinator's 120
    assert tb.check_sums(session, w.group) == (0, [])


def test_a_reversal_is_once_and_never_of_a_reversal(app_ctx: Flask, session: Session) -> None:
    w = make_time_bank(session)
    boss = w.coordinator.user
    t, _ = tb.record_transfer(session, w.group, _line(w.bermet, w.aigul, 60,
                                                      w.categories["house"]),
                              actor=w.bermet.user, mode="receiver")
    with pytest.raises(NotAllowed):
        tb.reverse_transfer(session, w.group, t, actor=w.aigul.user, reason="ошибка")
    with pytest.raises(DomainError):
        tb.reverse_transfer(session, w.group, t, actor=boss, reason="")
    reversal, _ = tb.reverse_transfer(session, w.group, t, actor=boss, reason="ошибка")
    with pytest.raises(tb.Conflict):
        tb.reverse_transfer(session, w.group, t, actor=boss, reason="ещё раз")
    with pytest.raises(tb.Conflict):
        tb.reverse_transfer(session, w.group, reversal, actor=boss, reason="назад")
    assert figures(session, w) == (0, 0, 0, 0, 0)


def test_the_statement_runs_and_pages_without_more_queries(app_ctx: Flask, session: Session,
                                                           count_queries) -> None:  # type: ignore[no-untyped-def]
    w = make_time_bank(session)
    tb.grant_start_credit(session, w.aigul, actor=w.coordinator.user)
    for n in range(12):
        tb.record_transfer(session, w.group, _line(w.bermet, w.aigul, 15, w.categories["house"],
                                                   days_ago=20 - n),
                           actor=w.bermet.user, mode="receiver")
    session.commit()
    full = tb.statement(session, w.group, w.aigul)
    assert full.total == 13 and full.closing == 120 + 12 * 15 == full.current
    with count_queries() as few:
        page = tb.statement(session, w.group, w.aigul, page=2, per_page=5)
    for _n in range(12):
        tb.record_transfer(session, w.group, _line(w.bermet, w.aigul, 15, w.categories["house"],
                                                   days_ago=3),
                           actor=w.bermet.user, mode="receiver")
    session.commit()
    with count_queries() as many:
        tb.statement(session, w.group, w.aigul, page=2, per_page=5)
    assert few[0] == many[0]
    assert [line.balance for line in page.lines] == full_balances(full)[5:10]


def full_balances(statement) -> list[int]:  # type: ignore[no-untyped-def]
    return [line.balance for line in statement.lines]
