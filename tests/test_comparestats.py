"""The comparison's statistics (conformance/comparestats.py): intervals, paired verdicts, ties, breakdowns
and changes against a baseline, on data whose answer is known."""

from __future__ import annotations

import random

import pytest

from conformance import comparestats as cs
from conformance.comparestats import Cell, Interval

VOICES = [f"v{i}" for i in range(4)]
TEXTS = [f"t{i}" for i in range(4)]


def cells(endpoint: str, base: float, spread: float = 0.02, seed: int = 1, metric: str = "m") -> list[Cell]:
    rng = random.Random(seed)
    return [Cell(endpoint, v, t, {metric: base + rng.uniform(-spread, spread)}) for v in VOICES for t in TEXTS]


def test_interval_holds_the_mean_and_is_reproducible() -> None:
    data = [0.1 * i for i in range(20)]
    iv = cs.interval(data, seed=3)
    assert iv is not None and iv.n == 20 and iv.mean == pytest.approx(0.95)
    assert iv.low < iv.mean < iv.high and iv.high - iv.low < 0.6
    assert cs.interval(data, seed=3) == iv
    assert cs.interval([]) is None and cs.interval([None, float("nan")]) is None
    assert cs.interval([0.5]) == Interval(0.5, 0.5, 0.5, 1)
    assert cs.interval([0.5, 0.5, 0.5]) == Interval(0.5, 0.5, 0.5, 3)


def test_a_consistently_better_endpoint_wins_the_paired_comparison() -> None:
    data = cells("a.x", 0.80, seed=1) + cells("b.y", 0.70, seed=2)
    (pair,) = cs.pairwise(data, "m")
    assert (pair.a, pair.b, pair.n) == ("a.x", "b.y", 16)
    assert pair.difference.mean == pytest.approx(0.10, abs=0.02) and pair.difference.low > 0
    assert pair.p_value < 0.001 and pair.p_a_better == 1.0 and pair.verdict == "a.x better"
    (lower,) = cs.pairwise(data, "m", higher_is_better=False)  # e.g. latency: the larger one is worse
    assert lower.difference.mean < 0 and lower.p_a_better == 0.0 and lower.verdict == "b.y better"


def test_equal_endpoints_are_not_declared_different() -> None:
    same = cs.pairwise(cells("a.x", 0.8, seed=1) + cells("b.y", 0.8, seed=9), "m")[0]
    assert same.p_value > cs.ALPHA and same.verdict == "no significant difference"
    assert 0.05 < same.p_a_better < 0.95
    one = cs.pairwise([Cell("a.x", "v", "t", {"m": 1.0}), Cell("b.y", "v", "t", {"m": 0.0})], "m")[0]
    assert one.n == 1 and one.verdict == "too few cells to tell (1 < 6)"  # one cell proves nothing


def test_five_pairs_cannot_be_significant_and_six_can() -> None:
    def pairs(n: int) -> cs.Pair:
        data = [Cell("a.x", f"v{i}", "t", {"m": 0.9 + 0.001 * i}) for i in range(n)]
        data += [Cell("b.y", f"v{i}", "t", {"m": 0.1}) for i in range(n)]
        return cs.pairwise(data, "m")[0]

    assert pairs(5).p_value > cs.ALPHA and pairs(5).verdict.startswith("too few cells")
    assert pairs(6).p_value < cs.ALPHA and pairs(6).verdict == "a.x better"


def test_pairs_use_only_the_cells_both_measured() -> None:
    a = cells("a.x", 0.8)
    b = [c for c in cells("b.y", 0.7) if c.voice != "v0"]
    (pair,) = cs.pairwise(a + b, "m")
    assert pair.n == 12


def test_overlapping_intervals_share_a_place_and_separate_ones_do_not() -> None:
    ivs = {"a": Interval(0.80, 0.75, 0.85, 9), "b": Interval(0.78, 0.70, 0.86, 9), "c": Interval(0.50, 0.45, 0.55, 9)}
    ranked = cs.ranking(ivs)
    assert [(r.place, r.endpoint) for r in ranked] == [(1, "a"), (1, "b"), (3, "c")]
    assert ranked[0].tied_with == ["b"] and ranked[2].tied_with == []
    low = cs.ranking(ivs, higher_is_better=False)
    assert [(r.place, r.endpoint) for r in low] == [(1, "c"), (2, "b"), (2, "a")]
    # just touching counts as overlapping; a hair apart does not
    assert cs.ranking({"a": Interval(1, 0.9, 1.1, 3), "b": Interval(0.8, 0.7, 0.9, 3)})[1].place == 1
    assert cs.ranking({"a": Interval(1, 0.9, 1.1, 3), "b": Interval(0.8, 0.7, 0.8999, 3)})[1].place == 2


