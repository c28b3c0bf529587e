"""`course check` answers every input with messages and exit 0/1, never a traceback."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.builder.helpers import run_check
from tests.conftest import COURSE_SRC

FUZZ = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])

TOKENS = [*"abc: -[]{}\n\t#&*!|>'\"%@`,?0123456789.\\", "nl", "fr", "id", "---", "\ufeff", "é", "  "]
yaml_text = st.lists(st.sampled_from(TOKENS), max_size=200).map("".join)

scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.floats(allow_nan=True),
    st.text(max_size=20),
    st.sampled_from(["LG-K1", "police", "2026-01-01", "../x", "media/x.mp4", "000:1-2"]),
)
values = st.recursive(
    scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4),
        st.dictionaries(
            st.sampled_from(
                [
                    "id",
                    "nl",
                    "fr",
                    "title",
                    "goals",
                    "type",
                    "script",
                    "options",
                    "sources",
                    "sector",
                    "video",
                    "captions",
                    "entries",
                    "items",
                    "x",
                ]
            ),
            inner,
            max_size=5,
        ),
    ),
    max_leaves=20,
)

TARGETS = [
    "course.yaml",
    "learning_goals.yaml",
    "clips/clip-consent.yaml",
    "cases/case-police.yaml",
    "referrals.yaml",
    "glossary.yaml",
    "evaluation.yaml",
]


def _fresh(tmp: Path) -> Path:
    target = tmp / "course_src"
    if target.exists():
        shutil.rmtree(target)
    shutil.copytree(COURSE_SRC, target, ignore=shutil.ignore_patterns(".schema"))
    return target


def _assert_clean(root: Path) -> None:
    run = run_check(root)
    assert run.exit_code in (0, 1)
    assert "internal error" not in run.output
    for problem in run.summary["errors"] + run.summary["warnings"]:
        assert problem["message"] and problem["file"]


@FUZZ
@given(name=st.sampled_from(TARGETS), text=yaml_text)
def test_random_text_in_any_file(tmp_path_factory, name: str, text: str) -> None:
    root = _fresh(tmp_path_factory.mktemp("fuzz"))
    (root / name).write_text(text, encoding="utf-8")
    _assert_clean(root)


@FUZZ
@given(name=st.sampled_from(TARGETS), data=values)
def test_random_structures_in_any_file(tmp_path_factory, name: str, data: object) -> None:
    root = _fresh(tmp_path_factory.mktemp("fuzz"))
    # JSON is valid YAML, so this reaches the model validation, not the parser
    (root / name).write_text(json.dumps(data), encoding="utf-8")
    _assert_clean(root)


def test_binary_and_huge_files(tmp_path: Path) -> None:
    root = _fresh(tmp_path)
    (root / "glossary.yaml").write_bytes(b"\xff\xfe\x00garbage\x00")
    (root / "referrals.yaml").write_text("a: " + "x" * (3 * 1024 * 1024))
    run = run_check(root)
    messages = " ".join(e["message"] for e in run.summary["errors"])
    assert "not UTF-8" in messages and "the limit is" in messages


def test_alias_bomb_is_refused(tmp_path: Path) -> None:
    root = _fresh(tmp_path)
    bomb = ["a: &a [x, x, x, x, x, x, x, x, x]"]
    for n in range(1, 12):
        bomb.append(f"{chr(97 + n)}: &{chr(97 + n)} [*{chr(96 + n)}, *{chr(96 + n)}, *{chr(96 + n)}, *{chr(96 + n)}]")
    (root / "glossary.yaml").write_text("\n".join(bomb) + "\n")
    _assert_clean(root)
