#!/usr/bin/env python3
"""Audio checks: speed as a multiple of real time, measured in this run after a warm-up.

    .venv/bin/python benchmarks/bench_audio.py            # 5-minute 48 kHz file (the default)
    .venv/bin/python benchmarks/bench_audio.py --seconds 60

Prints, for each measurement, audio seconds processed per wall second (×RT) next to its target:
``analyze`` ≥ 500×, speaker embedding ≥ 300×, DNSMOS ≥ 40×; the ratio of each to a plain baseline
measured in the same run (decoding the same WAV) so a slow machine shows as a slow baseline too;
the first ``analyze`` + timing (DTW) check of a fresh process with an empty cache directory
(target ≤ 3 s: nothing is compiled at run time), against a second fresh process; and the peak
memory (RSS) of the process with every model loaded, against the 1.5 GB target.
"""

from __future__ import annotations

import argparse
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


def best_of(fn, repeat: int = 3) -> float:
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return min(times)


def first_analyze_in_new_process(path: str, cache_home: str) -> float:
    code = ("import time; t = time.perf_counter(); from conformance.audio import analyze, timing, corpus; "
            f"analyze({path!r}); y = corpus.make_clip('en_kal', 2.0, 16000); "
            "timing.timing_preservation((y, 16000), (y, 16000)); print(time.perf_counter() - t)")
    env = {k: v for k, v in os.environ.items() if k != "NUMBA_CACHE_DIR"}
    env["XDG_CACHE_HOME"] = cache_home  # empty: whatever a first run would compile or cache, it pays here
    env["PYTHONPATH"] = str(Path(__file__).resolve().parents[1])
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, env=env)
    return float(out.stdout.strip().splitlines()[-1])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--seconds", type=float, default=300.0, help="length of the test file (default 300)")
    ap.add_argument("--rate", type=int, default=48000)
    args = ap.parse_args()

    from conformance.audio import corpus
    from conformance.audio.analysis import analyze
    from conformance.audio.decoding import decode, encode
    from conformance.audio.quality import predicted_mos
    from conformance.audio.speaker import speaker_embedding

    seconds, sr = args.seconds, args.rate
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "long.wav")
        Path(path).write_bytes(encode(corpus.make_clip("en_alsa", seconds, sr), sr, "wav"))
        short = os.path.join(tmp, "short.wav")
        Path(short).write_bytes(encode(corpus.make_clip("en_alsa", 5.0, sr), sr, "wav"))
        cold = first_analyze_in_new_process(short, os.path.join(tmp, "cache"))
        warm = first_analyze_in_new_process(short, os.path.join(tmp, "cache"))

        # warm-up: every model loaded, every code path run once
        analyze(short)
        speaker_embedding(short)
        predicted_mos(short)

        base = best_of(lambda: decode(path))
        t_analyze = best_of(lambda: analyze(path))
        t_embed = best_of(lambda: speaker_embedding(path), 2)
        t_mos = best_of(lambda: predicted_mos(path), 1)
        peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024

    load = os.getloadavg()[0]
    print(f"audio checks on a {seconds:g} s, {sr} Hz mono WAV ({os.cpu_count()} cores, load average {load:.1f}: "
          "other processes share these cores, read the ratios to the baseline)")
    print(f"  baseline decode          {seconds / base:8.0f}× real time")
    rows = [("analyze", t_analyze, 500), ("speaker embedding", t_embed, 300), ("DNSMOS", t_mos, 40)]
    for name, t, target in rows:
        rt = seconds / t
        print(f"  {name:<24s} {rt:8.0f}× real time  (target ≥ {target}×: {'ok' if rt >= target else 'BELOW'}; "
              f"{t / base:5.1f}× the baseline's time)")
    print(f"  first analyze + DTW in a new process: {cold:.2f} s with an empty cache (target ≤ 3 s: "
          f"{'ok' if cold <= 3 else 'ABOVE'}), {warm:.2f} s in a second new process ({cold / warm:.2f}×)")
    print(f"  peak memory with every model loaded: {peak_mb:.0f} MB (target ≤ 1536 MB: "
          f"{'ok' if peak_mb <= 1536 else 'ABOVE'})")


if __name__ == "__main__":
    main()
