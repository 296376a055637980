"""The savings services on spec/savings.md §10 (example 01): four meetings
entered as the treasurer enters them, closed with the key-holders, and the
share-out; the ledger holds the engine's figures to the tyiyn at every close."""

from __future__ import annotations

import io

import pytest
from flask_babel import force_locale
from pypdf import PdfReader
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from coop.documents.models import Document
from coop.documents.services import document_bytes
from coop.errors import DomainError
from coop.ledger import services as ledger
from coop.ledger.checks import check_books
from coop.ledger.models import Posting
from coop.savings import services as savings
from coop.savings.models import SavingsLoan, ShareOut
from tests.savings_factory import close, hold_meeting, make_savings_group


def _cash(session: Session, world) -> tuple[int, int, int]:  # type: ignore[no-untyped-def]
    b = savings.savings_balances(session, world.cycle)
    return -b["sg_box_loan"], -b["sg_box_social"], b["sg_income"]


def test_example_01_meeting_by_meeting_to_the_share_out(session: Session) -> None:
    world = make_savings_group(session)
    bags = []
    for k in (1, 2, 3):
        hold_meeting(session, world, k)
        bags.append(_cash(session, world))
    # §10.1: loan bag, social bag and income at each close
    assert bags == [(22000, 5000, 7300), (45650, 9000, 19450), (188300, 8000, 20950)]
    cholpon = session.scalar(select(SavingsLoan).where(SavingsLoan.number == 3))
    assert cholpon is not None and cholpon.state == "active"
    assert [(i.principal_due, i.interest_due) for i in cholpon.installments] == [(20000, 1000)]
    hold_meeting(session, world, 4)
    share_out = session.scalar(select(ShareOut).where(ShareOut.cycle_id == world.cycle.id))
    assert share_out is not None and share_out.equity == 380950 and share_out.total_shares == 72
    assert [line.cash for line in share_out.lines] == [105800, 84600, 57400, 84600, 42300]
    assert [line.residual for line in share_out.lines] == [19, 56, 92, 55, 28]
    assert [line.set_off for line in share_out.lines] == [0, 0, 6000, 0, 0]
    loan_bag, social_bag, income = _cash(session, world)
    assert (loan_bag, social_bag, income) == (0, 13250, 0)
    assert world.cycle.state == "closed"
    assert {m.state for m in world.members} == {"shared_out"}
    assert check_books(session, world.group.id) == []
    assert sum(ledger.balances(session, world.group).values()) == 0
    # the four meeting records and the share-out sheet, numbered and stored
    records = list(session.scalars(select(Document).where(
        Document.doc_type == "savings_meeting").order_by(Document.seq)))
    assert [d.number for d in records] == [f"SGM-2026-000{i}" for i in (1, 2, 3, 4)]
    sheet = session.get(Document, share_out.document_id)
    assert sheet is not None and sheet.number == "SGS-2026-0001"
    text = " ".join(page.extract_text() for page in PdfReader(
        io.BytesIO(document_bytes(sheet))).pages).replace("\u00a0", " ").replace("\u202f", " ")
    for figure in ("1 058,00", "846,00", "574,00", "423,00", "3 809,50", "132,50"):
        assert figure in text, (figure, text[:1500])


def test_a_meeting_closes_once(session: Session) -> None:
    world = make_savings_group(session)
    meeting = hold_meeting(session, world, 1)
    before = session.scalar(select(func.count()).select_from(Posting))
    with pytest.raises(savings.Conflict):
        close(session, world, meeting)
    assert session.scalar(select(func.count()).select_from(Posting)) == before


def test_a_count_that_differs_needs_a_recorded_difference(session: Session) -> None:
    world = make_savings_group(session)
    meeting = hold_meeting(session, world, 1, close_it=False)
    with force_locale("ru"), pytest.raises(DomainError) as error:
        savings.close_meeting(session, meeting, world.group,
                              counts=savings.Counts(0, 0, 21900, 5000),
                              key_holder_ids=world.key_holder_ids, actor=world.treasurer.user)
    assert error.value.field == "closing_loan"
    assert "219,00" in error.value.message and "220,00" in error.value.message
    savings.add_difference(session, meeting, world.group, bag="loan", amount=-100,
                           reason="не хватило монеты")
    savings.close_meeting(session, meeting, world.group,
                          counts=savings.Counts(0, 0, 21900, 5000),
                          key_holder_ids=world.key_holder_ids, actor=world.treasurer.user)
    assert _cash(session, world) == (21900, 5000, 7200)


def test_two_distinct_key_holders_confirm(session: Session) -> None:
    world = make_savings_group(session)
    meeting = hold_meeting(session, world, 1, close_it=False)
    run = savings.check_meeting(session, meeting, world.group)
    expected = savings.expected_cash(run, meeting)
    counts = savings.Counts(None, None, expected["loan"][1], expected["social"][1])
    holder = world.key_holder_ids[0]
    for ids in ([holder], [holder, holder]):
        with pytest.raises(DomainError) as error:
            savings.close_meeting(session, meeting, world.group, counts=counts,
                                  key_holder_ids=ids, actor=world.treasurer.user)
        assert error.value.field == "key_holders"


