"""What each constraint says about a value, at each bound on both sides, and how the spec's pieces read.

These texts are what a user sees: a constraint's ``check`` message becomes the message of a
``SpecViolation`` and of a simulator's error body, its ``describe`` is the rule as reports list it,
``Param.describe`` and ``Auth.describe`` are printed by the spec listing, and ``Source`` names where
each rule was read. ``mask_value`` and ``AudioInput.describe`` decide what of a value may be shown:
never an API key, never audio bytes, never a value so long it floods a report.
"""

from __future__ import annotations

import pytest

from conformance import spec
from conformance.audio.probe import AudioInfo
from conformance.spec.model import (
    CONSTRAINTS,
    MISSING,
    AudioDuration,
    AudioFormat,
    AudioInput,
    Base64Audio,
    CommaList,
    EndsWithPunctuation,
    FileSize,
    JsonObjectString,
    Length,
    NotBlank,
    OneOf,
    Param,
    Range,
    RawPcm,
    Url,
    WordCount,
    _MissingType,
    container_magic,
    mask_value,
)

SRC = spec.Source("test doc", "section")
MB = 1024 * 1024
PCM16 = b"\x01\x00" * 100  # 100 headerless 16-bit samples
RIFF = b"RIFF\x24\x00\x00\x00WAVEfmt " + b"\x00" * 28
PDF = b"%PDF-1.4 this is not audio at all"


def info(fmt: str = "wav", duration: float | None = 2.0, size: int | None = None) -> AudioInfo:
    return AudioInfo(fmt, None, 16000, 1, duration, size)


def lasting(seconds: float) -> AudioInput:
    return AudioInput("bytes", data=RIFF, info=info(duration=seconds))


# --- the MISSING marker ---------------------------------------------------------------------------


def test_missing_is_one_falsy_marker_that_prints_as_its_name() -> None:
    assert _MissingType() is MISSING
    assert repr(MISSING) == "MISSING"
    assert bool(MISSING) is False
    assert MISSING is not None


def test_every_constraint_class_is_registered_under_its_key() -> None:
    classes = (OneOf, Range, Length, WordCount, EndsWithPunctuation, NotBlank, Url, Base64Audio,
               JsonObjectString, CommaList, AudioDuration, AudioFormat, FileSize, RawPcm)
    for cls in classes:
        assert CONSTRAINTS[cls.key] is cls, cls.key


# --- sources --------------------------------------------------------------------------------------


def test_a_source_reads_as_its_document_then_its_section_then_whether_it_is_assumed() -> None:
    assert str(spec.Source("seed doc")) == "seed doc"
    assert str(spec.Source("seed doc", "limits")) == "seed doc, limits"
    assert str(spec.Source("seed doc", "limits", assumed=True)) == "seed doc, limits [assumed]"
    assert str(spec.Source("seed doc", assumed=True)) == "seed doc [assumed]"
    assert str(spec.Source("seed doc", "limits", note="why it is so")) == "seed doc, limits"  # the note is not shown
    name = spec.get("faseeh.voice_clone").param("name").constraints[0]
    assert str(name.source) == "docs.faseeh.ai api-reference/voice-clone, name [assumed]"


def test_marking_a_source_assumed_keeps_where_it_is_from_and_its_note_unless_a_new_one_is_given() -> None:
    plain = spec.Source("seed doc", "limits")
    assert plain.as_assumed() == spec.Source("seed doc", "limits", True, "")
    noted = spec.Source("seed doc", "limits", note="read from the example")
    assert noted.as_assumed() == spec.Source("seed doc", "limits", True, "read from the example")
    assert noted.as_assumed("the docs are silent") == spec.Source("seed doc", "limits", True, "the docs are silent")
    assert str(noted.as_assumed()) == "seed doc, limits [assumed]"
    assert noted.assumed is False  # the original is left as it was


def test_a_source_at_another_section_keeps_everything_else() -> None:
    src = spec.Source("seed doc", "limits", True, "read from the example")
    assert src.at("errors") == spec.Source("seed doc", "errors", True, "read from the example")
    assert str(src.at("errors")) == "seed doc, errors [assumed]"


# --- masking values -------------------------------------------------------------------------------


