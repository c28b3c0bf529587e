"""Which courses a course folder holds: one (``SRC/course.yaml``) or several (``SRC/<id>/course.yaml``).

This is the one place that decides what a course folder is, so every
``course`` command finds the same courses. In the several-courses layout the
folder name must equal the course ``id``: package names, the build state and
the preview all start from the id, and a folder named like another course's
id would make two courses look like one.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from builder.source.problems import ProblemList
from builder.source.yaml_tree import YamlFileError, load_yaml

COURSE_FILE = "course.yaml"


@dataclass(frozen=True)
class CourseFolder:
    """One course found in the course folder.

    ``id`` is the course's own id from its course.yaml (the folder name when
    that file cannot be read: ``course check`` then reports why).
    """

    id: str
    root: Path


@dataclass
class CourseCollection:
    """Every course of a course folder, and what is wrong with the layout itself."""

    src: Path
    courses: list[CourseFolder] = field(default_factory=list)
    #: ``True`` when ``src`` holds one course per subfolder.
    several: bool = False
    problems: ProblemList = field(default_factory=ProblemList)

    @property
    def ids(self) -> list[str]:
        """Course ids, in folder order."""
        return [c.id for c in self.courses]


def _declared(course_file: Path, *keys: str) -> dict[str, tuple[str, int]]:
    """The string values a course.yaml gives ``keys``, with their lines (a key left out cannot be read).

    Only what discovery needs is read here; ``course check`` validates the
    whole file and reports its errors at their lines.
    """
    try:
        doc = load_yaml(course_file)
    except YamlFileError:
        return {}
    data = doc.data if isinstance(doc.data, dict) else {}
    return {key: (data[key], doc.line_of((key,))) for key in keys if isinstance(data.get(key), str)}


def find_courses(src: Path) -> CourseCollection:
    """The courses in ``src``: a folder whose subfolders have course.yaml holds several; any other folder is one.

    A subfolder whose name is not its course's id, a second course with an
    id already taken, and one with another course's ``base_iri`` (its
    activity ids, and so its statements in the LRS, would be the other
    course's) are errors at that line of its course.yaml; such a course is
    left out, the others are still found.
    """
    found = CourseCollection(src)
    subfolders = sorted(p.parent for p in src.glob(f"*/{COURSE_FILE}") if p.is_file())
    own = src / COURSE_FILE
    if own.is_file():
        if subfolders:
            names = ", ".join(f"{p.name}/{COURSE_FILE}" for p in subfolders)
            found.problems.error(
                own,
                0,
                "",
                f"this folder holds a course and also courses in subfolders ({names}); "
                f"keep one course here or move it into a subfolder named after its id",
            )
            return found
        own_id = _declared(own, "id").get("id")
        found.courses.append(CourseFolder(own_id[0] if own_id else src.resolve().name, src))
        return found
    if not subfolders:
        # no course anywhere (or no folder): one course that ``course check`` reports as missing, file by file
        found.courses.append(CourseFolder(src.resolve().name, src))
        return found
    found.several = True
    for stray in sorted(p for p in src.iterdir() if p.is_dir() and not p.name.startswith(".")):
        if stray not in subfolders:
            found.problems.warning(stray, 0, "", f"no {COURSE_FILE} in this folder: it is not a course and is ignored")
    first_file: dict[str, Path] = {}
    iri_file: dict[str, Path] = {}
    for folder in subfolders:
        course_file = folder / COURSE_FILE
        values = _declared(course_file, "id", "base_iri")
        if "id" not in values:
            # course.yaml cannot be read or has no id: course check says why, at its line
            found.courses.append(CourseFolder(folder.name, folder))
            first_file.setdefault(folder.name, course_file)
            continue
        declared, line = values["id"]
        ok = True
        if declared != folder.name:
            found.problems.error(
                course_file,
                line,
                "id",
                f"the folder is named '{folder.name}' but the course id is '{declared}'; "
                f"rename the folder or the id so they are the same",
            )
            ok = False
        if declared in first_file:
            found.problems.error(
                course_file,
                line,
                "id",
                f"'{declared}' is already the id of {first_file[declared]}; every course needs its own id "
                f"(package names start with it)",
            )
            ok = False
        first_file.setdefault(declared, course_file)
        if "base_iri" in values:
            base_iri, iri_line = values["base_iri"]
            key = base_iri.rstrip("/")
            if key in iri_file:
                found.problems.error(
                    course_file,
                    iri_line,
                    "base_iri",
                    f"'{base_iri}' is already the base_iri of {iri_file[key]}; give each course its own, "
                    f"or the LRS cannot tell their activities apart",
                )
                ok = False
            iri_file.setdefault(key, course_file)
        if ok:
            found.courses.append(CourseFolder(declared, folder))
    return found
