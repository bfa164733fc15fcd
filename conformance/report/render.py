"""Render result records into one self-contained HTML file (Jinja2, autoescaped, no network fetches).

    html = render_html(records, runs)            # records: list[Record]; runs: run descriptions
    write_report(["reports/conformance.jsonl"], "reports/conformance.html")

Every string that came from a provider or a test is escaped by the template engine; a Content
Security Policy forbids scripts on top of that. Audio and pictures were encoded when the records
were written, so rendering only pastes base64 text in.
"""

from __future__ import annotations

import os
import statistics
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

from conformance.report.records import OUTCOMES, Record, drift_sections, read_lines, sdk_sections, split_lines

# Provider comparison: each metric and the measured names it is read from (first present wins).
METRICS: dict[str, dict[str, Any]] = {
    "speaker_similarity": {"label": "Speaker similarity", "keys": ("speaker_similarity", "similarity",
                                                                   "speaker_score"), "better": "higher"},
    "predicted_mos": {"label": "Predicted MOS", "keys": ("predicted_mos", "mos", "dnsmos", "dnsmos_ovrl"),
                      "better": "higher"},
    "intelligibility": {"label": "Intelligibility (1 − WER)", "keys": ("intelligibility",), "better": "higher"},
    "ttfb": {"label": "Latency: time to first byte (s)", "keys": (), "better": "lower"},
    "total": {"label": "Latency: total (s)", "keys": (), "better": "lower"},
    "format_honesty": {"label": "Format honesty (share of format checks passed)", "keys": ("format_honest",),
                       "better": "higher"},
}
FORMAT_WORDS = ("format", "content_type", "sample_rate", "codec", "bitrate")
ROLE_LABELS = {"input": "Input", "reference": "Target voice", "output": "Output"}


def _number(value: Any) -> float | None:
    if isinstance(value, bool):
        return float(value)
    if isinstance(value, int | float):
        return float(value)
    return None


def record_metrics(rec: Record) -> dict[str, float]:
    """The comparison metrics one record contributes (see :data:`METRICS`)."""
    out: dict[str, float] = {}
    for name, spec in METRICS.items():
        for key in spec["keys"]:
            v = _number(rec.measured.get(key))
            if v is not None:
                out[name] = v
                break
    if "intelligibility" not in out and _number(rec.measured.get("wer")) is not None:
        out["intelligibility"] = max(0.0, 1.0 - float(rec.measured["wer"]))
    for key in ("ttfb", "total"):
        v = _number(rec.latency.get(key)) if rec.latency else None
        if v is not None:
            out[key] = v
    if "format_honesty" not in out and any(w in (rec.check or "") for w in FORMAT_WORDS) \
            and rec.outcome in ("pass", "fail"):
        out["format_honesty"] = 1.0 if rec.outcome == "pass" else 0.0
    return out


@dataclass
class Cell:
    counts: Counter[str] = field(default_factory=Counter)
    first_failure: str | None = None

    @property
    def status(self) -> str:
        for outcome in ("error", "fail", "pass", "skip"):
            if self.counts[outcome]:
                return outcome
        return "none"

    @property
    def total(self) -> int:
        return sum(self.counts.values())


def _anchor(i: int) -> str:
    return f"r{i}"


MEDIA_BUDGET = 8_000_000  # bytes of inline audio and pictures; beyond it panels are listed without media


