"""Latency/status recording, percentiles, and CPU accounting from /proc (Linux only)."""

from __future__ import annotations

import os
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

CLK_TCK = os.sysconf("SC_CLK_TCK")


MAX_ITERATIONS = 200_000  # per client and phase, on top of the time bound


def window(keep_going: Callable[[], bool], limit: int = MAX_ITERATIONS) -> Iterator[int]:
    """A client's iterations in a timed phase: the first whatever the time, then while
    `keep_going()`, at most `limit`. A loaded machine (a test run beside the smoke bench) can
    spend a short window starting the clients, and a window with nothing in it measures nothing.
    """
    for iteration in range(limit):
        if iteration and not keep_going():
            return
        yield iteration


def before(deadline: float) -> Callable[[], bool]:
    return lambda: time.monotonic() < deadline


def percentile(sorted_values: list[float], q: float) -> float | None:
    """Nearest-rank percentile of an already sorted list (None when empty)."""
    if not sorted_values:
        return None
    rank = max(1, min(len(sorted_values), round(q / 100 * len(sorted_values) + 0.5)))
    return sorted_values[rank - 1]


def ms(value: float | None) -> float | None:
    return None if value is None else round(value * 1000, 2)


@dataclass
class Recorder:
    """Outcomes of one kind of request: status counts and latencies (seconds)."""

    latencies: list[float] = field(default_factory=list)
    statuses: Counter[str] = field(default_factory=Counter)
    starts: list[float] = field(default_factory=list)  # wall-clock start, when asked for
    samples: list[str] = field(default_factory=list)  # first few unexpected answers

    def add(self, status: int | str, latency: float, started: float | None = None) -> None:
        self.statuses[str(status)] += 1
        self.latencies.append(latency)
        if started is not None:
            self.starts.append(started)

    def note(self, text: str) -> None:
        if len(self.samples) < 5:
            self.samples.append(text[:300])

    @property
    def count(self) -> int:
        return sum(self.statuses.values())

    def errors(self) -> int:
        """5xx and transport failures (anything that is not a 2xx, 3xx or 4xx answer)."""
        return sum(n for s, n in self.statuses.items() if not (s.isdigit() and int(s) < 500))

    def summary(self, seconds: float) -> dict[str, Any]:
        ordered = sorted(self.latencies)
        return {
            "count": self.count,
            "per_second": round(self.count / seconds, 1) if seconds else None,
            "statuses": dict(sorted(self.statuses.items())),
            "errors": self.errors(),
            "p50_ms": ms(percentile(ordered, 50)),
            "p95_ms": ms(percentile(ordered, 95)),
            "p99_ms": ms(percentile(ordered, 99)),
            "max_ms": ms(ordered[-1] if ordered else None),
            **({"unexpected": self.samples} if self.samples else {}),
        }


def latency_summary(latencies: list[float]) -> dict[str, Any]:
    ordered = sorted(latencies)
    return {
        "count": len(ordered),
        "p50_ms": ms(percentile(ordered, 50)),
        "p95_ms": ms(percentile(ordered, 95)),
        "p99_ms": ms(percentile(ordered, 99)),
        "max_ms": ms(ordered[-1] if ordered else None),
    }


# --- CPU -----------------------------------------------------------------------------------------


def _stat_fields(pid: int) -> list[str] | None:
    try:
        raw = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    return raw[raw.rindex(")") + 2 :].split()  # fields after "pid (comm) "


def _cmdline(pid: int) -> str:
    try:
        return (
            Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        )
    except OSError:
        return ""


def _all_pids() -> list[int]:
    return [int(name) for name in os.listdir("/proc") if name.isdigit()]


def descendants(roots: list[int]) -> set[int]:
    parent_of: dict[int, int] = {}
    for pid in _all_pids():
        fields = _stat_fields(pid)
        if fields:
            parent_of[pid] = int(fields[1])
    found = set(roots)
    grew = True
    while grew:
        grew = False
        for pid, parent in parent_of.items():
            if parent in found and pid not in found:
                found.add(pid)
                grew = True
    return found


