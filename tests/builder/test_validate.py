"""`course validate`: real-looking packages of every format pass; broken and hostile zips fail clearly.

The valid packages are built here from small manifests (LOM metadata inline
for SCORM) and validated against the official XSDs where a user's install finds
them (the npm package, and ../shared/schemas when it is beside the repository),
which proves the schema loading and its libxml2 workarounds. Every broken variant
changes one thing and checks the message names the file, entry or line at fault.
"""

from __future__ import annotations

import json
import os
import stat
import warnings
import zipfile
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from builder.cli import main
from builder.validate import check_package, detect_format, validate_package, xsd, zipsafe
from builder.validate.formats import PackageFormat
from builder.validate.problems import PackageProblem
from builder.validate.xsd import NPM_PACKAGE, SCHEMAS_ENV, LocalSchemaResolver
from tests.conftest import REPO

NPM_XSDS = REPO / "node_modules" / NPM_PACKAGE
"""The XSDs `npm ci` installs: SCORM 1.2 and 2004 4th edition, without LOM."""

SHARED_SCHEMAS = REPO.parent / "shared" / "schemas"
"""The full official set (with IEEE LOM and cmi5), only beside a checkout that has ../shared."""


INDEX = b"<!doctype html><title>course</title><script src='player/app.js'></script>"
APP = b"console.log('player');"

SCORM12 = """<?xml version="1.0" encoding="UTF-8"?>
<manifest identifier="be.gsog.test12" version="1.0"
    xmlns="http://www.imsproject.org/xsd/imscp_rootv1p1p2"
    xmlns:adlcp="http://www.adlnet.org/xsd/adlcp_rootv1p2"
    xmlns:imsmd="http://www.imsglobal.org/xsd/imsmd_rootv1p2p1"
    xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"
    xsi:schemaLocation="http://www.imsproject.org/xsd/imscp_rootv1p1p2 imscp_rootv1p1p2.xsd
                        http://www.imsglobal.org/xsd/imsmd_rootv1p2p1 imsmd_rootv1p2p1.xsd
                        http://www.adlnet.org/xsd/adlcp_rootv1p2 adlcp_rootv1p2.xsd">
  <metadata>
    <schema>ADL SCORM</schema>
    <schemaversion>1.2</schemaversion>
    <imsmd:lom>
      <imsmd:general>
        <imsmd:title><imsmd:langstring xml:lang="nl">Gendersensitief omgaan met geweld</imsmd:langstring></imsmd:title>
        <imsmd:language>nl</imsmd:language>
        <imsmd:description><imsmd:langstring xml:lang="nl">Training</imsmd:langstring></imsmd:description>
      </imsmd:general>
    </imsmd:lom>
  </metadata>
  <organizations default="org">
    <organization identifier="org">
      <title>Gendersensitief omgaan met geweld</title>
      <item identifier="item-1" identifierref="res-1">
        <title>Module 1</title>
        <adlcp:masteryscore>80</adlcp:masteryscore>
      </item>
    </organization>
  </organizations>
  <resources>
    <resource identifier="res-1" type="webcontent" adlcp:scormtype="sco" href="index.html">
      <file href="index.html"/>
      <file href="player/app.js"/>
    </resource>
  </resources>
</manifest>
"""

SCORM2004 = """<?xml version="1.0" encoding="UTF-8"?>
<manifest identifier="be.gsog.test2004" version="1"
    xmlns="http://www.imsglobal.org/xsd/imscp_v1p1"
    xmlns:adlcp="http://www.adlnet.org/xsd/adlcp_v1p3"
    xmlns:adlseq="http://www.adlnet.org/xsd/adlseq_v1p3"
    xmlns:adlnav="http://www.adlnet.org/xsd/adlnav_v1p3"
    xmlns:imsss="http://www.imsglobal.org/xsd/imsss"
    xmlns:lom="http://ltsc.ieee.org/xsd/LOM">
  <metadata>
    <schema>ADL SCORM</schema>
    <schemaversion>2004 4th Edition</schemaversion>
    <lom:lom>
      <lom:general>
        <lom:identifier><lom:catalog>URI</lom:catalog><lom:entry>https://gsog.example.org/course</lom:entry></lom:identifier>
        <lom:title><lom:string language="nl">Gendersensitief omgaan met geweld</lom:string></lom:title>
        <lom:language>nl</lom:language>
        <lom:description><lom:string language="nl">Training</lom:string></lom:description>
      </lom:general>
    </lom:lom>
  </metadata>
  <organizations default="org">
    <organization identifier="org" adlseq:objectivesGlobalToSystem="false">
      <title>Gendersensitief omgaan met geweld</title>
      <item identifier="item-1" identifierref="res-1">
        <title>Module 1</title>
        <adlcp:completionThreshold completedByMeasure="true" minProgressMeasure="0.8"/>
        <imsss:sequencing>
          <imsss:objectives>
            <imsss:primaryObjective objectiveID="pass" satisfiedByMeasure="true">
              <imsss:minNormalizedMeasure>0.7</imsss:minNormalizedMeasure>
            </imsss:primaryObjective>
          </imsss:objectives>
        </imsss:sequencing>
        <adlnav:presentation>
          <adlnav:navigationInterface><adlnav:hideLMSUI>continue</adlnav:hideLMSUI></adlnav:navigationInterface>
        </adlnav:presentation>
      </item>
      <imsss:sequencing><imsss:controlMode flow="true"/></imsss:sequencing>
    </organization>
  </organizations>
  <resources>
    <resource identifier="res-1" type="webcontent" adlcp:scormType="sco" href="index.html">
      <file href="index.html"/>
      <dependency identifierref="res-common"/>
    </resource>
    <resource identifier="res-common" type="webcontent" adlcp:scormType="asset">
      <file href="player/app.js"/>
    </resource>
  </resources>
</manifest>
"""

