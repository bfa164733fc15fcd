"""Nothing the kit writes or prints holds a secret, in any form, when the other side echoes it back.

A loopback gateway (:mod:`tests.hostile_gateway`) forwards to the simulators and echoes the caller's
key in headers, JSON fields, error codes and request ids, the content type, base64, Basic, percent-
encoded and hex, and compresses its answers under every spelling of ``Content-Encoding``. The suite
runs through it with cassettes recording and ``-v``; ``compare`` runs through it; the target URL
carries credentials. Every file written and every line printed is searched for each sentinel, as is,
encoded, and inside gzip/zlib streams.
"""

from __future__ import annotations

import gzip
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from conformance.cassettes.scrub import Scrubber, UnscrubbableBody, decode_content
from conformance.secrets import forms, mask
from tests.hostile_gateway import Gateway, encodings, leaks

pytest_plugins = ["pytester"]

ROOT = Path(__file__).resolve().parents[1]
CLI = [sys.executable, "-m", "conformance.cli"]

KEYS = {"ELEVENLABS_API_KEY": "sentinel-eleven-Zq7x/+9=", "NOVITA_API_KEY": "sentinel-novita-Wb3k",
        "MODELSLAB_API_KEY": "sentinel-modelslab-Hd5m", "FASEEH_API_KEY": "sentinel-faseeh-Pv2n"}
URL_PASSWORD = "sentinel-urlpass-Ky8r"
URL_TOKEN = "sentinel-urltoken-Jt4s"
CONFIG_SECRET = "sentinel-config-Rm6q"
ALL = {**KEYS, "url password": URL_PASSWORD, "url token": URL_TOKEN, "secrets_env": CONFIG_SECRET}


def _env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.endswith(("_API_KEY", "_TOKEN"))}
    return {**env, **KEYS, "GATEWAY_SHARED_SECRET": CONFIG_SECRET, "PYTHONPATH": str(ROOT)}


def _found(root: Path, printed: dict[str, bytes]) -> dict[str, set[str]]:
    found: dict[str, set[str]] = {}
    for path in sorted(root.rglob("*")):
        if path.is_file():
            for leak in leaks(path.read_bytes(), ALL):
                found.setdefault(str(path.relative_to(root)), set()).add(leak)
    for name, data in printed.items():
        for leak in leaks(data, ALL):
            found.setdefault(name, set()).add(leak)
    return found


@pytest.fixture(scope="module")
def gateway():
    from conformance.simulators.core import Simulator
    from conformance.simulators.server import serve_in_thread

    with serve_in_thread(Simulator()) as upstream, Gateway(upstream.base_url) as gw:
        yield gw


@pytest.mark.long
def test_a_run_recording_through_an_echoing_gateway_writes_and_prints_no_secret(gateway: Gateway, tmp_path: Path) -> None:
    (tmp_path / "voice-conformance.toml").write_text('secrets_env = ["GATEWAY_SHARED_SECRET"]\n')
    target = gateway.url.replace("http://", f"http://gateway-user:{URL_PASSWORD}@")
    proc = subprocess.run(
        [*CLI, "run", "--target", f"url={target}", "--record-mode", "rewrite", "--cassette-dir", "cassettes", "-v",
         "-k", "ignored_auth or positive_data_acceptance or test_flow or model_one_of", "--", "-l", "--tb=long"],
        cwd=tmp_path, env=_env(), capture_output=True, timeout=600)
    assert gateway.requests > 20  # the run went through the gateway, answers compressed and echoing
    assert list((tmp_path / "cassettes").rglob("*.yaml")), proc.stdout.decode()[-2000:]
    assert (tmp_path / "reports" / "conformance.jsonl").stat().st_size > 0
    # the run failed checks the gateway broke (its echoes change the error bodies): failures print more
    assert proc.returncode == 1, proc.stderr.decode()[-2000:]
    assert b"Failed" in proc.stdout or b"FAILED" in proc.stdout
    found = _found(tmp_path, {"stdout": proc.stdout, "stderr": proc.stderr})
    assert not found, "\n".join(f"{where}: {', '.join(sorted(what))}" for where, what in found.items())


