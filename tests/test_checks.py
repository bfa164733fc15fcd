"""The checks registry (one signature, one registry), the response contract the clients share with it,
and the exchange a call returns with its result."""

from __future__ import annotations

import inspect
import json
import re
from pathlib import Path

import pytest

from conformance import checks, contract, spec
from conformance.checks import CHECKS, Case, CheckResult

SUITE = Path(checks.__file__).resolve().parent / "suite"


def _clone_body(**changes: object) -> bytes:
    body = {"id": "3f1c1f34-8a0e-4b55-9c2a-b0b8e3bb1a10", "voice_id": "v-1", "name": "n", "languages": ["ar"],
            "dialect": ["najdi"], "sample_url": "https://x/y.wav", "stability": 0.5}
    body.update(changes)
    return json.dumps({k: v for k, v in body.items() if v is not None}).encode()


def test_every_check_has_the_one_signature() -> None:
    assert len(CHECKS) >= 13
    for name, fn in CHECKS.items():
        params = list(inspect.signature(fn).parameters)
        assert params == ["case"], (name, params)
        assert fn.__name__ == name and fn.__doc__, name


def test_the_suite_runs_registered_checks_and_every_check_is_run_by_the_suite() -> None:
    used = set()
    for path in SUITE.glob("*.py"):
        used |= set(re.findall(r'run_check\("(\w+)"', path.read_text(encoding="utf-8")))
    assert used == set(CHECKS)


def test_an_unknown_check_and_a_case_without_what_a_check_reads_are_clear_errors() -> None:
    with pytest.raises(KeyError, match="unknown check 'nope'; known: .*audio_not_silent"):
        checks.run("nope", Case(status=200))
    with pytest.raises(ValueError, match="check content_type_conformance needs endpoint"):
        checks.run("content_type_conformance", Case(status=200))
    with pytest.raises(ValueError, match="check speaker_verification needs audio, reference"):
        checks.run("speaker_verification", Case())


@pytest.mark.parametrize(("status", "passed"), [(200, True), (499, True), (500, False), (503, False)])
def test_not_a_server_error_at_its_bound(status: int, passed: bool) -> None:
    assert checks.run("not_a_server_error", Case(status=status)).passed is passed


def test_no_answer_at_all_fails_not_a_server_error_and_says_what_the_client_saw() -> None:
    result = checks.run("not_a_server_error", Case(status=None, error="ReadTimeout: timed out"))
    assert not result.passed and result.measured == {"status": None, "error": "ReadTimeout: timed out"}
    assert "no answer: ReadTimeout" in result.message
    with pytest.raises(ValueError, match="needs status"):  # no answer and no error: a kit bug, said so
        checks.run("not_a_server_error", Case(status=None))
    assert checks.run("not_a_server_error", Case(status=404, error="ApiError: not found")).passed  # an answer


def test_content_type_and_schema_checks_read_the_contract() -> None:
    ep = spec.get("faseeh.voice_clone")
    ok = checks.run("content_type_conformance", Case(endpoint=ep, status=200, content_type="application/json"))
    bad = checks.run("content_type_conformance", Case(endpoint=ep, status=200, content_type="text/html"))
    assert ok.passed and not bad.passed and bad.expected == {"content_type": ["application/json"]}
    assert checks.run("response_schema_conformance", Case(endpoint=ep, status=200, body=_clone_body())).passed
    missing = checks.run("response_schema_conformance", Case(endpoint=ep, status=200, body=_clone_body(voice_id=None)))
    assert not missing.passed and "voice_id" in missing.message
    assert not checks.run("response_schema_conformance", Case(endpoint=ep, status=418, body=b"{}")).passed
    assert not checks.run("response_schema_conformance", Case(endpoint=ep, status=200, body=b"<html>")).passed


