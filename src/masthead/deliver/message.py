"""The message: text and HTML bodies from the theme, the issue attached, headers, DKIM, bytes."""

from __future__ import annotations

import base64
import datetime as dt
import re
import textwrap
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from email import policy
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from pathlib import Path
from urllib.parse import quote

import css_inline
import dkim

from masthead.deliver.config import MailSettings
from masthead.deliver.errors import SettingsError, SizeError
from masthead.deliver.recipients import EREADER_LIMITS_MB, Recipient
from masthead.model import Issue
from masthead.render.documents import theme_for
from masthead.render.theme import Theme

# Serialise once with CRLF line ends and long header lines kept whole (an unsubscribe URL
# folded or encoded is useless); these exact bytes are signed and sent.
SMTP_POLICY = policy.SMTP.clone(max_line_length=998)
MEDIA_TYPES = {"pdf": ("application", "pdf"), "epub": ("application", "epub+zip")}
FORMAT_NAMES = {"pdf": "a PDF", "epub": "an EPUB"}
TEMPLATES = ("email/subject.txt", "email/message.txt", "email/message.html")
MB = 1_000_000


@dataclass(frozen=True)
class Attachment:
    format: str  # "pdf" or "epub".
    path: Path  # The built file, like dist/the-lantern-vol-3-no-7.pdf.
    data: bytes = field(repr=False)

    @property
    def filename(self) -> str:
        return self.path.name


@dataclass(frozen=True)
class Outgoing:
    """One finished message: the bytes that are signed, written (dry run) and sent."""

    recipient: Recipient
    message_id: str  # Like "<177…@lantern.example.org>".
    subject: str
    data: bytes = field(repr=False)

    @property
    def size(self) -> int:
        return len(self.data)


def _stand_in(fmt: str) -> bytes:
    return f"masthead-attachment-{fmt}-0f6c2b9e".encode()


def _wrap(text: str, width: int = 72, indent: str = "", subsequent: str | None = None) -> str:
    return textwrap.fill(
        " ".join(str(text).split()),
        width=width,
        initial_indent=indent,
        subsequent_indent=indent if subsequent is None else subsequent,
        break_long_words=False,
        break_on_hyphens=False,
    )


_TITLES = {"dr", "mr", "mrs", "ms", "mx", "prof", "sir", "dame", "rev"}


def greeting(name: str) -> str:
    """ "Dear Ada," for Ada Lovelace; "Dear Dr Okafor," keeps a title with the surname; "Hello,"
    without a name (or with only an address where the name should be)."""
    words = name.replace(",", " ").split()
    if not words or "@" in name:
        return "Hello,"
    if words[0].rstrip(".").lower() in _TITLES:
        return f"Dear {' '.join([words[0], words[-1]]) if len(words) > 1 else words[0]},"
    return f"Dear {words[0]},"


def paragraphs(text: str) -> list[str]:
    """Plain text split at blank lines, each paragraph's lines joined."""
    return [" ".join(p.split()) for p in re.split(r"\n\s*\n", text.strip()) if p.strip()]


def email_theme(issue: Issue) -> Theme:
    """The issue's theme with the filters the email templates use."""
    theme = theme_for(issue)
    theme.env.filters.setdefault("wrap", _wrap)
    return theme


def limit_bytes(recipient: Recipient, mail: MailSettings) -> int:
    """The largest encoded message for `recipient`: the service's limit for Send to Kindle
    addresses (50 MB), else the publication's `limit_mb` / `email_limit_mb`."""
    return int(EREADER_LIMITS_MB.get(recipient.domain, mail.limit_mb) * MB)


