from __future__ import annotations

import uuid

from sqlalchemy import BigInteger, ForeignKey, Integer
from sqlalchemy.orm import Mapped, mapped_column

from boxoffice.db.base import Base


class ShowSales(Base):
    """What a show has sold, kept up to date in the transaction of every change to it, so that a
    report reads one row a show instead of every booking and payment.

    `tickets`: seats of its bookings BOOKED now. `gross`: money captured for its bookings (a
    second payment for a paid order included; its refund is counted with the refunds, which the
    reports sum from `refunds` because their status moves back and forth while they retry).
    """

    __tablename__ = "show_sales"

    show_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("shows.id"), primary_key=True)
    tickets: Mapped[int] = mapped_column(Integer)
    gross: Mapped[int] = mapped_column(BigInteger)
