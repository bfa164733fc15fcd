"""What a simulator answers (:class:`SimResponse`), and what a transport needs of the simulator that answers.

The lowest module of the simulators: the respx mount and the ASGI server turn answers into
responses without knowing the simulator's class (:class:`Answerer`).
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any, Protocol

import httpx


class Answerer(Protocol):
    """What the transports need: an answer for a request, and the hosts answered for."""

    files_base: str

    def handle(self, request: httpx.Request) -> SimResponse: ...

    def hosts(self) -> Iterable[str]: ...


@dataclass
class SimResponse:
    """What the simulator answers. The adapters turn it into an httpx response or ASGI messages.

    ``delay``: seconds to wait before answering. ``timeout``: give no answer (hold ``hold`` seconds
    over HTTP). ``send_bytes``: send only this many body bytes while announcing the full length.
    """

    status: int
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0
    timeout: bool = False
    timeout_after: float = 0.0
    hold: float = 0.0
    send_bytes: int | None = None
    chunk_size: int = 0  # > 0: streamed in chunks of this size over HTTP
    faults: list[str] = field(default_factory=list)
    error: bool = False  # the provider's documented error (its status may be 200, as some providers' are)

    @property
    def content_type(self) -> str:
        return self.headers.get("content-type", "")

    @property
    def is_json(self) -> bool:
        return "json" in self.content_type

    def json(self) -> Any:
        return json.loads(self.body)
