"""Every table, imported in one place so that Alembic and the tests see the whole schema."""

from boxoffice import idempotency
from boxoffice.accounts import models as accounts
from boxoffice.bookings import models as bookings
from boxoffice.catalogue import models as catalogue
from boxoffice.db.base import Base
from boxoffice.invoicing import models as invoicing
from boxoffice.money import models as money
from boxoffice.notifications import models as notifications
from boxoffice.payments import models as payments
from boxoffice.pricing import models as pricing
from boxoffice.reports import models as reports
from boxoffice.staff import models as staff
from boxoffice.tickets import models as tickets

__all__ = [
    "Base",
    "accounts",
    "bookings",
    "catalogue",
    "idempotency",
    "invoicing",
    "money",
    "notifications",
    "payments",
    "pricing",
    "reports",
    "staff",
    "tickets",
]
