"""Real mail servers for the mail tests, on 127.0.0.1.

- SMTP: aiosmtpd, in plain, STARTTLS or implicit-TLS mode, with or without
  a login; it keeps what it received and refuses recipients at
  `REFUSED_DOMAIN`.
- IMAP: Dovecot (from Debian's packages, `bash .ci/install-dovecot.sh`),
  started from a minimal configuration in a temporary folder: one user in a
  passwd-file, a Maildir, plain IMAP and, with a certificate, IMAPS.
- TLS: a self-signed certificate for 127.0.0.1 made with openssl; the
  clients trust it through SSL_CERT_FILE, so certificate checking stays on.

Without Dovecot the IMAP tests skip with the install command, except when
CI is set: there they fail, since CI must run them.
"""
from __future__ import annotations

import base64
import grp
import imaplib
import os
import pwd
import shutil
import socket
import ssl
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from email.message import EmailMessage
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult

HOST = "127.0.0.1"
MAIL_USER = "crm@example.com"
MAIL_PASSWORD = "imap secret 1"
SMTP_USER = "crm-sender"
SMTP_PASSWORD = "smtp secret 1"
REFUSED_DOMAIN = "refused.example"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind((HOST, 0))
        return probe.getsockname()[1]


# ----- certificate ------------------------------------------------------------

@dataclass(frozen=True)
class Certificate:
    cert: Path
    key: Path

    def server_context(self) -> ssl.SSLContext:
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(self.cert, self.key)
        return context


def make_certificate(folder: Path) -> Certificate:
    cert, key = folder / "server.crt", folder / "server.key"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
         "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost",
         "-keyout", str(key), "-out", str(cert)],
        check=True, capture_output=True)
    key.chmod(0o644)  # Dovecot's unprivileged processes read it
    return Certificate(cert, key)


@pytest.fixture(scope="session")
def certificate() -> Certificate:
    folder = Path(tempfile.mkdtemp(prefix="crm-cert-"))
    folder.chmod(0o755)
    yield make_certificate(folder)
    shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture
def trust_certificate(certificate, monkeypatch) -> Certificate:
    """Make the CRM's TLS clients trust the test certificate (and only it)."""
    monkeypatch.setenv("SSL_CERT_FILE", str(certificate.cert))
    return certificate


# ----- SMTP ---------------------------------------------------------------------

@dataclass
class ReceivedMail:
    sender: str
    recipients: list[str]
    data: bytes


class SmtpRecorder:
    """The aiosmtpd handler: keeps every message it accepts."""

    def __init__(self) -> None:
        self.received: list[ReceivedMail] = []

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address.lower().endswith("@" + REFUSED_DOMAIN):
            return "550 5.1.1 no such mailbox"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        self.received.append(ReceivedMail(envelope.mail_from, list(envelope.rcpt_tos),
                                          envelope.original_content or envelope.content))
        return "250 Message accepted for delivery"


def _check_login(server, session, envelope, mechanism, auth_data) -> AuthResult:
    login = auth_data.login.decode() if isinstance(auth_data.login, bytes) else auth_data.login
    password = (auth_data.password.decode() if isinstance(auth_data.password, bytes)
                else auth_data.password)
    # handled=False: aiosmtpd answers a refusal with 535 itself.
    return AuthResult(success=(login, password) == (SMTP_USER, SMTP_PASSWORD), handled=False)


@dataclass
class SmtpServer:
    port: int
    recorder: SmtpRecorder
    security: str
    login: bool
    controller: Controller = field(repr=False)

    @property
    def received(self) -> list[ReceivedMail]:
        return self.recorder.received


def start_smtp(security: str = "none", login: bool = False,
               certificate: Certificate | None = None) -> SmtpServer:
    """An aiosmtpd server on a free port: security none, starttls or tls."""
    recorder = SmtpRecorder()
    port = free_port()
    options: dict = {}
    if login:
        # aiosmtpd counts only STARTTLS as TLS for AUTH; implicit TLS is TLS too.
        options.update(authenticator=_check_login, auth_require_tls=security == "starttls")
    if security == "starttls":
        options.update(tls_context=certificate.server_context(), require_starttls=True)
    server_ssl = certificate.server_context() if security == "tls" else None
    controller = Controller(recorder, hostname=HOST, port=port, ssl_context=server_ssl,
                            server_hostname="127.0.0.1", **options)
    controller.start()
    return SmtpServer(port, recorder, security, login, controller)


