"""Corrections at a meeting (spec/savings.md §5.4, §6.3): a mistake in an
older meeting's shares corrected at the current one, and interest waived on
a loan; both posted at the close with the key-holders' confirmation, printed
on the meeting record, reversed with the meeting when it is reopened. And a
group adopting Coop mid-cycle with fines still owed (§4.3)."""

from __future__ import annotations

import io
from datetime import date

import pytest
from flask_babel import force_locale
from pypdf import PdfReader
from sqlalchemy import select
from sqlalchemy.orm import Session

from coop.documents.models import Document
from coop.documents.services import document_bytes
from coop.errors import DomainError
from coop.ledger import services as ledger
from coop.ledger.checks import check_books
from coop.ledger.models import Posting
from coop.savings import services as savings
from coop.savings.models import SavingsLoan
from tests.savings_factory import close, hold_meeting, make_savings_group


def _figures(run: savings.Run, k: int, member_id: int) -> dict:  # type: ignore[type-arg]
    j = next(j for j, m in enumerate(run.members) if m.id == member_id)
    return run.figures(k)["members"][j]


def _interest_postings(session: Session, meeting_id: int) -> list[tuple[str, int]]:
    """(kind, amount) of the meeting's interest and interest-waiver postings."""
    return [(p.kind, p.amount) for p in session.scalars(select(Posting).where(
        Posting.sg_meeting_id == meeting_id,
        Posting.kind.in_(("sg_interest", "sg_interest_waiver"))).order_by(Posting.id))]


def _reopened_and_closed_again(session: Session, world, meeting) -> dict[int, int]:  # type: ignore[no-untyped-def]
    """Reopen the meeting (every posting reversed) and close it again; the
    balances after."""
    savings.reopen_meeting(session, meeting, world.group, reason="проверить поправки",
                           key_holder_ids=world.key_holder_ids, actor=world.treasurer.user)
    close(session, world, meeting)
    return ledger.balances(session, world.group)


def test_shares_corrected_and_interest_waived_at_meeting_3(session: Session) -> None:
    world = make_savings_group(session)
    hold_meeting(session, world, 1)
    hold_meeting(session, world, 2)
    meeting = hold_meeting(session, world, 3, close_it=False)
    plain = savings.check_meeting(session, meeting, world.group)
    bermet, dinara = world.member("Бермет"), world.member("Динара")
    savings.add_share_adjustment(session, meeting, world.group, member_id=bermet.id, shares=-1,
                                 reason="на встрече 2 записали 4 доли вместо 3")
    run = savings.add_interest_waiver(session, meeting, world.group, member_id=dinara.id,
                                      amount=2000, reason="вдова, решили на собрании")
    before, after = plain.figures(3), run.figures(3)
    # One share of 50,00 back out of the loan bag and off her savings; 20,00 less income.
    assert savings.to_minor(before["loan_bag"]) - savings.to_minor(after["loan_bag"]) == 5000
    assert savings.to_minor(before["income"]) - savings.to_minor(after["income"]) == 2000
    assert _figures(plain, 3, bermet.id)["shares"] - _figures(run, 3, bermet.id)["shares"] == 1
    # Her 30,00 repaid the first installment's 50,75 interest first; the waiver comes off
    # the interest still owed (the second installment's 50,75): 30,75 left.
    assert _figures(run, 3, dinara.id)["loan_interest"] == "30.75"
    loan = next(x for x in run.result["loans"] if x["number"] == 2)
    assert loan["interest_waived"] == "20.00"
    assert [i["interest_due"] for i in loan["installments"]] == ["50.75", "30.75"]

    close(session, world, meeting)
    postings = {p.kind: p for p in session.scalars(select(Posting).where(
        Posting.sg_meeting_id == meeting.id, Posting.kind.in_(
            ("sg_adjustment", "sg_interest_waiver"))))}
    assert postings["sg_adjustment"].amount == 5000
    assert postings["sg_interest_waiver"].amount == 2000
    assert "вдова" in postings["sg_interest_waiver"].memo
    assert check_books(session, world.group.id) == []
    installments = session.scalar(select(SavingsLoan).where(
        SavingsLoan.cycle_member_id == dinara.id)).installments
    assert [i.interest_due for i in installments] == [5075, 3075]
    record = session.scalars(select(Document).where(
        Document.doc_type == "savings_meeting").order_by(Document.seq.desc())).first()
    text = " ".join(page.extract_text() for page in PdfReader(
        io.BytesIO(document_bytes(record))).pages)
    assert "записали 4 доли вместо 3" in text and "вдова" in text

    # Reopened: every posting reversed; re-closed: the same balances again.
    balances = ledger.balances(session, world.group)
    assert _reopened_and_closed_again(session, world, meeting) == balances
    assert check_books(session, world.group.id) == []


