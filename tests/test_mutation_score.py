"""The mutation-score script (benchmarks/mutation_score.py): how it reads mutmut's results, scores a
module against the target, keeps the list of equivalent mutants true, and exits."""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture
def bench(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    spec = importlib.util.spec_from_file_location("mutation_score", ROOT / "benchmarks" / "mutation_score.py")
    mod = importlib.util.module_from_spec(spec)
    monkeypatch.setitem(sys.modules, "mutation_score", mod)  # its dataclasses look themselves up there
    spec.loader.exec_module(mod)
    (tmp_path / "pyproject.toml").write_text('[tool.mutmut]\nonly_mutate = ["pkg/a.py", "pkg/b.py"]\n')
    monkeypatch.setattr(mod, "ROOT", tmp_path)
    monkeypatch.setattr(mod, "EQUIVALENTS", tmp_path / "equivalents.toml")
    return mod


def _meta(root: Path, module: str, codes: dict[str, int | None]) -> None:
    path = root / "mutants" / (module + ".meta")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({"exit_code_by_key": codes}))


def _codes(prefix: str, killed: int, survived: int, **other: int) -> dict[str, int | None]:
    out: dict[str, int | None] = {}
    for i in range(killed):
        out[f"{prefix}.x_f__mutmut_{i + 1}"] = 1
    for i in range(survived):
        out[f"{prefix}.x_g__mutmut_{i + 1}"] = 0
    for code, n in (("timeout", 36), ("unchecked", None), ("notests", 33), ("skipped", 34)):
        for i in range(other.get(code, 0)):
            out[f"{prefix}.x_{code}__mutmut_{i + 1}"] = n
    return out


def test_a_module_at_the_target_meets_it_and_one_mutant_less_does_not(bench) -> None:
    at = bench.score({"pkg/a.py": _codes("pkg.a", 9, 1)}, {})[0][0]
    assert at.percent == 90.0 and at.verdict(90) == "meets target"
    below = bench.score({"pkg/a.py": _codes("pkg.a", 8, 1)}, {})[0][0]
    assert below.percent == pytest.approx(88.89, abs=0.01) and below.verdict(90) == "below target"
    above = bench.score({"pkg/a.py": _codes("pkg.a", 10, 1)}, {})[0][0]
    assert above.verdict(90) == "meets target" and above.verdict(91) == "below target"


def test_timeouts_kill_untested_mutants_survive_and_unchecked_ones_are_not_a_score(bench) -> None:
    s = bench.score({"pkg/a.py": _codes("pkg.a", 1, 0, timeout=2, notests=3, unchecked=1, skipped=4)}, {})[0][0]
    assert s.killed == 3 and len(s.survived) == 3 and s.unchecked == 1 and s.skipped == 4
    assert s.percent == 50.0 and s.verdict(90) == "1 not checked"


def test_equivalents_leave_the_score_and_a_stale_one_is_reported(bench) -> None:
    codes = {"pkg/a.py": _codes("pkg.a", 9, 2)}
    eq = {"pkg.a.x_g__mutmut_1": "same output", "pkg.a.x_gone__mutmut_9": "was renamed", "other.x__mutmut_1": "n/a"}
    (s,), stale = bench.score(codes, eq)
    assert s.equivalent == 1 and len(s.survived) == 1 and s.percent == 90.0
    assert stale == ["pkg.a.x_gone__mutmut_9"]  # another package's entry is not this run's business


def test_the_equivalents_file_needs_a_reason_and_the_line_for_each(bench, tmp_path: Path) -> None:
    bench.EQUIVALENTS.write_text('[[mutant]]\nname = "pkg.a.x_f__mutmut_1"\nwhy = "dead branch"\nline = " y = 2 "\n')
    assert bench.load_equivalents(bench.EQUIVALENTS) == {"pkg.a.x_f__mutmut_1": "dead branch"}
    assert bench.equivalent_lines(bench.EQUIVALENTS) == {"pkg.a.x_f__mutmut_1": "y = 2"}
    for entry in ('name = "pkg.a.x_f__mutmut_1"\n', 'name = "pkg.a.x_f__mutmut_1"\nwhy = "dead branch"\n'):
        bench.EQUIVALENTS.write_text("[[mutant]]\n" + entry)
        with pytest.raises(ValueError, match="needs a name, a why and its line"):
            bench.load_equivalents(bench.EQUIVALENTS)


MUTANTS = """\
def x_f__mutmut_orig(a, b=1):
    y = a + b
    return y * 2


def x_f__mutmut_1(a, b=1):
    y = a - b
    return y * 2


def x_f__mutmut_2(a, b=2):
    y = a + b
    return y * 2


class Thing:
    def xǁThingǁrun__mutmut_orig(self):
        return 1

    def xǁThingǁrun__mutmut_1(self):
        return 2
"""


