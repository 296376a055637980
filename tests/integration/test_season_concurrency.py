"""Seed loans under concurrent requests (PostgreSQL, each thread with its own
connection and transaction, as app workers): the same repayment ten times at
once moves once; two different repayments at once cannot repay more than is
left; two deliveries of one loan at once deliver once; a conversion of a
survey twice at once makes one round."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from coop.groups.services import list_members
from coop.i18n import local_today
from coop.ledger import services as ledger
from coop.ledger.checks import check_books
from coop.ledger.models import Posting
from coop.orders.models import Round
from coop.season import loans as seed
from coop.season import services as season
from coop.season.models import SeedLoan, SeedRepayment, Survey
from coop.season.services import AnswerInput
from tests.factories import make_catalog, make_group, make_member, make_settled_round
from tests.integration.test_concurrency import run_together

pytestmark = pytest.mark.postgres


def _loan(session: Session, state: str = "delivered"):  # type: ignore[no-untyped-def]
    w = make_settled_round(session, members=2)
    loan = seed.propose_loan(session, w.group, w.members[0], round_id=w.rnd.id,
                             product_id=w.seed.product_id, repay_mode="cash", repay_bp=12000,
                             due_on=local_today() + timedelta(days=90), actor=w.treasurer.user)
    seed.approve_loan(session, loan, w.treasurer.user)
    if state == "delivered":
        seed.deliver_loan(session, loan, w.treasurer.user)
    session.commit()
    return w, loan


def _repayer(loan_id: int, user_id: int, amount: int, key: str | None):  # type: ignore[no-untyped-def]
    keys = iter(range(100))

    def repay(s: Session) -> None:
        from coop.auth.models import User

        seed.repay_cash(s, s.get(SeedLoan, loan_id), amount=amount, method="cash",
                        actor=s.get(User, user_id),
                        idempotency_key=key or f"different-key-{next(keys):06d}")

    return repay


def _books_sound(session: Session, w) -> None:  # type: ignore[no-untyped-def]
    session.expire_all()
    books = ledger.books(session, w.group, list_members(session, w.group))
    assert books.total == 0
    assert check_books(session, w.group.id) == []


def test_the_same_repayment_ten_times_at_once_moves_once(  # type: ignore[no-untyped-def]
        pg_only, app_ctx, session: Session) -> None:
    w, loan = _loan(session)
    due = seed.position(loan).due
    before = session.scalar(select(func.count()).select_from(Posting))
    outcomes = run_together(app_ctx, _repayer(loan.id, w.treasurer.user_id, due,
                                              "same-repayment-key-01"), n=10)
    assert "ok" in outcomes and set(outcomes) <= {"ok", "IntegrityError"}, outcomes
    session.expire_all()
    assert session.scalar(select(func.count()).select_from(SeedRepayment)) == 1
    # principal into her seed-loan account, the ratio's income into the fund
    assert session.scalar(select(func.count()).select_from(Posting)) == before + 2
    assert session.get(SeedLoan, loan.id).state == "repaid"
    _books_sound(session, w)


def test_two_repayments_at_once_cannot_repay_more_than_is_left(  # type: ignore[no-untyped-def]
        pg_only, app_ctx, session: Session) -> None:
    w, loan = _loan(session)
    left = seed.position(loan).left
    outcomes = run_together(app_ctx, _repayer(loan.id, w.treasurer.user_id, left, None), n=2)
    assert sorted(outcomes) == ["ok", "refused"], outcomes
    session.expire_all()
    assert session.scalar(select(func.count()).select_from(SeedRepayment)) == 1
    _books_sound(session, w)


def test_two_deliveries_of_one_loan_at_once_deliver_once(  # type: ignore[no-untyped-def]
        pg_only, app_ctx, session: Session) -> None:
    w, loan = _loan(session, state="approved")
    loan_id, user_id = loan.id, w.treasurer.user_id

    def deliver(s: Session) -> None:
        from coop.auth.models import User

        seed.deliver_loan(s, s.get(SeedLoan, loan_id), s.get(User, user_id))

    outcomes = run_together(app_ctx, deliver, n=5)
    assert sorted(outcomes).count("ok") == 1 and set(outcomes) <= {"ok", "refused"}, outcomes
    session.expire_all()
    assert session.scalar(select(func.count()).select_from(Posting).where(
        Posting.kind == "seed_loan")) == 1
    _books_sound(session, w)


def test_a_survey_converted_twice_at_once_makes_one_round(  # type: ignore[no-untyped-def]
        pg_only, app_ctx, session: Session) -> None:
    group = make_group(session)
    treasurer = make_member(session, group, role="treasurer")
    aigul = make_member(session, group)
    products = make_catalog(session, group)
    survey = season.create_survey(session, group, treasurer.user, title="Весна",
                                  product_ids=[p.id for p in products])
    season.move_survey(session, survey, "open")
    season.save_answers(session, survey, aigul, {survey.items[0].id: AnswerInput(firm=5000)},
                        aigul.user, source="member")
    season.move_survey(session, survey, "closed")
    session.commit()
    survey_id, user_id = survey.id, treasurer.user_id

    def convert(s: Session) -> None:
        from coop.auth.models import User

        season.convert_survey(s, s.get(Survey, survey_id), s.get(User, user_id), title="Весна")

    outcomes = run_together(app_ctx, convert, n=5)
    assert outcomes.count("ok") == 1 and set(outcomes) <= {"ok", "refused"}, outcomes
    session.expire_all()
    assert session.scalar(select(func.count()).select_from(Round).where(
        Round.group_id == group.id)) == 1
