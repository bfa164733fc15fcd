"""The results model: masking, audio artifacts, records, JSON Lines and the schema."""

from __future__ import annotations

import base64
import io
import json

import jsonschema
import numpy as np
import pytest
import soundfile as sf

from conformance.report.records import (
    Record,
    RecordWriter,
    build_record,
    encode_audio,
    mask_excerpt,
    merge_files,
    read_lines,
    read_records,
    schema,
)
from tests.report.conftest import tone_wav


@pytest.mark.parametrize("text, secret_part", [
    ("xi-api-key: sk_abc123\nAccept: audio/mpeg", "sk_abc123"),
    ("X-API-Key:  mlabs-key-9", "mlabs-key-9"),
    ("Authorization: Bearer eyJhbGciOi.x.y", "eyJhbGciOi"),
    ('{"key": "novita-secret", "prompt": "hello"}', "novita-secret"),
    ("{'xi-api-key': 'k-in-a-repr'}", "k-in-a-repr"),
    ("GET /v3/async/task-result?key=qwerty12&task_id=1", "qwerty12"),
])
def test_mask_excerpt_hides_credentials(text: str, secret_part: str) -> None:
    masked = mask_excerpt(text)
    assert secret_part not in masked and "***" in masked


def test_mask_excerpt_keeps_the_rest_and_masks_given_secrets_anywhere() -> None:
    masked = mask_excerpt(b'{"key": "a", "text": "say sk_env_1"}\nAccept: audio/mpeg', ["sk_env_1"])
    assert masked == '{"key": "***", "text": "say ***"}\nAccept: audio/mpeg'
    assert "hdr-secret" not in mask_excerpt({"headers": {"Authorization": "hdr-secret"}, "n": 1})


def test_encode_audio_is_compressed_opus_with_pictures_and_levels() -> None:
    wav = tone_wav(300, seconds=2.0, sr=22050)  # not an Opus rate: resampled
    clip = encode_audio(wav)
    data = base64.b64decode(clip["data"])
    assert data[:4] == b"OggS" and len(data) < len(wav) / 4
    decoded, sr = sf.read(io.BytesIO(data))
    assert sr in (24000, 48000) and abs(len(decoded) / sr - 2.0) < 0.05
    assert clip["duration"] == pytest.approx(2.0, abs=0.01) and clip["sample_rate"] == 22050
    assert -12 < clip["peak_dbfs"] < -9 and clip["rms_dbfs"] < clip["peak_dbfs"]
    for key in ("waveform", "spectrogram"):
        assert base64.b64decode(clip[key])[:8] == b"\x89PNG\r\n\x1a\n"


def test_encode_audio_from_samples_and_undecodable_bytes() -> None:
    clip = encode_audio((np.zeros(8000, np.float32), 8000))
    assert clip["duration"] == 1.0 and clip["peak_dbfs"] is None
    bad = encode_audio(b"not audio at all")
    assert "cannot decode audio" in bad["error"] and bad["original_bytes"] == 16


def test_build_record_masks_sorts_fields_and_validates() -> None:
    rec = build_record({"measured": {"sr": np.int64(16000)}, "request_excerpt": "xi-api-key: zz-top",
                        "rule": "sample rate is 16000", "custom": (1, 2), "audio": {"output": tone_wav(200)}},
                       secrets=["s3cr3t"], nodeid="a.py::t", outcome="fail", failure="boom s3cr3t")
    assert rec.measured == {"sr": 16000} and rec.request_excerpt == "xi-api-key: ***"
    assert rec.extra == {"custom": [1, 2]} and rec.failure == "boom ***"
    assert rec.audio["output"]["mime"] == "audio/ogg; codecs=opus"
    jsonschema.validate(rec.to_dict(), schema())
    with pytest.raises(ValueError, match="outcome"):
        Record(nodeid="x", outcome="passed")


def test_record_family_and_round_trip(tmp_path) -> None:
    assert Record("a", "pass", check="negative_data_rejection[speed]").family == "negative_data_rejection"
    assert Record("a", "pass").family == "unmarked"
    w = RecordWriter(tmp_path / "x" / "r.jsonl")
    w.write(Record("a::b", "pass", provider="novita", measured={"x": 1.5}))
    w.write({"kind": "run", "run_id": "r1"})
    (recs,) = [read_records([w.path])]
    assert recs == [Record("a::b", "pass", provider="novita", measured={"x": 1.5}, timestamp=recs[0].timestamp)]


