from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from coop.db import utcnow
from coop.demo import SPRING_ROUND, load_demo
from coop.errors import DomainError
from coop.orders import services
from coop.orders.models import Request, RequestChange, Round, RoundEvent
from coop.quantities import parse_quantity
from tests.factories import make_catalog, make_group, make_member

EXAMPLES = Path(__file__).resolve().parent.parent / "data" / "split"


def _round(session: Session, **group_settings: object):  # type: ignore[no-untyped-def]
    group = make_group(session, **group_settings)
    treasurer = make_member(session, group, "Майрам", role="treasurer")
    members = [make_member(session, group, name) for name in ("Айгүл", "Нурила", "Гүлнара")]
    products = make_catalog(session, group)
    rnd = services.create_round(session, group, treasurer.user, title="Весна",
                                deadline=None, product_ids=[p.id for p in products])
    services.move_round(session, rnd, treasurer.user, "open")
    return group, treasurer, members, rnd


def q(text: str) -> int:
    return parse_quantity(text)


def test_demo_round_reproduces_the_spec_example_exactly(session: Session) -> None:
    load_demo(session)
    session.commit()
    rnd = session.scalar(select(Round).where(Round.title == SPRING_ROUND))
    result = services.compute_split(session, rnd).result
    expected = json.loads((EXAMPLES / "01-seeds-and-fertiliser.result.json").read_text())
    assert result["totals"] == expected["totals"]
    strip = [{k: v for k, v in m.items() if k not in ("id",)} for m in result["members"]]
    for got, want in zip(strip, expected["members"], strict=True):
        want = {k: v for k, v in want.items() if k != "id"}
        assert [c["amount"] for c in got.pop("shared")] == [
            c["amount"] for c in want.pop("shared")]
        for line in got["lines"]:
            line.pop("product")
        for line in want["lines"]:
            line.pop("product")
        assert got == want


def test_demo_is_idempotent(session: Session) -> None:
    load_demo(session)
    session.commit()
    counts = [session.scalar(select(func.count()).select_from(t)) for t in (Round, Request)]
    created, _logins = load_demo(session)
    session.commit()
    assert not created
    assert [session.scalar(select(func.count()).select_from(t)) for t in (Round, Request)] == counts


def test_order_records_who_changed_what(session: Session) -> None:
    _group, treasurer, members, rnd = _round(session)
    item = rnd.items[0]
    services.save_order(session, rnd, members[0], {item.id: (q("12"), q("4"))},
                        members[0].user, as_treasurer=False)
    services.save_order(session, rnd, members[0], {item.id: (q("10"), q("0"))},
                        treasurer.user, as_treasurer=True)
    changes = list(session.scalars(select(RequestChange).order_by(RequestChange.id)))
    assert [(c.old_quantity, c.new_quantity, c.changed_by_id) for c in changes] == [
        (0, 12000, members[0].user_id), (12000, 10000, treasurer.user_id)]
    assert services.order_of(session, rnd, members[0])[item.id].quantity == 10000


def test_her_lines_read_after_an_order_are_the_ones_it_wrote(session: Session) -> None:
    """An order writes her lines as rows: lines this session had loaded as
    objects before are let go, so that reading them again (the API answers a
    saved order with it) gives the new quantities, a line taken away is gone,
    and a new one is there."""
    _group, _treasurer, members, rnd = _round(session)
    first, second, third = rnd.items[:3]
    member = members[0]
    services.save_order(session, rnd, member, {first.id: (q("12"), q("4")),
                                               second.id: (q("3"), 0)},
                        member.user, as_treasurer=False)
    before = services.order_of(session, rnd, member)
    assert before[first.id].quantity == 12000 and before[second.id].quantity == 3000
    changed = services.save_order(session, rnd, member, {
        first.id: (q("10"), 0), second.id: (0, 0), third.id: (q("1"), 0)},
        member.user, as_treasurer=False)
    assert changed == 3
    after = services.order_of(session, rnd, member)
    assert {i: (r.quantity, r.tolerance) for i, r in after.items()} == {
        first.id: (10000, 0), third.id: (1000, 0)}
    assert session.get(Request, before[first.id].id).quantity == 10000
    assert session.scalar(select(func.count()).select_from(Request).where(
        Request.membership_id == member.id, Request.round_item_id == second.id)) == 0
    assert services.save_order(session, rnd, member, {first.id: (q("10"), 0)},
                               member.user, as_treasurer=False) == 0


