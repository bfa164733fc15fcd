"""What every check reports, beyond pass or fail: its own name, what it measured against what it
expected, the rule it applied and the document it comes from, and (run on a case without what it
reads) which fields were missing. The report and the fault-honesty matrix read these fields; a check
that reported another check's name, dropped its measured values or lost its source would mislead a
user as surely as a wrong verdict.

The cases are built by hand from the providers' documented shapes (Faseeh: ``{"errorCode",
"errorMessage"}``, 400 for an invalid request, 401 for a missing or wrong ``x-api-key``)."""

from __future__ import annotations

import json

import pytest

from conformance import checks, spec
from conformance.checks import CHECKS, Case

# the fields each check reads, in the order it asks for them (checks.py: case.need)
NEEDS = {
    "not_a_server_error": ("status",),
    "content_type_conformance": ("endpoint", "status"),
    "response_schema_conformance": ("endpoint", "status"),
    "negative_data_rejection": ("endpoint", "status", "rule"),
    "ignored_auth": ("endpoint", "status", "auth_case"),
    "positive_data_acceptance": ("endpoint", "status"),
    "output_format_conformance": ("audio", "expect_format"),
    "duration_conformance": ("audio",),
    "audio_not_silent": ("audio",),
    "speaker_verification": ("audio", "reference"),
    "predicted_mos_floor": ("audio",),
    "intelligibility": ("audio", "text"),
    "timing_preservation": ("audio", "source_audio"),
}

EP = "faseeh.voice_clone"
JSON = "application/json"
ERROR = json.dumps({"errorCode": "40001", "errorMessage": "text is required"}).encode()
NOT_THE_SHAPE = json.dumps({"detail": "text is required"}).encode()


def test_every_check_is_listed_with_what_it_reads() -> None:
    assert set(NEEDS) == set(CHECKS)


@pytest.mark.parametrize("name", sorted(NEEDS))
def test_a_case_without_what_a_check_reads_names_the_check_and_every_missing_field(name: str) -> None:
    blank = Case(status=None)
    for f in ("endpoint", "audio", "expect_format", "reference", "text", "source_audio", "rule", "auth_case"):
        setattr(blank, f, None)
    with pytest.raises(ValueError) as err:
        checks.run(name, blank)
    assert str(err.value) == f"check {name} needs {', '.join(NEEDS[name])} in its Case"


def _negative(status: int, body: bytes, **kw: object) -> checks.CheckResult:
    return checks.run("negative_data_rejection", Case(endpoint=spec.get(EP), status=status, body=body,
                                                      content_type=JSON, rule="text:required", **kw))


def test_negative_data_rejection_reports_status_shape_rule_and_source() -> None:
    ep = spec.get(EP)
    src = ep.param("text").source
    ok = _negative(400, ERROR, rule_source=src)
    assert (ok.check, ok.passed, ok.message) == ("negative_data_rejection", True, "rejected with 400")
    assert ok.measured == {"status": 400}
    assert ok.expected["status"] == [400] and ok.expected["error_shape"] == ep.provider.error_shape.description
    assert ok.rule == "text:required" and ok.source == str(src)
    accepted = _negative(200, b'{"voice_id": "v1"}', rule_source=src)
    assert not accepted.passed and accepted.message == "request breaking text:required got status 200"
    assert accepted.check == "negative_data_rejection" and accepted.measured == {"status": 200}
    assert accepted.rule == "text:required" and accepted.source == str(src)
    html = _negative(400, b"<html>bad request</html>")
    assert not html.passed and html.message == "error body is not JSON" and html.expected["status"] == [400]
    shape = _negative(400, NOT_THE_SHAPE)
    assert not shape.passed and shape.message.startswith("error body is not in Faseeh's error shape: ")
    assert "errorCode" in shape.message and shape.measured == {"status": 400}
    no_source = _negative(400, ERROR)
    assert no_source.source == str(ep.source)  # the endpoint's document when the rule has none of its own


def test_negative_data_rejection_takes_the_statuses_of_the_errors_it_is_told_may_answer() -> None:
    assert _negative(404, ERROR, error_names=("not_found",)).passed
    assert not _negative(404, ERROR).passed  # not among invalid_request / invalid_audio
    both = _negative(404, ERROR, error_names=("invalid_request", "not_found"))
    assert both.passed and both.expected["status"] == [400, 404]


