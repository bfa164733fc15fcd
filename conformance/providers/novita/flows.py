"""The stateful flow of this provider (clone with and without demo text), as a hypothesis state machine."""

from __future__ import annotations

from typing import Any

from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    invariant,
    rule,
    run_state_machine_as_test,
)

from conformance import spec
from conformance.scenarios import flow_settings, schema_ok, speech


def clone_demo_flow(suite: Any) -> None:
    """Clone with preview text: a voice id and demo audio in the cloned voice; without text, no demo."""
    from conformance.strategies import audio_input

    ep = spec.get("novita.minimax_voice_cloning")

    class Clones(RuleBasedStateMachine):
        def __init__(self) -> None:
            super().__init__()
            self.voices: list[str] = []

        @rule(with_text=st.booleans(), seconds=st.sampled_from([10.0, 15.0]))
        def clone(self, with_text: bool, seconds: float) -> None:
            params: dict[str, Any] = {"audio_url": audio_input(speech(seconds, "en_slt"), "url", "wav")}
            if with_text:
                params.update(text="Hello from the cloned voice.", model="speech-02-turbo")
            out = suite.send(ep, params, validate=True)
            assert out.error is None, out.describe()
            schema_ok(ep.id, out.status, out.body)
            assert out.result.voice_id not in self.voices, "voice ids are unique"
            self.voices.append(out.result.voice_id)
            demo = out.result.demo_audio_url
            assert (demo is not None) == with_text, "demo_audio_url only when text and model are given"
            if demo:
                audio = suite.client("novita").download(demo)
                assert len(audio.audio) > 1000 and audio.format in ("mp3", "wav")

        @invariant()
        def voices_exist(self) -> None:
            if suite.sim is not None:
                for vid in self.voices:
                    assert vid in suite.sim.voices["novita"]

    run_state_machine_as_test(Clones, settings=flow_settings())
