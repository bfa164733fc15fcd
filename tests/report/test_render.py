"""The HTML: escaping, matrix counts, failure sections, audio panels, comparison, size."""

from __future__ import annotations

import re

from conformance.report.records import Record, build_record
from conformance.report.render import build_context, record_metrics, render_html
from tests.report.conftest import tone_wav


def _records() -> list[Record]:
    return [
        Record("t::a", "pass", provider="novita", endpoint="novita.tts", check="positive_data_acceptance",
               measured={"speaker_similarity": 0.9, "wer": 0.25}, latency={"ttfb": 0.2, "total": 1.0}),
        Record("t::b", "fail", provider="novita", endpoint="novita.tts", check="positive_data_acceptance",
               measured={"speaker_similarity": 0.5}, rule="<b>rule</b>", source="docs & more",
               response_excerpt="<script>alert('x')</script>", latency={"ttfb": 0.4, "total": 3.0}),
        Record("t::c", "skip", provider="novita", endpoint="novita.tts", check="ignored_auth", failure="no key"),
        Record("t::d", "error", provider="faseeh", endpoint="faseeh.tts", check="content_type_conformance"),
        Record("t::e", "pass", provider="faseeh", endpoint="faseeh.tts", check="content_type_conformance"),
    ]


def test_every_provider_string_is_escaped_and_no_script_can_run() -> None:
    from conformance.report.render import FILTER_JS, script_hash

    html = render_html(_records())
    # the one script is the kit's filter; every provider string stays text
    assert html.count("<script") == 1 and f"<script>{FILTER_JS}</script>" in html
    assert "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;" in html
    assert "&lt;b&gt;rule&lt;/b&gt;" in html and "docs &amp; more" in html
    assert f"script-src {script_hash()};" in html and not re.search(r"""(src|href)=["']https?:""", html)


def test_matrix_counts_and_failure_links() -> None:
    ctx = build_context(_records())
    assert ctx["totals"] == {"pass": 2, "fail": 1, "skip": 1, "error": 1}
    assert ctx["families"] == ["content_type_conformance", "ignored_auth", "positive_data_acceptance"]
    novita = next(r for r in ctx["matrix"] if r["provider"] == "novita")
    pda = novita["cells"][2]
    assert (pda.counts["pass"], pda.counts["fail"], pda.status, pda.first_failure) == (1, 1, "fail", "r1")
    assert novita["cells"][0].status == "none" and novita["cells"][1].status == "skip"
    html = render_html(_records())
    assert 'href="#r1"' in html and 'id="r1"' in html and 'id="r3"' in html and 'id="r0"' not in html


def test_comparison_metrics() -> None:
    rows = {r["provider"]: r for r in build_context(_records())["comparison"]}
    assert rows["novita"]["speaker_similarity"]["value"] == 0.7
    assert rows["novita"]["intelligibility"]["value"] == 0.75
    assert rows["novita"]["ttfb"]["value"] == 0.3 and rows["novita"]["total"]["n"] == 2
    assert rows["faseeh"]["format_honesty"] == {"value": 1.0, "n": 1}  # the error is not a verdict
    assert record_metrics(Record("x", "fail", check="audio_format")) == {"format_honesty": 0.0}
    html = render_html(_records())
    assert html.count("<svg") == len(build_context(_records())["charts"]) >= 4


def test_audio_panel_has_players_pictures_and_values() -> None:
    rec = build_record({"audio": {"input": tone_wav(200), "reference": tone_wav(300), "output": tone_wav(400)},
                        "measured": {"speaker_similarity": 0.61}}, nodeid="t::s", outcome="fail",
                       provider="elevenlabs", check="speaker_similarity")
    html = render_html([rec])
    assert html.count("<audio") == 3 and html.count('src="data:audio/ogg; codecs=opus;base64,') == 3
    assert html.count('src="data:image/png;base64,') == 6
    assert "Target voice" in html and 'href="#a0"' in html and 'id="a0"' in html and "0.61" in html


def test_a_hundred_speech_panels_stay_under_ten_megabytes() -> None:
    from conformance.audio.corpus import make_clip

    clips = {role: (make_clip(spk, 3.0, 16000), 16000) for role, spk in
             (("input", "en_slt"), ("reference", "cs_machac"), ("output", "en_kal"))}
    rec = build_record({"audio": clips}, nodeid="t::s", outcome="pass")
    html = render_html([rec] * 100)
    # each clip embedded once; the other 99 panels point to it
    assert html.count("<audio") == 3 and html.count("the same clip as") == 297
    assert len(html.encode()) < 2_000_000


