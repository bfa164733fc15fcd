"""Stateful flows as hypothesis state machines: queued jobs, preview → clone, clone → demo audio.

Each machine drives one provider through its documented sequence in an order hypothesis chooses,
and checks after every step that what the provider says is consistent with what came before.
"""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    Bundle,
    RuleBasedStateMachine,
    consumes,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)

from conformance import spec
from conformance.suite import checks
from conformance.suite.conftest import Suite

_SETTINGS = settings(max_examples=3, stateful_step_count=6, deadline=None,
                     suppress_health_check=list(HealthCheck))


def _speech(seconds: float, speaker: str) -> bytes:
    from conformance.strategies import audio_bytes

    return audio_bytes(seconds, "wav", 16000, speaker)


def _schema_ok(endpoint_id: str, status: int | None, body: bytes) -> None:
    result = checks.response_schema_conformance(spec.get(endpoint_id), status or 0, body)
    assert result.passed, result.explain()


def _needs_key(suite: Suite, provider: str) -> None:
    # flows of providers left out by --conformance-providers are deselected (conftest); live needs the key
    suite.target.skip_without_key(provider)


@pytest.mark.provider("modelslab")
def test_modelslab_job_flow(suite: Suite) -> None:
    """Submit → processing → fetch … → success (or failed), with webhooks delivered as documented."""
    _needs_key(suite, "modelslab")
    import jsonschema

    from conformance.providers.modelslab.spec import WEBHOOK_FAILED_SCHEMA, WEBHOOK_SUCCESS_SCHEMA
    from conformance.strategies import audio_input

    v2v, fetch = spec.get("modelslab.voice_to_voice"), spec.get("modelslab.fetch")
    hook = "https://hooks.voice-conformance.test/modelslab"

    class Jobs(RuleBasedStateMachine):
        jobs = Bundle("jobs")

        def __init__(self) -> None:
            super().__init__()
            self.states: dict[str, str] = {}
            self.outputs: dict[str, list[str]] = {}
            self.hooks_before = len(suite.sim.webhooks) if suite.sim is not None else 0
            self.hooked: set[str] = set()

        @rule(target=jobs, with_webhook=st.booleans(), seconds=st.sampled_from([4.0, 6.0]))
        def submit(self, with_webhook: bool, seconds: float) -> str:
            params: dict[str, Any] = {"init_audio": audio_input(_speech(seconds, "en_kal"), "base64", "wav"),
                                      "target_audio": audio_input(suite.voice("modelslab").reference, "base64", "wav"),
                                      "base64": True, "track_id": f"t{len(self.states)}"}
            if with_webhook and suite.sim is not None:
                params["webhook"] = hook
            out = suite.send(v2v, params, validate=True, wait=False)
            assert out.error is None, out.describe()
            _schema_ok(v2v.id, out.status, out.body)
            job = out.result
            assert job.status in ("processing", "success")
            if job.status == "processing":
                assert job.fetch_result and str(job.id) in job.fetch_result
            key = str(job.id)
            assert key not in self.states, "job ids are unique"
            self.states[key] = job.status
            if "webhook" in params:
                self.hooked.add(key)
            return key

        @rule(job=jobs)
        def poll(self, job: str) -> None:
            out = suite.send(fetch, {"id": job}, validate=True)
            _schema_ok(fetch.id, out.status, out.body)
            if out.error is not None:
                from conformance.clients import JobFailed

                assert isinstance(out.error, JobFailed), out.describe()
                self.states[job] = "failed"
                return
            state = out.result.status
            assert not (self.states[job] == "success" and state == "processing"), "a finished job went back"
            self.states[job] = state
            if state == "success":
                assert out.result.output, "a successful job has output URLs"
                self.outputs[job] = out.result.output

        @precondition(lambda self: bool(self.outputs))
        @rule(data=st.data())
        def download(self, data: st.DataObject) -> None:
            job = data.draw(st.sampled_from(sorted(self.outputs)))
            audio = suite.client("modelslab").download(self.outputs[job][0])
            assert audio.format in ("wav", "mp3") and len(audio.audio) > 1000

        @rule(job=consumes(jobs))
        def forget(self, job: str) -> None:
            """Jobs leave the bundle; the checks below still see them."""

        @invariant()
        def webhooks_match_finished_jobs(self) -> None:
            if suite.sim is None:
                return
            for d in suite.sim.webhooks[self.hooks_before:]:
                if d.url != hook:
                    continue
                schema = WEBHOOK_FAILED_SCHEMA if d.payload.get("status") == "failed" else WEBHOOK_SUCCESS_SCHEMA
                jsonschema.validate(d.payload, schema)
                key = str(d.payload["id"])
                assert key in self.hooked, f"webhook for job {key}, which asked for none"
                assert self.states.get(key) in ("success", "failed", "processing")

    run_state_machine_as_test(Jobs, settings=_SETTINGS)


