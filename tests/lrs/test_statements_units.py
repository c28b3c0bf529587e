"""Units behind the Statement resource: comparison, formats, multipart, JWS, index."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from lrs.xapi.multipart import MultipartError, boundary_of, split_parts
from lrs.xapi.signature import SignatureError, verify_jws
from lrs.xapi.statements import (
    comparable,
    parse_accept_language,
    pick_language,
    render,
    statement_index,
    truncate_duration,
    utc_timestamp,
)

#: xAPI 1.0.3 Data, Appendix D: the example JWS (RS256 with an x5c chain).
SPEC_JWS = (
    "ew0KICAgICJhbGciOiAiUlMyNTYiLA0KICAgICJ4NWMiOiBbDQogICAgICAgICJNSUlEQVRDQ0FtcWdBd0lCQWdJSkFNQjFjc051"
    "QTYra01BMEdDU3FHU0liM0RRRUJCUVVBTUhFeEN6QUpCZ05WQkFZVEFsVlRNUkl3RUFZRFZRUUlFd2xVWlc1dVpYTnpaV1V4R0RB"
    "V0JnTlZCQW9URDBWNFlXMXdiR1VnUTI5dGNHRnVlVEVRTUE0R0ExVUVBeE1IUlhoaGJYQnNaVEVpTUNBR0NTcUdTSWIzRFFFSkFS"
    "WVRaWGhoYlhCc1pVQmxlR0Z0Y0d4bExtTnZiVEFlRncweE16QTBNRFF4TlRJNE16QmFGdzB4TkRBME1EUXhOVEk0TXpCYU1JR1dN"
    "UXN3Q1FZRFZRUUdFd0pWVXpFU01CQUdBMVVFQ0JNSlZHVnVibVZ6YzJWbE1SRXdEd1lEVlFRSEV3aEdjbUZ1YTJ4cGJqRVlNQllH"
    "QTFVRUNoTVBSWGhoYlhCc1pTQkRiMjF3WVc1NU1SQXdEZ1lEVlFRTEV3ZEZlR0Z0Y0d4bE1SQXdEZ1lEVlFRREV3ZEZlR0Z0Y0d4"
    "bE1TSXdJQVlKS29aSWh2Y05BUWtCRmhObGVHRnRjR3hsUUdWNFlXMXdiR1V1WTI5dE1JR2ZNQTBHQ1NxR1NJYjNEUUVCQVFVQUE0"
    "R05BRENCaVFLQmdRRGp4dlpYRjMwV0w0b0tqWllYZ1IwWnlhWCt1M3k2K0pxVHFpTmtGYS9WVG5ldDZMeTJPVDZabW1jSkVQbnEz"
    "VW5ld3BIb09RK0dmaGhUa1cxM2owNmo1aU5uNG9iY0NWV1RMOXlYTnZKSCtLbyt4dTRZbC95U1BScklQeVRqdEhkRzBNMlh6SWxt"
    "bUxxbStDQVMrS0NiSmVINHRmNTQza0lXQzVwQzVwM2NWUUlEQVFBQm8zc3dlVEFKQmdOVkhSTUVBakFBTUN3R0NXQ0dTQUdHK0VJ"
    "QkRRUWZGaDFQY0dWdVUxTk1JRWRsYm1WeVlYUmxaQ0JEWlhKMGFXWnBZMkYwWlRBZEJnTlZIUTRFRmdRVVZzM3Y1YWZFZE9lb1ll"
    "VmFqQVFFNHYwV1MxUXdId1lEVlIwakJCZ3dGb0FVeVZJYzN5dnJhNEVCejIwSTRCRjM5SUFpeEJrd0RRWUpLb1pJaHZjTkFRRUZC"
    "UUFEZ1lFQWdTL0ZGNUQwSG5qNDRydlQ2a2duM2tKQXZ2MmxqL2Z5anp0S0lyWVMzM2xqWEduNmdHeUE0cXRiWEEyM1ByTzR1Yy93"
    "WUNTRElDRHBQb2JoNjJ4VENkOXFPYktoZ3dXT2kwNVBTQkxxVXUzbXdmQWUxNUxKQkpCcVBWWjRLMGtwcGVQQlU4bTZhSVpvSDU3"
    "TC85dDRPb2FMOHlLcy9xaktGZUkxT0ZXWnh2QT0iLA0KICAgICAgICAiTUlJRE56Q0NBcUNnQXdJQkFnSUpBTUIxY3NOdUE2K2pN"
    "QTBHQ1NxR1NJYjNEUUVCQlFVQU1IRXhDekFKQmdOVkJBWVRBbFZUTVJJd0VBWURWUVFJRXdsVVpXNXVaWE56WldVeEdEQVdCZ05W"
    "QkFvVEQwVjRZVzF3YkdVZ1EyOXRjR0Z1ZVRFUU1BNEdBMVVFQXhNSFJYaGhiWEJzWlRFaU1DQUdDU3FHU0liM0RRRUpBUllUWlho"
    "aGJYQnNaVUJsZUdGdGNHeGxMbU52YlRBZUZ3MHhNekEwTURReE5USTFOVE5hRncweU16QTBNREl4TlRJMU5UTmFNSEV4Q3pBSkJn"
    "TlZCQVlUQWxWVE1SSXdFQVlEVlFRSUV3bFVaVzV1WlhOelpXVXhHREFXQmdOVkJBb1REMFY0WVcxd2JHVWdRMjl0Y0dGdWVURVFN"
    "QTRHQTFVRUF4TUhSWGhoYlhCc1pURWlNQ0FHQ1NxR1NJYjNEUUVKQVJZVFpYaGhiWEJzWlVCbGVHRnRjR3hsTG1OdmJUQ0JuekFO"
    "QmdrcWhraUc5dzBCQVFFRkFBT0JqUUF3Z1lrQ2dZRUExc0JuQldQWjBmN1dKVUZUSnk1KzAxU2xTNVo2RERENlV5ZTl2SzlBeWNn"
    "VjVCMytXQzhIQzV1NWg5MU11akFDMUFSUFZVT3RzdlBSczQ1cUtORklnSUdSWEtQQXdaamF3RUkyc0NKUlNLVjQ3aTZCOGJEdjRX"
    "a3VHdlFhdmVaR0kwcWxtTjVSMUVpbTJnVUl0UmoxaGdjQzlyUWF2amxuRktEWTJybFhHdWtDQXdFQUFhT0IxakNCMHpBZEJnTlZI"
    "UTRFRmdRVXlWSWMzeXZyYTRFQnoyMEk0QkYzOUlBaXhCa3dnYU1HQTFVZEl3U0JtekNCbUlBVXlWSWMzeXZyYTRFQnoyMEk0QkYz"
    "OUlBaXhCbWhkYVJ6TUhFeEN6QUpCZ05WQkFZVEFsVlRNUkl3RUFZRFZRUUlFd2xVWlc1dVpYTnpaV1V4R0RBV0JnTlZCQW9URDBW"
    "NFlXMXdiR1VnUTI5dGNHRnVlVEVRTUE0R0ExVUVBeE1IUlhoaGJYQnNaVEVpTUNBR0NTcUdTSWIzRFFFSkFSWVRaWGhoYlhCc1pV"
    "QmxlR0Z0Y0d4bExtTnZiWUlKQU1CMWNzTnVBNitqTUF3R0ExVWRFd1FGTUFNQkFmOHdEUVlKS29aSWh2Y05BUUVGQlFBRGdZRUFE"
    "aHdUZWJHazczNXlLaG04RHFDeHZObkVaME54c1lFWU9qZ1JHMXlYVGxXNXBFNjkxZlNINUFaK1Q2ZnB3cFpjV1k1UVlrb042RG53"
    "ak94R2tTZlFDMy95R21jVURLQlB3aVo1TzJzOUMrZkUxa1VFbnJYMlhlYTRhZ1ZuZ016UjhEUTZvT2F1TFdxZWhEQitnMkVOV1JM"
    "b1ZnUyttYTUvWWNzMEdUeXJFQ1k9Ig0KICAgIF0NCn0.ew0KICAgICJ2ZXJzaW9uIjogIjEuMC4wIiwNCiAgICAiaWQiOiAiMzNj"
    "ZmY0MTYtZTMzMS00YzlkLTk2OWUtNTM3M2ExNzU2MTIwIiwNCiAgICAiYWN0b3IiOiB7DQogICAgICAgICJtYm94IjogIm1haWx0"
    "bzpleGFtcGxlQGV4YW1wbGUuY29tIiwNCiAgICAgICAgIm5hbWUiOiAiRXhhbXBsZSBMZWFybmVyIiwNCiAgICAgICAgIm9iamVj"
    "dFR5cGUiOiAiQWdlbnQiDQogICAgfSwNCiAgICAidmVyYiI6IHsNCiAgICAgICAgImlkIjogImh0dHA6Ly9hZGxuZXQuZ292L2V4"
    "cGFwaS92ZXJicy9leHBlcmllbmNlZCIsDQogICAgICAgICJkaXNwbGF5Ijogew0KICAgICAgICAgICAgImVuLVVTIjogImV4cGVy"
    "aWVuY2VkIg0KICAgICAgICB9DQogICAgfSwNCiAgICAib2JqZWN0Ijogew0KICAgICAgICAiaWQiOiAiaHR0cHM6Ly93d3cueW91"
    "dHViZS5jb20vd2F0Y2g_dj14aDRrSWlIM1NtOCIsDQogICAgICAgICJvYmplY3RUeXBlIjogIkFjdGl2aXR5IiwNCiAgICAgICAg"
    "ImRlZmluaXRpb24iOiB7DQogICAgICAgICAgICAibmFtZSI6IHsNCiAgICAgICAgICAgICAgICAiZW4tVVMiOiAiVGF4IFRpcHMg"
    "JiBJbmZvcm1hdGlvbiA6IEhvdyB0byBGaWxlIGEgVGF4IFJldHVybiAiDQogICAgICAgICAgICB9LA0KICAgICAgICAgICAgImRl"
    "c2NyaXB0aW9uIjogew0KICAgICAgICAgICAgICAgICJlbi1VUyI6ICJGaWxpbmcgYSB0YXggcmV0dXJuIHdpbGwgcmVxdWlyZSBm"
    "aWxsaW5nIG91dCBlaXRoZXIgYSAxMDQwLCAxMDQwQSBvciAxMDQwRVogZm9ybSINCiAgICAgICAgICAgIH0NCiAgICAgICAgfQ0K"
    "ICAgIH0sDQogICAgInRpbWVzdGFtcCI6ICIyMDEzLTA0LTAxVDEyOjAwOjAwWiINCn0.FWuwaPhwUbkk7h9sKW5zSvjsYNugvxJ-"
    "TrVaEgt_DCUT0bmKhQScRrjMB6P9O50uznPwT66oF1NnU_G0HVhRzS5voiXE-y7tT3z0M3-8A6YK009Bk_digVUul-HA4Fpd5Ijo"
    "BBGe3yzaQ2ZvzarvRuipvNEQCI0onpfuZZJQ0d8"
)

STATEMENT: dict[str, Any] = {
    "actor": {"objectType": "Agent", "mbox": "mailto:Learner@Example.com"},
    "verb": {"id": "http://adlnet.gov/expapi/verbs/attended", "display": {"en-US": "attended"}},
    "object": {"objectType": "Activity", "id": "http://example.com/a", "definition": {"name": {"en": "A"}}},
    "timestamp": "2024-05-04T19:00:00.000+02:00",
    "result": {"duration": "PT1.2567S"},
    "context": {"registration": "EC531277-B57B-4C15-8D91-D292C5B2B8F7",
                "contextActivities": {"parent": {"id": "http://example.com/p"}}},
}


def test_spec_example_signature_verifies() -> None:
    payload = verify_jws(SPEC_JWS)
    assert payload["id"] == "33cff416-e331-4c9d-969e-5373a1756120"
    header, claims, signature = SPEC_JWS.split(".")
    with pytest.raises(SignatureError, match="does not verify"):
        verify_jws(f"{header}.{claims}.{signature[:-4]}AAAA")
    with pytest.raises(SignatureError, match="compact serialization"):
        verify_jws("only.two")


def test_comparison_ignores_what_the_spec_lists_as_immutability_exceptions() -> None:
    other = copy.deepcopy(STATEMENT)
    other.update(id="6690e6c9-3ef0-4ed3-8b37-7f3964730bee", stored="2024-01-01T00:00:00Z", version="1.0.0",
                 authority={"mbox": "mailto:lrs@example.com"})
    other["actor"]["mbox"] = "mailto:learner@example.com"
    other["verb"]["display"] = {"nl-BE": "bijgewoond"}
    other["object"]["definition"] = {"name": {"nl": "A"}}
    other["timestamp"] = "2024-05-04T17:00:00Z"
    other["result"]["duration"] = "PT1.25S"
    other["context"]["registration"] = other["context"]["registration"].lower()
    other["context"]["contextActivities"]["parent"] = [{"id": "http://example.com/p", "objectType": "Activity"}]
    assert comparable(other) == comparable(STATEMENT)
    changed = {**STATEMENT, "verb": {"id": "http://adlnet.gov/expapi/verbs/completed"}}
    assert comparable(changed) != comparable(STATEMENT)


def test_group_member_order_does_not_matter() -> None:
    members = [{"mbox": "mailto:a@example.com"}, {"mbox": "mailto:b@example.com"}]
    one = {**STATEMENT, "actor": {"objectType": "Group", "member": members}}
    two = {**STATEMENT, "actor": {"objectType": "Group", "member": list(reversed(members))}}
    assert comparable(one) == comparable(two)


@pytest.mark.parametrize(("given", "expected"), [("PT1.2567S", "PT1.25S"), ("PT1.2S", "PT1.2S"), ("PT1.001S", "PT1S"),
                                                 ("P1DT12H36M0.12567S", "P1DT12H36M0.12S"), ("P3Y", "P3Y")])
def test_truncate_duration(given: str, expected: str) -> None:
    assert truncate_duration(given) == expected


def test_utc_timestamp_keeps_precision() -> None:
    assert utc_timestamp("2023-05-04T12:00:00-05:00") == "2023-05-04T17:00:00Z"
    assert utc_timestamp("2023-05-04T12:00:00.5+01:00") == "2023-05-04T11:00:00.500Z"
    assert utc_timestamp("2023-05-04T12:00:00.123456789Z") == "2023-05-04T12:00:00.123456Z"


def test_accept_language_and_language_choice() -> None:
    assert parse_accept_language("en;q=0.5, nl-BE, fr;q=0") == ["nl-BE", "en"]
    names = {"en-US": "Course", "nl-BE": "Cursus", "fr": "Cours"}
    assert pick_language(names, ["nl"]) == {"nl-BE": "Cursus"}
    assert pick_language(names, ["fr-CA"]) == {"fr": "Cours"}
    assert pick_language(names, ["de"]) == {"en-US": "Course"}
    assert pick_language(names, ["*"]) == {"en-US": "Course"}


def test_ids_format_keeps_identifiers_only() -> None:
    group = {"objectType": "Group", "name": "G", "member": [{"name": "M", "mbox": "mailto:m@example.com"}]}
    rendered = render({**STATEMENT, "actor": group}, "ids")
    assert rendered["actor"] == {"objectType": "Group", "member": [{"mbox": "mailto:m@example.com"}]}
    assert rendered["verb"] == {"id": STATEMENT["verb"]["id"]}
    assert rendered["object"] == {"id": "http://example.com/a"}
    assert rendered["context"]["contextActivities"]["parent"] == [{"id": "http://example.com/p"}]


def test_index_relations() -> None:
    sub = {"objectType": "SubStatement", "actor": {"mbox": "mailto:sub@example.com"}, "verb": {"id": "http://v"},
           "object": {"id": "http://example.com/sub"},
           "context": {"instructor": {"mbox": "mailto:teacher@example.com"}}}
    statement = {**STATEMENT, "object": sub, "authority": {"mbox": "mailto:lrs@example.com"},
                 "context": {"team": {"objectType": "Group", "mbox": "mailto:team@example.com",
                                     "member": [{"mbox": "mailto:mate@example.com"}]},
                             "contextActivities": {"category": [{"id": "http://example.com/cat"}]}}}
    index = statement_index(statement)
    assert index.agents == {
        ("mbox:mailto:learner@example.com", "actor"), ("mbox:mailto:lrs@example.com", "authority"),
        ("mbox:mailto:team@example.com", "context"), ("mbox:mailto:mate@example.com", "context"),
        ("mbox:mailto:sub@example.com", "sub"), ("mbox:mailto:teacher@example.com", "sub"),
    }
    assert index.activities == {("http://example.com/cat", "context"), ("http://example.com/sub", "sub")}
    assert index.references is None and index.voids is None
    voiding = {**STATEMENT, "verb": {"id": "http://adlnet.gov/expapi/verbs/voided"},
               "object": {"objectType": "StatementRef", "id": "6690E6C9-3EF0-4ED3-8B37-7F3964730BEE"}}
    voiding_index = statement_index(voiding)
    assert voiding_index.voids == voiding_index.references == "6690e6c9-3ef0-4ed3-8b37-7f3964730bee"


def test_multipart_parsing() -> None:
    assert boundary_of('multipart/mixed; boundary="abc def"') == "abc def"
    with pytest.raises(MultipartError, match="boundary"):
        boundary_of("multipart/mixed")
    body = b"\r\n--b\r\nContent-Type:application/json\r\n\r\n{}\r\n--b\r\nX-A: 1\r\n\r\nraw\r\nbytes\r\n--b--"
    parts = split_parts(body, "b")
    assert [(p.content_type, p.body) for p in parts] == [("application/json", b"{}"), ("", b"raw\r\nbytes")]
    assert parts[1].headers == {"x-a": "1"}
    with pytest.raises(MultipartError, match="closing boundary"):
        split_parts(b"--b\r\nContent-Type: application/json\r\n\r\n{}", "b")
    with pytest.raises(MultipartError, match="boundary line was not found"):
        split_parts(b"Content-Type: application/json\r\n\r\n{}", "b")