def test_reopening_reverses_the_meeting_and_reclosing_restores_it(session: Session) -> None:
    world = make_savings_group(session)
    hold_meeting(session, world, 1)
    meeting = hold_meeting(session, world, 2)
    closed = _cash(session, world)
    balances = ledger.balances(session, world.group)
    savings.reopen_meeting(session, meeting, world.group, reason="ошибка в долях",
                           key_holder_ids=world.key_holder_ids, actor=world.treasurer.user)
    assert meeting.state == "open"
    assert _cash(session, world) == (22000, 5000, 7300)  # as after meeting 1
    dinara = session.scalar(select(SavingsLoan).where(SavingsLoan.principal == 101500))
    assert dinara is not None and dinara.state == "draft"
    close(session, world, meeting)
    assert _cash(session, world) == closed
    assert ledger.balances(session, world.group) == balances
    assert check_books(session, world.group.id) == []
    records = list(session.scalars(select(Document).where(
        Document.doc_type == "savings_meeting").order_by(Document.seq)))
    assert len(records) == 3 and records[2].refers_to_id == records[1].id
    assert "SGM-2026-0002" in " ".join(page.extract_text() for page in PdfReader(
        io.BytesIO(document_bytes(records[2]))).pages)
    with pytest.raises(savings.Conflict):  # only the last meeting
        savings.reopen_meeting(session, world.meetings[0], world.group, reason="старая ошибка",
                               key_holder_ids=world.key_holder_ids, actor=world.treasurer.user)


def test_bad_entries_are_refused_with_the_figures(session: Session) -> None:
    world = make_savings_group(session)
    meeting = hold_meeting(session, world, 1, close_it=False)
    with force_locale("ru"), pytest.raises(DomainError) as error:
        savings.add_loan(session, meeting, world.group, member_id=world.member("Бермет").id,
                         principal=70000, months=2, purpose="")
    # Бермет bought 4 shares: she may borrow 3 × 200,00
    assert "600,00" in error.value.message and error.value.field == "loans[1].principal"


def test_settings_are_fixed_once_the_cycle_runs(session: Session) -> None:
    world = make_savings_group(session)
    with pytest.raises(savings.Conflict):
        savings.update_cycle(session, world.cycle, world.group, savings._settings_of(world.cycle))


def test_a_group_adopting_coop_mid_cycle_brings_its_balances(session: Session) -> None:
    """§4.3: the balances of example 01 after meeting 2 (Элмира's fine settled on
    paper), counted by the key-holders at activation; meetings 3 and 4 then give
    the share-out the whole cycle would have given."""
    from datetime import date

    from tests.factories import make_group, make_member
    from tests.savings_factory import NAMES, example_settings

    group = make_group(session)
    treasurer = make_member(session, group, "Гүлнара", role="treasurer")
    memberships = [make_member(session, group, name, login=False) for name in NAMES]
    settings = example_settings()
    cycle = savings.create_cycle(session, group, settings, treasurer.user)
    members = [savings.enrol(session, cycle, m) for m in memberships]
    savings.set_key_holders(session, cycle, [memberships[i].id for i in (1, 2, 4)])
    types = {t.code: t.id for t in cycle.fine_types}
    # Элмира still owes the 20,00 fine for missing meeting 2: in the income
    # so far, owed to the loan bag, paid at meeting 3.
    savings.set_opening(session, cycle, group, income=19450, social_fund=9000, balances=[
        savings.OpeningBalance(members[0].id, 10, 36500, 3650, (date(2026, 5, 5),)),
        savings.OpeningBalance(members[1].id, 8), savings.OpeningBalance(members[2].id, 6),
        savings.OpeningBalance(members[3].id, 10, 101500, 10150,
                               (date(2026, 5, 5), date(2026, 6, 5))),
        savings.OpeningBalance(members[4].id, 2, fines=((types["absent"], 2000),))])
    holders = [h.id for h in cycle.key_holders][:2]
    with pytest.raises(DomainError) as error:
        savings.activate(session, cycle, group, counted_loan=45000, counted_social=9000,
                         key_holder_ids=holders)
    assert error.value.field == "counted_loan"
    with pytest.raises(DomainError) as error:
        savings.activate(session, cycle, group, counted_loan=45650, counted_social=9000,
                         key_holder_ids=holders[:1])
    assert error.value.field == "key_holders"
    savings.activate(session, cycle, group, counted_loan=45650, counted_social=9000,
                     key_holder_ids=holders, actor=treasurer.user)
    assert -savings.savings_balances(session, cycle)["sg_box_loan"] == 45650
    assert [c.key_holder_id for c in savings.opening_confirmations(session, cycle)] == holders
    assert savings.savings_balances(session, cycle)["sg_income"] == 19450
    world = type("W", (), {"group": group, "treasurer": treasurer, "cycle": cycle,
                           "key_holder_ids": holders})
    for k, day, kind in ((3, date(2026, 5, 5), "regular"), (4, date(2026, 6, 5), "share_out")):
        meeting = savings.open_meeting(session, cycle, group, day=day, kind=kind,
                                       actor=treasurer.user)
        repay = {3: {0: 40150, 3: 30000}, 4: {3: 81650, 2: 15000}}[k]
        savings.save_register(session, meeting, group, [
            savings.RegisterLine(m.id, "present", shares=(5, 4, 3, 3, 3)[j], social=True,
                                 repayment=repay.get(j, 0)) for j, m in enumerate(members)])
        if k == 3:
            savings.pay_fine(session, meeting, group, member_id=members[4].id,
                             fine_type_id=types["absent"])
            savings.add_fine(session, meeting, group, member_id=members[1].id,
                             fine_type_id=types["late"], amount=None, paid=True)
            savings.add_grant(session, meeting, group, member_id=members[2].id, amount=6000,
                              reason="болезнь")
            savings.add_loan(session, meeting, group, member_id=members[2].id, principal=20000,
                             months=1, purpose="")
        close(session, world, meeting)
        if k == 3:  # the programme's indicators start from the paper books too
            from coop.savings import indicators

            engine = dict(savings.closed_run(session, cycle, group).result["indicators"])
            del engine["projected_share_out"]
            assert indicators.compute(session, cycle_id=cycle.id)[0].engine_dict() == engine
            assert engine["loans_outstanding_count"] == 2 and engine["fines_due"] == "0.00"
    share_out = session.scalar(select(ShareOut).where(ShareOut.cycle_id == cycle.id))
    assert share_out is not None
    # The share-out the whole cycle gives (example 01, §10.2): E = 3 809,50
    assert share_out.equity == 380950
    assert sum(line.entitlement for line in share_out.lines) == 380950
    assert check_books(session, group.id) == []
    loans = session.scalars(select(SavingsLoan).where(SavingsLoan.cycle_id == cycle.id)
                            .order_by(SavingsLoan.number)).all()
    assert [(loan.number, loan.meeting_id is None, loan.state) for loan in loans] == [
        (1, True, "repaid"), (2, True, "repaid"), (3, False, "set_off")]


