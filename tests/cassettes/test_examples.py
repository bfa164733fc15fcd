"""Cassettes from the providers' published examples: marked, reproducible, scrubbed, parsed by the
reference clients into the documented result or error, and in agreement with the spec."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import httpx
import pytest

from conformance import clients
from conformance.cassettes import examples as ex_mod
from conformance.cassettes.drift import drift_spec
from conformance.cassettes.examples import EXAMPLES, NO_EXAMPLE, ORIGIN, Example
from conformance.cassettes.recorder import block_network, make_vcr, use_cassette
from conformance.cassettes.store import body_bytes, cassette_files, load_yaml
from conformance.spec import endpoints

ROOT = Path(__file__).resolve().parents[2]
SHIPPED = ROOT / "cassettes" / "examples"
SENTINEL = "vc-SENTINEL-example-key-3c9e"


@pytest.fixture(scope="module")
def fresh(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The examples built anew, with a sentinel key."""
    out = tmp_path_factory.mktemp("examples")
    ex_mod.build(out, key=SENTINEL)
    return out


@pytest.mark.parametrize("example", EXAMPLES, ids=[e.name for e in EXAMPLES])
def test_reference_client_replays_the_example_into_the_documented_result(example: Example):
    path = example.path(SHIPPED)
    vcr_obj = make_vcr(record_mode="none", match="fingerprint", bodies_dir=SHIPPED / "bodies")
    with use_cassette(path, record_mode="none", vcr_obj=vcr_obj) as cassette, block_network([]), \
            httpx.Client() as http:
        got = ex_mod.send(example, ex_mod.make_client(example, "a-key-of-the-replaying-user", http))
        assert cassette.all_played, f"{example.name}: the client sent fewer requests than the docs answer"
    expected_type = getattr(clients, example.expect.kind)
    assert type(got) is expected_type, f"{example.name}: {got!r}"
    for attr, value in example.expect.attrs.items():
        assert getattr(got, attr) == value, (example.name, attr)
    if isinstance(got, clients.ProviderError):
        assert got.endpoint_id == example.endpoint and "a-key-of-the-replaying-user" not in str(got)


def test_example_cassettes_are_marked_with_their_sources():
    paths = cassette_files(SHIPPED)
    assert sorted(p.relative_to(SHIPPED) for p in paths) == sorted(e.path(Path(".")) for e in EXAMPLES)
    for example in EXAMPLES:
        data = load_yaml(example.path(SHIPPED))
        meta = data["metadata"]
        assert meta["origin"] == ORIGIN and meta["recorded_at"]
        assert meta["request_source"] == example.request_source
        assert [x["response_source"] for x in meta["exchanges"]] == [r.source for r in example.replies]
        assert meta["filled"] == list(example.filled)
        assert len(data["interactions"]) == len(example.replies)
        for it, reply in zip(data["interactions"], example.replies, strict=True):
            assert it["response"]["status"]["code"] == reply.status
            # the providers' bytes, verbatim (only `//` annotations cut, and the text kept in the metadata)
            assert body_bytes(example.path(SHIPPED), it["response"]["body"]) == reply.served
            assert json.loads(reply.served) == reply.body
        for x, reply in zip(meta["exchanges"], example.replies, strict=True):
            assert x.get("verbatim") == (reply.text if reply.comments else None)


def test_a_reply_answers_the_docs_bytes_and_cuts_only_annotations():
    from conformance.cassettes.examples import Reply

    spaced = '{    "status": "error",    "message": "Error message"}'
    assert Reply(200, spaced, "s").served == spaced.encode()  # odd spacing kept
    noted = '{\n  "url": "https://demo.com/a.mp3", // Audio sample\n  "id": "x" // Generated id\n}'
    assert Reply(200, noted, "s", comments=True).served == b'{\n  "url": "https://demo.com/a.mp3",\n  "id": "x"\n}'
    assert Reply(200, noted, "s", comments=True).body == {"url": "https://demo.com/a.mp3", "id": "x"}
    tricky = '// the answer\n{"a": "x // y",// first\n "b": "q\\"//"}'
    assert json.loads(Reply(200, tricky, "s", comments=True).served) == {"a": "x // y", "b": 'q"//'}


def _meaning(root: Path) -> dict[str, list[tuple]]:
    """What each cassette says, without what differs run to run (dates, multipart boundaries)."""
    out = {}
    for path in cassette_files(root):
        data = load_yaml(path)
        out[path.relative_to(root).as_posix()] = [
            (it["request"]["method"], it["request"]["uri"], json.dumps(it["request"].get("fingerprint"), sort_keys=True),
             it["response"]["status"]["code"], body_bytes(path, it["response"]["body"]))
            for it in data["interactions"]]
    return out


def test_examples_rebuild_to_the_shipped_cassettes_and_index(fresh: Path):
    assert _meaning(fresh) == _meaning(SHIPPED)
    assert (fresh / ex_mod.INDEX).read_text() == (SHIPPED / ex_mod.INDEX).read_text()


def test_building_the_examples_writes_the_key_nowhere(fresh: Path):
    written = [p for p in fresh.rglob("*") if p.is_file()]
    assert any(p.parent.name == "bodies" for p in written)  # the uploads went to sidecars
    assert [str(p) for p in written if SENTINEL.encode() in p.read_bytes()] == []
    assert "REDACTED" in "".join(p.read_text() for p in written if p.suffix == ".yaml")


def test_drift_against_the_spec_finds_nothing_in_the_examples():
    report = drift_spec(SHIPPED)
    assert report.changes == [], report.to_text()


def test_the_novita_example_request_breaks_the_model_list_of_its_own_page():
    """The docs' example asks for speech-01-hd, which the page's option list lacks: validating, the client
    refuses it before sending (the example cassette is therefore sent unvalidated)."""
    example = next(e for e in EXAMPLES if e.endpoint == "novita.minimax_voice_cloning")
    assert example.validate is False and "speech-01-hd" in example.note

    def refuse(request: httpx.Request) -> httpx.Response:
        raise AssertionError("nothing may be sent")

    with httpx.Client(transport=httpx.MockTransport(refuse)) as http:
        client = ex_mod.make_client(example, "k", http)
        with pytest.raises(clients.SpecViolation) as err:
            client.call(example.endpoint, ex_mod.call_params(example), validate=True)
    assert "model" in str(err.value) and "speech-01-hd" in str(err.value)
    assert [v.param for v in err.value.violations] == ["model"]


def test_a_client_request_unlike_the_docs_literal_body_fails_the_build(tmp_path: Path):
    example = next(e for e in EXAMPLES if e.name == "modelslab.text_to_audio.success")
    changed = dataclasses.replace(example, literal={**example.literal, "language": "arabic"})
    with pytest.raises(ValueError, match=r"differs from the docs' example .*changed \['language'\]"):
        ex_mod.build(tmp_path, examples=[changed])


def test_index_lists_every_example_every_gap_and_every_endpoint():
    index = (SHIPPED / ex_mod.INDEX).read_text()
    for example in EXAMPLES:
        assert f"({example.path(Path('.')).as_posix()})" in index
    for gap in NO_EXAMPLE:
        assert gap.why in index
    for ep in endpoints():  # every endpoint has an example cassette or is named as having none
        covered = any(ep.id in e.endpoints for e in EXAMPLES)
        assert covered or f"`{ep.id}`" in index.split("## Documented without an example")[1], ep.id
