"""Compare providers: the same inputs through each, the outputs measured the same way, then ranked.

The inputs are one text and one reference voice (real speech from the fixtures unless you give your
own): text-to-speech cloning endpoints speak the text in the reference voice; voice changers convert
another fixture speaker saying the same text into that voice. Every output is measured for

- speaker similarity to the reference (cosine of speaker embeddings; the S-norm score too),
- predicted MOS (DNSMOS overall),
- intelligibility (1 − WER of an English recogniser against the text; English text only),
- latency (seconds from sending the request to holding the audio).

Rows are ranked by their mean rank over those metrics (latency counts only on ``live`` and
``url=`` targets: on the offline targets it measures the kit, not a provider).

    from conformance.compare import compare, fixture_inputs
    result = compare("simulator", ["<provider>", "<provider>"], fixture_inputs())
    print(result.table())

The audio stack loads when the first output is measured.
"""

from __future__ import annotations

import contextlib
import html
import statistics
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from conformance import spec

DEFAULT_TEXT = "The birch canoe slid on the smooth planks. Glue the sheet to the dark blue background."
REFERENCE_SPEAKER = "en_slt"  # the voice to clone
SOURCE_SPEAKER = "en_kal"  # who says the text into the voice changers
REFERENCE_SECONDS = 12.0  # long enough for every provider's reference-length rule (the spec's AudioDuration)
SAMPLE_RATE = 16000


def comparable_endpoints(provider_id: str | None = None) -> list[str]:
    """Endpoint ids ``compare`` can run (of one provider): each provider's scenarios name them, default first."""
    from conformance.registry import names
    from conformance.scenarios import scenarios

    pids = [provider_id] if provider_id else list(names())
    return [f"{pid}.{name}" for pid in pids for name in scenarios(pid).compare_endpoints]


def _converts_voice(endpoint_id: str) -> bool:
    return spec.get(endpoint_id).converts_voice

# name: (label, higher is better)
METRICS: dict[str, tuple[str, bool]] = {
    "speaker_similarity": ("speaker sim.", True),
    "predicted_mos": ("MOS", True),
    "intelligibility": ("intellig.", True),
    "latency": ("latency s", False),
}


class CompareError(ValueError):
    """The comparison cannot run as asked (the message says which input is wrong)."""


@dataclass
class Inputs:
    """What every provider gets: the text, the reference voice (WAV) and, for voice changers, speech of the text."""

    text: str
    reference: bytes
    source: bytes | None = None
    reference_label: str = ""
    source_label: str = ""
    reference_url: str | None = None  # the same reference, hosted where a live provider can fetch it
    voices: dict[str, str] = field(default_factory=dict)  # provider -> an existing voice id (a live voice changer converts into it)


def _wav(samples: Any, sr: int) -> bytes:
    from conformance.audio.encoding import wav_bytes

    return wav_bytes(samples, sr)


def _sentences(text: str) -> list[str]:
    import re

    return [s.strip() for s in re.split(r"(?<=[.!?])\s+", text.strip()) if s.strip()]


def fixture_source(text: str, speaker: str = SOURCE_SPEAKER) -> bytes | None:
    """Real speech of ``text`` by a fixture speaker (its sentences, joined), or ``None`` if not all are there."""
    import numpy as np

    from conformance.audio import corpus

    said = {" ".join(c.text.lower().split()): c for c in corpus.clips(speaker) if c.text}
    pieces = []
    for sentence in _sentences(text):
        clip = said.get(" ".join(sentence.lower().split()))
        if clip is None:
            return None
        y, _ = corpus.load(clip, sr=SAMPLE_RATE)
        pieces += [y, np.zeros(int(0.2 * SAMPLE_RATE), dtype=y.dtype)]
    return _wav(np.concatenate(pieces[:-1]), SAMPLE_RATE) if pieces else None


