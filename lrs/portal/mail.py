"""The portal's e-mails: the confirmation link, the reset link, the "already registered" note.

Why it looks like this:

* Messages are built with :class:`email.message.EmailMessage` and sent with
  :mod:`smtplib`, both from the standard library: no hand-made MIME, and a
  header with a line break (header injection) is refused by the library.
* ``LrsConfig.smtp_url`` names the server: ``smtp://`` upgrades to TLS with
  STARTTLS when the server offers it, ``smtps://`` speaks TLS from the
  start. A password is never sent over a connection without TLS except to
  this machine (a local relay), so a misconfigured server cannot make the
  LRS give its mail password away in clear.
* Without ``smtp_url`` (development, tests) each message is written to the
  log instead (logger :data:`MAIL_LOGGER`, INFO): headers and the body as
  text, links intact. That is the "development mail log" the end-to-end
  test reads to follow a confirmation link. It holds e-mail addresses and
  live links, so a production LRS sets ``smtp_url``.
* The texts (Dutch, French, English fallback) are in :data:`MESSAGES` for
  now; the portal's ``.po`` catalogues may take them over later.
"""

from __future__ import annotations

import ipaddress
import logging
import smtplib
import ssl
from dataclasses import dataclass
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from string import Formatter
from typing import TYPE_CHECKING, Final
from urllib.parse import unquote, urlsplit

if TYPE_CHECKING:
    from lrs.config import LrsConfig

#: Logger of the development mail log (and of sending failures).
MAIL_LOGGER: Final = "lrs.portal.mail"
#: Seconds to wait for the SMTP server at each step before giving up.
SMTP_TIMEOUT_SECONDS: Final = 30
#: Port when the URL names none: mail submission (587) for ``smtp``, implicit TLS (465) for ``smtps``.
DEFAULT_PORTS: Final = {"smtp": 587, "smtps": 465}
#: Sender of the development mail log when ``mail_from`` is unset.
DEVELOPMENT_SENDER: Final = "portal@localhost"

_log = logging.getLogger(MAIL_LOGGER)


class MailError(Exception):
    """A message could not be handed to the SMTP server (the reason says why; the caller logs it)."""


@dataclass(frozen=True)
class SmtpServer:
    """Where and how to hand messages over, from ``LrsConfig.smtp_url``."""

    tls: bool  # True: TLS from the start (smtps); False: STARTTLS when offered (smtp)
    host: str
    port: int
    user: str | None
    password: str | None

    @property
    def local(self) -> bool:
        """Whether the server is this machine (a relay where a cleartext login cannot be overheard)."""
        if self.host == "localhost":
            return True
        try:
            return ipaddress.ip_address(self.host).is_loopback
        except ValueError:
            return False


def parse_smtp_url(url: str) -> SmtpServer:
    """The server of ``smtp://[user[:password]@]host[:port]`` or ``smtps://...``; ValueError naming the setting."""
    where = "smtp_url (GSOG_LRS_SMTP_URL)"
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as error:
        raise ValueError(f"{where}: not a URL ({error})") from None
    if parts.scheme not in DEFAULT_PORTS:
        raise ValueError(f"{where}: must start with smtp:// or smtps://")
    if not parts.hostname:
        raise ValueError(f"{where}: names no host")
    if parts.path not in ("", "/") or parts.query or parts.fragment:
        raise ValueError(f"{where}: give only smtp(s)://user:password@host:port, no path or query")
    return SmtpServer(
        tls=parts.scheme == "smtps",
        host=parts.hostname,
        port=port or DEFAULT_PORTS[parts.scheme],
        user=unquote(parts.username) if parts.username else None,
        password=unquote(parts.password) if parts.password is not None else None,
    )


def _address(value: str, where: str) -> Address:
    """``value`` as one plain e-mail address (``name@domain``), else ValueError naming ``where``."""
    if "@" not in value or any(c.isspace() or c in '<>,;"' for c in value):
        raise ValueError(f"{where}: must be one plain e-mail address such as portal@example.org, got {value!r}")
    local, _, domain = value.rpartition("@")
    try:
        return Address(username=local, domain=domain)
    except ValueError as error:
        raise ValueError(f"{where}: {error}") from None


