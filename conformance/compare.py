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
import functools
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
# the protocol: a set of reference voices × texts
# ---------------------------------------------------------------------------------------------

# fixture speakers of both sexes, none of them the voice changers' source speaker (SOURCE_SPEAKER)
DEFAULT_VOICES = ("en_slt", "cs_dita", "en_awb", "en_rms", "en_ked")
# texts the source speaker says in the fixtures (so voice changers get real speech of each), two sentences each
DEFAULT_TEXTS = (
    DEFAULT_TEXT,
    "It's easy to tell the depth of a well. These days a chicken leg is a rare dish.",
    "Rice is often served in round bowls. The juice of lemons makes fine punch.",
)


@dataclass
class SetVoice:
    """A reference voice of the set: its speech (WAV or MP3), and for live voice changers the provider
    voice ids already cloned from it."""

    id: str
    reference: bytes
    label: str = ""
    gender: str | None = None
    reference_url: str | None = None
    voices: dict[str, str] = field(default_factory=dict)


@dataclass
class SetText:
    """A text of the set, with speech of it for voice changers (or ``None``)."""

    id: str
    text: str
    source: bytes | None = None
    source_label: str = ""


@dataclass
class ProtocolSet:
    """What ``compare`` sends: every voice × every text, through every endpoint."""

    voices: list[SetVoice]
    texts: list[SetText]
    label: str = ""

    def inputs(self, voice: SetVoice, text: SetText) -> Inputs:
        return Inputs(text.text, voice.reference, text.source, voice.label or voice.id, text.source_label,
                      voice.reference_url, dict(voice.voices))

    @property
    def size(self) -> int:
        return len(self.voices) * len(self.texts)


def default_set(voices: int | None = None, texts: int | None = None) -> ProtocolSet:
    """The fixtures' set: :data:`DEFAULT_VOICES` × :data:`DEFAULT_TEXTS` (the first ``voices`` and ``texts``)."""
    from conformance.audio import corpus

    vs = []
    for sid in DEFAULT_VOICES[:voices]:
        ref = _wav(corpus.make_clip(sid, REFERENCE_SECONDS, SAMPLE_RATE, start=2), SAMPLE_RATE)
        vs.append(SetVoice(sid, ref, f"fixture speaker {sid}, {REFERENCE_SECONDS:g} s", corpus.speaker(sid).gender))
    ts = []
    for i, text in enumerate(DEFAULT_TEXTS[:texts], 1):
        src = fixture_source(text)
        ts.append(SetText(f"text{i}", text, src, f"fixture speaker {SOURCE_SPEAKER} saying the text" if src else ""))
    return ProtocolSet(vs, ts, f"default set: {len(vs)} fixture voices × {len(ts)} texts")


def single_set(inputs: Inputs) -> ProtocolSet:
    """One voice and one text (``--text`` / ``--reference``)."""
    voice = SetVoice("reference", inputs.reference, inputs.reference_label, None, inputs.reference_url,
                     dict(inputs.voices))
    return ProtocolSet([voice], [SetText("text", inputs.text, inputs.source, inputs.source_label)],
                       "one voice × one text")