def fixture_inputs(text: str | None = None, *, reference: str | Path | None = None, source: str | Path | None = None,
                   reference_url: str | None = None, voices: dict[str, str] | None = None) -> Inputs:
    """Inputs from the fixtures, or from the files given (WAV or MP3 of the reference voice and of the text)."""
    from conformance.audio import corpus

    text = (text or DEFAULT_TEXT).strip()
    if len(text.split()) < 3:
        raise CompareError(f"--text: give at least three words (a provider's minimum), got {text!r}")
    if reference is not None:
        ref = _read_audio(reference, "--reference")
        ref_label = str(reference)
    else:
        # the reference starts after the clips that say the default text: the voice, not the words
        ref = _wav(corpus.make_clip(REFERENCE_SPEAKER, REFERENCE_SECONDS, SAMPLE_RATE, start=2), SAMPLE_RATE)
        ref_label = f"fixture speaker {REFERENCE_SPEAKER}, {REFERENCE_SECONDS:g} s"
    if source is not None:
        src: bytes | None = _read_audio(source, "--source")
        src_label = str(source)
    else:
        src = fixture_source(text)
        src_label = f"fixture speaker {SOURCE_SPEAKER} saying the text" if src else ""
    return Inputs(text, ref, src, ref_label, src_label, reference_url, dict(voices or {}))


def _read_audio(path: str | Path, option: str) -> bytes:
    from conformance.audio import AudioDecodeError, probe

    p = Path(path)
    try:
        data = p.read_bytes()
    except OSError as exc:
        raise CompareError(f"{option} {p}: cannot read: {exc.strerror or exc}") from None
    try:
        info = probe(data)
    except (AudioDecodeError, ValueError) as exc:
        raise CompareError(f"{option} {p}: not audio the kit can read ({exc})") from None
    if getattr(info, "format", None) not in ("wav", "mp3"):
        raise CompareError(f"{option} {p}: give WAV or MP3 (the providers' common formats), got {info.format}")
    return data


# ---------------------------------------------------------------------------------------------
# one row per endpoint
# ---------------------------------------------------------------------------------------------


@dataclass
class Row:
    """One endpoint's outputs and what was measured of them (means over repeats; latency: median)."""

    provider: str
    endpoint: str
    status: str = "ok"  # ok | error | skipped
    reason: str = ""
    metrics: dict[str, float] = field(default_factory=dict)
    details: dict[str, Any] = field(default_factory=dict)
    output: Any = None  # the last AudioResult
    request: str = ""
    rank: float | None = None
    place: int | None = None

    @property
    def ok(self) -> bool:
        return self.status == "ok"


@dataclass
class Comparison:
    target: str
    inputs: Inputs
    rows: list[Row]
    rank_by: str = "overall"
    latency_ranked: bool = True
    seed: int | None = None
    started: float = 0.0
    duration: float = 0.0

    def ranked(self) -> list[Row]:
        return rank(self.rows, by=self.rank_by, latency=self.latency_ranked)

    def table(self) -> str:
        from conformance.console import table

        rows = []
        for r in self.ranked():
            cells = [r.place if r.place is not None else "—", r.provider, r.endpoint]
            cells += [_fmt(r.metrics.get(m)) for m in METRICS]
            cells += [_fmt(r.rank) if r.rank is not None else r.status, r.reason]
            rows.append(cells)
        headers = ["#", "provider", "endpoint", *(label for label, _ in METRICS.values()), "mean rank", "note"]
        return table(headers, rows, right=(0, 3, 4, 5, 6, 7))


def _fmt(value: float | None) -> str:
    return "—" if value is None else f"{value:.3f}" if abs(value) < 10 else f"{value:.1f}"


def check_rank_by(by: str) -> None:
    if by != "overall" and by not in METRICS:
        raise CompareError(f"--rank-by: unknown metric {by!r}; use overall or {', '.join(METRICS)}")