@pytest.mark.provider("faseeh")
def test_faseeh_preview_clone_flow(suite: Suite) -> None:
    """Preview a voice, clone it from the preview and its reference; the voice then exists."""
    _needs_key(suite, "faseeh")
    import io

    import numpy as np
    import soundfile as sf

    preview_ep, clone_ep = spec.get("faseeh.voice_preview"), spec.get("faseeh.voice_clone")
    text = "مرحبا بكم في اختبار الصوت اليوم"

    class Voices(RuleBasedStateMachine):
        previews = Bundle("previews")

        def __init__(self) -> None:
            super().__init__()
            self.created: list[str] = []

        @rule(target=previews, speaker=st.sampled_from(["en_slt", "en_alsa"]), speed=st.sampled_from([0.7, 1.0, 1.2]))
        def preview(self, speaker: str, speed: float) -> tuple[bytes, bytes]:
            reference = _speech(6.0, speaker)
            out = suite.send(preview_ep, {"text": text, "similarity": 0.8, "model_id": "faseeh-v1-preview",
                                          "file": reference, "speed": speed}, validate=True)
            assert out.error is None, out.describe()
            audio = out.result
            assert audio.raw_format == "s16le" and audio.sample_rate == 24000
            pcm = np.frombuffer(audio.audio, dtype="<i2").astype("float32") / 32768
            buf = io.BytesIO()
            sf.write(buf, pcm, 24000, format="WAV", subtype="PCM_16")  # the preview, as a file to upload
            return buf.getvalue(), reference

        @rule(pair=consumes(previews), stability=st.sampled_from([0.0, 0.5, 1.0]))
        def clone(self, pair: tuple[bytes, bytes], stability: float) -> None:
            voice_file, reference = pair
            out = suite.send(clone_ep, {"voice_file": voice_file, "reference_audio_file": reference, "text": text,
                                        "stability": stability, "name": f"flow-{len(self.created)}",
                                        "model": "faseeh-v1-preview", "dialects": "najdi"}, validate=True)
            assert out.error is None, out.describe()
            _schema_ok(clone_ep.id, out.status, out.body)
            fields = out.result.fields
            assert fields["stability"] == pytest.approx(stability)
            assert fields["dialect"] == ["najdi"]  # dialects in, dialect out
            self.created.append(out.result.voice_id)

        @invariant()
        def created_voices_exist(self) -> None:
            if suite.sim is not None:
                for vid in self.created:
                    assert vid in suite.sim.voices["faseeh"], f"cloned voice {vid} is not listed"

    run_state_machine_as_test(Voices, settings=_SETTINGS)


@pytest.mark.provider("novita")
def test_novita_clone_demo_flow(suite: Suite) -> None:
    """Clone with preview text: a voice id and demo audio in the cloned voice; without text, no demo."""
    _needs_key(suite, "novita")
    from conformance.strategies import audio_input

    ep = spec.get("novita.minimax_voice_cloning")

    class Clones(RuleBasedStateMachine):
        def __init__(self) -> None:
            super().__init__()
            self.voices: list[str] = []

        @rule(with_text=st.booleans(), seconds=st.sampled_from([10.0, 15.0]))
        def clone(self, with_text: bool, seconds: float) -> None:
            params: dict[str, Any] = {"audio_url": audio_input(_speech(seconds, "en_slt"), "url", "wav")}
            if with_text:
                params.update(text="Hello from the cloned voice.", model="speech-02-turbo")
            out = suite.send(ep, params, validate=True)
            assert out.error is None, out.describe()
            _schema_ok(ep.id, out.status, out.body)
            assert out.result.voice_id not in self.voices, "voice ids are unique"
            self.voices.append(out.result.voice_id)
            demo = out.result.demo_audio_url
            assert (demo is not None) == with_text, "demo_audio_url only when text and model are given"
            if demo:
                audio = suite.client("novita").download(demo)
                assert len(audio.audio) > 1000 and audio.format in ("mp3", "wav")

        @invariant()
        def voices_exist(self) -> None:
            if suite.sim is not None:
                for vid in self.voices:
                    assert vid in suite.sim.voices["novita"]

    run_state_machine_as_test(Clones, settings=_SETTINGS)
