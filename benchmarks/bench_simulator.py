"""How much the simulators cost, as ratios against baselines measured in the same run.

1. JSON round trip: a ModelsLab ``fetch`` through the simulator (respx routes, as ``simulate()``
   mounts them; and the ``sim.transport()`` seam) against a bare ``httpx.MockTransport`` returning
   a canned answer. Target: at most 3×.
2. Audio synthesis: seconds of audio made per second of wall time, for a whole ElevenLabs voice
   changer request (10 s of speech in, every codec out) and for the render and encode steps alone.
   Target: at least 200× real time.

Run: ``.venv/bin/python benchmarks/bench_simulator.py [--quick]``. Each figure is the best of
several rounds (these machines are noisy); nothing here is asserted by the tests.
"""

from __future__ import annotations

import argparse
import io
import time
from collections.abc import Callable

import httpx

CANNED = {"status": "processing", "id": 1, "eta": 1, "message": "Your request is being processed",
          "fetch_result": "https://modelslab.com/api/v1/enterprise/voice/fetch/1", "future_links": []}


def best_per_call(fn: Callable[[], object], n: int, rounds: int) -> float:
    """Best mean seconds per call over ``rounds`` rounds of ``n`` calls (after a warm-up)."""
    for _ in range(max(10, n // 10)):
        fn()
    best = float("inf")
    for _ in range(rounds):
        t = time.perf_counter()
        for _ in range(n):
            fn()
        best = min(best, (time.perf_counter() - t) / n)
    return best


def json_round_trip(n: int, rounds: int) -> None:
    from conformance.simulators import Simulator

    bare = httpx.Client(transport=httpx.MockTransport(lambda r: httpx.Response(200, json=CANNED)))
    url = CANNED["fetch_result"]
    base = best_per_call(lambda: bare.post(url, json={"key": "k"}).json(), n, rounds)

    sim = Simulator("modelslab", job_polls=10**9)  # the job stays `processing`: every fetch is the same work
    with sim:
        plain = httpx.Client()
        job = plain.post("https://modelslab.com/api/v1/enterprise/voice/text_to_audio",
                         json={"key": "k", "prompt": "Hello there.", "voice_id": "en_slt"}).json()
        fetch = job["fetch_result"]
        assert plain.post(fetch, json={"key": "k"}).json()["status"] == "processing"
        mounted = best_per_call(lambda: plain.post(fetch, json={"key": "k"}).json(), n, rounds)
    seam = httpx.Client(transport=sim.transport())
    direct = best_per_call(lambda: seam.post(fetch, json={"key": "k"}).json(), n, rounds)

    print("JSON round trip (ModelsLab fetch), best of", rounds, "rounds of", n)
    print(f"  bare httpx.MockTransport, canned answer   {base * 1e6:8.1f} µs   1.00×")
    print(f"  simulator via respx (simulate())          {mounted * 1e6:8.1f} µs   {mounted / base:.2f}×  (target ≤ 3×)")
    print(f"  simulator via sim.transport()             {direct * 1e6:8.1f} µs   {direct / base:.2f}×")


def synthesis(seconds: float, rounds: int) -> None:
    import soundfile as sf

    from conformance.audio import corpus
    from conformance.providers.elevenlabs.spec import OUTPUT_FORMATS, parse_output_format
    from conformance.simulators import audio, simulate

    buf = io.BytesIO()
    sf.write(buf, corpus.make_clip("en_kal", seconds, 16000), 16000, format="WAV")
    wav = buf.getvalue()
    print(f"\nAudio synthesis, {seconds:g} s of speech per request, best of {rounds} (× real time; target ≥ 200×)")
    with simulate("elevenlabs") as sim:
        client = httpx.Client()
        url = "https://api.elevenlabs.io/v1/speech-to-speech/JBFqnCBsd6RMkjVDRZzb"
        ratios = {}
        for name in OUTPUT_FORMATS:
            def request(name: str = name) -> None:
                r = client.post(url, params={"output_format": name}, headers={"xi-api-key": "k"},
                                files={"audio": ("in.wav", wav, "audio/wav")})
                assert r.status_code == 200, r.text

            request()  # warm-up: loads the voice and resamples it once per rate
            ratios[name] = seconds / best_per_call(request, 1, rounds)
        assert sim.calls[-1].status == 200
    by_codec: dict[str, list[float]] = {}
    for name, ratio in ratios.items():
        by_codec.setdefault(parse_output_format(name).codec, []).append(ratio)
    default = "mp3_44100_128"
    print(f"  whole request, {default} (the default)     {ratios[default]:8.0f}×")
    for codec, values in by_codec.items():
        print(f"  whole request, {codec:<5} formats  min {min(values):6.0f}×  max {max(values):6.0f}×")
    print(f"  slowest format: {min(ratios, key=ratios.__getitem__)} at {min(ratios.values()):.0f}×")

    ref = audio.speaker_reference("cs_machac")
    source = (corpus.make_clip("en_kal", seconds, 16000), 16000)
    render = best_per_call(lambda: audio.render(ref, seconds, 44100, seed=b"bench"), 1, rounds)
    follow = best_per_call(lambda: audio.render(ref, seconds, 44100, seed=b"bench", follow=source), 1, rounds)
    y = audio.render(ref, seconds, 44100, seed=b"bench")
    mp3 = best_per_call(lambda: audio.encode(y, 44100, "mp3", bitrate_kbps=128), 1, rounds)
    y48 = audio.render(ref, seconds, 48000, seed=b"bench")
    ogg = best_per_call(lambda: audio.encode(y48, 48000, "opus", bitrate_kbps=64), 1, rounds)
    print(f"  render only, from text (44.1 kHz)         {seconds / render:8.0f}×")
    print(f"  render only, voice changer (44.1 kHz)     {seconds / follow:8.0f}×")
    print(f"  MP3 128 kbps encode only (lameenc)        {seconds / mp3:8.0f}×")
    print(f"  Opus 64 kbps encode only ({'libopus' if _has_opus() else 'libsndfile'})       {seconds / ogg:8.0f}×")


def _has_opus() -> bool:
    from conformance.audio import opus

    return opus.available()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--quick", action="store_true", help="fewer rounds (a smoke run)")
    args = ap.parse_args()
    n, rounds = (200, 3) if args.quick else (1000, 7)
    json_round_trip(n, rounds)
    synthesis(10.0, 2 if args.quick else 5)


if __name__ == "__main__":
    main()
