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
