from __future__ import annotations

import re

from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from coop.auth.models import User
from coop.groups.models import Group, Membership
from tests.conftest import csrf_token, login, post
from tests.factories import make_admin, make_group, make_member


def _group_with_treasurer(session: Session):  # type: ignore[no-untyped-def]
    group = make_group(session)
    treasurer = make_member(session, group, "Майрам", role="treasurer")
    member = make_member(session, group, "Айгүл")
    session.commit()
    return group, treasurer, member


def test_member_of_another_group_gets_404_everywhere(client: FlaskClient,
                                                     session: Session) -> None:
    group_a, _t, _m = _group_with_treasurer(session)
    group_b, treasurer_b, member_b = _group_with_treasurer(session)
    login(client, member_b.user.email)
    for url in (f"/groups/{group_a.id}", f"/groups/{group_a.id}/members",
                f"/groups/{group_a.id}/settings", f"/groups/{group_a.id}/members/new",
                f"/groups/{group_a.id}/members/{_m.id}"):
        response = client.get(url)
        assert response.status_code == 404, url
        assert group_a.name not in response.get_data(as_text=True)
    # a membership id of group A reached through group B's URL is a 404 too
    post(client, "/logout")
    login(client, treasurer_b.user.email)
    assert client.get(f"/groups/{group_b.id}/members/{_m.id}").status_code == 404
    assert post(client, f"/groups/{group_b.id}/members/{_m.id}/deactivate").status_code == 404
    assert session.get(Membership, _m.id).active


def test_member_cannot_do_treasurer_actions(client: FlaskClient, session: Session) -> None:
    group, _t, member = _group_with_treasurer(session)
    login(client, member.user.email)
    assert client.get(f"/groups/{group.id}").status_code == 200
    assert client.get(f"/groups/{group.id}/members").status_code == 200
    assert client.get(f"/groups/{group.id}/members/new").status_code == 403
    assert post(client, f"/groups/{group.id}/members/new",
                {"name": "Чужая", "role": "treasurer", "locale": ""}).status_code == 403
    assert post(client, f"/groups/{group.id}/members/{_t.id}/deactivate").status_code == 403
    assert client.get(f"/groups/{group.id}/settings").status_code == 403
    assert session.scalar(select(User).where(User.name == "Чужая")) is None


def test_treasurer_adds_offline_member_and_makes_an_invite_link(
        app_ctx, client: FlaskClient, session: Session) -> None:  # type: ignore[no-untyped-def]
    group, treasurer, _m = _group_with_treasurer(session)
    login(client, treasurer.user.email)
    response = post(client, f"/groups/{group.id}/members/new",
                    {"name": "Бүбүсара Жумабекова", "phone": "", "email": "", "locale": "ky",
                     "role": "member"})
    assert response.status_code == 302
    added = session.scalar(select(User).where(User.name == "Бүбүсара Жумабекова"))
    assert added is not None and not added.has_login
    membership = session.scalar(select(Membership).where(Membership.user_id == added.id))
    made = post(client, f"/groups/{group.id}/members/{membership.id}/link")
    assert made.status_code == 303  # shown after a redirect: a reload makes no new one
    page = client.get(made.headers["Location"])
    assert page.status_code == 200 and page.headers["Cache-Control"] == "no-store"
    link = re.search(r"(/link/[A-Za-z0-9_\-]+)", page.get_data(as_text=True)).group(1)
    again = client.get(made.headers["Location"]).get_data(as_text=True)  # reloaded
    assert link in again

    newcomer = app_ctx.test_client()
    assert newcomer.get(link).status_code == 200
    bad = post(newcomer, link, {"phone": "", "email": "", "password": "short",
                                "confirm": "short"})
    assert bad.status_code == 422
    done = post(newcomer, link, {"phone": "+996 700 11 22 33", "email": "",
                                 "password": "bubusara-pass", "confirm": "bubusara-pass"})
    assert done.status_code == 302
    assert newcomer.get(f"/groups/{group.id}").status_code == 200
    # the link works once
    assert app_ctx.test_client().get(link).status_code == 422
    fresh = app_ctx.test_client()
    login(fresh, "+996700112233", "bubusara-pass")


def test_reset_link_for_member_with_login(app_ctx, client: FlaskClient, session: Session) -> None:  # type: ignore[no-untyped-def]
    group, treasurer, member = _group_with_treasurer(session)
    login(client, treasurer.user.email)
    made = post(client, f"/groups/{group.id}/members/{member.id}/link")
    page = client.get(made.headers["Location"]).get_data(as_text=True)
    link = re.search(r"(/link/[A-Za-z0-9_\-]+)", page).group(1)
    other = app_ctx.test_client()
    response = post(other, link, {"phone": "", "email": member.user.email,
                                  "password": "reset-password", "confirm": "reset-password"})
    assert response.status_code == 302
    login(app_ctx.test_client(), member.user.email, "reset-password")


