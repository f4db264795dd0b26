"""Domain events: how one domain reacts to another's change without importing it.

A service that changes state publishes an event (`await publish(session, event)`); every handler
subscribed to that event's type runs at once, in the same session and so in the same
transaction. A reaction therefore commits or rolls back with the change that caused it: a refund
is recorded only if the cancellation commits, a ticket exists only if the booking is BOOKED.

Domains depend one way (catalogue <- pricing <- bookings <- payments <- ...). The domain that
publishes defines its events and knows nothing of who listens; the domains that react subscribe
their handlers in `boxoffice.wiring`, the one place that knows them all, called once by the app
factory and the worker.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from types import SimpleNamespace
from typing import Any, TypeVar

from sqlalchemy.ext.asyncio import AsyncSession

E = TypeVar("E")
Handler = Callable[[AsyncSession, Any], Awaitable[None]]
When = Callable[[Any], bool]

_handlers: dict[type, list[tuple[Handler, When | None]]] = {}


def subscribe(
    event_type: type[E],
    handler: Callable[[AsyncSession, E], Awaitable[None]],
    when: Callable[[E], bool] | None = None,
) -> None:
    """Runs `handler` for every event of `event_type` that `when` accepts (every one, without
    a `when`); once, however often it is subscribed."""
    handlers = _handlers.setdefault(event_type, [])
    if all(subscribed is not handler for subscribed, _ in handlers):
        handlers.append((handler, when))


async def publish(session: AsyncSession, event: object) -> None:
    """Runs the event's handlers in order, in the caller's transaction; an error propagates and
    rolls the whole unit of work back."""
    for handler, when in _handlers.get(type(event), ()):
        if when is None or when(event):
            await handler(session, event)


def reacts(event_type: type, **fields: Any) -> bool:
    """Whether an event of `event_type` with these fields would run any handler, asked before
    the change: when none would, a publisher may make the change without a transaction of its
    own (the sale path's cancel of a hold, one statement in autocommit). A `when` that reads a
    field not given here counts as reacting."""
    probe = SimpleNamespace(**fields)
    for _handler, when in _handlers.get(event_type, ()):
        try:
            if when is None or when(probe):
                return True
        except AttributeError:
            return True
    return False
