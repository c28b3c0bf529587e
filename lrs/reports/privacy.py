"""Small-group suppression: no report cell shows a group of fewer than ``k`` learners.

The rules, applied by every report:

* **Primary:** a count of learners from 1 to ``k - 1`` is suppressed
  (0 is shown: it describes nobody). A figure computed over a group (a
  share, a mean, a correlation) is suppressed when the group it is computed
  over has fewer than ``k`` learners, and a share also when its numerator is
  a suppressed count (the share and the shown denominator would give the
  count back).
* **Secondary (no recovery by subtraction):** where a row or a column of
  counts sums to a total shown next to it (indicators per dimension against
  the "all" row; the answer distribution of a question against its number of
  learners; an item's right answers and distractor counts against its
  learners, the p-value included), a single suppressed cell could be computed as total minus the
  others. If exactly one cell of such a group is suppressed, the smallest
  other non-zero cell is suppressed too (if there is none, the total is).
  Differences that are not sums (e.g. started minus completed) are not
  protected; they are shown as the reports define them.
"""

from __future__ import annotations

from collections.abc import Sequence

from lrs.reports.model import SUPPRESSED, Cell, Suppressed


def count(n: int, k: int) -> Cell:
    """A learner count, or suppressed when 1 <= n < k."""
    return SUPPRESSED if 0 < n < k else n


def share(numerator: int, denominator: int, k: int) -> Cell:
    """``numerator / denominator``; suppressed for a group under ``k`` or a suppressed numerator."""
    if denominator < k or count(numerator, k) is SUPPRESSED:
        return SUPPRESSED
    return numerator / denominator if denominator else None


def over(group: int, value: float | None, k: int) -> Cell:
    """A figure computed over ``group`` learners: suppressed when the group is under ``k``."""
    if group < k:
        return SUPPRESSED if group > 0 else None
    return value


def protect_sum(cells: list[Cell], values: Sequence[int], total: Cell | None = None) -> Cell | None:
    """Secondary suppression of counts that add up to a shown total (in place); returns the total to show.

    ``cells`` are the shown cells, ``values`` the true counts in the same
    order. When exactly one cell is suppressed, the smallest other non-zero
    shown cell is suppressed too; with none left, the total is.
    """
    hidden = [i for i, c in enumerate(cells) if isinstance(c, Suppressed)]
    if len(hidden) != 1:
        return total
    candidates = [i for i, c in enumerate(cells) if not isinstance(c, Suppressed) and values[i] > 0]
    if not candidates:
        return SUPPRESSED if total is not None else None
    cells[min(candidates, key=lambda i: (values[i], i))] = SUPPRESSED
    return total
