"""What a new user's walk (a Tajik treasurer, on a 360 px phone) found in the
savings pages: confirming the share-out closed the cycle in one click
without asking; a meeting's impossible date («31.02.2026») was answered with
two messages, one of them saying no date was written; the wording of the
group's part on the passbook."""

from __future__ import annotations

import re
from html import unescape

from flask.testing import FlaskClient
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from coop.ledger.models import Posting
from coop.savings import services as savings
from coop.savings.models import SavingsCycle, SavingsMeeting, ShareOut
from tests.conftest import csrf_token, login, post
from tests.factories import PASSWORD
from tests.savings_factory import hold_meeting, make_savings_group


def _language(client: FlaskClient, locale: str) -> None:
    client.post("/language", data={"locale": locale, "next": "/",
                                   "csrf_token": csrf_token(client, "/")})


def _text(response) -> str:  # type: ignore[no-untyped-def]
    html = unescape(re.sub(r"<[^>]+>", " ", response.get_data(as_text=True)))
    return re.sub(r"\s+", " ", html.replace("\u00a0", " ").replace("\u202f", " "))


def _amount(minor: int) -> str:
    return f"{minor // 100},{minor % 100:02d}"


def _count(session: Session, model, *where) -> int:  # type: ignore[no-untyped-def]
    session.expire_all()
    return session.scalar(select(func.count()).select_from(model).where(*where)) or 0


def _share_out_meeting(session: Session):  # type: ignore[no-untyped-def]
    """§10: three meetings closed, the share-out meeting entered, still open."""
    world = make_savings_group(session)
    for k in (1, 2, 3):
        hold_meeting(session, world, k)
    meeting = hold_meeting(session, world, 4, close_it=False)
    run = savings.check_meeting(session, meeting, world.group)
    cash = savings.expected_cash(run, meeting)
    session.commit()
    return world, meeting, cash


def _close_form(world, cash) -> dict:  # type: ignore[no-untyped-def]
    return {"version": str(world.cycle.version),
            "closing_loan": _amount(cash["loan"][1]),
            "closing_social": _amount(cash["social"][1]),
            "key_holders": [str(i) for i in world.key_holder_ids]}


def _hidden(page: str) -> dict[str, list[str]]:
    """The question's form as a browser would send it back."""
    form = re.search(r'<form method="post" action="([^"]+)" class="confirm-form">(.*?)</form>',
                     page, re.S)
    assert form, page[:3000]
    fields: dict[str, list[str]] = {}
    for name, value in re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)">',
                                  form.group(2)):
        fields.setdefault(name, []).append(unescape(value))
    return {"action": [unescape(form.group(1))], **fields}


def _send(client: FlaskClient, fields: dict[str, list[str]]):  # type: ignore[no-untyped-def]
    data = {k: v if len(v) > 1 else v[0] for k, v in fields.items() if k != "action"}
    return client.post(fields["action"][0], data=data)


def test_confirming_the_share_out_asks_first_showing_what_it_confirms(
        client: FlaskClient, session: Session) -> None:
    world, meeting, cash = _share_out_meeting(session)
    login(client, world.treasurer.user.email, PASSWORD)
    _language(client, "ru")
    url = f"/groups/{world.group.id}/savings/{world.cycle.id}/meetings/{meeting.id}"
    postings = _count(session, Posting)

    asked = post(client, f"{url}/close?at=close", _close_form(world, cash))
    assert asked.status_code == 200, _text(asked)[:2000]
    page = asked.get_data(as_text=True)
    text = _text(asked)
    # nothing done yet: the meeting open, the cycle sharing out, nothing posted
    assert _count(session, ShareOut) == 0 and _count(session, Posting) == postings
    assert session.get(SavingsMeeting, meeting.id).state == savings.OPEN
    # what will be confirmed: the parts, the cash, the coins, the debts set off
    for words in ("Подтвердить распределение цикла", "3 809,50", "3 747,00", "2,50",
                  "60,00", "Да, подтвердить", "Назад"):
        assert words in text, (words, text[:3000])
    assert f'href="/groups/{world.group.id}/savings/{world.cycle.id}/share-out"' in page
    yes = _hidden(page)
    assert yes["key_holders"] == [str(i) for i in world.key_holder_ids]

    done = _send(client, yes)
    assert done.status_code == 303, _text(done)[:2000]
    assert _count(session, ShareOut) == 1
    assert session.get(SavingsCycle, world.cycle.id).state == "closed"
    after = _count(session, Posting)
    assert after > postings

    again = _send(client, yes)  # Back to the question, and "yes" once more
    assert again.status_code == 303
    assert "уже подтверждено" in _text(client.get(again.headers["Location"]))
    assert _count(session, ShareOut) == 1 and _count(session, Posting) == after
    # the meeting's own form sent again (Back twice): nothing done again either
    old = post(client, f"{url}/close?at=close", _close_form(world, cash))
    assert old.status_code == 303 and _count(session, Posting) == after


