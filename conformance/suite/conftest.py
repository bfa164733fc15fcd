"""What every check of the shipped suite shares: the target, clients, voices and a way to send.

The suite runs with ``pytest --pyargs conformance.suite``; the options are the plugin's
(``--conformance-target``, ``--conformance-providers``, ``--conformance-inject``…).
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from typing import Any

import pytest

from conformance import hosted
from conformance.profiles import register_hypothesis_profiles
from conformance.spec import Endpoint, endpoints
from conformance.spec.model import AudioInput
from conformance.target import WRONG_KEY, Target

register_hypothesis_profiles(default="dev")


def selected_endpoints(config: pytest.Config) -> list[Endpoint]:
    from conformance.target import selected_providers

    chosen = selected_providers(config.getoption("--conformance-providers"))
    return [e for e in endpoints() if e.provider_id in chosen]


@dataclass
class Outcome:
    """What one call did: its result or error, and the last exchange on the wire."""

    result: Any = None
    error: BaseException | None = None
    status: int | None = None
    content_type: str = ""
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)
    ttfb: float | None = None
    latency: float | None = None

    def case(self, ep: Endpoint, **fields: Any) -> Any:
        """What the protocol checks read of this answer (plus ``fields``: the rule broken, the key sent…)."""
        from conformance.checks import Case

        error = None if self.error is None else f"{type(self.error).__name__}: {self.error}"
        return Case(endpoint=ep, status=self.status, content_type=self.content_type, body=self.body, error=error,
                    **fields)

    def take_exchange(self, ex: Any) -> None:
        """Status, content type, body, headers and time to first byte of the exchange ``ex``."""
        self.status, self.content_type, self.body = ex.status, ex.content_type, ex.body
        self.headers = dict(ex.headers.items())
        self.ttfb = ex.received.ttfb

    def describe(self) -> str:
        if self.error is not None:
            return f"{type(self.error).__name__}: {self.error}"
        return f"HTTP {self.status} {self.content_type}"


@dataclass
class TargetVoice:
    """A voice to clone into or convert to, with real reference speech of it."""

    provider: str
    voice_id: str | None
    reference: bytes  # WAV
    speaker: str | None = None
    transcripts: list[str] = field(default_factory=list)
    unverifiable: str | None = None  # set when ``reference`` is not known to be this voice's speech


class Suite:
    """The suite's view of a run: target, simulator, clients, reference voices, call records."""

    def __init__(self, target: Target, sim: Any, make_client: Callable[..., Any]):
        self.target = target
        self.sim = sim
        self.make_client = make_client
        self.calls: list[dict[str, Any]] = []
        self._clients: dict[tuple[str, bool, str | None], Any] = {}
        self._voices: dict[str, TargetVoice] = {}
        self._files: Any = None  # hosted.FileServer for a gateway (url= target)
        self.record: Callable[..., None] = lambda **fields: None  # the current test's report record
        self._checks: list[dict[str, Any]] = []  # the checks the current test ran
        self._waited_out: dict[str, BaseException] = {}  # endpoints that timed out in the current test

    def check(self, result: Any) -> None:
        """Record a check's measured and expected values in the report, then assert it passed.

        Every check a test runs is also listed on its record (``extra.checks``: name, passed, message,
        measured, expected, rule, source), so the report shows each by its own name, passing or not."""
        self._checks.append({"check": result.check, "passed": result.passed, "message": result.message,
                             "measured": result.measured, "expected": result.expected, "rule": result.rule,
                             "source": result.source})
        self.record(measured=result.measured, expected=result.expected, extra={"checks": list(self._checks)},
                    **{k: v for k, v in (("rule", result.rule), ("source", result.source)) if v})
        if not result.passed:
            self.record(cause=result.explain().splitlines()[0])
        assert result.passed, result.explain()

    def run_check(self, name: str, case: Any) -> None:
        """Run the registered check ``name`` on ``case`` (:mod:`conformance.checks`), record it and assert it."""
        from conformance.checks import run

        self.check(run(name, case))

    # -- clients ---------------------------------------------------------------------------

    def client(self, provider_id: str, *, key: str | None = "default") -> Any:
        """A client for ``provider_id``: the target's key, ``None`` (no key) or a given one."""
        cache_key = (provider_id, key == "default", None if key == "default" else key)
        if cache_key not in self._clients:
            kwargs: dict[str, Any] = {} if key == "default" else {"api_key": key}
            from conformance.clients import RetryPolicy

            # the suite measures what the provider answers: one attempt, no hidden retries
            kwargs["retry"] = RetryPolicy(max_attempts=1)
            # a documented precedence the request leans on is noted in the report, never a warning
            kwargs["on_notice"] = lambda notice: self.record(extra={"notices": [notice]})
            self._clients[cache_key] = self.make_client(provider_id, **kwargs)
        return self._clients[cache_key]

    def send(self, ep: Endpoint, params: dict[str, Any], *, validate: bool = False, key: str | None = "default",
             wait: bool = True) -> Outcome:
        """Call ``ep`` with logical ``params``; never raises for provider behaviour."""
        client = self.client(ep.provider_id, key="" if key is None else key)
        self.serve_urls(params, ep.provider_id)
        out = Outcome()
        if ep.id in self._waited_out:
            return self._not_sent(ep, out)
        started = time.perf_counter()
        try:
            out.result = client.call(ep.id, params, validate=validate, wait=wait)
        except Exception as exc:  # the checks judge every outcome
            out.error = exc
        out.latency = time.perf_counter() - started
        if isinstance(out.error, self._timeouts()):
            self._waited_out[ep.id] = out.error
        ex = getattr(out.result if out.error is None else out.error, "exchange", None)  # what the call got
        if ex is not None:
            out.take_exchange(ex)
        self.calls.append({"endpoint": ep.id, "status": out.status, "ttfb": out.ttfb, "latency": out.latency,
                           "error": type(out.error).__name__ if out.error else None})
        self.record(latency={"ttfb": out.ttfb, "total": out.latency},
                    request_excerpt=f"{ep.method} {ep.path} {sorted(params)}",
                    response_excerpt=_excerpt(out))
        return out

    @staticmethod
    def _timeouts() -> tuple[type[BaseException], ...]:
        from conformance.clients import JobTimeout, RequestTimeout

        return JobTimeout, RequestTimeout

    def _not_sent(self, ep: Endpoint, out: Outcome) -> Outcome:
        """The outcome of a request not sent because ``ep`` already timed out in this test.

        Hypothesis runs a failing test again to shrink and explain it: each run would wait out the
        timeout again (the poll timeout of a stuck job; ten minutes on a live provider), whatever the
        request. The later requests of the test fail at once with the first timeout, saying so."""
        first = self._waited_out[ep.id]
        # the same error class and attributes, another message (copy.copy would call an __init__
        # that takes other arguments); the message is masked like any client error's
        error = type(first).__new__(type(first))
        error.__dict__.update(first.__dict__)
        error.args = (f"not sent: {ep.id} timed out earlier in this test ({first})",)
        out.error = error
        if getattr(first, "exchange", None) is not None:
            out.take_exchange(first.exchange)
        self.record(extra={"not_sent": f"{ep.id} timed out earlier in this test: later requests were not sent"})
        return out

    def serve_urls(self, params: dict[str, Any], provider_id: str = "") -> None:
        """Make audio given as hosted URLs reachable by the target.

        The in-process simulator is told the bytes (it serves and probes them). A gateway (``url=``)
        fetches them over HTTP from a file server on this machine, so their URLs are moved there. A
        live provider needs a public address for that server: ``VOICE_CONFORMANCE_AUDIO_BASE`` (the
        public URL, e.g. a tunnel) and ``VOICE_CONFORMANCE_AUDIO_BIND`` (``host:port`` to listen on).
        """
        if self.sim is None and self.target.kind not in ("url", "live"):
            return  # cassettes replay the recorded URLs
        stack: list[dict[str, Any]] = [params]
        while stack:
            holder = stack.pop()
            for k, v in holder.items():
                if isinstance(v, AudioInput) and v.kind == "url" and v.url and v.data is not None:
                    if self.sim is not None:
                        self.sim.register_url(v.url, v.data)
                        continue
                    public = os.environ.get(hosted.PUBLIC_BASE_ENV)
                    if public is None and self.target.kind == "live":
                        pytest.skip(f"live {provider_id}: {k} takes an audio URL the provider downloads; set "
                                    f"{hosted.PUBLIC_BASE_ENV} to a public address of this machine's "
                                    f"{hosted.BIND_ENV} (default 127.0.0.1:8765)")
                    server = self.file_server(default_port=8765 if self.target.kind == "live" else 0)
                    holder[k] = replace(v, url=hosted.rebase(v.url, public or server.base_url))
                elif isinstance(v, dict):
                    stack.append(v)

    def file_server(self, default_port: int = 0) -> Any:
        if self._files is None:
            self._files = hosted.FileServer.from_env(default_port=default_port)
        return self._files

    def close(self) -> None:
        if self._files is not None:
            self._files.close()
            self._files = None

    # -- voices ----------------------------------------------------------------------------

    def voice(self, provider_id: str) -> TargetVoice:
        """The voice the suite converts into, with reference speech (the provider's spec
        :class:`~conformance.spec.model.VoiceSetup`).

        The simulator gets a voice made from the setup's fixture speaker. On a live or gateway target,
        a provider with a premade voice converts into the account's voice named by
        ``VOICE_CONFORMANCE_<PROVIDER>_VOICE_ID``, whose speech is the recording at
        ``VOICE_CONFORMANCE_<PROVIDER>_VOICE_REFERENCE``; without them it uses the premade voice and
        speaker verification is skipped, saying so. (Cassettes were recorded from an account whose
        voice speaks like the fixture speaker.)
        """
        if provider_id not in self._voices:
            from conformance.spec import provider
            from conformance.strategies import audio_bytes

            setup = provider(provider_id).voice
            speaker: str | None = setup.speaker
            voice_id = f"conformance-{speaker}"
            reference = audio_bytes(8.0, "wav", 16000, speaker)
            unverifiable = None
            if self.sim is not None:
                self.sim.add_voice(provider_id, voice_id, speaker=speaker)
            elif setup.premade_voice_id:
                voice_id = setup.premade_voice_id
                if self.target.kind in ("live", "url"):
                    id_env, reference_env = setup.env_vars(provider_id)
                    vid, ref = os.environ.get(id_env), os.environ.get(reference_env)
                    if vid and ref:
                        voice_id, reference, speaker = vid, _read_reference(reference_env, ref), None
                    else:
                        unverifiable = (f"{self.target.kind} {provider_id}: speaker verification needs a voice "
                                        f"of the account and a recording of it: set {id_env} and "
                                        f"{reference_env}")
            self._voices[provider_id] = TargetVoice(provider_id, voice_id, reference, speaker, unverifiable=unverifiable)
        return self._voices[provider_id]

    def wrong_key(self) -> str:
        return WRONG_KEY


