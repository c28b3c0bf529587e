"""Certificates of completion: one per learner and course, each with a public verification code.

Why it works like this:

* **The code** is what a reader types in (an employer checking a CV) or
  reads aloud over the phone, so it is made of Crockford's base32 letters
  (digits and capitals without I, L, O and U: nothing to confuse, no
  accidental words), printed in four groups of four: ``7K3M-Q9TX-2D4F-H8WR``.
  Fifteen characters are random (75 bits from :mod:`secrets`: a code cannot
  be guessed, even with millions of tries), the sixteenth is a check
  character (Luhn mod 32) that catches every single mistyped character and
  every swap of two neighbours but one (``0``/``Z``), so a typo is reported
  as a typo before any lookup instead of as "no such certificate".
  :func:`normalise_code` forgives what people do when typing: lower case,
  spaces, missing or extra dashes, ``O`` for ``0``, ``I``/``L`` for ``1``.
  No well-kept library does this (Crockford's own check symbol adds
  ``* ~ $ = U``, awkward in a URL and to read aloud), and it is a few lines.
* **What is public**: :func:`lookup` gives only what the certificate itself
  shows (holder's name, course title, level, date of issue): never the
  e-mail address, score, organisation or anything else the portal knows.
* **What is kept**: the row copies the name, title and level at issue, so the
  verification page shows what the printed certificate says even if the
  course is renamed. Issuing is idempotent per learner and course (a unique
  constraint, so two simultaneous requests still make one certificate).
* **Revocation**: deleting a learner's account deletes their certificate
  rows (``portal_certificates.learner_id``; the accounts module does it), so
  a deleted account's codes no longer verify.
* **The PDF** (:func:`certificate_pdf`) is set with fpdf2 in the DejaVu Sans
  font matplotlib ships (see :mod:`lrs.dashboard.pdf`), so any language's
  letters print, and its text stays extractable (copy-paste of the code,
  screen readers).
"""

from __future__ import annotations

import datetime as dt
import re
import secrets
import uuid
from dataclasses import dataclass
from typing import Any, Final, cast

import sqlalchemy as sa
from babel import Locale, UnknownLocaleError
from babel.dates import format_date
from sqlalchemy.engine import Engine

from lrs.config import LrsConfig
from lrs.portal.tables import portal_certificates
from lrs.xapi.profile import CODE, LEVELS
from lrs.xapi.validate import is_language_tag

#: Crockford's base32 alphabet: value ``i`` is ``ALPHABET[i]``.
ALPHABET: Final = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
#: Random characters of a code (5 bits each: 75 bits), then one check character.
RANDOM_CHARS: Final = 15
CODE_CHARS: Final = RANDOM_CHARS + 1
#: Characters per printed group.
GROUP: Final = 4
#: What people type for a code character: Crockford's decoding rules.
_CONFUSED: Final = str.maketrans({"O": "0", "I": "1", "L": "1"})
#: Separators people type inside a code (spaces, dashes of any kind, dots).
_SEPARATORS: Final = re.compile(r"[\s\-\u2010-\u2015\u2212._]+")
#: Longest holder name printed on a certificate (a name, not a paragraph); the profile's limit too.
MAX_NAME_CHARS: Final = 100
MAX_TITLE_CHARS: Final = 500


class CertificateError(ValueError):
    """Bad input for a certificate, with a message naming the field and what to fix."""


class CodeError(CertificateError):
    """A verification code that is not well formed (wrong length, a foreign character, a typo)."""


@dataclass(frozen=True)
class Certificate:
    """One issued certificate, as stored (``portal_certificates``)."""

    code: str
    learner_id: int
    course_iri: str
    registration: str
    name: str
    course_title: str
    level: str | None
    language: str
    issued: dt.datetime


@dataclass(frozen=True)
class PublicCertificate:
    """What the public verification page may show: exactly what the certificate says, nothing more."""

    name: str
    course_title: str
    level: str | None
    issued: dt.date


# --- codes --------------------------------------------------------------------


def check_character(body: str) -> str:
    """The Luhn mod 32 check character of ``body`` (canonical code characters, no dashes).

    Luhn mod N doubles every second value from the right (folding the result
    back into 0..31); it detects every single-character substitution and every
    transposition of neighbours except ``0``<->``Z``.
    """
    total = 0
    for position, char in enumerate(reversed(body)):
        value = ALPHABET.index(char)
        if position % 2 == 0:
            value *= 2
            value = value // 32 + value % 32
        total += value
    return ALPHABET[(32 - total % 32) % 32]


