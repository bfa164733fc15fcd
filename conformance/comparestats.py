"""Statistics of a provider comparison over many voices and texts (``compare``'s protocol).

Each output of an endpoint for one reference voice and one text is a *cell*; its measurements are the
metrics of :data:`conformance.compare.METRICS`. Over the cells of each endpoint:

- :func:`interval`: the mean with a bootstrap confidence interval (``scipy.stats.bootstrap``,
  percentile method, cells resampled);
- :func:`pairwise`: two endpoints on the same cells, paired: the mean difference with its bootstrap
  interval, the Wilcoxon signed-rank test (``scipy.stats.wilcoxon``) and the probability that the
  first is better (the share of bootstrap resamples whose mean difference favours it);
- :func:`ranking`: best first; an endpoint whose interval overlaps the interval of its group's best
  is *tied* with it;
- :func:`breakdown`: the mean per voice or per text, to see where an endpoint fails;
- :func:`changes`: against a previous run's measurements (``compare --baseline``): which metrics
  moved significantly (paired Wilcoxon on the cells both runs measured, else Mann-Whitney U).

Everything here is deterministic for a given ``seed``.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

CONFIDENCE = 0.95
RESAMPLES = 2000
ALPHA = 0.05
# the fewest pairs whose two-sided Wilcoxon signed-rank test can reach ALPHA at all (exact p ≥ 2 / 2**n)
MIN_PAIRS = 6


@dataclass(frozen=True)
class Cell:
    """One output's measurements: ``endpoint`` for ``voice`` saying ``text`` (its id)."""

    endpoint: str
    voice: str
    text: str
    metrics: Mapping[str, float]

    @property
    def key(self) -> tuple[str, str]:
        return (self.voice, self.text)


@dataclass(frozen=True)
class Interval:
    mean: float
    low: float
    high: float
    n: int

    def overlaps(self, other: Interval) -> bool:
        return self.low <= other.high and other.low <= self.high

    def as_dict(self) -> dict[str, float | int]:
        return {"mean": self.mean, "low": self.low, "high": self.high, "n": self.n}


@dataclass(frozen=True)
class Pair:
    """``a`` against ``b`` on the cells both have, oriented so that a positive difference favours ``a``."""

    metric: str
    a: str
    b: str
    n: int
    difference: Interval  # a's advantage: mean of (a − b), sign-flipped when lower is better
    p_value: float  # Wilcoxon signed-rank, two-sided
    p_a_better: float  # share of bootstrap resamples in which a's mean is better
    shift: float = 0.0  # the median advantage of a: the direction the signed-rank test speaks for

    @property
    def verdict(self) -> str:
        if self.n < MIN_PAIRS:
            return f"too few cells to tell ({self.n} < {MIN_PAIRS})"
        lead = self.shift or self.difference.mean
        if not self.p_value < ALPHA or lead == 0:
            return "no significant difference"
        return f"{self.a} better" if lead > 0 else f"{self.b} better"


@dataclass(frozen=True)
class Change:
    """How one endpoint's metric moved since a baseline run."""

    endpoint: str
    metric: str
    before: float
    after: float
    n_before: int
    n_after: int
    paired: bool
    p_value: float
    higher_is_better: bool
    shift: float = 0.0  # paired: the median change per cell; else the change of the median

    @property
    def delta(self) -> float:
        return self.after - self.before

    @property
    def verdict(self) -> str:
        moved = self.shift or self.delta
        if not self.p_value < ALPHA or moved == 0:
            return "unchanged"
        return "better" if (moved > 0) == self.higher_is_better else "worse"


@dataclass
class Ranked:
    place: int
    endpoint: str
    interval: Interval
    tied_with: list[str] = field(default_factory=list)  # the endpoints sharing its place


def _finite(values: Iterable[Any]) -> list[float]:
    return [float(v) for v in values if isinstance(v, int | float) and not isinstance(v, bool) and math.isfinite(v)]


def _bootstrap(data: Sequence[float], seed: int, confidence: float, resamples: int) -> Any:
    import numpy as np
    from scipy import stats

    with warnings.catch_warnings():  # degenerate samples (all equal) are handled by the callers
        warnings.simplefilter("ignore")
        return stats.bootstrap((np.asarray(data, dtype=float),), np.mean, confidence_level=confidence,
                               n_resamples=resamples, method="percentile", random_state=np.random.default_rng(seed))


def interval(values: Iterable[Any], *, confidence: float = CONFIDENCE, resamples: int = RESAMPLES,
             seed: int = 0) -> Interval | None:
    """The mean of ``values`` with its bootstrap interval (``None`` without values; one value or equal
    values: an interval of width 0)."""
    data = _finite(values)
    if not data:
        return None
    mean = sum(data) / len(data)
    if len(data) < 2 or max(data) == min(data):
        return Interval(mean, mean, mean, len(data))
    ci = _bootstrap(data, seed, confidence, resamples).confidence_interval
    return Interval(mean, float(ci.low), float(ci.high), len(data))


def by_endpoint(cells: Iterable[Cell]) -> dict[str, list[Cell]]:
    out: dict[str, list[Cell]] = {}
    for c in cells:
        out.setdefault(c.endpoint, []).append(c)
    return out


