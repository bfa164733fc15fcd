"""The simulator: one request handler per provider behind one pipeline that reads the spec.

``Simulator.handle(request) -> SimResponse`` is the whole server: route (``wire.match_endpoint``),
answer-phase faults, auth (``Provider.auth`` through ``wire.decode_request``), validation
(``Endpoint.validate``), the provider's handler, modify-phase faults. Errors are rendered by the
provider's own ``error_shape`` from its documented ``ErrorCase`` objects. Two adapters put it on
the wire: respx routes in-process (:mod:`conformance.simulators.mount`) and an ASGI app over
loopback HTTP (:mod:`conformance.simulators.server`).
"""

from __future__ import annotations

import hashlib
import json
import math
import threading
import uuid
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, ClassVar, Literal, cast
from urllib.parse import urlsplit

import httpx

from conformance.audio._cache import ByteBudget
from conformance.simulators import faults as _faults
from conformance.simulators.answers import SimResponse
from conformance.simulators.faults import AnswerFault, AudioFault, Fault, JobFault, ModifyFault
from conformance.spec import wire
from conformance.spec.model import MISSING, AudioInput, Endpoint, ErrorCase, Provider, Source, Violation
from conformance.spec.registry import provider as get_provider
from conformance.spec.registry import providers as all_providers

if TYPE_CHECKING:  # pragma: no cover
    import numpy as np

    from conformance.simulators.audio import Reference

FILES_BASE = "https://files.simulator.invalid"  # `.invalid` never resolves: nothing leaks to a real host
FILES_PATH = "/_simulator/files/"
SIMULATOR_SOURCE = Source("voice-conformance simulator", assumed=True)
MAX_CALLS = 10_000  # calls kept in Simulator.calls
MAX_FILES = 2_000  # files kept (outputs, previews, hosted files), oldest dropped first
MAX_FILE_BYTES = 256 * 2**20  # and at most this many bytes of them (the newest file is always kept)


# --------------------------------------------------------------------------------------------
# answers, records, state
# --------------------------------------------------------------------------------------------


@dataclass
class Call:
    """One request the simulator answered (secrets never recorded)."""

    method: str
    url: str
    endpoint_id: str | None
    status: int | None
    request_id: str | None
    faults: list[str]


@dataclass
class StoredFile:
    """A file the simulator serves (outputs, previews, files a test hosts). ``ready`` gates job outputs."""

    name: str
    data: bytes
    content_type: str
    provider_id: str | None = None
    ready: Callable[[], bool] | None = None


@dataclass
class Voice:
    """A voice a provider knows: a fixture ``speaker`` or ``reference`` audio bytes, plus metadata."""

    provider_id: str
    voice_id: str
    speaker: str | None = None
    reference: bytes | None = None
    meta: dict[str, Any] = field(default_factory=dict)
    created: bool = False  # made by a clone call (not in the built-in catalogue)


@dataclass
class WebhookDelivery:
    """A webhook the simulator POSTed: where, what, and what came back (``error`` if it could not)."""

    url: str
    payload: dict[str, Any]
    status: int | None = None
    error: str | None = None


class SimError(Exception):
    """Raised by a handler to answer with a documented error (``name`` as in ``Provider.error``)."""

    def __init__(self, name: str, message: str | None = None, *, violations: list[Violation] | None = None,
                 case: ErrorCase | None = None):
        self.name = name
        self.message = message
        self.violations = violations
        self.case = case
        super().__init__(message or name)


# --------------------------------------------------------------------------------------------
# per-request context
# --------------------------------------------------------------------------------------------


