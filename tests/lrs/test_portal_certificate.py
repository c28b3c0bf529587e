"""Portal certificates (codes, issue, public lookup, PDF) and the learner's "download my data" export."""

from __future__ import annotations

import dataclasses
import datetime as dt
import io
import json
import re
import uuid
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
import sqlalchemy as sa
from pypdf import PdfReader

from lrs.portal import export
from lrs.portal.accounts import delete_learner, learner_actor
from lrs.portal.certificate import (
    ALPHABET,
    LABELS,
    LEVEL_NAMES,
    MAX_NAME_CHARS,
    Certificate,
    CertificateError,
    CodeError,
    PublicCertificate,
    certificate_pdf,
    certificates_of,
    get_certificate,
    issue,
    lookup,
    new_code,
    normalise_code,
)
from lrs.portal.tables import portal_learners
from lrs.store.interface import Document, DocumentKey, StatementPage, StatementQuery
from lrs.store.sql import SqlStore, engine_of
from lrs.xapi.agents import agent_key
from lrs.xapi.profile import LEVELS
from lrs.xapi.statements import prepare
from lrs.xapi.versions import V1

BASE = "https://lrs.example.org"
COURSE = "https://gsog.example/course/gsog-basic"
NOW = dt.datetime(2026, 12, 5, 14, 30, tzinfo=dt.UTC)
AUTHORITY = {"objectType": "Agent", "account": {"homePage": BASE, "name": "portal"}}
CODE_FORM = re.compile(r"^[0-9A-HJKMNP-TV-Z]{4}(-[0-9A-HJKMNP-TV-Z]{4}){3}$")


def actor_of(actor_name: str) -> dict[str, Any]:
    """The portal learner's actor (an account on <base>/portal)."""
    return learner_actor(actor_name, BASE)


# --- codes -----------------------------------------------------------------------------


def test_a_new_code_is_four_groups_of_crockford_characters_and_reads_back_unchanged() -> None:
    codes = {new_code() for _ in range(2000)}
    assert len(codes) == 2000  # 75 random bits: no repeats
    for code in codes:
        assert CODE_FORM.match(code), code
        assert normalise_code(code) == code
    # every character of the alphabet turns up in every random position: the code is not a pattern
    for position in range(15):
        seen = {code.replace("-", "")[position] for code in codes}
        assert seen == set(ALPHABET), position


def test_loose_typing_is_forgiven() -> None:
    code = new_code()
    plain = code.replace("-", "")
    assert normalise_code(plain.lower()) == code
    assert normalise_code(f"  {plain[:4]} {plain[4:8]}  {plain[8:12]}-{plain[12:]} ") == code
    assert normalise_code(code.replace("-", " - ")) == code
    assert normalise_code(code.replace("0", "O").replace("1", "l")) == code
    assert normalise_code(code.replace("1", "I").replace("0", "o")) == code


def test_every_single_mistyped_character_is_caught_before_any_lookup() -> None:
    for _ in range(20):
        plain = new_code().replace("-", "")
        for position in range(len(plain)):
            for wrong in ALPHABET:
                if wrong == plain[position]:
                    continue
                typo = plain[:position] + wrong + plain[position + 1 :]
                with pytest.raises(CodeError, match="mistyped"):
                    normalise_code(typo)


def test_swapped_neighbours_are_caught_except_zero_and_z() -> None:
    caught = missed = 0
    for _ in range(200):
        plain = new_code().replace("-", "")
        for i in range(len(plain) - 1):
            a, b = plain[i], plain[i + 1]
            if a == b:
                continue
            swapped = plain[:i] + b + a + plain[i + 2 :]
            try:
                normalise_code(swapped)
            except CodeError:
                caught += 1
            else:
                missed += 1
                assert {a, b} == {"0", "Z"}, (plain, i)
    assert caught > 2000 and missed < caught / 100


@pytest.mark.parametrize(
    ("typed", "message"),
    [
        ("", "empty"),
        ("   - ", "empty"),
        ("ABCD-EFGH-JKMN-PQR", "15 characters, a code has 16"),
        ("ABCD-EFGH-JKMN-PQRST", "17 characters"),
        ("ABCD-EFGH-JKMN-PQRU", r"'U' \(character 16\) is not used in codes"),
        ("ABCD-EF#H-JKMN-PQRS", r"'#' \(character 7\)"),
    ],
)
def test_a_malformed_code_says_what_is_wrong(typed: str, message: str) -> None:
    with pytest.raises(CodeError, match=message) as error:
        normalise_code(typed)
    assert str(error.value).startswith("verification code:")