def _read_reference(variable: str, path: str) -> bytes:
    from pathlib import Path

    p = Path(path).expanduser()
    if not p.is_file():
        raise ValueError(f"{variable}={path!r}: no such file")
    return p.read_bytes()


def _excerpt(out: Outcome) -> str:
    head = f"HTTP {out.status} {out.content_type}" if out.status is not None else out.describe()
    if out.body and ("json" in out.content_type or "text" in out.content_type or "html" in out.content_type):
        return head + "\n" + out.body[:600].decode("utf-8", "replace")
    return head + (f"\n<{len(out.body)} bytes>" if out.body else "")


@pytest.fixture(autouse=True)
def _suite_records(request: pytest.FixtureRequest) -> Iterator[None]:
    """Every call and check of a suite test goes into that test's report record."""
    if "suite" not in request.fixturenames:
        yield
        return
    suite = request.getfixturevalue("suite")
    try:
        suite.record = request.getfixturevalue("conformance_record")
    except pytest.FixtureLookupError:  # the report plugin is disabled (-p no:...)
        suite.record = lambda **fields: None
    suite._checks = []
    suite._waited_out = {}
    suite.record(target=suite.target.describe())
    yield
    suite.record = lambda **fields: None
    suite._checks = []
    suite._waited_out = {}