def test_corrections_need_two_key_holders_even_when_the_group_asks_one(
        session: Session) -> None:
    world = make_savings_group(session)
    world.cycle.confirmations_required = 1
    hold_meeting(session, world, 1)
    meeting = hold_meeting(session, world, 2, close_it=False)
    run = savings.add_share_adjustment(session, meeting, world.group,
                                       member_id=world.member("Чолпон").id, shares=1,
                                       reason="доля с первой встречи не записана")
    expected = savings.expected_cash(run, meeting)
    counts = savings.Counts(None, None, expected["loan"][1], expected["social"][1])
    with pytest.raises(DomainError) as error:
        savings.close_meeting(session, meeting, world.group, counts=counts,
                              key_holder_ids=world.key_holder_ids[:1],
                              actor=world.treasurer.user)
    assert error.value.field == "key_holders"
    savings.close_meeting(session, meeting, world.group, counts=counts,
                          key_holder_ids=world.key_holder_ids, actor=world.treasurer.user)
    assert meeting.state == "closed"


@pytest.mark.parametrize(("kind", "value", "field", "words"), [
    ("shares", -20, "adjustments[0].shares", "Элмира"),
    ("shares", 0, "shares", ""),
    ("interest", 1, "interest_waivers[0].member", "Элмира"),
])
def test_a_correction_beyond_what_is_there_is_refused(
        session: Session, kind: str, value: int, field: str, words: str) -> None:
    world = make_savings_group(session)
    meeting = hold_meeting(session, world, 1, close_it=False)
    elmira = world.member("Элмира")
    with force_locale("ru"), pytest.raises(DomainError) as error:
        if kind == "shares":
            savings.add_share_adjustment(session, meeting, world.group, member_id=elmira.id,
                                         shares=value, reason="ошибка в записи")
        else:
            savings.add_interest_waiver(session, meeting, world.group, member_id=elmira.id,
                                        amount=value, reason="ошибка в записи")
    assert error.value.field == field
    assert words in error.value.message


def test_waiving_more_interest_than_she_owes_names_what_she_owes(session: Session) -> None:
    world = make_savings_group(session)
    hold_meeting(session, world, 1)
    meeting = hold_meeting(session, world, 2, close_it=False)
    with force_locale("ru"), pytest.raises(DomainError) as error:
        savings.add_interest_waiver(session, meeting, world.group,
                                    member_id=world.member("Айгүл").id, amount=3700,
                                    reason="слишком много")
    # 730,00 at 5 % a month for 2 months: 73,00 charged; her 401,50 at this meeting
    # paid the first 36,50 of it: 36,50 is left to waive
    assert "36,50" in error.value.message
    assert error.value.field == "interest_waivers[0].amount"


def test_fines_owed_from_the_paper_books_are_paid_later(session: Session) -> None:
    from tests.factories import make_group, make_member
    from tests.savings_factory import NAMES, example_settings

    group = make_group(session)
    treasurer = make_member(session, group, "Гүлнара", role="treasurer")
    memberships = [make_member(session, group, name, login=False) for name in NAMES[:3]]
    cycle = savings.create_cycle(session, group, example_settings(), treasurer.user)
    members = [savings.enrol(session, cycle, m) for m in memberships]
    savings.set_key_holders(session, cycle, [m.id for m in memberships])
    types = {t.code: t.id for t in cycle.fine_types}
    savings.set_opening(session, cycle, group, income=3000, social_fund=0, balances=[
        savings.OpeningBalance(members[0].id, 4, fines=((types["absent"], 2000),)),
        savings.OpeningBalance(members[1].id, 2, fines=((types["late"], 500),))])
    opening = savings.opening_of(session, cycle)
    assert opening is not None and opening.loan_bag(cycle.share_value) == 30000 + 3000 - 2500
    holders = [h.id for h in cycle.key_holders][:2]
    savings.activate(session, cycle, group, counted_loan=30500, counted_social=0,
                     key_holder_ids=holders, actor=treasurer.user)
    assert check_books(session, group.id) == []
    meeting = savings.open_meeting(session, cycle, group, day=date(2026, 3, 5), kind="regular",
                                   actor=treasurer.user)
    savings.save_register(session, meeting, group, [
        savings.RegisterLine(m.id, "present", shares=1, social=True) for m in members])
    run = savings.pay_fine(session, meeting, group, member_id=members[0].id,
                           fine_type_id=types["absent"])
    figures = run.figures(1)
    assert figures["fines_due_loan"] == "5.00"  # Бермет's late fine is still owed
    world = type("W", (), {"group": group, "treasurer": treasurer, "cycle": cycle,
                           "key_holder_ids": holders})
    close(session, world, meeting)  # type: ignore[arg-type]
    assert check_books(session, group.id) == []
    paid, owed = savings.opening_fines(session, cycle)
    assert (paid.state, owed.state) == ("paid", "due")
    with pytest.raises(DomainError):  # already paid: nothing of this kind is owed now
        meeting2 = savings.open_meeting(session, cycle, group, day=date(2026, 4, 5),
                                        kind="regular", actor=treasurer.user)
        savings.pay_fine(session, meeting2, group, member_id=members[0].id,
                         fine_type_id=types["absent"])


