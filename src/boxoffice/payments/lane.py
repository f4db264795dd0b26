"""The webhook deliveries of an on-sale, answered in front of the router.

Razorpay sends every payment twice (`payment.captured`, `order.paid`) and again whenever an
answer is late, and the customer's verify usually settles the booking first: most deliveries
have nothing left to do. `WebhookLane` answers those from one statement
(`webhooks.already_done`: the signature checked first, then one round trip), without FastAPI's
routing, dependency solving and response model, which cost more than the statement. Every
other delivery (a bad signature or body, an event with work to do, a refund's) goes on to the
route, `POST /webhooks/razorpay`, with its body, and is answered there as before.
"""

from __future__ import annotations

from types import SimpleNamespace

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.types import ASGIApp, Receive, Scope, Send

from boxoffice.middleware import answer, replaying
from boxoffice.payments import webhooks

WEBHOOK_PATH = "/webhooks/razorpay"


class WebhookLane:
    def __init__(self, app: ASGIApp, prefix: str) -> None:
        self.app = app
        self.path = prefix + WEBHOOK_PATH
        self.route = SimpleNamespace(path=self.path)  # how the access log names the route

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] != "POST" or scope["path"] != self.path:
            await self.app(scope, receive, send)
            return
        request = Request(scope, receive)
        body = await request.body()  # bounded: BodySizeLimitMiddleware is outside
        state = request.app.state
        headers = request.headers

        try:
            outcome = await webhooks.already_done(
                state.engine,
                body,
                headers.get("x-razorpay-signature"),
                headers.get("x-razorpay-event-id"),
                state.clock.now(),
                state.provider,
            )
        except Exception as error:  # answered as the route would (a 503 problem, say)
            await answer(request, send, _raise(error))
            return
        if outcome is None:
            await self.app(scope, replaying({"type": "http.request", "body": body}, receive), send)
            return
        scope["route"] = self.route
        await JSONResponse({"status": outcome})(scope, request.receive, send)


async def _raise(error: Exception) -> Response:
    raise error
