"""The shared core of the reference clients.

A call goes: user kwargs → logical params (audio read and probed) → spec check → wire request →
send with retries → response contract check → typed result or typed error. Provider clients add
only what their provider does differently (error fields, result types, polling).
"""

from __future__ import annotations

import json
import logging
import os
import random
import time
import warnings
from collections import deque
from collections.abc import Callable, Mapping
from dataclasses import replace
from typing import Any, ClassVar

import httpx

from conformance import contract, safejson
from conformance.audio.probe import AudioDecodeError, probe, sniff
from conformance.clients.errors import (
    AuthError,
    ClientError,
    NetworkError,
    NotFound,
    ProtocolError,
    ProviderError,
    ProviderValidationError,
    RateLimited,
    RequestTimeout,
)
from conformance.clients.results import AudioResult, Exchange, Timing, VoiceResult
from conformance.clients.transport import (
    DEFAULT_MAX_RESPONSE_BYTES,
    RETRY_STATUSES,
    Flow,
    Received,
    ResponseTooLarge,
    RetryPolicy,
    Secret,
    Send,
    Sleep,
    async_sleep,
    retry_after_seconds,
    run_async,
    run_sync,
)
from conformance.spec import registry
from conformance.spec.model import (
    MISSING,
    AudioInput,
    Endpoint,
    ErrorCase,
    Provider,
    SpecViolation,
    SpecWarning,
    Violation,
)
from conformance.spec.wire import audio_from_user, encode_request, probe_into, raw_pcm_rule

log = logging.getLogger("conformance.clients")


UNSET: Any = MISSING  # default of every documented keyword: "not sent"

_EXCEPTION_FOR = {
    "auth": AuthError, "auth_missing": AuthError,
    "not_found": NotFound,
    "invalid_request": ProviderValidationError, "invalid_audio": ProviderValidationError,
    "rate_limit": RateLimited,
}


