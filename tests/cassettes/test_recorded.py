"""The recorded cassettes: no secret in any written file, and the shipped suite replays offline."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from conformance.spec import endpoints
from tests.inprocess import run_suite

pytest_plugins = ["pytester"]

ROOT = Path(__file__).resolve().parents[2]
SENTINEL = "vc-SENTINEL-key-5d1e8b2a"
# subprocesses run in a temporary folder: they import this checkout, not whatever is installed
ENV = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")]).rstrip(os.pathsep)}


@pytest.mark.long
def test_recording_every_endpoint_writes_no_secret_anywhere(tmp_path):
    out = tmp_path / "cassettes"
    code = (f"import sys; from pathlib import Path; from conformance.cassettes.record import record_suite; "
            f"sys.exit(record_suite(Path({str(out)!r}), key={SENTINEL!r}, request_bodies='full', "
            f"pytest_args=['-k', 'positive_data_acceptance or ignored_auth or duration_conformance or flow', "
            f"'--conformance-report=report/conformance.html']))")
    log = tmp_path / "record.log"
    with log.open("wb") as f:
        proc = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, stdout=f, stderr=subprocess.STDOUT,
                              timeout=600, env=ENV)
    assert proc.returncode == 0, log.read_text()[-3000:]
    written = [p for p in tmp_path.rglob("*") if p.is_file()]
    cassettes = [p for p in written if p.suffix == ".yaml"]
    recorded = "".join(p.read_text() for p in cassettes)
    for ep in endpoints():  # every endpoint was recorded, with its real host
        assert ep.provider.base_url in recorded, ep.id
    assert not re.search(r"uri: https?://(127\.0\.0\.1|localhost)", recorded)  # loopback became real hosts
    assert "/_simulator/" not in recorded
    assert any(p.parent.name == "bodies" for p in written)  # sidecars were written
    for module in ("test_protocol", "test_audio", "test_flows"):  # every module's cassettes were written
        assert any(p.parent.name == module for p in cassettes), module
    assert any(p.suffix == ".html" for p in written) and any(p.suffix == ".jsonl" for p in written)  # the report
    leaks = [str(p) for p in written if SENTINEL.encode() in p.read_bytes()]
    assert leaks == []
    assert "REDACTED" in recorded


REVERSE_PLUGIN = """
def pytest_collection_modifyitems(items):
    items.reverse()
"""


@pytest.mark.long
def test_the_whole_suite_replays_offline_from_the_committed_cassettes(tmp_path):
    """Every suite test passes on the cassette target with the network blocked, none skipped, in an order
    unlike the recording's (tests that recorded nothing of their own then send their module's requests)."""
    import xml.etree.ElementTree as ET

    (tmp_path / "reverse_order.py").write_text(REVERSE_PLUGIN)
    junit = tmp_path / "junit.xml"
    proc = subprocess.run([sys.executable, "-m", "pytest", "--pyargs", "conformance.suite", "-q", "-rs",
                           "-p", "no:cacheprovider", "-p", "no:xdist", "-p", "reverse_order",
                           "--conformance-target", "cassette", "--block-network", "--record-mode", "none",
                           "--cassette-dir", str(ROOT / "cassettes" / "suite"), f"--junitxml={junit}",
                           "--conformance-report="],
                          cwd=tmp_path, capture_output=True, text=True, timeout=900,
                          env={**ENV, "PYTHONPATH": os.pathsep.join([str(tmp_path), ENV["PYTHONPATH"]])})
    assert proc.returncode == 0, proc.stdout[-4000:]
    suite = ET.parse(junit).getroot().find("testsuite")
    assert suite is not None
    counts = {k: int(suite.get(k, 0)) for k in ("tests", "failures", "errors", "skipped")}
    assert counts["failures"] == counts["errors"] == counts["skipped"] == 0, counts
    assert "no cassette for this test" not in proc.stdout
    modules = {case.get("classname", "").rsplit(".", 1)[-1] for case in suite.iter("testcase")}
    assert {"test_protocol", "test_audio", "test_flows"} <= modules, modules
    assert counts["tests"] >= 190  # the whole suite: every endpoint, output format and flow
    # the first audio check to run recorded no request of its own: its module's cassettes answered it
    first = next(c.get("name", "") for c in suite.iter("testcase") if c.get("classname", "").endswith("test_audio"))
    own = ROOT / "cassettes" / "suite" / "test_audio" / (re.sub(r"[^A-Za-z0-9_.=-]+", "_", first).strip("_") + ".yaml")
    assert "interactions: []" in own.read_text(), own


def test_committed_cassettes_are_small_and_scrubbed():
    files = [p for p in (ROOT / "cassettes").rglob("*") if p.is_file()]
    assert sum(p.stat().st_size for p in files) < 15_000_000  # audio bodies are most of it
    for p in files:
        if p.suffix == ".yaml":
            text = p.read_text()
            assert "recorded_at:" in text and "origin:" in text, p
            assert "conformance-simulator-key" not in text, p
            assert not re.search(r"uri: https?://(127\.0\.0\.1|localhost)", text), p


def _replay_one(pytester, *extra: str):
    """One suite test replayed from the committed cassettes, in this process (tests/inprocess.py)."""
    return run_suite(pytester, "--pyargs", "conformance.suite.test_protocol", "-q", "-p", "no:cacheprovider",
                     "-p", "no:xdist", "--conformance-target", "cassette",
                     "--cassette-dir", str(ROOT / "cassettes" / "suite"), "-k", "positive_data_acceptance and novita",
                     # the kit's own settings make warnings errors; this test looks at the warning itself
                     "-W", "default::conformance.cassettes.plugin.StaleCassetteWarning", "--conformance-report=",
                     *extra)


def test_cassette_max_age_warns_or_fails_on_stale_cassettes(pytester):
    fresh = _replay_one(pytester, "--cassette-max-age", "100000d", "--cassette-stale", "fail")
    out = "\n".join(fresh.outlines)
    assert fresh.ret == 0 and "StaleCassetteWarning" not in out, out[-2000:]
    warned = _replay_one(pytester, "--cassette-max-age", "1s")
    out = "\n".join(warned.outlines)
    assert warned.ret == 0 and "StaleCassetteWarning" in out, out[-2000:]
    failed = _replay_one(pytester, "--cassette-max-age", "1s", "--cassette-stale", "fail")
    out = "\n".join(failed.outlines)
    assert failed.ret == 1 and "older than --cassette-max-age 1s" in out, out[-2000:]
