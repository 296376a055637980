"""The savings group's paper (spec/savings.md §12) built from the engine's
result of the worked example (§10, tests/data/savings/01): every figure of the
share-out to the tyiyn, the tie-break sentence, the draft's watermark, the
meeting record that replaces another, and every document in four languages
with long names whose columns never collide."""

from __future__ import annotations

import dataclasses
import io
import json
import re
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask_babel import force_locale
from pypdf import PdfReader

from coop import create_app
from coop.config import testing_config
from coop.documents.domain import GroupInfo, Stamp
from coop.savings import paper, preview
from tests.english import english_in
from tests.integration.test_documents import pdf_text
from tests.pdf_words import collisions, runs

DATA = Path(__file__).resolve().parents[1] / "data" / "savings"
GROUP = GroupInfo("ГВП «Ак-Суу»", "с. Ак-Суу, Иссык-Кульская обл.", "KGS", "Айгүл")
KEY_HOLDERS = ["Бермет", "Чолпон", "Динара"]
CONFIRMED = [paper.Confirmation("Бермет", "пересчёт в конце"),
             paper.Confirmation("Динара", "пересчёт в конце", on_behalf=True,
                                recorded_by="Айгүл")]
LONG_MEMBER = "Гүлнара-Бүбүсара Осмонова-Жумабекова кызы"
LOCALES = ["ru", "ky", "tg", "en"]


@pytest.fixture(scope="module")
def app() -> Iterator[Flask]:
    app = create_app(testing_config("sqlite://"))
    with app.app_context():
        yield app


def _scenario(name: str) -> dict[str, Any]:
    scenario = json.loads((DATA / f"{name}.scenario.json").read_text(encoding="utf-8"))
    # the fine types' names are the group's words, here in Russian
    names = {"absent": "Отсутствие на собрании", "late": "Опоздание",
             "welfare": "Не внесён взнос в соцфонд"}
    for fine in scenario["settings"]["fine_types"]:
        fine["name"] = names[fine["code"]]
    for mtg in scenario["meetings"]:
        for key in ("grants", "write_offs", "fine_waivers", "differences"):
            for entry in mtg.get(key, []):
                if "reason" in entry:
                    entry["reason"] = "болезнь"
        for loan in mtg.get("loans", []):
            loan["purpose"] = "овцы"
    return scenario


@pytest.fixture(scope="module")
def example() -> tuple[dict[str, Any], dict[str, Any]]:
    scenario = _scenario("01-four-meetings-flat")
    return scenario, preview(scenario)


def _text(content: bytes) -> str:
    """The PDF's text with every kind of space and line break as one space."""
    text = " ".join(page.extract_text() for page in PdfReader(io.BytesIO(content)).pages)
    return re.sub(r"[\s\u00a0\u202f]+", " ", text)


def _share_out(example: Any, locale: str = "ru", **changes: Any) -> paper.ShareOutData:
    scenario, result = example
    return paper.share_out_from_preview(scenario, result, group=GROUP, confirmations=CONFIRMED,
                                        key_holders=KEY_HOLDERS, locale=locale,
                                        printed_on=date(2026, 6, 5), **changes)


def test_the_share_out_sheet_prints_the_worked_example_to_the_tyiyn(app: Flask,
                                                                   example: Any) -> None:
    data = _share_out(example)
    assert [m.cash for m in data.members] == [105800, 84600, 57400, 84600, 42300]
    text = _text(paper.share_out_sheet_pdf(data, Stamp("SGS-2026-0001", date(2026, 6, 5), "ru")))
    assert "Ведомость распределения SGS-2026-0001" in text
    for figure in ["1 058,00", "846,00", "574,00", "423,00", "1 058,19", "846,56", "846,55",
                   "634,92", "423,28", "0,19", "0,56", "0,92", "0,55", "0,28", "60,00",
                   "3 747,00", "2,50", "3 809,50", "3 600,00", "209,50", "52,91 сом", "5,8 %",
                   "3 749,50", "132,50 сом", "130,00 сом"]:
        assert figure in text, figure
    for name in ["Айгүл", "Бермет", "Чолпон", "Динара", "Элмира"]:
        assert name in text
    assert ("Бермет и Динара купили по 16 долей; Бермет получает на 0,01 сом больше: при "
            "равных остатках лишние 0,01 сом идут участнице с меньшим номером сберкнижки."
            ) in text
    assert "Получила (подпись)" in text
    assert "Динара: пересчёт в конце — записала за неё Айгүл" in text
    assert "ЧЕРНОВИК" not in text