class ClientCore:
    """What sync and async clients share. Not used directly.

    Options every client takes: ``api_key`` (else the provider's environment variable), ``base_url``,
    ``validate`` (check requests against the spec before sending), ``retry`` (a :class:`RetryPolicy`),
    ``timeout``, ``probe_urls`` (download audio URLs to probe them), ``seed``, ``history`` (exchanges
    kept), ``on_notice``, and ``max_response_bytes``: the most a response body may hold, decoded
    (default 128 MiB, over 3× the largest audio answer any provider documents; ``None``: no cap).
    The body is read as it streams and reading stops at the cap, which raises :class:`ProtocolError`
    naming it: a hostile or broken provider or gateway (a gzip bomb, an endless body) cannot make a
    client hold more than that.
    """

    provider_id: ClassVar[str]
    _default_timeout: ClassVar[float] = 120.0
    # keyword arguments for a target that answers at once (simulator, cassettes): no real waiting
    offline_options: ClassVar[dict[str, Any]] = {}

    def __init__(
        self,
        api_key: str | None = None,
        *,
        base_url: str | None = None,
        validate: bool = True,
        retry: RetryPolicy | None = None,
        timeout: float | httpx.Timeout | None = None,
        probe_urls: bool = False,
        seed: int | None = None,
        history: int = 16,
        on_notice: Callable[[str], None] | None = None,
        max_response_bytes: int | None = DEFAULT_MAX_RESPONSE_BYTES,
    ):
        self.provider: Provider = registry.provider(self.provider_id)
        env = self.provider.auth.env_var
        self._key = Secret(api_key if api_key is not None else os.environ.get(env))
        self.base_url = (base_url or self.provider.base_url).rstrip("/")
        self.validate = validate
        self.retry = retry or RetryPolicy()
        self.timeout = timeout if timeout is not None else self._default_timeout
        self.probe_urls = probe_urls
        self._rng = random.Random(seed)
        self.history: deque[Exchange] = deque(maxlen=history)
        # documented-precedence notices ("init_audio takes precedence, voice_id is ignored"): a
        # SpecWarning by default, or handed to this callable (the suite records them in the report)
        self.on_notice = on_notice
        if max_response_bytes is not None and max_response_bytes <= 0:
            raise ValueError(f"max_response_bytes must be positive (or None: no cap), got {max_response_bytes!r}")
        self.max_response_bytes = max_response_bytes

    def call(self, endpoint: str, params: Mapping[str, Any], *, validate: bool | None = None,
             wait: bool = True) -> Any:
        """Call an endpoint by name (``"speech_to_speech"``) or id with a dict of params.

        The same as the endpoint's own method; used by suites that take params from the spec.
        Async clients return an awaitable.
        """
        name = endpoint.split(".", 1)[1] if "." in endpoint else endpoint
        self._endpoint(name)  # unknown names fail here, clearly
        kwargs = dict(params)
        if self._endpoint(name).async_job:
            kwargs["__wait"] = wait
        return self._call(name, kwargs, validate)  # type: ignore[attr-defined]

    def __repr__(self) -> str:
        return f"{type(self).__name__}(base_url={self.base_url!r}, api_key={self._key!r})"

    # -- request side ---------------------------------------------------------------------

    def _endpoint(self, name: str) -> Endpoint:
        return self.provider.endpoint(name)

    def _logical(self, ep: Endpoint, kwargs: Mapping[str, Any], validate: bool) -> Flow[dict[str, Any]]:
        """User values → logical params: audio read from paths/bytes/URLs and probed."""
        params = {k: v for k, v in kwargs.items() if v is not MISSING}
        problems: list[Violation] = []
        base64_text = params.get("base64") is True
        for name, value in list(params.items()):
            if not ep.has_param(name) or value is None:
                continue
            p = ep.param(name)
            targets: list[tuple[Any, str, Any]] = []
            if p.type == "audio":
                targets.append((params, name, p))
            elif p.type == "object" and isinstance(value, Mapping):
                value = dict(value)
                params[name] = value
                targets.extend((value, f.name, f) for f in p.fields if f.type == "audio" and f.name in value)
            for holder, key, param in targets:
                try:
                    audio = audio_from_user(holder[key], param, base64_text=base64_text)
                except ValueError as exc:
                    problems.append(Violation("audio_source", key, repr(holder[key])[:60], str(exc).split(": ", 1)[-1],
                                              param.source, "type"))
                    continue
                if audio.kind == "url" and self.probe_urls:
                    try:
                        got = yield Send(httpx.Request("GET", audio.url))
                    except ResponseTooLarge as exc:
                        raise exc.at(ep.id) from None
                    if isinstance(got, Received) and got.response.status_code == 200:
                        audio.data = got.body
                if audio.data is not None:
                    probe_into(audio, raw_pcm_rule(ep, key, params))
                holder[key] = audio
        # endpoints that take local audio as base64: say so on the wire
        if ep.has_param("base64") and "base64" not in params and any(
            isinstance(v, AudioInput) and v.kind in ("path", "bytes") for v in params.values()
        ):
            params["base64"] = True
        if problems and validate:
            raise SpecViolation(ep.id, problems)
        return params

    def _check(self, ep: Endpoint, params: dict[str, Any], validate: bool) -> None:
        if not validate:
            return
        violations = ep.validate(params)
        if not self._key:
            violations.insert(0, Violation(
                "auth", self.provider.auth.name, "(missing)",
                f"no API key: pass api_key= or set {self.provider.auth.env_var}", self.provider.auth.source, "auth"))
        if violations:
            raise SpecViolation(ep.id, violations)
        for notice in ep.notices(params):
            if self.on_notice is not None:
                self.on_notice(f"{ep.id}: {notice}")
            else:
                warnings.warn(f"{ep.id}: {notice}", SpecWarning, stacklevel=4)

    def _build(self, ep: Endpoint, params: dict[str, Any]) -> httpx.Request:
        request = encode_request(ep, params, base_url=self.base_url, api_key=self._key.reveal())
        request.read()  # a buffered body can be sent again on retry
        return request

    # -- sending --------------------------------------------------------------------------

    def _send(self, ep: Endpoint | None, request: httpx.Request) -> Flow[Received]:
        """Send with retries on 429/408/5xx/connection errors, honouring the provider's hints."""
        policy = self.retry
        started = time.monotonic()
        attempt = 0
        endpoint_id = ep.id if ep else None
        while True:
            attempt += 1
            try:
                got: Received = yield Send(request)
            except ResponseTooLarge as exc:  # not retried: the same answer would come again
                raise exc.at(endpoint_id) from None
            except httpx.TransportError as exc:
                elapsed = time.monotonic() - started
                delay = policy.backoff(attempt, self._rng)
                log.debug("%s %s failed: %s (attempt %d)", request.method, request.url, type(exc).__name__, attempt)
                if attempt < policy.max_attempts and elapsed + delay < policy.deadline:
                    yield Sleep(delay)
                    continue
                raise self._transport_error(exc, endpoint_id, attempt) from None
            status = got.response.status_code
            log.debug("%s %s -> %d in %.3f s (attempt %d)", request.method, request.url, status, got.total, attempt)
            hint_body = _small_json(got) if status in RETRY_STATUSES or status == 200 else None
            retryable = status in RETRY_STATUSES or self._is_soft_rate_limit(status, hint_body)
            self.history.append(Exchange(request, got, attempt))
            if not retryable:
                got.response.extensions["attempts"] = attempt
                return got
            hint = retry_after_seconds(got.response.headers, hint_body)
            delay = min(hint, policy.max_backoff) if hint is not None else policy.backoff(attempt, self._rng)
            elapsed = time.monotonic() - started
            if attempt >= policy.max_attempts or elapsed + delay >= policy.deadline:
                got.response.extensions["attempts"] = attempt
                return got
            yield Sleep(delay)

    def _is_soft_rate_limit(self, status: int, body: Any) -> bool:
        """A rate limit sent with HTTP 200 (a queue-limit body; a provider client says how it looks)."""
        return False

    def _transport_error(self, exc: httpx.TransportError, endpoint_id: str | None, attempts: int) -> Exception:
        if isinstance(exc, httpx.TimeoutException):
            err: Exception = RequestTimeout(f"{endpoint_id or 'request'}: no answer within the timeout "
                                            f"({type(exc).__name__}) after {attempts} attempt(s)")
        elif isinstance(exc, httpx.RemoteProtocolError):
            err = ProtocolError(f"the connection broke mid-response ({self._key.mask(str(exc))}) "
                                f"after {attempts} attempt(s)", endpoint_id=endpoint_id)
        else:
            err = NetworkError(f"{endpoint_id or 'request'}: {type(exc).__name__}: {self._key.mask(str(exc))} "
                               f"after {attempts} attempt(s)")
        err.endpoint_id = endpoint_id  # type: ignore[attr-defined]
        err.attempts = attempts  # type: ignore[attr-defined]
        return err

    # -- response side --------------------------------------------------------------------

    def _timing(self, got: Received) -> Timing:
        return Timing(got.ttfb, got.total, int(got.response.extensions.get("attempts", 1)))

    def _request_id(self, got: Received) -> str | None:
        h = got.response.headers
        return h.get("request-id") or h.get("x-request-id") or h.get("x-trace-id")

    def _check_complete(self, ep: Endpoint | None, got: Received) -> None:
        broken = contract.complete(got.response.headers.get("content-length"), got.wire_bytes)
        if broken is not None:
            raise ProtocolError(broken.message, status=got.response.status_code, endpoint_id=ep.id if ep else None,
                                content_type=got.response.headers.get("content-type"))

    def _excerpt(self, got: Received, limit: int = 300) -> str:
        text = got.body[:limit].decode("utf-8", "replace")
        return self._key.mask(text)

    def _json(self, ep: Endpoint, got: Received) -> Any:
        """The JSON body, or :class:`ProtocolError` saying how it is not JSON (the response contract's words)."""
        self._check_complete(ep, got)
        ctype = got.response.headers.get("content-type", "")
        body, broken = contract.parse_json(got.body, ctype)
        if broken is not None:
            raise ProtocolError(broken.message, status=got.response.status_code, endpoint_id=ep.id,
                                content_type=ctype, excerpt=self._excerpt(got))
        return body

    def _check_schema(self, ep: Endpoint, got: Received, body: Any, state: str = "success") -> None:
        """The body must match the documented schema of its status and state."""
        _, broken = contract.matching_state(ep, got.response.status_code, body, state=state)
        if broken is not None:
            raise ProtocolError(self._key.mask(broken.message)[:400], status=got.response.status_code,
                                endpoint_id=ep.id)

    def _error_fields(self, body: Any) -> tuple[Any, str, Any]:
        """``(code, message, details)`` of a provider error body. Provider clients override."""
        return None, json.dumps(body)[:200] if body is not None else "", None

    def _error_case(self, status: int, code: Any, message: str) -> ErrorCase | None:
        """The documented error this answer is, matched by status and code (or message)."""
        cases = [e for e in self.provider.errors if e.status == status or (e.http200 and status == 200)]
        for e in cases:
            if code is not None and str(e.code) == str(code) and e.status == status:
                return e
        for e in cases:
            if message and e.message.lower() == message.lower():
                return e
        for e in cases:
            if e.status == status and code is None:
                return e
        return None

    def _raise_error(self, ep: Endpoint, got: Received, body: Any) -> None:
        status = got.response.status_code
        code, message, details = self._error_fields(body)
        message = self._key.mask(str(message))
        case = self._error_case(status, code, message)
        name = case.name if case else None
        if name is None:
            name = {401: "auth", 403: "auth", 404: "not_found", 422: "invalid_request",
                    400: "invalid_request", 429: "rate_limit"}.get(status)
        cls = _EXCEPTION_FOR.get(name or "", ProviderError)
        kwargs: dict[str, Any] = {"endpoint_id": ep.id, "body": _masked(body, self._key)}
        if cls is RateLimited:
            kwargs["retry_after"] = retry_after_seconds(got.response.headers, body)
        if cls is ProviderValidationError:
            kwargs["details"] = _masked(details, self._key)
        err = cls(status, code, message, self._request_id(got), **kwargs)
        err.attempts = int(got.response.extensions.get("attempts", 1))
        raise err

    def _audio_result(self, ep: Endpoint, got: Received, *, expect: dict[str, Any] | None = None) -> AudioResult:
        """Audio bytes checked against the contract: complete, right content type, honest header."""
        status = got.response.status_code
        ctype = got.response.headers.get("content-type", "")
        self._check_complete(ep, got)
        broken = contract.content_type(ep, 200, ctype, kind="audio")
        if broken is not None:
            raise ProtocolError(broken.message, status=status, endpoint_id=ep.id, content_type=ctype,
                                excerpt=self._excerpt(got, 120))
        if not got.body:
            raise ProtocolError("empty audio body", status=status, endpoint_id=ep.id, content_type=ctype)
        expect = expect or {}
        container = expect.get("container")
        result = AudioResult(audio=got.body, content_type=ctype, endpoint_id=ep.id, status=status,
                             request_id=self._request_id(got), headers=dict(got.response.headers.items()),
                             timing=self._timing(got))
        found = sniff(got.body)
        if container == "raw":
            # headerless μ-law silence is 0xFF bytes, which look like an MPEG frame sync: only a
            # container's own signature says the bytes are a file
            if _has_container_signature(got.body):
                raise ProtocolError(f"asked for headerless {expect.get('raw_format')} audio but got a {found or 'container'} file",
                                    status=status, endpoint_id=ep.id, content_type=ctype)
            width = 2 if expect.get("raw_format") == "s16le" else 1
            if len(got.body) % width:
                raise ProtocolError(f"raw {expect.get('raw_format')} audio with an odd byte count ({len(got.body)})",
                                    status=status, endpoint_id=ep.id, content_type=ctype)
            result.format, result.raw_format = "raw", expect.get("raw_format")
            result.codec = {"s16le": "pcm"}.get(result.raw_format or "", result.raw_format)
            result.sample_rate, result.channels = expect.get("sample_rate"), 1
            return result
        if found is None:
            raise ProtocolError(f"audio body is not a recognised audio format (first bytes {got.body[:8].hex()})",
                                status=status, endpoint_id=ep.id, content_type=ctype)
        try:
            info = probe(got.body)
        except AudioDecodeError as exc:
            raise ProtocolError(f"audio body is broken: {exc}", status=status, endpoint_id=ep.id,
                                content_type=ctype) from None
        if container and info.format != container:
            raise ProtocolError(f"asked for {container} audio but got {info.format}", status=status,
                                endpoint_id=ep.id, content_type=ctype)
        want_rate = expect.get("sample_rate")
        if want_rate and info.sample_rate != want_rate:
            raise ProtocolError(f"asked for {want_rate} Hz but the audio header says {info.sample_rate} Hz",
                                status=status, endpoint_id=ep.id, content_type=ctype)
        result.format, result.codec = info.format, info.codec
        result.sample_rate, result.channels = info.sample_rate, info.channels
        return result

    def _voice_result(self, ep: Endpoint, got: Received, body: Any) -> VoiceResult:
        """A created voice, once its body matches the documented schema."""
        self._check_schema(ep, got, body)
        return VoiceResult(voice_id=body["voice_id"], fields=body, endpoint_id=ep.id,
                           request_id=self._request_id(got), headers=dict(got.response.headers.items()),
                           timing=self._timing(got))

    def _download_flow(self, url: str) -> Flow[AudioResult]:
        """GET an output URL (a queued job's output, a cloned voice's demo audio) as an :class:`AudioResult`."""
        got = yield from self._send(None, httpx.Request("GET", url))
        status = got.response.status_code
        if status != 200:
            raise ProviderError(status, None, f"download of {url} failed", self._request_id(got))
        self._check_complete(None, got)
        info = None
        try:
            info = probe(got.body)
        except AudioDecodeError as exc:
            raise ProtocolError(f"downloaded file is not audio: {exc}", status=status) from None
        return AudioResult(audio=got.body, content_type=got.response.headers.get("content-type", ""),
                           endpoint_id="download", status=status, format=info.format, codec=info.codec,
                           sample_rate=info.sample_rate, channels=info.channels,
                           request_id=self._request_id(got), headers=dict(got.response.headers.items()),
                           timing=self._timing(got))

    # -- the call -------------------------------------------------------------------------

    def _flow(self, name: str, kwargs: dict[str, Any], validate: bool | None = None) -> Flow[Any]:
        ep = self._endpoint(name)
        use_validation = self.validate if validate is None else validate
        params = yield from self._logical(ep, kwargs, use_validation)
        self._check(ep, params, use_validation)
        request = self._build(ep, params)
        got = yield from self._send(ep, request)
        exchange = _redacted(request, got, self._key)
        try:
            result = yield from self._interpret(ep, params, got)
        except ClientError as exc:
            exc.exchange = exchange  # what the provider answered, for whoever judges the error
            raise
        if hasattr(result, "exchange"):
            result.exchange = exchange
        return result

    def _interpret(self, ep: Endpoint, params: dict[str, Any], got: Received) -> Flow[Any]:  # pragma: no cover
        raise NotImplementedError
        yield


