"""Audio the kit hosts for URL params: stable URLs, and the same files over real HTTP for a gateway."""

from __future__ import annotations

import httpx
import pytest

from conformance import hosted


def test_hosted_files_are_served_over_http_at_the_rebased_url(monkeypatch: pytest.MonkeyPatch) -> None:
    data = b"RIFF" + bytes(100)
    url = hosted.host(data, "wav")
    assert url.startswith(hosted.HOST + "/") and hosted.host(data, "wav") == url
    with hosted.FileServer() as server:
        moved = hosted.rebase(url, server.base_url)
        assert moved.startswith(server.base_url + "/")
        r = httpx.get(moved)
        assert (r.status_code, r.content, r.headers["content-type"]) == (200, data, "audio/wav")
        head = httpx.head(moved)
        assert head.status_code == 200 and head.headers["content-length"] == str(len(data)) and not head.content
        assert httpx.get(server.base_url + "/nothing.wav").status_code == 404
        # a body goes out at once, not after the client's (delayed) acknowledgement of the headers
        assert server._server.RequestHandlerClass.disable_nagle_algorithm is True
    assert hosted.rebase("https://elsewhere.example/a.wav", "http://x") == "https://elsewhere.example/a.wav"


def test_bind_address_comes_from_the_environment_with_a_clear_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(hosted.BIND_ENV, "127.0.0.1:0")
    with hosted.FileServer.from_env() as server:
        assert server.base_url.startswith("http://127.0.0.1:")
    monkeypatch.setenv(hosted.BIND_ENV, "no-port-here")
    with pytest.raises(ValueError, match="VOICE_CONFORMANCE_AUDIO_BIND='no-port-here': expected host:port"):
        hosted.FileServer.from_env()