def test_a_secret_is_never_shown_but_an_absent_or_empty_one_says_so() -> None:
    assert mask_value("sk-live-0123456789", secret=True) == "'***'"
    assert mask_value(12345, secret=True) == "'***'"
    assert mask_value("x" * 500, secret=True) == "'***'"
    assert mask_value("", secret=True) == "''"
    assert mask_value(None, secret=True) == "None"
    assert mask_value(MISSING, secret=True) == "MISSING"


def test_a_plain_value_is_shown_as_its_repr_and_absence_and_bytes_are_named() -> None:
    assert mask_value("sk-live-0123456789") == "'sk-live-0123456789'"  # not secret unless marked
    assert mask_value(3.5) == "3.5"
    assert mask_value(None) == "None"
    assert mask_value(MISSING) == "(missing)"
    assert mask_value(b"\x00" * 5) == "<5 bytes>"
    assert mask_value(bytearray(7)) == "<7 bytes>"
    assert mask_value(memoryview(b"abc")) == "<3 bytes>"
    audio = AudioInput("bytes", data=b"secret audio bytes")
    assert mask_value(audio) == "<audio bytes, 18 bytes>"


def test_a_value_is_cut_only_when_its_repr_is_longer_than_the_limit() -> None:
    at_limit = "a" * 78  # repr is 80 characters
    assert mask_value(at_limit) == "'" + "a" * 78 + "'"
    over = "a" * 79  # repr is 81 characters
    assert mask_value(over) == "'" + "a" * 67 + "…(81 chars)"
    assert mask_value("a" * 30, limit=20) == "'" + "a" * 7 + "…(32 chars)"
    assert mask_value("a" * 18, limit=20) == "'" + "a" * 18 + "'"


# --- audio values ---------------------------------------------------------------------------------


def test_audio_describes_itself_by_kind_name_size_and_header_never_by_its_bytes() -> None:
    url = AudioInput("url", url="https://files.example/a.wav")
    assert url.describe() == "<audio url 'https://files.example/a.wav'>"
    assert AudioInput("bytes", data=b"secret audio bytes").describe() == "<audio bytes, 18 bytes>"
    # only a path's file name is shown; a file object's name is kept but not printed
    assert AudioInput("bytes", data=b"abcd", filename="take.wav").describe() == "<audio bytes, 4 bytes>"
    assert AudioInput("path", data=b"abcd", filename="voice.wav").describe() == "<audio path 'voice.wav', 4 bytes>"
    broken = AudioInput("base64", data=None, probe_error="not valid base64")
    assert broken.describe() == "<audio base64, 0 bytes>"
    probed = AudioInput("path", data=b"abcd", filename="voice.wav",
                        info=AudioInfo("wav", "pcm_s16le", 16000, 1, 2.0, 64044))
    assert probed.describe() == "<audio path 'voice.wav', 4 bytes, wav/pcm_s16le, 16000 Hz, mono, 2.000 s>"
    assert repr(probed) == probed.describe()


# --- constraints: messages and descriptions ---------------------------------------------------------


def test_one_of_names_every_allowed_value() -> None:
    emotion = spec.get("modelslab.text_to_audio").param("emotion").constraints[0]
    assert emotion.check("happy") is None
    assert emotion.check("bored") == "must be one of neutral, happy, sad, angry, dull"
    assert emotion.describe() == "one of neutral, happy, sad, angry, dull"
    assert OneOf((0, 1, 2), SRC).check(3) == "must be one of 0, 1, 2"
    assert OneOf((0, 1, 2), SRC).check(2) is None


def test_one_of_lists_up_to_eight_values_and_shortens_a_longer_list_to_six() -> None:
    eight = spec.get("novita.minimax_voice_cloning").param("model").constraints[0]
    assert eight.describe() == ("one of speech-02-hd, speech-02-turbo, speech-2.5-hd-preview, "
                                "speech-2.5-turbo-preview, speech-2.6-hd, speech-2.6-turbo, speech-2.8-hd, "
                                "speech-2.8-turbo")
    assert OneOf(tuple(range(1, 10)), SRC).describe() == "one of 9 values: 1, 2, 3, 4, 5, 6, …"
    formats = spec.get("elevenlabs.speech_to_speech").param("output_format").constraints[0]
    assert formats.describe() == ("one of 28 values: alaw_8000, mp3_22050_32, mp3_24000_48, mp3_44100_32, "
                                  "mp3_44100_64, mp3_44100_96, …")