@pytest.fixture(scope="session")
def suite(conformance_target: Target, conformance_simulator: Any, conformance_client: Any) -> Iterator[Suite]:
    """The run's :class:`Suite`."""
    s = Suite(conformance_target, conformance_simulator, conformance_client)
    yield s
    s.close()


@pytest.fixture(autouse=True)
def _conformance_cassette(request: pytest.FixtureRequest, conformance_target: Target) -> None:
    """On the ``cassette`` target (or when recording), this test replays or records its own cassette."""
    from conformance.cassettes.plugin import cassettes_active

    if cassettes_active(request.config, conformance_target):
        request.getfixturevalue("conformance_cassette")


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """Parametrize ``endpoint`` over the selected endpoints (``endpoint_kind`` narrows them)."""
    if "endpoint" in metafunc.fixturenames and not {"rule_label", "variant"} & set(metafunc.fixturenames):
        eps = selected_endpoints(metafunc.config)
        marker = metafunc.definition.get_closest_marker("endpoints")
        if marker is not None:
            kind = marker.kwargs.get("kind")
            eps = [e for e in eps if (not marker.args or e.id in marker.args) and (kind is None or of_kind(e, kind))]
        metafunc.parametrize("endpoint", eps, ids=[e.id for e in eps])


def of_kind(ep: Endpoint, kind: str) -> bool:
    """``audio``: its output audio is checked (its provider's scenarios say so); ``english_text``: it also
    speaks English text it is given; ``voice_changer``: it converts speech into another voice."""
    from conformance.scenarios import scenarios

    if kind == "voice_changer":
        return ep.converts_voice
    if kind == "audio":
        return ep.name in scenarios(ep.provider_id).audio_endpoints
    if kind == "english_text":
        return ep.name in scenarios(ep.provider_id).english_text
    raise ValueError(f"unknown endpoint kind {kind!r}")  # pragma: no cover - a suite bug


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Mark every suite test with its provider, endpoint and check (``-m``, ``-k`` and the report use them).

    Tests of providers left out by ``--conformance-providers`` (and parametrizations left empty by
    that choice) are deselected, not skipped: a skip in this suite means a live provider without its key.
    """
    from conformance.target import selected_providers

    chosen = set(selected_providers(config.getoption("--conformance-providers")))
    keep, drop = [], []
    for item in items:
        callspec = getattr(item, "callspec", None)
        ep = callspec.params.get("endpoint") if callspec else None
        if isinstance(ep, Endpoint):
            item.add_marker(pytest.mark.provider(ep.provider_id))
            item.add_marker(pytest.mark.endpoint(ep.id))
        elif callspec is not None and isinstance(callspec.params.get("provider_id"), str):
            item.add_marker(pytest.mark.provider(callspec.params["provider_id"]))
        name = item.originalname if hasattr(item, "originalname") else item.name
        item.add_marker(pytest.mark.check(name.removeprefix("test_")))
        provider = item.get_closest_marker("provider")
        empty = any(m.name == "skip" and str(m.kwargs.get("reason", "")).startswith("got empty parameter set")
                    for m in item.iter_markers())
        (drop if empty or (provider is not None and provider.args[0] not in chosen) else keep).append(item)
    if drop:
        config.hook.pytest_deselected(items=drop)
        items[:] = keep