def test_a_listed_number_that_now_names_another_mutant_is_reported(bench, capsys: pytest.CaptureFixture[str]) -> None:
    """mutmut numbers a function's mutants in order: code added above one gives its number to another
    mutant, which may not be equivalent at all. Each entry names its line; a number now on another line fails."""
    (bench.ROOT / "mutants" / "pkg").mkdir(parents=True)
    (bench.ROOT / "mutants" / "pkg" / "a.py").write_text(MUTANTS)
    names = ["pkg.a.x_f__mutmut_1", "pkg.a.x_f__mutmut_2", "pkg.a.xǁThingǁrun__mutmut_1", "pkg.b.x_f__mutmut_1"]
    assert bench.mutated_lines(bench.ROOT / "mutants", "pkg/a.py", names) == {
        "pkg.a.x_f__mutmut_1": ["y = a - b"],
        "pkg.a.x_f__mutmut_2": ["def f(a, b=2):"],  # a default: the signature under the function's own name
        "pkg.a.xǁThingǁrun__mutmut_1": ["return 2"],
    }
    right = {"pkg.a.x_f__mutmut_1": "y = a - b", "pkg.a.x_f__mutmut_2": "def f(a, b=2):",
             "pkg.a.xǁThingǁrun__mutmut_1": "return 2"}
    assert bench.moved(bench.ROOT / "mutants", ["pkg/a.py"], right) == []
    swapped = {**right, "pkg.a.x_f__mutmut_1": "def f(a, b=2):"}
    assert bench.moved(bench.ROOT / "mutants", ["pkg/a.py"], swapped) == [
        ("pkg.a.x_f__mutmut_1", "def f(a, b=2):", "y = a - b")]
    _meta(bench.ROOT, "pkg/a.py", {**_codes("pkg.a", 9, 0), "pkg.a.x_f__mutmut_2": 0})
    _meta(bench.ROOT, "pkg/b.py", _codes("pkg.b", 10, 0))
    bench.EQUIVALENTS.write_text('[[mutant]]\nname = "pkg.a.x_f__mutmut_2"\nwhy = "b is always passed"\n'
                                 'line = "def f(a, b=2):"\n')
    assert bench.main(["--no-run"]) == 0
    bench.EQUIVALENTS.write_text('[[mutant]]\nname = "pkg.a.x_f__mutmut_2"\nwhy = "b is always passed"\n'
                                 'line = "y = a - b"\n')
    assert bench.main(["--no-run"]) == 1
    err = capsys.readouterr().err
    assert "now another mutant" in err and "pkg.a.x_f__mutmut_2: listed `y = a - b`, now `def f(a, b=2):`" in err


def test_the_table_prints_each_module_and_the_total(bench) -> None:
    scores, _ = bench.score({"pkg/a.py": _codes("pkg.a", 9, 1), "pkg/b.py": _codes("pkg.b", 1, 1)}, {})
    text = bench.table(scores, 90)
    lines = text.splitlines()
    assert lines[0].split() == ["module", "mutants", "killed", "survived", "equivalent", "score", "verdict"]
    assert lines[2].split()[:6] == ["pkg/a.py", "10", "9", "1", "0", "90.0"] and "meets target" in lines[2]
    assert "50.0 %" in lines[3] and "below target" in lines[3]
    assert lines[4].split()[:6] == ["total", "12", "10", "2", "0", "83.3"]


def test_main_exits_by_the_scores_of_the_last_run(bench, capsys: pytest.CaptureFixture[str]) -> None:
    _meta(bench.ROOT, "pkg/a.py", _codes("pkg.a", 9, 1))
    _meta(bench.ROOT, "pkg/b.py", _codes("pkg.b", 10, 0))
    assert bench.main(["--no-run"]) == 0
    out = capsys.readouterr().out
    assert "pkg/a.py" in out and "pkg.a.x_g__mutmut_1" in out  # the survivor is named
    assert bench.main(["--no-run", "--min", "95"]) == 1
    assert bench.main(["--no-run", "pkg/b.py", "--min", "100"]) == 0  # one module, scored alone
    assert bench.main(["--no-run", "pkg/c.py"]) == 2
    assert "not a configured module: pkg/c.py" in capsys.readouterr().err
    bench.EQUIVALENTS.write_text('[[mutant]]\nname = "pkg.a.x_h__mutmut_1"\nwhy = "gone"\nline = "x = 1"\n')
    assert bench.main(["--no-run"]) == 1
    err = capsys.readouterr().err
    assert "no longer a mutant" in err and "pkg.a.x_h__mutmut_1" in err


def test_a_module_with_no_results_fails(bench) -> None:
    _meta(bench.ROOT, "pkg/a.py", _codes("pkg.a", 9, 1))
    assert bench.main(["--no-run"]) == 1  # pkg/b.py was never run


