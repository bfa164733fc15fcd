"""Thresholds of the suite's audio checks, with why each has its value.

Where a value comes from, weakest first: the defaults below; ``[tool.voice-conformance.thresholds]``
in the project's configuration (:mod:`conformance.config`); environment variables
(``VOICE_CONFORMANCE_MOS_FLOOR=3.0``…); ``--conformance-threshold mos_floor=3.0`` on the command line.
The plugin applies them when pytest starts (:func:`configure`), before the suite is collected.
"""

from __future__ import annotations

import math
import os
from collections.abc import Mapping
from dataclasses import dataclass, fields, replace


@dataclass
class Thresholds:
    # S-norm score at the equal-error point measured on the fixture speakers
    # (conformance.audio.speaker.THRESHOLDS, EER 5.9 % pooled over four channels).
    speaker_score: float | None = None
    # DNSMOS OVRL. The fixture speech and every simulated endpoint 2.3–3.1; silence 1.84; speech at
    # 5 dB SNR 1.5–1.7; hard clipping 1.5–2.2; white noise 1.1 (band-limiting and low-bitrate codecs
    # barely move it: the output format check measures bandwidth).
    mos_floor: float = 2.0
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
    def env_values(cls, environ: Mapping[str, str] | None = None) -> dict[str, float]:
        """The thresholds set by ``VOICE_CONFORMANCE_<NAME>`` variables."""
        env = os.environ if environ is None else environ
        values = {}
        for f in fields(cls):
            var = f"VOICE_CONFORMANCE_{f.name.upper()}"
            raw = env.get(var)
            if raw is not None:
                try:
                    values[f.name] = float(raw)
                except ValueError:
                    raise ValueError(f"{var}={raw!r} is not a number") from None
                lo, hi = THRESHOLD_RANGES[f.name]
                if not (math.isfinite(values[f.name]) and lo <= values[f.name] <= hi):
                    raise ValueError(f"{var}={raw!r} is out of range [{lo}, {hi}]")
        return values

    @classmethod
    def from_env(cls) -> Thresholds:
        return cls(**cls.env_values())

    @classmethod
    def resolve(cls, file: Mapping[str, float] | None = None, flags: Mapping[str, float] | None = None,
                environ: Mapping[str, str] | None = None) -> Thresholds:
        """Defaults, then the configuration file, then the environment, then command-line flags."""
        return cls(**{**(file or {}), **cls.env_values(environ), **(flags or {})})


# The values a threshold may take (checked for the configuration file, the environment and flags).
THRESHOLD_RANGES: dict[str, tuple[float, float]] = {
    "speaker_score": (-100.0, 100.0),
    "mos_floor": (1.0, 5.0),
    "wer_ceiling": (0.0, 10.0),
    "duration_tolerance": (0.0, 10.0),
    "dtw_slope_tolerance": (0.0, 10.0),
    "min_bandwidth_share": (0.0, 1.0),
    "max_silence_ratio": (0.0, 1.0),
}

THRESHOLDS = Thresholds.from_env()


def configure(file: Mapping[str, float] | None = None, flags: Mapping[str, float] | None = None) -> Thresholds:
    """Set the run's thresholds in place (every module holding :data:`THRESHOLDS` sees them); returns them."""
    resolved = Thresholds.resolve(file, flags)
    for f in fields(Thresholds):
        setattr(THRESHOLDS, f.name, getattr(resolved, f.name))
    return replace(THRESHOLDS)
