"""The speech corpus: distinct speakers with provenance, exact-duration clips, light import."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from conformance.audio import corpus
from conformance.audio.probe import probe


def test_manifest_lists_real_files_with_provenance():
    speakers = corpus.speakers()
    assert len({s.id for s in speakers}) >= 4
    for s in speakers:
        assert s.source_package and s.licence and s.language
        clips = corpus.clips(s.id)
        assert len(clips) >= 3, s.id
        for c in clips:
            info = probe(c.path)
            assert (info.format, info.channels, info.sample_rate) == ("wav", 1, s.sample_rate)
            assert info.duration == pytest.approx(c.duration, abs=1e-3)
    readme = (corpus.fixtures_dir() / "README.md").read_text()
    for s in speakers:
        assert f"`{s.id}`" in readme and s.source_package in readme


def test_wideband_speakers_are_the_ones_with_wide_sources():
    wide = {s.id for s in corpus.speakers() if s.wideband}
    assert wide == {s.id for s in corpus.speakers() if s.sample_rate >= 32000}
    assert {"en_slt", "en_alsa"} <= wide
    assert "en_kal" not in wide


@pytest.mark.parametrize("seconds", [3.9, 4.0, 7.9, 8.0, 9.9, 10.0, 30.0, 30.1, 300.0, 300.1])
def test_make_clip_is_exactly_as_long_as_asked(seconds):
    y = corpus.make_clip("en_kal", seconds, 16000)
    assert len(y) == round(seconds * 16000)
    assert y.dtype.name == "float32" and float(abs(y).max()) > 0.05


def test_make_clip_at_any_rate_is_that_speakers_speech():
    a = corpus.make_clip("en_alsa", 2.0, 48000)
    b = corpus.make_clip("en_alsa", 2.0, 8000)
    assert len(a) == 96000 and len(b) == 16000
    with pytest.raises(KeyError, match="known"):
        corpus.make_clip("nobody", 1.0, 16000)
    with pytest.raises(ValueError, match="positive"):
        corpus.make_clip("en_kal", 0, 16000)


def test_load_resamples_to_the_asked_rate():
    clip = corpus.clips("en_slt")[0]
    y, sr = corpus.load(clip)
    z, sr2 = corpus.load(clip.path, sr=16000)
    assert (sr, sr2) == (32000, 16000)
    assert abs(len(z) - len(y) / 2) <= 1


def test_fixtures_dir_follows_the_environment(tmp_path):
    speech = tmp_path / "speech" / "x"
    speech.mkdir(parents=True)
    src = corpus.clips("en_kal")[0].path
    (speech / "01.wav").write_bytes(src.read_bytes())
    manifest = {"speakers": [{"id": "x", "description": "copy", "language": "en", "source_package": "test",
                              "licence": "test", "sample_rate": 16000}],
                "clips": [{"speaker": "x", "path": "x/01.wav", "duration": 1.0, "sample_rate": 16000}]}
    (tmp_path / "speech" / "manifest.json").write_text(json.dumps(manifest))
    code = "from conformance.audio import corpus; print([s.id for s in corpus.speakers()], corpus.fixtures_dir())"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                         env={**os.environ, "VOICE_CONFORMANCE_FIXTURES": str(tmp_path), "PYTHONPATH": os.getcwd()})
    assert out.stdout.strip() == f"['x'] {tmp_path}"
