"""The pytest plugin: one option group, markers, hypothesis profiles and the fixtures users need.

Loaded through the ``pytest11`` entry point. It imports nothing heavy: clients, simulators,
hypothesis and the audio stack load when a fixture or the suite first needs them.

PYTEST_DONT_REWRITE: wiring only, no assertions to rewrite (it may be imported before pytest starts).
"""

from __future__ import annotations

import hashlib
import os
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:  # pragma: no cover
    from conformance.clients.base import SyncClient
    from conformance.config import Config

pytest_plugins = ["conformance.report.plugin", "conformance.cassettes.plugin", "conformance.simulators.fixtures"]

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
    group.addoption("--conformance-target", default=None, metavar="TARGET",
                    help="where requests go: simulator (offline), cassette (replay, offline), live (keys from the "
                         "environment) or url=BASE (a gateway); default: the configuration file's, else simulator")
    group.addoption("--conformance-providers", default=None, metavar="IDS",
                    help="comma-separated providers to check (default: the configuration file's, else all): "
                         + ",".join(PROVIDERS))
    group.addoption("--conformance-seed", type=int, default=None, metavar="N",
                    help="seed of the simulators' audio and ids (default: the configuration file's, else 0)")
    group.addoption("--conformance-inject", action="append", default=[], metavar="FAULT[@ENDPOINT]",
                    help="inject a simulator fault for the whole run, e.g. wrong_sample_rate or "
                         "server_error@novita.minimax_voice_cloning (repeatable)")
    group.addoption("--conformance-threshold", action="append", default=[], metavar="NAME=VALUE",
                    help="override an audio check threshold, e.g. mos_floor=2.5 (repeatable; beats the "
                         "configuration file and VOICE_CONFORMANCE_<NAME> variables)")
    group.addoption("--conformance-config", default=None, metavar="PATH",
                    help="the configuration file (default: voice-conformance.toml or pyproject.toml "
                         "[tool.voice-conformance], looked for from the working directory and the rootdir)")
    group.addoption("--shard", default=None, metavar="I/N",
                    help="run only shard I of N (1-based): a stable split of the collected tests by node id, "
                         "for CI jobs; merge their reports with `voice-conformance report merge`")


_CONFIG = pytest.StashKey["Config"]()


def _load_run_config(config: pytest.Config) -> Config:
    """The configuration file of this run: the option's, the controller's (xdist workers), or found."""
    from conformance.config import Config, find_config, load_config

    given = config.getoption("--conformance-config", None)
    worker_input = getattr(config, "workerinput", None)
    if not given and worker_input is not None and "conformance_config" in worker_input:
        given = worker_input["conformance_config"] or None
        if given is None:
            return Config()
    if given:
        return load_config(given)
    for start in (config.invocation_params.dir, config.rootpath):
        path = find_config(start)
        if path is not None:
            return load_config(path)
    return Config()


@pytest.hookimpl(tryfirst=True)
def pytest_configure(config: pytest.Config) -> None:
    """Resolve the options against the configuration file, before any other plugin reads them."""
    for marker, text in MARKERS.items():
        config.addinivalue_line("markers", f"{marker}: {text}")
    from conformance.config import ConfigError, parse_threshold_flags
    from conformance.suite import thresholds

    try:
        cfg = _load_run_config(config)
        opt = config.option
        if getattr(opt, "conformance_target", None) is None:
            opt.conformance_target = cfg.target or "simulator"
        if getattr(opt, "conformance_providers", None) is None and cfg.providers:
            opt.conformance_providers = ",".join(cfg.providers)
        if getattr(opt, "conformance_seed", None) is None:
            opt.conformance_seed = cfg.seed if cfg.seed is not None else 0
        parse_target(opt.conformance_target)
        selected_providers(opt.conformance_providers)
        flags = parse_threshold_flags(getattr(opt, "conformance_threshold", None))
        thresholds.configure(cfg.thresholds, flags)
        parse_shard(getattr(opt, "shard", None))
    except ConfigError as exc:
        raise pytest.UsageError(f"configuration: {exc}") from None
    except ValueError as exc:
        raise pytest.UsageError(str(exc)) from None
    # more values the cassettes scrub: read from the variables the file names, kept off command lines
    if cfg.secrets_env and hasattr(opt, "cassette_secret"):
        opt.cassette_secret = [*(opt.cassette_secret or []), *cfg.secret_values()]
    if cfg.hypothesis_profile:
        os.environ.setdefault("HYPOTHESIS_PROFILE", cfg.hypothesis_profile)
    config.stash[_CONFIG] = cfg
    if config.pluginmanager.hasplugin("xdist") and not hasattr(config, "workerinput"):
        config.pluginmanager.register(_XdistConfig(cfg), "conformance-config-xdist")