CMI5 = """<?xml version="1.0" encoding="UTF-8"?>
<courseStructure xmlns="https://w3id.org/xapi/profiles/cmi5/v1/CourseStructure.xsd">
  <course id="https://gsog.example.org/course">
    <title><langstring lang="nl">Gendersensitief omgaan met geweld</langstring></title>
    <description><langstring lang="nl">Training</langstring></description>
  </course>
  <objectives>
    <objective id="https://gsog.example.org/goals/lg-k1">
      <title><langstring lang="nl">Kennisdoel 1</langstring></title>
      <description><langstring lang="nl">Herkennen</langstring></description>
    </objective>
  </objectives>
  <block id="https://gsog.example.org/block/1">
    <title><langstring lang="nl">Module 1</langstring></title>
    <description><langstring lang="nl">Eerste module</langstring></description>
    <objectives><objective idref="https://gsog.example.org/goals/lg-k1"/></objectives>
    <au id="https://gsog.example.org/au/1" moveOn="CompletedAndPassed" masteryScore="0.8">
      <title><langstring lang="nl">Les 1</langstring></title>
      <description><langstring lang="nl">Eerste les</langstring></description>
      <url>index.html?module=1</url>
    </au>
  </block>
</courseStructure>
"""

TINCAN = """<?xml version="1.0" encoding="UTF-8"?>
<tincan xmlns="http://projecttincan.com/tincan.xsd">
  <activities>
    <activity id="https://gsog.example.org/course" type="http://adlnet.gov/expapi/activities/course">
      <name lang="nl">Gendersensitief omgaan met geweld</name>
      <description lang="nl">Training</description>
      <launch lang="nl">index.html</launch>
    </activity>
  </activities>
</tincan>
"""

MANIFESTS = {
    "SCORM 1.2": ("imsmanifest.xml", SCORM12),
    "SCORM 2004 4th edition": ("imsmanifest.xml", SCORM2004),
    "cmi5": ("cmi5.xml", CMI5),
    "xAPI (TinCan)": ("tincan.xml", TINCAN),
}

# --- building packages -------------------------------------------------------------------------------------------


def make_zip(path: Path, files: dict[str, str | bytes]) -> Path:
    """Write ``files`` (name -> content) into a deflated zip at ``path``."""
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, content in files.items():
            archive.writestr(name, content)
    return path


def package(
    tmp_path: Path,
    label: str,
    *,
    edit: tuple[str, str] | None = None,
    extra: dict[str, str | bytes] | None = None,
    name: str = "pkg.zip",
) -> Path:
    """A valid package of format ``label``, with one ``(old, new)`` edit to its manifest and extra files."""
    manifest_name, text = MANIFESTS[label]
    if edit is not None:
        old, new = edit
        assert old in text, f"test bug: {old!r} not in the {label} manifest"
        text = text.replace(old, new, 1)
    files: dict[str, str | bytes] = {manifest_name: text, "index.html": INDEX, "player/app.js": APP}
    return make_zip(tmp_path / name, {**files, **(extra or {})})


def line_in(text: str, needle: str) -> int:
    """1-based line of the first line holding ``needle``."""
    return next(n for n, line in enumerate(text.splitlines(), 1) if needle in line)


