"""Every table, imported in one place so that Alembic and the tests see the whole schema: on the top
floor, since it imports every domain (`db/` imports none)."""

from boxoffice import idempotency
from boxoffice.accounts import models as accounts
from boxoffice.bookings import models as bookings
from boxoffice.catalogue import models as catalogue
from boxoffice.counter import models as counter
from boxoffice.db.base import Base
from boxoffice.invoicing import models as invoicing
from boxoffice.notifications import models as notifications
from boxoffice.payments import models as payments
from boxoffice.pricing import models as pricing
from boxoffice.queue import models as queue
from boxoffice.reports import models as reports
from boxoffice.staff import models as staff
from boxoffice.taxes import models as taxes
from boxoffice.tickets import models as tickets
from boxoffice.waitlist import models as waitlist

__all__ = [
    "Base",
    "accounts",
    "bookings",
    "catalogue",
    "counter",
    "idempotency",
    "invoicing",
    "notifications",
    "payments",
    "pricing",
    "queue",
    "reports",
    "staff",
    "taxes",
    "tickets",
    "waitlist",
]