def test_errors_sent_with_http_200_are_read_from_the_spec_not_from_a_field_name() -> None:
    ep = spec.get("modelslab.text_to_audio")
    error = json.dumps({"status": "error", "message": "Invalid API key"}).encode()
    queued = json.dumps({"status": "processing", "id": 1, "eta": 3, "message": "m", "fetch_result": "u",
                         "future_links": ["u"], "track_id": None, "meta": {}}).encode()
    ctype = "application/json"
    assert checks.run("ignored_auth", Case(endpoint=ep, status=200, body=error, auth_case="wrong")).passed
    assert not checks.run("ignored_auth", Case(endpoint=ep, status=200, body=queued, auth_case="wrong")).passed
    assert not checks.run("positive_data_acceptance",
                          Case(endpoint=ep, status=200, body=error, content_type=ctype)).passed
    assert checks.run("positive_data_acceptance", Case(endpoint=ep, status=200, body=queued, content_type=ctype)).passed
    rejected = Case(endpoint=ep, status=200, body=error, rule="prompt:required")
    accepted = Case(endpoint=ep, status=200, body=queued, rule="prompt:required")
    assert checks.run("negative_data_rejection", rejected).passed
    assert not checks.run("negative_data_rejection", accepted).passed


def test_negative_data_rejection_wants_the_documented_status_and_error_shape() -> None:
    ep = spec.get("faseeh.voice_preview")
    shaped = json.dumps({"errorCode": "40001", "errorMessage": "text is required"}).encode()
    assert checks.run("negative_data_rejection", Case(endpoint=ep, status=400, body=shaped, rule="r")).passed
    result = checks.run("negative_data_rejection", Case(endpoint=ep, status=400, body=b'{"detail": "x"}', rule="r"))
    assert not result.passed and "error shape" in result.message
    assert not checks.run("negative_data_rejection", Case(endpoint=ep, status=422, body=shaped, rule="r")).passed


def test_the_contract_says_why_a_body_is_not_json() -> None:
    assert contract.parse_json(b'{"a": 1}', "application/json") == ({"a": 1}, None)
    assert contract.parse_json(b"<!doctype html>", "text/html")[1].message == "HTML page instead of JSON"
    assert contract.parse_json(b"{nope", "application/json")[1].message == "malformed JSON body"
    data, broken = contract.parse_json(b"{}", "text/plain")
    assert data == {} and broken is not None and "wrong content type" in broken.message
    assert contract.complete("10", 10) is None and contract.complete(None, 3) is None
    assert contract.complete("10", 9) is not None


def test_a_call_returns_the_exchange_it_was_judged_on() -> None:
    from conformance.clients import AuthError, make_client
    from conformance.simulators import simulate
    from conformance.strategies import audio_bytes

    with simulate("faseeh") as sim:
        sim.reject_key("bad")
        client = make_client("faseeh", api_key="k", offline=True)
        audio = client.voice_preview("مرحبا بكم في اختبار الصوت اليوم", 0.8, "faseeh-v1-preview",
                                     audio_bytes(2.0, "wav", 16000))
        assert audio.exchange is not None and audio.exchange.status == 200
        assert audio.exchange.body == audio.audio and audio.exchange.request.url.path.endswith("/preview")
        with pytest.raises(AuthError) as caught:
            make_client("faseeh", api_key="bad", offline=True).voice_preview(
                "مرحبا بكم في اختبار الصوت اليوم", 0.8, "faseeh-v1-preview", audio_bytes(2.0, "wav", 16000))
        assert caught.value.exchange is not None and caught.value.exchange.status == 401
        client.close()


@pytest.mark.parametrize("provider_id", ["faseeh", "modelslab"])  # the key in a header; in the JSON body
def test_the_exchange_a_call_returns_never_holds_the_key_even_when_the_provider_echoes_it(provider_id: str) -> None:
    import httpx

    from conformance.clients import ClientError, make_client
    from conformance.strategies import audio_bytes

    key = "sk-live-7f3a9c2e5b1d"

    def echo(request: httpx.Request) -> httpx.Response:
        return httpx.Response(401, json={"errorCode": 40101, "errorMessage": f"bad key {key}", "status": "error",
                                         "message": f"bad key {key}"}, headers={"x-echo": key})

    with httpx.Client(transport=httpx.MockTransport(echo)) as http:
        client = make_client(provider_id, api_key=key, http_client=http, offline=True)
        wav = audio_bytes(5.0, "wav", 16000)
        with pytest.raises(ClientError) as caught:
            if provider_id == "faseeh":
                client.voice_preview("مرحبا بكم في اختبار الصوت اليوم", 0.8, "faseeh-v1-preview", wav)
            else:
                client.voice_to_voice(wav, wav)
    ex = caught.value.exchange
    assert ex is not None and ex.status == 401
    seen = [str(ex.request.url), *ex.request.headers.values(), *ex.headers.values()]
    assert not any(key in text for text in seen), seen
    assert key.encode() not in ex.request.content and key.encode() not in ex.body
    assert b"***" in ex.body


