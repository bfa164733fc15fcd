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


# decode_content: every coding the recorded client decodes, undone in order, its headers fixed -----------

def _response(data: bytes | str, coding: object, **headers: object) -> dict:
    return {"status": {"code": 200}, "headers": {"Content-Encoding": coding, **headers}, "body": {"string": data}}


def test_a_response_without_a_content_encoding_is_returned_as_it_is() -> None:
    from conformance.cassettes.scrub import decode_content

    response = {"status": {"code": 200}, "headers": {"Content-Type": ["text/plain"]}, "body": {"string": b"x"}}
    assert decode_content(response) is response
    bare = {"status": {"code": 204}}
    assert decode_content(bare) is bare


def test_each_coding_is_undone_last_applied_first_and_the_headers_follow() -> None:
    import gzip
    import zlib

    from conformance.cassettes.scrub import decode_content

    text = b'{"echo": "' + b"x" * 300 + b'"}'
    raw_deflate = zlib.compressobj(9, zlib.DEFLATED, -zlib.MAX_WBITS)
    raw = raw_deflate.compress(text) + raw_deflate.flush()
    cases = {  # the header as sent, the body as it travelled
        "gzip": gzip.compress(text),
        "GZIP": gzip.compress(text),
        "deflate": zlib.compress(text),  # zlib-wrapped, as the RFC says
        "Deflate": raw,  # raw deflate, as some servers send it
        "identity": text,
        "identity, gzip": gzip.compress(text),
        "deflate, gzip": gzip.compress(zlib.compress(text)),  # deflate first, then gzip
        "gzip, deflate": zlib.compress(gzip.compress(text)),
        "gzip,": gzip.compress(text),  # an empty item is no coding
    }
    for coding, body in cases.items():
        for form in (coding, [coding]):
            out = decode_content(_response(body, form, **{"Content-Length": [str(len(body))],
                                                          "Content-Type": ["application/json"]}))
            assert out["body"]["string"] == text, coding
            assert "Content-Encoding" not in out["headers"], coding
            assert out["headers"]["Content-Length"] == [str(len(text))] and \
                out["headers"]["Content-Type"] == ["application/json"], coding
            assert out["status"] == {"code": 200}
    # a plain string length, a header in any case, two headers of the coding, a text body
    out = decode_content({"headers": {"content-encoding": "gzip", "CONTENT-ENCODING": ["identity"],
                                      "content-length": "99"}, "body": {"string": gzip.compress(text)}})
    assert out["headers"] == {"content-length": str(len(text))} and out["body"]["string"] == text
    out = decode_content(_response("plain text", "identity"))
    assert out["body"]["string"] == b"plain text" and out["headers"] == {}


def test_an_empty_body_stays_empty_and_its_coding_header_goes() -> None:
    from conformance.cassettes.scrub import decode_content

    for body in (b"", "", None):
        out = decode_content({"headers": {"Content-Encoding": ["gzip"], "Content-Length": ["0"]},
                              "body": {"string": body}})
        assert out["body"]["string"] == b"" and out["headers"] == {"Content-Length": ["0"]}
    out = decode_content({"headers": {"Content-Encoding": "gzip"}})
    assert out["body"] == {"string": b""} and out["headers"] == {}


def test_codings_that_cannot_be_undone_are_named() -> None:
    import gzip

    import pytest

    from conformance.cassettes.scrub import UnscrubbableBody, decode_content

    with pytest.raises(UnscrubbableBody, match=r"Content-Encoding 'compress' cannot be decoded, so its secrets "
                                               r"cannot be scrubbed; it is not recorded"):
        decode_content(_response(gzip.compress(b"x"), "gzip, compress"))
    for coding, body in (("gzip", b"not gzip"), ("deflate", b"not deflate at all")):
        with pytest.raises(UnscrubbableBody, match=rf"a response body marked Content-Encoding '{coding}' does not "
                                                   r"decode \(.+\); it is not recorded"):
            decode_content(_response(body, coding))


def test_a_body_inflates_to_the_cap_and_not_one_byte_past_it(monkeypatch) -> None:
    import gzip
    import zlib

    import pytest

    from conformance.cassettes import scrub

    monkeypatch.setattr(scrub, "MAX_DECODED", 3 * 2**20)
    for compress, coding in ((gzip.compress, "gzip"), (zlib.compress, "deflate")):
        at = scrub.decode_content(_response(compress(b"\0" * (3 * 2**20)), coding))
        assert len(at["body"]["string"]) == 3 * 2**20
        with pytest.raises(scrub.UnscrubbableBody, match=r"^a compressed body expands past 3 MB$"):
            scrub.decode_content(_response(compress(b"\0" * (3 * 2**20 + 1)), coding))


def test_the_decoders_are_httpxs_with_brotli_and_zstd_when_installed() -> None:
    import importlib.util

    from conformance.cassettes.scrub import _decoders

    found = _decoders()
    assert {"identity", "gzip", "deflate"} <= set(found) and found["identity"](b"ab") == b"ab"
    assert ("br" in found) == (importlib.util.find_spec("brotli") is not None)
    assert ("zstd" in found) == (importlib.util.find_spec("zstandard") is not None)