@pytest.mark.parametrize(("quantity", "tolerance", "message"), [
    ("2.5", "0", "in steps of 1"),
    ("3", "0.5", "in steps of 1"),
    ("0", "2", "needs a firm quantity"),
])
def test_quantities_must_fit_the_granularity(session: Session, quantity: str, tolerance: str,
                                             message: str) -> None:
    _group, _t, members, rnd = _round(session)
    with pytest.raises(DomainError) as excinfo:
        services.save_order(session, rnd, members[0],
                            {rnd.items[0].id: (q(quantity), q(tolerance))},
                            members[0].user, as_treasurer=False)
    assert message in str(excinfo.value)


def test_half_units_are_fine_where_the_granularity_allows(session: Session) -> None:
    _group, _t, members, rnd = _round(session)
    fabric = next(i for i in rnd.items if i.product.granularity == 500)
    services.save_order(session, rnd, members[0], {fabric.id: (q("22.5"), q("2.5"))},
                        members[0].user, as_treasurer=False)
    assert services.round_demand(session, rnd)[fabric.id] == (22500, 2500)


def test_orders_only_while_open_and_before_the_deadline(session: Session) -> None:
    _group, treasurer, members, rnd = _round(session)
    item = rnd.items[0]
    rnd.deadline = utcnow() - timedelta(minutes=1)
    with pytest.raises(DomainError, match="deadline"):
        services.save_order(session, rnd, members[0], {item.id: (q("1"), 0)},
                            members[0].user, as_treasurer=False)
    # the treasurer can still enter orders for members who could not
    services.save_order(session, rnd, members[0], {item.id: (q("1"), 0)}, treasurer.user,
                        as_treasurer=True)
    services.move_round(session, rnd, treasurer.user, "closed")
    with pytest.raises(DomainError, match="not open"):
        services.save_order(session, rnd, members[0], {item.id: (q("2"), 0)}, treasurer.user,
                            as_treasurer=True)


def test_forbidden_moves_change_nothing(session: Session) -> None:
    _group, treasurer, _members, rnd = _round(session)
    with pytest.raises(DomainError, match="cannot become"):
        services.move_round(session, rnd, treasurer.user, "settled")
    assert rnd.state == "open"
    services.move_round(session, rnd, treasurer.user, "cancelled")
    with pytest.raises(DomainError):
        services.move_round(session, rnd, treasurer.user, "open")
    events = [(e.from_state, e.to_state) for e in session.scalars(
        select(RoundEvent).where(RoundEvent.round_id == rnd.id).order_by(RoundEvent.id))]
    assert events == [("draft", "open"), ("open", "cancelled")]


def test_award_at_list_prices_freezes_prices_and_packs(session: Session) -> None:
    _group, treasurer, members, rnd = _round(session)
    item = rnd.items[0]
    services.save_order(session, rnd, members[0], {item.id: (q("30"), 0)}, members[0].user,
                        as_treasurer=False)
    services.move_round(session, rnd, treasurer.user, "closed")
    services.award_at_list_prices(session, rnd, treasurer.user)
    before = services.compute_split(session, rnd).result["totals"]
    # the catalog changes afterwards: the awarded round does not
    item.product.price_tiers[0].unit_price *= 2
    item.product.pack_size = 1000
    session.flush()
    assert services.compute_split(session, rnd).result["totals"] == before
    assert rnd.state == "awarded"


def test_award_needs_orders(session: Session) -> None:
    _group, treasurer, _members, rnd = _round(session)
    services.move_round(session, rnd, treasurer.user, "closed")
    with pytest.raises(DomainError, match="Nobody has ordered"):
        services.award_at_list_prices(session, rnd, treasurer.user)
    assert rnd.state == "closed"


