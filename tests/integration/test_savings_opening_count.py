"""The opening cash count of a savings meeting (spec/savings.md §5 step 3,
§5.2): each bag counted at the opening holds what the books expect (the last
close), or a difference of that bag is recorded at the meeting; a bag not
counted at the opening is not compared. The meeting record prints an
opening count that differed with its shortage or surplus."""

from __future__ import annotations

import io
from datetime import date

import pytest
from flask_babel import force_locale
from pypdf import PdfReader
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from coop.documents.models import Document
from coop.documents.services import document_bytes
from coop.errors import DomainError
from coop.ledger.checks import check_books
from coop.ledger.models import Posting
from coop.savings import services as savings
from coop.savings.models import SavingsMeeting
from tests.factories import make_group, make_member
from tests.savings_factory import (
    NAMES,
    SavingsWorld,
    example_settings,
    hold_meeting,
    make_savings_group,
)


def _second_meeting(session: Session) -> tuple[SavingsWorld, SavingsMeeting,
                                                   dict[str, tuple[int, int]]]:
    """Example 01: meeting 1 closed (the loan bag 220,00, the social bag 50,00),
    meeting 2 entered and open; the cash the books expect at its opening and close."""
    world = make_savings_group(session)
    hold_meeting(session, world, 1)
    meeting = hold_meeting(session, world, 2, close_it=False)
    expected = savings.expected_cash(savings.check_meeting(session, meeting, world.group),
                                     meeting)
    assert (expected["loan"][0], expected["social"][0]) == (22000, 5000)
    return world, meeting, expected


def _close(session: Session, world: SavingsWorld, meeting: SavingsMeeting,
           counts: savings.Counts) -> savings.Run:
    return savings.close_meeting(session, meeting, world.group, counts=counts,
                                 key_holder_ids=world.key_holder_ids, actor=world.treasurer.user)


def _postings(session: Session) -> int:
    return session.scalar(select(func.count()).select_from(Posting)) or 0


def _record_text(session: Session) -> str:
    record = session.scalars(select(Document).where(
        Document.doc_type == "savings_meeting").order_by(Document.seq.desc())).first()
    assert record is not None
    text = " ".join(page.extract_text() for page in PdfReader(
        io.BytesIO(document_bytes(record))).pages)
    return " ".join(text.replace("\u00a0", " ").replace("\u202f", " ").split())


@pytest.mark.parametrize("bag", ["loan", "social"])
def test_an_opening_count_the_books_do_not_expect_is_refused(session: Session,
                                                              bag: str) -> None:
    """5,00 short at the opening, nothing recorded: the close is refused naming
    the field and the figures, and nothing is written."""
    world, meeting, expected = _second_meeting(session)
    opening = {name: expected[name][0] for name in ("loan", "social")}
    opening[bag] -= 500
    postings = _postings(session)
    with force_locale("ru"), pytest.raises(DomainError) as error:
        _close(session, world, meeting, savings.Counts(
            opening["loan"], opening["social"], expected["loan"][1], expected["social"][1]))
    assert error.value.field == f"opening_{bag}"
    with force_locale("ru"):
        message = str(error.value.message).replace("\u00a0", " ").replace("\u202f", " ")
    counted, want = ("215,00", "220,00") if bag == "loan" else ("45,00", "50,00")
    assert counted in message and want in message and "-5,00" in message, message
    assert "В начале собрания" in message, message
    assert meeting.state == "open" and _postings(session) == postings


def test_an_opening_count_as_the_books_expect_closes(session: Session) -> None:
    """Typed 5,00 short: refused; counted again and typed as the books expect:
    closed, both counts kept, nothing printed as short."""
    world, meeting, expected = _second_meeting(session)
    closing = (expected["loan"][1], expected["social"][1])
    with pytest.raises(DomainError):
        _close(session, world, meeting, savings.Counts(21500, 5000, *closing))
    _close(session, world, meeting, savings.Counts(22000, 5000, *closing))
    assert meeting.state == "closed"
    assert (meeting.opening_loan_count, meeting.opening_social_count) == (22000, 5000)
    assert check_books(session, world.group.id) == []
    text = _record_text(session)
    assert "недостача" not in text and "излишек" not in text, text


