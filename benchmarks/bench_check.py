"""How long `course check` takes on the real course, against plain YAML parsing.

The baseline is the cheapest thing a checker must do anyway: parse every
authoring file with libyaml (PyYAML's C composer). The ratio says what validation, line
tracking and cross-file checks cost on top of that.
"""

from __future__ import annotations

import statistics
import sys
import time
import tracemalloc
from pathlib import Path

import yaml

from builder.checker import check_course

ROOT = Path(__file__).resolve().parent.parent / "course_src"
ROUNDS = int(sys.argv[1]) if len(sys.argv) > 1 else 7


def _baseline() -> None:
    for path in ROOT.rglob("*.yaml"):
        yaml.compose(path.read_text(encoding="utf-8"), Loader=yaml.CSafeLoader)


def _check() -> None:
    report = check_course(ROOT)
    assert report.ok, [p.format() for p in report.problems.errors]


def _time(fn) -> float:
    samples = []
    for _ in range(ROUNDS):
        start = time.perf_counter()
        fn()
        samples.append(time.perf_counter() - start)
    return statistics.median(samples)


def main() -> None:
    files = len(list(ROOT.rglob("*.yaml")))
    base = _time(_baseline)
    check = _time(_check)
    tracemalloc.start()
    _check()
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    print(f"course check on {files} files: median {check * 1000:.0f} ms over {ROUNDS} rounds")
    print(f"baseline (libyaml compose only): {base * 1000:.0f} ms")
    print(f"ratio check / parse: {check / base:.2f}x; peak Python memory {peak / 1e6:.1f} MB")


if __name__ == "__main__":
    main()
