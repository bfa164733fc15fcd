"""The official ``modelslab-py`` SDK in the SDK matrix (:mod:`conformance.sdkmatrix`): enterprise voice.

``modelslab-py`` 0.2.3 (import ``modelslab_py``) posts JSON with ``requests`` (which it imports but
does not declare: installed beside it) to ``Client.base_url`` + ``v1/enterprise/voice/<name>``:
``Audio.voice2voice`` (``voice_to_voice``), ``Audio.text_to_audio`` and ``Audio.fetch(id)``. The key
travels in the body. A non-200 answer raises a bare ``Exception("Request failed with status code
<status>: <body>")``; a 200 answer, ``status: error`` included, is returned as the parsed dict. The
jobs it submits come back ``processing``: the driver waits the ``eta`` the simulator gives, then
fetches once (``fetch`` would otherwise sleep ``fetch_timeout``, 60 s by default, between tries).

Pointing the SDK at the loopback server: ``Client.base_url`` is a plain attribute (no constructor
argument), read when ``Audio`` is built, so it is assigned first (with its ``/api/`` and trailing
slash). ``fetch`` needs the job id as a ``str`` (it is joined to the URL with ``+``), while the
answers carry it as a number.
"""

from __future__ import annotations

import json
import re
import time
from typing import TYPE_CHECKING, Any

from conformance.sdkmatrix import SdkVersion

if TYPE_CHECKING:  # pragma: no cover
    from conformance.sdkmatrix import Case, Harness

SDKS = (SdkVersion("modelslab-py", "0.2.3", "modelslab_py", "conformance.providers.modelslab.sdks.drive",
                   extra_requirements=("requests",)),)
NO_ENDPOINT = ()

UNKNOWN_JOB = "999999999"
FAILED = re.compile(r"Request failed with status code (\d+): (.*)", re.S)
MAX_WAIT = 10.0  # seconds: longer than any simulated job takes by default


def drive(h: Harness) -> None:
    """``voice2voice``, ``text_to_audio`` and ``fetch`` of the enterprise ``Audio`` API."""
    from modelslab_py.core.apis.audio import Audio
    from modelslab_py.core.client import Client
    from modelslab_py.schemas.audio import Text2Audio, Voice2Voice

    from conformance.providers.modelslab.spec import PROVIDER

    ids = {e.name: e.id for e in PROVIDER.endpoints}
    pointed = "" if h.base_url is None else "; pointed by assigning Client.base_url before building Audio"

    def audio_api(key: str) -> Any:
        client = Client(api_key=key, fetch_retry=1, fetch_timeout=0)
        if h.base_url is not None:
            client.base_url = h.base_url + "/api/"
        return Audio(client=client, enterprise=True)

    api, wrong = audio_api(h.key), audio_api(h.wrong_key)
    init = h.host_file(h.speech(3.0, "en_kal"), "sdk-init.wav", "audio/wav")
    target = h.host_file(h.speech(5.0, "en_slt"), "sdk-target.wav", "audio/wav")

    def v2v(sdk: Any = api, **overrides: Any) -> Any:
        return sdk.voice2voice(Voice2Voice(**{"init_audio": init, "target_audio": target, **overrides}))

    def t2a(sdk: Any = api, **overrides: Any) -> Any:
        return sdk.text_to_audio(Text2Audio(**{"prompt": "Hello from the SDK matrix.", "voice_id": "en_slt",
                                               **overrides}))

    for endpoint, call, name in (("voice2voice", v2v, "voice_to_voice"), ("text_to_audio", t2a, "text_to_audio")):
        with h.case(endpoint, "ok") as c:
            job = call()
            _queued(c, job)
            c.note(f"status {job['status']}, id {job['id']}, eta {job.get('eta')}{pointed}")
        with h.case(endpoint, "wrong_key") as c:
            _failed(c, c.raises(Exception, call, wrong), 401)
        if endpoint == "text_to_audio":
            with h.case(endpoint, "not_found") as c:
                _failed(c, c.raises(Exception, call, voice_id="no_such_voice"), 404)
        with h.case(endpoint, "invalid") as c:
            bad = {"init_audio": "not a url"} if endpoint == "voice2voice" else {"language": "klingon"}
            _failed(c, c.raises(Exception, call, **bad), 400)
        with h.case(endpoint, "rate_limit") as c:
            h.inject("rate_limit", ids[name], retry_after=0)
            body = _failed(c, c.raises(Exception, call), 429)
            c.check("retry_after" in body, f"the 429 body has no retry_after: {body}")
        with h.case(endpoint, "server_error") as c:
            h.inject("server_error", ids[name], status=500)
            _failed(c, c.raises(Exception, call), 500)

    def finished_job() -> str:
        """A job submitted through the SDK and waited for (its eta): its id, as fetch takes it."""
        job = t2a()
        time.sleep(min(float(job.get("eta") or 0), MAX_WAIT) + 0.05)
        return str(job["id"])

    with h.case("fetch", "ok") as c:
        got = api.fetch(finished_job())
        c.require(isinstance(got, dict), f"fetch returned {type(got).__name__}")
        c.require(got.get("status") == "success", f"status {got.get('status')!r} after the job's eta: {str(got)[:160]}")
        output = got.get("output")
        c.require(isinstance(output, list) and output, f"no output URLs: {str(got)[:160]}")
        info = c.audio(h.download(output[0]))
        c.check(info.format == "wav", f"the output is {info.short()}, not WAV")
        c.note(f"success, output {info.short()}{pointed}")
    with h.case("fetch", "wrong_key") as c:
        _failed(c, c.raises(Exception, wrong.fetch, finished_job()), 401)
    with h.case("fetch", "not_found") as c:
        _failed(c, c.raises(Exception, api.fetch, UNKNOWN_JOB), 404)
    with h.case("fetch", "rate_limit") as c:
        job_id = finished_job()
        h.inject("rate_limit", ids["fetch"], retry_after=0)
        body = _failed(c, c.raises(Exception, api.fetch, job_id), 429)
        c.check("retry_after" in body, f"the 429 body has no retry_after: {body}")
    with h.case("fetch", "server_error") as c:
        job_id = finished_job()
        h.inject("server_error", ids["fetch"], status=500)
        _failed(c, c.raises(Exception, api.fetch, job_id), 500)


def _queued(c: Case, job: Any) -> None:
    c.require(isinstance(job, dict), f"returned {type(job).__name__}, not the parsed answer")
    c.require(job.get("status") in ("processing", "success"), f"status {job.get('status')!r}: {str(job)[:160]}")
    c.require(job.get("id") not in (None, ""), f"no job id: {str(job)[:160]}")


def _failed(c: Case, err: BaseException, status: int) -> dict[str, Any]:
    """The SDK's bare ``Exception`` for a non-200 answer: its status, and the provider's error body in it."""
    c.require(type(err) is Exception, f"raised {type(err).__name__}: {str(err)[:120]}, not the SDK's Exception")
    found = FAILED.fullmatch(str(err))
    c.require(found, f"message not in the SDK's form: {str(err)[:120]}")
    c.require(int(found[1]) == status, f"status code {found[1]} in the message, expected {status}")
    try:
        body = json.loads(found[2])
    except ValueError:
        c.fail(f"the body in the message is not JSON: {found[2][:120]}")
    c.require(isinstance(body, dict) and body.get("status") == "error",
              f"the body is not the provider's error: {found[2][:120]}")
    c.check(isinstance(body.get("message"), str) and body["message"], f"the body has no message: {body}")
    message = str(body.get("message"))
    c.note(f"Exception {status}: {message if len(message) <= 80 else message[:79] + '…'}")
    return body
