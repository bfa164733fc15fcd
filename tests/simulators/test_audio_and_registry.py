"""The simulators' audio engine (render, encoders, the Ogg/Opus writer) and their registry."""

from __future__ import annotations

import io
import os

import numpy as np
import pytest
import soundfile as sf

from conformance import registry as packages
from conformance.audio import opus, probe
from conformance.simulators import FAULTS, Simulator, audio
from conformance.simulators.core import ProviderSimulator, simulator_class
from conformance.spec import endpoints, providers


def test_every_spec_endpoint_has_a_handler_and_every_provider_a_simulator():
    sim = Simulator()
    assert set(sim.providers) == set(providers()) == set(packages.names())
    for pid in packages.names():
        assert issubclass(simulator_class(pid), ProviderSimulator) and simulator_class(pid).provider_id == pid
    for ep in endpoints():
        assert callable(getattr(sim.providers[ep.provider_id], ep.name, None)), ep.id


def test_every_documented_fault_is_registered():
    assert {"rate_limit", "server_error", "timeout", "latency", "truncated_body", "malformed_json",
            "html_error_page", "wrong_content_type", "wrong_sample_rate", "silent_audio",
            "wrong_speaker"} <= set(FAULTS)


def test_ogg_crc_matches_the_bitwise_definition():
    for data in (b"", b"OggS", os.urandom(777)):
        assert opus.ogg_crc(data) == opus.ogg_crc_reference(data)


def _ogg_pages(data: bytes) -> list[tuple[int, int, int]]:
    """(flags, granule, sequence) of every page, checking each page's CRC."""
    import struct

    pages, pos = [], 0
    while pos < len(data):
        assert data[pos:pos + 4] == b"OggS"
        flags, granule, _serial, seq, crc, nseg = struct.unpack("<BqIIIB", data[pos + 5:pos + 27])
        size = 27 + nseg + sum(data[pos + 27:pos + 27 + nseg])
        page = data[pos:pos + size]
        assert opus.ogg_crc(page[:22] + b"\0\0\0\0" + page[26:]) == crc
        pages.append((flags, granule, seq))
        pos += size
    return pages


@pytest.mark.skipif(not opus.available(), reason="libopus0 is not installed (scripts/apt-packages.txt)")
@pytest.mark.parametrize("kbps", [32, 64, 192])
def test_ogg_opus_writer_makes_valid_exact_length_files(kbps):
    y = audio.render(audio.speaker_reference("en_slt"), 3.3, 48000, seed=b"x")
    data = opus.encode_ogg_opus(audio.to_int16(y), kbps * 1000)
    pages = _ogg_pages(data)
    assert pages[0][0] == 0x02 and pages[-1][0] == 0x04  # BOS first, EOS last
    assert [p[2] for p in pages] == list(range(len(pages)))
    decoded, sr = sf.read(io.BytesIO(data), dtype="float32")
    assert sr == 48000 and len(decoded) == len(y)  # pre-skip and end trimming are right
    assert np.corrcoef(decoded, y)[0, 1] > 0.9
    assert probe(data).bitrate == pytest.approx(kbps * 1000, rel=0.06)


def test_opus_fallback_through_libsndfile(monkeypatch):
    monkeypatch.setattr(opus, "available", lambda: False)
    y = audio.render(audio.speaker_reference("en_slt"), 2.0, 48000, seed=b"x")
    info = probe(audio.encode_opus(y, 48000, 64))
    assert (info.format, info.codec, info.sample_rate) == ("ogg", "opus", 48000)
    assert info.bitrate == pytest.approx(64000, rel=0.25)


@pytest.mark.parametrize(("rate", "kbps"), [(44100, 192), (22050, 32), (24000, 48), (16000, 192), (48000, 32)])
def test_mp3_is_constant_bitrate_at_the_asked_rate(rate, kbps):
    y = audio.render(audio.speaker_reference("cs_dita"), 2.0, rate, seed=b"x")
    info = probe(audio.encode(y, rate, "mp3", bitrate_kbps=kbps))
    assert info.sample_rate == rate
    limit = 160 if rate < 32000 else kbps  # the MPEG-2 bitrate ceiling
    assert info.bitrate == min(kbps, limit) * 1000


