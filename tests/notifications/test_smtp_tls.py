"""With credentials in `SMTP_URL`, the worker talks to the mail server only over TLS (issue 22,
item 9): `smtps://`, or `smtp://` with STARTTLS required, never opportunistic. A real SMTP
server on loopback (aiosmtpd) with a certificate of its own, trusted through `SMTP_CA_FILE`."""

from __future__ import annotations

import datetime as dt
import ipaddress
import ssl
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from tests.api import Headers
from tests.conftest import LiveServer
from tests.notifications.test_emails import Inbox, customer_with_email, worker_passes
from tests.support.ports import free_port  # aiosmtpd cannot say which port it bound
from tests.tickets.helpers import booked, show_soon

from boxoffice.clock import Clock

USER, PASSWORD = "mailer", "s3cret-relay-password"


@pytest.fixture(scope="module")
def certificate(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A self-signed certificate for 127.0.0.1: (certificate PEM, key PEM)."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "boxoffice test mail")])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    directory = tmp_path_factory.mktemp("smtp-tls")
    cert_file, key_file = directory / "cert.pem", directory / "key.pem"
    cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return cert_file, key_file


class Logins:
    """The credentials the server was sent, and whether over TLS."""

    def __init__(self) -> None:
        self.seen: list[tuple[str, bool]] = []

    def __call__(self, server: Any, session: Any, envelope: Any, mechanism: str, data: Any) -> Any:
        assert isinstance(data, LoginPassword)
        encrypted = server.transport.get_extra_info("ssl_object") is not None
        self.seen.append((data.login.decode(), encrypted))
        ok = (data.login.decode(), data.password.decode()) == (USER, PASSWORD)
        return AuthResult(success=ok)


@pytest.fixture
def mail_server(certificate: tuple[Path, Path]) -> Iterator[Any]:
    """Starts aiosmtpd as asked: `start(tls="starttls"|"implicit"|None)` → (inbox, logins,
    port)."""
    controllers: list[Controller] = []
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(*map(str, certificate))

    def start(tls: str | None) -> tuple[Inbox, Logins, int]:
        inbox, logins, port = Inbox(), Logins(), free_port()
        controller = Controller(
            inbox,
            hostname="127.0.0.1",
            port=port,
            ssl_context=context if tls == "implicit" else None,
            tls_context=context if tls == "starttls" else None,
            authenticator=logins,
            auth_require_tls=False,  # a careless server: only the client keeps the secret
        )
        controller.start()
        controllers.append(controller)
        return inbox, logins, port

    yield start
    for controller in controllers:
        controller.stop()


def send_one(
    client: httpx.Client, admin: Headers, live_server: LiveServer, smtp_url: str, ca: Path
) -> None:
    """A booking's confirmation, through one pass of the worker."""
    show = show_soon(client, admin)
    who, _ = customer_with_email(client)
    booked(client, who, show["id"], 1)
    worker_passes(live_server, Clock(), smtp_url=smtp_url, smtp_ca_file=ca)


@pytest.mark.parametrize(("tls", "scheme"), [("starttls", "smtp"), ("implicit", "smtps")])
def test_credentials_go_over_tls(
    client: httpx.Client,
    admin: Headers,
    live_server: LiveServer,
    mail_server: Any,
    certificate: tuple[Path, Path],
    tls: str,
    scheme: str,
) -> None:
    inbox, logins, port = mail_server(tls)
    url = f"{scheme}://{USER}:{PASSWORD}@127.0.0.1:{port}"
    send_one(client, admin, live_server, url, certificate[0])
    assert logins.seen == [(USER, True)]
    assert len(inbox.messages) == 1


def test_a_server_without_starttls_never_sees_the_credentials(
    client: httpx.Client,
    admin: Headers,
    live_server: LiveServer,
    mail_server: Any,
    certificate: tuple[Path, Path],
    db: Any,
) -> None:
    inbox, logins, port = mail_server(None)
    send_one(
        client, admin, live_server, f"smtp://{USER}:{PASSWORD}@127.0.0.1:{port}", certificate[0]
    )
    assert logins.seen == [] and inbox.messages == []
    ((status, error),) = db.query("SELECT status, last_error FROM outbox_emails")
    assert status == "PENDING" and "STARTTLS" in error  # retried later, as for a server down
    assert PASSWORD not in error


def test_a_certificate_nobody_vouches_for_is_refused(
    client: httpx.Client, admin: Headers, live_server: LiveServer, mail_server: Any, db: Any
) -> None:
    inbox, logins, port = mail_server("starttls")
    show = show_soon(client, admin)
    who, _ = customer_with_email(client)
    booked(client, who, show["id"], 1)
    worker_passes(live_server, Clock(), smtp_url=f"smtp://{USER}:{PASSWORD}@127.0.0.1:{port}")
    assert logins.seen == [] and inbox.messages == []
    ((status,),) = db.query("SELECT status FROM outbox_emails")
    assert status == "PENDING"