def test_the_tie_break_names_only_equal_shares_with_different_entitlements(
        app: Flask, example: Any) -> None:
    data = _share_out(example)
    with app.test_request_context(), force_locale("en"):
        assert paper.tie_breaks(data) == [
            "Бермет and Динара bought 16 shares each; Бермет gets 0.01\u00a0som more: with "
            "equal remainders the extra 0.01\u00a0som goes to the member with the smaller "
            "passbook number."]
        even = [paper.ShareOutLine(1, "A", 10, 0, 500, 0, 0, 500, 500, 0),
                paper.ShareOutLine(2, "B", 10, 0, 500, 0, 0, 500, 500, 0)]
        assert paper.tie_breaks(dataclasses.replace(data, members=even)) == []


@pytest.mark.parametrize(("locale", "verb"), [
    ("ru", "Айгүл и Бермет получают на"), ("ky", "Айгүл жана Бермет ар бири"),
    ("tg", "Айгүл ва Бермет ҳар кадом")])
def test_the_tie_break_speaks_of_two_who_get_more_in_the_plural(
        app: Flask, example: Any, locale: str, verb: str) -> None:
    """Three with equal shares, two of them get the extra tyiyn: the verb is
    theirs, plural (ngettext on the number of people), not «получает»."""
    data = _share_out(example)
    three = [paper.ShareOutLine(1, "Айгүл", 10, 0, 501, 0, 0, 501, 500, 1),
             paper.ShareOutLine(2, "Бермет", 10, 0, 501, 0, 0, 501, 500, 1),
             paper.ShareOutLine(3, "Чолпон", 10, 0, 500, 0, 0, 500, 500, 0)]
    with app.test_request_context(), force_locale(locale):
        [sentence] = paper.tie_breaks(dataclasses.replace(data, members=three))
    assert verb in sentence, sentence
    assert "получает" not in sentence and "мегирад" not in sentence, sentence


def test_a_share_out_preview_is_a_draft_without_a_number(app: Flask, example: Any) -> None:
    content = paper.share_out_sheet_pdf(_share_out(example), None)
    text = _text(content)
    assert text.count("ЧЕРНОВИК — не подтверждено") >= 1 + len(PdfReader(
        io.BytesIO(content)).pages)  # the heading, and the watermark on every page
    assert "SGS-" not in text
    assert "1 058,00" in text


def _record(example: Any, k: int, locale: str = "ru", **changes: Any) -> paper.MeetingRecordData:
    scenario, result = example
    return paper.meeting_record_from_preview(
        scenario, result, k, group=GROUP, confirmations=CONFIRMED, key_holders=KEY_HOLDERS,
        locale=locale, **changes)


