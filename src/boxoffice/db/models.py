"""Every table, imported in one place so that Alembic and the tests see the whole schema."""

from boxoffice import idempotency
from boxoffice.accounts import models as accounts
from boxoffice.bookings import models as bookings
from boxoffice.catalogue import models as catalogue
from boxoffice.db.base import Base
from boxoffice.payments import models as payments
from boxoffice.payments import sandbox_models as razorpay_sandbox
from boxoffice.pricing import models as pricing

__all__ = [
    "Base",
    "accounts",
    "bookings",
    "catalogue",
    "idempotency",
    "payments",
    "pricing",
    "razorpay_sandbox",
]