# what the scrubber knows, how it tells JSON, and what it leaves as it was ---------------------------------

def test_it_knows_the_provider_keys_in_the_environment_and_nothing_else_from_there(monkeypatch) -> None:
    """``from_env``: the providers' key variables (absent ones register nothing); other credentials in the
    environment are the console's and the report's to mask, not a cassette's (whose bodies must replay)."""
    from conformance.secrets import key_env_vars

    for var in key_env_vars():
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("UNRELATED_API_KEY", "unrelated-value-123")
    assert Scrubber().secrets == set() and Scrubber().text("XXXX ") == "XXXX "
    monkeypatch.setenv(key_env_vars()[0], KEY)
    s = Scrubber()
    assert s.secrets == {KEY}
    for scrub in (s, scrubber()):
        assert scrub.text("unrelated-value-123") == "unrelated-value-123"
        assert scrub.raw(b"unrelated-value-123") == b"unrelated-value-123"
    assert scrubber().text(KEY) == KEY  # from_env=False: not even the provider's key


def test_a_scheme_is_the_first_word_of_the_header_value() -> None:
    s = scrubber()
    assert s.header("Authorization", f"Bearer {KEY} extra") == f"Bearer {PLACEHOLDER}"
    assert s.text(f"{KEY} extra") == PLACEHOLDER  # the whole rest was learned


def test_json_is_told_by_its_content_type_in_any_case_or_by_its_first_byte() -> None:
    """A JSON body's secret fields go whatever their value; a body that is not JSON loses known values only."""
    body = b'  {"api_key": "never-seen-before", "n": "\\u00e9t\\u00e9"}'
    for ctype in ("application/json", "Application/JSON; charset=utf-8", "application/vnd.x+json"):
        assert scrubber().body(body, ctype) == f'{{"api_key":"{PLACEHOLDER}","n":"été"}}'.encode()
    assert scrubber().body(body, "text/plain") == body  # not JSON by its type, nor by its first byte
    assert scrubber().body(b'[{"token": "t-123456"}]', "text/plain") == f'[{{"token":"{PLACEHOLDER}"}}]'.encode()
    assert scrubber().body(b'{"token": "t-123456"}') == f'{{"token":"{PLACEHOLDER}"}}'.encode()


def test_a_request_is_scrubbed_by_its_own_content_type_and_an_unchanged_body_keeps_its_length() -> None:
    body = b' {"api_key": "never-seen-before"}'
    for name in ("Content-Type", "content-type"):
        for value in ("application/json", ["application/json"]):
            req = SimpleNamespace(headers={name: value, "Content-Length": "99"}, uri="https://h/p", body=body)
            out = scrubber().request(req)
            assert out.body == f'{{"api_key":"{PLACEHOLDER}"}}'.encode() and out.headers["Content-Length"] == str(
                len(out.body))
    same = SimpleNamespace(headers={"Content-Type": "text/plain", "Content-Length": "99"}, uri="https://h/p",
                           body=b"nothing secret")
    out = scrubber().request(same)
    assert out.body == b"nothing secret" and out.headers["Content-Length"] == "99"  # left exactly as it came


def test_a_response_keeps_what_it_did_not_change() -> None:
    plain = {"status": {"code": 204}, "body": {"string": b""}}
    assert scrubber().response(plain) == {"status": {"code": 204}, "headers": {}, "body": {"string": b""}}
    text = {"headers": {"Content-Type": ["text/plain"], "Content-Length": ["5"]}, "body": {"string": "hello"}}
    assert scrubber().response(text)["body"] == {"string": "hello"}  # a str body with no secret stays a str
    assert scrubber().response(text)["headers"]["Content-Length"] == ["5"]
    kept = {"headers": {"Content-Type": "application/json"},
            "body": {"string": b' {"token": "t-123456"}', "encoding": "utf-8"}}
    out = scrubber().response(kept)
    assert out["body"] == {"string": f'{{"token":"{PLACEHOLDER}"}}'.encode(), "encoding": "utf-8"}
    assert out["headers"] == {"Content-Type": ["application/json"]}


def test_decoding_keeps_the_bodys_other_keys() -> None:
    import gzip

    from conformance.cassettes.scrub import decode_content

    out = decode_content({"headers": {"Content-Encoding": "gzip"},
                          "body": {"string": gzip.compress(b"abc"), "encoding": "utf-8"}})
    assert out["body"] == {"string": b"abc", "encoding": "utf-8"}


def test_a_bomb_is_inflated_no_further_than_the_cap(monkeypatch) -> None:
    """The decompressor stops at the cap: inflating a 64 MB bomb under a 1 MB cap never holds 64 MB."""
    import gzip
    import tracemalloc

    import pytest

    from conformance.cassettes import scrub

    monkeypatch.setattr(scrub, "MAX_DECODED", 2**20)
    bomb = gzip.compress(b"\0" * (64 * 2**20))
    tracemalloc.start()
    try:
        with pytest.raises(scrub.UnscrubbableBody, match="expands past 1 MB"):
            scrub.decode_content(_response(bomb, "gzip"))
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 8 * 2**20