def _grouped(chars: str) -> str:
    return "-".join(chars[i : i + GROUP] for i in range(0, len(chars), GROUP))


def new_code() -> str:
    """A fresh random code in its printed form ``XXXX-XXXX-XXXX-XXXX``."""
    body = "".join(secrets.choice(ALPHABET) for _ in range(RANDOM_CHARS))
    return _grouped(body + check_character(body))


def normalise_code(text: str) -> str:
    """``text`` as a code's printed form, or :class:`CodeError` saying what is wrong with it.

    Accepts lower case, spaces and missing or extra dashes, and reads ``O``
    as ``0`` and ``I``/``L`` as ``1``. A wrong check character means a
    mistyped character: the message says so, so the reader checks the code
    rather than concluding the certificate is fake.
    """
    if not isinstance(text, str):
        raise CodeError("verification code: expected text")
    chars = _SEPARATORS.sub("", text).upper().translate(_CONFUSED)
    if not chars:
        raise CodeError("verification code: empty; type the 16 characters printed on the certificate")
    for position, char in enumerate(chars, start=1):
        if char not in ALPHABET:
            raise CodeError(
                f"verification code: {char!r} (character {position}) is not used in codes; "
                "codes use the digits 0-9 and the letters A-Z except I, L, O and U"
            )
    if len(chars) != CODE_CHARS:
        raise CodeError(f"verification code: {len(chars)} characters, a code has {CODE_CHARS} (four groups of four)")
    if check_character(chars[:RANDOM_CHARS]) != chars[RANDOM_CHARS]:
        raise CodeError("verification code: a character is mistyped (the check character does not match)")
    return _grouped(chars)


# --- issue and lookup -------------------------------------------------------------


def _certificate(row: Any) -> Certificate:
    return Certificate(
        code=row.code,
        learner_id=row.learner_id,
        course_iri=row.course_iri,
        registration=row.registration,
        name=row.name,
        course_title=row.course_title,
        level=row.level,
        language=row.language,
        issued=row.issued,
    )


def certificate_of(engine: Engine, learner_id: int, course_iri: str) -> Certificate | None:
    """The learner's certificate for ``course_iri``, if one was issued."""
    c = portal_certificates.c
    with engine.connect() as conn:
        row = conn.execute(
            sa.select(portal_certificates).where(c.learner_id == learner_id, c.course_iri == course_iri)
        ).first()
    return None if row is None else _certificate(row)


def certificates_of(engine: Engine, learner_id: int) -> list[Certificate]:
    """Every certificate of the learner, oldest first (their portal page, their data export)."""
    c = portal_certificates.c
    with engine.connect() as conn:
        rows = conn.execute(
            sa.select(portal_certificates).where(c.learner_id == learner_id).order_by(c.issued, c.code)
        ).all()
    return [_certificate(row) for row in rows]


def get_certificate(engine: Engine, code: str) -> Certificate | None:
    """The whole certificate of ``code`` (typed in any form), for its PDF; None when none has it.

    A malformed code has no certificate: None too (a link edited by hand
    is a plain "not found", not an error page); :func:`lookup` is the one
    that says what is wrong with a typed code.
    """
    try:
        canonical = normalise_code(code)
    except CodeError:
        return None
    with engine.connect() as conn:
        row = conn.execute(sa.select(portal_certificates).where(portal_certificates.c.code == canonical)).first()
    return None if row is None else _certificate(row)


def _checked_text(value: str, field: str, most: int) -> str:
    text = " ".join(value.split()) if isinstance(value, str) else ""
    if not text:
        raise CertificateError(f"{field}: required; a certificate must show it")
    if len(text) > most:
        raise CertificateError(f"{field}: {len(text)} characters, at most {most}")
    return text


