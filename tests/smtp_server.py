"""A real SMTP server for the send tests: aiosmtpd on 127.0.0.1 with STARTTLS (or implicit TLS)
and AUTH, a throwaway CA from trustme, and faults to order: 451s, 550s, dropped connections,
slow replies. Everything it accepts is recorded and parsed back with the email package."""

from __future__ import annotations

import asyncio
import email
import socket
import ssl
import threading
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from email import policy
from email.message import EmailMessage
from pathlib import Path

import trustme
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

HOST = "127.0.0.1"
USER = "editor@lantern.example.org"
PASSWORD = "correct horse battery staple"


def free_port() -> int:
    """A port free on 127.0.0.1 right now (aiosmtpd's Controller cannot take port 0)."""
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return sock.getsockname()[1]


@dataclass
class Received:
    mail_from: str
    rcpt_tos: list[str]
    data: bytes
    connection: int  # Which login (so which connection) it came on, 1-based.

    @property
    def message(self) -> EmailMessage:
        return email.message_from_bytes(self.data, policy=policy.default)  # type: ignore[return-value]


@dataclass
class Recorder:
    """The aiosmtpd handler. Faults are set by the test before sending."""

    reject: set[str] = field(default_factory=set)  # 550 at RCPT for these addresses.
    busy: dict[str, int] = field(default_factory=dict)  # Address -> how many 451s at DATA first.
    drop_at: set[int] = field(default_factory=set)  # DATA numbers at which to hang up, unreplied.
    delay: float = 0.0  # Seconds to sit on each accepted message before replying 250.
    received: list[Received] = field(default_factory=list)
    data_commands: int = 0
    logins: list[str] = field(default_factory=list)  # One per connection: the client logs in.
    lock: threading.Lock = field(default_factory=threading.Lock)

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):  # noqa: ANN001
        if address.lower() in self.reject:
            return "550 5.1.1 No such user here"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):  # noqa: ANN001
        with self.lock:
            self.data_commands += 1
            number = self.data_commands
        if number in self.drop_at:
            server.transport.close()  # Hang up before replying: the client cannot know.
            return "421 4.4.2 closing"
        rcpt = envelope.rcpt_tos[0].lower()
        with self.lock:
            if self.busy.get(rcpt, 0) > 0:
                self.busy[rcpt] -= 1
                return "451 4.3.0 Mailbox busy, try again later"
            # Recorded before the slow part: a client killed while waiting for the reply has
            # had its message taken, and must report that recipient as "in doubt".
            self.received.append(
                Received(
                    envelope.mail_from, list(envelope.rcpt_tos), envelope.content, len(self.logins)
                )
            )
        if self.delay:
            await asyncio.sleep(self.delay)
        return "250 2.0.0 OK queued"

    def counts(self) -> Counter[str]:
        with self.lock:
            return Counter(r.rcpt_tos[0].lower() for r in self.received)

    def messages(self) -> dict[str, EmailMessage]:
        with self.lock:
            return {r.rcpt_tos[0].lower(): r.message for r in self.received}


@dataclass
class Server:
    host: str
    port: int
    recorder: Recorder
    ca_file: Path


class _Authenticator:
    def __init__(self, recorder: Recorder, user: str, password: str) -> None:
        self.recorder, self.user, self.password = recorder, user, password

    def __call__(self, server, session, envelope, mechanism, auth_data):  # noqa: ANN001
        ok = (
            isinstance(auth_data, LoginPassword)
            and auth_data.login.decode() == self.user
            and auth_data.password.decode() == self.password
        )
        if ok:
            with self.recorder.lock:
                self.recorder.logins.append(self.user)
            return AuthResult(success=True)
        # handled=False lets aiosmtpd answer 535; True would leave the client waiting.
        return AuthResult(success=False, handled=False)


@contextmanager
def certificate_authority(folder: Path) -> Iterator[tuple[trustme.CA, Path]]:
    ca = trustme.CA()
    ca_file = folder / "test-ca.pem"
    ca.cert_pem.write_to_path(str(ca_file))
    yield ca, ca_file


@contextmanager
def smtp_server(
    folder: Path,
    *,
    tls: str = "starttls",  # "starttls", "ssl" (implicit) or "none" (a server without STARTTLS).
    recorder: Recorder | None = None,
    user: str = USER,
    password: str = PASSWORD,
) -> Iterator[Server]:
    """Run aiosmtpd on 127.0.0.1 for the `with` block."""
    recorder = recorder or Recorder()
    with certificate_authority(folder) as (ca, ca_file):
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        ca.issue_cert(HOST, "localhost").configure_cert(context)
        options: dict[str, object] = {
            "authenticator": _Authenticator(recorder, user, password),
            "auth_required": True,
            # aiosmtpd cannot tell that an implicit-TLS connection is encrypted: only STARTTLS
            # counts for its check, so the check is on only for the STARTTLS server.
            "auth_require_tls": tls == "starttls",
        }
        if tls == "starttls":
            options.update(tls_context=context, require_starttls=True)
        elif tls == "ssl":
            options.update(ssl_context=context)
        port = free_port()
        controller = Controller(
            recorder,
            hostname=HOST,
            port=port,
            ready_timeout=10,
            server_hostname="localhost",
            **options,
        )
        controller.start()
        try:
            yield Server(HOST, port, recorder, ca_file)
        finally:
            controller.stop()