# --- issue and lookup ----------------------------------------------------------------------


def issue_for(store: SqlStore, learner_id: int = 1, **changes: Any) -> Certificate:
    values: dict[str, Any] = {
        "name": "Zoë Van den Broeck-Çelik",
        "course_iri": COURSE,
        "course_title": "Gendersensitief omgaan met geweld",
        "level": "basic",
        "language": "nl",
        "registration": str(uuid.uuid4()),
        "now": NOW,
    }
    values.update(changes)
    return issue(engine_of(store), learner_id, **values)


def test_issue_is_once_per_learner_and_course(store: SqlStore) -> None:
    first = issue_for(store)
    assert CODE_FORM.match(first.code)
    assert (first.learner_id, first.course_iri, first.level, first.language) == (1, COURSE, "basic", "nl")
    assert first.issued == NOW
    again = issue_for(store, name="Someone Else", now=NOW + dt.timedelta(days=3))
    assert again == first  # same code, name and date: the certificate does not change
    other_course = issue_for(store, course_iri=f"{COURSE}-2", now=NOW + dt.timedelta(hours=1))
    other_learner = issue_for(store, learner_id=2)
    assert len({first.code, other_course.code, other_learner.code}) == 3
    assert certificates_of(engine_of(store), 1) == [first, other_course]
    assert certificates_of(engine_of(store), 2) == [other_learner]


def test_simultaneous_requests_get_one_certificate(store: SqlStore) -> None:
    registration = str(uuid.uuid4())
    with ThreadPoolExecutor(max_workers=6) as pool:
        made = list(pool.map(lambda _: issue_for(store, registration=registration), range(6)))
    assert len({c.code for c in made}) == 1
    assert len(certificates_of(engine_of(store), 1)) == 1


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"name": ""}, "display_name: required"),
        ({"name": "   "}, "display_name: required"),
        (
            {"name": "x" * (MAX_NAME_CHARS + 1)},
            f"display_name: {MAX_NAME_CHARS + 1} characters, at most {MAX_NAME_CHARS}",
        ),
        ({"course_title": ""}, "course_title: required"),
        ({"registration": "not-a-uuid"}, "registration: not a UUID"),
        ({"level": "level two"}, "level: 'level two' is not a level code"),
        ({"language": "français"}, "language: 'français' is not a BCP 47 language tag"),
        ({"now": dt.datetime(2026, 12, 5)}, "now: give an aware UTC instant"),
    ],
)
def test_issue_refuses_bad_input_naming_the_field(store: SqlStore, changes: dict[str, Any], message: str) -> None:
    with pytest.raises(CertificateError, match=message):
        issue_for(store, **changes)
    assert certificates_of(engine_of(store), 1) == []


def test_lookup_reveals_only_what_the_certificate_shows(store: SqlStore) -> None:
    made = issue_for(store, level="deepening")
    found = lookup(engine_of(store), made.code.replace("-", "").lower())
    assert found == PublicCertificate(
        name="Zoë Van den Broeck-Çelik",
        course_title="Gendersensitief omgaan met geweld",
        level="deepening",
        issued=dt.date(2026, 12, 5),
    )
    assert [f.name for f in dataclasses.fields(PublicCertificate)] == ["name", "course_title", "level", "issued"]


def test_lookup_of_an_unknown_code_is_none_and_of_a_malformed_one_an_error(store: SqlStore) -> None:
    issue_for(store)
    assert lookup(engine_of(store), new_code()) is None
    with pytest.raises(CodeError):
        lookup(engine_of(store), "ABCD")
    assert get_certificate(engine_of(store), "ABCD") is None  # the PDF link of no certificate


def test_the_whole_certificate_is_found_by_its_code_in_any_typed_form(store: SqlStore) -> None:
    made = issue_for(store)
    assert get_certificate(engine_of(store), made.code.lower().replace("-", " ")) == made


# --- PDF -------------------------------------------------------------------------------------


def pdf_text(data: bytes) -> str:
    reader = PdfReader(io.BytesIO(data))
    return re.sub(r"\s+", " ", " ".join(page.extract_text() or "" for page in reader.pages))


