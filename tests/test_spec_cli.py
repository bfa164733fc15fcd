"""`voice-conformance spec`: every rule, with its source, as text."""

from __future__ import annotations

from click.testing import CliRunner

from conformance import spec
from conformance.cli import main
from conformance.spec.model import Constraint, Rule


def test_spec_lists_every_endpoint_and_rule_with_its_source() -> None:
    result = CliRunner().invoke(main, ["spec"])
    assert result.exit_code == 0, result.output
    for ep in spec.endpoints():
        assert f"{ep.id}: {ep.method}" in result.output
        for _, item in ep.all_rules():
            if isinstance(item, Constraint | Rule):
                assert f"{item.describe()}  [{item.source}]" in result.output
    assert "[path assumed]" in result.output  # Faseeh's preview path is not published


def test_spec_for_one_provider_and_bad_names() -> None:
    result = CliRunner().invoke(main, ["spec", "--providers", "novita"])
    assert result.exit_code == 0 and "novita.minimax_voice_cloning" in result.output
    assert "elevenlabs" not in result.output
    bad = CliRunner().invoke(main, ["spec", "--providers", "acme"])
    assert bad.exit_code == 2 and "unknown provider 'acme'" in bad.output


def test_source_evidence_kinds() -> None:
    from conformance.spec.model import Source

    assert Source("live 401 bodies in a thread").evidence == "live"
    assert Source("live 401").as_assumed().evidence == "assumed"  # assumed wins
    assert Source("acme-python 1.0 (PyPI wheel)").evidence == "sdk"
    assert Source("the official SDK's client.py").evidence == "sdk"
    assert Source("the provider's OpenAPI").evidence == "docs"
    assert Source("a delivery note").evidence == "docs"  # "live" inside a word is not live evidence


def test_fidelity_ledger_counts_and_lists_live_sdk_and_assumed_behaviours() -> None:
    import re

    from conformance.spec.describe import _behaviours

    result = CliRunner().invoke(main, ["spec", "--fidelity"])
    assert result.exit_code == 0, result.output
    for p in spec.providers().values():
        items = _behaviours(p.id)
        counts = {k: sum(1 for _, s in items if s.evidence == k) for k in ("docs", "live", "sdk", "assumed")}
        line = re.search(rf"^{p.id}: (\d+) documented, (\d+) observed live, (\d+) from an official SDK, "
                         rf"(\d+) assumed$", result.output, re.M)
        assert line is not None, p.id
        assert tuple(map(int, line.groups())) == tuple(counts.values())
        for what, src in items:
            if src.evidence != "docs":
                assert f"[{src.evidence}] {what}  <- {src}" in result.output
    assert "[live] error auth: HTTP 401 invalid_api_key" in result.output
    only = CliRunner().invoke(main, ["spec", "--fidelity", "--providers", "faseeh"])
    assert "faseeh:" in only.output and "elevenlabs:" not in only.output


def test_spec_counts_exactly_the_lines_it_marks_assumed_and_cites_only_public_documents() -> None:
    import re

    out = CliRunner().invoke(main, ["spec"]).output
    body, last = out.rstrip().rsplit("\n", 1)
    marked = sum(1 for line in body.splitlines() if "[assumed]" in line or "[path assumed]" in line)
    assert re.search(rf"; {marked} lines above marked \[assumed\]", last), last
    assert marked > 0
    # a user has the providers' docs, not the kit's working notes
    for banned in ("PROVIDERS.md", "seed 00"):
        assert banned not in out
        assert banned not in CliRunner().invoke(main, ["spec", "--fidelity"]).output