def test_check_results_are_check_results() -> None:
    result = checks.run("not_a_server_error", Case(status=500))
    assert isinstance(result, CheckResult) and not result and "measured 500" in result.explain()


def _speech(seconds: float = 3.0, sr: int = 16000):
    from conformance.audio import corpus

    return corpus.make_clip("en_slt", seconds, sr), sr


def _degenerate():
    import numpy as np

    sr = 16000
    click = np.zeros(sr * 3, dtype="float32")
    click[sr] = 0.9
    nan = _speech()[0].copy()
    nan[100] = np.nan
    return {"silence": (np.zeros(sr * 3, dtype="float32"), sr), "dc": (np.full(sr * 3, 0.3, dtype="float32"), sr),
            "click": (click, sr), "nan": (nan, sr), "empty": (np.zeros(0, dtype="float32"), sr)}


@pytest.mark.parametrize("kind", ["silence", "dc", "click", "nan", "empty"])
@pytest.mark.parametrize("name", ["audio_not_silent", "speaker_verification", "predicted_mos_floor",
                                  "intelligibility", "timing_preservation"])
def test_degenerate_audio_fails_every_audio_check_cleanly(name: str, kind: str) -> None:
    audio = _degenerate()[kind]
    case = Case(audio=audio, reference=_speech(), source_audio=_speech(), text="hello there", source_seconds=3.0)
    result = checks.run(name, case)  # never an exception: a check that crashes is a kit bug
    assert not result.passed, result.explain()
    assert result.measured and ("no speech to judge" in result.message or "cannot be read" in result.message)


def test_real_speech_is_judged_not_refused() -> None:
    from conformance.audio import unusable

    assert unusable(_speech()) is None
    assert unusable(_speech(0.3)) is None  # short, but sound


@pytest.mark.parametrize(("ovrl", "passed"), [(1.99, False), (2.0, True), (2.01, True)])
def test_the_mos_floor_at_its_bound(monkeypatch: pytest.MonkeyPatch, ovrl: float, passed: bool) -> None:
    import conformance.audio
    from conformance.audio import quality
    from conformance.thresholds import Thresholds

    fake = lambda src, **kw: quality.MosScores(3.0, 3.0, ovrl, 3.0, 1)  # noqa: E731
    # conformance.audio first: its lazy attribute would otherwise be read from the patched module, and
    # the fake "restored" there for every later test
    monkeypatch.setattr(conformance.audio, "predicted_mos", fake)
    monkeypatch.setattr(quality, "predicted_mos", fake)
    result = checks.run("predicted_mos_floor", Case(audio=_speech(), thresholds=Thresholds()))
    assert result.passed is passed and Thresholds().mos_floor == 2.0


def test_the_mos_floor_rejects_silence_and_noise_and_passes_speech() -> None:
    import numpy as np

    from conformance.thresholds import Thresholds

    sr = 16000
    noise = (np.random.default_rng(0).standard_normal(sr * 4) * 0.1).astype("float32")
    speech = _speech(4.0)
    noisy = (speech[0] + np.random.default_rng(1).standard_normal(len(speech[0])).astype("float32")
             * float(np.sqrt(np.mean(speech[0] ** 2))), sr)  # 0 dB SNR
    t = Thresholds()
    assert not checks.run("predicted_mos_floor", Case(audio=(noise, sr), thresholds=t)).passed
    assert not checks.run("predicted_mos_floor", Case(audio=noisy, thresholds=t)).passed
    assert checks.run("predicted_mos_floor", Case(audio=speech, thresholds=t)).passed
    # silence is refused before it is measured; measured, it would score 1.84 and still be under the floor
    from conformance.audio import predicted_mos

    assert predicted_mos((np.zeros(sr * 4, dtype="float32"), sr)).ovrl < t.mos_floor


# ---------------------------------------------------------------------------------------------
# each audio check at its thresholds: just inside and just outside, both bounds
# ---------------------------------------------------------------------------------------------


def _tone(seconds: float, sr: int = 16000) -> tuple:
    import numpy as np

    t = np.arange(round(seconds * sr)) / sr
    return (0.3 * np.sin(2 * np.pi * 220 * t)).astype(np.float32), sr