def sample(language: str) -> Certificate:
    return Certificate(
        code=new_code(),
        learner_id=7,
        course_iri=COURSE,
        registration=str(uuid.uuid4()),
        name="Zoë Van den Broeck-Çelik",
        course_title="Aborder la violence avec une sensibilité de genre",
        level="specialised",
        language=language,
        issued=NOW,
    )


def test_the_pdf_shows_holder_course_level_date_issuer_code_and_verification_url_in_french() -> None:
    cert = sample("fr")
    url = f"{BASE}/portal/verify/{cert.code}"
    data = certificate_pdf(cert, issuer="Institut pour l'égalité des femmes et des hommes", verify_url=url)
    reader = PdfReader(io.BytesIO(data))
    assert len(reader.pages) == 1
    page = reader.pages[0]
    assert float(page.mediabox.width) > float(page.mediabox.height)  # landscape
    assert reader.metadata is not None and reader.metadata.title is not None
    assert "Certificat de réussite" in reader.metadata.title
    text = pdf_text(data)
    for expected in (
        "Certificat de réussite",
        "Zoë Van den Broeck-Çelik",
        "Aborder la violence avec une sensibilité de genre",
        "spécialisation",
        "5 décembre 2026",
        "Institut pour l'égalité des femmes et des hommes",
        cert.code,
        url,
    ):
        assert expected in text, (expected, text)


def test_the_pdf_speaks_the_language_asked_for_and_english_for_others() -> None:
    cert = sample("fr")
    dutch = pdf_text(certificate_pdf(cert, "nl", issuer=BASE, verify_url=f"{BASE}/portal/verify/{cert.code}"))
    assert "Certificaat van voltooiing" in dutch and "5 december 2026" in dutch and "specialisatie" in dutch
    german = pdf_text(certificate_pdf(cert, "de", issuer=BASE, verify_url=f"{BASE}/portal/verify/{cert.code}"))
    assert "Certificate of completion" in german and "December 5, 2026" in german  # not half German


def test_an_imported_courses_own_level_is_kept_and_printed_as_is(store: SqlStore) -> None:
    made = issue_for(store, level="b1-advanced")
    assert made.level == "b1-advanced"
    text = pdf_text(certificate_pdf(made, issuer=BASE, verify_url=f"{BASE}/portal/verify/{made.code}"))
    assert "Niveau: b1-advanced" in text


def test_every_certificate_word_and_level_name_exists_in_dutch_french_and_english() -> None:
    assert set(LEVEL_NAMES) == set(LEVELS)
    for key, texts in [*LABELS.items(), *LEVEL_NAMES.items()]:
        assert {lang for lang, text in texts.items() if text.strip()} >= {"nl", "fr", "en"}, key


def test_the_longest_name_and_title_shrink_to_fit_above_the_code() -> None:
    cert = dataclasses.replace(
        sample("nl"),
        name=("Marie-Françoise Van den Broeck " * 7)[:MAX_NAME_CHARS].strip(),
        course_title=("Gendersensitief omgaan met geweld in politie en justitie " * 9)[:500].strip(),
    )
    reader = PdfReader(io.BytesIO(certificate_pdf(cert, issuer=BASE, verify_url=f"{BASE}/portal/verify/{cert.code}")))
    assert len(reader.pages) == 1
    heights: dict[str, float] = {}

    def visit(text: str, cm: Any, tm: Any, font: Any, size: Any) -> None:
        if text.strip():
            heights[text.strip()] = tm[5]  # baseline, from the bottom of the page

    reader.pages[0].extract_text(visitor_text=visit)
    code_line = next(y for text, y in heights.items() if cert.code in text)
    issuer_line = next(y for text, y in heights.items() if text.startswith("Uitgereikt door"))
    title_lines = [y for text, y in heights.items() if "Gendersensitief" in text or "justitie" in text]
    assert title_lines and min(title_lines) > issuer_line > code_line + 10


# --- export ------------------------------------------------------------------------------------


def add_learner(store: SqlStore, email: str, actor_name: str) -> int:
    with engine_of(store).begin() as conn:
        result = conn.execute(
            sa.insert(portal_learners).values(
                email=email,
                password_hash="$argon2id$secret-hash",
                verified=NOW,
                actor_name=actor_name,
                display_name="Ann Peeters",
                sector="police",
                organisation="zone-gent",
                region="flanders",
                language="nl",
                role="inspector",
                level="basic",
                created=NOW - dt.timedelta(days=1),
            )
        )
        key = result.inserted_primary_key
        assert key is not None
        return int(key[0])


