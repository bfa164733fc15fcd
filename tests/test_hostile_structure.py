"""Hostile structure: what a hostile provider, gateway, cassette, results file or configuration can shape.

JSON nested a hundred thousand levels deep is answered like any unreadable body (simulators) or a
``ProtocolError`` (clients), never a ``RecursionError``; a cassette's sidecar path cannot leave its
bodies folder and is refused without being opened; a malformed cassette, results file or
configuration is one line naming the file and exit code 2 in every command that reads it; the
simulator's control API refuses numbers it cannot honour (1e308 s, NaN, negative counts).
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import httpx
import pytest
from click.testing import CliRunner

from conformance import clients as c
from conformance import safejson
from conformance.cli import main

pytest_plugins = ["pytester"]

ROOT = Path(__file__).resolve().parents[1]
DEEP = b"[" * 100_000  # what made `serve` answer a bare 500 and the clients raise RecursionError
# well-formed, deeper than any reader goes, with a key where ModelsLab reads it
DEEP_OBJECT = b'{"key": "k", "a":' + b'{"a":' * 149 + b"1" + b"}" * 150
NOVITA = "/v3/minimax-voice-cloning"
ML_V2V = "/api/v1/enterprise/voice/voice_to_voice"
ML_FETCH = "/api/v1/enterprise/voice/fetch/1"


# ---------------------------------------------------------------------------------------------
# deep JSON: the reader
# ---------------------------------------------------------------------------------------------


def test_the_depth_limit_is_exact_and_any_depth_is_a_value_error() -> None:
    at_limit = b"[" * safejson.MAX_DEPTH + b"]" * safejson.MAX_DEPTH
    assert safejson.nesting_depth(safejson.loads(at_limit)) == safejson.MAX_DEPTH
    for body in (at_limit[:1] + at_limit + b"]", DEEP, DEEP_OBJECT):
        with pytest.raises(ValueError, match="nested more than 100 levels deep"):
            safejson.loads(body)
    loop: list[Any] = []
    loop.append(loop)
    with pytest.raises(safejson.TooDeep, match="contains itself"):
        safejson.check_depth(loop)


# ---------------------------------------------------------------------------------------------
# deep JSON: `serve` (the ASGI app, in-process)
# ---------------------------------------------------------------------------------------------


def _post_all(requests: list[tuple[str, bytes, dict[str, str]]], **sim_options: Any) -> list[httpx.Response]:
    """POST each ``(path, body, headers)`` to a fresh simulator's ASGI app (what `serve` runs), in-process."""
    from conformance.simulators import Simulator
    from conformance.simulators.server import create_app

    async def go() -> list[httpx.Response]:
        app = create_app(Simulator(seed=0, **sim_options))
        transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
        async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1:8000") as client:
            out = []
            for path, body, headers in requests:
                r = await client.post(path, content=body, headers=headers)
                await r.aread()
                out.append(r)
            return out

    return asyncio.run(go())


def _without_ids(r: httpx.Response) -> tuple[int, str, Any]:
    body = r.json()
    if isinstance(body, dict):
        body = {k: v for k, v in body.items() if "id" not in k.lower()}
    return r.status_code, r.headers.get("content-type", ""), body


@pytest.mark.parametrize("path,headers", [
    (NOVITA, {"authorization": "Bearer k"}),
    (ML_V2V, {}),  # the key travels in the body: an unreadable body has no key, as documented
    (ML_FETCH, {}),
])
@pytest.mark.parametrize("deep", [DEEP, DEEP_OBJECT], ids=["unterminated", "well-formed"])
def test_serve_answers_deep_json_like_any_unparsable_body(path: str, headers: dict[str, str], deep: bytes) -> None:
    headers = {"content-type": "application/json", **headers}
    broken, nested = _post_all([(path, b'{"key": ', headers), (path, deep, headers)])
    assert nested.status_code != 500, nested.text
    assert _without_ids(nested) == _without_ids(broken)
    assert 400 <= nested.status_code < 500


