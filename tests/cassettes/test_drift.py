"""Drift between recordings, and between a recording and the spec, classed breaking or not."""

from __future__ import annotations

import io
import json
import shutil
from pathlib import Path

import numpy as np
import soundfile as sf
from click.testing import CliRunner

from conformance.cassettes.drift import drift_folders, drift_spec
from conformance.cassettes.store import write_sidecar, write_yaml
from conformance.cli import main

ROOT = Path(__file__).resolve().parents[2]


def _wav(seconds: float, rate: int) -> bytes:
    buf = io.BytesIO()
    sf.write(buf, np.zeros(int(seconds * rate), dtype="int16"), rate, format="WAV", subtype="PCM_16")
    return buf.getvalue()


def _cassette(folder: Path, *, novita: dict, sts_rate: int, sts_seconds: float, status: int = 200,
              ctype: str = "audio/wav") -> Path:
    audio = _wav(sts_seconds, sts_rate)
    digest = write_sidecar(folder / "bodies", audio)
    write_yaml(folder / "c.yaml", {"version": 1, "metadata": {"recorded_at": "2025-01-01T00:00:00Z",
                                                              "origin": "test"}, "interactions": [
        {"request": {"method": "POST", "uri": "https://api.novita.ai/v3/minimax-voice-cloning", "headers": {},
                     "body": None},
         "response": {"status": {"code": status, "message": ""}, "headers": {"content-type": ["application/json"]},
                      "body": {"string": json.dumps(novita)}}},
        {"request": {"method": "POST", "uri": "https://api.elevenlabs.io/v1/speech-to-speech/v", "headers": {},
                     "body": None},
         "response": {"status": {"code": 200, "message": ""},
                      "headers": {"content-type": [ctype], "request-id": ["r1"]},
                      "body": {"sidecar": f"bodies/{digest}.bin", "sha256": digest, "size": len(audio)}}}]})
    return folder


def test_drift_between_folders_classes_changes(tmp_path):
    old = _cassette(tmp_path / "old", novita={"voice_id": "v", "demo_audio_url": "u"}, sts_rate=16000,
                    sts_seconds=2.0)
    same = drift_folders(old, old)
    assert same.changes == [] and same.exit_code() == 0

    added = _cassette(tmp_path / "added", novita={"voice_id": "v", "demo_audio_url": "u", "extra": 1},
                      sts_rate=16000, sts_seconds=2.0)
    r = drift_folders(old, added)
    assert [(c.kind, c.where, c.breaking) for c in r.changes] == [("field-added", "extra", False)]
    assert r.exit_code() == 0

    broke = _cassette(tmp_path / "broke", novita={"voice_id": 7}, sts_rate=24000, sts_seconds=3.0,
                      ctype="audio/x-wav")
    r = drift_folders(old, broke)
    kinds = {(c.kind, c.where): c.breaking for c in r.changes}
    assert kinds[("field-removed", "demo_audio_url")] is True
    assert kinds[("field-retyped", "voice_id")] is True
    assert kinds[("audio-sample-rate-changed", "sample_rate")] is True
    assert kinds[("audio-duration-changed", "duration (mean s)")] is False
    assert kinds[("content-type-removed", "content-type")] is True
    assert r.exit_code() == 1
    section = r.report_section()
    assert section["summary"]["breaking"] == len(r.breaking) and section["rows"]

    status = _cassette(tmp_path / "status", novita={"voice_id": "v"}, sts_rate=16000, sts_seconds=2.0, status=429)
    assert any(c.kind == "status-added" and c.status == 429 and c.breaking for c in drift_folders(old, status).changes)


def test_drift_against_the_spec_and_the_command(tmp_path):
    assert drift_spec(ROOT / "cassettes" / "suite").breaking == []
    bad = _cassette(tmp_path / "bad", novita={"voice_id": 7}, sts_rate=16000, sts_seconds=2.0, status=418)
    r = drift_spec(bad)
    assert any(c.kind == "status-added" and c.status == 418 for c in r.breaking)

    runner = CliRunner()
    ok = runner.invoke(main, ["drift", "--spec", str(ROOT / "cassettes" / "suite")])
    assert ok.exit_code == 0, ok.output
    res = runner.invoke(main, ["drift", str(_cassette(tmp_path / "o", novita={"voice_id": "v"}, sts_rate=16000,
                                                      sts_seconds=2.0)), str(bad), "--format", "json"])
    assert res.exit_code == 1
    assert json.loads(res.output)["breaking"] >= 1
    shutil.rmtree(tmp_path / "o")


def test_drift_over_recordings_that_hold_nothing_is_an_error_not_no_change(tmp_path):
    empty = tmp_path / "empty"
    empty.mkdir()
    keyless = tmp_path / "keyless"  # what a recording run without keys used to leave
    write_yaml(keyless / "t.yaml", {"version": 1, "metadata": {"recorded_at": "2025-01-01T00:00:00Z"},
                                    "interactions": []})
    good = _cassette(tmp_path / "good", novita={"voice_id": "v"}, sts_rate=16000, sts_seconds=2.0)
    runner = CliRunner()
    for args in (["--spec", str(empty)], ["--spec", str(keyless)], [str(good), str(keyless)],
                 [str(empty), str(good)]):
        res = runner.invoke(main, ["drift", *args])
        assert res.exit_code == 2, (args, res.output)
        assert "holds no recorded exchange" in res.output and "0 change(s)" not in res.output
    assert runner.invoke(main, ["drift", str(good), str(good)]).exit_code == 0
