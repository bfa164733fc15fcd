"""API drift of a run's cassettes against the spec, as a section of the HTML report."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path

import jsonschema
import pytest

from conformance.cassettes.drift import Change, DriftReport
from conformance.cassettes.store import referenced_sidecars, write_yaml
from conformance.report.records import RecordWriter, drift_sections, merge_files, read_lines, schema
from conformance.report.render import render_html, write_report

ROOT = Path(__file__).resolve().parents[2]
ENV = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")]).rstrip(os.pathsep)}
HOSTILE = "<script>alert('drift')</script>"


class _Tables(HTMLParser):
    """Rows (cell texts) of each ``table.drift`` by its severity class, and every tag seen."""

    def __init__(self) -> None:
        super().__init__()
        self.rows: dict[str, list[list[str]]] = {}
        self.tags: list[str] = []
        self._table: str | None = None
        self._cell: list[str] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        cls = dict(attrs).get("class") or ""
        if tag == "table" and cls.startswith("drift "):
            self._table = cls.split()[1]
            self.rows[self._table] = []
        elif tag == "tr" and self._table:
            self.rows[self._table].append([])
        elif tag == "td" and self._table:
            self._cell = []

    def handle_endtag(self, tag: str) -> None:
        if tag == "td" and self._table and self._cell is not None:
            self.rows[self._table][-1].append("".join(self._cell))
            self._cell = None
        elif tag == "table":
            self._table = None

    def handle_data(self, data: str) -> None:
        if self._cell is not None:
            self._cell.append(data)


def _line(report: DriftReport, run_id: str = "r1") -> dict:
    return {"kind": "drift", "run_id": run_id, **report.report_section()}


def _parse(html: str) -> _Tables:
    p = _Tables()
    p.feed(html)
    return p


def test_drift_section_lists_breaking_and_non_breaking_changes_escaped():
    report = DriftReport("spec", "cassettes/<i>suite</i>", [
        Change("field-retyped", "novita.minimax_voice_cloning", 200, "voice_id", ["string"], HOSTILE, True),
        Change("status-added", "faseeh.voice_clone", 418, "response", [200, 400], 418, True),
        Change("field-added", "modelslab.fetch", 200, "eta_<b>", None, ["number"], False)])
    line = _line(report)
    jsonschema.validate(line, schema())
    html = render_html([], [], drift=[line])
    parsed = _parse(html)
    assert [r[2] for r in parsed.rows["breaking"] if r] == ["status-added", "field-retyped"]
    assert [r[2] for r in parsed.rows["non-breaking"] if r] == ["field-added"]
    retyped = next(r for r in parsed.rows["breaking"] if r and r[2] == "field-retyped")
    assert retyped[5] == HOSTILE  # shown as text …
    # … never as markup: the page's one script is the kit's own filter
    assert parsed.tags.count("script") == 1 and "alert('drift')" not in html.split("<script>")[1]
    assert "i" not in parsed.tags and "b" not in parsed.tags
    assert "&lt;script&gt;" in html and 'href="#drift">API drift (2 breaking)' in html
    assert 'data-breaking="2" data-changes="3"' in html

    assert 'id="drift"' not in render_html([], [])  # no drift line, no section
    clean = render_html([], [], drift=[_line(DriftReport("spec", "cassettes/suite"))])
    assert 'data-breaking="0"' in clean and "none-breaking" in clean and "none-non-breaking" in clean


def test_a_drift_error_is_shown_not_swallowed():
    line = {"kind": "drift", "run_id": "r", "title": "API drift", "columns": [], "rows": [],
            "summary": {"old": "spec", "new": "nowhere", "changes": 0, "breaking": 0},
            "error": f"no cassettes under {HOSTILE}"}
    jsonschema.validate(line, schema())
    html = render_html([], [], drift=[line])
    assert 'class="error drift-error">no cassettes under &lt;script&gt;' in html


def test_merged_shards_carry_one_drift_section_before_the_results(tmp_path):
    line = _line(DriftReport("spec", "cassettes/suite", [Change("field-added", "e", 200, "x", None, ["string"])]))
    result = {"kind": "result", "schema": "voice-conformance/record/1", "nodeid": "t::a", "outcome": "pass",
              "run_id": "r1"}
    for shard in ("a", "b"):  # two CI jobs replaying the same cassettes
        w = RecordWriter(tmp_path / f"{shard}.jsonl")
        w.write(result | {"nodeid": f"t::{shard}"})
        w.write(line)
    merged = tmp_path / "merged.jsonl"
    merge_files([tmp_path / "a.jsonl", tmp_path / "b.jsonl"], merged)
    lines = read_lines([merged])
    assert [x["kind"] for x in lines] == ["drift", "drift", "result", "result"]
    assert len(drift_sections(lines)) == 1
    html = write_report([merged], tmp_path / "r.html").read_text()
    assert html.count('class="panel drift"') == 1 and "field-added" in html


def _cassette_dir(tmp_path: Path) -> Path:
    """One shipped cassette (Novita's positive data check) with its sidecars, plus a drifted recording."""
    src = ROOT / "cassettes" / "suite"
    name = "test_positive_data_acceptance_novita.minimax_voice_cloning.yaml"
    out = tmp_path / "cassettes"
    (out / "test_protocol").mkdir(parents=True)
    shutil.copy(src / "test_protocol" / name, out / "test_protocol" / name)
    (out / "bodies").mkdir()
    for side in referenced_sidecars(out):  # the sidecars that cassette points to
        shutil.copy(src / "bodies" / side.name, side)
    uri = "https://api.novita.ai/v3/minimax-voice-cloning"
    write_yaml(out / "drifted" / "nightly.yaml", {"version": 1, "metadata": {"recorded_at": "2026-01-01T00:00:00Z",
                                                                            "origin": "live"}, "interactions": [
        {"request": {"method": "POST", "uri": uri, "headers": {}, "body": None},
         "response": {"status": {"code": 200, "message": "OK"}, "headers": {"content-type": ["application/json"]},
                      "body": {"string": json.dumps({"voice_id": 7, "region": "sg"})}}},
        {"request": {"method": "POST", "uri": uri, "headers": {}, "body": None},
         "response": {"status": {"code": 418, "message": ""}, "headers": {"content-type": ["application/json"]},
                      "body": {"string": "{}"}}}]})
    return out


def _run(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "pytest", "--pyargs", "conformance.suite.test_protocol", "-q",
                           "-p", "no:cacheprovider", "--conformance-report", str(tmp_path / "r.html"), *args],
                          cwd=tmp_path, capture_output=True, text=True, timeout=300, env=ENV)


