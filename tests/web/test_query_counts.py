"""The SQL query count of a page does not grow with the number of members."""

from __future__ import annotations

import pytest
from flask.testing import FlaskClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from coop.auth.models import User
from coop.groups.models import Membership
from coop.ledger import services as ledger
from coop.orders import services as orders
from coop.orders.models import Request
from tests.conftest import login
from tests.factories import make_catalog, make_group, make_member


def _group_of(session: Session, members: int):  # type: ignore[no-untyped-def]
    group = make_group(session, levy_basis_points=200, cash_rounding=100)
    treasurer = make_member(session, group, "Казначей", role="treasurer")
    people = [User(name=f"Участница {i:04d}") for i in range(members)]
    session.add_all(people)
    session.flush()
    memberships = [Membership(group_id=group.id, user_id=u.id) for u in people]
    session.add_all(memberships)
    products = make_catalog(session, group)
    rnd = orders.create_round(session, group, treasurer.user, title="R", deadline=None,
                              product_ids=[p.id for p in products])
    orders.move_round(session, rnd, treasurer.user, "open")
    session.flush()
    session.add_all(Request(round_id=rnd.id, round_item_id=item.id, membership_id=m.id,
                            quantity=(i % 7 + 1) * 1000, tolerance=(i % 3) * 1000)
                    for i, m in enumerate(memberships) for item in rnd.items)
    orders.add_shared_cost(session, rnd, name="Truck", amount=150000, rule="weight")
    for m in memberships[:5]:
        ledger.adjust_member(session, m, amount=1000, reason="x", actor=treasurer.user)
    session.commit()
    return group, treasurer, memberships, rnd


def _count(client: FlaskClient, count_queries, url: str) -> int:  # type: ignore[no-untyped-def]
    with count_queries() as n:
        response = client.get(url)
    assert response.status_code == 200, url
    return n[0]


# Their first visit computes the round's split (the cache is empty), the second
# reads it from the cache: neither grows with the members.
SPLIT_PAGES = {"round", "share"}


@pytest.mark.parametrize("page", ["round", "share", "order", "members", "accounts",
                                  "statement", "dashboard", "rounds"])
def test_page_queries_do_not_grow_with_members(app_ctx, session: Session, count_queries,  # type: ignore[no-untyped-def]
                                               page: str) -> None:
    counts = []
    for size in (10, 500):
        group, treasurer, memberships, rnd = _group_of(session, size)
        client = app_ctx.test_client()
        login(client, treasurer.user.email)
        member = memberships[3]
        url = {
            "round": f"/groups/{group.id}/rounds/{rnd.id}",
            "share": f"/groups/{group.id}/rounds/{rnd.id}/share/{member.id}",
            "order": f"/groups/{group.id}/rounds/{rnd.id}/order/{member.id}",
            "members": f"/groups/{group.id}/members",
            "accounts": f"/groups/{group.id}/accounts",
            "statement": f"/groups/{group.id}/accounts/{member.id}",
            "dashboard": f"/groups/{group.id}",
            "rounds": f"/groups/{group.id}/rounds",
        }[page]
        first = _count(client, count_queries, url)  # makes the group's accounts; splits
        counts.append((first, _count(client, count_queries, url)) if page in SPLIT_PAGES
                      else _count(client, count_queries, url))
    # (fewer may be: the round page lists a small group's members, and only
    # counts a large one's, with the sign-in)
    assert counts[1] <= counts[0], f"{page}: {counts} queries for 10 and 500 members"


def _a_member_signed_in(app_ctx, session: Session):  # type: ignore[no-untyped-def]
    """A small group's open round and one more member, signed in."""
    group, _treasurer, _memberships, rnd = _group_of(session, 3)
    member = make_member(session, group)
    session.commit()
    client = app_ctx.test_client()
    login(client, member.user.email)
    return group, rnd, member, client


