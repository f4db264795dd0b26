"""What the live seat streams may take of a process (issue 22, item 2), on a real `boxoffice
serve` process and real sockets: streams per client address and per process (429 with
`Retry-After` past either), shows followed per process, a lifetime after which the client
resumes with `Last-Event-ID`, and file descriptors kept in reserve, so that `/health` and the
sale path answer while the process holds every stream it may.

Before, one client opened 3,000 streams, all 200; with 1,024 file descriptors the process then
answered nobody at all."""

from __future__ import annotations

import resource
import socket
import subprocess
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
from tests.api import guest, ready_show, register
from tests.catalogue.test_seat_stream import hold, statuses, subscribe
from tests.conftest import TEST_JWT_SECRET, TestDatabase, running_app
from tests.payments.checkout import eventually
from tests.support.http import loopback_client
from tests.support.servers import BOXOFFICE, REPO_ROOT, server_env
from tests.support.servers import Server as ServeProcess

FILE_LIMIT = 400  # the server's own file-descriptor limit in the process-limit test
WAIT_SECONDS = 10  # a test waits this long for an answer at most (no timing asserted)


@dataclass
class Server:
    url: str
    port: int
    opened: list[socket.socket] = field(default_factory=list)

    def stream(self, show_id: str, address: str) -> tuple[int, dict[str, str]]:
        """Opens a stream from `address` (through the trusted proxy) on a raw socket, kept open
        when it was answered 200; the status and headers."""
        sock = socket.create_connection(("127.0.0.1", self.port), timeout=WAIT_SECONDS)
        sock.sendall(
            f"GET /api/v1/shows/{show_id}/seats/stream HTTP/1.1\r\nHost: 127.0.0.1\r\n"
            f"X-Forwarded-For: {address}\r\n\r\n".encode()
        )
        head = b""
        while b"\r\n\r\n" not in head:
            chunk = sock.recv(65536)
            assert chunk, f"the server closed the connection without answering ({head!r})"
            head += chunk
        status_line, *lines = head.split(b"\r\n\r\n", 1)[0].decode("latin-1").split("\r\n")
        headers = {k.lower(): v.strip() for k, _, v in (line.partition(":") for line in lines)}
        status = int(status_line.split(" ", 2)[1])
        if status == 200:
            self.opened.append(sock)
        else:
            sock.close()
        return status, headers

    def close_all(self) -> None:
        for sock in self.opened:
            sock.close()
        self.opened.clear()


@contextmanager
def boxoffice_serve(
    db: TestDatabase, tmp_path: Path, file_limit: int | None = None, **settings: str
) -> Iterator[Server]:
    """`boxoffice serve` behind a trusted proxy at 127.0.0.1, with its limits on: it binds a
    port of its own (`--port 0`) and says which; its /health must name our instance id."""
    instance = uuid.uuid4().hex
    env = server_env(
        db.url,
        TEST_JWT_SECRET,
        RATE_LIMIT_ENABLED="true",
        TRUSTED_PROXIES="127.0.0.1",
        INSTANCE_ID=instance,
        **settings,
    )

    def limit_files() -> None:
        if file_limit is not None:
            resource.setrlimit(resource.RLIMIT_NOFILE, (file_limit, file_limit))

    log_path = tmp_path / "server.log"
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            [BOXOFFICE, "serve", "--port", "0"],
            env=env,
            cwd=REPO_ROOT,
            stdout=log,
            stderr=subprocess.STDOUT,
            preexec_fn=limit_files,
        )
    try:
        url = ServeProcess(process, log_path, instance).wait_until_up()
        server = Server(url, int(url.rsplit(":", 1)[1]))
        yield server
    finally:
        if "server" in locals():
            server.close_all()
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()


def assert_too_many_streams(status: int, headers: dict[str, str]) -> None:
    assert status == 429, (status, headers)
    assert headers["content-type"].startswith("application/problem+json")
    assert int(headers["retry-after"]) >= 1


