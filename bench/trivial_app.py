"""The smallest ASGI app answering like the API does (JSON, 201 to POST): the ceiling of the
load generator plus uvicorn on this machine, with no framework and no database."""

from __future__ import annotations

from typing import Any

BODY = b'{"id":"00000000-0000-0000-0000-000000000000","status":"PENDING"}'


async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
    if scope["type"] == "lifespan":
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                await send({"type": "lifespan.shutdown.complete"})
                return
    more = True
    while more:
        message = await receive()
        more = message.get("more_body", False)
    status = 201 if scope["method"] == "POST" else 200
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", b"%d" % len(BODY)),
            ],
        }
    )
    await send({"type": "http.response.body", "body": BODY})
