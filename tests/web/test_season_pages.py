"""The season's pages through the client: who may see what (never another
member's loan, answers or household), bad input refused with a Russian
message and a 4xx and nothing written, money forms sent twice recording
once, the survey's conversion asking first, and the seed loan on her payout
statement."""

from __future__ import annotations

import re
from datetime import date, timedelta
from html import unescape

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from coop.groups.services import deactivate_member
from coop.i18n import local_today
from coop.orders.models import Request, Round
from coop.quantities import parse_quantity as q
from coop.sales import services as sales
from coop.season import loans as seed
from coop.season import services as season
from coop.season.models import HouseholdProfile, SeedLoan, SeedRepayment, SurveyAnswer
from coop.season.services import AnswerInput
from tests.conftest import csrf_token, login, post
from tests.factories import (
    make_buyer,
    make_catalog,
    make_group,
    make_member,
    make_sale_lot,
    make_settled_round,
)


def count(session: Session, model: type) -> int:
    session.expire_all()
    return session.scalar(select(func.count()).select_from(model)) or 0


def world(session: Session):  # type: ignore[no-untyped-def]
    w = make_settled_round(session, members=2)
    for m in (w.treasurer, *w.members):
        m.user.locale = "ru"
    aigul, nurila = w.members
    loan = seed.propose_loan(session, w.group, aigul, round_id=w.rnd.id,
                             product_id=w.seed.product_id, repay_mode="payout", repay_bp=12000,
                             due_on=local_today() + timedelta(days=120), actor=w.treasurer.user)
    seed.approve_loan(session, loan, w.treasurer.user)
    seed.deliver_loan(session, loan, w.treasurer.user)
    survey = season.create_survey(session, w.group, w.treasurer.user, title="Весна",
                                  product_ids=[p.id for p in w.products])
    season.move_survey(session, survey, "open")
    season.save_profile(session, aigul, aigul.user, household_size=5, land=q("20"),
                        livestock=2, migrant_abroad=True, services_wanted="Трактор")
    session.commit()
    w.loan, w.survey, w.aigul, w.nurila = loan, survey, aigul, nurila
    w.base = f"/groups/{w.group.id}/season"
    return w


def signed_in(app: Flask, email: str) -> FlaskClient:
    client = app.test_client()
    login(client, email)
    return client


def test_a_member_sees_only_her_own_loan_answers_and_household(app_ctx: Flask,
                                                               session: Session) -> None:
    w = world(session)
    nurila = signed_in(app_ctx, w.nurila.user.email)
    for url in (f"{w.base}/loans/{w.loan.id}", f"{w.base}/loans/{w.loan.id}/slip.pdf",
                f"{w.base}/profile/{w.aigul.id}",
                f"{w.base}/surveys/{w.survey.id}/answers/{w.aigul.id}",
                f"/api/v1/groups/{w.group.id}/seed-loans/{w.loan.id}",
                f"/api/v1/groups/{w.group.id}/surveys/{w.survey.id}/answers/{w.aigul.id}"):
        assert nurila.get(url).status_code == 404, url
    for url in (f"{w.base}/indicators", f"{w.base}/indicators.csv", f"{w.base}/stock",
                f"{w.base}/loans/new"):
        assert nurila.get(url).status_code == 403, url
    listed = nurila.get(f"{w.base}/loans").get_data(as_text=True)
    assert w.aigul.user.name not in listed
    api = nurila.get(f"/api/v1/groups/{w.group.id}/seed-loans").get_json()
    assert api["items"] == []
    aigul = signed_in(app_ctx, w.aigul.user.email)
    page = aigul.get(f"{w.base}/loans/{w.loan.id}").get_data(as_text=True)
    assert "Семена томата" in page
    assert aigul.get(f"{w.base}/profile/{w.aigul.id}").get_data(as_text=True).count("Трактор") == 1
    # the treasurer's export is counts only: no name, no answer of one member
    treasurer = signed_in(app_ctx, w.treasurer.user.email)
    export = treasurer.get(f"{w.base}/indicators.csv").get_data().decode("utf-8-sig")
    assert w.aigul.user.name not in export and "Трактор" not in export
    assert "1" in export


def test_bad_input_is_refused_in_russian_and_nothing_is_written(app_ctx: Flask,
                                                                session: Session) -> None:
    w = world(session)
    treasurer = signed_in(app_ctx, w.treasurer.user.email)
    loans_before, repayments_before = count(session, SeedLoan), count(session, SeedRepayment)
    due = (local_today() + timedelta(days=100)).isoformat()
    response = post(treasurer, f"{w.base}/loans/new", {
        "member": str(w.nurila.id), "round": str(w.rnd.id), "product": str(w.seed.product_id),
        "repay_mode": "cash", "repay_ratio": "0,5", "due_on": due})
    assert response.status_code == 422
    assert "от 1 до 3 раз" in response.get_data(as_text=True)
    response = post(treasurer, f"{w.base}/loans/new", {
        "member": str(w.nurila.id), "round": str(w.rnd.id), "product": str(w.seed.product_id),
        "repay_mode": "cash", "repay_ratio": "1,2", "due_on": local_today().isoformat()})
    assert response.status_code == 422 and "после урожая" in response.get_data(as_text=True)
    response = post(treasurer, f"{w.base}/loans/{w.loan.id}/repay",
                    {"amount": "999999", "method": "cash"})
    assert response.status_code == 422 and "осталось" in response.get_data(as_text=True)
    response = post(treasurer, f"{w.base}/loans/{w.loan.id}/return", {"quantity": "1"})
    assert response.status_code == 422 and "не натурой" in response.get_data(as_text=True)
    response = post(treasurer, f"{w.base}/loans/{w.loan.id}/repay",
                    {"amount": "abc", "method": "cash"})
    assert response.status_code == 422
    assert (count(session, SeedLoan), count(session, SeedRepayment)) == (
        loans_before, repayments_before)

    aigul = signed_in(app_ctx, w.aigul.user.email)
    fabric = next(i for i in w.survey.items if i.product_id == w.fabric.product_id)
    seed_item = w.survey.items[0]
    response = post(aigul, f"{w.base}/surveys/{w.survey.id}/answers/{w.aigul.id}", {
        f"firm_{seed_item.id}": "5", f"firm_{fabric.id}": "1,25", "area_unit": "sotka"})
    assert response.status_code == 422 and "шагом" in response.get_data(as_text=True)
    assert count(session, SurveyAnswer) == 0
    response = post(aigul, f"{w.base}/profile/{w.aigul.id}", {"household_size": "0", "land": "",
                                                           "livestock": "", "migrant_abroad": "",
                                                           "services_wanted": ""})
    assert response.status_code == 422 and "от 1 до 60" in response.get_data(as_text=True)
    assert session.scalar(select(HouseholdProfile.household_size)) == 5

    csv = ("участница;товар;точно;возможно;площадь\n"
           f"{w.aigul.user.name};{w.seed.product.name};10;;\n"
           f"Никто;{w.seed.product.name};10;;\n"
           f"{w.nurila.user.name};{w.fabric.product.name};1,25;;\n").encode()
    from io import BytesIO

    response = treasurer.post(f"{w.base}/surveys/{w.survey.id}/import", data={
        "csrf_token": csrf_token(treasurer, f"{w.base}/surveys/{w.survey.id}/import"),
        "file": (BytesIO(csv), "answers.csv")}, content_type="multipart/form-data")
    text = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "строка 3" in text and "строка 4" in text and "строка 2" not in text
    assert count(session, SurveyAnswer) == 0


