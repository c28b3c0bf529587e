"""One chart per report table, drawn by matplotlib: SVG for the pages, PNG for the PDF.

Why server-side matplotlib: the chart works without JavaScript, fits the
dashboard's CSP (an image from our own origin), and the PDF gets the same
figure. The chart is derived from the report's table, so it can never show
other numbers than the table under it: the rows' key columns name the bars
(IRIs shortened to their last path segments), and the numeric columns of
one kind are the series, so one axis never mixes units: shares if the
report has any (they are what its explanation is about: mastery, gain,
drop-off, watched), else other figures (means), else learner counts. A
confidence interval (``ci_low``/``ci_high``) is drawn as error bars on the
figure before it, not as bars of its own. A cycle comparison draws each
figure's two periods side by side; the differences are in the table.
Suppressed cells have no bar, and their bar's label carries the marker.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Final

if TYPE_CHECKING:
    from matplotlib.figure import Figure

#: Most bars drawn; the table under the chart holds every row.
MAX_ROWS: Final = 40
#: Column kinds drawn as bars, in order of preference (key columns name the bars; text is left to the table).
SERIES_KINDS: Final = ("share", "number", "count")
#: Keys of the columns holding a confidence interval (drawn as error bars, not as series).
INTERVAL: Final = ("ci_low", "ci_high")
#: Longest bar label.
MAX_LABEL: Final = 36
#: Most series per chart (a colour-blind-safe palette of this many colours, Okabe-Ito).
PALETTE: Final = ("#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00")


@dataclass(frozen=True)
class ChartData:
    """What one chart shows: a bar per category, a series per numeric column, their kind (axis)."""

    categories: list[str]
    series: list[tuple[str, list[float | None]]]
    #: the series' column kind: ``share`` draws a percent axis, ``count`` whole numbers
    kind: str = "number"
    #: rows of the table (more than the categories when the chart shows the first :data:`MAX_ROWS`)
    total_rows: int = 0
    #: the series that carries a confidence interval (index into ``series``), and its lower and upper bounds
    error_on: int | None = None
    bounds: tuple[list[float | None], list[float | None]] | None = None


def is_number(cell: Any) -> bool:
    """A cell the chart can draw (a suppressed or empty cell is not)."""
    return isinstance(cell, (int, float)) and not isinstance(cell, bool)


def short_label(value: Any) -> str:
    """A key cell as a bar label: an IRI by its last path segments, anything at most :data:`MAX_LABEL` long."""
    text = "" if value is None else str(value)
    if "://" in text:
        parts = [p for p in text.split("://", 1)[1].split("/")[1:] if p]
        if parts:
            text = "/".join(parts[-2:]) if len(parts[-1]) <= 3 and len(parts) > 1 else parts[-1]
    return text if len(text) <= MAX_LABEL else text[: MAX_LABEL - 1] + "…"


def chart_data(table: Any, lang: str) -> ChartData:
    """Categories and series of a report table (see the module docstring for the choice).

    The key columns name the bars. A category with a suppressed figure among
    the series is labelled with the table's suppression marker, so a missing
    bar is never read as zero.
    """
    columns: Sequence[Any] = table.columns
    rows: Sequence[Sequence[Any]] = table.rows[:MAX_ROWS]
    keys = [c.key for c in columns]
    interval = [keys.index(k) for k in INTERVAL if k in keys]
    kinds = {c.kind for i, c in enumerate(columns) if i not in interval}
    kind = next((k for k in SERIES_KINDS if k in kinds), "number")
    plotted = [i for i, c in enumerate(columns) if c.kind == kind and i not in interval][: len(PALETTE)]
    if getattr(table, "compared_with", None) is not None:
        # two periods: each figure's A and B side by side (the differences are in the table)
        plotted = [
            i
            for i, c in enumerate(columns)
            if c.kind == kind and c.key.endswith(("_a", "_b")) and not c.key.startswith(INTERVAL)
        ][:4]
    labels = [i for i, c in enumerate(columns) if c.kind == "key"]

    def values(i: int) -> list[float | None]:
        return [float(r[i]) if is_number(r[i]) else None for r in rows]

    series = [(_label(columns[i], lang), values(i)) for i in plotted]
    # a confidence interval is drawn on the figure it belongs to: the last series before its columns
    bounds: tuple[list[float | None], list[float | None]] | None = None
    error_on = None
    if len(interval) == 2 and columns[interval[0]].kind == kind:
        before = [n for n, i in enumerate(plotted) if i < interval[0]]
        if before:
            error_on, bounds = before[-1], (values(interval[0]), values(interval[1]))
    categories = []
    for n, r in enumerate(rows):
        name = " · ".join(short_label(r[i]) for i in labels) or str(n + 1)
        if any(r[i] is not None and not is_number(r[i]) for i in plotted):
            name += f" ({table.suppressed_marker})"
        categories.append(name)
    return ChartData(
        categories=categories,
        series=series,
        kind=kind,
        total_rows=len(table.rows),
        error_on=error_on,
        bounds=bounds,
    )


def _label(column: Any, lang: str) -> str:
    labels: dict[str, str] = column.labels
    return labels.get(lang) or labels.get("en") or str(column.key)


def _figure(data: ChartData, title: str, no_data: str) -> Figure:
    """Horizontal grouped bars, categories top to bottom in table order.

    matplotlib is imported here, on the first chart, not with the app: it
    would add some 100 MB to every worker, most of which never draws one.
    """
    import matplotlib

    matplotlib.use("Agg")  # no display: render to files only (before pyplot could ever be imported)
    from matplotlib.figure import Figure
    from matplotlib.ticker import MaxNLocator, PercentFormatter

    height = max(2.5, 0.35 * max(1, len(data.categories)) * max(1, len(data.series)) ** 0.5 + 1.5)
    fig = Figure(figsize=(8, min(height, 16)), layout="constrained")
    ax = fig.add_subplot()
    shown = len(data.categories)
    if data.total_rows > shown:  # the first rows only: say so, language-neutrally
        title = f"{title} (1–{shown} / {data.total_rows})"
    ax.set_title(title, loc="left", fontsize=11, wrap=True)
    if not data.categories or not data.series:
        ax.text(0.5, 0.5, no_data, ha="center", va="center", transform=ax.transAxes)
        ax.set_axis_off()
        return fig
    count = len(data.series)
    width = 0.8 / count
    positions = range(len(data.categories))
    for n, (name, values) in enumerate(data.series):
        offsets = [p - 0.4 + width * (n + 0.5) for p in positions]
        drawn = [(o, v) for o, v in zip(offsets, values, strict=True) if v is not None]
        ax.barh([o for o, _ in drawn], [v for _, v in drawn], height=width, label=name, color=PALETTE[n])
        if n == data.error_on and data.bounds is not None:
            low, high = data.bounds
            whiskers = [
                (o, v, lo, hi)
                for o, v, lo, hi in zip(offsets, values, low, high, strict=True)
                if v is not None and lo is not None and hi is not None
            ]
            ax.errorbar(
                [v for _, v, _, _ in whiskers],
                [o for o, _, _, _ in whiskers],
                xerr=[[v - lo for _, v, lo, _ in whiskers], [hi - v for _, v, _, hi in whiskers]],
                fmt="none",
                ecolor="#1b1b1b",
                capsize=3,
                linewidth=1,
            )
    ax.set_yticks(list(positions), labels=data.categories, fontsize=8)
    if data.kind == "share":
        ax.xaxis.set_major_formatter(PercentFormatter(xmax=1.0))
    elif data.kind == "count":
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.invert_yaxis()
    ax.grid(axis="x", color="#dddddd")
    ax.set_axisbelow(True)
    ax.spines[["top", "right"]].set_visible(False)
    if count > 1:
        fig.legend(fontsize=8, loc="outside lower center", ncols=min(count, 3), frameon=False)
    return fig


def render_svg(data: ChartData, title: str, no_data: str) -> bytes:
    """The chart as a standalone SVG document (deterministic ids, so equal data gives equal bytes)."""
    import matplotlib

    out = io.BytesIO()
    with matplotlib.rc_context({"svg.hashsalt": "gsog", "svg.fonttype": "path"}):
        _figure(data, title, no_data).savefig(out, format="svg", metadata={"Title": title, "Date": None})
    return out.getvalue()


def render_png(data: ChartData, title: str, no_data: str, dpi: int = 150) -> bytes:
    """The same chart as PNG (for the PDF)."""
    out = io.BytesIO()
    _figure(data, title, no_data).savefig(out, format="png", dpi=dpi, metadata={"Software": None})
    return out.getvalue()
