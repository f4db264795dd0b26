from __future__ import annotations

import enum
import uuid
from datetime import date

from sqlalchemy import CheckConstraint, ForeignKey, Index, Integer, String, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column

from boxoffice.db.base import Base, IdMixin, TimestampMixin, str_enum


class TaxCategory(enum.StrEnum):
    ADMISSION = "ADMISSION"  # a cinema ticket
    FEE = "FEE"  # the convenience fee


class TaxRuleVersion(IdMixin, TimestampMixin, Base):
    """The slabs of a tax category from `effective_from` on, until the next version's date.
    Versions are never changed: a booking names the rate it was sold at (migration 0011 seeds
    India's rates)."""

    __tablename__ = "tax_rule_versions"
    __table_args__ = (UniqueConstraint("category", "effective_from"),)

    category: Mapped[TaxCategory] = mapped_column(str_enum(TaxCategory))
    effective_from: Mapped[date]


class TaxSlab(Base):
    """`rate_bp` on a taxable value per ticket up to `up_to` paise; the last slab is open."""

    __tablename__ = "tax_slabs"
    __table_args__ = (
        CheckConstraint("rate_bp BETWEEN 0 AND 10000", name="rate_bp_range"),
        CheckConstraint("up_to IS NULL OR up_to >= 0", name="up_to_not_negative"),
        # At most one open top a version (the API asks for exactly one, the last).
        Index(
            "uq_tax_slabs_open_top",
            "version_id",
            unique=True,
            postgresql_where=text("up_to IS NULL"),
            sqlite_where=text("up_to IS NULL"),
        ),
    )

    version_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("tax_rule_versions.id"), primary_key=True
    )
    position: Mapped[int] = mapped_column(Integer, primary_key=True)  # 0 for the lowest
    up_to: Mapped[int | None] = mapped_column(Integer)
    rate_bp: Mapped[int] = mapped_column(Integer)


class TaxExemption(IdMixin, TimestampMixin, Base):
    """A state's waiver of its half (SGST) for a film, from `starts_on` to `ends_on` inclusive,
    local dates of the theatres in that state."""

    __tablename__ = "tax_exemptions"
    __table_args__ = (
        CheckConstraint("starts_on <= ends_on", name="period_in_order"),
        Index("ix_tax_exemptions_movie_id_state_code", "movie_id", "state_code"),
    )

    movie_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("movies.id"))
    state_code: Mapped[str] = mapped_column(String(2))
    starts_on: Mapped[date]
    ends_on: Mapped[date]