@dataclass
class Context:
    """Everything a provider handler gets for one request."""

    sim: Simulator
    endpoint: Endpoint
    request: httpx.Request
    base_url: str
    request_id: str
    params: dict[str, Any] = field(default_factory=dict)
    api_key: str | None = None
    fault_names: list[str] = field(default_factory=list)
    raw_params: dict[str, str] = field(default_factory=dict)  # path, query and form values as sent

    @property
    def provider(self) -> Provider:
        return self.endpoint.provider

    def value(self, name: str) -> Any:
        """The param's value, or its documented default when it was not sent (``None`` if neither)."""
        v = self.params.get(name, MISSING)
        if v is MISSING:
            d = self.endpoint.param(name).default
            return None if d is MISSING else d
        return v

    @property
    def digest(self) -> bytes:
        """A stable hash of the simulator seed, the endpoint and every param value (audio by content)."""
        return request_digest(self.sim.seed, self.endpoint.id, self.params)

    def take_audio_fault(self) -> AudioFault | None:
        """The next audio fault aimed at this endpoint, counted as used (``None`` if there is none)."""
        f = self.sim._take_fault(self.endpoint.id, "audio")
        if f is not None:
            self.fault_names.append(f.key)
        return cast("AudioFault | None", f)

    def take_job_fault(self) -> JobFault | None:
        """The next job fault aimed at this endpoint, counted as used: the provider simulator calls its
        ``job(job)`` on the job it queues (``None`` if there is none)."""
        f = self.sim._take_fault(self.endpoint.id, "job")
        if f is not None:
            self.fault_names.append(f.key)
        return cast("JobFault | None", f)

    def error(self, name: str, message: str | None = None, *, violations: list[Violation] | None = None,
              case: ErrorCase | None = None, headers: Mapping[str, str] | None = None) -> SimResponse:
        """The provider's documented error ``name``, rendered by its error shape."""
        return self.sim.render_error(self.provider, name, request_id=self.request_id, message=message,
                                     violations=violations, endpoint=self.endpoint, case=case, headers=headers)

    def json(self, body: Any, status: int = 200, headers: Mapping[str, str] | None = None) -> SimResponse:
        return json_response(body, status, headers)


def json_response(body: Any, status: int = 200, headers: Mapping[str, str] | None = None) -> SimResponse:
    out = {"content-type": "application/json"}
    out.update(headers or {})
    return SimResponse(status, json.dumps(body, separators=(",", ":")).encode(), out)


def request_digest(seed: int, endpoint_id: str, params: Mapping[str, Any]) -> bytes:
    h = hashlib.sha256(f"{seed}\x00{endpoint_id}".encode())
    for name in sorted(params):
        h.update(b"\x00" + name.encode() + b"=")
        h.update(_canonical(params[name]))
    return h.digest()


def _canonical(value: Any) -> bytes:
    if isinstance(value, AudioInput):
        if value.data is not None:
            return b"audio:" + hashlib.sha256(value.data).digest()
        return b"url:" + (value.url or "").encode()
    if isinstance(value, Mapping):
        return b"{" + b",".join(k.encode() + b":" + _canonical(value[k]) for k in sorted(value)) + b"}"
    return repr(value).encode()


# --------------------------------------------------------------------------------------------
# provider simulators: one class per provider, registered by provider id
# --------------------------------------------------------------------------------------------

def simulator_class(provider_id: str) -> type[ProviderSimulator]:
    """The provider package's ``simulator.SIMULATOR`` (a KeyError names the known providers)."""
    from conformance import registry as packages

    packages.package(provider_id)  # KeyError for an unknown provider
    cls = packages.part(provider_id, "simulator", "SIMULATOR")
    if not (isinstance(cls, type) and issubclass(cls, ProviderSimulator) and cls.provider_id == provider_id):
        raise packages.ProviderLoadError(f"provider {provider_id!r}: simulator.SIMULATOR must be a ProviderSimulator "
                                         f"subclass with provider_id {provider_id!r}")
    return cls


