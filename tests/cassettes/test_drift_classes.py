"""Every drift class, each with a case that is breaking and one that is not (or no change at all):
the comparison of two observed recordings, directly."""

from __future__ import annotations

from collections import defaultdict

import pytest

from conformance.cassettes.drift import DURATION_TOLERANCE, Observed, compare

EP = "novita.minimax_voice_cloning"


def seen(**kw) -> dict:
    fields = defaultdict(set, {k: set(v) for k, v in kw.pop("fields", {}).items()})
    return {(EP, kw.pop("status", 200)): Observed(fields=fields, **kw)}


def changes(old: dict, new: dict) -> dict[str, bool]:
    return {c.kind: c.breaking for c in compare(old, new).changes}


def test_headers_removed_break_added_do_not() -> None:
    assert changes(seen(headers={"x-request-id", "ratelimit"}), seen(headers={"x-request-id"})) == {
        "header-removed": True}
    assert changes(seen(headers={"x-request-id"}), seen(headers={"x-request-id", "ratelimit"})) == {
        "header-added": False}
    assert changes(seen(headers={"a"}), seen(headers={"a"})) == {}


def test_content_types_removed_break_added_do_not() -> None:
    assert changes(seen(content_types={"application/json"}), seen(content_types={"text/html"})) == {
        "content-type-removed": True, "content-type-added": False}


@pytest.mark.parametrize(("old", "new", "expected"), [
    ({"string"}, {"string", "integer"}, {"field-retyped": True}),   # widened: a client parsing a string breaks
    ({"string"}, {"integer"}, {"field-retyped": True}),
    ({"string", "integer"}, {"string"}, {}),                         # narrowed: every value still parses
    ({"string"}, {"string", "null"}, {}),                            # nullable fields are judged by their type
    ({"string"}, {"string"}, {}),
])
def test_a_field_retyped_or_widened_breaks(old: set, new: set, expected: dict) -> None:
    assert changes(seen(fields={"voice_id": old}), seen(fields={"voice_id": new})) == expected


def test_fields_removed_break_added_do_not() -> None:
    assert changes(seen(fields={"a": {"string"}, "b": {"string"}}), seen(fields={"a": {"string"}})) == {
        "field-removed": True}
    assert changes(seen(fields={"a": {"string"}}), seen(fields={"a": {"string"}, "b": {"integer"}})) == {
        "field-added": False}


def test_statuses_added_break_removed_do_not() -> None:
    old = {**seen(status=200), **seen(status=400)}
    assert changes(old, {**old, **seen(status=429)}) == {"status-added": True}
    assert changes(old, seen(status=200)) == {"status-removed": False}


def _audio(codec: str = "mp3", rate: int = 44100, duration: float = 10.0) -> list[dict]:
    return [{"codec": codec, "sample_rate": rate, "duration": duration}]


def test_audio_codec_and_rate_changes_break() -> None:
    assert changes(seen(audio=_audio()), seen(audio=_audio(codec="opus"))) == {"audio-codec-changed": True}
    assert changes(seen(audio=_audio()), seen(audio=_audio(rate=22050))) == {"audio-sample-rate-changed": True}
    assert changes(seen(audio=_audio()), seen(audio=_audio())) == {}


@pytest.mark.parametrize(("old_s", "new_s", "reported"), [
    (10.0, 10.0 + 1.01, True),    # over both bounds: 1.01 s and 10.1 %
    (10.0, 10.0 + 0.99, False),   # over 0.25 s but under 10 %
    (1.0, 1.0 + 0.24, False),     # over 10 % but under 0.25 s
    (1.0, 1.0 + 0.26, True),
    (10.0, 10.0 - 1.01, True),    # shorter counts too
])
def test_a_duration_change_is_reported_only_past_both_bounds(old_s: float, new_s: float, reported: bool) -> None:
    assert DURATION_TOLERANCE == (0.25, 0.10)
    got = changes(seen(audio=_audio(duration=old_s)), seen(audio=_audio(duration=new_s)))
    assert got == ({"audio-duration-changed": False} if reported else {})
