"""`masthead send`, piece by piece and offline: recipients, settings, the message, the journal,
retry timing, and the decision to rebuild. The real-server tests are in test_send.py."""

from __future__ import annotations

import email
import os
import time
from email import policy
from pathlib import Path

import dkim
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from masthead.build import prepare
from masthead.deliver import (
    JournalError,
    RecipientsError,
    SendRequest,
    SettingsError,
    SizeError,
    SmtpError,
    StopSignal,
    deliver,
    mail_settings,
    plan_send,
    read_recipients,
    smtp_settings,
)
from masthead.deliver.config import is_loopback
from masthead.deliver.journal import Journal, read_journal
from masthead.deliver.message import Attachment, Composer
from masthead.deliver.outputs import ensure_outputs, outdated, output_paths
from masthead.deliver.recipients import Recipient, read_suppression
from masthead.deliver.transport import (
    PermanentFailure,
    RateLimiter,
    RetryPolicy,
    TemporaryFailure,
)

SENDER = "The Lantern <editor@lantern.example.org>"


def tiny_issue(root: Path, email_table: str = "") -> Path:
    """A publication with a one-article issue: fast to load and to build."""
    (root / "publication.toml").write_text(
        'name = "The Lantern"\nlanguage = "en-GB"\nurl = "https://lantern.example.org"\n'
        + email_table
    )
    issue = root / "no-1"
    issue.mkdir()
    (issue / "issue.toml").write_text(
        '[issue]\nnumber = 1\ntitle = "First Light"\ndate = 2026-11-01\n'
        'cover_lines = ["Dawn, counted"]\n'
        '[[sections]]\ntitle = "Features"\narticles = ["dawn.md"]\n'
    )
    (issue / "dawn.md").write_text(
        "---\ntitle: Counting the Dawn\ndek: Who gets up first, and why.\n"
        "authors: [Isla Penrose]\nurl: https://lantern.example.org/dawn\n---\n\nBody text.\n"
    )
    return issue


def write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


# Recipients ------------------------------------------------------------------------------


def test_bad_rows_are_reported_with_line_numbers_and_skipped(tmp_path: Path) -> None:
    csv = write(
        tmp_path / "subscribers.csv",
        (
            "email,name,format\n"
            "ada@example.org,Ada Lovelace,pdf\n"
            "\n"
            "# a comment\n"
            "not-an-address,Nobody,\n"
            "bob@@example.org,Bob,\n"
            ",No address,\n"
            "cara@example.org,Cara,paper\n"
            "Dev@EXAMPLE.org,Dev,both\n"
        ),
    )
    result = read_recipients(csv)
    assert [r.email for r in result.recipients] == ["ada@example.org", "Dev@example.org"]
    assert [(s.line, s.reason.split(":")[0]) for s in result.invalid] == [
        (5, "invalid address"),
        (6, "invalid address"),
        (7, "no email address"),
        (8, "unknown format 'paper' (use pdf, epub or both)"),
    ]
    assert result.recipients[1].format == "both"
    assert result.recipients[1].line == 9


def test_addresses_are_normalised_and_deduplicated_ignoring_case(tmp_path: Path) -> None:
    csv = write(
        tmp_path / "s.csv",
        (
            "\ufeffEmail;Name\n"  # A spreadsheet's BOM and semicolons.
            "Ada@Example.ORG;Ada\n"
            " ada@example.org ;Ada again\n"
            "Grace Hopper <GRACE@example.org>;\n"
            '"reader@Kindle.com";\n'
        ),
    )
    result = read_recipients(csv)
    assert [(r.email, r.name, r.format) for r in result.recipients] == [
        ("Ada@example.org", "Ada", "pdf"),
        ("GRACE@example.org", "Grace Hopper", "pdf"),
        ("reader@kindle.com", "", "epub"),  # An e-reader address gets the EPUB by default.
    ]
    assert [(d.line, d.reason) for d in result.duplicates] == [(3, "duplicate of line 2")]
    assert result.recipients[2].ereader and not result.recipients[0].ereader


