"""Several calls released at the same instant from threads of their own (a barrier), for the
races a test plays between server processes, workers and clients."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import httpx
from tests.support.http import loopback_client


def at_once(*calls: Callable[[], Any], seconds: float = 60) -> list[Any]:
    """Each call's result, in order: every call starts once all the threads are ready. A call
    that raised makes this raise it, once all have ended (a racer that may fail catches its
    own exception)."""
    barrier = threading.Barrier(len(calls))
    results: list[Any] = [None] * len(calls)
    errors: list[BaseException] = []

    def run(index: int, call: Callable[[], Any]) -> None:
        barrier.wait()
        try:
            results[index] = call()
        except BaseException as error:
            errors.append(error)

    threads = [threading.Thread(target=run, args=item) for item in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=seconds)
    assert not any(thread.is_alive() for thread in threads), "a racer never finished"
    if errors:
        raise errors[0]
    return results


def request(url: str, method: str, path: str, **options: Any) -> Callable[[], httpx.Response]:
    """A request to send later (in `at_once`), from a client of its own."""
    return through(url, lambda http: http.request(method, path, **options))


def through(url: str, call: Callable[[httpx.Client], Any]) -> Callable[[], Any]:
    """`call` made later (in `at_once`) with a client of its own for the server at `url`."""

    def send() -> Any:
        with loopback_client(base_url=url, timeout=30) as own:
            return call(own)

    return send


def hold_at(url: str, who: dict[str, str], show_id: str, seat_ids: list[str]) -> Callable[[], Any]:
    """A hold of these seats through the server at `url`, when `at_once` says."""
    body = {"show_id": show_id, "seat_ids": seat_ids}
    return request(url, "POST", "/api/v1/bookings", json=body, headers=who)