def test_interest_waived_at_the_meeting_it_falls_due_on_a_declining_loan(
        session: Session) -> None:
    """On a declining-balance loan the interest is charged as an installment
    falls due. Waived at that same meeting, the books post the interest
    charged and the waiver, each once: a random cycle found the close refused
    (the interest posted was what the waiver had left, and the waiver came
    off it again)."""
    from tests.savings_factory import NAMES, SHARES

    world = make_savings_group(session)
    world.cycle.interest_method = "declining"
    session.flush()
    hold_meeting(session, world, 1)  # Айгүл borrows 730,00 for two months at 5%
    meeting = hold_meeting(session, world, 2, close_it=False)
    aigul = world.member("Айгүл")
    savings.save_register(session, meeting, world.group, [  # she repays nothing yet
        savings.RegisterLine(member.id, "absent" if name == "Элмира" else "present",
                             shares=SHARES[1][j], social=name != "Элмира")
        for j, (name, member) in enumerate(zip(NAMES, world.members, strict=True))])
    charged = _figures(savings.check_meeting(session, meeting, world.group), 2, aigul.id)
    assert charged["loan_interest"] == "36.50"  # 5% of 730,00, charged as it falls due
    run = savings.add_interest_waiver(session, meeting, world.group, member_id=aigul.id,
                                      amount=1000, reason="засуха, решили на собрании")
    assert _figures(run, 2, aigul.id)["loan_interest"] == "26.50"

    close(session, world, meeting)
    accounts = savings.Accounts(session, world.cycle)
    balances = ledger.balances(session, world.group)
    assert balances[accounts.member(aigul.id, "sg_loan")] == -(73000 + 3650 - 1000)
    assert _interest_postings(session, meeting.id) == [
        ("sg_interest", 3650), ("sg_interest_waiver", 1000)]
    assert check_books(session, world.group.id) == []

    assert _reopened_and_closed_again(session, world, meeting) == balances
    assert check_books(session, world.group.id) == []


def test_a_declining_loan_brought_in_owing_interest_falls_due_and_is_waived(
        session: Session) -> None:
    """A group adopting Coop mid-cycle brings a declining-balance loan that
    owes 10,00 of interest (posted at the start). When its installment falls
    due, 5% of the 200,00 left is charged and half of what she then owes in
    interest is waived: the books post 10,00 of interest (not the 10,00
    brought in again) and the 10,00 waived, and the meeting closes."""
    from dataclasses import replace

    from tests.factories import make_group, make_member
    from tests.savings_factory import NAMES, example_settings

    group = make_group(session)
    treasurer = make_member(session, group, "Гүлнара", role="treasurer")
    memberships = [make_member(session, group, name, login=False) for name in NAMES[:3]]
    cycle = savings.create_cycle(session, group,
                                 replace(example_settings(), interest_method="declining"),
                                 treasurer.user)
    members = [savings.enrol(session, cycle, m) for m in memberships]
    savings.set_key_holders(session, cycle, [m.id for m in memberships])
    savings.set_opening(session, cycle, group, income=1000, social_fund=0, balances=[
        savings.OpeningBalance(members[0].id, 10, loan_principal=20000, loan_interest=1000,
                               due_dates=(date(2026, 3, 5),)),
        savings.OpeningBalance(members[1].id, 4)])
    opening = savings.opening_of(session, cycle)
    assert opening is not None
    holders = [h.id for h in cycle.key_holders][:2]
    savings.activate(session, cycle, group, counted_loan=opening.loan_bag(cycle.share_value),
                     counted_social=0, key_holder_ids=holders, actor=treasurer.user)
    meeting = savings.open_meeting(session, cycle, group, day=date(2026, 3, 5), kind="regular",
                                   actor=treasurer.user)
    savings.save_register(session, meeting, group, [
        savings.RegisterLine(m.id, "present", shares=1, social=True) for m in members])
    owed = _figures(savings.check_meeting(session, meeting, group), 1, members[0].id)
    assert owed["loan_interest"] == "20.00"  # 10,00 brought in + 5% of 200,00
    savings.add_interest_waiver(session, meeting, group, member_id=members[0].id, amount=1000,
                                reason="засуха, решили на собрании")
    world = type("W", (), {"group": group, "treasurer": treasurer, "cycle": cycle,
                           "key_holder_ids": holders})
    close(session, world, meeting)  # type: ignore[arg-type]
    accounts = savings.Accounts(session, cycle)
    assert ledger.balances(session, group)[accounts.member(members[0].id, "sg_loan")] == -(
        20000 + 1000 + 1000 - 1000)
    assert _interest_postings(session, meeting.id) == [
        ("sg_interest", 1000), ("sg_interest_waiver", 1000)]
    assert check_books(session, group.id) == []
