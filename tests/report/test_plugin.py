"""The report plugin in real pytest runs: one record per test, xdist shards merged, HTML written."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest

from conformance.report.records import read_lines, schema
from tests.report.conftest import ARGS, SECRET

pytest_plugins = ["pytester"]


def _results(path: Path) -> dict[str, dict]:
    return {x["nodeid"].split("::")[-1]: x for x in read_lines([path]) if x["kind"] == "result"}


def test_one_record_per_test_with_markers_fields_and_audio(sample: pytest.Pytester) -> None:
    pytester = sample
    result = pytester.runpytest(*ARGS, "--conformance-report=out/report.html")
    result.assert_outcomes(passed=3, failed=1, skipped=1)
    html, jsonl = pytester.path / "out/report.html", pytester.path / "out/report.jsonl"
    assert html.is_file() and jsonl.is_file()
    lines = read_lines([jsonl])
    for line in lines:
        jsonschema.validate(line, schema())
    runs = [x for x in lines if x["kind"] == "run"]
    assert len(runs) == 1 and runs[0]["target"] == "simulator" and runs[0]["seed"] == 0
    recs = _results(jsonl)
    assert {k: v["outcome"] for k, v in recs.items()} == {
        "test_accepts": "pass", "test_content_type": "pass", "test_rejects": "fail", "test_rejects_ok": "pass",
        "test_skipped": "skip"}
    assert all(r["run_id"] == runs[0]["run_id"] for r in recs.values())
    bad = recs["test_rejects"]
    assert (bad["provider"], bad["endpoint"], bad["check"]) == (
        "elevenlabs", "elevenlabs.speech_to_speech", "negative_data_rejection")
    assert bad["rule"].startswith("output_format") and bad["measured"] == {"status": 200}
    assert "invalid output_format was accepted" in bad["failure"]
    assert SECRET not in jsonl.read_text() and SECRET not in html.read_text()
    assert "xi-api-key: ***" in bad["request_excerpt"]
    assert recs["test_skipped"]["failure"] == "live elevenlabs: set ELEVENLABS_API_KEY"
    # a test without the fixture still gets its record
    assert recs["test_rejects_ok"]["check"] == "negative_data_rejection" and recs["test_rejects_ok"]["duration"] >= 0
    audio = recs["test_accepts"]["audio"]
    assert set(audio) == {"input", "reference", "output"}
    for clip in audio.values():
        assert clip["mime"].startswith("audio/ogg") and clip["waveform"] and clip["spectrogram"]
        assert clip["duration"] == pytest.approx(1.0, abs=0.01) and clip["sample_rate"] == 16000
    assert recs["test_accepts"]["latency"] == {"ttfb": 0.12, "total": 0.5}
    # no shards left behind
    assert not (pytester.path / "out/.conformance-shards").exists()


def test_xdist_workers_shards_are_merged_by_the_controller(sample: pytest.Pytester) -> None:
    pytester = sample
    result = pytester.runpytest_subprocess(*ARGS, "-n", "2", "--conformance-report=r/c.html")
    result.assert_outcomes(passed=3, failed=1, skipped=1)
    lines = read_lines([pytester.path / "r/c.jsonl"])
    results = [x for x in lines if x["kind"] == "result"]
    assert len(results) == 5 and len({x["nodeid"] for x in results}) == 5
    assert {x["worker"] for x in results} <= {"gw0", "gw1"} and len({x["run_id"] for x in lines}) == 1
    assert [x["kind"] for x in lines].count("run") == 1
    assert (pytester.path / "r/c.html").is_file()
    assert not (pytester.path / "r/.conformance-shards").exists()


def test_empty_option_disables_the_report(sample: pytest.Pytester) -> None:
    pytester = sample
    pytester.runpytest(*ARGS, "--conformance-report=")
    assert not list(pytester.path.rglob("*.html")) and not list(pytester.path.rglob("*.jsonl"))


def test_sidecar_audio_files_beside_the_report(sample: pytest.Pytester) -> None:
    pytester = sample
    pytester.runpytest(*ARGS, "--conformance-report=o/r.html", "--conformance-report-audio=sidecar")
    clip = _results(pytester.path / "o/r.jsonl")["test_accepts"]["audio"]["output"]
    assert "data" not in clip and (pytester.path / "o" / clip["path"]).read_bytes()[:4] == b"OggS"
    assert f'src="{clip["path"]}"' in (pytester.path / "o/r.html").read_text()


def test_junit_xml_stays_available(sample: pytest.Pytester) -> None:
    pytester = sample
    pytester.runpytest(*ARGS, "--junitxml=out/junit.xml", "--conformance-report=out/c.html")
    junit = (pytester.path / "out/junit.xml").read_text()
    assert 'tests="5"' in junit and (pytester.path / "out/c.jsonl").is_file()


def test_cli_merges_shards_of_separate_jobs(sample: pytest.Pytester) -> None:
    from click.testing import CliRunner

    from conformance.cli import main

    pytester = sample
    pytester.runpytest(*ARGS, "--conformance-report=a/c.html", "-k", "accepts or rejects")
    pytester.runpytest(*ARGS, "--conformance-report=b/c.html", "-k", "skipped or content")
    out = pytester.path / "m/merged.html"
    res = CliRunner().invoke(main, ["report", "merge", str(pytester.path / "a/c.jsonl"),
                                    str(pytester.path / "b/c.jsonl"), "-o", str(out)])
    assert res.exit_code == 0, res.output
    lines = read_lines([out.with_suffix(".jsonl")])
    assert [x["kind"] for x in lines].count("run") == 2
    assert sorted(x["nodeid"].split("::")[-1] for x in lines if x["kind"] == "result") == [
        "test_accepts", "test_content_type", "test_rejects", "test_rejects_ok", "test_skipped"]
    assert 'data-outcome="fail" data-count="1"' in out.read_text()
    bad = CliRunner().invoke(main, ["report", "merge", str(pytester.path / "test_sample.py"), "-o", str(out)])
    assert bad.exit_code != 0 and "not a JSON record" in bad.output
    assert json.loads((pytester.path / "a/c.jsonl").read_text().splitlines()[0])["kind"] == "run"


def test_values_registered_as_secrets_are_masked_in_the_report(pytester: pytest.Pytester,
                                                               monkeypatch: pytest.MonkeyPatch) -> None:
    """Not only ``*_API_KEY`` variables: ``--cassette-secret`` values and ``VOICE_CONFORMANCE_SECRETS``."""
    monkeypatch.setenv("VOICE_CONFORMANCE_SECRETS", "gateway-token-from-env")
    pytester.makepyfile(test_secret='''
def test_echo(conformance_record):
    conformance_record(response_excerpt="token gateway-token-from-flag and gateway-token-from-env")
    assert False, "leaked gateway-token-from-flag"
''')
    pytester.runpytest_subprocess("-p", "no:cacheprovider", "--conformance-report=r/c.html",
                                  "--cassette-secret", "gateway-token-from-flag")
    for name in ("r/c.html", "r/c.jsonl"):
        text = (pytester.path / name).read_text()
        assert "gateway-token-from-flag" not in text and "gateway-token-from-env" not in text
    assert "token *** and ***" in (pytester.path / "r/c.jsonl").read_text()
