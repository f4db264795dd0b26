"""The offline Razorpay sandbox: a test double of the external service, not booking logic.

It speaks the part of Razorpay's REST API the official SDK calls for us (orders, payments,
refunds; basic auth with the key id and secret), stands in for Checkout, and signs and sends
webhooks. `boxoffice.app` mounts `router` at /_sandbox/razorpay only with RAZORPAY_SANDBOX=true;
`create_sandbox_app` serves it alone (`boxoffice sandbox --port`). Nothing else in the
application imports it but the app factory and the command line, which switch it on.

- `api`: the routes (REST API, Checkout, test hooks); `routing`: auth, Razorpay's error shape,
  injected failures; `inputs`: the body checks;
- `orders`: orders and their payments; `refunds`: the refund state machine; `webhooks`: the
  events, signed and delivered; `entities`: Razorpay's ids and JSON;
- `repository`: the queries; `store`: where the state lives, the knobs and the keys;
- `models`, `migrations`, `migrate`: its own tables, metadata and Alembic lineage.
"""

from boxoffice.sandbox.api import router
from boxoffice.sandbox.app import create_sandbox_app

__all__ = ["create_sandbox_app", "router"]
