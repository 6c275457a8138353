"""SMTP transport: verified TLS (STARTTLS required, or implicit), AUTH, one connection reused,
and every failure sorted into "try again later", "this recipient failed" or "stop"."""

from __future__ import annotations

import contextlib
import random
import smtplib
import socket
import ssl
import time
from collections.abc import Callable
from dataclasses import dataclass

from masthead.deliver.config import SmtpSettings
from masthead.deliver.errors import ConnectError, SmtpError


class TemporaryFailure(Exception):
    """A 4xx reply or a dropped connection: the message was not accepted; try it again later."""

    def __init__(self, reply: str) -> None:
        super().__init__(reply)
        self.reply = reply  # Like "451 4.3.0 Try again later" or "connection dropped".


class PermanentFailure(Exception):
    """A 5xx reply for this recipient or message: it will not be accepted."""

    def __init__(self, reply: str) -> None:
        super().__init__(reply)
        self.reply = reply  # Like "550 5.1.1 No such user".


@dataclass(frozen=True)
class RetryPolicy:
    """Exponential backoff with jitter: try n waits about base * 2**(n-1), capped."""

    attempts: int = 5  # Tries per message (and reconnections in a row) before giving up.
    base: float = 2.0  # Seconds; tests pass a few milliseconds.
    cap: float = 120.0

    def delay(self, attempt: int, rand: Callable[[], float] = random.random) -> float:
        """Seconds to wait after failed try number `attempt` (1-based): half fixed, half random,
        so many senders retrying at once spread out."""
        ceiling = min(self.cap, self.base * 2 ** max(0, attempt - 1))
        return float(ceiling / 2 + rand() * ceiling / 2)


def _reply(code: int, message: bytes | str) -> str:
    text = message.decode("utf-8", "replace") if isinstance(message, bytes) else str(message)
    return f"{code} {' '.join(text.split())}".strip()


def _classify(code: int, message: bytes | str) -> Exception:
    reply = _reply(code, message)
    if 400 <= code < 500:
        return TemporaryFailure(reply)
    return PermanentFailure(reply)