def test_an_order_submission_asks_nothing_more_of_the_database_after_its_commit(
        app_ctx, session: Session) -> None:
    """The objects the view holds stay loaded after the commit (coop.extensions:
    no expiry on commit): the flash and the redirect do not load them again."""
    from sqlalchemy import event

    from coop.extensions import db
    from tests.conftest import csrf_token

    group, rnd, _member, client = _a_member_signed_in(app_ctx, session)
    url = f"/groups/{group.id}/rounds/{rnd.id}/order"
    form = {f"quantity_{item.id}": "2" for item in rnd.items}
    form["csrf_token"] = csrf_token(client, url)
    committed: list[bool] = []
    after_commit: list[str] = []

    def on_commit(_session: Session) -> None:
        committed.append(True)

    def on_statement(_conn, _cursor, statement: str, *_args: object) -> None:  # type: ignore[no-untyped-def]
        if committed:
            after_commit.append(statement.split()[0])

    event.listen(Session, "after_commit", on_commit)
    event.listen(db.engine, "before_cursor_execute", on_statement)
    try:
        response = client.post(url, data=form)
    finally:
        event.remove(Session, "after_commit", on_commit)
        event.remove(db.engine, "before_cursor_execute", on_statement)
    assert response.status_code == 302
    assert committed == [True] and after_commit == [], after_commit


def test_an_order_submission_is_a_lock_one_read_and_its_writes(app_ctx, session: Session
                                                                  ) -> None:
    """An order of hers, besides the sign-in: the lock on her membership, one
    read after it (the round's state, its products' terms and her lines),
    then her changed lines, their history and the round's new token with the
    SplitChange, the last three in one statement on PostgreSQL. A read or a
    write more (the terms read apart, the token read apart) fails here."""
    from sqlalchemy import event

    from coop.extensions import db
    from tests.conftest import csrf_token, is_postgres

    group, rnd, member, client = _a_member_signed_in(app_ctx, session)
    url = f"/groups/{group.id}/rounds/{rnd.id}/order"
    form = {f"quantity_{item.id}": "2" for item in rnd.items}
    form["csrf_token"] = csrf_token(client, url)
    assert client.post(url, data=form).status_code == 302  # her lines, added
    form[f"quantity_{rnd.items[0].id}"] = "3"
    seen: list[str] = []

    def before(_conn, _cursor, statement: str, *_args: object) -> None:  # type: ignore[no-untyped-def]
        seen.append(" ".join(statement.split()))

    event.listen(db.engine, "before_cursor_execute", before)
    try:
        response = client.post(url, data=form)
    finally:
        event.remove(db.engine, "before_cursor_execute", before)
    assert response.status_code == 302
    # (the sign-in: on this engine when the database is in memory; the old
    # SplitChanges, pruned at every hundredth)
    seen = [s for s in seen if "users.login_nonce" not in s
            and not s.startswith("DELETE FROM split_changes")]
    kinds = [_kind(s) for s in seen]
    token = ["WITH before"] if is_postgres() else [
        "SELECT", "UPDATE rounds", "INSERT split_changes"]
    assert kinds == ["UPDATE memberships", "SELECT", "UPDATE requests",
                     "INSERT request_changes", *token], seen
    if is_postgres():  # the token before, read under the round's row lock
        assert "FOR NO KEY UPDATE" in seen[-1]
    locked = seen[1]  # her lines and the terms, read after the lock
    assert "FROM rounds" in locked and "products.granularity" in locked \
        and "requests.quantity" in locked
    session.expire_all()
    assert session.scalar(select(Request.quantity).where(
        Request.membership_id == member.id, Request.round_item_id == rnd.items[0].id)) == 3000


def test_an_order_without_its_form_token_is_refused_and_saves_nothing(
        app_ctx, session: Session) -> None:
    """The order form's token is checked before the view (CSRFProtect), which
    no longer checks it itself."""
    group, rnd, member, client = _a_member_signed_in(app_ctx, session)
    url = f"/groups/{group.id}/rounds/{rnd.id}/order"
    form = {f"quantity_{item.id}": "2" for item in rnd.items}
    for token in (None, "not-a-token"):
        sent = form if token is None else {**form, "csrf_token": token}
        response = client.post(url, data=sent)
        assert response.status_code == 400
        assert "The form has expired" in response.get_data(as_text=True)
    assert session.scalar(select(func.count()).select_from(Request).where(
        Request.membership_id == member.id)) == 0