def test_bad_member_input_gets_a_message_and_changes_nothing(client: FlaskClient,
                                                             session: Session) -> None:
    group, treasurer, member = _group_with_treasurer(session)
    login(client, treasurer.user.email)
    before = session.scalar(select(User.id).order_by(User.id.desc()))
    for data, message in (
        ({"name": "", "role": "member", "locale": ""}, "This field is required"),
        ({"name": "X", "phone": "not a phone", "role": "member", "locale": ""},
         "not a phone number"),
        ({"name": "X", "email": member.user.email, "role": "member", "locale": ""},
         "already in the group"),
        ({"name": "X", "role": "boss", "locale": ""}, "Not a valid choice"),
    ):
        response = post(client, f"/groups/{group.id}/members/new", data)
        assert response.status_code == 422, data
        assert message in response.get_data(as_text=True), data
    assert session.scalar(select(User.id).order_by(User.id.desc())) == before


def test_deactivate_keeps_history_and_last_treasurer_stays(client: FlaskClient,
                                                           session: Session) -> None:
    group, treasurer, member = _group_with_treasurer(session)
    login(client, treasurer.user.email)
    assert post(client, f"/groups/{group.id}/members/{member.id}/deactivate").status_code == 302
    session.expire_all()
    assert session.get(Membership, member.id).active is False
    assert session.get(User, member.user_id) is not None
    response = post(client, f"/groups/{group.id}/members/{treasurer.id}/deactivate")
    assert response.status_code == 422
    assert "at least one treasurer" in response.get_data(as_text=True)
    session.expire_all()
    assert session.get(Membership, treasurer.id).active is True
    members_page = client.get(f"/groups/{group.id}/members").get_data(as_text=True)
    assert member.user.name in members_page and "inactive" in members_page


def test_admin_creates_a_group(client: FlaskClient, session: Session) -> None:
    admin = make_admin(session)
    session.commit()
    login(client, admin.email)
    response = post(client, "/admin/groups/new", {
        "name": "Барскоон", "village": "Барскоон", "region": "Иссык-Куль", "country": "KG",
        "currency": "KGS", "language": "ky"})
    assert response.status_code == 302
    group = session.scalar(select(Group).where(Group.name == "Барскоон"))
    assert group is not None and group.currency == "KGS"
    bad = post(client, "/admin/groups/new", {"name": "", "country": "KG", "currency": "XXX",
                                             "language": "ky"})
    assert bad.status_code == 422


def test_non_admin_cannot_create_groups(client: FlaskClient, session: Session) -> None:
    _group, treasurer, _m = _group_with_treasurer(session)
    login(client, treasurer.user.email)
    assert client.get("/admin/groups/new").status_code == 403


def test_settings_accept_decimal_comma_and_refuse_bad_amounts(client: FlaskClient,
                                                              session: Session) -> None:
    group, treasurer, _m = _group_with_treasurer(session)
    login(client, treasurer.user.email)
    ok = post(client, f"/groups/{group.id}/settings", {
        "levy_percent": "2,5", "cash_rounding": "1", "loss_policy": "round",
        "credit_limit": "5 000"})
    assert ok.status_code == 302
    session.expire_all()
    saved = session.get(Group, group.id)
    assert (saved.levy_basis_points, saved.cash_rounding, saved.loss_policy,
            saved.credit_limit) == (250, 100, "round", 500000)
    bad = post(client, f"/groups/{group.id}/settings", {
        "levy_percent": "2", "cash_rounding": "0.001", "loss_policy": "round",
        "credit_limit": "abc"})
    assert bad.status_code == 422
    text = bad.get_data(as_text=True)
    assert "at most 2 decimals" in text and "is not a number" in text
    session.expire_all()
    assert session.get(Group, group.id).cash_rounding == 100


def test_the_treasurer_sets_the_group_s_language_and_its_papers_follow(
        client: FlaskClient, session: Session) -> None:
    """Found in a walk in Kyrgyz: a group made in Russian could not be moved to
    Kyrgyz (its settings had no language), so its distribution sheets and
    comparisons stayed Russian for a Kyrgyz treasurer."""
    group, treasurer, _m = _group_with_treasurer(session)
    login(client, treasurer.user.email)
    page = client.get(f"/groups/{group.id}/settings").get_data(as_text=True)
    assert f'<option selected value="{group.language}">' in page, page
    ok = post(client, f"/groups/{group.id}/settings", {
        "levy_percent": "2", "cash_rounding": "", "loss_policy": "round",
        "credit_limit": "", "language": "ky"})
    assert ok.status_code == 302
    session.expire_all()
    assert session.get(Group, group.id).language == "ky"
    bad = post(client, f"/groups/{group.id}/settings", {
        "levy_percent": "2", "cash_rounding": "", "loss_policy": "round",
        "credit_limit": "", "language": "xx"}, headers={"Accept-Language": "ru"})
    assert bad.status_code == 422
    assert "Неизвестный язык" in bad.get_data(as_text=True) or \
        "Unknown language" in bad.get_data(as_text=True)
    session.expire_all()
    assert session.get(Group, group.id).language == "ky"