def test_the_meeting_record_lists_every_line_and_the_cash_per_bag(app: Flask,
                                                                example: Any) -> None:
    data = _record(example, 2, replaces="SGM-2026-0003")
    cholpon = data.members[2]
    assert (cholpon.loan, cholpon.grant, cholpon.loan_balance) == (20000, 6000, 21000)
    assert data.members[3].repaid_interest == 5075
    assert data.members[3].repaid_principal == 24925
    assert [(b.expected, b.counted) for b in data.opening] == [(45650, 45650), (9000, 9000)]
    assert [(b.expected, b.counted) for b in data.closing] == [(188300, 188300), (8000, 8000)]
    text = _text(paper.meeting_record_pdf(data, Stamp("SGM-2026-0004", date(2026, 5, 5), "ru")))
    assert "Протокол собрания SGM-2026-0004" in text
    assert "Заменяет SGM-2026-0003" in text
    assert "Собрание 3, 05.05.2026" in text
    for figure in ["456,50", "1 883,00", "36,50", "365,00", "50,75", "249,25", "200,00",
                   "1 026,50", "209,50", "80,00"]:
        assert figure in text, figure
    assert "Штраф уплачен: Отсутствие на собрании" in text
    assert "Штраф начислен и уплачен: Опоздание" in text
    assert "Помощь из социального фонда: болезнь" in text
    assert "Заём № 3 на 1 месяц, проценты 10,00 сом (овцы)" in text
    assert "записала за неё Айгүл" in text
    assert "Хранительница ключа Чолпон" in text


def test_a_cash_difference_withdrawal_and_write_off_are_printed(app: Flask) -> None:
    scenario = _scenario("02-declining-join-withdraw")
    result = preview(scenario)
    data = paper.meeting_record_from_preview(scenario, result, 3, group=GROUP)
    assert data.differences == [paper.DifferenceLine("loan", -50, "болезнь")]
    loan = data.closing[0]
    assert loan.expected - loan.counted == 50
    text = _text(paper.meeting_record_pdf(data, Stamp("SGM-2026-0004", date(2026, 5, 16),
                                                     "ru")))
    assert "недостача 0,50" in text
    assert "списан" in text
    assert "Выход из группы" in text
    assert "Пока не подтверждено." in text


def test_the_meeting_as_text(app: Flask, example: Any) -> None:
    text = paper.meeting_text(_record(example, 2))
    lines = text.splitlines()
    assert lines[:2] == ["ГВП «Ак-Суу»", "Собрание 3, 05.05.2026"]
    assert "Присутствовали: 5 из 5" in lines
    assert "3. Чолпон: присутствует, 3 доли, соцфонд 10,00\u00a0сом, заём 200,00\u00a0сом" \
        in lines
    assert "Кредитный фонд: в кассе 1\u00a0883,00\u00a0сом" in lines
    assert max(len(line) for line in lines) < 100
    assert "Loan" not in paper.meeting_text(_record(example, 2, "ky"))


def test_the_passbook_explains_her_share_out(app: Flask, example: Any) -> None:
    scenario, result = example
    data = paper.passbook_from_preview(scenario, result, "cholpon", group=GROUP,
                                       printed_on=date(2026, 6, 5))
    assert [row.shares for row in data.rows] == [3, 6, 9, 12]
    text = _text(paper.passbook_pdf(data))
    assert "Сберкнижка PB-C1M3" in text
    assert "Ваши 12 из 72 долей × 3 809,50 сом" in text
    assert "= 634,92 сом; минус ваши долги 60,00 сом = 574,92 сом" in text
    # what she was handed, the coins, the set-off: a share-out row, not a what-if
    assert "574,00 сом выдано вам наличными" in text
    assert "574,00 сом наличными и мелочь 0,92 сом в социальный фонд" in text
    assert "Распределение: ваша часть 634,92; зачтено в счёт долга 60,00; выдано вам " \
        "наличными 574,00; мелочь в социальный фонд 0,92; остаток долга 0,00." in text
    assert "ваш заём погашен" in text
    assert "Подпись хранительницы ключа" in text
    # before the share-out: a projection (example 03 stops after meeting 3)
    scenario = _scenario("03-mid-cycle-no-share-out")
    result = preview(scenario)
    data = paper.passbook_from_preview(scenario, result, "dinara", group=GROUP,
                                       printed_on=date(2026, 5, 5))
    assert data.projected is not None and data.projected.net == -11607
    assert "если бы распределение было сегодня" in _text(paper.passbook_pdf(data))