@pytest.mark.long
def test_compare_through_an_echoing_gateway_writes_and_prints_no_secret(gateway: Gateway, tmp_path: Path) -> None:
    target = gateway.url.replace("http://", f"http://{URL_PASSWORD}@")  # a token as the URL's user name
    before = gateway.requests
    proc = subprocess.run([*CLI, "compare", "--target", f"url={target}", "--providers", "novita,elevenlabs",
                           "--voices", "1", "--texts", "2", "--output", "out/compare.html"],
                          cwd=tmp_path, env=_env(), capture_output=True, timeout=600)
    assert gateway.requests > before
    assert (tmp_path / "out" / "compare.html").is_file(), proc.stderr.decode()[-2000:]
    found = _found(tmp_path, {"stdout": proc.stdout, "stderr": proc.stderr})
    assert not found, "\n".join(f"{where}: {', '.join(sorted(what))}" for where, what in found.items())


def test_credentials_in_the_target_url_are_masked_in_every_output(tmp_path: Path) -> None:
    target = f"url=http://gateway-user:{URL_PASSWORD}@127.0.0.1:9/?token={URL_TOKEN}&region=eu"
    proc = subprocess.run([*CLI, "run", "--target", target, "--providers", "novita", "-k", "ignored_auth"],
                          cwd=tmp_path, env=_env(), capture_output=True, timeout=600)
    out = proc.stdout.decode() + proc.stderr.decode()
    assert "127.0.0.1:9" in out and "region=eu" in out  # the target is shown, its credentials are not
    lines = [json.loads(x) for x in (tmp_path / "reports" / "conformance.jsonl").read_text().splitlines()]
    run = next(x for x in lines if x.get("kind") == "run")
    assert "127.0.0.1:9" in json.dumps(run)
    found = _found(tmp_path, {"stdout": proc.stdout, "stderr": proc.stderr})
    assert not found, found
    # a bad target naming a credential is refused without printing it
    proc = subprocess.run([*CLI, "run", "--target", f"url=ftp://u:{URL_PASSWORD}@host/"], cwd=tmp_path,
                          env=_env(), capture_output=True, timeout=120)
    assert proc.returncode == 2 and b"ftp://u:***@host" in proc.stderr
    assert not _found(tmp_path, {"stderr": proc.stderr})


# ---------------------------------------------------------------------------------------------
# the pieces, each on its own
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("coding", ["GZIP", "identity, gzip", "gzip", "Deflate", "gzip, deflate"])
def test_compressed_answers_are_recorded_decoded_and_scrubbed(coding: str) -> None:
    import zlib

    key = "sentinel-cassette-Qw9e"
    body = json.dumps({"detail": {"message": f"bad key {key}", "b64": encodings(key)["base64"]}}).encode()
    data = body
    for name in [c.strip().lower() for c in coding.split(",")]:
        data = gzip.compress(data) if name == "gzip" else zlib.compress(data) if name == "deflate" else data
    response = {"status": {"code": 401}, "headers": {"Content-Encoding": [coding], "Content-Length": [str(len(data))],
                                                      "Content-Type": ["application/json"]},
                "body": {"string": data}}
    out = Scrubber([key], from_env=False).response(response)
    stored = out["body"]["string"]
    assert b"bad key REDACTED" in stored and not list(leaks(stored, {"key": key}))
    assert not any(k.lower() == "content-encoding" for k in out["headers"])
    assert out["headers"]["Content-Length"] == [str(len(stored))]


@pytest.mark.parametrize("coding", ["br-unknown", "x-gzip", "compress"])
def test_a_body_in_an_encoding_the_client_does_not_decode_is_not_recorded(coding: str) -> None:
    response = {"status": {"code": 200}, "headers": {"content-encoding": [coding]}, "body": {"string": b"\x1f\x8b..."}}
    with pytest.raises(UnscrubbableBody, match=f"Content-Encoding '{coding}'"):
        Scrubber(from_env=False).response(response)


def test_a_gzip_body_that_does_not_decode_is_not_recorded() -> None:
    response = {"status": {"code": 200}, "headers": {"Content-Encoding": ["gzip"]}, "body": {"string": b"not gzip"}}
    with pytest.raises(UnscrubbableBody, match="does not decode"):
        decode_content(response)


def test_a_compression_bomb_is_refused_before_it_expands(monkeypatch: pytest.MonkeyPatch) -> None:
    from conformance.cassettes import scrub

    monkeypatch.setattr(scrub, "MAX_DECODED", 1 << 20)
    bomb = gzip.compress(b"\0" * (4 << 20))
    with pytest.raises(UnscrubbableBody, match="expands past"):
        decode_content({"status": {"code": 200}, "headers": {"Content-Encoding": "gzip"}, "body": {"string": bomb}})
    fits = gzip.compress(b"\0" * (1 << 20))
    assert len(decode_content({"headers": {"Content-Encoding": "gzip"}, "body": {"string": fits}})["body"]["string"]) == 1 << 20


