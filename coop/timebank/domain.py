"""The time bank's rules, pure: minutes as people type them, the checks of a
transfer, balances and statements from movements, the reports' arithmetic,
a paper register's CSV lines. No Flask, no SQLAlchemy.

A refusal is a `TimeRuleError` with a code and its figures; the services
word it in the reader's language (coop.timebank.services.MESSAGES)."""

from __future__ import annotations

import csv
import io
import re
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal, InvalidOperation

# code, English, Russian, Kyrgyz, Tajik: the categories every group starts with
CATEGORIES: list[tuple[str, str, str, str, str]] = [
    ("celebrations", "Weddings and celebrations", "Свадьбы и праздники", "Той-аштар",
     "Тӯй ва ҷашнҳо"),
    ("harvest", "Fruit and harvest processing", "Переработка фруктов и урожая",
     "Жемиш жана түшүм иштетүү", "Коркарди мева ва ҳосил"),
    ("childcare", "Childcare", "Присмотр за детьми", "Бала кароо", "Нигоҳубини кӯдакон"),
    ("eldercare", "Elder care", "Уход за пожилыми", "Карыларды кароо",
     "Нигоҳубини пиронсолон"),
    ("sewing", "Sewing", "Шитьё", "Тигүү", "Дӯзандагӣ"),
    ("baking", "Baking and cooking", "Выпечка и готовка", "Нан бышыруу жана тамак",
     "Нонпазӣ ва хӯрокпазӣ"),
    ("house", "House and garden work", "Работа по дому и в огороде",
     "Үй жана бакча иштери", "Корҳои хона ва боғ"),
    ("transport", "Transport", "Транспорт", "Транспорт", "Нақлиёт"),
    ("teaching", "Teaching and mentoring", "Обучение и наставничество",
     "Окутуу жана насаатчылык", "Омӯзиш ва устодӣ"),
    ("group_work", "Work for the whole group", "Работа для всей группы",
     "Бүт топ үчүн иш", "Кор барои тамоми гурӯҳ"),
]

HOUR_WORDS = ("часов", "часа", "час", "ч", "саат", "с", "соат", "soat", "hours", "hour",
              "hrs", "hr", "h")
MINUTE_WORDS = ("минуты", "минута", "минут", "мин", "м", "мүнөт", "мүн", "дақиқа", "дақ",
                "daq", "minutes", "minute", "mins", "min", "m")
MAX_TYPED_MINUTES = 100 * 60  # nobody types more than 100 hours for one help


class TimeRuleError(Exception):
    """A rule was broken: `code` says which (services.MESSAGES words it)."""

    def __init__(self, code: str, field: str | None = None, **figures: object) -> None:
        super().__init__(code)
        self.code = code
        self.field = field
        self.figures = figures


# --------------------------------------------------------------------------
# Minutes typed and shown
# --------------------------------------------------------------------------

def _alternatives(words: Sequence[str]) -> str:
    return "|".join(re.escape(w) for w in sorted(words, key=len, reverse=True))


_NUMBER = r"\d+(?:[.,]\d+)?"
_HM = re.compile(r"^(\d+):(\d+)$")
_ONLY_MINUTES = re.compile(rf"^(\d+)\s*(?:{_alternatives(MINUTE_WORDS)})\.?$")
_WORDED = re.compile(
    rf"^(?:(?P<h>{_NUMBER})\s*(?:(?P<hw>{_alternatives(HOUR_WORDS)})\.?)?)?\s*"
    rf"(?:(?P<m>\d+)\s*(?:(?P<mw>{_alternatives(MINUTE_WORDS)})\.?)?)?$")


def parse_minutes(typed: str, most: int | None = None) -> int:
    """'2:30', '2,5', '2.5 ч', '2 ч 30', '2 ч 30 мин', '2 с 30 мүн', '2 соат 30
    дақ', '45 мин', '3' (hours) as whole minutes. Raises TimeRuleError
    ('unreadable', 'not_whole_minutes', 'too_long'; 'above_max' past `most`,
    the group's limit for one transfer, when the time is for one: the limit
    that applies is the one she is told, not the parser's sanity bound)."""
    text = " ".join((typed or "").strip().lower().replace("\u00a0", " ").split())
    if not text:
        raise TimeRuleError("unreadable", typed=typed)
    if text.startswith(("-", "\u2212")):
        raise TimeRuleError("not_positive", field="minutes")
    hm = _HM.match(text)
    if hm:
        hours, minutes = int(hm.group(1)), int(hm.group(2))
        if minutes >= 60 or len(hm.group(2)) != 2:
            raise TimeRuleError("unreadable", typed=typed)
        return _checked(hours * 60 + minutes, most)
    only = _ONLY_MINUTES.match(text)
    if only:
        return _checked(int(only.group(1)), most)
    worded = _WORDED.match(text)
    if not worded or not (worded.group("h") or worded.group("m")):
        raise TimeRuleError("unreadable", typed=typed)
    h, hw, m, mw = worded.group("h", "hw", "m", "mw")
    if h and not hw and m is None and mw is None:
        return _from_hours(h, most)  # a bare number is hours: '3', '2,5'
    if h and not hw and m is None:
        raise TimeRuleError("unreadable", typed=typed)
    if m is not None and h and not hw:
        raise TimeRuleError("unreadable", typed=typed)  # '2 30': which is which?
    total = _from_hours(h, most) if h else 0
    if m is not None:
        minutes = int(m)
        if h and minutes >= 60:
            raise TimeRuleError("unreadable", typed=typed)
        total += minutes
    return _checked(total, most)


