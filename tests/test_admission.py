"""The sale path's admission: a rush waits its turn; only a saturated process sheds (429)."""

from __future__ import annotations

import asyncio

import pytest

from boxoffice.db.admission import Admission, Overloaded


def test_requests_wait_their_turn_and_only_past_the_queue_are_refused() -> None:
    async def scenario() -> list[str]:
        gate = Admission(capacity=1, max_waiting=2)
        order: list[str] = []
        release = asyncio.Event()

        async def request(name: str) -> None:
            async with gate.slot():
                order.append(name)
                await release.wait()

        first = asyncio.create_task(request("first"))
        await asyncio.sleep(0)
        waiting = [asyncio.create_task(request(f"waiting-{i}")) for i in range(2)]
        await asyncio.sleep(0)
        with pytest.raises(Overloaded) as refused:
            async with gate.slot():
                order.append("never")
        assert refused.value.status == 429 and refused.value.headers["Retry-After"] == "1"
        release.set()
        await asyncio.gather(first, *waiting)
        async with gate.slot():  # the queue drained: admitted again
            order.append("later")
        return order

    assert asyncio.run(scenario()) == ["first", "waiting-0", "waiting-1", "later"]