def load_set(path: str | Path) -> ProtocolSet:
    """A set from a manifest (JSON; or a folder holding ``manifest.json``)::

        {"voices": [{"id": "anna", "reference": "anna.wav", "gender": "female",
                     "voices": {"<provider>": "<voice id cloned from anna.wav>"}}, ...],
         "texts":  [{"id": "greeting", "text": "Hello there, how are you?", "source": "greeting.wav"}, ...]}

    Paths are relative to the manifest; ``source`` (speech of the text, for voice changers) is optional.
    """
    import json

    p = Path(path)
    manifest = p / "manifest.json" if p.is_dir() else p
    try:
        data = json.loads(manifest.read_text(encoding="utf-8"))
    except OSError as exc:
        raise CompareError(f"--set {p}: cannot read {manifest.name}: {exc.strerror or exc}") from None
    except ValueError as exc:
        raise CompareError(f"--set {manifest}: not JSON: {exc}") from None
    if not isinstance(data, dict) or not isinstance(data.get("voices"), list) or not isinstance(data.get("texts"), list):
        raise CompareError(f"--set {manifest}: give an object with lists \"voices\" and \"texts\"")
    base = manifest.parent
    vs, ts = [], []
    for i, v in enumerate(data["voices"]):
        if not isinstance(v, dict) or not v.get("reference"):
            raise CompareError(f"--set {manifest}: voices[{i}] needs a \"reference\" file")
        vid = str(v.get("id") or Path(v["reference"]).stem)
        ref = _read_audio(base / v["reference"], f"--set {manifest}: voices[{i}].reference")
        vs.append(SetVoice(vid, ref, str(v["reference"]), v.get("gender"), v.get("reference_url"),
                           {str(k): str(x) for k, x in (v.get("voices") or {}).items()}))
    for i, t in enumerate(data["texts"]):
        if not isinstance(t, dict) or not isinstance(t.get("text"), str) or len(t["text"].split()) < 3:
            raise CompareError(f"--set {manifest}: texts[{i}] needs a \"text\" of at least three words")
        src = _read_audio(base / t["source"], f"--set {manifest}: texts[{i}].source") if t.get("source") else None
        ts.append(SetText(str(t.get("id") or f"text{i + 1}"), t["text"].strip(), src, str(t.get("source") or "")))
    for kind, items in (("voices", vs), ("texts", ts)):
        if not items:
            raise CompareError(f"--set {manifest}: no {kind}")
        ids = [x.id for x in items]
        if len(set(ids)) != len(ids):
            raise CompareError(f"--set {manifest}: {kind} ids repeat: {', '.join(sorted(set(i for i in ids if ids.count(i) > 1)))}")
    return ProtocolSet(vs, ts, f"{manifest}: {len(vs)} voices × {len(ts)} texts")


MEASUREMENT_KIND = "compare-measurement"


@dataclass
class Measurement:
    """One cell: ``endpoint``'s output for ``voice`` saying ``text`` (ids of the set), measured."""

    endpoint: str
    voice: str
    text: str
    status: str = "ok"  # ok | error | skipped
    metrics: dict[str, float] = field(default_factory=dict)
    reason: str = ""
    details: dict[str, Any] = field(default_factory=dict)
    output: Any = None  # the AudioResult (not written)
    inputs: str = ""  # fingerprint of what was sent (text, reference, source)
    setup: str = ""  # fingerprint of where and how (target, seed, faults, repeats)

    @property
    def key(self) -> tuple[str, str, str]:
        return (self.endpoint, self.voice, self.text)

    @property
    def provider(self) -> str:
        return self.endpoint.split(".")[0]

    def to_json(self, run_id: str = "") -> dict[str, Any]:
        return {"kind": MEASUREMENT_KIND, "run_id": run_id, "provider": self.provider, "endpoint": self.endpoint,
                "voice": self.voice, "text": self.text, "status": self.status, "metrics": self.metrics,
                "reason": self.reason or None, "inputs": self.inputs, "setup": self.setup,
                "details": {k: v for k, v in self.details.items() if isinstance(v, str | int | float | bool)}}

    @classmethod
    def from_json(cls, d: dict[str, Any]) -> Measurement:
        import math

        metrics = d.get("metrics") or {}
        if not isinstance(metrics, dict):
            raise ValueError(f"metrics must be an object, got {type(metrics).__name__}")
        details = d.get("details") or {}
        return cls(str(d["endpoint"]), str(d["voice"]), str(d["text"]), str(d.get("status") or "ok"),
                   {str(k): float(v) for k, v in metrics.items()
                    if isinstance(v, int | float) and not isinstance(v, bool) and math.isfinite(v)},
                   str(d.get("reason") or ""), dict(details) if isinstance(details, dict) else {},
                   inputs=str(d.get("inputs") or ""), setup=str(d.get("setup") or ""))


def _fingerprint(*parts: Any) -> str:
    import hashlib

    h = hashlib.sha256()
    for part in parts:
        h.update(part if isinstance(part, bytes) else repr(part).encode())
        h.update(b"\0")
    return h.hexdigest()[:16]