def test_suppression_lists_are_honoured(tmp_path: Path) -> None:
    plain = write(tmp_path / "unsubscribed.txt", "# unsubscribed\nBOB@example.org\n\n")
    exported = write(tmp_path / "bounces.csv", "Email,Reason\ncara@EXAMPLE.org,hard bounce\n")
    suppressed = read_suppression([plain, exported])
    assert suppressed == {"bob@example.org", "cara@example.org"}
    csv = write(tmp_path / "s.csv", "email\nada@example.org\nbob@example.org\nCara@example.org\n")
    result = read_recipients(csv, suppressed)
    assert [r.email for r in result.recipients] == ["ada@example.org"]
    assert [(s.line, s.reason) for s in result.suppressed] == [
        (3, "on the suppression list"),
        (4, "on the suppression list"),
    ]


def test_a_list_without_an_email_column_is_an_error(tmp_path: Path) -> None:
    csv = write(tmp_path / "s.csv", "name,format\nAda,pdf\n")
    with pytest.raises(RecipientsError) as caught:
        read_recipients(csv)
    assert "s.csv:1: has no `email` column" in str(caught.value)


# Settings --------------------------------------------------------------------------------


def test_settings_come_from_flags_then_environment_then_publication(tmp_path: Path) -> None:
    write(tmp_path / "key.pem", "-----BEGIN PRIVATE KEY-----\n")
    write(tmp_path / "gone.txt", "gone@example.org\n")
    folder = tiny_issue(
        tmp_path,
        (
            "[email]\n"
            'from = "The Lantern <editor@lantern.example.org>"\n'
            'smtp_host = "smtp.lantern.example.org"\n'
            "smtp_port = 2525\n"
            'smtp_user = "editor"\n'
            'suppression = "gone.txt"\n'
            'unsubscribe_mailto = "leave@lantern.example.org"\n'
        ),
    )
    issue, _ = prepare(folder)
    mail = mail_settings(issue, {}, {})
    assert str(mail.sender) == SENDER
    assert mail.suppression == (tmp_path / "gone.txt",)  # Relative to publication.toml.
    assert mail.unsubscribe_mailto == "mailto:leave@lantern.example.org?subject=unsubscribe"
    assert mail.list_id == "The Lantern <the-lantern.lantern.example.org>"

    env = {"MASTHEAD_SMTP_HOST": "env.example.org", "MASTHEAD_SMTP_PASSWORD": "s3cret"}
    smtp = smtp_settings(issue, {"smtp_port": 587}, env)
    assert (smtp.host, smtp.port, smtp.security, smtp.user) == (
        "env.example.org",
        587,
        "starttls",
        "editor",
    )
    assert "s3cret" not in repr(smtp)
    smtp = smtp_settings(issue, {"smtp_host": "flag.example.org"}, env)
    assert (smtp.host, smtp.port) == ("flag.example.org", 2525)
    with pytest.raises(SettingsError, match="no password for SMTP user editor"):
        smtp_settings(issue, {}, {})


@pytest.mark.parametrize("host", ["127.0.0.1", "localhost", "::1", "127.0.0.53"])
def test_security_none_is_allowed_on_loopback(tmp_path: Path, host: str) -> None:
    issue, _ = prepare(tiny_issue(tmp_path))
    smtp = smtp_settings(issue, {"smtp_host": host, "security": "none"}, {})
    assert smtp.port == 25 and is_loopback(host)


def test_security_none_is_refused_for_any_other_host(tmp_path: Path) -> None:
    issue, _ = prepare(tiny_issue(tmp_path))
    for host in ("smtp.example.org", "192.168.1.10"):
        with pytest.raises(SettingsError, match="--security none is refused"):
            smtp_settings(issue, {"smtp_host": host, "security": "none"}, {})


