"""The exact records a bad request produces, and the texts and lookups built on them.

A violation's rule, parameter, masked value, message, source and kind reach users verbatim: in a
client's ``SpecViolation``, in a simulator's error body, in the JSON report. These tests pin them
whole, for each way a parameter or a request-level rule can be broken, together with the
response-side helpers that judge what came back (JSON Schema messages, content types).
"""

from __future__ import annotations

from typing import Any

import jsonschema
import pytest

from conformance import spec
from conformance.spec.model import (
    RULES,
    AtLeastOne,
    AudioInput,
    Endpoint,
    Length,
    Param,
    Precedence,
    RequiredWith,
    ResponseContract,
    Source,
    SpecViolation,
    Violation,
    When,
    content_type_ok,
    schema_errors,
)
from conformance.spec.wire import probe_into
from tests.audiogen import wav

DOC = Source("docs.faseeh.ai", "voice-preview")
ASSUMED = Source("docs.faseeh.ai", assumed=True)

SPEED = Violation("range", "speed", "2", "must be in [0.7, 1.2]", DOC)
MODEL = Violation("required", "model_id", "(missing)", "is required", DOC, "missing")
EITHER = Violation("at_least_one", None, "(missing)", "one of a, b is required", ASSUMED, "missing")


def url_audio(url: str = "https://files.example/a.wav") -> AudioInput:
    return AudioInput("url", url=url)


def clone_request(**patch: Any) -> dict[str, Any]:
    """A valid faseeh.voice_clone request, with ``patch`` applied (``spec.MISSING`` drops a key)."""
    base: dict[str, Any] = {
        "voice_file": probe_into(AudioInput("bytes", data=wav(3))),
        "reference_audio_file": probe_into(AudioInput("bytes", data=wav(5))),
        "text": "Marhaba, this is a preview", "stability": 0.5, "name": "Najdi narrator",
        "model": "faseeh-v1-preview",
    }
    for k, v in patch.items():
        if v is spec.MISSING:
            base.pop(k, None)
        else:
            base[k] = v
    return base


# --------------------------------------------------------------------------------------------
# a violation, as printed and as reported
# --------------------------------------------------------------------------------------------


def test_a_violation_prints_its_param_and_value_then_message_rule_and_source() -> None:
    assert str(SPEED) == "speed=2: must be in [0.7, 1.2] [range; source: docs.faseeh.ai, voice-preview]"
    assert str(MODEL) == "model_id=(missing): is required [required; source: docs.faseeh.ai, voice-preview]"


def test_a_request_level_violation_prints_no_param_prefix() -> None:
    assert str(EITHER) == "one of a, b is required [at_least_one; source: docs.faseeh.ai [assumed]]"


def test_a_violation_reports_every_field_with_its_source_as_text() -> None:
    assert SPEED.as_dict() == {
        "rule": "range", "param": "speed", "value": "2", "message": "must be in [0.7, 1.2]",
        "source": "docs.faseeh.ai, voice-preview", "assumed": False, "kind": "invalid",
    }
    assert EITHER.as_dict() == {
        "rule": "at_least_one", "param": None, "value": "(missing)", "message": "one of a, b is required",
        "source": "docs.faseeh.ai [assumed]", "assumed": True, "kind": "missing",
    }


# --------------------------------------------------------------------------------------------
# SpecViolation: the error a client raises
# --------------------------------------------------------------------------------------------


def test_spec_violation_with_one_rule_says_rule_in_the_singular() -> None:
    exc = SpecViolation("faseeh.voice_preview", iter([SPEED]))
    assert exc.endpoint_id == "faseeh.voice_preview"
    assert exc.violations == (SPEED,)
    assert str(exc) == ("faseeh.voice_preview: 1 rule violated:\n"
                        "  - speed=2: must be in [0.7, 1.2] [range; source: docs.faseeh.ai, voice-preview]")


def test_spec_violation_with_two_rules_lists_them_one_per_line_in_the_plural() -> None:
    exc = SpecViolation("faseeh.voice_preview", [SPEED, MODEL])
    assert exc.violations == (SPEED, MODEL)
    assert str(exc) == (
        "faseeh.voice_preview: 2 rules violated:\n"
        "  - speed=2: must be in [0.7, 1.2] [range; source: docs.faseeh.ai, voice-preview]\n"
        "  - model_id=(missing): is required [required; source: docs.faseeh.ai, voice-preview]")