def read_measurements(paths: Sequence[str | Path]) -> list[Measurement]:
    """The measurements of one or more results files (shards merge: a cell measured twice keeps the last)."""
    from conformance import safejson

    out: dict[tuple[str, str, str], Measurement] = {}
    for path in paths:
        p = Path(path)
        try:
            lines = p.read_text(encoding="utf-8").splitlines()
        except OSError as exc:
            raise CompareError(f"{p}: cannot read: {exc.strerror or exc}") from None
        found = 0
        for n, line in enumerate(lines, 1):
            if not line.strip():
                continue
            try:
                d = safejson.loads(line)
            except ValueError as exc:
                raise CompareError(f"{p}:{n}: not a JSON line: {exc}") from None
            if isinstance(d, dict) and d.get("kind") == MEASUREMENT_KIND:
                try:
                    m = Measurement.from_json(d)
                except (KeyError, TypeError, ValueError) as exc:
                    raise CompareError(f"{p}:{n}: not a measurement: {exc}") from None
                out[m.key] = m
                found += 1
        if not found and any(line.strip() for line in lines):
            raise CompareError(f"{p}: holds no compare measurements (give a comparison's "
                               f"{measurements_path('compare.html').name}, not its report results)")
    return list(out.values())


def measurements_path(report: str | Path) -> Path:
    """Where a comparison's measurements stream: ``<report>.measurements.jsonl`` beside its HTML."""
    return Path(report).expanduser().with_suffix(".measurements.jsonl")


def new_run_id() -> str:
    import secrets as _secrets

    return time.strftime("%Y%m%dT%H%M%S") + "-compare-" + _secrets.token_hex(3)


class MeasurementStream:
    """Writes each measurement to ``path`` as it is made (one JSON line, flushed, masked), after the
    measurements ``keep`` of a resumed run, so an interrupted comparison loses at most one output."""

    def __init__(self, path: Path, *, run_id: str, keep: Sequence[Measurement] = (), secrets: Sequence[str] = ()):
        import json
        import os

        from conformance.secrets import env_secrets, mask

        self.path, self.run_id, self.secrets = path, run_id, [*env_secrets(), *secrets]
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(path.name + ".tmp")  # the kept cells replace the file at once: nothing lost
        tmp.write_text("".join(mask(json.dumps(m.to_json(run_id), ensure_ascii=False),
                                    self.secrets) + "\n" for m in keep), encoding="utf-8")
        os.replace(tmp, path)

    def write(self, m: Measurement) -> None:
        import json

        from conformance.secrets import mask

        with self.path.open("a", encoding="utf-8") as f:
            f.write(mask(json.dumps(m.to_json(self.run_id), ensure_ascii=False), self.secrets) + "\n")


def change_json(c: Any) -> dict[str, Any]:
    return {"endpoint": c.endpoint, "metric": c.metric, "before": c.before, "after": c.after, "delta": c.delta,
            "n_before": c.n_before, "n_after": c.n_after, "paired": c.paired, "p_value": c.p_value,
            "verdict": c.verdict}


def changes_text(changes: Sequence[Any], baseline: str | Path) -> str:
    from conformance.console import table

    rows = [[c.endpoint, c.metric, _fmt(c.before), _fmt(c.after), f"{c.delta:+.3f}",
             "paired" if c.paired else "unpaired", f"{c.p_value:.3g}", c.verdict] for c in changes]
    moved = [c for c in changes if c.verdict != "unchanged"]
    if not changes:
        return f"since {baseline}: nothing to compare (no endpoint and metric measured in both runs)"
    head = (f"since {baseline}: {len(moved)} significant change(s)" if moved else
            f"since {baseline}: no metric moved significantly")
    return head + ("\n" + table(["endpoint", "metric", "before", "now", "change", "cells", "p", "verdict"], rows,
                                 right=(2, 3, 4, 6)) if rows else "")


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
    reference: bytes | None = None  # the reference voice of ``output``
    source: bytes | None = None  # the speech a voice changer converted into ``output``

    @property
    def ok(self) -> bool:
        return self.status == "ok"


