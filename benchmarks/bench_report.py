"""Report rendering against JSON serialisation of the same results, measured in the same run.

Builds 1,000 result records, 100 of them with an audio panel (input, target voice and output:
3 s of real speech each, encoded when the record is written, as the plugin does), then times

  baseline  serialising the 1,000 records to JSON Lines (what RecordWriter writes: to_dict + dumps;
            json.dumps of ready dicts alone is printed too, the stricter baseline)
  render    rendering them into the HTML report (render_html)

and prints render / baseline (goal: at most 10). Best of several rounds of each, interleaved.

    .venv/bin/python benchmarks/bench_report.py [--rounds 5]
"""

from __future__ import annotations

import argparse
import json
import os
import time

from conformance.audio.corpus import make_clip
from conformance.report.records import Record, build_record
from conformance.report.render import render_html

PROVIDERS = {"elevenlabs": ["elevenlabs.speech_to_speech", "elevenlabs.text_to_speech"],
             "modelslab": ["modelslab.voice_cloning"], "novita": ["novita.txt2speech", "novita.voice_clone"],
             "faseeh": ["faseeh.tts"]}
CHECKS = ["positive_data_acceptance", "negative_data_rejection", "content_type_conformance",
          "response_schema_conformance", "not_a_server_error", "ignored_auth", "output_format_honesty",
          "speaker_similarity", "predicted_mos", "intelligibility"]


def make_records(n: int = 1000, panels: int = 100) -> list[Record]:
    clips = {role: (make_clip(spk, 3.0, 16000, start=i), 16000) for i, (role, spk) in
             enumerate((("input", "en_slt"), ("reference", "cs_machac"), ("output", "en_slt")))}
    audio = build_record({"audio": clips}, nodeid="x", outcome="pass").audio  # encoded once, as when written
    pairs = [(p, e) for p, eps in PROVIDERS.items() for e in eps]
    out = []
    for i in range(n):
        provider, endpoint = pairs[i % len(pairs)]
        check = CHECKS[i % len(CHECKS)]
        outcome = "fail" if i % 17 == 0 else "skip" if i % 23 == 0 else "pass"
        out.append(Record(
            nodeid=f"conformance/suite/test_protocol.py::test_{check}[{endpoint}-{i}]", outcome=outcome,
            run_id="bench", provider=provider, endpoint=endpoint, target="simulator", check=check,
            duration=0.01 * (i % 7), failure="AssertionError: status 200 is not 4xx\n" * 5 if outcome == "fail" else None,
            measured={"status": 200, "speaker_similarity": 0.5 + (i % 40) / 100, "wer": (i % 10) / 20},
            expected={"status": "4xx", "speaker_similarity": 0.7}, rule="speed is in [0.5, 2.0]",
            source="https://docs.example/api#speed", request_excerpt='POST /v1\nxi-api-key: ***\n{"speed": 3}',
            response_excerpt='{"detail": "<b>ok</b>"}' * 10, latency={"ttfb": 0.1 + i % 5 / 10, "total": 0.5},
            audio=audio if i < panels else {}))
    return out


def serialise(records: list[Record]) -> str:
    return "\n".join(json.dumps(r.to_dict(), ensure_ascii=False, separators=(",", ":")) for r in records)


def best(fn, rounds: int) -> float:
    times = []
    for _ in range(rounds):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return min(times)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rounds", type=int, default=5)
    args = ap.parse_args()
    records = make_records()
    render_html(records[:10])  # load and compile the template once
    dicts = [r.to_dict() for r in records]
    base_t, dumps_t, render_t = [], [], []
    for _ in range(args.rounds):  # interleaved, so all see the same machine load
        base_t.append(best(lambda: serialise(records), 1))
        dumps_t.append(best(lambda: "\n".join(json.dumps(d, ensure_ascii=False, separators=(",", ":"))
                                              for d in dicts), 1))
        render_t.append(best(lambda: render_html(records), 1))
    json_size = len(serialise(records).encode())
    html_size = len(render_html(records).encode())
    b, d, r = min(base_t), min(dumps_t), min(render_t)
    print(f"records: {len(records)} ({sum(1 for x in records if x.audio)} audio panels, 3 clips each)")
    print(f"JSON Lines serialisation (baseline): {b * 1000:8.1f} ms  {json_size / 1e6:6.2f} MB")
    print(f"  of which json.dumps of ready dicts: {d * 1000:8.1f} ms")
    print(f"HTML render:                         {r * 1000:8.1f} ms  {html_size / 1e6:6.2f} MB")
    print(f"ratio render / serialise: {r / b:.2f}  (goal ≤ 10); render / json.dumps alone: {r / d:.2f}"
          f"   load average: {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
