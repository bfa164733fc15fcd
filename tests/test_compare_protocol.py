"""``compare``'s protocol: the default set of voices × texts through each provider, statistics that hold
up (intervals, tied ranking, paired verdicts), the pictures in the HTML, exports, resumable and
mergeable measurements, and a baseline that catches a provider's regression.

One comparison over the default set runs once (a provider degraded by a fault); resuming, merging
and the baseline reuse its measurements, so they measure (almost) nothing again."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

from conformance import compare as cmp

# two voice changers, one degraded (no intelligibility to transcribe on the simulators: their changers keep
# length, not words, so the comparison measures what it is about here: the voice, and the audio quality)
GOOD, BAD = "elevenlabs.speech_to_speech", "modelslab.voice_to_voice"
CLI = ["compare", "--endpoint", GOOD, "--endpoint", BAD]


def run(args: list[str], cwd: Path) -> subprocess.CompletedProcess[str]:
    """``voice-conformance compare`` in this process, in ``cwd`` (a new process would load Python and the
    audio models again for each of the five runs here)."""
    from click.testing import CliRunner

    from conformance.cli import main

    with pytest.MonkeyPatch.context() as mp:
        mp.chdir(cwd)
        result = CliRunner().invoke(main, [*CLI, *args], catch_exceptions=False)
    return subprocess.CompletedProcess(CLI, result.exit_code, result.stdout, result.stderr)


@pytest.mark.long
def test_the_default_set_through_a_degraded_provider(tmp_path: Path) -> None:
    """One comparison over the default set, a provider degraded by a fault; then what is read from it
    (one test: the comparison is the expensive part, and xdist would run a shared fixture per worker)."""
    work = tmp_path / "run"
    work.mkdir()
    degraded = work, run(["--inject", f"wrong_speaker@{BAD}", "--export", "stats.json", "-o", "r/compare.html"], work)
    a_degraded_provider_is_significantly_worse(degraded)
    the_report_plots_intervals_win_matrix_and_per_voice_heat_map(degraded)
    measurements_stream_one_line_per_output(degraded)
    for i, check in enumerate((an_interrupted_comparison_resumes_with_what_is_missing,
                               shards_merge_into_the_same_statistics,
                               a_baseline_shows_which_metric_moved_and_a_regression_fails)):
        (tmp_path / str(i)).mkdir()
        check(degraded, tmp_path / str(i))


def test_the_default_set_is_several_voices_of_both_sexes_times_several_texts() -> None:
    s = cmp.default_set()
    assert len(s.voices) >= 4 and {v.gender for v in s.voices} == {"female", "male"}
    assert len(s.texts) >= 3 and all(t.source for t in s.texts)  # voice changers get real speech of each
    assert cmp.SOURCE_SPEAKER not in {v.id for v in s.voices}
    assert len({v.reference for v in s.voices}) == len(s.voices)


def a_degraded_provider_is_significantly_worse(degraded) -> None:
    work, done = degraded
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-2000:]
    cells = cmp.default_set().size
    assert f"[{2 * cells}/{2 * cells}]" in done.stdout  # progress per output
    stats = json.loads((work / "stats.json").read_text())
    sim = stats["metrics"]["speaker_similarity"]
    assert [(r["place"], r["endpoint"]) for r in sim["ranking"]] == [(1, GOOD), (2, BAD)]
    assert sim["endpoints"][GOOD]["low"] > sim["endpoints"][BAD]["high"]
    assert sim["endpoints"][GOOD]["n"] == cells
    (pair,) = sim["pairs"]
    assert pair["verdict"] == f"{GOOD} better" and pair["p_value"] < 0.05 and pair["p_a_better"] > 0.95
    assert f"{GOOD} better" in done.stdout and "95 % bootstrap interval" in done.stdout


def the_report_plots_intervals_win_matrix_and_per_voice_heat_map(degraded) -> None:
    work, _ = degraded
    page = (work / "r" / "compare.html").read_text()
    for metric in ("speaker_similarity", "predicted_mos"):
        assert f'<svg class="intervals" data-metric="{metric}"' in page
        assert f'<table class="win-matrix" data-metric="{metric}"' in page
        assert f'<table class="heat" data-metric="{metric}"' in page
    for voice in cmp.DEFAULT_VOICES:
        assert f"<th>{voice}</th>" in page
    assert f'data-a="{GOOD}" data-b="{BAD}"' in page and "1.00 ●" in page
    # the audio behind every cell: one record per output, with its reference and the converted speech
    from conformance.report.records import read_lines

    results = [x for x in read_lines([work / "r" / "compare.jsonl"]) if x["kind"] == "result"]
    assert len(results) == 2 * cmp.default_set().size
    assert all(set(x["audio"]) == {"reference", "input", "output"} for x in results)
    assert {(x["endpoint"], x["extra"]["voice"], x["extra"]["text"]) for x in results} == {
        (ep, v, t) for ep in (GOOD, BAD) for v in cmp.DEFAULT_VOICES for t in ("text1", "text2", "text3")}


def measurements_stream_one_line_per_output(degraded) -> None:
    work, _ = degraded
    ms = cmp.read_measurements([work / "r" / "compare.measurements.jsonl"])
    assert len(ms) == 2 * cmp.default_set().size and all(m.status == "ok" for m in ms)
    assert {m.voice for m in ms} == set(cmp.DEFAULT_VOICES)


def _copy(degraded, tmp_path: Path) -> Path:
    work, _ = degraded
    shutil.copytree(work / "r", tmp_path / "r")
    return tmp_path / "r" / "compare.measurements.jsonl"


def an_interrupted_comparison_resumes_with_what_is_missing(degraded, tmp_path: Path) -> None:
    jsonl = _copy(degraded, tmp_path)
    lines = jsonl.read_text().splitlines()
    jsonl.write_text("\n".join(lines[:-3]) + "\n")  # three outputs lost
    done = run(["--resume", "--inject", f"wrong_speaker@{BAD}", "-o", "r/compare.html"], tmp_path)
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    assert f"{len(lines) - 3} already measured" in done.stdout
    assert done.stdout.count("] modelslab") + done.stdout.count("] elevenlabs") == 3  # only the missing ones
    assert len(cmp.read_measurements([jsonl])) == len(lines)


def shards_merge_into_the_same_statistics(degraded, tmp_path: Path) -> None:
    work, _ = degraded
    lines = (work / "r" / "compare.measurements.jsonl").read_text().splitlines()
    (tmp_path / "a.jsonl").write_text("\n".join(lines[::2]) + "\n")
    (tmp_path / "b.jsonl").write_text("\n".join(lines[1::2]) + "\n")
    done = run(["--merge", "a.jsonl", "--merge", "b.jsonl", "--inject", f"wrong_speaker@{BAD}", "--export",
                "merged.json", "-o", "m/compare.html"], tmp_path)  # the same setup as the shards
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    assert f"{len(lines)} already measured" in done.stdout and "] modelslab" not in done.stdout  # nothing sent
    merged = json.loads((tmp_path / "merged.json").read_text())["metrics"]
    original = json.loads((work / "stats.json").read_text())["metrics"]
    assert merged["speaker_similarity"]["endpoints"] == original["speaker_similarity"]["endpoints"]


def a_baseline_shows_which_metric_moved_and_a_regression_fails(degraded, tmp_path: Path) -> None:
    jsonl = _copy(degraded, tmp_path)
    # last week, the degraded endpoint spoke in the right voice: its speaker similarity was as good as elevenlabs'
    before = []
    for line in jsonl.read_text().splitlines():
        d = json.loads(line)
        if d["endpoint"] == BAD:
            d["metrics"]["speaker_similarity"] = 0.95
        before.append(json.dumps(d))
    (tmp_path / "last-week.jsonl").write_text("\n".join(before) + "\n")
    done = run(["--resume", "--inject", f"wrong_speaker@{BAD}", "--baseline", "last-week.jsonl", "--export", "s.csv",
                "-o", "r/compare.html"], tmp_path)
    assert done.returncode == 1, done.stdout[-2000:] + done.stderr[-2000:]  # a metric got significantly worse
    assert "1 significant change(s)" in done.stdout
    line = next(x for x in done.stdout.splitlines() if x.startswith(BAD) and "speaker_similarity" in x)
    assert line.rstrip().endswith("worse") and "paired" in line
    assert not any(x.startswith(GOOD) and x.rstrip().endswith("worse") for x in done.stdout.splitlines())
    page = (tmp_path / "r" / "compare.html").read_text()
    assert f'<tr data-verdict="worse"><td>{BAD}</td><td>speaker_similarity</td>' in page
    csv = (tmp_path / "s.csv").read_text().splitlines()
    assert csv[0] == "metric,endpoint,mean,low,high,n,place,tied_with"
    assert any(r.startswith(f"speaker_similarity,{GOOD},") for r in csv)


def test_a_set_manifest_is_read_and_its_mistakes_are_named(tmp_path: Path) -> None:
    import numpy as np
    import soundfile as sf

    sr = 16000
    y = (0.1 * np.sin(2 * np.pi * 220 * np.arange(sr * 2) / sr)).astype("float32")
    sf.write(tmp_path / "anna.wav", y, sr)
    manifest = {"voices": [{"id": "anna", "reference": "anna.wav", "gender": "female",
                            "voices": {"elevenlabs": "v123"}}],
                "texts": [{"id": "hi", "text": "Hello there, how are you?"}]}
    (tmp_path / "manifest.json").write_text(json.dumps(manifest))
    s = cmp.load_set(tmp_path)
    assert [v.id for v in s.voices] == ["anna"] and s.voices[0].voices == {"elevenlabs": "v123"}
    assert [t.id for t in s.texts] == ["hi"] and s.texts[0].source is None and s.size == 1
    bad = {**manifest, "texts": [{"text": "Too short"}]}
    (tmp_path / "manifest.json").write_text(json.dumps(bad))
    with pytest.raises(cmp.CompareError, match=r"texts\[0\] needs a \"text\" of at least three words"):
        cmp.load_set(tmp_path)
    (tmp_path / "manifest.json").write_text(json.dumps({**manifest, "voices": [{"reference": "missing.wav"}]}))
    with pytest.raises(cmp.CompareError, match="missing.wav: cannot read"):
        cmp.load_set(tmp_path)
    dup = {**manifest, "voices": manifest["voices"] * 2}
    (tmp_path / "manifest.json").write_text(json.dumps(dup))
    with pytest.raises(cmp.CompareError, match="voices ids repeat: anna"):
        cmp.load_set(tmp_path / "manifest.json")
    (tmp_path / "manifest.json").write_text("[1, 2]")
    with pytest.raises(cmp.CompareError, match='lists "voices" and "texts"'):
        cmp.load_set(tmp_path)


def test_a_broken_measurements_file_is_named_with_its_line(tmp_path: Path) -> None:
    good = cmp.Measurement("a.x", "v", "t", metrics={"m": 0.5}).to_json("r1")
    newer = cmp.Measurement("a.x", "v", "t", metrics={"m": 0.7}).to_json("r2")
    p = tmp_path / "m.jsonl"
    p.write_text(json.dumps(good) + "\n" + json.dumps({"kind": "run"}) + "\n" + json.dumps(newer) + "\n")
    (m,) = cmp.read_measurements([p])
    assert m.metrics == {"m": 0.7}  # a cell measured twice keeps the last
    p.write_text(json.dumps(good) + "\n{not json\n")
    with pytest.raises(cmp.CompareError, match=r"m.jsonl:2: not a JSON line"):
        cmp.read_measurements([p])


def test_set_and_single_inputs_are_exclusive(tmp_path: Path) -> None:
    from click.testing import CliRunner

    from conformance.cli import main

    result = CliRunner().invoke(main, ["compare", "--set", str(tmp_path), "--text", "one two three four"])
    assert result.exit_code == 2 and "give either a set (--set) or one --text" in result.output


def test_measurements_from_other_inputs_or_that_failed_are_measured_again() -> None:
    s = cmp.default_set(voices=1, texts=1)
    first = cmp.compare("simulator", ["faseeh"], pset=s)
    (m,) = first.measurements
    assert m.status == "ok" and m.inputs and m.setup
    seen: list[tuple[int, int]] = []
    again = cmp.compare("simulator", ["faseeh"], pset=s, done=[m], on_plan=lambda kept, n: seen.append((len(kept), n)))
    assert seen == [(1, 1)] and again.measurements[0] is m  # the same inputs and setup: kept
    other_text = cmp.ProtocolSet(s.voices, [cmp.SetText(s.texts[0].id, "Four hours of steady work faced us.")])
    cmp.compare("simulator", ["faseeh"], pset=other_text, done=[m], on_plan=lambda kept, n: seen.append((len(kept), n)))
    failed = cmp.Measurement(m.endpoint, m.voice, m.text, "error", reason="timeout", inputs=m.inputs, setup=m.setup)
    cmp.compare("simulator", ["faseeh"], pset=s, done=[failed], on_plan=lambda kept, n: seen.append((len(kept), n)))
    cmp.compare("simulator", ["faseeh"], pset=s, done=[m], faults=["silent_audio@faseeh.voice_preview"],
                on_plan=lambda kept, n: seen.append((len(kept), n)))
    assert seen[1:] == [(0, 1), (0, 1), (0, 1)]  # another text, a failed cell, another setup: measured again


def test_a_measurements_file_keeps_only_finite_numbers_and_refuses_what_is_not_one(tmp_path: Path) -> None:
    p = tmp_path / "m.jsonl"
    p.write_text('{"kind": "compare-measurement", "endpoint": "a.x", "voice": "v", "text": "t", '
                 '"metrics": {"m": NaN, "n": 0.5, "o": Infinity, "p": true}}\n')
    (m,) = cmp.read_measurements([p])
    assert m.metrics == {"n": 0.5}
    p.write_text('{"kind": "compare-measurement", "endpoint": "a.x", "voice": "v", "text": "t", "metrics": [1]}\n')
    with pytest.raises(cmp.CompareError, match="m.jsonl:1: not a measurement: metrics must be an object"):
        cmp.read_measurements([p])
    p.write_text('{"kind": "run", "run_id": "x"}\n')  # a report's results, not measurements
    with pytest.raises(cmp.CompareError, match="holds no compare measurements"):
        cmp.read_measurements([p])
    p.write_text("")
    assert cmp.read_measurements([p]) == []


def test_a_comparison_that_cannot_run_leaves_the_measurements_file_alone(tmp_path: Path) -> None:
    from click.testing import CliRunner

    from conformance.cli import main

    out = tmp_path / "compare.html"
    kept = cmp.measurements_path(out)
    kept.write_text(json.dumps(cmp.Measurement("a.x", "v", "t", metrics={"m": 0.5}).to_json("r")) + "\n")
    before = kept.read_text()
    result = CliRunner().invoke(main, ["compare", "--target", "cassette", "-o", str(out), "--resume"])
    assert result.exit_code == 2 and "compare needs fresh answers" in result.output
    assert kept.read_text() == before