def test_whole_numbers_in_a_range_are_written_out_in_full() -> None:
    seed = spec.get("elevenlabs.speech_to_speech").param("seed").constraints[0]
    assert seed.describe() == "number in [0, 4294967295]"
    assert seed.check(4294967296) == "must be in [0, 4294967295]"
    assert Range(0.7, 1.2, SRC).describe() == "number in [0.7, 1.2]"
    assert Range(1.0, 1e6, SRC).describe() == "number in [1, 1000000]"


def test_length_counts_characters_at_both_bounds_and_describes_each_kind_of_bound() -> None:
    at_least = Length(10, None, SRC)
    assert at_least.check("a" * 9) == "must be at least 10 characters (got 9)"
    assert at_least.check("a" * 10) is None
    at_most = spec.get("novita.minimax_voice_cloning").param("text").constraints[0]
    assert at_most.check("x" * 2000) is None
    assert at_most.check("x" * 2001) == "must be at most 2000 characters (got 2001)"
    assert at_least.check(12345678901) is None  # the type check reports it
    assert Length(2, 5, SRC).describe() == "2 to 5 characters"
    assert at_least.describe() == "at least 10 characters"
    assert at_most.describe() == "at most 2000 characters"


def test_word_count_counts_whitespace_separated_words() -> None:
    words = spec.get("faseeh.voice_preview").param("text").constraints[0]
    assert isinstance(words, WordCount)
    assert words.check("one two") == "must have at least 3 words (got 2)"
    assert words.check(" one\ttwo\nthree ") is None
    assert words.check(3) is None
    assert words.describe() == "at least 3 words"


def test_text_must_end_with_a_mark_of_punctuation_in_any_listed_script_trailing_space_aside() -> None:
    rule = spec.get("novita.minimax_voice_cloning").param("clone_prompt").field("prompt_text").constraints[1]
    assert isinstance(rule, EndsWithPunctuation)
    assert rule.check("Hello there") == "must end with punctuation"
    assert rule.check("Hello there.  \n") is None
    assert rule.check("你好。") is None and rule.check("مرحبا؟") is None
    assert rule.check("   ") is None  # empty text is NotBlank's to report
    assert rule.check(7) is None
    assert rule.describe() == "ends with punctuation"


def test_not_blank_refuses_only_text_that_is_all_whitespace() -> None:
    rule = NotBlank(SRC)
    assert rule.check("") == "must not be empty"
    assert rule.check(" \t\n") == "must not be empty"
    assert rule.check(" x ") is None
    assert rule.check(0) is None
    assert rule.describe() == "not empty"


def test_a_url_must_be_http_or_https_and_local_audio_is_named() -> None:
    rule = spec.get("faseeh.voice_clone").param("avatar_url").constraints[0]
    assert rule.check("https://img.example/a.png") is None
    assert rule.check("HTTP://IMG.EXAMPLE/A.PNG") is None
    assert rule.check("img.example/a.png") == "must be an http(s) URL"
    assert rule.check("ftp://img.example/a.png") == "must be an http(s) URL"
    assert rule.check(5) == "must be an http(s) URL"
    assert rule.check(AudioInput("url", url="https://files.example/a.wav")) is None
    assert rule.check(AudioInput("url", url="files.example/a.wav")) == "must be an http(s) URL"
    assert rule.check(AudioInput("bytes", data=RIFF)) == "must be a URL (got local bytes audio)"
    assert rule.describe() == "an http(s) URL"


def test_base64_audio_must_be_decoded_audio_data_and_says_why_not() -> None:
    rule = Base64Audio(SRC)
    assert rule.check(AudioInput("base64", data=RIFF)) is None
    assert rule.check(AudioInput("url", url="https://files.example/a.wav")) == "must be base64 audio data, not a URL"
    bad = AudioInput("base64", data=None, probe_error="not valid base64")
    assert rule.check(bad) == "is not valid base64 audio (not valid base64)"
    assert rule.check(AudioInput("base64", data=None)) == "is not valid base64 audio (no data)"
    assert rule.check("UklGRg==") == "must be base64 audio data"
    assert rule.describe() == "base64 audio data"