def test_serve_answers_novitas_documented_unreadable_body_error_to_deep_json() -> None:
    (r,) = _post_all([(NOVITA, DEEP, {"content-type": "application/json", "authorization": "Bearer k"})])
    assert r.status_code == 400
    assert r.json() == {"code": 400, "reason": "INVALID_REQUEST_BODY", "message": "request body is not valid JSON",
                        "metadata": {"fields": []}}


def test_serve_answers_a_deep_json_form_field_with_the_fields_error() -> None:
    from tests.simulators.conftest import speech_wav

    sts = "/v1/speech-to-speech/JBFqnCBsd6RMkjVDRZzb"
    boundary = "b0undary"

    def form(voice_settings: bytes) -> bytes:
        return (f"--{boundary}\r\nContent-Disposition: form-data; name=\"voice_settings\"\r\n\r\n".encode()
                + voice_settings + f"\r\n--{boundary}\r\nContent-Disposition: form-data; name=\"audio\"; "
                f"filename=\"a.wav\"\r\nContent-Type: audio/wav\r\n\r\n".encode() + speech_wav("en_kal", 1.0)
                + f"\r\n--{boundary}--\r\n".encode())

    headers = {"content-type": f"multipart/form-data; boundary={boundary}", "xi-api-key": "k"}
    (r,) = _post_all([(sts, form(DEEP), headers)])
    assert r.status_code == 422, r.text
    (problem,) = r.json()["detail"]
    assert problem["loc"] == ["body", "voice_settings"] and "nested more than 100 levels deep" in problem["msg"]


# ---------------------------------------------------------------------------------------------
# deep JSON: the reference clients
# ---------------------------------------------------------------------------------------------


def _deep_transport(status: int = 200, first: dict[str, Any] | None = None) -> httpx.MockTransport:
    """Answers ``first`` (JSON) once, if given, then deep JSON for ever."""
    answers = [first] if first is not None else []

    def handle(request: httpx.Request) -> httpx.Response:
        if answers:
            return httpx.Response(200, json=answers.pop(0))
        return httpx.Response(status, content=DEEP, headers={"content-type": "application/json"})

    return httpx.MockTransport(handle)


@pytest.mark.parametrize("status", [200, 400, 429, 500])
def test_a_deep_json_answer_is_a_protocol_error_naming_the_depth(status: int) -> None:
    client = c.NovitaClient("k", http_client=httpx.Client(transport=_deep_transport(status)), retry=c.NO_RETRY)
    with pytest.raises(c.ProtocolError, match=r"malformed JSON body: JSON nested more than 100 levels deep") as err:
        client.minimax_voice_cloning("https://files.example/ref.wav")
    assert err.value.status == status and err.value.endpoint_id == "novita.minimax_voice_cloning"


def test_a_deep_json_job_poll_is_a_protocol_error() -> None:
    queued = {"status": "processing", "id": 77, "eta": 1, "message": "Your request is being processed",
              "fetch_result": "https://modelslab.com/api/v1/enterprise/voice/fetch/77", "future_links": []}
    client = c.ModelsLabClient("k", http_client=httpx.Client(transport=_deep_transport(first=queued)),
                               retry=c.NO_RETRY, poll_interval=0.0, sleep=lambda s: None)
    with pytest.raises(c.ProtocolError, match="nested more than 100 levels deep") as err:
        client.voice_to_voice("https://files.example/a.wav", "https://files.example/b.wav")
    assert err.value.endpoint_id == "modelslab.fetch"


def test_an_async_client_gets_the_same_protocol_error() -> None:
    async def go() -> None:
        async with httpx.AsyncClient(transport=_deep_transport()) as http:
            client = c.AsyncNovitaClient("k", http_client=http, retry=c.NO_RETRY)
            await client.minimax_voice_cloning("https://files.example/ref.wav")

    with pytest.raises(c.ProtocolError, match="nested more than 100 levels deep"):
        asyncio.run(go())


