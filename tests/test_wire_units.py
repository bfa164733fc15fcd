"""The wire format piece by piece: content types and file names of uploads, plain values, the
multipart parser the simulators read uploads with, bearer tokens, and the route table."""

from __future__ import annotations

import httpx
import pytest

from conformance import spec
from conformance.spec import wire
from conformance.spec.model import AudioInput


def _audio(fmt: str | None, filename: str | None = None) -> AudioInput:
    info = None if fmt is None else type("Info", (), {"format": fmt})()
    return AudioInput(kind="file", data=b"x", filename=filename, info=info)  # type: ignore[arg-type]


@pytest.mark.parametrize("fmt,ctype", [("wav", "audio/wav"), ("mp3", "audio/mpeg"), ("ogg", "audio/ogg"),
                                       ("flac", "audio/flac"), ("m4a", "audio/mp4"), ("aac", "audio/aac"),
                                       ("raw", "application/octet-stream"), (None, "application/octet-stream")])
def test_an_upload_carries_its_formats_content_type(fmt: str | None, ctype: str) -> None:
    assert wire._content_type_for(_audio(fmt)) == ctype


def test_an_upload_is_named_after_its_file_else_its_parameter_and_format() -> None:
    assert wire._filename_for("audio", _audio("wav", "me.wav")) == "me.wav"
    assert wire._filename_for("audio", _audio("mp3")) == "audio.mp3"
    assert wire._filename_for("audio", _audio("raw")) == "audio.bin"
    assert wire._filename_for("file", _audio(None)) == "file.bin"


def test_plain_values_are_written_as_a_server_reads_them() -> None:
    assert [wire._plain(v) for v in (True, False, {"a": 1}, [1, "b"], 3, 0.5, "x")] == [
        "true", "false", '{"a": 1}', '[1, "b"]', "3", "0.5", "x"]


def _multipart(parts: dict, files: dict | None = None) -> tuple[str, bytes]:
    req = httpx.Request("POST", "https://x/y", data=parts, files=files or {"": (None, b"", None)})
    body = req.read()
    return req.headers["content-type"], body


def test_multipart_fields_and_files_come_back_as_sent() -> None:
    ctype, body = _multipart({"text": "héllo", "n": "3"}, {"audio": ("a.wav", b"RIFF\x00data", "audio/wav")})
    fields, files = wire.parse_multipart(ctype, body)
    assert fields == {"text": "héllo", "n": "3"}
    assert files == {"audio": ("a.wav", b"RIFF\x00data")}
    ctype, body = _multipart({"only": "field"})
    fields, files = wire.parse_multipart(ctype, body)
    assert fields["only"] == "field" and files == {}
    with pytest.raises(ValueError, match="without a boundary"):
        wire.parse_multipart("multipart/form-data", body)


def test_a_bearer_value_gives_its_key_and_a_bare_scheme_gives_none() -> None:
    assert wire.bearer_token("Bearer sk-123") == "sk-123"
    assert wire.bearer_token("bearer   sk-123  ") == "sk-123"
    assert wire.bearer_token("Bearer") is None and wire.bearer_token("Bearer    ") is None
    assert wire.bearer_token("") is None and wire.bearer_token("   ") is None
    assert wire.bearer_token("sk-raw-key") == "sk-raw-key"


def test_each_documented_path_routes_to_its_endpoint_with_its_path_values() -> None:
    for ep in spec.endpoints():
        path = ep.path
        values = {}
        for name in __import__("re").findall(r"{(\w+)}", path):
            values[name] = f"v%2F{name}"  # quoted: a value holding a slash stays one segment
            path = path.replace("{" + name + "}", values[name])
        found = wire.match_endpoint(ep.method.lower(), path)
        assert found is not None and found[0].id == ep.id, ep.id
        assert found[1] == {k: v.replace("%2F", "/") for k, v in values.items()}
        assert wire.match_endpoint(ep.method, path + "/") is not None  # a trailing slash is the same path
    assert wire.match_endpoint("GET", "/no/such/path") is None
    ep = spec.endpoints()[0]
    other = "DELETE" if ep.method != "DELETE" else "PATCH"
    assert wire.match_endpoint(other, ep.path.replace("{", "").replace("}", "")) is None
