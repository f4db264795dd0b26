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
    `taxable`, `cgst`, `sgst`, `fees`: what its bookings' invoices (and receipts) charged, split
    into the tickets' taxable value, the GST on tickets and fees, and the fees' taxable value
    (migration 0017; sales from before invoices count in `gross` only).
    `counter_tickets`, `counter_gross`, `counter_refunded`: the part of them sold at the counter
    (seats BOOKED now, money taken, money given back from the drawer: a counter refund is paid
    at once and never fails, so its total is kept here; migration 0023).
    """

    __tablename__ = "show_sales"

    show_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("shows.id"), primary_key=True)
    tickets: Mapped[int] = mapped_column(Integer)
    gross: Mapped[int] = mapped_column(BigInteger)
    taxable: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")
    cgst: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")
    sgst: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")
    fees: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")
    counter_tickets: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    counter_gross: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")
    counter_refunded: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")