def test_a_json_object_string_must_parse_to_an_object() -> None:
    rule = spec.get("elevenlabs.speech_to_speech").param("voice_settings").constraints[0]
    assert rule.check('{"stability": 0.5}') is None
    assert rule.check("stability=0.5") == "must be a JSON-encoded object"
    assert rule.check("[0.5]") == "must be a JSON-encoded object"
    assert rule.check('"text"') == "must be a JSON-encoded object"
    deep = '{"a":' * 101 + "1" + "}" * 101
    assert rule.check(deep) == "must be a JSON-encoded object (JSON nested more than 100 levels deep)"
    assert rule.check({"stability": 0.5}) is None  # the type check reports it
    assert rule.describe() == "a JSON-encoded object"


def test_a_comma_list_names_at_most_three_bad_items() -> None:
    rule = spec.get("faseeh.voice_clone").param("languages").constraints[0]
    assert rule.check("ar, en,fra") is None
    assert rule.check("ar;en") == "must be a comma-separated list of items matching [a-z]{2,3} (bad: ['ar;en'])"
    assert rule.check("1,2,3,4") == "must be a comma-separated list of items matching [a-z]{2,3} (bad: ['1', '2', '3'])"
    assert rule.check(3) is None
    assert rule.describe() == "comma-separated list of [a-z]{2,3}"


def test_audio_duration_at_each_bound_closed_and_open() -> None:
    closed = spec.get("modelslab.text_to_audio").param("init_audio").constraints[0]
    assert closed.check(lasting(4.0)) is None and closed.check(lasting(30.0)) is None
    assert closed.check(lasting(3.999)) == "audio lasts 3.999 s; must be 4 s to 30 s long"
    assert closed.check(lasting(30.001)) == "audio lasts 30.001 s; must be 4 s to 30 s long"
    open_min = AudioDuration(4, 30, SRC, min_exclusive=True)
    assert open_min.check(lasting(4.0)) == "audio lasts 4.000 s; must be 4 s to 30 s long"
    assert open_min.check(lasting(4.001)) is None
    prompt_audio = spec.get("novita.minimax_voice_cloning").param("clone_prompt").field("prompt_audio_url")
    under = next(c for c in prompt_audio.constraints if isinstance(c, AudioDuration))
    assert under.check(lasting(8.0)) == "audio lasts 8.000 s; must be under 8 s long"
    assert under.check(lasting(7.999)) is None


def test_audio_duration_skips_what_it_cannot_measure() -> None:
    rule = AudioDuration(4, 30, SRC)
    assert rule.check(AudioInput("url", url="https://files.example/a.wav")) is None  # not fetched
    assert rule.check(AudioInput("bytes", data=RIFF)) is None  # not probed
    assert rule.check(AudioInput("bytes", data=RIFF, info=info(duration=None))) is None
    assert rule.check(2.0) is None


def test_audio_duration_describes_each_kind_of_bound() -> None:
    assert AudioDuration(4, 30, SRC).describe() == "4 s to 30 s long"
    assert AudioDuration(None, 30, SRC).describe() == "at most 30 s long"
    assert AudioDuration(None, 8, SRC, max_exclusive=True).describe() == "under 8 s long"
    assert AudioDuration(0.5, None, SRC).describe() == "at least 0.5 s long"
    assert AudioDuration(0, None, SRC).describe() == "at least 0 s long"


def test_audio_format_names_what_the_audio_is_and_what_it_must_be() -> None:
    fmt = AudioFormat(("wav", "mp3"), SRC)
    assert fmt.describe() == "WAV or MP3"
    assert fmt.check(AudioInput("bytes", data=RIFF, info=info("wav"))) is None
    assert fmt.check(AudioInput("bytes", data=RIFF, info=info("ogg"))) == "is ogg; must be WAV or MP3"
    unknown = AudioInput("bytes", data=PCM16, probe_error="not a recognised audio format")
    assert fmt.check(unknown) == "is not recognisable audio (not a recognised audio format); must be WAV or MP3"
    # bytes read as headerless PCM (for another rule) are not one of this param's formats
    raw = AudioInput("bytes", data=PCM16, info=info("raw"))
    assert fmt.check(raw) == "is not recognisable audio (unknown format); must be WAV or MP3"
    assert fmt.check(AudioInput("url", url="https://files.example/a.wav")) is None  # not fetched
    assert fmt.check(RIFF) is None  # the type check reports it