def check_mail_settings(smtp_url: str, mail_from: str) -> None:
    """Refuse mail settings the portal cannot send with (called by ``LrsConfig``), naming the setting."""
    if smtp_url:
        parse_smtp_url(smtp_url)
        if not mail_from:
            raise ValueError("mail_from (GSOG_LRS_MAIL_FROM): set the sender address when smtp_url is set")
    if mail_from:
        _address(mail_from, "mail_from (GSOG_LRS_MAIL_FROM)")


def build_message(sender: str, to: str, subject: str, body_text: str) -> EmailMessage:
    """One plain-text UTF-8 message; ValueError for an address or header the library refuses."""
    message = EmailMessage()
    message["From"] = _address(sender, "sender")
    message["To"] = _address(to, "to")
    message["Subject"] = subject
    message["Date"] = formatdate(localtime=False, usegmt=True)
    message["Message-ID"] = make_msgid(domain=sender.rpartition("@")[2])
    message.set_content(body_text)
    return message


def _readable(message: EmailMessage) -> str:
    """Headers and the decoded body: what the log shows (no quoted-printable breaking links)."""
    shown = (item for item in message.items() if item[0] != "Content-Transfer-Encoding")  # the body is decoded
    headers = "\n".join(f"{name}: {value}" for name, value in shown)
    return f"{headers}\n\n{message.get_content()}"


def send_mail(config: LrsConfig, to: str, subject: str, body_text: str) -> None:
    """Send one plain-text message to ``to``, or log it when no SMTP server is configured.

    MailError when the server cannot be reached or refuses the message;
    ValueError for an address or subject no message may carry. The caller
    decides what the person sees (the portal answers the same either way,
    so a failure never tells whether an address has an account).
    """
    sender = config.mail_from or DEVELOPMENT_SENDER
    message = build_message(sender, to, subject, body_text)
    if not config.smtp_url:
        _log.info("development mail log (no smtp_url set):\n%s", _readable(message))
        return
    server = parse_smtp_url(config.smtp_url)
    try:
        _deliver(server, message)
    except (OSError, smtplib.SMTPException) as error:  # SMTPException is an OSError; both for clarity
        raise MailError(f"sending mail via {server.host}:{server.port} failed: {error}") from error


def _deliver(server: SmtpServer, message: EmailMessage) -> None:
    context = ssl.create_default_context()
    smtp: smtplib.SMTP
    if server.tls:
        smtp = smtplib.SMTP_SSL(server.host, server.port, timeout=SMTP_TIMEOUT_SECONDS, context=context)
    else:
        smtp = smtplib.SMTP(server.host, server.port, timeout=SMTP_TIMEOUT_SECONDS)
    with smtp:
        smtp.ehlo()
        encrypted = server.tls
        if not server.tls and smtp.has_extn("starttls"):
            smtp.starttls(context=context)
            smtp.ehlo()
            encrypted = True
        if server.user is not None:
            if not encrypted and not server.local:
                raise MailError(
                    f"{server.host} offers no STARTTLS: the mail password is not sent in clear "
                    "(use smtps:// or a server with TLS)"
                )
            smtp.login(server.user, server.password or "")
        smtp.send_message(message)