def test_the_suites_checks_and_cassette_matching_read_deep_json_as_not_json() -> None:
    from conformance.cassettes.match import fingerprint
    from conformance.checks import _json

    assert _json(DEEP) is None
    assert fingerprint(DEEP, "application/json") == {"sha256": hashlib.sha256(DEEP).hexdigest(), "size": len(DEEP)}


# ---------------------------------------------------------------------------------------------
# cassettes: sidecar paths stay in the bodies folder
# ---------------------------------------------------------------------------------------------

SECRET_BODY = b"not a cassette body: a file elsewhere on disk"
SECRET_SHA = hashlib.sha256(SECRET_BODY).hexdigest()


def _cassette(path: Path, sidecar: str, sha: str = SECRET_SHA) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(f"""version: 1
metadata: {{recorded_at: '2025-01-31T12:00:00Z', origin: unknown}}
interactions:
- request: {{method: GET, uri: 'https://api.novita.ai/v3/files/x.wav', headers: {{}}}}
  response:
    status: {{code: 200, message: OK}}
    headers: {{content-type: [audio/wav]}}
    body: {{sidecar: '{sidecar}', sha256: '{sha}', size: {len(SECRET_BODY)}}}
""")
    return path


@pytest.fixture
def reads(monkeypatch: pytest.MonkeyPatch) -> list[Path]:
    """Every file read with ``Path.read_bytes`` (how sidecars are read), by resolved path."""
    seen: list[Path] = []
    real = Path.read_bytes

    def spy(self: Path) -> bytes:
        seen.append(self.resolve())
        return real(self)

    monkeypatch.setattr(Path, "read_bytes", spy)
    return seen


@pytest.fixture
def outside(tmp_path: Path) -> Path:
    """A ``<sha256>.bin`` outside the cassette collection, whose hash is right: only its path is wrong."""
    secret = tmp_path / "elsewhere" / f"{SECRET_SHA}.bin"
    secret.parent.mkdir()
    secret.write_bytes(SECRET_BODY)
    return secret


def _escape_refs(outside: Path) -> list[str]:
    return [f"../../elsewhere/{outside.name}", f"../bodies/../../elsewhere/{outside.name}", str(outside),
            f"bodies/../../../elsewhere/{outside.name}"]


def test_a_sidecar_path_leaving_the_bodies_folder_is_refused_unread(tmp_path: Path, outside: Path,
                                                                    reads: list[Path]) -> None:
    from conformance.cassettes.store import SidecarError, body_bytes, load_yaml

    root = tmp_path / "cassettes"
    for ref in _escape_refs(outside):
        cassette = _cassette(root / "test_x" / "c.yaml", ref)
        for known_root in (root, None):
            with pytest.raises(SidecarError) as err:
                data = load_yaml(cassette, root=known_root)
                body_bytes(cassette, data["interactions"][0]["response"]["body"], known_root)
            message = str(err.value)
            assert message.startswith(f"{cassette}: interactions[0].response.body.sidecar {ref!r}: ")
            assert "absolute path" in message if ref.startswith("/") else "leads out of" in message
            # given a body mapping directly, body_bytes refuses it as well
            with pytest.raises(SidecarError, match="leads out of|absolute path"):
                body_bytes(cassette, {"sidecar": ref, "sha256": SECRET_SHA}, known_root)
    assert outside.resolve() not in reads