class _XdistConfig:
    """Workers read the configuration file the controller found."""

    def __init__(self, cfg: Config):
        self.cfg = cfg

    def pytest_configure_node(self, node: Any) -> None:
        node.workerinput["conformance_config"] = str(self.cfg.path or "")


def run_config(config: pytest.Config) -> Config:
    """The configuration (file) this run resolved its options against."""
    from conformance.config import Config

    return config.stash.get(_CONFIG, None) or Config()


# ---------------------------------------------------------------------------------------------
# sharding and per-test properties
# ---------------------------------------------------------------------------------------------


def parse_shard(value: str | None) -> tuple[int, int] | None:
    """``"2/3"`` → ``(2, 3)``; ``None`` or ``""`` → ``None``; anything else is a ValueError saying why."""
    if not value:
        return None
    m = re.fullmatch(r"\s*(\d+)\s*/\s*(\d+)\s*", str(value))
    if not m:
        raise ValueError(f"--shard: cannot read {value!r}; use I/N, e.g. 1/4 (shard 1 of 4)")
    i, n = int(m.group(1)), int(m.group(2))
    if n < 1 or not 1 <= i <= n:
        raise ValueError(f"--shard {value}: I must be between 1 and N (N ≥ 1), e.g. 1/{max(n, 2)}")
    return i, n


def shard_of(nodeids: list[str], i: int, n: int) -> list[str]:
    """The node ids shard ``i`` of ``n`` runs: sorted by SHA-256 of the node id, then dealt round-robin.

    Every process that collects the same tests (another CI job, an xdist worker) picks the same ids;
    the shards are disjoint, together they are the whole run, and their sizes differ by at most one.
    """
    order = sorted(nodeids, key=lambda nid: (hashlib.sha256(nid.encode("utf-8")).hexdigest(), nid))
    return order[i - 1::n]


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Keep only this shard's tests (``--shard``); tag each test with its provider and endpoint."""
    for item in items:
        for name in ("provider", "endpoint"):
            m = item.get_closest_marker(name)
            if m is not None and m.args and not any(k == name for k, _ in item.user_properties):
                item.user_properties.append((name, str(m.args[0])))
    shard = parse_shard(config.getoption("--shard", None))
    if shard is None:
        return
    keep = set(shard_of([it.nodeid for it in items], *shard))
    selected = [it for it in items if it.nodeid in keep]
    deselected = [it for it in items if it.nodeid not in keep]
    if deselected:
        config.hook.pytest_deselected(items=deselected)
    items[:] = selected


def pytest_report_header(config: pytest.Config) -> list[str]:
    shard = parse_shard(config.getoption("--shard", None))
    cfg = run_config(config)
    lines = []
    if cfg.path is not None:
        lines.append(f"voice-conformance configuration: {cfg.path}")
    if shard is not None:
        lines.append(f"voice-conformance shard {shard[0]} of {shard[1]}")
    return lines