def test_spec_violation_with_three_rules_is_plural_too() -> None:
    exc = SpecViolation("x.y", [SPEED, MODEL, EITHER])
    assert str(exc).splitlines() == [
        "x.y: 3 rules violated:",
        "  - speed=2: must be in [0.7, 1.2] [range; source: docs.faseeh.ai, voice-preview]",
        "  - model_id=(missing): is required [required; source: docs.faseeh.ai, voice-preview]",
        "  - one of a, b is required [at_least_one; source: docs.faseeh.ai [assumed]]",
    ]


def test_check_raises_a_spec_violation_naming_the_endpoint_and_every_broken_rule() -> None:
    ep = spec.get("novita.minimax_voice_cloning")
    rule = ep.rules[0]
    with pytest.raises(SpecViolation) as info:
        ep.check({"audio_url": url_audio(), "text": "Hello there."})
    assert info.value.endpoint_id == "novita.minimax_voice_cloning"
    assert str(info.value) == ("novita.minimax_voice_cloning: 1 rule violated:\n"
                               f"  - model=(missing): is required when text is given [required_with; source: "
                               f"{rule.source}]")
    ep.check({"audio_url": url_audio(), "text": "Hello there.", "model": "speech-02-hd"})  # valid: no raise


def test_check_passes_its_options_on_to_validate() -> None:
    ep = spec.get("faseeh.voice_clone")
    extra = clone_request(pitch=3)
    with pytest.raises(SpecViolation) as info:
        ep.check(extra)
    assert [v.rule for v in info.value.violations] == ["unknown_parameter"]
    ep.check(extra, allow_unknown=True)
    ep.check(clone_request(stability=7), skip=["stability"])
    fetch = spec.get("modelslab.fetch")
    fetch.check({"id": "1"})  # the key travels separately by default
    with pytest.raises(SpecViolation) as info:
        fetch.check({"id": "1"}, include_auth=True)
    assert [(v.param, v.rule) for v in info.value.violations] == [("key", "required")]


# --------------------------------------------------------------------------------------------
# a parameter's own violations, as validate() reports them
# --------------------------------------------------------------------------------------------


def test_a_valid_request_has_no_violations() -> None:
    assert spec.get("faseeh.voice_clone").validate(clone_request()) == []


def test_an_undocumented_parameter_is_reported_with_its_value_unless_unknown_ones_are_allowed() -> None:
    ep = spec.get("faseeh.voice_clone")
    assert ep.validate(clone_request(pitch=1.5)) == [
        Violation("unknown_parameter", "pitch", "1.5", "is not a documented parameter of faseeh.voice_clone",
                  ep.source, "unknown")]
    assert ep.validate(clone_request(pitch=1.5), allow_unknown=True) == []


def test_a_missing_required_parameter_is_reported_as_missing() -> None:
    ep = spec.get("faseeh.voice_clone")
    assert ep.validate(clone_request(name=spec.MISSING)) == [
        Violation("required", "name", "(missing)", "is required", ep.param("name").source, "missing")]
    assert ep.validate(clone_request(description=spec.MISSING)) == []  # optional


def test_a_required_parameter_sent_as_null_is_reported_as_missing_with_its_value() -> None:
    ep = spec.get("faseeh.voice_clone")
    assert ep.validate(clone_request(name=None)) == [
        Violation("required", "name", "None", "is required and may not be null", ep.param("name").source,
                  "missing")]


def test_an_optional_parameter_sent_as_null_is_a_type_violation_unless_it_is_nullable() -> None:
    ep = spec.get("faseeh.voice_clone")
    assert ep.validate(clone_request(description=None)) == [
        Violation("not_nullable", "description", "None", "may not be null", ep.param("description").source,
                  "type")]
    sts = spec.get("elevenlabs.speech_to_speech")
    assert sts.param("seed").nullable
    assert sts.validate({"voice_id": "v", "audio": probe_into(AudioInput("bytes", data=wav(2))),
                         "seed": None}) == []


def test_a_value_of_the_wrong_type_names_the_type_it_got() -> None:
    ep = spec.get("faseeh.voice_clone")
    assert ep.validate(clone_request(stability="0.5")) == [
        Violation("type", "stability", "'0.5'", "must be a number (got str)", ep.param("stability").source,
                  "type")]
    assert ep.validate(clone_request(name=["a"])) == [
        Violation("type", "name", "['a']", "must be a string (got list)", ep.param("name").source, "type")]


def test_a_broken_constraint_is_reported_with_the_constraints_own_source() -> None:
    ep = spec.get("faseeh.voice_clone")
    rng = ep.param("stability").constraints[0]
    assert ep.validate(clone_request(stability=1.5)) == [
        Violation("range", "stability", "1.5", "must be in [0, 1]", rng.source)]


