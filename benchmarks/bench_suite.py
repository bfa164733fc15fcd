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

import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

PY = sys.executable
PLUGINS_OFF = ["-p", "no:voice_conformance", "-p", "no:conformance.report.plugin",
               "-p", "no:conformance.cassettes.plugin", "-p", "no:conformance.simulators.fixtures"]


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


def hypothesis_throughput(examples: int = 2000) -> None:
    from hypothesis import HealthCheck, Phase, given, settings

    from conformance import spec, strategies
    from conformance.clients import NovitaClient, RetryPolicy
    from conformance.simulators import simulate

    ep = spec.get("novita.minimax_voice_cloning")
    count = [0]
    with simulate("novita") as sim:
        client = NovitaClient(api_key="bench", retry=RetryPolicy(max_attempts=1))

        def drive(params: dict) -> None:
            for v in params.values():
                if getattr(v, "kind", None) == "url" and v.data is not None:
                    sim.register_url(v.url, v.data)
            client.call(ep.id, params, validate=True)
            count[0] += 1

        def run(n: int) -> float:
            # the clone itself (JSON in, JSON out); preview text adds demo audio synthesis, which
            # benchmarks/bench_simulator.py measures
            test = settings(max_examples=n, deadline=None, database=None, phases=[Phase.generate],
                            suppress_health_check=list(HealthCheck))(
                given(strategies.valid_requests(ep, omit=("text",)))(drive))
            count[0] = 0
            start, cpu[0] = time.perf_counter(), time.process_time()
            test()
            cpu[0] = time.process_time() - cpu[0]
            return time.perf_counter() - start

        cpu = [0.0]
        run(100)  # warm-up, not timed: the first examples encode the fixture clips the audio draws use
        elapsed = run(examples)
    # CPU time shows what the code costs when other processes share the two cores
    print(f"hypothesis through the simulator (no preview text): {count[0] / elapsed:.0f} validated requests/s "
          f"on {ep.id} ({count[0] / cpu[0]:.0f}/s of CPU time, load average {os.getloadavg()[0]:.1f}), "
          f"{count[0]} requests (target >= 500/s)")


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