def test_one_address_gets_its_streams_and_the_next_one_is_429(
    client: httpx.Client, admin: Any, db: TestDatabase, tmp_path: Path
) -> None:
    show = ready_show(client, admin)["id"]
    with boxoffice_serve(db, tmp_path, SEAT_STREAMS_PER_ADDRESS="4") as server:
        one_64 = [f"2001:db8:9:1::{n}" for n in range(1, 5)]  # one client, four addresses
        assert [server.stream(show, address)[0] for address in one_64] == [200] * 4

        assert_too_many_streams(*server.stream(show, "2001:db8:9:1:ffff::1"))
        assert server.stream(show, "2001:db8:9:2::1")[0] == 200  # the next /64 is someone else

        server.opened.pop(0).close()  # the client closes one: room for one more
        assert eventually(lambda: server.stream(show, one_64[0])[0] == 200)


def test_with_the_process_at_its_limit_health_and_the_sale_path_still_answer(
    client: httpx.Client, admin: Any, db: TestDatabase, tmp_path: Path
) -> None:
    show = ready_show(client, admin)
    reserve = 250  # of FILE_LIMIT: the streams may take the other 150
    with boxoffice_serve(
        db,
        tmp_path,
        file_limit=FILE_LIMIT,
        SEAT_STREAM_FD_RESERVE=str(reserve),
        SEAT_STREAMS_PER_ADDRESS="10",
    ) as server:
        answers = [server.stream(show["id"], f"198.51.100.{n // 10}")[0] for n in range(FILE_LIMIT)]
        assert answers == [200] * (FILE_LIMIT - reserve) + [429] * reserve

        with loopback_client(base_url=server.url, timeout=WAIT_SECONDS) as http:
            health = http.get("/health")
            assert health.status_code == 200 and health.json()["database"] == "up"
            seat_map = http.get(f"/api/v1/shows/{show['id']}/seats")
            assert seat_map.status_code == 200
            who, _ = guest(http)
            seat = seat_map.json()["seats"][0]["id"]
            held = http.post(
                "/api/v1/bookings", json={"show_id": show["id"], "seat_ids": [seat]}, headers=who
            )
            assert held.status_code == 201, held.text
        status, headers = server.stream(show["id"], "203.0.113.1")
        assert_too_many_streams(status, headers)


def test_a_process_follows_so_many_shows_and_makes_room_from_idle_ones(
    client: httpx.Client, admin: Any, db: TestDatabase, tmp_path: Path
) -> None:
    first, second, third = (ready_show(client, admin)["id"] for _ in range(3))
    with boxoffice_serve(db, tmp_path, SEAT_STREAM_SHOWS_PER_PROCESS="2") as server:
        assert server.stream(first, "192.0.2.1")[0] == 200
        assert server.stream(second, "192.0.2.2")[0] == 200
        assert_too_many_streams(*server.stream(third, "192.0.2.3"))

        server.opened.pop().close()  # nobody follows the second show any more
        assert eventually(lambda: server.stream(third, "192.0.2.3")[0] == 200)
        assert server.stream(first, "192.0.2.4")[0] == 200  # a show with a feed costs nothing


def test_a_stream_ends_after_its_lifetime_and_resumes_from_its_last_event_id(
    client: httpx.Client, admin: Any, db: TestDatabase
) -> None:
    show = ready_show(client, admin)
    seat_ids = [s["id"] for s in client.get(f"/api/v1/shows/{show['id']}/seats").json()["seats"]]
    with running_app(db.url, seat_stream_max_seconds=1) as server:
        with subscribe(server.url, show["id"]) as stream:
            snapshot = stream.next()
            assert snapshot is not None and snapshot.kind == "snapshot"
            assert stream.next() is None  # the server ended it
        # Held through the stream's own server, so that its map knows of the change at the
        # commit (another process hears of it only at its next version check, and the resumed
        # stream lives about a second: long enough for a replay, not for a poll under load).
        with loopback_client(base_url=server.url, timeout=30) as same_server:
            hold(same_server, register(client), show["id"], seat_ids[:1])
        with subscribe(server.url, show["id"], last_event_id=snapshot.id) as stream:
            missed = stream.next()
            assert missed is not None and statuses(missed) == {seat_ids[0]: "HELD"}