@pytest.mark.long
def test_a_cassette_run_reports_the_drift_of_its_cassettes(tmp_path):
    cassettes = _cassette_dir(tmp_path)
    proc = _run(tmp_path, "-n", "2", "--conformance-target", "cassette", "--cassette-dir", str(cassettes),
                "-k", "positive_data_acceptance and novita")
    assert proc.returncode == 0, proc.stdout[-3000:]  # the replayed check itself passes
    assert f"API drift of {cassettes} against the spec: 3 change(s), 2 breaking" in proc.stdout
    lines = read_lines([tmp_path / "r.jsonl"])
    drift = [x for x in lines if x.get("kind") == "drift"]
    assert len(drift) == 1  # written once, by the controller, not by each xdist worker
    for x in lines:
        jsonschema.validate(x, schema())
    parsed = _parse((tmp_path / "r.html").read_text())
    assert sorted(r[2] for r in parsed.rows["breaking"] if r) == ["field-retyped", "status-added"]
    assert [(r[2], r[3]) for r in parsed.rows["non-breaking"] if r] == [("field-added", "region")]


def test_drift_against_spec_is_asked_for_on_other_targets(tmp_path):
    cassettes = _cassette_dir(tmp_path)
    args = ("--cassette-dir", str(cassettes), "-p", "no:xdist", "-k", "ignored_auth and novita and missing")
    plain = _run(tmp_path, *args)
    assert plain.returncode == 0, plain.stdout[-3000:]
    assert 'id="drift"' not in (tmp_path / "r.html").read_text() and "API drift" not in plain.stdout
    asked = _run(tmp_path, *args, "--drift-against-spec")
    assert asked.returncode == 0, asked.stdout[-3000:]
    html = (tmp_path / "r.html").read_text()
    assert 'id="drift"' in html and 'data-breaking="2"' in html



def test_drift_of_a_folder_without_cassettes_says_so(tmp_path):
    from conformance.cassettes.plugin import drift_line

    line = drift_line(tmp_path / "nowhere", "r1")
    jsonschema.validate(line, schema())
    assert line["error"] == f"no cassettes under {tmp_path / 'nowhere'}" and line["rows"] == []
    (tmp_path / "broken").mkdir()
    (tmp_path / "broken" / "c.yaml").write_text("interactions: [{request: {}}]\n")
    broken = drift_line(tmp_path / "broken", "r1")
    # the broken cassette is named, with what is wrong in it (not a bare KeyError)
    assert broken["error"] == (f"drift of {tmp_path / 'broken'} against the spec failed: CassetteError: "
                               f"{tmp_path / 'broken' / 'c.yaml'}: interactions[0].response: expected a mapping, "
                               f"got empty")