@pytest.mark.parametrize(("delta", "passed"), [(-0.03, True), (0.03, False)])
@pytest.mark.parametrize("side", [-1, 1])
def test_duration_conformance_keeps_its_tolerance_on_both_sides(delta: float, passed: bool, side: int) -> None:
    """A voice changer's output may differ from its input by ``tolerance × input + 0.1 s``, longer or
    shorter: 0.03 s inside that slack passes, 0.03 s outside fails."""
    source = 4.0
    slack = source * checks.THRESHOLDS.duration_tolerance + 0.1
    out = source + side * (slack + delta)
    result = checks.run("duration_conformance", Case(audio=_tone(out), source_seconds=source))
    assert result.passed is passed, (out, result.message)
    # the tolerance is read from the thresholds: at zero only the fixed 0.1 s is left
    import dataclasses

    strict = dataclasses.replace(checks.THRESHOLDS, duration_tolerance=0.0)
    assert checks.run("duration_conformance", Case(audio=_tone(source + side * 0.13), source_seconds=source,
                                                   thresholds=strict)).passed is False
    assert checks.run("duration_conformance", Case(audio=_tone(source + side * 0.07), source_seconds=source,
                                                   thresholds=strict)).passed is True


@pytest.mark.parametrize(("seconds", "passed"), [(0.47, False), (0.53, True)])
def test_duration_conformance_any_output_is_at_least_half_a_second(seconds: float, passed: bool) -> None:
    assert checks.run("duration_conformance", Case(audio=_tone(seconds))).passed is passed


def test_duration_conformance_any_output_is_at_most_ten_minutes() -> None:
    import numpy as np

    sr = 8000
    long = (np.tile(_tone(1.0, sr)[0], 601), sr)
    assert not checks.run("duration_conformance", Case(audio=long)).passed
    assert checks.run("duration_conformance", Case(audio=(long[0][: 599 * sr], sr))).passed


def _format_case(actual_rate: int, declared_rate: int, container: str = "wav") -> Case:
    from types import SimpleNamespace

    from conformance.audio import corpus
    from conformance.audio.decoding import encode

    y = corpus.make_clip("en_kal", 1.5, actual_rate)  # speech: full bandwidth for the rate
    audio = SimpleNamespace(audio=encode(y, actual_rate, "wav"), format="wav", sample_rate=actual_rate, codec="pcm")
    fmt = SimpleNamespace(name=f"wav_{declared_rate}", container=container, sample_rate=declared_rate, codec="pcm",
                          bitrate_kbps=None, source="test")
    return Case(audio=audio, expect_format=fmt)


def test_output_format_conformance_compares_the_sample_rate_and_the_container() -> None:
    assert checks.run("output_format_conformance", _format_case(16000, 16000)).passed
    wrong_rate = checks.run("output_format_conformance", _format_case(16000, 22050))
    assert not wrong_rate.passed and wrong_rate.measured["sample_rate"] == 16000
    assert wrong_rate.expected["sample_rate"] == 22050
    assert not checks.run("output_format_conformance", _format_case(16000, 16000, container="mp3")).passed


def test_positive_data_acceptance_refuses_an_error_sent_with_http_200_and_any_other_status() -> None:
    ep = spec.get("modelslab.text_to_audio")
    ctype = "application/json"
    error = json.dumps({"status": "error", "message": "Invalid API key"}).encode()
    result = checks.run("positive_data_acceptance", Case(endpoint=ep, status=200, body=error, content_type=ctype))
    assert not result.passed and result.measured["body_status"] == "error"
    for status in (201, 400, 422, 500):
        assert not checks.run("positive_data_acceptance", Case(endpoint=ep, status=status, body=b"{}",
                                                               content_type=ctype)).passed


def test_positive_data_acceptance_refuses_a_job_that_was_accepted_but_never_finished() -> None:
    ep = spec.get("modelslab.voice_to_voice")
    processing = json.dumps({"status": "processing", "id": 1, "eta": 2}).encode()
    case = Case(endpoint=ep, status=200, body=processing, content_type="application/json",
                error="JobTimeout: job 1 still processing after 2.0 s")
    result = checks.run("positive_data_acceptance", case)
    assert not result.passed and "never completed: JobTimeout" in result.message
    assert result.measured["error"].startswith("JobTimeout")
    case.error = None
    assert checks.run("positive_data_acceptance", case).passed
