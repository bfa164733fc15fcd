"""Thresholds of the suite's audio checks, with why each has its value.

Override any of them with environment variables (``VOICE_CONFORMANCE_MOS_FLOOR=3.0``…).
"""

from __future__ import annotations

import os
from dataclasses import dataclass, fields


@dataclass(frozen=True)
class Thresholds:
    # S-norm score at the equal-error point measured on the fixture speakers
    # (conformance.audio.speaker.THRESHOLDS, EER 5.9 % pooled over four channels).
    speaker_score: float | None = None
    # DNSMOS OVRL. Studio TTS scores about 3; the fixture speech 2.3–3.2; silence about 1.8.
    mos_floor: float = 1.3
    # pocketsphinx WER on clean read English fixture speech is 0.1–0.4.
    wer_ceiling: float = 0.6
    # A voice changer keeps length: |out/in − 1| within this (plus 0.1 s of codec padding).
    duration_tolerance: float = 0.05
    # DTW alignment slope of converted vs source within 1 ± this.
    dtw_slope_tolerance: float = 0.15
    # Effective bandwidth must reach this share of Nyquist for lossless and ≥ 64 kbps formats:
    # wide-band speech at 44.1 kHz measures 0.58–0.67, 16 kHz speech upsampled to 44.1 kHz under 0.41.
    min_bandwidth_share: float = 0.5
    # Silent frames (below −50 dBFS) may be at most this share of the output.
    max_silence_ratio: float = 0.8

    @classmethod
    def from_env(cls) -> Thresholds:
        values = {}
        for f in fields(cls):
            raw = os.environ.get(f"VOICE_CONFORMANCE_{f.name.upper()}")
            if raw is not None:
                try:
                    values[f.name] = float(raw)
                except ValueError:
                    raise ValueError(f"VOICE_CONFORMANCE_{f.name.upper()}={raw!r} is not a number") from None
        return cls(**values)


THRESHOLDS = Thresholds.from_env()