def test_breakdown_shows_where_an_endpoint_fails() -> None:
    data = cells("a.x", 0.8, spread=0.0) + [Cell("b.y", v, t, {"m": 0.2 if v == "v2" else 0.8})
                                            for v in VOICES for t in TEXTS]
    per_voice = cs.breakdown(data, "m", by="voice")
    assert per_voice["b.y"]["v2"] == pytest.approx(0.2) and per_voice["b.y"]["v1"] == pytest.approx(0.8)
    assert per_voice["a.x"]["v2"] == pytest.approx(0.8)
    assert set(cs.breakdown(data, "m", by="text")["b.y"]) == set(TEXTS)
    with pytest.raises(ValueError, match="voice or text"):
        cs.breakdown(data, "m", by="speaker")


def test_changes_flag_a_significant_regression_and_leave_noise_alone() -> None:
    before = cells("a.x", 0.80, seed=1) + cells("b.y", 0.80, seed=2)
    after = cells("a.x", 0.60, seed=3) + cells("b.y", 0.80, seed=4)
    by = {(c.endpoint, c.metric): c for c in cs.changes(after, before, {"m": True})}
    assert by[("a.x", "m")].paired and by[("a.x", "m")].verdict == "worse" and by[("a.x", "m")].delta < -0.15
    assert by[("b.y", "m")].verdict == "unchanged"
    lat = cs.changes(cells("a.x", 2.0, seed=5, metric="latency"), cells("a.x", 3.0, seed=6, metric="latency"),
                     {"latency": False})[0]
    assert lat.verdict == "better"  # faster


def test_changes_without_common_cells_compare_the_samples_unpaired() -> None:
    before = [Cell("a.x", f"old{i}", "t", {"m": 0.8 + 0.001 * i}) for i in range(10)]
    after = [Cell("a.x", f"new{i}", "t", {"m": 0.5 + 0.001 * i}) for i in range(10)]
    (ch,) = cs.changes(after, before, {"m": True})
    assert not ch.paired and ch.verdict == "worse" and (ch.n_before, ch.n_after) == (10, 10)
    (same,) = cs.changes(before, before, {"m": True})
    assert same.verdict == "unchanged" and same.p_value == 1.0


def test_the_direction_is_the_one_the_rank_test_speaks_for_not_an_outliers() -> None:
    # fifteen cells where a is ahead by 1, one where it is behind by 100: the mean says b, the ranks say a
    a = [Cell("a.x", f"v{i}", "t", {"m": 10.0 + (1 if i < 15 else -100)}) for i in range(16)]
    b = [Cell("b.y", f"v{i}", "t", {"m": 10.0}) for i in range(16)]
    (pair,) = cs.pairwise(a + b, "m")
    assert pair.difference.mean < 0 and pair.shift == 1.0 and pair.p_value < cs.ALPHA
    assert pair.verdict == "a.x better"
    (ch,) = cs.changes([Cell("a.x", c.voice, c.text, c.metrics) for c in a], [Cell("a.x", c.voice, c.text, c.metrics)
                                                                                for c in b], {"m": True})
    assert ch.delta < 0 and ch.shift == 1.0 and ch.verdict == "better"


def test_a_paired_change_is_measured_on_the_cells_both_runs_have() -> None:
    # the baseline also measured three voices this run left out, at another level: they must not count
    before = [Cell("a.x", f"v{i}", "t", {"m": 0.9}) for i in range(6)] + \
             [Cell("a.x", f"w{i}", "t", {"m": 0.1}) for i in range(3)]
    after = [Cell("a.x", f"v{i}", "t", {"m": 0.8 - 0.001 * i}) for i in range(6)]
    (ch,) = cs.changes(after, before, {"m": True})
    assert ch.paired and (ch.n_before, ch.n_after) == (6, 6) and ch.before == pytest.approx(0.9)
    assert ch.verdict == "worse" and ch.delta < 0


def test_five_common_cells_are_compared_unpaired_since_a_paired_test_could_not_decide() -> None:
    before = [Cell("a.x", f"v{i}", "t", {"m": 0.9 + 0.001 * i}) for i in range(5)]
    after = [Cell("a.x", f"v{i}", "t", {"m": 0.5 + 0.001 * i}) for i in range(5)]
    (ch,) = cs.changes(after, before, {"m": True})
    assert not ch.paired and ch.verdict == "worse"


def test_values_that_are_not_finite_numbers_are_left_out() -> None:
    data = [Cell("a.x", "v1", "t", {"m": float("nan")}), Cell("a.x", "v2", "t", {"m": 0.5}),
            Cell("a.x", "v3", "t", {"m": float("inf")})]
    assert cs.breakdown(data, "m") == {"a.x": {"v2": 0.5}}
    assert cs.interval([float("nan"), 1.0, True]) == Interval(1.0, 1.0, 1.0, 1)