def _ticks(pid: int) -> int:
    fields = _stat_fields(pid)
    return int(fields[11]) + int(fields[12]) if fields else 0


def _reaped(pid: int) -> int:
    """CPU ticks of the process's children that ended and were waited for."""
    fields = _stat_fields(pid)
    return int(fields[13]) + int(fields[14]) if fields else 0


def _parent(pid: int) -> int:
    fields = _stat_fields(pid)
    return int(fields[1]) if fields else 0


def _machine() -> tuple[int, int]:
    parts = [int(x) for x in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    idle = parts[3] + parts[4]
    return sum(parts[:8]), idle


class CpuMeter:
    """CPU used per group of processes between start() and stop(), as % of one core.

    Groups: `api` (the server processes and their children), `postgres` (the backends serving the
    bench database), `pg_other` (every other PostgreSQL process: background writers and anyone
    else's sessions), `pg_ended` (PostgreSQL processes that ended during the phase, any
    database's: the backends of connections closed then, which the other groups cannot see
    once gone, read from what their postmaster reaped), `generator` (this process), `other`
    (the rest of the machine), and any `extra` group named by its root processes (e.g.
    `sandbox`: the standalone payment sandbox).
    """

    def __init__(
        self, api_roots: list[int], database: str, extra: dict[str, list[int]] | None = None
    ) -> None:
        self.api_roots = api_roots
        self.database = database
        self.extra = extra or {}

    def _groups(self) -> dict[str, set[int]]:
        api = descendants(self.api_roots) if self.api_roots else set()
        extra = {name: descendants(roots) for name, roots in self.extra.items()}
        mine = set().union(api, *extra.values())
        me = os.getpid()
        postgres: set[int] = set()
        pg_other: set[int] = set()
        for pid in _all_pids():
            fields = _stat_fields(pid)
            if not fields or pid in mine or pid == me:
                continue
            try:
                comm = Path(f"/proc/{pid}/comm").read_text().strip()
            except OSError:
                continue
            if comm.startswith("postgres") or _cmdline(pid).startswith("postgres"):
                (postgres if f" {self.database} " in _cmdline(pid) else pg_other).add(pid)
        everyone = postgres | pg_other
        postmasters = {pid for pid in everyone if _parent(pid) not in everyone}
        groups = {"api": api, "postgres": postgres, "pg_other": pg_other, "generator": {me}}
        return {**groups, "pg_ended": postmasters, **extra}

    def _sample(self) -> dict[str, dict[int, int]]:
        return {
            name: {pid: (_reaped if name == "pg_ended" else _ticks)(pid) for pid in pids}
            for name, pids in self._groups().items()
        }

    def start(self) -> None:
        self._t0 = time.monotonic()
        self._m0 = _machine()
        self._s0 = self._sample()

    def stop(self) -> dict[str, float]:
        s1 = self._sample()
        elapsed = time.monotonic() - self._t0
        m1 = _machine()
        result: dict[str, float] = {}
        for name, ticks in s1.items():
            before = self._s0.get(name, {})
            # Processes that started during the phase count from zero; ones that ended are lost.
            used = sum(t - before.get(pid, 0) for pid, t in ticks.items())
            result[name] = round(100 * used / CLK_TCK / elapsed, 1)
        api_before = self._s0.get("api", {})
        per_process = sorted(
            (
                round(100 * (t - api_before.get(pid, 0)) / CLK_TCK / elapsed, 1)
                for pid, t in s1["api"].items()
            ),
            reverse=True,
        )
        total, idle = m1[0] - self._m0[0], m1[1] - self._m0[1]
        cores = os.cpu_count() or 1
        busy = 100 * cores * (1 - idle / total) if total else 0.0
        result["machine_busy"] = round(busy, 1)
        result["other"] = round(
            max(0.0, busy - sum(v for k, v in result.items() if k != "machine_busy")), 1
        )
        result["cores"] = cores
        # Busy API processes, busiest first: shows how evenly the load was spread.
        result["api_processes"] = [p for p in per_process if p >= 1.0]  # type: ignore[assignment]
        return result