def test_the_passbook_writes_the_loan_limit_as_the_pages_do(app: Flask, example: Any) -> None:
    """Found by a new user: the passbook printed «3,00 × её сбережения» where
    the cycle's page says «3 × её сбережения»."""
    scenario, result = example
    data = paper.passbook_from_preview(scenario, result, "cholpon", group=GROUP,
                                       printed_on=date(2026, 6, 5))
    assert data.cycle.loan_multiple == 300
    text = pdf_text(paper.passbook_pdf(data))
    assert "Предел займа 3 × её сбережения" in text and "3,00 ×" not in text, text
    half = dataclasses.replace(data, cycle=dataclasses.replace(data.cycle, loan_multiple=250))
    assert "Предел займа 2,5 × её сбережения" in pdf_text(paper.passbook_pdf(half))


def test_the_loan_card(app: Flask, example: Any) -> None:
    scenario, result = example
    data = paper.loan_card_from_preview(scenario, result, 2, group=GROUP,
                                        printed_on=date(2026, 6, 5))
    text = _text(paper.loan_card_pdf(data))
    assert "Карточка займа LC-C1L2" in text
    for figure in ["1 015,00", "507,50", "50,75", "558,25", "300,00", "816,50", "1 116,50",
                   "Динара, сберкнижка № 4", "2 месяца", "овцы", "погашен"]:
        assert figure in text, figure


@pytest.mark.parametrize(("locale", "hers", "ours"), [
    ("ru", "Она ещё должна", "Ещё должны"), ("ky", "Анын калган карызы", "Дагы карызбыз"),
    ("tg", "Ӯ ҳанӯз қарздор аст", "Ҳанӯз қарздорем")])
def test_the_loan_card_says_what_she_still_owes_not_what_we_owe(
        app: Flask, example: Any, locale: str, hers: str, ours: str) -> None:
    """The card of a loan being repaid names the member's debt in its own
    words, not the suppliers' "We still owe"."""
    scenario, result = example
    data = dataclasses.replace(paper.loan_card_from_preview(
        scenario, result, 2, group=GROUP, printed_on=date(2026, 6, 5)), state="active",
        locale=locale)
    text = _text(paper.loan_card_pdf(data))
    assert hers in text and ours not in text, text


def test_the_blank_meeting_form(app: Flask, example: Any) -> None:
    scenario, result = example
    data = paper.blank_form_from_preview(scenario, result, group=GROUP,
                                         printed_on=date(2026, 6, 5))
    text = _text(paper.blank_meeting_form_pdf(data))
    assert "Бланк собрания MF-C1M5" in text
    assert re.search("Айгүл.*Бермет.*Чолпон.*Динара.*Элмира", text)
    assert "3 749,50" in text


def _every_document(scenario: dict[str, Any], locale: str) -> dict[str, bytes]:
    result = preview(scenario)
    built: dict[str, bytes] = {}
    stamp = Stamp("SGM-2026-0001", date(2026, 6, 5), locale)
    for k in range(len(result["meetings"])):
        data = paper.meeting_record_from_preview(
            scenario, result, k, group=GROUP, confirmations=CONFIRMED, key_holders=KEY_HOLDERS,
            replaces="SGM-2026-0003", locale=locale)
        built[f"record-{k}"] = paper.meeting_record_pdf(data, stamp)
        assert paper.meeting_text(data)
    if result["share_out"]:
        data = paper.share_out_from_preview(scenario, result, group=GROUP, locale=locale,
                                            confirmations=CONFIRMED, key_holders=KEY_HOLDERS)
        built["share-out"] = paper.share_out_sheet_pdf(data, Stamp("SGS-2026-0001",
                                                                   date(2026, 6, 5), locale))
        built["share-out draft"] = paper.share_out_sheet_pdf(data, None)
    for member in scenario["members"]:
        built[f"passbook-{member['id']}"] = paper.passbook_pdf(paper.passbook_from_preview(
            scenario, result, member["id"], group=GROUP, printed_on=date(2026, 6, 5),
            locale=locale))
    for loan in result["loans"]:
        built[f"loan-{loan['number']}"] = paper.loan_card_pdf(paper.loan_card_from_preview(
            scenario, result, loan["number"], group=GROUP, printed_on=date(2026, 6, 5),
            locale=locale))
    built["blank"] = paper.blank_meeting_form_pdf(paper.blank_form_from_preview(
        scenario, result, group=GROUP, printed_on=date(2026, 6, 5), locale=locale))
    return built