#: The portal's messages by kind and language: (subject, body). Bodies name their values in braces.
MESSAGES: Final[dict[str, dict[str, tuple[str, str]]]] = {
    "verify": {
        "en": (
            "Confirm your e-mail address",
            "Welcome to the learner portal.\n\n"
            "Open this link to confirm your e-mail address (it works once, for 48 hours):\n\n"
            "{link}\n\n"
            "If you did not sign up, ignore this message: without confirmation nothing happens.\n",
        ),
        "nl": (
            "Bevestig je e-mailadres",
            "Welkom op het leerplatform.\n\n"
            "Open deze link om je e-mailadres te bevestigen (hij werkt één keer, 48 uur lang):\n\n"
            "{link}\n\n"
            "Heb je je niet aangemeld? Negeer dan dit bericht: zonder bevestiging gebeurt er niets.\n",
        ),
        "fr": (
            "Confirmez votre adresse e-mail",
            "Bienvenue sur le portail de formation.\n\n"
            "Ouvrez ce lien pour confirmer votre adresse e-mail (il fonctionne une fois, pendant 48 heures) :\n\n"
            "{link}\n\n"
            "Si vous ne vous êtes pas inscrit·e, ignorez ce message : sans confirmation, rien ne se passe.\n",
        ),
    },
    "reset": {
        "en": (
            "Reset your password",
            "Someone, hopefully you, asked to reset the password of your learner portal account.\n\n"
            "Open this link to choose a new password (it works once, for 1 hour):\n\n"
            "{link}\n\n"
            "If you did not ask for this, ignore this message: your password stays as it is.\n",
        ),
        "nl": (
            "Stel je wachtwoord opnieuw in",
            "Iemand, hopelijk jij, vroeg om het wachtwoord van je account op het leerplatform opnieuw in te "
            "stellen.\n\n"
            "Open deze link om een nieuw wachtwoord te kiezen (hij werkt één keer, 1 uur lang):\n\n"
            "{link}\n\n"
            "Heb je dit niet gevraagd? Negeer dan dit bericht: je wachtwoord blijft zoals het is.\n",
        ),
        "fr": (
            "Réinitialisez votre mot de passe",
            "Quelqu'un, vous sans doute, a demandé à réinitialiser le mot de passe de votre compte sur le "
            "portail de formation.\n\n"
            "Ouvrez ce lien pour choisir un nouveau mot de passe (il fonctionne une fois, pendant 1 heure) :\n\n"
            "{link}\n\n"
            "Si vous n'avez rien demandé, ignorez ce message : votre mot de passe reste inchangé.\n",
        ),
    },
    "already_registered": {
        "en": (
            "Sign-up with your e-mail address",
            "Someone, perhaps you, tried to sign up on the learner portal with this e-mail address. "
            "It already has an account.\n\n"
            "If it was you, just sign in. Forgot your password? Choose a new one here:\n\n"
            "{link}\n\n"
            "If it was not you, ignore this message: nothing has changed.\n",
        ),
        "nl": (
            "Aanmelding met je e-mailadres",
            "Iemand, misschien jij, probeerde zich met dit e-mailadres aan te melden op het leerplatform. "
            "Er bestaat al een account mee.\n\n"
            "Was jij het? Meld je dan gewoon aan. Wachtwoord vergeten? Kies hier een nieuw:\n\n"
            "{link}\n\n"
            "Was jij het niet? Negeer dan dit bericht: er is niets veranderd.\n",
        ),
        "fr": (
            "Inscription avec votre adresse e-mail",
            "Quelqu'un, peut-être vous, a tenté de s'inscrire sur le portail de formation avec cette adresse "
            "e-mail. Elle a déjà un compte.\n\n"
            "Si c'était vous, connectez-vous simplement. Mot de passe oublié ? Choisissez-en un nouveau ici :\n\n"
            "{link}\n\n"
            "Si ce n'était pas vous, ignorez ce message : rien n'a changé.\n",
        ),
    },
}
#: Language of a message when the learner's has no text (or the learner has none).
FALLBACK_LANGUAGE: Final = "en"


def mail_text(kind: str, language: str | None, **values: str) -> tuple[str, str]:
    """Subject and body of message ``kind`` in ``language`` (``nl-BE`` reads as ``nl``; else English).

    ``values`` fill the body's placeholders (``link``: the confirmation
    link, the reset link, or for ``already_registered`` the page that asks
    for a reset link); ValueError names a missing
    or unknown one, so a mail never goes out with a hole where its link was.
    """
    texts = MESSAGES.get(kind)
    if texts is None:
        raise ValueError(f"mail kind {kind!r} is not one of {', '.join(MESSAGES)}")
    primary = (language or "").split("-")[0].lower()
    subject, body = texts.get(primary) or texts[FALLBACK_LANGUAGE]
    wanted = {name for _, name, _, _ in Formatter().parse(body) if name}
    if wanted != set(values):
        raise ValueError(f"mail {kind!r} needs values {sorted(wanted)}, got {sorted(values)}")
    return subject, body.format(**values)