def statement(actor: dict[str, Any], verb: str = "experienced", **extra: Any) -> dict[str, Any]:
    return {
        "id": str(uuid.uuid4()),
        "actor": actor,
        "verb": {"id": f"http://adlnet.gov/expapi/verbs/{verb}"},
        "object": {"objectType": "Activity", "id": f"{COURSE}/unit-{uuid.uuid4().hex[:6]}"},
        **extra,
    }


def send(store: SqlStore, statements: list[dict[str, Any]]) -> None:
    """Through the real store, one second apart, as the xAPI layer prepares them."""
    for n, body in enumerate(statements):
        stored = NOW + dt.timedelta(seconds=n)
        store.insert_statements([prepare(body, api=V1, authority=AUTHORITY, stored=stored)], [])


def voiding(target: dict[str, Any], by: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": str(uuid.uuid4()),
        "actor": by,
        "verb": {"id": "http://adlnet.gov/expapi/verbs/voided"},
        "object": {"objectType": "StatementRef", "id": target["id"]},
    }


@pytest.fixture
def two_learners(store: SqlStore, monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    """Ann's and Bob's statements interleaved, with voidings, a statement about Ann and a reference to hers."""
    monkeypatch.setattr(export, "PAGE_SIZE", 2)  # many pages from a few statements
    ann, bob = actor_of("a7f3c9e1"), actor_of("b2d4e6f8")
    admin = {"objectType": "Agent", "account": {"homePage": BASE, "name": "admin"}}
    ann_id = add_learner(store, "ann@example.org", "a7f3c9e1")
    add_learner(store, "bob@example.org", "b2d4e6f8")
    a1, a2, a3, a4 = (statement(ann) for _ in range(4))
    b1, b2 = statement(bob), statement(bob)
    about_ann = {**statement(admin), "object": ann}  # Ann is the object: not her statement
    ann_voids = voiding(a2, ann)
    admin_voids = voiding(a3, admin)
    refers = {**statement(bob, "commented"), "object": {"objectType": "StatementRef", "id": a1["id"]}}
    group = statement({"objectType": "Group", "name": "team", "member": [bob, ann]})
    send(store, [a1, b1, a2, about_ann, b2, a3, ann_voids, refers, admin_voids, a4, group])
    return {
        "store": store,
        "ann": ann,
        "ann_id": ann_id,
        "bob": bob,
        # a voided statement comes just before the statement voiding it
        "expected": [a1["id"], a2["id"], ann_voids["id"], a3["id"], a4["id"], group["id"]],
        "voided": [a2["id"], a3["id"]],
        "bob_only": {b1["id"], b2["id"], refers["id"]},
    }


def test_the_export_holds_exactly_the_learners_statements_oldest_first_voided_ones_included(
    two_learners: dict[str, Any],
) -> None:
    store = two_learners["store"]
    issued = issue_for(store, learner_id=two_learners["ann_id"])
    chunks = list(export.learner_data(store, engine_of(store), two_learners["ann_id"], two_learners["ann"], now=NOW))
    document = json.loads(b"".join(chunks))
    assert document["format"] == export.FORMAT
    ids = [s["id"] for s in document["statements"]]
    assert ids == two_learners["expected"]
    assert document["voided_statement_ids"] == two_learners["voided"]
    assert not set(ids) & two_learners["bob_only"]
    stored = {s["id"]: s for s in document["statements"]}
    for statement_id in ids:  # as the LRS stores them
        kept = store.get_statement(statement_id)
        assert kept is not None and stored[statement_id] == kept.statement
    assert document["actor"] == two_learners["ann"]
    assert document["profile"] == {
        "email": "ann@example.org",
        "display_name": "Ann Peeters",
        "sector": "police",
        "organisation": "zone-gent",
        "region": "flanders",
        "language": "nl",
        "role": "inspector",
        "level": "basic",
        "created": "2026-12-04T14:30:00Z",
        "verified": "2026-12-05T14:30:00Z",
    }
    assert "password" not in json.dumps(document)
    assert [c["code"] for c in document["certificates"]] == [issued.code]
    assert document["certificates"][0]["issued"] == "2026-12-05T14:30:00Z"


def test_the_other_learners_export_holds_only_theirs(two_learners: dict[str, Any]) -> None:
    store = two_learners["store"]
    bob_id = two_learners["ann_id"] + 1
    document = json.loads(b"".join(export.learner_data(store, engine_of(store), bob_id, two_learners["bob"])))
    ids = {s["id"] for s in document["statements"]}
    assert two_learners["bob_only"] <= ids
    assert not ids & (set(two_learners["expected"]) - {two_learners["expected"][-1]})  # the group one is both's
    assert document["profile"]["email"] == "bob@example.org" and document["certificates"] == []


class CountingStore:
    """The real store, counting the pages read."""

    def __init__(self, store: SqlStore) -> None:
        self.store = store
        self.pages = 0

    def query_statements(self, query: StatementQuery) -> StatementPage:
        self.pages += 1
        return self.store.query_statements(query)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.store, name)


