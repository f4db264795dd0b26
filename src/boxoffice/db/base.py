"""Declarative base and the column types every domain shares."""

from __future__ import annotations

import enum
import uuid
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import DateTime, Enum, MetaData, TypeDecorator, Uuid
from sqlalchemy.engine import Dialect
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.functions import FunctionElement

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class UTCDateTime(TypeDecorator[datetime]):
    """A timezone-aware instant, stored in UTC on every engine.

    SQLite has no time zone type: there the value is stored as naive UTC text, which still sorts
    and compares correctly in SQL, and comes back aware.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


# How a plain `Mapped[datetime]` or `Mapped[uuid.UUID]` is stored, in every declarative base.
TYPE_ANNOTATIONS: dict[Any, Any] = {datetime: UTCDateTime(), uuid.UUID: Uuid()}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map = TYPE_ANNOTATIONS


def new_id() -> uuid.UUID:
    return uuid.uuid4()


class random_uuid(FunctionElement[uuid.UUID]):
    """A new random id made by the database, for rows built by an INSERT ... SELECT."""

    type = Uuid()
    inherit_cache = True


@compiles(random_uuid, "postgresql")
def _random_uuid_postgresql(_element: random_uuid, _compiler: SQLCompiler, **_kw: Any) -> str:
    return "gen_random_uuid()"


@compiles(random_uuid, "sqlite")
def _random_uuid_sqlite(_element: random_uuid, _compiler: SQLCompiler, **_kw: Any) -> str:
    return "lower(hex(randomblob(16)))"  # 32 hex digits: how Uuid is stored on SQLite


class IdMixin:
    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)


class TimestampMixin:
    created_at: Mapped[datetime] = mapped_column(default=lambda: datetime.now(UTC))


def str_enum(enum_type: type[enum.StrEnum]) -> Enum:
    """Enums stored as their value in a VARCHAR, the same on PostgreSQL and SQLite."""
    return Enum(
        enum_type,
        native_enum=False,
        length=20,
        values_callable=lambda e: [m.value for m in e],
        validate_strings=True,
    )
