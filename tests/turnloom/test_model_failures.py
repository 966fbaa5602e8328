"""`turnloom run` and `pool evolve` with a mistyped, dead or failing model: a clear one-line
error and a non-zero exit, never a "successful" run of failures. Real servers on 127.0.0.1."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace

import pytest
from scripted_server import Reply, ScriptedOpenAIServer
from typer.testing import CliRunner

from turnloom.cli import app
from turnloom.dataset import read_dialogues
from turnloom.model_failures import MODEL_FAILURE, ModelFailureError, ModelFailureGuard

runner = CliRunner()
DEAD = "http://127.0.0.1:9/v1"


@pytest.fixture
def failing_server() -> Iterator[ScriptedOpenAIServer]:
    """Lists its model (the preflight passes), then answers every chat request with a 500."""
    srv = ScriptedOpenAIServer(script=lambda body: Reply(status=500, message="GPU fell over")).start()
    yield srv
    srv.stop()


def _scenario(tmp_path: Path, url: str) -> Path:
    path = tmp_path / "travel-llm.yaml"
    path.write_text("name: travel-llm\nextends: travel\nmax_turns: 6\n"
                    f"models:\n  assistant: {{spec: 'openai:scripted-model@{url}', max_retries: 0, timeout: 5}}\n")
    return path


def test_a_bare_model_name_is_an_error_not_openai(tmp_path: Path) -> None:
    result = runner.invoke(app, ["run", "travel", "-n", "1", "-o", str(tmp_path / "o"), "--model", "assistant=gpt4"])
    assert result.exit_code == 2, result.output
    assert "'gpt4'" in result.output and "openai:gpt4@http://HOST:PORT/v1" in result.output
    assert not (tmp_path / "o").exists()


def test_an_unreachable_model_stops_the_run_before_any_work(tmp_path: Path) -> None:
    start = time.monotonic()
    result = runner.invoke(app, ["run", "travel", "-n", "2", "-o", str(tmp_path / "o"), "--quiet",
                                 "--model", f"assistant=openai:x@{DEAD}"])
    assert time.monotonic() - start < 30
    assert result.exit_code == 2, result.output
    line = result.output.strip()
    assert "\n" not in line and "assistant" in line and DEAD in line and "connection error" in line
    assert not (tmp_path / "o").exists()


def test_a_model_failing_mid_run_stops_it_with_the_cause(failing_server: ScriptedOpenAIServer,
                                                         tmp_path: Path) -> None:
    out = tmp_path / "o"
    result = runner.invoke(app, ["run", str(_scenario(tmp_path, failing_server.url)), "-n", "6", "--seed", "1",
                                 "-o", str(out), "--quiet", "--concurrency", "1", "--no-cache"])
    assert result.exit_code == 1, result.output
    assert "a model failed in 4 of 4 dialogues written (more than 50% allowed)" in result.output
    assert "assistant" in result.output and failing_server.url in result.output and "HTTP 500" in result.output
    assert not (out / "manifest.json").exists()  # not a finished run
    failed = list(read_dialogues(out / "failed.jsonl"))
    assert failed and all(d.verdict.checks[0].rule == MODEL_FAILURE for d in failed)
    assert not (out / "accepted.jsonl").read_text() and not (out / "rejected.jsonl").read_text()


def test_max_failures_1_lets_the_run_finish_and_names_the_cause(failing_server: ScriptedOpenAIServer,
                                                                tmp_path: Path) -> None:
    out = tmp_path / "o"
    result = runner.invoke(app, ["run", str(_scenario(tmp_path, failing_server.url)), "-n", "3", "--seed", "1",
                                 "-o", str(out), "--quiet", "--no-cache", "--max-failures", "1"])
    assert result.exit_code == 0, result.output
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["counts"] == {"accepted": 0, "rejected": 0, "failed": 3}
    assert manifest["failure_reasons"] == {"assistant": 3} and MODEL_FAILURE not in manifest["rejection_reasons"]
    assert "3 failed" in result.output and "--resume" in result.output
    reasons = [d.verdict.reasons[0] for d in read_dialogues(out / "failed.jsonl")]
    assert len(reasons) == 3 and all(r.startswith("model_failure: assistant: ") and "HTTP 500" in r for r in reasons)


def _outcome(failed: bool) -> SimpleNamespace:
    checks = [{"rule": MODEL_FAILURE, "reason": "assistant: gone", "passed": False}] if failed else []
    return SimpleNamespace(failed_rules=(MODEL_FAILURE,) if failed else (),
                           line=json.dumps({"verdict": {"checks": checks}}))


def test_guard_stops_once_the_share_is_certain_or_exceeded_so_far() -> None:
    guard = ModelFailureGuard(100, 0.5)
    for failed in [False] * 10 + [True] * 10:  # 10 of 20 so far: not more than half
        guard(_outcome(failed))
    with pytest.raises(ModelFailureError, match=r"11 of 21 dialogues .* first failure: assistant: gone"):
        guard(_outcome(True))

    small = ModelFailureGuard(4, 0.5)  # fewer dialogues than the sample: stops once certain (3 of 4)
    small(_outcome(True))
    small(_outcome(True))
    with pytest.raises(ModelFailureError, match="3 of 3"):
        small(_outcome(True))

    seen: list[object] = []
    lenient = ModelFailureGuard(5, 1.0, then=seen.append)
    for _ in range(5):
        lenient(_outcome(True))
    assert len(seen) == 5 and lenient.failures == 5
    with pytest.raises(ValueError, match="max_share"):
        ModelFailureGuard(5, 1.5)


def test_pool_evolve_with_a_dead_model_stops_at_once(tmp_path: Path) -> None:
    start = time.monotonic()
    out = tmp_path / "new.jsonl"
    result = runner.invoke(app, ["pool", "evolve", "builtin", "-n", "3", "-o", str(out),
                                 "--model", f"openai:writer@{DEAD}", "--cache", str(tmp_path / "c.sqlite")])
    assert time.monotonic() - start < 30
    assert result.exit_code == 2, result.output
    assert "--model" in result.output and DEAD in result.output and "connection error" in result.output
    assert not out.exists()