@dataclass
class Comparison:
    target: str
    inputs: Inputs  # the first cell's (what a single-shot comparison sent)
    rows: list[Row]  # one per endpoint: its metrics averaged over its cells
    rank_by: str = "overall"
    latency_ranked: bool = True
    seed: int | None = None
    started: float = 0.0
    duration: float = 0.0
    measurements: list[Measurement] = field(default_factory=list)  # one per endpoint × voice × text
    pset: ProtocolSet | None = None
    _statistics: dict[str, Any] | None = field(default=None, repr=False, compare=False)

    @property
    def failures(self) -> list[Measurement]:
        return [m for m in self.measurements if m.status == "error"]

    def cells(self) -> list[Any]:
        """The measured cells, for :mod:`conformance.comparestats`."""
        from conformance.comparestats import Cell

        return [Cell(m.endpoint, m.voice, m.text, m.metrics) for m in self.measurements if m.status == "ok"]

    def metrics(self) -> list[str]:
        return [m for m in METRICS if self.latency_ranked or m != "latency"]

    def statistics(self) -> dict[str, Any]:
        """Per metric: each endpoint's interval, the ranking with ties, the paired comparisons, and the
        breakdowns per voice and per text (see :mod:`conformance.comparestats`)."""
        from conformance import comparestats as cs

        if self._statistics is not None:  # the console, the export and the HTML read the same numbers
            return self._statistics
        cells = self.cells()
        summary = cs.summary(cells, self.metrics(), seed=self.seed or 0)
        out: dict[str, Any] = {}
        for m in self.metrics():
            higher = METRICS[m][1]
            ivs = {ep: row[m] for ep, row in summary.items() if m in row}
            if not ivs:
                continue
            out[m] = {"intervals": ivs, "ranking": cs.ranking(ivs, higher_is_better=higher),
                      "pairs": cs.pairwise(cells, m, higher_is_better=higher, seed=self.seed or 0),
                      "by_voice": cs.breakdown(cells, m, "voice"), "by_text": cs.breakdown(cells, m, "text")}
        self._statistics = out
        return out

    def statistics_text(self) -> str:
        """The per-metric intervals with their tied ranking, then the pairwise verdicts, as console text."""
        from conformance.console import table

        stats = self.statistics()
        lines = []
        for m, st in stats.items():
            label = METRICS[m][0]
            rows = [[r.place, r.endpoint, _fmt(r.interval.mean), f"[{_fmt(r.interval.low)}, {_fmt(r.interval.high)}]",
                     r.interval.n, ("tied with " + ", ".join(r.tied_with)) if r.tied_with else ""]
                    for r in st["ranking"]]
            lines.append(f"{label} ({m}; {'higher' if METRICS[m][1] else 'lower'} is better), mean with 95 % "
                         f"bootstrap interval over voices × texts:")
            lines.append(table(["#", "endpoint", "mean", "95 % interval", "n", ""], rows, right=(0, 2, 4)))
            pairs = [[p.a, p.b, p.n, _fmt(p.difference.mean), f"{p.p_value:.3g}", f"{p.p_a_better:.2f}", p.verdict]
                     for p in st["pairs"]]
            if pairs:
                lines.append(table(["A", "B", "pairs", "A ahead by", "Wilcoxon p", "P(A better)", "verdict"], pairs,
                                   right=(2, 3, 4, 5)))
            lines.append("")
        return "\n".join(lines).rstrip()

    def export(self) -> dict[str, Any]:
        """The comparison as data (``--export``): each endpoint's interval per metric, the rankings and the
        pairwise verdicts."""
        stats = self.statistics()
        return {"target": self.target, "set": self.pset.label if self.pset else "",
                "metrics": {m: {"higher_is_better": METRICS[m][1],
                                "endpoints": {ep: iv.as_dict() for ep, iv in st["intervals"].items()},
                                "ranking": [{"place": r.place, "endpoint": r.endpoint, "tied_with": r.tied_with}
                                            for r in st["ranking"]],
                                "pairs": [{"a": p.a, "b": p.b, "n": p.n, "advantage_of_a": p.difference.as_dict(),
                                           "p_value": p.p_value, "p_a_better": p.p_a_better, "verdict": p.verdict}
                                          for p in st["pairs"]],
                                "by_voice": st["by_voice"], "by_text": st["by_text"]}
                            for m, st in stats.items()},
                "failures": [m.to_json() for m in self.failures]}

    def changes(self, baseline: Sequence[Measurement]) -> list[Any]:
        """Which of this comparison's metrics moved significantly since ``baseline`` (a previous run's cells)."""
        from conformance import comparestats as cs

        before = [cs.Cell(m.endpoint, m.voice, m.text, m.metrics) for m in baseline if m.status == "ok"]
        return cs.changes(self.cells(), before, {m: METRICS[m][1] for m in self.metrics()})

    def export_csv(self) -> str:
        """One line per endpoint and metric: mean, interval, cells, place."""
        import csv
        import io

        buf = io.StringIO()
        w = csv.writer(buf)
        w.writerow(["metric", "endpoint", "mean", "low", "high", "n", "place", "tied_with"])
        for m, st in self.statistics().items():
            for r in st["ranking"]:
                w.writerow([m, r.endpoint, r.interval.mean, r.interval.low, r.interval.high, r.interval.n, r.place,
                            " ".join(r.tied_with)])
        return buf.getvalue()

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


