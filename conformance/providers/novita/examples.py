"""This provider's published request/response examples, verbatim (see :mod:`conformance.cassettes.examples`)."""

from __future__ import annotations

from conformance.cassettes.examples import Example, Expect, Gap, Reply

# -- sources --------------------------------------------------------------------------------

S002_REQ = "novita.ai docs, MiniMax Quick Voice Cloning, Example: Request (curl)"
S002_RES = "novita.ai docs, MiniMax Quick Voice Cloning, Example: Response"

# the seed's response block, verbatim: JSON annotated with `//` comments (cut before it is answered)
RESPONSE = ('{\n  "demo_audio_url": "https://demo.com/audio.mp3", // Audio sample\n'
            '  "voice_id": "xxxxxxx" // Generated voice_id\n}')

# -- the examples ---------------------------------------------------------------------------

_NOVITA_PARAMS = {
    "audio_url": "https://example.com/voice.mp3",
    "text": "Audio generation technology is evolving rapidly, enabling the creation of speech, music, and sound "
            "effects from text or data inputs. It supports applications in media, accessibility, customer "
            "service, and content creation. With improved quality and customization, these tools are "
            "increasingly integrated into digital platforms across various industries.",
    "model": "speech-01-hd",
    "need_noise_reduction": True,
    "need_volume_normalization": True,
}

EXAMPLES: tuple[Example, ...] = (
    Example("novita.minimax_voice_cloning.success", "novita.minimax_voice_cloning", _NOVITA_PARAMS, S002_REQ,
            (Reply(200, RESPONSE, S002_RES, comments=True),),
            Expect("VoiceResult", {"voice_id": "xxxxxxx", "demo_audio_url": "https://demo.com/audio.mp3"}),
            literal=_NOVITA_PARAMS, validate=False,
            note="the docs' example request uses model speech-01-hd, which is not among the options the same "
                 "page lists (the spec follows the list and keeps speech-01-hd as a documented variant): the "
                 "reference client refuses the request when it validates, so the example is sent unvalidated"),
)

NO_EXAMPLE: tuple[Gap, ...] = (
    Gap("novita.minimax_voice_cloning", "400, 403, 429, 500 error codes",
        "the error-code table lists codes; the JSON shape of Novita's error body is not published"),
    Gap("novita.minimax_voice_cloning", "MiniMax base_resp errors", "documented for MiniMax's own API "
        "(api.minimax.io/v1/voice_clone), not as answers of Novita's endpoint"),
)