class ProviderSimulator:
    """Answers one provider's endpoints. Subclasses set ``provider_id`` and define one method per
    endpoint name (``def voice_clone(self, ctx) -> SimResponse``); the provider package's
    ``simulator.SIMULATOR`` names the subclass."""

    provider_id: ClassVar[str] = ""
    catalogue: ClassVar[Mapping[str, str]] = {}  # built-in voice id -> fixture speaker id

    def __init__(self, sim: Simulator):
        self.sim = sim
        self.provider: Provider = get_provider(self.provider_id)

    def handle(self, ctx: Context) -> SimResponse:
        handler = getattr(self, ctx.endpoint.name, None)
        if handler is None:  # pragma: no cover - every spec endpoint has a handler (tested)
            raise SimError("not_found", f"{ctx.endpoint.id} is not simulated")
        return handler(ctx)

    def headers(self, ctx: Context, response: SimResponse) -> dict[str, str]:
        """Headers the provider puts on every answer (request ids, …)."""
        return {}

    def invalid_case(self, violations: list[Violation], ctx: Context) -> str:
        """Which documented error answers these violations (``invalid_request`` unless the provider
        documents a more specific one)."""
        return "invalid_request"

    def invalid_audio_case(self) -> str:
        """The documented error for audio that cannot be read or fetched."""
        return "invalid_request"

    # what an audio URL the simulator neither hosts nor fetches is taken for: "speaker" (a fixture
    # speaker chosen by the URL) or "error" (the provider's answer to a URL it could not fetch)
    unknown_urls: ClassVar[Literal["speaker", "error"]] = "speaker"

    def close(self) -> None:
        """Stop whatever runs on its own (a queued job's clock): the simulator is stopping."""

    def unreachable_message(self, param: str, url: str) -> str:
        """The error message for an audio URL the provider could not download."""
        return f"{param} could not be downloaded from {url}"

    def before_auth(self, violations: list[Violation], ctx: Context) -> list[Violation]:
        """The violations the provider answers before it looks at the key (its request schema's,
        where a framework validates the body first), as it reports them. Default: none, the key is
        checked first."""
        return []

    def unreadable_case(self) -> ErrorCase | None:
        """The documented answer to a body that cannot be parsed (``None``: its ``invalid_request``)."""
        return None

    def auth_params(self) -> tuple[str, ...]:
        """Params that carry the key (validated by the auth check, not by ``Endpoint.validate``)."""
        auth = self.provider.auth
        return (auth.name,) if auth.scheme == "json_body" else ()


# --------------------------------------------------------------------------------------------
# the simulator
# --------------------------------------------------------------------------------------------