@functools.lru_cache(maxsize=16)
def _reference_embedding(reference: bytes) -> Any:
    """A reference voice's speaker embedding, computed once for all the outputs compared with it."""
    from conformance.audio.speaker import speaker_embedding

    return speaker_embedding(reference)


def measure(audio: Any, inputs: Inputs, *, wer: bool) -> tuple[dict[str, float], dict[str, Any]]:
    """Speaker similarity, predicted MOS and intelligibility of one output."""
    from conformance.audio import intelligibility, predicted_mos, verify_speaker
    from conformance.audio.decoding import as_decoded

    metrics: dict[str, float] = {}
    details: dict[str, Any] = {}
    audio = as_decoded(audio)  # decoded once for the three measures, not once each
    v = verify_speaker(audio, _reference_embedding(inputs.reference))
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


def compare(target: Any, providers: Sequence[str], inputs: Inputs | None = None, *, pset: ProtocolSet | None = None,
            endpoints: Sequence[str] = (), repeat: int = 1, faults: Sequence[str] = (), rank_by: str = "overall",
            on_row: Callable[[Row], None] | None = None, on_measurement: Callable[[Measurement], None] | None = None,
            on_plan: Callable[[list[Measurement], int], None] | None = None,
            done: Sequence[Measurement] = (), secrets: Sequence[str] = ()) -> Comparison:
    """Send every voice × text of ``pset`` (else the one of ``inputs``) through each endpoint on ``target``
    (a :class:`~conformance.target.Target` or its text), measure the outputs and return the
    :class:`Comparison`. ``done``: cells measured before (a resumed run, other shards) are kept, not sent
    again, when they were measured (status ok) from the same inputs in the same setup (target, seed,
    faults, repeats); ``on_plan`` gets those kept and the number of cells before anything is sent.
    ``on_measurement`` sees each new cell as it is measured. ``secrets`` are masked in error notes, as
    are API keys in the environment."""
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
    if pset is None:
        if inputs is None:
            raise CompareError("nothing to send: give inputs or a set of voices and texts")
        pset = single_set(inputs)
    first = pset.inputs(pset.voices[0], pset.texts[0])
    setup = _fingerprint(target.describe(), target.seed if target.kind == "simulator" else None, sorted(faults),
                         repeat)
    fps = {(v.id, t.id): _fingerprint(t.text, v.reference, t.source or b"") for v in pset.voices for t in pset.texts}
    prior = {m.key: m for m in done if m.status == "ok" and m.setup == setup
             and m.inputs == fps.get((m.voice, m.text)) and m.endpoint in eps}
    if on_plan is not None:
        on_plan(list(prior.values()), len(eps) * pset.size)
    started = time.time()
    measurements: list[Measurement] = []
    with _transport(target, wanted, first, faults) as sim:
        for i, voice in enumerate(pset.voices):
            if i and target.kind == "simulator":
                from conformance.scenarios import scenarios

                for pid in wanted:  # the simulated providers know this reference's voice
                    scenarios(pid).compare_setup(sim, _compare_inputs(pset.inputs(voice, pset.texts[0]), sim))
            for text in pset.texts:
                cell = pset.inputs(voice, text)
                for ep in eps:
                    if (ep, voice.id, text.id) in prior:
                        measurements.append(prior[(ep, voice.id, text.id)])
                        continue
                    row = _one(target, ep, cell, sim, repeat, secrets)
                    m = Measurement(ep, voice.id, text.id, row.status, dict(row.metrics), row.reason,
                                    {**row.details, **({"request": row.request} if row.request else {})}, row.output,
                                    inputs=fps[(voice.id, text.id)], setup=setup)
                    measurements.append(m)
                    if on_measurement is not None:
                        on_measurement(m)
    rows = [_aggregate(ep, [m for m in measurements if m.endpoint == ep]) for ep in eps]
    voices, texts = {v.id: v for v in pset.voices}, {t.id: t for t in pset.texts}
    for row in rows:  # the report plays each row's output beside the reference (and source) it came from
        voice, text = voices.get(row.details.get("voice", "")), texts.get(row.details.get("text", ""))
        row.reference = voice.reference if voice else None
        row.source = text.source if text else None
    if on_row is not None:
        for row in rows:
            on_row(row)
    result = Comparison(target.describe(), first, rows, rank_by=rank_by, latency_ranked=not target.offline,
                        seed=target.seed if target.kind == "simulator" else None, started=started,
                        duration=round(time.time() - started, 3), measurements=measurements, pset=pset)
    result.ranked()
    return result