def test_a_secret_parameter_shows_only_a_mask() -> None:
    fetch = spec.get("modelslab.fetch")
    assert fetch.validate({"id": "1", "key": 12345}, include_auth=True) == [
        Violation("type", "key", "'***'", "must be a string (got int)", fetch.param("key").source, "type")]


# --------------------------------------------------------------------------------------------
# object parameters and their fields
# --------------------------------------------------------------------------------------------


def test_an_object_missing_its_required_fields_reports_each_by_dotted_name() -> None:
    ep = spec.get("novita.minimax_voice_cloning")
    cp = ep.param("clone_prompt")
    assert ep.validate({"audio_url": url_audio(), "clone_prompt": {}}) == [
        Violation("required", "clone_prompt.prompt_audio_url", "(missing)", "is required",
                  cp.field("prompt_audio_url").source, "missing"),
        Violation("required", "clone_prompt.prompt_text", "(missing)", "is required",
                  cp.field("prompt_text").source, "missing"),
    ]


def test_an_undocumented_field_of_an_object_is_reported_unless_unknown_ones_are_allowed() -> None:
    ep = spec.get("novita.minimax_voice_cloning")
    prompt = {"prompt_audio_url": url_audio(), "prompt_text": "Hello there.", "style": "calm"}
    assert ep.validate({"audio_url": url_audio(), "clone_prompt": prompt}) == [
        Violation("unknown_parameter", "clone_prompt.style", "'calm'", "is not a documented field of clone_prompt",
                  ep.param("clone_prompt").source, "unknown")]
    assert ep.validate({"audio_url": url_audio(), "clone_prompt": prompt}, allow_unknown=True) == []


def test_a_fields_own_rules_are_checked_under_its_dotted_name() -> None:
    ep = spec.get("novita.minimax_voice_cloning")
    text = ep.param("clone_prompt").field("prompt_text")
    prompt = {"prompt_audio_url": url_audio(), "prompt_text": "no full stop"}
    assert ep.validate({"audio_url": url_audio(), "clone_prompt": prompt}) == [
        Violation("ends_with_punctuation", "clone_prompt.prompt_text", "'no full stop'", "must end with punctuation",
                  text.constraints[1].source)]
    prompt = {"prompt_audio_url": url_audio(), "prompt_text": None}
    assert ep.validate({"audio_url": url_audio(), "clone_prompt": prompt}) == [
        Violation("required", "clone_prompt.prompt_text", "None", "is required and may not be null", text.source,
                  "missing")]


SRC = Source("nested doc")
NESTED = Endpoint(
    "novita.nested", "POST", "/nested", "json",
    (Param("outer", "json", "object", SRC, fields=(
        Param("inner", "json", "object", SRC, fields=(Param("n", "json", "integer", SRC),)),)),),
    SRC, provider_id="novita")  # a bearer-auth provider: no body field carries the key


def test_allowing_unknown_fields_reaches_objects_nested_in_objects() -> None:
    request = {"outer": {"inner": {"n": 1, "zzz": 2}}}
    assert NESTED.validate(request, allow_unknown=True) == []
    assert NESTED.validate(request) == [
        Violation("unknown_parameter", "outer.inner.zzz", "2", "is not a documented field of outer.inner", SRC,
                  "unknown")]
    assert NESTED.validate({"outer": {"inner": {"n": "1"}}}) == [
        Violation("type", "outer.inner.n", "'1'", "must be an integer (got str)", SRC, "type")]


# --------------------------------------------------------------------------------------------
# request-level rules
# --------------------------------------------------------------------------------------------


def test_the_rule_registry_maps_each_key_to_its_class() -> None:
    registry = {"required_with": RequiredWith, "at_least_one": AtLeastOne, "precedence": Precedence,
                "when": When}
    assert registry == RULES
    assert spec.RULES is RULES


def test_required_with_reports_the_missing_param_only_when_the_trigger_is_given() -> None:
    ep = spec.get("novita.minimax_voice_cloning")
    rule = next(r for r in ep.rules if isinstance(r, RequiredWith))
    assert rule.describe() == "model is required when text is given"
    missing = [Violation("required_with", "model", "(missing)", "is required when text is given", rule.source,
                         "missing")]
    assert rule.check({"text": "Hello there."}, ep) == missing
    assert rule.check({"text": "Hello there.", "model": None}, ep) == missing  # null counts as not given
    assert rule.check({"text": "Hello there.", "model": "speech-02-hd"}, ep) == []
    assert rule.check({}, ep) == []
    assert rule.check({"text": None}, ep) == []
    assert ep.validate({"audio_url": url_audio(), "text": "Hello there."}) == missing


