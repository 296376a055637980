"""Realistic demo data: an Issyk-Kul group buying seed and a Sughd sewing group.
Idempotent: each part is created only when it is missing."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from coop.auth import services as auth_services
from coop.auth.models import User
from coop.groups import services as groups
from coop.groups.models import Group

DEMO_PASSWORD = "demo-password"
ADMIN_EMAIL = "admin@coop.example"
KG_GROUP = "Светлая Поляна — группа солидарных производителей"
TJ_GROUP = "Гурӯҳи дӯзандагони Исфара"

# name, phone, email, has login, role
KG_MEMBERS = [
    ("Майрам Дукенбаева", "+996555100001", "mairam@coop.example", True, "treasurer"),
    ("Айгүл Токтогулова", "+996555100002", "aigul@coop.example", True, "member"),
    ("Нурила Асанова", "+996555100003", None, True, "member"),
    ("Гүлнара Осмонова", "+996555100004", None, False, "member"),
    ("Майрам Дүйшөнбаева", "+996555100005", None, False, "member"),
    ("Жылдыз Мамыткулова", "+996555100006", None, True, "member"),
    ("Бүбүсара Жумабекова", None, None, False, "member"),
    ("Чолпон Сыдыкова", "+996555100008", None, False, "member"),
    ("Назгүл Абдыкадырова", "+996555100009", None, True, "member"),
    ("Асель Эсенгулова", None, None, False, "member"),
    ("Динара Бекболотова", "+996555100011", None, False, "member"),
    ("Элмира Турдубаева", "+996555100012", None, False, "member"),
]

TJ_MEMBERS = [
    ("Фарангис Азамова", "+992927000001", "farangis@coop.example", True, "treasurer"),
    ("Зарина Раҳимова", "+992927000002", None, True, "member"),
    ("Малика Ҷӯраева", "+992927000003", None, False, "member"),
    ("Шаҳло Қодирова", None, None, False, "member"),
    ("Гулноза Ҳасанова", "+992927000005", None, False, "member"),
]


def _ensure_admin(session: Session) -> None:
    if session.scalar(select(User).where(User.email == ADMIN_EMAIL)) is None:
        admin = User(name="Администратор Coop", email=ADMIN_EMAIL, is_admin=True, locale="ru")
        auth_services.set_password(admin, DEMO_PASSWORD)
        session.add(admin)
        session.flush()


def _ensure_group(session: Session, name: str, members: list[tuple], **details: object) -> bool:
    if session.scalar(select(Group).where(Group.name == name)) is not None:
        return False
    group = Group(name=name, **details)
    session.add(group)
    session.flush()
    for person, phone, email, has_login, role in members:
        groups.add_member(session, group, name=person, phone=phone, email=email, role=role,
                          password=DEMO_PASSWORD if has_login else None)
    return True


def load_demo(session: Session) -> tuple[bool, list[tuple[str, str]]]:
    _ensure_admin(session)
    created = _ensure_group(
        session, KG_GROUP, KG_MEMBERS, village="Светлая Поляна", region="Иссык-Кульская область",
        country="KG", currency="KGS", language="ru", levy_basis_points=200, cash_rounding=100)
    created |= _ensure_group(
        session, TJ_GROUP, TJ_MEMBERS, village="Исфара", region="Вилояти Суғд", country="TJ",
        currency="TJS", language="tg")
    logins = [
        ("platform admin", ADMIN_EMAIL),
        ("treasurer, Svetlaya Polyana", "mairam@coop.example"),
        ("member, Svetlaya Polyana", "aigul@coop.example"),
        ("member (by phone)", "+996555100003"),
        ("treasurer, Isfara", "farangis@coop.example"),
    ]
    return created, logins
