"""The little statistics the reports need: a mean with its 95% confidence interval, a correlation.

The interval uses Student's t distribution; its quantile comes from SciPy,
exact for every number of degrees of freedom (filtered groups can be small,
where approximations drift).
"""

from __future__ import annotations

import math
from dataclasses import dataclass


def t_quantile(p: float, df: int) -> float:
    """The ``p`` quantile of Student's t with ``df`` degrees of freedom (``0.5 < p < 1``)."""
    if df < 1:
        raise ValueError("t needs at least one degree of freedom")
    from scipy.stats import t as student_t  # type: ignore[import-untyped]  # loaded when first needed: it is large

    return float(student_t.ppf(p, df))


@dataclass(frozen=True)
class MeanCI:
    """A mean with its two-sided 95% confidence interval (None bounds when n < 2)."""

    n: int
    mean: float | None
    low: float | None
    high: float | None


def mean_ci(n: int, total: float, total_sq: float) -> MeanCI:
    """Mean and 95% t interval from the count, sum and sum of squares (what SQL aggregates give)."""
    if n == 0:
        return MeanCI(0, None, None, None)
    mean = total / n
    if n < 2:
        return MeanCI(n, mean, None, None)
    variance = max(0.0, (total_sq - n * mean * mean) / (n - 1))
    half = t_quantile(0.975, n - 1) * math.sqrt(variance / n)
    return MeanCI(n, mean, mean - half, mean + half)


def correlation(n: int, sx: float, sy: float, sxy: float, sxx: float, syy: float) -> float | None:
    """Pearson's r from sums (None when either variable does not vary)."""
    vx = n * sxx - sx * sx
    vy = n * syy - sy * sy
    if n < 2 or vx <= 0 or vy <= 0:
        return None
    return (n * sxy - sx * sy) / math.sqrt(vx * vy)