def test_inline_media_beyond_the_budget_is_left_out_failures_first() -> None:
    ok = build_record({"audio": {"output": tone_wav(200)}}, nodeid="t::ok", outcome="pass")
    ok2 = build_record({"audio": {"output": tone_wav(250)}}, nodeid="t::ok2", outcome="pass")
    bad = build_record({"audio": {"output": tone_wav(300)}}, nodeid="t::bad", outcome="fail")
    size = sum(len(v) for k, v in bad.audio["output"].items() if k in ("data", "waveform", "spectrogram"))
    html = render_html([ok, ok2, bad], media_budget=int(size * 2.5))
    assert html.count("<audio") == 2 and "1 panel(s) shown without players" in html
    ctx = build_context([ok, ok2, bad], media_budget=int(size * 2.5))
    assert [p["media"] for p in ctx["panels"]] == [True, False, True]


def test_a_failure_card_leads_with_its_cause_rule_and_source_and_every_check_has_an_entry() -> None:
    checks = [{"check": "not_a_server_error", "passed": True, "message": "HTTP 200", "measured": {"status": 200},
               "expected": {"status": "< 500"}, "rule": "no server error", "source": "the docs"},
              {"check": "content_type_conformance", "passed": False, "message": "text/html is not documented",
               "measured": {"content_type": "text/html"}, "expected": {"content_type": "application/json"},
               "rule": "documented content type", "source": "the OpenAPI, responses 200"}]
    bad = build_record({"extra": {"checks": checks}, "cause": "content_type_conformance: FAILED: text/html"},
                       nodeid="s::test_positive_data_acceptance[novita.minimax_voice_cloning]", outcome="fail",
                       provider="novita", endpoint="novita.minimax_voice_cloning", check="positive_data_acceptance")
    ok = build_record({"measured": {"status": 401}}, nodeid="s::test_ignored_auth[novita.minimax_voice_cloning-wrong]",
                      outcome="pass", provider="novita", endpoint="novita.minimax_voice_cloning", check="ignored_auth")
    html = render_html([bad, ok])
    card = html.split('<section class="check"', 1)[1].split("</section>", 1)[0]
    # the cause, then the rule and source of the failing check (the record gave none of its own)
    assert card.index("content_type_conformance: FAILED: text/html") < card.index("documented content type") \
        < card.index("the OpenAPI, responses 200") < card.index("<code>s::test_positive")
    assert "positive_data_acceptance [novita.minimax_voice_cloning]" in card
    every = html.split('<section id="checks">', 1)[1].split("</section>", 1)[0]
    assert every.count('<details class="entry"') == 2  # the passing test too
    for name in ("not_a_server_error", "content_type_conformance"):
        assert name in every
    assert "ignored_auth [novita.minimax_voice_cloning-wrong]" in every


def test_flows_are_rows_of_the_matrix() -> None:
    recs = [build_record({}, nodeid=f"s::test_flow[{f}]", outcome="pass", provider=f.split(".")[0], check="flow")
            for f in ("modelslab.job", "faseeh.preview_clone")]
    ctx = build_context(recs)
    assert ctx["families"] == ["flow"]
    assert [(r["provider"], r["endpoint"]) for r in ctx["matrix"]] == [("faseeh", "flow faseeh.preview_clone"),
                                                                      ("modelslab", "flow modelslab.job")]


def test_the_one_script_is_the_filter_and_the_policy_allows_it_alone() -> None:
    import base64
    import hashlib
    import re

    html = render_html([build_record({}, nodeid="t::a", outcome="pass", provider="novita", check="ignored_auth")])
    scripts = re.findall(r"<script>(.*?)</script>", html, re.S)
    assert len(scripts) == 1
    digest = base64.b64encode(hashlib.sha256(scripts[0].encode()).digest()).decode()
    policy = re.search(r'Content-Security-Policy" content="([^"]+)"', html).group(1)
    assert f"script-src 'sha256-{digest}';" in policy and "unsafe-inline" not in policy.split("script-src")[1].split(";")[0]
    assert '<option value="novita">novita</option>' in html and '<option value="ignored_auth">' in html