class Simulator:
    """Fake providers that answer like the real ones, with real audio.

    ``providers``: provider ids (default: every provider in the spec). ``seed``: makes audio and ids
    deterministic. ``keys``: the accepted API keys (an iterable for every provider, or a mapping
    provider id -> keys); ``None`` accepts any non-empty key except those given to
    :meth:`reject_key`. ``http200_errors``: send the errors a provider documents as arriving with
    HTTP 200 (as their spec allows) that way instead of with their documented status. A queued job
    finishes on its own clock, as the provider's does (its ``eta``, scaled down: see the provider's
    simulator), and delivers its webhook with nobody polling; ``job_seconds`` sets that clock to a
    fixed time instead. ``job_polls``: a job finishes after this many fetches answered ``processing``
    (0: it is ``success`` at once), for tests that count; given alone, it replaces the clock.
    ``unknown_urls``: audio URLs the simulator does not host are read as a fixture speaker chosen
    by the URL (``"speaker"``) or rejected with the provider's invalid-audio error (``"error"``);
    by default each provider answers as it is documented to (``ProviderSimulator.unknown_urls``).
    ``webhook_client``: the ``httpx.Client`` that delivers webhooks (default: a plain one, so a respx
    route on the webhook host captures them in-process).
    ``fetch_urls``: download audio URLs it does not host over HTTP, as the providers do (for a
    server whose clients host their audio themselves; at most ``MAX_FETCH_BYTES``).
    """

    def __init__(self, *providers: str, seed: int = 0, keys: Iterable[str] | Mapping[str, Iterable[str]] | None = None,
                 http200_errors: bool = False, job_polls: int | None = None, job_seconds: float | None = None,
                 unknown_urls: Literal["speaker", "error"] | None = None,
                 webhook_client: httpx.Client | None = None, files_base: str = FILES_BASE,
                 fetch_urls: bool = False):
        ids = list(providers) or list(all_providers())
        classes = {pid: simulator_class(pid) for pid in ids}
        self.seed = seed
        self.http200_errors = http200_errors
        self.job_polls = job_polls
        self.job_seconds = job_seconds
        self.unknown_urls = unknown_urls
        self.fetch_urls = fetch_urls
        self.files_base = files_base.rstrip("/")
        self.webhook_client = webhook_client
        self.providers: dict[str, ProviderSimulator] = {pid: cls(self) for pid, cls in classes.items()}
        self._keys: dict[str, set[str]] | None = self._key_sets(keys)
        self._rejected: set[str] = set()
        self.faults: list[Fault] = []
        self.calls: list[Call] = []
        self.files: dict[str, StoredFile] = {}
        self._file_bytes = 0
        self.urls: dict[str, bytes] = {}
        self._fetched: ByteBudget[bytes] = ByteBudget(FETCH_CACHE_BYTES)
        self.voices: dict[str, dict[str, Voice]] = {pid: {} for pid in ids}
        self.webhooks: list[WebhookDelivery] = []
        self.in_flight: dict[str, int] = dict.fromkeys(ids, 0)
        self._counter = 0
        self._lock = threading.RLock()
        for pid, ps in self.providers.items():
            for vid, speaker in ps.catalogue.items():
                self.voices[pid][vid] = Voice(pid, vid, speaker=speaker)
        self._mount: Any = None

    def __repr__(self) -> str:
        return f"Simulator({', '.join(self.providers)}, seed={self.seed})"

    @staticmethod
    def _key_sets(keys: Iterable[str] | Mapping[str, Iterable[str]] | None) -> dict[str, set[str]] | None:
        if keys is None:
            return None
        if isinstance(keys, Mapping):
            return {pid: set(v) for pid, v in keys.items()}
        return {"*": set(keys)}

    # -- configuration -------------------------------------------------------------------------

    def reject_key(self, *keys: str) -> None:
        """Answer requests carrying any of these keys with the provider's wrong-key error."""
        self._rejected.update(keys)

    def accept_key(self, *keys: str, provider: str | None = None) -> None:
        """Accept these keys (switches to an explicit key list when none was given)."""
        with self._lock:
            if self._keys is None:
                self._keys = {}
            self._keys.setdefault(provider or "*", set()).update(keys)
            self._rejected.difference_update(keys)

    def inject(self, fault: str | Fault, endpoint: str | None = None, times: int | None = _faults.UNSET,
               **options: Any) -> Fault:
        """Inject a fault (see :mod:`conformance.simulators.faults`); returns it (``hits``, ``remaining``)."""
        f = _faults.make(fault, endpoint=endpoint, times=times, **options)
        if f.endpoint is not None:
            self._check_target(f.endpoint)
        with self._lock:
            self.faults.append(f)
        return f

    def clear_faults(self) -> None:
        with self._lock:
            self.faults.clear()

    def _check_target(self, target: str) -> None:
        names = set(self.providers)
        for pid in self.providers:
            names.add(f"{pid}.download")
            names.add("download")
            for ep in get_provider(pid).endpoints:
                names.update((ep.id, ep.name))
        if target not in names:
            raise KeyError(f"no simulated endpoint {target!r}; known: {', '.join(sorted(names))}")

    def add_voice(self, provider: str, voice_id: str, *, speaker: str | None = None,
                  audio: bytes | None = None, **meta: Any) -> Voice:
        """Make ``voice_id`` exist at ``provider``, speaking like fixture ``speaker`` or like ``audio``."""
        if (speaker is None) == (audio is None):
            raise ValueError("give exactly one of speaker= or audio=")
        v = Voice(provider, voice_id, speaker=speaker, reference=audio, meta=meta, created=True)
        with self._lock:
            self.voices.setdefault(provider, {})[voice_id] = v
        return v

    def host_file(self, data: bytes, name: str | None = None, *, content_type: str = "application/octet-stream",
                  provider_id: str | None = None, ready: Callable[[], bool] | None = None) -> str:
        """Serve ``data`` and return its URL (give it as ``init_audio``, ``audio_url``, …)."""
        if name is None:
            name = hashlib.sha256(data).hexdigest()[:24]
        with self._lock:
            replaced = self.files.pop(name, None)  # hosted again: it is the newest now
            self._file_bytes -= len(replaced.data) if replaced is not None else 0
            self.files[name] = StoredFile(name, data, content_type, provider_id, ready)
            self._file_bytes += len(data)
            # outputs expire oldest first (providers delete them too), by count and by bytes: a server
            # must not grow with what its clients upload
            while len(self.files) > 1 and (len(self.files) > MAX_FILES or self._file_bytes > MAX_FILE_BYTES):
                self._file_bytes -= len(self.files.pop(next(iter(self.files))).data)
        return f"{self.files_base}/{name}"

    def register_url(self, url: str, data: bytes) -> None:
        """Make an audio URL on any host read as ``data`` (the simulator never fetches real URLs)."""
        with self._lock:
            self.urls[url] = data

    # -- ids ----------------------------------------------------------------------------------

    def next_id(self, kind: str) -> str:
        """A deterministic id (a function of the seed and how many ids were made before)."""
        with self._lock:
            self._counter += 1
            n = self._counter
        return hashlib.sha256(f"{self.seed}:{kind}:{n}".encode()).hexdigest()

    def next_uuid(self, kind: str) -> str:
        return str(uuid.UUID(self.next_id(kind)[:32], version=4))

    # -- files and URLs -----------------------------------------------------------------------

    def file_for_url(self, url: str) -> StoredFile | None:
        name = self._file_name(url)
        if name is None:
            return None
        f = self.files.get(name)
        if f is None or (f.ready is not None and not f.ready()):
            return None
        return f

    def _file_name(self, url: str) -> str | None:
        if url.startswith(self.files_base + "/"):
            return url[len(self.files_base) + 1:].split("?", 1)[0]
        parts = urlsplit(url)
        if parts.path.startswith(FILES_PATH):
            return parts.path[len(FILES_PATH):]
        if url.startswith(FILES_BASE + "/"):
            return url[len(FILES_BASE) + 1:].split("?", 1)[0]
        return None

    def resolve_url(self, url: str) -> bytes | None:
        """The bytes behind an audio URL the simulator knows (its files, registered URLs), else ``None``."""
        if url in self.urls:
            return self.urls[url]
        f = self.file_for_url(url)
        if f is not None:
            return f.data
        if not (self.fetch_urls and url.startswith(("http://", "https://"))):
            return None
        return self._fetched.get(url) or self._fetch(url)

    def _fetch(self, url: str) -> bytes | None:
        import httpx

        try:
            with httpx.Client(timeout=10.0, follow_redirects=True) as client, client.stream("GET", url) as r:
                if r.status_code != 200:
                    return None
                data = bytearray()
                for chunk in r.iter_bytes():
                    data += chunk
                    if len(data) > MAX_FETCH_BYTES:
                        return None
        except httpx.HTTPError:
            return None
        got = bytes(data)
        del data
        self._fetched.put(url, got)  # within FETCH_CACHE_BYTES, oldest first; a bigger body is not kept
        return got

    def stand_in_speaker(self, key: str) -> str:
        """The fixture speaker that reads an audio URL the simulator cannot see (chosen by the URL)."""
        from conformance.simulators.audio import wideband_speaker_ids

        ids = wideband_speaker_ids()
        return ids[int.from_bytes(hashlib.sha256(key.encode()).digest()[:4], "little") % len(ids)]

    def reference_for(self, ctx: Context, param: str, audio: AudioInput, *,
                      raw_sample_rate: int | None = None) -> Reference:
        """The speech behind an audio param: decoded bytes, or a stand-in speaker for an unknown URL.

        Audio that cannot be decoded or fetched answers the provider's invalid-audio error.
        """
        from conformance.simulators.audio import audio_reference, speaker_reference

        case = self.providers[ctx.provider.id].invalid_audio_case()
        if audio.data is not None:
            try:
                return audio_reference(audio.data, raw_sample_rate=raw_sample_rate)
            except ValueError as exc:
                msg = f"could not be decoded as audio ({exc})"
                raise SimError(case, f"{param} {msg}", violations=[
                    Violation("decodable_audio", param, audio.describe(), msg, SIMULATOR_SOURCE)]) from None
        ps = self.providers[ctx.provider.id]
        if (self.unknown_urls or ps.unknown_urls) == "error":
            msg = f"could not be downloaded from {audio.url}"
            raise SimError(case, ps.unreachable_message(param, audio.url or ""), violations=[
                Violation("reachable_url", param, repr(audio.url), msg, SIMULATOR_SOURCE)])
        return speaker_reference(self.stand_in_speaker(audio.url or ""))

    def speak(self, ctx: Context, ref: Reference, sample_rate: int, *, duration: float | None = None,
              follow: Reference | None = None, text: str | None = None,
              speed: float = 1.0, sample: Reference | None = None) -> tuple[np.ndarray, int]:
        """Speech in the voice of ``ref``: ``(samples, rate)``, with this request's audio fault applied.

        Give ``follow`` (a voice changer's input: its length, pauses and intonation are kept), ``text``
        (sentences the fixtures say are spoken for real), ``sample`` (a recording of ``ref`` that is
        itself the answer, e.g. a new voice's sample: another voice, a fault's, says as much instead)
        or a plain ``duration``. The rate is ``sample_rate`` unless a ``wrong_sample_rate`` fault says
        otherwise.
        """
        from conformance.simulators.audio import render, resample, speak_text

        def make(voice: Reference, rate: int) -> np.ndarray:
            if sample is not None:
                if voice is ref:
                    return resample(sample.samples, sample.sample_rate, rate)
                return render(voice, sample.duration, rate, seed=ctx.digest)
            if follow is not None:
                return render(voice, follow.duration if duration is None else duration, rate, seed=ctx.digest,
                              follow=(follow.samples, follow.sample_rate))
            if text is not None:
                return speak_text(voice, text, rate, seed=ctx.digest, speed=speed)
            return render(voice, duration or 1.0, rate, seed=ctx.digest)

        fault = ctx.take_audio_fault()
        if fault is None:
            return make(ref, sample_rate), sample_rate
        return fault.audio(ctx, ref, sample_rate, make)

    def voice_reference(self, voice: Voice) -> Reference:
        from conformance.simulators.audio import audio_reference, speaker_reference

        if voice.speaker is not None:
            return speaker_reference(voice.speaker)
        assert voice.reference is not None
        return audio_reference(voice.reference)

    def wrong_speaker_reference(self, fault: Fault, right: Reference) -> Reference:
        """Another voice than ``right``: the fault's ``speaker``, else the wide-band fixture speaker
        whose median pitch is farthest from it (so the difference is plain to hear and to measure)."""
        from conformance.simulators.audio import median_pitch, speaker_reference, wideband_speaker_ids

        chosen = getattr(fault, "speaker", None)
        if not chosen:
            own = median_pitch(right)
            others = [s for s in wideband_speaker_ids() if f"speaker:{s}" != right.label]
            chosen = max(others, key=lambda s: abs(math.log(median_pitch(speaker_reference(s)) / own)))
        return speaker_reference(chosen)

    # -- webhooks -----------------------------------------------------------------------------

    def deliver_webhook(self, url: str, payload: dict[str, Any]) -> WebhookDelivery:
        """POST ``payload`` to ``url`` (through :attr:`webhook_client`); the delivery is recorded."""
        d = WebhookDelivery(url, payload)
        client = self.webhook_client or httpx.Client(timeout=10.0)
        try:
            r = client.post(url, json=payload, headers={"user-agent": "voice-conformance-simulator"})
            d.status = r.status_code
        except Exception as exc:  # a webhook that cannot be delivered does not break the job
            d.error = f"{type(exc).__name__}: {exc}"
        finally:
            if self.webhook_client is None:
                client.close()
        with self._lock:
            self.webhooks.append(d)
        return d

    def complete_jobs(self) -> int:
        """Finish every queued job now (webhooks included); returns how many finished."""
        n = 0
        for ps in self.providers.values():
            finish = getattr(ps, "complete_all", None)
            if finish is not None:
                n += finish()
        return n

    # -- errors ------------------------------------------------------------------------------

    def render_error(self, provider: Provider, name: str, *, request_id: str | None = None, message: str | None = None,
                     violations: list[Violation] | None = None, endpoint: Endpoint | None = None,
                     case: ErrorCase | None = None, headers: Mapping[str, str] | None = None) -> SimResponse:
        case = case or provider.error(name)
        body = provider.error_shape.render(case, request_id=request_id, violations=violations, endpoint=endpoint,
                                           message=message)
        status = 200 if (case.http200 and self.http200_errors) else case.status
        resp = json_response(body, status, headers)
        resp.error = True
        return resp

    # -- faults ------------------------------------------------------------------------------

    def _take_fault(self, endpoint_id: str, phase: str, accept: Callable[[Fault], bool] | None = None) -> Fault | None:
        with self._lock:
            for f in self.faults:
                if (f.phase == phase and f.matches(endpoint_id) and (accept is None or accept(f))
                        and f.take()):
                    return f
        return None

    def _modify(self, endpoint_id: str, resp: SimResponse) -> SimResponse:
        """Apply the armed modify-phase faults aimed at this endpoint (one of each key) to ``resp``."""
        with self._lock:
            candidates = [cast(ModifyFault, f) for f in self.faults
                          if f.phase == "modify" and f.active and f.matches(endpoint_id)]
        seen: set[str] = set()
        for f in candidates:
            if f.key in seen or not f.accepts(resp) or not f.take():
                continue
            seen.add(f.key)
            resp.faults.append(f.key)
            resp = f.modify(resp)
        return resp

    def _answer_fault(self, f: Fault, ctx: Context | None, provider: Provider) -> SimResponse:
        """The answer of an answer-phase fault, marked with its key."""
        resp = cast(AnswerFault, f).answer(self, provider, ctx)
        resp.faults.append(f.key)
        return resp

    # -- the pipeline -------------------------------------------------------------------------

    def handle(self, request: httpx.Request) -> SimResponse:
        """Answer one request exactly as the provider would (faults included)."""
        resp, endpoint_id, rid = self._handle(request)
        with self._lock:
            self.calls.append(Call(request.method, _safe_url(request.url), endpoint_id,
                                   None if resp.timeout else resp.status, rid, list(resp.faults)))
            if len(self.calls) > MAX_CALLS:  # a long-running server keeps the recent half
                del self.calls[: MAX_CALLS // 2]
        return resp

    def _handle(self, request: httpx.Request) -> tuple[SimResponse, str | None, str | None]:
        path = request.url.path
        if request.method in ("GET", "HEAD") and (path.startswith(FILES_PATH) or
                                                  str(request.url).startswith(self.files_base + "/")):
            return self._serve_file(request)
        found = wire.match_endpoint(request.method, path)
        if found is None or found[0].provider_id not in self.providers:
            return self._no_route(request), None, None
        endpoint = found[0]
        ps = self.providers[endpoint.provider_id]
        base = f"{request.url.scheme}://{request.url.netloc.decode('ascii')}"
        ctx = Context(self, endpoint, request, base, self.next_id("request")[:32])
        with self._lock:
            self.in_flight[ps.provider_id] += 1
        try:
            resp = self._answer(ctx, ps)
        finally:
            with self._lock:
                self.in_flight[ps.provider_id] -= 1
        resp.faults[:0] = ctx.fault_names
        for k, v in ps.headers(ctx, resp).items():
            resp.headers.setdefault(k, v)
        return self._modify(endpoint.id, resp), endpoint.id, ctx.request_id

    def _answer(self, ctx: Context, ps: ProviderSimulator) -> SimResponse:
        f = self._take_fault(ctx.endpoint.id, "answer")
        if f is not None:
            return self._answer_fault(f, ctx, ps.provider)
        decoded = wire.decode_request(ctx.endpoint, ctx.request, resolve_url=self.resolve_url)
        ctx.params, ctx.api_key, ctx.raw_params = decoded.params, decoded.api_key, decoded.raw
        if decoded.error is not None:
            unreadable = Violation("request_body", None, "(body)", decoded.error, ctx.endpoint.source)
            if ps.before_auth([unreadable], ctx):
                return ctx.error("invalid_request", decoded.error, violations=[unreadable], case=ps.unreadable_case())
        # like the providers, the simulator ignores fields it does not know (clients catch typos)
        violations = [] if decoded.error is not None else ctx.endpoint.validate(
            ctx.params, skip=ps.auth_params(), allow_unknown=True)
        early = ps.before_auth(violations, ctx)
        if early:
            return ctx.error(ps.invalid_case(early, ctx), violations=early)
        problem = self._auth_problem(ps.provider_id, decoded.api_key)
        if problem is not None:
            return ctx.error(problem)
        if decoded.error is not None:
            return ctx.error("invalid_request", decoded.error, violations=[unreadable], case=ps.unreadable_case())
        if violations:
            return ctx.error(ps.invalid_case(violations, ctx), violations=violations)
        try:
            return ps.handle(ctx)
        except SimError as e:
            return ctx.error(e.name, e.message, violations=e.violations, case=e.case)

    def _auth_problem(self, provider_id: str, key: str | None) -> str | None:
        if not key or not key.strip():  # a provider that documents no separate error for it answers "auth"
            return "auth_missing" if get_provider(provider_id).errors_named("auth_missing") else "auth"
        if key in self._rejected:
            return "auth"
        if self._keys is not None:
            allowed = self._keys.get(provider_id, set()) | self._keys.get("*", set())
            if key not in allowed:
                return "auth"
        return None

    def _serve_file(self, request: httpx.Request) -> tuple[SimResponse, str | None, str | None]:
        f = self.file_for_url(str(request.url))
        endpoint_id = f"{f.provider_id or 'files'}.download" if f is not None else None
        if f is None:
            resp = SimResponse(404, b"Not Found", {"content-type": "text/plain"})
            return resp, endpoint_id, None
        provider = get_provider(f.provider_id) if f.provider_id else None
        if provider is not None:
            fault = self._take_fault(endpoint_id or "", "answer")
            if fault is not None:
                resp = self._answer_fault(fault, None, provider)
                return self._modify(endpoint_id or "", resp), endpoint_id, None
        body = b"" if request.method == "HEAD" else f.data
        resp = SimResponse(200, body, {"content-type": f.content_type, "content-length": str(len(f.data))})
        return self._modify(endpoint_id or "", resp), endpoint_id, None

    def _no_route(self, request: httpx.Request) -> SimResponse:
        return json_response({"detail": "Not Found"}, 404)

    # -- in-process mounting (respx) ---------------------------------------------------------

    @property
    def router(self) -> Any:
        """The respx router while mounted (add your own routes, e.g. a webhook receiver)."""
        if self._mount is None:
            raise RuntimeError("the simulator is not mounted; use `with simulate(...)` or sim.start()")
        return self._mount.router

    def transport(self) -> httpx.BaseTransport:
        """An httpx transport (sync and async) answered by this simulator, without respx:
        ``httpx.Client(transport=sim.transport())`` or a reference client's ``http_client=``."""
        from conformance.simulators.mount import SimulatorTransport

        return SimulatorTransport(self)

    def start(self) -> Simulator:
        """Mount respx routes for every simulated host (see :func:`conformance.simulators.simulate`)."""
        from conformance.simulators.mount import RespxMount

        if self._mount is None:
            self._mount = RespxMount(self)
            self._mount.start()
        return self

    def stop(self) -> None:
        """Unmount the respx routes and stop the queued jobs' clocks (see :meth:`close`)."""
        if self._mount is not None:
            self._mount.stop()
            self._mount = None
        self.close()

    def close(self) -> None:
        """Stop every timer the providers run (queued jobs finishing on their own clock), so that no
        webhook is delivered once the simulator is gone. A job still queued then ends only when it is
        fetched after its time (or by :meth:`complete_jobs`)."""
        for ps in self.providers.values():
            ps.close()

    def __enter__(self) -> Simulator:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def hosts(self) -> list[str]:
        """Every base URL the simulator answers in-process (``Provider.base_url`` and ``alt_base_urls``)."""
        out = []
        for pid in self.providers:
            p = get_provider(pid)
            out.extend([p.base_url, *p.alt_base_urls])
        return out


MAX_FETCH_BYTES = 100 * 2**20
FETCH_CACHE_BYTES = 64 * 2**20  # fetched audio kept for reuse, by bytes (not a count of bodies)


def _safe_url(url: httpx.URL) -> str:
    """The URL without a query string that could hold a secret."""
    return str(url).split("?", 1)[0]

