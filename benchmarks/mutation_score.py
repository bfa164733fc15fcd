#!/usr/bin/env python3
"""The mutation score of the modules where a silent bug hurts users most, one line per module.

    .venv/bin/python benchmarks/mutation_score.py                  # run mutmut, then print the scores
    .venv/bin/python benchmarks/mutation_score.py --changed main   # only the modules changed since main
    .venv/bin/python benchmarks/mutation_score.py --no-run         # the scores of the last run

The modules and the tests that guard them are ``[tool.mutmut]`` in ``pyproject.toml``. mutmut makes
small bugs (mutants) in each module's functions, one at a time, and runs the tests that reach the
mutated function; a mutant is *killed* when a test fails (or times out). The score of a module is
killed / (mutants − equivalent): ``benchmarks/mutation-equivalents.toml`` lists the mutants that
cannot change behaviour, each with why and the line as the mutant reads it; a listed mutant that no
longer exists, or whose line is no longer that one, is an error (mutmut numbers a function's mutants
in order, so code added above one moves its number onto another mutant: the list is kept true). Target: 90 % per module. Exit code 1 when a module is below target or was not
fully checked, 2 on bad input.
"""

from __future__ import annotations

import argparse
import ast
import difflib
import fnmatch
import json
import os
import subprocess
import sys
import tomllib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
EQUIVALENTS = Path(__file__).resolve().with_name("mutation-equivalents.toml")
TARGET = 90.0

# mutmut's exit codes per mutant (mutmut.stats.status_by_exit_code), folded into what a score needs
KILLED = {1: "killed", 3: "killed", 36: "timeout", 24: "timeout", -24: "timeout", 152: "timeout",
          255: "timeout", 37: "caught by type check"}
SURVIVED = {0: "survived", 5: "no tests", 33: "no tests", 35: "suspicious", -11: "segfault", -9: "segfault"}
SKIPPED = {34: "skipped"}


@dataclass
class Score:
    module: str  # the file, as only_mutate names it
    killed: int = 0
    survived: list[str] = field(default_factory=list)
    equivalent: int = 0
    unchecked: int = 0
    skipped: int = 0

    @property
    def counted(self) -> int:
        return self.killed + len(self.survived)

    @property
    def percent(self) -> float | None:
        return None if self.counted == 0 else 100.0 * self.killed / self.counted

    def verdict(self, target: float) -> str:
        if self.unchecked:
            return f"{self.unchecked} not checked"
        if self.percent is None:
            return "no mutants"
        return "meets target" if self.percent >= target else "below target"


def config(root: Path | None = None) -> dict:
    data = tomllib.loads(((root or ROOT) / "pyproject.toml").read_text(encoding="utf-8"))
    try:
        return data["tool"]["mutmut"]
    except KeyError:
        raise SystemExit("mutation_score: pyproject.toml has no [tool.mutmut] table") from None


def module_glob(path: str) -> str:
    """The mutant-name glob of a module file: ``conformance/checks.py`` -> ``conformance.checks.*``."""
    return path.removesuffix(".py").replace("/", ".") + ".*"


def load_equivalents(path: Path | None = None) -> dict[str, str]:
    """Mutant name -> why it cannot change behaviour (default file: ``EQUIVALENTS``)."""
    return {name: why for name, (why, _) in _entries(path).items()}


def equivalent_lines(path: Path | None = None) -> dict[str, str]:
    """Mutant name -> the mutated line, as the mutant reads it (``mutmut show``'s ``+`` line)."""
    return {name: line for name, (_, line) in _entries(path).items()}


def _entries(path: Path | None) -> dict[str, tuple[str, str]]:
    path = path or EQUIVALENTS
    if not path.is_file():
        return {}
    data = tomllib.loads(path.read_text(encoding="utf-8"))
    out: dict[str, tuple[str, str]] = {}
    for entry in data.get("mutant", []):
        name, why, line = entry.get("name"), entry.get("why"), entry.get("line")
        if not name or not why or not line:
            raise ValueError(f"{path.name}: every [[mutant]] needs a name, a why and its line: {entry}")
        out[name] = (why, line.strip())
    return out


