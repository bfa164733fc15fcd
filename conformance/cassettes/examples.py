"""Cassettes built from the providers' published request/response examples (origin ``provider-example``).

Each :class:`Example` is one documented exchange: the request values a provider's docs show, the
response body they show (verbatim, byte for byte), and a source note for both. :func:`build` sends the request
through the kit's reference client to a stand-in transport that answers with the documented body,
recording the exchange with the same scrubbing and sidecars as any cassette; the request the
client sent is checked against the docs' literal body where the docs print one. Where the docs
elide a value (``…``) or send a placeholder (an empty audio file), the stand-in is listed in the
example's ``filled``; nothing else is made up. What the docs document without an example is listed
in :data:`NO_EXAMPLE` and in the index written beside the cassettes.

    python -m conformance.cassettes.examples [OUT]      # default: cassettes/examples

Sources: the providers' own documentation pages, OpenAPI files and SDK code examples, and live
answers users captured and published (each example names its page, thread or commit).
"""

from __future__ import annotations

import json
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ORIGIN = "provider-example"
DEFAULT_KEY = "docs-example-key"  # stands for the docs' key placeholders; scrubbed like any key
INDEX = "INDEX.md"


@dataclass(frozen=True)
class Reply:
    """A documented response: its status and the docs' body, **verbatim** (``text``: the bytes as the docs
    print them, odd spacing and placeholders included), answered with ``content-type: application/json``.

    ``comments``: the docs annotate the JSON with ``// …`` comments; those are cut (nothing else) before
    it is answered, and the cassette's metadata keeps the verbatim text.
    """

    status: int
    text: str
    source: str
    headers: Mapping[str, str] = field(default_factory=dict)
    comments: bool = False

    @property
    def served(self) -> bytes:
        """The bytes the stand-in answers: the verbatim text (without its ``//`` comments, when it has them)."""
        return (strip_line_comments(self.text) if self.comments else self.text).encode()

    @property
    def body(self) -> Any:
        return json.loads(self.served)


def strip_line_comments(text: str) -> str:
    """``text`` without its ``// …`` comments (to the end of the line), and the spaces before them;
    ``//`` inside a JSON string (a URL) is left alone."""
    out: list[str] = []
    i, in_string = 0, False
    while i < len(text):
        ch = text[i]
        if in_string:
            out.append(ch)
            if ch == "\\" and i + 1 < len(text):
                out.append(text[i + 1])
                i += 1
            elif ch == '"':
                in_string = False
        elif ch == '"':
            in_string = True
            out.append(ch)
        elif text.startswith("//", i):
            while out and out[-1] in " \t":
                out.pop()
            while i < len(text) and text[i] != "\n":
                i += 1
            continue
        else:
            out.append(ch)
        i += 1
    return "".join(out)


@dataclass(frozen=True)
class Expect:
    """What the reference client must make of the exchange: a result type with field values, or an
    error class with attribute values."""

    kind: str  # result class name (Job, VoiceResult) or error class name (AuthError, RateLimited…)
    attrs: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Example:
    """One documented exchange (or a documented sequence: a queued job, then its fetch)."""

    name: str  # file stem: <endpoint id>.<case>
    endpoint: str  # the spec's endpoint id the request goes to
    params: Mapping[str, Any]  # the docs' request values, as the reference client takes them
    request_source: str
    replies: tuple[Reply, ...]
    expect: Expect
    literal: Mapping[str, Any] | None = None  # the docs' JSON request body, key as the docs print it
    filled: tuple[str, ...] = ()  # values the docs leave out or elide, and what stands in
    validate: bool = True  # the client checks the request against the spec before sending
    note: str = ""  # where the docs contradict themselves or the spec
    then: tuple[str, ...] = ()  # endpoints of the exchanges after the first (a queued job's fetch)

    @property
    def endpoints(self) -> tuple[str, ...]:
        return (self.endpoint, *self.then)

    @property
    def provider(self) -> str:
        return self.endpoint.split(".", 1)[0]

    def path(self, root: Path) -> Path:
        return Path(root) / self.provider / f"{self.name}.yaml"


