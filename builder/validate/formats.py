"""The package formats ``course validate`` knows, and the XML namespaces that identify them.

The namespaces themselves are spec facts defined once in :mod:`builder.spec`
(the writers and the validator's modules import them from there); here they
only name each format's prefix in messages.
"""

from __future__ import annotations

from enum import StrEnum

from builder.spec import (
    ADLCP_12,
    ADLCP_2004,
    ADLNAV_2004,
    ADLSEQ_2004,
    CMI5,
    IMSCP_12,
    IMSCP_2004,
    IMSMD_12,
    IMSSS,
    LOM,
    TINCAN,
    XML,
)

__all__ = [
    "MANIFEST_NAMES",
    "PREFIXES",
    "SCORM_2004_EDITIONS",
    "PackageFormat",
    "qualified",
    "short_name",
]


class PackageFormat(StrEnum):
    """A family of packages, each validated by its own schema set and rules."""

    SCORM_12 = "SCORM 1.2"
    SCORM_2004 = "SCORM 2004"
    CMI5 = "cmi5"
    TINCAN = "xAPI (TinCan)"


PREFIXES = {
    IMSCP_12: "imscp",
    ADLCP_12: "adlcp",
    IMSMD_12: "imsmd",
    IMSCP_2004: "imscp",
    ADLCP_2004: "adlcp",
    ADLSEQ_2004: "adlseq",
    ADLNAV_2004: "adlnav",
    IMSSS: "imsss",
    LOM: "lom",
    CMI5: "cmi5",
    TINCAN: "tincan",
    XML: "xml",
}
"""Conventional prefixes, used to shorten ``{namespace}name`` in messages to ``prefix:name``."""

MANIFEST_NAMES = {
    "imsmanifest.xml": (PackageFormat.SCORM_12, PackageFormat.SCORM_2004),
    "cmi5.xml": (PackageFormat.CMI5,),
    "tincan.xml": (PackageFormat.TINCAN,),
}
"""Manifest file at the zip's root -> the formats it may announce, in the order they are looked for."""

SCORM_2004_EDITIONS = {
    "2004 4th Edition": "SCORM 2004 4th edition",
    "2004 3rd Edition": "SCORM 2004 3rd edition",
    "CAM 1.3": "SCORM 2004 2nd edition",
}
"""``<schemaversion>`` values of SCORM 2004 manifests -> the edition they announce.

Only the 4th edition XSDs are in the schemas folder; they accept what the
earlier editions allowed, so every edition is validated against them.
"""


def qualified(namespace: str, name: str) -> str:
    """Clark notation ``{namespace}name``, the form lxml uses for tags and attributes."""
    return f"{{{namespace}}}{name}"


def short_name(clark: str) -> str:
    """``{http://www.imsglobal.org/xsd/imsss}objective`` -> ``imsss:objective`` for messages."""
    if not clark.startswith("{"):
        return clark
    namespace, _, name = clark[1:].partition("}")
    prefix = PREFIXES.get(namespace)
    return f"{prefix}:{name}" if prefix else clark
