"""Email and SMTP settings: command-line values over environment over `[email]`, checked once."""

from __future__ import annotations

import ipaddress
import os
import socket
from collections.abc import Mapping
from dataclasses import dataclass, field
from email.errors import HeaderParseError
from email.headerregistry import Address
from email.utils import parseaddr
from pathlib import Path
from typing import Any

from masthead.deliver.errors import SettingsError
from masthead.model import Issue
from masthead.settings import key_line, read_toml
from masthead.text import slugify

SECURITY_MODES = ("starttls", "ssl", "none")
DEFAULT_PORTS = {"starttls": 587, "ssl": 465, "none": 25}
PASSWORD_ENV = "MASTHEAD_SMTP_PASSWORD"
# Environment variables for the `[email]` keys a deployment tends to keep out of the repository.
ENV_KEYS = {
    "smtp_host": "MASTHEAD_SMTP_HOST",
    "smtp_port": "MASTHEAD_SMTP_PORT",
    "security": "MASTHEAD_SMTP_SECURITY",
    "smtp_user": "MASTHEAD_SMTP_USER",
    "ca_file": "MASTHEAD_CA_FILE",
    "from": "MASTHEAD_FROM",
    "dkim_key": "MASTHEAD_DKIM_KEY",
    "rate": "MASTHEAD_SMTP_RATE",
}
PATH_KEYS = {"dkim_key", "ca_file", "suppression"}
NUMBER_KEYS = {"smtp_port", "rate", "limit_mb"}
DEFAULT_DKIM_HEADERS = (
    "from",
    "to",
    "subject",
    "date",
    "message-id",
    "reply-to",
    "list-id",
    "list-unsubscribe",
    "list-unsubscribe-post",
    "mime-version",
    "content-type",
)


@dataclass(frozen=True)
class DkimSettings:
    """A DKIM signing key: the TXT record lives at `{selector}._domainkey.{domain}`."""

    selector: str  # Like "mail2026".
    domain: str  # Like "lantern.example.org"; the `d=` tag.
    key: bytes = field(repr=False)  # PEM private key (RSA or Ed25519).
    headers: tuple[str, ...] = DEFAULT_DKIM_HEADERS


@dataclass(frozen=True)
class MailSettings:
    """Everything about the message that is not per recipient."""

    sender: Address  # The From address, like The Lantern <editor@lantern.example.org>.
    reply_to: str = ""
    subject: str = ""  # Overrides the subject template when set.
    note: str = ""  # The sender's note: plain text, paragraphs split by blank lines.
    unsubscribe_url: str = ""  # https://…; "{email}" is replaced by the recipient's address.
    unsubscribe_mailto: str = ""  # Like "unsubscribe@lantern.example.org" or a mailto: URL.
    list_id: str = ""  # Like "The Lantern <the-lantern.lantern.example.org>".
    dkim: DkimSettings | None = None
    limit_mb: float = 10.0  # Largest encoded message; Send to Kindle addresses allow 50.
    suppression: tuple[Path, ...] = ()
    rate: float | None = None  # Messages per second; None sends as fast as the server takes.


@dataclass(frozen=True)
class SmtpSettings:
    host: str  # Like "smtp.example.org".
    port: int
    security: str  # "starttls", "ssl" (implicit TLS) or "none" (loopback only).
    user: str = ""
    password: str = field(default="", repr=False)
    ca_file: Path | None = None
    timeout: float = 60.0  # Seconds for the connection and for each reply.

    def describe(self) -> str:
        mode = {"starttls": "STARTTLS", "ssl": "TLS", "none": "no encryption"}[self.security]
        who = f" as {self.user}" if self.user else ""
        return f"{self.host}:{self.port} ({mode}){who}"


@dataclass(frozen=True)
class EmailTable:
    """The `[email]` table merged key by key: issue.toml's `[publication.email]` over
    publication.toml's `[email]`, each value remembering the file it came from."""

    values: dict[str, Any]
    sources: dict[str, tuple[Path, str]]  # key -> (file, its text) for error lines and paths.

    def where(self, key: str) -> tuple[Path | None, int | None]:
        if key not in self.sources:
            return None, None
        path, text = self.sources[key]
        return path, key_line(text, key)


def settings_files(issue: Issue) -> list[Path]:
    """The files that can hold `[email]`, least specific first (the same ones `load` reads)."""
    manifest = issue.source / "issue.toml"
    if manifest.is_file():
        return [p for p in (issue.source.parent / "publication.toml", manifest) if p.is_file()]
    shared = issue.source / "publication.toml"
    return [shared] if shared.is_file() else []


def email_table(issue: Issue) -> EmailTable:
    values: dict[str, Any] = {}
    sources: dict[str, tuple[Path, str]] = {}
    for path in settings_files(issue):
        data, text = read_toml(path)
        table = (
            data.get("email")
            if path.name == "publication.toml"
            else (data.get("publication", {}).get("email"))
        )
        if isinstance(table, dict):  # load() already checked the keys.
            for key, value in table.items():
                values[key] = value
                sources[key] = (path, text)
    return EmailTable(values, sources)


