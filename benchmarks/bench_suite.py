"""Suite benchmarks: plugin load overhead, hypothesis throughput, and the offline suite's wall time.

Prints ratios measured in this run (the machine is noisy; nothing here is asserted):

1. ``pytest --collect-only`` of a small unrelated folder with the plugin vs without it (``-p no:...``):
   target ≤ 1.20×.
2. Validated requests per second that hypothesis drives through the simulator on a JSON endpoint
   (Novita): target ≥ 500/s.
3. The default offline suite, all providers, ``ci`` profile: seconds per provider and in total
   (target < 180 s).

Run: ``.venv/bin/python benchmarks/bench_suite.py [--skip-suite]``
"""

from __future__ import annotations

import contextlib
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

PY = sys.executable
PLUGINS_OFF = ["-p", "no:voice_conformance", "-p", "no:conformance.report.plugin",
               "-p", "no:conformance.cassettes.plugin"]


def _collect(folder: Path, extra: list[str]) -> float:
    start = time.perf_counter()
    subprocess.run([PY, "-m", "pytest", "--collect-only", "-q", "-p", "no:cacheprovider", *extra, str(folder)],
                   check=True, capture_output=True, cwd=folder)
    return time.perf_counter() - start


def plugin_overhead(rounds: int = 7) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        for i in range(10):
            (folder / f"test_m{i}.py").write_text("\n".join(f"def test_{j}():\n    assert {j} == {j}\n"
                                                            for j in range(10)))
        _collect(folder, [])  # warm the file cache
        with_plugin, without = [], []
        for _ in range(rounds):
            without.append(_collect(folder, PLUGINS_OFF))
            with_plugin.append(_collect(folder, []))
        a, b = statistics.median(with_plugin), statistics.median(without)
        print(f"plugin load: collect-only {a * 1000:.0f} ms with, {b * 1000:.0f} ms without "
              f"-> {a / b:.2f}x (target <= 1.20x)")


def hypothesis_throughput(seconds: float = 5.0) -> None:
    from hypothesis import HealthCheck, given, settings

    from conformance import spec, strategies
    from conformance.clients import NovitaClient, RetryPolicy
    from conformance.simulators import simulate

    ep = spec.get("novita.minimax_voice_cloning")
    count = [0]
    with simulate("novita") as sim:
        client = NovitaClient(api_key="bench", retry=RetryPolicy(max_attempts=1), http_client=None)

        @settings(max_examples=10_000, deadline=None, database=None, suppress_health_check=list(HealthCheck))
        # the clone itself (JSON in, JSON out); preview text adds demo audio synthesis, which
        # benchmarks/bench_simulator.py measures
        @given(strategies.valid_requests(ep).filter(lambda p: "text" not in p))
        def drive(params: dict) -> None:
            for v in params.values():
                if getattr(v, "kind", None) == "url" and v.data is not None:
                    sim.register_url(v.url, v.data)
            client.call(ep.id, params, validate=True)
            count[0] += 1
            if time.perf_counter() - start > seconds:
                raise _Done

        start = time.perf_counter()
        with contextlib.suppress(_Done):
            drive()
        elapsed = time.perf_counter() - start
    print(f"hypothesis through the simulator (no preview text): {count[0] / elapsed:.0f} validated requests/s on {ep.id} "
          f"(target >= 500/s)")


class _Done(Exception):
    pass


def suite_time() -> None:
    env = {**os.environ, "CI": "true"}
    total = 0.0
    for provider in ("elevenlabs", "modelslab", "novita", "faseeh"):
        start = time.perf_counter()
        r = subprocess.run([PY, "-m", "pytest", "--pyargs", "conformance.suite", "-q", "-n", "2",
                            "--conformance-providers", provider, "--conformance-report", "", "-p", "no:cacheprovider"],
                           capture_output=True, text=True, env=env)
        took = time.perf_counter() - start
        total += took
        print(f"suite ({provider}, ci profile, -n 2): {took:.1f} s, {r.stdout.strip().splitlines()[-1]}")
    print(f"suite, all providers: {total:.1f} s (target < 180 s)")


if __name__ == "__main__":
    plugin_overhead()
    hypothesis_throughput()
    if "--skip-suite" not in sys.argv:
        suite_time()