def register_hypothesis_profiles(default: str | None = None) -> None:
    """The shipped suite's profiles: ``dev`` (quick), ``ci`` (derandomized, used when ``CI`` is set),
    ``thorough`` and ``smoke`` (a first look: five derandomized examples, failures reported as found,
    not shrunk). None keeps an example database: the suite writes nothing in the user's folder.

    ``HYPOTHESIS_PROFILE`` picks one; else ``ci`` under ``CI``; else ``default`` (the suite's ``dev``).
    Called by the suite (and the kit's own tests), never for a user's tests: their settings are theirs.
    """
    from hypothesis import HealthCheck, Phase, settings

    common = {"deadline": None, "database": None,
              "suppress_health_check": [HealthCheck.too_slow, HealthCheck.filter_too_much,
                                        HealthCheck.function_scoped_fixture, HealthCheck.data_too_large]}
    settings.register_profile("dev", max_examples=10, **common)
    settings.register_profile("ci", max_examples=10, derandomize=True, print_blob=True,
                              phases=[Phase.explicit, Phase.generate, Phase.target, Phase.shrink], **common)
    settings.register_profile("thorough", max_examples=200, **common)
    settings.register_profile("smoke", max_examples=5, derandomize=True, phases=[Phase.explicit, Phase.generate],
                              **common)
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
    base_urls: dict[str, str] = field(default_factory=dict)  # live: per-provider hosts (configuration file)

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

    def base_url_for(self, provider_id: str) -> str | None:
        """Where this provider's requests go: ``url=BASE``'s base, a configured live host, or ``None``
        (the provider's own host, which the in-process simulator and cassettes answer for)."""
        if self.kind == "url":
            return self.base_url
        if self.kind == "live":
            return self.base_urls.get(provider_id)
        return None

    def describe(self) -> str:
        if self.kind == "url":
            return f"url={self.base_url}"
        hosts = [f"{p}={u}" for p, u in sorted(self.base_urls.items()) if self.kind == "live" and p in self.providers]
        return f"{self.kind} ({', '.join(hosts)})" if hosts else self.kind


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
    seed = pytestconfig.getoption("--conformance-seed")
    target.seed = 0 if seed is None else seed
    target.faults = list(pytestconfig.getoption("--conformance-inject"))
    target.base_urls = dict(run_config(pytestconfig).base_urls)
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
    with receiver, simulate(*conformance_target.providers, seed=conformance_target.seed, webhook_client=receiver) as sim:
        sim.reject_key(WRONG_KEY)
        for spec_text in conformance_target.faults:
            name, _, endpoint = spec_text.partition("@")
            sim.inject(name, endpoint=endpoint or None, times=None)
        yield sim


def _no_sleep(seconds: float) -> None:
    """Simulated time: retries and polls against the simulator do not wait for real."""


@pytest.fixture(scope="session")
def conformance_client(conformance_target: Target, conformance_simulator: Any) -> Iterator[Callable[..., SyncClient]]:
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
        base_url = conformance_target.base_url_for(provider_id)
        if base_url:
            kwargs.setdefault("base_url", base_url)
        if conformance_target.offline:
            kwargs.setdefault("sleep", _no_sleep)
            if provider_id == "modelslab":
                kwargs.setdefault("poll_interval", 0.0)
        client = CLIENTS[provider_id][0](**kwargs)
        made.append(client)
        return client

    yield make
    for client in made:
        client.close()


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


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[Any]) -> Any:
    """A missing optional extra fails a test with one line naming the extra, not a traceback."""
    report = yield
    if call.excinfo is not None and report.failed:
        from conformance.extras import explain

        message = explain(call.excinfo.value)
        if message is not None:
            report.longrepr = message
    return report


@pytest.fixture
def expect_audio(request: pytest.FixtureRequest, conformance_record: Callable[..., None]) -> Iterator[Callable[..., Any]]:
    """``expect_audio(result_or_bytes)``: chainable audio assertions (format, duration, speaker…).

    When the run writes a report, the test's record shows each audio checked and its measurements.
    """
    from conformance.audio import expect_audio as factory

    made: list[Any] = []

    def expect(src: Any, **raw: Any) -> Any:
        expectation = factory(src, **raw)
        made.append(expectation)
        return expectation

    yield expect
    if made and request.config.pluginmanager.get_plugin("conformance-report-session") is not None:
        for i, expectation in enumerate(made):
            role = "output" if i == 0 else f"output {i + 1}"
            prefix = "" if len(made) == 1 else f"{role}: "
            conformance_record(
                audio={role: expectation.audio_for_report()},
                measured={prefix + c.name: c.measured for c in expectation.checks},
                expected={prefix + c.name: c.expected for c in expectation.checks})