def _from_hours(number: str, most: int | None) -> int:
    try:
        hours = Decimal(number.replace(",", "."))
    except InvalidOperation as exc:  # pragma: no cover - the pattern allows none
        raise TimeRuleError("unreadable", typed=number) from exc
    minutes = hours * 60
    if minutes != minutes.to_integral_value():
        raise TimeRuleError("not_whole_minutes", typed=number)
    return _checked(int(minutes), most)


def _checked(minutes: int, most: int | None) -> int:
    if most is not None and minutes > most:
        raise TimeRuleError("above_max", field="minutes", most=most)
    if minutes > MAX_TYPED_MINUTES:
        raise TimeRuleError("too_long", most=MAX_TYPED_MINUTES)
    return minutes


def hours_and_minutes(minutes: int) -> tuple[int, int, int]:
    """(sign, hours, minutes): -150 -> (-1, 2, 30)."""
    sign = -1 if minutes < 0 else 1
    hours, rest = divmod(abs(minutes), 60)
    return sign, hours, rest


def input_text(minutes: int) -> str:
    """How a form shows an amount back: '2:30'."""
    sign, hours, rest = hours_and_minutes(minutes)
    return f"{'-' if sign < 0 else ''}{hours}:{rest:02d}"


# --------------------------------------------------------------------------
# The rules of a transfer
# --------------------------------------------------------------------------


@dataclass(frozen=True)
class Rules:
    step_minutes: int = 15
    max_minutes_per_transfer: int = 720
    floor_minutes: int | None = -600
    warn_below_minutes: int | None = -300
    warn_above_minutes: int | None = 2400
    start_credit_minutes: int = 0
    provider_may_record: bool = True


def check_amount(minutes: int, rules: Rules) -> None:
    if minutes <= 0:
        raise TimeRuleError("not_positive", field="minutes")
    if minutes % rules.step_minutes:
        raise TimeRuleError("off_step", field="minutes", step=rules.step_minutes)
    if minutes > rules.max_minutes_per_transfer:
        raise TimeRuleError("above_max", field="minutes", most=rules.max_minutes_per_transfer)


def check_dates(service: date, today: date, joined: Iterable[date]) -> None:
    if service > today:
        raise TimeRuleError("future", field="date_of_service")
    for day in joined:
        if service < day:
            raise TimeRuleError("before_joining", field="date_of_service", joined=day)


def most_she_can_give(balance: int, floor: int | None) -> int | None:
    """How many minutes a member may still pay from her balance (None: no floor)."""
    if floor is None:
        return None
    return max(0, balance - floor)


def check_floor(balance: int, minutes: int, floor: int | None) -> None:
    """A member's account may not go below the hard floor."""
    most = most_she_can_give(balance, floor)
    if most is not None and minutes > most:
        raise TimeRuleError("below_floor", field="minutes", most=most, balance=balance,
                            floor=floor)


def soft_flag(balance: int, rules: Rules) -> str | None:
    """'low' or 'high' when a balance is past a soft limit (it only warns)."""
    if rules.warn_below_minutes is not None and balance < rules.warn_below_minutes:
        return "low"
    if rules.warn_above_minutes is not None and balance > rules.warn_above_minutes:
        return "high"
    return None


def movements(from_account: int, to_account: int, minutes: int) -> list[tuple[int, int]]:
    """The two sides of a confirmed transfer: they add up to zero."""
    if from_account == to_account:
        raise TimeRuleError("self_transfer")
    if minutes <= 0:
        raise TimeRuleError("not_positive", field="minutes")
    return [(from_account, -minutes), (to_account, minutes)]


# --------------------------------------------------------------------------
# Balances and statements
# --------------------------------------------------------------------------


def balances(moves: Iterable[tuple[int, int]]) -> dict[int, int]:
    """{account: Σ minutes} of (account, minutes) movements."""
    out: dict[int, int] = defaultdict(int)
    for account, minutes in moves:
        out[account] += minutes
    return dict(out)


