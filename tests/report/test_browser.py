"""The report in a real browser: headless Chromium driven over the DevTools protocol.

The records come from a pytester run of a tiny test file (passes, a failure, a skip, audio), so
this does not depend on the shipped suite. Chromium is Debian's ``chromium`` (scripts/apt-packages.txt).
"""

from __future__ import annotations

import base64
import contextlib
import itertools
import json
import shutil
import subprocess
import time
import urllib.request
from pathlib import Path
from typing import Any

import pytest

from tests.report.conftest import ARGS

pytest_plugins = ["pytester"]

CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update", "--disable-sync",
                  "--autoplay-policy=no-user-gesture-required", "--remote-debugging-port=0"]


def chromium_binary() -> str:
    found = shutil.which("chromium") or shutil.which("chromium-browser") or shutil.which("google-chrome")
    assert found, "Chromium is needed for the report's browser test: apt-get install chromium (scripts/setup)"
    return found


class Page:
    """A tab of headless Chromium over the DevTools protocol, recording console errors."""

    def __init__(self, user_data: Path):
        from websockets.sync.client import connect

        self.proc = subprocess.Popen([chromium_binary(), *CHROMIUM_FLAGS, f"--user-data-dir={user_data}",
                                      "about:blank"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        port_file = user_data / "DevToolsActivePort"
        deadline = time.monotonic() + 60
        while not (port_file.is_file() and port_file.read_text().strip()):
            assert self.proc.poll() is None, "chromium exited before opening its DevTools port"
            assert time.monotonic() < deadline, "chromium did not open its DevTools port"
            time.sleep(0.1)
        port = port_file.read_text().split()[0]
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/json/list", timeout=30) as resp:
            pages = [t for t in json.load(resp) if t["type"] == "page"]
        self.stack = contextlib.ExitStack()
        self.ws = self.stack.enter_context(connect(pages[0]["webSocketDebuggerUrl"], max_size=None, open_timeout=30))
        self.ids = itertools.count(1)
        self.events: list[dict[str, Any]] = []
        for domain in ("Runtime", "Log", "Page"):
            self.send(f"{domain}.enable")

    def send(self, method: str, **params: Any) -> dict[str, Any]:
        msg_id = next(self.ids)
        self.ws.send(json.dumps({"id": msg_id, "method": method, "params": params}))
        while True:
            msg = json.loads(self.ws.recv(timeout=60))
            if msg.get("id") == msg_id:
                assert "error" not in msg, f"{method}: {msg['error']}"
                return msg["result"]
            self.events.append(msg)

    def wait_for(self, event: str) -> None:
        deadline = time.monotonic() + 60
        while not any(e.get("method") == event for e in self.events):
            assert time.monotonic() < deadline, f"no {event}"
            self.events.append(json.loads(self.ws.recv(timeout=60)))

    def eval(self, expression: str) -> Any:
        result = self.send("Runtime.evaluate", expression=expression, returnByValue=True, awaitPromise=True)
        assert "exceptionDetails" not in result, result["exceptionDetails"]
        return result["result"].get("value")

    def errors(self) -> list[str]:
        out = []
        for e in self.events:
            p = e.get("params", {})
            if e.get("method") == "Runtime.consoleAPICalled" and p.get("type") in ("error", "assert"):
                out.append(json.dumps(p.get("args")))
            elif e.get("method") == "Runtime.exceptionThrown":
                out.append(json.dumps(p.get("exceptionDetails")))
            elif e.get("method") == "Log.entryAdded" and p["entry"]["level"] == "error":
                out.append(p["entry"]["text"])
        return out

    def close(self) -> None:
        try:
            self.stack.close()
        finally:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


@pytest.fixture
def page(tmp_path: Path):
    p = Page(tmp_path / "chromium-profile")
    yield p
    p.close()


AUDIO_STATE = """
Promise.all([...document.querySelectorAll('audio')].map(a => new Promise(resolve => {
  const done = () => resolve({mime: a.dataset.mime, canPlay: a.canPlayType(a.dataset.mime),
                              ready: a.readyState, duration: a.duration, error: a.error && a.error.code,
                              role: a.closest('.clip').dataset.role});
  if (a.readyState >= 1 || a.error) { done(); return; }
  a.addEventListener('loadedmetadata', done); a.addEventListener('error', done); a.load();
})))
"""


def test_report_in_headless_chromium(sample: pytest.Pytester, page: Page, tmp_path: Path) -> None:
    sample.runpytest(*ARGS, "--conformance-report=out/conformance.html")
    html = sample.path / "out/conformance.html"
    page.send("Page.navigate", url=html.as_uri())
    page.wait_for("Page.loadEventFired")

    # the summary and the matrix show the right counts
    totals = page.eval("Object.fromEntries([...document.querySelectorAll('#totals [data-outcome]')]"
                       ".map(e => [e.dataset.outcome, +e.dataset.count]))")
    assert totals == {"pass": 3, "fail": 1, "skip": 1, "error": 0}
    cells = page.eval("[...document.querySelectorAll('#matrix td.cell')].filter(c => c.textContent.trim() != '·')"
                      ".map(c => [c.parentElement.dataset.endpoint, c.dataset.family, +c.dataset.pass,"
                      " +c.dataset.fail, +c.dataset.skip, getComputedStyle(c).backgroundColor])")
    by_key = {(e, f): (p, fl, s) for e, f, p, fl, s, _ in cells}
    assert by_key == {("elevenlabs.speech_to_speech", "negative_data_rejection"): (1, 1, 0),
                      ("elevenlabs.speech_to_speech", "ignored_auth"): (0, 0, 1),
                      ("novita.txt2speech", "positive_data_acceptance"): (1, 0, 0),
                      ("novita.txt2speech", "content_type_conformance"): (1, 0, 0)}
    colours = {(e, f): bg for e, f, *_, bg in cells}
    assert colours[("elevenlabs.speech_to_speech", "negative_data_rejection")] == "rgb(255, 214, 214)"
    assert colours[("novita.txt2speech", "positive_data_acceptance")] == "rgb(212, 245, 221)"

    # the failing check's page opens from the matrix and shows rule, values and the escaped excerpt
    page.eval("document.querySelector('#matrix td.cell.fail a').click()")
    opened = page.eval("(() => { const t = document.querySelector(':target'); const r = t.getBoundingClientRect();"
                       " return {id: t.id, nodeid: t.dataset.nodeid, top: r.top, visible: r.height > 0,"
                       " rule: t.querySelector('.rule').textContent,"
                       " response: t.querySelector('pre.response').textContent,"
                       " request: t.querySelector('pre.request').textContent}; })()")
    assert opened["nodeid"].endswith("::test_rejects") and opened["visible"] and abs(opened["top"]) < 5
    assert opened["rule"].startswith("output_format is one of")
    assert opened["response"].startswith("<script>window.__pwned = 1</script>")  # shown as text…
    assert page.eval("window.__pwned === undefined && document.scripts.length === 1")  # …never run (the
    # one script is the report's filter, allowed by its hash alone)
    assert "***" in opened["request"] and "sk_live" not in opened["request"]

    # the audio players have playable sources: input, target voice and output side by side
    audio = page.eval(AUDIO_STATE)
    assert sorted(a["role"] for a in audio) == ["input", "output", "reference"]
    for a in audio:
        assert a["canPlay"] in ("probably", "maybe") and a["error"] is None, a
        assert a["ready"] >= 1 and a["duration"] == pytest.approx(1.0, abs=0.1), a
    images = page.eval("[...document.querySelectorAll('.clip img')].map(i => [i.complete, i.naturalWidth])")
    assert len(images) == 6 and all(ok and width > 0 for ok, width in images)

    # the filter of "Every check" works under the page's Content-Security-Policy
    shown = ("(() => { const f = document.getElementById('filter'); f.outcome.value = %r; f.provider.value = %r;"
             " f.dispatchEvent(new Event('change')); return [document.getElementById('shown').textContent,"
             " [...document.querySelectorAll('#checks details.entry')].filter(d => !d.hidden)"
             ".map(d => d.dataset.outcome)]; })()")
    assert page.eval(shown % ("", "")) == ["5", ["fail", "pass", "pass", "pass", "skip"]] or \
        sorted(page.eval(shown % ("", ""))[1]) == ["fail", "pass", "pass", "pass", "skip"]
    assert page.eval(shown % ("fail", "")) == ["1", ["fail"]]
    count, outcomes = page.eval(shown % ("pass", "novita"))
    assert count == str(len(outcomes)) and outcomes and set(outcomes) == {"pass"}

    shot = page.send("Page.captureScreenshot", format="png", captureBeyondViewport=True)
    (tmp_path / "report.png").write_bytes(base64.b64decode(shot["data"]))
    assert (tmp_path / "report.png").stat().st_size > 10_000
    assert page.errors() == []