def test_a_format_that_takes_raw_pcm_names_a_file_of_another_kind_and_why_it_did_not_read() -> None:
    fmt = spec.get("faseeh.voice_clone").param("voice_file").constraints[0]
    must = "must be WAV or MP3 or OGG or FLAC or M4A or AAC or raw 16-bit little-endian PCM at 24000 Hz, mono"
    assert fmt.describe() == must[len("must be "):]
    assert fmt.check(AudioInput("bytes", data=PCM16)) is None
    assert fmt.check(AudioInput("bytes", data=PDF)) == f"is a pdf file that is not readable audio; {must}"
    broken = AudioInput("bytes", data=RIFF, probe_error="truncated WAV header")
    assert fmt.check(broken) == f"is a wav file that is not readable audio (truncated WAV header); {must}"
    odd = AudioInput("bytes", data=PCM16 + b"\x01")
    assert fmt.check(odd) == f"has 201 bytes, not a whole number of 16-bit frames; {must}"


def test_file_size_goes_by_the_header_size_else_the_bytes_at_both_sides_of_the_limit() -> None:
    rule = spec.get("elevenlabs.speech_to_speech").param("audio").constraints[1]
    assert rule.describe() == "50 MB"
    url = "https://files.example/big.wav"
    assert rule.check(AudioInput("url", url=url, info=info(size=50 * MB))) is None
    assert rule.check(AudioInput("url", url=url, info=info(size=50 * MB + 1))) == \
        "is 52428801 bytes; must be at most 50 MB"
    small = FileSize(MB, SRC)
    assert small.check(AudioInput("bytes", data=b"\0" * (MB + 1), info=info(size=None))) == \
        "is 1048577 bytes; must be at most 1 MB"
    assert small.check(AudioInput("bytes", data=b"\0" * MB)) is None
    assert small.check(b"\0" * MB) is None
    assert small.check(b"\0" * (MB + 1)) == "is 1048577 bytes; must be at most 1 MB"
    assert small.check(bytearray(MB + 1)) == "is 1048577 bytes; must be at most 1 MB"
    assert small.check(AudioInput("url", url=url)) is None  # size unknown
    assert small.check("x" * (MB + 1)) is None  # not audio: not this rule's


@pytest.mark.parametrize(("data", "kind"), [
    (RIFF, "wav"), (b"RIFX\x00\x00\x00\x00", "wav"), (b"FORM\x00\x00\x00\x00AIFF", "aiff"),
    (b"ID3\x04\x00", "mp3"), (b"OggS\x00\x02", "ogg"), (b"fLaC\x00\x00\x00\x22", "flac"), (PDF, "pdf"),
    (b"GIF89a", "gif"), (b"\x89PNG\r\n\x1a\n", "png"), (b"PK\x03\x04", "zip"), (b"\xff\xd8\xff\xe0", "jpeg"),
    (b"\x00\x00\x00\x18ftypmp42", "mp4"), (b"\x00\x00\x00\x20ftypM4A ", "mp4"),
    (PCM16, None), (b"\xff\xfb\x90\x00", None), (b"ftyp", None), (b"", None),
])
def test_a_file_kind_is_told_by_its_first_bytes(data: bytes, kind: str | None) -> None:
    assert container_magic(data) == kind


def test_raw_pcm_refuses_a_file_with_a_header_and_says_what_it_must_be() -> None:
    mono = RawPcm(24000, SRC)
    assert mono.check(AudioInput("bytes", data=RIFF)) == \
        "is a wav file; must be raw 16-bit little-endian PCM, 24000 Hz, mono, no header"
    stereo = RawPcm(16000, SRC, channels=2)
    assert stereo.check(AudioInput("bytes", data=RIFF)) == \
        "is a wav file; must be raw 16-bit little-endian PCM, 16000 Hz, 2 ch, no header"
    # an MP3 without an ID3 tag has no signature of its own: its probed format still counts
    mp3 = AudioInput("bytes", data=b"\xff\xfb\x90\x00" * 50, info=info("mp3"))
    assert mono.check(mp3) == "is a mp3 file; must be raw 16-bit little-endian PCM, 24000 Hz, mono, no header"