def issue(
    engine: Engine,
    learner_id: int,
    name: str,
    course_iri: str,
    course_title: str,
    level: str | None,
    language: str,
    registration: str,
    now: dt.datetime,
) -> Certificate:
    """The learner's certificate for ``course_iri``: the existing one, else a new one issued ``now``.

    The caller issues it once the course is satisfied in ``registration``.
    ``name`` is the learner's ``display_name`` (required: a certificate
    names its holder); ``language`` (BCP 47) is the certificate's language,
    used for its PDF and its date. Idempotent: a second call, or a
    simultaneous one, returns the first certificate unchanged (the name
    printed is the one given at issue).
    """
    iri = _checked_text(course_iri, "course_iri", 2000)
    values: dict[str, Any] = {
        "learner_id": learner_id,
        "course_iri": iri,
        "registration": _checked_registration(registration),
        "name": _checked_text(name, "display_name", MAX_NAME_CHARS),
        "course_title": _checked_text(course_title, "course_title", MAX_TITLE_CHARS),
        "level": _checked_level(level),
        "language": _checked_language(language),
        "issued": _checked_now(now),
    }
    for _ in range(3):  # a race with another request for the same certificate, or a code collision (2^-75)
        existing = certificate_of(engine, learner_id, iri)
        if existing is not None:
            return existing
        try:
            with engine.begin() as conn:
                conn.execute(sa.insert(portal_certificates).values(code=new_code(), **values))
        except sa.exc.IntegrityError:
            continue  # the other request's certificate is read back at the top
    made = certificate_of(engine, learner_id, iri)
    if made is not None:
        return made
    raise CertificateError("could not store the certificate; try again")


def _checked_registration(registration: str) -> str:
    try:
        return str(uuid.UUID(registration))
    except (TypeError, ValueError, AttributeError):
        raise CertificateError(f"registration: not a UUID: {registration!r}") from None


def _checked_level(level: str | None) -> str | None:
    """A level code: ours (:data:`LEVELS`, printed by name) or an imported course's own (printed as is)."""
    if level is None or level == "":
        return None
    if not isinstance(level, str) or not re.match(CODE, level):
        raise CertificateError(f"level: {level!r} is not a level code (e.g. {', '.join(LEVELS)})")
    return level


def _checked_language(language: str) -> str:
    if not is_language_tag(language):
        raise CertificateError(f"language: {language!r} is not a BCP 47 language tag (e.g. nl, fr-BE)")
    return language


def _checked_now(now: dt.datetime) -> dt.datetime:
    if now.tzinfo is None:
        raise CertificateError("now: give an aware UTC instant (datetime.now(datetime.UTC))")
    return now.astimezone(dt.UTC)


def lookup(engine: Engine, code: str) -> PublicCertificate | None:
    """What the public verification page shows for ``code``, or None if no certificate has it.

    ``code`` may be typed loosely (see :func:`normalise_code`); a malformed
    one raises :class:`CodeError` with a message to show the reader. Only the
    fields printed on the certificate come back.
    """
    found = get_certificate(engine, normalise_code(code))
    if found is None:
        return None
    return PublicCertificate(
        name=found.name, course_title=found.course_title, level=found.level, issued=found.issued.date()
    )


def certificate_issuer(config: LrsConfig, public_base: str) -> str:
    """Who the certificate says issued it: ``LrsConfig.certificate_issuer``, else the LRS's public URL."""
    return config.certificate_issuer or public_base


# --- PDF ----------------------------------------------------------------------------

#: The certificate's words; English is the fallback for any other language.
LABELS: Final[dict[str, dict[str, str]]] = {
    "title": {
        "en": "Certificate of completion",
        "nl": "Certificaat van voltooiing",
        "fr": "Certificat de réussite",
    },
    "awarded": {"en": "awarded to", "nl": "uitgereikt aan", "fr": "décerné à"},
    "completed": {
        "en": "for completing the course",
        "nl": "voor het voltooien van de opleiding",
        "fr": "pour avoir achevé la formation",
    },
    "level": {"en": "Level: {level}", "nl": "Niveau: {level}", "fr": "Niveau\u202f: {level}"},
    "date": {"en": "Date: {date}", "nl": "Datum: {date}", "fr": "Date\u202f: {date}"},
    "issuer": {"en": "Issued by {issuer}", "nl": "Uitgereikt door {issuer}", "fr": "Délivré par {issuer}"},
    "code": {
        "en": "Verification code: {code}",
        "nl": "Verificatiecode: {code}",
        "fr": "Code de vérification\u202f: {code}",
    },
    "verify": {
        "en": "Check this certificate at {url}",
        "nl": "Controleer dit certificaat op {url}",
        "fr": "Vérifiez ce certificat sur {url}",
    },
}

#: The training levels' names (codes of :data:`lrs.xapi.profile.LEVELS`).
LEVEL_NAMES: Final[dict[str, dict[str, str]]] = {
    "basic": {"en": "basic", "nl": "basis", "fr": "base"},
    "deepening": {"en": "deepening", "nl": "verdieping", "fr": "approfondissement"},
    "specialised": {"en": "specialised", "nl": "specialisatie", "fr": "spécialisation"},
}


