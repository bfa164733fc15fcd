"""Strategies read from the spec: valid requests validate, invalid ones break exactly their rule."""

from __future__ import annotations

import os

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conformance import spec, strategies
from conformance.audio import probe
from conformance.spec.model import AudioInput, Range

ENDPOINTS = [e.id for e in spec.endpoints()]
FAST = settings(max_examples=15, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True)


@pytest.mark.parametrize("endpoint_id", ENDPOINTS)
def test_valid_requests_satisfy_every_rule(endpoint_id: str) -> None:
    ep = spec.get(endpoint_id)

    @FAST
    @given(strategies.valid_requests(ep))
    def check(params: dict) -> None:
        assert ep.validate(params) == []
        for p in ep.params:
            if p.required and p.name not in ep.auth_params:
                assert p.name in params

    check()


RANGED = [(e.id, p.name) for e in spec.endpoints() for p in e.params
          if p.type in ("integer", "number") and any(isinstance(c, Range) for c in p.constraints)]


@pytest.mark.parametrize(("endpoint_id", "name"), RANGED, ids=[f"{e}.{n}" for e, n in RANGED])
def test_valid_values_reach_both_ends_of_every_range(endpoint_id: str, name: str) -> None:
    param = spec.get(endpoint_id).param(name)
    rng = next(c for c in param.constraints if isinstance(c, Range))
    seen: list = []

    @settings(max_examples=200, deadline=None, database=None, derandomize=True)
    @given(strategies.valid_value(param))
    def collect(v: object) -> None:
        seen.append(v)

    collect()
    values = [v for v in seen if v is not None]
    assert all(rng.check(v) is None for v in values)
    if rng.min is not None and not rng.min_exclusive:
        assert rng.min in values, f"{name}: never drew the minimum {rng.min}"
    if rng.max is not None and not rng.max_exclusive:
        assert rng.max in values, f"{name}: never drew the maximum {rng.max}"


def test_valid_requests_can_leave_out_optional_params() -> None:
    ep = spec.get("novita.minimax_voice_cloning")
    sent: list[dict] = []

    @FAST
    @given(strategies.valid_requests(ep, omit=("text",)))
    def collect(params: dict) -> None:
        sent.append(params)

    collect()
    assert sent and not any("text" in p for p in sent)
    assert any(len(p) > 1 for p in sent)  # the other optional params still come
    with pytest.raises(ValueError, match="'audio_url' is not an optional param"):
        strategies.valid_requests(ep, omit=("audio_url",))
    with pytest.raises(ValueError, match="'nope' is not an optional param"):
        strategies.valid_requests(ep, omit=("nope",))


@pytest.mark.parametrize("label", [(e.id, lbl) for e in spec.endpoints() for lbl in strategies.rule_labels(e)],
                         ids=lambda t: f"{t[0]}:{t[1]}")
def test_each_invalid_request_breaks_exactly_its_rule(label: tuple[str, str]) -> None:
    ep = spec.get(label[0])

    @settings(max_examples=3, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True)
    @given(strategies.invalid_requests(ep, label[1]))
    def check(ex: strategies.InvalidRequest) -> None:
        violations = ep.validate(ex.params)
        assert {v.rule for v in violations} == {ex.rule}, [str(v) for v in violations]
        assert ex.label == label[1]

    check()


def _expected_labels(ep: spec.Endpoint) -> set[str]:
    """The label each rule of the spec must have among the invalid-request targets."""
    from conformance.spec.model import AtLeastOne, Precedence, RequiredWith, Url, When

    out = set()
    for p in ep.params:
        if p.name in ep.auth_params:
            continue
        if p.required and p.location != "path":  # a URL always has its path segments
            out.add(f"{p.name}:required")
        for c in p.constraints:
            if not (isinstance(c, Url) and p.type == "audio" and p.base64_allowed):  # base64 rules cover it
                out.add(f"{p.name}:{c.key}")
        for f in p.fields:
            if f.required:
                out.add(f"{p.name}.{f.name}:required")
            out.update(f"{p.name}.{f.name}:{c.key}" for c in f.constraints)
    for r in ep.rules:
        if isinstance(r, RequiredWith):
            out.add(f"{r.param}:required_with")
        elif isinstance(r, AtLeastOne):
            out.add(f"{' | '.join(r.names)}:at_least_one")
        elif isinstance(r, When):
            out.add(f"{r.target}:{r.constraint.key}")
        else:
            assert isinstance(r, Precedence), f"rule {r.key} has no expected label"
    return out


@pytest.mark.parametrize("endpoint_id", ENDPOINTS)
def test_invalid_requests_cover_every_spec_rule(endpoint_id: str) -> None:
    ep = spec.get(endpoint_id)
    assert _expected_labels(ep) - set(strategies.rule_labels(ep)) == set()