@pytest.mark.parametrize("form", ["plain", "base64", "base64url", "basic", "percent", "hex"])
def test_every_encoded_form_of_a_secret_is_masked(form: str) -> None:
    key = "sentinel-forms-Ab1/+=?&"
    value = encodings(key)[form]
    for text in (value, f"prefix {value} suffix", f'{{"echo": "{value}"}}'):
        assert not list(leaks(mask(text, [key], env=False).encode(), {"k": key})), (form, text)


def test_base64_of_a_secret_is_masked_at_every_byte_alignment() -> None:
    import base64

    key = "sentinel-align-Xy7"
    for before in range(6):
        for after in range(3):
            blob = base64.b64encode(b"p" * before + key.encode() + b"s" * after).decode()
            masked = mask(blob, [key], env=False)
            assert masked.count("***") == 1, (before, after, masked)
            # what is left is the surrounding bytes' characters and at most two shared with the key
            assert len(masked) - 3 <= -(-(before + after) * 4 // 3) + 2 + 2, (before, after, masked)


def test_short_and_ordinary_values_do_not_mask_text() -> None:
    assert mask("the key is abc", ["abc"], env=False) == "the key is abc"  # shorter than MIN_SECRET
    assert all(len(f) >= 8 for f in forms("abcd") if f != "abcd")


def test_client_errors_mask_every_field_a_provider_filled(monkeypatch: pytest.MonkeyPatch) -> None:
    from conformance.clients.errors import NotFound, ProtocolError

    key = "sentinel-error-Lp4c"
    monkeypatch.setenv("ELEVENLABS_API_KEY", key)
    err = NotFound(404, f"code-{key}", f"voice not found ({encodings(key)['base64']})", f"rid-{key}",
                   body={"detail": {"request_id": key}})
    for text in (str(err), repr(err), str(err.code), str(err.request_id), err.message, json.dumps(err.body)):
        assert not list(leaks(text.encode(), {"k": key})), text
    perr = ProtocolError(f"malformed {encodings(key)['percent']}", excerpt=f"... {key} ...")
    assert not list(leaks((str(perr) + str(perr.excerpt)).encode(), {"k": key}))


def test_pytest_output_masks_assertion_text_and_captured_output(pytester: pytest.Pytester,
                                                                monkeypatch: pytest.MonkeyPatch) -> None:
    key = "sentinel-pytest-Mn8v"
    monkeypatch.setenv("NOVITA_API_KEY", key)
    pytester.makepyfile(f"""
        import base64
        def test_echo():
            body = {{"message": "bad key {key}", "b64": base64.b64encode(b"{key}").decode()}}
            print("captured", "{key}")
            assert body["message"] == "ok"
    """)
    result = pytester.runpytest_subprocess("-v", "-l", "--tb=long")
    result.assert_outcomes(failed=1)
    text = "\n".join(result.outlines + result.errlines)
    assert "bad key ***" in text and "captured ***" in text
    assert not list(leaks(text.encode(), {"k": key}))


def test_drift_reads_inside_a_cassette_recorded_compressed(tmp_path: Path) -> None:
    from conformance.cassettes.drift import observe
    from conformance.cassettes.store import write_sidecar, write_yaml

    body = gzip.compress(json.dumps({"demo_audio": "https://x/a.mp3", "voice_id": "v1"}).encode())
    digest = write_sidecar(tmp_path / "bodies", body)  # stored as an older recorder kept it: compressed
    write_yaml(tmp_path / "old.yaml", {"version": 1, "metadata": {}, "interactions": [{
        "request": {"method": "POST", "uri": "https://api.novita.ai/v3/minimax-voice-cloning", "headers": {},
                    "body": None},
        "response": {"status": {"code": 200}, "headers": {"Content-Type": ["application/json"],
                                                          "Content-Encoding": ["GZIP"]},
                     "body": {"sidecar": f"bodies/{digest}.bin", "sha256": digest, "size": len(body)}}}]})
    fields = {f.split(".")[-1] for ob in observe(tmp_path).values() for f in ob.fields}
    assert {"demo_audio", "voice_id"} <= fields, fields