def _has_container_signature(data: bytes) -> bool:
    return data[:4] in (b"RIFF", b"OggS", b"fLaC") or data[:3] == b"ID3" or data[4:8] == b"ftyp"


def _small_json(got: Received) -> Any:
    if len(got.body) > 65536 or "json" not in got.response.headers.get("content-type", ""):
        return None
    try:  # a hint only: JSON too deep (or broken) is no hint, and _json then says what is wrong
        return safejson.loads(got.body)
    except ValueError:
        return None


def _redacted(request: httpx.Request, got: Received, key: Secret) -> Exchange:
    """The exchange a result or error carries: the key, and every other known secret, masked in every
    form wherever it stands, in the request we sent (auth header, JSON body field, URL) and in what
    came back (a provider or gateway that echoes it, plain or encoded)."""
    from conformance.secrets import known, mask, mask_bytes

    attempt = int(got.response.extensions.get("attempts", 1))
    value = key.reveal()
    values = known([value] if value else [])
    if not values:
        return Exchange(request, got, attempt)

    def headers(h: httpx.Headers) -> list[tuple[str, str]]:
        return [(k, mask(v, values, env=False)) for k, v in h.multi_items()]

    try:
        content = mask_bytes(request.content, values, env=False)
    except httpx.RequestNotRead:  # a stream that was never read into memory: nothing of it is kept
        content = b""
    sent = httpx.Request(request.method, mask(str(request.url), values, env=False), headers=headers(request.headers),
                         content=content)
    response = httpx.Response(got.response.status_code, headers=headers(got.response.headers), request=sent,
                              extensions=dict(got.response.extensions))
    return Exchange(sent, replace(got, response=response, body=mask_bytes(got.body, values, env=False)), attempt)