def _kind(statement: str) -> str:
    """What a statement is: SELECT, UPDATE requests, INSERT request_changes,
    WITH before (PostgreSQL's fused token statement)..."""
    words = statement.split()
    if words[0] == "INSERT":
        return f"INSERT {words[2]}"
    return f"{words[0]} {words[1]}" if words[0] in ("UPDATE", "WITH") else words[0]


def _statements(client: FlaskClient, url: str) -> tuple[int, list[str]]:
    from sqlalchemy import event

    from coop.extensions import db

    seen: list[str] = []

    def before(_conn, _cursor, statement: str, *_args: object) -> None:  # type: ignore[no-untyped-def]
        seen.append(" ".join(statement.split()))

    engines = list(db.engines.values())  # the sign-in's connection is of its own
    for engine in engines:
        event.listen(engine, "before_cursor_execute", before)
    try:
        status = client.get(url).status_code
    finally:
        for engine in engines:
            event.remove(engine, "before_cursor_execute", before)
    return status, seen


def test_signing_in_on_a_group_page_is_one_query_with_the_group_and_her_membership(
        app_ctx, session: Session) -> None:
    """The session's user, the group and her membership come in one statement;
    a sign-out elsewhere (a new login nonce) or a membership ended still takes
    effect on the very next page."""
    from sqlalchemy import update

    group, rnd, member, client = _a_member_signed_in(app_ctx, session)
    url = f"/groups/{group.id}/rounds/{rnd.id}/share"
    assert client.get(url).status_code == 200
    status, seen = _statements(client, url)
    assert status == 200
    signing_in = [s for s in seen if "users.login_nonce" in s]
    assert len(signing_in) == 1, signing_in
    assert "JOIN groups" in signing_in[0] and "JOIN memberships" in signing_in[0]
    round_with_sign_in = "JOIN rounds" in signing_in[0]  # a page of a round: the round too
    assert not [s for s in seen if " FROM groups WHERE" in s
                or " FROM memberships WHERE memberships.group_id" in s
                or (" FROM rounds WHERE rounds.id = " in s and "AND rounds.group_id = " in s
                    and "JOIN" not in s)], seen
    assert round_with_sign_in

    session.execute(update(Membership).where(Membership.id == member.id).values(active=False))
    session.commit()
    assert client.get(url).status_code == 404
    session.execute(update(Membership).where(Membership.id == member.id).values(active=True))
    session.execute(update(User).where(User.id == member.user_id).values(login_nonce="other"))
    session.commit()
    assert client.get(url).status_code == 302  # signed out: to the sign-in page


def test_a_round_read_with_the_sign_in_is_of_the_page_s_group_only(
        app_ctx, session: Session) -> None:
    """The round comes with the sign-in only if it is of the group in the
    address: another group's round, a round that does not exist and a draft a
    member may not see are 404s, as when the page asked for the round itself."""
    from sqlalchemy import update

    from coop.orders.models import Round

    group, rnd, _member, client = _a_member_signed_in(app_ctx, session)
    _other, _t, _m, elsewhere = _group_of(session, 1)
    session.commit()
    assert client.get(f"/groups/{group.id}/rounds/{rnd.id}/share").status_code == 200
    assert client.get(f"/groups/{group.id}/rounds/{elsewhere.id}/share").status_code == 404
    assert client.get(f"/groups/{group.id}/rounds/{elsewhere.id + 1000}/share").status_code \
        == 404
    session.execute(update(Round).where(Round.id == rnd.id).values(state="draft"))
    session.commit()
    assert client.get(f"/groups/{group.id}/rounds/{rnd.id}/share").status_code == 404
    assert client.get(f"/groups/{group.id}/rounds/{rnd.id}").status_code == 404


