"""Audio checks: is the audio what was asked for, and does it sound like the voice it should?

One representative request per audio endpoint (and per output variant, such as a provider's output
formats) is sent once per run, as the provider's scenarios say; every check below reads its answer.
Thresholds come from :mod:`conformance.thresholds`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest

from conformance import spec
from conformance.checks import Case
from conformance.scenarios import INPUT_SECONDS, scenarios
from conformance.spec import Endpoint
from conformance.suite.conftest import Outcome, Suite


@dataclass
class Produced:
    """What an endpoint produced for the suite's representative request."""

    endpoint: Endpoint
    outcome: Outcome
    audio: Any  # an AudioResult (or None when the call failed)
    reference: bytes  # speech of the voice the output should have
    source: bytes | None = None  # the input a voice changer converted
    text: str | None = None  # the words it should say (English text endpoints)
    expect_format: Any = None  # the output variant's format, when the scenario names one
    unverifiable: str | None = None  # why the output's speaker cannot be checked on this target

    def case(self) -> Case:
        """What the audio checks read of it."""
        return Case(endpoint=self.endpoint, audio=self.audio, reference=self.reference, source_audio=self.source,
                    source_seconds=INPUT_SECONDS if self.source is not None else None, text=self.text,
                    expect_format=self.expect_format)


def produce(suite: Suite, endpoint_id: str, variant: str | None = None) -> Produced:
    """Send the representative request of ``endpoint_id`` (its provider's scenario) and fetch its audio."""
    ep = spec.get(endpoint_id)
    scenario = scenarios(ep.provider_id)
    voice = suite.voice(ep.provider_id)
    req = scenario.audio_request(suite, ep.name, variant)
    out = suite.send(ep, req.params, validate=True)
    audio = None
    if out.error is None:
        try:
            url = scenario.output_url(out.result)
            audio = suite.client(ep.provider_id).download(url) if url else out.result
        except Exception as exc:
            out.error = exc
    reference = req.reference if req.reference is not None else voice.reference
    return Produced(ep, out, audio, reference, source=req.source if ep.converts_voice else None, text=req.text,
                    expect_format=req.expect_format,
                    unverifiable=None if req.reference is not None else voice.unverifiable)


def _record_audio(suite: Suite, p: Produced) -> None:
    """The input, target voice and output of this check, for the report's audio panel."""
    from conformance.audio.decoding import as_decoded

    clips: dict[str, Any] = {"reference": p.reference}
    if p.source is not None:
        clips["input"] = p.source
    try:
        d = as_decoded(p.audio)
        clips["output"] = (d.samples, d.sample_rate)
    except Exception:  # an undecodable output is reported by the checks themselves
        pass
    suite.record(audio=clips)


@pytest.fixture(scope="session")
def produced(suite: Suite) -> Any:
    cache: dict[tuple[str, str | None], Produced] = {}

    def get(endpoint_id: str, variant: str | None = None) -> Produced:
        key = (endpoint_id, variant)
        if key not in cache:
            cache[key] = produce(suite, endpoint_id, variant)
        p = cache[key]
        if p.audio is None:
            pytest.fail(f"{endpoint_id} gave no audio to check: {p.outcome.describe()}")
        _record_audio(suite, p)
        return p

    return get


# ---------------------------------------------------------------------------------------------


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "variant" in metafunc.fixturenames:
        from conformance.suite.conftest import selected_endpoints

        pairs = [(e, v) for e in selected_endpoints(metafunc.config)
                 for v in scenarios(e.provider_id).variants.get(e.name, ())]
        metafunc.parametrize(("endpoint", "variant"), pairs, ids=[f"{e.id}-{v}" for e, v in pairs])


def test_output_format_conformance(suite: Suite, produced: Any, endpoint: Endpoint, variant: str) -> None:
    """Each output variant (a provider's ``output_format``…) is really that codec and sample rate, with the
    bandwidth it claims."""
    suite.run_check("output_format_conformance", produced(endpoint.id, variant).case())


@pytest.mark.endpoints(kind="audio")
def test_duration_conformance(suite: Suite, produced: Any, endpoint: Endpoint) -> None:
    """Output durations are sensible: a voice changer keeps the input's length; text gives speech."""
    suite.run_check("duration_conformance", produced(endpoint.id).case())


@pytest.mark.endpoints(kind="audio")
def test_audio_not_silent(suite: Suite, produced: Any, endpoint: Endpoint) -> None:
    """The output holds speech, not silence."""
    suite.run_check("audio_not_silent", produced(endpoint.id).case())


@pytest.mark.endpoints(kind="audio")
def test_speaker_verification(suite: Suite, produced: Any, endpoint: Endpoint) -> None:
    """The output is spoken by the target voice (S-normalised speaker verification)."""
    p = produced(endpoint.id)
    if p.unverifiable:
        pytest.skip(p.unverifiable)
    suite.run_check("speaker_verification", p.case())


@pytest.mark.endpoints(kind="audio")
def test_predicted_mos_floor(suite: Suite, produced: Any, endpoint: Endpoint) -> None:
    """DNSMOS predicts an overall quality above the floor."""
    suite.run_check("predicted_mos_floor", produced(endpoint.id).case())


@pytest.mark.endpoints(kind="english_text")
def test_intelligibility(suite: Suite, produced: Any, endpoint: Endpoint) -> None:
    """English text endpoints say the words they were given (pocketsphinx WER under the ceiling)."""
    suite.run_check("intelligibility", produced(endpoint.id).case())


@pytest.mark.endpoints(kind="voice_changer")
def test_timing_preservation(suite: Suite, produced: Any, endpoint: Endpoint) -> None:
    """A voice changer keeps the input's timing: duration ratio and DTW slope near 1."""
    suite.run_check("timing_preservation", produced(endpoint.id).case())
