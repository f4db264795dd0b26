from __future__ import annotations

import uuid

from sqlalchemy import CheckConstraint, ForeignKey, Index, Integer, String, text
from sqlalchemy.orm import Mapped, mapped_column

from boxoffice.catalogue.models import DayType
from boxoffice.db.base import Base, IdMixin, str_enum

ANY_FORMAT = text("coalesce(format, '')")  # a rule for any format is one per key too


class PriceRule(IdMixin, Base):
    """Amount for (seat type, day type), and optionally one format (null: any), set for a
    whole theatre or for one screen."""

    __tablename__ = "price_rules"
    __table_args__ = (
        CheckConstraint("(theatre_id IS NULL) <> (screen_id IS NULL)", name="theatre_xor_screen"),
        CheckConstraint("amount >= 0", name="amount_not_negative"),
        Index(
            "uq_price_rules_theatre", "theatre_id", "seat_type", "day_type", ANY_FORMAT, unique=True
        ),
        Index(
            "uq_price_rules_screen", "screen_id", "seat_type", "day_type", ANY_FORMAT, unique=True
        ),
    )

    theatre_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("theatres.id"))
    screen_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("screens.id"))
    seat_type: Mapped[str] = mapped_column(ForeignKey("seat_types.code"))
    day_type: Mapped[DayType] = mapped_column(str_enum(DayType))
    amount: Mapped[int] = mapped_column(Integer)
    format: Mapped[str | None] = mapped_column(String(20))  # a `show_formats` code; null: any


class ShowPriceOverride(Base):
    __tablename__ = "show_price_overrides"
    __table_args__ = (CheckConstraint("amount >= 0", name="amount_not_negative"),)

    show_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("shows.id"), primary_key=True)
    seat_type: Mapped[str] = mapped_column(ForeignKey("seat_types.code"), primary_key=True)
    amount: Mapped[int] = mapped_column(Integer)
