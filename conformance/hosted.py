"""Audio files hosted by the kit itself, for parameters that take a URL (audio the provider fetches).

Strategies and tests put bytes here and get a URL on a reserved host; the simulators serve those
URLs (and probe them for the duration and format rules). For a gateway outside the process,
:class:`FileServer` serves the same files over loopback HTTP and :func:`rebase` moves URLs there.
"""

from __future__ import annotations

import hashlib

HOST = "https://audio.voice-conformance.test"
PUBLIC_BASE_ENV = "VOICE_CONFORMANCE_AUDIO_BASE"  # public URL of the file server, for live providers
BIND_ENV = "VOICE_CONFORMANCE_AUDIO_BIND"  # host:port the file server listens on

_files: dict[str, bytes] = {}


def host(data: bytes, ext: str = "wav") -> str:
    """A stable URL for ``data`` (named by its SHA-256), served by the simulators."""
    url = f"{HOST}/{hashlib.sha256(data).hexdigest()[:24]}.{ext.lstrip('.')}"
    _files[url] = data
    return url


def lookup(url: str) -> bytes | None:
    """The bytes behind a hosted URL, or ``None``."""
    return _files.get(url)


def clear() -> None:
    _files.clear()


def rebase(url: str, base: str) -> str:
    """``url`` on the reserved host moved to ``base`` (where :func:`serve` answers); other URLs unchanged."""
    return base.rstrip("/") + url[len(HOST):] if url.startswith(HOST + "/") else url


class FileServer:
    """The hosted files over real HTTP (GET and HEAD), for targets outside the process: a gateway on
    this machine fetches the audio URLs the suite sends from here. Stop it with :meth:`close`."""

    def __init__(self, host: str = "127.0.0.1", port: int = 0) -> None:
        import threading
        from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

        class Handler(BaseHTTPRequestHandler):
            disable_nagle_algorithm = True  # the body goes out without waiting for the headers' ACK

            def _answer(self, body: bool) -> None:
                data = _files.get(HOST + self.path.split("?", 1)[0])
                if data is None:
                    self.send_error(404)
                    return
                self.send_response(200)
                ext = self.path.rsplit(".", 1)[-1]
                self.send_header("Content-Type", {"wav": "audio/wav", "mp3": "audio/mpeg", "ogg": "audio/ogg",
                                                  "flac": "audio/flac"}.get(ext, "application/octet-stream"))
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                if body:
                    self.wfile.write(data)

            def do_GET(self) -> None:
                self._answer(True)

            def do_HEAD(self) -> None:
                self._answer(False)

            def log_message(self, format: str, *args: object) -> None:
                pass

        self._server = ThreadingHTTPServer((host, port), Handler)
        self._server.daemon_threads = True
        self.base_url = f"http://{host}:{self._server.server_address[1]}"
        self._thread = threading.Thread(target=self._server.serve_forever, name="hosted-files", daemon=True)
        self._thread.start()

    @classmethod
    def from_env(cls, default_port: int = 0) -> FileServer:
        """A server on ``$VOICE_CONFORMANCE_AUDIO_BIND`` (``host:port``), else loopback on ``default_port``."""
        import os

        bind = os.environ.get(BIND_ENV)
        if not bind:
            return cls("127.0.0.1", default_port)
        host, sep, port = bind.rpartition(":")
        if not sep or not port.isdigit() or not host:
            raise ValueError(f"{BIND_ENV}={bind!r}: expected host:port, e.g. 0.0.0.0:8765")
        return cls(host, int(port))

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def __enter__(self) -> FileServer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
