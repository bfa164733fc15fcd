"""``--shard I/N``: stable, disjoint shards whose union is the whole run; their reports merge into one."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner
from hypothesis import given
from hypothesis import strategies as st

from conformance.cli import main
from conformance.report.records import read_lines
from conformance.target import parse_shard, shard_of
from tests.inprocess import PLAIN_ASSERT, run_suite

pytest_plugins = ["pytester"]


def test_parse_shard() -> None:
    assert parse_shard("2/3") == (2, 3) and parse_shard(" 1 / 1 ") == (1, 1)
    assert parse_shard(None) is None and parse_shard("") is None
    for bad, problem in (("0/3", "between 1 and N"), ("4/3", "between 1 and N"), ("1/0", "between 1 and N"),
                         ("2", "use I/N"), ("a/b", "use I/N"), ("-1/2", "use I/N")):
        with pytest.raises(ValueError, match=problem):
            parse_shard(bad)


@given(st.lists(st.text(min_size=1, max_size=30), unique=True, max_size=60), st.integers(1, 7))
def test_shards_are_disjoint_cover_everything_and_are_balanced(ids: list[str], n: int) -> None:
    shards = [shard_of(ids, i, n) for i in range(1, n + 1)]
    flat = [x for s in shards for x in s]
    assert sorted(flat) == sorted(ids) and len(flat) == len(set(flat))
    assert max(map(len, shards)) - min(map(len, shards)) <= 1
    # the split does not depend on the order tests were collected in
    assert [shard_of(list(reversed(ids)), i, n) for i in range(1, n + 1)] == shards


def _collected(pytester: pytest.Pytester, *args: str) -> list[str]:
    """The suite's test ids as ``--collect-only`` lists them, collected in this process (tests/inprocess.py)."""
    result = run_suite(pytester, "--pyargs", "conformance.suite", "--collect-only", "-q", "-p", "no:cacheprovider",
                       "--conformance-report=", *args)
    assert result.ret == 0, "\n".join(result.outlines[-20:])
    return [line for line in result.outlines if "::" in line]


def test_the_suites_shards_partition_its_tests(pytester: pytest.Pytester) -> None:
    full = _collected(pytester, "--conformance-providers=novita,faseeh")
    shards = [_collected(pytester, "--conformance-providers=novita,faseeh", f"--shard={i}/2") for i in (1, 2)]
    assert len(full) > 30
    assert sorted(x for s in shards for x in s) == sorted(full)
    assert all(s and not set(s) & set(t) for s in shards for t in shards if s is not t)


TESTS = "\n".join(f"def test_{i}(conformance_record):\n    conformance_record(measured={{'n': {i}}})\n"
                  for i in range(12)) + "\ndef test_fails():\n    assert 1 == 2, 'a failure travels too'\n"


def test_shards_run_under_xdist_and_merge_into_one_report(pytester: pytest.Pytester, tmp_path: Path) -> None:
    pytester.makepyfile(test_many=TESTS)
    outcomes = []
    for i in (1, 2):
        result = pytester.runpytest_subprocess("-p", "no:cacheprovider", PLAIN_ASSERT, "-n", "2", f"--shard={i}/2",
                                               f"--conformance-report=shard{i}/conformance.html")
        outcomes.append(result.parseoutcomes())
        result.stdout.fnmatch_lines([f"*voice-conformance shard {i} of 2*"])
    assert sum(o.get("passed", 0) for o in outcomes) == 12 and sum(o.get("failed", 0) for o in outcomes) == 1
    out = tmp_path / "merged" / "conformance.html"
    merged = CliRunner().invoke(main, ["report", "merge", str(pytester.path / "shard1/conformance.jsonl"),
                                       str(pytester.path / "shard2/conformance.jsonl"), "-o", str(out)])
    assert merged.exit_code == 0, merged.output
    lines = read_lines([out.with_suffix(".jsonl")])
    results = [x for x in lines if x["kind"] == "result"]
    assert sorted(x["nodeid"].split("::")[1] for x in results) == sorted([f"test_{i}" for i in range(12)] +
                                                                         ["test_fails"])
    assert {x["outcome"] for x in results if x["nodeid"].endswith("test_fails")} == {"fail"}
    assert sum(1 for x in lines if x["kind"] == "run") == 2  # one run description per shard
    html = out.read_text()
    # a user's tests are one column per module, and the failure is shown with its message
    assert "test_many" in html and "test_many::test_fails" in html and "a failure travels too" in html