def _masked(value: Any, key: Secret) -> Any:
    from conformance.secrets import mask_data

    return mask_data(value, [key.reveal()] if key else [])


_TLS: dict[tuple[str | None, str | None], Any] = {}


def tls_context() -> Any:
    """httpx's default TLS context (certifi's CAs, or ``SSL_CERT_FILE``/``SSL_CERT_DIR``), built once
    per process for each value of those variables: building it reads the CA bundle, 35 ms a client."""
    key = (os.environ.get("SSL_CERT_FILE"), os.environ.get("SSL_CERT_DIR"))
    ctx = _TLS.get(key)
    if ctx is None:
        ctx = _TLS[key] = httpx.create_ssl_context()
    return ctx


class SyncClient(ClientCore):
    """Blocking client over ``httpx.Client``; pass ``http_client`` to use your own."""

    def __init__(self, api_key: str | None = None, *, http_client: httpx.Client | None = None,
                 sleep: Callable[[float], None] = time.sleep, **kwargs: Any):
        super().__init__(api_key, **kwargs)
        self._owns_http = http_client is None
        self._http = http_client or httpx.Client(timeout=self.timeout, verify=tls_context())
        self._sleep = sleep

    def _run(self, flow: Flow[Any]) -> Any:
        return run_sync(flow, self._http, self._sleep, max_bytes=self.max_response_bytes)

    def _call(self, name: str, kwargs: dict[str, Any], validate: bool | None = None) -> Any:
        return self._run(self._flow(name, kwargs, validate))

    def download(self, url: str) -> AudioResult:
        """Fetch an output URL as audio."""
        return self._run(self._download_flow(url))  # type: ignore[no-any-return]

    def close(self) -> None:
        if self._owns_http:
            self._http.close()

    def __del__(self) -> None:
        # a client dropped without close(): its own connections are closed now, not left for the
        # garbage collector to report as unclosed sockets (an error under -W error)
        if getattr(self, "_owns_http", False):
            try:  # noqa: SIM105 (no module globals here: at interpreter exit they may be gone)
                self._http.close()
            except Exception:
                pass

    def __enter__(self) -> SyncClient:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()


class AsyncClient(ClientCore):
    """Async client over ``httpx.AsyncClient``; pass ``http_client`` to use your own."""

    def __init__(self, api_key: str | None = None, *, http_client: httpx.AsyncClient | None = None,
                 sleep: Callable[[float], Any] = async_sleep, **kwargs: Any):
        super().__init__(api_key, **kwargs)
        self._owns_http = http_client is None
        self._http = http_client or httpx.AsyncClient(timeout=self.timeout, verify=tls_context())
        self._sleep = sleep

    async def _run(self, flow: Flow[Any]) -> Any:
        return await run_async(flow, self._http, self._sleep, max_bytes=self.max_response_bytes)

    async def _call(self, name: str, kwargs: dict[str, Any], validate: bool | None = None) -> Any:
        return await self._run(self._flow(name, kwargs, validate))

    async def download(self, url: str) -> AudioResult:
        """Fetch an output URL as audio."""
        return await self._run(self._download_flow(url))  # type: ignore[no-any-return]

    async def aclose(self) -> None:
        if self._owns_http:
            await self._http.aclose()

    async def __aenter__(self) -> AsyncClient:
        return self

    async def __aexit__(self, *exc: Any) -> None:
        await self.aclose()