def rank(rows: Sequence[Row], *, by: str = "overall", latency: bool = True) -> list[Row]:
    """Rows with audio first, best first; ``by`` a metric name or ``overall`` (mean rank over the metrics).

    Ties share the mean of their ranks; a row is ranked on the metrics it has. Rows without audio
    come last, unranked.
    """
    check_rank_by(by)
    ok = [r for r in rows if r.ok and r.metrics]
    names = [m for m in METRICS if latency or m != "latency"]
    per_row: dict[int, list[float]] = {id(r): [] for r in ok}
    for name in names if by == "overall" else [by]:
        have = [r for r in ok if r.metrics.get(name) is not None]
        higher = METRICS[name][1]
        ordered = sorted(have, key=lambda r: r.metrics[name], reverse=higher)
        i = 0
        while i < len(ordered):
            j = i
            while j + 1 < len(ordered) and ordered[j + 1].metrics[name] == ordered[i].metrics[name]:
                j += 1
            for r in ordered[i:j + 1]:
                per_row[id(r)].append((i + j) / 2 + 1)
            i = j + 1
    for r in ok:
        r.rank = statistics.fmean(per_row[id(r)]) if per_row[id(r)] else None
    for r in rows:
        if r not in ok:
            r.rank = None
    done = sorted((r for r in ok if r.rank is not None),
                  key=lambda r: (r.rank, -(r.metrics.get("speaker_similarity") or 0.0), r.endpoint))
    for place, r in enumerate(done, 1):
        r.place = place
    rest = [r for r in rows if r not in done]
    for r in rest:
        r.place = None
    return done + rest


# ---------------------------------------------------------------------------------------------
# running
# ---------------------------------------------------------------------------------------------


def resolve_endpoints(providers: Sequence[str], endpoints: Sequence[str] = ()) -> list[str]:
    """The endpoints to compare: those named, else each provider's default (its voice-cloning path)."""
    if endpoints:
        known = comparable_endpoints()
        bad = [e for e in endpoints if e not in known]
        if bad:
            raise CompareError(f"--endpoint: cannot compare {bad[0]!r}; choose from {', '.join(known)}")
        return list(dict.fromkeys(endpoints))
    out = []
    for p in providers:
        mine = comparable_endpoints(p)
        if mine:
            out.append(mine[0])
    return out


class _Hosting:
    """Where audio that a parameter takes as a URL is served from, off the simulator: ``--reference-url``;
    for a gateway (``url=``) a file server on loopback; for ``live`` one at ``$VOICE_CONFORMANCE_AUDIO_BASE``."""

    def __init__(self, target: Any):
        self.target = target
        self.server: Any = None

    def url(self, data: bytes) -> tuple[str | None, str]:
        import os

        from conformance import hosted

        public = os.environ.get(hosted.PUBLIC_BASE_ENV)
        if self.target.kind == "live" and not public:
            return None, (f"takes the reference as a URL: give --reference-url (the same audio, hosted), or set "
                          f"{hosted.PUBLIC_BASE_ENV} to a public address of this machine's {hosted.BIND_ENV} "
                          f"(default 127.0.0.1:8765)")
        if self.server is None:
            self.server = hosted.FileServer.from_env(default_port=8765 if self.target.kind == "live" else 0)
        return hosted.rebase(hosted.host(data), public or self.server.base_url), ""

    def close(self) -> None:
        if self.server is not None:
            self.server.close()


@contextlib.contextmanager
def _transport(target: Any, providers: Sequence[str], inputs: Inputs, faults: Sequence[str]) -> Iterator[Any]:
    if target.kind != "simulator":
        if faults:
            raise CompareError("--inject works on the simulator target only")
        hosting = _Hosting(target)
        try:
            yield hosting
        finally:
            hosting.close()
        return
    from conformance.simulators import simulate

    with simulate(*providers, seed=target.seed) as sim:
        from conformance.scenarios import scenarios

        for pid in providers:
            scenarios(pid).compare_setup(sim, _compare_inputs(inputs, sim))
        for spec_text in faults:
            name, _, endpoint = spec_text.partition("@")
            try:
                sim.inject(name, endpoint=endpoint or None, times=None)
            except (KeyError, ValueError) as exc:
                raise CompareError(f"--inject {spec_text}: {exc}") from None
        yield sim


