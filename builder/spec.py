"""Facts the e-learning specifications fix: XML namespaces and activity type IRIs.

Each is defined here once. The writers that produce a manifest and the
validator that checks one import the same constant, so a typo cannot make
our own packages and our own validator agree on a namespace no LMS knows.
"""

from __future__ import annotations

from typing import Final

from lrs.xapi.spec import CMI5_STRUCTURE

XML: Final = "http://www.w3.org/XML/1998/namespace"
XSI: Final = "http://www.w3.org/2001/XMLSchema-instance"

# SCORM 1.2 (IMS Content Packaging 1.1.2, ADL CP 1.2, IMS Metadata 1.2.1)
IMSCP_12: Final = "http://www.imsproject.org/xsd/imscp_rootv1p1p2"
ADLCP_12: Final = "http://www.adlnet.org/xsd/adlcp_rootv1p2"
IMSMD_12: Final = "http://www.imsglobal.org/xsd/imsmd_rootv1p2p1"
SCORM_12_VERSION: Final = "1.2"
"""``<schemaversion>`` of a SCORM 1.2 manifest."""

# SCORM 2004 4th edition (IMS CP 1.1.4, ADL CP/sequencing/navigation 1.3, IMS SS, IEEE LOM)
IMSCP_2004: Final = "http://www.imsglobal.org/xsd/imscp_v1p1"
ADLCP_2004: Final = "http://www.adlnet.org/xsd/adlcp_v1p3"
ADLSEQ_2004: Final = "http://www.adlnet.org/xsd/adlseq_v1p3"
ADLNAV_2004: Final = "http://www.adlnet.org/xsd/adlnav_v1p3"
IMSSS: Final = "http://www.imsglobal.org/xsd/imsss"
LOM: Final = "http://ltsc.ieee.org/xsd/LOM"

# cmi5 course structure (the LRS's preview reads it too: defined in lrs/xapi/spec.py) and the TinCan launch manifest
CMI5: Final = CMI5_STRUCTURE
TINCAN: Final = "http://projecttincan.com/tincan.xsd"

# The player's content script in every package (builder/payload.py writes it; the validator,
# the LRS preview and the LRS course import read it): one ``window.<NAME>=<JSON>;`` line per global.
CONTENT_SCRIPT: Final = "content/course.js"
CONTENT_GLOBAL: Final = "GSOG_CONTENT"
"""The course document: course, modules and units with their titles and texts."""
PROFILE_GLOBAL: Final = "GSOG_PROFILE"
"""The xAPI profile vocabulary and the build-time learner-context values (lrs.xapi.profile)."""


def script_line_prefix(name: str) -> str:
    """How the content script's line assigning global ``name`` starts."""
    return f"window.{name}="


# xAPI activity types (ADL vocabulary) used in tincan.xml
COURSE_ACTIVITY: Final = "http://adlnet.gov/expapi/activities/course"
MODULE_ACTIVITY: Final = "http://adlnet.gov/expapi/activities/module"
