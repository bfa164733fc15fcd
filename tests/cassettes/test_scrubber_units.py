"""The scrubber piece by piece: which headers, query parameters and JSON fields it treats as secret,
how it keeps an authorization scheme, what it learns for later echoes, and when it leaves a body's bytes
alone. (Recording end to end: test_core.py and test_recorded.py.)"""

from __future__ import annotations

import json
from types import SimpleNamespace

from conformance.cassettes.scrub import PLACEHOLDER, Scrubber

KEY = "sk-live-0123456789"


def scrubber(*secrets: str) -> Scrubber:
    return Scrubber(secrets, from_env=False)


def test_a_secret_header_keeps_its_scheme_and_teaches_the_value() -> None:
    for scheme in ("Bearer", "bearer", "Basic", "Token"):
        s = scrubber()
        assert s.header("Authorization", f"{scheme} {KEY}") == f"{scheme} {PLACEHOLDER}"
        assert s.text(f"echo {KEY}") == f"echo {PLACEHOLDER}"  # learned
    s = scrubber()
    assert s.header("xi-api-key", f"  {KEY}  ") == PLACEHOLDER and KEY in s.secrets  # stripped, then learned
    assert s.header("X-Api-Key", "Digest abcdef") == PLACEHOLDER and "Digest abcdef" in s.secrets
    plain = scrubber(KEY)
    assert plain.header("x-request-id", f"id {KEY}") == f"id {PLACEHOLDER}"  # any header loses known secrets
    assert plain.header("x-request-id", "abc") == "abc"


def test_short_values_and_the_placeholder_are_never_learned() -> None:
    s = scrubber("abc", PLACEHOLDER, "", None)  # type: ignore[arg-type]
    assert s.secrets == set()
    s.register("abcd")
    assert s.secrets == {"abcd"}  # four characters is the least a secret may be
    assert Scrubber(placeholder="XX", from_env=False).placeholder == "XX"


def test_query_secrets_become_the_placeholder_and_are_learned() -> None:
    s = scrubber()
    url = s.url(f"https://api.example/v1/x?key={KEY}&voice=abc&API_KEY=other-secret-9")
    assert url == f"https://api.example/v1/x?key={PLACEHOLDER}&voice=abc&API_KEY={PLACEHOLDER}"
    assert {KEY, "other-secret-9"} <= s.secrets
    assert s.url(f"https://api.example/v1/{KEY}/x") == f"https://api.example/v1/{PLACEHOLDER}/x"  # no query
    assert s.url(f"https://api.example/v1/x?note={KEY}") == f"https://api.example/v1/x?note={PLACEHOLDER}"
    assert s.url("https://api.example/v1/x?a=&b=1") == "https://api.example/v1/x?a=&b=1"  # blanks kept


def test_json_secret_fields_at_any_depth() -> None:
    s = scrubber()
    data = {"key": KEY, "meta": {"token": 123456789, "list": [{"api_key": "nested-secret-1"}]},
            "secret": "", "apikey": None, "note": "fine"}
    out = s.json_value(data)
    assert out == {"key": PLACEHOLDER, "meta": {"token": PLACEHOLDER, "list": [{"api_key": PLACEHOLDER}]},
                   "secret": "", "apikey": None, "note": "fine"}
    assert {KEY, "123456789", "nested-secret-1"} <= s.secrets and "" not in s.secrets
    assert s.json_value(["x", f"has {KEY}", 5, True]) == ["x", f"has {PLACEHOLDER}", 5, True]


def test_a_body_is_rewritten_only_when_a_secret_was_in_it() -> None:
    s = scrubber()
    assert s.body(None) is None and s.body(b"") == b"" and s.body("") == b""
    doc = {"key": KEY, "text": "héllo"}
    out = s.body(json.dumps(doc).encode(), "application/json")
    assert out == json.dumps({"key": PLACEHOLDER, "text": "héllo"}, separators=(",", ":"), ensure_ascii=False).encode()
    clean = b'{ "text" : "unchanged spacing" }'
    assert s.body(clean, "application/json") == clean  # nothing secret: the bytes as they were
    assert s.body(b'{"key": "' + KEY.encode() + b'"}', "") == b'{"key":"' + PLACEHOLDER.encode() + b'"}'  # by shape
    assert s.body(f"plain {KEY}".encode(), "text/plain") == f"plain {PLACEHOLDER}".encode()
    assert s.body(b'{"broken": ', "application/json") == b'{"broken": '  # not JSON: scrubbed as bytes
    assert s.body(f'{{"broken": "{KEY}'.encode(), "application/json") == f'{{"broken": "{PLACEHOLDER}'.encode()
    deep = ("[" * 150 + "]" * 150).encode()
    assert s.body(deep, "application/json") == deep  # too deep to walk: bytes
    assert s.body(f"str {KEY}", "text/plain") == f"str {PLACEHOLDER}".encode()  # str bodies too


def test_a_request_is_copied_scrubbed_and_its_length_fixed() -> None:
    s = scrubber()
    body = json.dumps({"key": KEY, "text": "hi"}).encode()
    req = SimpleNamespace(headers={"Authorization": f"Bearer {KEY}", "Content-Type": "application/json",
                                   "Content-Length": str(len(body))},
                          uri=f"https://api.example/x?token={KEY}", body=body)
    out = s.request(req)
    assert out is not req and req.body == body and req.headers["Authorization"] == f"Bearer {KEY}"
    assert out.headers["Authorization"] == f"Bearer {PLACEHOLDER}"
    assert out.uri == f"https://api.example/x?token={PLACEHOLDER}"
    assert json.loads(out.body) == {"key": PLACEHOLDER, "text": "hi"}
    assert out.headers["Content-Length"] == str(len(out.body))
    same = SimpleNamespace(headers={"Content-Type": "text/plain"}, uri="https://api.example/x", body=b"hello")
    kept = s.request(same)
    assert kept.body == b"hello" and "Content-Length" not in kept.headers


def test_a_response_is_scrubbed_header_by_header_and_its_length_fixed() -> None:
    s = scrubber(KEY)
    body = json.dumps({"detail": f"invalid key {KEY}"}).encode()
    resp = {"status": {"code": 401}, "headers": {"Content-Type": ["application/json"], "Content-Length": [str(len(body))],
                                                 "Set-Cookie": ["session=abcdef123"], "X-Echo": KEY},
            "body": {"string": body}}
    out = s.response(resp)
    assert out["headers"]["Set-Cookie"] == [PLACEHOLDER] and out["headers"]["X-Echo"] == [PLACEHOLDER]
    assert json.loads(out["body"]["string"]) == {"detail": f"invalid key {PLACEHOLDER}"}
    assert out["headers"]["Content-Length"] == [str(len(out["body"]["string"]))]
    assert resp["body"]["string"] == body  # the original is left as it was
    quiet = {"status": {"code": 200}, "headers": {"Content-Length": ["5"]}, "body": {"string": b"hello"}}
    assert s.response(quiet)["headers"]["Content-Length"] == ["5"] and s.response(quiet)["body"]["string"] == b"hello"
    assert s.response({"status": {"code": 204}, "headers": {}, "body": {"string": b""}})["body"]["string"] == b""