def test_error_pages_speak_the_users_language(client: FlaskClient) -> None:
    response = client.get("/no-such-page", headers={"Accept-Language": "ru"})
    assert response.status_code == 404
    assert "<h1>Не найдено</h1>" in response.get_data(as_text=True)


def test_a_new_group_is_in_the_apps_language_with_its_countrys_currency(
        app, client: FlaskClient, session: Session, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """Found on the walk: a new group was offered English (and every member
    added to it after), and a group in Tajikistan kept the som. The form now
    offers the app's language (Russian unless set otherwise) and, unless a
    currency is chosen, the country's."""
    monkeypatch.setitem(app.config, "BABEL_DEFAULT_LOCALE", "ru")
    admin = make_admin(session)
    session.commit()
    login(client, admin.email)
    page = client.get("/admin/groups/new").get_data(as_text=True)
    assert re.search(r'<option selected value="ru">', page), page
    assert re.search(r'<option selected value="">', page)  # the currency: the country's
    for name, country, currency in (("Чоркух", "TJ", "TJS"), ("Барскоон", "KG", "KGS")):
        assert post(client, "/admin/groups/new", {
            "name": name, "country": country, "currency": "",
            "language": "ru"}).status_code == 302
        group = session.scalar(select(Group).where(Group.name == name))
        assert group is not None and (group.currency, group.language) == (currency, "ru")
    tajik = session.scalar(select(Group).where(Group.name == "Чоркух"))
    assert tajik is not None and tajik.timezone == "Asia/Dushanbe"
    # a currency chosen stays chosen
    assert post(client, "/admin/groups/new", {"name": "Долларовая", "country": "KG",
                                              "currency": "USD", "language": "ru"}
                ).status_code == 302
    assert session.scalar(select(Group.currency).where(Group.name == "Долларовая")) == "USD"
    # a member added to it gets no language of her own (her phone's, or the one
    # she picks when she signs in: tests/web/test_sign_in_language.py)
    form = client.get(f"/groups/{tajik.id}/members/new").get_data(as_text=True)
    assert re.search(r'<option selected value="">', form)
    assert not re.search(r'<option selected value="ru">', form)


def test_the_fund_chart_dates_are_the_groups_days(client: FlaskClient,
                                                  session: Session) -> None:
    """Found on the walk: the overview's fund chart printed the UTC date (a
    round settled at 02:33 in Bishkek showed the day before)."""
    from datetime import datetime

    from coop.ledger import services as ledger
    from coop.ledger.models import Posting

    group, treasurer, member = _group_with_treasurer(session)
    ledger.adjust_member(session, member, amount=10000, reason="долг", actor=treasurer.user)
    written = ledger.write_off(session, member, amount=10000, reason="списано",
                               actor=treasurer.user)
    session.flush()
    session.execute(Posting.__table__.update().where(Posting.id == written.id).values(
        created_at=datetime(2026, 3, 1, 20, 30)))  # 02:30 on 2 March in Bishkek
    session.commit()
    assert group.timezone == "Asia/Bishkek"
    login(client, treasurer.user.email)
    chart = client.get(f"/groups/{group.id}").get_data(as_text=True).split(
        'class="chart"')[1].split("</svg>")[0]
    assert "2 Mar 2026" in chart and "1 Mar 2026" not in chart, chart
    # its scale's ends are said to be the highest and the lowest balance, not
    # the balance (the card beside it shows that): the fund paid the 100.00
    # written off
    assert "highest: 0.00\xa0som" in chart and "lowest: -100.00\xa0som" in chart, chart


def test_her_link_page_shows_the_same_link_until_it_is_used(
        app_ctx, client: FlaskClient, session: Session) -> None:  # type: ignore[no-untyped-def]
    """Found on the walk: the link page was the answer to the POST, so a
    reload (or coming back from WhatsApp) said "this address does not accept
    such a request" and the link was lost. Now it is shown after a redirect,
    the same link while it works; once used, or in another browser, the page
    says so and offers a new one."""
    group, treasurer, member = _group_with_treasurer(session)
    login(client, treasurer.user.email)
    address = f"/groups/{group.id}/members/{member.id}/link"
    before = client.get(address)  # nothing made yet: said, and a button
    assert before.status_code == 200 and 'id="no-link"' in before.get_data(as_text=True)
    made = post(client, address)
    assert made.status_code == 303 and made.headers["Location"].endswith(address)
    first = re.search(r"(/link/[\w-]+)", client.get(address).get_data(as_text=True)).group(1)
    assert re.search(r"(/link/[\w-]+)", client.get(address).get_data(as_text=True)).group(1) \
        == first  # reloaded: the same link, none made
    # another treasurer's browser does not see it
    other = app_ctx.test_client()
    login(other, treasurer.user.email)
    assert 'id="no-link"' in other.get(address).get_data(as_text=True)
    # used: no longer shown
    assert post(app_ctx.test_client(), first, {
        "phone": "", "email": member.user.email, "password": "new-password-1",
        "confirm": "new-password-1"}).status_code == 302
    page = client.get(address).get_data(as_text=True)
    assert 'id="no-link"' in page and first not in page
    # the cookie is signed, not encrypted: the links kept in it are forgotten
    # when she signs out, and when someone else signs in in the same browser
    assert post(client, address).status_code == 303
    with client.session_transaction() as kept:
        assert kept["member_links"]["user"] == treasurer.user.id
    login(client, member.user.email, "new-password-1")  # a shared phone, no sign-out
    with client.session_transaction() as kept:
        assert "member_links" not in kept
    client.post("/logout", data={"csrf_token": csrf_token(client, "/")})
    login(client, treasurer.user.email)
    assert post(client, address).status_code == 303
    with client.session_transaction() as kept:  # the suppliers' links go the same way
        kept["quote_links"] = {"1": {"1": "a-raw-quote-link-token"}}
    client.post("/logout", data={"csrf_token": csrf_token(client, "/")})
    with client.session_transaction() as kept:
        assert not {"member_links", "quote_links", "_user_id"} & set(kept)
    # a member cannot open it
    client.post("/logout", data={"csrf_token": csrf_token(client, "/")})
    login(client, member.user.email, "new-password-1")
    assert client.get(address).status_code in (403, 404)


def test_the_rounding_hint_names_the_groups_currency(client: FlaskClient,
                                                     session: Session) -> None:
    """Found on the walk: a group in somoni was told totals round to whole soms."""
    group = make_group(session, currency="TJS")
    treasurer = make_member(session, group, "Фарангис", role="treasurer", locale="ru")
    session.commit()
    login(client, treasurer.user.email)
    page = client.get(f"/groups/{group.id}/settings").get_data(as_text=True).replace(
        "\u00a0", " ")
    assert "Например, 1,00 сомони: каждая сумма округляется до кратной 1,00 сомони" in page
    assert "сомов" not in page


def test_the_fund_chart_shows_each_day_s_closing_balance(client: FlaskClient,
                                                         session: Session) -> None:
    """Found on a walk: a settlement posts the levy, the rounding and the losses
    one by one, and the chart's "highest" was a balance halfway through them,
    above the fund's balance. Movements of one day are one step: the day's
    closing balance (here a write-off and its reversal: the day closes at 0)."""
    from coop.ledger import services as ledger

    group, treasurer, member = _group_with_treasurer(session)
    ledger.adjust_member(session, member, amount=10000, reason="долг", actor=treasurer.user)
    written = ledger.write_off(session, member, amount=10000, reason="списано",
                               actor=treasurer.user)
    ledger.reverse_posting(session, group, written.id, reason="ошибка", actor=treasurer.user)
    session.commit()
    login(client, treasurer.user.email)
    chart = client.get(f"/groups/{group.id}").get_data(as_text=True).split(
        'class="chart"')[1].split("</svg>")[0]
    assert "lowest:" not in chart and "-100.00" not in chart, chart
    assert "highest: 0.00\xa0som" in chart, chart


def test_the_fund_chart_starts_from_the_empty_fund(client: FlaskClient,
                                                  session: Session) -> None:
    """Found on a walk: a fund whose movements all fell on one day drew a flat
    line at its balance, which said nothing. The fund opened at 0: the line
    starts there and steps up to the day's closing balance."""
    import re as re_

    from coop.ledger import services as ledger

    group, treasurer, member = _group_with_treasurer(session)
    ledger.adjust_member(session, member, amount=10000, reason="долг", actor=treasurer.user)
    ledger.write_off(session, member, amount=10000, reason="списано", actor=treasurer.user)
    session.commit()
    login(client, treasurer.user.email)
    chart = client.get(f"/groups/{group.id}").get_data(as_text=True).split(
        'class="chart"')[1].split("</svg>")[0]
    points = re_.search(r'<polyline[^>]*points="([^"]+)"', chart).group(1).split()
    heights = [int(p.split(",")[1]) for p in points]
    assert len(set(heights)) == 2, points  # 0, then the day's -100.00
    assert heights[0] < heights[-1]  # it went down: the fund paid the write-off
    assert "lowest: -100.00\xa0som" in chart, chart
