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

For the two neural models it also prints this machine's **compute ceiling**: the model's
floating-point work for the file (counted from the shapes onnxruntime runs: DNSMOS' convolutions,
the speaker encoder's LSTM) over the machine's matrix-product rate measured in this run (one
core's best float32 product, times the cores). No implementation of the same model can be faster
than that on this machine; a target above it is out of reach here.
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


def gemm_gflops(seconds: float = 1.0) -> float:
    """One core's float32 matrix-product rate (GFLOP/s): the best 1024 × 1024 product in ``seconds``."""
    import numpy as np
    from threadpoolctl import threadpool_limits

    a = np.random.default_rng(0).standard_normal((1024, 1024)).astype(np.float32)
    best = 0.0
    with threadpool_limits(1, "blas"):
        a @ a
        end = time.perf_counter() + seconds
        while time.perf_counter() < end:
            t = time.perf_counter()
            a @ a
            best = max(best, 2 * 1024 ** 3 / (time.perf_counter() - t) / 1e9)
    return best


def dnsmos_gflop_per_window() -> float:
    """DNSMOS' floating-point work (GFLOP) for one 9.01 s window: 2 × the multiply-adds of every
    convolution and matrix product, from the shapes of a profiled onnxruntime run."""
    import importlib.util
    import json

    import numpy as np

    from conformance.audio import quality
    from conformance.audio._env import import_onnxruntime

    ort = import_onnxruntime("the DNSMOS work count")
    spec = importlib.util.find_spec("speechmos")
    folder = os.path.join(next(iter(spec.submodule_search_locations)), "dnsmos_models")
    with tempfile.TemporaryDirectory() as tmp:
        opts = ort.SessionOptions()
        opts.enable_profiling = True
        opts.profile_file_prefix = os.path.join(tmp, "dnsmos")
        opts.log_severity_level = 3
        session = ort.InferenceSession(os.path.join(folder, "sig_bak_ovr.onnx"), opts,
                                       providers=["CPUExecutionProvider"])
        session.run(None, {"input_1": np.zeros((1, int(quality.WINDOW_S * quality.MOS_SR)), np.float32)})
        with open(session.end_profiling()) as f:
            events = json.load(f)
    flops = 0.0
    for e in events:
        if e.get("cat") != "Node" or not e["name"].endswith("_kernel_time"):
            continue
        op = e["args"].get("op_name", "")
        ins = [next(iter(d.values())) for d in e["args"].get("input_type_shape", [])]
        outs = [next(iter(d.values())) for d in e["args"].get("output_type_shape", [])]
        if "Conv" in op:  # output elements × (input channels per group × kernel) multiply-adds
            flops += 2 * float(np.prod(outs[0])) * float(np.prod(ins[1][1:]))
        elif op in ("MatMul", "Gemm", "FusedMatMul"):
            flops += 2 * float(np.prod(ins[0])) * ins[1][-1]
    return flops / 1e9


def ge2e_gflop(path: str) -> float:
    """The speaker encoder's LSTM and linear work (GFLOP) for the file: per partial and frame, each
    layer's input and recurrent products with its four gates."""
    from conformance.audio import ge2e
    from conformance.audio.speaker import _samples_16k

    wav = ge2e.preprocess(_samples_16k(path))
    rate = 1.3 if len(wav) <= 30 * ge2e.SR else 0.7
    partials = len(ge2e.partial_slices(len(wav), rate))
    per_frame = sum(2 * (inputs + ge2e.HIDDEN) * 4 * ge2e.HIDDEN
                    for inputs in [ge2e.N_MELS] + [ge2e.HIDDEN] * (ge2e.LAYERS - 1))
    return partials * (ge2e.PARTIAL_FRAMES * per_frame + 2 * ge2e.HIDDEN * ge2e.HIDDEN) / 1e9


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
        from conformance.audio.quality import WINDOW_S

        machine = gemm_gflops() * (os.cpu_count() or 1)
        windows = -(-seconds // WINDOW_S)  # DNSMOS' windows over the file (the last one aligned to its end)
        ceiling = {"DNSMOS": seconds / (windows * dnsmos_gflop_per_window() / machine),
                   "speaker embedding": seconds / (ge2e_gflop(path) / machine)}

    load = os.getloadavg()[0]
    print(f"audio checks on a {seconds:g} s, {sr} Hz mono WAV ({os.cpu_count()} cores, load average {load:.1f}: "
          "other processes share these cores, read the ratios to the baseline)")
    print(f"  baseline decode          {seconds / base:8.0f}× real time")
    rows = [("analyze", t_analyze, 500), ("speaker embedding", t_embed, 300), ("DNSMOS", t_mos, 40)]
    for name, t, target in rows:
        rt = seconds / t
        print(f"  {name:<24s} {rt:8.0f}× real time  (target ≥ {target}×: {'ok' if rt >= target else 'BELOW'}; "
              f"{t / base:5.1f}× the baseline's time)")
        if name in ceiling:
            print(f"  {'':<24s} compute ceiling here {ceiling[name]:5.0f}× ({rt / ceiling[name]:.0%} of it"
                  f"{'; the target is above it' if target > ceiling[name] else ''})")
    print(f"  matrix products: {machine / (os.cpu_count() or 1):.0f} GFLOP/s a core, float32, best of this run")
    print(f"  first analyze + DTW in a new process: {cold:.2f} s with an empty cache (target ≤ 3 s: "
          f"{'ok' if cold <= 3 else 'ABOVE'}), {warm:.2f} s in a second new process ({cold / warm:.2f}×)")
    print(f"  peak memory with every model loaded: {peak_mb:.0f} MB (target ≤ 1536 MB: "
          f"{'ok' if peak_mb <= 1536 else 'ABOVE'})")


if __name__ == "__main__":
    main()
