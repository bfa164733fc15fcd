"""The stateful flow of this provider (preview, then clone from the preview), as a hypothesis state machine."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import strategies as st
from hypothesis.stateful import (
    Bundle,
    RuleBasedStateMachine,
    consumes,
    invariant,
    rule,
    run_state_machine_as_test,
)

from conformance import spec
from conformance.providers.faseeh.scenarios import MODEL, TEXT
from conformance.scenarios import flow_settings, schema_ok, speech


def preview_clone_flow(suite: Any) -> None:
    """Preview a voice, clone it from the preview and its reference; the voice then exists."""
    preview_ep, clone_ep = spec.get("faseeh.voice_preview"), spec.get("faseeh.voice_clone")
    text = TEXT

    class Voices(RuleBasedStateMachine):
        previews = Bundle("previews")

        def __init__(self) -> None:
            super().__init__()
            self.created: list[str] = []

        @rule(target=previews, speaker=st.sampled_from(["en_slt", "en_alsa"]), speed=st.sampled_from([0.7, 1.0, 1.2]))
        def preview(self, speaker: str, speed: float) -> tuple[bytes, bytes]:
            reference = speech(6.0, speaker)
            out = suite.send(preview_ep, {"text": text, "similarity": 0.8, "model_id": MODEL,
                                          "file": reference, "speed": speed}, validate=True)
            assert out.error is None, out.describe()
            audio = out.result
            assert audio.raw_format == "s16le" and audio.sample_rate == 24000
            return audio.audio, reference  # clone takes the preview's own bytes (raw PCM16, 24 kHz)

        @rule(pair=consumes(previews), stability=st.sampled_from([0.0, 0.5, 1.0]))
        def clone(self, pair: tuple[bytes, bytes], stability: float) -> None:
            voice_file, reference = pair
            out = suite.send(clone_ep, {"voice_file": voice_file, "reference_audio_file": reference, "text": text,
                                        "stability": stability, "name": f"flow-{len(self.created)}",
                                        "model": MODEL, "dialects": "najdi"}, validate=True)
            assert out.error is None, out.describe()
            schema_ok(clone_ep.id, out.status, out.body)
            fields = out.result.fields
            assert fields["stability"] == pytest.approx(stability)
            assert fields["dialect"] == ["najdi"]  # dialects in, dialect out
            self.created.append(out.result.voice_id)

        @invariant()
        def created_voices_exist(self) -> None:
            if suite.sim is not None:
                for vid in self.created:
                    assert vid in suite.sim.voices["faseeh"], f"cloned voice {vid} is not listed"

    run_state_machine_as_test(Voices, settings=flow_settings())
