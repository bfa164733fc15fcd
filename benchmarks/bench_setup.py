#!/usr/bin/env python3
"""A fresh machine's first minutes: setting up, and the main job cold and warm.

    .venv/bin/python benchmarks/bench_setup.py

Measured in this run, in a temporary folder (pip's own download cache is used, as on a CI machine
with a warm package cache):

1. setup: a new venv with the kit and all its extras and test tools, and their byte code, as
   ``scripts/setup`` installs and compiles them (target ≤ 90 s), and the venv's size on disk (target ≤ 700 MB); next to the time of creating
   an empty venv, the baseline every setup pays;
2. the main job (``voice-conformance run -n 2``, the suite on the simulators, report written) in that
   venv: first run with empty caches (target ≤ 60 s), then again (target ≤ 30 s).
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def timed(cmd: list[str], **kw: object) -> float:
    t = time.perf_counter()
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, **kw)  # type: ignore[call-overload]
    return time.perf_counter() - t


def size_mb(folder: Path) -> float:
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file() and not p.is_symlink()) / 2**20


def main() -> int:
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        base = timed([sys.executable, "-m", "venv", str(work / "empty")])
        venv = work / "venv"
        t_setup = timed([sys.executable, "-m", "venv", str(venv)])
        py = str(venv / "bin" / "python")
        t_setup += timed([py, "-m", "pip", "install", "-q", "-e", f"{ROOT}[all,test]"])
        # the byte code scripts/setup compiles (kept even where PYTHONDONTWRITEBYTECODE is set), all of
        # it: into an empty folder of this run's, not the checkout's __pycache__ (compiled already); the
        # installed packages are compiled there again too, which pip did already: a little more than setup
        compiling = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
        compiling["PYTHONPYCACHEPREFIX"] = str(work / "pycache")
        t_setup += timed([py, "-m", "compileall", "-q", "-j", "0", "conformance", "tests"], cwd=ROOT, env=compiling)
        t_setup += timed([py, "-m", "pytest", "--collect-only", "-q", "-p", "no:cacheprovider"], cwd=ROOT, env=compiling)
        mb = size_mb(venv)
        project = work / "project"
        project.mkdir()
        env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
        env["XDG_CACHE_HOME"] = str(work / "cache")  # empty: the first run pays whatever a new machine pays
        job = [str(venv / "bin" / "voice-conformance"), "run", "-n", "2", "--report", str(work / "r" / "c.html")]
        cold = timed(job, cwd=project, env=env)
        warm = timed(job, cwd=project, env=env)
    load = os.getloadavg()[0]
    print(f"fresh setup and first runs ({os.cpu_count()} cores, load average {load:.1f})")
    print(f"  setup (venv, pip install, byte code):     {t_setup:6.1f} s  (target ≤ 90 s: "
          f"{'ok' if t_setup <= 90 else 'ABOVE'}; {t_setup / base:.0f}× an empty venv's {base:.1f} s)")
    print(f"  venv size:                                {mb:6.0f} MB (target ≤ 700 MB: {'ok' if mb <= 700 else 'ABOVE'})")
    print(f"  main job, first run (empty caches):       {cold:6.1f} s  (target ≤ 60 s: {'ok' if cold <= 60 else 'ABOVE'})")
    print(f"  main job, again:                          {warm:6.1f} s  (target ≤ 30 s: {'ok' if warm <= 30 else 'ABOVE'}; "
          f"{cold / warm:.2f}× faster than the first)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
