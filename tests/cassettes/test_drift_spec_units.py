"""Drift of a recording against the spec, branch by branch, on observations made here (the folder reading
is test_drift_observe.py's): downloads, unknown endpoints, undocumented statuses and content types, bodies
that break the documented schema (removed, retyped, otherwise invalid), fields the schema does not list."""

from __future__ import annotations

from collections import defaultdict

import pytest

from conformance.cassettes import drift
from conformance.cassettes.drift import DOWNLOAD, Change, Observed

EP = "novita.minimax_voice_cloning"  # 200: {voice_id: string (required, minLength 1), demo_audio_url: string}
DOCUMENTED = [200, 400, 401, 403, 429, 500]


def ob(content_types=("application/json",), bodies=(), **kw) -> Observed:
    fields: dict[str, set[str]] = defaultdict(set)
    for doc in bodies:
        for p, t in drift.flatten(doc).items():
            fields[p] |= t
    return Observed(content_types=set(content_types), bodies=list(bodies), fields=fields, **kw)


def against_spec(monkeypatch: pytest.MonkeyPatch, seen: dict) -> drift.DriftReport:
    monkeypatch.setattr(drift, "_observed", lambda root: seen)
    return drift.drift_spec("cassettes/x")


def test_a_recording_that_keeps_the_contract_has_no_change(monkeypatch: pytest.MonkeyPatch) -> None:
    report = against_spec(monkeypatch, {(EP, 200): ob(bodies=[{"voice_id": "v1", "demo_audio_url": "https://a/b"}]),
                                        (EP, 400): ob(bodies=[{"reason": "r", "message": "m", "code": 3}])})
    assert report.changes == [] and (report.old, report.new) == ("spec", "cassettes/x")


def test_downloads_must_be_audio_and_unknown_endpoints_are_noted(monkeypatch: pytest.MonkeyPatch) -> None:
    files = DOWNLOAD + "files.example"
    report = against_spec(monkeypatch, {
        (files, 200): ob(content_types=("audio/mpeg", "application/octet-stream", "text/html")),
        (files, 403): ob(content_types=("audio/wav",)),
        ("POST api.example/v9/thing", 200): ob(),
    })
    assert report.changes == [  # in the order of (endpoint, status)
        Change("endpoint-unknown", "POST api.example/v9/thing", 200, "request", None, "POST api.example/v9/thing", False),
        Change("content-type-changed", files, 200, "content-type", ["audio/*"], "text/html", True),
    ]
    assert report.exit_code() == 1 and len(report.breaking) == 1


def test_an_undocumented_status_and_content_type_break(monkeypatch: pytest.MonkeyPatch) -> None:
    report = against_spec(monkeypatch, {(EP, 418): ob(bodies=[{"voice_id": 7}]),
                                        (EP, 200): ob(content_types=("application/json", "text/html"),
                                                      bodies=[{"voice_id": "v"}])})
    assert sorted(report.changes, key=str) == sorted([
        Change("status-added", EP, 418, "response", DOCUMENTED, 418, True),
        Change("content-type-changed", EP, 200, "content-type", ["application/json"], "text/html", True),
    ], key=str)


@pytest.mark.parametrize(("body", "kind", "where", "old"), [
    ({"demo_audio_url": "https://a"}, "field-removed", "(root)", "required"),
    ({"voice_id": 7}, "field-retyped", "voice_id", "string"),
    ({"voice_id": ""}, "schema-violated", "voice_id", 1),
])
def test_a_body_that_breaks_the_schema_names_how_and_where(monkeypatch: pytest.MonkeyPatch, body: dict, kind: str,
                                                          where: str, old: object) -> None:
    (change,) = against_spec(monkeypatch, {(EP, 200): ob(bodies=[body, body])}).changes  # once, for two bodies
    assert (change.kind, change.endpoint, change.status, change.where, change.old, change.breaking) == (
        kind, EP, 200, where, old, True)
    assert isinstance(change.new, str) and 0 < len(change.new) <= 200  # jsonschema's message


def test_a_long_schema_message_is_cut_to_200_characters(monkeypatch: pytest.MonkeyPatch) -> None:
    (change,) = against_spec(monkeypatch, {(EP, 200): ob(bodies=[{"voice_id": ["y" * 400]}])}).changes
    assert change.kind == "field-retyped" and len(change.new) == 200 and change.new.endswith("y")


def test_top_level_fields_the_schema_does_not_list_are_added_nested_ones_are_not(monkeypatch) -> None:
    report = against_spec(monkeypatch, {(EP, 200): ob(bodies=[{"voice_id": "v", "extra": {"deep": [1]}, "n": None}])})
    assert sorted(report.changes, key=str) == sorted([
        Change("field-added", EP, 200, "extra", None, ["object"], False),
        Change("field-added", EP, 200, "n", None, ["null"], False)], key=str)
    assert report.exit_code() == 0


def test_a_body_valid_against_one_of_several_documented_schemas_is_valid(monkeypatch: pytest.MonkeyPatch) -> None:
    """ModelsLab's 200 is success, processing or error: a body is judged against each, and reported only when
    it matches none (the shortest of the schema messages says why); fields of any of them are known."""
    v2v = "modelslab.voice_to_voice"
    processing = {"status": "processing", "id": 7, "tip": "later", "eta": 3}
    failed = {"status": "error", "message": "no"}
    assert against_spec(monkeypatch, {(v2v, 200): ob(bodies=[processing, failed])}).changes == []
    (change,) = against_spec(monkeypatch, {(v2v, 200): ob(bodies=[{"status": "weird", "id": 7}])}).changes
    assert (change.kind, change.where, change.breaking) == ("field-retyped", "status", True)
