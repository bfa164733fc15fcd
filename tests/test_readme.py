"""Every command in the README runs, as a newcomer would type it, and does what the README says.

The README's shell blocks are read line by line. Each command runs from a scratch folder that looks
like a checkout (the venv, scripts, examples, benchmarks and a copy of the cassettes), so nothing it
writes lands in the repository. The setup half of the first block (``scripts/setup && …``) is what
``.ci/run`` runs before these tests, and the second command is the one ``.ci/run`` runs: running it
here would run these tests inside themselves, so the test checks that CI runs exactly that command.

A command marked ``# needs VAR`` talks to a live provider: it runs without keys and must say that
``VAR`` is what it needs.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
README = ROOT / "README.md"
KEYS = ("ELEVENLABS_API_KEY", "MODELSLAB_API_KEY", "NOVITA_API_KEY", "FASEEH_API_KEY",
        "VOICE_CONFORMANCE_AUDIO_BASE")
# what the output of some commands must show, besides their exit code
EXPECT = {
    "--inject silent_audio@faseeh.voice_preview": r"caught: exit 1",
    "drift --spec cassettes/suite": r"(?i)no (breaking )?change|0 breaking|non-breaking",
    "--inject wrong_speaker@novita": r"(?s)1\s+elevenlabs.*2\s+novita.*regressed: exit 1",
    "bench --list": r"report",
    "spec --fidelity": r"(?m)^elevenlabs: \d+ documented, \d+ observed live",
    "sdk-matrix --providers novita": r"voice_clone\s+serve\s+ok\s+works[\s\S]*\d+ work, 0 fail",
}


def blocks() -> list[list[str]]:
    """The README's ``bash`` blocks, each a list of commands (comments and blank lines dropped)."""
    out = []
    for body in re.findall(r"```bash\n(.*?)```", README.read_text(encoding="utf-8"), flags=re.S):
        cmds = [line.strip() for line in body.splitlines() if line.strip() and not line.strip().startswith("#")]
        out.append(cmds)
    return out


def test_the_readme_starts_with_the_two_commands_and_ci_runs_the_second() -> None:
    first = blocks()[0]
    assert len(first) == 2 and all(c.startswith("scripts/setup && ") for c in first), first
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8").splitlines()
    assert "scripts/setup" in ci and first[1].removeprefix("scripts/setup && ") in ci


def _checkout(work: Path) -> Path:
    """A scratch folder laid out like the repository."""
    # pyproject.toml too: the suite then runs under the kit's own pytest settings (warnings are errors)
    for name in (".venv", "scripts", "examples", "benchmarks", "conformance", "pyproject.toml"):
        (work / name).symlink_to(ROOT / name)
    shutil.copytree(ROOT / "cassettes", work / "cassettes")
    return work


@pytest.fixture
def checkout(tmp_path: Path) -> Path:
    return _checkout(tmp_path)


def _env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in KEYS and not k.startswith("PYTEST_")}
    env.pop("CI", None)
    # the SDK releases the matrix installs: the kit's tests share one cache (see tests/test_sdk_matrix.py)
    env.setdefault("VOICE_CONFORMANCE_SDK_DIR", str(ROOT / ".cache" / "sdks"))
    return env


def _run(cmd: str, cwd: Path, timeout: float = 600) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["bash", "-c", cmd], cwd=cwd, env=_env(), capture_output=True, text=True,
                          timeout=timeout, check=False)


@pytest.mark.long
def test_the_main_command_runs_the_whole_suite_on_the_simulators_and_writes_the_report(checkout: Path) -> None:
    """Clean simulators pass every check of the suite (the faults that must fail it: test_suite_honesty)."""
    main = blocks()[0][0].removeprefix("scripts/setup && ")
    done = _run(main, checkout, timeout=900)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-2000:]
    m = re.search(r"all (\d+) checks passed", done.stdout)
    assert m and int(m.group(1)) > 150, done.stdout[-2000:]
    assert re.search(r"^total\s+\d+\s+0\s+0\s+0$", done.stdout, flags=re.M), done.stdout[-2000:]
    html = checkout / "reports" / "conformance.html"
    assert html.is_file() and html.stat().st_size > 100_000


BLOCKS = blocks()[1:]
COMMANDS = [c for block in BLOCKS for c in block]
# what some blocks must leave behind
LEAVES = {
    "report merge": ["reports/merged.html"],
    "compare --providers": ["reports/compare.html"],
    "record --out cassettes/mine": ["cassettes/mine/test_protocol", "cassettes/examples-rebuilt/INDEX.md"],
}


@pytest.mark.long
@pytest.mark.parametrize("block", BLOCKS, ids=[re.sub(r"\W+", "-", b[0].split("bin/")[-1])[:36].strip("-")
                                               for b in BLOCKS])
def test_every_other_readme_block(checkout: Path, block: list[str]) -> None:
    """Each block in a fresh scratch checkout, its commands in order (later ones use what earlier wrote)."""
    background: list[subprocess.Popen[bytes]] = []
    try:
        for cmd in block:
            if cmd.endswith("&"):
                background.append(subprocess.Popen(["bash", "-c", f"exec {cmd[:-1]}"], cwd=checkout, env=_env(),
                                                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
                continue
            if cmd.startswith("kill %"):
                proc = background.pop(int(cmd[6:]) - 1)
                proc.send_signal(signal.SIGTERM)
                assert proc.wait(timeout=20) is not None
                continue
            done = _run(cmd, checkout)
            output = done.stdout + done.stderr
            needs = re.search(r"# needs (\w+)", cmd)
            if needs:
                assert needs.group(1) in output, f"{cmd}\n{output[-2000:]}"
                continue
            assert done.returncode == 0, f"{cmd}\nexit {done.returncode}\n{output[-3000:]}"
            for key, pattern in EXPECT.items():
                if key in cmd:
                    assert re.search(pattern, output), f"{cmd}: expected /{pattern}/ in\n{output[-2000:]}"
    finally:
        for proc in background:
            proc.kill()
    for key, paths in LEAVES.items():
        if any(key in c for c in block):
            for rel in paths:
                assert (checkout / rel).exists(), f"{rel} missing after {key}"


def test_the_readme_shows_every_subcommand() -> None:
    text = " ".join(COMMANDS)
    missing = [c for c in ("run", "compare", "serve", "record", "drift", "report merge", "bench", "spec",
                           "sdk-matrix")
               if f"voice-conformance {c}" not in text]
    assert not missing


def test_the_python_excerpts_are_the_example_file_verbatim() -> None:
    """The README's test excerpts come from examples/test_my_integration.py, which the commands run."""
    example = (ROOT / "examples" / "test_my_integration.py").read_text(encoding="utf-8")
    for body in re.findall(r"```python\n(.*?)```", README.read_text(encoding="utf-8"), flags=re.S):
        for line in body.splitlines():
            code = line.split("#", 1)[0].rstrip()
            if code.strip() and "convert_voice(recording, VOICE)" not in code:
                assert code in example, f"README line not in the example: {line!r}"


def test_the_readme_names_every_fault_and_counts_them() -> None:
    from conformance.simulators import FAULTS

    text = README.read_text(encoding="utf-8")
    assert [f for f in FAULTS if f"`{f}`" not in text] == []
    assert f"{len(FAULTS)} faults" in text