def test_render_is_deterministic_sized_and_follows_pauses():
    ref = audio.speaker_reference("en_slt")
    a = audio.render(ref, 2.5, 22050, seed=b"one")
    assert len(a) == round(2.5 * 22050)
    assert np.array_equal(a, audio.render(ref, 2.5, 22050, seed=b"one"))
    assert not np.array_equal(a, audio.render(ref, 2.5, 22050, seed=b"two"))
    rms_dbfs = 20 * np.log10(np.sqrt(np.mean(a**2)))
    assert rms_dbfs == pytest.approx(audio.TARGET_RMS_DBFS, abs=1.0)
    follow = np.concatenate([np.ones(8000, np.float32) * 0.3, np.zeros(8000, np.float32)])
    gated = audio.render(ref, 1.0, 16000, seed=b"one", follow=(follow, 16000))
    assert np.abs(gated[10000:]).max() == 0.0 and np.abs(gated[:7000]).max() > 0.05
    silent = audio.render(ref, 1.0, 16000, seed=b"one", follow=(np.zeros(16000, np.float32), 16000))
    assert not silent.any()


def test_wrong_speaker_is_the_most_different_voice():
    sim = Simulator("elevenlabs")
    female = audio.speaker_reference("en_slt")
    other = sim.wrong_speaker_reference(FAULTS["wrong_speaker"](), female)
    assert other.label != female.label
    assert audio.median_pitch(other) < 0.6 * audio.median_pitch(female)


def test_mp3_rates_for_voices_of_any_rate():
    assert [audio.mp3_rate(r) for r in (8000, 16000, 22050, 32000, 96000)] == [16000, 16000, 22050, 32000, 48000]


def test_raw_g711_encoders_round_trip():
    y = audio.render(audio.speaker_reference("en_slt"), 1.0, 8000, seed=b"g711")
    for codec in ("ulaw", "alaw"):
        data = audio.encode(y, 8000, codec)
        assert len(data) == 8000
        back, _ = sf.read(io.BytesIO(data), format="RAW", subtype=codec.upper(), samplerate=8000, channels=1)
        assert np.corrcoef(back, y)[0, 1] > 0.99


def test_the_innermost_simulator_answers_and_the_outer_one_comes_back():
    import httpx

    from conformance.simulators import simulate

    url = "https://api.novita.ai/v3/minimax-voice-cloning"
    with simulate("novita") as outer:
        with simulate("novita") as inner:
            httpx.post(url, json={}, headers={"Authorization": "Bearer k"})
            assert (len(inner.calls), len(outer.calls)) == (1, 0)
        httpx.post(url, json={}, headers={"Authorization": "Bearer k"})
        assert (len(inner.calls), len(outer.calls)) == (1, 1)


def test_sim_transport_answers_without_respx():
    import httpx

    sim = Simulator("novita")
    with httpx.Client(transport=sim.transport(), base_url="http://anything.test") as client:
        r = client.post("/v3/minimax-voice-cloning", json={}, headers={"Authorization": "Bearer k"})
    assert r.status_code == 400 and r.json()["reason"] == "INVALID_REQUEST_BODY"
    assert sim.calls[-1].endpoint_id == "novita.minimax_voice_cloning"


def test_known_sentences_are_spoken_for_real_in_the_fixture_voice():
    from conformance.audio import corpus

    clip = next(c for c in corpus.clips("en_slt") if c.text)
    reference = audio.Reference(corpus.make_clip("en_slt", 12.0, 16000, start=2), 16000, "audio:test")
    assert audio.speaker_of(reference) == "en_slt"
    said = audio.speak_text(reference, clip.text.upper(), 16000, seed=b"s")  # case and spacing do not matter
    real, _ = corpus.load(clip, 16000)
    assert len(said) == len(real)
    assert np.corrcoef(said, real)[0, 1] > 0.99
    two = audio.speak_text(reference, f"{clip.text} Something nobody recorded.", 16000, seed=b"s")
    assert len(two) > len(real) + 0.5 * 16000


def test_voices_outside_the_fixtures_are_not_mistaken_for_one():
    from conformance.audio import corpus

    paths = sorted((corpus.fixtures_dir() / "cohort").glob("*/*.wav"))
    assert paths
    for path in paths[::3]:
        y, sr = sf.read(path, dtype="float32")
        assert audio.speaker_of(audio.Reference(y if y.ndim == 1 else y.mean(axis=1), sr, f"audio:{path}")) is None
