"""`masthead send` against a real SMTP server: aiosmtpd on 127.0.0.1 with STARTTLS and AUTH
(a throwaway CA from trustme). What the server receives is parsed back: headers, both bodies,
the attachment bytes, the DKIM signature. Then the faults: 451s, a 550, a dropped connection,
a wrong password, no STARTTLS, an untrusted certificate, SIGKILL and SIGTERM mid-run."""

from __future__ import annotations

import base64
import email
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from email import policy
from pathlib import Path

import dkim
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from smtp_server import PASSWORD, USER, Recorder, Server, smtp_server
from typer.testing import CliRunner

from conftest import EXAMPLE
from masthead.build import build
from masthead.cli import app
from masthead.deliver import (
    RetryPolicy,
    SendPlan,
    SendReport,
    SendRequest,
    SizeError,
    SmtpError,
    deliver,
    plan_send,
    smtp_settings,
)
from masthead.deliver.journal import read_journal

pytestmark = [
    pytest.mark.filterwarnings("ignore::DeprecationWarning"),
    # The STARTTLS-less and implicit-TLS test servers; the client never logs in unencrypted.
    pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS:UserWarning"),
]

SENDER = "The Lantern <editor@lantern.example.org>"
FAST = RetryPolicy(attempts=4, base=0.02, cap=0.1)
CLI = [sys.executable, "-m", "masthead.cli"]
runner = CliRunner()


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """The example issue copied to a temporary folder and built once for the whole module."""
    root = tmp_path_factory.mktemp("lantern")
    shutil.copy(EXAMPLE.parent / "publication.toml", root / "publication.toml")
    issue = root / "no-7"
    shutil.copytree(EXAMPLE, issue, ignore=shutil.ignore_patterns(".masthead-state"))
    dist = root / "dist"
    result = build(issue, out_dir=dist)
    files = {p.suffix.lstrip("."): p for p in result.outputs}
    later = time.time() + 3600  # Newer than any template another test run might touch.
    for path in files.values():
        os.utime(path, (later, later))
    return {"issue": issue, "dist": dist, **files}


@pytest.fixture
def server(tmp_path: Path) -> Iterator[Server]:
    with smtp_server(tmp_path) as running:
        yield running


def subscribers(folder: Path, rows: list[str]) -> Path:
    path = folder / "subscribers.csv"
    path.write_text("email,name,format\n" + "\n".join(rows) + "\n", encoding="utf-8")
    return path


def readers(count: int) -> list[str]:
    return [f"reader{i:02d}@example.org,Reader {i}," for i in range(count)]


def plan(built: dict[str, Path], tmp_path: Path, rows: list[str], **settings: object) -> SendPlan:
    request = SendRequest(
        built["issue"],
        subscribers(tmp_path, rows),
        out_dir=built["dist"],
        state_dir=tmp_path / "state",
        settings={"from": SENDER, **settings},
        env={},
    )
    result = plan_send(request)
    assert not result.outputs.built  # The module's build is reused.
    return result


def send(
    sendplan: SendPlan, server: Server, password: str = PASSWORD, **settings: object
) -> SendReport:
    smtp = smtp_settings(
        sendplan.issue,
        {
            "smtp_host": server.host,
            "smtp_port": server.port,
            "smtp_user": USER,
            "ca_file": str(server.ca_file),
            **settings,
        },
        {},
        password=password,
    )
    return deliver(sendplan, smtp, retry=FAST)


def states(sendplan: SendPlan) -> dict[str, str]:
    return {
        e.email.lower(): "in_doubt" if e.in_doubt else e.state
        for e in read_journal(sendplan.state_dir, sendplan.issue.identifier)
    }