def test_raw_pcm_must_hold_whole_frames_of_its_width_and_channels() -> None:
    mono = RawPcm(24000, SRC)
    assert mono.check(AudioInput("bytes", data=PCM16)) is None
    assert mono.check(AudioInput("bytes", data=PCM16, info=info("raw"))) is None
    assert mono.check(AudioInput("bytes", data=b"")) == "is empty"
    assert mono.check(AudioInput("bytes", data=b"\x01\x00\x02")) == "has 3 bytes, not a whole number of 16-bit frames"
    stereo = RawPcm(16000, SRC, channels=2)
    assert stereo.check(AudioInput("bytes", data=b"\x01\x00" * 4)) is None
    assert stereo.check(AudioInput("bytes", data=b"\x01\x00" * 3)) == \
        "has 6 bytes, not a whole number of 16-bit frames"
    wide = RawPcm(16000, SRC, sample_width=4)
    assert wide.check(AudioInput("bytes", data=b"\x01\x00" * 3)) == "has 6 bytes, not a whole number of 32-bit frames"
    assert mono.check(PCM16) is None  # not audio: the type check reports it
    assert mono.check(AudioInput("url", url="https://files.example/a.pcm")) is None  # no bytes to look at


def test_raw_pcm_describes_its_width_rate_and_channels() -> None:
    rule = next(r for r in spec.get("elevenlabs.speech_to_speech").rules if isinstance(r.constraint, RawPcm))
    assert rule.constraint.describe() == "raw 16-bit little-endian PCM at 16000 Hz, mono"
    assert RawPcm(48000, SRC, channels=2, sample_width=3).describe() == \
        "raw 24-bit little-endian PCM at 48000 Hz, 2 channels"


# --- params ---------------------------------------------------------------------------------------


def test_a_param_describes_where_it_goes_its_type_whether_required_its_default_and_its_rules() -> None:
    sts = spec.get("elevenlabs.speech_to_speech")
    assert sts.param("voice_id").describe() == "voice_id (path, string); required; not empty"
    assert sts.param("optimize_streaming_latency").describe() == \
        "optimize_streaming_latency (query, integer, nullable); optional; default None; number in [0, 4]"
    assert spec.get("modelslab.text_to_audio").param("emotion").describe() == \
        "emotion (json, string); optional; default 'neutral'; one of neutral, happy, sad, angry, dull"
    clone = spec.get("faseeh.voice_clone")
    assert clone.param("text").describe() == "text (form, string); required; at least 3 words; at least 10 characters"
    assert clone.param("description").describe() == "description (form, string); optional"


def test_an_object_param_finds_its_fields_by_name() -> None:
    prompt = spec.get("novita.minimax_voice_cloning").param("clone_prompt")
    assert prompt.field("prompt_text").name == "prompt_text"
    assert prompt.field("prompt_audio_url").name == "prompt_audio_url"
    with pytest.raises(KeyError) as err:
        prompt.field("prompt_voice")
    assert err.value.args == ("prompt_voice",)


def test_an_object_param_reads_its_documented_fields_back_into_their_types() -> None:
    flag = Param("loud", "json", "boolean", SRC, numeric_bool=SRC)
    obj = Param("settings", "json", "object", SRC, fields=(flag, Param("n", "json", "integer", SRC)))
    decoded = obj.decode({"loud": 1, "n": 3, "other": 1})
    assert decoded["loud"] is True  # the field's own rule applied
    assert decoded["other"] == 1 and type(decoded["other"]) is int  # an undocumented field is left as sent
    assert decoded == {"loud": True, "n": 3, "other": 1}


@pytest.mark.parametrize("location", ["query", "header", "path"])
def test_text_locations_are_written_as_servers_read_them(location: str) -> None:
    p = Param("p", location, "boolean", SRC)  # type: ignore[arg-type]
    assert (p.encode(True), p.encode(False), p.encode(None), p.encode(7)) == ("true", "false", "", "7")


def test_json_and_file_values_keep_their_types_on_the_wire() -> None:
    assert spec.get("elevenlabs.speech_to_speech").param("enable_logging").encode(False) == "false"
    for location in ("json", "file"):
        p = Param("p", location, "boolean", SRC)  # type: ignore[arg-type]
        assert p.encode(True) is True and p.encode(None) is None


# --- auth -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(("provider_id", "text"), [
    ("elevenlabs", "header xi-api-key: <key>"),
    ("faseeh", "header x-api-key: <key>"),
    ("novita", "header Authorization: Bearer <key>"),
    ("modelslab", "JSON body field 'key'"),
])
def test_auth_says_where_the_key_travels_without_the_key(provider_id: str, text: str) -> None:
    assert spec.provider(provider_id).auth.describe() == text
