"""Mail transport (SMTP against a real in-process server, outbox files, URL parsing) and the
weekly digest email."""

from __future__ import annotations

import asyncio
import copy
import email
import email.header
import email.policy
import email.utils
import io
import json
import logging
import re
from collections.abc import Iterator
from email.message import EmailMessage
from pathlib import Path

import pypdf
import pytest
import typst

from backend.flows.digests.email import digest_message
from backend.kernel.mail import (
    Mailer,
    MailError,
    OutboxMailer,
    PermanentMailError,
    SmtpMailer,
    make_mailer,
)
from backend.kernel.mail_layout import new_message
from tests.smtp_server import PERMANENT, TRANSIENT, SmtpTestServer, free_port

SAMPLE = Path(__file__).resolve().parents[2] / "report_templates" / "samples" / "status_report.json"
SECRET = "s3cr:et/pä ss"  # reserved and non-ASCII characters: must survive percent-decoding
SECRET_URL = "s3cr%3Aet%2Fp%C3%A4%20ss"


@pytest.fixture(scope="module")
def pdf() -> bytes:
    return typst.compile(b"= Hallo")


@pytest.fixture
def status_data() -> dict:
    return json.loads(SAMPLE.read_text(encoding="utf-8"))


def english(data: dict) -> dict:
    data = copy.deepcopy(data)
    data["lang"] = "en"
    data["status"]["rag"], data["status"]["rag_label"] = "amber", "At risk"
    data["status"]["week_of"] = "Week 4 of 8"
    return data


def digest(data: dict, pdf: bytes, **overrides: object) -> EmailMessage:
    args: dict = {
        "data": data,
        "recipient_name": "Sabine Müller",
        "recipient_email": "sabine.mueller@mueller-praezision.de",
        "sender": "digest@klarsicht-ki.de",
        "pdf": pdf,
        "filename": "Statusbericht_KW48_Müller.pdf",
        "message_id": "sta-2026-w48-17@klarsicht-ki.de",
    } | overrides
    return digest_message(**args)


def simple_message(message_id: str = "<m1@test>", to: str = "kunde@example.de") -> EmailMessage:
    message = EmailMessage()
    message["From"] = "desk@example.de"
    message["To"] = to
    message["Subject"] = "Prüfung"
    message["Message-ID"] = message_id
    message.set_content("Hallo Welt")
    return message


def body(message: EmailMessage, kind: str) -> str:
    part = message.get_body((kind,))
    assert part is not None, f"no text/{kind} part"
    return part.get_content()


# -- SMTP --------------------------------------------------------------------------------------


async def test_smtp_delivers_digest_with_pdf(smtp_server: SmtpTestServer, status_data: dict, pdf: bytes) -> None:
    mailer = make_mailer(smtp_server.url)
    assert isinstance(mailer, SmtpMailer) and isinstance(mailer, Mailer)

    await mailer.send(digest(status_data, pdf))

    [mail] = smtp_server.messages
    assert mail.mail_from == "digest@klarsicht-ki.de"
    assert mail.rcpt_tos == ["sabine.mueller@mueller-praezision.de"]
    assert mail.message["Subject"].startswith("Statusbericht KW 48 · KI-Einführung")
    assert mail.message["To"].addresses[0].display_name == "Sabine Müller"
    [attachment] = list(mail.message.iter_attachments())
    assert attachment.get_content_type() == "application/pdf"
    assert attachment.get_filename() == "Statusbericht_KW48_Müller.pdf"
    reader = pypdf.PdfReader(io.BytesIO(attachment.get_content()))
    assert "Hallo" in reader.pages[0].extract_text()


@pytest.mark.parametrize("stage", ["RCPT", "DATA"])
async def test_smtp_421_is_transient_and_retry_succeeds(smtp_server: SmtpTestServer, stage: str) -> None:
    mailer = SmtpMailer.from_url(smtp_server.url)
    smtp_server.fail(TRANSIENT, at=stage)

    with pytest.raises(MailError) as caught:
        await mailer.send(simple_message())
    assert not isinstance(caught.value, PermanentMailError)
    assert "421" in str(caught.value)
    assert smtp_server.messages == []

    smtp_server.recover()
    await mailer.send(simple_message())
    assert len(smtp_server.messages) == 1