def build_context(records: Sequence[Record], runs: Sequence[Mapping[str, Any]] = (), *,
                  media_base: str = "", title: str = "Voice conformance report",
                  media_budget: int = MEDIA_BUDGET, drift: Sequence[Mapping[str, Any]] = (),
                  sdk: Sequence[Mapping[str, Any]] = ()) -> dict[str, Any]:
    """Everything the template shows: totals, matrix, failures, audio panels, comparison, runs, the
    API drift of the run's cassettes (``drift``: ``kind == "drift"`` lines, see :func:`drift_view`) and
    the SDK compatibility matrix (``sdk``: ``kind == "sdk"`` lines, see :func:`sdk_view`).

    Inline media (base64 audio and pictures) is kept within ``media_budget`` bytes, failing checks'
    panels first, so the report stays a file people can open and mail; sidecar audio does not count.
    """
    totals = Counter(r.outcome for r in records)
    families = sorted({r.family for r in records})
    rows: dict[tuple[str, str], dict[str, Cell]] = defaultdict(lambda: defaultdict(Cell))
    items = []
    for i, rec in enumerate(records):
        anchor = _anchor(i)
        param = _param(rec.nodeid)
        # a test without an endpoint (a provider's flow) is a row of its own, named by its parameter
        row = rec.endpoint or (f"{rec.family} {param}" if param else "—")
        cell = rows[(rec.provider or "—", row)][rec.family]
        cell.counts[rec.outcome] += 1
        if rec.outcome in ("fail", "error") and cell.first_failure is None:
            cell.first_failure = anchor
        items.append({"rec": rec, "anchor": anchor, "audio_anchor": f"a{i}" if rec.audio else None,
                      "title": f"{rec.check or rec.nodeid}" + (f" [{param}]" if param else ""),
                      "rule": rec.rule or _fallback(rec, "rule"), "source": rec.source or _fallback(rec, "source"),
                      "checks": [dict(c) for c in (rec.extra or {}).get("checks") or []]})
    matrix = [{"provider": p, "endpoint": e, "cells": [rows[(p, e)].get(f) or Cell() for f in families]}
              for p, e in sorted(rows)]
    failures = [it for it in items if it["rec"].outcome in ("fail", "error")]
    panels = [it for it in items if it["rec"].audio]
    used = 0
    _share_repeated_clips(panels)
    for it in sorted(panels, key=lambda it: it["rec"].outcome not in ("fail", "error")):
        size = sum(len(c.get("data") or "") + len(c.get("waveform") or "") + len(c.get("spectrogram") or "")
                   for c in it["rec"].audio.values())
        it["media"] = used + size <= media_budget
        used += size if it["media"] else 0
    comparison = _comparison(records)
    return {
        "title": title, "runs": [_run_view(r) for r in runs], "totals": {o: totals[o] for o in OUTCOMES},
        "total": len(records), "families": families, "matrix": matrix, "failures": failures,
        "skips": [it for it in items if it["rec"].outcome == "skip"], "panels": panels, "items": items,
        "comparison": comparison, "charts": _charts(comparison), "role_labels": ROLE_LABELS,
        "media_base": media_base, "metrics": METRICS,
        "omitted": sum(1 for it in panels if not it["media"]),
        "drift": (views := [drift_view(d) for d in drift]),
        "drift_breaking": sum(len(v["breaking"]) for v in views),
        "providers": sorted({r.provider for r in records if r.provider}),
        "checks": sorted({r.check for r in records if r.check}),
        "sdk": (sdk_views := [sdk_view(x) for x in sdk]),
        "sdk_fails": sum(v["fails"] for v in sdk_views),
    }


def _param(nodeid: str) -> str:
    """The test's parameter id (``speech_to_speech-mp3_22050_32`` of ``…[speech_to_speech-mp3_22050_32]``)."""
    return nodeid.rsplit("[", 1)[1].rstrip("]") if nodeid.endswith("]") and "[" in nodeid else ""


def _fallback(rec: Record, what: str) -> str:
    """A failure's rule or source when the check gave none: the failing check's own, else the test's."""
    for c in (rec.extra or {}).get("checks") or []:
        if not c.get("passed") and c.get(what):
            return str(c[what])
    return {"rule": "the test's own assertion (its cause above)", "source": f"the kit's test {rec.nodeid}"}[what]


def _share_repeated_clips(panels: Sequence[dict[str, Any]]) -> None:
    """A clip shown in several panels (the same input, reference or output) is embedded once: later
    panels point to the first that shows it."""
    import copy
    import hashlib

    first: dict[str, tuple[str, str]] = {}
    for it in panels:
        rec = it["rec"]
        clips = {}
        for role, clip in rec.audio.items():
            key = clip.get("data") or clip.get("path")
            if not key:
                clips[role] = clip
                continue
            digest = hashlib.sha256(str(key).encode()).hexdigest()
            if digest in first:
                shared = {k: v for k, v in clip.items() if k not in ("data", "waveform", "spectrogram", "path")}
                clips[role] = {**shared, "same_as": first[digest][0], "same_as_title": first[digest][1]}
            else:
                first[digest] = (it["audio_anchor"], f"{it['title']} · {role}")
                clips[role] = clip
        it["rec"] = copy.copy(rec)
        it["rec"].audio = clips


def sdk_view(section: Mapping[str, Any]) -> dict[str, Any]:
    """An SDK matrix line as the template shows it: failing rows first, then the rest in their order."""
    rows = [dict(r) for r in section.get("rows") or []]
    summary = dict(section.get("summary") or {})
    failing = [r for r in rows if r.get("outcome") == "fails"]
    return {"title": section.get("title") or "SDK compatibility", "rows": failing + [r for r in rows if r not in failing],
            "fails": len(failing) + (1 if section.get("error") else 0),
            "works": sum(r.get("outcome") == "works" for r in rows), "error": section.get("error"),
            "releases": summary.get("releases", len({(r.get("sdk"), r.get("version")) for r in rows}))}


def drift_view(section: Mapping[str, Any]) -> dict[str, Any]:
    """A drift line as the template shows it: the summary, then breaking and non-breaking changes."""
    rows = [dict(r) for r in section.get("rows") or []]
    key = lambda r: (str(r.get("endpoint")), str(r.get("status")), str(r.get("change")), str(r.get("where")))  # noqa: E731
    summary = dict(section.get("summary") or {})
    breaking = sorted((r for r in rows if r.get("severity") == "breaking"), key=key)
    return {"title": section.get("title") or "API drift", "old": summary.get("old", "spec"),
            "new": summary.get("new", "?"), "changes": summary.get("changes", len(rows)),
            "breaking": breaking, "non_breaking": sorted((r for r in rows if r.get("severity") != "breaking"), key=key),
            "error": section.get("error")}


