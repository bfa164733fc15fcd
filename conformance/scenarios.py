"""How the shipped suite, ``compare`` and cassette recording use one provider: its scenarios.

Each provider package defines ``scenarios.SCENARIOS``, a :class:`Scenarios`: the representative
request per endpoint whose audio the suite checks, what a protocol request needs from the target
first (a voice that exists there, a job to fetch), where a result's audio is found, the request
``compare`` sends, and the provider's stateful flows. Everything that differs between providers
and is not spec data lives there; the suite and ``compare`` loop over the registry.

``ctx`` below is the suite's view of the run (:class:`conformance.suite.conftest.Suite`): its
``target``, ``sim`` (the simulator, or ``None``), ``voice(provider_id)``, ``send(...)`` and
``client(provider_id)``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

INPUT_SECONDS = 4.0  # the speech a voice changer converts in the suite's audio checks
SOURCE_SPEAKER = "en_kal"  # says that speech: another fixture speaker than any target voice
FALLBACK_SENTENCE = "The quick brown fox jumps over the lazy dog."


@dataclass
class AudioRequest:
    """The suite's representative request of one endpoint, and what its output audio should be."""

    params: dict[str, Any]
    text: str | None = None  # the words the output says (checked for intelligibility on English text)
    source: bytes | None = None  # the speech a voice changer converted (its timing must be kept)
    reference: bytes | None = None  # speech of the voice the output should carry (default: the suite's voice)
    expect_format: Any = None  # what the bytes must be (``name``, ``codec``, ``container``, ``sample_rate``…)


@dataclass
class CompareInputs:
    """What ``compare`` gives every provider (see :class:`conformance.compare.Inputs`)."""

    text: str
    reference: bytes
    source: bytes | None
    voices: Mapping[str, str]  # provider id → an existing voice id given with --voice
    simulated: bool  # the target is the in-process simulator
    host: Callable[[bytes], tuple[str | None, str]]  # a public URL of these bytes, or None and why not


@dataclass
class Flow:
    """A stateful flow of one provider: ``run(ctx)`` drives it (a hypothesis state machine, usually)."""

    name: str
    run: Callable[[Any], None]
    doc: str = ""


@dataclass
class Scenarios:
    """One provider's scenarios. Endpoints are named by their spec ``name`` (not the full id)."""

    audio_endpoints: tuple[str, ...] = ()  # endpoints whose output audio the audio checks read
    english_text: tuple[str, ...] = ()  # of those, the ones that speak English text they are given
    compare_endpoints: tuple[str, ...] = ()  # endpoints ``compare`` can run; the first is its default
    flows: tuple[Flow, ...] = ()
    variants: Mapping[str, tuple[str, ...]] = field(default_factory=dict)  # endpoint → output variants checked
    # when recording cassettes, the simulated account knows every voice id (the suite sends ids it
    # draws, which a real account has): for providers whose protocol tests send catalogue voice ids
    recording_knows_every_voice: bool = False

    # -- the suite ---------------------------------------------------------------------------

    def audio_request(self, ctx: Any, endpoint: str, variant: str | None = None) -> AudioRequest:
        """The representative request of ``endpoint`` (one of :attr:`audio_endpoints`)."""
        raise NotImplementedError(f"no representative request for {endpoint}")

    def prepare(self, ctx: Any, endpoint: str, params: dict[str, Any], keep: str | None = None) -> dict[str, Any]:
        """Fill in what only the target knows (a voice that exists there, a job to fetch); ``keep``
        names the param a negative test broke on purpose, which must stay as it is."""
        return params

    def output_url(self, result: Any) -> str | None:
        """Where a result's audio is downloaded from, or ``None`` when the result is the audio itself.
        A RuntimeError says why a result that should point at audio does not."""
        return None

    # -- compare -----------------------------------------------------------------------------

    def compare_setup(self, sim: Any, inputs: CompareInputs) -> None:
        """Prepare the simulator for ``compare`` (a voice cloned from the reference, …)."""

    def compare_request(self, endpoint: str, inputs: CompareInputs) -> tuple[dict[str, Any] | None, str]:
        """The request ``compare`` sends to ``endpoint``, or ``None`` and why it cannot be made."""
        return None, f"no comparison request for {endpoint}"


# -- helpers the scenarios share ------------------------------------------------------------------


def speech(seconds: float, speaker: str, fmt: str = "wav") -> bytes:
    """``seconds`` of real speech of a fixture speaker, as a ``fmt`` file at 16 kHz."""
    from conformance.strategies import audio_bytes

    return audio_bytes(seconds, fmt, 16000, speaker)


def sentence(speaker: str) -> str:
    """A sentence the speaker's fixture clips say (so the simulator can speak it for real)."""
    from conformance.audio import corpus

    texts = [c.text for c in corpus.clips(speaker) if c.text]
    return max(texts, key=len) if texts else FALLBACK_SENTENCE


def hosted(data: bytes, fmt: str = "wav") -> Any:
    """``data`` as a URL-valued audio input (the suite hosts it where the target can fetch it)."""
    from conformance.strategies import audio_input

    return audio_input(data, "url", fmt)


def flow_settings() -> Any:
    """The hypothesis settings of a flow's state machine: a few short runs, no deadline."""
    from hypothesis import HealthCheck, settings

    return settings(max_examples=3, stateful_step_count=6, deadline=None, suppress_health_check=list(HealthCheck))


def schema_ok(endpoint_id: str, status: int | None, body: bytes) -> None:
    """Assert that a flow's answer has the endpoint's documented response schema."""
    from conformance import spec
    from conformance.checks import Case, run

    result = run("response_schema_conformance", Case(endpoint=spec.get(endpoint_id), status=status or 0, body=body))
    assert result.passed, result.explain()


def scenarios(provider_id: str) -> Scenarios:
    """The provider package's ``scenarios.SCENARIOS``."""
    from conformance import registry as packages

    found = packages.part(provider_id, "scenarios", "SCENARIOS")
    if not isinstance(found, Scenarios):
        raise packages.ProviderLoadError(f"provider {provider_id!r}: scenarios.SCENARIOS must be a "
                                         f"conformance.scenarios.Scenarios")
    return found