def _aggregate(endpoint: str, cells: Sequence[Measurement]) -> Row:
    """An endpoint's row: its metrics averaged over the cells it answered (latency: the median)."""
    row = Row(endpoint.split(".")[0], endpoint)
    ok = [m for m in cells if m.status == "ok"]
    if not ok:
        first = cells[0] if cells else None
        row.status = first.status if first else "skipped"
        row.reason = first.reason if first else "not measured"
        if first is not None and len({m.reason for m in cells}) > 1:
            row.reason += f" (and {len(cells) - 1} more cells)"
        return row
    for name in METRICS:
        values = [m.metrics[name] for m in ok if name in m.metrics]
        if values:
            row.metrics[name] = round(statistics.median(values) if name == "latency" else statistics.fmean(values), 4)
    last = next((m for m in reversed(ok) if m.output is not None), ok[-1])
    row.details = {k: v for k, v in last.details.items() if k != "request"}
    row.details.update(voice=last.voice, text=last.text)  # the output kept to listen to
    row.request = str(last.details.get("request", ""))
    row.output = last.output
    row.details["cells"] = len(ok)
    failed = [m for m in cells if m.status != "ok"]
    if failed:
        row.reason = f"{len(failed)} of {len(cells)} outputs not measured: {failed[0].reason}"
    return row


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
    if result.pset is not None and result.pset.size > 1 and result.measurements:
        out = _cell_records(result, run_id=run_id, secrets=secrets)
    for r in [] if out else result.ranked():
        audio: dict[str, Any] = {"reference": r.reference or result.inputs.reference}
        source = r.source if r.reference is not None else result.inputs.source
        if _converts_voice(r.endpoint) and source:
            audio["input"] = source
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


def _cell_records(result: Comparison, *, run_id: str, secrets: Sequence[str] = ()) -> list[Any]:
    """One record per output (endpoint × voice × text), with the audio behind it: its reference, the
    speech a voice changer converted, and the output (for the cells this run measured)."""
    from conformance.audio.decoding import as_decoded
    from conformance.report.records import build_record

    assert result.pset is not None
    voices, texts = {v.id: v for v in result.pset.voices}, {t.id: t for t in result.pset.texts}
    rows = {r.endpoint: r for r in result.ranked()}
    order = {ep: i for i, ep in enumerate(rows)}
    out = []
    for m in sorted(result.measurements, key=lambda m: (order.get(m.endpoint, 0), m.voice, m.text)):
        row, voice, text = rows.get(m.endpoint), voices.get(m.voice), texts.get(m.text)
        audio: dict[str, Any] = {}
        if voice is not None:
            audio["reference"] = voice.reference
        if text is not None and text.source and _converts_voice(m.endpoint):
            audio["input"] = text.source
        if m.output is not None:
            with contextlib.suppress(Exception):
                d = as_decoded(m.output)
                audio["output"] = (d.samples, d.sample_rate)
        measured = {**m.metrics, **{k: v for k, v in m.details.items() if k not in ("ttfb", "request")}}
        if "latency" in measured:
            measured["time_to_audio_s"] = measured.pop("latency")
        measured.update(voice=m.voice, text=text.text if text else m.text)
        ok = m.status == "ok"
        out.append(build_record(
            {"measured": measured, "audio": audio if ok else {},
             "latency": {"total": m.metrics.get("latency"), "ttfb": m.details.get("ttfb")} if ok else {},
             "request_excerpt": str(m.details.get("request") or "") or None,
             "extra": {"rank": row.rank if row else None, "place": row.place if row else None,
                       "voice": m.voice, "text": m.text}},
            secrets=secrets, nodeid=f"compare::{m.endpoint}[{m.voice}-{m.text}]",
            outcome={"ok": "pass", "error": "error", "skipped": "skip"}.get(m.status, "error"), run_id=run_id,
            provider=m.provider, endpoint=m.endpoint, check="compare", target=result.target,
            failure=m.reason or None))
    return out


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


