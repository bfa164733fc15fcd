"""The recorded cassettes: no secret in any written file, and the shipped suite replays offline."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

from conformance.spec import endpoints

ROOT = Path(__file__).resolve().parents[2]
SENTINEL = "vc-SENTINEL-key-5d1e8b2a"


def test_recording_every_endpoint_writes_no_secret_anywhere(tmp_path):
    out = tmp_path / "cassettes"
    code = (f"import sys; from pathlib import Path; from conformance.cassettes.record import record_suite; "
            f"sys.exit(record_suite(Path({str(out)!r}), key={SENTINEL!r}, request_bodies='full', "
            f"pytest_args=['-k', 'positive_data_acceptance or ignored_auth', '-p', 'no:xdist']))")
    log = tmp_path / "record.log"
    with log.open("wb") as f:
        proc = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, stdout=f, stderr=subprocess.STDOUT,
                              timeout=600)
    assert proc.returncode == 0, log.read_text()[-3000:]
    written = [p for p in tmp_path.rglob("*") if p.is_file()]
    cassettes = [p for p in written if p.suffix == ".yaml"]
    recorded = "".join(p.read_text() for p in cassettes)
    for ep in endpoints():  # every endpoint was recorded, with its real host
        assert ep.provider.base_url in recorded, ep.id
    assert not re.search(r"uri: https?://(127\.0\.0\.1|localhost)", recorded)  # loopback became real hosts
    assert "/_simulator/" not in recorded
    assert any(p.parent.name == "bodies" for p in written)  # sidecars were written
    leaks = [str(p) for p in written if SENTINEL.encode() in p.read_bytes()]
    assert leaks == []
    assert "REDACTED" in recorded


def test_shipped_suite_replays_offline_from_the_committed_cassettes(tmp_path):
    proc = subprocess.run([sys.executable, "-m", "pytest", "--pyargs", "conformance.suite.test_protocol", "-q",
                           "-p", "no:cacheprovider", "-p", "no:xdist", "--conformance-target", "cassette",
                           "--block-network", "--cassette-dir", str(ROOT / "cassettes" / "suite")],
                          cwd=tmp_path, capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stdout[-4000:]
    assert " passed" in proc.stdout and "failed" not in proc.stdout


def test_committed_cassettes_are_small_and_scrubbed():
    files = [p for p in (ROOT / "cassettes").rglob("*") if p.is_file()]
    assert sum(p.stat().st_size for p in files) < 5_000_000
    for p in files:
        if p.suffix == ".yaml":
            text = p.read_text()
            assert "recorded_at:" in text and "origin:" in text, p
            assert "conformance-simulator-key" not in text, p
            assert not re.search(r"uri: https?://(127\.0\.0\.1|localhost)", text), p


def _replay_one(tmp_path, *extra: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "pytest", "--pyargs", "conformance.suite.test_protocol", "-q",
                           "-p", "no:cacheprovider", "-p", "no:xdist", "--conformance-target", "cassette",
                           "--cassette-dir", str(ROOT / "cassettes" / "suite"),
                           "-k", "positive_data_acceptance and novita", *extra],
                          cwd=tmp_path, capture_output=True, text=True, timeout=300)


def test_cassette_max_age_warns_or_fails_on_stale_cassettes(tmp_path):
    fresh = _replay_one(tmp_path, "--cassette-max-age", "100000d", "--cassette-stale", "fail")
    assert fresh.returncode == 0 and "StaleCassetteWarning" not in fresh.stdout, fresh.stdout[-2000:]
    warned = _replay_one(tmp_path, "--cassette-max-age", "1s")
    assert warned.returncode == 0 and "StaleCassetteWarning" in warned.stdout, warned.stdout[-2000:]
    failed = _replay_one(tmp_path, "--cassette-max-age", "1s", "--cassette-stale", "fail")
    assert failed.returncode == 1 and "older than --cassette-max-age 1s" in failed.stdout, failed.stdout[-2000:]