class Composer:
    """Turns a recipient into finished, signed message bytes. Renders through the theme, so a
    publication can override `email/message.html`, `email/message.txt`, `email/subject.txt`."""

    def __init__(
        self,
        issue: Issue,
        mail: MailSettings,
        attachments: Mapping[str, Attachment],
        theme: Theme | None = None,
        clock: Callable[[], dt.datetime] = lambda: dt.datetime.now(dt.UTC),
    ) -> None:
        self.issue = issue
        self.mail = mail
        self.attachments = dict(attachments)
        self.theme = theme or email_theme(issue)
        self.theme.env.filters.setdefault("wrap", _wrap)
        self.clock = clock
        self._encoded_cache: dict[str, bytes] = {}
        self._inliner = css_inline.CSSInliner(keep_at_rules=True, load_remote_stylesheets=False)
        self._context: dict[str, object] = {
            "issue": issue,
            "publication": issue.publication,
            "info": issue.info,
            "sections": issue.sections,
            "articles": issue.articles,
            "cover_lines": issue.info.cover_lines or tuple(a.title for a in issue.articles[:3]),
            "note": paragraphs(mail.note),
            "sender": mail.sender,
        }
        if mail.dkim is not None:  # Fail on a bad key now, not at the first recipient.
            try:
                dkim.sign(
                    b"From: a@b.c\r\n\r\nx\r\n",
                    mail.dkim.selector.encode(),
                    mail.dkim.domain.encode(),
                    mail.dkim.key,
                )
            except (dkim.DKIMException, ValueError) as exc:
                raise SettingsError(
                    f"the DKIM key cannot sign: {exc}",
                    hint="check dkim_key (a PEM RSA or Ed25519 private key)",
                ) from exc

    def unsubscribe_url(self, recipient: Recipient) -> str:
        return self.mail.unsubscribe_url.replace("{email}", quote(recipient.email, safe="@"))

    def unsubscribe_mailto(self, recipient: Recipient) -> str:
        return self.mail.unsubscribe_mailto.replace("{email}", quote(recipient.email, safe="@"))

    def context(self, recipient: Recipient) -> dict[str, object]:
        missing = [f for f in recipient.formats if f not in self.attachments]
        if missing:
            raise SettingsError(f"no {missing[0].upper()} to attach for {recipient.email}")
        files = [self.attachments[f] for f in recipient.formats]
        names = [f"{FORMAT_NAMES[a.format]} ({a.filename})" for a in files]
        mailto = self.unsubscribe_mailto(recipient)
        return {
            **self._context,
            "recipient": recipient,
            "ereader": recipient.ereader,
            "attachments": files,
            "attachment_names": " and ".join(names),
            "unsubscribe_url": "" if recipient.ereader else self.unsubscribe_url(recipient),
            "unsubscribe_mailto": mailto,
            "unsubscribe_address": mailto.removeprefix("mailto:").split("?", 1)[0],
            "greeting": greeting(recipient.name),
        }

    def subject(self, context: dict[str, object]) -> str:
        if self.mail.subject:
            return self.mail.subject
        return " ".join(self.theme.render("email/subject.txt", **context).split())

    def bodies(self, recipient: Recipient) -> tuple[str, str, str]:
        """(subject, plain text, HTML with CSS inlined) for `recipient`."""
        context = self.context(recipient)
        subject = self.subject(context)
        text = self.theme.render("email/message.txt", subject=subject, **context)
        html = self.theme.render("email/message.html", subject=subject, **context)
        return subject, text, self._inliner.inline(html)

    def compose(self, recipient: Recipient, message_id: str | None = None) -> Outgoing:
        subject, text, html = self.bodies(recipient)
        msg = EmailMessage(policy=SMTP_POLICY)
        msg["From"] = self.mail.sender
        msg["To"] = Address(display_name=recipient.name, addr_spec=recipient.email)
        msg["Subject"] = subject
        msg["Date"] = format_datetime(self.clock())
        message_id = message_id or make_msgid(domain=self.mail.sender.domain.lower())
        msg["Message-ID"] = message_id
        if self.mail.reply_to:
            msg["Reply-To"] = self.mail.reply_to
        msg["List-Id"] = self.mail.list_id
        if not recipient.ereader:
            # RFC 2369 and RFC 8058: a one-click POST only with an https address.
            targets = [
                u
                for u in (self.unsubscribe_url(recipient), self.unsubscribe_mailto(recipient))
                if u
            ]
            if targets:
                msg["List-Unsubscribe"] = ", ".join(f"<{u}>" for u in targets)
            if self.mail.unsubscribe_url:
                msg["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
        msg.set_content(text, cte="quoted-printable")
        msg.add_alternative(html, subtype="html", cte="quoted-printable")
        for fmt in recipient.formats:
            attachment = self.attachments[fmt]
            maintype, subtype = MEDIA_TYPES[fmt]
            # A short stand-in body, swapped below for the file encoded once per run: the
            # email package re-encodes and re-splits a large payload on every message.
            msg.add_attachment(
                _stand_in(fmt),
                maintype=maintype,
                subtype=subtype,
                filename=attachment.filename,
                cte="base64",
            )
        data = msg.as_bytes(policy=SMTP_POLICY)
        for fmt in recipient.formats:
            token = base64.b64encode(_stand_in(fmt))
            assert data.count(token) == 1
            data = data.replace(token, self._encoded(fmt))
        if self.mail.dkim is not None:
            data = self.sign(data)
        return Outgoing(recipient, message_id, subject, data)

    def _encoded(self, fmt: str) -> bytes:
        """The attachment as base64 in 76-character CRLF lines (RFC 2045), without the last
        line end (the serialised stand-in is followed by one)."""
        if fmt not in self._encoded_cache:
            encoded = base64.encodebytes(self.attachments[fmt].data)  # 76 a line, "\n" ends.
            self._encoded_cache[fmt] = encoded.rstrip(b"\n").replace(b"\n", b"\r\n")
        return self._encoded_cache[fmt]

    def sign(self, data: bytes) -> bytes:
        """Prepend a DKIM-Signature over the exact bytes that will be sent."""
        key = self.mail.dkim
        assert key is not None
        signature = dkim.sign(
            data,
            key.selector.encode(),
            key.domain.encode(),
            key.key,
            include_headers=[h.encode() for h in key.headers],
            canonicalize=(b"relaxed", b"relaxed"),
        )
        return bytes(signature) + data

    def check_size(self, outgoing: Outgoing) -> None:
        """Refuse a message over its recipient's limit, saying what to do."""
        limit = limit_bytes(outgoing.recipient, self.mail)
        if outgoing.size > limit:
            raw = sum(self.attachments[f].path.stat().st_size for f in outgoing.recipient.formats)
            files = " and ".join(outgoing.recipient.formats).upper()
            raise SizeError(
                f"the message to {outgoing.recipient.email} would be "
                f"{outgoing.size / MB:.1f} MB encoded ({files}: {raw / MB:.1f} MB before "
                f"base64), over the {limit / MB:g} MB limit",
                hint="make the issue smaller (fewer or smaller images) or raise `limit_mb` in "
                "[email] / `email_limit_mb` if your mail server allows more",
            )