def test_delivers_headers_bodies_attachments_and_a_dkim_signature(
    built: dict[str, Path], tmp_path: Path, server: Server
) -> None:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    (tmp_path / "dkim.pem").write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.TraditionalOpenSSL,
            serialization.NoEncryption(),
        )
    )
    public = key.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    (tmp_path / "note.txt").write_text("We stayed up all month for this one.\n")
    sendplan = plan(
        built,
        tmp_path,
        ["Ada@Example.org,Ada Lovelace,pdf", "bob@example.org,,both", "owner@kindle.com,,"],
        dkim_key=str(tmp_path / "dkim.pem"),
        dkim_selector="mh2026",
        unsubscribe_url="https://lantern.example.org/unsubscribe?address={email}",
        unsubscribe_mailto="unsubscribe@lantern.example.org",
        note_file=str(tmp_path / "note.txt"),
    )
    report = send(sendplan, server)
    assert report.ok and report.sent == ("Ada@example.org", "bob@example.org", "owner@kindle.com")
    assert server.recorder.counts() == {
        "ada@example.org": 1,
        "bob@example.org": 1,
        "owner@kindle.com": 1,
    }
    assert len(server.recorder.logins) == 1  # One connection, reused.
    assert {r.mail_from for r in server.recorder.received} == {"editor@lantern.example.org"}

    received = {r.rcpt_tos[0].lower(): r for r in server.recorder.received}
    ada = received["ada@example.org"].message
    assert ada["From"] == SENDER and ada["To"] == "Ada Lovelace <Ada@example.org>"
    assert ada["Subject"] == "The Lantern, No. 7: The Night Issue (November 2026)"
    assert ada["Date"] and ada["List-Id"] == "The Lantern <the-lantern.lantern.example.org>"
    assert ada["List-Unsubscribe"] == (
        "<https://lantern.example.org/unsubscribe?address=Ada@example.org>, "
        "<mailto:unsubscribe@lantern.example.org?subject=unsubscribe>"
    )
    assert ada["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    ids = [r.message["Message-ID"] for r in received.values()]
    assert len(set(ids)) == 3 and all(i.endswith("@lantern.example.org>") for i in ids)

    text = ada.get_body(("plain",)).get_content()
    html = ada.get_body(("html",)).get_content()
    for body in (text, html):
        assert "Dear Ada," in body
        assert "We stayed up all month for this one." in body
        # The cover lines stay on the cover: the contents names each article once.
        assert "The last lamplighters walk their rounds" not in body
        assert "The Market That Opens at Midnight" in body  # The contents ...
        assert "Under the railway arches at Tanner" in body  # ... with deks.
        assert "https://lantern.example.org/unsubscribe?address=Ada@example.org" in body
    assert 'style="' in html and "<style>" in html  # Inlined; @media kept for clients.

    (pdf,) = ada.iter_attachments()
    assert pdf.get_content_type() == "application/pdf"
    assert pdf.get_filename() == "the-lantern-vol-3-no-7.pdf"
    assert pdf.get_content() == built["pdf"].read_bytes()
    bob = received["bob@example.org"].message
    assert [(a.get_content_type(), a.get_content()) for a in bob.iter_attachments()] == [
        ("application/pdf", built["pdf"].read_bytes()),
        ("application/epub+zip", built["epub"].read_bytes()),
    ]
    kindle = received["owner@kindle.com"].message
    assert [a.get_content_type() for a in kindle.iter_attachments()] == ["application/epub+zip"]
    assert "List-Unsubscribe" not in kindle and "List-Unsubscribe-Post" not in kindle

    record = b"v=DKIM1; k=rsa; p=" + base64.b64encode(public)

    def dns(name: bytes, timeout: int = 5) -> bytes:
        return record if name == b"mh2026._domainkey.lantern.example.org." else b""

    for message in received.values():
        assert dkim.verify(message.data, dnsfunc=dns)
    assert "list-unsubscribe-post" in ada["DKIM-Signature"].lower()

    # The same command again sends nothing: everyone is in the journal as sent.
    again = plan(
        built,
        tmp_path,
        ["Ada@Example.org,Ada Lovelace,pdf", "bob@example.org,,both", "owner@kindle.com,,"],
    )
    assert again.to_send == () and len(again.already_sent) == 3
    assert send(again, server).sent == ()
    assert len(server.recorder.received) == 3


def test_451_is_retried_and_each_message_delivered_once(
    built: dict[str, Path], tmp_path: Path, server: Server
) -> None:
    server.recorder.busy.update({"reader00@example.org": 2, "reader02@example.org": 1})
    sendplan = plan(built, tmp_path, readers(4))
    report = send(sendplan, server)
    assert report.ok and len(report.sent) == 4
    assert server.recorder.counts() == {f"reader{i:02d}@example.org": 1 for i in range(4)}
    assert server.recorder.data_commands == 4 + 3
    entries = {e.email: e for e in read_journal(sendplan.state_dir, sendplan.issue.identifier)}
    assert entries["reader00@example.org"].attempts == 3
    # Every try of one message carried the same Message-ID.
    assert len({r.message["Message-ID"] for r in server.recorder.received}) == 4


def test_550_fails_that_recipient_and_the_rest_are_delivered(
    built: dict[str, Path], tmp_path: Path, server: Server
) -> None:
    server.recorder.reject.add("reader01@example.org")
    sendplan = plan(built, tmp_path, readers(4))
    report = send(sendplan, server)
    assert not report.ok
    assert [(f.email, f.reason) for f in report.failed] == [
        ("reader01@example.org", "550 5.1.1 No such user here")
    ]
    assert server.recorder.counts() == {f"reader{i:02d}@example.org": 1 for i in (0, 2, 3)}
    assert states(sendplan)["reader01@example.org"] == "failed"


def test_a_dropped_connection_is_resumed_without_duplicates(
    built: dict[str, Path], tmp_path: Path, server: Server
) -> None:
    server.recorder.drop_at.update({3, 6})  # Hang up on the 3rd and 6th DATA, unanswered.
    sendplan = plan(built, tmp_path, readers(6))
    report = send(sendplan, server)
    assert report.ok and len(report.sent) == 6
    assert server.recorder.counts() == {f"reader{i:02d}@example.org": 1 for i in range(6)}
    assert len(server.recorder.logins) == 3  # Reconnected twice.


def test_a_wrong_password_stops_before_anything_is_sent(
    built: dict[str, Path], tmp_path: Path, server: Server
) -> None:
    sendplan = plan(built, tmp_path, readers(2))
    with pytest.raises(SmtpError) as caught:
        send(sendplan, server, password="wrong")
    message = str(caught.value)
    assert f"refused the login of {USER} (535" in message
    assert "MASTHEAD_SMTP_PASSWORD" in message
    assert server.recorder.received == [] and server.recorder.data_commands == 0
    assert set(states(sendplan).values()) == {"pending"}


def test_a_server_without_starttls_is_refused_before_the_password_is_sent(
    built: dict[str, Path], tmp_path: Path
) -> None:
    with smtp_server(tmp_path, tls="none") as plain:
        sendplan = plan(built, tmp_path, readers(2))
        with pytest.raises(SmtpError) as caught:
            send(sendplan, plain)
        assert "does not offer STARTTLS" in str(caught.value)
        assert "--security ssl" in str(caught.value)
        assert plain.recorder.logins == [] and plain.recorder.received == []


def test_an_unverifiable_certificate_is_refused(
    built: dict[str, Path], tmp_path: Path, server: Server
) -> None:
    sendplan = plan(built, tmp_path, readers(1))
    smtp = smtp_settings(
        sendplan.issue,
        {"smtp_host": server.host, "smtp_port": server.port, "smtp_user": USER},
        {},
        password=PASSWORD,
    )
    with pytest.raises(SmtpError, match="could not be verified.*--ca-file"):
        deliver(sendplan, smtp, retry=FAST)
    assert server.recorder.logins == []


def test_a_message_over_the_size_limit_is_refused_before_sending(
    built: dict[str, Path], tmp_path: Path
) -> None:
    request = SendRequest(
        built["issue"],
        subscribers(tmp_path, ["ada@example.org,,", "owner@kindle.com,,pdf"]),
        out_dir=built["dist"],
        state_dir=tmp_path / "state",
        # As large as the PDF itself: base64 makes the message about 1.37 times that.
        settings={"from": SENDER, "limit_mb": built["pdf"].stat().st_size / 1e6},
        env={},
    )
    with pytest.raises(SizeError) as caught:
        plan_send(request)
    assert re.search(
        r"the message to ada@example\.org would be [\d.]+ MB encoded \(PDF: "
        r"[\d.]+ MB before base64\), over the [\d.]+ MB limit — .*limit_mb",
        str(caught.value),
    ), caught.value
    # Send to Kindle takes 50 MB: only the e-reader delivery fits.
    subscribers(tmp_path, ["owner@kindle.com,,pdf"])
    assert len(plan_send(request).to_send) == 1


def test_implicit_tls(built: dict[str, Path], tmp_path: Path) -> None:
    with smtp_server(tmp_path, tls="ssl") as tls:
        report = send(plan(built, tmp_path, readers(2)), tls, security="ssl")
        assert report.ok and sorted(tls.recorder.counts()) == [
            "reader00@example.org",
            "reader01@example.org",
        ]


# The command, as a user runs it -----------------------------------------------------------


def command(built: dict[str, Path], tmp_path: Path, server: Server | None, *extra: str) -> list:
    args = [
        "send",
        str(built["issue"]),
        "--recipients",
        str(tmp_path / "subscribers.csv"),
        "--out",
        str(built["dist"]),
        "--state-dir",
        str(tmp_path / "state"),
        "--from",
        SENDER,
    ]
    if server is not None:
        args += [
            "--smtp-host",
            server.host,
            "--smtp-port",
            str(server.port),
            "--smtp-user",
            USER,
            "--ca-file",
            str(server.ca_file),
        ]
    return [*args, *extra]


def cli_env() -> dict[str, str]:
    return {**os.environ, "MASTHEAD_SMTP_PASSWORD": PASSWORD}


def wait_for(condition, seconds: float = 30.0) -> None:  # noqa: ANN001
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.02)