def _primary(lang: str) -> str:
    return lang.split("-")[0].split("_")[0].lower()


def label(key: str, lang: str, **values: str) -> str:
    """The certificate's word ``key`` in ``lang`` (its primary language, else English), filled in."""
    texts = LABELS[key]
    return texts.get(_primary(lang), texts["en"]).format(**values)


def level_name(level: str, lang: str) -> str:
    """A level code's name in ``lang`` (English, else the code itself, for other languages)."""
    names = LEVEL_NAMES.get(level, {})
    return names.get(_primary(lang)) or names.get("en") or level


def localised_date(day: dt.date, lang: str) -> str:
    """``day`` written out in ``lang`` by Babel ("5 décembre 2026"); English for an unknown locale."""
    try:
        locale = Locale.parse(lang, sep="-")
    except (UnknownLocaleError, ValueError):
        locale = Locale.parse("en")
    return format_date(day, format="long", locale=locale)


def certificate_pdf(cert: Certificate, lang: str | None = None, *, issuer: str, verify_url: str) -> bytes:
    """The printable certificate: A4 landscape, in ``lang`` (default: the certificate's language).

    A language :data:`LABELS` lacks prints in English, date included, rather
    than English words around a German date; adding a language is adding
    its words there.

    ``issuer`` is :func:`certificate_issuer`'s answer and ``verify_url`` the
    public verification page of this code
    (``<public base>/portal/verify/<code>``); both come from the caller,
    which knows the request's public base. The code and URL are printed as
    text (a clickable link too), so they can be copied from the PDF.
    """
    wanted = lang or cert.language
    # Words and date in one language: the one asked for when the certificate speaks it, else English.
    language = wanted if _primary(wanted) in LABELS["title"] else "en"
    title = label("title", language)
    # imported here: fpdf and matplotlib's data would otherwise weigh on every worker, certificates asked or not
    from lrs.dashboard.pdf import new_pdf

    pdf = new_pdf(f"{title}: {cert.course_title}", language, orientation="landscape")
    pdf.set_subject(cert.course_title)
    pdf.set_author(issuer)
    pdf.set_auto_page_break(auto=False)
    pdf.set_margins(25, 22, 25)
    pdf.add_page()
    pdf.set_draw_color(31, 78, 121)
    pdf.set_line_width(1.2)
    pdf.rect(10, 10, pdf.w - 20, pdf.h - 20)
    pdf.set_line_width(0.3)
    pdf.rect(13, 13, pdf.w - 26, pdf.h - 26)

    def line(text: str, size: float, height: float, *, bold: bool = False, gap: float = 0) -> None:
        pdf.set_font("DejaVu", "B" if bold else "", size)
        pdf.multi_cell(0, height, text, align="C", new_x="LMARGIN", new_y="NEXT")
        if gap:
            pdf.ln(gap)

    def fitted(text: str, size: float, most: float, *, gap: float) -> None:
        """``text`` in bold at ``size`` points, smaller as needed to stay within ``most`` mm of height."""
        while size > 9:
            pdf.set_font("DejaVu", "B", size)
            height = cast(float, pdf.multi_cell(0, size * 0.45, text, dry_run=True, output="HEIGHT"))
            if height <= most:
                break
            size -= 1
        line(text, size, size * 0.45, bold=True, gap=gap)

    pdf.set_y(30)
    pdf.set_text_color(31, 78, 121)
    line(title, 30, 14, bold=True, gap=8)
    pdf.set_text_color(0, 0, 0)
    line(label("awarded", language), 13, 7, gap=2)
    fitted(cert.name, 26, 24, gap=6)  # long names and titles get smaller, never reach the code below
    line(label("completed", language), 13, 7, gap=2)
    fitted(cert.course_title, 18, 36, gap=5)
    if cert.level:
        line(label("level", language, level=level_name(cert.level, language)), 12, 7)
    line(label("date", language, date=localised_date(cert.issued.date(), language)), 12, 7)
    line(label("issuer", language, issuer=issuer), 12, 7)
    pdf.set_y(pdf.h - 42)
    pdf.set_text_color(60, 60, 60)
    line(label("code", language, code=cert.code), 11, 6, bold=True)
    pdf.set_font("DejaVu", "", 10)
    pdf.set_text_color(31, 78, 121)
    pdf.multi_cell(0, 6, label("verify", language, url=verify_url), align="C", link=verify_url)
    return bytes(pdf.output())