@pytest.mark.parametrize("endpoint_id", ENDPOINTS)
def test_boundary_cases_sit_on_the_documented_limits(endpoint_id: str) -> None:
    ep = spec.get(endpoint_id)
    base = strategies.valid_requests(ep).example()
    cases = strategies.boundary_cases(ep)
    for case in cases:
        params = dict(base)
        if "." in case.param:
            obj, field = case.param.split(".")
            params[obj] = {**strategies.valid_value(ep.param(obj)).example(), field: case.value}
        else:
            params[case.param] = case.value
        rules = {v.rule for v in ep.validate(params)}
        if case.valid:
            assert case.rule not in rules, (case.param, case.label)
        else:
            assert case.rule in rules, (case.param, case.label)
    ranges = [c for c in cases if c.rule in ("range", "length", "audio_duration")]
    if ranges:
        assert {c.valid for c in ranges} == {True, False}


def test_duration_boundaries_include_the_documented_edges() -> None:
    labels = {(c.param, c.label) for c in strategies.boundary_cases(spec.get("modelslab.text_to_audio"))}
    assert ("init_audio", "min (4 s)") in labels and ("init_audio", "just outside min (3.9 s)") in labels
    assert ("init_audio", "just outside max (30.1 s)") in labels
    novita = {(c.param, c.label, c.valid) for c in strategies.boundary_cases(spec.get("novita.minimax_voice_cloning"))}
    assert ("audio_url", "just outside min (9.9 s)", False) in novita
    assert ("clone_prompt.prompt_audio_url", "max (8 s)", False) in novita  # "< 8 s": 8 s itself is out
    assert ("clone_prompt.prompt_audio_url", "just inside max (7.9 s)", True) in novita


@pytest.mark.parametrize("fmt,rate", [("wav", 16000), ("mp3", 44100), ("ogg", 22050), ("flac", 48000)])
def test_audio_strategy_makes_real_audio_of_the_asked_shape(fmt: str, rate: int) -> None:
    value = strategies.audio(duration=4.0, fmt=fmt, sample_rate=rate).example()
    assert isinstance(value, AudioInput)
    info = probe(value.data)
    assert info.format == fmt and info.sample_rate == rate
    assert abs(info.duration - 4.0) < 0.08
    import numpy as np

    from conformance.audio import corpus

    y = corpus.make_clip(strategies.DEFAULT_SPEAKER, 1.0, 16000)
    assert float(np.sqrt(np.mean(y**2))) > 0.01  # speech, not silence


def test_hosted_urls_carry_their_bytes() -> None:
    from conformance import hosted

    value = strategies.audio(duration=10.0, kind="url").example()
    assert value.url.startswith(hosted.HOST) and hosted.lookup(value.url) == value.data
    assert value.info is not None and value.info.duration == pytest.approx(10.0, abs=0.01)


def test_unknown_rule_label_is_a_clear_error() -> None:
    with pytest.raises(KeyError, match="has no rule 'seed:nope'"):
        strategies.invalid_requests(spec.get("elevenlabs.speech_to_speech"), "seed:nope")


@given(st.data())
@settings(max_examples=10, deadline=None, suppress_health_check=list(HealthCheck))
def test_any_invalid_request_is_rejected(data: st.DataObject) -> None:
    ep = spec.get(data.draw(st.sampled_from(ENDPOINTS)))
    ex = data.draw(strategies.invalid_requests(ep))
    assert ep.validate(ex.params)


FORM_RULES = [(e.id, p.name, c.key) for e in spec.endpoints() for p in e.params if p.location == "form"
              for c in p.constraints]


@pytest.mark.parametrize(("endpoint_id", "name", "rule"), FORM_RULES, ids=[f"{e}.{n}:{r}" for e, n, r in FORM_RULES])
def test_form_fields_are_never_broken_with_an_empty_value(endpoint_id: str, name: str, rule: str) -> None:
    """A form parser reads an empty field as absent: ``""`` would be a valid request on the wire."""
    param = spec.get(endpoint_id).param(name)
    constraint = next(c for c in param.constraints if c.key == rule)

    @settings(max_examples=20, deadline=None, database=None, suppress_health_check=list(HealthCheck))
    @given(strategies.invalid_values(param, constraint))
    def check(value: object) -> None:
        assert value != ""
        assert constraint.check(value) is not None or rule in ("audio_duration", "audio_format", "file_size")

    check()


def test_a_json_object_string_is_drawn_from_the_keys_its_spec_names() -> None:
    """The members of ElevenLabs' voice_settings are spec data, not the strategies' knowledge."""
    import json

    from conformance.spec.model import JsonObjectString

    param = next(p for p in spec.get("elevenlabs.speech_to_speech").params if p.name == "voice_settings")
    (constraint,) = [c for c in param.constraints if isinstance(c, JsonObjectString)]
    assert constraint.keys == ("stability", "similarity_boost", "style")

    @settings(max_examples=30, database=None)
    @given(strategies.valid_value(param))
    def drawn(value: str | None) -> None:
        if value is not None:
            assert set(json.loads(value)) <= set(constraint.keys)

    drawn()


