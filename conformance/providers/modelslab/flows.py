"""The stateful flow of this provider (queued jobs fetched until they end, with webhooks), as a hypothesis state machine."""

from __future__ import annotations

from typing import Any

from hypothesis import strategies as st
from hypothesis.stateful import (
    Bundle,
    RuleBasedStateMachine,
    consumes,
    invariant,
    rule,
    run_state_machine_as_test,
)

from conformance import spec
from conformance.scenarios import flow_settings, schema_ok, speech


def job_flow(suite: Any) -> None:
    """Submit → processing → fetch … → success (or failed), with webhooks delivered as documented."""
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
            params: dict[str, Any] = {"init_audio": audio_input(speech(seconds, "en_kal"), "base64", "wav"),
                                      "target_audio": audio_input(suite.voice("modelslab").reference, "base64", "wav"),
                                      "base64": True, "track_id": f"t{len(self.states)}"}
            if with_webhook and suite.sim is not None:
                params["webhook"] = hook
            out = suite.send(v2v, params, validate=True, wait=False)
            assert out.error is None, out.describe()
            schema_ok(v2v.id, out.status, out.body)
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
            schema_ok(fetch.id, out.status, out.body)
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

        @rule(job=jobs)
        def download(self, job: str) -> None:
            """Wait for the job to end (on its own clock: nothing drawn depends on when), then fetch its audio."""
            import time

            client = suite.client("modelslab")
            # a simulated job ends within a second or two (its scaled eta); a real one within the poll timeout
            deadline = time.monotonic() + (client.poll_timeout if suite.sim is None else 10.0)
            self.poll(job)
            while self.states[job] == "processing" and time.monotonic() < deadline:
                time.sleep(client.poll_interval)
                self.poll(job)
            if self.states[job] == "success":
                audio = client.download(self.outputs[job][0])
                assert audio.format in ("wav", "mp3") and len(audio.audio) > 1000
            else:
                assert self.states[job] == "failed", f"job {job} still {self.states[job]}"

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
                if key not in self.states:
                    continue  # a job of an earlier example, ending on its own clock since
                assert key in self.hooked, f"webhook for job {key}, which asked for none"
                assert self.states.get(key) in ("success", "failed", "processing")

    run_state_machine_as_test(Jobs, settings=flow_settings())
