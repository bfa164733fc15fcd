"""The pytest plugin: wiring only. One option group, markers, and the fixtures users need.

Loaded through the ``pytest11`` entry point. It imports nothing heavy: clients, simulators,
hypothesis and the audio stack load when a fixture or the suite first needs them.

PYTEST_DONT_REWRITE: wiring only, no assertions to rewrite (it may be imported before pytest starts).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any

import pytest

from conformance.registry import names as provider_names
from conformance.registry import names_or_builtin
from conformance.target import (
    WRONG_KEY,
    Target,
    parse_shard,
    parse_target,
    selected_providers,
    shard_of,
)

if TYPE_CHECKING:  # pragma: no cover
    from conformance.clients.base import SyncClient
    from conformance.config import Config

pytest_plugins = ["conformance.report.plugin", "conformance.cassettes.plugin", "conformance.simulators.fixtures"]

MARKERS = {
    "provider(id)": f"the provider a test talks to ({', '.join(names_or_builtin())})",
    "endpoint(id)": "the endpoint a test checks: <provider>.<endpoint>, as `voice-conformance spec` lists them",
    "check(name)": "the conformance check, e.g. negative_data_rejection",
    "live": "talks to a live provider: needs its API key in the environment",
    "endpoints(*ids, kind=None)": "run a suite test only for these endpoint ids (or of this kind: audio, english_text, voice_changer)",
}


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("conformance", "voice-conformance")
    group.addoption("--conformance-target", default=None, metavar="TARGET",
                    help="where requests go: simulator (offline), cassette (replay, offline), live (keys from the "
                         "environment) or url=BASE (a gateway); default: the configuration file's, else simulator")
    group.addoption("--conformance-providers", default=None, metavar="IDS",
                    help="comma-separated providers to check (default: the configuration file's, else all): "
                         + ",".join(names_or_builtin()))
    group.addoption("--conformance-seed", type=int, default=None, metavar="N",
                    help="seed of the simulators' audio and ids (default: the configuration file's, else 0)")
    group.addoption("--conformance-inject", action="append", default=[], metavar="FAULT[@ENDPOINT]",
                    help="inject a simulator fault for the whole run, e.g. wrong_sample_rate or "
                         "server_error@<provider>.<endpoint> (repeatable)")
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
    from conformance import thresholds
    from conformance.config import ConfigError, parse_threshold_flags

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
        _check_providers(opt.conformance_providers)
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
    from conformance.secrets import register

    register(*cfg.secret_values(), *(getattr(opt, "cassette_secret", None) or []))  # masked in all output
    if cfg.hypothesis_profile:
        os.environ.setdefault("HYPOTHESIS_PROFILE", cfg.hypothesis_profile)
    config.stash[_CONFIG] = cfg
    if config.pluginmanager.hasplugin("xdist") and not hasattr(config, "workerinput"):
        config.pluginmanager.register(_XdistConfig(cfg), "conformance-config-xdist")


def _check_providers(value: str | None) -> None:
    """Unknown provider ids are a usage error. A broken installed provider package is not raised here, where
    it would stop every pytest run in the environment: the kit's fixtures raise it when they are used."""
    from contextlib import suppress

    from conformance.registry import ProviderLoadError

    with suppress(ProviderLoadError):
        selected_providers(value)


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


# ---------------------------------------------------------------------------------------------
# targets
# ---------------------------------------------------------------------------------------------


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


@pytest.fixture(scope="session")
def conformance_client(conformance_target: Target, conformance_simulator: Any) -> Iterator[Callable[..., SyncClient]]:
    """A factory of reference clients bound to the current target: ``conformance_client(provider_id)``.

    Keyword arguments go to the client (``api_key=``, ``validate=``, ``retry=``…).
    """
    from conformance.clients import make_client

    made: list[Any] = []

    def make(provider_id: str, **kwargs: Any) -> SyncClient:
        if provider_id not in provider_names():
            raise ValueError(f"unknown provider {provider_id!r}; known: {', '.join(provider_names())}")
        conformance_target.skip_without_key(provider_id)
        kwargs.setdefault("api_key", conformance_target.api_key(provider_id))
        base_url = conformance_target.base_url_for(provider_id)
        if base_url:
            kwargs.setdefault("base_url", base_url)
        client = make_client(provider_id, offline=conformance_target.offline, **kwargs)
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


# one reference-client fixture per provider: <provider>_client
for _provider_id in names_or_builtin():
    globals()[f"{_provider_id}_client"] = _client_fixture(_provider_id)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[Any]) -> Any:
    """A missing optional extra fails a test with one line naming the extra, not a traceback."""
    report = yield
    if call.excinfo is not None and report.failed and _raised_by_the_kit(call.excinfo):
        from conformance.extras import explain

        message = explain(call.excinfo.value)
        if message is not None:
            report.longrepr = message
    _mask_report(report)
    return report


@pytest.hookimpl(wrapper=True)
def pytest_make_collect_report(collector: pytest.Collector) -> Any:
    report = yield
    _mask_report(report)
    return report


def _mask_report(report: Any) -> None:
    """Every known secret, in every form, masked in what pytest shows of a test: its assertion text and
    traceback (``-v``, ``-l`` locals included), skip reason and captured output. A provider or gateway
    echoing a key into an error makes it part of the exception pytest prints."""
    from conformance.secrets import known, mask

    values = known()
    if not values:
        return
    longrepr = report.longrepr
    if isinstance(longrepr, tuple) and len(longrepr) == 3:  # a skip: (path, line, reason)
        report.longrepr = (longrepr[0], longrepr[1], mask(str(longrepr[2]), values, env=False))
    elif longrepr is not None:
        text = str(longrepr)
        masked = mask(text, values, env=False)
        if masked != text:
            report.longrepr = masked
    report.sections = [(title, mask(content, values, env=False)) for title, content in report.sections]


def _raised_by_the_kit(excinfo: pytest.ExceptionInfo[BaseException]) -> bool:
    """The exception came through the kit's own code (a user's own failing import keeps its traceback)."""
    package = os.path.dirname(os.path.abspath(__file__)) + os.sep
    return any(str(entry.path).startswith(package) for entry in excinfo.traceback)


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
            prefix = "" if len(made) == 1 else f"output {i + 1}: "
            conformance_record.defaults(  # type: ignore[attr-defined]  (what the test recorded itself is kept)
                audio={"output": expectation.audio_for_report()},
                measured={prefix + c.name: c.measured for c in expectation.checks},
                expected={prefix + c.name: c.expected for c in expectation.checks})
