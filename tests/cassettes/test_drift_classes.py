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


def test_each_change_names_its_endpoint_status_place_and_both_values() -> None:
    """Every field of every change, as the report and the JSON show them."""
    from conformance.cassettes.drift import Change

    def only(old: dict, new: dict, **names) -> Change:
        report = compare(old, new, **names)
        (change,) = report.changes
        return change

    both = {**seen(status=200), **seen(status=400)}
    assert only(both, {**both, **seen(status=429)}) == Change("status-added", EP, 429, "response", None, 429, True)
    assert only(both, seen(status=200)) == Change("status-removed", EP, 400, "response", 400, None, False)
    assert compare(both, {("other.endpoint", 500): Observed()}).changes == []  # an endpoint seen only once
    assert only(seen(content_types={"a/b", "c/d"}), seen(content_types={"c/d"})) == Change(
        "content-type-removed", EP, 200, "content-type", "a/b", ["c/d"], True)
    assert only(seen(content_types={"c/d"}), seen(content_types={"a/b", "c/d"})) == Change(
        "content-type-added", EP, 200, "content-type", ["c/d"], "a/b", False)
    assert only(seen(headers={"x-a"}), seen()) == Change("header-removed", EP, 200, "x-a", "present", None, True)
    assert only(seen(), seen(headers={"x-a"})) == Change("header-added", EP, 200, "x-a", None, "present", False)
    assert only(seen(fields={"a": {"string"}, "b": {"integer", "null"}}), seen(fields={"a": {"string"}})) == Change(
        "field-removed", EP, 200, "b", ["integer", "null"], None, True)
    assert only(seen(fields={"a": {"string"}}), seen(fields={"a": {"string"}, "b": {"null", "array"}})) == Change(
        "field-added", EP, 200, "b", None, ["array", "null"], False)
    assert only(seen(fields={"a": {"string", "null"}}), seen(fields={"a": {"integer"}})) == Change(
        "field-retyped", EP, 200, "a", ["null", "string"], ["integer"], True)
    assert only(seen(audio=_audio() + _audio(codec="pcm")), seen(audio=_audio(codec="opus"))) == Change(
        "audio-codec-changed", EP, 200, "codec", ["mp3", "pcm"], ["opus"], True)
    assert only(seen(audio=_audio(rate=16000) + _audio()), seen(audio=_audio(rate=22050))) == Change(
        "audio-sample-rate-changed", EP, 200, "sample_rate", [16000, 44100], [22050], True)
    assert only(seen(audio=_audio(duration=10.12345)), seen(audio=_audio(duration=12.5))) == Change(
        "audio-duration-changed", EP, 200, "duration (mean s)", 10.123, 12.5, False)
    named = compare(seen(), seen(headers={"x"}), old_name="cassettes/live", new_name="cassettes/live-new")
    assert (named.old, named.new) == ("cassettes/live", "cassettes/live-new")
    assert (compare({}, {}).old, compare({}, {}).new) == ("old", "new")


def test_a_body_turning_into_audio_loses_no_field_silently_and_audio_without_a_length_is_not_compared() -> None:
    """Fields that vanish because the answer became audio are not each reported; they are when a JSON answer
    lost them. Audio whose length is unknown on either side gives no duration change."""
    json_then_audio = compare(seen(fields={"a": {"string"}}), seen(audio=_audio()))
    assert [c.kind for c in json_then_audio.changes] == ["field-removed"]
    audio_then_audio = compare(seen(fields={"a": {"string"}}, audio=_audio()), seen(audio=_audio()))
    assert audio_then_audio.changes == []
    unknown = [{"codec": "mp3", "sample_rate": 44100, "duration": None}]
    assert compare(seen(audio=unknown), seen(audio=_audio(duration=30.0))).changes == []
    assert compare(seen(audio=_audio(duration=30.0)), seen(audio=unknown)).changes == []
    assert compare(seen(audio=_audio()), seen()).changes == []  # audio on one side only: nothing to compare