def test_a_yes_for_other_figures_shows_the_question_again_and_does_nothing(
        client: FlaskClient, session: Session) -> None:
    world, meeting, cash = _share_out_meeting(session)
    login(client, world.treasurer.user.email, PASSWORD)
    url = f"/groups/{world.group.id}/savings/{world.cycle.id}/meetings/{meeting.id}"
    yes = _hidden(post(client, f"{url}/close?at=close", _close_form(world, cash))
                  .get_data(as_text=True))
    stale = _send(client, {**yes, "figures": ["0" * 20]})
    assert stale.status_code == 409
    assert "The figures changed" in _text(stale)
    assert _count(session, ShareOut) == 0
    assert session.get(SavingsMeeting, meeting.id).state == savings.OPEN


def test_an_impossible_meeting_date_is_one_message_in_tajik(
        client: FlaskClient, session: Session) -> None:
    world = make_savings_group(session)
    session.commit()
    login(client, world.treasurer.user.email, PASSWORD)
    _language(client, "tg")
    base = f"/groups/{world.group.id}/savings/{world.cycle.id}"
    response = post(client, f"{base}/meetings", {
        "version": str(world.cycle.version), "date": "31.02.2026", "kind": "regular"})
    assert response.status_code == 422
    text = _text(response)
    assert "Чунин сана нест: 31.02.2026 — ин моҳ 28 рӯз дорад." in text, text[:3000]
    assert "Санаи ҷаласаро нависед" not in text, text[:3000]
    assert response.get_data(as_text=True).count("class=\"flash error\"") == 1
    assert _count(session, SavingsMeeting) == 0
    # no date written at all: that is what she is told, once
    empty = post(client, f"{base}/meetings", {
        "version": str(world.cycle.version), "date": "", "kind": "regular"})
    assert empty.status_code == 422
    assert "Санаи ҷаласаро нависед." in _text(empty)
    assert empty.get_data(as_text=True).count('class="flash error"') == 1
    assert _count(session, SavingsMeeting) == 0


# A close the books would refuse is refused before it is asked (a code review
# found the question «Да, подтвердить» shown for a count of 10 000 where the
# books expect 10 500, the refusal only after the "yes", and the meeting's page
# then shown again without what she typed).


def _close_form_on(page: str) -> dict[str, list[str]]:
    """The meeting page's count-and-close form as a browser would send it."""
    form = re.search(r'<form method="post" action="([^"]+/close\?at=close)(?:#close)?"[^>]*>'
                     r"(.*?)</form>", page, re.S)
    assert form, page[:3000]
    fields: dict[str, list[str]] = {"action": [unescape(form.group(1))]}
    for tag in re.findall(r"<input[^>]*>", form.group(2)):
        attrs = dict(re.findall(r'([\w-]+)="([^"]*)"', tag))
        if attrs.get("type") == "checkbox" and not re.search(r"\schecked[\s>=]", tag):
            continue
        fields.setdefault(attrs["name"], []).append(unescape(attrs.get("value", "")))
    return fields


def _nothing_closed(session: Session, meeting, postings: int) -> None:  # type: ignore[no-untyped-def]
    assert _count(session, ShareOut) == 0 and _count(session, Posting) == postings
    assert session.get(SavingsMeeting, meeting.id).state == savings.OPEN


def test_a_count_the_books_do_not_expect_is_refused_before_the_question_keeping_it(
        client: FlaskClient, session: Session) -> None:
    world, meeting, cash = _share_out_meeting(session)
    login(client, world.treasurer.user.email, PASSWORD)
    _language(client, "ru")
    url = f"/groups/{world.group.id}/savings/{world.cycle.id}/meetings/{meeting.id}"
    postings = _count(session, Posting)
    short = _amount(cash["loan"][1] - 5000)
    opening = _amount(cash["loan"][0])

    refused = post(client, f"{url}/close?at=close",
                   {**_close_form(world, cash), "closing_loan": short, "opening_loan": opening})
    assert refused.status_code == 422, _text(refused)[:2000]
    text = _text(refused)
    assert "по записям должно быть 3 749,50" in text, text[:3000]
    assert "Да, подтвердить" not in text
    typed = _close_form_on(refused.get_data(as_text=True))
    assert typed["closing_loan"] == [short] and typed["opening_loan"] == [opening]
    assert typed["closing_social"] == [_amount(cash["social"][1])]
    assert typed["key_holders"] == [str(i) for i in world.key_holder_ids]
    _nothing_closed(session, meeting, postings)