def test_at_least_one_names_all_its_params_when_none_is_given() -> None:
    ep = spec.get("modelslab.text_to_audio")
    rule = next(r for r in ep.rules if isinstance(r, AtLeastOne))
    assert rule.describe() == "at least one of init_audio, voice_id"
    none_given = [Violation("at_least_one", "init_audio | voice_id", "(missing)",
                            "one of init_audio, voice_id is required", rule.source, "missing")]
    assert ep.validate({"prompt": "Hi there."}) == none_given
    assert ep.validate({"prompt": "Hi there.", "voice_id": None}) == none_given  # nullable, but null is not given
    assert ep.validate({"prompt": "Hi there.", "voice_id": "madison"}) == []
    assert rule.check({"init_audio": url_audio()}, ep) == []


def test_at_least_one_of_three_joins_every_name() -> None:
    rule = AtLeastOne(("a", "b", "c"), SRC)
    assert rule.describe() == "at least one of a, b, c"
    assert rule.check({"c": 0}, NESTED) == []  # a falsy value is still given
    assert rule.check({"a": None}, NESTED) == [
        Violation("at_least_one", "a | b | c", "(missing)", "one of a, b, c is required", SRC, "missing")]


def test_when_applies_its_constraint_with_the_condition_in_the_message() -> None:
    ep = spec.get("modelslab.voice_to_voice")
    url_rule = next(r for r in ep.rules if isinstance(r, When) and r.value is False and r.target == "init_audio")
    assert url_rule.describe() == "when base64=False, init_audio is an http(s) URL"
    local = AudioInput("bytes", data=b"abc")
    broken = [Violation("url", "init_audio", "<audio bytes, 3 bytes>",
                        "must be a URL (got local bytes audio) (because base64=False)", url_rule.source)]
    assert url_rule.check({"base64": False, "init_audio": local}, ep) == broken
    assert url_rule.check({"init_audio": local}, ep) == broken  # base64 absent: its default False applies
    assert url_rule.check({"base64": True, "init_audio": local}, ep) == []
    assert url_rule.check({"base64": False, "init_audio": url_audio()}, ep) == []
    assert url_rule.check({"base64": False, "init_audio": "ftp://x"}, ep) == [
        Violation("url", "init_audio", "'ftp://x'", "must be an http(s) URL (because base64=False)",
                  url_rule.source)]
    assert url_rule.check({"base64": False}, ep) == []  # the target's own required check reports it
    assert url_rule.check({"base64": False, "init_audio": None}, ep) == []


def test_when_on_a_param_the_endpoint_does_not_document_has_no_default() -> None:
    rule = When("mode", None, "label", Length(None, 3, SRC), SRC)
    assert rule.describe() == "when mode=None, label is at most 3 characters"
    assert rule.check({"label": "long"}, NESTED) == []  # mode absent is not None
    assert rule.check({"mode": None, "label": "long"}, NESTED) == [
        Violation("length", "label", "'long'", "must be at most 3 characters (got 4) (because mode=None)", SRC)]


# --------------------------------------------------------------------------------------------
# lookups by name
# --------------------------------------------------------------------------------------------


def test_an_unknown_parameter_name_raises_key_error_naming_endpoint_and_param() -> None:
    ep = spec.get("faseeh.voice_clone")
    assert ep.param("name").name == "name"
    with pytest.raises(KeyError) as info:
        ep.param("nope")
    assert info.value.args == ("faseeh.voice_clone has no parameter 'nope'",)


def test_an_undocumented_error_raises_key_error_naming_provider_and_error() -> None:
    novita = spec.provider("novita")
    assert (novita.error("auth").status, novita.error("auth").code) == (403, "INVALID_API_KEY")
    with pytest.raises(KeyError) as info:
        novita.error("teapot")
    assert info.value.args == ("novita documents no 'teapot' error",)