def test_an_opening_count_left_empty_is_not_compared(session: Session) -> None:
    """Nobody counted at the opening: the close checks the closing counts
    only, and the record prints no opening count (blank, not the books')."""
    world, meeting, expected = _second_meeting(session)
    _close(session, world, meeting, savings.Counts(
        None, None, expected["loan"][1], expected["social"][1]))
    assert meeting.state == "closed"
    assert (meeting.opening_loan_count, meeting.opening_social_count) == (None, None)
    text = _record_text(session)
    # each bag's row: expected at the opening, nothing counted, then the close
    assert "Кредитный фонд 220,00 456,50 456,50 Социальный фонд 50,00 90,00 90,00" in text, text


def test_a_recorded_difference_explains_the_opening_gap(session: Session) -> None:
    """5,00 missing from the loan bag since the last close: the opening and the
    closing counts are both 5,00 short. Refused at the opening until the
    difference is recorded; then the close must match the books with the
    difference in them, and the record and its text say the opening was short."""
    world, meeting, expected = _second_meeting(session)
    short = savings.Counts(21500, 5000, expected["loan"][1] - 500, expected["social"][1])
    with pytest.raises(DomainError) as error:
        _close(session, world, meeting, short)
    assert error.value.field == "opening_loan"
    savings.add_difference(session, meeting, world.group, bag="loan", amount=-500,
                           reason="не хватило с прошлого раза")
    with pytest.raises(DomainError) as error:  # the close as if nothing were missing
        _close(session, world, meeting, savings.Counts(
            21500, 5000, expected["loan"][1], expected["social"][1]))
    assert error.value.field == "closing_loan"
    _close(session, world, meeting, short)
    assert meeting.state == "closed" and meeting.opening_loan_count == 21500
    assert -savings.savings_balances(session, world.cycle)["sg_box_loan"] == (
        expected["loan"][1] - 500)
    assert check_books(session, world.group.id) == []
    text = _record_text(session)
    assert "215,00" in text and "недостача 5,00" in text, text
    chat = savings.meeting_text(session, world.cycle, world.group, meeting, "ru")
    assert chat is not None
    assert ("Кредитный фонд в начале: пересчитано 215,00 сом, по записям 220,00 сом"
            in chat.replace("\u00a0", " ").replace("\u202f", " ")), chat


def test_the_first_meeting_of_a_cycle_adopted_mid_way_opens_with_the_paper_books_cash(
        session: Session) -> None:
    """A group that brought its cycle from paper (§4.3) opens its first meeting
    in Coop with the cash counted at the start, not with empty bags."""
    group = make_group(session)
    treasurer = make_member(session, group, "Гүлнара", role="treasurer")
    memberships = [make_member(session, group, name, login=False) for name in NAMES[:3]]
    cycle = savings.create_cycle(session, group, example_settings(), treasurer.user)
    members = [savings.enrol(session, cycle, m) for m in memberships]
    savings.set_key_holders(session, cycle, [m.id for m in memberships])
    savings.set_opening(session, cycle, group, income=0, social_fund=1000, balances=[
        savings.OpeningBalance(members[0].id, 4), savings.OpeningBalance(members[1].id, 2)])
    holders = [h.id for h in cycle.key_holders][:2]
    savings.activate(session, cycle, group, counted_loan=30000, counted_social=1000,
                     key_holder_ids=holders, actor=treasurer.user)
    meeting = savings.open_meeting(session, cycle, group, day=date(2026, 3, 5),
                                   kind="regular", actor=treasurer.user)
    run = savings.save_register(session, meeting, group, [
        savings.RegisterLine(m.id, "present", shares=1, social=True) for m in members])
    expected = savings.expected_cash(run, meeting)
    assert (expected["loan"][0], expected["social"][0]) == (30000, 1000)
    closing = (expected["loan"][1], expected["social"][1])
    with pytest.raises(DomainError) as error:  # the paper books' cash is in the bag
        savings.close_meeting(session, meeting, group, counts=savings.Counts(0, 1000, *closing),
                              key_holder_ids=holders, actor=treasurer.user)
    assert error.value.field == "opening_loan"
    savings.close_meeting(session, meeting, group, counts=savings.Counts(30000, 1000, *closing),
                          key_holder_ids=holders, actor=treasurer.user)
    assert meeting.state == "closed"
    assert check_books(session, group.id) == []
