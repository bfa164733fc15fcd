"""Every rule in the spec: a valid value passes, a violating value is reported with its rule and source.

``CASES`` is checked for completeness against the spec itself: a rule added to the spec without
a case here fails ``test_every_rule_has_a_case``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from conformance import spec
from conformance.spec.model import (
    AudioInput,
    Constraint,
    Param,
    Precedence,
    Rule,
    SpecViolation,
)
from conformance.spec.wire import probe_into
from tests.audiogen import encoded, raw_pcm, wav

EXPECTED_ENDPOINTS = {
    "modelslab.voice_to_voice", "modelslab.text_to_audio", "modelslab.fetch", "novita.minimax_voice_cloning",
    "elevenlabs.speech_to_speech", "faseeh.voice_clone", "faseeh.voice_preview",
}


def audio(data: bytes, kind: str = "bytes") -> AudioInput:
    return probe_into(AudioInput(kind, data=data))  # type: ignore[arg-type]


def url_audio(data: bytes | None = None, url: str = "https://files.example/a.wav") -> AudioInput:
    a = AudioInput("url", url=url, data=data)
    return probe_into(a) if data is not None else a


def b64_audio(data: bytes) -> AudioInput:
    return probe_into(AudioInput("base64", data=data))


BASE: dict[str, dict[str, Any]] = {
    "elevenlabs.speech_to_speech": {"voice_id": "JBFqnCBsd6RMkjVDRZzb", "audio": audio(wav(2))},
    "modelslab.voice_to_voice": {"init_audio": url_audio(), "target_audio": url_audio()},
    "modelslab.text_to_audio": {"prompt": "Hello there, this is a test.", "voice_id": "madison"},
    "modelslab.fetch": {"id": "12345"},
    "novita.minimax_voice_cloning": {"audio_url": url_audio()},
    "faseeh.voice_preview": {"text": "Marhaba, this is a preview", "similarity": 0.8,
                             "model_id": "faseeh-v1-preview", "file": audio(wav(3))},
    "faseeh.voice_clone": {"voice_file": audio(wav(3)), "reference_audio_file": audio(wav(5)),
                           "text": "Marhaba, this is a preview", "stability": 0.5, "name": "Najdi narrator",
                           "model": "faseeh-v1-preview"},
}

# (endpoint, label, valid patch, invalid patch, expected violation rule key)
# label: "param:constraint_key" for param constraints, "request:rule_key:params" for request rules,
# "param:required" / "param:type" for the Param itself.
Case = tuple[str, str, dict[str, Any], dict[str, Any], str]

_50MB = 50 * 1024 * 1024
_20MB = 20 * 1024 * 1024


def _big_wav(size: int, sr: int = 192000) -> bytes:
    """A WAV of ``size`` bytes at a high rate: large but short (file size rules only)."""
    head = wav(0.001, sr)
    data_len = size - 44
    import struct

    return head[:4] + struct.pack("<I", size - 8) + head[8:40] + struct.pack("<I", data_len) + b"\0" * data_len


CASES: list[Case] = [
    # ---- ElevenLabs ---------------------------------------------------------------------
    ("elevenlabs.speech_to_speech", "voice_id:required", {}, {"voice_id": spec.MISSING}, "required"),
    ("elevenlabs.speech_to_speech", "voice_id:not_blank", {"voice_id": "abc"}, {"voice_id": "  "}, "not_blank"),
    ("elevenlabs.speech_to_speech", "enable_logging:type", {"enable_logging": False}, {"enable_logging": "no"}, "type"),
    ("elevenlabs.speech_to_speech", "optimize_streaming_latency:range", {"optimize_streaming_latency": 4},
     {"optimize_streaming_latency": 5}, "range"),
    ("elevenlabs.speech_to_speech", "optimize_streaming_latency:nullable", {"optimize_streaming_latency": None},
     {"optimize_streaming_latency": 1.5}, "type"),
    ("elevenlabs.speech_to_speech", "output_format:one_of", {"output_format": "ulaw_8000"},
     {"output_format": "mp3_44100_256"}, "one_of"),
    ("elevenlabs.speech_to_speech", "audio:required", {}, {"audio": spec.MISSING}, "required"),
    ("elevenlabs.speech_to_speech", "audio:audio_duration", {"audio": audio(wav(300, sr=1000))},
     {"audio": audio(wav(300.1, sr=1000))}, "audio_duration"),
    ("elevenlabs.speech_to_speech", "audio:file_size", {"audio": audio(_big_wav(_50MB))},
     {"audio": audio(_big_wav(_50MB + 1))}, "file_size"),
    ("elevenlabs.speech_to_speech", "model_id:one_of", {"model_id": "eleven_multilingual_sts_v2"},
     {"model_id": "eleven_turbo_v2"}, "one_of"),
    ("elevenlabs.speech_to_speech", "model_id:not_nullable", {"model_id": "eleven_english_sts_v2"},
     {"model_id": None}, "not_nullable"),
    ("elevenlabs.speech_to_speech", "voice_settings:json_object_string",
     {"voice_settings": '{"stability": 0.5}'}, {"voice_settings": "stability=0.5"}, "json_object_string"),
    ("elevenlabs.speech_to_speech", "seed:range", {"seed": 4294967295}, {"seed": 4294967296}, "range"),
    ("elevenlabs.speech_to_speech", "seed:range-low", {"seed": 0}, {"seed": -1}, "range"),
    ("elevenlabs.speech_to_speech", "remove_background_noise:type", {"remove_background_noise": True},
     {"remove_background_noise": 1}, "type"),
    ("elevenlabs.speech_to_speech", "file_format:one_of", {"file_format": "other"}, {"file_format": "wav"}, "one_of"),
    ("elevenlabs.speech_to_speech", "request:when:file_format,audio",
     {"file_format": "pcm_s16le_16", "audio": AudioInput("bytes", data=raw_pcm(2))},
     {"file_format": "pcm_s16le_16", "audio": audio(wav(2))}, "raw_pcm"),
    ("elevenlabs.speech_to_speech", "request:when:file_format,audio-odd",
     {"file_format": "pcm_s16le_16", "audio": AudioInput("bytes", data=b"\0\0" * 100)},
     {"file_format": "pcm_s16le_16", "audio": AudioInput("bytes", data=b"\0" * 201)}, "raw_pcm"),
    ("elevenlabs.speech_to_speech", "request:unknown_parameter", {}, {"speed": 1.0}, "unknown_parameter"),
    # ---- ModelsLab voice_to_voice -------------------------------------------------------
    ("modelslab.voice_to_voice", "init_audio:required", {}, {"init_audio": spec.MISSING}, "required"),
    ("modelslab.voice_to_voice", "init_audio:audio_format", {"init_audio": b64_audio(encoded(3, "MP3")), "base64": True,
                                                             "target_audio": b64_audio(wav(3))},
     {"init_audio": b64_audio(encoded(3, "OGG")), "base64": True, "target_audio": b64_audio(wav(3))}, "audio_format"),
    ("modelslab.voice_to_voice", "init_audio:audio_duration",
     {"init_audio": b64_audio(wav(30)), "base64": True, "target_audio": b64_audio(wav(3))},
     {"init_audio": b64_audio(wav(30.1)), "base64": True, "target_audio": b64_audio(wav(3))}, "audio_duration"),
    ("modelslab.voice_to_voice", "target_audio:required", {}, {"target_audio": spec.MISSING}, "required"),
    ("modelslab.voice_to_voice", "target_audio:audio_format",
     {"target_audio": b64_audio(wav(3)), "base64": True, "init_audio": b64_audio(wav(3))},
     {"target_audio": b64_audio(encoded(3, "FLAC")), "base64": True, "init_audio": b64_audio(wav(3))}, "audio_format"),
    ("modelslab.voice_to_voice", "target_audio:audio_duration",
     {"target_audio": b64_audio(wav(29.9)), "base64": True, "init_audio": b64_audio(wav(3))},
     {"target_audio": b64_audio(wav(31)), "base64": True, "init_audio": b64_audio(wav(3))}, "audio_duration"),
    ("modelslab.voice_to_voice", "base64:type", {"base64": False}, {"base64": "false"}, "type"),
    ("modelslab.voice_to_voice", "temp:type", {"temp": True}, {"temp": "yes"}, "type"),
    ("modelslab.voice_to_voice", "webhook:url", {"webhook": "https://hooks.example/done"},
     {"webhook": "hooks.example/done"}, "url"),
    ("modelslab.voice_to_voice", "webhook:nullable", {"webhook": None}, {"webhook": 5}, "type"),
    ("modelslab.voice_to_voice", "track_id:type", {"track_id": "t-1"}, {"track_id": 7}, "type"),
    ("modelslab.voice_to_voice", "request:when:base64,init_audio",
     {"base64": True, "init_audio": b64_audio(wav(3)), "target_audio": b64_audio(wav(3))},
     {"base64": True, "init_audio": url_audio(), "target_audio": b64_audio(wav(3))}, "base64_audio"),
    ("modelslab.voice_to_voice", "request:when:base64,init_audio-url",
     {"init_audio": url_audio()}, {"init_audio": b64_audio(wav(3))}, "url"),
    ("modelslab.voice_to_voice", "request:when:base64,target_audio",
     {"base64": True, "init_audio": b64_audio(wav(3)), "target_audio": b64_audio(wav(3))},
     {"base64": True, "init_audio": b64_audio(wav(3)), "target_audio": url_audio()}, "base64_audio"),
    ("modelslab.voice_to_voice", "request:when:base64,target_audio-url",
     {"base64": False, "target_audio": url_audio()}, {"base64": False, "target_audio": b64_audio(wav(3))}, "url"),
    # ---- ModelsLab text_to_audio --------------------------------------------------------
    ("modelslab.text_to_audio", "prompt:required", {}, {"prompt": spec.MISSING}, "required"),
    ("modelslab.text_to_audio", "prompt:not_blank", {"prompt": "Hi."}, {"prompt": ""}, "not_blank"),
    ("modelslab.text_to_audio", "init_audio:audio_duration",
     {"init_audio": b64_audio(wav(4)), "base64": True, "voice_id": spec.MISSING},
     {"init_audio": b64_audio(wav(3.9)), "base64": True, "voice_id": spec.MISSING}, "audio_duration"),
    ("modelslab.text_to_audio", "init_audio:audio_duration-max",
     {"init_audio": b64_audio(wav(30)), "base64": True}, {"init_audio": b64_audio(wav(30.1)), "base64": True},
     "audio_duration"),
    ("modelslab.text_to_audio", "voice_id:type", {"voice_id": "madison"}, {"voice_id": 12}, "type"),
    ("modelslab.text_to_audio", "language:one_of", {"language": "arabic"}, {"language": "klingon"}, "one_of"),
    ("modelslab.text_to_audio", "emotion:one_of", {"emotion": "dull"}, {"emotion": "bored"}, "one_of"),
    ("modelslab.text_to_audio", "base64:type", {"base64": False}, {"base64": 0}, "type"),
    ("modelslab.text_to_audio", "temp:type", {"temp": False}, {"temp": None}, "not_nullable"),
    ("modelslab.text_to_audio", "webhook:url", {"webhook": "http://127.0.0.1:9/hook"}, {"webhook": "ftp://x/y"}, "url"),
    ("modelslab.text_to_audio", "track_id:type", {"track_id": None}, {"track_id": ["a"]}, "type"),
    ("modelslab.text_to_audio", "request:at_least_one:init_audio,voice_id",
     {"voice_id": spec.MISSING, "init_audio": url_audio()}, {"voice_id": spec.MISSING}, "at_least_one"),
    ("modelslab.text_to_audio", "request:when:base64,init_audio",
     {"base64": True, "init_audio": b64_audio(wav(5))}, {"base64": True, "init_audio": url_audio()}, "base64_audio"),
    ("modelslab.text_to_audio", "request:when:base64,init_audio-url",
     {"init_audio": url_audio()}, {"init_audio": b64_audio(wav(5))}, "url"),
    # ---- ModelsLab fetch ----------------------------------------------------------------
    ("modelslab.fetch", "id:required", {"id": "99"}, {"id": spec.MISSING}, "required"),
    ("modelslab.fetch", "id:not_blank", {"id": "99"}, {"id": ""}, "not_blank"),
    # ---- Novita -------------------------------------------------------------------------
    ("novita.minimax_voice_cloning", "audio_url:required", {}, {"audio_url": spec.MISSING}, "required"),
    ("novita.minimax_voice_cloning", "audio_url:url", {"audio_url": url_audio()},
     {"audio_url": audio(wav(12))}, "url"),
    ("novita.minimax_voice_cloning", "audio_url:audio_format", {"audio_url": url_audio(encoded(12, "MP3"))},
     {"audio_url": url_audio(encoded(12, "FLAC"))}, "audio_format"),
    ("novita.minimax_voice_cloning", "audio_url:audio_duration", {"audio_url": url_audio(wav(10))},
     {"audio_url": url_audio(wav(9.9))}, "audio_duration"),
    ("novita.minimax_voice_cloning", "audio_url:audio_duration-max", {"audio_url": url_audio(wav(300, sr=1000))},
     {"audio_url": url_audio(wav(300.1, sr=1000))}, "audio_duration"),
    ("novita.minimax_voice_cloning", "audio_url:file_size", {"audio_url": url_audio(_big_wav(_20MB))},
     {"audio_url": url_audio(_big_wav(_20MB + 1))}, "file_size"),
    ("novita.minimax_voice_cloning", "clone_prompt:type",
     {"clone_prompt": {"prompt_audio_url": url_audio(), "prompt_text": "Hello there."}},
     {"clone_prompt": "Hello there."}, "type"),
    ("novita.minimax_voice_cloning", "clone_prompt.prompt_audio_url:required",
     {"clone_prompt": {"prompt_audio_url": url_audio(), "prompt_text": "Hi."}},
     {"clone_prompt": {"prompt_text": "Hi."}}, "required"),
    ("novita.minimax_voice_cloning", "clone_prompt.prompt_audio_url:url",
     {"clone_prompt": {"prompt_audio_url": url_audio(), "prompt_text": "Hi."}},
     {"clone_prompt": {"prompt_audio_url": audio(wav(3)), "prompt_text": "Hi."}}, "url"),
    ("novita.minimax_voice_cloning", "clone_prompt.prompt_audio_url:audio_format",
     {"clone_prompt": {"prompt_audio_url": url_audio(encoded(3, "MP3")), "prompt_text": "Hi."}},
     {"clone_prompt": {"prompt_audio_url": url_audio(encoded(3, "OGG")), "prompt_text": "Hi."}}, "audio_format"),
    ("novita.minimax_voice_cloning", "clone_prompt.prompt_audio_url:audio_duration",
     {"clone_prompt": {"prompt_audio_url": url_audio(wav(7.9)), "prompt_text": "Hi."}},
     {"clone_prompt": {"prompt_audio_url": url_audio(wav(8)), "prompt_text": "Hi."}}, "audio_duration"),
    ("novita.minimax_voice_cloning", "clone_prompt.prompt_text:required",
     {"clone_prompt": {"prompt_audio_url": url_audio(), "prompt_text": "Hi."}},
     {"clone_prompt": {"prompt_audio_url": url_audio()}}, "required"),
    ("novita.minimax_voice_cloning", "clone_prompt.prompt_text:not_blank",
     {"clone_prompt": {"prompt_audio_url": url_audio(), "prompt_text": "Yes!"}},
     {"clone_prompt": {"prompt_audio_url": url_audio(), "prompt_text": "   "}}, "not_blank"),
    ("novita.minimax_voice_cloning", "clone_prompt.prompt_text:ends_with_punctuation",
     {"clone_prompt": {"prompt_audio_url": url_audio(), "prompt_text": "你好。"}},
     {"clone_prompt": {"prompt_audio_url": url_audio(), "prompt_text": "Hello there"}}, "ends_with_punctuation"),
    ("novita.minimax_voice_cloning", "text:length", {"text": "x" * 2000, "model": "speech-02-hd"},
     {"text": "x" * 2001, "model": "speech-02-hd"}, "length"),
    ("novita.minimax_voice_cloning", "model:one_of", {"model": "speech-2.8-turbo"}, {"model": "speech-01-hd"}, "one_of"),
    ("novita.minimax_voice_cloning", "accuracy:range", {"accuracy": 1.0}, {"accuracy": 1.01}, "range"),
    ("novita.minimax_voice_cloning", "accuracy:range-low", {"accuracy": 0}, {"accuracy": -0.01}, "range"),
    ("novita.minimax_voice_cloning", "accuracy:finite", {"accuracy": 0.7}, {"accuracy": float("nan")}, "range"),
    ("novita.minimax_voice_cloning", "need_noise_reduction:type", {"need_noise_reduction": True},
     {"need_noise_reduction": "true"}, "type"),
    ("novita.minimax_voice_cloning", "need_volume_normalization:type", {"need_volume_normalization": False},
     {"need_volume_normalization": 0}, "type"),
    ("novita.minimax_voice_cloning", "request:required_with:model,text",
     {"text": "Preview me.", "model": "speech-02-turbo"}, {"text": "Preview me."}, "required_with"),
    # ---- Faseeh preview -----------------------------------------------------------------
    ("faseeh.voice_preview", "text:required", {}, {"text": spec.MISSING}, "required"),
    ("faseeh.voice_preview", "text:word_count", {"text": "one two three"}, {"text": "onetwothreefour five"}, "word_count"),
    ("faseeh.voice_preview", "text:length", {"text": "aa bb cccc"}, {"text": "aa bb ccc"}, "length"),
    ("faseeh.voice_preview", "similarity:required", {}, {"similarity": spec.MISSING}, "required"),
    ("faseeh.voice_preview", "similarity:range", {"similarity": 0}, {"similarity": 1.5}, "range"),
    ("faseeh.voice_preview", "model_id:required", {}, {"model_id": spec.MISSING}, "required"),
    ("faseeh.voice_preview", "model_id:one_of", {"model_id": "faseeh-mini-v1-preview"},
     {"model_id": "faseeh-v9"}, "one_of"),
    ("faseeh.voice_preview", "speed:range", {"speed": 0.7}, {"speed": 0.69}, "range"),
    ("faseeh.voice_preview", "speed:range-high", {"speed": 1.2}, {"speed": 1.21}, "range"),
    ("faseeh.voice_preview", "file:required", {}, {"file": spec.MISSING}, "required"),
    ("faseeh.voice_preview", "file:audio_format", {"file": audio(encoded(3, "FLAC"))},
     {"file": AudioInput("bytes", data=b"%PDF-1.4 not audio")}, "audio_format"),
    # ---- Faseeh clone -------------------------------------------------------------------
    ("faseeh.voice_clone", "voice_file:required", {}, {"voice_file": spec.MISSING}, "required"),
    ("faseeh.voice_clone", "voice_file:audio_format", {"voice_file": audio(encoded(2, "MP3"))},
     {"voice_file": AudioInput("bytes", data=b"GIF89a.....")}, "audio_format"),
    # the preview's own output (headerless PCM16, 24 kHz) is what clone takes; an odd byte count is not PCM16
    ("faseeh.voice_clone", "voice_file:raw_pcm16", {"voice_file": AudioInput("bytes", data=b"\x01\x00" * 24000)},
     {"voice_file": AudioInput("bytes", data=b"\x01\x00" * 24000 + b"\x01")}, "audio_format"),
    ("faseeh.voice_clone", "reference_audio_file:required", {}, {"reference_audio_file": spec.MISSING}, "required"),
    ("faseeh.voice_clone", "reference_audio_file:audio_format", {"reference_audio_file": audio(wav(4))},
     {"reference_audio_file": AudioInput("bytes", data=b"\x00" * 64)}, "audio_format"),
    ("faseeh.voice_clone", "text:required", {}, {"text": spec.MISSING}, "required"),
    ("faseeh.voice_clone", "text:word_count", {"text": "one two three"}, {"text": "one-two three"}, "word_count"),
    ("faseeh.voice_clone", "text:length", {"text": "abcd ef gh"}, {"text": "ab cd ef"}, "length"),
    ("faseeh.voice_clone", "stability:required", {}, {"stability": spec.MISSING}, "required"),
    ("faseeh.voice_clone", "stability:range", {"stability": 1}, {"stability": 2}, "range"),
    ("faseeh.voice_clone", "name:required", {}, {"name": spec.MISSING}, "required"),
    ("faseeh.voice_clone", "name:not_blank", {"name": "N"}, {"name": " "}, "not_blank"),
    ("faseeh.voice_clone", "model:required", {}, {"model": spec.MISSING}, "required"),
    ("faseeh.voice_clone", "model:one_of", {"model": "faseeh-mini-v1-preview"}, {"model": "gpt"}, "one_of"),
    ("faseeh.voice_clone", "description:type", {"description": "warm"}, {"description": 3}, "type"),
    ("faseeh.voice_clone", "gender:type", {"gender": "female"}, {"gender": True}, "type"),
    ("faseeh.voice_clone", "age:type", {"age": "elderly"}, {"age": 70}, "type"),
    ("faseeh.voice_clone", "languages:comma_list", {"languages": "ar,en"}, {"languages": "ar;en"}, "comma_list"),
    ("faseeh.voice_clone", "dialects:comma_list", {"dialects": "najdi,hijazi"}, {"dialects": "najdi,,"}, "comma_list"),
    ("faseeh.voice_clone", "avatar_url:url", {"avatar_url": "https://img.example/a.png"},
     {"avatar_url": "not a url"}, "url"),
]


def _apply(base: dict[str, Any], patch: dict[str, Any]) -> dict[str, Any]:
    out = dict(base)
    for k, v in patch.items():
        if v is spec.MISSING:
            out.pop(k, None)
        else:
            out[k] = v
    return out


@pytest.mark.parametrize(("endpoint_id", "label", "valid", "invalid", "rule"), CASES,
                         ids=[f"{c[0]}:{c[1]}" for c in CASES])
def test_rule_valid_passes_and_violation_is_reported(endpoint_id: str, label: str, valid: dict[str, Any],
                                                     invalid: dict[str, Any], rule: str) -> None:
    ep = spec.get(endpoint_id)
    ok = _apply(BASE[endpoint_id], valid)
    assert ep.validate(ok) == [], f"valid request rejected: {[str(v) for v in ep.validate(ok)]}"
    bad = _apply(BASE[endpoint_id], invalid)
    violations = ep.validate(bad)
    assert violations, f"{label}: violation not reported for {invalid}"
    assert rule in {v.rule for v in violations}, [str(v) for v in violations]
    param = label.split(":")[0]
    hit = next(v for v in violations if v.rule == rule)
    if param != "request":
        assert hit.param == param
    assert hit.source.doc, "every violation names its source"
    assert hit.message


def _labels_in_spec() -> set[str]:
    """One label per rule the spec encodes: constraints, request rules, required params."""
    out: set[str] = set()
    for ep in spec.endpoints():
        for where, item in ep.all_rules():
            if isinstance(item, Constraint):
                out.add(f"{ep.id}|{where}:{item.key}")
            elif isinstance(item, Rule):
                out.add(f"{ep.id}|request:{item.key}:{','.join(item.params)}")
            elif isinstance(item, Param):
                if item.name in ep.auth_params:
                    continue
                if item.required:
                    out.add(f"{ep.id}|{where}:required")
    return out


def _labels_in_cases() -> set[str]:
    out = set()
    for ep_id, label, *_ in CASES:
        base = label.split("-")[0]
        out.add(f"{ep_id}|{base}")
    return out


def test_every_rule_has_a_case() -> None:
    untested = {lbl for lbl in _labels_in_spec() - _labels_in_cases()
                if ":precedence:" not in lbl}  # precedence is a notice, tested below
    assert not untested, f"rules without a test case: {sorted(untested)}"


def test_endpoints_are_all_there() -> None:
    assert {e.id for e in spec.endpoints()} == EXPECTED_ENDPOINTS
    assert spec.get("elevenlabs.speech_to_speech").path == "/v1/speech-to-speech/{voice_id}"
    assert [e.id for e in spec.endpoints("faseeh")] == ["faseeh.voice_preview", "faseeh.voice_clone"]
    with pytest.raises(KeyError, match="unknown endpoint 'elevenlabs.nope'"):
        spec.get("elevenlabs.nope")
    with pytest.raises(KeyError, match="unknown provider"):
        spec.provider("acme")


def test_precedence_is_a_notice_not_a_violation() -> None:
    ep = spec.get("modelslab.text_to_audio")
    rule = next(r for r in ep.rules if isinstance(r, Precedence))
    both = {"prompt": "Hi there.", "init_audio": url_audio(), "voice_id": "madison"}
    assert ep.validate(both) == []
    notices = ep.notices(both)
    assert len(notices) == 1 and "init_audio takes precedence" in notices[0]
    assert rule.effective(both) == "init_audio"
    assert rule.effective({"voice_id": "madison"}) == "voice_id"
    assert ep.notices({"prompt": "Hi.", "voice_id": "madison"}) == []


def test_all_violations_are_listed_together() -> None:
    ep = spec.get("faseeh.voice_preview")
    bad = {"text": "hi", "similarity": 3, "speed": 2, "file": AudioInput("bytes", data=b"junk")}
    with pytest.raises(SpecViolation) as info:
        ep.check(bad)
    rules = sorted((v.param, v.rule) for v in info.value.violations)
    assert rules == [("file", "audio_format"), ("model_id", "required"), ("similarity", "range"),
                     ("speed", "range"), ("text", "length"), ("text", "word_count")]
    text = str(info.value)
    assert "6 rules violated" in text and "source:" in text


def test_secret_params_are_masked_in_violations() -> None:
    ep = spec.get("modelslab.fetch")
    violations = ep.validate({"id": "1", "key": 12345}, include_auth=True)
    assert violations and all("12345" not in str(v) for v in violations)
    assert any(v.value == "'***'" for v in violations)


def test_assumed_rules_are_marked() -> None:
    preview = spec.get("faseeh.voice_preview")
    assert preview.path_assumed
    novita = spec.provider("novita")
    assert novita.error("not_found").source.assumed  # unknown voice ids are not in the error table
    assert novita.error_shape.source.evidence == "live"  # the body's shape is seen in live captures
    # documented rules are not marked assumed
    assert not spec.get("elevenlabs.speech_to_speech").param("seed").constraints[0].source.assumed
    assert "[assumed]" in str(spec.get("faseeh.voice_clone").param("languages").constraints[0].source)


def test_conflicting_sources_keep_the_other_as_a_variant() -> None:
    fetch = spec.get("modelslab.fetch")
    assert fetch.path == "/api/v1/enterprise/voice/fetch/{id}"
    assert [v.value for v in fetch.variants if v.what == "path"] == ["/api/v1/enterprise/voice-cloning/fetch/{id}"]
    assert any(v.value == {"status": 401} for v in spec.provider("novita").variants)


@pytest.mark.parametrize("provider_id,scheme,name,env", [
    ("elevenlabs", "header", "xi-api-key", "ELEVENLABS_API_KEY"),
    ("modelslab", "json_body", "key", "MODELSLAB_API_KEY"),
    ("novita", "bearer", "Authorization", "NOVITA_API_KEY"),
    ("faseeh", "header", "x-api-key", "FASEEH_API_KEY"),
])
def test_auth_schemes(provider_id: str, scheme: str, name: str, env: str) -> None:
    auth = spec.provider(provider_id).auth
    assert (auth.scheme, auth.name, auth.env_var) == (scheme, name, env)


def test_error_bodies_render_in_each_providers_shape() -> None:
    import jsonschema

    for p in spec.providers().values():
        for case in p.errors:
            body = p.error_shape.render(case, request_id="req-1")
            jsonschema.validate(body, p.error_shape.schema)
    el = spec.provider("elevenlabs")
    v = spec.get("elevenlabs.speech_to_speech").validate({"voice_id": "x", "output_format": "bad"})
    body = el.error_shape.render(el.error("invalid_request"), violations=v,
                                 endpoint=spec.get("elevenlabs.speech_to_speech"))
    assert {tuple(d["loc"]) for d in body["detail"]} == {("body", "audio"), ("query", "output_format")}
    ml = spec.provider("modelslab")
    assert ml.error_shape.render(ml.error("rate_limit"))["retry_after"] == 30
    fa = spec.provider("faseeh")
    # errorCode as each page prints it: a number on the errors page, a string on the voice-preview page
    assert fa.error_shape.render(fa.error("auth")) == {"errorCode": 40101, "errorMessage": "Invalid or missing API key"}
    assert fa.error_shape.render(fa.error("auth"), endpoint=spec.get("faseeh.voice_preview"))["errorCode"] == "40101"


def test_output_formats_parse_into_codec_rate_bitrate() -> None:
    from conformance.providers.elevenlabs.spec import OUTPUT_FORMATS, parse_output_format

    assert len(OUTPUT_FORMATS) == 28
    f = parse_output_format("mp3_22050_32")
    assert (f.codec, f.sample_rate, f.bitrate_kbps, f.container) == ("mp3", 22050, 32, "mp3")
    assert parse_output_format("ulaw_8000").raw_sample_format == "ulaw"
    assert parse_output_format("opus_48000_64").container == "ogg"
    with pytest.raises(ValueError):
        parse_output_format("flac_44100")


def test_the_voice_changers_are_the_endpoints_that_convert_speech() -> None:
    """Seeds 003 and 001: ElevenLabs' voice changer and ModelsLab's voice_to_voice keep the words and
    timing of the input; the suite checks timing preservation on exactly these."""
    from conformance.spec import endpoints

    assert {e.id for e in endpoints() if e.converts_voice} == {"elevenlabs.speech_to_speech",
                                                              "modelslab.voice_to_voice"}
    assert all(any(p.type == "audio" for p in e.params) for e in endpoints() if e.converts_voice)


def test_each_providers_voice_setup_names_a_fixture_speaker_and_documented_variables() -> None:
    """The suite's voice per provider is spec data; the live variables are the ones the README names."""
    from conformance.audio import corpus
    from conformance.spec import providers

    speakers = {s.id for s in corpus.speakers()}
    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")
    for p in providers().values():
        assert p.voice.speaker in speakers, p.id
        if p.voice.premade_voice_id:
            for variable in p.voice.env_vars(p.id):
                assert f"`{variable}`" in readme, variable
    assert providers()["elevenlabs"].voice.env_vars("elevenlabs") == (
        "VOICE_CONFORMANCE_ELEVENLABS_VOICE_ID", "VOICE_CONFORMANCE_ELEVENLABS_VOICE_REFERENCE")


@pytest.mark.parametrize(("data", "ok"), [
    (b"\x01\x00" * 2400, True),  # headerless PCM16
    (b"\x01\x00" * 2400 + b"\x01", False),  # not whole 16-bit frames
    (b"%PDF-1.4 this is not audio " * 8, False),  # an even number of bytes, but a PDF
    (b"RIFF" + b"\x00" * 40, False),  # a broken WAV is not raw PCM
    (b"ID3" + b"\x00" * 41, False),
    (b"OggS" + b"\x00" * 40, False),
    (b"\x00\x00\x00\x18ftypmp42" + b"\x00" * 32, False),
    (b"", False),
])
def test_a_format_that_also_takes_raw_pcm_refuses_other_files(data: bytes, ok: bool) -> None:
    from conformance.spec.model import AudioFormat, RawPcm
    from conformance.strategies import probe_into

    fmt = AudioFormat(("wav", "mp3"), spec.Source("doc"), raw=RawPcm(24000, spec.Source("doc")))
    problem = fmt.check(probe_into(AudioInput("bytes", data=data), None))
    assert (problem is None) is ok, problem
    if not ok:
        assert problem.endswith("must be WAV or MP3 or raw 16-bit little-endian PCM at 24000 Hz, mono")
