from __future__ import annotations

import uuid

from sqlalchemy import Boolean, ForeignKey, false
from sqlalchemy.orm import Mapped, mapped_column

from boxoffice.db.base import Base


class StaffTheatre(Base):
    """A staff account may work the doors of this theatre (check-in, revocation lists), and, with
    the `counter` permission, sell and refund at its counter (migration 0023)."""

    __tablename__ = "staff_theatres"

    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id"), primary_key=True)
    theatre_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("theatres.id"), primary_key=True)
    counter: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