def _interval_svg(ranking: Sequence[Any], metric: str) -> str:
    """Each endpoint's mean (dot) and 95 % interval (bar) on one axis, best first."""
    e = html.escape
    lows = [r.interval.low for r in ranking]
    highs = [r.interval.high for r in ranking]
    lo, hi = min(lows), max(highs)
    pad = (hi - lo) * 0.08 or max(abs(hi), 1.0) * 0.05
    lo, hi = lo - pad, hi + pad
    left, width, row = 250, 360, 22

    def x(v: float) -> float:
        return left + (v - lo) / (hi - lo) * width

    parts = []
    for i, r in enumerate(ranking):
        y = 14 + i * row
        iv = r.interval
        parts.append(f'<text x="{left - 8}" y="{y + 4}" text-anchor="end">{r.place}. {e(r.endpoint)}</text>'
                     f'<line x1="{x(iv.low):.1f}" y1="{y}" x2="{x(iv.high):.1f}" y2="{y}" class="ci"/>'
                     f'<circle cx="{x(iv.mean):.1f}" cy="{y}" r="4" class="mean"><title>{e(r.endpoint)}: '
                     f"{_fmt(iv.mean)} [{_fmt(iv.low)}, {_fmt(iv.high)}], n={iv.n}</title></circle>")
    h = 14 + len(ranking) * row
    parts.append(f'<line x1="{left}" y1="{h}" x2="{left + width}" y2="{h}" class="axis"/>'
                 f'<text x="{left}" y="{h + 14}">{_fmt(lo)}</text>'
                 f'<text x="{left + width}" y="{h + 14}" text-anchor="end">{_fmt(hi)}</text>')
    return (f'<svg class="intervals" data-metric="{e(metric)}" width="{left + width + 20}" height="{h + 22}" '
            f'role="img" aria-label="{e(metric)}: mean and 95 % interval per endpoint">{"".join(parts)}</svg>')


def _heat(value: float, lo: float, hi: float, higher: bool) -> str:
    """A background colour from red (worst) to green (best) for ``value`` in [lo, hi]."""
    t = 0.5 if hi == lo else (value - lo) / (hi - lo)
    t = t if higher else 1 - t
    return f"hsl({round(120 * t)}, 60%, 85%)"