def test_a_sidecar_must_be_named_by_its_own_hash(tmp_path: Path, reads: list[Path]) -> None:
    from conformance.cassettes.store import SidecarError, load_yaml

    root = tmp_path / "cassettes"
    (root / "bodies").mkdir(parents=True)
    other = root / "bodies" / "notes.bin"
    other.write_bytes(SECRET_BODY)
    for ref, sha, problem in [("../bodies/notes.bin", SECRET_SHA, "must be named after its sha256"),
                              (f"../bodies/{SECRET_SHA}.bin", SECRET_SHA.upper(), "not 64 lowercase hex"),
                              (f"../bodies/{SECRET_SHA}.bin", "../x", "not 64 lowercase hex")]:
        with pytest.raises(SidecarError, match=problem):
            load_yaml(_cassette(root / "test_x" / "c.yaml", ref, sha), root=root)
    assert other.resolve() not in reads


def test_a_link_in_the_bodies_folder_leading_out_is_refused(tmp_path: Path, outside: Path, reads: list[Path]) -> None:
    from conformance.cassettes.store import SidecarError, load_yaml

    root = tmp_path / "cassettes"
    (root / "bodies").mkdir(parents=True)
    (root / "bodies" / outside.name).symlink_to(outside)
    with pytest.raises(SidecarError, match="is a link leading out of"):
        load_yaml(_cassette(root / "test_x" / "c.yaml", f"../bodies/{outside.name}"), root=root)
    assert outside.resolve() not in reads


def test_the_suites_layout_and_a_lone_cassettes_own_bodies_folder_are_read(tmp_path: Path) -> None:
    from conformance.cassettes.store import SidecarPersister, body_bytes, check_folder, load_yaml

    root = tmp_path / "cassettes"
    (root / "bodies").mkdir(parents=True)
    (root / "bodies" / f"{SECRET_SHA}.bin").write_bytes(SECRET_BODY)
    suite_style = _cassette(root / "test_x" / "c.yaml", f"../bodies/{SECRET_SHA}.bin")
    lone = _cassette(root / "c.yaml", f"bodies/{SECRET_SHA}.bin")
    # a persister without a bodies_dir keeps bodies beside each cassette, in a sub-folder of the collection too
    (root / "sub" / "bodies").mkdir(parents=True)
    (root / "sub" / "bodies" / f"{SECRET_SHA}.bin").write_bytes(SECRET_BODY)
    beside = _cassette(root / "sub" / "c.yaml", f"bodies/{SECRET_SHA}.bin")
    for cassette in (suite_style, lone, beside):
        for known_root in (root, None):
            data = load_yaml(cassette, root=known_root)
            assert body_bytes(cassette, data["interactions"][0]["response"]["body"], known_root) == SECRET_BODY
    assert check_folder(root) == 3
    # the plugin's persister knows the collection from its bodies folder: the suite's layout replays
    _, responses, _ = SidecarPersister(bodies_dir=root / "bodies").load_cassette(suite_style)
    assert responses[0]["body"]["string"] == SECRET_BODY
    # the kit's own recorded cassettes pass
    assert check_folder(ROOT / "cassettes" / "suite") > 0 and check_folder(ROOT / "cassettes" / "examples") > 0


def test_a_cassette_deeper_than_its_collection_cannot_reach_its_grandparents_bodies(tmp_path: Path) -> None:
    from conformance.cassettes.store import SidecarError, load_yaml

    root = tmp_path / "cassettes"
    (tmp_path / "bodies").mkdir()
    (tmp_path / "bodies" / f"{SECRET_SHA}.bin").write_bytes(SECRET_BODY)
    cassette = _cassette(root / "c.yaml", f"../bodies/{SECRET_SHA}.bin")
    load_yaml(cassette)  # collection unknown: the parent folder's bodies are allowed (documented)
    with pytest.raises(SidecarError, match="leads out of"):
        load_yaml(cassette, root=root)  # but not outside the collection


def test_prune_refuses_to_work_from_a_cassette_it_cannot_trust(tmp_path: Path, outside: Path) -> None:
    from conformance.cassettes.store import CassetteError, prune_sidecars

    root = tmp_path / "cassettes"
    (root / "bodies").mkdir(parents=True)
    orphan = root / "bodies" / ("0" * 64 + ".bin")
    orphan.write_bytes(b"left by a re-recording")
    _cassette(root / "test_x" / "c.yaml", f"../../elsewhere/{outside.name}")
    with pytest.raises(CassetteError, match="leads out of"):
        prune_sidecars(root)
    assert orphan.exists() and outside.exists()


