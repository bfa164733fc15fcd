"""ModelsLab simulator: queued voice jobs (``processing`` → fetch → ``success``), hosted outputs, webhooks.

A job is computed when it is submitted and finishes on its own clock, as the provider's jobs do:
its ``eta`` (seconds, from the length of the audio it makes) scaled down by ``CLOCK_SCALE`` so tests
do not wait, or ``Simulator.job_seconds`` when that is set. Its webhook, when given, is POSTed then,
with nobody polling. Until then fetches answer ``processing`` with the seconds left as ``eta``.
``Simulator.job_polls`` given alone ends a job by count instead (after that many fetches answered
``processing``, with no clock); :meth:`Simulator.complete_jobs` ends every job at once. Outputs are
WAV (PCM16, mono) at the rate of the voice they carry, served only once the job has succeeded.
"""

from __future__ import annotations

import math
import threading
import time
from dataclasses import dataclass, field
from typing import Any, ClassVar, Literal

from conformance.providers.modelslab.spec import PROCESSING_MESSAGE, PROCESSING_TIP, UNREACHABLE_URL
from conformance.simulators.core import Context, ProviderSimulator, SimError, SimResponse
from conformance.spec.model import AudioInput, Precedence

UNKNOWN_URL_SECONDS = 4.0  # length assumed for source audio behind a URL the simulator cannot see
# assumed: how long the provider says a job takes (its eta) per second of audio made, at least 1 s;
# the simulator's clock runs CLOCK_SCALE times faster
ETA_PER_AUDIO_SECOND = 1.0
CLOCK_SCALE = 0.005  # a 5 s job ends 25 ms after it was submitted: one or two polls at the offline interval


@dataclass
class SimulatedJob:
    id: int
    endpoint_id: str
    output: list[str]
    meta: dict[str, Any]
    track_id: Any
    webhook: str | None
    generation_time: float
    polls_left: int | None
    eta: float = 1.0  # provider seconds
    audio_time: float = 0.0  # seconds of audio made (the docs' audio_time)
    due: float = 0.0  # time.monotonic() when the job's clock runs out
    created: float = field(default_factory=time.monotonic)
    state: Literal["processing", "success", "failed"] = "processing"
    fail_message: str | None = None  # set by a job fault: the job ends failed with it
    stuck: bool = False  # set by a job fault: the job stays processing
    fetch_result: str = ""
    lock: threading.Lock = field(default_factory=threading.Lock, repr=False)


class ModelsLabSimulator(ProviderSimulator):
    provider_id: ClassVar[str] = "modelslab"
    unknown_urls: ClassVar[Literal["speaker", "error"]] = "error"  # the provider fetches them, and says so

    def unreachable_message(self, param: str, url: str) -> str:
        return UNREACHABLE_URL

    def __init__(self, sim: Any):
        super().__init__(sim)
        self.jobs: dict[str, SimulatedJob] = {}
        self._timers: list[threading.Timer] = []
        self._timers_lock = threading.Lock()

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
            if job.state == "processing" and not job.stuck:
                if time.monotonic() >= job.due or job.polls_left == 0:
                    self._finish(job)
                elif job.polls_left is not None:
                    job.polls_left -= 1
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
        job = SimulatedJob(id=job_id, endpoint_id=ctx.endpoint.id, output=[], meta=self._meta(ctx, name, job_id),
                  track_id=ctx.params.get("track_id"), webhook=ctx.params.get("webhook"),
                  generation_time=round(time.perf_counter() - started + duration * 0.25, 2),
                  polls_left=self.sim.job_polls, eta=max(1.0, round(duration * ETA_PER_AUDIO_SECOND)),
                  audio_time=round(duration, 2))
        clock = self.sim.job_seconds if self.sim.job_seconds is not None else job.eta * CLOCK_SCALE
        # job_polls alone counts fetches and keeps no clock, so tests that count are not raced by one
        timed = self.sim.job_polls is None or self.sim.job_seconds is not None
        job.due = job.created + clock if timed else float("inf")
        if fault is not None:
            fault.job(job)  # still queued at first, like any job
        url = self.sim.host_file(wav, name, content_type="audio/wav", provider_id=self.provider_id,
                                 ready=lambda: job.state == "success")
        job.output = [url]
        fetch = ctx.provider.endpoint("fetch")
        job.fetch_result = ctx.base_url + fetch.path.replace("{id}", str(job_id))
        self.jobs[str(job_id)] = job
        if self.sim.job_polls == 0 and not job.stuck and job.fail_message is None:
            self._finish(job)
        elif not job.stuck and (self.sim.job_polls is None or self.sim.job_seconds is not None):
            timer = threading.Timer(clock, self._finish_locked, args=(job,))
            timer.daemon = True
            with self._timers_lock:
                self._timers = [t for t in self._timers if t.is_alive()] + [timer]
                timer.start()
        return ctx.json(self._body(job))

    def _meta(self, ctx: Context, filename: str, job_id: int) -> dict[str, Any]:
        """``meta`` as the docs' examples show it: the provider's own names and values, not the request's."""
        p = ctx.params

        def clip(name: str) -> Any:
            value = p.get(name)
            if isinstance(value, AudioInput) and value.kind == "url":
                return value.url
            return f"tmp/{name}-{filename}"  # where the provider keeps an uploaded clip

        base64, temp = ("yes" if p.get("base64") else "no"), ("yes" if p.get("temp") else "no")
        if ctx.endpoint.name == "voice_to_voice":
            return {"base64": base64, "filename": filename, "id": str(job_id),
                    "original_sound_clip": clip("init_audio"), "target_sound_clip": clip("target_audio"),
                    "temp": temp, "track_id": p.get("track_id"), "webhook": p.get("webhook")}
        return {"base64": base64, "emotion": str(ctx.value("emotion")).capitalize(), "filename": filename,
                "input_sound_clip": [f"tmp/0-{filename}"], "input_text": p.get("prompt"),
                "language": ctx.value("language"), "speed": 1, "temp": temp}

    def close(self) -> None:
        with self._timers_lock:
            timers, self._timers = self._timers, []
        for t in timers:
            t.cancel()

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
        """The answer for ``job``, in the fields and order of the docs' examples (Processing, Success)."""
        if job.state == "processing":
            return {"status": "processing", "tip": PROCESSING_TIP,
                    "eta": self._eta(job), "message": PROCESSING_MESSAGE,
                    "fetch_result": job.fetch_result, "id": job.id, "output": [],
                    "future_links": list(job.output), "proxy_links": list(job.output),
                    "audio_time": job.audio_time, "meta": job.meta}
        if job.state == "failed":
            return {"status": "failed", "id": job.id, "message": job.fail_message, "track_id": job.track_id}
        return {"status": "success", "generationTime": job.generation_time, "id": job.id,
                "output": list(job.output), "proxy_links": list(job.output), "audio_time": job.audio_time,
                "meta": job.meta}

    @staticmethod
    def _eta(job: SimulatedJob) -> float:
        """Seconds left on the job's clock (a job ended by count has none: its nominal, scaled eta)."""
        left = job.due - time.monotonic()
        return round(max(0.0, left), 2) if math.isfinite(left) else round(job.eta * CLOCK_SCALE, 2)

    def _webhook_payload(self, job: SimulatedJob) -> dict[str, Any]:
        if job.state == "failed":
            return {"status": "failed", "id": job.id, "message": job.fail_message, "track_id": job.track_id}
        return {"status": "success", "id": job.id, "output": list(job.output),
                "generationTime": job.generation_time, "track_id": job.track_id, "meta": job.meta}


SIMULATOR = ModelsLabSimulator