@pytest.mark.parametrize("stage", ["RCPT", "DATA"])
async def test_smtp_550_is_permanent(smtp_server: SmtpTestServer, stage: str) -> None:
    smtp_server.fail(PERMANENT, at=stage)
    with pytest.raises(PermanentMailError, match="550"):
        await SmtpMailer.from_url(smtp_server.url).send(simple_message())
    assert smtp_server.messages == []


async def test_smtp_server_down_is_transient() -> None:
    mailer = SmtpMailer("127.0.0.1", free_port(), timeout=2)
    with pytest.raises(MailError) as caught:
        await mailer.send(simple_message())
    assert not isinstance(caught.value, PermanentMailError)


async def test_smtp_silent_server_times_out_as_transient() -> None:
    # Accepts the connection but never sends a greeting, like a hung relay.
    server = await asyncio.start_server(lambda reader, writer: None, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    try:
        mailer = SmtpMailer.from_url(f"smtp://127.0.0.1:{port}?timeout=0.3")
        with pytest.raises(MailError) as caught:
            await asyncio.wait_for(mailer.send(simple_message()), timeout=5)
        assert not isinstance(caught.value, PermanentMailError)
    finally:
        server.close()
        await server.wait_closed()


@pytest.fixture
def auth_server() -> Iterator[SmtpTestServer]:
    with SmtpTestServer(credentials=("desk", SECRET)) as server:
        yield server


async def test_smtp_login_and_password_never_leaks(
    auth_server: SmtpTestServer, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    url = f"smtp://desk:{SECRET_URL}@127.0.0.1:{auth_server.port}?timeout=5"
    await make_mailer(url).send(simple_message())
    assert len(auth_server.messages) == 1

    wrong = f"smtp://desk:{SECRET_URL}x@127.0.0.1:{auth_server.port}?timeout=5"
    with pytest.raises(MailError) as caught:
        await make_mailer(wrong).send(simple_message())
    # Bad credentials are a configuration problem: the message itself stays deliverable.
    assert not isinstance(caught.value, PermanentMailError)
    assert len(auth_server.messages) == 1
    assert SECRET not in str(caught.value) and SECRET_URL not in str(caught.value)
    assert caplog.records, "expected the mailer to log"
    assert all(SECRET not in r.getMessage() and SECRET_URL not in r.getMessage() for r in caplog.records)


# -- outbox ------------------------------------------------------------------------------------


async def test_outbox_writes_parseable_eml_atomically(tmp_path: Path, status_data: dict, pdf: bytes) -> None:
    outbox = tmp_path / "var" / "outbox"  # does not exist yet
    mailer = OutboxMailer(outbox)

    await mailer.send(simple_message("<first/1@test>"))
    await mailer.send(digest(status_data, pdf))

    names = sorted(p.name for p in outbox.glob("*.eml"))
    assert len(names) == 2, names
    assert sorted(p.name for p in outbox.iterdir()) == sorted([*names, *(n[:-4] + ".txt" for n in names)])  # no temp
    assert re.fullmatch(r"\d{8}T\d{6}\.\d{6}Z_first_1_test\.eml", names[0])
    assert names[1].endswith("_sta-2026-w48-17_klarsicht-ki.de.eml")  # sorted by time = send order
    # What a person reads: headers and the plain text decoded, each link on one line.
    readable = (outbox / names[1]).with_suffix(".txt").read_text(encoding="utf-8")
    assert readable.startswith("Date: ") and "\nSubject: Statusbericht KW 48" in readable
    assert "=\n" not in readable and "=C3" not in readable and "[attached: " in readable

    parsed = email.message_from_bytes((outbox / names[1]).read_bytes(), policy=email.policy.default)
    assert parsed["Subject"].startswith("Statusbericht KW 48")
    [attachment] = list(parsed.iter_attachments())
    assert attachment.get_content() == pdf


async def test_outbox_failure_is_transient_and_cleans_up(tmp_path: Path) -> None:
    blocker = tmp_path / "outbox"
    blocker.write_text("a file where the directory should be")
    with pytest.raises(MailError) as caught:
        await OutboxMailer(blocker).send(simple_message())
    assert not isinstance(caught.value, PermanentMailError)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["outbox"]


# -- make_mailer -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "path"),
    [
        ("file://./var/outbox", Path("var/outbox")),
        ("file://var/outbox", Path("var/outbox")),
        ("file:///srv/desk/outbox", Path("/srv/desk/outbox")),
        ("file:///srv/mail%20box", Path("/srv/mail box")),
    ],
)
def test_make_mailer_file_urls(url: str, path: Path) -> None:
    mailer = make_mailer(url)
    assert isinstance(mailer, OutboxMailer)
    assert mailer.directory == path


def test_make_mailer_smtp_urls() -> None:
    plain = make_mailer("smtp://mail.example.de")
    assert isinstance(plain, SmtpMailer)
    assert (plain.host, plain.port, plain.use_tls, plain.start_tls, plain.timeout) == (
        "mail.example.de",
        25,
        False,
        None,
        10.0,
    )

    implicit = make_mailer("smtps://mail.example.de")
    assert isinstance(implicit, SmtpMailer)
    assert (implicit.port, implicit.use_tls) == (465, True)

    submission = make_mailer(f"smtp://desk%40example.de:{SECRET_URL}@mail.example.de:587?starttls=1&timeout=3.5")
    assert isinstance(submission, SmtpMailer)
    assert (submission.port, submission.start_tls, submission.use_tls, submission.timeout) == (587, True, False, 3.5)
    assert submission.username == "desk@example.de"
    assert submission._password == SECRET
    for text in (repr(submission), str(submission)):
        assert SECRET not in text and SECRET_URL not in text and "***" in text

    tls = make_mailer("smtp://mail.example.de:2465?tls=1")
    assert isinstance(tls, SmtpMailer)
    assert (tls.port, tls.use_tls) == (2465, True)


@pytest.mark.parametrize(
    "url",
    [
        "http://mail.example.de",
        "mail.example.de:25",
        "file://",
        f"smtp://desk:{SECRET_URL}@",
        f"smtp://desk:{SECRET_URL}@mail.example.de:notaport",
        f"smtp://desk:{SECRET_URL}@mail.example.de?startls=1",
        f"smtp://desk:{SECRET_URL}@mail.example.de?starttls=1&tls=1",
        f"smtp://desk:{SECRET_URL}@mail.example.de?timeout=soon",
        f"smtps://desk:{SECRET_URL}@mail.example.de?timeout=0",
    ],
)
def test_make_mailer_rejects_bad_urls_without_leaking(url: str) -> None:
    with pytest.raises(ValueError) as caught:
        make_mailer(url)
    assert str(caught.value)
    assert SECRET not in str(caught.value) and SECRET_URL not in str(caught.value)


# -- digest email ------------------------------------------------------------------------------


def test_digest_german(status_data: dict, pdf: bytes) -> None:
    message = digest(status_data, pdf)
    raw = message.as_bytes()

    assert message["Subject"] == (
        "Statusbericht KW 48 · KI-Einführung: Angebotserstellung und Support · Müller Präzisionstechnik GmbH"
    )
    assert message["Content-Language"] == "de"
    assert message["Message-ID"] == "<sta-2026-w48-17@klarsicht-ki.de>"
    assert message["Date"].datetime is not None
    sender = message["From"].addresses[0]
    assert (sender.display_name, sender.addr_spec) == ("Klarsicht KI-Beratung GmbH", "digest@klarsicht-ki.de")
    recipient = message["To"].addresses[0]
    assert (recipient.display_name, recipient.addr_spec) == ("Sabine Müller", "sabine.mueller@mueller-praezision.de")
    # Headers go out RFC 2047-encoded, never as raw UTF-8.
    headers = raw.split(b"\n\n", 1)[0]
    assert headers.isascii() and b"=?utf-8?" in headers

    text, html = body(message, "plain"), body(message, "html")
    for part in (text, html):
        assert "Guten Tag Sabine Müller," in part
        assert "Im Plan" in part
        assert "Woche 4 von 8" in part
        assert "23.11.–29.11.2026" in part
        assert "die Bearbeitungszeit pro Angebot sank von 90 auf 41 Minuten" in part
        assert "KI-Leitlinie abgenommen" in part  # done
        assert "Messung der Support-Vorqualifizierung fortsetzen" in part  # next
        assert "ERP-Export für Artikelstammdaten verzögert sich um eine Woche" in part  # risks
        assert "Enablement: Prompting im Vertrieb" in part and "Aalen, Schulungsraum" in part
        assert "Statusbericht_KW48_Müller.pdf" in part
        assert "Jonas Berger" in part and "Viele Grüße" in part
    assert "Erledigt:" in text and "Als Nächstes:" in text and "Risiken:" in text
    assert re.search(r"color:#1e7b34[^>]*>[^<]*Im Plan", html), "RAG label must be shown in green"
    assert "<table" in html and "<link" not in html and "<img" not in html and "http" not in html

    [attachment] = list(message.iter_attachments())
    assert attachment.get_content_type() == "application/pdf"
    assert attachment.get_filename() == "Statusbericht_KW48_Müller.pdf"
    assert b"filename*=utf-8''Statusbericht_KW48_M%C3%BCller.pdf" in raw  # RFC 2231
    assert attachment.get_content() == pdf


def test_digest_english_with_empty_lists_and_portal(status_data: dict, pdf: bytes) -> None:
    data = english(status_data)
    data["status"]["risks"] = []
    data["status"]["workshops"] = []
    message = digest(
        data,
        pdf,
        message_id="<already@bracketed>",
        filename="status-report.pdf",
        portal_url="https://portal.example.de/engagements/17?week=2026-W48&x=1",
    )

    assert message["Subject"] == (
        "Status report CW 48 · KI-Einführung: Angebotserstellung und Support · Müller Präzisionstechnik GmbH"
    )
    assert message["Content-Language"] == "en"
    assert message["Message-ID"] == "<already@bracketed>"
    text, html = body(message, "plain"), body(message, "html")
    assert "Hello Sabine Müller," in text and "Kind regards" in text
    assert "Risks:\n- none\n" in text and "Upcoming workshops:\n- none\n" in text
    assert "Done:\n- Prototyp Angebotsassistent" in text
    assert "“status-report.pdf”" in text
    assert "https://portal.example.de/engagements/17?week=2026-W48&x=1" in text
    assert 'href="https://portal.example.de/engagements/17?week=2026-W48&amp;x=1"' in html
    assert re.search(r"color:#b35c00[^>]*>[^<]*At risk", html), "amber RAG label in amber"
    assert html.count(">none<") == 2
    assert '<html lang="en">' in html
    assert "Guten Tag" not in text + html and "keine" not in text + html


def test_digest_escapes_user_text(status_data: dict, pdf: bytes) -> None:
    data = copy.deepcopy(status_data)
    data["status"]["summary"] = "<script>alert('x')</script> & more"
    data["status"]["done"] = ['<img src="https://evil.example/t.gif">']
    data["engagement"]["title"] = "A <b>bold</b>\nplan"
    message = digest(data, pdf, recipient_name="<Eve>", portal_url="javascript:alert(1)")
    html = body(message, "html")

    assert "<script>" not in html and "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt; &amp; more" in html
    assert "<img" not in html and "&lt;img src=&quot;https://evil.example/t.gif&quot;&gt;" in html
    assert "<b>" not in html and "&lt;Eve&gt;" in html
    assert 'href="javascript' not in html
    assert "<script>alert('x')</script> & more" in body(message, "plain")  # plain text stays literal
    assert message["Subject"] == "Statusbericht KW 48 · A <b>bold</b> plan · Müller Präzisionstechnik GmbH"


def test_digest_tolerates_missing_optional_keys(pdf: bytes) -> None:
    message = digest_message(
        data={"lang": "en", "engagement": {"lead": None}, "status": {"rag": "red"}},
        recipient_name="",
        recipient_email="a@example.de",
        sender="d@example.de",
        pdf=pdf,
        filename="r.pdf",
        message_id="x@y",
    )
    text = body(message, "plain")
    assert message["Subject"] == "Status report"
    assert text.startswith("Hello,\n")
    assert text.count("- none") == 4  # done, next, risks, workshops
    assert text.rstrip().endswith("Kind regards")  # no lead, no brand: nothing invented
    assert "color:#c0392b" in body(message, "html")


def test_digest_defaults_to_german_for_unknown_language(status_data: dict, pdf: bytes) -> None:
    status_data["lang"] = "fr"
    message = digest(status_data, pdf)
    assert message["Content-Language"] == "de"
    assert message["Subject"].startswith("Statusbericht KW 48")


# Names a contact can be given: long, with commas, quotes, umlauts, and words that would read
# as another header or another address if their quoting were lost.
HOSTILE_NAMES = [
    "Müller, Sabine (Geschäftsführung) – Präzisionstechnik GmbH & Co. KG Abteilung Einkauf und Logistik",
    'Dr. "Hans" Meier; Bcc: x@evil.example, Abteilung für sehr lange Namen, die gefaltet werden müssen',
    'Eva "the boss" Berger, Leitung Qualitaet und Prozessmanagement, Standort Aalen-Unterkochen und Umgebung',
    "Berger, Eva",
    'Back\\slash "Quote"',
    "=?utf-8?q?Kein_Kodiertes_Wort?=",
    "Bcc: evil@example.com",
    "Jörg Weiß",
    "Ünal Öztürk-Çelik, Vertrieb Süd; Région Île-de-France <boss@evil.example>",
]


# Runs longer than one encoded word: RFC 2047 readers join the words, Python's parser puts a
# space between them; the address is one and the same for both.
UNBROKEN_NAMES = ["A" * 80 + ", B", "😀" * 30, "Ölkännchen-Großhandelsgesellschaft-für-Süddeutschland-und-Österreich"]


@pytest.mark.parametrize("name", HOSTILE_NAMES + UNBROKEN_NAMES)
async def test_address_headers_always_round_trip(smtp_server: SmtpTestServer, name: str) -> None:
    message = new_message(
        subject="Statusbericht",
        sender_name=name,
        sender="status@engagement-desk.de",
        recipient_name=name,
        recipient_email="eva@alpha.de",
        message_id="t@engagement-desk.de",
        text="Text",
        html="<p>Text</p>",
    )
    await SmtpMailer.from_url(smtp_server.url).send(message)
    received = smtp_server.messages[-1]
    assert received.rcpt_tos == ["eva@alpha.de"]
    head = received.raw.split(b"\r\n\r\n", 1)[0].decode("ascii")
    assert all(len(line) <= 78 for line in head.split("\r\n")), head
    legacy = email.message_from_bytes(received.raw)
    for header, address in (("To", "eva@alpha.de"), ("From", "status@engagement-desk.de")):
        parsed = received.message[header]
        assert not parsed.defects, (header, head)
        assert [a.addr_spec for a in parsed.addresses] == [address], head
        if name not in UNBROKEN_NAMES:
            assert [a.display_name for a in parsed.addresses] == [name], head
        # An RFC 2047 reader (mail clients; Python's older parser) sees the same one address.
        pairs = email.utils.getaddresses([re.sub(r"\r\n(?=[ \t])", "", legacy[header])])
        decoded = str(email.header.make_header(email.header.decode_header(pairs[0][0])))
        assert [(decoded if "=?utf-8?" in pairs[0][0] else pairs[0][0], pairs[0][1])] == [(name, address)]


def test_the_aiosmtplib_internals_the_handover_relies_on_are_there() -> None:
    """kernel/mail.py drains the transport and marks a reply pending as aiosmtplib itself does;
    an upgrade that renames either must fail here, not lose a digest in production."""
    import inspect

    from aiosmtplib.protocol import SMTPProtocol

    assert inspect.iscoroutinefunction(SMTPProtocol._drain_helper)
    assert "self._response_pending = True" in inspect.getsource(SMTPProtocol)


@pytest.mark.parametrize(
    "name",
    [
        "=?utf-8?b?WA0KQ29udGVudC1UeXBlOiB0ZXh0L3BsYWluDQoNCllvdXIgbGluayBtb3ZlZDogaHR0cDovL2V2aWwuZXhhbXBsZQ0KDQo=?=",
        "=?utf-8?q?ACME=0AReply-To=3A_x=40evil=2Eexample?=",
        "Müller Präzisionstechnik GmbH",
    ],
)
def test_a_subject_reads_back_as_written_whatever_a_name_holds(name: str) -> None:
    """An encoded word in a client's name stays text: no header, no body of the sender's choosing."""
    from backend.kernel.mail import WIRE_POLICY
    from backend.kernel.mail_layout import new_message

    subject = f"Angebot v1 für {name}"
    message = new_message(
        subject=subject,
        sender_name="Beratung",
        sender="status@desk.example",
        recipient_name="Eva",
        recipient_email="eva@alpha.de",
        message_id="<m@desk>",
        text="Guten Tag",
        html="<p>Guten Tag</p>",
    )
    parsed = email.message_from_bytes(message.as_bytes(policy=WIRE_POLICY), policy=email.policy.default)
    assert parsed["Subject"] == subject
    assert parsed["Reply-To"] is None and parsed.get_content_type() == "multipart/alternative"
    assert [part.get_content_type() for part in parsed.iter_parts()] == ["text/plain", "text/html"]