# ---------------------------------------------------------------------------------------------
# malformed inputs through the CLI: one line naming the file, exit code 2
# ---------------------------------------------------------------------------------------------


def _one_line(result: Any) -> str:
    """The single error line of a CliRunner result (no traceback)."""
    assert result.exit_code == 2, (result.exit_code, result.output, result.exception)
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, result.stderr
    assert "Traceback" not in result.output
    return lines[0]


BAD_CASSETTES = {
    "not-yaml": ("interactions: [\n", ":2: not valid YAML"),
    "not-utf8": (b"version: 1\ninteractions: []\n# caf\xe9\n", ":3: not UTF-8 text"),
    "a-list": ("- request: {}\n", "the YAML is a list, not a mapping"),
    "no-interactions": ("version: 1\nmetadata: {}\n", "no interactions"),
    "interactions-not-a-list": ("interactions: {a: 1}\n", "interactions: expected a list, got a mapping"),
    "request-not-a-mapping": ("interactions:\n- {request: 5, response: {status: 200}}\n",
                              "interactions[0].request: expected a mapping, got a number"),
    "status-not-a-number": ("interactions:\n- request: {method: GET, uri: 'https://x.example/a'}\n"
                            "  response: {status: {code: abc}}\n",
                            "interactions[0].response.status: expected an HTTP status"),
    "headers-not-text": ("interactions:\n- request: {method: GET, uri: 'https://x.example/a'}\n"
                         "  response: {status: 200, headers: {a: [{b: 1}]}}\n",
                         "interactions[0].response.headers: expected a mapping of header names to text"),
    "body-not-a-body": ("interactions:\n- request: {method: GET, uri: 'https://x.example/a'}\n"
                        "  response: {status: 200, body: {what: 1}}\n",
                        "interactions[0].response.body: expected {string: …}"),
    "deep": ("interactions: " + "[" * 100_000 + "\n", "YAML nested more than 100 levels deep"),
    "loop": ("interactions: &a [*a]\n", "YAML contains itself"),
    "bad-date": ("metadata: {recorded_at: 2025-13-45}\ninteractions: []\n", "not valid YAML: month must be in 1..12"),
}


def _write(path: Path, content: str | bytes) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content)
    return path


@pytest.mark.parametrize("name", list(BAD_CASSETTES))
def test_drift_on_a_malformed_cassette_is_one_line_and_exit_2(tmp_path: Path, name: str) -> None:
    content, problem = BAD_CASSETTES[name]
    bad = _write(tmp_path / "new" / "test_x" / f"{name}.yaml", content)
    for args in (["drift", "--spec", str(tmp_path / "new")],
                 ["drift", str(ROOT / "cassettes" / "examples"), str(tmp_path / "new")]):
        line = _one_line(CliRunner().invoke(main, args))
        assert line.startswith(f"Error: {bad}") and problem in line, line


def test_drift_on_a_sidecar_leading_out_is_one_line_and_nothing_is_read(tmp_path: Path, outside: Path,
                                                                         reads: list[Path]) -> None:
    for ref in _escape_refs(outside):
        cassette = _cassette(tmp_path / "new" / "test_x" / "c.yaml", ref)
        line = _one_line(CliRunner().invoke(main, ["drift", "--spec", str(tmp_path / "new")]))
        assert line.startswith(f"Error: {cassette}: interactions[0].response.body.sidecar {ref!r}: "), line
    assert outside.resolve() not in reads


def _cli(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "conformance.cli", *args], cwd=cwd, capture_output=True, text=True,
                          timeout=600, env={**os.environ, "PYTHONPATH": str(ROOT)})


