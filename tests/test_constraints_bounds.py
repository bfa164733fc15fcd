"""Range bounds just inside and just outside, inclusive and exclusive, both ends; and path segments
sent quoted, so a voice id cannot change the path."""

from __future__ import annotations

import pytest

from conformance import spec
from conformance.spec.model import Range
from conformance.spec.wire import encode_request, match_endpoint

SRC = spec.get("elevenlabs.speech_to_speech").source
EPS = 1e-9


@pytest.mark.parametrize(("rng", "value", "ok"), [
    (Range(0, 1, SRC), 0.0, True), (Range(0, 1, SRC), 1.0, True),
    (Range(0, 1, SRC), -EPS, False), (Range(0, 1, SRC), 1 + EPS, False),
    (Range(0, 1, SRC, min_exclusive=True), 0.0, False), (Range(0, 1, SRC, min_exclusive=True), EPS, True),
    (Range(0, 1, SRC, max_exclusive=True), 1.0, False), (Range(0, 1, SRC, max_exclusive=True), 1 - EPS, True),
    (Range(None, 4, SRC), -1e300, True), (Range(2, None, SRC), 1e300, True),
    (Range(0, 1, SRC), float("nan"), False), (Range(0, 1, SRC), float("inf"), False),
])
def test_range_bounds(rng: Range, value: float, ok: bool) -> None:
    assert (rng.check(value) is None) is ok, (rng.describe(), value)


@pytest.mark.parametrize("voice_id", ["a/../../v1/user", "voice id?x=1#f", "%2e%2e", "ü"])
def test_path_segments_are_quoted_and_read_back(voice_id: str) -> None:
    ep = spec.get("elevenlabs.speech_to_speech")
    request = encode_request(ep, {"voice_id": voice_id, "audio": b"RIFF"}, base_url="https://api.elevenlabs.io",
                             api_key="k" * 8)
    raw = request.url.raw_path.decode()
    assert raw.startswith("/v1/speech-to-speech/") and raw.count("/") == 3, raw
    assert "?" not in raw.split("?")[0] and not request.url.query  # the id did not add a query
    found = match_endpoint("POST", raw.split("?")[0])
    assert found is not None and found[0].id == ep.id and found[1]["voice_id"] == voice_id
