"""What drift reports look like (the line a CI log shows, the JSON a tool reads, the report's table)
and how schemas and bodies are flattened into the field paths drift compares."""

from __future__ import annotations

import json

from conformance.cassettes.drift import Change, DriftReport, flatten, flatten_schema


def _report() -> DriftReport:
    return DriftReport("cassettes/old", "cassettes/new", [
        Change("field-added", "a.x", 200, "extra", None, ["string"], False),
        Change("field-removed", "b.y", 200, "voice_id", "required", "'voice_id' is a required property", True),
        Change("header-removed", "a.x", None, "x-request-id", "x-request-id", None, True),
    ])


def test_a_change_reads_as_one_line_with_its_severity() -> None:
    r = _report()
    assert r.changes[0].describe() == "[non-breaking] a.x 200: field-added extra: None -> ['string']"
    assert r.changes[2].describe() == "[BREAKING] a.x: header-removed x-request-id: 'x-request-id' -> None"


def test_the_text_puts_breaking_changes_first_under_a_count() -> None:
    lines = _report().to_text().splitlines()
    assert lines[0] == "drift cassettes/old -> cassettes/new: 3 change(s), 2 breaking"
    assert [ln.split("]")[0] for ln in lines[1:]] == ["[BREAKING", "[BREAKING", "[non-breaking"]
    assert lines[1].startswith("[BREAKING] a.x") and lines[2].startswith("[BREAKING] b.y")
    assert _report().exit_code() == 1
    assert DriftReport("o", "n", [Change("field-added", "a.x", 200, "f")]).exit_code() == 0
    assert DriftReport("o", "n").to_text() == "drift o -> n: 0 change(s), 0 breaking"


def test_the_json_and_the_report_section_carry_every_change() -> None:
    data = json.loads(_report().to_json())
    assert (data["old"], data["new"], data["breaking"]) == ("cassettes/old", "cassettes/new", 2)
    assert data["changes"][1] == {"kind": "field-removed", "endpoint": "b.y", "status": 200, "where": "voice_id",
                                  "old": "required", "new": "'voice_id' is a required property", "breaking": True}
    section = _report().report_section()
    assert section["title"] == "API drift"
    assert section["summary"] == {"old": "cassettes/old", "new": "cassettes/new", "changes": 3, "breaking": 2}
    assert section["columns"] == ["severity", "endpoint", "status", "change", "where", "old", "new"]
    assert section["rows"][0] == {"severity": "non-breaking", "endpoint": "a.x", "status": 200,
                                  "change": "field-added", "where": "extra", "old": None, "new": ["string"]}
    assert [r["severity"] for r in section["rows"]] == ["non-breaking", "breaking", "breaking"]


def test_a_schema_flattens_to_every_field_path_it_names() -> None:
    schema = {"type": "object", "properties": {
        "status": {"type": "string"},
        "meta": {"type": "object", "properties": {"id": {"type": "string"}}},
        "output": {"type": "array", "items": {"type": "object", "properties": {"url": {"type": "string"}}}},
    }, "anyOf": [{"properties": {"eta": {"type": "number"}}}], "oneOf": [{"properties": {"tip": {}}}],
        "allOf": [{"properties": {"id": {}}}]}
    assert sorted(flatten_schema(schema)) == sorted(["eta", "tip", "id", "status", "meta", "meta.id", "output",
                                                     "output[].url"])
    assert flatten_schema({"items": {"properties": {"a": {}}}}, "list") == ["list[].a"]
    assert flatten_schema("not a schema") == [] and flatten_schema({"items": "x"}) == []


def test_a_body_flattens_to_its_paths_and_the_types_seen_at_each() -> None:
    got = flatten({"a": {"b": [1, "x"]}, "c": None, "d": True, "e": 1.5})
    assert got == {"a": {"object"}, "a.b": {"array"}, "a.b[]": {"integer", "string"}, "c": {"null"},
                   "d": {"boolean"}, "e": {"number"}}
    assert flatten([{"k": 1}, {"k": "v"}], "out") == {"out[]": {"object"}, "out[].k": {"integer", "string"}}
    assert flatten("scalar") == {}