def test_merge_files_puts_runs_first_and_rejects_garbage(tmp_path) -> None:
    a, b = tmp_path / "a.jsonl", tmp_path / "b.jsonl"
    RecordWriter(a).write(Record("z::t", "fail"))
    RecordWriter(b).write(Record("a::t", "pass"))
    RecordWriter(b).write({"kind": "run", "run_id": "r"})
    assert merge_files([a, b], tmp_path / "m.jsonl") == 3
    assert [x.get("nodeid", x["kind"]) for x in read_lines([tmp_path / "m.jsonl"])] == ["run", "a::t", "z::t"]
    (tmp_path / "bad.jsonl").write_text('{"kind": "run"}\n{oops\n')
    with pytest.raises(ValueError, match=r"bad.jsonl:2"):
        read_lines([tmp_path / "bad.jsonl"])


@pytest.mark.parametrize("line, problem", [
    ("[" * 100_000, "not a JSON record: JSON nested more than 100 levels deep"),
    ('{"nodeid": "t", "outcome": "pass", "extra": ' + '{"a": ' * 120 + "1" + "}" * 120 + "}",
     "nested more than 100 levels deep"),
    ('"just text"', "expected a JSON object (one record per line), got a string"),
    ('{"nodeid": "t", "outcome": "pass", "duration": "slow"}', "duration: 'slow' is not of type 'number'"),
    ('{"kind": "run", "run_id": "r", "args": [1]}', "args.0: 1 is not of type 'string'"),
])
def test_read_lines_names_the_line_of_a_hostile_or_mistyped_record(tmp_path, line: str, problem: str) -> None:
    from conformance.report.records import RecordsError

    bad = tmp_path / "bad.jsonl"
    bad.write_text(json.dumps(Record("a::t", "pass").to_dict()) + "\n" + line + "\n")
    with pytest.raises(RecordsError) as err:
        read_lines([bad])
    assert str(err.value).startswith(f"{bad}:2: ") and problem in str(err.value), str(err.value)


def test_schema_is_package_data_and_rejects_a_bad_outcome() -> None:
    from importlib.resources import files

    published = json.loads(files("conformance.report").joinpath("record.schema.json").read_text())
    assert published == schema()
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate({**Record("a", "pass").to_dict(), "outcome": "passed"}, published)


def test_silence_draws_dark_and_speech_draws_light():
    import zlib

    import numpy as np

    from conformance.audio import corpus
    from conformance.report.images import spectrogram

    def mean_brightness(png: bytes) -> float:
        # the PNG's palette indices (0: darkest): decompress IDAT and average
        data, pos, idat = png, 8, b""
        while pos < len(data):
            n = int.from_bytes(data[pos:pos + 4], "big")
            kind = data[pos + 4:pos + 8]
            if kind == b"IDAT":
                idat += data[pos + 8:pos + 8 + n]
            pos += 12 + n
        raw = np.frombuffer(zlib.decompress(idat), dtype=np.uint8)
        return float(raw.mean())

    silence = spectrogram(np.zeros(16000 * 2, dtype=np.float32), 16000)
    speech = spectrogram(corpus.make_clip("en_slt", 2.0, 16000), 16000)
    assert mean_brightness(silence) < 0.1 and mean_brightness(speech) > 1.5


def test_every_text_a_record_carries_is_masked():
    from conformance.report.records import build_record

    key = "sk_live_echoed_back_123"
    rec = build_record({"measured": {"content_type": f"text/{key}", "body": [f"x {key}"]},
                        "expected": {"detail": key}, "rule": f"rule {key}",
                        "extra": {"checks": [{"check": "c", "message": f"echoed {key}", "measured": {"v": key}}]},
                        "cause": f"AssertionError: {key}"}, secrets=[key], nodeid="t::x", outcome="fail")
    assert key not in json.dumps(rec.to_dict())
    assert rec.measured["content_type"] == "text/***" and rec.extra["checks"][0]["message"] == "echoed ***"


def test_the_same_audio_is_encoded_once_per_process(tmp_path, monkeypatch: pytest.MonkeyPatch) -> None:
    from conformance.report import records

    records._ENCODED.clear()
    calls = []
    real = records._encode_audio
    monkeypatch.setattr(records, "_encode_audio", lambda *a: calls.append(1) or real(*a))
    wav = tone_wav(440, 1.0)
    first = encode_audio(wav)
    assert encode_audio(wav) == first and len(calls) == 1  # inline: the cached result
    other = encode_audio(tone_wav(880, 1.0))
    assert other["data"] != first["data"] and len(calls) == 2
    # sidecars: the file is written into each folder that asks for it, from the cache
    a = encode_audio(wav, sidecar_dir=tmp_path / "a" / "media")
    b = encode_audio(wav, sidecar_dir=tmp_path / "b" / "media")
    assert len(calls) == 3 and a["path"] == b["path"]
    assert (tmp_path / "a" / a["path"]).read_bytes() == (tmp_path / "b" / b["path"]).read_bytes()
