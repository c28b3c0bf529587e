"""Importing cmi5 packages for the learner portal, and the catalogue built from them (issue 12, items 2 and 3).

The packages are the real ones ``course build`` writes (French and Dutch,
police and justice). Every malformed package is one of them broken in one
way, one per rule the importer checks; each refusal must name the rule and
leave every table of the database exactly as it was. Each test runs on
SQLite and on PostgreSQL (``store_url``).
"""

from __future__ import annotations

import json
import re
import zipfile
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from click.testing import CliRunner

from builder.build import build_packages
from builder.media.resolve import default_cache
from lrs.cli import main
from lrs.courses import store as course_store
from lrs.courses.catalogue import catalogue
from lrs.courses.metadata import LEVEL_TAXONOMY
from lrs.courses.store import CourseImportError, course_file, file_chunks, import_package, list_courses, remove_course
from lrs.dashboard.accounts import add_user
from lrs.store.sql import SqlStore
from lrs.store.tables import metadata
from tests.conftest import COURSE_SRC

LANGUAGES = ("fr", "nl")
SECTORS = ("police", "justice")


@pytest.fixture(scope="module")
def packages(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The real cmi5 packages for two languages and two sectors, built once for this module."""
    out = tmp_path_factory.mktemp("cmi5")
    build_packages(
        COURSE_SRC,
        out,
        formats=["cmi5"],
        languages=list(LANGUAGES),
        sectors=list(SECTORS),
        cache=default_cache(COURSE_SRC),
    )
    return out


def package(packages: Path, lang: str = "fr", sector: str = "police") -> Path:
    """The built package of one variant."""
    return packages / f"gsog-{lang}-{sector}-cmi5.zip"


def counts(store: SqlStore) -> dict[str, int]:
    """Rows of every table of the LRS: what a refused import must leave unchanged."""
    with store.engine.connect() as conn:
        return {
            t.name: conn.execute(sa.select(sa.func.count()).select_from(t)).scalar_one() for t in metadata.sorted_tables
        }


def rezip(
    source: Path,
    target: Path,
    *,
    edit: Callable[[str, bytes], bytes | None] = lambda _name, data: data,
    extra: dict[str, bytes] | None = None,
) -> Path:
    """Copy a package, passing each member through ``edit`` (None drops it) and adding ``extra`` members."""
    with zipfile.ZipFile(source) as original, zipfile.ZipFile(target, "w", zipfile.ZIP_STORED) as copy:
        for info in original.infolist():
            data = edit(info.filename, original.read(info))
            if data is not None:
                copy.writestr(info.filename, data)
        for name, data in (extra or {}).items():
            copy.writestr(name, data)
    return target


def edit_member(member: str, old: str, new: str) -> Callable[[str, bytes], bytes | None]:
    """An ``edit`` replacing ``old`` by ``new`` (which must occur) in one member."""

    def edit(name: str, data: bytes) -> bytes | None:
        if name != member:
            return data
        text = data.decode("utf-8")
        assert old in text, f"{old!r} not in {member}"
        return text.replace(old, new).encode("utf-8")

    return edit


def drop(member: str) -> Callable[[str, bytes], bytes | None]:
    """An ``edit`` leaving out one member."""
    return lambda name, data: None if name == member else data


def encrypted(source: Path, target: Path) -> Path:
    """A copy whose last member is marked encrypted in the central directory (zipfile cannot write one)."""
    rezip(source, target, extra={"notes/secret.txt": b"locked"})
    data = bytearray(target.read_bytes())
    header = data.rfind(b"PK\x01\x02")  # the central directory record of the last member
    data[header + 8] |= 0x01  # general purpose flag, bit 0: encrypted
    target.write_bytes(bytes(data))
    return target


def bomb(source: Path, target: Path) -> Path:
    """A copy with 12 MiB of zeros deflated ~1000:1: the compression ratio of a zip bomb."""
    rezip(source, target)
    with zipfile.ZipFile(target, "a", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("media/zeros.bin", bytes(12 * 1024 * 1024))
    return target


#: One malformed package per rule: (how it is made, what the refusal must say).
MALFORMED: dict[str, tuple[Callable[[Path, Path], Path], tuple[str, ...]]] = {
    "no cmi5.xml": (lambda s, t: rezip(s, t, edit=drop("cmi5.xml")), ("no cmi5.xml at the root", "cmi5 14.0")),
    "XML not well-formed": (
        lambda s, t: rezip(s, t, edit=edit_member("cmi5.xml", "</courseStructure>", "</courseStruct>")),
        ("cmi5.xml:", "not well-formed XML", "cmi5 13.2"),
    ),
    "duplicate AU id": (
        lambda s, t: rezip(s, t, edit=edit_member("cmi5.xml", 'fr-police/m1-understand"', 'fr-police/m0-start"')),
        ("is used twice", "cmi5 13.1.4: every au id MUST be unique"),
    ),
    "relative AU id": (
        lambda s, t: rezip(
            s, t, edit=edit_member("cmi5.xml", 'id="https://gsog.example.org/course/fr-police/m2-act"', 'id="m2-act"')
        ),
        ("au id 'm2-act' is not an absolute IRI", "cmi5 13.1.4: the au id MUST be a fully qualified IRI"),
    ),
    "launch URL missing from the zip": (
        lambda s, t: rezip(s, t, edit=drop("index.html")),
        ("au url: 'index.html' is not in the zip", "cmi5 14.0"),
    ),
    "masteryScore out of range": (
        lambda s, t: rezip(s, t, edit=edit_member("cmi5.xml", 'masteryScore="0.75"', 'masteryScore="75"')),
        ("masteryScore '75' is not a number from 0 to 1", "cmi5 13.1.4: masteryScore MUST be a decimal from 0 to 1"),
    ),
    "bad moveOn": (
        lambda s, t: rezip(s, t, edit=edit_member("cmi5.xml", 'moveOn="CompletedAndPassed"', 'moveOn="Eventually"')),
        ("moveOn 'Eventually' is not one of", "cmi5 13.1.4: moveOn MUST be one of"),
    ),
    "AU without url": (
        lambda s, t: rezip(s, t, edit=edit_member("cmi5.xml", "<url>index.html?module=m0-start</url>", "")),
        ("au has no <url>", "cmi5 13.1.4: every AU MUST have a url to launch"),
    ),
    "'..' in a path": (
        lambda s, t: rezip(s, t, extra={"../evil.js": b"alert(1)"}),
        ("package.zip!../evil.js", "zip slip"),
    ),
    "zip bomb": (bomb, ("media/zeros.bin", "likely zip bomb")),
    "encrypted member": (encrypted, ("notes/secret.txt", "encrypted")),
    "not a zip": (lambda s, t: (t.write_bytes(s.read_bytes()[:5000]), t)[1], ("not a readable zip file",)),
}


@pytest.mark.parametrize("case", sorted(MALFORMED))
def test_malformed_package_is_refused_naming_the_rule_and_leaves_nothing(
    case: str, packages: Path, store: SqlStore, tmp_path: Path
) -> None:
    import_package(store, package(packages, "nl", "justice"))  # something stored already must stay as it is
    before = counts(store)
    make, expected = MALFORMED[case]
    broken = make(package(packages), tmp_path / "package.zip")
    with pytest.raises(CourseImportError) as refused:
        import_package(store, broken)
    text = "\n".join(refused.value.problems)
    for part in expected:
        assert part in text, text
    assert counts(store) == before
    assert [c.course_iri for c in list_courses(store)] == ["https://gsog.example.org/course/nl-justice"]


def test_oversize_package_is_refused_and_leaves_nothing(packages: Path, store: SqlStore) -> None:
    before = counts(store)
    with pytest.raises(CourseImportError) as refused:
        import_package(store, package(packages), max_bytes=1_000_000)
    assert "the LRS stores packages of at most 1,000,000" in refused.value.problems[0]
    assert counts(store) == before


def test_a_failure_while_writing_rolls_back_everything(
    packages: Path, store: SqlStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A package the validator passes but whose bytes fail later (here: the writer breaks) leaves nothing."""
    before = counts(store)

    def broken(*_args: Any) -> tuple[int, int]:
        raise OSError("disk went away")

    monkeypatch.setattr(course_store, "_store_files", broken)
    with pytest.raises(CourseImportError, match="could not be read"):
        import_package(store, package(packages))
    assert counts(store) == before


def test_import_stores_the_real_package_with_its_metadata_and_files(packages: Path, store: SqlStore) -> None:
    path = package(packages)
    done = import_package(store, path.read_bytes(), name=path.name)  # bytes, as an upload page would give
    assert done.course_iri == "https://gsog.example.org/course/fr-police"
    assert (done.course_key, done.version, done.languages, done.sector) == ("gsog", "1.0.0", ("fr",), "police")
    assert done.title == {"fr": "Aborder la violence avec une sensibilité de genre"}
    assert done.description["fr"].startswith("Formation de base pour les professionnel·les")
    assert [au.au_id.rsplit("/", 1)[1] for au in done.aus] == [
        "m0-start",
        "m1-understand",
        "m2-act",
        "m3-practice",
        "m4-close",
        "m5-resources",
    ]
    close = done.aus[4]
    assert (close.move_on, close.mastery_score, close.url) == ("CompletedAndPassed", 0.75, "index.html?module=m4-close")
    assert done.aus[0].move_on == "Completed" and done.aus[5].move_on == "NotApplicable"
    assert "https://gsog.example.org/course/goals/LG-K1" in done.aus[1].objectives
    assert len(done.goals) == 12 and done.goals[0].id == "https://gsog.example.org/course/goals/LG-K1"
    assert done.goals[0].description["fr"].startswith("Expliquer ce qu'est la violence")
    with zipfile.ZipFile(path) as archive:
        members = [i for i in archive.infolist() if not i.is_dir()]
        assert (done.files, done.size) == (len(members), sum(i.file_size for i in members))
        index = course_file(store, done.id, "index.html")
        assert index is not None
        assert b"".join(file_chunks(store, index)) == archive.read("index.html")
    assert course_file(store, done.id, "../cmi5.xml") is None
    assert list_courses(store) == [done]


def test_a_foreign_package_is_described_by_cmi5_xml_and_lom_only(
    packages: Path, store: SqlStore, tmp_path: Path
) -> None:
    """Without our course.js nothing is guessed: no sector, languages from the titles, LOM's duration if any."""
    lom = edit_member(
        "metadata.xml",
        "<educational>",
        "<educational><typicalLearningTime><duration>PT3H30M</duration></typicalLearningTime>",
    )
    level = edit_member(
        "metadata.xml",
        "</lom>",
        f"<classification><taxonPath><source><string>{LEVEL_TAXONOMY}</string></source>"
        "<taxon><id>deepening</id></taxon></taxonPath></classification></lom>",
    )
    foreign = rezip(
        package(packages, "nl", "police"),
        tmp_path / "foreign.zip",
        edit=lambda name, data: None if name == "content/course.js" else level(name, lom(name, data) or b""),
    )
    done = import_package(store, foreign)
    assert done.course_key == done.course_iri == "https://gsog.example.org/course/nl-police"
    assert (done.languages, done.sector) == (("nl",), None)
    assert (done.version, done.duration, done.level) == ("1.0.0", "PT3H30M", "deepening")  # from metadata.xml
    [entry] = catalogue(store, language="nl", sector="police")  # a package for no sector suits every sector
    assert entry.duration == "PT3H30M" and entry.sectors == ()


def test_stored_files_read_back_whole_and_by_range_across_chunks(
    packages: Path, store: SqlStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(course_store, "CHUNK_BYTES", 64 * 1024)  # a video then spans many chunks
    path = package(packages)
    done = import_package(store, path)
    with zipfile.ZipFile(path) as archive:
        largest = max((i for i in archive.infolist() if not i.is_dir()), key=lambda i: i.file_size)
        data = archive.read(largest)
    stored = course_file(store, done.id, largest.filename)
    assert stored is not None and stored.size == len(data) > 3 * 64 * 1024
    assert stored.etag == f"{largest.CRC:08x}-{largest.file_size:x}"
    chunks = list(file_chunks(store, stored))
    assert b"".join(chunks) == data and max(len(c) for c in chunks) == 64 * 1024
    start, end = 64 * 1024 - 10, 3 * 64 * 1024 + 7  # a Range starting and ending inside chunks
    assert b"".join(file_chunks(store, stored, start, end)) == data[start:end]


def test_reimporting_the_same_version_replaces_it_atomically(packages: Path, store: SqlStore) -> None:
    first = import_package(store, package(packages))
    rows = counts(store)
    again = import_package(store, package(packages))
    assert again.replaced and not first.replaced
    assert again.id != first.id and again.sha256 == first.sha256
    assert counts(store) == rows  # the old rows went, the same number came back
    assert [c.id for c in list_courses(store)] == [again.id]
    assert course_file(store, first.id, "index.html") is None


def test_a_new_version_keeps_the_old_one_for_registrations_in_flight(
    packages: Path, store: SqlStore, tmp_path: Path
) -> None:
    old = import_package(store, package(packages))
    newer = rezip(package(packages), tmp_path / "v2.zip", edit=edit_member("content/course.js", '"1.0.0"', '"1.1.0"'))
    new = import_package(store, newer)
    assert new.version == "1.1.0"
    stored = {c.version: c for c in list_courses(store)}
    assert (stored["1.0.0"].current, stored["1.1.0"].current) == (False, True)
    assert course_file(store, old.id, "index.html") is not None  # the old version's files stay
    [entry] = catalogue(store, "fr", "police")
    assert [v.version for v in entry.variants] == ["1.1.0"]
    assert remove_course(store, old.course_iri, version="1.1.0") == 1
    assert [(c.version, c.current) for c in list_courses(store)] == [("1.0.0", True)]
    assert remove_course(store, old.course_iri) == 1
    assert list_courses(store) == []
    assert {name: n for name, n in counts(store).items() if name.startswith("course_")} == {
        "course_packages": 0,
        "course_aus": 0,
        "course_files": 0,
        "course_file_chunks": 0,
    }


def test_concurrent_imports_of_two_versions_leave_exactly_one_current(
    packages: Path, store: SqlStore, tmp_path: Path
) -> None:
    zips = [
        rezip(package(packages), tmp_path / f"{v}.zip", edit=edit_member("content/course.js", '"1.0.0"', f'"{v}"'))
        for v in ("1.1.0", "1.2.0")
    ]
    with ThreadPoolExecutor(max_workers=2) as pool:
        done = list(pool.map(lambda path: import_package(store, path), zips))
    stored = list_courses(store)
    assert sorted(c.version for c in stored) == ["1.1.0", "1.2.0"]
    [current] = [c for c in stored if c.current]
    assert current.id == max(d.id for d in done)  # the one that committed last


def test_catalogue_groups_variants_and_filters_by_language_and_sector(packages: Path, store: SqlStore) -> None:
    for lang in LANGUAGES:
        for sector in SECTORS:
            import_package(store, package(packages, lang, sector))
    [everything] = catalogue(store)
    assert everything.course == "gsog"
    assert everything.languages == ("fr", "nl") and everything.sectors == ("justice", "police")
    assert len(everything.variants) == 4
    assert set(everything.title) == {"fr", "nl"}

    [mine] = catalogue(store, language="fr", sector="police")
    [variant] = mine.variants
    assert variant.course_iri == "https://gsog.example.org/course/fr-police"
    assert mine.title == {"fr": "Aborder la violence avec une sensibilité de genre"}
    assert mine.languages == ("fr", "nl") and mine.sectors == ("justice", "police")  # what else exists
    assert [m.title["fr"] for m in mine.modules][:2] == ["Démarrage", "Comprendre la violence"]
    assert mine.modules[4].move_on == "CompletedAndPassed" and mine.modules[4].mastery_score == 0.75
    assert len(mine.goals) == 12 and set(mine.goals[0].title) == {"fr"}

    [dutch] = catalogue(store, language="nl-BE", sector="justice")
    assert [v.course_iri for v in dutch.variants] == ["https://gsog.example.org/course/nl-justice"]
    assert set(dutch.modules[0].title) == {"nl"}
    assert [v.sector for v in catalogue(store, language="nl")[0].variants] == ["justice", "police"]
    assert catalogue(store, language="de") == []
    assert catalogue(store, sector="medical") == []


def test_catalogue_endpoint_is_public_json_and_in_openapi(packages: Path, app: Any) -> None:
    store = app.extensions["lrs_store"]
    import_package(store, package(packages, "fr", "police"))
    import_package(store, package(packages, "nl", "police"))
    anonymous = app.test_client()
    answer = anonymous.get("/courses/catalogue", query_string={"lang": "nl", "sector": "police"})
    assert answer.status_code == 200 and answer.mimetype == "application/json"
    assert "public" in answer.headers["Cache-Control"]
    [entry] = answer.get_json()["courses"]
    assert entry["course"] == "gsog" and entry["languages"] == ["fr", "nl"]
    assert [v["course"] for v in entry["variants"]] == ["https://gsog.example.org/course/nl-police"]
    assert entry["modules"][4]["moveOn"] == "CompletedAndPassed"
    assert "@" not in answer.get_data(as_text=True).replace("@context", "")  # no addresses, nobody's data
    bad = anonymous.get("/courses/catalogue", query_string={"lang": "<script>"})
    assert bad.status_code == 400 and bad.get_json()["error"]["message"].startswith("lang:")
    bad = anonymous.get("/courses/catalogue", query_string={"sector": "Police Force"})
    assert bad.status_code == 400 and bad.get_json()["error"]["message"].startswith("sector:")
    paths = anonymous.get("/openapi.json").get_json()["paths"]
    assert paths["/courses/catalogue"]["get"]["operationId"] == "courseCatalogue"


def test_cli_imports_lists_and_removes(packages: Path, store: SqlStore, tmp_path: Path) -> None:
    runner = CliRunner()
    broken = rezip(package(packages), tmp_path / "broken.zip", edit=drop("index.html"))
    good = package(packages)
    result = runner.invoke(main, ["course", "import", str(good), str(broken)], obj={"store": store})
    assert result.exit_code == 1
    assert "imported https://gsog.example.org/course/fr-police 1.0.0 as" in result.stdout
    assert f"{broken}: refused, nothing stored" in result.stderr
    assert "broken.zip!cmi5.xml:" in result.stderr and "'index.html' is not in the zip" in result.stderr

    listed = runner.invoke(main, ["course", "list", "--json"], obj={"store": store})
    assert listed.exit_code == 0
    [row] = json.loads(listed.stdout)
    assert (row["course"], row["version"], row["sector"], row["current"]) == (
        "https://gsog.example.org/course/fr-police",
        "1.0.0",
        "police",
        True,
    )
    text = runner.invoke(main, ["course", "list"], obj={"store": store}).stdout
    assert "* https://gsog.example.org/course/fr-police  1.0.0  fr  police  6 AUs" in text

    assert runner.invoke(main, ["course", "remove", str(row["id"])], obj={"store": store}).exit_code == 0
    missing = runner.invoke(main, ["course", "remove", str(row["id"])], obj={"store": store})
    assert missing.exit_code == 1 and "no imported course" in missing.stderr
    assert list_courses(store) == []


def _signed_in(app: Any, role: str) -> Any:
    """A browser-like client signed in to the dashboard with an account of ``role``."""
    store = app.extensions["lrs_store"]
    add_user(store.engine, f"{role}-user", "lange-zin-van-twaalf+", role)
    client = app.test_client()
    token = re.search(rb'name="csrf_token" value="([^"]+)"', client.get("/dashboard/login").data)
    assert token is not None
    answer = client.post(
        "/dashboard/login",
        data={"username": f"{role}-user", "password": "lange-zin-van-twaalf+", "csrf_token": token.group(1).decode()},
    )
    assert answer.status_code == 302, answer.data
    return client


def _csrf(client: Any) -> str:
    found = re.search(rb'name="csrf_token" value="([^"]+)"', client.get("/dashboard/courses?lang=fr").data)
    assert found is not None
    return found.group(1).decode()


def test_an_admin_imports_and_removes_courses_on_the_dashboard_page(packages: Path, app: Any, tmp_path: Path) -> None:
    """The admin page runs the importer's rules: a refusal names the rule and stores nothing; a package is listed."""
    store = app.extensions["lrs_store"]
    admin = _signed_in(app, "admin")
    page = admin.get("/dashboard/courses?lang=fr")
    assert page.status_code == 200 and "Pas encore de paquets" in page.get_data(as_text=True)
    before = counts(store)
    broken = rezip(
        package(packages),
        tmp_path / "broken.zip",
        edit=edit_member("cmi5.xml", 'masteryScore="0.75"', 'masteryScore="75"'),
    )
    refused = admin.post(
        "/dashboard/courses/import",
        data={"csrf_token": _csrf(admin), "package": (broken.open("rb"), "gsog-fr-police-cmi5.zip")},
        content_type="multipart/form-data",
    )
    text = refused.get_data(as_text=True)
    assert refused.status_code == 422
    assert "gsog-fr-police-cmi5.zip" in text and "cmi5 13.1.4: masteryScore MUST be a decimal from 0 to 1" in text
    assert counts(store) == before
    good = admin.post(
        "/dashboard/courses/import",
        data={"csrf_token": _csrf(admin), "package": (package(packages).open("rb"), "gsog-fr-police-cmi5.zip")},
        content_type="multipart/form-data",
    )
    assert good.status_code == 303
    [stored] = list_courses(store)
    assert stored.course_iri == "https://gsog.example.org/course/fr-police"
    listed = admin.get(good.headers["Location"]).get_data(as_text=True)
    assert "Le paquet est importé." in listed and "gsog-fr-police-cmi5.zip" in listed
    no_token = admin.post(f"/dashboard/courses/{stored.id}/remove")
    assert no_token.status_code == 400 and list_courses(store)
    removed = admin.post(f"/dashboard/courses/{stored.id}/remove", data={"csrf_token": _csrf(admin)})
    assert removed.status_code == 303 and list_courses(store) == []


def test_an_evaluator_cannot_change_the_courses(packages: Path, app: Any) -> None:
    store = app.extensions["lrs_store"]
    evaluator = _signed_in(app, "evaluator")
    assert evaluator.get("/dashboard/courses").status_code == 403
    token = re.search(rb'name="csrf_token" value="([^"]+)"', evaluator.get("/dashboard/").data)
    assert token is not None
    answer = evaluator.post(
        "/dashboard/courses/import",
        data={"csrf_token": token.group(1).decode(), "package": (package(packages).open("rb"), "p.zip")},
        content_type="multipart/form-data",
    )
    assert answer.status_code == 403 and list_courses(store) == []