def _compare_inputs(inputs: Inputs, env: Any) -> Any:
    """What the scenarios see of the inputs, with a way to host audio where the target can fetch it."""
    from conformance.scenarios import CompareInputs

    sim = None if isinstance(env, _Hosting) else env

    def host(data: bytes) -> tuple[str | None, str]:
        if sim is not None:
            from conformance.strategies import audio_input

            url = audio_input(data, "url", "wav").url
            sim.register_url(url, data)
            return url, ""
        if inputs.reference_url and data == inputs.reference:
            return inputs.reference_url, ""
        return env.url(data)

    return CompareInputs(inputs.text, inputs.reference, inputs.source, dict(inputs.voices), sim is not None, host)


def _params(endpoint: str, inputs: Inputs, env: Any) -> tuple[dict[str, Any] | None, str]:
    """The request of ``endpoint`` for these inputs (its provider's scenarios make it), or ``None`` and why
    it cannot be made. ``env`` is the simulator, or the :class:`_Hosting` of a live or gateway target."""
    from conformance.scenarios import scenarios

    if _converts_voice(endpoint) and inputs.source is None:
        return None, "a voice changer needs speech of the text: give --source FILE"
    ep = spec.get(endpoint)
    return scenarios(ep.provider_id).compare_request(ep.name, _compare_inputs(inputs, env))


def _client(target: Any, provider: str) -> Any:
    from conformance.clients import RetryPolicy, make_client

    kwargs: dict[str, Any] = {"api_key": target.api_key(provider), "retry": RetryPolicy(max_attempts=1)}
    base = target.base_url_for(provider)
    if base:
        kwargs["base_url"] = base
    return make_client(provider, offline=target.offline, **kwargs)


def _fetch_audio(client: Any, result: Any) -> Any:
    from conformance.scenarios import scenarios

    url = scenarios(client.provider_id).output_url(result)
    return client.download(url) if url else result


def _english(text: str) -> bool:
    return all(ord(ch) < 128 for ch in text)


def measure(audio: Any, inputs: Inputs, *, wer: bool) -> tuple[dict[str, float], dict[str, Any]]:
    """Speaker similarity, predicted MOS and intelligibility of one output."""
    from conformance.audio import intelligibility, predicted_mos, verify_speaker

    metrics: dict[str, float] = {}
    details: dict[str, Any] = {}
    v = verify_speaker(audio, inputs.reference)
    metrics["speaker_similarity"] = round(float(v.cosine), 4)
    details.update(speaker_score=round(float(v.score), 3), same_speaker=bool(v.same_speaker),
                   speaker_threshold=v.threshold, speaker_backend=v.backend)
    m = predicted_mos(audio)
    metrics["predicted_mos"] = round(float(m.ovrl), 3)
    details.update(mos_sig=round(float(m.sig), 3), mos_bak=round(float(m.bak), 3))
    if wer:
        r = intelligibility(audio, inputs.text)
        metrics["intelligibility"] = round(max(0.0, 1.0 - float(r.wer)), 4)
        details.update(wer=round(float(r.wer), 4), transcript=r.transcript)
    return metrics, details


def compare(target: Any, providers: Sequence[str], inputs: Inputs, *, endpoints: Sequence[str] = (),
            repeat: int = 1, faults: Sequence[str] = (), rank_by: str = "overall",
            on_row: Callable[[Row], None] | None = None, secrets: Sequence[str] = ()) -> Comparison:
    """Send ``inputs`` through each endpoint on ``target`` (a :class:`~conformance.target.Target` or its
    text), measure the outputs and return the :class:`Comparison`. ``secrets`` are masked in error notes,
    as are API keys in the environment."""
    from conformance.target import parse_target

    if isinstance(target, str):
        target = parse_target(target)
    if target.kind == "cassette":
        raise CompareError("--target cassette: cassettes replay the suite's requests; compare needs fresh "
                           "answers: use simulator, live or url=BASE")
    if repeat < 1:
        raise CompareError(f"--repeat must be at least 1, got {repeat}")
    eps = resolve_endpoints(providers, endpoints)
    wanted = list(dict.fromkeys(e.split(".")[0] for e in eps))
    target.providers = tuple(wanted)
    check_rank_by(rank_by)
    started = time.time()
    rows: list[Row] = []
    with _transport(target, wanted, inputs, faults) as sim:
        for ep in eps:
            row = _one(target, ep, inputs, sim, repeat, secrets)
            rows.append(row)
            if on_row is not None:
                on_row(row)
    result = Comparison(target.describe(), inputs, rows, rank_by=rank_by, latency_ranked=not target.offline,
                        seed=target.seed if target.kind == "simulator" else None, started=started, duration=round(time.time() - started, 3))
    result.ranked()
    return result