def _auth(status: int, body: bytes, which: str = "missing") -> checks.CheckResult:
    return checks.run("ignored_auth", Case(endpoint=spec.get(EP), status=status, body=body, content_type=JSON,
                                           auth_case=which))


def test_ignored_auth_reports_the_key_case_status_and_the_auth_rule() -> None:
    provider = spec.get(EP).provider
    ok = _auth(401, ERROR, "wrong")
    assert (ok.check, ok.passed, ok.message) == ("ignored_auth", True, "wrong key rejected with 401")
    assert ok.measured == {"status": 401, "case": "wrong"} and ok.expected == {"status": [401]}
    assert ok.rule == provider.auth.describe() and ok.source == str(provider.auth.source)
    data = _auth(200, b'{"voice_id": "v1"}')
    assert not data.passed and data.message == "missing key got status 200" and data.check == "ignored_auth"
    assert data.measured == {"status": 200, "case": "missing"} and data.rule == provider.auth.describe()
    shape = _auth(401, NOT_THE_SHAPE)
    assert not shape.passed and shape.message.startswith("auth error body is not in the error shape: ")
    plain = _auth(401, b"Unauthorized")
    assert not plain.passed and plain.message == "auth error body is not in the error shape: not JSON"


def test_an_auth_error_sent_with_http_200_is_judged_by_its_body() -> None:
    ep = spec.get("modelslab.text_to_audio")  # ModelsLab answers errors with HTTP 200 and status "error"
    err = json.dumps({"status": "error", "message": "Invalid API key"}).encode()
    ok = checks.run("ignored_auth", Case(endpoint=ep, status=200, body=err, content_type=JSON, auth_case="wrong"))
    assert ok.passed, ok.explain()
    done = json.dumps({"status": "success", "output": ["https://x/y.wav"]}).encode()
    took = checks.run("ignored_auth", Case(endpoint=ep, status=200, body=done, content_type=JSON, auth_case="wrong"))
    assert not took.passed and took.message == "wrong key was accepted (HTTP 200, no error)"


def test_the_protocol_checks_say_what_they_measured_and_where_the_rule_comes_from() -> None:
    ep = spec.get(EP)
    ctype = checks.run("content_type_conformance", Case(endpoint=ep, status=200, content_type="text/html"))
    assert (ctype.check, ctype.passed) == ("content_type_conformance", False)
    assert ctype.message == "text/html is not documented for 200" and ctype.source
    assert ctype.measured and ctype.expected
    good = checks.run("content_type_conformance", Case(endpoint=ep, status=200, content_type=JSON))
    assert good.passed and good.message == JSON and good.expected == {"content_type": [JSON]}
    assert good.measured == {"content_type": JSON}
    undocumented = checks.run("content_type_conformance", Case(endpoint=ep, status=418, content_type="x/y"))
    assert undocumented.passed and undocumented.message == "status 418 has no documented body"
    schema = checks.run("response_schema_conformance", Case(endpoint=ep, status=400, body=NOT_THE_SHAPE))
    assert (schema.check, schema.passed) == ("response_schema_conformance", False) and schema.source
    fine = checks.run("response_schema_conformance", Case(endpoint=ep, status=400, body=ERROR))
    assert fine.passed and fine.measured == {"state": fine.measured["state"]} and fine.source
    assert fine.message == f"matches the documented {fine.measured['state']} body"
    text = checks.run("response_schema_conformance", Case(endpoint=ep, status=400, body=b"oops"))
    assert not text.passed and text.message == "body is not JSON" and text.measured == {"body": "oops"}
    server = checks.run("not_a_server_error", Case(status=503))
    assert (server.check, server.message, server.measured, server.expected) == (
        "not_a_server_error", "server error 503", {"status": 503}, {"status": "< 500"})
    fine_status = checks.run("not_a_server_error", Case(status=404))
    assert fine_status.message == "status 404" and fine_status.measured == {"status": 404}


def test_every_result_names_its_rule_and_source_when_the_check_sets_none() -> None:
    ep = spec.get(EP)
    r = checks.run("positive_data_acceptance", Case(endpoint=ep, status=200, body=b'{"voice_id": "v"}',
                                                     content_type=JSON))
    assert r.check == "positive_data_acceptance" and r.rule == "A request that follows every documented rule is accepted."
    assert r.source == str(ep.source)
    bare = checks.run("not_a_server_error", Case(status=200))
    assert bare.rule == "An answer, and no 5xx, whatever was sent." and bare.source == "the kit's check not_a_server_error"