@pytest.mark.parametrize("name", ["not-yaml", "status-not-a-number", "sidecar"])
def test_replaying_a_malformed_cassette_is_one_line_and_exit_2(tmp_path: Path, name: str) -> None:
    folder = tmp_path / "cas"
    if name == "sidecar":
        bad = _cassette(folder / "test_protocol" / "c.yaml", "../../../etc/x.bin")
        problem = "sidecar '../../../etc/x.bin'"
    else:
        content, problem = BAD_CASSETTES[name]
        bad = _write(folder / "test_protocol" / f"{name}.yaml", content)
    proc = _cli(tmp_path, "run", "--target", "cassette", "--cassette-dir", str(folder), "--providers", "faseeh",
                "-k", "ignored_auth", "--report", "")
    assert proc.returncode == 2, proc.stdout + proc.stderr
    lines = [line for line in proc.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and str(bad) in lines[0] and problem in lines[0], proc.stderr
    assert "Traceback" not in proc.stdout + proc.stderr


def test_a_replayed_body_that_does_not_match_its_hash_fails_its_test_in_one_line(pytester: pytest.Pytester) -> None:
    root = pytester.path / "cas"
    (root / "bodies").mkdir(parents=True)
    (root / "bodies" / f"{SECRET_SHA}.bin").write_bytes(SECRET_BODY + b"!")  # tampered after recording
    _cassette(root / "test_x" / "test_y.yaml", f"../bodies/{SECRET_SHA}.bin")
    pytester.makepyfile(test_x="def test_y(conformance_cassette):\n    pass\n")
    result = pytester.runpytest_subprocess("--conformance-target=cassette", f"--cassette-dir={root}",
                                           "-p", "no:cacheprovider", "-p", "no:randomly")
    result.assert_outcomes(errors=1)  # its fixture could not set it up
    out = result.stdout.str()
    message = f"{root / 'test_x' / 'test_y.yaml'}: interactions[0].response.body: sidecar body"
    # once in the error's report (the short summary repeats it in full when CI is set)
    assert out.split("short test summary info")[0].count(message) == 1 and "does not match its name" in out
    assert "raise SidecarError" not in out and "store.py" not in out  # the message, not a traceback


def test_recording_once_over_a_malformed_cassette_is_one_line_and_exit_2(tmp_path: Path) -> None:
    content, problem = BAD_CASSETTES["a-list"]
    bad = _write(tmp_path / "out" / "test_protocol" / "x.yaml", content)
    line = _one_line(CliRunner().invoke(main, ["record", "--out", str(tmp_path / "out"), "--mode", "once"]))
    assert line.startswith(f"Error: {bad}") and problem in line


GOOD_LINE = {"schema": "voice-conformance/record/1", "kind": "result", "run_id": "r", "nodeid": "t.py::test_a",
             "outcome": "pass"}
BAD_RECORDS = {
    "bad-json": (b'{"nodeid": "t.py::x", ', "not a JSON record"),
    "not-utf8": (b'{"nodeid": "caf\xe9", "outcome": "pass"}', "not UTF-8 text"),
    "deep": (DEEP, "nested more than 100 levels deep"),
    "deep-object": (b'{"nodeid": "t", "outcome": "pass", "measured": ' + DEEP_OBJECT + b"}",
                    "nested more than 100 levels deep"),
    "an-array": (b"[1, 2]", "expected a JSON object (one record per line), got an array"),
    "outcome": (b'{"nodeid": "t.py::x", "outcome": "maybe"}', "outcome: 'maybe' is not one of"),
    "nodeid-type": (b'{"nodeid": 5, "outcome": "pass"}', "nodeid: 5 is not of type 'string'"),
    "measured-type": (b'{"nodeid": "t", "outcome": "fail", "measured": [1]}', "measured: [1] is not of type 'object'"),
    "no-nodeid": (b'{"outcome": "pass"}', "'nodeid' is a required property"),
    "unknown-kind": (b'{"kind": "surprise"}', "kind: 'surprise' is not a kind of results line"),
    "drift-rows": (b'{"kind": "drift", "run_id": "r", "title": "API drift", "summary": {}, "rows": 5}',
                   "rows: 5 is not of type 'array'"),
}


@pytest.mark.parametrize("name", list(BAD_RECORDS))
def test_report_merge_of_a_malformed_results_file_is_one_line_and_exit_2(tmp_path: Path, name: str) -> None:
    line_bytes, problem = BAD_RECORDS[name]
    good = _write(tmp_path / "good.jsonl", json.dumps(GOOD_LINE) + "\n")
    bad = _write(tmp_path / "bad.jsonl", (json.dumps(GOOD_LINE) + "\n").encode() + line_bytes + b"\n")
    line = _one_line(CliRunner().invoke(main, ["report", "merge", str(good), str(bad), "-o",
                                               str(tmp_path / "out" / "r.html")]))
    assert line.startswith(f"Error: {bad}:2: ") and problem in line, line
    assert not (tmp_path / "out" / "r.html").exists()


def test_report_merge_still_takes_well_formed_lines(tmp_path: Path) -> None:
    good = _write(tmp_path / "good.jsonl", "\n".join(json.dumps(x) for x in [
        GOOD_LINE, {"kind": "run", "run_id": "r"}, {"nodeid": "t.py::b", "outcome": "fail", "measured": {"x": 1}}]))
    result = CliRunner().invoke(main, ["report", "merge", str(good), "-o", str(tmp_path / "r.html")])
    assert result.exit_code == 0, result.output
    assert "merged 3 lines" in result.stdout


# (invalid TOML and values of the wrong type were one line and exit 2 already: tests/test_cli.py, test_config.py)
BAD_CONFIGS = {
    "not-utf8": (b"seed = 1\n# caf\xe9\n", ":2: not UTF-8 text"),
    "deep": ("providers = " + "[" * 5000 + "\n", "not valid TOML: nested too deeply"),
    "table-not-a-table": ("[tool]\nvoice-conformance = 5\n", "tool.voice-conformance: expected a table"),
}


@pytest.mark.parametrize("name", list(BAD_CONFIGS))
@pytest.mark.parametrize("command", [["run", "--report", ""], ["compare"]])
def test_a_malformed_configuration_is_one_line_and_exit_2(tmp_path: Path, name: str, command: list[str]) -> None:
    content, problem = BAD_CONFIGS[name]
    cfg = _write(tmp_path / "vc.toml", content)
    line = _one_line(CliRunner().invoke(main, ["--config", str(cfg), *command]))
    assert line.startswith(f"Error: configuration: {cfg}") and problem in line, line


def test_a_malformed_pyproject_found_on_the_way_up_is_one_line_and_exit_2(tmp_path: Path,
                                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / ".git").mkdir()
    pyproject = _write(tmp_path / "pyproject.toml", b"[project]\nname = 'caf\xe9'\n")
    monkeypatch.chdir(tmp_path)
    line = _one_line(CliRunner().invoke(main, ["run", "--report", ""]))
    assert line == f"Error: configuration: {pyproject}:2: not UTF-8 text (byte 0xe9); TOML files are UTF-8"


# ---------------------------------------------------------------------------------------------
# the simulator's control API checks its numbers
# ---------------------------------------------------------------------------------------------


def _control(*bodies: bytes) -> tuple[list[httpx.Response], Any]:
    from conformance.simulators import Simulator
    from conformance.simulators.server import create_app

    sim = Simulator(seed=0)

    async def go() -> list[httpx.Response]:
        transport = httpx.ASGITransport(app=create_app(sim), raise_app_exceptions=False)
        async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1:8000") as client:
            return [await client.post("/_simulator/faults", content=b) for b in bodies]

    return asyncio.run(go()), sim


@pytest.mark.parametrize("body,field,allowed", [
    (b'{"fault": "latency", "seconds": 1e308}', "seconds", "a finite number from 0 to 60"),
    (b'{"fault": "latency", "seconds": 1e999}', "seconds", "a finite number from 0 to 60"),
    (b'{"fault": "latency", "seconds": NaN}', "seconds", "a finite number from 0 to 60"),
    (b'{"fault": "latency", "seconds": -1}', "seconds", "a finite number from 0 to 60"),
    (b'{"fault": "latency", "seconds": true}', "seconds", "a finite number from 0 to 60"),
    (b'{"fault": "latency", "seconds": "0.5"}', "seconds", "a finite number from 0 to 60"),
    (b'{"fault": "timeout", "served_seconds": 1e308}', "served_seconds", "a finite number from 0 to 60"),
    (b'{"fault": "rate_limit", "times": -1}', "times", "a whole number >= 0, or null"),
    (b'{"fault": "rate_limit", "times": 1.5}', "times", "a whole number >= 0, or null"),
    (b'{"fault": "rate_limit", "times": true}', "times", "a whole number >= 0, or null"),
    (b'{"fault": "rate_limit", "retry_after": NaN}', "retry_after", "a finite number from 0 to 3600"),
    (b'{"fault": "truncated_body", "fraction": 2}', "fraction", "a finite number from 0 to 1"),
    (b'{"fault": "server_error", "status": 200}', "status", "a whole number from 500 to 599"),
    (b'{"fault": "wrong_content_type", "content_type": "a\\r\\nb: c"}', "content_type", "printable ASCII"),
    (b'{"fault": "latency", "speed": 2}', "speed", "its options: seconds"),
    (b'{"fault": 5}', "fault", "a fault name"),
])
def test_the_control_api_refuses_numbers_it_cannot_honour(body: bytes, field: str, allowed: str) -> None:
    (r,), sim = _control(body)
    assert r.status_code == 400, r.text
    assert r.json()["field"] == field and allowed in r.json()["error"], r.json()
    assert sim.faults == []


@pytest.mark.parametrize("body", [b"[" * 100_000, b"[1, 2]", b'"latency"', b"{oops"])
def test_the_control_api_refuses_a_body_that_is_not_an_object(body: bytes) -> None:
    (r,), sim = _control(body)
    assert r.status_code == 400 and r.json()["field"] is None and r.json()["error"].startswith("the body")
    assert sim.faults == []


def test_the_control_api_takes_values_in_range() -> None:
    responses, sim = _control(b'{"fault": "latency", "seconds": 0.5, "times": 3}',
                              b'{"fault": "latency", "seconds": 60, "times": 0}',
                              b'{"fault": "rate_limit", "retry_after": 0, "times": null}',
                              b'{"fault": "wrong_sample_rate", "sample_rate": 8000}')
    assert [r.status_code for r in responses] == [201] * 4, [r.text for r in responses]
    assert [(f.key, f.times) for f in sim.faults] == [("latency", 3), ("latency", 0), ("rate_limit", None),
                                                      ("wrong_sample_rate", 1)]
    assert sim.faults[0].seconds == 0.5 and sim.faults[1].seconds == 60


def test_faults_made_in_python_are_checked_too() -> None:
    from conformance.simulators import Simulator, faults

    with pytest.raises(faults.FaultOptionError, match="seconds must be a finite number from 0 to 60"):
        faults.latency(float("nan"))
    sim = Simulator("novita", seed=0)
    with pytest.raises(faults.FaultOptionError, match="times must be a whole number >= 0"):
        sim.inject("latency", times=-1)
    with pytest.raises(faults.FaultOptionError, match="seconds must be a finite number"):
        sim.inject(faults.latency(0.1), seconds=1e308)  # options given with an instance
    assert sim.faults == []
