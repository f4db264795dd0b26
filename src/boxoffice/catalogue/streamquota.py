"""How much of a process the live seat streams may take (issue 22: one client once opened 3,000
streams, the process ran out of file descriptors, and `/health` and every sale answered nobody).

A stream is a connection held open for minutes, so streams are counted and capped where they
are kept, in each process: per client address (`SEAT_STREAMS_PER_ADDRESS`, an IPv6 client by
its /64; lifted with `RATE_LIMIT_ENABLED=false`, like the other per-address limits) and in all
(`SEAT_STREAMS_PER_PROCESS`, and never more than the process's file-descriptor limit less
`SEAT_STREAM_FD_RESERVE`, which is kept for the database pool, `/health` and the sale path's
own connections). Past a cap the stream is a 429 with `Retry-After`; nothing else is refused.
How many shows a process follows is capped by `SeatFeeds` itself.
"""

from __future__ import annotations

import resource
from collections import Counter

from boxoffice.catalogue.errors import TooManyStreams
from boxoffice.config import Settings
from boxoffice.metrics import RATE_LIMITED

RETRY_AFTER_SECONDS = 30  # a hint: streams end when their clients leave, or at their lifetime


def stream_capacity(settings: Settings) -> int:
    """The streams this process may keep open: the setting, within the file descriptors the
    process may open less the reserve."""
    soft, _ = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft == resource.RLIM_INFINITY:
        return settings.seat_streams_per_process
    return max(0, min(settings.seat_streams_per_process, soft - settings.seat_stream_fd_reserve))


def refused(cap: str, detail: str) -> TooManyStreams:
    """The 429 for a stream over `cap` (address, process or shows), counted as such."""
    RATE_LIMITED.labels(f"seat_stream.{cap}").inc()
    return TooManyStreams(RETRY_AFTER_SECONDS, detail, cap=cap)


class StreamQuota:
    """The open streams of this process, by client."""

    def __init__(self, per_client: int | None, capacity: int) -> None:
        self.per_client = per_client  # None: no cap per client
        self.capacity = capacity
        self.open = 0
        self._by_client: Counter[str] = Counter()

    @classmethod
    def from_settings(cls, settings: Settings) -> StreamQuota:
        per_client = settings.seat_streams_per_address if settings.rate_limit_enabled else None
        return cls(per_client, stream_capacity(settings))

    def admit(self, client: str) -> None:
        """Counts a new stream of `client`; TooManyStreams (counting nothing) past a cap."""
        if self.per_client is not None and self._by_client[client] >= self.per_client:
            raise refused(
                "address",
                f"Your network address has {self.per_client} live seat streams open already; "
                "close one, or follow the seat map without a stream.",
            )
        if self.open >= self.capacity:
            raise refused(
                "process",
                "This server has as many live seat streams open as it can keep; retry later, "
                "or follow the seat map without a stream.",
            )
        self._by_client[client] += 1
        self.open += 1

    def release(self, client: str) -> None:
        self.open -= 1
        self._by_client[client] -= 1
        if self._by_client[client] <= 0:
            del self._by_client[client]