def test_every_constraint_and_rule_key_has_registered_strategies() -> None:
    """Strategies are keyed by constraint and rule key: a new constraint or rule class needs its strategies."""
    from conformance.spec.model import CONSTRAINTS, RULES

    missing = sorted(set(CONSTRAINTS) - set(strategies.CONSTRAINT_STRATEGIES))
    assert missing == [], f"constraint keys with no strategies: {missing}"
    missing = sorted(set(RULES) - set(strategies.RULE_STRATEGIES))
    assert missing == [], f"rule keys with no strategies: {missing}"
    # nothing registered under a key no spec class has (a typo would never be looked up)
    assert set(strategies.CONSTRAINT_STRATEGIES) <= set(CONSTRAINTS)
    assert set(strategies.RULE_STRATEGIES) <= set(RULES)
    for key, entry in strategies.CONSTRAINT_STRATEGIES.items():  # each can be broken: on a param or in a When
        assert entry.invalid is not None or (entry.when_valid and entry.when_invalid), key
    for key, rule in strategies.RULE_STRATEGIES.items():
        assert rule.targets is not None, key


def test_a_key_without_strategies_is_a_clear_error(monkeypatch: pytest.MonkeyPatch) -> None:
    ep = spec.get("novita.minimax_voice_cloning")
    ranged = next(p for p in spec.get("elevenlabs.speech_to_speech").params
                  if any(c.key == "range" for c in p.constraints))
    rng = next(c for c in ranged.constraints if c.key == "range")
    monkeypatch.delitem(strategies.CONSTRAINT_STRATEGIES, "range")
    with pytest.raises(strategies.MissingStrategy, match=r"no strategies for constraint key 'range' \(Range\)"):
        strategies.invalid_values(ranged, rng)
    with pytest.raises(strategies.MissingStrategy, match="constraint key 'range'"):
        strategies.valid_value.__wrapped__(ranged)
    monkeypatch.undo()
    monkeypatch.delitem(strategies.RULE_STRATEGIES, "required_with")
    with pytest.raises(strategies.MissingStrategy, match=r"no strategies for rule key 'required_with'"):
        strategies.rule_labels(ep)


def test_a_missing_use_of_a_registered_key_is_a_clear_error() -> None:
    """raw_pcm has strategies for a When's target only: it cannot be broken on a param of its own."""
    from conformance.spec.model import RawPcm, When

    (when,) = [r for r in spec.get("elevenlabs.speech_to_speech").rules if isinstance(r, When)]
    assert isinstance(when.constraint, RawPcm)
    audio = spec.get("elevenlabs.speech_to_speech").param(when.target)
    with pytest.raises(strategies.MissingStrategy, match="no invalid strategy for constraint key 'raw_pcm'"):
        strategies.invalid_values(audio, when.constraint)


def test_registering_a_key_twice_or_an_unknown_use_is_refused() -> None:
    with pytest.raises(ValueError, match="'range' already has a 'invalid' strategy"):
        strategies.constraint_strategy("range", "invalid")(lambda param, c: st.nothing())
    with pytest.raises(ValueError, match="ConstraintStrategies has no nonsense"):
        strategies.constraint_strategy("range", "nonsense")
    with pytest.raises(ValueError, match="RuleStrategies has no invalid"):
        strategies.rule_strategy("when", "invalid")


def test_the_spec_imports_no_hypothesis() -> None:
    """Strategies live here, keyed by the spec's keys: the spec itself never imports hypothesis."""
    import subprocess
    import sys

    code = ("import sys, conformance.spec, conformance.spec.model; "
            "assert 'hypothesis' not in sys.modules and 'conformance.strategies' not in sys.modules")
    subprocess.run([sys.executable, "-c", code], check=True)


def test_drawing_every_endpoints_requests_never_lists_a_codecs_code_points(tmp_path) -> None:
    """Hypothesis lists every code point a codec encodes (1.3 s per new process, with its disk cache off
    as in the kit's runs) for a regex drawn from its default alphabet; the kit's patterns are ASCII and
    draw from ASCII, so no run pays it. In a new process: hypothesis caches strategies per process."""
    import subprocess
    import sys

    code = """
from hypothesis import HealthCheck, given, settings
from hypothesis.internal import charmap
from conformance import spec, strategies
asked = []
real = charmap.intervals_from_codec
charmap.intervals_from_codec = lambda name: asked.append(name) or real(name)
for ep in spec.endpoints():
    @settings(max_examples=3, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True,
              database=None)
    @given(strategies.valid_requests(ep))
    def draw(params):
        assert ep.validate(params) == []
    draw()
print(sorted(set(asked)))
"""
    env = {**os.environ, "HYPOTHESIS_STORAGE_DIRECTORY": str(tmp_path)}
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.split("\n")[-2] in ("[]", "['ascii']")