class SmtpTransport:
    """One SMTP session at a time, reused for many messages and reopened when it drops."""

    def __init__(
        self,
        settings: SmtpSettings,
        *,
        messages_per_connection: int = 100,  # Many servers cap a session; reconnect before.
        local_hostname: str | None = None,
    ) -> None:
        self.settings = settings
        self.messages_per_connection = messages_per_connection
        self.local_hostname = local_hostname
        self._smtp: smtplib.SMTP | None = None
        self._count = 0

    @property
    def connected(self) -> bool:
        return self._smtp is not None

    def _context(self) -> ssl.SSLContext:
        ca = self.settings.ca_file
        try:
            return ssl.create_default_context(cafile=str(ca) if ca else None)
        except (OSError, ssl.SSLError) as exc:
            raise SmtpError(
                f"cannot load the CA file ({exc})",
                ca,
                hint="give a PEM file of the CA that signed the server's certificate",
            ) from exc

    def open(self) -> None:
        """Connect, secure and log in. Every failure is an SmtpError with a one-line reason;
        a ConnectError (unreachable) is worth retrying, the others are not."""
        self.close()
        s = self.settings
        where = f"{s.host}:{s.port}"
        context = self._context() if s.security != "none" else None
        try:
            if s.security == "ssl":
                smtp: smtplib.SMTP = smtplib.SMTP_SSL(
                    s.host,
                    s.port,
                    timeout=s.timeout,
                    context=context,
                    local_hostname=self.local_hostname,
                )
            else:
                smtp = smtplib.SMTP(
                    s.host, s.port, timeout=s.timeout, local_hostname=self.local_hostname
                )
        except ssl.SSLCertVerificationError as exc:
            raise _certificate_error(where, exc) from exc
        except ssl.SSLError as exc:
            raise SmtpError(
                f"TLS with {where} failed ({exc.reason or exc})",
                hint="port 465 speaks implicit TLS (--security ssl), 587 STARTTLS "
                "(--security starttls); check which one the server expects",
            ) from exc
        except smtplib.SMTPConnectError as exc:
            reply = _reply(exc.smtp_code, exc.smtp_error)
            raise ConnectError(
                f"{where} refused the session ({reply})", hint="try again later or check the server"
            ) from exc
        except (OSError, smtplib.SMTPException) as exc:
            raise ConnectError(
                f"cannot connect to {where} ({_describe(exc)})",
                hint="check --smtp-host and --smtp-port, and that the server is running",
            ) from exc
        try:
            smtp.ehlo()
            if s.security == "starttls":
                if not smtp.has_extn("starttls"):
                    raise SmtpError(
                        f"{where} does not offer STARTTLS, and masthead never sends mail or a "
                        "password unencrypted",
                        hint="use --security ssl if the server speaks implicit TLS (often port "
                        "465), or check --smtp-host and --smtp-port",
                    )
                smtp.starttls(context=context)
                smtp.ehlo()
            if s.user:
                if not smtp.has_extn("auth"):
                    raise SmtpError(
                        f"{where} does not offer AUTH, so user {s.user} cannot log in",
                        hint="leave out --smtp-user for a server that takes mail without a login",
                    )
                smtp.login(s.user, s.password)
        except ssl.SSLCertVerificationError as exc:
            _quietly_close(smtp)
            raise _certificate_error(where, exc) from exc
        except smtplib.SMTPAuthenticationError as exc:
            _quietly_close(smtp)
            raise SmtpError(
                f"{where} refused the login of {s.user} ({_reply(exc.smtp_code, exc.smtp_error)})",
                hint="check --smtp-user and $MASTHEAD_SMTP_PASSWORD",
            ) from exc
        except smtplib.SMTPNotSupportedError as exc:
            _quietly_close(smtp)
            raise SmtpError(f"{where}: {exc}", hint="check the server's settings") from exc
        except SmtpError:
            _quietly_close(smtp)
            raise
        except (OSError, smtplib.SMTPException) as exc:
            _quietly_close(smtp)
            raise ConnectError(
                f"the session with {where} failed ({_describe(exc)})", hint="try again later"
            ) from exc
        self._smtp = smtp
        self._count = 0

    def ensure_open(self) -> None:
        """Open a session unless one is open and has not yet carried its share of messages."""
        if self._smtp is None or self._count >= self.messages_per_connection:
            self.open()

    def send(self, sender: str, recipient: str, data: bytes) -> str:
        """Hand one message to the server. Returns its reply ("250 …"); raises
        TemporaryFailure, PermanentFailure, or SmtpError when the session itself is unusable
        (the sender refused, AUTH required)."""
        self.ensure_open()
        smtp = self._smtp
        assert smtp is not None
        try:
            smtp.sendmail(sender, [recipient], data)
        except smtplib.SMTPRecipientsRefused as exc:
            code, message = exc.recipients.get(recipient, (550, b"refused"))
            if code == 421:
                self.close()
            raise _classify(code, message) from exc
        except smtplib.SMTPSenderRefused as exc:
            if 400 <= exc.smtp_code < 500:
                if exc.smtp_code == 421:
                    self.close()
                raise TemporaryFailure(_reply(exc.smtp_code, exc.smtp_error)) from exc
            self.close()
            raise SmtpError(
                f"the server refused the sender {sender} ({_reply(exc.smtp_code, exc.smtp_error)})",
                hint="check --from, --smtp-user and whether the server needs a login",
            ) from exc
        except smtplib.SMTPDataError as exc:
            if exc.smtp_code == 421:
                self.close()
            raise _classify(exc.smtp_code, exc.smtp_error) from exc
        except smtplib.SMTPResponseException as exc:
            self.close()
            raise _classify(exc.smtp_code, exc.smtp_error) from exc
        except (smtplib.SMTPServerDisconnected, OSError) as exc:
            self.close()
            raise TemporaryFailure(f"connection dropped ({_describe(exc)})") from exc
        except smtplib.SMTPException as exc:
            self.close()
            raise TemporaryFailure(_describe(exc)) from exc
        self._count += 1
        return "250 accepted"

    def close(self) -> None:
        smtp, self._smtp = self._smtp, None
        if smtp is not None:
            try:
                smtp.quit()
            except (OSError, smtplib.SMTPException):
                _quietly_close(smtp)


def _describe(exc: BaseException) -> str:
    if isinstance(exc, socket.timeout | TimeoutError):
        return "timed out"
    if isinstance(exc, ConnectionRefusedError):
        return "connection refused"
    if isinstance(exc, socket.gaierror):
        return f"unknown host: {exc.strerror}"
    text = str(exc).strip()
    return text or type(exc).__name__


def _certificate_error(where: str, exc: ssl.SSLCertVerificationError) -> SmtpError:
    return SmtpError(
        f"the TLS certificate of {where} could not be verified ({exc.verify_message or exc})",
        hint="for a private server, pass --ca-file with the CA certificate that signed it",
    )


def _quietly_close(smtp: smtplib.SMTP) -> None:
    with contextlib.suppress(OSError):
        smtp.close()


class RateLimiter:
    """At most `rate` messages per second, spaced evenly."""

    def __init__(
        self,
        rate: float | None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.interval = 1.0 / rate if rate else 0.0
        self.clock = clock
        self._next = 0.0

    def wait_time(self) -> float:
        """Seconds until the next message may go (0 when it may go now)."""
        return max(0.0, self._next - self.clock())

    def started(self) -> None:
        """Call as a message starts: the next one may start `interval` seconds later."""
        self._next = max(self.clock(), self._next) + self.interval