def _one(target: Any, endpoint: str, inputs: Inputs, sim: Any, repeat: int, secrets: Sequence[str] = ()) -> Row:

    provider = endpoint.split(".")[0]
    row = Row(provider, endpoint)
    if target.kind in ("live", "url") and not target.api_key(provider):
        row.status, row.reason = "skipped", f"set {spec.provider(provider).auth.env_var} to compare it " + \
            ("live" if target.kind == "live" else f"through {target.base_url}")
        return row
    params, why = _params(endpoint, inputs, sim)
    if params is None:
        row.status, row.reason = "skipped", why
        return row
    ep = spec.get(endpoint)
    row.request = f"{ep.method} {ep.path} {sorted(params)}"
    client = _client(target, provider)
    samples: dict[str, list[float]] = {}
    wer = _english(inputs.text) and (not _converts_voice(endpoint) or bool(inputs.source))
    if wer and _converts_voice(endpoint) and target.kind == "simulator":
        # the simulators' voice changers answer with the target speaker's own fixture speech (same
        # length, other words): intelligibility against the input's text would measure the kit
        wer = False
        row.details["intelligibility"] = "not measured: the simulator's voice changers keep length, not words"
    try:
        for _ in range(repeat):
            start = time.perf_counter()
            result = client.call(endpoint, params, validate=True)
            audio = _fetch_audio(client, result)
            samples.setdefault("latency", []).append(time.perf_counter() - start)
            ttfb = getattr(getattr(audio, "timing", None), "ttfb", None)
            if ttfb:
                samples.setdefault("ttfb", []).append(float(ttfb))
            metrics, details = measure(audio, inputs, wer=wer)
            for k, v in metrics.items():
                samples.setdefault(k, []).append(v)
            row.details.update(details)
            row.output = audio
    except Exception as exc:  # a provider's failure is a result of the comparison, not a crash
        from conformance.report.records import mask_excerpt
        from conformance.secrets import env_secrets

        row.status = "error"
        text = mask_excerpt(f"{type(exc).__name__}: {exc}", [*env_secrets(), *secrets])
        row.reason = (text.splitlines() or [""])[0][:300]
        return row
    for k, vs in samples.items():
        value = statistics.median(vs) if k in ("latency", "ttfb") else statistics.fmean(vs)
        (row.details if k == "ttfb" else row.metrics)[k] = round(value, 4)
    return row


# ---------------------------------------------------------------------------------------------
# the HTML report
# ---------------------------------------------------------------------------------------------