def test_a_repayment_sent_twice_is_recorded_once(app_ctx: Flask, session: Session) -> None:
    w = world(session)
    treasurer = signed_in(app_ctx, w.treasurer.user.email)
    form = {"amount": "10", "method": "cash", "note": "", "idempotency_key": "k" * 24}
    first = post(treasurer, f"{w.base}/loans/{w.loan.id}/repay", form)
    again = post(treasurer, f"{w.base}/loans/{w.loan.id}/repay", form)  # Back and send again
    assert first.status_code == again.status_code == 302
    assert count(session, SeedRepayment) == 1
    assert "уже" in treasurer.get(again.headers["Location"]).get_data(as_text=True)
    # delivering twice: the second finds it done
    step = post(treasurer, f"{w.base}/loans/{w.loan.id}/deliver", {})
    assert step.status_code == 303


def test_the_survey_becomes_a_round_after_asking_once(app_ctx: Flask, session: Session) -> None:
    w = world(session)
    season.save_answers(session, w.survey, w.aigul, {
        w.survey.items[0].id: AnswerInput(firm=q("10"), maybe=q("5")),
        w.survey.items[1].id: AnswerInput(maybe=q("1"))}, w.aigul.user, source="member")
    season.move_survey(session, w.survey, "closed")
    session.commit()
    treasurer = signed_in(app_ctx, w.treasurer.user.email)
    url = f"{w.base}/surveys/{w.survey.id}/convert"
    page = treasurer.get(url + "?title=Весна+2027")
    assert page.status_code == 200 and "Весна 2027" in page.get_data(as_text=True)
    rounds = count(session, Round)
    from tests.integration.test_money_endpoints import hidden_fields

    fields = hidden_fields(page.get_data(as_text=True))
    done = post(treasurer, url, fields)
    assert done.status_code == 303 and count(session, Round) == rounds + 1
    again = post(treasurer, url, fields)
    assert again.status_code == 303 and count(session, Round) == rounds + 1
    rnd = session.scalar(select(Round).where(Round.title == "Весна 2027"))
    assert rnd is not None and rnd.state == "draft"
    assert session.scalar(select(func.count()).select_from(Request).where(
        Request.round_id == rnd.id)) == 1
    report = treasurer.get(f"{w.base}/surveys/{w.survey.id}").get_data(as_text=True)
    assert "Не перенесено в закупку" in report and "только «может быть»" in report


def test_her_payout_statement_shows_the_seed_loan_taken_first(app_ctx: Flask,
                                                              session: Session) -> None:
    w = world(session)
    lot = make_sale_lot(session, w.group, w.treasurer)
    grade = lot.grades[0]
    sales.record_contribution(session, lot, w.aigul, grade_id=grade.id, quantity=q("50"),
                              actor=w.treasurer.user, brought_on=date(2026, 8, 10))
    buyer = make_buyer(session, w.group)
    sales.record_sale(session, lot, buyer_id=buyer.id, sold_on=date(2026, 9, 1),
                      lines={grade.id: (q("50"), 100 * 1_000_000)}, actor=w.treasurer.user)
    sales.close_lot(session, lot, w.treasurer.user, unsold_actions={})
    session.commit()
    line = sales.payout_sheet(session, lot).line(w.aigul.id)
    assert line is not None and line.seed_loans == seed.position(w.loan).due
    aigul = signed_in(app_ctx, w.aigul.user.email)
    page = aigul.get(f"/groups/{w.group.id}/sales/{lot.id}/payout/{w.aigul.id}")
    text = page.get_data(as_text=True)
    assert page.status_code == 200 and "Сначала погашены займы семенами" in text
    session.refresh(w.loan)
    assert w.loan.state == "repaid"


def test_the_books_equation_counts_the_seed_lent_and_in_stock(app_ctx: Flask,
                                                              session: Session) -> None:
    import re

    w = world(session)
    kind = seed.propose_loan(session, w.group, w.nurila, round_id=w.rnd.id,
                             product_id=w.seed.product_id, repay_mode="kind", repay_bp=12500,
                             due_on=local_today() + timedelta(days=90), actor=w.treasurer.user)
    seed.approve_loan(session, kind, w.treasurer.user)
    seed.deliver_loan(session, kind, w.treasurer.user)
    seed.repay_in_kind(session, kind, quantity=q("1"), actor=w.treasurer.user)
    session.commit()
    treasurer = signed_in(app_ctx, w.treasurer.user.email)
    page = treasurer.get(f"/groups/{w.group.id}/accounts").get_data(as_text=True)
    equation = re.search(r'id="equation">(.*?)<a', page, re.S).group(1)
    numbers = [int(x.replace("\xa0", "").replace(" ", "").replace(",", "").replace("−", "-"))
               for x in re.findall(r"[-−]?\d[\d\xa0 ]*,\d\d", equation)]
    cash, bank, mobile, lent, stock, members, fund, payables, other = numbers
    assert cash + bank + mobile + lent + stock == members + fund + payables + other
    assert lent == seed.fund_lent(session, w.group) > 0 and stock > 0


def test_answers_import_from_an_excel_workbook_on_the_page(app_ctx: Flask,
                                                          session: Session) -> None:
    from io import BytesIO

    from tests.unit.test_catalog_files import xlsx

    w = world(session)
    treasurer = signed_in(app_ctx, w.treasurer.user.email)
    url = f"{w.base}/surveys/{w.survey.id}/import"
    page = treasurer.get(url).get_data(as_text=True)
    assert "Excel" in page and ".xlsx" in page

    def upload(data: bytes):  # type: ignore[no-untyped-def]
        return treasurer.post(url, data={"csrf_token": csrf_token(treasurer, url),
                                         "file": (BytesIO(data), "ответы.xlsx")},
                              content_type="multipart/form-data")

    header = ["участница", "товар", "точно", "возможно", "площадь"]
    bad = upload(xlsx([header, [w.aigul.user.name, w.seed.product.name, 10, None, None],
                       ["Никто", w.seed.product.name, 10, None, None]]))
    assert bad.status_code == 422 and "строка 3" in bad.get_data(as_text=True)
    assert count(session, SurveyAnswer) == 0
    good = upload(xlsx([header, [w.aigul.user.name, w.seed.product.name, 10, 5, None],
                        [w.nurila.user.name, w.seed.product.name, 4, None, None]]))
    assert good.status_code == 303
    assert count(session, SurveyAnswer) == 2
    assert sorted(session.scalars(select(SurveyAnswer.firm))) == [q("4"), q("10")]


