"""What a user may pass as audio, each way turned into an AudioInput, and each mistake named with the
parameter: bytes, paths (as ``PathLike`` or text), binary file objects, URLs, base64 text and data URIs."""

from __future__ import annotations

import base64
import dataclasses
import io
from pathlib import Path

import pytest

from conformance import spec
from conformance.spec.model import AudioInput, RawPcm, When
from conformance.spec.wire import (
    _audio_to_json,
    _server_audio,
    audio_from_base64,
    audio_from_user,
    probe_into,
    raw_pcm_rule,
)

STS = spec.get("elevenlabs.speech_to_speech").param("audio")  # no base64
V2V = spec.get("modelslab.voice_to_voice").param("init_audio")  # base64 allowed
WAV = b"RIFF\x24\x00\x00\x00WAVEfmt "


def test_bytes_of_any_buffer_kind_are_bytes() -> None:
    for value in (WAV, bytearray(WAV), memoryview(WAV)):
        got = audio_from_user(value, STS)
        assert got == AudioInput("bytes", data=WAV) and type(got.data) is bytes
    given = AudioInput("url", url="https://x/y.wav")
    assert audio_from_user(given, STS) is given


def test_a_path_is_read_with_its_file_name_and_a_missing_one_is_named(tmp_path: Path) -> None:
    f = tmp_path / "voice.wav"
    f.write_bytes(WAV)
    for value in (f, str(f)):
        assert audio_from_user(value, STS) == AudioInput("path", data=WAV, filename="voice.wav")
    with pytest.raises(ValueError, match=r"^audio: no such audio file '.*missing\.wav'$"):
        audio_from_user(tmp_path / "missing.wav", STS)
    text = str(tmp_path / "missing.wav")
    with pytest.raises(ValueError) as err:
        audio_from_user(text, STS)
    assert str(err.value) == f"audio: {text[:60]!r} is not a URL, an existing file"


def test_a_binary_file_object_is_read_with_its_name_and_a_text_one_is_refused(tmp_path: Path) -> None:
    f = tmp_path / "take 2.wav"
    f.write_bytes(WAV)
    with f.open("rb") as fh:
        assert audio_from_user(fh, STS) == AudioInput("bytes", data=WAV, filename="take 2.wav")
    assert audio_from_user(io.BytesIO(WAV), STS) == AudioInput("bytes", data=WAV, filename=None)
    named = io.BytesIO(WAV)
    named.name = 3  # not a path: no file name
    assert audio_from_user(named, STS).filename is None
    with pytest.raises(ValueError, match=r"^audio: file object must be opened in binary mode$"):
        audio_from_user(io.StringIO("text"), STS)


def test_urls_in_any_case_are_urls_and_other_schemes_are_not() -> None:
    for url in ("https://cdn.example/a.wav", "HTTP://cdn.example/a.wav"):
        assert audio_from_user(url, STS) == AudioInput("url", url=url)
    with pytest.raises(ValueError, match=r"^audio: 'ftp://x/a.wav' is not a URL, an existing file$"):
        audio_from_user("ftp://x/a.wav", STS)


def test_base64_text_where_the_parameter_takes_it() -> None:
    text = base64.b64encode(WAV).decode()
    assert audio_from_user(text, V2V, base64_text=True) == AudioInput("base64", data=WAV)
    uri = "data:audio/wav;base64," + text
    assert audio_from_user(uri, V2V) == AudioInput("base64", data=WAV)  # a data URI says it is base64
    assert audio_from_user("DATA:audio/wav;BASE64," + text + "\n", V2V) == AudioInput("base64", data=WAV)
    with pytest.raises(ValueError, match=r"^init_audio: 'UklGRiQAAABXQVZFZm10IA==' is not a URL, an existing file or base64 text "
                                         r"\(with base64=True\)$"):
        audio_from_user(text, V2V)  # plain base64 text needs base64=True
    with pytest.raises(ValueError, match=r"^audio: 'data:audio/wav;base64,UklG.*' is not a URL, an existing file$"):
        audio_from_user(uri, STS)  # where base64 is not documented it is not taken
    assert audio_from_base64("not base64!!") == AudioInput("base64", data=None, probe_error="not valid base64")
    assert audio_from_base64("data:audio/wav;base64,@@@") == AudioInput("base64", data=None,
                                                                         probe_error="not valid base64")


