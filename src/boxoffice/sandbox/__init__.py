"""The offline Razorpay sandbox: a test double of the external service, not booking logic.

It speaks the part of Razorpay's REST API the official SDK calls for us (orders, payments,
refunds; basic auth with the key id and secret), stands in for Checkout, and signs and sends
webhooks. `boxoffice.app` mounts `router` at /_sandbox/razorpay when no real keys are set;
`create_sandbox_app` serves it alone (`boxoffice sandbox --port`). See `api` for the endpoints
and test hooks, `store` for where the state lives.
"""

from boxoffice.sandbox.api import router
from boxoffice.sandbox.app import create_sandbox_app

__all__ = ["create_sandbox_app", "router"]