def test_bad_settings_name_the_file_and_line(tmp_path: Path) -> None:
    folder = tiny_issue(
        tmp_path,
        '[email]\nfrom = "x <e@example.org>"\nunsubscribe_url = "http://lantern.example.org/u"\n',
    )
    issue, _ = prepare(folder)
    with pytest.raises(SettingsError) as caught:
        mail_settings(issue, {}, {})
    assert f"{tmp_path / 'publication.toml'}:6:" in str(caught.value)
    assert "https" in str(caught.value)
    other = tmp_path / "other"
    other.mkdir()
    with pytest.raises(SettingsError, match="no sender address"):
        mail_settings(prepare(tiny_issue(other))[0], {}, {})


# The message -----------------------------------------------------------------------------


def composer(tmp_path: Path, issue_folder: Path | None = None, **settings: object) -> Composer:
    issue, _ = prepare(issue_folder or tiny_issue(tmp_path))
    mail = mail_settings(issue, {"from": SENDER, **settings}, {})
    files = {
        "pdf": Attachment("pdf", tmp_path / "issue.pdf", b"%PDF-1.7 fake " * 100),
        "epub": Attachment("epub", tmp_path / "issue.epub", b"PK fake epub " * 100),
    }
    for attachment in files.values():
        attachment.path.write_bytes(attachment.data)
    return Composer(issue, mail, files)


def parse(data: bytes) -> email.message.EmailMessage:
    return email.message_from_bytes(data, policy=policy.default)  # type: ignore[return-value]


