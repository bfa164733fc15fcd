"""ModelsLab simulator: queued voice jobs (``processing`` → fetch → ``success``), hosted outputs, webhooks.

A job is computed when it is submitted; the API shows it ``processing`` for ``Simulator.job_polls``
fetches (or until ``job_seconds`` pass, or :meth:`Simulator.complete_jobs`), then ``success`` with
its output URL. Outputs are WAV (PCM16, mono) at the rate of the voice they carry, served by the
simulator only once the job has succeeded. The webhook, when given, is POSTed when the job ends.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from typing import Any, ClassVar, Literal

from conformance.simulators.core import Context, ProviderSimulator, SimError, SimResponse
from conformance.spec.model import AudioInput, Precedence

UNKNOWN_URL_SECONDS = 4.0  # length assumed for source audio behind a URL the simulator cannot see
PROCESSING_MESSAGE = "Your request is being processed"


@dataclass
class SimulatedJob:
    id: int
    endpoint_id: str
    output: list[str]
    meta: dict[str, Any]
    track_id: Any
    webhook: str | None
    generation_time: float
    polls_left: int
    created: float = field(default_factory=time.monotonic)
    state: Literal["processing", "success", "failed"] = "processing"
    fail_message: str | None = None  # set by a job fault: the job ends failed with it
    stuck: bool = False  # set by a job fault: the job stays processing
    fetch_result: str = ""
    lock: threading.Lock = field(default_factory=threading.Lock, repr=False)


class ModelsLabSimulator(ProviderSimulator):
    provider_id: ClassVar[str] = "modelslab"

    def __init__(self, sim: Any):
        super().__init__(sim)
        self.jobs: dict[str, SimulatedJob] = {}
        self._timers: list[threading.Timer] = []

    @property
    def catalogue(self) -> dict[str, str]:  # type: ignore[override]
        """Voice ids for ``text_to_audio``: the fixture speakers, by their ids."""
        from conformance.simulators.audio import speaker_ids

        return {s: s for s in speaker_ids()}

    # -- endpoints ----------------------------------------------------------------------------

    def voice_to_voice(self, ctx: Context) -> SimResponse:
        init: AudioInput = ctx.params["init_audio"]
        source = self.sim.reference_for(ctx, "init_audio", init)
        voice = self.sim.reference_for(ctx, "target_audio", ctx.params["target_audio"])
        if init.data is not None:
            return self._submit(ctx, voice, source.duration, follow=source)
        return self._submit(ctx, voice, UNKNOWN_URL_SECONDS)

    def text_to_audio(self, ctx: Context) -> SimResponse:
        rule = next(r for r in ctx.endpoint.rules if isinstance(r, Precedence))
        if rule.effective(ctx.params) == "init_audio":
            voice = self.sim.reference_for(ctx, "init_audio", ctx.params["init_audio"])
        else:
            voice_id = ctx.params["voice_id"]
            known = self.sim.voices[self.provider_id].get(voice_id)
            if known is None:
                raise SimError("not_found", f"voice_id {voice_id} not found")
            voice = self.sim.voice_reference(known)
        return self._submit(ctx, voice, None, text=ctx.params["prompt"])

    def fetch(self, ctx: Context) -> SimResponse:
        job = self.jobs.get(str(ctx.params["id"]))
        if job is None:
            raise SimError("not_found", f"Request with id {ctx.params['id']} not found")
        with job.lock:
            due = self.sim.job_seconds is not None and time.monotonic() - job.created >= self.sim.job_seconds
            if job.state == "processing" and not job.stuck:
                if job.polls_left > 0 and not due:
                    job.polls_left -= 1
                else:
                    self._finish(job)
        return ctx.json(self._body(job))

    # -- jobs ---------------------------------------------------------------------------------

    def _submit(self, ctx: Context, voice: Any, duration: float | None, *, follow: Any = None,
                text: str | None = None) -> SimResponse:
        from conformance.simulators.audio import encode

        started = time.perf_counter()
        y, rate = self.sim.speak(ctx, voice, voice.sample_rate, duration=duration, follow=follow, text=text)
        duration = len(y) / rate
        wav = encode(y, rate, "wav")
        fault = ctx.take_job_fault()
        job_id = int(self.sim.next_id("job")[:12], 16) % 900_000_000 + 100_000_000
        name = f"{self.sim.next_uuid('output')}.wav"
        job = SimulatedJob(id=job_id, endpoint_id=ctx.endpoint.id, output=[], meta=self._meta(ctx, name),
                  track_id=ctx.params.get("track_id"), webhook=ctx.params.get("webhook"),
                  generation_time=round(time.perf_counter() - started + duration * 0.25, 2),
                  polls_left=self.sim.job_polls)
        if fault is not None:
            fault.job(job)  # still queued at first, like any job
        url = self.sim.host_file(wav, name, content_type="audio/wav", provider_id=self.provider_id,
                                 ready=lambda: job.state == "success")
        job.output = [url]
        fetch = ctx.provider.endpoint("fetch")
        job.fetch_result = ctx.base_url + fetch.path.replace("{id}", str(job_id))
        self.jobs[str(job_id)] = job
        if self.sim.job_polls <= 0 and not job.stuck and job.fail_message is None:
            self._finish(job)
        elif self.sim.job_seconds is not None and not job.stuck:
            timer = threading.Timer(self.sim.job_seconds, self._finish_locked, args=(job,))
            timer.daemon = True
            timer.start()
            self._timers.append(timer)
        return ctx.json(self._body(job))

    def _meta(self, ctx: Context, filename: str) -> dict[str, Any]:
        meta: dict[str, Any] = {}
        for name, value in ctx.params.items():
            if isinstance(value, AudioInput):
                value = value.url if value.kind == "url" else f"<base64 audio, {value.size or 0} bytes>"
            meta[name] = value
        meta["filename"] = filename
        return meta

    def _finish_locked(self, job: SimulatedJob) -> None:
        with job.lock:
            if job.state == "processing":
                self._finish(job)

    def _finish(self, job: SimulatedJob) -> None:
        job.state = "failed" if job.fail_message is not None else "success"
        if job.webhook:
            self.sim.deliver_webhook(job.webhook, self._webhook_payload(job))

    def complete_all(self) -> int:
        n = 0
        for job in list(self.jobs.values()):
            with job.lock:
                if job.state == "processing":
                    self._finish(job)
                    n += 1
        return n

    def _body(self, job: SimulatedJob) -> dict[str, Any]:
        if job.state == "processing":
            eta = self.sim.job_seconds if self.sim.job_seconds is not None else max(1, job.polls_left)
            return {"status": "processing", "id": job.id, "eta": eta, "message": PROCESSING_MESSAGE,
                    "fetch_result": job.fetch_result, "future_links": list(job.output),
                    "track_id": job.track_id, "meta": job.meta}
        if job.state == "failed":
            return {"status": "failed", "id": job.id, "message": job.fail_message, "track_id": job.track_id}
        return {"status": "success", "generationTime": job.generation_time, "id": job.id,
                "output": list(job.output), "proxy_links": list(job.output), "future_links": list(job.output),
                "meta": job.meta, "track_id": job.track_id}

    def _webhook_payload(self, job: SimulatedJob) -> dict[str, Any]:
        if job.state == "failed":
            return {"status": "failed", "id": job.id, "message": job.fail_message, "track_id": job.track_id}
        return {"status": "success", "id": job.id, "output": list(job.output),
                "generationTime": job.generation_time, "track_id": job.track_id, "meta": job.meta}


SIMULATOR = ModelsLabSimulator