@pytest.fixture
def smtp_server():
    server = start_smtp()
    yield server
    server.controller.stop()


# ----- IMAP (Dovecot) -------------------------------------------------------------

def dovecot_binary() -> str | None:
    found = shutil.which("dovecot")
    if found:
        return found
    return "/usr/sbin/dovecot" if os.access("/usr/sbin/dovecot", os.X_OK) else None


def require_dovecot() -> str:
    binary = dovecot_binary()
    if binary:
        return binary
    message = ("Dovecot is not installed; the IMAP tests need it: "
               "run `bash .ci/install-dovecot.sh` (Debian's dovecot-imapd)")
    if os.environ.get("CI"):
        pytest.fail(message)
    pytest.skip(message)


class Dovecot:
    """A Dovecot of its own in a temporary folder, on free ports."""

    def __init__(self, binary: str, certificate: Certificate | None = None):
        self.binary = binary
        self.certificate = certificate
        # Short path: Dovecot's unix sockets live under it (108-byte limit).
        self.root = Path(tempfile.mkdtemp(prefix="crm-dc-"))
        self.root.chmod(0o755)
        self.port = free_port()
        self.tls_port = free_port() if certificate else 0
        self.process: subprocess.Popen | None = None

    def _mail_owner(self) -> tuple[int, int, str]:
        """Dovecot refuses to serve mail as root: as root, mail belongs to
        'nobody'; otherwise everything runs as the current user."""
        if os.getuid() == 0:
            nobody = pwd.getpwnam("nobody")
            return nobody.pw_uid, nobody.pw_gid, ""
        me = pwd.getpwuid(os.getuid())
        return me.pw_uid, me.pw_gid, me.pw_name

    def _write_config(self) -> Path:
        uid, gid, run_as = self._mail_owner()
        home = self.root / "home"
        home.mkdir()
        os.chown(home, uid, gid)
        (self.root / "passwd").write_text(f"{MAIL_USER}:{{PLAIN}}{MAIL_PASSWORD}::::::\n")
        lines = [
            f"base_dir = {self.root}/run",
            f"state_dir = {self.root}/state",
            f"log_path = {self.root}/dovecot.log",
            "protocols = imap",
            f"listen = {HOST}",
            "disable_plaintext_auth = no",
            "auth_mechanisms = plain login",
            "auth_failure_delay = 0",
            "first_valid_uid = 1",
            "passdb {", "  driver = passwd-file",
            f"  args = scheme=PLAIN username_format=%u {self.root}/passwd", "}",
            "userdb {", "  driver = static",
            f"  args = uid={uid} gid={gid} home={home}/%u", "}",
            f"mail_location = maildir:{home}/%u/Maildir",
            "service anvil {", "  chroot =", "}",
            "service imap-login {", "  chroot =",
            "  inet_listener imap {", f"    address = {HOST}", f"    port = {self.port}", "  }",
            "  inet_listener imaps {", f"    address = {HOST}", f"    port = {self.tls_port}",
            "    ssl = yes" if self.certificate else "", "  }",
            "}",
        ]
        if run_as:
            group = grp.getgrgid(gid).gr_name
            lines += [f"default_login_user = {run_as}", f"default_internal_user = {run_as}",
                      f"default_internal_group = {group}"]
        if self.certificate:
            lines += ["ssl = yes", f"ssl_cert = <{self.certificate.cert}",
                      f"ssl_key = <{self.certificate.key}"]
        else:
            lines += ["ssl = no"]
        path = self.root / "dovecot.conf"
        path.write_text("\n".join(line for line in lines if line) + "\n")
        return path

    def start(self) -> "Dovecot":
        config = self._write_config()
        self.process = subprocess.Popen([self.binary, "-F", "-c", str(config)],
                                        stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                output = self.process.stdout.read().decode(errors="replace")
                self._fail(f"dovecot exited: {output}")
            try:
                with socket.create_connection((HOST, self.port), timeout=1) as probe:
                    if probe.recv(100).startswith(b"* OK"):
                        return self
            except OSError:
                time.sleep(0.1)
        self._fail("dovecot did not start in time")

    def _fail(self, reason: str) -> None:
        log = self.log()
        self.stop()
        raise RuntimeError(f"{reason}\n{log}")

    def log(self) -> str:
        path = self.root / "dovecot.log"
        return path.read_text(errors="replace") if path.exists() else ""

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        if self.process and self.process.stdout:
            self.process.stdout.close()
        shutil.rmtree(self.root, ignore_errors=True)

    # The test's own view of the mailbox: plain IMAP, as a mail client.
    def client(self) -> imaplib.IMAP4:
        imap = imaplib.IMAP4(HOST, self.port, timeout=10)
        imap.login(MAIL_USER, MAIL_PASSWORD)
        return imap

    def deliver(self, raw: bytes, folder: str = "INBOX") -> None:
        """Put a message in the mailbox, new and unread (IMAP APPEND)."""
        imap = self.client()
        try:
            status, reply = imap.append(folder, None, None, raw)
            assert status == "OK", reply
        finally:
            imap.logout()

    def flags(self, folder: str = "INBOX") -> list[str]:
        imap = self.client()
        try:
            imap.select(folder)
            _, data = imap.fetch("1:*", "(FLAGS)")
            return [item.decode() for item in data if item]
        finally:
            imap.logout()

    def mark_all_unseen(self, folder: str = "INBOX") -> None:
        imap = self.client()
        try:
            imap.select(folder)
            imap.store("1:*", "-FLAGS", "(\\Seen)")
        finally:
            imap.logout()


@pytest.fixture
def dovecot():
    server = Dovecot(require_dovecot()).start()
    yield server
    server.stop()


@pytest.fixture
def dovecot_tls(trust_certificate):
    server = Dovecot(require_dovecot(), certificate=trust_certificate).start()
    yield server
    server.stop()


# ----- sample messages -------------------------------------------------------

def gb2312_message(sender: str, message_id: str | None = "<order-1@client.example>") -> bytes:
    """As an older Chinese mail client writes it: GB2312 encoded-word subject,
    a base64 body declared gb2312 that holds a GBK-only character (镕)."""
    subject = base64.b64encode("询价：激光打印机".encode("gb2312")).decode()
    body = base64.b64encode("王经理：\r\n请报价五台。朱镕\r\n".encode("gbk")).decode()
    name = base64.b64encode("李明".encode("gb2312")).decode()
    headers = [f"From: =?GB2312?B?{name}?= <{sender}>", "To: crm@example.com",
               f"Subject: =?GB2312?B?{subject}?=", "Date: Tue, 24 Nov 2026 09:30:00 +0800",
               "MIME-Version: 1.0", "Content-Type: text/plain; charset=gb2312",
               "Content-Transfer-Encoding: base64"]
    if message_id:
        headers.insert(0, f"Message-ID: {message_id}")
    return ("\r\n".join(headers) + "\r\n\r\n" + body + "\r\n").encode("ascii")


def utf8_message(sender: str, subject: str, message_id: str, plain: str | None,
                 html: str | None = None) -> bytes:
    message = EmailMessage()
    message["From"] = sender
    message["To"] = "crm@example.com"
    message["Subject"] = subject
    message["Message-ID"] = message_id
    message["Date"] = "Wed, 25 Nov 2026 14:00:00 +0800"
    if plain is not None:
        message.set_content(plain)
        if html is not None:
            message.add_alternative(html, subtype="html")
    else:
        message.set_content(html, subtype="html")
        message.add_attachment(b"%PDF-1.4 not text", maintype="application", subtype="pdf",
                               filename="quote.pdf")
    return bytes(message)