def test_activation_needs_two_members_and_three_key_holders_none_a_treasurer(
        session: Session) -> None:
    from tests.factories import make_group, make_member
    from tests.savings_factory import example_settings

    group = make_group(session)
    treasurer = make_member(session, group, "Гүлнара", role="treasurer")
    women = [make_member(session, group, name) for name in ("Айгүл", "Бермет", "Чолпон")]
    cycle = savings.create_cycle(session, group, example_settings(), treasurer.user)
    savings.enrol(session, cycle, women[0])
    with pytest.raises(DomainError) as error:
        savings.activate(session, cycle, group)
    assert error.value.field == "members"
    for woman in women[1:]:
        savings.enrol(session, cycle, woman)
    with pytest.raises(DomainError) as error:
        savings.activate(session, cycle, group)
    assert error.value.field == "key_holders"
    savings.enrol(session, cycle, treasurer)
    with pytest.raises(DomainError) as error:
        savings.set_key_holders(session, cycle, [women[0].id, women[1].id, treasurer.id])
    assert error.value.field == "key_holders"
    with pytest.raises(DomainError):
        savings.set_key_holders(session, cycle, [women[0].id, women[0].id, women[1].id])
    savings.set_key_holders(session, cycle, [w.id for w in women])
    savings.activate(session, cycle, group)
    assert cycle.state == "active"
    with pytest.raises(savings.Conflict):  # one running cycle a group
        other = savings.create_cycle(session, group, example_settings(), treasurer.user)
        for woman in women:
            savings.enrol(session, other, woman)
        savings.set_key_holders(session, other, [w.id for w in women])
        savings.activate(session, other, group)


def test_a_draft_member_taken_out_closes_up_the_passbook_numbers(session: Session) -> None:
    from tests.factories import make_group, make_member
    from tests.savings_factory import example_settings

    group = make_group(session)
    treasurer = make_member(session, group, "Гүлнара", role="treasurer")
    women = [make_member(session, group, name) for name in ("Айгүл", "Бермет", "Чолпон")]
    cycle = savings.create_cycle(session, group, example_settings(), treasurer.user)
    members = [savings.enrol(session, cycle, w) for w in women]
    savings.unenrol(session, cycle, members[0])
    assert [m.passbook_no for m in savings.cycle_members(session, cycle)] == [1, 2]


def test_a_meeting_date_in_the_future_or_before_the_last_is_refused(session: Session) -> None:
    from datetime import date

    world = make_savings_group(session)
    for day in (date(2099, 1, 1), date(2026, 1, 1)):
        with pytest.raises(DomainError) as error:
            savings.open_meeting(session, world.cycle, world.group, day=day, kind="regular",
                                 actor=world.treasurer.user)
        assert error.value.field == "date"
    hold_meeting(session, world, 1)
    with pytest.raises(DomainError):
        savings.open_meeting(session, world.cycle, world.group, day=date(2026, 3, 5),
                             kind="regular", actor=world.treasurer.user)
