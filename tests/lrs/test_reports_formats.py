"""Report outputs (text, CSV, XLSX, JSON), the ``lrs report`` command, and the statistics helpers."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
from pathlib import Path

import openpyxl
import pytest
from click.testing import CliRunner

from lrs.cli import main
from lrs.reports import SUPPRESSED, Cell, ReportFilter, ReportTable, compare, run_report
from lrs.reports.formats import to_csv, to_json, to_text, to_xlsx
from lrs.reports.privacy import protect_sum
from lrs.reports.stats import mean_ci, t_quantile
from lrs.store.sql import SqlStore
from tests.lrs.reports_statements import DAY, M1, Learner, store_all


@pytest.fixture
def loaded(tmp_path: Path) -> SqlStore:
    """Six police learners (four complete M1) and two justice learners, on SQLite."""
    store = SqlStore(f"sqlite:///{tmp_path / 'lrs.sqlite3'}")
    statements = []
    for n in range(8):
        learner = Learner(f"f{n}", sector="police" if n < 6 else "justice")
        learner.au("initialized", M1)
        if n < 4 or n == 7:
            learner.au("completed", M1)
        statements += learner.statements
    store_all(store, statements)
    return store


def table(store: SqlStore) -> ReportTable:
    return run_report(store, "indicators", ReportFilter(start=DAY, end=DAY), k=5)


def test_csv_has_labels_rows_marker_and_summary(loaded: SqlStore) -> None:
    report = table(loaded)
    lines = list(csv.reader(io.StringIO(to_csv(report, "nl").decode("utf-8"))))
    assert lines[0] == ["kenmerk", "groep", "begonnen", "afgerond", "geslaagd"]
    body = {(r[0], r[1]): r[2:] for r in lines[1:] if len(r) == 5}
    assert body[("all", "all")] == ["8", "5", "0"]
    # justice (2) is suppressed, so police is too: otherwise 8 - 6 gives justice back
    assert body[("sector", "police")] == ["<5", "<5", "0"]
    assert body[("sector", "justice")] == ["<5", "<5", "0"]
    assert ["deelnemende organisaties", "1"] in lines


def test_xlsx_matches_the_csv(loaded: SqlStore) -> None:
    report = table(loaded)
    book = openpyxl.load_workbook(io.BytesIO(to_xlsx(report, "fr")))
    sheet = book["report"]
    values = [[cell.value for cell in row] for row in sheet.iter_rows()]
    assert values[0] == ["caractéristique", "groupe", "commencé", "terminé", "réussi"]
    csv_rows = list(csv.reader(io.StringIO(to_csv(report, "fr").decode("utf-8"))))
    assert [[str(v) for v in row] for row in values[1:]] == csv_rows[1 : len(values)]
    about = {row[0].value: row[1].value for row in book["about"].iter_rows() if len(row) > 1}
    assert about["period"] == "2026-03-02..2026-03-02" and about["k"] == 5


def test_xlsx_formats_shares_as_percentages(loaded: SqlStore) -> None:
    report = run_report(loaded, "funnel", ReportFilter(), k=1)
    sheet = openpyxl.load_workbook(io.BytesIO(to_xlsx(report)))["report"]
    share = sheet.cell(row=2, column=6)
    assert share.value == 0.375 and share.number_format == "0.0%"


def test_json_marks_suppressed_cells(loaded: SqlStore) -> None:
    document = json.loads(to_json(table(loaded)))
    assert [c["key"] for c in document["columns"]] == ["dimension", "group", "started", "completed", "passed"]
    rows = {(r["dimension"], r["group"]): r for r in document["rows"]}
    assert rows[("sector", "justice")]["started"] == {"suppressed": True}
    assert rows[("all", "all")]["started"] == 8
    assert document["k"] == 5 and document["filters"]["start"] == "2026-03-02"
    assert document["summary"] == {"organisations": 1, "trainer_led_sessions": 0}
    assert set(document["explanation"]) == {"nl", "fr"}


def test_text_shows_title_percentages_and_the_marker(loaded: SqlStore) -> None:
    text = to_text(run_report(loaded, "funnel", ReportFilter(), k=1), "nl")
    assert "Trechter per module" in text and "37.5%" in text
    text = to_text(table(loaded))
    assert "<5" in text and "fewer than 5 learners" in text


def test_compare_keeps_suppression_in_differences(loaded: SqlStore) -> None:
    later = ReportFilter(start=DAY + dt.timedelta(days=1))
    report = compare(loaded, "indicators", ReportFilter(end=DAY), later, k=5)
    row = report.rows[0]
    assert row[:5] == ["all", "all", 8, 0, -8]
    document = json.loads(to_json(report))
    assert document["compared_with"]["start"] == "2026-03-03"


def test_cli_report_formats_and_errors(loaded: SqlStore, tmp_path: Path) -> None:
    runner = CliRunner()
    obj = {"store": loaded}
    listed = runner.invoke(main, ["report", "--list"], obj=obj)
    assert listed.exit_code == 0 and "knowledge-gain" in listed.output

    result = runner.invoke(
        main,
        ["report", "indicators", "--format", "csv", "--k", "1", "--from", "2026-03-02", "--sector", "police"],
        obj=obj,
    )
    assert result.exit_code == 0, result.output
    lines = list(csv.reader(io.StringIO(result.output)))
    assert lines[1] == ["all", "all", "6", "4", "0"]

    out = tmp_path / "r.xlsx"
    result = runner.invoke(main, ["report", "funnel", "--format", "xlsx", "--out", str(out)], obj=obj)
    assert result.exit_code == 0, result.output
    assert openpyxl.load_workbook(out)["report"].cell(row=2, column=1).value == M1

    result = runner.invoke(main, ["report", "indicators", "--format", "json", "--compare-from", "2027-01-01"], obj=obj)
    assert json.loads(result.output)["compared_with"]["start"] == "2027-01-01"

    unknown = runner.invoke(main, ["report", "nope"], obj=obj)
    assert unknown.exit_code == 2 and "known: indicators" in unknown.output
    backwards = runner.invoke(main, ["report", "funnel", "--from", "2027-01-01", "--to", "2026-01-01"], obj=obj)
    assert backwards.exit_code == 2 and "ends (2026-01-01) before it starts" in backwards.output

    rebuilt = runner.invoke(main, ["reports", "rebuild"], obj=obj)
    assert rebuilt.exit_code == 0 and "8 learners" in rebuilt.output


@pytest.mark.parametrize(
    ("df", "tabled"),
    [(1, 12.706), (2, 4.303), (3, 3.182), (4, 2.776), (5, 2.571), (9, 2.262), (29, 2.045), (120, 1.980)],
)
def test_t_quantile_matches_the_table(df: int, tabled: float) -> None:
    assert t_quantile(0.975, df) == pytest.approx(tabled, abs=5e-4)


def test_mean_ci_from_sums() -> None:
    values = [0.5, 1.0, 0.0, 0.5, 0.5]
    ci = mean_ci(len(values), sum(values), sum(v * v for v in values))
    assert ci.mean == 0.5
    assert ci.low == pytest.approx(0.5 - 2.776 * 0.353553 / 5**0.5, abs=1e-3)
    assert mean_ci(1, 3.0, 9.0).low is None


def test_protect_sum_hides_a_second_cell() -> None:
    cells: list[Cell] = [10, SUPPRESSED, 0, 7]
    assert protect_sum(cells, [10, 2, 0, 7], 19) == 19
    assert cells == [10, SUPPRESSED, 0, SUPPRESSED]
    lonely: list[Cell] = [SUPPRESSED, 0]
    assert protect_sum(lonely, [3, 0], 3) is SUPPRESSED