@dataclass(frozen=True)
class Gap:
    """Something the docs document without an example: no cassette is made up for it."""

    endpoint: str
    what: str
    why: str


def all_examples() -> tuple[tuple[Example, ...], tuple[Gap, ...]]:
    """Every provider's examples and gaps (its package's optional ``examples`` module), in registry order."""
    from conformance import registry as packages

    examples: list[Example] = []
    gaps: list[Gap] = []
    for pid in packages.names():
        mod = packages.module(pid, "examples", optional=True)
        if mod is not None:
            examples += getattr(mod, "EXAMPLES", ())
            gaps += getattr(mod, "NO_EXAMPLE", ())
    return tuple(examples), tuple(gaps)


def __getattr__(name: str) -> Any:
    """``EXAMPLES`` and ``NO_EXAMPLE``: every provider's, read when first asked for."""
    if name == "EXAMPLES":
        return all_examples()[0]
    if name == "NO_EXAMPLE":
        return all_examples()[1]
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


# -- building ---------------------------------------------------------------------------------


def _audio(value: Any) -> Any:
    if isinstance(value, Mapping) and "fixture" in value:
        from conformance.strategies import audio_bytes

        speaker, seconds = value["fixture"]
        return audio_bytes(seconds, "wav", 16000, speaker)
    return value


def call_params(example: Example) -> dict[str, Any]:
    """The example's request values as the reference client takes them (fixture audio made)."""
    return {k: _audio(v) for k, v in example.params.items()}


def make_client(example: Example, key: str, http_client: Any) -> Any:
    """The reference client the example is sent and replayed with: one attempt, no waiting."""
    from conformance.clients import RetryPolicy, make_client

    return make_client(example.provider, offline=True, api_key=key, http_client=http_client,
                       retry=RetryPolicy(max_attempts=1))


def send(example: Example, client: Any) -> Any:
    """Send the example through ``client``; the typed result, or the typed error raised."""
    try:
        return client.call(example.endpoint, call_params(example), validate=example.validate)
    except Exception as exc:  # typed errors are results here
        return exc


def _stand_in(example: Example) -> Any:
    """A transport answering the example's documented replies in order (and nothing else)."""
    import httpx

    replies = list(example.replies)
    sent: list[httpx.Request] = []

    def handle(request: httpx.Request) -> httpx.Response:
        if len(sent) >= len(replies):
            raise AssertionError(f"{example.name}: request {len(sent) + 1} ({request.method} {request.url.path}) "
                                 f"but the docs give {len(replies)} response(s)")
        reply = replies[len(sent)]
        sent.append(request)
        headers = {"content-type": "application/json", **reply.headers}
        return httpx.Response(reply.status, content=reply.served, headers=headers)

    transport = httpx.MockTransport(handle)
    transport.sent = sent  # type: ignore[attr-defined]
    return transport


def check_literal(example: Example, body: bytes, key: str) -> None:
    """The client's JSON body must be the docs' literal body (its key placeholder read as ``key``)."""
    if example.literal is None:
        return
    sent = json.loads(body)
    want = dict(example.literal)
    if "key" in want:
        want["key"] = key
    if sent != want:
        extra = sorted(set(sent) - set(want))
        missing = sorted(set(want) - set(sent))
        changed = sorted(k for k in set(sent) & set(want) if sent[k] != want[k])
        raise ValueError(f"{example.name}: the reference client's request differs from the docs' example "
                         f"({example.request_source}): extra {extra}, missing {missing}, changed {changed}")


