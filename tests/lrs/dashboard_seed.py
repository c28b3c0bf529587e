"""A small cohort of statements shaped like the player's, for the dashboard tests.

Learners are pseudonymous LMS accounts. Each launches module 1, most
complete it and some pass; their statements carry the learner context
extensions the packages set (sector, language, package version) and the
launch adds (organisation, region, level). Group sizes are chosen so that
some report cells are shown and some are suppressed at k = 5:
12 police learners, 7 justice and 2 education.
"""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any, Final

from lrs.xapi.profile import iri

COURSE: Final = "https://gsog.example.org/course/gsog"
MODULE: Final = f"{COURSE}/modules/m1"
_VERBS: Final = "http://adlnet.gov/expapi/verbs/"
#: (sector, organisation, region, level, learners, completed, passed)
GROUPS: Final = (
    ("police", "pz-antwerpen", "BE-VAN", "basic", 12, 10, 8),
    ("justice", "ij-brussel", "BE-BRU", "deepening", 7, 6, 5),
    ("education", "ko-gent", "BE-VOV", "basic", 2, 1, 1),
)
#: The day every seeded statement happened (reports filter on the statement timestamp).
DAY: Final = dt.date(2026, 3, 10)


def _statement(
    actor: dict[str, Any], verb: str, context: dict[str, Any], when: dt.datetime, **extra: Any
) -> dict[str, Any]:
    return {
        "id": str(uuid.uuid4()),
        "actor": actor,
        "verb": {"id": _VERBS + verb, "display": {"en": verb}},
        "object": {"objectType": "Activity", "id": MODULE, "definition": {"name": {"nl": "Module 1"}}},
        "context": context,
        "timestamp": when.isoformat().replace("+00:00", "Z"),
        **extra,
    }


def cohort(day: dt.date = DAY) -> list[dict[str, Any]]:
    """The statements of every learner of :data:`GROUPS`, in time order per learner."""
    out: list[dict[str, Any]] = []
    start = dt.datetime.combine(day, dt.time(9), tzinfo=dt.UTC)
    number = 0
    for sector, organisation, region, level, learners, completed, passed in GROUPS:
        for n in range(learners):
            number += 1
            actor = {
                "objectType": "Agent",
                "account": {"homePage": "https://lms.example.org", "name": f"p{number:04d}"},
            }
            context = {
                "registration": str(uuid.uuid4()),
                "contextActivities": {"grouping": [{"id": COURSE}]},
                "extensions": {
                    iri("sector"): sector,
                    iri("language"): "nl",
                    iri("course"): COURSE,
                    iri("package-version"): "1.0.0",
                    iri("organisation"): organisation,
                    iri("region"): region,
                    iri("level"): level,
                },
            }
            out.append(_statement(actor, "initialized", context, start))
            if n < completed:
                out.append(_statement(actor, "completed", context, start + dt.timedelta(minutes=30)))
            if n < passed:
                out.append(
                    _statement(
                        actor,
                        "passed",
                        context,
                        start + dt.timedelta(minutes=31),
                        result={"success": True, "score": {"scaled": 0.9}},
                    )
                )
    return out