def run(*args: str | Path) -> Result:
    """``course validate ARGS`` in-process, with the installed XSDs; never a traceback."""
    result = CliRunner().invoke(main, ["validate", *map(str, args)])
    assert "Traceback" not in result.output
    assert isinstance(result.exception, SystemExit | None), result.exception
    return result


def problems(path: Path) -> list[PackageProblem]:
    return validate_package(path)


def messages(path: Path) -> str:
    return "\n".join(p.format() for p in problems(path))


def only_problem(path: Path) -> PackageProblem:
    found = problems(path)
    assert len(found) == 1, [p.format() for p in found]
    return found[0]


# --- valid packages of every format -------------------------------------------------------------------------------


@pytest.mark.parametrize("label", MANIFESTS)
def test_valid_package_passes_xsd_and_rules(tmp_path: Path, label: str) -> None:
    path = package(tmp_path, label)
    report = check_package(path)
    assert report.problems == (), [p.format() for p in report.problems]
    assert report.format == label
    assert detect_format(path) == label
    result = run(path)
    assert result.exit_code == 0, result.output
    assert result.output.strip() == f"{path}: {label}, valid"


def test_all_valid_packages_together_exit_0_and_json_lists_each(tmp_path: Path) -> None:
    paths = [package(tmp_path, label, name=f"{n}.zip") for n, label in enumerate(MANIFESTS)]
    result = run(*paths, "--json")
    assert result.exit_code == 0, result.output
    reports = json.loads(result.stdout)
    assert [(r["package"], r["format"], r["valid"], r["problems"]) for r in reports] == [
        (str(p), label, True, []) for p, label in zip(paths, MANIFESTS, strict=True)
    ]