def test_the_export_reads_page_by_page_while_it_is_sent(
    two_learners: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(export, "CHUNK_BYTES", 1)  # a piece per statement
    store = two_learners["store"]
    counting = CountingStore(store)
    pieces = export.learner_data(counting, engine_of(store), two_learners["ann_id"], two_learners["ann"])
    assert counting.pages == 0  # nothing read before the response starts
    first = next(pieces)
    assert counting.pages == 1  # the first statement goes out after reading one page (of two statements)
    assert b'"statements":[{' in first
    rest = list(pieces)
    # Ann's filter matches 7 live statements (hers, the one about her, the two referring to hers):
    # four pages of two, each read once
    assert counting.pages == 4 and len(rest) == 6


def test_the_export_of_an_unknown_learner_fails_before_streaming(store: SqlStore) -> None:
    with pytest.raises(LookupError, match="no portal learner with id 404"):
        export.learner_data(store, engine_of(store), 404, actor_of("nobody"))


def test_deleting_the_account_revokes_its_certificates(store: SqlStore) -> None:
    learner_id = add_learner(store, "ann@example.org", "a7f3c9e1")
    made = issue_for(store, learner_id=learner_id)
    kept = issue_for(store, learner_id=learner_id + 1)
    delete_learner(store, learner_id, BASE)
    assert lookup(engine_of(store), made.code) is None
    assert lookup(engine_of(store), kept.code) is not None


def test_the_export_gives_the_learner_their_own_documents_and_no_one_elses(two_learners: dict[str, Any]) -> None:
    """What the modules kept for a learner (a reflection in a state document) is theirs to download."""
    store = two_learners["store"]
    ann_key, bob_key = agent_key(two_learners["ann"]), agent_key(two_learners["bob"])
    module = "https://gsog.example.org/course/fr-police/m1-understand"
    registration = "0b8b6f3e-55a4-4b59-9a5c-8d1f54b3f0a1"
    reflection = {"reflection-1": "Ce que je ferai autrement : écouter d'abord."}
    documents = [
        Document(
            DocumentKey("state", module, ann_key, registration, "gsog-state"),
            json.dumps(reflection).encode(),
            "application/json",
            '"a"',
            NOW,
        ),
        Document(
            DocumentKey("agent_profile", agent=ann_key, doc_id="notes"),
            b"\xff\x00",
            "application/octet-stream",
            '"b"',
            NOW,
        ),
        Document(
            DocumentKey("state", module, bob_key, registration, "gsog-state"),
            b'{"bob": "private"}',
            "application/json",
            '"c"',
            NOW,
        ),
    ]
    for document in documents:
        store.put_document(document, if_match=None, if_none_match=None)
    chunks = export.learner_data(store, engine_of(store), two_learners["ann_id"], two_learners["ann"], now=NOW)
    found = json.loads(b"".join(chunks))["documents"]
    assert found == [
        {
            "kind": "agent_profile",
            "id": "notes",
            "contentType": "application/octet-stream",
            "updated": "2026-12-05T14:30:00Z",
            "base64": "/wA=",
        },
        {
            "kind": "state",
            "id": "gsog-state",
            "contentType": "application/json",
            "activityId": module,
            "registration": registration,
            "updated": "2026-12-05T14:30:00Z",
            "json": reflection,
        },
    ]