def test_message_headers_bodies_and_attachment(tmp_path: Path) -> None:
    c = composer(
        tmp_path,
        unsubscribe_url="https://lantern.example.org/u?e={email}",
        unsubscribe_mailto="leave@lantern.example.org",
        note="Welcome.\n\nSecond para.",
    )
    out = c.compose(Recipient("ada@example.org", "Ada Lovelace", "pdf"))
    msg = parse(out.data)
    assert b"\r\n" in out.data and out.data.count(b"\n") == out.data.count(b"\r\n")
    assert msg["From"] == SENDER
    assert msg["To"] == "Ada Lovelace <ada@example.org>"
    assert msg["Subject"] == "The Lantern, No. 1: First Light (November 2026)"
    assert msg["Message-ID"] == out.message_id and out.message_id.endswith("@lantern.example.org>")
    assert msg["Date"]
    assert msg["List-Id"] == "The Lantern <the-lantern.lantern.example.org>"
    assert msg["List-Unsubscribe"] == (
        "<https://lantern.example.org/u?e=ada@example.org>, "
        "<mailto:leave@lantern.example.org?subject=unsubscribe>"
    )
    assert msg["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert msg.get_content_type() == "multipart/mixed"
    text = msg.get_body(("plain",)).get_content()
    html = msg.get_body(("html",)).get_content()
    for body in (text, html):
        assert "Dear Ada," in body  # The given name, as a newsletter greets.
        assert "Counting the Dawn" in body and "Who gets up first, and why." in body
        assert "Second para." in body
        # The cover lines stay on the cover: the contents names each article once.
        assert "Dawn, counted" not in body
        assert "https://lantern.example.org/u?e=ada@example.org" in body
    assert 'style="' in html and "<link" not in html  # CSS inlined, nothing remote.
    (attachment,) = msg.iter_attachments()
    assert attachment.get_content_type() == "application/pdf"
    assert attachment.get_filename() == "issue.pdf"
    assert attachment.get_content() == c.attachments["pdf"].data


def test_the_contents_labels_are_in_the_issues_language(tmp_path: Path) -> None:
    folder = tiny_issue(tmp_path)
    toml = tmp_path / "publication.toml"
    toml.write_text(toml.read_text().replace('language = "en-GB"', 'language = "de"'))
    msg = parse(composer(tmp_path, folder).compose(Recipient("ada@example.org", "Ada")).data)
    text = msg.get_body(("plain",)).get_content()
    html = msg.get_body(("html",)).get_content()
    assert "IN DIESER AUSGABE" in text and "In dieser Ausgabe" in html
    for body in (text, html):
        assert "Von Isla Penrose" in body and "Min. Lesezeit" in body
        assert "In this issue" not in body and "By Isla" not in body
    assert "Nr. 1" in html


def test_ereader_delivery_has_the_epub_and_no_unsubscribe_headers(tmp_path: Path) -> None:
    c = composer(tmp_path, unsubscribe_url="https://lantern.example.org/u?e={email}")
    msg = parse(c.compose(Recipient("reader@kindle.com", "", "epub")).data)
    assert "List-Unsubscribe" not in msg and "List-Unsubscribe-Post" not in msg
    assert [a.get_content_type() for a in msg.iter_attachments()] == ["application/epub+zip"]
    assert "Hello," in msg.get_body(("plain",)).get_content()


def test_mailto_only_unsubscribe_has_no_one_click_post(tmp_path: Path) -> None:
    c = composer(tmp_path, unsubscribe_mailto="leave@lantern.example.org")
    msg = parse(c.compose(Recipient("ada@example.org", "", "both")).data)
    assert msg["List-Unsubscribe"].startswith("<mailto:leave@")
    assert "List-Unsubscribe-Post" not in msg
    assert [a.get_content_type() for a in msg.iter_attachments()] == [
        "application/pdf",
        "application/epub+zip",
    ]


def test_without_unsubscribe_settings_replies_unsubscribe(tmp_path: Path) -> None:
    c = composer(tmp_path, reply_to="Letters <letters@lantern.example.org>")
    msg = parse(c.compose(Recipient("ada@example.org")).data)
    assert msg["Reply-To"] == "Letters <letters@lantern.example.org>"
    assert msg["List-Unsubscribe"] == "<mailto:letters@lantern.example.org?subject=unsubscribe>"
    assert "List-Unsubscribe-Post" not in msg
    assert "write to letters@lantern.example.org" in msg.get_body(("plain",)).get_content()


def test_a_publication_overrides_email_templates_by_file_name(tmp_path: Path) -> None:
    folder = tiny_issue(tmp_path)
    (tmp_path / "templates" / "email").mkdir(parents=True)
    write(tmp_path / "templates" / "email" / "subject.txt", "Fresh: {{ info.title }}\n")
    c = composer(tmp_path, folder)
    assert parse(c.compose(Recipient("ada@example.org")).data)["Subject"] == "Fresh: First Light"


def test_dkim_signs_the_bytes_that_are_sent(tmp_path: Path) -> None:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    (tmp_path / "dkim.pem").write_bytes(pem)
    c = composer(
        tmp_path,
        dkim_key=str(tmp_path / "dkim.pem"),
        dkim_selector="s1",
        unsubscribe_url="https://lantern.example.org/u?e={email}",
    )
    data = c.compose(Recipient("ada@example.org", "Ada")).data
    assert data.startswith(b"DKIM-Signature:")
    public = key.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    record = b"v=DKIM1; k=rsa; p=" + __import__("base64").b64encode(public)

    def dns(name: bytes, timeout: int = 5) -> bytes:
        assert name == b"s1._domainkey.lantern.example.org."
        return record

    assert dkim.verify(data, dnsfunc=dns)
    signed = parse(data)["DKIM-Signature"]
    assert "list-unsubscribe-post" in signed.lower()
    assert not dkim.verify(data.replace(b"Subject: The", b"Subject: A"), dnsfunc=dns)


def test_size_guard_refuses_with_a_clear_message(tmp_path: Path) -> None:
    c = composer(tmp_path, limit_mb=0.001)
    out = c.compose(Recipient("ada@example.org"))
    with pytest.raises(SizeError) as caught:
        c.check_size(out)
    assert "over the 0.001 MB limit" in str(caught.value)
    assert "limit_mb" in str(caught.value)
    c.check_size(c.compose(Recipient("reader@kindle.com", "", "epub")))  # 50 MB for Kindle.


# Retry timing, rate, journal -------------------------------------------------------------


def test_backoff_doubles_with_jitter_and_a_cap() -> None:
    policy_ = RetryPolicy(base=1.0, cap=10.0)
    assert [policy_.delay(n, lambda: 0.0) for n in (1, 2, 3, 4, 5)] == [0.5, 1, 2, 4, 5]
    assert [policy_.delay(n, lambda: 1.0) for n in (1, 2, 3, 4, 5)] == [1, 2, 4, 8, 10]


def test_rate_limiter_spaces_messages() -> None:
    now = [100.0]
    limiter = RateLimiter(4.0, clock=lambda: now[0])
    assert limiter.wait_time() == 0
    limiter.started()
    assert limiter.wait_time() == pytest.approx(0.25)
    now[0] += 0.25
    assert limiter.wait_time() == 0
    assert RateLimiter(None).wait_time() == 0


def test_journal_transitions_survive_reopening_and_lock(tmp_path: Path) -> None:
    ada, bob = Recipient("ada@example.org"), Recipient("Bob@example.org", "Bob", "both")
    with Journal(tmp_path, "urn:x") as journal:
        journal.lock()
        journal.add([ada, bob])
        journal.sending(ada, "<1@x>")
        journal.sent(ada, "250 ok")
        journal.sending(bob, "<2@x>")  # ... and the process dies here.
        with pytest.raises(JournalError, match="another masthead send"):
            Journal(tmp_path, "urn:x").lock()
    entries = {e.email: e for e in read_journal(tmp_path, "urn:x")}
    assert entries["ada@example.org"].state == "sent"
    assert entries["Bob@example.org"].in_doubt and entries["Bob@example.org"].attempts == 1
    assert read_journal(tmp_path, "urn:other") == []
    assert (tmp_path / ".gitignore").read_text().strip().endswith("*")


# Deciding to build ----------------------------------------------------------------------


def test_outputs_are_built_when_missing_or_older_than_an_input(tmp_path: Path) -> None:
    folder = tiny_issue(tmp_path)
    issue, _ = prepare(folder)
    dist = tmp_path / "dist"
    first = ensure_outputs(issue, dist, ["pdf"])
    assert first.built and "no PDF" in first.reason
    assert first.files == output_paths(issue, dist, ["pdf"]) and first.files["pdf"].is_file()
    assert not ensure_outputs(issue, dist, ["pdf"]).built
    # Email templates and the send journal are not inputs of the build.
    (tmp_path / "templates" / "email").mkdir(parents=True)
    write(tmp_path / "templates" / "email" / "subject.txt", "x\n")
    (folder / ".masthead-state").mkdir()
    write(folder / ".masthead-state" / "x", "y")
    later = time.time() + 5
    for path in (
        tmp_path / "templates" / "email" / "subject.txt",
        folder / ".masthead-state" / "x",
    ):
        os.utime(path, (later, later))
    issue, _ = prepare(folder)
    assert outdated(issue, first.files) == ""
    os.utime(folder / "dawn.md", (later, later))
    assert outdated(issue, first.files) == "dawn.md changed after the-lantern-no-1.pdf was built"
    assert ensure_outputs(issue, dist, ["pdf"]).built


# The send loop with a stand-in transport ------------------------------------------------


class FakeTransport:
    """Replies from a script: for each address a list of outcomes, "ok" or an exception."""

    def __init__(self, script: dict[str, list[object]], on_send=None) -> None:  # noqa: ANN001
        self.script = script
        self.sent: list[tuple[str, bytes]] = []
        self.on_send = on_send

    def open(self) -> None:
        pass

    def ensure_open(self) -> None:
        pass

    def close(self) -> None:
        pass

    def send(self, sender: str, recipient: str, data: bytes) -> str:
        outcome = self.script.get(recipient, ["ok"]).pop(0) if self.script.get(recipient) else "ok"
        if self.on_send:
            self.on_send(recipient)
        if isinstance(outcome, Exception):
            raise outcome
        self.sent.append((recipient, data))
        return "250 ok"


def plan_for(tmp_path: Path, addresses: list[str]):  # noqa: ANN201
    folder = tmp_path / "no-1" if (tmp_path / "no-1").is_dir() else tiny_issue(tmp_path)
    # Stand-in "built" files, newer than every input: these tests need no real build.
    pdf = tmp_path / "dist" / "the-lantern-no-1.pdf"
    if not pdf.exists():
        pdf.parent.mkdir(exist_ok=True)
        pdf.write_bytes(b"%PDF-1.7 stand-in\n")
        later = time.time() + 3600
        os.utime(pdf, (later, later))
    csv = write(tmp_path / "s.csv", "email\n" + "\n".join(addresses) + "\n")
    return plan_send(
        SendRequest(folder, csv, out_dir=tmp_path / "dist", settings={"from": SENDER}, env={})
    )


def smtp_for(plan):  # noqa: ANN001, ANN201
    return smtp_settings(plan.issue, {"smtp_host": "127.0.0.1"}, {})


def test_retries_keep_the_message_id_and_give_up_after_the_last_try(tmp_path: Path) -> None:
    plan = plan_for(tmp_path, ["ada@example.org", "bob@example.org", "cara@example.org"])
    transport = FakeTransport(
        {
            "ada@example.org": [TemporaryFailure("451 busy"), "ok"],
            "bob@example.org": [TemporaryFailure("451 busy")] * 3,
            "cara@example.org": [PermanentFailure("550 no such user")],
        }
    )
    report = deliver(
        plan, smtp_for(plan), retry=RetryPolicy(attempts=3, base=0.001), transport=transport
    )  # type: ignore[arg-type]
    assert report.sent == ("ada@example.org",)
    assert [(f.email, f.reason) for f in report.failed] == [
        ("bob@example.org", "451 busy (gave up after 3 tries)"),
        ("cara@example.org", "550 no such user"),
    ]
    assert not report.ok
    entries = {e.email: e for e in read_journal(plan.state_dir, plan.issue.identifier)}
    assert entries["ada@example.org"].attempts == 2 and entries["bob@example.org"].attempts == 3
    # A re-run tries the failed ones again and leaves the sent one alone.
    again = plan_for(tmp_path, ["ada@example.org", "bob@example.org", "cara@example.org"])
    assert [r.email for r in again.to_send] == ["bob@example.org", "cara@example.org"]
    assert [r.email for r in again.already_sent] == ["ada@example.org"]


def test_a_stop_request_finishes_the_message_in_flight(tmp_path: Path) -> None:
    addresses = [f"reader{i}@example.org" for i in range(5)]
    plan = plan_for(tmp_path, addresses)
    stop = StopSignal()
    transport = FakeTransport({}, on_send=lambda rcpt: stop.request("interrupted (SIGTERM)"))
    report = deliver(plan, smtp_for(plan), transport=transport, stop=stop)  # type: ignore[arg-type]
    assert report.sent == ("reader0@example.org",)
    assert report.pending == tuple(addresses[1:]) and report.stopped == "interrupted (SIGTERM)"
    states = {e.email: e.state for e in read_journal(plan.state_dir, plan.issue.identifier)}
    assert states == {"reader0@example.org": "sent", **{a: "pending" for a in addresses[1:]}}


def test_a_server_that_cannot_be_used_stops_before_sending(tmp_path: Path) -> None:
    plan = plan_for(tmp_path, ["ada@example.org"])

    class Refusing(FakeTransport):
        def open(self) -> None:
            raise SmtpError("refused the login")

    with pytest.raises(SmtpError):
        deliver(plan, smtp_for(plan), transport=Refusing({}))  # type: ignore[arg-type]
    states = {e.email: e.state for e in read_journal(plan.state_dir, plan.issue.identifier)}
    assert states == {"ada@example.org": "pending"}
