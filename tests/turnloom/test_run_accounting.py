"""The manifest accounts for every model request of a run, per role: requests, tokens, retries,
timeouts and errors, failed calls included, equal to what the server saw. A real scripted
server on 127.0.0.1."""

from __future__ import annotations

import json
import threading
from pathlib import Path
from typing import Any

from scripted_server import Reply, ScriptedOpenAIServer, slow, text
from typer.testing import CliRunner

from turnloom.cli import app

runner = CliRunner()
PROMPT, COMPLETION = 11, 5


class Flaky:
    """Request 2 outlasts the client's timeout, 4 gets one 503, 6 and 7 two 503s (more than
    the one retry allowed: that call fails for good); every other request is answered."""

    def __init__(self) -> None:
        self.n = 0
        self.answered = 0
        self.lock = threading.Lock()

    def __call__(self, body: dict[str, Any]) -> Reply:
        with self.lock:
            self.n += 1
            n = self.n
            if n not in (2, 4, 6, 7):
                self.answered += 1
        if n == 2:
            return slow(1.5, text("too late"))
        if n in (4, 6, 7):
            return Reply(status=503, message="busy")
        return text("Happy to help with that.", prompt_tokens=PROMPT, completion_tokens=COMPLETION)


def test_manifest_usage_equals_what_the_server_saw(tmp_path: Path) -> None:
    script = Flaky()
    srv = ScriptedOpenAIServer(script=script).start()
    try:
        scenario = tmp_path / "travel-llm.yaml"
        scenario.write_text("name: travel-llm\nextends: travel\nmax_turns: 4\nmodels:\n  assistant: "
                            f"{{spec: 'openai:scripted-model@{srv.url}', max_retries: 1, timeout: 1, "
                            "retry_base_delay: 0.01, retry_max_delay: 0.02}\n")
        out = tmp_path / "o"
        result = runner.invoke(app, ["run", str(scenario), "-n", "4", "--seed", "2", "-o", str(out), "--quiet",
                                     "--no-cache", "--concurrency", "1", "--max-failures", "1"])
        assert result.exit_code == 0, result.output
        sent = len(srv.chat_requests)
    finally:
        srv.stop()
    manifest = json.loads((out / "manifest.json").read_text())
    usage = manifest["usage"]["assistant"]
    assert manifest["counts"]["failed"] == 1  # the call that failed for good
    assert usage["sent"] == sent > 7
    assert usage["timeouts"] == 1 and usage["retries"] == 3 and usage["errors"] == 1
    assert usage["requests"] == sent - usage["retries"] and usage["cached"] == 0
    assert usage["prompt_tokens"] == PROMPT * script.answered
    assert usage["completion_tokens"] == COMPLETION * script.answered


def test_requests_in_flight_stay_within_the_endpoint_limit_and_none_is_sent_twice(tmp_path: Path) -> None:
    srv = ScriptedOpenAIServer(script=lambda body: slow(0.05, text("Happy to help with that."))).start()
    try:
        out = tmp_path / "o"
        result = runner.invoke(app, ["run", "travel", "-n", "6", "--seed", "4", "-o", str(out), "--quiet",
                                     "--no-cache", "--concurrency", "6", "--model-concurrency", "2",
                                     "--model", f"assistant=openai:scripted-model@{srv.url}",
                                     "--model", f"user=openai:scripted-model@{srv.url}"])
        assert result.exit_code == 0, result.output
        bodies = [json.dumps(r.body, sort_keys=True) for r in srv.chat_requests]
        in_flight = srv.max_in_flight
    finally:
        srv.stop()
    usage = json.loads((out / "manifest.json").read_text())["usage"]
    assert in_flight == 2  # both roles share the endpoint's two slots
    assert len(set(bodies)) == len(bodies)
    assert sum(u["sent"] for u in usage.values()) == len(bodies)
    assert all(u["retries"] == u["timeouts"] == u["errors"] == 0 for u in usage.values())