def test_statement_queries_do_not_grow_with_reversed_entries(app_ctx, session: Session,  # type: ignore[no-untyped-def]
                                                             count_queries) -> None:
    """Whether each entry was reversed, and by what, comes with the statement's
    own query, not one query per line."""
    group = make_group(session)
    treasurer = make_member(session, group, "Казначей", role="treasurer")
    counts = []
    for reversed_entries in (1, 30):
        member = make_member(session, group)
        for n in range(reversed_entries):
            entry = ledger.adjust_member(session, member, amount=1000 + n, reason="x",
                                         actor=treasurer.user)
            ledger.reverse_posting(session, group, entry.id, reason="y", actor=treasurer.user)
        ledger.adjust_member(session, member, amount=500, reason="kept", actor=treasurer.user)
        session.commit()
        client = app_ctx.test_client()
        login(client, treasurer.user.email)
        url = f"/groups/{group.id}/accounts/{member.id}"
        _count(client, count_queries, url)
        counts.append(_count(client, count_queries, url))
    assert counts[0] == counts[1], f"{counts} queries for 1 and 30 reversed entries"


def test_her_share_page_reads_her_balance_with_the_sign_in(app_ctx, session: Session,
                                                          monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """Her own share page, kept split, asks the database one thing: the
    sign-in, which reads her balance too (no transaction of the page's own;
    the suite's check of kept figures against a fresh split is off for that
    view, as in production). The balance is
    the one of that moment: a charge made since shows on the next view; and
    the treasurer looking at her share sees hers, not the treasurer's own."""
    import re

    group, rnd, member, client = _a_member_signed_in(app_ctx, session)
    session.add(Request(round_id=rnd.id, round_item_id=rnd.items[0].id, membership_id=member.id,
                        quantity=2000, tolerance=0))
    session.commit()
    url = f"/groups/{group.id}/rounds/{rnd.id}/share"
    assert client.get(url).status_code == 200  # splits the round
    monkeypatch.setitem(app_ctx.config, "SPLIT_CACHE_CHECK", False)
    status, seen = _statements(client, url)
    monkeypatch.setitem(app_ctx.config, "SPLIT_CACHE_CHECK", True)
    assert status == 200
    assert len(seen) == 1 and "users.login_nonce" in seen[0] and "postings" in seen[0], seen

    treasurer = session.get(Membership, member.id).group.memberships[0]
    assert treasurer.is_treasurer
    session.add(Request(round_id=rnd.id, round_item_id=rnd.items[0].id,
                        membership_id=treasurer.id, quantity=1000, tolerance=0))
    ledger.adjust_member(session, member, amount=98700, reason="x", actor=treasurer.user)
    ledger.adjust_member(session, treasurer, amount=4200, reason="x", actor=treasurer.user)
    session.commit()
    assert re.search(r"987[.,]00", client.get(url).get_data(as_text=True))

    as_treasurer = app_ctx.test_client()
    login(as_treasurer, treasurer.user.email)
    page = as_treasurer.get(f"{url}/{member.id}").get_data(as_text=True)
    assert re.search(r"987[.,]00", page) and not re.search(r"42[.,]00", page)
    own = as_treasurer.get(f"{url}/{treasurer.id}").get_data(as_text=True)
    assert re.search(r"42[.,]00", own) and not re.search(r"987[.,]00", own)


def test_a_large_group_s_kept_round_page_asks_the_database_one_thing(
        app_ctx, session: Session, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """The treasurer's round page, kept whole, of a group too large to list
    (more members than the drop-down takes): the sign-in counts the members,
    and nothing else is asked. A small group's page reads its members (whom
    the drop-down lists), in one statement; one who joins is listed at once."""
    from coop.orders.views import PICKER_LIMIT

    group, treasurer, _memberships, rnd = _group_of(session, PICKER_LIMIT + 1)
    client = app_ctx.test_client()
    login(client, treasurer.user.email)
    url = f"/groups/{group.id}/rounds/{rnd.id}"
    assert client.get(url).status_code == 200  # splits the round, keeps the page
    monkeypatch.setitem(app_ctx.config, "SPLIT_CACHE_CHECK", False)
    status, seen = _statements(client, url)
    assert status == 200
    assert len(seen) == 1 and "users.login_nonce" in seen[0] and "count(" in seen[0], seen
    assert 'name="q"' in client.get(url).get_data(as_text=True)  # search, not a list

    small, treasurer, _memberships, rnd = _group_of(session, 3)
    login(client, treasurer.user.email)
    url = f"/groups/{small.id}/rounds/{rnd.id}"
    assert client.get(url).status_code == 200
    status, seen = _statements(client, url)
    assert status == 200
    assert [s for s in seen if "BEGIN" not in s and "ROLLBACK" not in s
            and "login_nonce" not in s and "memberships" in s and "users.name" in s], seen
    newcomer = make_member(session, small, "Новенькая")
    session.commit()
    assert newcomer.user.name in client.get(url).get_data(as_text=True)


def test_a_member_s_kept_round_page_asks_the_database_one_thing(
        app_ctx, session: Session, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """Her view of the round, kept whole, of a large round: the sign-in alone
    (it read the round, and the packs come from the kept split)."""
    group, _treasurer, memberships, rnd = _group_of(session, 200)
    member = memberships[0]
    member.user.email = "member-of-200@example.org"
    from werkzeug.security import generate_password_hash
    member.user.password_hash = generate_password_hash("secret-password")
    session.commit()
    client = app_ctx.test_client()
    login(client, member.user.email)
    url = f"/groups/{group.id}/rounds/{rnd.id}"
    assert client.get(url).status_code == 200
    monkeypatch.setitem(app_ctx.config, "SPLIT_CACHE_CHECK", False)
    status, seen = _statements(client, url)
    assert status == 200
    assert len(seen) == 1 and "users.login_nonce" in seen[0], seen


def test_a_busy_round_s_share_page_reads_the_new_orders_with_its_sign_in(
        app_ctx, session: Session, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """After another member's order, her share page brings the process's split
    up to date from the order changes since its token: the sign-in reads them
    with the round, in its one statement, and no statement of their own is
    sent (a statement fewer on every view of a busy evening)."""
    from sqlalchemy import event

    from coop.extensions import db
    from coop.orders import cache
    from coop.orders import services as orders

    group, treasurer, memberships, rnd = _group_of(session, 10)
    client = app_ctx.test_client()
    member = memberships[3]
    login(client, treasurer.user.email)
    url = f"/groups/{group.id}/rounds/{rnd.id}/share/{member.id}"
    assert client.get(url).status_code == 200  # the round split once, kept live
    applied: list[int] = []
    advance = cache._LiveRound.advance
    monkeypatch.setattr(cache._LiveRound, "advance",
                        lambda self, *a: applied.append(1) or advance(self, *a))
    for quantity in (5000, 6000):  # another member's orders, one after the other
        orders.save_order(session, rnd, memberships[5], {rnd.items[0].id: (quantity, 0)},
                          treasurer.user, as_treasurer=True)
        session.commit()
        statements: list[str] = []

        def seen(_conn, _cursor, statement, *_args, into=statements) -> None:  # type: ignore[no-untyped-def]
            into.append(statement)

        engines = set(db.engines.values())
        for engine in engines:
            event.listen(engine, "before_cursor_execute", seen)
        try:
            page = client.get(url)
        finally:
            for engine in engines:
                event.remove(engine, "before_cursor_execute", seen)
        assert page.status_code == 200
        reading = [s for s in statements if "split_changes" in s]
        assert len(reading) == 1 and "users" in reading[0], reading  # the sign-in's
    assert len(applied) == 2  # each order applied to the kept split, not split anew