def mutated_lines(mutants: Path, module: str, names: Iterable[str]) -> dict[str, list[str]]:
    """For each of ``names`` that is a mutant of ``module``: the lines of its function that the
    original's lack (stripped), read from mutmut's copy of the module (``mutants/``)."""
    prefix = module.removesuffix(".py").replace("/", ".") + "."
    wanted = {n.removeprefix(prefix) for n in names if n.startswith(prefix)}
    path = mutants / module
    if not wanted or not path.is_file():
        return {}
    src = path.read_text(encoding="utf-8").splitlines()
    bodies: dict[str, list[str]] = {}
    for node in ast.walk(ast.parse("\n".join(src))):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and "__mutmut_" in node.name:
            # the signature too (a default can be mutated), under the function's own name, as mutmut shows it
            own = node.name.rpartition("__mutmut_")[0]
            own = own.split("ǁ")[-1] if "ǁ" in own else own.removeprefix("x_")
            lines = [ln.strip() for ln in src[node.lineno - 1: node.end_lineno]]
            lines[0] = lines[0].replace(f"def {node.name}(", f"def {own}(", 1)
            bodies[node.name] = lines
    out: dict[str, list[str]] = {}
    for short in wanted:
        orig = bodies.get(short.rpartition("__mutmut_")[0] + "__mutmut_orig")
        if short in bodies and orig is not None:
            matcher = difflib.SequenceMatcher(None, orig, bodies[short], autojunk=False)
            out[prefix + short] = [ln for op, _, _, j1, j2 in matcher.get_opcodes() if op != "equal"
                                   for ln in bodies[short][j1:j2]]
    return out


def moved(mutants: Path, modules: Iterable[str], lines: Mapping[str, str]) -> list[tuple[str, str, str]]:
    """The listed equivalents whose mutant now mutates another line: ``(name, listed, now)``."""
    out = []
    for module in modules:
        for name, now in sorted(mutated_lines(mutants, module, lines).items()):
            if lines[name] not in now:
                out.append((name, lines[name], " / ".join(now) or "(no line changed)"))
    return out


def results(mutants: Path, modules: Iterable[str]) -> dict[str, dict[str, int | None]]:
    """Per module file: mutant name -> mutmut's exit code (None: not checked yet)."""
    out: dict[str, dict[str, int | None]] = {}
    for module in modules:
        meta = mutants / (module + ".meta")
        if not meta.is_file():
            out[module] = {}
            continue
        out[module] = dict(json.loads(meta.read_text(encoding="utf-8"))["exit_code_by_key"])
    return out


def score(codes: Mapping[str, Mapping[str, int | None]], equivalents: Mapping[str, str]) -> tuple[list[Score], list[str]]:
    """A :class:`Score` per module, and the equivalents listed that match no mutant (stale)."""
    scores, seen = [], set()
    for module, by_key in codes.items():
        s = Score(module)
        for key, code in sorted(by_key.items()):
            if key in equivalents:
                seen.add(key)
                s.equivalent += 1
            elif code is None:
                s.unchecked += 1
            elif code in KILLED:
                s.killed += 1
            elif code in SKIPPED:
                s.skipped += 1
            else:
                s.survived.append(key)
        scores.append(s)
    covered = {m.removesuffix(".py").replace("/", ".") for m in codes}
    stale = [k for k in equivalents if k not in seen and any(k.startswith(c + ".") for c in covered)]
    return scores, stale


def table(scores: Iterable[Score], target: float) -> str:
    rows = [("module", "mutants", "killed", "survived", "equivalent", "score", "verdict")]
    total = Score("total")
    for s in scores:
        pct = "-" if s.percent is None else f"{s.percent:.1f} %"
        rows.append((s.module, str(s.counted + s.equivalent + s.unchecked + s.skipped), str(s.killed),
                     str(len(s.survived)), str(s.equivalent), pct, s.verdict(target)))
        total.killed += s.killed
        total.survived += s.survived
        total.equivalent += s.equivalent
        total.unchecked += s.unchecked
        total.skipped += s.skipped
    pct = "-" if total.percent is None else f"{total.percent:.1f} %"
    rows.append(("total", str(total.counted + total.equivalent + total.unchecked + total.skipped),
                 str(total.killed), str(len(total.survived)), str(total.equivalent), pct, f"target {target:g} %"))
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    lines = ["  ".join(c.ljust(w) if i == 0 else c.rjust(w) for i, (c, w) in enumerate(zip(r, widths, strict=True)))
             for r in rows]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)