def _hostile(name: str) -> dict[str, Any]:
    scenario = _scenario(name)
    for n, member in enumerate(scenario["members"]):
        member["name"] = f"{LONG_MEMBER} {n}"
    return scenario


@pytest.mark.parametrize("locale", LOCALES)
def test_every_document_in_every_language_with_long_names_has_no_colliding_columns(
        app: Flask, locale: str) -> None:
    problems = []
    for name in ("01-four-meetings-flat", "02-declining-join-withdraw"):
        for document, content in _every_document(_hostile(name), locale).items():
            problems += [f"{name} {document}: {p}" for p in collisions(content)]
            text = " ".join(run.text for run in runs(content))
            assert LONG_MEMBER.split()[0] in text
            if locale != "en":
                problems += [f"{name} {document}: English “{w}”" for w in english_in(text)]
    assert not problems, "\n".join(problems[:40])


def test_every_document_names_its_language(app: Flask, example: Any) -> None:
    """The same sheet in each language: its title is that language's."""
    titles = {"ru": "Ведомость распределения", "ky": "Бөлүштүрүү ведомосту",
              "tg": "Ведомости тақсимот", "en": "Share-out sheet"}
    for locale, title in titles.items():
        data = _share_out(example, locale)
        assert title in _text(paper.share_out_sheet_pdf(data, None))



def test_a_declining_loan_is_recorded_without_interest_not_yet_charged(app: Flask) -> None:
    scenario = _scenario("02-declining-join-withdraw")
    data = paper.meeting_record_from_preview(scenario, preview(scenario), 2, group=GROUP)
    assert [(loan.number, loan.principal, loan.interest) for loan in data.loans] == [
        (3, 10000, None), (4, 6000, None)]
    text = _text(paper.meeting_record_pdf(data, Stamp("SGM-2026-0003", date(2026, 3, 14),
                                                     "ru")))
    assert "Заём № 3 на 2 месяца (овцы)" in text
    assert "Штраф прощён: Отсутствие на собрании" in text


BIG = 123_456_789_00  # 9 digits before the decimals


def test_nine_digit_amounts_keep_their_columns(app: Flask, example: Any) -> None:
    big_lines = [dataclasses.replace(m, savings=BIG, entitlement=BIG, profit=-BIG, set_off=BIG,
                                     net=BIG, cash=BIG, residual=BIG, shares=123_456,
                                     name=f"{LONG_MEMBER} {m.passbook_no}")
                 for m in _share_out(example).members]
    share_out = dataclasses.replace(_share_out(example), members=big_lines, equity=BIG,
                                    loan_bag=BIG, social_fund=BIG, social_fund_carried=BIG)
    record = _record(example, 2)
    members = [dataclasses.replace(m, social=BIG, repaid_interest=BIG, repaid_principal=BIG,
                                   fines_imposed=BIG, fines_paid=BIG, grant=BIG, loan=BIG,
                                   loan_balance=BIG, shares_bought=123_456, shares=123_456)
               for m in record.members]
    record = dataclasses.replace(record, members=members, closing=[
        paper.BagCount(bag.bag, BIG, BIG) for bag in record.closing])
    stamp = Stamp("SGM-2026-0004", date(2026, 5, 5), "ru")
    for content in (paper.share_out_sheet_pdf(share_out, None),
                    paper.meeting_record_pdf(record, stamp)):
        assert "123 456 789,00" in _text(content)
        assert not collisions(content), collisions(content)[:10]