def summary(cells: Iterable[Cell], metrics: Sequence[str], *, seed: int = 0) -> dict[str, dict[str, Interval]]:
    """Per endpoint and metric, the mean over its cells with its interval."""
    out: dict[str, dict[str, Interval]] = {}
    for endpoint, mine in by_endpoint(cells).items():
        row = {}
        for m in metrics:
            iv = interval((c.metrics.get(m) for c in mine), seed=seed)
            if iv is not None:
                row[m] = iv
        out[endpoint] = row
    return out


def pairwise(cells: Iterable[Cell], metric: str, *, higher_is_better: bool = True, seed: int = 0) -> list[Pair]:
    """Every pair of endpoints compared on the cells (voice, text) both measured."""
    import numpy as np
    from scipy import stats

    groups = {ep: {c.key: c.metrics.get(metric) for c in mine if c.metrics.get(metric) is not None}
              for ep, mine in by_endpoint(cells).items()}
    names = sorted(groups)
    sign = 1.0 if higher_is_better else -1.0
    out = []
    for i, a in enumerate(names):
        for b in names[i + 1:]:
            keys = sorted(set(groups[a]) & set(groups[b]))
            d = [sign * (float(groups[a][k]) - float(groups[b][k])) for k in keys]
            if not d:
                continue
            diff = interval(d, seed=seed)
            assert diff is not None
            if len(d) < 2 or all(x == 0 for x in d):
                p, better = 1.0, (1.0 if diff.mean > 0 else 0.0 if diff.mean < 0 else 0.5)
            else:
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    p = float(stats.wilcoxon(d, zero_method="wilcox", alternative="two-sided").pvalue)
                if max(d) == min(d):
                    better = 1.0 if d[0] > 0 else 0.0
                else:
                    dist = np.asarray(_bootstrap(d, seed, CONFIDENCE, RESAMPLES).bootstrap_distribution)
                    better = float(np.mean(dist > 0) + 0.5 * np.mean(dist == 0))
            out.append(Pair(metric, a, b, len(d), diff, p, better, float(np.median(d))))
    return out


def ranking(intervals: Mapping[str, Interval], *, higher_is_better: bool = True) -> list[Ranked]:
    """Endpoints best first by mean; one whose interval overlaps its group's best shares that place."""
    order = sorted(intervals, key=lambda ep: (-intervals[ep].mean if higher_is_better else intervals[ep].mean, ep))
    out: list[Ranked] = []
    leader: Ranked | None = None
    for pos, ep in enumerate(order, 1):
        iv = intervals[ep]
        if leader is not None and iv.overlaps(leader.interval):
            r = Ranked(leader.place, ep, iv)
        else:
            r = Ranked(pos, ep, iv)
            leader = r
        out.append(r)
    for r in out:
        r.tied_with = [o.endpoint for o in out if o.place == r.place and o.endpoint != r.endpoint]
    return out


def breakdown(cells: Iterable[Cell], metric: str, by: str = "voice") -> dict[str, dict[str, float]]:
    """Per endpoint, the mean of ``metric`` per voice (``by="voice"``) or per text (``by="text"``)."""
    if by not in ("voice", "text"):
        raise ValueError(f"by must be voice or text, not {by!r}")
    sums: dict[str, dict[str, list[float]]] = {}
    for c in cells:
        v = c.metrics.get(metric)
        if not isinstance(v, int | float) or not math.isfinite(v):
            continue
        sums.setdefault(c.endpoint, {}).setdefault(c.voice if by == "voice" else c.text, []).append(float(v))
    return {ep: {k: sum(vs) / len(vs) for k, vs in row.items()} for ep, row in sums.items()}


def changes(current: Iterable[Cell], baseline: Iterable[Cell], metrics: Mapping[str, bool]) -> list[Change]:
    """Each endpoint's metrics now against ``baseline`` (``metrics``: name -> higher is better). When both
    runs measured at least :data:`MIN_PAIRS` of the same cells, those are compared paired (Wilcoxon
    signed-rank; before and after are their means, the direction their median change); otherwise the two
    samples are compared as they are (Mann-Whitney U; the direction the change of the median)."""
    import statistics

    from scipy import stats

    now, before = by_endpoint(current), by_endpoint(baseline)
    out = []
    for ep in sorted(set(now) & set(before)):
        for m, higher in metrics.items():
            a = {c.key: float(c.metrics[m]) for c in before[ep] if c.metrics.get(m) is not None}
            b = {c.key: float(c.metrics[m]) for c in now[ep] if c.metrics.get(m) is not None}
            if not a or not b:
                continue
            common = sorted(set(a) & set(b))
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                if len(common) >= MIN_PAIRS:
                    d = [b[k] - a[k] for k in common]
                    p = 1.0 if all(x == 0 for x in d) else float(stats.wilcoxon(d).pvalue)
                    xs, ys = [a[k] for k in common], [b[k] for k in common]
                    shift, paired = statistics.median(d), True
                else:
                    xs, ys = list(a.values()), list(b.values())
                    same = len(set(xs) | set(ys)) == 1
                    p = 1.0 if same else float(stats.mannwhitneyu(xs, ys, alternative="two-sided").pvalue)
                    shift, paired = statistics.median(ys) - statistics.median(xs), False
            if math.isnan(p):
                p = 1.0
            out.append(Change(ep, m, sum(xs) / len(xs), sum(ys) / len(ys), len(xs), len(ys), paired, p, higher,
                              float(shift)))
    return out