def without_shared(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """Look for XSDs as in a fresh clone: the npm package only, no ../shared/schemas, no variable."""
    monkeypatch.delenv(SCHEMAS_ENV, raising=False)
    monkeypatch.setattr(xsd, "default_schemas", lambda: tmp_path / "no-shared" / "schemas")


def test_a_clone_without_shared_validates_with_the_npm_package(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    without_shared(monkeypatch, tmp_path)
    for kind in (PackageFormat.SCORM_12, PackageFormat.SCORM_2004):
        found = xsd.locate(kind)
        assert found is not None and found[0].is_relative_to(NPM_XSDS.resolve()), found
    for label in MANIFESTS:
        assert problems(package(tmp_path, label, name=f"{len(label)}.zip")) == [], label
    # the package's XSDs really validate: a stray element in the content packaging is still caught
    path = package(tmp_path, "SCORM 2004 4th edition", edit=("<title>Module 1</title>", "<title>Module 1</title><x/>"))
    assert "Element 'imscp:x': This element is not expected" in messages(path)
    # no registry carries CourseStructure.xsd: cmi5.xml is left to the semantic rules, which still run
    assert xsd.compiled_schema(PackageFormat.CMI5) is None
    path = package(tmp_path, "cmi5", edit=('<course id="https://gsog.example.org/course">', '<course id="course-1">'))
    assert "'course-1' is not an absolute IRI" in messages(path)


def test_schemas_come_from_env_when_no_option(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = package(tmp_path, "SCORM 1.2")
    monkeypatch.setenv(SCHEMAS_ENV, str(tmp_path / "nowhere"))
    assert f"{tmp_path / 'nowhere' / 'scorm12'}" in messages(path)
    monkeypatch.delenv(SCHEMAS_ENV)
    assert problems(path) == []


def test_a_given_schemas_folder_must_hold_every_xsd(tmp_path: Path) -> None:
    # SCORM 1.2's files only: asking for this folder and validating cmi5 without its XSD would hide a wrong path
    (tmp_path / "schemas").mkdir()
    (tmp_path / "schemas" / "scorm12").symlink_to(NPM_XSDS / "lib/schemas/definitionFiles/scorm12edition")
    assert validate_package(package(tmp_path, "SCORM 1.2"), tmp_path / "schemas") == []
    found = validate_package(package(tmp_path, "cmi5"), tmp_path / "schemas")
    assert [p.message.split(" (")[0] for p in found] == ["XSD folder for cmi5 not found"]


def test_missing_schemas_folder_is_a_problem_not_a_crash(tmp_path: Path) -> None:
    path = package(tmp_path, "SCORM 2004 4th edition")
    result = CliRunner().invoke(main, ["validate", str(path), "--schemas", str(tmp_path / "nowhere")])
    assert result.exit_code == 1
    assert "XSD folder" in result.output and "nowhere" in result.output and "--schemas" in result.output
    assert "npm ci" in result.output


def test_resolver_never_leaves_the_formats_folder() -> None:
    folder = (NPM_XSDS / "lib/schemas/definitionFiles/scorm20044thedition").resolve()
    resolver = LocalSchemaResolver(folder)
    assert resolver.local_path("http://www.w3.org/2001/xml.xsd") == folder / "xml.xsd"
    assert resolver.local_path(str(folder / "imscp_v1p1.xsd")) == folder / "imscp_v1p1.xsd"
    assert resolver.local_path("https://example.org/evil.xsd") is None
    assert resolver.local_path("/etc/passwd") is None
    assert resolver.local_path(str(folder / ".." / "scorm12edition" / "ims_xml.xsd")) is None


# --- broken manifests, one rule each ------------------------------------------------------------------------------


def test_dangling_identifierref_names_item_and_line(tmp_path: Path) -> None:
    path = package(tmp_path, "SCORM 2004 4th edition", edit=('identifierref="res-1"', 'identifierref="res-gone"'))
    problem = only_problem(path)
    assert (problem.file, problem.line) == ("imsmanifest.xml", line_in(SCORM2004, 'identifier="item-1"'))
    assert "'res-gone' matches no <resource identifier>" in problem.message
    assert problem.format().startswith(f"{path}!imsmanifest.xml:{problem.line}: item 'item-1'")


def test_dangling_dependency(tmp_path: Path) -> None:
    path = package(
        tmp_path,
        "SCORM 2004 4th edition",
        edit=('<dependency identifierref="res-common"/>', '<dependency identifierref="nope"/>'),
    )
    text = messages(path)
    assert f"imsmanifest.xml:{line_in(SCORM2004, '<dependency')}: dependency identifierref 'nope'" in text


def test_missing_referenced_file(tmp_path: Path) -> None:
    path = package(tmp_path, "SCORM 1.2", edit=('<file href="player/app.js"/>', '<file href="player/gone.js"/>'))
    text = messages(path)
    assert f"imsmanifest.xml:{line_in(SCORM12, 'player/app.js')}: file: 'player/gone.js' is not in the zip" in text


def test_launch_href_missing_and_case_hint(tmp_path: Path) -> None:
    path = package(tmp_path, "SCORM 1.2", edit=('href="index.html">', 'href="Index.html">'))
    assert "resource 'res-1': 'Index.html' is not in the zip (the zip has 'index.html'" in messages(path)


def test_unreferenced_extra_file_is_named(tmp_path: Path) -> None:
    path = package(tmp_path, "SCORM 2004 4th edition", extra={"notes/extra.txt": "stray", "imscp_v1p1.xsd": "<x/>"})
    problem = only_problem(path)
    assert (problem.file, problem.line) == ("notes/extra.txt", None)
    assert "imsmanifest.xml lists it nowhere (<file href>)" in problem.message


def test_metadata_location_counts_as_listed_and_must_exist(tmp_path: Path) -> None:
    location = "<schemaversion>1.2</schemaversion>\n    <adlcp:location>meta/lom.xml</adlcp:location>"
    path = package(tmp_path, "SCORM 1.2", edit=("<schemaversion>1.2</schemaversion>", location))
    problem = only_problem(path)
    assert (problem.line, problem.message) == (
        line_in(SCORM12, "schemaversion") + 1,
        "adlcp:location: 'meta/lom.xml' is not in the zip",
    )
    path = package(
        tmp_path, "SCORM 1.2", edit=("<schemaversion>1.2</schemaversion>", location), extra={"meta/lom.xml": "<lom/>"}
    )
    assert problems(path) == []


def test_masteryscore_out_of_range(tmp_path: Path) -> None:
    path = package(tmp_path, "SCORM 1.2", edit=("<adlcp:masteryscore>80", "<adlcp:masteryscore>150"))
    problem = only_problem(path)
    assert problem.line == line_in(SCORM12, "masteryscore")
    assert problem.message == "adlcp:masteryscore '150' is not a number from 0 to 100"


def test_scorm_2004_ranges_and_scorm_type(tmp_path: Path) -> None:
    path = package(tmp_path, "SCORM 2004 4th edition", edit=('adlcp:scormType="sco" ', ""))
    assert "resource 'res-1' has an href but no adlcp:scormType" in messages(path)
    path = package(tmp_path, "SCORM 2004 4th edition", edit=(">0.7<", ">-1.5<"))
    expected = "imsss:minNormalizedMeasure '-1.5' is not a number from -1 to 1"
    assert f":{line_in(SCORM2004, '0.7')}: {expected}" in messages(path)
    path = package(tmp_path, "SCORM 2004 4th edition", edit=('minProgressMeasure="0.8"', 'minProgressMeasure="abc"'))
    assert "completionThreshold minProgressMeasure 'abc' is not a number from 0 to 1" in messages(path)


def test_duplicate_identifier_in_ims_manifest(tmp_path: Path) -> None:
    path = package(tmp_path, "SCORM 1.2", edit=('identifier="item-1"', 'identifier="res-1"'))
    item, resource = line_in(SCORM12, 'identifier="item-1"'), line_in(SCORM12, 'identifier="res-1"')
    assert f"imsmanifest.xml:{resource}: identifier 'res-1' is used twice (first on line {item})" in messages(path)


def test_schemaversion_must_match_namespace(tmp_path: Path) -> None:
    path = package(tmp_path, "SCORM 2004 4th edition", edit=("2004 4th Edition", "1.2"))
    assert "schemaversion '1.2' does not match the manifest's namespace" in messages(path)


def test_xsd_violation_names_line(tmp_path: Path) -> None:
    for label in ("SCORM 1.2", "SCORM 2004 4th edition"):
        text = MANIFESTS[label][1]
        path = package(tmp_path, label, edit=("<title>Module 1</title>", "<title>Module 1</title><bogus/>"))
        problem = only_problem(path)
        assert (problem.file, problem.line) == ("imsmanifest.xml", line_in(text, "Module 1"))
        assert "Element 'imscp:bogus': This element is not expected" in problem.message


def test_xsd_checks_inline_metadata_scorm12(tmp_path: Path) -> None:
    path = package(tmp_path, "SCORM 1.2", edit=("<imsmd:language>nl</imsmd:language>", "<imsmd:tongue/>"))
    assert f":{line_in(SCORM12, 'imsmd:language')}: Element 'imsmd:tongue'" in messages(path)


@pytest.mark.skipif(
    not (SHARED_SCHEMAS / "scorm2004-4ed" / "lom.xsd").is_file(),
    reason="no package registry carries the IEEE LOM XSD; ../shared/schemas does (CI has it)",
)
def test_xsd_checks_inline_lom_with_the_full_schema_set(tmp_path: Path) -> None:
    path = package(tmp_path, "SCORM 2004 4th edition", edit=("<lom:language>nl</lom:language>", "<lom:tongue/>"))
    expected = "Element 'lom:tongue': This element is not expected"
    found = "\n".join(p.format() for p in validate_package(path, SHARED_SCHEMAS))
    assert f":{line_in(SCORM2004, 'lom:language')}: {expected}" in found


def test_cmi5_duplicate_id(tmp_path: Path) -> None:
    path = package(tmp_path, "cmi5", edit=("https://gsog.example.org/au/1", "https://gsog.example.org/block/1"))
    problem = only_problem(path)
    assert (problem.file, problem.line) == ("cmi5.xml", line_in(CMI5, "<au "))
    first = line_in(CMI5, "<block ")
    assert problem.message == (
        f"au id 'https://gsog.example.org/block/1' is used twice (first on line {first})"
        " (cmi5 13.1.4: every au id MUST be unique within the course structure)"
    )


def test_cmi5_relative_id_is_not_an_iri(tmp_path: Path) -> None:
    path = package(tmp_path, "cmi5", edit=('<course id="https://gsog.example.org/course">', '<course id="course-1">'))
    problem = only_problem(path)
    assert (problem.file, problem.line) == ("cmi5.xml", line_in(CMI5, "<course "))
    assert "course id 'course-1' is not an absolute IRI" in problem.message


def test_cmi5_au_rules(tmp_path: Path) -> None:
    au_line = line_in(CMI5, "<au ")
    path = package(tmp_path, "cmi5", edit=('masteryScore="0.8"', 'masteryScore="80"'))
    assert f"cmi5.xml:{au_line}: masteryScore '80' is not a number from 0 to 1" in messages(path)
    path = package(tmp_path, "cmi5", edit=('moveOn="CompletedAndPassed"', 'moveOn="Eventually"'))
    assert f"cmi5.xml:{au_line}: moveOn 'Eventually' is not one of NotApplicable" in messages(path)
    path = package(tmp_path, "cmi5", edit=("<url>index.html", "<url>lessons/one.html"))
    assert f"cmi5.xml:{line_in(CMI5, '<url>')}: au url: 'lessons/one.html' is not in the zip" in messages(path)
    path = package(tmp_path, "cmi5", edit=("<url>index.html?module=1", "<url>https://lms.example.org/au/1"))
    assert problems(path) == []


def test_cmi5_objective_reference_must_be_declared(tmp_path: Path) -> None:
    path = package(tmp_path, "cmi5", edit=('idref="https://gsog.example.org/goals/lg-k1"', 'idref="https://x.org/g"'))
    assert "objective idref 'https://x.org/g' matches no declared <objective id>" in messages(path)


def test_tincan_rules(tmp_path: Path) -> None:
    path = package(tmp_path, "xAPI (TinCan)", edit=('id="https://gsog.example.org/course"', 'id="course"'))
    assert f"tincan.xml:{line_in(TINCAN, '<activity ')}: activity id 'course' is not an absolute IRI" in messages(path)
    path = package(tmp_path, "xAPI (TinCan)", edit=("index.html</launch>", "start.html</launch>"))
    assert f"tincan.xml:{line_in(TINCAN, '<launch')}: launch: 'start.html' is not in the zip" in messages(path)
    path = package(tmp_path, "xAPI (TinCan)", edit=('<launch lang="nl">index.html</launch>', ""))
    assert "no <activity> has a <launch> element" in messages(path)


def test_wrong_root_element_and_not_well_formed(tmp_path: Path) -> None:
    path = make_zip(tmp_path / "a.zip", {"tincan.xml": "<tincan xmlns='urn:other'/>"})
    assert "root element is <{urn:other}tincan>; expected <tincan:tincan>" in messages(path)
    path = make_zip(tmp_path / "b.zip", {"imsmanifest.xml": "<manifest>\n<organizations>\n</manifest>"})
    problem = only_problem(path)
    assert (problem.file, problem.line) == ("imsmanifest.xml", 3)
    assert problem.message.startswith("not well-formed XML")
    assert check_package(path).format == "SCORM"


def test_entities_are_never_expanded(tmp_path: Path) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP-SECRET")
    xxe = SCORM12.replace(
        '<?xml version="1.0" encoding="UTF-8"?>',
        f'<?xml version="1.0"?>\n<!DOCTYPE manifest [<!ENTITY x SYSTEM "file://{secret}">]>',
    )
    xxe = xxe.replace("<title>Module 1</title>", "<title>&x;</title>")
    path = make_zip(tmp_path / "xxe.zip", {"imsmanifest.xml": xxe, "index.html": INDEX, "player/app.js": APP})
    assert "TOP-SECRET" not in messages(path)


def test_no_manifest_hints_at_nested_folder(tmp_path: Path) -> None:
    path = make_zip(tmp_path / "nested.zip", {"course/imsmanifest.xml": SCORM12, "course/index.html": INDEX})
    problem = only_problem(path)
    assert problem.file == ""
    assert "found 'course/imsmanifest.xml' (zip the folder's contents, not the folder)" in problem.message
    assert detect_format(path) is None
    result = run(path)
    assert result.exit_code == 1
    assert f"{path}: unknown format, 1 problem" in result.output


# --- hostile and broken zips -------------------------------------------------------------------------------------


def hostile_zip(path: Path, name: str, content: bytes = b"pwned", *, mode: int | None = None) -> Path:
    """A valid SCORM 1.2 package plus one hostile entry ``name`` (``mode`` sets Unix file type bits)."""
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("imsmanifest.xml", SCORM12)
        archive.writestr("index.html", INDEX)
        archive.writestr("player/app.js", APP)
        info = zipfile.ZipInfo(name)
        if mode is not None:
            info.create_system = 3
            info.external_attr = mode << 16
        archive.writestr(info, content)
    return path


def assert_rejected(path: Path, entry: str, words: str) -> None:
    """Exit 1, the entry named in the output, a message with ``words``, nothing extracted anywhere."""
    result = run(path)
    assert result.exit_code == 1, result.output
    assert f"{path}!{entry}: " in result.output and words in result.output, result.output
    assert f"{path}: unknown format," in result.output
    report = json.loads(run(path, "--json").stdout)[0]
    assert report["valid"] is False and report["format"] is None
    assert any(p["file"] == entry for p in report["problems"])
    assert_nothing_extracted(path.parent)


def assert_nothing_extracted(folder: Path) -> None:
    for where in (folder, folder.parent, folder.parent.parent, Path.cwd()):
        assert not (where / "evil.txt").exists()
        assert not (where / "x").exists()
    assert sorted(p.name for p in folder.iterdir() if not p.name.endswith(".zip")) == []


@pytest.mark.parametrize(
    ("entry", "words"),
    [
        ("../../evil.txt", "zip slip"),
        ("sub/../../evil.txt", "zip slip"),
        ("/etc/x", "absolute path"),
        ("C:/evil.txt", "drive letter"),
        ("..\\..\\evil.txt", "backslash"),
    ],
)
def test_unsafe_entry_names_are_rejected(tmp_path: Path, entry: str, words: str) -> None:
    path = hostile_zip(tmp_path / "hostile.zip", entry)
    assert_rejected(path, entry, words)


def test_symlink_entry_is_rejected(tmp_path: Path) -> None:
    path = hostile_zip(tmp_path / "link.zip", "player/link", b"/etc/passwd", mode=stat.S_IFLNK | 0o777)
    assert_rejected(path, "player/link", "symbolic link")


def test_duplicate_names_are_rejected(tmp_path: Path) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # zipfile warns about the duplicate we write on purpose
        path = hostile_zip(tmp_path / "dup.zip", "index.html", b"<p>other</p>")
        case = hostile_zip(tmp_path / "case.zip", "INDEX.html")
    assert_rejected(path, "index.html", "entry name stored twice")
    assert_rejected(case, "INDEX.html", "twice up to case (also as 'index.html')")


def test_zip_bomb_is_rejected_without_inflating(tmp_path: Path) -> None:
    path = tmp_path / "bomb.zip"
    chunk = bytes(1024**2)
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as archive:
        archive.writestr("imsmanifest.xml", SCORM12)
        with archive.open("zeros.bin", "w", force_zip64=True) as stream:
            for _ in range(300):
                stream.write(chunk)
    assert path.stat().st_size < 3 * 1024**2
    assert_rejected(path, "zeros.bin", "likely zip bomb")
    assert "314,572,800 bytes" in run(path).output


def test_limits_on_entries_and_total_size(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = package(tmp_path, "SCORM 1.2")
    monkeypatch.setattr(zipsafe, "MAX_ENTRIES", 2)
    assert "zip holds 3 entries; at most 2 are accepted" in messages(path)
    monkeypatch.setattr(zipsafe, "MAX_ENTRIES", 10_000)
    monkeypatch.setattr(zipsafe, "MAX_TOTAL_UNCOMPRESSED", 100)
    assert "at most 100 are accepted" in messages(path)


def test_oversized_manifest_is_not_read(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(zipsafe, "MAX_MANIFEST_BYTES", 100)
    problem = only_problem(package(tmp_path, "cmi5"))
    assert problem.file == "cmi5.xml" and "at most 100 are read" in problem.message


def flip(path: Path, marker: bytes, offset: int, value: int) -> None:
    """Set the byte ``offset`` bytes after every ``marker`` in the file to ``value``."""
    data = bytearray(path.read_bytes())
    start = data.find(marker)
    while start >= 0:
        data[start + offset] = value
        start = data.find(marker, start + 1)
    path.write_bytes(bytes(data))


def test_encrypted_entries_are_rejected(tmp_path: Path) -> None:
    path = make_zip(tmp_path / "enc.zip", {"tincan.xml": TINCAN})
    flip(path, b"PK\x01\x02", 8, 0x01)  # central directory: general purpose flag bit 0
    assert_rejected(path, "tincan.xml", "encrypted")


def test_local_header_mismatch_is_rejected(tmp_path: Path) -> None:
    path = make_zip(tmp_path / "mismatch.zip", {"tincan.xml": TINCAN, "index.html": INDEX})
    data = path.read_bytes().replace(b"index.html", b"INDEX.html", 1)  # the local header comes before the directory
    path.write_bytes(data)
    assert_rejected(path, "index.html", "header is corrupt")


def test_corrupt_manifest_bytes(tmp_path: Path) -> None:
    path = make_zip(tmp_path / "corrupt.zip", {"tincan.xml": TINCAN * 20, "index.html": INDEX})
    data = bytearray(path.read_bytes())
    start = data.find(b"tincan.xml") + len("tincan.xml") + 20
    data[start : start + 40] = bytes(range(40))
    path.write_bytes(bytes(data))
    problem = only_problem(path)
    assert problem.file == "tincan.xml" and "corrupt" in problem.message
    assert run(path).exit_code == 1


@pytest.mark.parametrize(
    ("content", "words"),
    [
        (b"", "not a readable zip file"),
        (b"this is not a zip at all", "not a readable zip file"),
        (b"PK\x03\x04" + os.urandom(300), "not a readable zip file"),
    ],
)
def test_not_a_zip(tmp_path: Path, content: bytes, words: str) -> None:
    path = tmp_path / "fake.zip"
    path.write_bytes(content)
    result = run(path)
    assert result.exit_code == 1
    assert f"{path}: {words}" in result.output
    assert f"{path}: unknown format, 1 problem" in result.output


def test_truncated_zip(tmp_path: Path) -> None:
    path = package(tmp_path, "SCORM 1.2")
    path.write_bytes(path.read_bytes()[:-30])
    result = run(path)
    assert result.exit_code == 1 and f"{path}: not a readable zip file" in result.output


def test_missing_file_and_directory(tmp_path: Path) -> None:
    result = run(tmp_path / "absent.zip", tmp_path)
    assert result.exit_code == 1
    assert f"{tmp_path / 'absent.zip'}: file not found" in result.output
    assert f"{tmp_path}: not a file" in result.output


def test_one_bad_package_fails_the_run(tmp_path: Path) -> None:
    good = package(tmp_path, "cmi5", name="good.zip")
    bad = hostile_zip(tmp_path / "bad.zip", "../../evil.txt")
    result = run(good, bad)
    assert result.exit_code == 1
    assert f"{good}: cmi5, valid" in result.output and f"{bad}: unknown format, 1 problem" in result.output


def test_control_characters_in_names_are_escaped(tmp_path: Path) -> None:
    path = hostile_zip(tmp_path / "ansi.zip", "\x1b[2Jevil.txt")
    output = run(path).output
    assert "\x1b" not in output and "\\x1b[2Jevil.txt" in output


# --- never a crash ------------------------------------------------------------------------------------------------

XML_PIECES = [
    *"<>/=\"' &;:!?-[]x\n",
    "manifest",
    "item",
    "resource",
    "href",
    "identifierref",
    "<![CDATA[",
    "&#0;",
    "xmlns",
    "au",
    "url",
    "tincan",
    "https://a.b/",
    "..",
]
xml_soup = st.lists(st.sampled_from(XML_PIECES), max_size=60).map("".join)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    manifest=st.sampled_from(["imsmanifest.xml", "cmi5.xml", "tincan.xml"]),
    text=xml_soup,
    edit=st.sampled_from(list(MANIFESTS)),
    cut=st.integers(0, 3000),
)
def test_any_manifest_gets_messages_not_an_internal_error(
    tmp_path: Path, manifest: str, text: str, edit: str, cut: int
) -> None:
    real = MANIFESTS[edit][1]
    for content in (text, real[:cut] + text + real[cut:]):
        path = make_zip(tmp_path / "fuzz.zip", {manifest: content, "index.html": INDEX})
        report = check_package(path)
        assert not any("internal error" in p.message for p in report.problems), report.problems


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.binary(max_size=400), keep=st.integers(0, 2000))
def test_any_bytes_get_messages_not_an_internal_error(tmp_path: Path, data: bytes, keep: int) -> None:
    valid = package(tmp_path, "SCORM 1.2").read_bytes()
    for content in (data, valid[:keep] + data + valid[keep + len(data) :]):
        path = tmp_path / "bytes.zip"
        path.write_bytes(content)
        report = check_package(path)
        assert not any("internal error" in p.message for p in report.problems), report.problems


@pytest.mark.parametrize(
    ("label", "old", "new", "needle", "words"),
    [
        ("SCORM 1.2", "<title>Module 1</title>", "<title> </title>", "<title> </title>", "<title> is empty"),
        (
            "SCORM 2004 4th edition",
            '<lom:string language="nl">Gendersensitief omgaan met geweld</lom:string>',
            '<lom:string language="nl">Gendersensitief omgaan met geweld</lom:string>'
            '<lom:string language="fr"></lom:string>',
            '<lom:string language="fr">',
            "<title> (fr) is empty",
        ),
        (
            "cmi5",
            '<langstring lang="nl">Les 1</langstring>',
            '<langstring lang="nl"></langstring>',
            '<langstring lang="nl"></langstring>',
            "<title> (nl) is empty",
        ),
        (
            "xAPI (TinCan)",
            '<name lang="nl">Gendersensitief omgaan met geweld</name>',
            '<name lang="nl"></name>',
            "<name ",
            "<name> (nl) is empty",
        ),
    ],
)
def test_empty_titles_are_refused_at_their_line(
    tmp_path: Path, label: str, old: str, new: str, needle: str, words: str
) -> None:
    name, text = MANIFESTS[label]
    path = package(tmp_path, label, edit=(old, new))
    edited = text.replace(old, new, 1)
    assert f"{name}:{line_in(edited, needle)}: {words}; every title needs its text" in messages(path)
    assert run(path).exit_code == 1
