"""IRIs the xAPI and cmi5 specifications define, as the LRS uses them: each written once, here.

The LRS checks cmi5 statements (:mod:`lrs.xapi.cmi5_rules`), writes the
LMS's own cmi5 statements (:mod:`lrs.api.cmi5`) and reads course structures
(:mod:`lrs.api.preview`); a typo in one copy of an IRI would make one of
them silently disagree with the others. Our own extension IRIs are in
:mod:`lrs.xapi.profile`; the builder's namespaces in ``builder/spec.py``.
"""

from __future__ import annotations

from typing import Final

ADL_VERBS: Final = "http://adlnet.gov/expapi/verbs/"
"""ADL's xAPI verbs (xAPI 1.0.3 and cmi5 §9.3: initialized, completed, passed, failed, terminated, launched, voided)."""
ADL_PROFILE_VERBS: Final = "https://w3id.org/xapi/adl/verbs/"
"""The verbs ADL publishes for cmi5's LMS-issued statements (§9.3: abandoned, satisfied, waived)."""

LAUNCHED: Final = ADL_VERBS + "launched"
ABANDONED: Final = ADL_PROFILE_VERBS + "abandoned"
SATISFIED: Final = ADL_PROFILE_VERBS + "satisfied"
WAIVED: Final = ADL_PROFILE_VERBS + "waived"

CMI5_CATEGORY: Final = "https://w3id.org/xapi/cmi5/context/categories/cmi5"
"""Marks a "cmi5 defined" statement (§9.6.2.1)."""
MOVEON_CATEGORY: Final = "https://w3id.org/xapi/cmi5/context/categories/moveon"
"""Marks a statement that counts toward moveOn (§9.6.2.2)."""

CMI5_EXTENSIONS: Final = "https://w3id.org/xapi/cmi5/context/extensions/"
"""Base of cmi5's context extensions and LaunchData keys (§9.6.3, §10)."""
SESSION_ID: Final = CMI5_EXTENSIONS + "sessionid"
MASTERY_SCORE: Final = CMI5_EXTENSIONS + "masteryscore"
LAUNCH_MODE: Final = CMI5_EXTENSIONS + "launchmode"
MOVE_ON: Final = CMI5_EXTENSIONS + "moveon"
LAUNCH_PARAMETERS: Final = CMI5_EXTENSIONS + "launchparameters"
LAUNCH_URL: Final = CMI5_EXTENSIONS + "launchurl"
WAIVED_REASON: Final = "https://w3id.org/xapi/cmi5/result/extensions/reason"
"""Result extension of the LMS's "waived" statement: why the AU was waived (§9.5.5.2)."""
WAIVE_REASONS: Final = ("Tested Out", "Equivalent AU", "Equivalent Outside Activity", "Administrative")
"""The reasons §9.5.5.2 says the LMS SHOULD give for waiving an AU."""

INTERACTION_TYPE: Final = "http://adlnet.gov/expapi/activities/cmi.interaction"
"""Activity type of a test question or form answer (xAPI Data 2.4.4.1, interaction activities)."""
ASSESSMENT_TYPE: Final = "http://adlnet.gov/expapi/activities/assessment"
"""ADL's activity type of a test (the player's per-attempt passed/failed statements are about one)."""

VIDEO_PROFILE: Final = "https://w3id.org/xapi/video"
"""The xAPI Video Profile (the player's clip statements)."""
VIDEO_TYPE: Final = VIDEO_PROFILE + "/activity-type/video"
VIDEO_EXTENSIONS: Final = VIDEO_PROFILE + "/extensions/"

CMI5_COURSE_TYPE: Final = "https://w3id.org/xapi/cmi5/activitytype/course"
"""Activity type of the course in the LMS's "satisfied" statement for it (§9.5.4.2)."""

CMI5_STRUCTURE: Final = "https://w3id.org/xapi/profiles/cmi5/v1/CourseStructure.xsd"
"""XML namespace of a cmi5 course structure (cmi5.xml, §13.1)."""