def test_all_rules_lists_params_their_constraints_fields_then_request_rules() -> None:
    ep = spec.get("novita.minimax_voice_cloning")
    assert [(where, type(item).__name__) for where, item in ep.all_rules()] == [
        ("audio_url", "Param"), ("audio_url", "Url"), ("audio_url", "AudioFormat"), ("audio_url", "AudioDuration"),
        ("audio_url", "FileSize"), ("clone_prompt", "Param"), ("clone_prompt.prompt_audio_url", "Param"),
        ("clone_prompt.prompt_audio_url", "Url"), ("clone_prompt.prompt_audio_url", "AudioFormat"),
        ("clone_prompt.prompt_audio_url", "AudioDuration"), ("clone_prompt.prompt_text", "Param"),
        ("clone_prompt.prompt_text", "NotBlank"), ("clone_prompt.prompt_text", "EndsWithPunctuation"),
        ("text", "Param"), ("text", "Length"), ("model", "Param"), ("model", "OneOf"), ("accuracy", "Param"),
        ("accuracy", "Range"), ("need_noise_reduction", "Param"), ("need_volume_normalization", "Param"),
        ("request", "RequiredWith"),
    ]
    assert ep.all_rules()[-1] == ("request", ep.rules[0])


# --------------------------------------------------------------------------------------------
# response side: JSON Schema messages and content types
# --------------------------------------------------------------------------------------------

SCHEMA = {"type": "object", "required": ["status"],
          "properties": {"status": {"type": "string"}, "ids": {"type": "array", "items": {"type": "integer"}}}}


def test_schema_errors_name_each_failing_path_root_first() -> None:
    assert schema_errors({"ids": ["x", 1, "y"]}, SCHEMA) == [
        "(root): 'status' is a required property",
        "ids/0: 'x' is not of type 'integer'",
        "ids/2: 'y' is not of type 'integer'",
    ]
    assert schema_errors(3, SCHEMA) == ["(root): 3 is not of type 'object'"]
    assert schema_errors({"status": "ok", "ids": [1, 2]}, SCHEMA) == []


def test_a_schema_is_checked_and_compiled_once_however_often_it_is_used(monkeypatch: pytest.MonkeyPatch) -> None:
    schema = {"type": "object", "properties": {"n": {"type": "integer"}}}
    calls: list[object] = []
    real = jsonschema.validators.validator_for

    def counting(s: Any, *args: Any, **kwargs: Any) -> Any:
        calls.append(s)
        return real(s, *args, **kwargs)

    monkeypatch.setattr(jsonschema.validators, "validator_for", counting)
    assert schema_errors({"n": "1"}, schema) == ["n: '1' is not of type 'integer'"]
    assert schema_errors({"n": 1}, schema) == []
    assert schema_errors({"n": None}, schema) == ["n: None is not of type 'integer'"]
    assert [s for s in calls if s is schema] == [schema]  # jsonschema also asks for its meta-schemas


def test_an_invalid_schema_is_refused() -> None:
    with pytest.raises(jsonschema.SchemaError):
        schema_errors({}, {"type": "no such type"})


@pytest.mark.parametrize(("ctype", "allowed", "ok"), [
    ("application/json", ["application/json"], True),
    ("Application/JSON; Charset=UTF-8", ["application/json"], True),
    ("application/json;charset=utf-8", ["application/json"], True),
    ("application/json", ["application/json; charset=utf-8"], True),  # a documented charset is not demanded
    ("application/jsonx", ["application/json"], False),
    ("text/html", ["application/json", "audio/mpeg"], False),
    ("audio/mpeg", ["application/json", "audio/mpeg"], True),
    ("audio/ogg; codecs=opus", ["audio/ogg; codecs=opus"], True),
    ("audio/ogg; codecs = opus", ["audio/ogg;codecs=opus"], True),
    ("AUDIO/OGG; CODECS=OPUS", ["audio/ogg; codecs=opus"], True),
    ("audio/ogg; codecs=opus; rate=48000", ["audio/ogg; codecs=opus"], True),
    ("audio/ogg", ["audio/ogg; codecs=opus"], False),  # a documented parameter is demanded
    ("audio/ogg; codecs=vorbis", ["audio/ogg; codecs=opus"], False),
    ("audio/mpeg", ["application/octet-stream"], True),  # any audio type fits a generic byte stream
    ("Audio/Wav", ["application/octet-stream"], True),
    ("video/mp4", ["application/octet-stream"], False),
    ("application/octet-stream", ["audio/mpeg"], False),
    ("", ["application/json"], False),
    ("audio/mpeg", [], False),
])
def test_content_types_match_by_type_and_documented_parameters(ctype: str, allowed: list[str], ok: bool) -> None:
    assert content_type_ok(ctype, allowed) is ok
    contract = ResponseContract(200, "audio", SRC, content_types=tuple(allowed))
    assert contract.accepts_content_type(ctype) is ok