def build(out: str | Path = "cassettes/examples", *, key: str = DEFAULT_KEY,
          examples: Sequence[Example] | None = None) -> list[Path]:
    """Write one cassette per example under ``out/<provider>/`` and the index; returns the cassettes."""
    import httpx

    from conformance.cassettes.recorder import make_vcr, use_cassette
    from conformance.cassettes.scrub import Scrubber

    out = Path(out)
    everything = examples is None
    if examples is None:
        examples = all_examples()[0]
    written = []
    for ex in examples:
        path = ex.path(out)
        meta = {"example": ex.name, "endpoints": list(ex.endpoints), "request_source": ex.request_source,
                "exchanges": [{"status": r.status, "response_source": r.source,
                               **({"verbatim": r.text} if r.comments else {})} for r in ex.replies],
                "filled": list(ex.filled), "validated_request": ex.validate}
        if ex.note:
            meta["note"] = ex.note
        vcr_obj = make_vcr(record_mode="all", scrubber=Scrubber([key], from_env=False), origin=ORIGIN,
                           request_bodies="full", bodies_dir=out / "bodies", metadata=meta, match="fingerprint")
        stand_in = _stand_in(ex)
        with use_cassette(path, record_mode="rewrite", vcr_obj=vcr_obj), \
                httpx.Client(transport=stand_in) as http:
            got = send(ex, make_client(ex, key, http))
        if len(stand_in.sent) != len(ex.replies):
            raise ValueError(f"{ex.name}: the client sent {len(stand_in.sent)} request(s) for "
                             f"{len(ex.replies)} documented response(s); it ended with {got!r}")
        check_literal(ex, stand_in.sent[0].content, key)
        written.append(path)
    write_index(out, None if everything else examples)
    from conformance.cassettes.store import prune_sidecars

    prune_sidecars(out)
    return written


def write_index(out: Path, examples: Sequence[Example] | None = None, gaps: Sequence[Gap] | None = None) -> Path:
    """``INDEX.md``: every example cassette with its sources, and what the docs give no example of."""
    from conformance.spec import endpoints

    if examples is None or gaps is None:
        found, missing = all_examples()
        examples = found if examples is None else examples
        gaps = missing if gaps is None else gaps

    lines = ["# Cassettes from the providers' published examples", "",
             "Built by `python -m conformance.cassettes.examples` (origin `provider-example`). Each cassette is",
             "one documented exchange: the request the docs show, sent by the kit's reference client, and the",
             "response body the docs show. Values the docs elide or leave as placeholders are listed under",
             "*filled*; nothing else is made up.", "", "## Examples", "",
             "| cassette | endpoints | statuses | request from | response from | filled |",
             "|---|---|---|---|---|---|"]
    for ex in examples:
        rel = ex.path(Path(".")).as_posix()
        statuses = ", ".join(str(r.status) for r in ex.replies)
        responses = "<br>".join(_cell(r.source) for r in ex.replies)
        filled = "<br>".join(_cell(f) for f in ex.filled) or "—"
        eps = "<br>".join(f"`{e}`" for e in ex.endpoints)
        lines.append(f"| [{ex.name}]({rel}) | {eps} | {statuses} | {_cell(ex.request_source)} | "
                     f"{responses} | {filled} |")
    notes = [ex for ex in examples if ex.note]
    if notes:
        lines += ["", "## Where the docs contradict themselves or the spec", ""]
        lines += [f"- `{ex.name}`: {ex.note}." for ex in notes]
    lines += ["", "## Documented without an example (no cassette)", "", "| endpoint | what | why no cassette |",
              "|---|---|---|"]
    lines += [f"| `{g.endpoint}` | {_cell(g.what)} | {_cell(g.why)} |" for g in gaps]
    covered = {e for ex in examples for e in ex.endpoints}
    bare = [ep.id for ep in endpoints() if ep.id not in covered]
    if bare:
        lines += ["", "Endpoints with no example cassette at all: " + ", ".join(f"`{e}`" for e in bare) + "."]
    path = Path(out) / INDEX
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def main(argv: Sequence[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    if len(args) > 1 or any(a.startswith("-") for a in args):
        print("usage: python -m conformance.cassettes.examples [OUT]  (default: cassettes/examples)", file=sys.stderr)
        return 2
    out = Path(args[0]) if args else Path("cassettes/examples")
    written = build(out)
    print(f"{len(written)} example cassettes and {INDEX} written to {out}")
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