def status(built: dict[str, Path], tmp_path: Path) -> dict:
    out = subprocess.run(
        [
            *CLI,
            "send",
            str(built["issue"]),
            "--status",
            "--json",
            "--state-dir",
            str(tmp_path / "state"),
        ],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    return json.loads(out.stdout)


def test_sigkill_mid_run_then_rerun_mails_everyone_exactly_once(
    built: dict[str, Path], tmp_path: Path
) -> None:
    recorder = Recorder(delay=0.25)  # Slow replies: the kill lands while one is in flight.
    with smtp_server(tmp_path, recorder=recorder) as server:
        subscribers(tmp_path, readers(10))
        first = subprocess.Popen(
            [*CLI, *command(built, tmp_path, server, "--yes")],
            env=cli_env(),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
        try:
            wait_for(lambda: len(recorder.received) >= 4)
        finally:
            first.kill()
            first.communicate(timeout=30)
        assert first.returncode == -signal.SIGKILL
        killed_at = len(recorder.received)
        assert killed_at < 10

        recorder.delay = 0
        second = subprocess.run(
            [*CLI, *command(built, tmp_path, server, "--yes", "--json")],
            env=cli_env(),
            capture_output=True,
            text=True,
            timeout=120,
        )
        report = json.loads(second.stdout)
        in_doubt = report["in_doubt"]
        assert len(in_doubt) <= 1
        counts = recorder.counts()
        everyone = {f"reader{i:02d}@example.org" for i in range(10)}
        for address in everyone - set(in_doubt):
            assert counts[address] == 1, (address, counts)
        for address in in_doubt:
            assert counts[address] <= 1
        assert second.returncode == (3 if in_doubt else 0), second.stderr
        journal = status(built, tmp_path)
        assert journal["counts"]["in_doubt"] == len(in_doubt)
        assert journal["counts"]["sent"] == 10 - len(in_doubt)

        if in_doubt:  # Asked to, the in-doubt one is sent again, with the same Message-ID.
            third = subprocess.run(
                [*CLI, *command(built, tmp_path, server, "--yes", "--resend-in-doubt")],
                env=cli_env(),
                capture_output=True,
                text=True,
                timeout=120,
            )
            assert third.returncode == 0, third.stderr
            copies = [
                r.message["Message-ID"] for r in recorder.received if r.rcpt_tos[0] == in_doubt[0]
            ]
            assert len(copies) in (1, 2) and len(set(copies)) == 1
            assert status(built, tmp_path)["counts"]["sent"] == 10


def test_sigterm_finishes_the_message_in_flight_and_stops(
    built: dict[str, Path], tmp_path: Path
) -> None:
    recorder = Recorder(delay=0.25)
    with smtp_server(tmp_path, recorder=recorder) as server:
        subscribers(tmp_path, readers(8))
        run = subprocess.Popen(
            [*CLI, *command(built, tmp_path, server, "--yes")],
            env=cli_env(),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        try:
            wait_for(lambda: len(recorder.received) >= 2)
            run.send_signal(signal.SIGTERM)
            out, err = run.communicate(timeout=30)
        finally:
            if run.poll() is None:
                run.kill()
        assert run.returncode == 143, err
        assert "stopped: interrupted (SIGTERM)" in out
        journal = status(built, tmp_path)
        assert journal["counts"]["in_doubt"] == 0
        assert journal["counts"]["sent"] == len(recorder.received) < 8
        assert journal["counts"]["pending"] == 8 - len(recorder.received)


def test_dry_run_writes_one_eml_per_recipient_and_sends_nothing(
    built: dict[str, Path], tmp_path: Path
) -> None:
    subscribers(tmp_path, ["ada@example.org,Ada,pdf", "ADA@example.org,dup,", "owner@kindle.com,,"])
    out = tmp_path / "out"
    result = runner.invoke(app, command(built, tmp_path, None, "--dry-run", str(out)))
    assert result.exit_code == 0, result.output
    files = sorted(out.glob("*.eml"))
    assert [f.name for f in files] == ["0001-ada-example-org.eml", "0002-owner-kindle-com.eml"]
    message = email.message_from_bytes(files[0].read_bytes(), policy=policy.default)
    assert message["To"] == "Ada <ada@example.org>" and message["Message-ID"]
    assert next(message.iter_attachments()).get_content() == built["pdf"].read_bytes()
    assert "Wrote 2 messages (dry run, nothing sent)" in result.stdout
    assert not (tmp_path / "state").exists()  # The journal is untouched.


def test_dry_run_into_a_folder_it_cannot_write_is_one_line_and_writes_nothing(
    built: dict[str, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    subscribers(tmp_path, ["ada@example.org,Ada,pdf", "owner@kindle.com,,"])
    # A file where the folder should be: the OS refuses, whoever runs it.
    blocker = tmp_path / "blocker"
    blocker.write_text("not a folder")
    result = runner.invoke(app, command(built, tmp_path, None, "--dry-run", str(blocker / "x")))
    assert result.exit_code == 1, result.output
    lines = [line for line in result.stderr.splitlines() if line.startswith("error:")]
    assert lines == [
        f"error: {blocker / 'x'}: cannot write the messages (File exists) — give --dry-run a "
        "folder you can write to"
    ] or lines == [
        f"error: {blocker / 'x'}: cannot write the messages (Not a directory) — give --dry-run "
        "a folder you can write to"
    ], result.stderr
    assert "Traceback" not in result.output and blocker.read_text() == "not a folder"

    # A folder it may not write (chmod cannot stop root, so the OS's refusal is simulated on
    # the second message): the first is not left behind either.
    out = tmp_path / "out"
    out.mkdir()
    real = tempfile.mkstemp
    made: list[bool] = []

    def mkstemp(*args, **kwargs):  # type: ignore[no-untyped-def]
        made.append(str(kwargs.get("prefix", "")).endswith(".eml."))
        if sum(made) == 2:
            raise PermissionError(13, "Permission denied")
        return real(*args, **kwargs)

    monkeypatch.setattr(tempfile, "mkstemp", mkstemp)
    result = runner.invoke(app, command(built, tmp_path, None, "--dry-run", str(out)))
    assert result.exit_code == 1, result.output
    assert f"error: {out}: cannot write the messages (Permission denied)" in result.stderr
    assert list(out.iterdir()) == []
    assert not (tmp_path / "state").exists()


def test_the_command_asks_first_and_reports_failures_as_json(
    built: dict[str, Path], tmp_path: Path, server: Server, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MASTHEAD_SMTP_PASSWORD", PASSWORD)
    subscribers(tmp_path, ["ada@example.org,Ada,", "bob@example.org,Bob,", "oops,,"])
    refused = runner.invoke(app, command(built, tmp_path, server))  # No terminal, no --yes.
    assert refused.exit_code == 1 and "pass --yes" in refused.output
    assert server.recorder.received == []

    server.recorder.reject.add("bob@example.org")
    result = runner.invoke(app, command(built, tmp_path, server, "--yes", "--json"))
    assert result.exit_code == 3
    report = json.loads(result.stdout)
    assert report["sent"] == ["ada@example.org"] and not report["ok"]
    assert report["failed"] == [
        {"email": "bob@example.org", "reason": "550 5.1.1 No such user here"}
    ]
    assert report["skipped"][0]["line"] == 4 and "invalid address" in report["skipped"][0]["reason"]

    wrong = runner.invoke(
        app,
        command(built, tmp_path, server, "--yes"),
        env={"MASTHEAD_SMTP_PASSWORD": "not-the-password"},
    )
    assert wrong.exit_code == 1 and "refused the login" in wrong.output
    assert "not-the-password" not in wrong.output

    shown = runner.invoke(
        app, ["send", str(built["issue"]), "--status", "--state-dir", str(tmp_path / "state")]
    )
    assert shown.exit_code == 0
    assert "sent 1 · failed 1 · pending 0 · in doubt 0" in shown.stdout
    assert "failed: bob@example.org (1 tries) — 550 5.1.1 No such user here" in shown.stdout


def test_security_none_needs_a_loopback_server(built: dict[str, Path], tmp_path: Path) -> None:
    subscribers(tmp_path, ["ada@example.org,,"])
    result = runner.invoke(
        app,
        command(
            built, tmp_path, None, "--smtp-host", "smtp.example.org", "--security", "none", "--yes"
        ),
    )
    assert result.exit_code == 1
    assert "--security none is refused for smtp.example.org" in result.output