def _pick(
    key: str, cli: Mapping[str, Any], env: Mapping[str, str], table: EmailTable
) -> tuple[Any, str]:
    """The value for `key` and where it came from: "cli", "env" or "file"."""
    if cli.get(key) not in (None, ""):
        return cli[key], "cli"
    name = ENV_KEYS.get(key)
    if name and env.get(name, "").strip():
        return env[name].strip(), "env"
    if key in table.values:
        return table.values[key], "file"
    return None, ""


def _error(message: str, key: str, origin: str, table: EmailTable, hint: str) -> SettingsError:
    if origin == "file":
        path, line = table.where(key)
        return SettingsError(message, path, line, hint)
    if origin == "env":
        return SettingsError(f"{message} (from ${ENV_KEYS[key]})", hint=hint)
    return SettingsError(message, hint=hint)


def _string(key: str, cli: Mapping[str, Any], env: Mapping[str, str], table: EmailTable) -> str:
    value, origin = _pick(key, cli, env, table)
    if value is None:
        return ""
    if not isinstance(value, str):
        raise _error(f"`{key}` must be a string", key, origin, table, f'write it as {key} = "…"')
    return value.strip()


def _number(
    key: str, cli: Mapping[str, Any], env: Mapping[str, str], table: EmailTable
) -> float | None:
    value, origin = _pick(key, cli, env, table)
    if value is None:
        return None
    try:
        number = float(value) if not isinstance(value, bool) else float("nan")
    except (TypeError, ValueError):
        number = float("nan")
    if not number > 0:
        raise _error(
            f"`{key}` must be a positive number, not {value!r}",
            key,
            origin,
            table,
            f"write it as {key} = 10",
        )
    return number


def _paths(
    key: str, cli: Mapping[str, Any], env: Mapping[str, str], table: EmailTable
) -> tuple[Path, ...]:
    """One path or a list of paths; relative ones start at the folder of the file naming them."""
    value, origin = _pick(key, cli, env, table)
    items = value if isinstance(value, list | tuple) else [value] if value else []
    paths = []
    for item in items:
        if not isinstance(item, str | Path):
            raise _error(
                f"`{key}` must be a file path", key, origin, table, f'write {key} = "file"'
            )
        path = Path(item).expanduser()
        if origin == "file" and not path.is_absolute():
            path = table.sources[key][0].parent / path
        if not path.is_file():
            raise _error(
                f"`{key}` names a file that does not exist: {path}",
                key,
                origin,
                table,
                "check the path (relative paths start at the settings file's folder)",
            )
        paths.append(path)
    return tuple(paths)


def _path(
    key: str, cli: Mapping[str, Any], env: Mapping[str, str], table: EmailTable
) -> Path | None:
    paths = _paths(key, cli, env, table)
    return paths[0] if paths else None


def parse_sender(text: str) -> Address:
    """`The Lantern <editor@lantern.example.org>` or a bare address, checked."""
    from masthead.deliver.recipients import normalise_address

    name, addr = parseaddr(text)
    if not addr or "@" not in addr:
        raise ValueError(f"not an email address: {text!r}")
    addr = normalise_address(addr)
    try:
        return Address(display_name=name.strip(), addr_spec=addr)
    except (HeaderParseError, ValueError, IndexError) as exc:
        raise ValueError(f"not an email address: {text!r}") from exc


def mail_settings(
    issue: Issue,
    cli: Mapping[str, Any] | None = None,
    env: Mapping[str, str] | None = None,
) -> MailSettings:
    """The message settings for `issue`: values given in `cli` (None = not given) win over the
    environment, which wins over `[email]` in publication.toml / issue.toml."""
    cli = cli or {}
    env = os.environ if env is None else env
    table = email_table(issue)

    sender_text, origin = _pick("from", cli, env, table)
    if not sender_text:
        raise SettingsError(
            "no sender address",
            hint='pass --from "Name <you@example.org>" or set `from` in [email] of '
            "publication.toml",
        )
    try:
        sender = parse_sender(str(sender_text))
    except ValueError as exc:
        raise _error(str(exc), "from", origin, table, 'write it as "Name <address>"') from exc

    unsubscribe_url = _string("unsubscribe_url", cli, env, table)
    if unsubscribe_url and not unsubscribe_url.startswith("https://"):
        _, origin = _pick("unsubscribe_url", cli, env, table)
        raise _error(
            "`unsubscribe_url` must start with https://",
            "unsubscribe_url",
            origin,
            table,
            "one-click unsubscribe (RFC 8058) needs an https address",
        )
    reply_to = _string("reply_to", cli, env, table)
    mailto = _string("unsubscribe_mailto", cli, env, table)
    if not mailto and not unsubscribe_url:
        # Bulk mail needs a List-Unsubscribe (RFC 2369; Gmail and Yahoo require one): without
        # a configured address, unsubscribing is a message to whoever replies are read by.
        mailto = parseaddr(reply_to)[1] or sender.addr_spec
    if mailto and not mailto.startswith("mailto:"):
        mailto = f"mailto:{mailto}?subject=unsubscribe"

    list_id = _string("list_id", cli, env, table)
    if not list_id:
        domain = sender.domain.lower()
        list_id = f"{issue.publication.name} <{slugify(issue.publication.name)}.{domain}>"
    elif "<" not in list_id:
        list_id = f"{issue.publication.name} <{list_id}>"

    limit = _number("limit_mb", cli, env, table) or float(issue.publication.email_limit_mb)

    return MailSettings(
        sender=sender,
        reply_to=reply_to,
        subject=_string("subject", cli, env, table),
        note=_note(cli, env, table),
        unsubscribe_url=unsubscribe_url,
        unsubscribe_mailto=mailto,
        list_id=list_id,
        dkim=_dkim(cli, env, table, sender),
        limit_mb=limit,
        suppression=_paths("suppression", cli, env, table),
        rate=_number("rate", cli, env, table),
    )