def test_credit_limit_refuses_an_order_beyond_it(session: Session) -> None:
    _group, _t, members, rnd = _round(session, credit_limit=100_000)  # 1 000 som
    seed = rnd.items[0]  # 48.50 at the base tier
    services.save_order(session, rnd, members[0], {seed.id: (q("20"), 0)}, members[0].user,
                        as_treasurer=False)  # 970.00
    session.commit()
    with pytest.raises(DomainError, match="credit limit"):
        services.save_order(session, rnd, members[0], {seed.id: (q("20"), q("1"))},
                            members[0].user, as_treasurer=False)  # 1 018.50
    session.rollback()
    assert services.order_exposure(session, members[0]) == 97_000


def test_split_preview_follows_the_orders(session: Session) -> None:
    _group, _t, members, rnd = _round(session)
    seed = rnd.items[0]
    for member, (quantity, tolerance) in zip(members, (("12", "4"), ("9", "6"), ("5", "5")),
                                             strict=True):
        services.save_order(session, rnd, member, {seed.id: (q(quantity), q(tolerance))},
                            member.user, as_treasurer=False)
    result = services.compute_split(session, rnd).result
    seeds = result["products"][0]
    assert (seeds["packs"], seeds["ordered"]) == (1, "25")
    # F = 26 > one pack of 25, and 1 + 15 tolerance cannot fill a second pack:
    # 25 shared by firm quantities 12:9:5 = 11.54, 8.65, 4.81 -> 11, 9, 5
    assert [m["lines"][0]["allocated"] for m in result["members"]] == ["11", "9", "5"]


def test_the_bazaar_comparison_says_what_she_saves_or_pays_more(app_ctx) -> None:  # type: ignore[no-untyped-def]
    from flask_babel import force_locale

    from coop.orders import explain

    with app_ctx.test_request_context(), force_locale("ru"):
        words = explain._Words("KGS", 0)
        saved = explain._bazaar(words, 150550, 22800)
        more = explain._bazaar(words, 27500, -21900)
        even = explain._bazaar(words, 27500, 0)
        assert explain._bazaar(words, None, None) is None
    assert saved is not None and "вы экономите 228,00" in saved
    assert more is not None and "219,00" in more and "-" not in more
    assert more != saved and even not in (saved, more) and "275,00" in str(even)


def test_a_bill_line_is_worded_once_per_locale_and_currency(app_ctx) -> None:  # type: ignore[no-untyped-def]
    """After an order every bill of the round is shown anew, most of its lines
    as they were: the same line is worded once per process, and each locale
    and currency has its own wording."""
    import dataclasses

    from flask_babel import force_locale

    from coop.orders import explain, facts

    line = facts.LineFacts(product="Семена томата", unit="packet", pack_size=20000, packs=2,
                           ordered=40000, firm=38000, usable=40000, unit_price=38_500000,
                           quantity=12000, tolerance=3000, allocated=14000, amount=53900)
    with app_ctx.test_request_context():
        with force_locale("ru"):
            first = explain._ShareWords("KGS", 3).line(line)
            again = explain._ShareWords("KGS", 3).line(dataclasses.replace(line))
            other_price = explain._ShareWords("KGS", 3).line(
                dataclasses.replace(line, unit_price=40_000000))
            in_somoni = explain._ShareWords("TJS", 3).line(line)
            in_hundredths = explain._ShareWords("KGS", 2).line(line)  # 120,00 not 12
        with force_locale("en"):
            in_english = explain._ShareWords("KGS", 3).line(line)
    assert again is first  # an equal line: worded once
    assert "38,50" in first.why and "40,00" in other_price.why
    assert in_somoni.why != first.why
    assert in_hundredths.quantity != first.quantity
    assert in_english.why != first.why and "38.50" in in_english.why
    with pytest.raises(dataclasses.FrozenInstanceError):
        first.why = "changed"  # type: ignore[misc]
