"""The pytest plugin: one option group, markers, hypothesis profiles and the fixtures users need.

Loaded through the ``pytest11`` entry point. It imports nothing heavy: clients, simulators,
hypothesis and the audio stack load when a fixture or the suite first needs them.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:  # pragma: no cover
    from conformance.clients.base import SyncClient

pytest_plugins = ["conformance.report.plugin", "conformance.cassettes.plugin"]

PROVIDERS = ("elevenlabs", "modelslab", "novita", "faseeh")
TARGET_KINDS = ("simulator", "cassette", "live", "url=BASE")
SIM_KEY = "conformance-simulator-key"
WRONG_KEY = "conformance-wrong-key"
MARKERS = {
    "provider(id)": "the provider a test talks to (elevenlabs, modelslab, novita, faseeh)",
    "endpoint(id)": "the endpoint a test checks, e.g. elevenlabs.speech_to_speech",
    "check(name)": "the conformance check, e.g. negative_data_rejection",
    "live": "talks to a live provider: needs its API key in the environment",
    "endpoints(*ids)": "run a suite test only for these endpoint ids",
}


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("conformance", "voice-conformance")
    group.addoption("--conformance-target", default="simulator", metavar="TARGET",
                    help="where requests go: simulator (default, offline), cassette (replay, offline), "
                         "live (keys from the environment) or url=BASE (a gateway)")
    group.addoption("--conformance-providers", default=None, metavar="IDS",
                    help="comma-separated providers to check (default: all): " + ",".join(PROVIDERS))
    group.addoption("--conformance-seed", type=int, default=0, metavar="N",
                    help="seed of the simulators' audio and ids (default 0)")
    group.addoption("--conformance-inject", action="append", default=[], metavar="FAULT[@ENDPOINT]",
                    help="inject a simulator fault for the whole run, e.g. wrong_sample_rate or "
                         "server_error@novita.minimax_voice_cloning (repeatable)")


def pytest_configure(config: pytest.Config) -> None:
    for marker, text in MARKERS.items():
        config.addinivalue_line("markers", f"{marker}: {text}")
    target = config.getoption("--conformance-target", "simulator")
    try:
        parse_target(target)
        selected_providers(config.getoption("--conformance-providers", None))
    except ValueError as exc:
        raise pytest.UsageError(str(exc)) from None


def pytest_collection_finish(session: pytest.Session) -> None:
    # Hypothesis profiles, registered only when hypothesis was imported by the collected tests.
    if "hypothesis" in sys.modules:
        register_hypothesis_profiles()


def register_hypothesis_profiles(default: str | None = None) -> None:
    """``dev`` (quick), ``ci`` (derandomized, used when ``CI`` is set) and ``thorough``.

    ``HYPOTHESIS_PROFILE`` picks one; else ``ci`` under ``CI``; else ``default`` (the suite's ``dev``).
    """
    from hypothesis import HealthCheck, Phase, settings

    common = {"deadline": None, "suppress_health_check": [HealthCheck.too_slow, HealthCheck.filter_too_much,
                                                          HealthCheck.function_scoped_fixture,
                                                          HealthCheck.data_too_large]}
    settings.register_profile("dev", max_examples=10, **common)
    settings.register_profile("ci", max_examples=10, derandomize=True, print_blob=True,
                              phases=[Phase.explicit, Phase.generate, Phase.target, Phase.shrink], **common)
    settings.register_profile("thorough", max_examples=200, **common)
    chosen = os.environ.get("HYPOTHESIS_PROFILE") or ("ci" if os.environ.get("CI") else default)
    if chosen:
        settings.load_profile(chosen)


# ---------------------------------------------------------------------------------------------
# targets
# ---------------------------------------------------------------------------------------------


@dataclass
class Target:
    """Where the requests of a run go."""

    kind: str  # simulator | cassette | live | url
    base_url: str | None = None
    providers: tuple[str, ...] = PROVIDERS
    seed: int = 0
    faults: list[str] = field(default_factory=list)

    @property
    def offline(self) -> bool:
        return self.kind in ("simulator", "cassette")

    def api_key(self, provider_id: str) -> str | None:
        """The key to use: the simulator's, or the provider's env var for live and gateway targets."""
        from conformance.spec import provider

        if self.kind in ("simulator", "cassette"):
            return SIM_KEY
        return os.environ.get(provider(provider_id).auth.env_var)

    def skip_without_key(self, provider_id: str) -> None:
        from conformance.spec import provider

        if self.kind == "live" and not self.api_key(provider_id):
            pytest.skip(f"live {provider_id}: set {provider(provider_id).auth.env_var} to run against the provider")

    def describe(self) -> str:
        return f"url={self.base_url}" if self.kind == "url" else self.kind


def parse_target(value: str) -> Target:
    """``simulator`` | ``cassette`` | ``live`` | ``url=BASE``; anything else is a clear error."""
    if value in ("simulator", "cassette", "live"):
        return Target(value)
    if value.startswith("url="):
        base = value[4:].rstrip("/")
        if not base.startswith(("http://", "https://")):
            raise ValueError(f"--conformance-target url=BASE needs an http(s) URL, got {base!r}")
        return Target("url", base)
    raise ValueError(f"--conformance-target: unknown target {value!r}; use one of {', '.join(TARGET_KINDS)}")


def selected_providers(value: str | None) -> tuple[str, ...]:
    if not value:
        return PROVIDERS
    chosen = tuple(p.strip() for p in value.split(",") if p.strip())
    unknown = [p for p in chosen if p not in PROVIDERS]
    if unknown:
        raise ValueError(f"--conformance-providers: unknown provider(s) {', '.join(unknown)}; "
                         f"known: {', '.join(PROVIDERS)}")
    return chosen


@pytest.fixture(scope="session")
def conformance_target(pytestconfig: pytest.Config) -> Target:
    """The target of this run (``--conformance-target``), with the selected providers."""
    target = parse_target(pytestconfig.getoption("--conformance-target"))
    target.providers = selected_providers(pytestconfig.getoption("--conformance-providers"))
    target.seed = pytestconfig.getoption("--conformance-seed")
    target.faults = list(pytestconfig.getoption("--conformance-inject"))
    return target


@pytest.fixture(scope="session")
def conformance_simulator(conformance_target: Target) -> Iterator[Any]:
    """The session's simulator for the selected providers (``None`` unless the target is ``simulator``),
    with the faults of ``--conformance-inject`` in place for the whole run."""
    if conformance_target.kind != "simulator":
        yield None
        return
    import httpx

    from conformance.simulators import simulate

    # webhooks are answered in-process (and recorded in sim.webhooks): nothing leaves the machine
    receiver = httpx.Client(transport=httpx.MockTransport(lambda request: httpx.Response(200)))
    with simulate(*conformance_target.providers, seed=conformance_target.seed, webhook_client=receiver) as sim:
        sim.reject_key(WRONG_KEY)
        for spec_text in conformance_target.faults:
            name, _, endpoint = spec_text.partition("@")
            sim.inject(name, endpoint=endpoint or None, times=None)
        yield sim


def _no_sleep(seconds: float) -> None:
    """Simulated time: retries and polls against the simulator do not wait for real."""


@pytest.fixture(scope="session")
def conformance_client(conformance_target: Target, conformance_simulator: Any) -> Callable[..., SyncClient]:
    """A factory of reference clients bound to the current target: ``conformance_client("novita")``.

    Keyword arguments go to the client (``api_key=``, ``validate=``, ``retry=``…).
    """
    from conformance.clients import CLIENTS

    made: list[Any] = []

    def make(provider_id: str, **kwargs: Any) -> SyncClient:
        if provider_id not in CLIENTS:
            raise ValueError(f"unknown provider {provider_id!r}; known: {', '.join(CLIENTS)}")
        conformance_target.skip_without_key(provider_id)
        kwargs.setdefault("api_key", conformance_target.api_key(provider_id))
        if conformance_target.kind == "url":
            kwargs.setdefault("base_url", conformance_target.base_url)
        if conformance_target.offline:
            kwargs.setdefault("sleep", _no_sleep)
            if provider_id == "modelslab":
                kwargs.setdefault("poll_interval", 0.0)
        client = CLIENTS[provider_id][0](**kwargs)
        made.append(client)
        return client

    return make


def _client_fixture(provider_id: str) -> Any:
    @pytest.fixture
    def fixture(conformance_client: Callable[..., SyncClient]) -> SyncClient:
        return conformance_client(provider_id)

    fixture.__doc__ = f"A {provider_id} reference client bound to the current target."
    fixture.__name__ = f"{provider_id}_client"
    return fixture


elevenlabs_client = _client_fixture("elevenlabs")
modelslab_client = _client_fixture("modelslab")
novita_client = _client_fixture("novita")
faseeh_client = _client_fixture("faseeh")


@pytest.fixture
def expect_audio() -> Callable[..., Any]:
    """``expect_audio(result_or_bytes)``: chainable audio assertions (format, duration, speaker…)."""
    from conformance.audio import expect_audio as factory

    return factory
