"""Chainable, pytest-friendly assertions about audio.

>>> (expect_audio(out)                                   # doctest: +SKIP
...     .has_format("mp3", sample_rate=44100)
...     .duration_between(4, 30)
...     .mono()
...     .not_clipped()
...     .same_speaker_as(ref))

``out`` is a path, bytes, binary file, ``(samples, sr)`` or a client result with ``.audio`` bytes
(and ``.content_type``; ``.sample_rate``/``.raw_format`` for headerless PCM). Each check runs when it
is called; the first that fails raises :class:`AudioExpectationError` (an ``AssertionError``) whose
message lists **every** check made so far, each measured value against its threshold::

    audio expectations failed (1 of 4):
      ok    format: mp3 (expected mp3)
      ok    sample_rate: 44100 Hz (expected 44100 Hz)
      FAIL  duration: 3.900 s (expected 4 ≤ duration ≤ 30 s)
      ...

``.checks`` keeps the records (name, measured, expected, passed) for reports. Measurements are made
once and reused (``.info``, ``.report``, ``.decoded``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from conformance.audio.probe import AudioInfo, probe


class AudioExpectationError(AssertionError):
    """An audio expectation failed; the message lists every measured value against its threshold."""

    def __init__(self, message: str, checks: list[Check]):
        super().__init__(message)
        self.checks = checks


@dataclass(frozen=True)
class Check:
    """One expectation: what was measured, what was expected, and whether it held."""

    name: str
    measured: Any
    expected: str
    passed: bool
    unit: str = ""

    def line(self) -> str:
        value = f"{self.measured:.4g}" if isinstance(self.measured, float) else str(self.measured)
        unit = f" {self.unit}" if self.unit and self.measured is not None else ""
        return f"  {'ok  ' if self.passed else 'FAIL'}  {self.name}: {value}{unit} (expected {self.expected})"


def expect_audio(result_or_src: Any, **raw: Any) -> AudioExpectation:
    """Start a chain of expectations about ``result_or_src`` (see the module docstring)."""
    return AudioExpectation(result_or_src, **raw)


class AudioExpectation:
    """The chain returned by :func:`expect_audio`; every method returns ``self``."""

    def __init__(self, src: Any, **raw: Any):
        self._src = src
        self._raw = raw
        self._info: AudioInfo | None = None
        self._decoded: Any = None
        self._report: Any = None
        self._embedding: Any = None
        self.checks: list[Check] = []

    # --- measured once, lazily ------------------------------------------------------------------
    @property
    def info(self) -> AudioInfo:
        """Header-level facts (container, codec, rate, channels, duration)."""
        if self._info is None:
            audio = getattr(self._src, "audio", None)
            if isinstance(audio, bytes | bytearray | memoryview):
                from conformance.audio.decoding import _raw_params

                fmt, rate, channels = _raw_params(self._src)
                self._info = (probe(bytes(audio), sample_rate=rate, channels=channels, sample_format=fmt)
                              if fmt else probe(bytes(audio)))
            elif isinstance(self._src, tuple) or hasattr(self._src, "samples"):
                self._info = self.decoded.info
            else:
                self._info = probe(self._src, **self._raw)
        return self._info

    @property
    def decoded(self) -> Any:
        if self._decoded is None:
            from conformance.audio.decoding import as_decoded

            self._decoded = as_decoded(self._src, **self._raw)
        return self._decoded

    def audio_for_report(self) -> Any:
        """The audio as a report keeps it: encoded bytes as given, else ``(mono samples, rate)``."""
        audio = getattr(self._src, "audio", self._src)
        if isinstance(audio, bytes | bytearray | memoryview) and self._decoded is None and not self._raw \
                and getattr(self._src, "raw_format", None) is None:
            return bytes(audio)
        try:
            return self.decoded.mono(), self.decoded.sample_rate
        except Exception:  # audio that cannot be decoded is shown as a note by the report
            return bytes(audio) if isinstance(audio, bytes | bytearray | memoryview) else None

    @property
    def report(self) -> Any:
        """The :class:`~conformance.audio.analysis.AudioReport` of the audio."""
        if self._report is None:
            from conformance.audio.analysis import analyze

            self._report = analyze(self.decoded)
        return self._report

    def _check(self, name: str, measured: Any, expected: str, passed: bool, unit: str = "") -> AudioExpectation:
        self.checks.append(Check(name, measured, expected, bool(passed), unit))
        if not passed:
            failed = sum(not c.passed for c in self.checks)
            lines = [f"audio expectations failed ({failed} of {len(self.checks)}):"]
            lines += [c.line() for c in self.checks]
            raise AudioExpectationError("\n".join(lines), list(self.checks))
        return self

    @staticmethod
    def _between(lo: float | None, hi: float | None, unit: str, name: str) -> str:
        if lo is not None and hi is not None:
            return f"{lo:g} ≤ {name} ≤ {hi:g} {unit}".rstrip()
        if lo is not None:
            return f"≥ {lo:g} {unit}".rstrip()
        return f"≤ {hi:g} {unit}".rstrip()

    # --- format ------------------------------------------------------------------------------
    def has_format(self, fmt: str, *, sample_rate: int | None = None, channels: int | None = None,
                   codec: str | None = None, bitrate_kbps: float | None = None,
                   bitrate_tolerance: float = 0.15) -> AudioExpectation:
        """Container ``fmt`` (``wav``, ``mp3``, ``ogg``, ``flac``, ``m4a``, ``raw``…) and, if given, rate,
        channels, codec and bitrate (within ``bitrate_tolerance`` as a fraction)."""
        info = self.info
        self._check("format", info.format, fmt, info.format == fmt)
        if codec is not None:
            self._check("codec", info.codec, codec, info.codec == codec)
        if sample_rate is not None:
            self.sample_rate(sample_rate)
        if channels is not None:
            self.channels(channels)
        if bitrate_kbps is not None:
            got = (info.bitrate or 0) / 1000
            self._check("bitrate", got, f"{bitrate_kbps:g} kbps ± {bitrate_tolerance:.0%}",
                        abs(got - bitrate_kbps) <= bitrate_tolerance * bitrate_kbps, "kbps")
        return self

    def sample_rate(self, hz: int) -> AudioExpectation:
        """The declared sample rate is ``hz``."""
        return self._check("sample_rate", self.info.sample_rate, f"{hz} Hz", self.info.sample_rate == hz, "Hz")

    def channels(self, n: int) -> AudioExpectation:
        return self._check("channels", self.info.channels, str(n), self.info.channels == n)

    def mono(self) -> AudioExpectation:
        return self._check("channels", self.info.channels, "1 (mono)", self.info.channels == 1)

    def duration_between(self, lo: float | None = None, hi: float | None = None) -> AudioExpectation:
        """Decoded duration (s) within ``[lo, hi]``."""
        d = self.decoded.duration
        ok = (lo is None or d >= lo) and (hi is None or d <= hi)
        return self._check("duration", d, self._between(lo, hi, "s", "duration"), ok, "s")

    def duration_about(self, seconds: float, tolerance: float = 0.1) -> AudioExpectation:
        d = self.decoded.duration
        return self._check("duration", d, f"{seconds:g} ± {tolerance:g} s", abs(d - seconds) <= tolerance, "s")

    # --- signal ------------------------------------------------------------------------------
    def not_silent(self, max_silence_ratio: float = 0.9) -> AudioExpectation:
        r = self.report.silence_ratio
        return self._check("silence_ratio", r, f"≤ {max_silence_ratio:g}", r <= max_silence_ratio)

    def not_clipped(self, max_ratio: float = 0.001) -> AudioExpectation:
        r = self.report.clipping_ratio
        return self._check("clipping_ratio", r, f"≤ {max_ratio:g}", r <= max_ratio)

    def true_peak_below(self, dbtp: float = -1.0) -> AudioExpectation:
        v = self.report.true_peak_dbtp
        return self._check("true_peak", v, f"≤ {dbtp:g} dBTP", v <= dbtp, "dBTP")

    def loudness_between(self, lo: float = -30.0, hi: float = -10.0) -> AudioExpectation:
        v = self.report.loudness_lufs
        ok = v is not None and lo <= v <= hi
        return self._check("loudness", v, self._between(lo, hi, "LUFS", "loudness"), ok, "LUFS")

    def snr_above(self, db: float = 20.0) -> AudioExpectation:
        v = self.report.snr_db
        return self._check("snr", v, f"≥ {db:g} dB", v >= db, "dB")

    def dc_offset_below(self, limit: float = 0.01) -> AudioExpectation:
        v = self.report.dc_offset
        return self._check("dc_offset", v, f"|dc| ≤ {limit:g}", abs(v) <= limit)

    def leading_silence_below(self, seconds: float) -> AudioExpectation:
        v = self.report.leading_silence_s
        return self._check("leading_silence", v, f"≤ {seconds:g} s", v <= seconds, "s")

    def trailing_silence_below(self, seconds: float) -> AudioExpectation:
        v = self.report.trailing_silence_s
        return self._check("trailing_silence", v, f"≤ {seconds:g} s", v <= seconds, "s")

    def bandwidth_at_least(self, hz: float) -> AudioExpectation:
        """Effective bandwidth (see :mod:`conformance.audio.analysis`) of at least ``hz``."""
        v = self.report.bandwidth_hz
        return self._check("bandwidth", v, f"≥ {hz:g} Hz", v >= hz, "Hz")

    def not_upsampled(self, from_rate: int = 16000, margin: float = 1.25) -> AudioExpectation:
        """Content reaches above what ``from_rate`` audio can carry: bandwidth ≥ ``margin`` × ``from_rate``/2.

        Only meaningful when the declared rate exceeds ``from_rate``: catches 16 kHz audio upsampled
        and declared at 44.1/48 kHz. Lossy low-bitrate encoders (MP3 ≤ 32 kbps) low-pass near 8 kHz
        themselves and read as upsampled too.
        """
        v = self.report.bandwidth_hz
        need_hz = margin * from_rate / 2
        return self._check("bandwidth", v, f"≥ {need_hz:g} Hz (more than {from_rate} Hz audio holds)",
                           v >= need_hz, "Hz")

    def f0_between(self, lo: float, hi: float) -> AudioExpectation:
        v = self.report.f0_median_hz
        ok = v is not None and lo <= v <= hi
        return self._check("f0_median", v, self._between(lo, hi, "Hz", "F0"), ok, "Hz")

    # --- comparisons and predictors -------------------------------------------------------------
    def _embedding_of_self(self) -> Any:
        if self._embedding is None:
            from conformance.audio.speaker import speaker_embedding

            self._embedding = speaker_embedding(self.decoded)
        return self._embedding

    def same_speaker_as(self, reference: Any, *, cohort: Any = None, threshold: float | None = None) -> AudioExpectation:
        """S-normalised speaker verification against ``reference`` (a source or an embedding)."""
        from conformance.audio.speaker import verify_speaker

        v = verify_speaker(self._embedding_of_self(), reference, cohort, threshold=threshold)
        self._check("speaker_cosine", v.cosine, "(informative)", True)
        return self._check("speaker_score", v.score, f"≥ {v.threshold:g} (S-norm, {v.backend})", v.same_speaker)

    def different_speaker_from(self, other: Any, *, threshold: float | None = None) -> AudioExpectation:
        from conformance.audio.speaker import verify_speaker

        v = verify_speaker(self._embedding_of_self(), other, threshold=threshold)
        return self._check("speaker_score", v.score, f"< {v.threshold:g} (S-norm, {v.backend})", not v.same_speaker)

    def similarity_at_least(self, reference: Any, cosine: float) -> AudioExpectation:
        from conformance.audio.speaker import speaker_similarity

        v = speaker_similarity(self._embedding_of_self(), reference)
        return self._check("speaker_cosine", v, f"≥ {cosine:g}", v >= cosine)

    def mos_at_least(self, ovrl: float = 3.0, *, sig: float | None = None, bak: float | None = None) -> AudioExpectation:
        """DNSMOS overall (and optionally SIG/BAK) of at least the given values."""
        from conformance.audio.quality import predicted_mos

        m = predicted_mos(self.decoded)
        self._check("dnsmos_ovrl", m.ovrl, f"≥ {ovrl:g}", m.ovrl >= ovrl)
        if sig is not None:
            self._check("dnsmos_sig", m.sig, f"≥ {sig:g}", m.sig >= sig)
        if bak is not None:
            self._check("dnsmos_bak", m.bak, f"≥ {bak:g}", m.bak >= bak)
        return self

    def intelligible(self, text: str, max_wer: float = 0.35) -> AudioExpectation:
        """English ASR word error rate against ``text`` at most ``max_wer``."""
        from conformance.audio.quality import intelligibility

        r = intelligibility(self.decoded, text)
        return self._check("wer", r.wer, f"≤ {max_wer:g} (heard: {r.transcript!r})", r.wer <= max_wer)

    def timing_preserved(self, source: Any, *, max_duration_change: float = 0.1, min_f0_correlation: float | None = 0.5
                         ) -> AudioExpectation:
        """Voice-changer output keeps the source's timing (duration ratio and DTW slope within
        ``1 ± max_duration_change``) and, if given, its intonation (F0 correlation)."""
        from conformance.audio.timing import timing_preservation

        t = timing_preservation(source, self.decoded)
        lo, hi = 1 - max_duration_change, 1 + max_duration_change
        self._check("duration_ratio", t.duration_ratio, f"{lo:g}–{hi:g}", lo <= t.duration_ratio <= hi)
        self._check("dtw_slope", t.dtw_slope, f"{lo:g}–{hi:g}", lo <= t.dtw_slope <= hi)
        if min_f0_correlation is not None:
            ok = t.f0_correlation is not None and t.f0_correlation >= min_f0_correlation
            self._check("f0_correlation", t.f0_correlation, f"≥ {min_f0_correlation:g}", ok)
        return self