def test_a_long_string_is_never_taken_for_a_path_and_other_types_are_named(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match=r"^audio: 'aaaa.*' is not a URL, an existing file$"):
        audio_from_user("a" * 5000, STS)
    for value, name in ((3.5, "float"), (None, "NoneType"), ([WAV], "list")):
        with pytest.raises(ValueError, match=rf"^audio: cannot use {name} as audio; give a path, bytes, a binary "
                                             r"file object or a URL$"):
            audio_from_user(value, STS)


# --- what the server side makes of audio it is sent (raw PCM rules, probing, non-URL text) ----------

STS_EP = spec.get("elevenlabs.speech_to_speech")
PCM = b"\x01\x00\xff\xff" * 8000  # 16,000 16-bit samples: 1 s at 16 kHz mono, 0.5 s at 32 kHz


def test_a_raw_pcm_rule_applies_when_its_param_selects_it_given_or_by_default() -> None:
    rule = next(r for r in STS_EP.rules if isinstance(r, When) and isinstance(r.constraint, RawPcm))
    assert raw_pcm_rule(STS_EP, "audio", {"file_format": "pcm_s16le_16"}) is rule.constraint
    assert raw_pcm_rule(STS_EP, "audio", {"file_format": "other"}) is None
    assert raw_pcm_rule(STS_EP, "audio", {}) is None  # the default, "other", is not raw PCM
    assert raw_pcm_rule(STS_EP, "voice_id", {"file_format": "pcm_s16le_16"}) is None  # another param
    # an endpoint whose default selects raw PCM: the rule applies when the param is left out
    fmt = STS_EP.param("file_format")
    by_default = dataclasses.replace(
        STS_EP, params=tuple(dataclasses.replace(p, default="pcm_s16le_16") if p is fmt else p for p in STS_EP.params))
    assert raw_pcm_rule(by_default, "audio", {}) is rule.constraint
    assert raw_pcm_rule(by_default, "audio", {"file_format": "other"}) is None
    assert raw_pcm_rule(by_default, "audio", {"file_format": None}) is None  # sent as null: not the default


def test_probing_headerless_bytes_names_the_error_or_reads_them_as_the_rule_says() -> None:
    unknown = probe_into(AudioInput("bytes", data=PCM))
    assert unknown.info is None
    assert unknown.probe_error.startswith("not a recognised audio format (first bytes 0100ffff")
    raw = probe_into(AudioInput("bytes", data=PCM), RawPcm(32000, STS_EP.source))
    assert raw.probe_error is None
    assert (raw.info.sample_rate, raw.info.channels, raw.info.duration) == (32000, 1, 0.5)
    assert raw.info.sample_format == "s16le"
    wide = probe_into(AudioInput("bytes", data=PCM), RawPcm(16000, STS_EP.source, sample_width=4))
    assert (wide.info.sample_format, wide.info.duration) == ("s32le", 0.5)  # the width names the format
    stereo = probe_into(AudioInput("bytes", data=PCM), RawPcm(16000, STS_EP.source, channels=2))
    assert (stereo.info.channels, stereo.info.duration) == (2, 0.5)
    assert probe_into(AudioInput("url", url="https://x/a.wav")).info is None  # nothing to probe


def test_the_server_reads_audio_by_the_rule_its_request_selects_and_keeps_other_text_as_a_url() -> None:
    audio = STS_EP.param("audio")
    sent = _server_audio(STS_EP, audio, AudioInput("bytes", data=PCM), {"file_format": "pcm_s16le_16"}, None)
    assert sent.probe_error is None and (sent.info.sample_rate, sent.info.duration) == (16000, 1.0)
    plain = _server_audio(STS_EP, audio, AudioInput("bytes", data=PCM), {"file_format": "other"}, None)
    assert plain.info is None and plain.probe_error
    text = _server_audio(STS_EP, audio, "not a url at all", {}, None)
    assert text == AudioInput("url", url="not a url at all")


def test_audio_goes_into_json_as_its_url_or_its_base64_bytes() -> None:
    assert _audio_to_json(AudioInput("url", url="https://x/a.wav")) == "https://x/a.wav"
    assert _audio_to_json(AudioInput("bytes", data=b"abc")) == "YWJj"
    assert _audio_to_json(AudioInput("bytes", data=None)) == ""
    assert _audio_to_json(7) == 7