def test_produce_returned_into_a_sales_lot_on_the_loan_page_pays_the_fund(
        app_ctx: Flask, session: Session) -> None:
    """Нурила's loan is repaid in kind: on the loan page (no JavaScript) the
    treasurer chooses an open lot of sachets instead of the seed stock; the
    lot's payout sheet shows the fund's line, not Нурила's, and the lot's
    public traceability page names nobody."""
    from coop.certificates import services as certificates
    from coop.sales import services as sales

    w = world(session)
    loan = seed.propose_loan(session, w.group, w.nurila, round_id=w.rnd.id,
                             product_id=w.seed.product_id, repay_mode="kind", repay_bp=12000,
                             due_on=local_today() + timedelta(days=120), actor=w.treasurer.user)
    seed.approve_loan(session, loan, w.treasurer.user)
    seed.deliver_loan(session, loan, w.treasurer.user)
    lot = make_sale_lot(session, w.group, w.treasurer, product="Семена томата", unit="пакет")
    jars = make_sale_lot(session, w.group, w.treasurer)
    session.commit()
    top = lot.grades[0]
    treasurer = signed_in(app_ctx, w.treasurer.user.email)
    url = f"{w.base}/loans/{loan.id}"
    page = treasurer.get(url).get_data(as_text=True)
    assert f'value="{lot.id}-{top.id}"' in page
    assert f'value="{jars.id}-{jars.grades[0].id}"' not in page  # jars: another unit
    assert "от имени фонда" in page
    due = seed.due_quantity(loan)
    response = post(treasurer, f"{url}/return", {
        "quantity": str(due // 1000), "destination": f"{jars.id}-{jars.grades[0].id}"})
    assert response.status_code == 422 and "другой единице" in response.get_data(as_text=True)
    response = post(treasurer, f"{url}/return", {
        "quantity": str(due // 1000), "destination": f"{lot.id}-{top.id}", "note": ""})
    assert response.status_code == 302
    session.expire_all()
    assert session.get(SeedLoan, loan.id).state == "repaid"
    page = treasurer.get(url).get_data(as_text=True)
    assert f"в партию на продажу №{lot.id}" in page

    sales.record_contribution(session, lot, w.nurila, grade_id=top.id, quantity=q("2"),
                              actor=w.treasurer.user)  # and two sachets of her own
    buyer = make_buyer(session, w.group)
    sales.record_sale(session, lot, buyer_id=buyer.id, sold_on=local_today(),
                      lines={top.id: (due + q("2"), q("1") * 100_000)}, actor=w.treasurer.user)
    session.commit()
    lot_page = treasurer.get(f"/groups/{w.group.id}/sales/{lot.id}").get_data(as_text=True)
    assert f"в фонд (возврат семенного займа №{loan.id})" in lot_page
    close_url = f"/groups/{w.group.id}/sales/{lot.id}/close"
    page = treasurer.get(close_url).get_data(as_text=True)
    label = f"в фонд (возврат семенного займа №{loan.id})"
    assert label in page and "в фонд солидарности, а не Нурил" in page
    view = sales.close_lot(session, lot, w.treasurer.user, unsold_actions={})
    session.commit()
    [(_loan, fund)] = view.fund_rows()
    sheet = sales.payout_sheet(session, lot)
    hers = sheet.line(w.nurila.id)
    assert hers is not None and 0 < hers.entitled < fund.payout  # 2 sachets against `due`
    statement = treasurer.get(f"/groups/{w.group.id}/sales/{lot.id}/payout/{w.nurila.id}"
                              ).get_data(as_text=True)
    assert "Не входит в эту выплату: " + label in statement
    closed = treasurer.get(close_url)
    assert closed.status_code == 200 and label in closed.get_data(as_text=True)
    pdf = treasurer.get(f"/groups/{w.group.id}/sales/{lot.id}/payout-sheet.pdf")
    assert pdf.status_code == 200 and pdf.data.startswith(b"%PDF")
    code = certificates.mark_of(session, lot).trace_code
    session.commit()
    public = app_ctx.test_client().get(f"/t/{code}").get_data(as_text=True)
    assert "Семена томата" in public
    assert w.nurila.user.name not in public and w.treasurer.user.name not in public


def _kind_loan(session: Session, w, repay_bp: int = 12500) -> SeedLoan:  # type: ignore[no-untyped-def]
    loan = seed.propose_loan(session, w.group, w.nurila, round_id=w.rnd.id,
                             product_id=w.seed.product_id, repay_mode="kind", repay_bp=repay_bp,
                             due_on=local_today() + timedelta(days=90), actor=w.treasurer.user)
    seed.approve_loan(session, loan, w.treasurer.user)
    seed.deliver_loan(session, loan, w.treasurer.user)
    session.commit()
    return loan


def test_a_repayment_sent_again_after_back_with_a_new_key_asks_first(
        app_ctx: Flask, session: Session) -> None:
    """Back shows the loan's form with a new key: the same repayment sent again
    asks «Записать ещё раз?» and writes nothing; "yes" records it once, even
    sent twice. So does a return in kind."""
    w = world(session)
    treasurer = signed_in(app_ctx, w.treasurer.user.email)
    url = f"{w.base}/loans/{w.loan.id}/repay"
    first = post(treasurer, url, {"amount": "10", "method": "cash", "note": ""})
    assert first.status_code == 302 and count(session, SeedRepayment) == 1
    asked = post(treasurer, url, {"amount": "10", "method": "cash", "note": "",
                                  "idempotency_key": "b" * 24})
    text = asked.get_data(as_text=True)
    assert asked.status_code == 200 and "Такая же запись" in text and "Записать ещё" in text
    assert "Оплачено деньгами" in text and "10,00" in text
    assert count(session, SeedRepayment) == 1
    yes = {"amount": "10", "method": "cash", "note": "", "idempotency_key": "b" * 24,
           "confirm_again": "1"}
    assert post(treasurer, url, yes).status_code == 302
    assert post(treasurer, url, yes).status_code == 302  # "yes" sent twice
    assert count(session, SeedRepayment) == 2
    # another amount is not the same entry: recorded at once
    assert post(treasurer, url, {"amount": "5", "method": "cash"}).status_code == 302
    assert count(session, SeedRepayment) == 3

    loan = _kind_loan(session, w)
    url = f"{w.base}/loans/{loan.id}/return"
    assert post(treasurer, url, {"quantity": "1", "destination": "stock"}).status_code == 302
    asked = post(treasurer, url, {"quantity": "1", "destination": "stock"})
    assert asked.status_code == 200 and "Такая же запись" in asked.get_data(as_text=True)
    assert count(session, SeedRepayment) == 4
    assert post(treasurer, url, {"quantity": "1", "destination": "stock",
                                 "confirm_again": "1"}).status_code == 302
    assert count(session, SeedRepayment) == 5


def test_the_season_page_and_the_books_agree_on_what_is_still_to_return(
        app_ctx: Flask, session: Session) -> None:
    """Returns clear the value lent first (spec §2: "in-kind returns clear it at
    the stated valuation, the difference (ratio above 1) is fund income"): once
    the value lent is back, the books owe nothing while the premium is still to
    come. The headline says both, the table under it adds up to them, and
    writing off the premium alone books nothing and leaves nothing to repay."""
    import re

    w = world(session)
    treasurer = signed_in(app_ctx, w.treasurer.user.email)
    loan = _kind_loan(session, w)
    due = seed.due_quantity(loan)
    seed.repay_in_kind(session, loan, quantity=due - q("1"), actor=w.treasurer.user)
    session.commit()
    now = seed.position(loan)
    assert now.principal_left == 0 < now.left
    page = treasurer.get(w.base).get_data(as_text=True)
    owed = [seed.position(o.loan).left for o in seed.outstanding(session, w.group)]
    lent = seed.fund_lent(session, w.group)
    money = lambda minor: f"{minor // 100:,}".replace(",", "\xa0") + f",{minor % 100:02d}"  # noqa: E731
    headline = re.search(r'id="seed-owed">(.*?)</p>', page, re.S).group(1)
    assert money(sum(owed)) in headline
    parts = re.search(r'id="seed-lent">(.*?)</p>', page, re.S).group(1)
    assert money(lent) in parts and money(sum(owed) - lent) in parts
    assert "стоимость займов" in parts
    table = re.search(r'id="outstanding">(.*?)</table>', page, re.S).group(1)
    assert money(now.left) in table and "Стоимость займа, ещё не возвращённая" in table
    loan_page = treasurer.get(f"{w.base}/loans/{loan.id}").get_data(as_text=True)
    assert money(now.premium_left) in re.search(r'id="loan-parts">(.*?)</p>', loan_page,
                                                re.S).group(1)

    from coop.ledger.models import Posting

    postings = count(session, Posting)
    response = post(treasurer, f"{w.base}/loans/{loan.id}/write-off", {"reason": "засуха"})
    assert response.status_code == 302
    flashed = treasurer.get(response.headers["Location"]).get_data(as_text=True)
    assert "ничего не теряет" in flashed and money(now.left) in flashed
    assert count(session, Posting) == postings
    session.expire_all()
    loan = session.get(SeedLoan, loan.id)
    assert loan.state == "written_off" and seed.position(loan).left == 0
    left = re.search(r'id="loan-left">(.*?)</th>', flashed, re.S).group(1)
    assert money(0) in left
    assert money(now.left) in re.search(r'id="loan-given-up">(.*?)</p>', flashed,
                                        re.S).group(1)


def test_the_loan_slip_dates_a_repayment_as_the_page_does(app_ctx: Flask,
                                                         session: Session) -> None:
    """A return at 21:59 UTC is the next day in Bishkek: the slip says so."""
    import io
    from datetime import datetime

    from pypdf import PdfReader

    w = world(session)
    w.group.timezone = "Asia/Bishkek"
    loan = _kind_loan(session, w)
    repayment = seed.repay_in_kind(session, loan, quantity=q("1"), actor=w.treasurer.user)
    repayment.created_at = datetime(2026, 12, 6, 21, 59)
    session.commit()
    treasurer = signed_in(app_ctx, w.treasurer.user.email)
    page = treasurer.get(f"{w.base}/loans/{loan.id}").get_data(as_text=True)
    assert "07.12.2026" in page
    slip = treasurer.get(f"{w.base}/loans/{loan.id}/slip.pdf")
    text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(slip.data)).pages)
    assert "07.12.2026" in text and "06.12.2026" not in text


def test_a_survey_speaks_of_answers_and_asks_an_area_only_when_a_rate_uses_it(
        app_ctx: Flask, session: Session) -> None:
    w = world(session)
    for item in w.survey.items:
        item.product.seed_rate = None
    session.commit()
    treasurer = signed_in(app_ctx, w.treasurer.user.email)
    url = f"{w.base}/surveys/{w.survey.id}/answers/{w.aigul.id}"
    page = treasurer.get(url).get_data(as_text=True)
    assert 'name="area_unit"' not in page and "Площадь в" not in page
    seed_item = w.survey.items[0]
    saved = post(treasurer, url, {f"firm_{seed_item.id}": "5"})  # no area unit sent
    assert saved.status_code == 303 and count(session, SurveyAnswer) == 1
    seed_item.product.seed_rate = q("2")
    session.commit()
    assert 'name="area_unit"' in treasurer.get(url).get_data(as_text=True)

    wished = post(treasurer, f"{url}/wish", {"text": "Плёнка", "quantity": "2"})
    assert wished.status_code == 303
    flashed = treasurer.get(wished.headers["Location"]).get_data(as_text=True)
    assert f"Пожелание участницы {w.aigul.user.name} записано" in flashed
    assert "Ваше пожелание" not in flashed
    aigul = signed_in(app_ctx, w.aigul.user.email)
    own = post(aigul, f"{url}/wish", {"text": "Сетка", "quantity": ""})
    assert "Ваше пожелание записано" in aigul.get(own.headers["Location"]).get_data(
        as_text=True)

    season.move_survey(session, w.survey, "closed")
    session.commit()
    page = treasurer.get(f"{w.base}/surveys/{w.survey.id}").get_data(as_text=True)
    assert "ответы закрыты" in page and "заказы закрыты" not in page


def _cells(html: str, table: str, name: str) -> list[list[str]]:
    """The cells of the row of `table` (a marker of its opening tag) that names
    `name`: each cell as its text and then the text of each of its spans."""
    start = html.index(table)
    body = html[start:html.index("</table>", start)]
    row = next(r for r in body.split("<tr")[1:] if f">{name}<" in r)
    cells = []
    for cell in re.findall(r"<td[^>]*>(.*?)</td>", row, re.S):
        parts = re.sub(r"<span[^>]*>", "\0", cell)
        texts = [" ".join(unescape(re.sub(r"<[^>]+>", " ", p)).split()) for p in
                 parts.split("\0")]
        cells.append([t for t in texts if t])
    return cells


def _number(text: str) -> int:
    """The first quantity of a text («22 пакета», «+ 3 допуск»), in thousandths."""
    found = re.search(r"\d[\d\s]*(?:,\d+)?", text.replace("\u00a0", " "))
    assert found, text
    return q(found.group(0).replace(" ", ""))


def test_the_survey_page_counts_what_its_round_will_carry_and_says_why_not(
        app_ctx: Flask, session: Session) -> None:
    """Гүлнара answered and left the group; fabric's step became 1 m after
    Нурила answered 3,5 m; Айгүл's NPK is a "maybe" alone. The survey page
    leaves those answers out of its figures and says why by each; made a round,
    the round's page shows the same quantities and packs."""
    group = make_group(session, language="ru")
    treasurer = make_member(session, group, "Майрам", role="treasurer", locale="ru")
    aigul, nurila, gulnara = (make_member(session, group, name, locale="ru")
                              for name in ("Айгүл", "Нурила", "Гүлнара"))
    tomato, fabric, npk = make_catalog(session, group)
    survey = season.create_survey(session, group, treasurer.user, title="Весна",
                                  product_ids=[tomato.id, fabric.id, npk.id])
    season.move_survey(session, survey, "open")
    items = {item.product_id: item.id for item in survey.items}
    season.save_answers(session, survey, aigul, {
        items[tomato.id]: AnswerInput(firm=q("20"), maybe=q("3")),
        items[fabric.id]: AnswerInput(firm=q("25")),
        items[npk.id]: AnswerInput(maybe=q("10"))}, aigul.user, source="member")
    season.save_answers(session, survey, nurila, {
        items[tomato.id]: AnswerInput(firm=q("2")),
        items[fabric.id]: AnswerInput(firm=q("3.5"), maybe=q("1")),
        items[npk.id]: AnswerInput(firm=q("40"))}, nurila.user, source="member")
    season.save_answers(session, survey, gulnara, {
        items[tomato.id]: AnswerInput(firm=q("6"), maybe=q("2"))}, gulnara.user,
        source="member")
    deactivate_member(session, gulnara)
    fabric.granularity = q("1")
    season.move_survey(session, survey, "closed")
    session.commit()

    client = signed_in(app_ctx, treasurer.user.email)
    base = f"/groups/{group.id}"
    page = client.get(f"{base}/season/surveys/{survey.id}").get_data(as_text=True)
    answers = "<table class=\"stack\" id=\"answers\">"
    assert ("не войдёт в закупку: участница выбыла из группы"
            in _cells(page, answers, gulnara.user.name)[1])
    assert ("не войдёт в закупку: количество «точно» не кратно шагу 1 метр"
            in next(r for r in page.split("<tr")
                    if nurila.user.name in r and f">{fabric.name}<" in r))
    assert "не войдёт в закупку: только «может быть»" in page
    demand: dict[str, tuple[str, int, int]] = {}
    for product in (tomato, fabric, npk):
        name, firm, maybe, _members, packs, _budget = _cells(page, 'id="demand-table"',
                                                             product.name)
        assert "1 ответ не учтён: он не войдёт в закупку." in name, name
        demand[product.name] = (firm[0], _number(maybe[0]), int(packs[0]))
    # tomato: 20 + 2 sure and 3 maybe fill the first pack of 25 (Гүлнара's 6 + 2 left
    # out); fabric: Айгүл's 25 m, no pack of 30; NPK: Нурила's 40 kg, no pack of 50
    assert demand == {tomato.name: ("22 пакета", q("3"), 1),
                      fabric.name: ("25 метров", 0, 0),
                      npk.name: ("40 килограммов", 0, 0)}, demand

    url = f"{base}/season/surveys/{survey.id}/convert"
    asked = client.get(url + "?title=Весна+2027").get_data(as_text=True)
    assert "3 ответа не учтены: они не войдут в закупку." in asked
    from tests.integration.test_money_endpoints import hidden_fields

    assert post(client, url, hidden_fields(asked)).status_code == 303
    rnd = session.scalar(select(Round).where(Round.title == "Весна 2027"))
    round_page = client.get(f"{base}/rounds/{rnd.id}").get_data(as_text=True)
    shown = {}
    for product in (tomato, fabric, npk):
        _name, asked_for, _packs = _cells(round_page, '<table class="packs', product.name)
        _name, ordered, *_rest = _cells(round_page, "Товары и их стоимость", product.name)
        shown[product.name] = (asked_for[0], _number(asked_for[1]), int(ordered[1].split()[0]))
    assert shown == demand, (shown, demand)


def _cell(html: str, cell_id: str) -> str:
    found = re.search(rf'id="{cell_id}"[^>]*>(.*?)</t[dh]>', html, re.S)
    assert found is not None, cell_id
    return unescape(re.sub(r"<[^>]+>", "", found.group(1))).strip()


def test_cancelling_a_loan_asks_first_and_then_she_owes_nothing(app_ctx: Flask,
                                                                session: Session) -> None:
    """Found on a treasurer's walk: «Отменить заём» cancelled at the first
    click, and the cancelled loan's page still said «Осталось вернуть 442,20
    сом» (the list: «—») under the state «отменена» (заём is masculine)."""
    from flask_babel import force_locale

    from coop.i18n import fmt_money
    from tests.integration.test_money_endpoints import hidden_fields

    w = world(session)
    loan = seed.propose_loan(session, w.group, w.nurila, round_id=w.rnd.id,
                             product_id=w.seed.product_id, repay_mode="cash", repay_bp=12000,
                             due_on=local_today() + timedelta(days=90), actor=w.treasurer.user)
    seed.approve_loan(session, loan, w.treasurer.user)
    session.commit()
    treasurer = signed_in(app_ctx, w.treasurer.user.email)
    url = f"{w.base}/loans/{loan.id}"
    page = treasurer.get(url).get_data(as_text=True)
    assert f'href="{url}/cancel"' in page  # a link to the question, not a form that does it
    # sent without the confirmation's token (an old page, a script): it asks, changes nothing
    asked = post(treasurer, f"{url}/cancel", {})
    assert asked.status_code == 200, asked.status_code
    session.expire_all()
    assert session.get(SeedLoan, loan.id).state == "approved"
    question = treasurer.get(f"{url}/cancel")
    text = question.get_data(as_text=True)
    assert question.status_code == 200
    assert f"Отменить семенной заём №{loan.id}?" in text
    assert "Отменённый заём нельзя вернуть" in text and "Назад, ничего не менять" in text
    fields = hidden_fields(text)
    done = post(treasurer, f"{url}/cancel", fields)
    assert done.status_code == 303
    session.expire_all()
    assert session.get(SeedLoan, loan.id).state == "cancelled"
    again = post(treasurer, f"{url}/cancel", fields)  # a double click: done once, said so
    assert again.status_code == 303
    assert "Заём отменён." in treasurer.get(url).get_data(as_text=True)

    page = treasurer.get(url).get_data(as_text=True)
    with app_ctx.test_request_context(), force_locale("ru"):
        nothing = fmt_money(0, w.group.currency)
        due = fmt_money(seed.position(loan).due, w.group.currency)
    assert _cell(page, "loan-left") == nothing, _cell(page, "loan-left")
    assert _cell(page, "loan-due") == "—"
    assert due not in page
    assert "Заём отменён: по нему она ничего не должна." in page
    assert re.search(r'id="loan-state">[^<]*· отменён<', page), page[:3000]
    listed = treasurer.get(f"{w.base}/loans").get_data(as_text=True)
    row = next(r for r in re.findall(r"<tr>.*?</tr>", listed, re.S) if f"№ {loan.id}<" in r)
    assert "отменён<" in row and nothing in unescape(row), row
    assert "выдан, к возврату" in listed  # Айгүл's: the other states agree with «заём» too
    slip = treasurer.get(f"{url}/slip.pdf")
    assert slip.status_code == 200
    from io import BytesIO

    from pypdf import PdfReader

    plain = re.compile(r"[\u00a0\u202f ]+")
    slip_text = plain.sub(" ", " ".join(p.extract_text() for p in PdfReader(
        BytesIO(slip.data)).pages))
    # a walk found «Вы возвращаете 442,20 сом (в 1,1 раза больше стоимости) деньгами
    # до …» and «Осталось вернуть: 0,00 сом» on it, under «Состояние отменён»:
    # no terms now, the mark across the page and one sentence instead
    assert "ОТМЕНЁН" in slip_text, slip_text
    assert "Заём отменён: по нему ничего возвращать не нужно." in slip_text, slip_text
    for term in ("Вы возвращаете", "Осталось вернуть", "Условия", "Срок возврата",
                 plain.sub(" ", due), loan.due_on.strftime("%d.%m.%Y")):
        assert term not in slip_text, (term, slip_text)


def test_a_tajik_import_page_its_template_and_its_errors_name_the_same_columns(
        app_ctx: Flask, session: Session) -> None:
    """A walk in Tajik: the page listed «участница; товар; точно; возможно;
    площадь», template.csv had member;product;firm;maybe;area, and an error
    read «сатри 2, firm: …»."""
    from io import BytesIO

    w = world(session)
    w.treasurer.user.locale = "tg"
    session.commit()
    treasurer = signed_in(app_ctx, w.treasurer.user.email)
    url = f"{w.base}/surveys/{w.survey.id}/import"
    page = treasurer.get(url).get_data(as_text=True)
    columns = re.search(r"сутунҳо: ([^(]*)\(", unescape(page)).group(1)
    assert "аъзо; мол; аниқ; шояд; масоҳат" in columns, columns
    assert "участница" not in columns and "firm" not in columns
    template = treasurer.get(f"{w.base}/surveys/{w.survey.id}/template.csv")
    assert template.data.decode("utf-8-sig").splitlines()[0] == "аъзо;мол;аниқ;шояд;масоҳат"

    def upload(text: str):  # type: ignore[no-untyped-def]
        return treasurer.post(url, data={"csrf_token": csrf_token(treasurer, url),
                                         "file": (BytesIO(text.encode()), "answers.csv")},
                              content_type="multipart/form-data")

    name, product = w.aigul.user.name, w.seed.product.name
    for header in ("member;product;firm;maybe;area", "участница;товар;точно;возможно;площадь",
                   "мүчө;товар;так;балким;аянт", "аъзо;мол;аниқ;шояд;масоҳат"):
        bad = upload(f"{header}\n{name};{product};abc;;\nНикто;{product};1;;\n")
        assert bad.status_code == 422, header
        errors = unescape(re.search(r'id="import-errors">(.*?)</div>', bad.get_data(
            as_text=True), re.S).group(1))
        assert "сатри 2, аниқ:" in errors and "сатри 3, аъзо:" in errors, (header, errors)
        assert "firm" not in errors and "member" not in errors and "точно" not in errors
    assert count(session, SurveyAnswer) == 0
    good = upload(f"мүчө;товар;так;балким;аянт\n{name};{product};10;5;\n")
    assert good.status_code == 303
    assert [(a.firm, a.maybe) for a in session.scalars(select(SurveyAnswer))] == [
        (q("10"), q("5"))]


def test_a_written_off_loans_slip_says_when_and_what_and_no_terms_as_its_page_and_list_do(
        app_ctx: Flask, session: Session) -> None:
    """Found on a walk: a loan written off after a drought still printed «Вы
    возвращаете … деньгами до …» and its due date on the slip, as if she owed
    it. Now the slip is marked «СПИСАН» across the page and says on what day
    and how much was written off (the value lent, the fund's loss, and the
    premium given up), with what she had repaid, and no terms; the loan's
    page and the list say the same."""
    from datetime import datetime

    from flask_babel import force_locale

    from coop.i18n import fmt_money
    from tests.integration.test_documents import flat, pdf_text

    w = world(session)
    w.group.timezone = "Asia/Bishkek"
    loan = seed.propose_loan(session, w.group, w.nurila, round_id=w.rnd.id,
                             product_id=w.seed.product_id, repay_mode="cash", repay_bp=12000,
                             due_on=local_today() + timedelta(days=90), actor=w.treasurer.user)
    seed.approve_loan(session, loan, w.treasurer.user)
    seed.deliver_loan(session, loan, w.treasurer.user)
    paid = loan.value // 4
    seed.repay_cash(session, loan, amount=paid, method="cash", actor=w.treasurer.user)
    seed.write_off_loan(session, loan, reason="засуха", actor=w.treasurer.user)
    loan.closed_at = datetime(2026, 12, 6, 21, 59)  # the 7th in Bishkek
    session.commit()
    now = seed.position(loan)
    assert loan.state == "written_off" and now.left == 0
    lost, premium = loan.value - paid, now.due - loan.value
    assert now.unpaid == lost + premium and now.written_off == lost and premium > 0
    with app_ctx.test_request_context(), force_locale("ru"):
        money = {name: flat(fmt_money(amount, w.group.currency)) for name, amount in (
            ("given_up", now.unpaid), ("lost", lost), ("premium", premium), ("due", now.due),
            ("paid", paid), ("nothing", 0))}
    said = (f"Списан 07.12.2026: {money['given_up']} больше не нужно возвращать "
            f"({money['lost']} стоимости займа — убыток фонда, и {money['premium']} сверх "
            "стоимости).")

    treasurer = signed_in(app_ctx, w.treasurer.user.email)
    url = f"{w.base}/loans/{loan.id}"
    slip = treasurer.get(f"{url}/slip.pdf")
    assert slip.status_code == 200
    text = pdf_text(slip.data)
    assert "СПИСАН" in text, text
    assert said in text, text
    assert "По этому займу больше ничего возвращать не нужно." in text, text
    assert "Списано фондом" in text and money["paid"] in text  # what she repaid, and the write-off
    for term in ("Вы возвращаете", "Условия", "Срок возврата", "Осталось вернуть",
                 "Семена даёт в долг фонд", money["due"],
                 loan.due_on.strftime("%d.%m.%Y")):
        assert term not in text, (term, text)

    page = treasurer.get(url).get_data(as_text=True)
    assert flat(unescape(re.sub(r"<[^>]+>", "", re.search(
        r'id="loan-given-up">(.*?)</p>', page, re.S).group(1)))) == said
    assert flat(_cell(page, "loan-left")) == money["nothing"]
    assert _cell(page, "loan-due") == "—"
    assert re.search(r'id="loan-state">[^<]*· списан<', page), page[:3000]
    listed = treasurer.get(f"{w.base}/loans").get_data(as_text=True)
    row = next(r for r in re.findall(r"<tr>.*?</tr>", listed, re.S) if f"№ {loan.id}<" in r)
    assert "списан<" in row and money["nothing"] in flat(unescape(row)), row
    # Нурила herself reads the same slip
    mine = signed_in(app_ctx, w.nurila.user.email).get(f"{url}/slip.pdf")
    assert mine.status_code == 200 and said in pdf_text(mine.data)


def _closed_survey(session: Session):  # type: ignore[no-untyped-def]
    """Айгүл: tomato 20 sure + 3 maybe, NPK 60 sure, fabric 25 m sure;
    Нурила: tomato 2, NPK 30 + 10 maybe; Гүлнара: tomato 6 (then she left the
    group); Салима: NPK 10 "maybe" alone. Closed, in Russian."""
    from types import SimpleNamespace

    group = make_group(session, language="ru")
    treasurer = make_member(session, group, "Майрам", role="treasurer", locale="ru")
    aigul, nurila, gulnara, salima = (make_member(session, group, name, locale="ru")
                                      for name in ("Айгүл", "Нурила", "Гүлнара", "Салима"))
    tomato, fabric, npk = make_catalog(session, group)
    survey = season.create_survey(session, group, treasurer.user, title="Весна",
                                  product_ids=[tomato.id, fabric.id, npk.id])
    season.move_survey(session, survey, "open")
    items = {item.product_id: item.id for item in survey.items}
    for member, answers in (
            (aigul, {tomato: (q("20"), q("3")), npk: (q("60"), 0), fabric: (q("25"), 0)}),
            (nurila, {tomato: (q("2"), 0), npk: (q("30"), q("10"))}),
            (gulnara, {tomato: (q("6"), 0)}),
            (salima, {npk: (0, q("10"))})):
        season.save_answers(session, survey, member, {
            items[p.id]: AnswerInput(firm=firm, maybe=maybe)
            for p, (firm, maybe) in answers.items()}, member.user, source="member")
    deactivate_member(session, gulnara)
    season.move_survey(session, survey, "closed")
    session.commit()
    return SimpleNamespace(group=group, treasurer=treasurer, survey=survey, tomato=tomato,
                           fabric=fabric, npk=npk, url=f"/groups/{group.id}/season/surveys/"
                           f"{survey.id}")


def test_the_survey_says_how_many_answered_of_whom_some_left_and_whom_the_round_carries(
        app_ctx: Flask, session: Session) -> None:
    """Found by a treasurer: «Ответили 4 участницы» counted Гүлнара, who had
    left the group (her answers marked «не войдёт в закупку»), and Салима,
    whose "maybe" alone the round does not carry. The page now says both:
    how many answered, how many of them left, and whose orders the round
    will carry, as carried_line decides and the conversion does; so does
    the API."""
    from tests.factories import make_api_token
    from tests.integration.test_money_endpoints import hidden_fields

    s = _closed_survey(session)
    token = make_api_token(session, s.treasurer.user)
    session.commit()
    client = signed_in(app_ctx, s.treasurer.user.email)
    page = client.get(s.url).get_data(as_text=True)
    said = " ".join(unescape(re.sub(r"<[^>]+>", "", re.search(
        r'<h2 id="demand">.*?<p class="muted">(.*?)</p>', page, re.S).group(1))).split())
    assert said.startswith("Ответили 4 участницы. Из них 1 вышла из группы: её ответы не "
                           "учитываются. В закупку войдут заказы 2 участниц. "), said
    detail = app_ctx.test_client().get(
        f"/api/v1/groups/{s.group.id}/surveys/{s.survey.id}",
        headers={"Authorization": f"Bearer {token}"}).get_json()
    assert (detail["members_answered"], detail["members_left_group"],
            detail["members_in_round"]) == (4, 1, 2)
    # made a round: exactly those two have orders in it
    asked = client.get(f"{s.url}/convert?title=Весна+2027").get_data(as_text=True)
    assert post(client, f"{s.url}/convert", hidden_fields(asked)).status_code == 303
    rnd = session.scalar(select(Round).where(Round.title == "Весна 2027"))
    ordering = session.scalars(select(Request.membership_id).where(
        Request.round_id == rnd.id, Request.quantity > 0).distinct()).all()
    assert len(ordering) == 2


def test_the_survey_budget_is_what_the_round_made_of_it_bills(app_ctx: Flask,
                                                               session: Session) -> None:
    """Found by a treasurer: the survey's budget was the sure quantity × the
    price (tomato 22 × 48,50 = 1 067,00), while the round made of it billed
    the packs (the "maybe" fills the first pack of 25: 25 × 48,50 = 1 212,50),
    NPK's 90 + 10 fill two packs at the 100 kg tier, and fabric's 25 m, short
    of a pack of 30, is not ordered nor billed. The survey's budget, per
    product and in total, is now the converted round's bill, on both pages."""
    from flask_babel import force_locale

    from coop.i18n import fmt_money
    from coop.orders import services as orders
    from tests.integration.test_documents import flat
    from tests.integration.test_money_endpoints import hidden_fields

    s = _closed_survey(session)
    demand = season.survey_demand(session, s.survey)
    budgets = {r.product.id: r.budget for r in demand.rows}
    packs = {r.product.id: r.fill.packs for r in demand.rows}
    assert packs == {s.tomato.id: 1, s.fabric.id: 0, s.npk.id: 2}
    assert budgets == {s.tomato.id: 25 * 4850, s.fabric.id: 0, s.npk.id: 100 * 7125}
    assert demand.budget == 25 * 4850 + 100 * 7125
    client = signed_in(app_ctx, s.treasurer.user.email)
    page = client.get(s.url).get_data(as_text=True)
    with app_ctx.test_request_context(), force_locale("ru"):
        total = flat(fmt_money(demand.budget, s.group.currency))
    assert flat(_cell(page, "budget-total")) == total
    assert "Бюджет: сколько закупка выставит за эти упаковки" in page

    asked = client.get(f"{s.url}/convert?title=Весна+2027").get_data(as_text=True)
    assert post(client, f"{s.url}/convert", hidden_fields(asked)).status_code == 303
    rnd = session.scalar(select(Round).where(Round.title == "Весна 2027"))
    outcome = orders.compute_split(session, rnd).outcome
    billed = {int(p.id): p.bill for p in outcome.products}
    by_product = {item.product_id: billed[item.id] for item in rnd.items}
    assert by_product == budgets
    assert outcome.totals.supplier_bill == demand.budget
    round_page = client.get(f"/groups/{s.group.id}/rounds/{rnd.id}").get_data(as_text=True)
    figures = round_page[round_page.index("Товары и их стоимость"):]
    foot = figures[figures.index("<tfoot>"):figures.index("</tfoot>")]
    assert total in flat(unescape(re.sub(r"<[^>]+>", " ", foot))), foot


def _written_off_loan(session: Session, paid_share: float):  # type: ignore[no-untyped-def]
    """Нурила's cash loan, `paid_share` of its value repaid, then written off."""
    w = world(session)
    loan = seed.propose_loan(session, w.group, w.nurila, round_id=w.rnd.id,
                             product_id=w.seed.product_id, repay_mode="cash", repay_bp=12000,
                             due_on=local_today() + timedelta(days=90), actor=w.treasurer.user)
    seed.approve_loan(session, loan, w.treasurer.user)
    seed.deliver_loan(session, loan, w.treasurer.user)
    seed.repay_cash(session, loan, amount=int(loan.value * paid_share), method="cash",
                    actor=w.treasurer.user)
    seed.write_off_loan(session, loan, reason="засуха", actor=w.treasurer.user)
    session.commit()
    assert loan.state == "written_off"
    w.loan, w.url = loan, f"{w.base}/loans/{loan.id}"
    return w


def test_a_write_off_is_listed_apart_from_the_repayments_and_its_due_date_was(
        app_ctx: Flask, session: Session) -> None:
    """Found on a walk: the loan's page listed «Списано фондом 402,00» in the
    table of repayments (the value lent returned) and on the slip under the
    heading of what was repaid, and still showed the due date as if due. Now
    the write-off has its own heading and table on the page and the slip, and
    the due date says it was due."""
    from tests.integration.test_documents import pdf_text

    w = _written_off_loan(session, 0.25)
    treasurer = signed_in(app_ctx, w.treasurer.user.email)
    page = treasurer.get(w.url).get_data(as_text=True)
    repaid = page.split('id="repayments"', 1)[1].split("</table>", 1)[0]
    assert "Списано фондом" not in repaid and "<td" in repaid  # her payment stays there
    written = page.split('id="write-offs"', 1)[1].split("</table>", 1)[0]
    assert "Списано фондом" in written and "засуха" in written
    assert 'id="written-off">Списано<' in page
    due = _cell(page, "loan-due-on")
    assert due == f"срок был {w.loan.due_on:%d.%m.%Y}", due
    text = " ".join(pdf_text(treasurer.get(f"{w.url}/slip.pdf").data).split())
    repaid_part, written_part = text.split("Списано Дата", 1)
    assert "Списано фондом" not in repaid_part and "Списано фондом" in written_part, text


def test_a_write_off_that_cost_the_fund_nothing_says_so_without_a_zero(
        app_ctx: Flask, session: Session) -> None:
    """Found on a walk: with all of the value lent repaid, the write-off of the
    premium said «0,00 сом стоимости займа — убыток фонда». Now the page and
    the slip say what above the value was given up and that the fund lost
    nothing."""
    from flask_babel import force_locale

    from coop.i18n import fmt_money
    from tests.integration.test_documents import flat, pdf_text

    w = _written_off_loan(session, 1)
    now = seed.position(w.loan)
    assert now.written_off == 0 and now.unpaid > 0
    with app_ctx.test_request_context(), force_locale("ru"):
        premium, nothing = (flat(fmt_money(a, w.group.currency)) for a in (now.unpaid, 0))
    treasurer = signed_in(app_ctx, w.treasurer.user.email)
    page = treasurer.get(w.url).get_data(as_text=True)
    said = flat(unescape(re.sub(r"<[^>]+>", "", re.search(
        r'id="loan-given-up">(.*?)</p>', page, re.S).group(1))))
    assert premium in said and "фонд ничего не потерял" in said and nothing not in said, said
    slip = flat(" ".join(pdf_text(treasurer.get(f"{w.url}/slip.pdf").data).split()))
    assert said in slip and "— убыток фонда" not in slip, slip


def test_the_survey_shows_the_levy_the_round_adds_to_its_budget(
        app_ctx: Flask, session: Session) -> None:
    """Found on a walk: the survey's budget («what the round would bill») was
    the goods only; the round made of it billed the members 2 % more, the
    group's levy. The total now says it is the goods before the levy, the
    levy (the split's rule) and the total with it are beside it, and the API
    says the same; the round's levy is that, to a tyiyn per member."""
    from flask_babel import force_locale

    from coop.i18n import fmt_money
    from coop.orders import services as orders
    from tests.factories import make_api_token
    from tests.integration.test_documents import flat
    from tests.integration.test_money_endpoints import hidden_fields

    s = _closed_survey(session)
    s.group.levy_basis_points = 200
    token = make_api_token(session, s.treasurer.user)
    session.commit()
    demand = season.survey_demand(session, s.survey)
    goods = 25 * 4850 + 100 * 7125
    assert demand.budget == goods and demand.levy == (goods * 2 + 50) // 100
    client = signed_in(app_ctx, s.treasurer.user.email)
    page = client.get(s.url).get_data(as_text=True)
    with app_ctx.test_request_context(), force_locale("ru"):
        levy, whole = (flat(fmt_money(a, s.group.currency)) for a in (demand.levy,
                                                                      goods + demand.levy))
    assert flat(_cell(page, "budget-levy")) == levy
    assert flat(_cell(page, "budget-with-levy")) == whole
    assert "Итого: товар, без взноса в фонд" in page and "2 %" in flat(page)
    detail = app_ctx.test_client().get(
        f"/api/v1/groups/{s.group.id}/surveys/{s.survey.id}",
        headers={"Authorization": f"Bearer {token}"}).get_json()
    assert (detail["levy"], detail["budget_with_levy"]) == (
        f"{demand.levy / 100:.2f}", f"{(goods + demand.levy) / 100:.2f}"), detail
    schema = app_ctx.test_client().get("/api/v1/openapi.json").get_json()
    described = schema["components"]["schemas"]["SurveyDetail"]["properties"]
    assert "before the levy" in described["budget"]["description"]

    asked = client.get(f"{s.url}/convert?title=Весна+2027").get_data(as_text=True)
    assert post(client, f"{s.url}/convert", hidden_fields(asked)).status_code == 303
    rnd = session.scalar(select(Round).where(Round.title == "Весна 2027"))
    totals = orders.compute_split(session, rnd).outcome.totals
    assert totals.supplier_bill == goods
    assert abs(totals.levy - demand.levy) <= demand.in_round, (totals.levy, demand.levy)


def test_a_group_without_a_levy_is_told_of_no_levy_on_the_survey(
        app_ctx: Flask, session: Session) -> None:
    """A group that takes no levy: the survey's total is just the total, and
    no sentence points to a levy row that is not there."""
    s = _closed_survey(session)
    s.group.levy_basis_points = 0
    session.commit()
    page = signed_in(app_ctx, s.treasurer.user.email).get(s.url).get_data(as_text=True)
    assert 'id="budget-total"' in page and 'id="budget-levy"' not in page
    assert "взнос" not in page, page  # neither «без взноса в фонд» nor «добавляет взнос»