def records(result: Comparison, *, run_id: str, secrets: Sequence[str] = ()) -> tuple[list[Any], dict[str, Any]]:
    """Result records (one per endpoint, with its audio) and the run description, for the report."""
    import importlib.metadata as md
    import platform

    from conformance.audio.decoding import as_decoded
    from conformance.report.records import build_record

    out = []
    for r in result.ranked():
        audio: dict[str, Any] = {"reference": result.inputs.reference}
        if _converts_voice(r.endpoint) and result.inputs.source:
            audio["input"] = result.inputs.source
        if r.output is not None:
            with contextlib.suppress(Exception):
                d = as_decoded(r.output)
                audio["output"] = (d.samples, d.sample_rate)
        measured = {**r.metrics, **{k: v for k, v in r.details.items() if k != "ttfb"}}
        if "latency" in measured:
            measured["time_to_audio_s"] = measured.pop("latency")
        outcome = {"ok": "pass", "error": "error", "skipped": "skip"}[r.status]
        rec = build_record(
            {"measured": measured, "audio": audio if r.ok else {},
             "latency": {"total": r.metrics.get("latency"), "ttfb": r.details.get("ttfb")} if r.ok else {},
             "request_excerpt": r.request or None, "extra": {"rank": r.rank, "place": r.place}},
            secrets=secrets, nodeid=f"compare::{r.endpoint}", outcome=outcome, run_id=run_id, provider=r.provider,
            endpoint=r.endpoint, check="compare", target=result.target, failure=r.reason or None)
        out.append(rec)
    versions = {"python": platform.python_version()}
    with contextlib.suppress(md.PackageNotFoundError):
        versions["voice-conformance"] = md.version("voice-conformance")
    run = {"kind": "run", "run_id": run_id, "target": result.target, "seed": result.seed, "started": result.started,
           "duration": result.duration, "versions": versions, "platform": platform.platform(),
           "args": ["compare"], "text": result.inputs.text, "reference": result.inputs.reference_label,
           "source": result.inputs.source_label}
    return out, run


def ranking_html(result: Comparison) -> str:
    """The ranking as an HTML section (escaped), shown first in the comparison report."""
    e = html.escape
    head = "".join(f"<th>{e(label)}</th>" for label, _ in METRICS.values())
    body = []
    for r in result.ranked():
        cells = "".join(f'<td data-metric="{m}">{e(_fmt(r.metrics.get(m)))}</td>' for m in METRICS)
        body.append(f'<tr data-endpoint="{e(r.endpoint)}" data-place="{r.place or ""}"><td>{r.place or "—"}</td>'
                    f"<td>{e(r.provider)}</td><td>{e(r.endpoint)}</td>{cells}"
                    f"<td>{e(_fmt(r.rank)) if r.rank is not None else e(r.status)}</td><td>{e(r.reason)}</td></tr>")
    latency = "" if result.latency_ranked else " Latency is shown but not ranked: on this target it measures the kit."
    return (f'<section id="ranking"><h2>Ranking</h2>'
            f"<p>Text: <q>{e(result.inputs.text)}</q>. Reference voice: {e(result.inputs.reference_label)}."
            f"{' Voice changers convert: ' + e(result.inputs.source_label) + '.' if result.inputs.source_label else ''}"
            f" Target: {e(result.target)}. Best first, by mean rank over the metrics ({e(result.rank_by)}).{latency}</p>"
            f'<table id="ranking-table"><tr><th>#</th><th>Provider</th><th>Endpoint</th>{head}'
            f"<th>Mean rank</th><th>Note</th></tr>{''.join(body)}</table></section>")


def write_report(result: Comparison, dest: str | Path, *, secrets: Sequence[str] = ()) -> Path:
    """The comparison report (HTML, with every output's audio) and its JSON Lines results beside it.

    API keys in the environment and ``secrets`` are masked wherever they would appear."""
    import secrets as _secrets

    from conformance.report.records import RecordWriter
    from conformance.report.render import render_html
    from conformance.secrets import env_secrets, mask

    secrets = [*env_secrets(), *secrets]

    dest = Path(dest)
    dest.parent.mkdir(parents=True, exist_ok=True)
    run_id = time.strftime("%Y%m%dT%H%M%S") + "-compare-" + _secrets.token_hex(3)
    recs, run = records(result, run_id=run_id, secrets=secrets)
    jsonl = dest.with_suffix(".jsonl")
    jsonl.unlink(missing_ok=True)
    writer = RecordWriter(jsonl)
    writer.write(run)
    for rec in recs:
        writer.write(rec)
    page = render_html(recs, [run], title="Voice provider comparison")
    section = ranking_html(result)
    page = page.replace("<main>\n", "<main>\n" + section + "\n", 1) if "<main>\n" in page else \
        page.replace("</body>", section + "</body>", 1)
    tmp = dest.with_name(dest.name + ".tmp")
    tmp.write_text(mask(page, secrets), encoding="utf-8")
    tmp.replace(dest)
    return dest