def test_too_few_key_holders_are_refused_before_the_question_keeping_the_counts(
        client: FlaskClient, session: Session) -> None:
    world, meeting, cash = _share_out_meeting(session)
    login(client, world.treasurer.user.email, PASSWORD)
    _language(client, "ru")
    url = f"/groups/{world.group.id}/savings/{world.cycle.id}/meetings/{meeting.id}"
    postings = _count(session, Posting)
    one = str(world.key_holder_ids[0])

    refused = post(client, f"{url}/close?at=close",
                   {**_close_form(world, cash), "key_holders": [one]})
    assert refused.status_code == 422, _text(refused)[:2000]
    text = _text(refused)
    assert "Нужно подтверждений хранительниц ключей: 2; есть: 1." in text, text[:3000]
    assert "Да, подтвердить" not in text
    typed = _close_form_on(refused.get_data(as_text=True))
    assert typed["closing_loan"] == [_amount(cash["loan"][1])]
    assert typed["closing_social"] == [_amount(cash["social"][1])]
    assert typed["key_holders"] == [one]
    _nothing_closed(session, meeting, postings)


def test_the_count_corrected_on_the_kept_form_asks_first_then_closes_once(
        client: FlaskClient, session: Session) -> None:
    world, meeting, cash = _share_out_meeting(session)
    login(client, world.treasurer.user.email, PASSWORD)
    url = f"/groups/{world.group.id}/savings/{world.cycle.id}/meetings/{meeting.id}"
    postings = _count(session, Posting)
    refused = post(client, f"{url}/close?at=close",
                   {**_close_form(world, cash), "closing_loan": _amount(cash["loan"][1] - 5000)})
    assert refused.status_code == 422, _text(refused)[:2000]

    again = _close_form_on(refused.get_data(as_text=True))
    again["closing_loan"] = [_amount(cash["loan"][1])]  # counted again: only that changes
    asked = _send(client, again)
    assert asked.status_code == 200, _text(asked)[:2000]
    assert "Yes, confirm" in _text(asked)
    _nothing_closed(session, meeting, postings)

    yes = _hidden(asked.get_data(as_text=True))
    done = _send(client, yes)
    assert done.status_code == 303, _text(done)[:2000]
    assert _count(session, ShareOut) == 1
    assert session.get(SavingsCycle, world.cycle.id).state == "closed"
    after = _count(session, Posting)
    assert after > postings
    assert _send(client, yes).status_code == 303  # the "yes" again: nothing done again
    assert _count(session, ShareOut) == 1 and _count(session, Posting) == after


def test_a_yes_refused_because_the_meeting_changed_keeps_what_she_typed(
        client: FlaskClient, session: Session) -> None:
    world, meeting, cash = _share_out_meeting(session)
    login(client, world.treasurer.user.email, PASSWORD)
    url = f"/groups/{world.group.id}/savings/{world.cycle.id}/meetings/{meeting.id}"
    postings = _count(session, Posting)
    opening = _amount(cash["loan"][0])
    asked = post(client, f"{url}/close?at=close",
                 {**_close_form(world, cash), "opening_loan": opening})
    yes = _hidden(asked.get_data(as_text=True))
    # meanwhile another tab changes the meeting (the cycle's version moves on)
    session.execute(update(SavingsCycle).where(SavingsCycle.id == world.cycle.id)
                    .values(version=SavingsCycle.version + 1))
    session.commit()

    refused = _send(client, yes)
    assert refused.status_code == 409, _text(refused)[:2000]
    assert "the meeting changed since this page was shown" in _text(refused)
    typed = _close_form_on(refused.get_data(as_text=True))
    assert typed["closing_loan"] == [_amount(cash["loan"][1])]
    assert typed["closing_social"] == [_amount(cash["social"][1])]
    assert typed["opening_loan"] == [opening]
    assert typed["key_holders"] == [str(i) for i in world.key_holder_ids]
    session.expire_all()
    assert typed["version"] == [str(session.get(SavingsCycle, world.cycle.id).version)]
    _nothing_closed(session, meeting, postings)


def test_a_regular_meeting_refused_at_the_close_keeps_the_counts_typed(
        client: FlaskClient, session: Session) -> None:
    world = make_savings_group(session)
    meeting = hold_meeting(session, world, 1, close_it=False)
    cash = savings.expected_cash(savings.check_meeting(session, meeting, world.group), meeting)
    session.commit()
    login(client, world.treasurer.user.email, PASSWORD)
    url = f"/groups/{world.group.id}/savings/{world.cycle.id}/meetings/{meeting.id}"
    postings = _count(session, Posting)
    short = _amount(cash["loan"][1] - 100)
    refused = post(client, f"{url}/close?at=close",
                   {**_close_form(world, cash), "closing_loan": short})
    assert refused.status_code == 422, _text(refused)[:2000]
    assert "but the books expect" in _text(refused)
    typed = _close_form_on(refused.get_data(as_text=True))
    assert typed["closing_loan"] == [short]
    assert typed["key_holders"] == [str(i) for i in world.key_holder_ids]
    assert _count(session, Posting) == postings
    assert session.get(SavingsMeeting, meeting.id).state == savings.OPEN
