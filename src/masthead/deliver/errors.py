"""Errors of the deliver stage: each one line with a hint, like every masthead error."""

from __future__ import annotations

from masthead.errors import InputError, MastheadError


class SettingsError(InputError):
    """Email or SMTP settings are missing or wrong (flag, environment or `[email]`)."""


class RecipientsError(InputError):
    """The recipients file cannot be used at all (a bad row is reported and skipped instead)."""


class SizeError(InputError):
    """A message would be larger than the limit for its recipients."""


class SmtpError(MastheadError):
    """The SMTP server cannot be used: unreachable, no TLS, a bad certificate, a refused login."""


class ConnectError(SmtpError):
    """The server could not be reached; worth retrying later in a run."""


class JournalError(MastheadError):
    """The send journal cannot be opened, or another `masthead send` holds it."""