def refresh(root: Path, cfg: Mapping) -> list[str]:
    """Bring ``mutants/`` up to the working tree where mutmut would not, and say what was refreshed.

    mutmut writes every Python file again on each run, but copies the package's other files (data,
    fixtures) once and keeps the copy, so tests would read old data; and it maps tests to the functions
    they reach once, so a new function looks reached by no test and its mutants survive. A data file's
    copy whose time differs from its source (copies keep the time) is removed, to be copied again; the
    map is removed when any source or test file is newer, to be made again (a minute or so)."""
    mutants = root / "mutants"
    if not mutants.is_dir():
        return []
    refreshed: list[str] = []
    newest = 0.0
    for top in [*cfg.get("source_paths", []), "tests"]:
        for path in sorted((root / top).rglob("*")):
            if not path.is_file() or "__pycache__" in path.parts:
                continue
            mtime = path.stat().st_mtime
            newest = max(newest, mtime)
            rel = path.relative_to(root).as_posix()
            copy = mutants / rel
            if top != "tests" and path.suffix != ".py" and copy.is_file() and copy.stat().st_mtime != mtime:
                copy.unlink()
                refreshed.append(rel)
    stats = mutants / "mutmut-stats.json"
    if stats.is_file() and stats.stat().st_mtime < newest:
        stats.unlink()
        refreshed.append(stats.name)
    return refreshed


def changed_modules(modules: Iterable[str], rev: str, root: Path | None = None) -> list[str]:
    """The modules whose file differs from ``rev`` (committed or not)."""
    proc = subprocess.run(["git", "diff", "--name-only", rev, "--"], cwd=root or ROOT, capture_output=True, text=True)
    if proc.returncode != 0:
        raise SystemExit(f"mutation_score: git diff {rev}: {proc.stderr.strip()}")
    changed = set(proc.stdout.split())
    return [m for m in modules if m in changed]


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("modules", nargs="*", metavar="MODULE", help="module files or globs (default: every one configured)")
    ap.add_argument("--changed", metavar="REV", help="only the configured modules that differ from REV")
    ap.add_argument("--no-run", action="store_true", help="print the scores of the last run; run nothing")
    ap.add_argument("--min", type=float, default=TARGET, metavar="PCT", help=f"target per module (default {TARGET:g})")
    ap.add_argument("--show", type=int, default=10, metavar="N", help="list up to N surviving mutants per module")
    ap.add_argument("--max-children", type=int, default=os.cpu_count() or 1, help="mutmut's parallel workers")
    args = ap.parse_args(argv)

    configured = list(config().get("only_mutate", []))
    modules = configured
    if args.modules:
        modules = [m for m in configured if any(fnmatch.fnmatch(m, p) or m == p for p in args.modules)]
        unknown = [p for p in args.modules if not any(fnmatch.fnmatch(m, p) or m == p for m in configured)]
        if unknown:
            print(f"mutation_score: not a configured module: {', '.join(unknown)} "
                  f"(configured: {', '.join(configured)})", file=sys.stderr)
            return 2
    if args.changed:
        modules = changed_modules(modules, args.changed)
        if not modules:
            print(f"no mutation-tested module changed since {args.changed}")
            return 0
    try:
        equivalents = load_equivalents()
    except (ValueError, tomllib.TOMLDecodeError) as e:
        print(f"mutation_score: {e}", file=sys.stderr)
        return 2

    if not args.no_run:
        for rel in refresh(ROOT, config()):
            print(f"refreshed: {rel}", flush=True)
        mutmut = Path(sys.executable).with_name("mutmut")
        cmd = [str(mutmut) if mutmut.exists() else "mutmut", "run", "--max-children", str(args.max_children),
               *(module_glob(m) for m in modules)]
        print("$ " + " ".join(cmd), flush=True)
        proc = subprocess.run(cmd, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        if proc.returncode != 0:
            print(f"mutation_score: mutmut failed (exit {proc.returncode}):\n{proc.stderr[-3000:]}", file=sys.stderr)
            return 1

    scores, stale = score(results(ROOT / "mutants", modules), equivalents)
    print(table(scores, args.min))
    for s in scores:
        if s.survived and args.show:
            print(f"\n{s.module}: {len(s.survived)} surviving (see one with `mutmut show NAME`)")
            for key in s.survived[: args.show]:
                print(f"  {key}")
    if stale:
        print("\nlisted as equivalent but no longer a mutant (remove or update the entry):", file=sys.stderr)
        for key in stale:
            print(f"  {key}", file=sys.stderr)
    shifted = moved(ROOT / "mutants", modules, equivalent_lines())
    if shifted:
        print("\nlisted as equivalent but that number is now another mutant (code above it changed; find the "
              "listed line's new number with `mutmut show`):", file=sys.stderr)
        for key, listed, now in shifted:
            print(f"  {key}: listed `{listed}`, now `{now}`", file=sys.stderr)
    failing = [s for s in scores if s.unchecked or s.percent is None or s.percent < args.min]
    return 1 if failing or stale or shifted else 0


if __name__ == "__main__":
    sys.exit(main())