@dataclass(frozen=True)
class Line:
    minutes: int
    balance: int


def running(opening: int, amounts: Iterable[int]) -> list[Line]:
    lines, balance = [], opening
    for minutes in amounts:
        balance += minutes
        lines.append(Line(minutes, balance))
    return lines


# --------------------------------------------------------------------------
# Reports
# --------------------------------------------------------------------------


@dataclass
class Activity:
    """What one member gave and received (confirmed), and when last."""

    given: int = 0
    received: int = 0
    exchanges: int = 0
    last: date | None = None


def activity(rows: Iterable[tuple[int, int, date]]) -> dict[int, Activity]:
    """(account, signed minutes, date of service) of exchanges' movements."""
    out: dict[int, Activity] = defaultdict(Activity)
    for account, minutes, day in rows:
        a = out[account]
        if minutes > 0:
            a.given += minutes
        else:
            a.received -= minutes
        a.exchanges += 1
        a.last = day if a.last is None or day > a.last else a.last
    return dict(out)


def days_without_exchange(last: date | None, today: date, joined: date) -> int:
    return (today - (last or joined)).days


def one_way(a: Activity) -> str | None:
    """'only_gives' or 'only_receives' (or None)."""
    if a.given and not a.received:
        return "only_gives"
    if a.received and not a.given:
        return "only_receives"
    return None


@dataclass
class CategoryMonth:
    minutes: int = 0
    exchanges: int = 0


def by_category_and_month(rows: Iterable[tuple[int, date, int]]
                          ) -> dict[tuple[int, str], CategoryMonth]:
    """(category, date of service, minutes) of confirmed exchanges."""
    out: dict[tuple[int, str], CategoryMonth] = defaultdict(CategoryMonth)
    for category, day, minutes in rows:
        cell = out[(category, f"{day.year:04d}-{day.month:02d}")]
        cell.minutes += minutes
        cell.exchanges += 1
    return dict(out)


# --------------------------------------------------------------------------
# A paper register typed into a spreadsheet: CSV lines
# --------------------------------------------------------------------------

MAX_IMPORT_LINES = 500


@dataclass(frozen=True)
class RegisterLine:
    """One line of the register: the member who received help (`receiver`,
    her number, 0 = the bank) paid `minutes` to the one who gave it."""

    line: int
    date_of_service: date
    receiver: int
    provider: int
    minutes: int
    category: str
    note: str


@dataclass
class ParsedRegister:
    lines: list[RegisterLine] = field(default_factory=list)
    errors: list[tuple[int, TimeRuleError]] = field(default_factory=list)


def _day(text: str) -> date:
    text = text.strip()
    for pattern in (r"^(\d{4})-(\d{1,2})-(\d{1,2})$", r"^(\d{1,2})\.(\d{1,2})\.(\d{4})$"):
        m = re.match(pattern, text)
        if m:
            parts = [int(p) for p in m.groups()]
            year, month, day = parts if pattern.startswith(r"^(\d{4})") else parts[::-1]
            try:
                return date(year, month, day)
            except ValueError:
                break
    raise TimeRuleError("bad_date", typed=text)


def _number(text: str) -> int:
    text = text.strip().lstrip("№#")
    if not text.isdigit() or len(text) > 6:
        raise TimeRuleError("bad_member_number", typed=text)
    return int(text)


def parse_register_csv(data: bytes, most: int | None = None) -> ParsedRegister:
    """date; receiver's number; provider's number; hours; category; note —
    a header line is skipped; `;`, `,` or tab between cells; UTF-8 (with or
    without BOM) or Windows-1251. Every bad line is reported by its number."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = data.decode("cp1251", errors="replace")
    result = ParsedRegister()
    first = text.splitlines()[0] if text.strip() else ""
    delimiter = max((";", "\t", ","), key=first.count) if first else ";"
    rows = list(csv.reader(io.StringIO(text), delimiter=delimiter))
    if len(rows) > MAX_IMPORT_LINES + 1:
        raise TimeRuleError("too_many_lines", most=MAX_IMPORT_LINES)
    for number, row in enumerate(rows, start=1):
        cells = [c.strip() for c in row]
        if not any(cells):
            continue
        if number == 1 and not re.match(r"^\d", cells[0]):
            continue  # the header
        if len(cells) < 5:
            result.errors.append((number, TimeRuleError("too_few_cells")))
            continue
        try:
            result.lines.append(RegisterLine(
                line=number, date_of_service=_day(cells[0]), receiver=_number(cells[1]),
                provider=_number(cells[2]), minutes=parse_minutes(cells[3], most),
                category=cells[4], note=(cells[5] if len(cells) > 5 else "")[:300]))
        except TimeRuleError as exc:
            result.errors.append((number, exc))
    if not result.lines and not result.errors:
        raise TimeRuleError("empty_file")
    return result