def test_changed_picks_the_configured_modules_git_sees_changed(bench, tmp_path: Path) -> None:
    def git(*a: str) -> None:
        subprocess.run(["git", "-c", "user.name=t", "-c", "user.email=t@t", *a], cwd=tmp_path, check=True,
                       capture_output=True)

    (tmp_path / "pkg").mkdir()
    for name in ("a.py", "b.py", "c.py"):
        (tmp_path / "pkg" / name).write_text("x = 1\n")
    git("init", "-q")
    git("add", ".")
    git("commit", "-qm", "base")
    (tmp_path / "pkg" / "b.py").write_text("x = 2\n")
    (tmp_path / "pkg" / "c.py").write_text("x = 2\n")  # changed, but not mutation-tested
    assert bench.changed_modules(["pkg/a.py", "pkg/b.py"], "HEAD", tmp_path) == ["pkg/b.py"]
    assert bench.main(["--no-run", "--changed", "HEAD", "pkg/a.py"]) == 0  # nothing of it changed: nothing to do


def test_the_configured_modules_are_the_ones_the_issue_names_and_exist() -> None:
    import tomllib

    cfg = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["mutmut"]
    for module in cfg["only_mutate"]:
        assert (ROOT / module).is_file(), module
    for test in cfg["pytest_add_cli_args_test_selection"]:
        path, _, name = test.partition("::")
        assert (ROOT / path).is_file(), test
        assert not name or f"def {name}(" in (ROOT / path).read_text(), test  # a test of that name is there
    names = {Path(m).stem for m in cfg["only_mutate"]}
    assert {"checks", "expect", "analysis", "drift", "scrub", "model", "wire"} <= names


def test_refresh_drops_stale_copies_of_data_files_and_a_stale_test_map(bench, tmp_path: Path) -> None:
    import os

    cfg = {"source_paths": ["pkg"], "only_mutate": ["pkg/a.py"]}
    for rel, text in [("pkg/a.py", "a = 1\n"), ("pkg/c.py", "c = 1\n"), ("pkg/d.json", "{}"), ("pkg/e.json", "[]"),
                      ("tests/test_a.py", "def test(): pass\n")]:
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_text(text)
        os.utime(tmp_path / rel, (1000, 1000))
    assert bench.refresh(tmp_path, cfg) == []  # nothing run yet: nothing to refresh
    mutants = tmp_path / "mutants"
    (mutants / "pkg").mkdir(parents=True)
    for rel in ("pkg/a.py", "pkg/c.py"):  # Python files: mutmut writes them again on every run
        (mutants / rel).write_text("# written by the last run\n")
        os.utime(mutants / rel, (900, 900))
    for rel in ("pkg/d.json", "pkg/e.json"):  # data files: copied once, keeping the time
        (mutants / rel).write_text((tmp_path / rel).read_text())
        os.utime(mutants / rel, (1000, 1000))
    stats = mutants / "mutmut-stats.json"
    stats.write_text("{}")
    os.utime(stats, (1000, 1000))
    assert bench.refresh(tmp_path, cfg) == []  # all up to date
    (tmp_path / "pkg" / "d.json").write_text('{"changed": true}')
    os.utime(tmp_path / "pkg" / "d.json", (1001, 1001))
    assert bench.refresh(tmp_path, cfg) == ["pkg/d.json", "mutmut-stats.json"]
    assert not (mutants / "pkg" / "d.json").exists() and (mutants / "pkg" / "e.json").exists()
    assert (mutants / "pkg" / "a.py").exists() and (mutants / "pkg" / "c.py").exists() and not stats.exists()
    stats.write_text("{}")
    os.utime(stats, (1001, 1001))
    os.utime(tmp_path / "pkg" / "c.py", (1002, 1002))  # a module changed: the map is made again
    assert bench.refresh(tmp_path, cfg) == ["mutmut-stats.json"]
    stats.write_text("{}")
    os.utime(stats, (1002, 1002))
    os.utime(tmp_path / "tests" / "test_a.py", (1003, 1003))  # a test changed: the map is made again
    assert bench.refresh(tmp_path, cfg) == ["mutmut-stats.json"]


def test_the_nightly_job_sets_up_and_scores_every_configured_module() -> None:
    """``.ci/nightly`` runs the whole mutation run on a clean checkout: setup first, then the score of every
    configured module (no module filter, no ``--changed``, not the last run's results), failing the job
    when a module is below target."""
    import os
    import shlex

    path = ROOT / ".ci" / "nightly"
    assert os.access(path, os.X_OK), "the nightly job must be executable"
    lines = [ln.strip() for ln in path.read_text(encoding="utf-8").splitlines() if ln.strip() and not ln.startswith("#")]
    assert "set -euo pipefail" in lines  # a failing score fails the job
    assert lines.index("scripts/setup") < next(i for i, ln in enumerate(lines) if "mutation_score.py" in ln)
    score = shlex.split(next(ln for ln in lines if "mutation_score.py" in ln))
    assert score[:2] == [".venv/bin/python", "benchmarks/mutation_score.py"]
    args = score[2:]
    assert not {"--no-run", "--changed", "--min"} & set(args)
    assert [a for i, a in enumerate(args) if not a.startswith("-") and not (i and args[i - 1] == "--show")] == []
