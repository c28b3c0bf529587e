"""Signed statements (1.0.3 Data §2.6, 2.0 §4.2.6): check the JWS before storing.

A signed statement carries a JWS (RFC 7515, compact serialization) as an
attachment with usageType ``.../attachments/signature`` and contentType
``application/octet-stream``. The LRS must refuse malformed signatures:
the JWS must parse, use RS256/384/512, carry as payload the statement as it
was before the signature was attached (logically equal, per the statement
comparison rules), and, when its header has an ``x5c`` certificate chain,
verify against the first certificate. As the spec notes, this catches
mistakes; it does not prove who signed.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Mapping
from typing import Any, Final

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from lrs.store.interface import Attachment
from lrs.xapi.jsontext import ClientJsonError, parse_client_json
from lrs.xapi.statements import comparable
from lrs.xapi.validate import SIGNATURE_USAGE

ALGORITHMS: Final[dict[str, type[hashes.HashAlgorithm]]] = {
    "RS256": hashes.SHA256,
    "RS384": hashes.SHA384,
    "RS512": hashes.SHA512,
}
SIGNATURE_CONTENT_TYPE: Final = "application/octet-stream"


class SignatureError(ValueError):
    """The statement's signature is malformed or does not match (HTTP 400)."""


def _b64url(text: str, what: str) -> bytes:
    try:
        return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except (binascii.Error, ValueError) as error:
        raise SignatureError(f"the JWS {what} is not base64url") from error


def signature_attachments(statement: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    """The statement's attachments that claim to be its signature."""
    return [
        item
        for item in statement.get("attachments") or []
        if isinstance(item, Mapping) and item.get("usageType") == SIGNATURE_USAGE
    ]


def check_signed_statement(statement: Mapping[str, Any], uploaded: Mapping[str, Attachment]) -> None:
    """Raise :class:`SignatureError` unless every signature of ``statement`` is well formed.

    ``uploaded`` maps sha2 to the attachment bytes that came with the request.
    """
    for item in signature_attachments(statement):
        content_type = str(item.get("contentType", "")).split(";", 1)[0].strip().lower()
        if content_type != SIGNATURE_CONTENT_TYPE:
            raise SignatureError(f"attachments: a signature must have contentType {SIGNATURE_CONTENT_TYPE}")
        sha2 = str(item.get("sha2", "")).lower()
        attachment = uploaded.get(sha2)
        if attachment is None:
            raise SignatureError("attachments: the signature's JWS must be sent as a part of the request")
        try:
            jws = attachment.content.decode("ascii").strip()
        except UnicodeDecodeError as error:
            raise SignatureError("the signature is not a JWS compact serialization") from error
        payload = verify_jws(jws)
        if comparable(payload, drop_attachments=True) != comparable(statement, drop_attachments=True):
            raise SignatureError("the signature's payload does not match the statement it signs")


def verify_jws(jws: str) -> dict[str, Any]:
    """Check a compact JWS's structure, algorithm and (with ``x5c``) signature; return its payload."""
    pieces = jws.split(".")
    if len(pieces) != 3 or not all(pieces[:2]):
        raise SignatureError("the signature is not a JWS compact serialization (header.payload.signature)")
    header = _json(_b64url(pieces[0], "header"), "header")
    algorithm = header.get("alg")
    if algorithm not in ALGORITHMS:
        raise SignatureError(f"the JWS algorithm must be RS256, RS384 or RS512, not {algorithm!r}")
    payload = _json(_b64url(pieces[1], "payload"), "payload")
    signature = _b64url(pieces[2], "signature")
    if not signature:
        raise SignatureError("the JWS has no signature")
    chain = header.get("x5c")
    if chain is not None:
        _verify_with_certificate(chain, f"{pieces[0]}.{pieces[1]}".encode("ascii"), signature, algorithm)
    return payload


def _json(data: bytes, what: str) -> dict[str, Any]:
    try:
        value = parse_client_json(data, f"the JWS {what}")
    except ClientJsonError as error:
        raise SignatureError(str(error).rstrip(".")) from error
    if not isinstance(value, dict):
        raise SignatureError(f"the JWS {what} must be a JSON object")
    return value


def _verify_with_certificate(chain: Any, signed: bytes, signature: bytes, algorithm: str) -> None:
    if not isinstance(chain, list) or not chain or not isinstance(chain[0], str):
        raise SignatureError("the JWS x5c header must be a non-empty array of base64 certificates")
    try:
        certificate = x509.load_der_x509_certificate(base64.b64decode(chain[0], validate=True))
    except (binascii.Error, ValueError) as error:
        raise SignatureError("the first x5c certificate cannot be read") from error
    key = certificate.public_key()
    if not isinstance(key, rsa.RSAPublicKey):
        raise SignatureError("the x5c certificate must hold an RSA key for RS256/384/512")
    try:
        key.verify(signature, signed, padding.PKCS1v15(), ALGORITHMS[algorithm]())
    except InvalidSignature as error:
        raise SignatureError("the JWS signature does not verify against its x5c certificate") from error
