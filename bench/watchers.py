"""The live seat stream's subscribers, in a process of their own (`python -m bench.watchers`).

Run by the `stream` scenario (bench/run.py): it opens N `GET /shows/{id}/seats/stream` spread
over the servers, prints `ready` once every one has its snapshot, waits for `go` on stdin, then
probes for the given seconds and prints one JSON line of results. Kept apart from the process
that drives the hold storm, so that reading a thousand streams does not slow the storm's
generator (BENCHMARKING.md: the generator must not be what is measured); its own CPU is reported.

A probe holds one seat that the storm never touches (its own guest), notes when the 201 came
back, and each subscriber notes when a chunk naming that seat arrives: delivery latency, commit
to event on the client, as each of them saw it. Then it cancels and waits a little, so that each
probe's event is a fresh one. Every loop is bounded in count and time; traffic only to 127.0.0.1.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import resource
import sys
import time
from dataclasses import dataclass, field
from typing import Any

import aiohttp

from bench.stats import latency_summary

MAX_PROBES = 10_000
OPEN_TIMEOUT = 150.0  # seconds for all streams to get their snapshot
MAX_RECONNECTS = 20
PROBE_TIMEOUT = 3.0  # seconds a probe waits for every subscriber before counting misses


@dataclass
class Probe:
    seat: bytes = b""
    answered_at: float = 0.0
    seen: dict[int, float] = field(default_factory=dict)
    everyone: asyncio.Event = field(default_factory=asyncio.Event)  # every subscriber saw it


async def watch(config: dict[str, Any]) -> dict[str, Any]:
    urls: list[str] = config["urls"]
    show_id: str = config["show_id"]
    count: int = config["subscribers"]
    probe = Probe()
    opened = asyncio.Event()
    open_count = 0
    chunks = 0
    dropped = 0
    refused = 0  # connections refused or failed (each retried, as EventSource does)
    connector = aiohttp.TCPConnector(limit=0, ttl_dns_cache=None)
    timeout = aiohttp.ClientTimeout(total=None, sock_read=60)
    async with aiohttp.ClientSession(connector=connector, timeout=timeout) as http:

        async def subscriber(index: int) -> None:
            """One EventSource: reconnects (a bounded number of times) when refused or ended."""
            nonlocal open_count, chunks, dropped, refused
            url = f"{urls[index % len(urls)]}/api/v1/shows/{show_id}/seats/stream"
            counted = False
            for _ in range(MAX_RECONNECTS):
                try:
                    async with http.get(url) as response:
                        if response.status != 200:
                            refused += 1
                            await asyncio.sleep(0.5)
                            continue
                        async for chunk in response.content.iter_any():
                            now = time.monotonic()
                            chunks += 1
                            if not counted and b"event: snapshot" in chunk:
                                counted = True
                                open_count += 1
                                if open_count == count:
                                    opened.set()
                            if probe.seat and index not in probe.seen and probe.seat in chunk:
                                probe.seen[index] = now
                                if len(probe.seen) == count:
                                    probe.everyone.set()
                    dropped += 1  # the server ended it: only when dropped as too slow
                except (aiohttp.ClientError, OSError):
                    refused += 1
                    await asyncio.sleep(0.5)

        tasks = [asyncio.create_task(subscriber(i)) for i in range(count)]
        try:
            async with asyncio.timeout(OPEN_TIMEOUT):
                await opened.wait()
            print("ready", flush=True)
            await asyncio.get_running_loop().run_in_executor(None, sys.stdin.readline)
            cpu_before = _cpu_seconds()
            started = time.monotonic()
            latencies, missed, probes = await _probe(http, config, probe, count)
            elapsed = time.monotonic() - started
            cpu = _cpu_seconds() - cpu_before
        finally:
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
    return {
        "subscribers": count,
        "probes": probes,
        "deliveries": len(latencies),
        "missed": missed,
        "dropped_by_server": dropped,
        "refused_or_failed": refused,
        "chunks_received": chunks,
        "latency_from_201": latency_summary([max(0.0, value) for value in latencies]),
        "early_deliveries": sum(1 for value in latencies if value < 0),  # before the 201 arrived
        "watcher_cpu_pct_of_a_core": round(100 * cpu / elapsed, 1) if elapsed else None,
    }


async def _probe(
    http: aiohttp.ClientSession, config: dict[str, Any], probe: Probe, count: int
) -> tuple[list[float], int, int]:
    urls, seats, who = config["urls"], config["probe_seats"], config["probe_headers"]
    deadline = time.monotonic() + config["seconds"]
    latencies: list[float] = []
    missed = probes = 0
    for index in range(MAX_PROBES):
        if time.monotonic() >= deadline:
            break
        base = urls[index % len(urls)]
        seat = seats[index % len(seats)]
        probe.seen = {}
        probe.everyone.clear()
        probe.seat = seat.encode()
        body = {"show_id": config["show_id"], "seat_ids": [seat]}
        async with http.post(f"{base}/api/v1/bookings", json=body, headers=who) as response:
            answer = await response.read()
            probe.answered_at = time.monotonic()
        if response.status != 201:
            probe.seat = b""
            await asyncio.sleep(0.1)
            continue
        probes += 1
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(PROBE_TIMEOUT):
                await probe.everyone.wait()
        probe.seat = b""
        latencies += [seen - probe.answered_at for seen in probe.seen.values()]
        missed += count - len(probe.seen)
        booking = json.loads(answer)["id"]
        async with http.post(f"{base}/api/v1/bookings/{booking}/cancel", headers=who) as response:
            await response.read()
        await asyncio.sleep(0.05)
    return latencies, missed, probes


def _cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def main() -> None:
    config = json.loads(sys.argv[1])
    try:
        import uvloop

        result = uvloop.run(watch(config))
    except ImportError:
        result = asyncio.run(watch(config))
    print(json.dumps(result), flush=True)


if __name__ == "__main__":
    main()