def _run_view(run: Mapping[str, Any]) -> dict[str, Any]:
    import datetime as dt

    started = run.get("started")
    date = dt.datetime.fromtimestamp(started, dt.UTC).strftime("%Y-%m-%d %H:%M:%S UTC") if started else "?"
    return {**run, "date": date}


def _comparison(records: Sequence[Record]) -> list[dict[str, Any]]:
    by_provider: dict[str, dict[str, list[float]]] = defaultdict(lambda: defaultdict(list))
    for rec in records:
        for name, v in record_metrics(rec).items():
            by_provider[rec.provider or "—"][name].append(v)
    rows = []
    for provider in sorted(by_provider):
        values = by_provider[provider]
        row: dict[str, Any] = {"provider": provider}
        for name in METRICS:
            vs = values.get(name) or []
            agg = None if not vs else statistics.median(vs) if name in ("ttfb", "total") else statistics.fmean(vs)
            row[name] = {"value": None if agg is None else round(agg, 3), "n": len(vs)}
        rows.append(row)
    return rows


def _charts(comparison: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """One horizontal bar chart (inline SVG geometry) per metric that has values."""
    charts = []
    for name, spec in METRICS.items():
        vals = [(row["provider"], row[name]["value"]) for row in comparison if row[name]["value"] is not None]
        if not vals:
            continue
        top = max(v for _, v in vals) or 1.0
        bars = [{"provider": p, "value": v, "y": 6 + i * 24, "width": round(max(1.0, 260 * v / top), 1)}
                for i, (p, v) in enumerate(vals)]
        charts.append({"name": name, "label": spec["label"], "better": spec["better"], "bars": bars,
                       "height": 12 + 24 * len(bars)})
    return charts


@lru_cache(maxsize=1)
def _environment() -> Any:
    import jinja2

    env = jinja2.Environment(loader=jinja2.PackageLoader("conformance.report", "templates"),
                             autoescape=True, trim_blocks=True, lstrip_blocks=True,
                             undefined=jinja2.ChainableUndefined)
    env.filters["fmt"] = _fmt
    return env


def _fmt(value: Any) -> str:
    import jinja2

    if value is None or isinstance(value, jinja2.Undefined):
        return "—"
    if isinstance(value, float):
        return f"{value:.4g}"
    if isinstance(value, dict | list):
        import json

        return json.dumps(value, ensure_ascii=False, default=str)
    return str(value)


# The report's one script: filters the entries of "Every check" by outcome, provider and check. The
# page's Content-Security-Policy allows exactly this script, by its hash (no other script can run).
FILTER_JS = """(function () {
  var form = document.getElementById('filter');
  if (!form) { return; }
  function apply() {
    var o = form.outcome.value, p = form.provider.value, c = form.check.value, n = 0;
    document.querySelectorAll('#checks details.entry').forEach(function (d) {
      var show = (!o || d.dataset.outcome === o) && (!p || d.dataset.provider === p) && (!c || d.dataset.check === c);
      d.hidden = !show;
      if (show) { n += 1; }
    });
    document.getElementById('shown').textContent = String(n);
  }
  form.addEventListener('change', apply);
  apply();
})();"""


def script_hash(script: str = FILTER_JS) -> str:
    """The CSP source that allows ``script`` inline: ``'sha256-<base64 of its SHA-256>'``."""
    import base64
    import hashlib

    return "'sha256-" + base64.b64encode(hashlib.sha256(script.encode("utf-8")).digest()).decode() + "'"


def render_html(records: Sequence[Record], runs: Sequence[Mapping[str, Any]] = (), **kw: Any) -> str:
    """The report as one HTML string (see :func:`build_context` for ``media_base`` and ``title``)."""
    from markupsafe import Markup

    from conformance.secrets import mask

    # the last pass before the page leaves: every known secret, in every form, whatever field carried it
    return mask(_environment().get_template("report.html.j2").render(
        **build_context(records, runs, **kw), filter_js=Markup(FILTER_JS), script_src=Markup(script_hash())))


def write_report(sources: Iterable[str | os.PathLike[str]], dest: str | os.PathLike[str]) -> Path:
    """Read JSON Lines results files and write the HTML report to ``dest``; sidecar audio stays relative."""
    sources = [Path(s) for s in sources]
    lines = read_lines(sources)
    records, runs = split_lines(lines)
    dest = Path(dest)
    dest.parent.mkdir(parents=True, exist_ok=True)
    base = ""
    if sources:
        rel = os.path.relpath(sources[0].parent.resolve(), dest.parent.resolve())
        base = "" if rel == "." else rel.replace(os.sep, "/") + "/"
    html = render_html(records, runs, media_base=base, drift=drift_sections(lines), sdk=sdk_sections(lines))
    tmp = dest.with_name(dest.name + ".tmp")
    tmp.write_text(html, encoding="utf-8")
    tmp.replace(dest)
    return dest
