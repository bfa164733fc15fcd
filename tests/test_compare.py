"""``voice-conformance compare``: the same inputs through each provider, measured, ranked and reported."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from click.testing import CliRunner

from conformance.cli import main
from conformance.compare import (
    DEFAULT_TEXT,
    CompareError,
    Row,
    fixture_inputs,
    fixture_source,
    rank,
    resolve_endpoints,
)
from conformance.report.records import read_lines


def row(name: str, **metrics: float) -> Row:
    return Row(name.split(".")[0], name, metrics=dict(metrics))


def test_rank_by_mean_rank_with_ties_and_missing_metrics() -> None:
    a = row("a.x", speaker_similarity=0.9, predicted_mos=3.0, intelligibility=0.8, latency=2.0)
    b = row("b.x", speaker_similarity=0.8, predicted_mos=3.0, intelligibility=0.9, latency=1.0)
    c = row("c.x", speaker_similarity=0.7, predicted_mos=2.0, latency=0.5)  # no intelligibility (not English)
    failed = Row("d", "d.x", status="error", reason="HTTP 500")
    ordered = rank([failed, c, b, a], latency=False)
    assert [r.endpoint for r in ordered] == ["a.x", "b.x", "c.x", "d.x"]
    # speaker 1/2/3; MOS tie 1.5/1.5/3; intelligibility 2/1/—
    assert (a.rank, b.rank, c.rank) == (pytest.approx((1 + 1.5 + 2) / 3), pytest.approx((2 + 1.5 + 1) / 3), 3.0)
    assert [r.place for r in ordered] == [1, 2, 3, None] and failed.rank is None
    # latency counts where it measures a provider (live and url= targets)
    assert rank([a, b, c])[0] is b and b.rank == pytest.approx((2 + 1.5 + 1 + 2) / 4)
    assert [r.endpoint for r in rank([a, b, c], by="latency")] == ["c.x", "b.x", "a.x"]
    with pytest.raises(CompareError, match="--rank-by: unknown metric 'loudness'"):
        rank([a], by="loudness")


def test_endpoints_default_to_each_providers_cloning_path() -> None:
    assert resolve_endpoints(["novita", "elevenlabs"]) == ["novita.minimax_voice_cloning",
                                                           "elevenlabs.speech_to_speech"]
    assert resolve_endpoints(["novita"], ["modelslab.voice_to_voice"]) == ["modelslab.voice_to_voice"]
    with pytest.raises(CompareError, match="cannot compare 'novita.tts'"):
        resolve_endpoints([], ["novita.tts"])


def test_fixture_inputs_are_real_speech_of_the_text(tmp_path: Path) -> None:
    from conformance.audio import corpus, probe

    inputs = fixture_inputs()
    assert inputs.text == DEFAULT_TEXT
    ref = probe(inputs.reference)
    assert ref.format == "wav" and ref.duration == pytest.approx(12.0, abs=0.01)
    # the voice changers' input: the source speaker's own clips of the two sentences, 0.2 s apart
    said = {c.text: c.duration for c in corpus.clips("en_kal")}
    expected = sum(said[s] for s in ("The birch canoe slid on the smooth planks.",
                                     "Glue the sheet to the dark blue background.")) + 0.2
    assert probe(inputs.source).duration == pytest.approx(expected, abs=0.01)
    assert fixture_source("Words nobody in the fixtures says.") is None
    own = fixture_inputs("Words nobody in the fixtures says.")
    assert own.source is None and own.source_label == ""
    text_file = tmp_path / "notes.wav"
    text_file.write_text("not audio")
    with pytest.raises(CompareError, match=r"--reference .*notes.wav: not audio"):
        fixture_inputs(reference=text_file)


@pytest.mark.long
def test_compare_on_the_simulators_ranks_a_provider_speaking_in_the_wrong_voice_last(tmp_path: Path) -> None:
    out = tmp_path / "cmp" / "compare.html"
    result = CliRunner().invoke(main, [
        "compare", "--providers", "novita,faseeh", "--inject", "wrong_speaker@novita.minimax_voice_cloning",
        "--rank-by", "speaker_similarity", "--voices", "1", "--texts", "1", "-o", str(out), "--format", "json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    rows = {r["endpoint"]: r for r in data["rows"]}
    assert [r["endpoint"] for r in data["rows"]][-1] == "novita.minimax_voice_cloning"
    assert [r["place"] for r in data["rows"]] == [1, 2] and all(r["status"] == "ok" for r in data["rows"])
    wrong = rows["novita.minimax_voice_cloning"]["speaker_similarity"]
    for ep in ("faseeh.voice_preview",):
        r = rows[ep]
        assert r["speaker_similarity"] > wrong + 0.05  # the same voice as the reference, measured as such
        assert 1.0 <= r["predicted_mos"] <= 5.0 and 0.0 <= r["intelligibility"] <= 1.0
        assert r["latency"] > 0
    # the report: ranking first, one record with the output's audio per endpoint, results beside it
    html = out.read_text()
    order = re.findall(r'<tr data-endpoint="([\w.]+)" data-place="(\d*)">', html)
    assert order == [(r["endpoint"], str(r["place"])) for r in data["rows"]]
    lines = read_lines([out.with_suffix(".jsonl")])
    results = [x for x in lines if x["kind"] == "result"]
    assert {x["endpoint"] for x in results} == set(rows) and all(x["outcome"] == "pass" for x in results)
    assert all(set(x["audio"]) == {"reference", "output"} for x in results)
    assert all(x["measured"]["speaker_similarity"] == rows[x["endpoint"]]["speaker_similarity"] for x in results)
    # each output, and the reference both rows share, embedded once
    assert html.count("<audio") == 3 and "the same clip as" in html


def test_compare_live_without_keys_or_hosted_reference_sends_nothing_and_says_why(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    for var in ("ELEVENLABS_API_KEY", "MODELSLAB_API_KEY", "NOVITA_API_KEY", "FASEEH_API_KEY"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.delenv("VOICE_CONFORMANCE_AUDIO_BASE", raising=False)
    monkeypatch.setenv("ELEVENLABS_API_KEY", "el-secret-key-1234")
    monkeypatch.setenv("NOVITA_API_KEY", "nv-secret-key-1234")
    import httpx

    def no_network(*args: object, **kwargs: object) -> None:
        raise AssertionError("compare reached the network")

    monkeypatch.setattr(httpx.HTTPTransport, "handle_request", no_network)
    result = CliRunner().invoke(main, ["compare", "--target", "live", "--providers", "elevenlabs,novita,faseeh",
                                       "--voices", "1", "-o", str(tmp_path / "c.html")])
    assert result.exit_code == 1, result.output
    out = result.output
    assert "elevenlabs.speech_to_speech · en_slt · text1: skipped: converts into an existing voice: give --voice " \
           "elevenlabs=" in out
    assert "novita.minimax_voice_cloning · en_slt · text1: skipped: takes the reference as a URL: give " \
           "--reference-url" in out
    assert "faseeh.voice_preview · en_slt · text3: skipped: set FASEEH_API_KEY to compare it live" in out
    several = CliRunner().invoke(main, ["compare", "--target", "live", "--voice", "elevenlabs=v1"])
    assert several.exit_code == 2 and "with a set of several, give each voice's ids" in several.output
    assert "secret-key" not in out and "secret-key" not in (tmp_path / "c.html").read_text()


def test_a_failing_provider_is_a_row_whose_note_never_shows_a_secret(monkeypatch: pytest.MonkeyPatch) -> None:
    import conformance.compare as cmp

    monkeypatch.setenv("FASEEH_API_KEY", "fs-live-key-98765")

    class Refusing:
        def call(self, *args: object, **kwargs: object) -> None:
            raise RuntimeError("gateway said: key fs-live-key-98765 with token gw-tok-55555 refused")

    monkeypatch.setattr(cmp, "_client", lambda target, provider: Refusing())
    result = cmp.compare("url=https://gateway.invalid", ["faseeh"], fixture_inputs(), secrets=["gw-tok-55555"])
    (r,) = result.rows
    assert r.status == "error" and r.reason.startswith("RuntimeError: gateway said: key *** with token *** refused")
    assert r.place is None and "error" in result.table()


def test_compare_through_a_gateway_serves_url_audio_from_this_machine(monkeypatch: pytest.MonkeyPatch) -> None:
    """On ``url=BASE`` the reference Novita takes as a URL is served over loopback and really fetched."""
    from conformance.compare import compare
    from conformance.simulators import Simulator
    from conformance.simulators.server import serve_in_thread

    monkeypatch.setenv("NOVITA_API_KEY", "gateway-key-1234")
    sim = Simulator("novita", keys=["gateway-key-1234"], unknown_urls="error", fetch_urls=True)
    with serve_in_thread(sim) as server:
        result = compare(f"url={server.base_url}", ["novita"], fixture_inputs())
    (r,) = result.rows
    assert r.status == "ok", r.reason
    assert r.metrics["speaker_similarity"] > 0.8  # the reference's own voice, fetched from the file server
    assert result.target == f"url={server.base_url}" and result.latency_ranked


def test_simulated_voice_changers_are_not_ranked_on_words_they_cannot_keep() -> None:
    """The simulators' voice changers speak the target's fixture speech: no intelligibility is claimed."""
    from conformance.compare import compare

    result = compare("simulator", ["elevenlabs"], fixture_inputs())
    (r,) = result.rows
    assert r.status == "ok" and "intelligibility" not in r.metrics
    assert "not measured" in r.details["intelligibility"]
    assert {"speaker_similarity", "predicted_mos"} <= set(r.metrics)
