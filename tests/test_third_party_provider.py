"""A provider from another package: ``examples/acme-provider`` installed beside the kit, no kit file edited.

The package is installed with pip into a folder of its own, put on ``PYTHONPATH`` of the commands
below only (the kit's own environment keeps its four providers). Its entry point makes the kit know
the provider ``acme``: the shipped suite runs on it against its simulator, its cassettes are recorded
and replayed, the report shows it, and ``compare`` ranks it.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
EXAMPLE = REPO / "examples" / "acme-provider"
CLI = [sys.executable, "-m", "conformance.cli"]
SECRET = "acme-secret-token-7f3a9c2e"


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The example package, installed by pip into a folder of its own."""
    target = tmp_path_factory.mktemp("acme-site")
    build = tmp_path_factory.mktemp("acme-src") / "acme-provider"
    shutil.copytree(EXAMPLE, build)  # pip builds in the source folder: keep the repository clean
    subprocess.run([sys.executable, "-m", "pip", "install", "-q", "--no-deps", "--no-build-isolation",
                    "--disable-pip-version-check", "--target", str(target), str(build)], check=True)
    assert (target / "acme_conformance").is_dir()
    return target


def _env(site: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTEST_", "VOICE_CONFORMANCE_"))}
    env["PYTHONPATH"] = os.pathsep.join([str(site), *filter(None, [env.get("PYTHONPATH")])])
    env.update(extra)
    return env


def _run(args: list[str], cwd: Path, env: dict[str, str], timeout: float = 600) -> subprocess.CompletedProcess[str]:
    return subprocess.run(args, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout)


def test_the_registry_loads_the_installed_provider_after_the_built_in_ones(site: Path, tmp_path: Path) -> None:
    code = ("from conformance import registry as providers, spec; from conformance.clients import make_client; "
            "print(providers.names()); print(spec.get('acme.speak').path); "
            "print(type(make_client('acme', api_key='k')).__name__)")
    out = _run([sys.executable, "-c", code], tmp_path, _env(site))
    assert out.returncode == 0, out.stderr
    names, path, client = out.stdout.split("\n")[:3]
    assert names == repr(("elevenlabs", "faseeh", "modelslab", "novita", "acme"))
    assert path == "/v1/speak" and client == "AcmeClient"
    described = _run([*CLI, "spec", "--providers", "acme"], tmp_path, _env(site))
    assert described.returncode == 0, described.stderr
    assert "acme.speak: POST https://api.acme-speak.example/v1/speak" in described.stdout
    assert "x-acme-token" in described.stdout and "$ACME_API_KEY" in described.stdout


@pytest.mark.long
def test_suite_report_cassettes_and_compare_run_on_the_installed_provider(site: Path, tmp_path: Path) -> None:
    env = _env(site)
    run = _run([*CLI, "run", "--providers", "acme", "--report", "reports/sim.html"], tmp_path, env)
    assert run.returncode == 0, run.stdout + run.stderr
    assert "acme      acme.speak" in run.stdout
    records = [json.loads(line) for line in (tmp_path / "reports" / "sim.jsonl").read_text().splitlines()]
    checks = {(r["check"], r["endpoint"], r["outcome"]) for r in records if r.get("kind", "result") == "result"}
    for check in ("positive_data_acceptance", "negative_data_rejection", "ignored_auth", "speaker_verification",
                  "intelligibility", "predicted_mos_floor", "output_format_conformance"):
        assert (check, "acme.speak", "pass") in checks, check
    assert "acme.speak" in (tmp_path / "reports" / "sim.html").read_text(encoding="utf-8")

    # record from the loopback simulator with a key in the provider's own variable, then replay offline
    rec = _run([*CLI, "record", "--out", "cass", "-k", "acme"], tmp_path, _env(site, ACME_API_KEY=SECRET))
    assert rec.returncode == 0, rec.stdout + rec.stderr
    cassettes = sorted((tmp_path / "cass").rglob("*.yaml"))
    assert any("positive_data_acceptance_acme.speak" in p.name for p in cassettes), cassettes
    texts = [p.read_text(encoding="utf-8") for p in cassettes]
    assert all("x-acme-token: REDACTED" in t for t in texts if "x-acme-token" in t)
    assert not any(SECRET in t for t in texts)
    replay = _run([*CLI, "run", "--providers", "acme", "--target", "cassette", "--cassette-dir", "cass",
                   "--report", "reports/replay.html"], tmp_path, env)
    assert replay.returncode == 0, replay.stdout + replay.stderr
    assert "acme      acme.speak" in replay.stdout

    # a fault injected into the installed provider's simulator is caught by the suite
    caught = _run([*CLI, "run", "--providers", "acme", "--inject", "silent_audio@acme.speak", "-k", "test_audio",
                   "--report", "reports/fault.html"], tmp_path, env)  # the audio checks: the ones silence fails
    assert caught.returncode == 1, caught.stdout + caught.stderr
    assert "test_audio_not_silent[acme.speak]" in caught.stdout

    compared = _run([*CLI, "compare", "--providers", "acme", "--voices", "1", "--texts", "1", "--format", "json",
                     "-o", "reports/compare.html"],
                    tmp_path, env)
    assert compared.returncode == 0, compared.stdout + compared.stderr
    rows = json.loads(compared.stdout)["rows"]
    assert [(r["provider"], r["endpoint"], r["status"]) for r in rows] == [("acme", "acme.speak", "ok")]


def test_a_broken_provider_package_is_one_clear_line_and_plain_pytest_still_runs(tmp_path: Path) -> None:
    site = tmp_path / "site"
    info = site / "broken_provider-0.1.dist-info"
    info.mkdir(parents=True)
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: broken-provider\nVersion: 0.1\n")
    (info / "entry_points.txt").write_text("[voice_conformance.providers]\nbroken = no_such_package_here\n")
    env = _env(site)
    out = _run([*CLI, "spec", "--providers", "broken"], tmp_path, env)
    assert out.returncode == 2
    assert "provider 'broken': its package has no module no_such_package_here.spec" in out.stderr
    assert "Traceback" not in out.stderr
    (tmp_path / "test_plain.py").write_text("def test_plain():\n    assert True\n")
    plain = _run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "test_plain.py"], tmp_path, env)
    assert plain.returncode == 0, plain.stdout + plain.stderr
