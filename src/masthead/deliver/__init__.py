"""Stage 6 — deliver: email the built issue to a list, once each (`masthead send`)."""

from masthead.deliver.config import MailSettings, SmtpSettings, mail_settings, smtp_settings
from masthead.deliver.errors import (
    ConnectError,
    JournalError,
    RecipientsError,
    SettingsError,
    SizeError,
    SmtpError,
)
from masthead.deliver.recipients import Recipient, RecipientList, read_recipients
from masthead.deliver.send import (
    SendPlan,
    SendProgress,
    SendReport,
    SendRequest,
    StopSignal,
    deliver,
    plan_send,
    write_dry_run,
)
from masthead.deliver.status import JournalStatus, journal_status
from masthead.deliver.transport import RetryPolicy, SmtpTransport

__all__ = [
    "ConnectError",
    "JournalError",
    "JournalStatus",
    "MailSettings",
    "Recipient",
    "RecipientList",
    "RecipientsError",
    "RetryPolicy",
    "SendPlan",
    "SendProgress",
    "SendReport",
    "SendRequest",
    "SettingsError",
    "SizeError",
    "SmtpError",
    "SmtpSettings",
    "SmtpTransport",
    "StopSignal",
    "deliver",
    "journal_status",
    "mail_settings",
    "plan_send",
    "read_recipients",
    "smtp_settings",
    "write_dry_run",
]
