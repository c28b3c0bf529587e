"""Build benchmark: the full 40-package matrix against `zip -r` of the same payload.

Figures (media already rendered, as in the issue's targets):
- full matrix build time (with validation) and its ratio to `zip -r` of the
  same 40 payload folders, measured in the same run;
- no-change rebuild, and one-file changes (a case's captions, a clip's
  captions) rebuilding only their packages;
- peak memory of a full build against a one-variant build (flat = ratio ~1);
- total package bytes against the media bytes they carry.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from builder.build import build_packages  # noqa: E402
from builder.checker import check_course  # noqa: E402
from builder.formats import FORMATS  # noqa: E402
from builder.media.resolve import default_cache, render_missing  # noqa: E402
from builder.payload import payload  # noqa: E402
from builder.validate.package import validate_package  # noqa: E402
from builder.variants import all_variants, compile_variant  # noqa: E402
from builder.writers.base import WriterOptions  # noqa: E402

SRC = REPO / "course_src"


def validator(path: Path) -> list[str]:
    """Validate with the XSDs the install finds, as `course build` does."""
    return [p.format() for p in validate_package(path)]


def lay_out_payloads(cache: Path, target: Path) -> list[Path]:
    """The 40 packages' files as plain folders, for the `zip -r` baseline."""
    course = check_course(SRC).course
    assert course is not None
    folders = []
    for variant in all_variants(course):
        compiled = compile_variant(course, variant, cache)
        for fmt, spec in FORMATS.items():
            folder = target / f"{variant.slug}-{fmt}"
            files = payload(compiled, fmt)
            for entry in files:
                out = folder / entry.arcname
                out.parent.mkdir(parents=True, exist_ok=True)
                data = getattr(entry, "data", None)
                if data is not None:
                    out.write_bytes(data)
                else:
                    shutil.copyfile(entry.source, out)
            for name, data in spec.writer.manifest_files(compiled, [f.arcname for f in files], WriterOptions()).items():
                (folder / name).write_bytes(data)
            folders.append(folder)
    return folders


def time_zip_r(folders: list[Path], out: Path) -> float:
    start = time.perf_counter()
    for folder in folders:
        subprocess.run(["zip", "-r", "-q", "-X", str(out / f"{folder.name}.zip"), "."], cwd=folder, check=True)
    return time.perf_counter() - start


RSS_PROBE = """
import resource, sys
from builder.cli import main
try:
    main(sys.argv[1:])
except SystemExit as exit:
    assert not exit.code, exit.code
print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)
"""


def peak_rss_mb(args: list[str]) -> float:
    """Peak resident memory of one `course build` in a fresh process of its own."""
    done = subprocess.run(
        [sys.executable, "-c", RSS_PROBE, *args], cwd=REPO, check=True, capture_output=True, text=True
    )
    return int(done.stdout.strip().splitlines()[-1]) / 1024


def main() -> None:
    cache = default_cache(SRC)
    report = check_course(SRC)
    assert report.course is not None
    render_missing(report.course, ["nl", "fr"], cache)
    with tempfile.TemporaryDirectory(prefix="gsog-bench-") as tmp_name:
        tmp = Path(tmp_name)
        folders = lay_out_payloads(cache, tmp / "payload")
        (tmp / "zipr").mkdir()
        zip_r = time_zip_r(folders, tmp / "zipr")

        out = tmp / "exports"
        full = build_packages(SRC, out, cache=cache, validate=validator)
        assert len(full.packages) == 40 and len(full.rebuilt) == 40
        noop = build_packages(SRC, out, cache=cache, validate=validator)

        work = tmp / "course_src"
        shutil.copytree(SRC, work)
        out2 = tmp / "exports2"
        build_packages(work, out2, cache=cache, validate=validator)
        media = work / "media"
        media.mkdir(exist_ok=True)
        sample = next(cache.rglob("*.mp4"))
        for unit in ("case-police.nl", "clip-consent.fr"):
            shutil.copyfile(sample, media / f"{unit}.mp4")
            (media / f"{unit}.vtt").write_text("WEBVTT\n\n00:00.000 --> 00:01.000\nA.\n")
        build_packages(work, out2, cache=cache, validate=validator)
        (media / "case-police.nl.vtt").write_text("WEBVTT\n\n00:00.000 --> 00:01.500\nB.\n")
        case_change = build_packages(work, out2, cache=cache, validate=validator)
        (media / "clip-consent.fr.vtt").write_text("WEBVTT\n\n00:00.000 --> 00:01.500\nB.\n")
        clip_change = build_packages(work, out2, cache=cache, validate=validator)

        total = sum(p.size for p in full.packages)
        media_bytes = sum(p.media_bytes for p in full.packages)
        zip_bytes = sum(p.stat().st_size for p in (tmp / "zipr").glob("*.zip"))
        rss_full = peak_rss_mb(["build", "--out", str(tmp / "rss-full"), "--cache", str(cache)])
        rss_one = peak_rss_mb(
            ["build", "--lang", "nl", "--sector", "police", "--out", str(tmp / "rss-one"), "--cache", str(cache)]
        )
    figures = {
        "full_matrix_s": round(full.seconds, 2),
        "zip_r_same_payload_s": round(zip_r, 2),
        "ratio_build_to_zip_r": round(full.seconds / zip_r, 2),
        "no_change_rebuild_s": round(noop.seconds, 3),
        "case_captions_change_s": round(case_change.seconds, 3),
        "case_captions_change_rebuilt": len(case_change.rebuilt),
        "clip_captions_change_s": round(clip_change.seconds, 3),
        "clip_captions_change_rebuilt": len(clip_change.rebuilt),
        "peak_rss_full_matrix_mb": round(rss_full, 1),
        "peak_rss_one_variant_mb": round(rss_one, 1),
        "ratio_peak_rss_40_to_4_packages": round(rss_full / rss_one, 2),
        "packages_mb": round(total / 1e6, 1),
        "media_mb": round(media_bytes / 1e6, 1),
        "ratio_packages_to_media": round(total / media_bytes, 3),
        "zip_r_mb": round(zip_bytes / 1e6, 1),
    }
    for key, value in figures.items():
        print(f"{key:34s} {value}")
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