def _note(cli: Mapping[str, Any], env: Mapping[str, str], table: EmailTable) -> str:
    if cli.get("note_file"):
        path = Path(cli["note_file"])
        try:
            return path.read_text(encoding="utf-8").strip()
        except (OSError, UnicodeDecodeError) as exc:
            raise SettingsError(
                f"cannot read the note ({exc})", path, hint="give a UTF-8 text file"
            ) from exc
    return _string("note", cli, env, table)


def _dkim(
    cli: Mapping[str, Any], env: Mapping[str, str], table: EmailTable, sender: Address
) -> DkimSettings | None:
    key_path = _path("dkim_key", cli, env, table)
    selector = _string("dkim_selector", cli, env, table)
    if key_path is None:
        if selector:
            _, origin = _pick("dkim_selector", cli, env, table)
            raise _error(
                "`dkim_selector` is set but `dkim_key` is not",
                "dkim_selector",
                origin,
                table,
                "set dkim_key to the PEM file of the private key",
            )
        return None
    if not selector:
        raise SettingsError("DKIM needs a selector", hint="set `dkim_selector` in [email]")
    key = key_path.read_bytes()
    if b"PRIVATE KEY" not in key:
        raise SettingsError(
            "is not a PEM private key",
            key_path,
            hint="give the private key file (-----BEGIN … PRIVATE KEY-----)",
        )
    domain = _string("dkim_domain", cli, env, table) or sender.domain.lower()
    return DkimSettings(selector=selector, domain=domain, key=key)


def smtp_settings(
    issue: Issue,
    cli: Mapping[str, Any] | None = None,
    env: Mapping[str, str] | None = None,
    password: str | None = None,
) -> SmtpSettings:
    """Where to send: `cli` over environment over `[email]`. The password comes only from
    `password` (a prompt) or $MASTHEAD_SMTP_PASSWORD, never from a file or a flag."""
    cli = cli or {}
    env = os.environ if env is None else env
    table = email_table(issue)
    host = _string("smtp_host", cli, env, table)
    if not host:
        raise SettingsError(
            "no SMTP server",
            hint="pass --smtp-host (or set `smtp_host` in "
            "[email], or $MASTHEAD_SMTP_HOST), or use --dry-run DIR",
        )
    security = _string("security", cli, env, table).lower() or "starttls"
    if security not in SECURITY_MODES:
        _, origin = _pick("security", cli, env, table)
        raise _error(
            f"unknown security mode '{security}'",
            "security",
            origin,
            table,
            "use starttls, ssl or none",
        )
    if security == "none" and not is_loopback(host):
        raise SettingsError(
            f"--security none is refused for {host}: mail and password would cross the network "
            "unencrypted",
            hint="use starttls or ssl (none is only for a server on this machine)",
        )
    port = _number("smtp_port", cli, env, table)
    if port is not None and (port != int(port) or not 0 < port < 65536):
        _, origin = _pick("smtp_port", cli, env, table)
        raise _error(
            f"`smtp_port` is not a port: {port}",
            "smtp_port",
            origin,
            table,
            "use 587 for starttls, 465 for ssl",
        )
    user = _string("smtp_user", cli, env, table)
    secret = password if password is not None else env.get(PASSWORD_ENV, "")
    if user and not secret:
        raise SettingsError(
            f"no password for SMTP user {user}",
            hint=f"set ${PASSWORD_ENV} (passwords are never read from flags or files)",
        )
    return SmtpSettings(
        host=host,
        port=int(port) if port is not None else DEFAULT_PORTS[security],
        security=security,
        user=user,
        password=secret if user else "",
        ca_file=_path("ca_file", cli, env, table),
    )


def smtp_login(
    issue: Issue, cli: Mapping[str, Any] | None = None, env: Mapping[str, str] | None = None
) -> str:
    """The SMTP login name, "" for none: the CLI asks for a password only when there is one."""
    env = os.environ if env is None else env
    return _string("smtp_user", cli or {}, env, email_table(issue))


def is_loopback(host: str) -> bool:
    """True when every address `host` names is on this machine (127.0.0.0/8, ::1)."""
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        pass
    try:
        infos = socket.getaddrinfo(host, None)
    except OSError:
        return False
    addresses = {info[4][0] for info in infos}
    return bool(addresses) and all(
        ipaddress.ip_address(str(a).split("%")[0]).is_loopback for a in addresses
    )