def statistics_html(result: Comparison, changes: Sequence[Any] = ()) -> str:
    """Per metric: the interval plot, the tied ranking, the win matrix (probability that the row beats the
    column, with the Wilcoxon verdict) and the per-voice heat map; then the changes since a baseline."""
    e = html.escape
    out = ['<section id="statistics"><h2>Statistics over voices × texts</h2>',
           f"<p>{e(result.pset.label if result.pset else '')}. Each endpoint's mean with a 95 % bootstrap "
           "interval over its cells; overlapping intervals share a place. The win matrix gives the probability "
           "that the row beats the column on the same cells (paired bootstrap) and marks pairs the Wilcoxon "
           "signed-rank test separates (p &lt; 0.05) with ●.</p>",
           "<style>svg.intervals text{font:12px sans-serif} svg.intervals .ci{stroke:#333;stroke-width:3}"
           " svg.intervals .mean{fill:#1565c0} svg.intervals .axis{stroke:#999}"
           " table.heat td{text-align:right}</style>"]
    for metric, st in result.statistics().items():
        label, higher = METRICS[metric]
        out.append(f'<h3 data-metric="{e(metric)}">{e(label)} ({e(metric)}; {"higher" if higher else "lower"} '
                   f"is better)</h3>")
        out.append(_interval_svg(st["ranking"], metric))
        rows = "".join(f'<tr data-endpoint="{e(r.endpoint)}"><td>{r.place}</td><td>{e(r.endpoint)}</td>'
                       f"<td>{_fmt(r.interval.mean)}</td><td>[{_fmt(r.interval.low)}, {_fmt(r.interval.high)}]</td>"
                       f"<td>{r.interval.n}</td><td>{e(', '.join(r.tied_with))}</td></tr>" for r in st["ranking"])
        out.append(f'<table class="intervals-table" data-metric="{e(metric)}"><tr><th>#</th><th>Endpoint</th>'
                   f"<th>Mean</th><th>95 % interval</th><th>Cells</th><th>Tied with</th></tr>{rows}</table>")
        eps = [r.endpoint for r in st["ranking"]]
        win: dict[tuple[str, str], Any] = {}
        for pr in st["pairs"]:
            win[(pr.a, pr.b)] = (pr.p_a_better, pr.p_value < 0.05 and pr.n >= 2)
            win[(pr.b, pr.a)] = (1 - pr.p_a_better, pr.p_value < 0.05 and pr.n >= 2)
        head = "".join(f"<th>{e(b)}</th>" for b in eps)
        body = []
        for a in eps:
            cells = []
            for b in eps:
                if (a, b) not in win:
                    cells.append("<td>—</td>")
                    continue
                pb, sig = win[(a, b)]
                cells.append(f'<td style="background:{_heat(pb, 0, 1, True)}" data-a="{e(a)}" data-b="{e(b)}">'
                             f"{pb:.2f}{' ●' if sig else ''}</td>")
            body.append(f"<tr><th>{e(a)}</th>{''.join(cells)}</tr>")
        out.append(f'<table class="win-matrix" data-metric="{e(metric)}"><tr><th>P(row beats column)</th>{head}</tr>'
                   f"{''.join(body)}</table>")
        voices = sorted({v for row in st["by_voice"].values() for v in row})
        values = [x for row in st["by_voice"].values() for x in row.values()]
        if voices and values:
            lo, hi = min(values), max(values)
            body = []
            for ep in eps:
                row = st["by_voice"].get(ep, {})
                cells = "".join(f'<td style="background:{_heat(row[v], lo, hi, higher)}">{_fmt(row[v])}</td>'
                                if v in row else "<td>—</td>" for v in voices)
                body.append(f"<tr><th>{e(ep)}</th>{cells}</tr>")
            out.append(f'<table class="heat" data-metric="{e(metric)}"><tr><th>per voice</th>'
                       f"{''.join(f'<th>{e(v)}</th>' for v in voices)}</tr>{''.join(body)}</table>")
    if changes:
        rows = "".join(f'<tr data-verdict="{e(c.verdict)}"><td>{e(c.endpoint)}</td><td>{e(c.metric)}</td>'
                       f"<td>{_fmt(c.before)}</td><td>{_fmt(c.after)}</td><td>{c.delta:+.3f}</td>"
                       f"<td>{c.p_value:.3g}</td><td>{e(c.verdict)}</td></tr>" for c in changes)
        out.append('<h3 id="baseline">Since the baseline</h3><table class="changes"><tr><th>Endpoint</th>'
                   f"<th>Metric</th><th>Before</th><th>Now</th><th>Change</th><th>p</th><th>Verdict</th></tr>{rows}</table>")
    out.append("</section>")
    return "".join(out)


def write_report(result: Comparison, dest: str | Path, *, secrets: Sequence[str] = (),
                 baseline: Sequence[Measurement] = ()) -> Path:
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
    if result.measurements:
        section += "\n" + statistics_html(result, result.changes(baseline) if baseline else ())
    page = page.replace("<main>\n", "<main>\n" + section + "\n", 1) if "<main>\n" in page else \
        page.replace("</body>", section + "</body>", 1)
    tmp = dest.with_name(dest.name + ".tmp")
    tmp.write_text(mask(page, secrets), encoding="utf-8")
    tmp.replace(dest)
    return dest
