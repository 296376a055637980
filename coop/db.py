"""The declarative base: typed models and a constraint naming convention, so
that Alembic migrations (batch mode on SQLite) can name what they change."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime

from sqlalchemy import BigInteger, Integer, MetaData, event
from sqlalchemy.engine import Engine
from sqlalchemy.orm import DeclarativeBase, registry

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


# Money in minor units, quantities in thousandths and prices in millionths
# outgrow 32 bits: every int column is 64-bit (plain INTEGER on SQLite, whose
# integers are 64-bit anyway and whose rowid primary keys must say INTEGER).
BigInt = BigInteger().with_variant(Integer(), "sqlite")


class Base(DeclarativeBase):
    registry = registry(metadata=MetaData(naming_convention=NAMING_CONVENTION),
                        type_annotation_map={int: BigInt})


def utcnow() -> datetime:
    """Naive UTC, the same on SQLite and PostgreSQL; called per row, never at import."""
    return datetime.now(UTC).replace(tzinfo=None)


@event.listens_for(Engine, "connect")
def _sqlite_foreign_keys(dbapi_connection: object, _record: object) -> None:
    if isinstance(dbapi_connection, sqlite3.Connection):
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.close()
